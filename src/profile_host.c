#include "src/profile_host.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/x86/linux_boot.h"
#include "src/guest_env.h"
#include "src/log.h"
#include "src/profile.h"

extern char **environ;

/* What a host step may print: options, not data. */
#define HOST_OUTPUT_MAX (64 * 1024)

static char scratch[PATH_MAX]; /* "" until made */

static int make_scratch(void)
{
	const char *tmp = getenv("TMPDIR");

	if (scratch[0])
		return 0;
	snprintf(scratch, sizeof(scratch), "%s/microrun-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (mkdtemp(scratch))
		return 0;
	mr_err("cannot make a scratch directory for the profiles' host steps (%s): %s",
	       scratch, strerror(errno));
	scratch[0] = '\0';
	return -errno;
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st, (void)type, (void)ftw;
	if (remove(path))
		mr_warn("cannot remove %s from the scratch directory: %s", path, strerror(errno));
	return 0;
}

void profile_scratch_remove(void)
{
	if (!scratch[0])
		return;
	if (nftw(scratch, remove_entry, 16, FTW_DEPTH | FTW_PHYS))
		mr_warn("cannot remove the scratch directory %s: %s", scratch, strerror(errno));
	scratch[0] = '\0';
}

bool profile_in_scratch(const char *path)
{
	size_t len = strlen(scratch);

	return len && strncmp(path, scratch, len) == 0 && (path[len] == '\0' || path[len] == '/');
}

/* The host step's variables, each malloc'd, in `own`. */
enum { OWN_SCRATCH, OWN_KERNEL, OWN_RELEASE, OWN_PROFILE, OWN_PROFILE_DIR, NUM_OWN };

static int own_variables(const struct mr_profile *p, const struct mr_config *cfg, char *own[NUM_OWN])
{
	char kernel[PATH_MAX], release[KVER_MAX] = "";

	if (!realpath(cfg->kernel, kernel)) {
		mr_err("cannot open kernel %s: %s", cfg->kernel, strerror(errno));
		return -errno;
	}
	int r = linux_kernel_release(kernel, release);
	if (r && r != -ENODATA)
		return r;
	if (asprintf(&own[OWN_SCRATCH], "MICRORUN_SCRATCH=%s", scratch) < 0 ||
	    asprintf(&own[OWN_KERNEL], "MICRORUN_KERNEL=%s", kernel) < 0 ||
	    asprintf(&own[OWN_RELEASE], "MICRORUN_KERNEL_RELEASE=%s", r ? "" : release) < 0 ||
	    asprintf(&own[OWN_PROFILE], "MICRORUN_PROFILE=%s", p->name) < 0 ||
	    asprintf(&own[OWN_PROFILE_DIR], "MICRORUN_PROFILE_DIR=%s", p->dir) < 0) {
		mr_err("profile '%s': out of memory", p->name);
		return -ENOMEM;
	}
	return 0;
}

/* microrun's environment, then the -e pairs, then `own`, each replacing
 * a variable of the same name. */
static const char **host_env(const struct mr_config *cfg, char *const own[NUM_OWN])
{
	unsigned n = 0, size = cfg->nenv + NUM_OWN + 1;

	for (char **e = environ; *e; e++)
		size++;
	const char **env = calloc(size, sizeof(*env));
	for (char **e = environ; env && *e; e++)
		if (strchr(*e, '='))
			guest_env_add(env, &n, *e);
	for (unsigned i = 0; env && i < cfg->nenv; i++)
		guest_env_add(env, &n, cfg->env[i]);
	for (unsigned i = 0; env && i < NUM_OWN; i++)
		guest_env_add(env, &n, own[i]);
	return env;
}

/* stdin from /dev/null, stdout into the pipe; the signals microrun blocks
 * or ignores back to normal. */
static int spawn(pid_t *pid, const char *path, const char **env, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	char *const argv[] = { (char *)path, NULL };

	sigemptyset(&none);
	sigfillset(&defaults);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	int r = posix_spawn(pid, path, &fa, &attr, argv, (char *const *)env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

/* Everything the step prints, up to HOST_OUTPUT_MAX; *text NUL-terminated. */
static int read_output(int fd, char *text, size_t *len)
{
	ssize_t n;

	*len = 0;
	while ((n = read(fd, text + *len, HOST_OUTPUT_MAX - *len)) != 0) {
		if (n < 0 && errno != EINTR)
			return -errno;
		if (n > 0)
			*len += (size_t)n;
		if (*len == HOST_OUTPUT_MAX)
			return -EFBIG;
	}
	text[*len] = '\0';
	return 0;
}

static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

static enum host_result judge(const struct mr_profile *p, const char *path, int status,
			      int read_err, const char *text, size_t len)
{
	if (WIFSIGNALED(status)) {
		mr_err("profile '%s': host step %s was killed by signal %d (%s)", p->name, path,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		return HOST_FAILED;
	}
	if (status < 0 || WEXITSTATUS(status)) {
		mr_err("profile '%s': host step %s exited with status %d", p->name, path,
		       status < 0 ? -1 : WEXITSTATUS(status));
		return HOST_FAILED;
	}
	if (read_err || memchr(text, '\0', len)) {
		mr_err("profile '%s': host step %s printed %s", p->name, path,
		       read_err == -EFBIG ? "more than 64 KiB: options only, one a line" :
		       read_err ? strerror(-read_err) : "a NUL byte: options only, one a line");
		return HOST_FAILED;
	}
	return HOST_OK;
}

/* Runs `path` and waits for it; its stdout into `text`. */
static enum host_result run_step(const struct mr_profile *p, const char *path, const char **env,
				 char *text, size_t *len)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		mr_err("profile '%s': cannot make a pipe for its host step: %s", p->name,
		       strerror(errno));
		return HOST_ERROR;
	}
	int r = spawn(&pid, path, env, fds[1]);
	close(fds[1]);
	if (r) {
		mr_err("profile '%s': cannot run host step %s: %s", p->name, path, strerror(-r));
		close(fds[0]);
		return HOST_FAILED;
	}
	mr_info("profile '%s': running %s", p->name, path);
	int read_err = read_output(fds[0], text, len);
	close(fds[0]); /* a step still printing gets EPIPE rather than hang us */
	return judge(p, path, wait_for(pid), read_err, text, *len);
}

static enum host_result parse_output(const char *path, const char *text, struct arglist *out)
{
	char where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s (stdout)", path);
	return profile_parse_options(text, where, out) ? HOST_FAILED : HOST_OK;
}

static void host_path(const struct mr_profile *p, char *path, size_t size)
{
	snprintf(path, size, "%s/host", p->dir);
}

bool profile_has_host(const struct mr_profile *p)
{
	char path[PATH_MAX + 8];

	host_path(p, path, sizeof(path));
	return access(path, F_OK) == 0;
}

enum host_result profile_run_host(const struct mr_profile *p, const struct mr_config *cfg,
				  struct arglist *out)
{
	char path[PATH_MAX + 8], *own[NUM_OWN] = { 0 }, *text = NULL;
	enum host_result res = HOST_ERROR;
	const char **env = NULL;
	size_t len;

	host_path(p, path, sizeof(path));
	if (!profile_has_host(p))
		return HOST_OK;
	if (access(path, X_OK)) {
		mr_err("profile '%s': host step %s is not executable (chmod +x it)", p->name, path);
		return HOST_FAILED;
	}
	if (make_scratch() == 0 && own_variables(p, cfg, own) == 0 &&
	    (env = host_env(cfg, own)) && (text = malloc(HOST_OUTPUT_MAX + 1)))
		res = run_step(p, path, env, text, &len);
	if (res == HOST_OK)
		res = parse_output(path, text, out);
	free(text);
	free(env);
	for (int i = 0; i < NUM_OWN; i++)
		free(own[i]);
	return res;
}
