/* Zero page, command line, e820 map and initrd placement: what the kernel
 * finds in guest memory, read back through gmem_ptr and checked against
 * Documentation/arch/x86/boot.rst and the machine's memory layout. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "boot/x86/e820.h"
#include "boot/x86/linux_boot.h"
#include "boot/x86/zeropage.h"
#include "src/x86/layout.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define BUF_SIZE    (64ULL << 20)
#define MIB         (1ULL << 20)
#define GIB         (1ULL << 30)
#define FILL        0xee
#define HDR_OFFSET  0x1f1
#define CMDLINE_LEN 100

static uint8_t *buf;
static struct guest_mem mem;

static struct guest_mem backing; /* owns buf; `mem` is a view use_ram() may reshape */

static void mem_setup(void)
{
	ck_assert_int_eq(gmem_create(&backing, BUF_SIZE, MMIO_HOLE_START), 0);
	buf = backing.base;
	memset(buf, FILL, HIGH_MEM_START);
	gmem_wrap(&mem, buf, BUF_SIZE);
}

static void mem_teardown(void)
{
	gmem_destroy(&backing);
}

/* RAM laid out as the machine lays it out (below MMIO_HOLE_START, the rest
 * from 4 GiB), both ranges backed by buf: only the zero page is touched. */
static void use_ram(uint64_t size)
{
	uint64_t low = size < MMIO_HOLE_START ? size : MMIO_HOLE_START;

	mem = (struct guest_mem){ .base = buf, .size = size, .nranges = 1 };
	mem.ranges[0] = (struct gmem_range){ .gpa = 0, .size = low, .host = buf };
	if (size > low)
		mem.ranges[mem.nranges++] = (struct gmem_range){
			.gpa = MMIO_HOLE_END, .size = size - low, .host = buf,
		};
}

