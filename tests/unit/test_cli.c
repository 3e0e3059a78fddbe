/* Unit tests for microrun's own command line: defaults, every option in
 * both forms, the limits on each value, where the program's arguments
 * begin, and the one-line messages that name what the user typed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/cli.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"


#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
#define TIB (1ULL << 40)
#define CAPTURE_MAX 8192

static struct mr_config cfg;
static char out_text[CAPTURE_MAX]; /* what the last parse printed on stdout */
static char err_text[CAPTURE_MAX]; /* ... and on stderr */

/* Points `target` at a fresh unlinked temporary file; returns its fd. */
static int redirect(int target, int *saved)
{
	int fd = test_file_with(NULL, 0);

	*saved = dup(target);
	ck_assert_int_ge(*saved, 0);
	ck_assert_int_eq(dup2(fd, target), target);
	return fd;
}

static void restore(int target, int saved, int fd, char *text)
{
	ck_assert_int_eq(dup2(saved, target), target);
	close(saved);
	ssize_t n = pread(fd, text, CAPTURE_MAX - 1, 0);
	ck_assert_int_ge(n, 0);
	text[n] = '\0';
	close(fd);
}

/* cli_parse on a NULL-terminated argv, with stdout and stderr captured. */
static enum cli_outcome parse_argv(char **argv)
{
	int argc = 0, saved_out, saved_err;

	while (argv[argc])
		argc++;
	fflush(stdout);
	int out = redirect(STDOUT_FILENO, &saved_out);
	int err = redirect(STDERR_FILENO, &saved_err);
	enum cli_outcome r = cli_parse(argc, argv, &cfg);
	fflush(stdout);
	restore(STDERR_FILENO, saved_err, err, err_text);
	restore(STDOUT_FILENO, saved_out, out, out_text);
	return r;
}

/* The argv array lives only as long as the innermost block, which inside
 * ck_assert is the assertion itself: tests that look at cfg.program keep
 * their own argv. */
#define PARSE(...) parse_argv((char *[]){ "microrun", __VA_ARGS__, NULL })
#define PARSE_K(...) PARSE("-k", "vmlinux", __VA_ARGS__)

static void assert_silent(void)
{
	ck_assert_str_eq(out_text, "");
	ck_assert_str_eq(err_text, "");
}

/* Exactly one line on stderr, prefixed, containing each of `parts`. */
static void assert_one_error_line(const char *part1, const char *part2)
{
	size_t len = strlen(err_text);

	ck_assert_str_eq(out_text, "");
	ck_assert_msg(strncmp(err_text, "microrun: ", 10) == 0, "no prefix: '%s'", err_text);
	ck_assert_uint_gt(len, 0);
	ck_assert_msg(strchr(err_text, '\n') == err_text + len - 1,
		      "not one line: '%s'", err_text);
	ck_assert_msg(strstr(err_text, part1), "'%s' not in '%s'", part1, err_text);
	if (part2)
		ck_assert_msg(strstr(err_text, part2), "'%s' not in '%s'", part2, err_text);
}

/* Usage error for `option value`, whose message quotes the value. */
static void assert_rejected(const char *option, const char *value)
{
	char quoted[256];

	snprintf(quoted, sizeof(quoted), "'%s'", value);
	ck_assert_msg(PARSE_K((char *)option, (char *)value) == CLI_BAD_USAGE,
		      "%s '%s' accepted", option, value);
	assert_one_error_line(option, quoted);
}

static uint64_t parse_memory(const char *value)
{
	ck_assert_msg(PARSE_K("-m", (char *)value) == CLI_RUN, "-m '%s': %s", value, err_text);
	assert_silent();
	return cfg.mem_bytes;
}

static uint64_t parse_timeout(const char *value)
{
	ck_assert_msg(PARSE_K("--timeout", (char *)value) == CLI_RUN,
		      "--timeout '%s': %s", value, err_text);
	assert_silent();
	return cfg.timeout_ms;
}

