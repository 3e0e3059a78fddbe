/* Unit tests for guest RAM: the one translation every guest address goes
 * through, the split around the 32-bit MMIO hole, and loading files by
 * mapping (page-aligned) or reading (anything else). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "src/guest_mem.h"
#include "src/x86/layout.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"


#define KIB (1ULL << 10)
#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define FOUR_GIB (4 * GIB)
#define WRAP_SIZE (64 * KIB)

static uint8_t wrap_buf[WRAP_SIZE];
static struct guest_mem wrapped; /* over wrap_buf: never destroyed */
static struct guest_mem mem;     /* from gmem_create; destroyed after each test */
static int file_fd = -1;
static uint64_t page;

static void setup(void)
{
	memset(&mem, 0, sizeof(mem));
	file_fd = -1;
	page = (uint64_t)sysconf(_SC_PAGESIZE);
}

static void teardown(void)
{
	gmem_destroy(&mem);
	if (file_fd >= 0)
		close(file_fd);
}

static const struct guest_mem *wrap(void)
{
	gmem_wrap(&wrapped, wrap_buf, WRAP_SIZE);
	ck_assert_uint_eq(wrapped.nranges, 1);
	return &wrapped;
}

static void create(uint64_t size, uint64_t hole_start)
{
	ck_assert_int_eq(gmem_create(&mem, size, hole_start), 0);
}

/* Never zero, and different in every page, so stray bytes show. */
static uint8_t file_byte(uint64_t offset)
{
	return (uint8_t)(offset % 251 + 1);
}

/* An unlinked temporary file of `size` bytes of file_byte(). */
static void make_file(uint64_t size)
{
	uint8_t *data = malloc(size);

	ck_assert_ptr_nonnull(data);
	for (uint64_t i = 0; i < size; i++)
		data[i] = file_byte(i);
	file_fd = test_file_with(data, size);
	free(data);
}

static int load(uint64_t gpa, uint64_t offset, uint64_t len)
{
	return gmem_load_file(&mem, gpa, file_fd, offset, len);
}

/* [gpa, gpa+len) holds the file from `offset`; the rest of the last page
 * and the byte before `gpa` are still zero. */
static void assert_loaded(uint64_t gpa, uint64_t offset, uint64_t len)
{
	uint64_t page_end = (gpa + len + page - 1) & ~(page - 1);
	const uint8_t *p = gmem_ptr(&mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	for (uint64_t i = 0; i < len; i++)
		ck_assert_msg(p[i] == file_byte(offset + i), "byte %llu: 0x%02x, want 0x%02x",
			      (unsigned long long)i, p[i], file_byte(offset + i));
	for (uint64_t i = len; i < page_end - gpa; i++)
		ck_assert_msg(p[i] == 0, "byte %llu after the load is 0x%02x",
			      (unsigned long long)(i - len), p[i]);
	if (gpa)
		ck_assert_uint_eq(p[-1], 0);
}

START_TEST(test_ptr_accepts_whole_ram)
{
	const struct guest_mem *m = wrap();

	ck_assert_ptr_eq(gmem_ptr(m, 0, WRAP_SIZE), wrap_buf);
	ck_assert_ptr_eq(gmem_ptr(m, 0, 0), wrap_buf);
	ck_assert_ptr_eq(gmem_ptr(m, 0x100, 0x10), wrap_buf + 0x100);
	ck_assert_ptr_eq(gmem_ptr(m, WRAP_SIZE - 1, 1), wrap_buf + WRAP_SIZE - 1);
	ck_assert_ptr_eq(gmem_ptr(m, WRAP_SIZE - 8, 8), wrap_buf + WRAP_SIZE - 8);
	ck_assert_uint_eq(gmem_low_end(m), WRAP_SIZE);
}
END_TEST

START_TEST(test_ptr_refuses_one_byte_past_end)
{
	const struct guest_mem *m = wrap();

	ck_assert_ptr_null(gmem_ptr(m, WRAP_SIZE, 1));
	ck_assert_ptr_null(gmem_ptr(m, WRAP_SIZE - 1, 2));
	ck_assert_ptr_null(gmem_ptr(m, WRAP_SIZE - 8, 9));
	ck_assert_ptr_null(gmem_ptr(m, 0, WRAP_SIZE + 1));
}
END_TEST

START_TEST(test_ptr_refuses_len_zero_at_end)
{
	const struct guest_mem *m = wrap();

	ck_assert_ptr_null(gmem_ptr(m, WRAP_SIZE + 1, 0));
	ck_assert_ptr_null(gmem_ptr(m, WRAP_SIZE, 0));
}
END_TEST

START_TEST(test_ptr_refuses_overflowing_values)
{
	const struct guest_mem *m = wrap();

	ck_assert_ptr_null(gmem_ptr(m, UINT64_MAX, 1));
	ck_assert_ptr_null(gmem_ptr(m, UINT64_MAX, 0));
	ck_assert_ptr_null(gmem_ptr(m, UINT64_MAX - 0xf, 0x20));
	ck_assert_ptr_null(gmem_ptr(m, 0, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(m, 1, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(m, 0x100, UINT64_MAX - 0x80)); /* sum wraps to 0x7f */
}
END_TEST

START_TEST(test_create_below_hole_is_one_range)
{
	create(64 * MIB, MMIO_HOLE_START);
	ck_assert_uint_eq(mem.nranges, 1);
	ck_assert_uint_eq(mem.ranges[0].gpa, 0);
	ck_assert_uint_eq(mem.ranges[0].size, 64 * MIB);
	ck_assert_ptr_eq(mem.ranges[0].host, mem.base);
	ck_assert_uint_eq(gmem_low_end(&mem), 64 * MIB);
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB, 1));
}
END_TEST

/* Host and guest addresses congruent mod 2 MiB, so KVM can use huge pages;
 * and the whole reservation writable, the trimmed slop not. */
START_TEST(test_create_is_huge_page_aligned)
{
	for (int i = 0; i < 8; i++) {
		void *nudge = mmap(NULL, 4096 * (i + 1), PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		create(34 * MIB, MMIO_HOLE_START);
		ck_assert_uint_eq((uintptr_t)mem.base % (2 * MIB), 0);
		memset(mem.base, 0xa5, 34 * MIB);
		ck_assert_int_eq(mincore(mem.base + 34 * MIB, 4096, (unsigned char[1]){ 0 }), -1);
		gmem_destroy(&mem);
		munmap(nudge, 4096 * (i + 1));
	}
}
END_TEST

START_TEST(test_create_exactly_hole_size_is_one_range)
{
	create(64 * MIB, 64 * MIB);
	ck_assert_uint_eq(mem.nranges, 1);
	ck_assert_uint_eq(gmem_low_end(&mem), 64 * MIB);
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB, 1));
}
END_TEST

