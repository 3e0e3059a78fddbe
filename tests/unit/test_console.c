/* Unit tests for the host end of the guest console: line buffering into a
 * pipe, the panic banner, and a reader that goes away. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "src/console.h"
#include "tests/unit/suites.h"


#define PANIC_LINE "[    2.345678] Kernel panic - not syncing: VFS: Unable to mount root fs\n"

static struct console con;
static int rd = -1, wr = -1;   /* the pipe the console writes to */
static unsigned closed_calls;
static char got[4 * CONSOLE_BUF];

static void on_closed(void *ctx)
{
	ck_assert_ptr_eq(ctx, &closed_calls);
	closed_calls++;
}

/* A pipe whose read end never blocks, so "nothing written yet" shows. */
static void open_pipe(int *read_end, int *write_end)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	ck_assert_int_eq(fcntl(fds[0], F_SETFL, O_NONBLOCK), 0);
	*read_end = fds[0];
	*write_end = fds[1];
}

static void setup(void)
{
	open_pipe(&rd, &wr);
	closed_calls = 0;
	console_init(&con, wr, on_closed, &closed_calls);
}

static void teardown(void)
{
	if (rd >= 0)
		close(rd);
	close(wr);
	rd = wr = -1;
}

static void put_bytes(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		console_put(&con, (uint8_t)s[i]);
}

static void put(const char *s)
{
	put_bytes(s, strlen(s));
}

/* Everything waiting in the pipe, into got[]; its length. */
static size_t drain(int fd)
{
	size_t len = 0;

	for (;;) {
		ck_assert_uint_lt(len, sizeof(got));
		ssize_t n = read(fd, got + len, sizeof(got) - len);
		if (n < 0 && errno == EAGAIN)
			return len;
		ck_assert_int_gt(n, 0);
		len += (size_t)n;
	}
}

static void assert_written(const char *s, size_t len)
{
	ck_assert_uint_eq(drain(rd), len);
	ck_assert_mem_eq(got, s, len);
}

static void assert_nothing_written(void)
{
	ck_assert_uint_eq(drain(rd), 0);
}

/* The reader goes away; the console finds out on its next write. */
static void close_reader(void)
{
	ck_assert(signal(SIGPIPE, SIG_IGN) != SIG_ERR);
	close(rd);
	rd = -1;
}

START_TEST(test_partial_line_waits)
{
	put("Linux version 6.1");
	assert_nothing_written();
}
END_TEST

START_TEST(test_newline_writes_line)
{
	put("Linux version 6.1\n");
	assert_written("Linux version 6.1\n", 18);
}
END_TEST

START_TEST(test_each_line_written_at_its_newline)
{
	put("one\ntw");
	assert_written("one\n", 4);
	put("o");
	assert_nothing_written();
	put("\n");
	assert_written("two\n", 4);
}
END_TEST

START_TEST(test_flush_writes_partial_line)
{
	put("login: ");
	console_flush(&con);
	assert_written("login: ", 7);
	console_flush(&con);
	assert_nothing_written();
}
END_TEST

START_TEST(test_full_buffer_written)
{
	char line[CONSOLE_BUF];

	memset(line, 'x', sizeof(line));
	put_bytes(line, CONSOLE_BUF - 1);
	assert_nothing_written();
	put("x");
	assert_written(line, CONSOLE_BUF);
	put("y");
	assert_nothing_written();
}
END_TEST

START_TEST(test_bytes_pass_unchanged)
{
	static const char bytes[] = "a\0\xff\r\x1b[0mb\n";

	put_bytes(bytes, sizeof(bytes) - 1);
	assert_written(bytes, sizeof(bytes) - 1);
}
END_TEST

START_TEST(test_no_panic_at_start)
{
	ck_assert(!console_saw_panic(&con));
}
END_TEST

START_TEST(test_panic_line_detected)
{
	put("[    2.300000] VFS: Cannot open root device\n");
	ck_assert(!console_saw_panic(&con));
	put(PANIC_LINE);
	ck_assert(console_saw_panic(&con));
	put("[    2.400000] ---[ end Kernel panic ]---\n");
	ck_assert(console_saw_panic(&con));
}
END_TEST

