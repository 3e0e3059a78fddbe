#include "boot/cpio.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAGIC_NEWC "070701"   /* newc without checksums: "check" stays 0 */
#define TRAILER    "TRAILER!!!"
#define FIRST_INO  1          /* 0 is left to the trailer */

void cpio_init(struct cpio_writer *w, void *buf, size_t cap)
{
	*w = (struct cpio_writer){ .buf = buf, .cap = buf ? cap : SIZE_MAX, .next_ino = FIRST_INO };
}

size_t cpio_size(const struct cpio_writer *w)
{
	return w->off;
}

static uint64_t pad4(uint64_t v)
{
	return (v + 3) & ~3ULL;
}

/* The kernel refuses names of PATH_MAX or more (with the NUL) and takes
 * them relative to its root; ".." could only aim outside what we mean. */
static bool name_ok(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len + 1 > CPIO_NAME_MAX || name[0] == '/')
		return false;
	for (const char *p = name; (p = strstr(p, "..")); p += 2)
		if ((p == name || p[-1] == '/') && (p[2] == 0 || p[2] == '/'))
			return false;
	return true;
}

/* Only regular files and symlinks carry data (a symlink's is its target,
 * of 1 to PATH_MAX - 1 bytes); newc's filesize field has 32 bits. */
static bool shape_ok(const struct cpio_entry *e)
{
	switch (e->mode & S_IFMT) {
	case S_IFREG:
		return e->size <= UINT32_MAX;
	case S_IFLNK:
		return e->size > 0 && e->size < CPIO_NAME_MAX;
	case S_IFDIR: case S_IFCHR: case S_IFBLK: case S_IFIFO: case S_IFSOCK:
		return e->size == 0;
	default:
		return false;
	}
}

/* A directory's "." and its entry in the parent, as a file system counts. */
static uint32_t nlink_of(uint32_t mode)
{
	return S_ISDIR(mode) ? 2 : 1;
}

static void put_header(uint8_t *p, const struct cpio_entry *e, uint32_t ino, size_t namesize)
{
	char h[CPIO_HEADER_LEN + 1];

	/* Field order per buffer-format.rst: ino mode uid gid nlink mtime
	 * filesize devmajor devminor rdevmajor rdevminor namesize check. */
	snprintf(h, sizeof(h), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 MAGIC_NEWC, ino, e->mode, e->uid, e->gid, nlink_of(e->mode),
		 e->mtime, (uint32_t)e->size, 0u, 0u, e->rdev_major, e->rdev_minor,
		 (uint32_t)namesize, 0u);
	memcpy(p, h, CPIO_HEADER_LEN);
}

/* Header, name and padding, then room for the data and its padding. */
static int put_entry(struct cpio_writer *w, const struct cpio_entry *e, uint32_t ino,
		     uint8_t **data)
{
	size_t namesize = strlen(e->name) + 1;
	uint64_t data_at = pad4((uint64_t)w->off + CPIO_HEADER_LEN + namesize);
	uint64_t end = pad4(data_at + e->size);

	if (data)
		*data = NULL;
	if (end > w->cap)
		return -ENOSPC;
	if (w->buf) {
		uint8_t *p = w->buf + w->off;
		put_header(p, e, ino, namesize);
		memcpy(p + CPIO_HEADER_LEN, e->name, namesize);
		memset(p + CPIO_HEADER_LEN + namesize, 0, data_at - w->off - CPIO_HEADER_LEN - namesize);
		memset(w->buf + data_at + e->size, 0, end - data_at - e->size);
		if (data)
			*data = w->buf + data_at;
	}
	w->off = end;
	return 0;
}

int cpio_add(struct cpio_writer *w, const struct cpio_entry *e, uint8_t **data)
{
	if (data)
		*data = NULL;
	if (w->finished)
		return -EPERM;
	if (!name_ok(e->name) || !shape_ok(e))
		return -EINVAL;
	if (w->next_ino == UINT32_MAX)
		return -ENOSPC;
	int r = put_entry(w, e, w->next_ino, data);
	if (!r)
		w->next_ino++;
	return r;
}

int cpio_add_dir(struct cpio_writer *w, const char *name, uint32_t perm)
{
	struct cpio_entry e = { .name = name, .mode = S_IFDIR | (perm & 07777) };

	return cpio_add(w, &e, NULL);
}

static int add_bytes(struct cpio_writer *w, const struct cpio_entry *e, const void *bytes)
{
	uint8_t *data;
	int r = cpio_add(w, e, &data);

	if (!r && data)
		memcpy(data, bytes, e->size);
	return r;
}

int cpio_add_file(struct cpio_writer *w, const char *name, uint32_t perm,
		  const void *data, size_t len)
{
	struct cpio_entry e = { .name = name, .mode = S_IFREG | (perm & 07777), .size = len };

	return add_bytes(w, &e, data);
}

/* Symlinks are 0777 on Linux whatever the archive says. */
int cpio_add_symlink(struct cpio_writer *w, const char *name, const char *target)
{
	struct cpio_entry e = { .name = name, .mode = S_IFLNK | 0777, .size = strlen(target) };

	return add_bytes(w, &e, target);
}

int cpio_add_node(struct cpio_writer *w, const char *name, uint32_t mode,
		  uint32_t major, uint32_t minor)
{
	struct cpio_entry e = { .name = name, .mode = mode, .rdev_major = major, .rdev_minor = minor };

	if (!S_ISCHR(mode) && !S_ISBLK(mode))
		return -EINVAL;
	return cpio_add(w, &e, NULL);
}

int cpio_add_filled(struct cpio_writer *w, const struct cpio_entry *e, cpio_fill_fn *fill,
		    void *ctx)
{
	size_t before = w->off;
	uint8_t *data;
	int r = cpio_add(w, e, &data);

	if (!r && data)
		r = fill(ctx, data, e->size);
	if (r && w->off != before) {
		/* Leave no half-filled member behind. */
		w->off = before;
		w->next_ino--;
	}
	return r;
}

struct fd_source {
	int fd;
	off_t offset;
};

static int read_fully(void *ctx, uint8_t *dst, uint64_t len)
{
	const struct fd_source *src = ctx;
	off_t offset = src->offset;

	while (len) {
		ssize_t n = pread(src->fd, dst, len > (1u << 30) ? (1u << 30) : len, offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO; /* the file is shorter than the caller said */
		dst += n;
		len -= (uint64_t)n;
		offset += n;
	}
	return 0;
}

int cpio_add_fd(struct cpio_writer *w, const char *name, uint32_t perm, int fd,
		off_t offset, uint64_t len)
{
	struct cpio_entry e = { .name = name, .mode = S_IFREG | (perm & 07777), .size = len };
	struct fd_source src = { .fd = fd, .offset = offset };

	return cpio_add_filled(w, &e, read_fully, &src);
}

/* The trailer: inode 0, mode 0, one link, the name TRAILER!!!. */
int cpio_finish(struct cpio_writer *w)
{
	struct cpio_entry e = { .name = TRAILER };

	if (w->finished)
		return -EPERM;
	int r = put_entry(w, &e, 0, NULL);
	if (!r)
		w->finished = true;
	return r;
}
