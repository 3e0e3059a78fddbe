/* The guest init embedded in microrun (boot/init_image.S): a static
 * x86-64 executable the kernel can run as /init, with no interpreter. */
#include <elf.h>
#include <string.h>

#include "boot/init_image.h"
#include "tests/unit/suites.h"

static const Elf64_Ehdr *ehdr(void)
{
	ck_assert_uint_ge(init_image_size(), sizeof(Elf64_Ehdr));
	return (const Elf64_Ehdr *)init_image_start;
}

START_TEST(test_is_x86_64_executable)
{
	const Elf64_Ehdr *e = ehdr();

	ck_assert_mem_eq(e->e_ident, ELFMAG, SELFMAG);
	ck_assert_uint_eq(e->e_ident[EI_CLASS], ELFCLASS64);
	ck_assert_uint_eq(e->e_ident[EI_DATA], ELFDATA2LSB);
	ck_assert_uint_eq(e->e_machine, EM_X86_64);
	ck_assert_uint_eq(e->e_type, ET_EXEC);
	ck_assert_uint_ne(e->e_entry, 0);
}
END_TEST

START_TEST(test_static_without_interpreter)
{
	const Elf64_Ehdr *e = ehdr();

	ck_assert_uint_eq(e->e_phentsize, sizeof(Elf64_Phdr));
	ck_assert_uint_le(e->e_phoff + (uint64_t)e->e_phnum * sizeof(Elf64_Phdr), init_image_size());
	const Elf64_Phdr *ph = (const Elf64_Phdr *)(init_image_start + e->e_phoff);
	unsigned loads = 0;
	for (unsigned i = 0; i < e->e_phnum; i++) {
		ck_assert_uint_ne(ph[i].p_type, PT_INTERP);
		ck_assert_uint_ne(ph[i].p_type, PT_DYNAMIC);
		loads += ph[i].p_type == PT_LOAD;
	}
	ck_assert_uint_gt(loads, 0);
}
END_TEST

/* Written into guest memory at every start: kept small (about 50 KB with
 * musl; glibc's static build, the fallback, is some 700 KB). */
START_TEST(test_small)
{
	ck_assert_uint_lt(init_image_size(), 1u << 20);
}
END_TEST

Suite *init_image_suite(void)
{
	Suite *s = suite_create("init_image");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_is_x86_64_executable);
	tcase_add_test(tc, test_static_without_interpreter);
	tcase_add_test(tc, test_small);
	suite_add_tcase(s, tc);
	return s;
}
