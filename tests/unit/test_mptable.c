/* MP table writer: the output is parsed here byte by byte from the offsets
 * and lengths in the MP spec 1.4, not through the writer's structs. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>

#include "boot/x86/mptable.h"
#include "src/x86/layout.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define BUF_SIZE 2048
#define CANARY 0xa5
#define ROOM (BASE_MEM_END - MPTABLE_ADDR)
#define ENTRY_TYPES 5
#define MAX_PER_TYPE 64

static const unsigned cpu_counts[] = { 1, 2, MPTABLE_MAX_CPUS };
#define NCOUNTS ((int)(sizeof(cpu_counts) / sizeof(cpu_counts[0])))

/* MP spec 1.4, 4: floating pointer 16, header 44, processor 20, bus 8,
 * I/O APIC 8, then 24 I/O and 2 local interrupt entries of 8. */
static size_t expected_size(unsigned ncpus)
{
	return 16 + 44 + 20 * ncpus + 8 + 8 + (24 + 2) * 8;
}

struct parsed {
	const uint8_t *mpf;
	const uint8_t *table;
	size_t base_length;
	unsigned walked;
	unsigned count[ENTRY_TYPES];
	const uint8_t *entry[ENTRY_TYPES][MAX_PER_TYPE];
};

/* MP spec 1.4, 4.3, Table 4-3: processor entries are 20 bytes, the rest 8. */
static size_t entry_length(uint8_t type)
{
	ck_assert_uint_lt(type, ENTRY_TYPES);
	return type == 0 ? 20 : 8;
}

/* Walks the base table's entries, which must be sorted by type (MP spec 1.4,
 * 4.3) and exactly fill base_length. */
static void walk_entries(struct parsed *t)
{
	size_t off = 44;
	uint8_t last_type = 0;

	while (off < t->base_length) {
		uint8_t type = t->table[off];
		size_t len = entry_length(type);

		ck_assert_uint_ge(type, last_type);
		ck_assert_uint_le(off + len, t->base_length);
		ck_assert_uint_lt(t->count[type], MAX_PER_TYPE);
		t->entry[type][t->count[type]++] = t->table + off;
		t->walked++;
		last_type = type;
		off += len;
	}
	ck_assert_uint_eq(off, t->base_length);
}

/* Finds the table through the floating pointer, as a guest would. */
static void parse(struct parsed *t, const uint8_t *buf, size_t written,
		  uint64_t gpa)
{
	memset(t, 0, sizeof(*t));
	t->mpf = buf;
	uint64_t physptr = test_le32(buf + 4);
	ck_assert_uint_ge(physptr, gpa + 16);
	ck_assert_uint_le(physptr - gpa + 44, written);
	t->table = buf + (physptr - gpa);
	t->base_length = test_le16(t->table + 4);
	ck_assert_uint_le(physptr - gpa + t->base_length, written);
	walk_entries(t);
}

/* Writes the table for `ncpus` at MPTABLE_ADDR into a canary-filled `buf` and
 * parses it; returns the bytes written. */
static size_t write_and_parse(struct parsed *t, uint8_t *buf, unsigned ncpus)
{
	memset(buf, CANARY, BUF_SIZE);
	int n = mptable_write(buf, ROOM, MPTABLE_ADDR, ncpus);
	ck_assert_int_eq(n, (int)expected_size(ncpus));
	ck_assert(test_all_bytes(buf + n, BUF_SIZE - (size_t)n, CANARY));
	parse(t, buf, (size_t)n, MPTABLE_ADDR);
	return (size_t)n;
}

/* MP spec 1.4, 4.1. */
START_TEST(floating_pointer)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;

	write_and_parse(&t, buf, cpu_counts[_i]);
	ck_assert_mem_eq(t.mpf, "_MP_", 4);
	ck_assert_uint_eq(test_le32(t.mpf + 4), MPTABLE_ADDR + 16);
	ck_assert_uint_eq(t.mpf[8], 1);
	ck_assert_uint_eq(t.mpf[9], 4);
	ck_assert_uint_eq(test_byte_sum(t.mpf, 16), 0);
	for (int i = 11; i < 16; i++)
		ck_assert_uint_eq(t.mpf[i], 0);
}
END_TEST

START_TEST(physptr_follows_gpa)
{
	static const uint64_t gpas[] = { 0, 0x9fc00, 0xf0000, 0xfffffc00 };
	uint8_t buf[BUF_SIZE];

	for (size_t i = 0; i < sizeof(gpas) / sizeof(gpas[0]); i++) {
		int n = mptable_write(buf, sizeof(buf), gpas[i], 1);
		ck_assert_int_eq(n, (int)expected_size(1));
		ck_assert_uint_eq(test_le32(buf + 4), gpas[i] + 16);
		ck_assert_uint_eq(test_byte_sum(buf, 16), 0);
	}
}
END_TEST