START_TEST(test_defaults)
{
	char *argv[] = { "microrun", "-k", "vmlinux", NULL };

	ck_assert_int_eq(parse_argv(argv), CLI_RUN);
	assert_silent();
	ck_assert_str_eq(cfg.kernel, "vmlinux");
	ck_assert_ptr_null(cfg.initrd);
	ck_assert_str_eq(cfg.append, "");
	ck_assert_uint_eq(cfg.mem_bytes, GIB);
	ck_assert_uint_eq(cfg.ncpus, 1);
	ck_assert_uint_eq(cfg.timeout_ms, 0);
	ck_assert_int_eq(cfg.verbose, 0);
	ck_assert(!cfg.no_seccomp);
	ck_assert_int_eq(cfg.program_argc, 0);
	ck_assert_ptr_null(cfg.program[0]);
}
END_TEST

START_TEST(test_kernel_short_and_long)
{
	ck_assert_int_eq(PARSE("-k", "a"), CLI_RUN);
	ck_assert_str_eq(cfg.kernel, "a");
	ck_assert_int_eq(PARSE("-kb"), CLI_RUN);
	ck_assert_str_eq(cfg.kernel, "b");
	ck_assert_int_eq(PARSE("--kernel", "c"), CLI_RUN);
	ck_assert_str_eq(cfg.kernel, "c");
	ck_assert_int_eq(PARSE("--kernel=d"), CLI_RUN);
	ck_assert_str_eq(cfg.kernel, "d");
	assert_silent();
}
END_TEST

START_TEST(test_initrd_short_and_long)
{
	ck_assert_int_eq(PARSE_K("-i", "root.cpio"), CLI_RUN);
	ck_assert_str_eq(cfg.initrd, "root.cpio");
	ck_assert_int_eq(PARSE_K("--initrd", "other.cpio"), CLI_RUN);
	ck_assert_str_eq(cfg.initrd, "other.cpio");
	assert_silent();
}
END_TEST

START_TEST(test_append_short_and_long)
{
	ck_assert_int_eq(PARSE_K("-a", "console=hvc0 quiet"), CLI_RUN);
	ck_assert_str_eq(cfg.append, "console=hvc0 quiet");
	ck_assert_int_eq(PARSE_K("--append", "init=/bin/sh"), CLI_RUN);
	ck_assert_str_eq(cfg.append, "init=/bin/sh");
	/* Repeated, each adds its words: the kernel takes a parameter's last
	 * setting, so a later -a still overrides an earlier one. */
	ck_assert_int_eq(PARSE_K("-a", "quiet loglevel=3", "-a", "", "--append", "loglevel=7"),
			 CLI_RUN);
	ck_assert_str_eq(cfg.append, "quiet loglevel=3 loglevel=7");
	assert_silent();
}
END_TEST

START_TEST(test_disk_options)
{
	struct mr_disk d;

	ck_assert_int_eq(cli_parse_disk("disk.img", &d), 0);
	ck_assert_str_eq(d.path, "disk.img");
	ck_assert(!d.read_only);
	ck_assert_str_eq(d.serial, "");
	ck_assert_int_eq(cli_parse_disk("a,,b.img,ro,serial=12345678901234567890", &d), 0);
	ck_assert_str_eq(d.path, "a,b.img");
	ck_assert(d.read_only);
	ck_assert_str_eq(d.serial, "12345678901234567890");
	ck_assert_int_eq(cli_parse_disk("x,serial=ab,ro", &d), 0);
	ck_assert_str_eq(d.serial, "ab");
	ck_assert(d.read_only);
}
END_TEST

START_TEST(test_disk_rejects)
{
	static const char *const bad[] = {
		"", ",ro", "x,rw", "x,ro,", "x,serial=", "x,serial=123456789012345678901", "x,serialno=1",
	};
	struct mr_disk d;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cli_parse_disk(bad[i], &d) != 0, "accepted '%s'", bad[i]);
	ck_assert_int_eq(PARSE_K("-d", "x,rw"), CLI_BAD_USAGE);
	ck_assert_ptr_nonnull(strstr(err_text, "-d: invalid value 'x,rw'"));
}
END_TEST

