/* The I/O APIC as Linux programs it: select a register through IOREGSEL,
 * read or write it through IOWIN; pins become MSIs. */
#include <check.h>
#include <stdint.h>

#include "devices/ioapic.h"
#include "tests/unit/suites.h"

#define REGSEL 0x00
#define WINDOW 0x10

struct recorder {
	unsigned msis;
	uint64_t addr;
	uint32_t data;
	unsigned changes;
	unsigned last_pin;
};

static struct recorder rec;
static struct ioapic io;

static void record_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct recorder *r = ctx;
	r->msis++;
	r->addr = addr;
	r->data = data;
}

static void record_change(void *ctx, unsigned pin)
{
	struct recorder *r = ctx;
	r->changes++;
	r->last_pin = pin;
}

static void setup(void)
{
	const struct ioapic_ops ops = { .send_msi = record_msi, .entry_changed = record_change, .ctx = &rec };

	rec = (struct recorder){ 0 };
	ioapic_init(&io, 2, &ops);
}

static uint32_t reg_read(uint8_t reg)
{
	ioapic_write(&io, REGSEL, reg);
	return ioapic_read(&io, WINDOW);
}

static void reg_write(uint8_t reg, uint32_t value)
{
	ioapic_write(&io, REGSEL, reg);
	ioapic_write(&io, WINDOW, value);
}

/* Redirection entry for `pin`: low word then high word, as Linux writes. */
static void program(unsigned pin, uint32_t low, uint8_t dest)
{
	reg_write((uint8_t)(0x10 + 2 * pin + 1), (uint32_t)dest << 24);
	reg_write((uint8_t)(0x10 + 2 * pin), low);
}

#define VEC 0x31
#define LEVEL (1u << 15)
#define MASK (1u << 16)
#define REMOTE_IRR (1u << 14)

START_TEST(id_version_and_reset_state)
{
	ck_assert_uint_eq(reg_read(0x00), 2u << 24);
	ck_assert_uint_eq(reg_read(0x01), 0x11u | (23u << 16));
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		ck_assert_uint_eq(reg_read((uint8_t)(0x10 + 2 * pin)), MASK);
		ck_assert(ioapic_masked(&io, pin));
	}
	ck_assert_uint_eq(reg_read(0x10 + 2 * IOAPIC_PINS), 0xffffffff);
}
END_TEST

START_TEST(entry_round_trip_keeps_read_only_bits)
{
	program(4, VEC | (1u << 11) | (1u << 12) | REMOTE_IRR, 0x03);
	/* delivery status (12) and remote IRR (14) are not the guest's to set */
	ck_assert_uint_eq(reg_read(0x10 + 8), VEC | (1u << 11));
	ck_assert_uint_eq(reg_read(0x10 + 9), 0x03u << 24);
	ck_assert_uint_eq(rec.changes, 2);
	ck_assert_uint_eq(rec.last_pin, 4);
}
END_TEST

START_TEST(masked_pin_sends_nothing)
{
	ioapic_set_irq(&io, 4, true);
	ck_assert_uint_eq(rec.msis, 0);
}
END_TEST

START_TEST(edge_pin_fires_once_per_rising_edge)
{
	program(4, VEC, 1);
	ioapic_set_irq(&io, 4, true);
	ioapic_set_irq(&io, 4, true);
	ck_assert_uint_eq(rec.msis, 1);
	ck_assert_uint_eq(rec.addr, 0xfee01000);
	ck_assert_uint_eq(rec.data, VEC | (1u << 14));
	ioapic_set_irq(&io, 4, false);
	ioapic_set_irq(&io, 4, true);
	ck_assert_uint_eq(rec.msis, 2);
}
END_TEST

START_TEST(logical_destination_sets_address_bit_2)
{
	program(1, VEC | (1u << 11), 0x0f);
	ioapic_set_irq(&io, 1, true);
	ck_assert_uint_eq(rec.addr, 0xfee0f004);
}
END_TEST

START_TEST(level_pin_waits_for_eoi)
{
	program(9, VEC | LEVEL, 0);
	ioapic_set_irq(&io, 9, true);
	ck_assert_uint_eq(rec.msis, 1);
	ck_assert_uint_eq(rec.data, VEC | LEVEL | (1u << 14));
	ck_assert_uint_ne(reg_read(0x10 + 18) & REMOTE_IRR, 0);
	ioapic_set_irq(&io, 9, true);
	ck_assert_uint_eq(rec.msis, 1); /* remote IRR holds it back */
	ioapic_eoi(&io, VEC);
	ck_assert_uint_eq(rec.msis, 2); /* still asserted: fires again */
	ioapic_set_irq(&io, 9, false);
	ioapic_eoi(&io, VEC);
	ck_assert_uint_eq(rec.msis, 2);
	ck_assert_uint_eq(reg_read(0x10 + 18) & REMOTE_IRR, 0);
}
END_TEST

START_TEST(eoi_of_other_vector_changes_nothing)
{
	program(9, VEC | LEVEL, 0);
	ioapic_set_irq(&io, 9, true);
	ioapic_eoi(&io, VEC + 1);
	ck_assert_uint_ne(reg_read(0x10 + 18) & REMOTE_IRR, 0);
	ck_assert_uint_eq(rec.msis, 1);
}
END_TEST

START_TEST(unmasking_held_level_pin_fires)
{
	program(9, VEC | LEVEL | MASK, 0);
	ioapic_set_irq(&io, 9, true);
	ck_assert_uint_eq(rec.msis, 0);
	program(9, VEC | LEVEL, 0);
	ck_assert_uint_eq(rec.msis, 1);
}
END_TEST

START_TEST(out_of_range_pins_and_offsets_are_harmless)
{
	ioapic_set_irq(&io, IOAPIC_PINS, true);
	ioapic_set_irq(&io, 1000, true);
	ck_assert_uint_eq(rec.msis, 0);
	ck_assert_uint_eq(ioapic_read(&io, 0x04), 0xffffffff);
	ioapic_write(&io, 0x1c, 0x12345678);
	reg_write(0xff, 0xffffffff);
	ck_assert_uint_eq(rec.changes, 0);
	ck_assert_uint_eq(ioapic_read(&io, REGSEL), 0xff);
}
END_TEST

Suite *ioapic_suite(void)
{
	Suite *s = suite_create("ioapic");
	TCase *tc = tcase_create("registers and delivery");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, id_version_and_reset_state);
	tcase_add_test(tc, entry_round_trip_keeps_read_only_bits);
	tcase_add_test(tc, masked_pin_sends_nothing);
	tcase_add_test(tc, edge_pin_fires_once_per_rising_edge);
	tcase_add_test(tc, logical_destination_sets_address_bit_2);
	tcase_add_test(tc, level_pin_waits_for_eoi);
	tcase_add_test(tc, eoi_of_other_vector_changes_nothing);
	tcase_add_test(tc, unmasking_held_level_pin_fires);
	tcase_add_test(tc, out_of_range_pins_and_offsets_are_harmless);
	suite_add_tcase(s, tc);
	return s;
}
