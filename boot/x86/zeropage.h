/* The zero page (struct boot_params) and the command line it points to. */
#ifndef MR_ZEROPAGE_H
#define MR_ZEROPAGE_H

#include "boot/kernel_image.h"
#include "src/guest_mem.h"

#define LOADER_TYPE_UNDEFINED 0xff /* boot.rst: no assigned loader ID */

struct ramdisk {
	uint64_t addr, size; /* size 0: none */
};

/* Copies `cmdline` to CMDLINE_ADDR; fails if longer than the kernel takes. */
int cmdline_write(struct guest_mem *m, const struct kernel_image *k, const char *cmdline)
	__attribute__((warn_unused_result));

/* Builds the zero page at ZERO_PAGE_ADDR: the kernel's setup header, the
 * loader's fields, the initrd, the ACPI RSDP's address (0: none; the
 * kernel then scans for it) and the e820 map. */
int zeropage_write(struct guest_mem *m, const struct kernel_image *k, const struct ramdisk *rd,
		   uint64_t acpi_rsdp) __attribute__((warn_unused_result));

#endif
