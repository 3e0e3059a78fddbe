#include "boot/init/tree_copy.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* One directory being copied: its descriptors and where it is. */
struct level {
	int src, dst;
	unsigned depth;
};

static int failed(struct tree_copy_error *e, const char *why, int err)
{
	e->why = why;
	e->err = err;
	return -err;
}

/* e->path becomes its parent's path with `name` appended; the old length
 * is returned in *len, for the caller to cut it back. */
static int enter(struct tree_copy_error *e, const char *name, size_t *len)
{
	*len = strlen(e->path);
	int n = snprintf(e->path + *len, sizeof(e->path) - *len, "%s%s", *len ? "/" : "", name);
	if (n < 0 || (size_t)n >= sizeof(e->path) - *len)
		return failed(e, "the path is too long", ENAMETOOLONG);
	return 0;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int copy_data(int in, int out, struct tree_copy_error *e)
{
	static char buf[128 << 10];

	for (;;) {
		ssize_t n = read(in, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return failed(e, "cannot read it", errno);
		if (n == 0)
			return 0;
		int r = write_all(out, buf, (size_t)n);
		if (r)
			return failed(e, "cannot write its copy", -r);
	}
}

/* Makes room for a file or symlink `name`: whatever is there goes, unless
 * it is a directory. */
static int make_room(const struct level *l, const char *name, struct tree_copy_error *e)
{
	if (unlinkat(l->dst, name, 0) == 0 || errno == ENOENT)
		return 0;
	if (errno == EISDIR || errno == EPERM)
		return failed(e, "it is a file in files/ but a directory in the destination", EISDIR);
	return failed(e, "cannot remove what the destination has there", errno);
}

static int copy_file(const struct level *l, const char *name, mode_t mode,
		     struct tree_copy_error *e)
{
	int in = openat(l->src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC), out = -1;
	if (in < 0)
		return failed(e, "cannot open it", errno);
	int r = make_room(l, name, e);
	if (!r && (out = openat(l->dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
				0600)) < 0)
		r = failed(e, "cannot create its copy", errno);
	if (!r)
		r = copy_data(in, out, e);
	/* after the data, so that a read-only file could be written */
	if (!r && fchmod(out, mode & 07777))
		r = failed(e, "cannot set its mode", errno);
	if (out >= 0 && close(out) && !r)
		r = failed(e, "cannot write its copy", errno);
	close(in);
	return r;
}

static int copy_symlink(const struct level *l, const char *name, struct tree_copy_error *e)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(l->src, name, target, sizeof(target));

	if (n < 0)
		return failed(e, "cannot read the symlink", errno);
	if ((size_t)n == sizeof(target))
		return failed(e, "the symlink's target is too long", ENAMETOOLONG);
	target[n] = '\0';
	int r = make_room(l, name, e);
	if (!r && symlinkat(target, l->dst, name))
		r = failed(e, "cannot create the symlink", errno);
	return r;
}

static int copy_level(const struct level *l, struct tree_copy_error *e);

/* A directory: entered where it exists (its mode kept), made where not
 * (the source's mode set once it is filled: it may be read-only). */
static int copy_dir(const struct level *l, const char *name, mode_t mode,
		    struct tree_copy_error *e)
{
	struct level sub = { .src = -1, .dst = -1, .depth = l->depth + 1 };
	bool made = mkdirat(l->dst, name, 0700) == 0;
	int r = 0;

	if (sub.depth > TREE_COPY_MAX_DEPTH)
		return failed(e, "directories nested too deep", ELOOP);
	if (!made && errno != EEXIST)
		return failed(e, "cannot make the directory", errno);
	sub.dst = openat(l->dst, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (sub.dst < 0)
		r = failed(e, errno == ENOTDIR ? "it is a directory in files/ but not in the destination"
					      : "cannot open the destination's directory", errno);
	if (!r && (sub.src = openat(l->src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		r = failed(e, "cannot open the directory", errno);
	if (!r)
		r = copy_level(&sub, e);
	if (!r && made && fchmod(sub.dst, mode & 07777))
		r = failed(e, "cannot set its mode", errno);
	if (sub.src >= 0)
		close(sub.src);
	if (sub.dst >= 0)
		close(sub.dst);
	return r;
}

static int copy_entry(const struct level *l, const char *name, struct tree_copy_error *e)
{
	struct stat st;
	size_t len;
	int r = enter(e, name, &len);

	if (r)
		return r;
	if (fstatat(l->src, name, &st, AT_SYMLINK_NOFOLLOW))
		return failed(e, "cannot stat it", errno);
	if (S_ISREG(st.st_mode))
		r = copy_file(l, name, st.st_mode, e);
	else if (S_ISDIR(st.st_mode))
		r = copy_dir(l, name, st.st_mode, e);
	else if (S_ISLNK(st.st_mode))
		r = copy_symlink(l, name, e);
	else
		r = failed(e, "a special file (FIFO, socket or device): only regular files, "
			      "directories and symlinks are placed", EOPNOTSUPP);
	if (!r)
		e->path[len] = '\0';
	return r;
}

static int copy_level(const struct level *l, struct tree_copy_error *e)
{
	int fd = dup(l->src);  /* closedir closes it; the caller's stays */
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *de;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		return failed(e, "cannot read the directory", errno);
	}
	rewinddir(d);  /* the dup shares the offset of an earlier read */
	while (!r && (errno = 0, de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			r = copy_entry(l, de->d_name, e);
	if (!r && errno)
		r = failed(e, "cannot read the directory", errno);
	closedir(d);
	return r;
}

int tree_copy(int src, int dst, struct tree_copy_error *e)
{
	const struct level top = { .src = src, .dst = dst, .depth = 0 };

	*e = (struct tree_copy_error){ .why = NULL };
	return copy_level(&top, e);
}
