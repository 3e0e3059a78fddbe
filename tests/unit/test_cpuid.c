/* Unit tests for cpuid_patch on a hand-made table shaped like the one
 * KVM_GET_SUPPORTED_CPUID returns; no /dev/kvm needed. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/x86/cpuid.h"
#include "tests/unit/suites.h"


#define HYPERVISOR_BIT (1u << 31)
#define TSC_KHZ 2893000u
#define APIC_ID 5u
#define LEAF1_EBX 0x07aabbccu /* APIC ID 7, then 0xaa logical CPUs, CLFLUSH, brand */
#define LEAF1_ECX 0x7ffafbffu
#define KVM_FEATURES 0x01007afbu

#define BASE_ENTRIES 4 /* what make_table fills in */

static struct kvm_cpuid2 *table;
static unsigned capacity;

static void add(uint32_t function, uint32_t index, uint32_t flags,
		uint32_t eax, uint32_t ebx, uint32_t ecx, uint32_t edx)
{
	ck_assert_uint_lt(table->nent, capacity);
	table->entries[table->nent++] = (struct kvm_cpuid_entry2){
		.function = function, .index = index, .flags = flags,
		.eax = eax, .ebx = ebx, .ecx = ecx, .edx = edx,
	};
}

/* Leaves 0, 1 and two subleaves of 0xb, with room for `extra` more. */
static void make_table(unsigned extra)
{
	capacity = BASE_ENTRIES + extra;
	table = calloc(1, sizeof(*table) + capacity * sizeof(table->entries[0]));
	ck_assert_ptr_nonnull(table);
	memset(table->entries, 0xa5, capacity * sizeof(table->entries[0])); /* as if reused */
	add(0, 0, 0, 0xd, 0x756e6547, 0x6c65746e, 0x49656e69);
	add(1, 0, 0, 0x000906ea, LEAF1_EBX, LEAF1_ECX, 0xbfebfbff);
	add(0xb, 0, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 1, 1, 0x100, 7);
	add(0xb, 1, KVM_CPUID_FLAG_SIGNIFCANT_INDEX, 4, 8, 0x201, 7);
}

static void teardown(void)
{
	free(table);
	table = NULL;
}

/* The only entry for `function`, or NULL; fails on duplicates. */
static const struct kvm_cpuid_entry2 *entry(uint32_t function, uint32_t index)
{
	const struct kvm_cpuid_entry2 *found = NULL;

	for (unsigned i = 0; i < table->nent; i++) {
		const struct kvm_cpuid_entry2 *e = &table->entries[i];
		if (e->function == function && e->index == index) {
			ck_assert_msg(!found, "leaf 0x%x.%u twice", function, index);
			found = e;
		}
	}
	return found;
}

static const struct kvm_cpuid_entry2 *present(uint32_t function, uint32_t index)
{
	const struct kvm_cpuid_entry2 *e = entry(function, index);

	ck_assert_msg(e != NULL, "leaf 0x%x.%u missing", function, index);
	return e;
}

static void patch(void)
{
	ck_assert_int_eq(cpuid_patch(table, capacity, APIC_ID, TSC_KHZ), 0);
}

START_TEST(test_leaf1_apic_id_in_ebx_high_byte)
{
	make_table(3);
	patch();
	ck_assert_uint_eq(present(1, 0)->ebx, (APIC_ID << 24) | (LEAF1_EBX & 0x00ffffff));
}
END_TEST

START_TEST(test_leaf1_apic_id_zero_clears_old_id)
{
	make_table(3);
	ck_assert_int_eq(cpuid_patch(table, capacity, 0, TSC_KHZ), 0);
	ck_assert_uint_eq(present(1, 0)->ebx, LEAF1_EBX & 0x00ffffff);
}
END_TEST

#define TSC_DEADLINE_BIT (1u << 24)

START_TEST(test_leaf1_hypervisor_bit_set_rest_kept)
{
	make_table(3);
	patch();
	ck_assert_uint_eq(present(1, 0)->ecx, LEAF1_ECX | HYPERVISOR_BIT | TSC_DEADLINE_BIT);
	ck_assert_uint_eq(present(1, 0)->eax, 0x000906ea);
	ck_assert_uint_eq(present(1, 0)->edx, 0xbfebfbff);
}
END_TEST

