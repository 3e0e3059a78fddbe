/* The guest init's child management (boot/init/child.c), run on the host:
 * exit statuses, signal deaths, signals forwarded to the program's process
 * group, zombies reaped, and the set-up failures it reports. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/init/child.h"
#include "tests/unit/suites.h"

static const char *const env[] = { "PATH=/usr/bin:/bin", "MR_TEST=from-config", NULL };
static struct child_supervisor sup;
static struct child_result res;

static void setup(void)
{
	ck_assert_int_eq(child_supervisor_init(&sup), 0);
	memset(&res, 0xee, sizeof(res));
}

static void teardown(void)
{
	child_supervisor_close(&sup);
}

static struct child_spec spec_of(const char *const *argv)
{
	return (struct child_spec){ .argv = argv, .envp = env, .cwd = NULL, .fds = { -1, -1, -1 } };
}

/* sh -c SCRIPT to its end. */
static void run_sh(const char *script, const char *cwd)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct child_spec spec = spec_of(argv);
	struct child_result failed;

	spec.cwd = cwd;
	ck_assert_int_eq(child_spawn(&sup, &spec, &failed), 0);
	ck_assert_int_eq(child_wait(&sup, &res), 0);
}

static void assert_result(enum status_kind kind, unsigned value)
{
	ck_assert_int_eq(res.kind, kind);
	ck_assert_uint_eq(res.value, value);
}

START_TEST(test_exit_42)
{
	run_sh("exit 42", NULL);
	assert_result(STATUS_KIND_EXITED, 42);
}
END_TEST

START_TEST(test_exit_0)
{
	run_sh("true", NULL);
	assert_result(STATUS_KIND_EXITED, 0);
}
END_TEST

START_TEST(test_killed_by_signal)
{
	run_sh("kill -TERM $$", NULL);
	assert_result(STATUS_KIND_SIGNALED, SIGTERM);
}
END_TEST

/* The environment is exactly the configured one, PATH search included,
 * and the working directory is the configured one. */
START_TEST(test_env_and_cwd)
{
	run_sh("test \"$MR_TEST\" = from-config && test -z \"$HOME\" && "
	       "test \"$(pwd)\" = /usr/share && exit 5", "/usr/share");
	assert_result(STATUS_KIND_EXITED, 5);
}
END_TEST

/* stdout goes to the descriptor given, and the program leads a session
 * and a process group of its own: the init's forwarding target. */
START_TEST(test_fds_and_session)
{
	const char *argv[] = { "sh", "-c",
		"read -r pid comm state ppid pgrp sid rest </proc/$$/stat; echo $pid $pgrp $sid", NULL };
	struct child_spec spec = spec_of(argv);
	struct child_result failed;
	char buf[64] = { 0 }, want[64];
	int p[2];

	ck_assert_int_eq(pipe2(p, O_CLOEXEC), 0);
	spec.fds[1] = p[1];
	ck_assert_int_eq(child_spawn(&sup, &spec, &failed), 0);
	close(p[1]);
	ck_assert_int_eq(child_wait(&sup, &res), 0);
	ck_assert_int_gt(read(p[0], buf, sizeof(buf) - 1), 0);
	close(p[0]);
	assert_result(STATUS_KIND_EXITED, 0);
	snprintf(want, sizeof(want), "%d %d %d\n", (int)sup.pid, (int)sup.pid, (int)sup.pid);
	ck_assert_str_eq(buf, want);
}
END_TEST

/* A helper process sends `sig` to the test (playing the init) once the
 * program has said it is ready; the init forwards it. */
static pid_t signal_us_when_ready(int ready_fd, int sig)
{
	pid_t parent = getpid(), h = fork();
	char c;

	ck_assert_int_ge(h, 0);
	if (h == 0) {
		if (read(ready_fd, &c, 1) == 1)
			kill(parent, sig);
		_exit(0);
	}
	return h;
}

/* SCRIPT prints "r" when ready; SIG is then sent to the test (the init). */
static void forward_case(int sig, const char *script)
{
	const char *argv[] = { "sh", "-c", script, NULL };
	struct child_spec spec = spec_of(argv);
	struct child_result failed;
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	pid_t helper = signal_us_when_ready(p[0], sig);
	spec.fds[1] = p[1];
	spec.fds[2] = open("/dev/null", O_WRONLY | O_CLOEXEC);  /* sh's "Terminated" */
	ck_assert_int_eq(child_spawn(&sup, &spec, &failed), 0);
	close(p[1]);
	close(p[0]);
	close(spec.fds[2]);
	ck_assert_int_eq(child_wait(&sup, &res), 0);
	if (sup.pid > 0)
		kill(-sup.pid, SIGKILL);  /* whatever is left of the group */
	waitpid(helper, NULL, 0);
}

