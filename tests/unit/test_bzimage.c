/* bzImage loader: synthetic images whose setup header is written field by
 * field at the file offsets of Documentation/arch/x86/boot.rst ("The
 * Real-Mode Kernel Header"), not through struct setup_header; valid ones and
 * corrupt ones, parsed, placed and loaded through a real file. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/x86/bzimage.h"
#include "src/x86/layout.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define OFF_SETUP_SECTS  0x1f1
#define OFF_SYSSIZE      0x1f4
#define OFF_BOOT_FLAG    0x1fe
#define OFF_JUMP         0x200
#define OFF_HEADER       0x202
#define OFF_VERSION      0x206
#define OFF_LOADFLAGS    0x211
#define OFF_INITRD_MAX   0x22c
#define OFF_KERNEL_ALIGN 0x230
#define OFF_RELOCATABLE  0x234
#define OFF_XLOADFLAGS   0x236
#define OFF_CMDLINE_SIZE 0x238
#define OFF_PREF_ADDRESS 0x258
#define OFF_INIT_SIZE    0x260
#define OFF_KERNEL_INFO  0x268
#define HDR_END          0x26c /* protocol 2.15: just past kernel_info_offset */

#define HDRS_MAGIC   0x53726448
#define PROTOCOL     0x020f
#define CMDLINE_SIZE 2047
#define ALIGN_2M     0x200000ULL
#define INIT_SIZE    0x400000ULL
#define KERNEL_LEN   0x3064ULL /* three pages and a partial last paragraph */
#define IMG_MAX      0x8000
#define RAM          (64ULL << 20)
#define PATH         "test-bzImage"

static uint8_t img[IMG_MAX] __attribute__((aligned(4096)));
static uint64_t img_size;
static struct bzimage bz;

static void put(uint64_t off, uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes; i++)
		img[off + i] = (uint8_t)(v >> (8 * i));
}

static uint8_t kernel_byte(uint64_t i)
{
	return (uint8_t)(i * 7 + 1);
}

/* boot.rst: "If this field is 0, the real value is 4." */
static uint64_t pm_offset_for(unsigned setup_sects)
{
	return ((setup_sects ? setup_sects : 4) + 1) * 512ULL;
}

/* A valid protocol 2.15 relocatable 64-bit bzImage: the boot sector and
 * setup_sects sectors of setup, then kernel_len bytes of kernel. */
static void build(unsigned setup_sects, uint64_t kernel_len)
{
	uint64_t pm = pm_offset_for(setup_sects);

	ck_assert_uint_le(pm + kernel_len, IMG_MAX);
	memset(img, 0, sizeof(img));
	put(OFF_SETUP_SECTS, setup_sects, 1);
	put(OFF_SYSSIZE, (kernel_len + 15) / 16, 4);
	put(OFF_BOOT_FLAG, 0xaa55, 2);
	put(OFF_JUMP, 0xeb, 1); /* jmp short to the end of the header */
	put(OFF_JUMP + 1, HDR_END - (OFF_JUMP + 2), 1);
	put(OFF_HEADER, HDRS_MAGIC, 4);
	put(OFF_VERSION, PROTOCOL, 2);
	put(OFF_LOADFLAGS, LOADED_HIGH, 1);
	put(OFF_INITRD_MAX, 0x7fffffff, 4);
	put(OFF_KERNEL_ALIGN, ALIGN_2M, 4);
	put(OFF_RELOCATABLE, 1, 1);
	put(OFF_XLOADFLAGS, XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G, 2);
	put(OFF_CMDLINE_SIZE, CMDLINE_SIZE, 4);
	put(OFF_PREF_ADDRESS, KERNEL_DEFAULT_ADDR, 8);
	put(OFF_INIT_SIZE, INIT_SIZE, 4);
	put(OFF_KERNEL_INFO, 0x12345, 4);
	for (uint64_t i = 0; i < kernel_len; i++)
		img[pm + i] = kernel_byte(i);
	img_size = pm + kernel_len;
}

static void build_default(void)
{
	build(4, KERNEL_LEN);
}

/* Parses a copy of exactly img_size bytes, so that ASan sees any read past
 * the end of the file. */
static int parse(void)
{
	uint8_t *copy = malloc(img_size);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, img, img_size);
	int r = bzimage_parse(copy, img_size, PATH, &bz);
	free(copy);
	return r;
}

static void assert_rejected(void)
{
	ck_assert_int_eq(parse(), -EINVAL);
}

/* --- parse: valid images --- */

