/* Boot CPU state for the 64-bit boot protocol: the identity page tables and
 * GDT as the CPU would read them from guest memory (decoded here from the
 * Intel SDM's descriptor and page-table entry layouts), and the register
 * values handed to KVM. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "boot/x86/cpu_state.h"
#include "boot/x86/pagetables.h"
#include "src/x86/layout.h"
#include "tests/unit/suites.h"

#define BUF_SIZE (64ULL << 20)
#define FILL     0xa5

#define PTE_P    (1ULL << 0)
#define PTE_RW   (1ULL << 1)
#define PTE_PS   (1ULL << 7)
#define PTE_ADDR 0x000ffffffffff000ULL

#define CR0_PE   (1ULL << 0)
#define CR0_PG   (1ULL << 31)
#define CR4_PAE  (1ULL << 5)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define RFLAGS_IF (1ULL << 9)

#define TYPE_CODE_EXEC_READ_ACCESSED 0xb
#define TYPE_DATA_READ_WRITE_ACCESSED 0x3
#define TYPE_TSS_BUSY_64 0xb

static uint8_t *buf;
static struct guest_mem mem;

static void mem_setup(void)
{
	ck_assert_int_eq(gmem_create(&mem, BUF_SIZE, MMIO_HOLE_START), 0);
	buf = mem.base;
	memset(buf, FILL, HIGH_MEM_START);
}

static void mem_teardown(void)
{
	gmem_destroy(&mem);
}

static uint64_t le64_at(uint64_t gpa)
{
	const uint8_t *p = gmem_ptr(&mem, gpa, 8);
	uint64_t v = 0;

	ck_assert_ptr_nonnull(p);
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* --- page tables --- */

static uint64_t entry(uint64_t table, unsigned i)
{
	return le64_at(table + i * 8ULL);
}

static uint64_t write_pagetables(void)
{
	uint64_t cr3 = 0;

	ck_assert_int_eq(pagetables_write(&mem, &cr3), 0);
	return cr3;
}

START_TEST(cr3_is_pml4)
{
	ck_assert_uint_eq(write_pagetables(), PML4_ADDR);
}
END_TEST

START_TEST(pml4_maps_only_first_512_gib)
{
	write_pagetables();
	ck_assert_uint_eq(entry(PML4_ADDR, 0), PDPT_ADDR | PTE_P | PTE_RW);
	for (unsigned i = 1; i < 512; i++)
		ck_assert_uint_eq(entry(PML4_ADDR, i), 0);
}
END_TEST

START_TEST(pdpt_points_at_four_pds_only)
{
	write_pagetables();
	for (unsigned i = 0; i < 4; i++)
		ck_assert_uint_eq(entry(PDPT_ADDR, i), (PD_ADDR + i * 4096ULL) | PTE_P | PTE_RW);
	for (unsigned i = 4; i < 512; i++)
		ck_assert_uint_eq(entry(PDPT_ADDR, i), 0);
}
END_TEST

START_TEST(pds_map_first_4_gib_with_2_mib_pages)
{
	write_pagetables();
	ck_assert_uint_le(PD_ADDR + 4 * 4096, PAGE_TABLES_END);
	for (uint64_t i = 0; i < 4 * 512; i++)
		ck_assert_uint_eq(entry(PD_ADDR, (unsigned)i), (i << 21) | PTE_P | PTE_RW | PTE_PS);
}
END_TEST

/* Walks the tables as the MMU does: every address below 4 GiB maps to
 * itself. */
static uint64_t translate(uint64_t va)
{
	uint64_t pml4e = entry(PML4_ADDR, (va >> 39) & 511);
	ck_assert(pml4e & PTE_P);
	uint64_t pdpte = entry(pml4e & PTE_ADDR, (va >> 30) & 511);
	ck_assert(pdpte & PTE_P);
	ck_assert(!(pdpte & PTE_PS));
	uint64_t pde = entry(pdpte & PTE_ADDR, (va >> 21) & 511);
	ck_assert(pde & PTE_P);
	ck_assert(pde & PTE_PS);
	return (pde & PTE_ADDR & ~0x1fffffULL) | (va & 0x1fffff);
}

START_TEST(walk_is_identity_below_4_gib)
{
	static const uint64_t vas[] = {
		0, ZERO_PAGE_ADDR, KERNEL_DEFAULT_ADDR + 0x1234, MMIO_HOLE_START - 1,
		LAPIC_ADDR, MMIO_HOLE_END - 1,
	};

	write_pagetables();
	for (unsigned i = 0; i < sizeof(vas) / sizeof(vas[0]); i++)
		ck_assert_uint_eq(translate(vas[i]), vas[i]);
}
END_TEST