START_TEST(test_disks_repeat_up_to_the_limit)
{
	ck_assert_int_eq(PARSE_K("-d", "a", "--disk", "b,ro"), CLI_RUN);
	ck_assert_uint_eq(cfg.ndisks, 2);
	ck_assert_str_eq(cfg.disks[1].path, "b");
	ck_assert(cfg.disks[1].read_only);
	ck_assert_int_eq(PARSE_K("-d", "1", "-d", "2", "-d", "3", "-d", "4", "-d", "5",
				 "-d", "6", "-d", "7", "-d", "8"), CLI_RUN);
	ck_assert_uint_eq(cfg.ndisks, MR_MAX_DISKS);
	ck_assert_int_eq(PARSE_K("-d", "1", "-d", "2", "-d", "3", "-d", "4", "-d", "5",
				 "-d", "6", "-d", "7", "-d", "8", "-d", "9"), CLI_BAD_USAGE);
}
END_TEST

START_TEST(test_share_options)
{
	struct mr_share sh;

	ck_assert_int_eq(cli_parse_share("/srv/data", &sh), 0);
	ck_assert_str_eq(sh.path, "/srv/data");
	ck_assert_ptr_null(sh.tag);
	ck_assert(!sh.read_only);
	ck_assert_int_eq(cli_parse_share("a,,b,tag=src,ro", &sh), 0);
	ck_assert_str_eq(sh.path, "a,b");
	ck_assert_uint_eq(sh.tag_len, 3);
	ck_assert(strncmp(sh.tag, "src", 3) == 0);
	ck_assert(sh.read_only);
	/* Lengths are checked when the export is opened (exit status 1). */
	ck_assert_int_eq(cli_parse_share("d,tag=", &sh), 0);
	ck_assert_uint_eq(sh.tag_len, 0);
	ck_assert_int_eq(cli_parse_share("d,ro,tag=a-very-long-tag-of-more-than-31-bytes", &sh), 0);
	ck_assert_uint_eq(sh.tag_len, 37);
}
END_TEST

START_TEST(test_share_rejects)
{
	static const char *const bad[] = { "", ",ro", "d,rw", "d,tag", "d,ro,", "d,tags=x" };
	struct mr_share sh;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cli_parse_share(bad[i], &sh) != 0, "accepted '%s'", bad[i]);
	ck_assert_int_eq(PARSE_K("--9p", "d,rw"), CLI_BAD_USAGE);
	ck_assert_ptr_nonnull(strstr(err_text, "--9p: invalid value 'd,rw'"));
}
END_TEST

START_TEST(test_shares_and_disks_share_the_slots)
{
	ck_assert_int_eq(PARSE_K("--9p", "a", "-d", "x", "--9p", "b,tag=t,ro"), CLI_RUN);
	ck_assert_uint_eq(cfg.nshares, 2);
	ck_assert_uint_eq(cfg.ndisks, 1);
	ck_assert_str_eq(cfg.shares[1].path, "b");
	ck_assert(cfg.shares[1].read_only);
	ck_assert_int_eq(PARSE_K("-d", "1", "-d", "2", "-d", "3", "-d", "4", "-d", "5",
				 "-d", "6", "--9p", "7", "--9p", "8"), CLI_RUN);
	ck_assert_int_eq(PARSE_K("-d", "1", "-d", "2", "-d", "3", "-d", "4", "-d", "5",
				 "-d", "6", "-d", "7", "-d", "8", "--9p", "9"), CLI_BAD_USAGE);
	ck_assert_ptr_nonnull(strstr(err_text, "--9p: at most 8 devices"));
}
END_TEST

/* The options of a program's run, kept in order, and a program after them. */
START_TEST(test_program_options)
{
	char *argv[] = { "microrun", "-k", "vmlinux", "-e", "A=1", "--env", "B_2=x y", "--rw",
			 "/srv/out", "--rw", "/tmp/w", "--modules", "/build/linux", "--kernel-log",
			 "make", "-j2", NULL };

	ck_assert_int_eq(parse_argv(argv), CLI_RUN);
	assert_silent();
	ck_assert_uint_eq(cfg.nenv, 2);
	ck_assert_str_eq(cfg.env[0], "A=1");
	ck_assert_str_eq(cfg.env[1], "B_2=x y");
	ck_assert_uint_eq(cfg.nrw, 2);
	ck_assert_str_eq(cfg.rw[1], "/tmp/w");
	ck_assert_str_eq(cfg.modules_dir, "/build/linux");
	ck_assert(cfg.kernel_log);
	ck_assert_int_eq(cfg.program_argc, 2);
	ck_assert_str_eq(cfg.program[0], "make");
}
END_TEST

