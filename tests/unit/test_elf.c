/* ELF kernel loader: a synthetic vmlinux built from <elf.h> structs, two
 * PT_LOAD segments linked like x86's (virtual addresses high, physical at
 * 16 MiB), valid and corrupt; parsed, and loaded through a real file. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "boot/elf.h"
#include "src/x86/layout.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define FLOOR       HIGH_MEM_START
#define RAM_END     (64ULL << 20)
#define VIRT_OFFSET 0xffffffff80000000ULL /* __START_KERNEL_map */
#define PHOFF       sizeof(Elf64_Ehdr)
#define PHSIZE      sizeof(Elf64_Phdr)

/* Text: one whole page, page-aligned in file and memory. */
#define TEXT_OFF    0x1000ULL
#define TEXT_LEN    0x1000ULL
#define TEXT_ADDR   KERNEL_DEFAULT_ADDR
#define ENTRY       (TEXT_ADDR + 0x40)
/* Data: 2 KiB in the file, then .bss up to 12 KiB. */
#define DATA_OFF    0x2000ULL
#define DATA_FILESZ 0x800ULL
#define DATA_MEMSZ  0x3000ULL
#define DATA_ADDR   (KERNEL_DEFAULT_ADDR + 0x200000)
#define FILE_LEN    (DATA_OFF + DATA_FILESZ)
#define PATH        "test-vmlinux"

static uint8_t file[FILE_LEN] __attribute__((aligned(4096)));
static uint64_t file_size;
static struct elf_kernel k;

static Elf64_Ehdr *ehdr(void)
{
	return (Elf64_Ehdr *)file;
}

static Elf64_Phdr *phdr(unsigned i)
{
	return (Elf64_Phdr *)(file + PHOFF + i * PHSIZE);
}

static void set_load(unsigned i, uint64_t offset, uint64_t filesz, uint64_t paddr, uint64_t memsz)
{
	*phdr(i) = (Elf64_Phdr){
		.p_type = PT_LOAD,
		.p_flags = PF_R | PF_W | PF_X,
		.p_offset = offset,
		.p_vaddr = paddr + VIRT_OFFSET,
		.p_paddr = paddr,
		.p_filesz = filesz,
		.p_memsz = memsz,
		.p_align = 0x1000,
	};
}

static uint8_t file_byte(uint64_t off)
{
	return (uint8_t)(off * 13 + 5);
}

/* The valid image every test starts from: text, and data with .bss. */
static void build(void)
{
	memset(file, 0, sizeof(file));
	*ehdr() = (Elf64_Ehdr){
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB,
			     EV_CURRENT, ELFOSABI_SYSV },
		.e_type = ET_EXEC,
		.e_machine = EM_X86_64,
		.e_version = EV_CURRENT,
		.e_entry = ENTRY,
		.e_phoff = PHOFF,
		.e_ehsize = sizeof(Elf64_Ehdr),
		.e_phentsize = PHSIZE,
		.e_phnum = 2,
	};
	set_load(0, TEXT_OFF, TEXT_LEN, TEXT_ADDR, TEXT_LEN);
	set_load(1, DATA_OFF, DATA_FILESZ, DATA_ADDR, DATA_MEMSZ);
	for (uint64_t off = TEXT_OFF; off < FILE_LEN; off++)
		file[off] = file_byte(off);
	file_size = FILE_LEN;
}

/* n one-page segments, all pointing at the text bytes, the first holding the
 * entry point. */
static void set_loads(unsigned n)
{
	ck_assert_uint_le(PHOFF + n * PHSIZE, TEXT_OFF);
	for (unsigned i = 0; i < n; i++)
		set_load(i, TEXT_OFF, TEXT_LEN, TEXT_ADDR + i * TEXT_LEN, TEXT_LEN);
	ehdr()->e_phnum = (Elf64_Half)n;
}

/* Parses a copy of exactly file_size bytes, so that ASan sees any read past
 * the end of the file. */
static int parse(void)
{
	uint8_t *copy = malloc(file_size);

	ck_assert_ptr_nonnull(copy);
	memcpy(copy, file, file_size);
	int r = elf_parse(copy, file_size, EM_X86_64, FLOOR, RAM_END, PATH, &k);
	free(copy);
	return r;
}

static void assert_rejected(void)
{
	ck_assert_int_eq(parse(), -EINVAL);
}

static void assert_outside_ram(void)
{
	ck_assert_int_eq(parse(), -ENOSPC);
}

/* --- parse: valid images --- */

START_TEST(valid_elf_parses)
{
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(k.entry, ENTRY);
	ck_assert_uint_eq(k.nseg, 2);
	ck_assert_uint_eq(k.low, TEXT_ADDR);
	ck_assert_uint_eq(k.high, DATA_ADDR + DATA_MEMSZ);
}
END_TEST

