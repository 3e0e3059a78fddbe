/* What a kernel loader leaves behind for the boot protocol: where the
 * kernel sits in guest memory, where to enter it, and the setup header the
 * zero page is built from. */
#ifndef MR_KERNEL_IMAGE_H
#define MR_KERNEL_IMAGE_H

#include <asm/bootparam.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/kernel_version.h"

struct kernel_image {
	uint64_t load_addr;         /* lowest guest address the kernel uses */
	uint64_t end;               /* first address past what it needs to boot */
	uint64_t entry;             /* 64-bit entry point */
	struct setup_header hdr;    /* from the bzImage, or made up for an ELF */
	size_t hdr_len;             /* bytes of hdr the image provided */
	uint32_t cmdline_max;       /* longest command line it accepts, without NUL */
	char release[KVER_MAX];     /* "6.1.0-57-amd64"; empty if the image names none */
};

/* An initrd made in guest memory rather than read from a file (the
 * initramfs microrun builds to run a program): its size first, then its
 * bytes, written straight to where it is placed. */
struct initrd_source {
	int (*size)(void *ctx, uint64_t *size);
	int (*write)(void *ctx, uint8_t *dst, uint64_t size);
	void *ctx;
};

#endif