START_TEST(test_program_options_rejected)
{
	assert_rejected("-e", "NOEQUALS");
	assert_rejected("-e", "1X=y");
	assert_rejected("--env", "=v");
	assert_rejected("--rw", "relative/dir");
	assert_rejected("--rw", "/");
}
END_TEST

START_TEST(test_env_limit)
{
	char *argv[2 + 3 + 2 * (MR_MAX_ENV + 1)] = { "microrun", "-k", "vmlinux" };
	int n = 3;

	for (int i = 0; i <= MR_MAX_ENV; i++) {
		argv[n++] = "-e";
		argv[n++] = "V=1";
	}
	argv[n] = NULL;
	ck_assert_int_eq(parse_argv(argv), CLI_BAD_USAGE);
	assert_one_error_line("-e: at most 64 variables", NULL);
}
END_TEST

START_TEST(test_append_value_that_looks_like_an_option)
{
	ck_assert_int_eq(PARSE_K("-a", "-v"), CLI_RUN);
	ck_assert_str_eq(cfg.append, "-v");
	ck_assert_int_eq(cfg.verbose, 0);
}
END_TEST

START_TEST(test_memory_short_and_long)
{
	ck_assert_int_eq(PARSE_K("-m", "512M"), CLI_RUN);
	ck_assert_uint_eq(cfg.mem_bytes, 512 * MIB);
	ck_assert_int_eq(PARSE_K("--memory", "2G"), CLI_RUN);
	ck_assert_uint_eq(cfg.mem_bytes, 2 * GIB);
	ck_assert_int_eq(PARSE_K("--memory=3G"), CLI_RUN);
	ck_assert_uint_eq(cfg.mem_bytes, 3 * GIB);
	assert_silent();
}
END_TEST

START_TEST(test_cpus_short_and_long)
{
	ck_assert_int_eq(PARSE_K("-c", "4"), CLI_RUN);
	ck_assert_uint_eq(cfg.ncpus, 4);
	ck_assert_int_eq(PARSE_K("--cpus", "8"), CLI_RUN);
	ck_assert_uint_eq(cfg.ncpus, 8);
	assert_silent();
}
END_TEST

START_TEST(test_timeout_long)
{
	ck_assert_int_eq(PARSE_K("--timeout", "30"), CLI_RUN);
	ck_assert_uint_eq(cfg.timeout_ms, 30000);
	ck_assert_int_eq(PARSE_K("--timeout=2"), CLI_RUN);
	ck_assert_uint_eq(cfg.timeout_ms, 2000);
	assert_silent();
}
END_TEST

START_TEST(test_no_seccomp)
{
	ck_assert_int_eq(PARSE_K("--no-seccomp"), CLI_RUN);
	ck_assert(cfg.no_seccomp);
	assert_silent();
	ck_assert_int_eq(PARSE_K("--no-seccomp=1"), CLI_BAD_USAGE);
}
END_TEST

START_TEST(test_verbose_short_and_long_count)
{
	ck_assert_int_eq(PARSE_K("-v"), CLI_RUN);
	ck_assert_int_eq(cfg.verbose, 1);
	ck_assert_int_eq(PARSE_K("--verbose", "-vv"), CLI_RUN);
	ck_assert_int_eq(cfg.verbose, 3);
	assert_silent();
}
END_TEST

START_TEST(test_last_value_wins)
{
	ck_assert_int_eq(PARSE_K("-m", "64M", "-m", "128M", "-c", "2", "-c", "3"), CLI_RUN);
	ck_assert_uint_eq(cfg.mem_bytes, 128 * MIB);
	ck_assert_uint_eq(cfg.ncpus, 3);
}
END_TEST

START_TEST(test_memory_suffixes)
{
	ck_assert_uint_eq(parse_memory("65536K"), 64 * MIB);
	ck_assert_uint_eq(parse_memory("65536k"), 64 * MIB);
	ck_assert_uint_eq(parse_memory("96M"), 96 * MIB);
	ck_assert_uint_eq(parse_memory("96m"), 96 * MIB);
	ck_assert_uint_eq(parse_memory("5G"), 5 * GIB);
	ck_assert_uint_eq(parse_memory("5g"), 5 * GIB);
	ck_assert_uint_eq(parse_memory("1T"), TIB);
	ck_assert_uint_eq(parse_memory("1t"), TIB);
}
END_TEST