START_TEST(test_leaf_0xb_every_subleaf_gets_x2apic_id)
{
	make_table(3);
	patch();
	ck_assert_uint_eq(present(0xb, 0)->edx, APIC_ID);
	ck_assert_uint_eq(present(0xb, 1)->edx, APIC_ID);
	ck_assert_uint_eq(present(0xb, 0)->ecx, 0x100);
	ck_assert_uint_eq(present(0xb, 1)->ebx, 8);
}
END_TEST

START_TEST(test_other_leaves_untouched)
{
	make_table(3);
	struct kvm_cpuid_entry2 leaf0 = table->entries[0];

	patch();
	ck_assert_mem_eq(present(0, 0), &leaf0, sizeof(leaf0));
}
END_TEST

START_TEST(test_kvm_signature_leaf_added)
{
	make_table(3);
	patch();
	const struct kvm_cpuid_entry2 *e = present(CPUID_KVM_SIGNATURE, 0);

	ck_assert_uint_eq(e->eax, 0x40000010);
	ck_assert_mem_eq(&e->ebx, "KVMK", 4);
	ck_assert_mem_eq(&e->ecx, "VMKV", 4);
	ck_assert_mem_eq(&e->edx, "M\0\0\0", 4);
}
END_TEST

/* KVM reported no features, so none are invented. */
START_TEST(test_kvm_feature_leaf_added_empty)
{
	make_table(3);
	patch();
	const struct kvm_cpuid_entry2 *e = present(0x40000001, 0);

	ck_assert_uint_eq(e->flags, 0);
	ck_assert_uint_eq(e->eax | e->ebx | e->ecx | e->edx, 0);
	ck_assert_uint_eq(table->nent, BASE_ENTRIES + CPUID_EXTRA_ENTRIES);
}
END_TEST

START_TEST(test_timing_leaf_added)
{
	make_table(3);
	patch();
	const struct kvm_cpuid_entry2 *e = present(0x40000010, 0);

	ck_assert_uint_eq(e->eax, TSC_KHZ);
	ck_assert_uint_eq(e->ebx, 1000000);
}
END_TEST

START_TEST(test_existing_kvm_leaves_kept_and_updated)
{
	make_table(3);
	add(CPUID_KVM_SIGNATURE, 0, 0, 0x40000001, 0x4b4d564b, 0x564b4d56, 0x4d);
	add(CPUID_KVM_FEATURES, 0, 0, KVM_FEATURES, 0, 0, 0x1);
	patch();
	ck_assert_uint_eq(table->nent, BASE_ENTRIES + 2 + 1);
	ck_assert_uint_eq(present(CPUID_KVM_FEATURES, 0)->eax, KVM_FEATURES);
	ck_assert_uint_eq(present(CPUID_KVM_FEATURES, 0)->edx, 0x1);
	ck_assert_uint_eq(present(CPUID_KVM_SIGNATURE, 0)->eax, 0x40000010);
	ck_assert_uint_eq(present(0x40000010, 0)->eax, TSC_KHZ);
}
END_TEST

START_TEST(test_no_room_is_enospc)
{
	make_table(0);
	ck_assert_int_eq(cpuid_patch(table, capacity, APIC_ID, TSC_KHZ), -ENOSPC);
	ck_assert_uint_le(table->nent, capacity);
}
END_TEST

START_TEST(test_room_for_two_is_enospc)
{
	make_table(2);
	ck_assert_int_eq(cpuid_patch(table, capacity, APIC_ID, TSC_KHZ), -ENOSPC);
	ck_assert_uint_le(table->nent, capacity);
}
END_TEST

Suite *cpuid_suite(void)
{
	Suite *s = suite_create("cpuid");
	TCase *tc = tcase_create("patch");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, test_leaf1_apic_id_in_ebx_high_byte);
	tcase_add_test(tc, test_leaf1_apic_id_zero_clears_old_id);
	tcase_add_test(tc, test_leaf1_hypervisor_bit_set_rest_kept);
	tcase_add_test(tc, test_leaf_0xb_every_subleaf_gets_x2apic_id);
	tcase_add_test(tc, test_other_leaves_untouched);
	tcase_add_test(tc, test_kvm_signature_leaf_added);
	tcase_add_test(tc, test_kvm_feature_leaf_added_empty);
	tcase_add_test(tc, test_timing_leaf_added);
	tcase_add_test(tc, test_existing_kvm_leaves_kept_and_updated);
	tcase_add_test(tc, test_no_room_is_enospc);
	tcase_add_test(tc, test_room_for_two_is_enospc);
	suite_add_tcase(s, tc);
	return s;
}
