/* The BIOS-style memory map Linux reads from the zero page. */
#ifndef MR_E820_H
#define MR_E820_H

#include <asm/bootparam.h>

#include "src/guest_mem.h"

#define E820_TYPE_RAM      1
#define E820_TYPE_RESERVED 2

/* Fills `map` with the guest's RAM ranges and returns the entry count (at
 * most E820_MAX_ENTRIES_ZEROPAGE; the machine never needs more than four). */
unsigned e820_build(const struct guest_mem *m, struct boot_e820_entry *map);

/* With -v, prints the map as Linux prints it ("BIOS-e820: [mem ...]"). */
void e820_report(const struct boot_e820_entry *map, unsigned n);

#endif