START_TEST(segments_use_physical_addresses)
{
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(k.seg[0].paddr, TEXT_ADDR);
	ck_assert_uint_eq(k.seg[1].paddr, DATA_ADDR);
	ck_assert_uint_eq(k.seg[1].offset, DATA_OFF);
	ck_assert_uint_eq(k.seg[1].filesz, DATA_FILESZ);
	ck_assert_uint_eq(k.seg[1].memsz, DATA_MEMSZ);
}
END_TEST

START_TEST(non_load_headers_are_ignored)
{
	phdr(0)->p_type = PT_NOTE;
	phdr(0)->p_offset = UINT64_MAX;
	phdr(0)->p_paddr = 0;
	ehdr()->e_entry = DATA_ADDR;
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(k.nseg, 1);
	ck_assert_uint_eq(k.low, DATA_ADDR);
}
END_TEST

START_TEST(segment_ending_at_ram_end_is_accepted)
{
	phdr(1)->p_paddr = RAM_END - DATA_MEMSZ;
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(k.high, RAM_END);
}
END_TEST

START_TEST(max_segments_are_accepted)
{
	set_loads(ELF_MAX_SEGMENTS);
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(k.nseg, ELF_MAX_SEGMENTS);
	ck_assert_uint_eq(k.high, TEXT_ADDR + ELF_MAX_SEGMENTS * TEXT_LEN);
}
END_TEST

/* Nothing requires the program headers to be 8-byte aligned in the file. */
START_TEST(phdrs_at_unaligned_offset_parse)
{
	memmove(file + PHOFF + 1, file + PHOFF, 2 * PHSIZE);
	ehdr()->e_phoff = PHOFF + 1;
	ck_assert_int_eq(parse(), 0);
	ck_assert_uint_eq(k.nseg, 2);
}
END_TEST

/* --- parse: corrupt images --- */

START_TEST(rejects_truncated_header)
{
	static const uint64_t sizes[] = { SELFMAG, EI_NIDENT + 4, sizeof(Elf64_Ehdr) - 1 };

	file_size = sizes[_i];
	assert_rejected();
}
END_TEST

START_TEST(rejects_32_bit_class)
{
	ehdr()->e_ident[EI_CLASS] = ELFCLASS32;
	assert_rejected();
}
END_TEST

START_TEST(rejects_big_endian)
{
	ehdr()->e_ident[EI_DATA] = ELFDATA2MSB;
	assert_rejected();
}
END_TEST

START_TEST(rejects_wrong_machine)
{
	ehdr()->e_machine = EM_AARCH64;
	assert_rejected();
}
END_TEST

START_TEST(rejects_shared_object)
{
	ehdr()->e_type = ET_DYN;
	assert_rejected();
}
END_TEST

START_TEST(rejects_wrong_phentsize)
{
	ehdr()->e_phentsize = PHSIZE - 1;
	assert_rejected();
}
END_TEST

START_TEST(rejects_phdrs_beyond_file)
{
	ehdr()->e_phoff = file_size - PHSIZE;
	assert_rejected();
}
END_TEST

START_TEST(rejects_segment_beyond_file)
{
	phdr(1)->p_filesz = file_size - DATA_OFF + 1;
	assert_rejected();
}
END_TEST

START_TEST(rejects_filesz_above_memsz)
{
	phdr(1)->p_memsz = DATA_FILESZ - 1;
	assert_rejected();
}
END_TEST

START_TEST(rejects_segment_below_floor)
{
	phdr(1)->p_paddr = FLOOR - 0x1000;
	assert_rejected(); /* a bad link address, not a lack of RAM */
}
END_TEST

START_TEST(rejects_segment_past_ram_end)
{
	phdr(1)->p_paddr = RAM_END - DATA_MEMSZ + 1;
	assert_outside_ram();
}
END_TEST

START_TEST(rejects_entry_outside_segments)
{
	ehdr()->e_entry = DATA_ADDR + DATA_MEMSZ;
	assert_rejected();
}
END_TEST

START_TEST(rejects_no_load_segment)
{
	phdr(0)->p_type = PT_NOTE;
	phdr(1)->p_type = PT_GNU_STACK;
	assert_rejected();
}
END_TEST

START_TEST(rejects_too_many_segments)
{
	set_loads(ELF_MAX_SEGMENTS + 1);
	assert_rejected();
}
END_TEST

/* Offsets and sizes whose naive sum `a + b` wraps round to a small number
 * inside the file or RAM. */
