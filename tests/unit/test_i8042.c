/* Unit tests for the i8042, driven the way Linux's i8042 driver
 * (drivers/input/serio/i8042.c) probes a controller, plus the reset line. */
#include <stdbool.h>

#include "devices/i8042.h"
#include "tests/unit/suites.h"


/* Ports as offsets from 0x60, and the names Linux's i8042.h uses. */
enum { DATA = 0, COMMAND = 4, STATUS = 4 };

#define I8042_STR_OBF		0x01
#define I8042_STR_SYSFLAG	0x04
#define I8042_CMD_CTL_RCTR	0x20
#define I8042_CMD_CTL_WCTR	0x60
#define I8042_CMD_AUX_TEST	0xa9
#define I8042_CMD_CTL_TEST	0xaa
#define I8042_CMD_KBD_TEST	0xab
#define I8042_CMD_WRITE_OUT	0xd1
#define I8042_CMD_AUX_LOOP	0xd3
#define I8042_CMD_PULSE_RESET	0xfe

static struct i8042 kbc;
static unsigned resets;

static void fake_reset(void *ctx)
{
	ck_assert_ptr_eq(ctx, &resets);
	resets++;
}

static void setup(void)
{
	const struct i8042_ops ops = { .reset = fake_reset, .ctx = &resets };

	resets = 0;
	i8042_init(&kbc, &ops);
}

static uint8_t status(void)
{
	return i8042_read(&kbc, STATUS);
}

static bool output_full(void)
{
	return status() & I8042_STR_OBF;
}

/* i8042_command: the command, its data byte if any, and the reply once
 * OBF says it is there. */
static uint8_t command_reply(uint8_t cmd)
{
	i8042_write(&kbc, COMMAND, cmd);
	ck_assert_msg(output_full(), "no reply to 0x%02x", cmd);
	return i8042_read(&kbc, DATA);
}

static void command_with_data(uint8_t cmd, uint8_t data)
{
	i8042_write(&kbc, COMMAND, cmd);
	i8042_write(&kbc, DATA, data);
}

START_TEST(test_status_at_start)
{
	ck_assert_uint_eq(status() & I8042_STR_SYSFLAG, I8042_STR_SYSFLAG);
	/* keylock bit set means unlocked; Linux warns "Keylock active" otherwise */
	ck_assert_uint_eq(status() & 0x10, 0x10);
	ck_assert(!output_full());
}
END_TEST

START_TEST(test_self_test_passes)
{
	i8042_write(&kbc, COMMAND, I8042_CMD_CTL_TEST);
	ck_assert(output_full());
	ck_assert_uint_eq(i8042_read(&kbc, DATA), 0x55);
	ck_assert(!output_full());
	ck_assert_uint_eq(status() & I8042_STR_SYSFLAG, I8042_STR_SYSFLAG);
}
END_TEST

START_TEST(test_keyboard_port_test_passes)
{
	ck_assert_uint_eq(command_reply(I8042_CMD_KBD_TEST), 0x00);
	ck_assert(!output_full());
}
END_TEST

START_TEST(test_read_ctr_at_start_has_sysflag)
{
	ck_assert_uint_eq(command_reply(I8042_CMD_CTL_RCTR) & I8042_STR_SYSFLAG, I8042_STR_SYSFLAG);
	ck_assert(!output_full());
}
END_TEST

START_TEST(test_ctr_round_trip)
{
	command_with_data(I8042_CMD_CTL_WCTR, 0x47);
	ck_assert(!output_full());
	ck_assert_uint_eq(command_reply(I8042_CMD_CTL_RCTR), 0x47);
	command_with_data(I8042_CMD_CTL_WCTR, 0x30);
	ck_assert_uint_eq(command_reply(I8042_CMD_CTL_RCTR), 0x30);
}
END_TEST

/* i8042_check_aux: a loop that echoes means a mouse port is there. */
START_TEST(test_aux_loop_does_not_echo)
{
	command_with_data(I8042_CMD_AUX_LOOP, 0x5a);
	ck_assert(output_full());
	ck_assert_uint_ne(i8042_read(&kbc, DATA), 0x5a);
	ck_assert(!output_full());
}
END_TEST

