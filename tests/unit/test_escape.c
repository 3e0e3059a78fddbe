/* Unit tests for the keyboard's escape on a raw terminal: Ctrl-A x,
 * Ctrl-A Ctrl-A, a lone Ctrl-A before other bytes, split across reads. */
#include <string.h>

#include "src/escape.h"
#include "tests/unit/suites.h"

static struct escape e;
static uint8_t out[64];
static bool quit;

/* Filters `in` (a C string) and checks the output is `want`. */
static void expect(const char *in, const char *want, bool want_quit)
{
	size_t n = escape_filter(&e, (const uint8_t *)in, strlen(in), out, &quit);

	ck_assert_uint_eq(n, strlen(want));
	ck_assert(memcmp(out, want, n) == 0);
	ck_assert_int_eq(quit, want_quit);
}

static void setup(void)
{
	memset(&e, 0, sizeof(e));
}

START_TEST(plain_bytes_pass)
{
	expect("ls -l\r\x03\x1a\x1cx", "ls -l\r\x03\x1a\x1cx", false);
}
END_TEST

START_TEST(ctrl_a_x_quits_and_drops_the_rest)
{
	expect("ab\x01xcd", "ab", true);
}
END_TEST

START_TEST(ctrl_a_ctrl_a_sends_one)
{
	expect("\x01\x01z", "\x01z", false);
	expect("\x01\x01\x01\x01", "\x01\x01", false);
}
END_TEST

START_TEST(lone_ctrl_a_then_another_byte_sends_both)
{
	expect("\x01" "b", "\x01" "b", false);
	expect("\x01X", "\x01X", false);  /* a capital X is no escape */
}
END_TEST

START_TEST(the_sequence_may_span_reads)
{
	expect("a\x01", "a", false);  /* held back */
	expect("x", "", true);
	setup();
	expect("\x01", "", false);
	expect("q", "\x01q", false);  /* one more byte out than in */
	expect("\x01", "", false);
	expect("\x01", "\x01", false);
}
END_TEST

Suite *escape_suite(void)
{
	Suite *s = suite_create("escape");
	TCase *tc = tcase_create("filter");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, plain_bytes_pass);
	tcase_add_test(tc, ctrl_a_x_quits_and_drops_the_rest);
	tcase_add_test(tc, ctrl_a_ctrl_a_sends_one);
	tcase_add_test(tc, lone_ctrl_a_then_another_byte_sends_both);
	tcase_add_test(tc, the_sequence_may_span_reads);
	suite_add_tcase(s, tc);
	return s;
}
