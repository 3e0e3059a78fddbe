/* Unit tests for the exit-status port: what counts as a report or a phase,
 * what is ignored, and that only the first report counts. */
#include <string.h>

#include "devices/status_port.h"
#include "tests/unit/suites.h"

static struct status_port port;
static struct status_report last;
static unsigned reports;
static enum status_phase phases[8];
static unsigned nphases;

static void fake_report(void *ctx, const struct status_report *r)
{
	ck_assert_ptr_eq(ctx, &reports);
	last = *r;
	reports++;
}

static void fake_phase(void *ctx, enum status_phase phase)
{
	ck_assert_ptr_eq(ctx, &reports);
	ck_assert_uint_lt(nphases, sizeof(phases) / sizeof(phases[0]));
	phases[nphases++] = phase;
}

static void setup(void)
{
	const struct status_port_ops ops = {
		.report = fake_report, .phase = fake_phase, .ctx = &reports,
	};

	reports = 0;
	nphases = 0;
	memset(&last, 0xee, sizeof(last));
	status_port_init(&port, &ops);
}

static void outl(unsigned offset, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
	status_port_access(&port, offset, b, 4, true);
}

static uint32_t inl(unsigned offset)
{
	uint8_t b[4];
	status_port_access(&port, offset, b, 4, false);
	return b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* Exactly one report, of this kind and value. */
static void assert_report(enum status_kind kind, unsigned value)
{
	ck_assert_uint_eq(reports, 1);
	ck_assert_int_eq(last.kind, kind);
	ck_assert_uint_eq(last.value, value);
}

START_TEST(test_signature)
{
	uint8_t b[2] = { 0, 0 };

	ck_assert_uint_eq(inl(0), STATUS_PORT_SIGNATURE);
	ck_assert_uint_eq(inl(0), 0x5453524d);
	status_port_access(&port, 0, b, 2, false);  /* narrower reads: nothing there */
	ck_assert_uint_eq(b[0], 0xff);
	ck_assert_uint_eq(b[1], 0xff);
	ck_assert_uint_eq(reports, 0);
}
END_TEST

START_TEST(test_exit_status_42)
{
	outl(0, 42);
	assert_report(STATUS_KIND_EXITED, 42);
	ck_assert_uint_eq(port.ignored, 0);
}
END_TEST

START_TEST(test_exit_status_0_and_255)
{
	outl(0, 0);
	assert_report(STATUS_KIND_EXITED, 0);
	setup();
	outl(0, 255);
	assert_report(STATUS_KIND_EXITED, 255);
}
END_TEST

START_TEST(test_signal_death)
{
	outl(0, 0x100 | 15);
	assert_report(STATUS_KIND_SIGNALED, 15);
}
END_TEST

START_TEST(test_init_failure)
{
	outl(0, 0x200 | STATUS_STEP_MOUNT_ROOT);
	assert_report(STATUS_KIND_INIT_FAILED, STATUS_STEP_MOUNT_ROOT);
}
END_TEST

/* Byte and word writes are what a stray driver probing ports would do;
 * none may end the run with a made-up status. */
START_TEST(test_other_widths_ignored)
{
	uint8_t b[4] = { 42, 0, 0, 0 };

	status_port_access(&port, 0, b, 1, true);
	status_port_access(&port, 0, b, 2, true);
	status_port_access(&port, 1, b, 1, true);
	ck_assert_uint_eq(reports, 0);
	ck_assert_uint_eq(port.ignored, 3);
	outl(0, 7);
	assert_report(STATUS_KIND_EXITED, 7);
}
END_TEST

START_TEST(test_invalid_values_ignored)
{
	const uint32_t bad[] = {
		0x100,                          /* signal 0 */
		0x180,                          /* signal 128 */
		0x200,                          /* init step 0 */
		0x200 | (STATUS_STEP_MAX + 1),  /* unknown step */
		0x300,                          /* profile 0's step exited 0: no failure */
		0x500 | 1,                      /* unknown kind */
		0x04000301,                     /* profile failure of an unknown HOW */
		0x00100301,                     /* profile 16: past STATUS_MAX_PROFILES */
		0x01000380,                     /* profile killed by signal 128 */
		0x400,                          /* phase 0 */
		0x400 | (STATUS_PHASE_MAX + 1), /* unknown phase */
		0x4ff,
		0x10000 | 42,                   /* high bits set */
		0xffffffff,
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		outl(0, bad[i]);
	ck_assert_uint_eq(reports, 0);
	ck_assert_uint_eq(nphases, 0);
	ck_assert_uint_eq(port.ignored, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

/* A profile's guest step: its index and how it failed come through. */
START_TEST(test_profile_failure)
{
	outl(0, 0x01000300 | 9 | 3 << 16);  /* profile 3 killed by signal 9 */
	assert_report(STATUS_KIND_PROFILE_FAILED, 9);
	ck_assert_uint_eq(last.profile, 3);
	ck_assert_uint_eq(last.how, STATUS_PROFILE_SIGNALED);
	setup();
	outl(0, 0x0f0301 | (uint32_t)STATUS_PROFILE_EXITED << 24);  /* profile 15 exited 1 */
	assert_report(STATUS_KIND_PROFILE_FAILED, 1);
	ck_assert_uint_eq(last.profile, 15);
	ck_assert_uint_eq(last.how, STATUS_PROFILE_EXITED);
}
END_TEST

/* The other kinds report no profile. */
START_TEST(test_no_profile_for_other_kinds)
{
	outl(0, 42);
	assert_report(STATUS_KIND_EXITED, 42);
	ck_assert_uint_eq(last.profile, 0);
	ck_assert_uint_eq(last.how, 0);
}
END_TEST

/* Phases pass on in the order written, repeated ones too (the listener
 * keeps the first), and do not end the run: the report still counts. */
START_TEST(test_phases_then_report)
{
	outl(0, 0x400 | STATUS_PHASE_INIT_START);
	outl(0, 0x400 | STATUS_PHASE_ROOT_MOUNTED);
	outl(0, 0x400 | STATUS_PHASE_ROOT_MOUNTED);
	outl(0, 0x400 | STATUS_PHASE_PROGRAM_EXITED);
	ck_assert_uint_eq(nphases, 4);
	ck_assert_int_eq(phases[0], STATUS_PHASE_INIT_START);
	ck_assert_int_eq(phases[1], STATUS_PHASE_ROOT_MOUNTED);
	ck_assert_int_eq(phases[2], STATUS_PHASE_ROOT_MOUNTED);
	ck_assert_int_eq(phases[3], STATUS_PHASE_PROGRAM_EXITED);
	ck_assert_uint_eq(reports, 0);
	outl(0, 5);
	assert_report(STATUS_KIND_EXITED, 5);
	ck_assert_uint_eq(port.ignored, 0);
}
END_TEST

/* After the report the VM is ending: a phase then is a stray write. */
START_TEST(test_phase_after_report_ignored)
{
	outl(0, 0);
	outl(0, 0x400 | STATUS_PHASE_PROGRAM_START);
	assert_report(STATUS_KIND_EXITED, 0);
	ck_assert_uint_eq(nphases, 0);
	ck_assert_uint_eq(port.ignored, 1);
}
END_TEST

START_TEST(test_first_report_wins)
{
	outl(0, 3);
	outl(0, 4);
	outl(0, 0x100 | 9);
	assert_report(STATUS_KIND_EXITED, 3);
	ck_assert_uint_eq(port.ignored, 2);
	ck_assert_uint_eq(inl(0), STATUS_PORT_SIGNATURE);
}
END_TEST

START_TEST(test_encode)
{
	ck_assert_int_eq(status_port_encode(STATUS_KIND_EXITED, 42), 42);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_EXITED, 256), -1);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_SIGNALED, 9), 0x109);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_SIGNALED, 0), -1);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_INIT_FAILED, STATUS_STEP_CONFIG), 0x201);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_INIT_FAILED, 0), -1);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_PROFILE_FAILED, 1), -1);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_PHASE, STATUS_PHASE_INIT_START), 0x401);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_PHASE, 0), -1);
	ck_assert_int_eq(status_port_encode(STATUS_KIND_PHASE, STATUS_PHASE_MAX + 1), -1);
	ck_assert_int_eq(status_port_encode((enum status_kind)5, 1), -1);
}
END_TEST