START_TEST(rejects_overflowing_phdr_table)
{
	static const uint64_t phoffs[] = {
		UINT64_MAX - 8,
		0 - UINT16_MAX * PHSIZE + PHOFF, /* phoff + phnum * PHSIZE == PHOFF */
		PHOFF,
	};

	ehdr()->e_phoff = phoffs[_i];
	ehdr()->e_phnum = UINT16_MAX;
	assert_rejected();
}
END_TEST

START_TEST(rejects_overflowing_segment_offset)
{
	phdr(1)->p_offset = UINT64_MAX - DATA_FILESZ + 2;
	assert_rejected();
}
END_TEST

START_TEST(rejects_overflowing_segment_address)
{
	if (_i) {
		phdr(1)->p_paddr = UINT64_MAX - 0xfff;
	} else {
		phdr(1)->p_memsz = UINT64_MAX - DATA_ADDR + 2;
	}
	assert_outside_ram();
}
END_TEST

/* --- load, through a real file --- */

static uint8_t *ram;
static struct guest_mem mem;

static void mem_setup(void)
{
	ck_assert_int_eq(gmem_create(&mem, RAM_END, MMIO_HOLE_START), 0);
	ram = mem.base;
}

static void mem_teardown(void)
{
	gmem_destroy(&mem);
}

static const uint8_t *guest(uint64_t gpa, uint64_t len)
{
	const uint8_t *p = gmem_ptr(&mem, gpa, len);

	ck_assert_ptr_nonnull(p);
	return p;
}

START_TEST(load_puts_segments_at_paddr)
{
	int fd = test_file_with(file, file_size);

	ck_assert_int_eq(parse(), 0);
	ck_assert_int_eq(elf_load(&mem, fd, &k), 0);
	close(fd);
	ck_assert_mem_eq(guest(TEXT_ADDR, TEXT_LEN), file + TEXT_OFF, TEXT_LEN);
	ck_assert_mem_eq(guest(DATA_ADDR, DATA_FILESZ), file + DATA_OFF, DATA_FILESZ);
}
END_TEST

START_TEST(load_leaves_bss_zero)
{
	int fd = test_file_with(file, file_size);

	ck_assert_int_eq(parse(), 0);
	ck_assert_int_eq(elf_load(&mem, fd, &k), 0);
	close(fd);
	ck_assert(test_all_bytes(guest(DATA_ADDR + DATA_FILESZ, DATA_MEMSZ - DATA_FILESZ),
			   DATA_MEMSZ - DATA_FILESZ, 0));
	ck_assert(test_all_bytes(guest(DATA_ADDR - 0x1000, 0x1000), 0x1000, 0));
}
END_TEST

Suite *elf_suite(void)
{
	Suite *s = suite_create("elf");
	TCase *tc = tcase_create("parse");

	tcase_add_checked_fixture(tc, build, NULL);
	tcase_add_test(tc, valid_elf_parses);
	tcase_add_test(tc, segments_use_physical_addresses);
	tcase_add_test(tc, non_load_headers_are_ignored);
	tcase_add_test(tc, segment_ending_at_ram_end_is_accepted);
	tcase_add_test(tc, max_segments_are_accepted);
	tcase_add_test(tc, phdrs_at_unaligned_offset_parse);
	tcase_add_loop_test(tc, rejects_truncated_header, 0, 3);
	tcase_add_test(tc, rejects_32_bit_class);
	tcase_add_test(tc, rejects_big_endian);
	tcase_add_test(tc, rejects_wrong_machine);
	tcase_add_test(tc, rejects_shared_object);
	tcase_add_test(tc, rejects_wrong_phentsize);
	tcase_add_test(tc, rejects_phdrs_beyond_file);
	tcase_add_test(tc, rejects_segment_beyond_file);
	tcase_add_test(tc, rejects_filesz_above_memsz);
	tcase_add_test(tc, rejects_segment_below_floor);
	tcase_add_test(tc, rejects_segment_past_ram_end);
	tcase_add_test(tc, rejects_entry_outside_segments);
	tcase_add_test(tc, rejects_no_load_segment);
	tcase_add_test(tc, rejects_too_many_segments);
	tcase_add_loop_test(tc, rejects_overflowing_phdr_table, 0, 3);
	tcase_add_test(tc, rejects_overflowing_segment_offset);
	tcase_add_loop_test(tc, rejects_overflowing_segment_address, 0, 2);
	suite_add_tcase(s, tc);

	tc = tcase_create("load");
	tcase_add_checked_fixture(tc, build, NULL);
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, load_puts_segments_at_paddr);
	tcase_add_test(tc, load_leaves_bss_zero);
	suite_add_tcase(s, tc);
	return s;
}
