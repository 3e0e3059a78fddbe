/* The identity map the 64-bit boot protocol requires at entry. */
#ifndef MR_PAGETABLES_H
#define MR_PAGETABLES_H

#include "src/guest_mem.h"

/* Maps the first 4 GiB 1:1 with 2 MiB pages at PML4_ADDR; the kernel, its
 * zero page and command line all live there, and Linux replaces the map
 * with its own early on. Returns the value for CR3. */
int pagetables_write(struct guest_mem *m, uint64_t *cr3) __attribute__((warn_unused_result));

#endif
