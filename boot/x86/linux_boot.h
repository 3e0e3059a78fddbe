/* Direct boot of a Linux kernel in 64-bit mode: everything that goes into
 * guest memory before the first instruction, one call per piece. */
#ifndef MR_LINUX_BOOT_H
#define MR_LINUX_BOOT_H

#include <stdint.h>

#include "boot/kernel_image.h"
#include "src/guest_mem.h"

struct linux_boot_args {
	const char *kernel_path;
	const char *initrd_path;  /* NULL: none */
	const struct initrd_source *initrd_source;  /* instead of initrd_path; NULL: none */
	const char *cmdline;
	unsigned ncpus;
	uint64_t acpi_rsdp;       /* where the ACPI RSDP is, or 0 */
};

struct boot_entry {
	uint64_t rip, rsi, cr3;
};

/* Where an initrd of `size` bytes goes: page-aligned, as high as RAM below
 * `ram_end` and the kernel's initrd_addr_max allow, clear of the kernel. */
int initrd_place(uint64_t size, uint64_t ram_end, const struct kernel_image *k, uint64_t *addr)
	__attribute__((warn_unused_result));

/* The release the kernel image at `path` names ("6.1.0-57-amd64"), read
 * without loading it: -ENODATA, unreported, if it is an image microrun
 * can boot that names none; other errors (no such file, not a kernel)
 * are reported. */
int linux_kernel_release(const char *path, char release[KVER_MAX]) __attribute__((warn_unused_result));

int linux_boot_setup(struct guest_mem *m, const struct linux_boot_args *a, struct boot_entry *e)
	__attribute__((warn_unused_result));

#endif