static const uint8_t *guest(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gmem_ptr(&mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

static const struct boot_params *zero_page(void)
{
	return (const struct boot_params *)guest(ZERO_PAGE_ADDR, sizeof(struct boot_params));
}

/* A kernel whose every setup header byte is non-zero, so that whatever is
 * copied shows. */
static struct kernel_image kernel(size_t hdr_len, uint32_t cmdline_max)
{
	struct kernel_image k = { .hdr_len = hdr_len, .cmdline_max = cmdline_max };
	uint8_t *h = (uint8_t *)&k.hdr;

	for (size_t i = 0; i < sizeof(k.hdr); i++)
		h[i] = (uint8_t)(i * 3 + 1) | 1;
	return k;
}

/* --- command line --- */

/* Writes a command line of `len` 'x's for a kernel taking `max`. */
static int write_cmdline(size_t len, uint32_t max)
{
	struct kernel_image k = kernel(sizeof(k.hdr), max);
	char *s = malloc(len + 1);

	ck_assert_ptr_nonnull(s);
	memset(s, 'x', len);
	s[len] = 0;
	int r = cmdline_write(&mem, &k, s);
	free(s);
	return r;
}

START_TEST(cmdline_copied_with_nul)
{
	static const char line[] = "console=ttyS0 root=/dev/vda quiet";
	struct kernel_image k = kernel(sizeof(k.hdr), 2047);

	ck_assert_int_eq(cmdline_write(&mem, &k, line), 0);
	ck_assert_mem_eq(guest(CMDLINE_ADDR, sizeof(line)), line, sizeof(line));
}
END_TEST

START_TEST(cmdline_of_exactly_cmdline_max_accepted)
{
	ck_assert_int_eq(write_cmdline(CMDLINE_LEN, CMDLINE_LEN), 0);
	ck_assert(test_all_bytes(guest(CMDLINE_ADDR, CMDLINE_LEN), CMDLINE_LEN, 'x'));
	ck_assert_uint_eq(guest(CMDLINE_ADDR, CMDLINE_LEN + 1)[CMDLINE_LEN], 0);
}
END_TEST

START_TEST(cmdline_one_byte_too_long_rejected)
{
	ck_assert_int_eq(write_cmdline(CMDLINE_LEN + 1, CMDLINE_LEN), -E2BIG);
	ck_assert(test_all_bytes(guest(CMDLINE_ADDR, CMDLINE_LEN + 2), CMDLINE_LEN + 2, FILL));
}
END_TEST

/* A kernel taking more than the room reserved at CMDLINE_ADDR gets the room. */
START_TEST(cmdline_capped_by_reserved_room)
{
	ck_assert_int_eq(write_cmdline(CMDLINE_MAX, UINT32_MAX), -E2BIG);
	ck_assert_int_eq(write_cmdline(CMDLINE_MAX - 1, UINT32_MAX), 0);
}
END_TEST

/* --- zero page --- */

static const struct boot_params *write_zero_page(const struct kernel_image *k,
						 const struct ramdisk *rd)
{
	ck_assert_int_eq(zeropage_write(&mem, k, rd, 0xe0000), 0);
	return zero_page();
}

/* A 2.14-style header ending just before kernel_alignment (0x230), so that
 * every loader field lies inside it. */
START_TEST(header_copied_up_to_hdr_len_only)
{
	static const size_t hdr_len = 0x230 - HDR_OFFSET;
	struct kernel_image k = kernel(hdr_len, 2047);
	struct ramdisk rd = { .addr = 0x7000000, .size = 0x123456 };
	struct setup_header want = { 0 };

	memcpy(&want, &k.hdr, hdr_len);
	want.type_of_loader = LOADER_TYPE_UNDEFINED;
	want.cmd_line_ptr = CMDLINE_ADDR;
	want.ramdisk_image = 0x7000000;
	want.ramdisk_size = 0x123456;
	ck_assert_mem_eq(&write_zero_page(&k, &rd)->hdr, &want, sizeof(want));
}
END_TEST

START_TEST(loader_fields_set)
{
	struct kernel_image k = kernel(sizeof(k.hdr), 2047);
	struct ramdisk rd = { .addr = 0x7000000, .size = 0x123456 };
	const struct boot_params *bp = write_zero_page(&k, &rd);

	ck_assert_uint_eq(bp->hdr.type_of_loader, 0xff);
	ck_assert_uint_eq(bp->hdr.cmd_line_ptr, CMDLINE_ADDR);
	ck_assert_uint_eq(bp->ext_cmd_line_ptr, 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0x7000000);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 0x123456);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0);
	ck_assert_uint_eq(bp->hdr.kernel_alignment, k.hdr.kernel_alignment);
	ck_assert_uint_eq(bp->acpi_rsdp_addr, 0xe0000);
}
END_TEST

START_TEST(ramdisk_above_4g_split)
{
	struct kernel_image k = kernel(sizeof(k.hdr), 2047);
	struct ramdisk rd = { .addr = 0x123456000ULL, .size = 0x100000010ULL };
	const struct boot_params *bp = write_zero_page(&k, &rd);

	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0x23456000);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0x1);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 0x10);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0x1);
}
END_TEST

START_TEST(no_ramdisk_leaves_fields_zero)
{
	struct kernel_image k = kernel(sizeof(k.hdr), 2047);
	struct ramdisk rd = { 0 };
	const struct boot_params *bp = write_zero_page(&k, &rd);

	ck_assert_uint_eq(bp->hdr.ramdisk_image, 0);
	ck_assert_uint_eq(bp->hdr.ramdisk_size, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_image, 0);
	ck_assert_uint_eq(bp->ext_ramdisk_size, 0);
}
END_TEST

/* Whatever was in memory before, the kernel finds zeros outside the header,
 * the RSDP address, the e820 count and the e820 entries; in particular the
 * sentinel. */