START_TEST(test_panic_in_partial_line_not_yet)
{
	put_bytes(PANIC_LINE, strlen(PANIC_LINE) - 1);
	ck_assert(!console_saw_panic(&con));
	put("\n");
	ck_assert(console_saw_panic(&con));
}
END_TEST

START_TEST(test_panic_split_across_puts)
{
	put("[    1.000000] Kernel pan");
	ck_assert(!console_saw_panic(&con));
	put("ic - not syncing: Attempted to kill init!\n");
	ck_assert(console_saw_panic(&con));
}
END_TEST

START_TEST(test_nul_in_line_does_not_hide_panic)
{
	static const char line[] = "\0[    1.000000] Kernel panic - not syncing: Fatal exception\n";

	put_bytes(line, sizeof(line) - 1);
	ck_assert(console_saw_panic(&con));
}
END_TEST

START_TEST(test_panic_with_crlf)
{
	put("[    1.000000] Kernel panic - not syncing: Oops\r\n");
	ck_assert(console_saw_panic(&con));
}
END_TEST

START_TEST(test_panic_after_overlong_line)
{
	char line[3 * CONSOLE_LINE];

	memset(line, 'a', sizeof(line));
	put_bytes(line, sizeof(line));
	put("\n" PANIC_LINE);
	ck_assert(console_saw_panic(&con));
}
END_TEST

START_TEST(test_incomplete_banner_is_no_panic)
{
	put("[    1.000000] Kernel panic - not syncin\n");
	put("Kernel panic - not\n");
	put("syncing\n");
	put("Kernel panic\n");
	ck_assert(!console_saw_panic(&con));
}
END_TEST

START_TEST(test_closed_reader_reported_once)
{
	close_reader();
	put("first\n");
	ck_assert_uint_eq(closed_calls, 1);
	put("second\n");
	console_flush(&con);
	put("third");
	console_flush(&con);
	ck_assert_uint_eq(closed_calls, 1);
}
END_TEST

/* Once closed, nothing is written even if the descriptor works again. */
START_TEST(test_output_after_close_dropped)
{
	int new_rd, new_wr;

	close_reader();
	put("first\n");
	ck_assert_uint_eq(closed_calls, 1);
	open_pipe(&new_rd, &new_wr);
	ck_assert_int_eq(dup2(new_wr, wr), wr);
	close(new_wr);
	put("later\n");
	put("partial");
	console_flush(&con);
	ck_assert_uint_eq(drain(new_rd), 0);
	close(new_rd);
}
END_TEST

START_TEST(test_closed_console_takes_lots_of_output)
{
	char block[CONSOLE_BUF];

	memset(block, 'z', sizeof(block));
	close_reader();
	for (int i = 0; i < 3; i++)
		put_bytes(block, sizeof(block));
	ck_assert_uint_eq(closed_calls, 1);
	put("\n" PANIC_LINE);
	ck_assert(console_saw_panic(&con));
}
END_TEST

Suite *console_suite(void)
{
	Suite *s = suite_create("console");
	TCase *tc = tcase_create("buffering");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_partial_line_waits);
	tcase_add_test(tc, test_newline_writes_line);
	tcase_add_test(tc, test_each_line_written_at_its_newline);
	tcase_add_test(tc, test_flush_writes_partial_line);
	tcase_add_test(tc, test_full_buffer_written);
	tcase_add_test(tc, test_bytes_pass_unchanged);
	suite_add_tcase(s, tc);

	tc = tcase_create("panic");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_no_panic_at_start);
	tcase_add_test(tc, test_panic_line_detected);
	tcase_add_test(tc, test_panic_in_partial_line_not_yet);
	tcase_add_test(tc, test_panic_split_across_puts);
	tcase_add_test(tc, test_nul_in_line_does_not_hide_panic);
	tcase_add_test(tc, test_panic_with_crlf);
	tcase_add_test(tc, test_panic_after_overlong_line);
	tcase_add_test(tc, test_incomplete_banner_is_no_panic);
	suite_add_tcase(s, tc);

	tc = tcase_create("closed");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_closed_reader_reported_once);
	tcase_add_test(tc, test_output_after_close_dropped);
	tcase_add_test(tc, test_closed_console_takes_lots_of_output);
	suite_add_tcase(s, tc);
	return s;
}
