/* Guest RAM: one host mapping, seen by the guest as up to two ranges (below
 * the 32-bit MMIO hole and above 4 GiB). Every translation of a guest
 * address goes through gmem_ptr(), which refuses anything outside RAM. */
#ifndef MR_GUEST_MEM_H
#define MR_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gmem_range {
	uint64_t gpa;
	uint64_t size;
	uint8_t *host;
};

struct guest_mem {
	uint8_t *base;   /* host mapping of all RAM */
	uint64_t size;   /* bytes of RAM */
	struct gmem_range ranges[2];
	unsigned nranges;
	bool owned;      /* base was mapped by gmem_create, not gmem_wrap */
};

/* Lay out `size` bytes of RAM with everything from `hole_start` up to 4 GiB
 * left to devices; the part that would fall there moves above 4 GiB. */
int gmem_create(struct guest_mem *m, uint64_t size, uint64_t hole_start)
	__attribute__((warn_unused_result));
/* Guest memory for a unit test, backed by the caller's buffer. */
void gmem_wrap(struct guest_mem *m, void *buf, uint64_t size);
void gmem_destroy(struct guest_mem *m);

/* Host pointer for [gpa, gpa+len) if it lies wholly in one RAM range, else NULL. */
void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len);

/* End of the RAM range below the hole (the limit for 32-bit structures). */
uint64_t gmem_low_end(const struct guest_mem *m);

/* Put `len` bytes of file `fd` from `offset` at `gpa` (a copy: later
 * changes to the file do not show); -ENODATA when the file is shorter. */
int gmem_load_file(struct guest_mem *m, uint64_t gpa, int fd, uint64_t offset, uint64_t len)
	__attribute__((warn_unused_result));

#endif
