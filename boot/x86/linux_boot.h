/* Direct boot of a Linux kernel in 64-bit mode: everything that goes into
 * guest memory before the first instruction, one call per piece. */
#ifndef MR_LINUX_BOOT_H
#define MR_LINUX_BOOT_H

#include <stdint.h>

#include "boot/kernel_image.h"
#include "boot/x86/zeropage.h"
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
 * without loading it; -ENODATA, not reported, if it is a kernel that names
 * none; other errors (no such file, not a kernel) are reported. */
int linux_kernel_release(const char *path, char release[KVER_MAX]) __attribute__((warn_unused_result));

/* What linux_boot_load() put into guest memory. */
struct linux_image {
	struct kernel_image kernel;
	struct ramdisk initrd;      /* size 0: none */
};

/* The slow part of a boot, which needs nothing of the VM's but its
 * memory: the kernel (a->kernel_path) and the initrd (a->initrd_path, or
 * the one a->initrd_source writes) into guest memory. Errors reported. */
int linux_boot_load(struct guest_mem *m, const struct linux_boot_args *a, struct linux_image *img)
	__attribute__((warn_unused_result));

/* The rest, once the command line is known: the command line, the zero
 * page, the GDT, the page tables and the MP table; where to enter. */
int linux_boot_finish(struct guest_mem *m, const struct linux_boot_args *a,
		      const struct linux_image *img, struct boot_entry *e)
	__attribute__((warn_unused_result));

#endif
