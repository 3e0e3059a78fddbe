#include "src/sandbox_rules.h"

#include <errno.h>
#include <linux/fs.h>
#include <linux/kvm.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "src/log.h"

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
static int allow_with_arguments(scmp_filter_ctx f, uint32_t pid)
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
	if (!r && sandbox_rules_pid_rules())
		r = seccomp_rule_add(f, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
				     SCMP_A0(SCMP_CMP_EQ, (scmp_datum_t)pid));
	if (r)
		mr_err("seccomp: cannot add a rule: %s", strerror(-r));
	return r;
}

static int add_rules(scmp_filter_ctx f, bool file_server, uint32_t pid)
{
	int r = allow_names(f, run_calls, COUNT(run_calls));

	if (!r && file_server)
		r = allow_names(f, file_server_calls, COUNT(file_server_calls));
	if (!r && NSANITIZER)
		r = allow_names(f, sanitizer_calls, NSANITIZER);
	if (!r)
		r = allow_with_arguments(f, pid);
	return r;
}

scmp_filter_ctx sandbox_rules_filter(bool file_server, uint32_t pid)
{
	scmp_filter_ctx f = seccomp_init(SCMP_ACT_TRAP);

	if (!f) {
		mr_err("seccomp: cannot create a filter (libseccomp)");
		return NULL;
	}
	if (add_rules(f, file_server, pid) != 0) {
		seccomp_release(f);
		return NULL;
	}
	return f;
}

unsigned sandbox_rules_count(bool file_server)
{
	return (unsigned)(COUNT(run_calls) + 3 + sandbox_rules_pid_rules() + NSANITIZER +
			  (file_server ? COUNT(file_server_calls) : 0));
}

unsigned sandbox_rules_pid_rules(void)
{
	return NSANITIZER ? 0 : 1;
}
