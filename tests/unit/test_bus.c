/* Unit tests for port I/O and MMIO dispatch: who gets an access, at which
 * offset, and what happens to the accesses nobody claims. */
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "src/bus.h"
#include "tests/unit/suites.h"


/* A fake device: remembers its last access, answers reads with `fill`. */
struct fake_dev {
	unsigned calls;
	uint64_t offset;
	unsigned len;
	bool is_write;
	uint8_t written[8];
	uint8_t fill;
};

static struct bus bus;
static struct fake_dev serial, keyboard, high;

static void fake_handle(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct fake_dev *d = dev;

	ck_assert_uint_le(len, sizeof(d->written));
	d->calls++;
	d->offset = offset;
	d->len = len;
	d->is_write = is_write;
	if (is_write)
		memcpy(d->written, data, len);
	else
		memset(data, d->fill, len);
}

static void setup(void)
{
	memset(&bus, 0, sizeof(bus));
	serial = (struct fake_dev){ .fill = 0x11 };
	keyboard = (struct fake_dev){ .fill = 0x22 };
	high = (struct fake_dev){ .fill = 0x33 };
}

/* COM1 at 0x3f8 (8 ports) and the i8042 at 0x60 (5 ports). */
static void register_pc_ports(void)
{
	ck_assert_int_eq(bus_register(&bus, 0x3f8, 8, fake_handle, &serial), 0);
	ck_assert_int_eq(bus_register(&bus, 0x60, 5, fake_handle, &keyboard), 0);
}

static int try_register(uint64_t base, uint64_t len)
{
	return bus_register(&bus, base, len, fake_handle, &high);
}

static uint64_t unhandled(void)
{
	return atomic_load(&bus.unhandled);
}

/* An unclaimed read of `len` bytes: all-ones, nothing past `len` touched. */
static void assert_unclaimed_read(uint64_t addr, unsigned len)
{
	uint8_t data[9];
	uint64_t before = unhandled();

	memset(data, 0x5a, sizeof(data));
	bus_access(&bus, addr, data, len, false);
	for (unsigned i = 0; i < len; i++)
		ck_assert_msg(data[i] == 0xff, "len %u: byte %u is 0x%02x", len, i, data[i]);
	ck_assert_uint_eq(data[len], 0x5a);
	ck_assert_uint_eq(unhandled(), before + 1);
}

START_TEST(test_read_dispatched_with_offset)
{
	uint8_t data[2] = { 0 };

	register_pc_ports();
	bus_access(&bus, 0x3fd, data, 1, false);
	ck_assert_uint_eq(serial.calls, 1);
	ck_assert_uint_eq(serial.offset, 5);
	ck_assert_uint_eq(serial.len, 1);
	ck_assert(!serial.is_write);
	ck_assert_uint_eq(data[0], 0x11);
	ck_assert_uint_eq(data[1], 0);
	ck_assert_uint_eq(keyboard.calls, 0);
	ck_assert_uint_eq(unhandled(), 0);
}
END_TEST

START_TEST(test_write_dispatched_with_offset)
{
	uint8_t data[2] = { 0xfe, 0xed };

	register_pc_ports();
	bus_access(&bus, 0x64, data, 1, true);
	ck_assert_uint_eq(keyboard.calls, 1);
	ck_assert_uint_eq(keyboard.offset, 4);
	ck_assert_uint_eq(keyboard.len, 1);
	ck_assert(keyboard.is_write);
	ck_assert_uint_eq(keyboard.written[0], 0xfe);
	ck_assert_uint_eq(serial.calls, 0);
	ck_assert_uint_eq(unhandled(), 0);
}
END_TEST

START_TEST(test_first_and_last_byte_of_device)
{
	uint8_t data[2];

	register_pc_ports();
	bus_access(&bus, 0x3f8, data, 1, false);
	ck_assert_uint_eq(serial.offset, 0);
	bus_access(&bus, 0x3fe, data, 2, false);
	ck_assert_uint_eq(serial.offset, 6);
	ck_assert_uint_eq(serial.len, 2);
	ck_assert_uint_eq(serial.calls, 2);
	ck_assert_uint_eq(unhandled(), 0);
}
END_TEST

START_TEST(test_access_straddling_device_end_is_unhandled)
{
	register_pc_ports();
	assert_unclaimed_read(0x3ff, 2);
	assert_unclaimed_read(0x3fc, 8);
	ck_assert_uint_eq(serial.calls, 0);
}
END_TEST

START_TEST(test_access_straddling_device_start_is_unhandled)
{
	register_pc_ports();
	assert_unclaimed_read(0x3f7, 2);
	assert_unclaimed_read(0x5f, 4);
	ck_assert_uint_eq(serial.calls, 0);
	ck_assert_uint_eq(keyboard.calls, 0);
}
END_TEST

START_TEST(test_unhandled_reads_all_ones_every_size)
{
	register_pc_ports();
	assert_unclaimed_read(0x80, 1);
	assert_unclaimed_read(0x80, 2);
	assert_unclaimed_read(0x80, 4);
	assert_unclaimed_read(0xfee00000, 8);
	ck_assert_uint_eq(unhandled(), 4);
}
END_TEST