START_TEST(test_memory_bare_number_is_mib)
{
	ck_assert_uint_eq(parse_memory("64"), 64 * MIB);
	ck_assert_uint_eq(parse_memory("4096"), 4 * GIB);
}
END_TEST

START_TEST(test_memory_limits_accepted)
{
	ck_assert_uint_eq(parse_memory("32M"), MR_MIN_MEM);
	ck_assert_uint_eq(parse_memory("32768K"), MR_MIN_MEM);
	ck_assert_uint_eq(parse_memory("1048576M"), MR_MAX_MEM);
}
END_TEST

START_TEST(test_memory_out_of_range_rejected)
{
	assert_rejected("-m", "0");
	assert_rejected("-m", "0G");
	assert_rejected("-m", "16M");
	assert_rejected("-m", "31");
	assert_rejected("-m", "32767K");
	assert_rejected("-m", "2T");
	assert_rejected("-m", "1048577M");
}
END_TEST

START_TEST(test_memory_malformed_rejected)
{
	assert_rejected("-m", "1.5G");
	assert_rejected("-m", "12X");
	assert_rejected("-m", "");
	assert_rejected("-m", "G");
	assert_rejected("-m", "-64M");
	assert_rejected("-m", " 64M");
	assert_rejected("-m", "64MB");
	assert_rejected("-m", "0x40M");
}
END_TEST

START_TEST(test_memory_overflow_rejected)
{
	assert_rejected("-m", "99999999999999999999G");
	/* (2^34 + 1) GiB wraps to exactly 1 GiB if the shift is unchecked. */
	assert_rejected("-m", "17179869185G");
	assert_rejected("-m", "18446744073709551615M");
}
END_TEST

START_TEST(test_memory_not_whole_mib_rejected)
{
	assert_rejected("-m", "1025K");
	assert_rejected("-m", "32832K"); /* 32M + 64K */
	assert_rejected("-m", "32769K");
	ck_assert_msg(strstr(err_text, "MiB"), "hint does not say why: %s", err_text);
}
END_TEST

START_TEST(test_cpus_limits_accepted)
{
	ck_assert_int_eq(PARSE_K("-c", "1"), CLI_RUN);
	ck_assert_uint_eq(cfg.ncpus, 1);
	ck_assert_int_eq(PARSE_K("-c", "255"), CLI_RUN);
	ck_assert_uint_eq(cfg.ncpus, MR_MAX_CPUS);
	assert_silent();
}
END_TEST

START_TEST(test_cpus_rejected)
{
	assert_rejected("-c", "0");
	assert_rejected("-c", "256");
	assert_rejected("-c", "abc");
	assert_rejected("-c", "2x");
	assert_rejected("-c", "");
	assert_rejected("-c", "-1");
	assert_rejected("-c", "+2");
	assert_rejected("-c", "99999999999999999999");
}
END_TEST

START_TEST(test_timeout_fractions)
{
	ck_assert_uint_eq(parse_timeout("1.5"), 1500);
	ck_assert_uint_eq(parse_timeout("0.001"), 1);
	ck_assert_uint_eq(parse_timeout("0.5"), 500);
	ck_assert_uint_eq(parse_timeout("2.25"), 2250);
	ck_assert_uint_eq(parse_timeout("0.0019"), 1); /* below a millisecond: cut */
}
END_TEST

START_TEST(test_timeout_rejected)
{
	assert_rejected("--timeout", "0");
	assert_rejected("--timeout", "0.000");
	assert_rejected("--timeout", "-1");
	assert_rejected("--timeout", "");
	assert_rejected("--timeout", ".5");
	assert_rejected("--timeout", "1s");
	assert_rejected("--timeout", "1.5.2");
	assert_rejected("--timeout", "abc");
}
END_TEST

/* Seconds whose milliseconds do not fit in 64 bits must not wrap around
 * to a short timeout. */
START_TEST(test_timeout_overflow_rejected)
{
	assert_rejected("--timeout", "99999999999999999999");
	assert_rejected("--timeout", "18446744073709552");
	assert_rejected("--timeout", "18446744073709551.999");
}
END_TEST