START_TEST(valid_header_parses)
{
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bz.pm_offset, 5 * 512);
	ck_assert_uint_eq(bz.pm_size, KERNEL_LEN);
	ck_assert_uint_eq(bz.hdr_len, HDR_END - OFF_SETUP_SECTS);
	ck_assert_uint_eq(bz.hdr.version, PROTOCOL);
	ck_assert_uint_eq(bz.hdr.pref_address, KERNEL_DEFAULT_ADDR);
	ck_assert_uint_eq(bz.hdr.init_size, INIT_SIZE);
	ck_assert_uint_eq(bz.hdr.kernel_alignment, ALIGN_2M);
	ck_assert_uint_eq(bz.hdr.cmdline_size, CMDLINE_SIZE);
	ck_assert_uint_eq(bz.hdr.kernel_info_offset, 0x12345);
}
END_TEST

static const struct {
	unsigned setup_sects;
	uint64_t pm_offset;
} sects_cases[] = {
	{ 1, 0x400 }, { 4, 0xa00 }, { 7, 0x1000 }, { 0, 0xa00 },
};

START_TEST(pm_offset_follows_setup_sects)
{
	build(sects_cases[_i].setup_sects, KERNEL_LEN);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bz.pm_offset, sects_cases[_i].pm_offset);
	ck_assert_uint_eq(bz.pm_size, KERNEL_LEN);
}
END_TEST

/* A 2.14 header ends before kernel_info_offset: what follows in the file is
 * setup code, not a header field. */
START_TEST(fields_past_jump_target_are_dropped)
{
	put(OFF_JUMP + 1, OFF_KERNEL_INFO - (OFF_JUMP + 2), 1);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bz.hdr_len, OFF_KERNEL_INFO - OFF_SETUP_SECTS);
	ck_assert_uint_eq(bz.hdr.kernel_info_offset, 0);
	ck_assert_uint_eq(bz.hdr.init_size, INIT_SIZE);
}
END_TEST

START_TEST(hdr_len_is_capped_at_known_header)
{
	put(OFF_JUMP + 1, 0xff, 1);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(bz.hdr_len, sizeof(struct setup_header));
}
END_TEST

START_TEST(accepts_protocol_2_12)
{
	put(OFF_VERSION, 0x020c, 2);
	ck_assert_int_eq(parse(), 0);
}
END_TEST

START_TEST(accepts_partial_last_paragraph)
{
	ck_assert_uint_gt((KERNEL_LEN + 15) / 16 * 16, KERNEL_LEN);
	ck_assert_int_eq(parse(), 0);
}
END_TEST

START_TEST(accepts_init_size_equal_to_kernel)
{
	put(OFF_INIT_SIZE, KERNEL_LEN, 4);
	ck_assert_int_eq(parse(), 0);
}
END_TEST

START_TEST(non_relocatable_ignores_kernel_alignment)
{
	put(OFF_RELOCATABLE, 0, 1);
	put(OFF_KERNEL_ALIGN, 0x300000, 4);
	ck_assert_int_eq(parse(), 0);
}
END_TEST

/* --- parse: corrupt images --- */

START_TEST(detect_needs_whole_magic)
{
	ck_assert(bzimage_detect(img, OFF_HEADER + 4));
	ck_assert(!bzimage_detect(img, OFF_HEADER + 3));
	put(OFF_HEADER + 3, 'S' + 1, 1);
	ck_assert(!bzimage_detect(img, img_size));
}
END_TEST

START_TEST(rejects_file_too_small_for_magic)
{
	img_size = OFF_HEADER + 3;
	assert_rejected();
}
END_TEST

START_TEST(rejects_file_ending_inside_header)
{
	img_size = OFF_SETUP_SECTS + sizeof(struct setup_header) - 1;
	assert_rejected();
}
END_TEST

START_TEST(rejects_missing_hdrs_magic)
{
	put(OFF_HEADER, HDRS_MAGIC + 1, 4);
	assert_rejected();
}
END_TEST

START_TEST(rejects_bad_boot_flag)
{
	put(OFF_BOOT_FLAG, 0x55aa, 2);
	assert_rejected();
}
END_TEST

START_TEST(rejects_protocol_2_11)
{
	put(OFF_VERSION, 0x020b, 2);
	assert_rejected();
}
END_TEST

START_TEST(rejects_missing_xlf_kernel_64)
{
	put(OFF_XLOADFLAGS, XLF_CAN_BE_LOADED_ABOVE_4G, 2);
	assert_rejected();
}
END_TEST

START_TEST(rejects_syssize_a_paragraph_beyond_file)
{
	put(OFF_SYSSIZE, (KERNEL_LEN + 15) / 16 + 1, 4);
	assert_rejected();
}
END_TEST

/* Even one whose syssize declares no kernel at all. */
START_TEST(rejects_file_ending_at_kernel_start)
{
	put(OFF_SYSSIZE, 0, 4);
	img_size = pm_offset_for(4);
	assert_rejected();
}
END_TEST