START_TEST(test_empty_bus_reads_all_ones)
{
	assert_unclaimed_read(0, 4);
	ck_assert_uint_eq(unhandled(), 1);
}
END_TEST

START_TEST(test_unhandled_writes_counted_and_data_untouched)
{
	uint8_t data[4] = { 1, 2, 3, 4 };
	static const uint8_t same[4] = { 1, 2, 3, 4 };

	register_pc_ports();
	bus_access(&bus, 0x80, data, 1, true);
	bus_access(&bus, 0x402, data, 4, true);
	ck_assert_uint_eq(unhandled(), 2);
	ck_assert_mem_eq(data, same, sizeof(data));
	ck_assert_uint_eq(serial.calls + keyboard.calls, 0);
}
END_TEST

START_TEST(test_overlapping_registration_rejected)
{
	register_pc_ports();
	ck_assert_int_eq(try_register(0x3f8, 8), -EEXIST);   /* same */
	ck_assert_int_eq(try_register(0x3f0, 9), -EEXIST);   /* last byte */
	ck_assert_int_eq(try_register(0x3ff, 4), -EEXIST);   /* first byte */
	ck_assert_int_eq(try_register(0x3fa, 1), -EEXIST);   /* inside */
	ck_assert_int_eq(try_register(0x300, 0x200), -EEXIST); /* around */
	ck_assert_uint_eq(bus.ndevices, 2);
}
END_TEST

START_TEST(test_adjacent_registration_accepted)
{
	register_pc_ports();
	ck_assert_int_eq(try_register(0x3f0, 8), 0);
	ck_assert_int_eq(try_register(0x400, 8), 0);
	ck_assert_uint_eq(bus.ndevices, 4);
}
END_TEST

START_TEST(test_zero_length_rejected)
{
	ck_assert_int_eq(try_register(0x1000, 0), -EINVAL);
	ck_assert_uint_eq(bus.ndevices, 0);
}
END_TEST

START_TEST(test_wrapping_range_rejected)
{
	ck_assert_int_eq(try_register(UINT64_MAX, 2), -EINVAL);
	ck_assert_int_eq(try_register(UINT64_MAX - 0xfff, 0x2000), -EINVAL);
	ck_assert_int_eq(try_register(1, UINT64_MAX), -EINVAL);
	ck_assert_uint_eq(bus.ndevices, 0);
}
END_TEST

START_TEST(test_device_just_below_top_of_space)
{
	uint8_t data[2];

	ck_assert_int_eq(try_register(UINT64_MAX - 0xff, 0xff), 0);
	bus_access(&bus, UINT64_MAX - 1, data, 1, false);
	ck_assert_uint_eq(high.calls, 1);
	ck_assert_uint_eq(high.offset, 0xfe);
	assert_unclaimed_read(UINT64_MAX - 1, 2);
	assert_unclaimed_read(UINT64_MAX, 1);
}
END_TEST

START_TEST(test_full_bus_rejected)
{
	for (uint64_t i = 0; i < BUS_MAX_DEVICES; i++)
		ck_assert_int_eq(try_register(0x1000 + i * 0x10, 0x10), 0);
	ck_assert_int_eq(try_register(0x9000, 0x10), -ENOSPC);
	ck_assert_uint_eq(bus.ndevices, BUS_MAX_DEVICES);
}
END_TEST

START_TEST(test_every_device_of_full_bus_reachable)
{
	uint8_t data[1];
	struct fake_dev devs[BUS_MAX_DEVICES] = { 0 };

	for (unsigned i = 0; i < BUS_MAX_DEVICES; i++)
		ck_assert_int_eq(bus_register(&bus, 0x1000 + i * 0x10, 0x10, fake_handle, &devs[i]), 0);
	for (unsigned i = 0; i < BUS_MAX_DEVICES; i++) {
		bus_access(&bus, 0x1000 + i * 0x10 + 3, data, 1, false);
		ck_assert_uint_eq(devs[i].calls, 1);
		ck_assert_uint_eq(devs[i].offset, 3);
	}
	ck_assert_uint_eq(unhandled(), 0);
}
END_TEST

Suite *bus_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc = tcase_create("dispatch");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_read_dispatched_with_offset);
	tcase_add_test(tc, test_write_dispatched_with_offset);
	tcase_add_test(tc, test_first_and_last_byte_of_device);
	tcase_add_test(tc, test_access_straddling_device_end_is_unhandled);
	tcase_add_test(tc, test_access_straddling_device_start_is_unhandled);
	tcase_add_test(tc, test_unhandled_reads_all_ones_every_size);
	tcase_add_test(tc, test_empty_bus_reads_all_ones);
	tcase_add_test(tc, test_unhandled_writes_counted_and_data_untouched);
	tcase_add_test(tc, test_device_just_below_top_of_space);
	tcase_add_test(tc, test_every_device_of_full_bus_reachable);
	suite_add_tcase(s, tc);

	tc = tcase_create("register");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_overlapping_registration_rejected);
	tcase_add_test(tc, test_adjacent_registration_accepted);
	tcase_add_test(tc, test_zero_length_rejected);
	tcase_add_test(tc, test_wrapping_range_rejected);
	tcase_add_test(tc, test_full_bus_rejected);
	suite_add_tcase(s, tc);
	return s;
}
