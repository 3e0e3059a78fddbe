#include "src/guest_mem.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FOUR_GIB (1ULL << 32)

static void add_range(struct guest_mem *m, uint64_t gpa, uint64_t size, uint8_t *host)
{
	m->ranges[m->nranges++] = (struct gmem_range){ .gpa = gpa, .size = size, .host = host };
}

static void split_ranges(struct guest_mem *m, uint64_t hole_start)
{
	uint64_t low = m->size < hole_start ? m->size : hole_start;

	m->nranges = 0;
	add_range(m, 0, low, m->base);
	if (m->size > low)
		add_range(m, FOUR_GIB, m->size - low, m->base + low);
}

/* KVM maps guest memory with 2 MiB pages only where the host's mapping is
 * huge too, which needs the host address 2 MiB-aligned like the guest's:
 * an mmap is only page-aligned, so reserve 2 MiB more and trim. Without
 * it a Linux boot took 31000 nested page faults where QEMU, which aligns,
 * took 661 (make bench-e2e, on a host with transparent huge pages
 * "always"). Whether pages are huge stays the host's policy: forcing them
 * with MADV_HUGEPAGE where it is "madvise" doubled a tiny guest's run time
 * here (4.2 to 8.2 ms: zeroing 2 MiB at each first touch). */
#define HUGE_PAGE (2ULL << 20)

static void *map_aligned(uint64_t size)
{
	/* MAP_NORESERVE: a guest given 4G that touches 200M costs 200M. */
	uint8_t *p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	uint64_t head = (HUGE_PAGE - (uintptr_t)p % HUGE_PAGE) % HUGE_PAGE;
	if (head)
		munmap(p, head);
	munmap(p + head + size, HUGE_PAGE - head);
	return p + head;
}

int gmem_create(struct guest_mem *m, uint64_t size, uint64_t hole_start)
{
	void *p = map_aligned(size);

	if (!p)
		return -errno;
	m->base = p;
	m->size = size;
	m->owned = true;
	split_ranges(m, hole_start);
	return 0;
}

void gmem_wrap(struct guest_mem *m, void *buf, uint64_t size)
{
	m->base = buf;
	m->size = size;
	m->owned = false;
	split_ranges(m, FOUR_GIB);
}

void gmem_destroy(struct guest_mem *m)
{
	if (m->base && m->owned)
		munmap(m->base, m->size);
	m->base = NULL;
}

void *gmem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (unsigned i = 0; i < m->nranges; i++) {
		const struct gmem_range *r = &m->ranges[i];
		/* Written so that no sum can overflow. */
		if (gpa >= r->gpa && gpa - r->gpa < r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

uint64_t gmem_low_end(const struct guest_mem *m)
{
	return m->ranges[0].size;
}

static int read_fully(int fd, uint8_t *dst, uint64_t offset, uint64_t len)
{
	while (len) {
		ssize_t n = pread(fd, dst, len, (off_t)offset);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -ENODATA; /* file shorter than it said */
		dst += n;
		offset += (uint64_t)n;
		len -= (uint64_t)n;
	}
	return 0;
}

/* Read, not mapped: a private file mapping puts the image on 4 KiB page-cache
 * pages, which KVM maps into the guest one by one, on the guest's first
 * touch of each, and never as a huge page. The copy costs 5-7 ms for
 * Debian's 8 MB bzImage on the (slow-memory) build host; mapped, a boot of
 * the microrun.config kernel took 3724 nested page faults instead of 754
 * and some 300 ms longer in the e2e suite's outer VM (Debian's kernel:
 * 6947 against 885). */
int gmem_load_file(struct guest_mem *m, uint64_t gpa, int fd, uint64_t offset, uint64_t len)
{
	uint8_t *dst = gmem_ptr(m, gpa, len);

	return dst ? read_fully(fd, dst, offset, len) : -ERANGE;
}