/* MP spec 1.4, 4.2. */
START_TEST(header)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;
	unsigned ncpus = cpu_counts[_i];
	size_t n = write_and_parse(&t, buf, ncpus);

	ck_assert_mem_eq(t.table, "PCMP", 4);
	ck_assert_uint_eq(t.base_length, n - 16);
	ck_assert_uint_eq(t.table[6], 4);
	ck_assert_uint_eq(test_byte_sum(t.table, t.base_length), 0);
	ck_assert_mem_eq(t.table + 8, "MICRORUN", 8);
	ck_assert_uint_eq(test_le32(t.table + 28), 0);
	ck_assert_uint_eq(test_le16(t.table + 32), 0);
	ck_assert_uint_eq(test_le16(t.table + 34), t.walked);
	ck_assert_uint_eq(t.walked, ncpus + 28);
	ck_assert_uint_eq(test_le32(t.table + 36), LAPIC_ADDR);
	ck_assert_uint_eq(test_le16(t.table + 40), 0);
}
END_TEST

/* MP spec 1.4, 4.3.1. */
START_TEST(processors)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;
	unsigned ncpus = cpu_counts[_i];
	unsigned bsps = 0;

	write_and_parse(&t, buf, ncpus);
	ck_assert_uint_eq(t.count[0], ncpus);
	for (unsigned i = 0; i < ncpus; i++) {
		const uint8_t *e = t.entry[0][i];

		ck_assert_uint_eq(e[1], i);
		ck_assert_uint_eq(e[2], 0x14);
		ck_assert_uint_eq(e[3] & 1, 1);
		ck_assert_uint_eq(e[3] & 2, i == 0 ? 2 : 0);
		bsps += (e[3] & 2) != 0;
		ck_assert_uint_eq(test_le32(e + 4), 0x600);
		ck_assert_uint_eq(test_le32(e + 8) & 0x201, 0x201);
	}
	ck_assert_uint_eq(bsps, 1);
}
END_TEST

/* MP spec 1.4, 4.3.2 and 4.3.3. */
START_TEST(bus_and_ioapic)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;
	unsigned ncpus = cpu_counts[_i];

	write_and_parse(&t, buf, ncpus);
	ck_assert_uint_eq(t.count[1], 1);
	ck_assert_uint_eq(t.entry[1][0][1], 0);
	ck_assert_mem_eq(t.entry[1][0] + 2, "ISA   ", 6);
	ck_assert_uint_eq(t.count[2], 1);
	const uint8_t *io = t.entry[2][0];
	ck_assert_uint_eq(io[1], ncpus);
	ck_assert_uint_eq(io[2], 0x11);
	ck_assert_uint_eq(io[3] & 1, 1);
	ck_assert_uint_eq(test_le32(io + 4), IOAPIC_ADDR);
}
END_TEST

/* MP spec 1.4, 4.3.4: ISA IRQ n on pin n of the one I/O APIC, for all 24
 * pins: the virtio-mmio devices' 16-23 too. */
START_TEST(io_interrupts)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;

	write_and_parse(&t, buf, cpu_counts[_i]);
	ck_assert_uint_eq(t.count[3], 24);
	for (unsigned irq = 0; irq < 24; irq++) {
		const uint8_t *e = t.entry[3][irq];

		ck_assert_uint_eq(e[1], 0);
		ck_assert_uint_eq(test_le16(e + 2), 0);
		ck_assert_uint_eq(e[4], t.entry[1][0][1]);
		ck_assert_uint_eq(e[5], irq);
		ck_assert_uint_eq(e[6], t.entry[2][0][1]);
		ck_assert_uint_eq(e[7], irq);
	}
}
END_TEST

/* MP spec 1.4, 4.3.5: ExtINT on LINT0 and NMI on LINT1 of every local APIC. */
START_TEST(local_interrupts)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;

	write_and_parse(&t, buf, cpu_counts[_i]);
	ck_assert_uint_eq(t.count[4], 2);
	for (unsigned lint = 0; lint < 2; lint++) {
		const uint8_t *e = t.entry[4][lint];

		ck_assert_uint_eq(e[1], lint == 0 ? 3 : 1);
		ck_assert_uint_eq(test_le16(e + 2), 0);
		ck_assert_uint_eq(e[6], 0xff);
		ck_assert_uint_eq(e[7], lint);
	}
}
END_TEST

/* The checksum test above would pass on anything if test_byte_sum() were broken:
 * changing any one byte must make its structure's sum nonzero. */
