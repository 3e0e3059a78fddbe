#include "src/profile_scratch.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/log.h"

bool proc_shows_own_pids(void)
{
	char link[24];
	ssize_t n = readlink("/proc/self", link, sizeof(link) - 1);

	if (n <= 0)
		return false;
	link[n] = '\0';
	return strtol(link, NULL, 10) == getpid();
}

static char scratch[PATH_MAX]; /* "" until made */

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (remove(path) && errno != ENOENT)
		mr_warn("cannot remove %s from the scratch directory: %s", path, strerror(errno));
	return 0;
}

/* `dir` and everything in it, symlinks as links. */
static void remove_tree(const char *dir)
{
	if (nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS) && errno != ENOENT)
		mr_warn("cannot remove the scratch directory %s: %s", dir, strerror(errno));
}

/* A scratch directory is named for its run, microrun-scratch.PID.SPACE.XXXXXX,
 * so that one a SIGKILL left behind can be recognised and removed by a later
 * run: SPACE tells the PID namespace (its inode number) and the boot (the
 * start of the kernel's boot ID), as a $TMPDIR may be shared with a
 * container or another machine, whose PIDs mean nothing here. */
#define SCRATCH_PREFIX "microrun-scratch."

/* SPACE, or false if /proc cannot tell it. */
static bool pid_space(char *space, size_t size)
{
	char boot[8];
	struct stat ns;

	if (!proc_shows_own_pids() || stat("/proc/self/ns/pid", &ns))
		return false;
	int fd = open("/proc/sys/kernel/random/boot_id", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, boot, sizeof(boot));
	close(fd);
	return n == (ssize_t)sizeof(boot) &&
	       snprintf(space, size, "%lu-%.8s", (unsigned long)ns.st_ino, boot) < (int)size;
}

/* The PID in `name` if it is the name of a scratch directory of SPACE `space`,
 * else 0. */
static pid_t scratch_owner(const char *name, const char *space)
{
	const char *at = name + strlen(SCRATCH_PREFIX);
	size_t n = strlen(space);
	char *end;

	if (strncmp(name, SCRATCH_PREFIX, strlen(SCRATCH_PREFIX)) || !isdigit((unsigned char)*at))
		return 0;
	long pid = strtol(at, &end, 10);
	if (pid > INT_MAX || *end != '.' || strncmp(end + 1, space, n) || end[1 + n] != '.' ||
	    strlen(end + 2 + n) != 6)
		return 0;
	return (pid_t)pid;
}

/* Whether TMP/NAME is a scratch directory left by a run that is gone: of
 * SPACE `space`, owned by this user, named for a process that no longer
 * exists (or for this one, which has made none yet). Its path in `path`. */
static bool left_behind(const char *tmp, const char *name, const char *space, char path[PATH_MAX])
{
	pid_t pid = scratch_owner(name, space);
	struct stat st;

	if (!pid || (pid != getpid() && (kill(pid, 0) == 0 || errno != ESRCH)))
		return false;
	return snprintf(path, PATH_MAX, "%s/%s", tmp, name) < PATH_MAX && lstat(path, &st) == 0 &&
	       S_ISDIR(st.st_mode) && st.st_uid == geteuid();
}

static void remove_left_behind(const char *tmp, const char *space)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = opendir(tmp);

	while (d && (e = readdir(d)))
		if (left_behind(tmp, e->d_name, space, path)) {
			mr_info("removing %s, left by a run that is gone", path);
			remove_tree(path);
		}
	if (d)
		closedir(d);
}

/* Without SPACE, a name no run takes for one it may remove. */
int profile_scratch_make(void)
{
	const char *tmp = getenv("TMPDIR");
	char space[48], owner[80] = "";

	if (scratch[0])
		return 0;
	if (!tmp || !*tmp)
		tmp = "/tmp";
	if (pid_space(space, sizeof(space))) {
		remove_left_behind(tmp, space);
		snprintf(owner, sizeof(owner), "%d.%s.", (int)getpid(), space);
	}
	snprintf(scratch, sizeof(scratch), "%s/" SCRATCH_PREFIX "%sXXXXXX", tmp, owner);
	if (mkdtemp(scratch))
		return 0;
	mr_err("cannot make a scratch directory for the profiles' host steps (%s): %s",
	       scratch, strerror(errno));
	scratch[0] = '\0';
	return -errno;
}

void profile_scratch_remove(void)
{
	if (!scratch[0])
		return;
	remove_tree(scratch);
	scratch[0] = '\0';
}

bool profile_in_scratch(const char *path)
{
	size_t len = strlen(scratch);

	return len && strncmp(path, scratch, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

const char *profile_scratch_path(void)
{
	return scratch;
}