/* --- GDT --- */

/* Intel SDM vol. 3, 3.4.5 "Segment Descriptors", decoded from the bytes. */
static struct kvm_segment decode_descriptor(uint16_t selector)
{
	const uint8_t *d = gmem_ptr(&mem, GDT_ADDR + (selector & ~7u), 8);

	ck_assert_ptr_nonnull(d);
	uint32_t limit = d[0] | d[1] << 8 | (uint32_t)(d[6] & 0xf) << 16;
	uint8_t g = d[6] >> 7;

	return (struct kvm_segment){
		.base = d[2] | d[3] << 8 | (uint32_t)d[4] << 16 | (uint32_t)d[7] << 24,
		.limit = g ? limit << 12 | 0xfff : limit,
		.selector = selector,
		.type = d[5] & 0xf,
		.s = (d[5] >> 4) & 1,
		.dpl = (d[5] >> 5) & 3,
		.present = d[5] >> 7,
		.avl = (d[6] >> 4) & 1,
		.l = (d[6] >> 5) & 1,
		.db = (d[6] >> 6) & 1,
		.g = g,
	};
}

static void assert_same_segment(const struct kvm_segment *a, const struct kvm_segment *b)
{
	ck_assert_uint_eq(a->base, b->base);
	ck_assert_uint_eq(a->limit, b->limit);
	ck_assert_uint_eq(a->selector, b->selector);
	ck_assert_uint_eq(a->type, b->type);
	ck_assert_uint_eq(a->present, b->present);
	ck_assert_uint_eq(a->dpl, b->dpl);
	ck_assert_uint_eq(a->db, b->db);
	ck_assert_uint_eq(a->s, b->s);
	ck_assert_uint_eq(a->l, b->l);
	ck_assert_uint_eq(a->g, b->g);
	ck_assert_uint_eq(a->avl, b->avl);
	ck_assert_uint_eq(a->unusable, b->unusable);
}

static const uint16_t selectors[] = { BOOT_CS, BOOT_DS, BOOT_TSS };

START_TEST(gdt_bytes_agree_with_gdt_segment)
{
	ck_assert_int_eq(gdt_write(&mem), 0);
	struct kvm_segment from_bytes = decode_descriptor(selectors[_i]);
	struct kvm_segment told = gdt_segment(selectors[_i]);

	assert_same_segment(&from_bytes, &told);
}
END_TEST

START_TEST(gdt_starts_with_null_descriptor)
{
	ck_assert_int_eq(gdt_write(&mem), 0);
	ck_assert_uint_eq(le64_at(GDT_ADDR), 0);
}
END_TEST

static void assert_flat(const struct kvm_segment *s)
{
	ck_assert_uint_eq(s->base, 0);
	ck_assert_uint_eq(s->limit, 0xffffffff);
	ck_assert_uint_eq(s->g, 1);
	ck_assert_uint_eq(s->present, 1);
	ck_assert_uint_eq(s->s, 1);
	ck_assert_uint_eq(s->dpl, 0);
	ck_assert_uint_eq(s->unusable, 0);
}

START_TEST(boot_cs_is_64_bit_code)
{
	struct kvm_segment cs = gdt_segment(BOOT_CS);

	assert_flat(&cs);
	ck_assert_uint_eq(cs.selector, 0x10);
	ck_assert_uint_eq(cs.type, TYPE_CODE_EXEC_READ_ACCESSED);
	ck_assert_uint_eq(cs.l, 1);
	ck_assert_uint_eq(cs.db, 0);
}
END_TEST

START_TEST(boot_ds_is_flat_data)
{
	struct kvm_segment ds = gdt_segment(BOOT_DS);

	assert_flat(&ds);
	ck_assert_uint_eq(ds.selector, 0x18);
	ck_assert_uint_eq(ds.type, TYPE_DATA_READ_WRITE_ACCESSED);
	ck_assert_uint_eq(ds.db, 1);
	ck_assert_uint_eq(ds.l, 0);
}
END_TEST

START_TEST(boot_tss_is_busy_64_bit_tss)
{
	struct kvm_segment tr = gdt_segment(BOOT_TSS);

	ck_assert_uint_eq(tr.selector, 0x20);
	ck_assert_uint_eq(tr.type, TYPE_TSS_BUSY_64);
	ck_assert_uint_eq(tr.s, 0);
	ck_assert_uint_eq(tr.present, 1);
	ck_assert_uint_ge(tr.limit, 0x67); /* SDM 7.2.1: a 64-bit TSS is 104 bytes */
}
END_TEST

/* --- registers --- */

#define CR3 0x9000ULL