START_TEST(test_unknown_short_option)
{
	ck_assert_int_eq(PARSE_K("-q"), CLI_BAD_USAGE);
	assert_one_error_line("'-q'", NULL);
	ck_assert_int_eq(PARSE_K("-vq"), CLI_BAD_USAGE);
	assert_one_error_line("'-q'", NULL);
}
END_TEST

START_TEST(test_unknown_long_option)
{
	ck_assert_int_eq(PARSE_K("--bogus"), CLI_BAD_USAGE);
	assert_one_error_line("'--bogus'", NULL);
	ck_assert_int_eq(PARSE("--frobnicate", "-k", "vmlinux"), CLI_BAD_USAGE);
	assert_one_error_line("'--frobnicate'", NULL);
}
END_TEST

START_TEST(test_missing_value_short)
{
	ck_assert_int_eq(PARSE("-k"), CLI_BAD_USAGE);
	assert_one_error_line("'-k'", NULL);
	ck_assert_int_eq(PARSE_K("-m"), CLI_BAD_USAGE);
	assert_one_error_line("'-m'", NULL);
}
END_TEST

START_TEST(test_missing_value_long)
{
	ck_assert_int_eq(PARSE_K("--timeout"), CLI_BAD_USAGE);
	assert_one_error_line("'--timeout'", NULL);
}
END_TEST

START_TEST(test_missing_kernel)
{
	ck_assert_int_eq(PARSE("-m", "512M"), CLI_BAD_USAGE);
	assert_one_error_line("-k", NULL);
	ck_assert_int_eq(PARSE("--", "prog"), CLI_BAD_USAGE);
	assert_one_error_line("-k", NULL);
}
END_TEST

START_TEST(test_program_after_double_dash)
{
	char *argv[] = { "microrun", "-k", "vmlinux", "--", "-v", "x", NULL };

	ck_assert_int_eq(parse_argv(argv), CLI_RUN);
	ck_assert_int_eq(cfg.verbose, 0);
	ck_assert_int_eq(cfg.program_argc, 2);
	ck_assert_str_eq(cfg.program[0], "-v");
	ck_assert_str_eq(cfg.program[1], "x");
	ck_assert_ptr_null(cfg.program[2]);
}
END_TEST

START_TEST(test_double_dash_alone_leaves_no_program)
{
	char *argv[] = { "microrun", "-k", "vmlinux", "--", NULL };

	ck_assert_int_eq(parse_argv(argv), CLI_RUN);
	ck_assert_int_eq(cfg.program_argc, 0);
	ck_assert_ptr_null(cfg.program[0]);
}
END_TEST

START_TEST(test_program_after_first_non_option)
{
	char *argv[] = { "microrun", "-k", "vmlinux", "-c", "2",
			 "script.sh", "-x", "--timeout", "5", "--", NULL };

	ck_assert_int_eq(parse_argv(argv), CLI_RUN);
	assert_silent();
	ck_assert_uint_eq(cfg.ncpus, 2);
	ck_assert_uint_eq(cfg.timeout_ms, 0);
	ck_assert_int_eq(cfg.program_argc, 5);
	ck_assert_str_eq(cfg.program[0], "script.sh");
	ck_assert_str_eq(cfg.program[1], "-x");
	ck_assert_str_eq(cfg.program[2], "--timeout");
	ck_assert_str_eq(cfg.program[3], "5");
	ck_assert_str_eq(cfg.program[4], "--");
	ck_assert_ptr_null(cfg.program[5]);
}
END_TEST

START_TEST(test_help_short_and_long)
{
	ck_assert_int_eq(PARSE("--help"), CLI_DONE);
	ck_assert_str_eq(err_text, "");
	ck_assert_msg(strncmp(out_text, "Usage: microrun", 15) == 0, "help: %s", out_text);
	ck_assert(strstr(out_text, "--timeout"));

	char long_help[CAPTURE_MAX];
	strcpy(long_help, out_text);
	ck_assert_int_eq(PARSE("-h"), CLI_DONE);
	ck_assert_str_eq(err_text, "");
	ck_assert_str_eq(out_text, long_help);
}
END_TEST

START_TEST(test_version_short_and_long)
{
	ck_assert_int_eq(PARSE("--version"), CLI_DONE);
	ck_assert_str_eq(err_text, "");
	ck_assert_str_eq(out_text, "microrun " MR_VERSION "\n");
	ck_assert_int_eq(PARSE("-V"), CLI_DONE);
	ck_assert_str_eq(err_text, "");
	ck_assert_str_eq(out_text, "microrun " MR_VERSION "\n");
}
END_TEST