START_TEST(rejects_relocatable_unaligned_kernel_alignment)
{
	put(OFF_KERNEL_ALIGN, 0x300000, 4);
	assert_rejected();
}
END_TEST

START_TEST(rejects_relocatable_zero_kernel_alignment)
{
	put(OFF_KERNEL_ALIGN, 0, 4);
	assert_rejected();
}
END_TEST

START_TEST(rejects_init_size_below_kernel)
{
	put(OFF_INIT_SIZE, KERNEL_LEN - 1, 4);
	assert_rejected();
}
END_TEST

/* --- place --- */

#define NO_ADDR 0xdeadbeefULL

static int place(uint64_t pref, bool relocatable, uint64_t floor, uint64_t ram_end,
		 uint64_t *addr)
{
	struct bzimage b = { .hdr = {
		.pref_address = pref,
		.relocatable_kernel = relocatable,
		.kernel_alignment = ALIGN_2M,
		.init_size = INIT_SIZE,
	} };

	*addr = NO_ADDR;
	return bzimage_place(&b, floor, ram_end, addr);
}

static void assert_placed(uint64_t pref, bool relocatable, uint64_t floor, uint64_t ram_end,
			  uint64_t expected)
{
	uint64_t addr;

	ck_assert_int_eq(place(pref, relocatable, floor, ram_end, &addr), 0);
	ck_assert_uint_eq(addr, expected);
}

static void assert_no_room(uint64_t pref, bool relocatable, uint64_t floor, uint64_t ram_end)
{
	uint64_t addr;

	ck_assert_int_eq(place(pref, relocatable, floor, ram_end, &addr), -ENOSPC);
	ck_assert_uint_eq(addr, NO_ADDR);
}

START_TEST(relocatable_aligns_pref_address_up)
{
	assert_placed(KERNEL_DEFAULT_ADDR + 0x1000, true, HIGH_MEM_START, RAM,
		      KERNEL_DEFAULT_ADDR + ALIGN_2M);
}
END_TEST

START_TEST(relocatable_keeps_aligned_pref_address)
{
	assert_placed(KERNEL_DEFAULT_ADDR, true, HIGH_MEM_START, RAM, KERNEL_DEFAULT_ADDR);
}
END_TEST

START_TEST(relocatable_below_floor_aligns_up_from_floor)
{
	assert_placed(HIGH_MEM_START, true, KERNEL_DEFAULT_ADDR + 0x1000, RAM,
		      KERNEL_DEFAULT_ADDR + ALIGN_2M);
}
END_TEST

START_TEST(non_relocatable_goes_at_pref_address)
{
	assert_placed(KERNEL_DEFAULT_ADDR + 0x1000, false, HIGH_MEM_START, RAM,
		      KERNEL_DEFAULT_ADDR + 0x1000);
}
END_TEST

START_TEST(non_relocatable_below_floor_is_rejected)
{
	assert_no_room(HIGH_MEM_START - 0x1000, false, HIGH_MEM_START, RAM);
}
END_TEST

START_TEST(init_size_exactly_fitting_ram_is_placed)
{
	assert_placed(KERNEL_DEFAULT_ADDR, true, HIGH_MEM_START, KERNEL_DEFAULT_ADDR + INIT_SIZE,
		      KERNEL_DEFAULT_ADDR);
}
END_TEST

START_TEST(init_size_beyond_ram_is_rejected)
{
	assert_no_room(KERNEL_DEFAULT_ADDR, _i, HIGH_MEM_START,
		       KERNEL_DEFAULT_ADDR + INIT_SIZE - 1);
}
END_TEST

#define PREF_NEAR_TOP (UINT64_MAX - 0x1000)

/* _i: relocatable. */
START_TEST(pref_address_near_top_is_rejected)
{
	assert_no_room(PREF_NEAR_TOP, _i, HIGH_MEM_START, RAM);
}
END_TEST

/* With no floor to catch it, aligning up must still not wrap round to 0. */
START_TEST(pref_address_near_top_does_not_wrap_to_zero)
{
	assert_no_room(PREF_NEAR_TOP, true, 0, RAM);
}
END_TEST

/* --- load, through a real file --- */

static uint8_t *ram;
static struct guest_mem mem;

static void mem_setup(void)
{
	ck_assert_int_eq(gmem_create(&mem, RAM, MMIO_HOLE_START), 0);
	ram = mem.base;
}

static void mem_teardown(void)
{
	gmem_destroy(&mem);
}

static int load(struct kernel_image *k)
{
	int fd = test_file_with(img, img_size);
	int r = bzimage_load(&mem, fd, img, img_size, PATH, k);

	close(fd);
	return r;
}