START_TEST(rest_of_zero_page_cleared)
{
	struct kernel_image k = kernel(sizeof(k.hdr), 2047);
	struct ramdisk rd = { 0 };
	const struct boot_params *bp = write_zero_page(&k, &rd);
	const uint8_t *p = (const uint8_t *)bp;
	size_t count = offsetof(struct boot_params, e820_entries);
	size_t rsdp = offsetof(struct boot_params, acpi_rsdp_addr);
	size_t hdr_end = offsetof(struct boot_params, hdr) + sizeof(bp->hdr);
	size_t map = offsetof(struct boot_params, e820_table);
	size_t map_end = map + bp->e820_entries * sizeof(struct boot_e820_entry);

	ck_assert_uint_eq(bp->sentinel, 0);
	ck_assert(test_all_bytes(p, rsdp, 0));
	ck_assert(test_all_bytes(p + rsdp + 8, count - rsdp - 8, 0));
	ck_assert(test_all_bytes(p + count + 1, HDR_OFFSET - count - 1, 0));
	ck_assert(test_all_bytes(p + hdr_end, map - hdr_end, 0));
	ck_assert(test_all_bytes(p + map_end, sizeof(*bp) - map_end, 0));
}
END_TEST

/* --- e820 --- */

#define RAM  E820_TYPE_RAM
#define RSVD E820_TYPE_RESERVED

static const struct {
	uint64_t ram;
	unsigned n;
	struct boot_e820_entry e[5];
} e820_cases[] = {
	{ 256 * MIB, 4, {
		{ 0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RSVD },
		{ 0xe0000, 0x20000, RSVD },
		{ 0x100000, 256 * MIB - 0x100000, RAM },
	} },
	{ 3 * GIB, 4, {
		{ 0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RSVD },
		{ 0xe0000, 0x20000, RSVD },
		{ 0x100000, 3 * GIB - 0x100000, RAM },
	} },
	{ 3 * GIB + 2 * MIB, 5, {
		{ 0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RSVD },
		{ 0xe0000, 0x20000, RSVD },
		{ 0x100000, 3 * GIB - 0x100000, RAM },
		{ 4 * GIB, 2 * MIB, RAM },
	} },
	{ 8 * GIB, 5, {
		{ 0, 0x9fc00, RAM },
		{ 0x9fc00, 0x400, RSVD },
		{ 0xe0000, 0x20000, RSVD },
		{ 0x100000, 3 * GIB - 0x100000, RAM },
		{ 4 * GIB, 5 * GIB, RAM },
	} },
};

START_TEST(e820_matches_machine_layout)
{
	struct kernel_image k = kernel(sizeof(k.hdr), 2047);
	struct ramdisk rd = { 0 };

	use_ram(e820_cases[_i].ram);
	const struct boot_params *bp = write_zero_page(&k, &rd);

	ck_assert_uint_eq(bp->e820_entries, e820_cases[_i].n);
	for (unsigned i = 0; i < e820_cases[_i].n; i++) {
		ck_assert_uint_eq(bp->e820_table[i].addr, e820_cases[_i].e[i].addr);
		ck_assert_uint_eq(bp->e820_table[i].size, e820_cases[_i].e[i].size);
		ck_assert_uint_eq(bp->e820_table[i].type, e820_cases[_i].e[i].type);
	}
}
END_TEST

/* --- initrd placement --- */

#define KERNEL_LOAD (16 * MIB)
#define KERNEL_END  (32 * MIB)
#define INITRD_MAX  0x7fffffffU
#define NO_ADDR     0xdeadbeefULL

static int place_initrd(uint64_t size, uint64_t ram_end, uint32_t addr_max, uint64_t *addr)
{
	struct kernel_image k = { .load_addr = KERNEL_LOAD, .end = KERNEL_END };

	k.hdr.initrd_addr_max = addr_max;
	*addr = NO_ADDR;
	return initrd_place(size, ram_end, &k, addr);
}

/* Checks the placement against `expected` and against every rule. */
static void assert_initrd_at(uint64_t size, uint64_t ram_end, uint32_t addr_max,
			     uint64_t expected)
{
	uint64_t a;

	ck_assert_int_eq(place_initrd(size, ram_end, addr_max, &a), 0);
	ck_assert_uint_eq(a, expected);
	ck_assert_uint_eq(a % 4096, 0);
	ck_assert_uint_ge(a, HIGH_MEM_START);
	ck_assert_uint_le(a + size, ram_end);
	ck_assert_uint_le(a + size, (uint64_t)addr_max + 1);
	ck_assert(a + size <= KERNEL_LOAD || a >= KERNEL_END);
}

