/* The sandbox for real: a child process enters it and then makes a call,
 * and the test reads how the child ended and what it said on stderr. */
#include <cap-ng.h>
#include <check.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "src/exit_status.h"
#include "src/sandbox.h"
#include "src/sandbox_rules.h"
#include "tests/unit/suites.h"

struct ended {
	int status;         /* exit status, or -signal */
	char err[512];      /* what it wrote on stderr */
};

typedef int action(void);

/* Runs `act` in a child inside the sandbox; the child exits with what
 * `act` returns if the sandbox lets it. */
static struct ended in_sandbox(bool file_server, action *act)
{
	const struct sandbox_needs needs = { .file_server = file_server };
	struct ended e = { 0 };
	int p[2];

	ck_assert_int_eq(pipe(p), 0);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		if (sandbox_enter(&needs) != 0)
			_exit(99);
		_exit(act());
	}
	close(p[1]);
	ssize_t n = read(p[0], e.err, sizeof(e.err) - 1);
	e.err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	int ws;
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	e.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : -WTERMSIG(ws);
	return e;
}

static void assert_killed_for(const struct ended *e, const char *call)
{
	char want[64];

	snprintf(want, sizeof(want), "forbidden system call %s (", call);
	ck_assert_int_eq(e->status, MR_EXIT_SANDBOX);
	ck_assert_msg(strstr(e->err, want), "stderr '%s' lacks '%s'", e->err, want);
	ck_assert_ptr_nonnull(strstr(e->err, "microrun: seccomp: "));
}

static int make_socket(void)
{
	return socket(AF_INET, SOCK_STREAM, 0) >= 0 ? 0 : 1;
}

static int map_executable(void)
{
	return mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) ==
	       MAP_FAILED;
}

static int make_executable(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? 2 : mprotect(p, 4096, PROT_READ | PROT_EXEC) != 0;
}

/* TIOCSTI pushes bytes into a terminal's input: a classic escape. */
static int inject_into_terminal(void)
{
	char c = 'x';
	return ioctl(STDIN_FILENO, TIOCSTI, &c) != 0;
}

static int run_a_program(void)
{
	char *const argv[] = { "/bin/true", NULL };
	return execve(argv[0], argv, NULL) != 0;
}

#if !defined(__SANITIZE_ADDRESS__) /* the sanitizer runtime needs kill */
static pid_t test_process;

/* Should the filter let it through, the test itself is ended: a failure. */
static int signal_another_process(void)
{
	return kill(test_process, SIGTERM) != 0;
}

/* The same through tgkill, which microrun may aim at its own threads. */
static int signal_another_processes_thread(void)
{
	return syscall(SYS_tgkill, test_process, test_process, SIGTERM) != 0;
}
#endif

/* A vCPU thread is kicked out of KVM_RUN with a signal. Signal 0: only
 * the checks, no delivery. */
static int signal_own_thread(void)
{
	return syscall(SYS_tgkill, getpid(), gettid(), 0) == 0 ? 42 : 1;
}

static int make_a_directory(void)
{
	return mkdirat(AT_FDCWD, "/nonexistent/microrun-test", 0700) == 0;
}

/* What every run does: memory without PROT_EXEC, writes, polls, futexes. */
static int run_as_usual(void)
{
	char *p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p, 4096, PROT_READ) != 0)
		return 2;
	if (write(STDERR_FILENO, "fine", 4) != 4 || munmap(p, 8192) != 0)
		return 3;
	return 42;
}

/* The RTC's reading of the host's time: glibc loads the time zone lazily. */
static int read_the_clock(void)
{
	time_t now = time(NULL);
	struct tm tm;

	return gmtime_r(&now, &tm) ? 42 : 1;
}

START_TEST(the_clock_can_be_read)
{
	struct ended e = in_sandbox(false, read_the_clock);

	ck_assert_int_eq(e.status, 42);
	ck_assert_str_eq(e.err, "");
}
END_TEST

START_TEST(ordinary_work_goes_on)
{
	struct ended e = in_sandbox(false, run_as_usual);

	ck_assert_int_eq(e.status, 42);
	ck_assert_str_eq(e.err, "fine");
}
END_TEST

/* Each of these, outside the allow-list, ends the process with its name. */
static const struct {
	action *act;
	const char *call;
} forbidden[] = {
	{ make_socket, "socket" },
	{ map_executable, "mmap" },            /* executable memory */
	{ make_executable, "mprotect" },
	{ inject_into_terminal, "ioctl" },     /* a request outside the list */
	{ run_a_program, "execve" },
	{ make_a_directory, "mkdirat" },       /* no file server: no file calls */
#if !defined(__SANITIZE_ADDRESS__)
	{ signal_another_process, "kill" },
	{ signal_another_processes_thread, "tgkill" },
#endif
};

START_TEST(forbidden_call_ends_it_with_its_name)
{
#if !defined(__SANITIZE_ADDRESS__)
	test_process = getpid();
#endif
	struct ended e = in_sandbox(false, forbidden[_i].act);
	assert_killed_for(&e, forbidden[_i].call);
}
END_TEST

