#include "boot/module_file.h"

#include <errno.h>
#include <fcntl.h>
#include <lzma.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "src/log.h"

#define XZ_FOOTER 12  /* xz-file-format 2.1.2: the stream footer */
#define GZ_TRAILER 8  /* RFC 1952: CRC32 and ISIZE */

static enum mod_comp detect(const uint8_t *p, uint64_t len)
{
	if (len >= 6 && memcmp(p, "\xfd" "7zXZ\0", 6) == 0)
		return MOD_COMP_XZ;
	if (len >= 4 && memcmp(p, "\x28\xb5\x2f\xfd", 4) == 0)
		return MOD_COMP_ZSTD;
	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return MOD_COMP_GZIP;
	return MOD_COMP_NONE;
}

/* The uncompressed size is in the index, which the footer locates. Only a
 * single stream is accepted (xz -z and kmod write one). */
static int xz_size(const uint8_t *p, uint64_t len, uint64_t *size)
{
	lzma_stream_flags footer;
	lzma_index *idx = NULL;
	uint64_t memlimit = UINT64_MAX;
	size_t pos = 0;

	if (len < 2 * XZ_FOOTER ||
	    lzma_stream_footer_decode(&footer, p + len - XZ_FOOTER) != LZMA_OK ||
	    footer.backward_size > len - 2 * XZ_FOOTER)
		return -EINVAL;
	const uint8_t *index = p + len - XZ_FOOTER - footer.backward_size;
	if (lzma_index_buffer_decode(&idx, &memlimit, NULL, index, &pos, footer.backward_size) != LZMA_OK)
		return -EINVAL;
	bool single = lzma_index_stream_size(idx) == len;
	*size = lzma_index_uncompressed_size(idx);
	lzma_index_end(idx, NULL);
	return single ? 0 : -ENOTSUP;
}

/* One frame, which records its content size (zstd's default). */
static int zstd_size(const uint8_t *p, uint64_t len, uint64_t *size)
{
	unsigned long long n = ZSTD_getFrameContentSize(p, len);
	size_t frame = ZSTD_findFrameCompressedSize(p, len);

	if (n == ZSTD_CONTENTSIZE_ERROR || ZSTD_isError(frame))
		return -EINVAL;
	if (n == ZSTD_CONTENTSIZE_UNKNOWN || frame != len)
		return -ENOTSUP; /* zstd --no-content-size, streamed, or several frames */
	*size = n;
	return 0;
}

/* ISIZE is the size modulo 2^32 (and of the last member only): enough for
 * a module, and the decompression checks it exactly. */
static int gzip_size(const uint8_t *p, uint64_t len, uint64_t *size)
{
	if (len < 18) /* the smallest gzip member */
		return -EINVAL;
	const uint8_t *t = p + len - 4;
	*size = (uint32_t)t[0] | (uint32_t)t[1] << 8 | (uint32_t)t[2] << 16 | (uint32_t)t[3] << 24;
	return 0;
}

static int module_size(struct mod_file *f)
{
	switch (f->comp) {
	case MOD_COMP_XZ:
		return xz_size(f->map, f->file_size, &f->size);
	case MOD_COMP_ZSTD:
		return zstd_size(f->map, f->file_size, &f->size);
	case MOD_COMP_GZIP:
		return gzip_size(f->map, f->file_size, &f->size);
	case MOD_COMP_NONE:
		break;
	}
	f->size = f->file_size;
	return memcmp(f->map, "\x7f" "ELF", 4) == 0 ? 0 : -EINVAL;
}

static int open_map(struct mod_file *f, const char *path)
{
	struct stat st;

	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0 || fstat(f->fd, &st) != 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < 4)
		return -EINVAL;
	f->file_size = (uint64_t)st.st_size;
	void *p = mmap(NULL, f->file_size, PROT_READ, MAP_PRIVATE, f->fd, 0);
	if (p == MAP_FAILED)
		return -errno;
	f->map = p;
	return 0;
}

int modfile_open(struct mod_file *f, const char *path)
{
	*f = (struct mod_file){ .fd = -1 };
	int r = open_map(f, path);

	if (!r) {
		f->comp = detect(f->map, f->file_size);
		r = module_size(f);
	}
	if (!r && f->size > MODFILE_MAX_SIZE)
		r = -EINVAL;
	if (r == -ENOTSUP)
		mr_err("%s: the compressed stream does not record the module's size: "
		       "decompress it (or recompress it with xz, zstd or gzip defaults)", path);
	else if (r == -EINVAL)
		mr_err("%s: not a kernel module: neither ELF nor a well-formed xz, zstd "
		       "or gzip stream", path);
	else if (r)
		mr_err("cannot read module %s: %s", path, strerror(-r));
	if (r)
		modfile_close(f);
	return r;
}

void modfile_move(struct mod_file *to, struct mod_file *from)
{
	*to = *from;
	*from = (struct mod_file){ .fd = -1 };
}

void modfile_close(struct mod_file *f)
{
	if (f->map)
		munmap((void *)f->map, f->file_size);
	if (f->fd >= 0)
		close(f->fd);
	*f = (struct mod_file){ .fd = -1 };
}

static int xz_read(const struct mod_file *f, uint8_t *dst)
{
	uint64_t memlimit = UINT64_MAX;
	size_t in = 0, out = 0;
	lzma_ret r = lzma_stream_buffer_decode(&memlimit, 0, NULL, f->map, &in, f->file_size,
					       dst, &out, f->size);

	return r == LZMA_OK && in == f->file_size && out == f->size ? 0 : -EIO;
}

static int zstd_read(const struct mod_file *f, uint8_t *dst)
{
	size_t n = ZSTD_decompress(dst, f->size, f->map, f->file_size);

	return !ZSTD_isError(n) && n == f->size ? 0 : -EIO;
}

static int gzip_read(const struct mod_file *f, uint8_t *dst)
{
	z_stream z = { 0 };

	if (f->file_size > UINT32_MAX || inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -EIO;
	z.next_in = (Bytef *)f->map;
	z.avail_in = (uInt)f->file_size;
	z.next_out = dst;
	z.avail_out = (uInt)f->size;
	int r = inflate(&z, Z_FINISH);
	bool ok = r == Z_STREAM_END && z.total_out == f->size && z.avail_in == 0;
	inflateEnd(&z);
	return ok ? 0 : -EIO;
}

int modfile_read(const struct mod_file *f, uint8_t *dst)
{
	switch (f->comp) {
	case MOD_COMP_XZ:
		return xz_read(f, dst);
	case MOD_COMP_ZSTD:
		return zstd_read(f, dst);
	case MOD_COMP_GZIP:
		return gzip_read(f, dst);
	case MOD_COMP_NONE:
		break;
	}
	memcpy(dst, f->map, f->size);
	return 0;
}

static int fill(void *ctx, uint8_t *data, uint64_t len)
{
	(void)len; /* the entry's size is f->size */
	return modfile_read(ctx, data);
}

int modfile_add_to_cpio(struct cpio_writer *w, const char *name, const struct mod_file *f)
{
	struct cpio_entry e = { .name = name, .mode = S_IFREG | 0644, .size = f->size };

	if (f->comp == MOD_COMP_NONE)
		return cpio_add_fd(w, name, 0644, f->fd, 0, f->size);
	return cpio_add_filled(w, &e, fill, (void *)f);
}
