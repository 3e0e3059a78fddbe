/* The RTC as Linux's rtc_cmos and hwclock read it: select a register on
 * port 0x70, read it on 0x71. */
#include <check.h>

#include "devices/cmos_rtc.h"
#include "tests/unit/suites.h"

#define INDEX 0
#define DATA 1

/* Sunday 2026-11-22 16:05:09 UTC */
#define FIXED_TIME ((time_t)1795363509)

static struct cmos_rtc rtc;

static time_t fixed_now(void *ctx)
{
	(void)ctx;
	return FIXED_TIME;
}

static void setup(void)
{
	const struct cmos_rtc_ops ops = { .now = fixed_now };
	cmos_rtc_init(&rtc, &ops);
}

static uint8_t reg(uint8_t r)
{
	cmos_rtc_write(&rtc, INDEX, r);
	return cmos_rtc_read(&rtc, DATA);
}

static void set_reg(uint8_t r, uint8_t v)
{
	cmos_rtc_write(&rtc, INDEX, r);
	cmos_rtc_write(&rtc, DATA, v);
}

START_TEST(time_reads_in_bcd_24h_by_default)
{
	ck_assert_uint_eq(reg(0x00), 0x09);
	ck_assert_uint_eq(reg(0x02), 0x05);
	ck_assert_uint_eq(reg(0x04), 0x16);
	ck_assert_uint_eq(reg(0x06), 0x01); /* Sunday */
	ck_assert_uint_eq(reg(0x07), 0x22);
	ck_assert_uint_eq(reg(0x08), 0x11);
	ck_assert_uint_eq(reg(0x09), 0x26);
	ck_assert_uint_eq(reg(0x32), 0x20);
}
END_TEST

START_TEST(binary_mode_when_guest_sets_dm)
{
	set_reg(0x0b, 0x06);
	ck_assert_uint_eq(reg(0x0b), 0x06);
	ck_assert_uint_eq(reg(0x04), 16);
	ck_assert_uint_eq(reg(0x09), 26);
}
END_TEST

START_TEST(twelve_hour_mode_marks_pm)
{
	set_reg(0x0b, 0x00);
	ck_assert_uint_eq(reg(0x04), 0x80 | 0x04);
}
END_TEST

START_TEST(status_registers_say_ready_and_valid)
{
	ck_assert_uint_eq(reg(0x0a) & 0x80, 0); /* no update in progress */
	ck_assert_uint_eq(reg(0x0d), 0x80);
	ck_assert_uint_eq(reg(0x0c), 0);
	set_reg(0x0a, 0xff);
	set_reg(0x0d, 0x00);
	ck_assert_uint_eq(reg(0x0a) & 0x80, 0);
	ck_assert_uint_eq(reg(0x0d), 0x80);
}
END_TEST

START_TEST(interrupt_enables_and_set_bit_are_dropped)
{
	set_reg(0x0b, 0xf2);
	ck_assert_uint_eq(reg(0x0b), 0x02);
}
END_TEST

START_TEST(setting_the_time_is_ignored)
{
	set_reg(0x00, 0x59);
	set_reg(0x09, 0x99);
	ck_assert_uint_eq(reg(0x00), 0x09);
	ck_assert_uint_eq(reg(0x09), 0x26);
}
END_TEST

START_TEST(ram_round_trips_and_nmi_bit_is_not_address)
{
	set_reg(0x40, 0x5a);
	ck_assert_uint_eq(reg(0x40), 0x5a);
	ck_assert_uint_eq(reg(0x80 | 0x40), 0x5a);
	set_reg(0x7f, 0xa5);
	ck_assert_uint_eq(reg(0xff), 0xa5);
	ck_assert_uint_eq(cmos_rtc_read(&rtc, INDEX), 0xff);
	ck_assert_uint_eq(cmos_rtc_read(&rtc, 7), 0xff);
}
END_TEST

Suite *cmos_rtc_suite(void)
{
	Suite *s = suite_create("cmos_rtc");
	TCase *tc = tcase_create("registers");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, time_reads_in_bcd_24h_by_default);
	tcase_add_test(tc, binary_mode_when_guest_sets_dm);
	tcase_add_test(tc, twelve_hour_mode_marks_pm);
	tcase_add_test(tc, status_registers_say_ready_and_valid);
	tcase_add_test(tc, interrupt_enables_and_set_bit_are_dropped);
	tcase_add_test(tc, setting_the_time_is_ignored);
	tcase_add_test(tc, ram_round_trips_and_nmi_bit_is_not_address);
	suite_add_tcase(s, tc);
	return s;
}
