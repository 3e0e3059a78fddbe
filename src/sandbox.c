#include "src/sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "src/exit_status.h"
#include "src/log.h"
#include "src/sandbox_rules.h"
#include "src/term.h"

/* --- capabilities ---------------------------------------------------------- */

/* A 9p server running as root answers for root in the guest: chown, mknod,
 * and files it does not own. Nothing else microrun does needs privilege
 * once /dev/kvm, the kernel and the disks are open. */
static const int file_server_caps[] = {
	CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_MKNOD,
};

int sandbox_drop_privileges(const struct sandbox_needs *needs)
{
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE) {
		/* The bounding set can only shrink with CAP_SETPCAP. */
		capng_select_t which = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP)
				       ? CAPNG_SELECT_ALL : CAPNG_SELECT_CAPS;
		capng_clear(which);
		for (size_t i = 0; needs->file_server && i < sizeof(file_server_caps) / sizeof(int); i++)
			capng_update(CAPNG_ADD, CAPNG_EFFECTIVE | CAPNG_PERMITTED, file_server_caps[i]);
		if (capng_apply(which) != 0) {
			mr_err("cannot drop capabilities (libcap-ng)");
			return -EPERM;
		}
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		mr_err("cannot set no_new_privs: %s", strerror(errno));
		return -errno;
	}
	return 0;
}

/* --- the allow-list -------------------------------------------------------- */

/* filter_plain, filter_file_server and their _CALLS: src/sandbox_rules.c's
 * allow-list as libseccomp compiled it at build time (src/seccomp_gen.c),
 * for process ID SANDBOX_PID_PLACEHOLDER. */
#include "seccomp_filters.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

unsigned sandbox_allowed_count(const struct sandbox_needs *needs)
{
	return needs->file_server ? filter_file_server_CALLS : filter_plain_CALLS;
}

size_t sandbox_filter(const struct sandbox_needs *needs, pid_t pid,
		      struct sock_filter prog[BPF_MAXINSNS])
{
	const struct sock_filter *built = needs->file_server ? filter_file_server : filter_plain;
	size_t len = needs->file_server ? COUNT(filter_file_server) : COUNT(filter_plain);

	for (size_t i = 0; i < len; i++) {
		prog[i] = built[i];
		if (prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K) &&
		    prog[i].k == SANDBOX_PID_PLACEHOLDER)
			prog[i].k = (uint32_t)pid;
	}
	return len;
}

/* --- reporting a violation -------------------------------------------------- */

/* Names for the message, made from the kernel's <asm/unistd.h> at build
 * time (the Makefile): the handler may only make async-signal-safe calls,
 * and resolving all of them through libseccomp at start-up took a third
 * of a tiny guest's whole run. */
static const char *const syscall_names[] = {
#include "syscall_names.h"
};
#define MAX_SYSCALL_NR (int)COUNT(syscall_names)

static size_t append(char *buf, size_t at, size_t size, const char *s)
{
	while (*s && at < size)
		buf[at++] = *s++;
	return at;
}

static size_t append_uint(char *buf, size_t at, size_t size, unsigned v)
{
	char digits[10];
	int n = 0;

	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n && at < size)
		buf[at++] = digits[--n];
	return at;
}

static void on_sigsys(int sig, siginfo_t *info, void *uctx)
{
	char line[200];
	int nr = info->si_syscall;
	size_t n = 0;

	(void)sig;
	(void)uctx;
	n = append(line, n, sizeof(line), "microrun: seccomp: forbidden system call ");
	n = append(line, n, sizeof(line),
		   nr >= 0 && nr < MAX_SYSCALL_NR && syscall_names[nr] ? syscall_names[nr] : "?");
	n = append(line, n, sizeof(line), " (");
	n = append_uint(line, n, sizeof(line), (unsigned)nr);
	n = append(line, n, sizeof(line), "): microrun stops (a bug in microrun, or a "
		   "guest exploiting one; --no-seccomp to debug)\n");
	term_restore();  /* the user's terminal, before the message on it */
	ssize_t w = write(STDERR_FILENO, line, n);
	(void)w;
	_exit(MR_EXIT_SANDBOX);
}

static int install_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_sigsys, .sa_flags = SA_SIGINFO };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGSYS, &sa, NULL) ? -errno : 0;
}

/* SECCOMP_FILTER_FLAG_TSYNC: every thread, or none. The kernel answers
 * with the ID of a thread it could not synchronise. */
static int load(const struct sandbox_needs *needs)
{
	static struct sock_filter prog[BPF_MAXINSNS];
	struct sock_fprog fprog = {
		.len = (unsigned short)sandbox_filter(needs, getpid(), prog),
		.filter = prog,
	};
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fprog);

	if (r < 0) {
		int e = errno;
		mr_err("seccomp: cannot load the filter: %s%s", strerror(e),
		       e == ENOSYS ? " (no seccomp system call here, as under valgrind: "
				     "--no-seccomp runs without the sandbox)" : "");
		return -e;
	}
	if (r > 0) {
		mr_err("seccomp: thread %ld cannot take the filter", r);
		return -EBUSY;
	}
	return 0;
}

int sandbox_enter(const struct sandbox_needs *needs)
{
	/* glibc opens /etc/localtime on the first gmtime_r (the RTC's): load
	 * it now, while opening files is still allowed. */
	tzset();
	int r = install_handler();

	if (r) {
		mr_err("seccomp: cannot install the SIGSYS handler: %s", strerror(-r));
		return r;
	}
	r = load(needs);
	if (!r)
		mr_info("seccomp: %u system calls allowed, on every thread",
			sandbox_allowed_count(needs));
	return r;
}