/* ... and then a non-zero AUX test result that is not 0xfa or 0xff. */
START_TEST(test_aux_test_reports_no_port)
{
	uint8_t r = command_reply(I8042_CMD_AUX_TEST);

	ck_assert_uint_ne(r, 0);
	ck_assert_uint_ne(r, 0xfa);
	ck_assert_uint_ne(r, 0xff);
}
END_TEST

START_TEST(test_pulse_reset_command_resets_once)
{
	i8042_write(&kbc, COMMAND, I8042_CMD_PULSE_RESET);
	ck_assert_uint_eq(resets, 1);
	ck_assert(!output_full());
}
END_TEST

START_TEST(test_write_output_port_bit0_clear_resets)
{
	command_with_data(I8042_CMD_WRITE_OUT, 0xfe);
	ck_assert_uint_eq(resets, 1);
}
END_TEST

START_TEST(test_write_output_port_bit0_set_does_not_reset)
{
	command_with_data(I8042_CMD_WRITE_OUT, 0xff);
	command_with_data(I8042_CMD_WRITE_OUT, 0x01);
	ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_odd_pulse_commands_do_not_reset)
{
	for (unsigned cmd = 0xf1; cmd <= 0xff; cmd += 2)
		i8042_write(&kbc, COMMAND, (uint8_t)cmd);
	ck_assert_uint_eq(resets, 0);
}
END_TEST

START_TEST(test_data_byte_after_write_output_is_consumed)
{
	command_with_data(I8042_CMD_WRITE_OUT, 0xff);
	i8042_write(&kbc, DATA, 0xfe); /* for the absent keyboard, not the port */
	ck_assert_uint_eq(resets, 0);
	command_with_data(I8042_CMD_CTL_WCTR, 0x45);
	i8042_write(&kbc, DATA, 0x00);
	ck_assert_uint_eq(command_reply(I8042_CMD_CTL_RCTR), 0x45);
}
END_TEST

START_TEST(test_output_queue_overflow)
{
	for (unsigned i = 0; i < 3 * I8042_OUTQ_SIZE; i++)
		i8042_write(&kbc, COMMAND, I8042_CMD_CTL_TEST);
	for (unsigned i = 0; i < I8042_OUTQ_SIZE; i++) {
		ck_assert(output_full());
		ck_assert_uint_eq(i8042_read(&kbc, DATA), 0x55);
	}
	ck_assert(!output_full());
	ck_assert_uint_eq(i8042_read(&kbc, DATA), 0);
}
END_TEST

START_TEST(test_replies_in_order)
{
	i8042_write(&kbc, COMMAND, I8042_CMD_CTL_TEST);
	i8042_write(&kbc, COMMAND, I8042_CMD_KBD_TEST);
	ck_assert_uint_eq(i8042_read(&kbc, DATA), 0x55);
	ck_assert(output_full());
	ck_assert_uint_eq(i8042_read(&kbc, DATA), 0x00);
	ck_assert(!output_full());
}
END_TEST

START_TEST(test_read_empty_data_returns_zero)
{
	ck_assert_uint_eq(i8042_read(&kbc, DATA), 0);
	ck_assert(!output_full());
}
END_TEST

Suite *i8042_suite(void)
{
	Suite *s = suite_create("i8042");
	TCase *tc = tcase_create("probe");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_status_at_start);
	tcase_add_test(tc, test_self_test_passes);
	tcase_add_test(tc, test_keyboard_port_test_passes);
	tcase_add_test(tc, test_read_ctr_at_start_has_sysflag);
	tcase_add_test(tc, test_ctr_round_trip);
	tcase_add_test(tc, test_aux_loop_does_not_echo);
	tcase_add_test(tc, test_aux_test_reports_no_port);
	tcase_add_test(tc, test_output_queue_overflow);
	tcase_add_test(tc, test_replies_in_order);
	tcase_add_test(tc, test_read_empty_data_returns_zero);
	suite_add_tcase(s, tc);

	tc = tcase_create("reset");
	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_pulse_reset_command_resets_once);
	tcase_add_test(tc, test_write_output_port_bit0_clear_resets);
	tcase_add_test(tc, test_write_output_port_bit0_set_does_not_reset);
	tcase_add_test(tc, test_odd_pulse_commands_do_not_reset);
	tcase_add_test(tc, test_data_byte_after_write_output_is_consumed);
	suite_add_tcase(s, tc);
	return s;
}
