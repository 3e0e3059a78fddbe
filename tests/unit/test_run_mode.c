/* Unit tests for what runs in the guest: which invocations get the shell,
 * which a plain boot, which the program; the shell's path; the streams. */
#include <string.h>

#include "src/cli.h"
#include "src/run_mode.h"
#include "src/x86/machine.h"
#include "tests/unit/suites.h"

static struct mr_config cfg;

/* Parses microrun -k vmlinuz ARGS... into cfg, which must succeed. */
static void parse(char **argv)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	ck_assert_int_eq(cli_parse(argc, argv, &cfg), CLI_RUN);
}

#define MODE(names_release, ...) \
	(parse((char *[]){ "microrun", "-k", "vmlinuz", __VA_ARGS__, NULL }), \
	 run_mode_of(&cfg, names_release))

START_TEST(no_program_is_the_shell)
{
	ck_assert_int_eq(MODE(true, "-m", "2G"), RUN_SHELL);
	ck_assert_int_eq(MODE(true, "-a", "quiet console=ttyS0"), RUN_SHELL);
	ck_assert_int_eq(MODE(true, "-e", "A=b", "--rw", "/srv"), RUN_SHELL);
	/* the kernel's parameters only: after " -- " words go to its init */
	ck_assert_int_eq(MODE(true, "-a", "quiet -- init=/bin/x"), RUN_SHELL);
	ck_assert_int_eq(MODE(true, "-a", "rootwait initcall_debug"), RUN_SHELL);
}
END_TEST

START_TEST(a_chosen_boot_is_plain)
{
	ck_assert_int_eq(MODE(true, "--no-shell"), RUN_BOOT);
	ck_assert_int_eq(MODE(true, "-i", "initrd.img"), RUN_BOOT);
	ck_assert_int_eq(MODE(true, "-a", "root=/dev/vda"), RUN_BOOT);
	ck_assert_int_eq(MODE(true, "-a", "quiet init=/sbin/init"), RUN_BOOT);
	ck_assert_int_eq(MODE(true, "-a", "rdinit=/init"), RUN_BOOT);
	ck_assert_int_eq(MODE(true, "-a", "root="), RUN_BOOT);
}
END_TEST

START_TEST(a_kernel_naming_no_release_is_booted_plain)
{
	ck_assert_int_eq(MODE(false, "-m", "64M"), RUN_BOOT);
}
END_TEST

START_TEST(a_program_runs_whatever_else)
{
	ck_assert_int_eq(MODE(true, "true"), RUN_PROGRAM);
	ck_assert_int_eq(MODE(false, "--", "sh", "-c", "exit 3"), RUN_PROGRAM);
	ck_assert_int_eq(MODE(true, "-a", "root=/dev/vda", "true"), RUN_PROGRAM);
}
END_TEST

static bool accept_all(const char *path)
{
	(void)path;
	return true;
}

static bool accept_none(const char *path)
{
	(void)path;
	return false;
}

START_TEST(the_shell_is_shell_if_usable_else_bin_sh)
{
	ck_assert_str_eq(run_shell_path("/bin/bash", accept_all), "/bin/bash");
	ck_assert_str_eq(run_shell_path("/bin/bash", accept_none), "/bin/sh");
	ck_assert_str_eq(run_shell_path("bash", accept_all), "/bin/sh");
	ck_assert_str_eq(run_shell_path("", accept_all), "/bin/sh");
	ck_assert_str_eq(run_shell_path(NULL, accept_all), "/bin/sh");
}
END_TEST

static void assert_streams(const struct run_streams *s, const char *in, const char *out,
			   const char *err, enum vm_stdin to)
{
	ck_assert_str_eq(s->console[0], in);
	ck_assert_str_eq(s->console[1], out);
	ck_assert_str_eq(s->console[2], err);
	ck_assert_int_eq(s->stdin_to, to);
}

START_TEST(an_interactive_shell_has_hvc0_for_all_three)
{
	struct run_streams s;

	run_streams_of(RUN_SHELL, true, false, &s);
	assert_streams(&s, "/dev/hvc0", "/dev/hvc0", "/dev/hvc0", VM_STDIN_HVC);
	run_streams_of(RUN_SHELL, true, true, &s);
	assert_streams(&s, "/dev/hvc0", "/dev/hvc0", "/dev/hvc0", VM_STDIN_HVC);
}
END_TEST

START_TEST(stdin_not_a_terminal_is_a_port_that_ends)
{
	struct run_streams s;

	run_streams_of(RUN_SHELL, false, false, &s);
	assert_streams(&s, PC_STDIN_PORT, PC_STDOUT_PORT, PC_STDERR_PORT, VM_STDIN_PORT);
	run_streams_of(RUN_PROGRAM, false, true, &s);
	assert_streams(&s, PC_STDIN_PORT, "", PC_STDERR_PORT, VM_STDIN_PORT);
}
END_TEST

START_TEST(a_program_on_a_terminal_reads_the_console)
{
	struct run_streams s;

	run_streams_of(RUN_PROGRAM, true, false, &s);
	assert_streams(&s, "", PC_STDOUT_PORT, PC_STDERR_PORT, VM_STDIN_CONSOLE);
}
END_TEST

Suite *run_mode_suite(void)
{
	Suite *s = suite_create("run_mode");
	TCase *tc = tcase_create("rule");

	tcase_add_test(tc, no_program_is_the_shell);
	tcase_add_test(tc, a_chosen_boot_is_plain);
	tcase_add_test(tc, a_kernel_naming_no_release_is_booted_plain);
	tcase_add_test(tc, a_program_runs_whatever_else);
	tcase_add_test(tc, the_shell_is_shell_if_usable_else_bin_sh);
	suite_add_tcase(s, tc);

	tc = tcase_create("streams");
	tcase_add_test(tc, an_interactive_shell_has_hvc0_for_all_three);
	tcase_add_test(tc, stdin_not_a_terminal_is_a_port_that_ends);
	tcase_add_test(tc, a_program_on_a_terminal_reads_the_console);
	suite_add_tcase(s, tc);
	return s;
}