static void assert_loads_with_setup_sects(unsigned setup_sects)
{
	struct kernel_image k;

	build(setup_sects, KERNEL_LEN);
	ck_assert_int_eq(load(&k), 0);
	ck_assert_uint_eq(k.load_addr, KERNEL_DEFAULT_ADDR);
	ck_assert_uint_eq(k.entry, KERNEL_DEFAULT_ADDR + 0x200);
	ck_assert_uint_eq(k.end, KERNEL_DEFAULT_ADDR + INIT_SIZE);
	ck_assert_uint_eq(k.hdr_len, HDR_END - OFF_SETUP_SECTS);
	ck_assert_uint_eq(k.cmdline_max, CMDLINE_SIZE);
	ck_assert_uint_eq(k.hdr.init_size, INIT_SIZE);

	const uint8_t *at = gmem_ptr(&mem, KERNEL_DEFAULT_ADDR, KERNEL_LEN + 1);
	ck_assert_ptr_nonnull(at);
	ck_assert_mem_eq(at, img + pm_offset_for(setup_sects), KERNEL_LEN);
	ck_assert_uint_eq(at[KERNEL_LEN], 0);
	ck_assert_uint_eq(at[-1], 0);
}

START_TEST(load_maps_page_aligned_kernel)
{
	assert_loads_with_setup_sects(7);
}
END_TEST

START_TEST(load_reads_unaligned_kernel)
{
	assert_loads_with_setup_sects(4);
}
END_TEST

START_TEST(load_rejects_init_size_beyond_ram)
{
	struct kernel_image k;

	put(OFF_INIT_SIZE, RAM - KERNEL_DEFAULT_ADDR + 1, 4);
	ck_assert_int_eq(load(&k), -ENOSPC);
}
END_TEST

START_TEST(load_rejects_corrupt_image)
{
	struct kernel_image k;

	put(OFF_BOOT_FLAG, 0, 2);
	ck_assert_int_eq(load(&k), -EINVAL);
}
END_TEST

Suite *bzimage_suite(void)
{
	Suite *s = suite_create("bzimage");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, build_default, NULL);
	tcase_add_test(tc, valid_header_parses);
	tcase_add_loop_test(tc, pm_offset_follows_setup_sects, 0,
			    (int)(sizeof(sects_cases) / sizeof(sects_cases[0])));
	tcase_add_test(tc, fields_past_jump_target_are_dropped);
	tcase_add_test(tc, hdr_len_is_capped_at_known_header);
	tcase_add_test(tc, accepts_protocol_2_12);
	tcase_add_test(tc, accepts_partial_last_paragraph);
	tcase_add_test(tc, accepts_init_size_equal_to_kernel);
	tcase_add_test(tc, non_relocatable_ignores_kernel_alignment);
	tcase_add_test(tc, detect_needs_whole_magic);
	tcase_add_test(tc, rejects_file_too_small_for_magic);
	tcase_add_test(tc, rejects_file_ending_inside_header);
	tcase_add_test(tc, rejects_missing_hdrs_magic);
	tcase_add_test(tc, rejects_bad_boot_flag);
	tcase_add_test(tc, rejects_protocol_2_11);
	tcase_add_test(tc, rejects_missing_xlf_kernel_64);
	tcase_add_test(tc, rejects_syssize_a_paragraph_beyond_file);
	tcase_add_test(tc, rejects_file_ending_at_kernel_start);
	tcase_add_test(tc, rejects_relocatable_unaligned_kernel_alignment);
	tcase_add_test(tc, rejects_relocatable_zero_kernel_alignment);
	tcase_add_test(tc, rejects_init_size_below_kernel);
	suite_add_tcase(s, tc);

	tc = tcase_create("place");
	tcase_add_test(tc, relocatable_aligns_pref_address_up);
	tcase_add_test(tc, relocatable_keeps_aligned_pref_address);
	tcase_add_test(tc, relocatable_below_floor_aligns_up_from_floor);
	tcase_add_test(tc, non_relocatable_goes_at_pref_address);
	tcase_add_test(tc, non_relocatable_below_floor_is_rejected);
	tcase_add_test(tc, init_size_exactly_fitting_ram_is_placed);
	tcase_add_loop_test(tc, init_size_beyond_ram_is_rejected, 0, 2);
	tcase_add_loop_test(tc, pref_address_near_top_is_rejected, 0, 2);
	tcase_add_test(tc, pref_address_near_top_does_not_wrap_to_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_checked_fixture(tc, build_default, NULL);
	tcase_add_test(tc, load_maps_page_aligned_kernel);
	tcase_add_test(tc, load_reads_unaligned_kernel);
	tcase_add_test(tc, load_rejects_init_size_beyond_ram);
	tcase_add_test(tc, load_rejects_corrupt_image);
	suite_add_tcase(s, tc);
	return s;
}
