#include "boot/x86/zeropage.h"

#include <errno.h>
#include <string.h>

#include "boot/x86/e820.h"
#include "src/log.h"
#include "src/x86/layout.h"

int cmdline_write(struct guest_mem *m, const struct kernel_image *k, const char *cmdline)
{
	size_t len = strlen(cmdline);
	uint64_t max = k->cmdline_max < CMDLINE_MAX - 1 ? k->cmdline_max : CMDLINE_MAX - 1;
	char *dst = gmem_ptr(m, CMDLINE_ADDR, CMDLINE_MAX);

	if (!dst)
		return -ERANGE;
	if (len > max) {
		mr_err("kernel command line is %zu bytes; this kernel accepts at most %llu "
		       "(cmdline_size in its setup header)", len, (unsigned long long)max);
		return -E2BIG;
	}
	memcpy(dst, cmdline, len + 1);
	return 0;
}

static void set_loader_fields(struct boot_params *bp, const struct ramdisk *rd)
{
	bp->hdr.type_of_loader = LOADER_TYPE_UNDEFINED;
	bp->hdr.cmd_line_ptr = (uint32_t)CMDLINE_ADDR;
	bp->ext_cmd_line_ptr = (uint32_t)(CMDLINE_ADDR >> 32);
	bp->hdr.ramdisk_image = (uint32_t)rd->addr;
	bp->ext_ramdisk_image = (uint32_t)(rd->addr >> 32);
	bp->hdr.ramdisk_size = (uint32_t)rd->size;
	bp->ext_ramdisk_size = (uint32_t)(rd->size >> 32);
}

int zeropage_write(struct guest_mem *m, const struct kernel_image *k, const struct ramdisk *rd,
		   uint64_t acpi_rsdp)
{
	struct boot_params *bp = gmem_ptr(m, ZERO_PAGE_ADDR, sizeof(*bp));

	if (!bp)
		return -ERANGE;
	memset(bp, 0, sizeof(*bp));
	memcpy(&bp->hdr, &k->hdr, k->hdr_len);
	set_loader_fields(bp, rd);
	bp->acpi_rsdp_addr = acpi_rsdp;
	bp->e820_entries = (uint8_t)e820_build(m, bp->e820_table);
	e820_report(bp->e820_table, bp->e820_entries);
	return 0;
}
