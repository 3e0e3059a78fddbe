/* The kernel release ("6.1.0-57-amd64", what `uname -r` prints in the
 * guest) read from a kernel image, so that its modules can be found in
 * /lib/modules/RELEASE. Both readers take an image a loader has already
 * parsed and validated, and check every access against the file. */
#ifndef MR_KERNEL_VERSION_H
#define MR_KERNEL_VERSION_H

#include <asm/bootparam.h>
#include <stdbool.h>
#include <stdint.h>

#include "boot/elf.h"

/* utsname's release field: __NEW_UTS_LEN (64) and the NUL. */
#define KVER_MAX 65

/* bzImage: boot protocol 2.00+, the kernel_version field (at file offset
 * 0x20e) points, less 0x200, at a NUL-terminated string whose first word is
 * the release. -EINVAL if there is none or it is malformed. */
int kver_from_setup_header(const uint8_t *file, uint64_t size, const struct setup_header *hdr,
			   char release[KVER_MAX]) __attribute__((warn_unused_result));

/* ELF vmlinux: the release follows "Linux version " (the linux_banner of
 * init/version.c) in a loaded segment. -EINVAL if no segment holds one. */
int kver_from_elf(const uint8_t *file, uint64_t size, const struct elf_kernel *k,
		  char release[KVER_MAX]) __attribute__((warn_unused_result));

/* A release usable as one path component: 1-64 printable characters, no
 * space or '/', not "." or "..". */
bool kver_valid(const char *s, size_t len);

#endif
