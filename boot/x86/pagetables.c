#include "boot/x86/pagetables.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "src/x86/layout.h"

#define PTE_PRESENT  (1ULL << 0)
#define PTE_WRITE    (1ULL << 1)
#define PTE_HUGE     (1ULL << 7) /* PS: this PD entry maps a 2 MiB page */
#define ENTRIES      512
#define NUM_PD       4           /* 4 x 1 GiB */

int pagetables_write(struct guest_mem *m, uint64_t *cr3)
{
	uint64_t *pml4 = gmem_ptr(m, PML4_ADDR, 4096);
	uint64_t *pdpt = gmem_ptr(m, PDPT_ADDR, 4096);
	uint64_t *pd = gmem_ptr(m, PD_ADDR, 4096 * NUM_PD);

	if (!pml4 || !pdpt || !pd)
		return -ERANGE;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = PDPT_ADDR | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < NUM_PD; i++)
		pdpt[i] = (PD_ADDR + i * 4096) | PTE_PRESENT | PTE_WRITE;
	for (uint64_t i = 0; i < NUM_PD * ENTRIES; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_WRITE | PTE_HUGE;
	*cr3 = PML4_ADDR;
	return 0;
}
