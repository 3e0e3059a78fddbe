#include "boot/x86/e820.h"

#include "src/log.h"
#include "src/x86/layout.h"

static unsigned add(struct boot_e820_entry *map, unsigned n, uint64_t addr, uint64_t size, uint32_t type)
{
	map[n] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	return n + 1;
}

/* Base memory ends below the MP table, which stays reserved so the kernel
 * never reuses it; 640K-1M is the legacy VGA/BIOS hole, whose top 128K hold
 * the ACPI tables (reserved, where a BIOS would keep them); RAM resumes at
 * 1 MiB. */
unsigned e820_build(const struct guest_mem *m, struct boot_e820_entry *map)
{
	unsigned n = 0;

	n = add(map, n, 0, MPTABLE_ADDR, E820_TYPE_RAM);
	n = add(map, n, MPTABLE_ADDR, BASE_MEM_END - MPTABLE_ADDR, E820_TYPE_RESERVED);
	n = add(map, n, ACPI_TABLES_ADDR, ACPI_TABLES_SIZE, E820_TYPE_RESERVED);
	n = add(map, n, HIGH_MEM_START, m->ranges[0].size - HIGH_MEM_START, E820_TYPE_RAM);
	for (unsigned i = 1; i < m->nranges; i++)
		n = add(map, n, m->ranges[i].gpa, m->ranges[i].size, E820_TYPE_RAM);
	return n;
}

void e820_report(const struct boot_e820_entry *map, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		mr_info("e820: [mem 0x%016llx-0x%016llx] %s",
			(unsigned long long)map[i].addr,
			(unsigned long long)(map[i].addr + map[i].size - 1),
			map[i].type == E820_TYPE_RAM ? "usable" : "reserved");
}
