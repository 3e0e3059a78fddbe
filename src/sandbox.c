#include "src/sandbox.h"

#include <cap-ng.h>
#include <errno.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <seccomp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "src/exit_status.h"
#include "src/log.h"
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

/* What every run makes once the guest runs: vCPU and device threads, the
 * supervisor's poll loop, stdio, guest memory untouched, malloc, the disks
 * (preadv/pwritev on guest buffers, flush, discard through fallocate). */
static const char *const run_calls[] = {
	"read", "write", "readv", "writev", "pread64", "pwrite64", "preadv", "pwritev",
	"preadv2", "pwritev2", "close", "poll", "ppoll", "futex", "rt_sigprocmask",
	"rt_sigreturn", "restart_syscall", "exit", "exit_group", "munmap", "mremap",
	"madvise", "brk", "clock_gettime", "clock_nanosleep", "gettid", "getpid",
	"sched_yield", "fstat", "newfstatat", "fsync", "fdatasync", "fallocate",
	/* A thread created just before the filter may still be in glibc's
	 * start-up, which registers these (with every signal blocked, so a
	 * trap there could not even be reported). */
	"rseq", "set_robust_list",
};

/* The 9p server's calls on the exported trees (confinement itself is
 * openat2's RESOLVE_BENEATH, not seccomp's: paths cannot be filtered). */
static const char *const file_server_calls[] = {
	"openat", "openat2", "statx", "fstatfs", "getdents64", "lseek", "mkdirat",
	"mknodat", "symlinkat", "linkat", "renameat", "renameat2", "unlinkat",
	"readlinkat", "fchmod", "fchmodat", "fchown", "fchownat", "utimensat",
	"ftruncate", "fcntl", "flock", "fgetxattr", "flistxattr", "fsetxattr",
	"fremovexattr", "dup", "faccessat", "faccessat2",
};

#if defined(__SANITIZE_ADDRESS__)
/* ASan+UBSan builds only: what the sanitizer runtime needs to report an
 * error and, at exit, for LeakSanitizer to stop the world (a ptrace-ing
 * clone) and read /proc/self. Release builds never allow these. */
static const char *const sanitizer_calls[] = {
	"clone", "ptrace", "wait4", "open", "openat", "getdents", "getdents64", "prctl", "sigaltstack",
	"rt_sigaction", "readlink", "sched_getaffinity", "prlimit64", "lseek", "getppid",
	"kill", "tgkill",
};
#define NSANITIZER (sizeof(sanitizer_calls) / sizeof(sanitizer_calls[0]))
#else
static const char *const *const sanitizer_calls = NULL;
#define NSANITIZER 0
#endif

/* ioctl requests, on whatever file: running vCPUs and interrupts, the
 * -v register dump, the terminal, block device discard. */
static const unsigned long run_ioctls[] = {
	KVM_RUN, KVM_SIGNAL_MSI, KVM_SET_GSI_ROUTING, KVM_GET_REGS,
	TCGETS, TCSETS, TCSETSW, TCSETSF, TIOCGWINSZ, BLKDISCARD, BLKZEROOUT,
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int allow_names(scmp_filter_ctx f, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int nr = seccomp_syscall_resolve_name(names[i]);
		int r = nr == __NR_SCMP_ERROR ? -EINVAL : seccomp_rule_add(f, SCMP_ACT_ALLOW, nr, 0);
		if (r) {
			mr_err("seccomp: cannot allow %s: %s", names[i], strerror(-r));
			return r;
		}
	}
	return 0;
}

/* Calls allowed only with certain arguments: no executable mappings (an
 * exploit's next step), signals only to microrun's own threads. */
static int allow_with_arguments(scmp_filter_ctx f)
{
	int r = 0;

	for (size_t i = 0; !r && i < COUNT(run_ioctls); i++)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(ioctl), 1,
				     SCMP_A1(SCMP_CMP_EQ, run_ioctls[i]));
	if (!r)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mmap), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(mprotect), 1,
				     SCMP_A2(SCMP_CMP_MASKED_EQ, PROT_EXEC, 0));
	if (!r && !NSANITIZER)
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)getpid()));
	if (r)
		mr_err("seccomp: cannot add a rule: %s", strerror(-r));
	return r;
}

unsigned sandbox_allowed_count(const struct sandbox_needs *needs)
{
	/* ioctl, mmap, mprotect and tgkill come with their argument rules. */
	return (unsigned)(COUNT(run_calls) + 4 + NSANITIZER +
			  (needs->file_server ? COUNT(file_server_calls) : 0));
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

static int build_and_load(scmp_filter_ctx f, const struct sandbox_needs *needs)
{
	int r = seccomp_attr_set(f, SCMP_FLTATR_CTL_TSYNC, 1);

	if (!r)
		r = allow_names(f, run_calls, COUNT(run_calls));
	if (!r && needs->file_server)
		r = allow_names(f, file_server_calls, COUNT(file_server_calls));
	if (!r && NSANITIZER)
		r = allow_names(f, sanitizer_calls, NSANITIZER);
	if (!r)
		r = allow_with_arguments(f);
	if (!r && (r = seccomp_load(f)) != 0)
		mr_err("seccomp: cannot load the filter: %s", strerror(-r));
	return r;
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
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);
	if (!f) {
		mr_err("seccomp: cannot create a filter (libseccomp)");
		return -ENOMEM;
	}
	r = build_and_load(f, needs);
	seccomp_release(f);
	if (!r)
		mr_info("seccomp: %u system calls allowed, on every thread",
			sandbox_allowed_count(needs));
	return r;
}