START_TEST(test_encode_profile)
{
	ck_assert_int_eq(status_port_encode_profile(STATUS_PROFILE_EXITED, 0, 7), 0x307);
	ck_assert_int_eq(status_port_encode_profile(STATUS_PROFILE_FILES, 2, 28), 0x03020300 | 28);
	ck_assert_int_eq(status_port_encode_profile(STATUS_PROFILE_EXITED, 0, 0), -1);
	ck_assert_int_eq(status_port_encode_profile(STATUS_PROFILE_SIGNALED, 0, 128), -1);
	ck_assert_int_eq(status_port_encode_profile(STATUS_PROFILE_START, 0, 255), 0x020003ff);
	ck_assert_int_eq(status_port_encode_profile(STATUS_PROFILE_START, STATUS_MAX_PROFILES, 2), -1);
	ck_assert_int_eq(status_port_encode_profile((enum status_profile_how)4, 0, 2), -1);
}
END_TEST

START_TEST(test_step_names)
{
	for (unsigned s = 1; s <= STATUS_STEP_MAX; s++)
		ck_assert_str_ne(status_port_step_name(s), "?");
	ck_assert_str_eq(status_port_step_name(0), "?");
	ck_assert_str_eq(status_port_step_name(STATUS_STEP_MAX + 1), "?");
	ck_assert_str_eq(status_port_step_name(STATUS_STEP_EXEC_NOT_FOUND), "find the program");
}
END_TEST

Suite *status_port_suite(void)
{
	Suite *s = suite_create("status_port");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_signature);
	tcase_add_test(tc, test_exit_status_42);
	tcase_add_test(tc, test_exit_status_0_and_255);
	tcase_add_test(tc, test_signal_death);
	tcase_add_test(tc, test_init_failure);
	tcase_add_test(tc, test_other_widths_ignored);
	tcase_add_test(tc, test_invalid_values_ignored);
	tcase_add_test(tc, test_profile_failure);
	tcase_add_test(tc, test_no_profile_for_other_kinds);
	tcase_add_test(tc, test_first_report_wins);
	tcase_add_test(tc, test_phases_then_report);
	tcase_add_test(tc, test_phase_after_report_ignored);
	tcase_add_test(tc, test_encode);
	tcase_add_test(tc, test_encode_profile);
	tcase_add_test(tc, test_step_names);
	suite_add_tcase(s, tc);
	return s;
}