/* The whole group gets it: the background job dies of SIGTERM (143 from
 * the second wait), while the shell's trap only interrupts the first. Were
 * only the shell signalled, the second wait would block. The job is a new
 * sh, so no trap of its parent's can be in force when it says ready. */
START_TEST(test_sigterm_forwarded_to_group)
{
	forward_case(SIGTERM, "trap true TERM; sh -c 'echo r; exec sleep 100' & "
			      "wait $!; wait $!; exit $?");
	assert_result(STATUS_KIND_EXITED, 143);
}
END_TEST

START_TEST(test_sigint_forwarded)
{
	forward_case(SIGINT, "trap 'exit 8' INT; sleep 100 & echo r; wait");
	assert_result(STATUS_KIND_EXITED, 8);
}
END_TEST

START_TEST(test_sighup_forwarded)
{
	forward_case(SIGHUP, "echo r; exec sleep 100");
	assert_result(STATUS_KIND_SIGNALED, SIGHUP);
}
END_TEST

/* Ignored by whoever started the init (nohup): the program still gets the
 * default action, so the forwarded signal ends it. */
START_TEST(test_ignored_sighup_reset_for_program)
{
	struct sigaction ign = { .sa_handler = SIG_IGN }, old;

	ck_assert_int_eq(sigaction(SIGHUP, &ign, &old), 0);
	forward_case(SIGHUP, "echo r; exec sleep 100");
	sigaction(SIGHUP, &old, NULL);
	assert_result(STATUS_KIND_SIGNALED, SIGHUP);
}
END_TEST

/* A child of the init that is not the program (an orphan reparented to
 * PID 1, in the guest) is reaped while the program runs. */
START_TEST(test_stray_zombie_reaped)
{
	siginfo_t si;
	pid_t stray = fork();

	ck_assert_int_ge(stray, 0);
	if (stray == 0)
		_exit(3);
	/* wait until it is a zombie, without reaping it */
	ck_assert_int_eq(waitid(P_PID, (id_t)stray, &si, WEXITED | WNOWAIT), 0);
	run_sh("exit 1", NULL);
	assert_result(STATUS_KIND_EXITED, 1);
	ck_assert_uint_eq(sup.reaped_others, 1);
	errno = 0;
	ck_assert_int_eq(waitpid(stray, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

static void spawn_fails(const char *const *argv, const char *cwd, unsigned step, int err)
{
	struct child_spec spec = spec_of(argv);
	struct child_result failed;

	spec.cwd = cwd;
	ck_assert_int_eq(child_spawn(&sup, &spec, &failed), -err);
	ck_assert_int_eq(failed.kind, STATUS_KIND_INIT_FAILED);
	ck_assert_uint_eq(failed.value, step);
	ck_assert_int_eq(failed.err, err);
	errno = 0;
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);  /* the failed child was reaped */
	ck_assert_int_eq(errno, ECHILD);
}

START_TEST(test_not_found)
{
	const char *argv[] = { "microrun-no-such-program", NULL };
	spawn_fails(argv, NULL, STATUS_STEP_EXEC_NOT_FOUND, ENOENT);
	const char *abs[] = { "/nonexistent/prog", NULL };
	spawn_fails(abs, NULL, STATUS_STEP_EXEC_NOT_FOUND, ENOENT);
}
END_TEST

START_TEST(test_not_executable)
{
	const char *argv[] = { "/etc/passwd", NULL };
	if (geteuid() == 0 && access("/etc/passwd", X_OK) == 0)
		return;  /* cannot happen on a sane system */
	spawn_fails(argv, NULL, STATUS_STEP_EXEC, EACCES);
}
END_TEST

START_TEST(test_bad_cwd)
{
	const char *argv[] = { "true", NULL };
	spawn_fails(argv, "/nonexistent-dir", STATUS_STEP_CWD, ENOENT);
}
END_TEST

Suite *init_child_suite(void)
{
	Suite *s = suite_create("init_child");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 20);
	tcase_add_test(tc, test_exit_42);
	tcase_add_test(tc, test_exit_0);
	tcase_add_test(tc, test_killed_by_signal);
	tcase_add_test(tc, test_env_and_cwd);
	tcase_add_test(tc, test_fds_and_session);
	tcase_add_test(tc, test_sigterm_forwarded_to_group);
	tcase_add_test(tc, test_sigint_forwarded);
	tcase_add_test(tc, test_sighup_forwarded);
	tcase_add_test(tc, test_ignored_sighup_reset_for_program);
	tcase_add_test(tc, test_stray_zombie_reaped);
	tcase_add_test(tc, test_not_found);
	tcase_add_test(tc, test_not_executable);
	tcase_add_test(tc, test_bad_cwd);
	suite_add_tcase(s, tc);
	return s;
}
