/* Unit tests for the user's terminal: a pseudo-terminal as stdin goes raw
 * for a shell (no signals, no line editing, no echo, no output
 * processing), only loses editing and echo for a program, and gets its
 * settings back exactly; stdin that is no terminal is left alone. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "src/term.h"
#include "tests/unit/suites.h"

static int master = -1, saved_stdin = -1;
static struct termios before;

/* A new pty's slave as stdin (restored in teardown). */
static void setup(void)
{
	master = posix_openpt(O_RDWR | O_NOCTTY);
	ck_assert_int_ge(master, 0);
	ck_assert_int_eq(grantpt(master), 0);
	ck_assert_int_eq(unlockpt(master), 0);
	int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
	ck_assert_int_ge(slave, 0);
	saved_stdin = dup(STDIN_FILENO);
	ck_assert_int_eq(dup2(slave, STDIN_FILENO), STDIN_FILENO);
	close(slave);
	ck_assert_int_eq(tcgetattr(STDIN_FILENO, &before), 0);
	ck_assert(before.c_lflag & ISIG);
	ck_assert(before.c_lflag & ICANON);
}

static void teardown(void)
{
	term_restore();
	dup2(saved_stdin, STDIN_FILENO);
	close(saved_stdin);
	close(master);
}

static struct termios now(void)
{
	struct termios t;

	ck_assert_int_eq(tcgetattr(STDIN_FILENO, &t), 0);
	return t;
}

static void assert_restored(void)
{
	struct termios t = now();

	ck_assert_uint_eq(t.c_iflag, before.c_iflag);
	ck_assert_uint_eq(t.c_oflag, before.c_oflag);
	ck_assert_uint_eq(t.c_cflag, before.c_cflag);
	ck_assert_uint_eq(t.c_lflag, before.c_lflag);
	ck_assert(memcmp(t.c_cc, before.c_cc, sizeof(t.c_cc)) == 0);
}

START_TEST(raw_for_a_shell)
{
	ck_assert(term_enter(true));
	struct termios t = now();
	ck_assert(!(t.c_lflag & (ISIG | ICANON | ECHO | IEXTEN)));
	ck_assert(!(t.c_iflag & (ICRNL | IXON)));
	ck_assert(!(t.c_oflag & OPOST));
	ck_assert_uint_eq(t.c_cc[VMIN], 1);
	term_restore();
	assert_restored();
}
END_TEST

START_TEST(a_program_keeps_ctrl_c)
{
	ck_assert(!term_enter(false));
	struct termios t = now();
	ck_assert(t.c_lflag & ISIG);
	ck_assert(!(t.c_lflag & (ICANON | ECHO)));
	ck_assert(t.c_oflag & OPOST);
	term_restore();
	assert_restored();
}
END_TEST

START_TEST(restore_twice_is_harmless)
{
	ck_assert(term_enter(true));
	term_restore();
	term_restore();
	assert_restored();
}
END_TEST

START_TEST(no_terminal_no_change)
{
	int null = open("/dev/null", O_RDONLY);
	ck_assert_int_ge(null, 0);
	ck_assert_int_eq(dup2(null, STDIN_FILENO), STDIN_FILENO);
	close(null);
	ck_assert(!term_enter(true));
	term_restore();
}
END_TEST

Suite *term_suite(void)
{
	Suite *s = suite_create("term");
	TCase *tc = tcase_create("pty");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, raw_for_a_shell);
	tcase_add_test(tc, a_program_keeps_ctrl_c);
	tcase_add_test(tc, restore_twice_is_harmless);
	tcase_add_test(tc, no_terminal_no_change);
	suite_add_tcase(s, tc);
	return s;
}