static void assert_initrd_nowhere(uint64_t size, uint64_t ram_end)
{
	uint64_t a;

	ck_assert_int_eq(place_initrd(size, ram_end, INITRD_MAX, &a), -ENOSPC);
	ck_assert_uint_eq(a, NO_ADDR);
}

START_TEST(initrd_at_top_of_ram)
{
	assert_initrd_at(0x1800, 256 * MIB, INITRD_MAX, 256 * MIB - 0x2000);
}
END_TEST

START_TEST(initrd_below_initrd_addr_max)
{
	assert_initrd_at(MIB, 3 * GIB, 0x37ffffff, 0x38000000 - MIB);
}
END_TEST

START_TEST(initrd_addr_max_of_4g_does_not_wrap)
{
	assert_initrd_at(MIB, 3 * GIB, UINT32_MAX, 3 * GIB - MIB);
}
END_TEST

START_TEST(initrd_fitting_above_kernel_stays)
{
	assert_initrd_at(8 * MIB, KERNEL_END + 8 * MIB, INITRD_MAX, KERNEL_END);
}
END_TEST

START_TEST(initrd_overlapping_kernel_moves_below)
{
	assert_initrd_at(12 * MIB + 0x800, KERNEL_END + 8 * MIB, INITRD_MAX,
			 KERNEL_LOAD - 12 * MIB - 0x1000);
}
END_TEST

START_TEST(initrd_down_to_1_mib_accepted)
{
	assert_initrd_at(KERNEL_LOAD - MIB, KERNEL_END, INITRD_MAX, MIB);
}
END_TEST

START_TEST(initrd_below_1_mib_rejected)
{
	assert_initrd_nowhere(KERNEL_LOAD - MIB + 1, KERNEL_END);
}
END_TEST

START_TEST(initrd_larger_than_ram_rejected)
{
	assert_initrd_nowhere(256 * MIB + 1, 256 * MIB);
	assert_initrd_nowhere(UINT64_MAX, 256 * MIB);
}
END_TEST

START_TEST(initrd_larger_than_space_below_kernel_rejected)
{
	assert_initrd_nowhere(KERNEL_LOAD, KERNEL_END + MIB);
}
END_TEST

Suite *zeropage_suite(void)
{
	Suite *s = suite_create("zeropage");
	TCase *tc = tcase_create("cmdline");

	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, cmdline_copied_with_nul);
	tcase_add_test(tc, cmdline_of_exactly_cmdline_max_accepted);
	tcase_add_test(tc, cmdline_one_byte_too_long_rejected);
	tcase_add_test(tc, cmdline_capped_by_reserved_room);
	suite_add_tcase(s, tc);

	tc = tcase_create("zeropage");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, header_copied_up_to_hdr_len_only);
	tcase_add_test(tc, loader_fields_set);
	tcase_add_test(tc, ramdisk_above_4g_split);
	tcase_add_test(tc, no_ramdisk_leaves_fields_zero);
	tcase_add_test(tc, rest_of_zero_page_cleared);
	tcase_add_loop_test(tc, e820_matches_machine_layout, 0,
			    (int)(sizeof(e820_cases) / sizeof(e820_cases[0])));
	suite_add_tcase(s, tc);

	tc = tcase_create("initrd");
	tcase_add_test(tc, initrd_at_top_of_ram);
	tcase_add_test(tc, initrd_below_initrd_addr_max);
	tcase_add_test(tc, initrd_addr_max_of_4g_does_not_wrap);
	tcase_add_test(tc, initrd_fitting_above_kernel_stays);
	tcase_add_test(tc, initrd_overlapping_kernel_moves_below);
	tcase_add_test(tc, initrd_down_to_1_mib_accepted);
	tcase_add_test(tc, initrd_below_1_mib_rejected);
	tcase_add_test(tc, initrd_larger_than_ram_rejected);
	tcase_add_test(tc, initrd_larger_than_space_below_kernel_rejected);
	suite_add_tcase(s, tc);
	return s;
}
