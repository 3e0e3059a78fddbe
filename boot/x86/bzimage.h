/* bzImage loader: Linux x86 boot protocol, Documentation/arch/x86/boot.rst. */
#ifndef MR_BZIMAGE_H
#define MR_BZIMAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/kernel_image.h"
#include "src/guest_mem.h"

/* 2.12 brought xloadflags, which says whether the 64-bit entry exists. */
#define BZIMAGE_MIN_VERSION 0x020c

struct bzimage {
	struct setup_header hdr;
	size_t hdr_len;
	uint64_t pm_offset;  /* file offset of the protected-mode kernel */
	uint64_t pm_size;    /* its length in the file */
};

bool bzimage_detect(const uint8_t *file, uint64_t size);

/* Validates the setup header of the image in `file`. Errors are reported on
 * stderr, naming `path`. */
int bzimage_parse(const uint8_t *file, uint64_t size, const char *path, struct bzimage *bz)
	__attribute__((warn_unused_result));

/* Chooses the load address honouring pref_address, kernel_alignment and
 * relocatable_kernel, within [floor, ram_end). */
int bzimage_place(const struct bzimage *bz, uint64_t floor, uint64_t ram_end, uint64_t *addr)
	__attribute__((warn_unused_result));

int bzimage_load(struct guest_mem *m, int fd, const uint8_t *file, uint64_t size,
		 const char *path, struct kernel_image *k) __attribute__((warn_unused_result));

#endif
