#include "src/guest_mem.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define FOUR_GIB (1ULL << 32)

static uint64_t page_size(void)
{
	return (uint64_t)sysconf(_SC_PAGESIZE);
}

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

int gmem_create(struct guest_mem *m, uint64_t size, uint64_t hole_start)
{
	/* MAP_NORESERVE: a guest given 4G that touches 200M costs 200M. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
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

/* Maps whole pages of the file over guest RAM and reads the tail that does
 * not fill a page, so nothing beyond `len` shows file bytes. */
static int map_pages(uint8_t *dst, int fd, uint64_t offset, uint64_t len)
{
	uint64_t whole = len & ~(page_size() - 1);

	if (whole && mmap(dst, whole, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED,
			  fd, (off_t)offset) == MAP_FAILED)
		return -errno;
	return read_fully(fd, dst + whole, offset + whole, len - whole);
}

/* A mapping past the end of the file would only fail when touched. */
static int check_file_covers(int fd, uint64_t offset, uint64_t len)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -errno;
	if ((uint64_t)st.st_size < offset || (uint64_t)st.st_size - offset < len)
		return -ENODATA;
	return 0;
}

int gmem_load_file(struct guest_mem *m, uint64_t gpa, int fd, uint64_t offset, uint64_t len)
{
	uint8_t *dst = gmem_ptr(m, gpa, len);
	uint64_t mask = page_size() - 1;
	bool mappable = ((uintptr_t)dst & mask) == 0 && (offset & mask) == 0;

	if (!dst)
		return -ERANGE;
	int r = check_file_covers(fd, offset, len);
	if (r)
		return r;
	return mappable ? map_pages(dst, fd, offset, len) : read_fully(fd, dst, offset, len);
}
