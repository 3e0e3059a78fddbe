/* One kernel module file as distributions ship it: a plain ELF .ko, or one
 * compressed with xz, zstd or gzip (CONFIG_MODULE_COMPRESS_*, Fedora, Arch,
 * Ubuntu). Compressed modules are expanded on the host, straight into their
 * place in the initramfs: the guest then loads every module the same way,
 * whether or not its kernel has CONFIG_MODULE_DECOMPRESS (Debian 12's has
 * not, and MODULE_INIT_COMPRESSED_FILE exists only since Linux 6.4). */
#ifndef MR_MODULE_FILE_H
#define MR_MODULE_FILE_H

#include <stdint.h>

#include "boot/cpio.h"

/* No module comes near this; a larger claimed size means a corrupt file. */
#define MODFILE_MAX_SIZE (1ULL << 30)

enum mod_comp { MOD_COMP_NONE, MOD_COMP_XZ, MOD_COMP_ZSTD, MOD_COMP_GZIP };

struct mod_file {
	int fd;
	enum mod_comp comp;        /* from the file's magic bytes, not its name */
	const uint8_t *map;        /* the whole file, read-only */
	uint64_t file_size;
	uint64_t size;             /* of the module itself, decompressed */
};

/* Opens `path` and learns the module's size (from the compressed stream's
 * own metadata: xz index, zstd frame header, gzip trailer). Errors are
 * reported on stderr naming the file: -EINVAL for a file that is no module,
 * -ENOTSUP for a stream that does not record its size. */
int modfile_open(struct mod_file *f, const char *path) __attribute__((warn_unused_result));
void modfile_close(struct mod_file *f);
/* *to becomes the open file *from was, and *from closed without a close. */
void modfile_move(struct mod_file *to, struct mod_file *from);

/* Writes the module's f->size bytes to dst (decompressing if need be);
 * -EIO if the stream is corrupt or not of the size it claimed. */
int modfile_read(const struct mod_file *f, uint8_t *dst) __attribute__((warn_unused_result));

/* Adds the module to an archive as a regular file `name`: read from the file
 * (plain) or decompressed (otherwise) directly into the archive. */
int modfile_add_to_cpio(struct cpio_writer *w, const char *name, const struct mod_file *f)
	__attribute__((warn_unused_result));

#endif