START_TEST(test_create_above_hole_splits)
{
	create(MMIO_HOLE_START + GIB, MMIO_HOLE_START);
	ck_assert_uint_eq(mem.size, MMIO_HOLE_START + GIB);
	ck_assert_uint_eq(mem.nranges, 2);
	ck_assert_uint_eq(mem.ranges[0].gpa, 0);
	ck_assert_uint_eq(mem.ranges[0].size, MMIO_HOLE_START);
	ck_assert_ptr_eq(mem.ranges[0].host, mem.base);
	ck_assert_uint_eq(mem.ranges[1].gpa, FOUR_GIB);
	ck_assert_uint_eq(mem.ranges[1].size, GIB);
	ck_assert_ptr_eq(mem.ranges[1].host, mem.base + MMIO_HOLE_START);
	ck_assert_uint_eq(gmem_low_end(&mem), MMIO_HOLE_START);
}
END_TEST

START_TEST(test_ptr_on_split_ram)
{
	create(MMIO_HOLE_START + GIB, MMIO_HOLE_START);
	ck_assert_ptr_eq(gmem_ptr(&mem, MMIO_HOLE_START - 1, 1), mem.base + MMIO_HOLE_START - 1);
	ck_assert_ptr_eq(gmem_ptr(&mem, FOUR_GIB, 1), mem.base + MMIO_HOLE_START);
	ck_assert_ptr_eq(gmem_ptr(&mem, FOUR_GIB + GIB - 4, 4), mem.base + MMIO_HOLE_START + GIB - 4);
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB + GIB, 1));
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB + GIB - 4, 5));
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB, UINT64_MAX));
	ck_assert_ptr_null(gmem_ptr(&mem, UINT64_MAX - 0xf, 0x20));
}
END_TEST

START_TEST(test_ptr_refuses_hole)
{
	create(MMIO_HOLE_START + GIB, MMIO_HOLE_START);
	ck_assert_ptr_null(gmem_ptr(&mem, MMIO_HOLE_START, 1));
	ck_assert_ptr_null(gmem_ptr(&mem, 0xfee00000, 4)); /* local APIC */
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB - 1, 1));
	ck_assert_ptr_null(gmem_ptr(&mem, MMIO_HOLE_START - 1, 2)); /* into the hole */
	ck_assert_ptr_null(gmem_ptr(&mem, FOUR_GIB - 1, 2));        /* out of it */
	ck_assert_ptr_null(gmem_ptr(&mem, 0, MMIO_HOLE_START + 1));
}
END_TEST

START_TEST(test_created_ram_is_zero_and_writable)
{
	create(MMIO_HOLE_START + GIB, MMIO_HOLE_START);
	uint8_t *high = gmem_ptr(&mem, FOUR_GIB + 0x1234, 1);

	ck_assert_ptr_nonnull(high);
	ck_assert_uint_eq(*high, 0);
	*high = 0xab;
	ck_assert_uint_eq(mem.base[MMIO_HOLE_START + 0x1234], 0xab);
}
END_TEST

START_TEST(test_load_aligned_reads)
{
	make_file(8 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(4 * page, page, 3 * page + 100), 0);
	assert_loaded(4 * page, page, 3 * page + 100);
}
END_TEST