/* A parse that stopped inside "-qv" must not leak into the next one. */
START_TEST(test_repeated_parse_starts_fresh)
{
	ck_assert_int_eq(PARSE_K("-m", "64M", "-qv"), CLI_BAD_USAGE);
	ck_assert_int_eq(PARSE("-c", "2", "-k", "other"), CLI_RUN);
	assert_silent();
	ck_assert_str_eq(cfg.kernel, "other");
	ck_assert_uint_eq(cfg.ncpus, 2);
	ck_assert_uint_eq(cfg.mem_bytes, MR_DEFAULT_MEM);
	ck_assert_int_eq(cfg.verbose, 0);
	ck_assert_int_eq(cfg.program_argc, 0);
}
END_TEST

/* A bad value given with the long form is reported under that name. */
START_TEST(test_bad_value_message_names_long_option)
{
	ck_assert_int_eq(PARSE_K("--memory", "16M"), CLI_BAD_USAGE);
	assert_one_error_line("--memory", "'16M'");
	ck_assert_int_eq(PARSE_K("--cpus", "0"), CLI_BAD_USAGE);
	assert_one_error_line("--cpus", "'0'");
}
END_TEST

Suite *cli_suite(void)
{
	Suite *s = suite_create("cli");
	TCase *tc = tcase_create("options");

	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_kernel_short_and_long);
	tcase_add_test(tc, test_initrd_short_and_long);
	tcase_add_test(tc, test_append_short_and_long);
	tcase_add_test(tc, test_disk_options);
	tcase_add_test(tc, test_disk_rejects);
	tcase_add_test(tc, test_disks_repeat_up_to_the_limit);
	tcase_add_test(tc, test_share_options);
	tcase_add_test(tc, test_share_rejects);
	tcase_add_test(tc, test_shares_and_disks_share_the_slots);
	tcase_add_test(tc, test_append_value_that_looks_like_an_option);
	tcase_add_test(tc, test_memory_short_and_long);
	tcase_add_test(tc, test_cpus_short_and_long);
	tcase_add_test(tc, test_timeout_long);
	tcase_add_test(tc, test_verbose_short_and_long_count);
	tcase_add_test(tc, test_no_seccomp);
	tcase_add_test(tc, test_program_options);
	tcase_add_test(tc, test_program_options_rejected);
	tcase_add_test(tc, test_env_limit);
	tcase_add_test(tc, test_last_value_wins);
	suite_add_tcase(s, tc);

	tc = tcase_create("values");
	tcase_add_test(tc, test_memory_suffixes);
	tcase_add_test(tc, test_memory_bare_number_is_mib);
	tcase_add_test(tc, test_memory_limits_accepted);
	tcase_add_test(tc, test_memory_out_of_range_rejected);
	tcase_add_test(tc, test_memory_malformed_rejected);
	tcase_add_test(tc, test_memory_overflow_rejected);
	tcase_add_test(tc, test_memory_not_whole_mib_rejected);
	tcase_add_test(tc, test_cpus_limits_accepted);
	tcase_add_test(tc, test_cpus_rejected);
	tcase_add_test(tc, test_timeout_fractions);
	tcase_add_test(tc, test_timeout_rejected);
	tcase_add_test(tc, test_timeout_overflow_rejected);
	suite_add_tcase(s, tc);

	tc = tcase_create("usage");
	tcase_add_test(tc, test_unknown_short_option);
	tcase_add_test(tc, test_unknown_long_option);
	tcase_add_test(tc, test_missing_value_short);
	tcase_add_test(tc, test_missing_value_long);
	tcase_add_test(tc, test_missing_kernel);
	tcase_add_test(tc, test_program_after_double_dash);
	tcase_add_test(tc, test_double_dash_alone_leaves_no_program);
	tcase_add_test(tc, test_program_after_first_non_option);
	tcase_add_test(tc, test_help_short_and_long);
	tcase_add_test(tc, test_version_short_and_long);
	tcase_add_test(tc, test_repeated_parse_starts_fresh);
	tcase_add_test(tc, test_bad_value_message_names_long_option);
	suite_add_tcase(s, tc);
	return s;
}
