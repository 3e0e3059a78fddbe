/* cpio "newc" writer for initramfs images, following the format the Linux
 * kernel unpacks (Documentation/driver-api/early-userspace/buffer-format.rst).
 *
 * The archive is written into a caller-given buffer of fixed size, which can
 * be guest RAM; nothing is written past its end (-ENOSPC instead). With a
 * NULL buffer the writer only counts, so a caller can size the archive, place
 * it, and then write it for real with the same calls. */
#ifndef MR_CPIO_H
#define MR_CPIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define CPIO_HEADER_LEN 110       /* "070701" and 13 fields of 8 hex digits */
#define CPIO_NAME_MAX   4096      /* PATH_MAX: the kernel refuses longer names */

struct cpio_writer {
	uint8_t *buf;       /* NULL: size-only pass */
	size_t cap;         /* bytes at buf */
	size_t off;         /* bytes written (or counted) so far */
	uint32_t next_ino;  /* every entry gets its own inode number */
	bool finished;      /* the trailer is written; nothing may follow */
};

/* What one archive member looks like; `mode` holds the file type (S_IF*). */
struct cpio_entry {
	const char *name;   /* relative ("bin/sh"), no leading "/" */
	uint32_t mode;
	uint32_t uid, gid;
	uint32_t mtime;     /* seconds since the epoch; 0 keeps images reproducible */
	uint32_t rdev_major, rdev_minor; /* device nodes only */
	uint64_t size;      /* bytes of data: file contents or symlink target */
};

/* buf may be NULL (size-only pass); cap is then ignored. */
void cpio_init(struct cpio_writer *w, void *buf, size_t cap);

/* Writes the header and name of `e`, then reserves e->size bytes of data and
 * their padding. *data points at those bytes for the caller to fill (NULL in
 * the size-only pass). -EINVAL for a bad name, type or size, -ENOSPC when the
 * buffer is too short, -EPERM after cpio_finish. */
int cpio_add(struct cpio_writer *w, const struct cpio_entry *e, uint8_t **data)
	__attribute__((warn_unused_result));

/* cpio_add, then fill(ctx, data, e->size) to write the data in place
 * (skipped in the size-only pass). If fill fails, the member is taken back
 * and fill's error returned. */
typedef int cpio_fill_fn(void *ctx, uint8_t *data, uint64_t len);
int cpio_add_filled(struct cpio_writer *w, const struct cpio_entry *e, cpio_fill_fn *fill,
		    void *ctx) __attribute__((warn_unused_result));

/* Convenience forms of cpio_add; the permission bits come from `perm`. */
int cpio_add_dir(struct cpio_writer *w, const char *name, uint32_t perm)
	__attribute__((warn_unused_result));
int cpio_add_file(struct cpio_writer *w, const char *name, uint32_t perm,
		  const void *data, size_t len) __attribute__((warn_unused_result));
int cpio_add_symlink(struct cpio_writer *w, const char *name, const char *target)
	__attribute__((warn_unused_result));
/* A character (S_IFCHR) or block (S_IFBLK) device node. */
int cpio_add_node(struct cpio_writer *w, const char *name, uint32_t mode,
		  uint32_t major, uint32_t minor) __attribute__((warn_unused_result));

/* A regular file of `len` bytes read from `fd` at `offset` straight into the
 * archive (pread, no copy in between). -EIO if the file holds fewer bytes. */
int cpio_add_fd(struct cpio_writer *w, const char *name, uint32_t perm, int fd,
		off_t offset, uint64_t len) __attribute__((warn_unused_result));

/* Appends the TRAILER!!! entry that ends the archive. */
int cpio_finish(struct cpio_writer *w) __attribute__((warn_unused_result));

/* Bytes written (or, in the size-only pass, needed) so far. */
size_t cpio_size(const struct cpio_writer *w);

#endif