START_TEST(test_load_aligned_whole_pages)
{
	make_file(8 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(4 * page, 2 * page, 2 * page), 0);
	assert_loaded(4 * page, 2 * page, 2 * page);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, 6 * page, 1), 0);
}
END_TEST

START_TEST(test_load_aligned_up_to_end_of_file)
{
	make_file(3 * page + 100);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(0, 0, 3 * page + 100), 0);
	assert_loaded(0, 0, 3 * page + 100);
}
END_TEST

/* The guest's stores never reach the file. */
START_TEST(test_load_writes_stay_private)
{
	uint8_t byte;

	make_file(4 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(page, page, 2 * page), 0);
	memset(gmem_ptr(&mem, page, 2 * page), 0xee, 2 * page);
	ck_assert_int_eq(pread(file_fd, &byte, 1, page + 5), 1);
	ck_assert_uint_eq(byte, file_byte(page + 5));
}
END_TEST

/* Copied, even where the pages line up (guest RAM stays anonymous memory,
 * which KVM can map with huge pages): later changes to the file do not
 * show. */
START_TEST(test_load_aligned_copies)
{
	uint8_t byte = 0xc3;

	make_file(4 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(page, page, 2 * page), 0);
	ck_assert_int_eq(pwrite(file_fd, &byte, 1, page + 9), 1);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, page + 9, 1), file_byte(page + 9));
}
END_TEST

START_TEST(test_load_unaligned_copies)
{
	uint8_t byte = 0xc3;

	make_file(4 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(page + 1, page, 2 * page), 0);
	ck_assert_int_eq(pwrite(file_fd, &byte, 1, page + 9), 1);
	ck_assert_uint_eq(*(uint8_t *)gmem_ptr(&mem, page + 10, 1), file_byte(page + 9));
}
END_TEST

START_TEST(test_load_unaligned_gpa_reads)
{
	make_file(8 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(4 * page + 1, page, 3 * page + 100), 0);
	assert_loaded(4 * page + 1, page, 3 * page + 100);
}
END_TEST

START_TEST(test_load_unaligned_offset_reads)
{
	make_file(8 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(4 * page, page + 3, 2 * page), 0);
	assert_loaded(4 * page, page + 3, 2 * page);
}
END_TEST

START_TEST(test_load_above_hole)
{
	make_file(4 * page);
	create(2 * MIB, MIB); /* [0, 1M) and [4G, 4G+1M) */
	ck_assert_int_eq(load(FOUR_GIB + page, 0, 2 * page + 7), 0);
	assert_loaded(FOUR_GIB + page, 0, 2 * page + 7);
	ck_assert_uint_eq(mem.base[MIB + page], file_byte(0));
}
END_TEST

START_TEST(test_load_outside_ram_fails)
{
	make_file(4 * page);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(MIB - page, 0, 2 * page), -ERANGE);
	ck_assert_int_eq(load(MIB - 1, 1, 2), -ERANGE);
}
END_TEST

START_TEST(test_load_short_file_fails)
{
	make_file(page + 10);
	create(MIB, MMIO_HOLE_START);
	ck_assert_int_eq(load(page + 1, 0, 2 * page), -ENODATA);
	ck_assert_int_eq(load(page, 5, 2 * page), -ENODATA);
	ck_assert_int_eq(load(page, 0, 3 * page), -ENODATA);
	ck_assert_int_eq(load(page, 2 * page, 1), -ENODATA);
}
END_TEST

Suite *guest_mem_suite(void)
{
	Suite *s = suite_create("guest_mem");
	TCase *tc = tcase_create("ptr");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_ptr_accepts_whole_ram);
	tcase_add_test(tc, test_ptr_refuses_one_byte_past_end);
	tcase_add_test(tc, test_ptr_refuses_len_zero_at_end);
	tcase_add_test(tc, test_ptr_refuses_overflowing_values);
	suite_add_tcase(s, tc);

	tc = tcase_create("layout");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_create_below_hole_is_one_range);
	tcase_add_test(tc, test_create_is_huge_page_aligned);
	tcase_add_test(tc, test_create_exactly_hole_size_is_one_range);
	tcase_add_test(tc, test_create_above_hole_splits);
	tcase_add_test(tc, test_ptr_on_split_ram);
	tcase_add_test(tc, test_ptr_refuses_hole);
	tcase_add_test(tc, test_created_ram_is_zero_and_writable);
	suite_add_tcase(s, tc);

	tc = tcase_create("load_file");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_load_aligned_reads);
	tcase_add_test(tc, test_load_aligned_whole_pages);
	tcase_add_test(tc, test_load_aligned_up_to_end_of_file);
	tcase_add_test(tc, test_load_writes_stay_private);
	tcase_add_test(tc, test_load_aligned_copies);
	tcase_add_test(tc, test_load_unaligned_copies);
	tcase_add_test(tc, test_load_unaligned_gpa_reads);
	tcase_add_test(tc, test_load_unaligned_offset_reads);
	tcase_add_test(tc, test_load_above_hole);
	tcase_add_test(tc, test_load_outside_ram_fails);
	tcase_add_test(tc, test_load_short_file_fails);
	suite_add_tcase(s, tc);
	return s;
}