START_TEST(file_system_calls_for_a_file_server)
{
	struct ended e = in_sandbox(true, make_a_directory);
	ck_assert_int_eq(e.status, 0); /* allowed, and failed with ENOENT */
}
END_TEST

START_TEST(own_threads_can_be_signalled)
{
	struct ended e = in_sandbox(false, signal_own_thread);

	ck_assert_int_eq(e.status, 42);
	ck_assert_str_eq(e.err, "");
}
END_TEST

/* What libseccomp makes of the rules now, for this process. */
static size_t compiled_now(bool file_server, struct sock_filter *prog)
{
	scmp_filter_ctx f = sandbox_rules_filter(file_server, (uint32_t)getpid());
	int fd = memfd_create("bpf", 0);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(seccomp_export_bpf(f, fd), 0);
	seccomp_release(f);
	ssize_t n = pread(fd, prog, BPF_MAXINSNS * sizeof(*prog), 0);
	close(fd);
	ck_assert_int_gt(n, 0);
	return (size_t)n / sizeof(*prog);
}

/* The program built into microrun, with this process's ID put in, is
 * instruction for instruction what libseccomp compiles from the rules
 * for it: the build-time compilation changes nothing. */
START_TEST(built_in_filter_is_libseccomps)
{
	static struct sock_filter want[BPF_MAXINSNS], got[BPF_MAXINSNS];
	const struct sandbox_needs needs = { .file_server = _i };
	size_t n = compiled_now(_i, want);

	ck_assert_uint_eq(sandbox_filter(&needs, getpid(), got), n);
	for (size_t i = 0; i < n; i++) {
		ck_assert_msg(memcmp(&got[i], &want[i], sizeof(got[i])) == 0,
			      "instruction %zu: %04x %u %u %08x, libseccomp %04x %u %u %08x", i,
			      got[i].code, got[i].jt, got[i].jf, got[i].k,
			      want[i].code, want[i].jt, want[i].jf, want[i].k);
	}
	ck_assert_uint_eq(sandbox_allowed_count(&needs), sandbox_rules_count(_i));
}
END_TEST

START_TEST(allowed_count_grows_with_the_file_server)
{
	const struct sandbox_needs plain = { .file_server = false }, files = { .file_server = true };

	ck_assert_uint_gt(sandbox_allowed_count(&plain), 30);
	ck_assert_uint_gt(sandbox_allowed_count(&files), sandbox_allowed_count(&plain) + 20);
}
END_TEST

/* As root: nothing left in any set, bounding set included, and
 * no_new_privs; with a file server, only its file capabilities. */
static int drop_and_report(bool file_server)
{
	const struct sandbox_needs needs = { .file_server = file_server };

	if (sandbox_drop_privileges(&needs) != 0)
		return 10;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 11;
	capng_get_caps_process();
	if (!file_server)
		return capng_have_capabilities(CAPNG_SELECT_BOTH) == CAPNG_NONE &&
		       capng_have_capabilities(CAPNG_SELECT_BOUNDS) == CAPNG_NONE ? 0 : 12;
	if (!capng_have_capability(CAPNG_EFFECTIVE, CAP_CHOWN) ||
	    !capng_have_capability(CAPNG_EFFECTIVE, CAP_DAC_OVERRIDE))
		return 13;
	return capng_have_capability(CAPNG_EFFECTIVE, CAP_SYS_ADMIN) ||
	       capng_have_capability(CAPNG_PERMITTED, CAP_NET_ADMIN) ? 14 : 0;
}

static int exit_status_of(bool file_server)
{
	int ws;
	pid_t pid = fork();

	if (pid == 0)
		_exit(drop_and_report(file_server));
	ck_assert_int_eq(waitpid(pid, &ws, 0), pid);
	ck_assert(WIFEXITED(ws));
	return WEXITSTATUS(ws);
}

START_TEST(root_keeps_no_capabilities)
{
	ck_assert_int_eq(exit_status_of(false), 0);
	ck_assert_int_eq(exit_status_of(true), 0);
}
END_TEST

Suite *sandbox_suite(void)
{
	Suite *s = suite_create("sandbox");
	TCase *tc = tcase_create("seccomp");

	tcase_add_test(tc, ordinary_work_goes_on);
	tcase_add_test(tc, the_clock_can_be_read);
	tcase_add_loop_test(tc, forbidden_call_ends_it_with_its_name, 0,
			    (int)(sizeof(forbidden) / sizeof(forbidden[0])));
	tcase_add_test(tc, file_system_calls_for_a_file_server);
	tcase_add_test(tc, allowed_count_grows_with_the_file_server);
	tcase_add_test(tc, own_threads_can_be_signalled);
	tcase_add_loop_test(tc, built_in_filter_is_libseccomps, 0, 2);
	suite_add_tcase(s, tc);
	if (geteuid() == 0) {
		tc = tcase_create("capabilities");
		tcase_add_test(tc, root_keeps_no_capabilities);
		suite_add_tcase(s, tc);
	} else {
		fprintf(stderr, "sandbox: capabilities: skipped (needs root)\n");
	}
	return s;
}
