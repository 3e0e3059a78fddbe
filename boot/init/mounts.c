/* The init's file systems: what it needs in the initramfs, the root it
 * builds for the program, and the move into it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/init/init.h"

#define LAYER_DIR "/mnt/layer"  /* tmpfs with the overlay's upper and work dirs */

/* 9p options (Documentation/filesystems/9p.rst). msize 512 KiB: fewer,
 * larger messages for reads and readdir (the Linux client's default is
 * 128 KiB); Linux 6.1's virtio transport takes at most 512000 bytes and
 * silently clamps to that, later kernels more. The root uses
 * cache=loose: it is read-only for the life of a short run, so the guest
 * may keep dentries, attributes and pages, which spares a round trip to
 * the host for every lookup and stat (metadata-heavy work is where 9p is
 * slow); the price is not seeing host changes made during the run. A
 * shared writable directory uses cache=mmap instead: no caching of data
 * or metadata, so writes reach the host at once and host changes are
 * seen, but shared writable mmap still works (linkers, databases). */
#define P9_BASE   "trans=virtio,version=9p2000.L,msize=524288"
#define P9_ROOT   P9_BASE ",cache=loose"
#define P9_SHARE  P9_BASE ",cache=mmap"

static int mount_or_say(const char *src, const char *dir, const char *type, unsigned long flags,
			const char *data)
{
	if (mount(src, dir, type, flags, data) == 0)
		return 0;
	int err = errno;
	init_say("cannot mount %s (%s) on %s: %s", src, type, dir, strerror(err));
	return -err;
}

/* mkdir -p: each component of an absolute path. */
int init_make_dirs(const char *path)
{
	char p[RUNCFG_MAX_PATH + 1];
	size_t n = strlen(path);

	if (n > RUNCFG_MAX_PATH)
		return -ENAMETOOLONG;
	memcpy(p, path, n + 1);
	for (char *s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		char c = *s;
		*s = '\0';
		if (mkdir(p, 0755) && errno != EEXIST) {
			int err = errno;
			init_say("cannot create directory %s: %s", p, strerror(err));
			return -err;
		}
		*s = c;
		if (!c)
			return 0;
	}
}

static int mount_at(const char *src, const char *dir, const char *type, unsigned long flags,
		    const char *data)
{
	int r = init_make_dirs(dir);
	return r ? r : mount_or_say(src, dir, type, flags, data);
}

/* Without a /dev/console in the initramfs the kernel starts init with no
 * stdin, stdout or stderr; devtmpfs has one. */
static void ensure_console(void)
{
	if (fcntl(2, F_GETFD) >= 0)
		return;
	int fd = open("/dev/console", O_RDWR | O_NOCTTY);
	for (int i = 0; fd >= 0 && i < 3; i++)
		if (fd != i)
			dup2(fd, i);
	if (fd > 2)
		close(fd);
}

int init_mount_early(void)
{
	int r;

	if ((r = mount_at("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755")))
		return r;
	ensure_console();
	if ((r = mount_at("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL)))
		return r;
	return mount_at("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
}

int init_mount_root(const struct runcfg_view *v)
{
	static const char layers[] = "lowerdir=" INIT_HOST_DIR ",upperdir=" LAYER_DIR "/upper,"
				     "workdir=" LAYER_DIR "/work";
	int r;

	if ((r = mount_at(v->root_tag, INIT_HOST_DIR, "9p", MS_RDONLY, P9_ROOT)) ||
	    (r = mount_at("tmpfs", LAYER_DIR, "tmpfs", 0, "mode=0755")) ||
	    (r = init_make_dirs(LAYER_DIR "/upper")) || (r = init_make_dirs(LAYER_DIR "/work")))
		return r;
	if ((r = mount_at("overlay", INIT_NEW_ROOT, "overlay", 0, layers)))
		return r;
	/* before the shares, which may lie below /tmp or /run */
	if ((r = mount_at("tmpfs", INIT_NEW_ROOT "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777")))
		return r;
	return mount_at("tmpfs", INIT_NEW_ROOT "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");
}

int init_mount_shares(const struct runcfg_view *v)
{
	const char *tag = v->mounts.first;

	for (uint32_t i = 0; i < v->mounts.n; i += 3) {
		const char *path = runcfg_next(tag), *mode = runcfg_next(path);
		int r = mount_at(tag, path, "9p", strcmp(mode, "ro") ? 0 : MS_RDONLY, P9_SHARE);
		if (r)
			return r;
		tag = runcfg_next(mode);
	}
	return 0;
}

/* switch_root's way, as the initramfs (rootfs) cannot be pivot_root'ed
 * away: move the new root onto /, then chroot into it. The initramfs
 * stays underneath, unreachable; its module files were unlinked once
 * loaded, so what it still holds is the init itself. The early mounts are
 * moved rather than mounted again: one instance each, none left hidden. */
int init_switch_root(void)
{
	static const char *const moved[] = { "/dev", "/proc", "/sys" };
	int r;

	for (size_t i = 0; i < sizeof(moved) / sizeof(moved[0]); i++) {
		char dir[64];
		snprintf(dir, sizeof(dir), INIT_NEW_ROOT "%s", moved[i]);
		if ((r = mount_at(moved[i], dir, NULL, MS_MOVE, NULL)))
			return r;
	}
	if (chdir(INIT_NEW_ROOT) || mount(".", "/", NULL, MS_MOVE, NULL) || chroot(".") ||
	    chdir("/")) {
		int err = errno;
		init_say("cannot make %s the root: %s", INIT_NEW_ROOT, strerror(err));
		return -err;
	}
	if ((r = mount_at("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
			  "gid=5,mode=620,ptmxmode=666")))
		return r;
	return mount_at("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
}