static struct kvm_sregs boot_sregs(void)
{
	struct kvm_sregs s;

	memset(&s, FILL, sizeof(s));
	boot_cpu_sregs(&s, CR3);
	return s;
}

START_TEST(sregs_enter_long_mode)
{
	struct kvm_sregs s = boot_sregs();

	ck_assert_uint_eq(s.cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
	ck_assert_uint_eq(s.cr4 & CR4_PAE, CR4_PAE);
	ck_assert_uint_eq(s.efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
	ck_assert_uint_eq(s.cr3, CR3);
}
END_TEST

START_TEST(sregs_load_boot_segments)
{
	struct kvm_sregs s = boot_sregs();
	struct kvm_segment cs = gdt_segment(BOOT_CS), ds = gdt_segment(BOOT_DS);
	struct kvm_segment tr = gdt_segment(BOOT_TSS);

	ck_assert_uint_eq(s.cs.selector, 0x10);
	ck_assert_uint_eq(s.ds.selector, 0x18);
	ck_assert_uint_eq(s.es.selector, 0x18);
	ck_assert_uint_eq(s.ss.selector, 0x18);
	assert_same_segment(&s.cs, &cs);
	assert_same_segment(&s.ds, &ds);
	assert_same_segment(&s.es, &ds);
	assert_same_segment(&s.ss, &ds);
	assert_same_segment(&s.fs, &ds);
	assert_same_segment(&s.gs, &ds);
	assert_same_segment(&s.tr, &tr);
}
END_TEST

START_TEST(sregs_point_at_boot_gdt_and_no_idt)
{
	struct kvm_sregs s = boot_sregs();

	ck_assert_uint_eq(s.gdt.base, GDT_ADDR);
	ck_assert_uint_ge(s.gdt.limit, BOOT_TSS + 7);
	ck_assert_uint_eq(s.idt.limit, 0);
	ck_assert_uint_eq(s.idt.base, 0);
}
END_TEST

START_TEST(sregs_keep_untouched_fields)
{
	struct kvm_sregs s = boot_sregs();
	uint64_t fill;

	memset(&fill, FILL, sizeof(fill));
	ck_assert_uint_eq(s.apic_base, fill);
	ck_assert_uint_eq(s.cr8, fill);
}
END_TEST

START_TEST(regs_enter_with_interrupts_off)
{
	struct kvm_regs r;

	memset(&r, FILL, sizeof(r));
	boot_cpu_regs(&r, 0x1000200, ZERO_PAGE_ADDR);
	ck_assert_uint_eq(r.rip, 0x1000200);
	ck_assert_uint_eq(r.rsi, ZERO_PAGE_ADDR);
	ck_assert_uint_eq(r.rflags, 0x2);
	ck_assert_uint_eq(r.rflags & RFLAGS_IF, 0);
	ck_assert_uint_eq(r.rsp, BOOT_STACK_TOP);
	ck_assert_uint_eq(r.rax | r.rbx | r.rcx | r.rdx | r.rdi | r.rbp, 0);
}
END_TEST

Suite *cpu_state_suite(void)
{
	Suite *s = suite_create("cpu_state");
	TCase *tc = tcase_create("pagetables");

	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_test(tc, cr3_is_pml4);
	tcase_add_test(tc, pml4_maps_only_first_512_gib);
	tcase_add_test(tc, pdpt_points_at_four_pds_only);
	tcase_add_test(tc, pds_map_first_4_gib_with_2_mib_pages);
	tcase_add_test(tc, walk_is_identity_below_4_gib);
	suite_add_tcase(s, tc);

	tc = tcase_create("gdt");
	tcase_add_checked_fixture(tc, mem_setup, mem_teardown);
	tcase_add_loop_test(tc, gdt_bytes_agree_with_gdt_segment, 0,
			    (int)(sizeof(selectors) / sizeof(selectors[0])));
	tcase_add_test(tc, gdt_starts_with_null_descriptor);
	tcase_add_test(tc, boot_cs_is_64_bit_code);
	tcase_add_test(tc, boot_ds_is_flat_data);
	tcase_add_test(tc, boot_tss_is_busy_64_bit_tss);
	suite_add_tcase(s, tc);

	tc = tcase_create("registers");
	tcase_add_test(tc, sregs_enter_long_mode);
	tcase_add_test(tc, sregs_load_boot_segments);
	tcase_add_test(tc, sregs_point_at_boot_gdt_and_no_idt);
	tcase_add_test(tc, sregs_keep_untouched_fields);
	tcase_add_test(tc, regs_enter_with_interrupts_off);
	suite_add_tcase(s, tc);
	return s;
}