START_TEST(corruption_breaks_checksums)
{
	uint8_t buf[BUF_SIZE];
	struct parsed t;

	write_and_parse(&t, buf, cpu_counts[_i]);
	for (size_t i = 0; i < 16; i++) {
		buf[i] ^= 1;
		ck_assert_uint_ne(test_byte_sum(t.mpf, 16), 0);
		buf[i] ^= 1;
	}
	size_t table_off = (size_t)(t.table - buf);
	for (size_t i = table_off; i < table_off + t.base_length; i++) {
		buf[i] ^= 1;
		ck_assert_uint_ne(test_byte_sum(t.table, t.base_length), 0);
		buf[i] ^= 1;
	}
	ck_assert_uint_eq(test_byte_sum(t.mpf, 16), 0);
	ck_assert_uint_eq(test_byte_sum(t.table, t.base_length), 0);
}
END_TEST

START_TEST(rejects_bad_cpu_counts)
{
	static const unsigned bad[] = { 0, MPTABLE_MAX_CPUS + 1, 255, UINT_MAX };
	uint8_t buf[BUF_SIZE];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, CANARY, sizeof(buf));
		ck_assert_int_eq(mptable_write(buf, sizeof(buf), MPTABLE_ADDR,
					       bad[i]), -EINVAL);
		ck_assert(test_all_bytes(buf, sizeof(buf), CANARY));
	}
}
END_TEST

START_TEST(rejects_bad_gpa)
{
	size_t need = expected_size(1);
	uint64_t last = ((1ULL << 32) - need) & ~15ULL;
	static const uint64_t bad[] = {
		MPTABLE_ADDR + 8, MPTABLE_ADDR + 1, 1ULL << 32, UINT64_MAX & ~15ULL,
	};
	uint8_t buf[BUF_SIZE];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, CANARY, sizeof(buf));
		ck_assert_int_eq(mptable_write(buf, sizeof(buf), bad[i], 1),
				 -EINVAL);
		ck_assert(test_all_bytes(buf, sizeof(buf), CANARY));
	}
	ck_assert_int_eq(mptable_write(buf, sizeof(buf), last + 16, 1), -EINVAL);
	ck_assert_int_eq(mptable_write(buf, sizeof(buf), last, 1), (int)need);
}
END_TEST

/* Every room short of the need fails and writes nothing, even inside room;
 * the exact need succeeds without touching the byte after it. */
START_TEST(rejects_small_room)
{
	unsigned ncpus = cpu_counts[_i];
	size_t need = expected_size(ncpus);
	uint8_t buf[BUF_SIZE];

	for (size_t room = 0; room < need; room++) {
		memset(buf, CANARY, sizeof(buf));
		ck_assert_int_eq(mptable_write(buf, room, MPTABLE_ADDR, ncpus),
				 -ENOSPC);
		ck_assert(test_all_bytes(buf, sizeof(buf), CANARY));
	}
	memset(buf, CANARY, sizeof(buf));
	ck_assert_int_eq(mptable_write(buf, need, MPTABLE_ADDR, ncpus),
			 (int)need);
	ck_assert(test_all_bytes(buf + need, sizeof(buf) - need, CANARY));
}
END_TEST

/* The maximum is the largest count that fits in the KiB below 640 KiB and
 * leaves the I/O APIC an APIC ID below the 0xff broadcast. */
START_TEST(max_cpus_is_honest)
{
	ck_assert_uint_le(expected_size(MPTABLE_MAX_CPUS), ROOM);
	ck_assert_uint_gt(expected_size(MPTABLE_MAX_CPUS + 1), ROOM);
	ck_assert_uint_lt(MPTABLE_MAX_CPUS, 0xff);
}
END_TEST

Suite *mptable_suite(void)
{
	Suite *s = suite_create("mptable");
	TCase *tc = tcase_create("mptable");

	tcase_add_loop_test(tc, floating_pointer, 0, NCOUNTS);
	tcase_add_test(tc, physptr_follows_gpa);
	tcase_add_loop_test(tc, header, 0, NCOUNTS);
	tcase_add_loop_test(tc, processors, 0, NCOUNTS);
	tcase_add_loop_test(tc, bus_and_ioapic, 0, NCOUNTS);
	tcase_add_loop_test(tc, io_interrupts, 0, NCOUNTS);
	tcase_add_loop_test(tc, local_interrupts, 0, NCOUNTS);
	tcase_add_loop_test(tc, corruption_breaks_checksums, 0, NCOUNTS);
	tcase_add_test(tc, rejects_bad_cpu_counts);
	tcase_add_test(tc, rejects_bad_gpa);
	tcase_add_loop_test(tc, rejects_small_room, 0, NCOUNTS);
	tcase_add_test(tc, max_cpus_is_honest);
	suite_add_tcase(s, tc);
	return s;
}
