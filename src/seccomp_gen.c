/* Build-time tool: compiles the sandbox's allow-list (src/sandbox_rules.c)
 * with libseccomp and prints the two BPF programs, for runs with and
 * without the 9p file server, as a C header for src/sandbox.c. Built with
 * the same flags as microrun, so an ASan build gets its sanitizer's calls.
 *
 *     seccomp_gen > seccomp_filters.h
 */
#include <errno.h>
#include <linux/filter.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "src/log.h"
#include "src/sandbox_rules.h"

/* libseccomp 2.5 exports only to a file descriptor. Returns the number of
 * instructions read into `prog`, or -1, reported. */
static int export(bool file_server, struct sock_filter *prog, size_t max)
{
	scmp_filter_ctx f = sandbox_rules_filter(file_server, SANDBOX_PID_PLACEHOLDER);
	int fd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
	int r = f && fd >= 0 ? seccomp_export_bpf(f, fd) : -EINVAL;
	ssize_t n = r ? -1 : pread(fd, prog, max * sizeof(*prog), 0);

	if (r)
		mr_err("seccomp_gen: cannot export the filter: %s", strerror(-r));
	if (f)
		seccomp_release(f);
	if (fd >= 0)
		close(fd);
	if (n <= 0 || n % (ssize_t)sizeof(*prog) || (size_t)n == max * sizeof(*prog))
		return -1;
	return (int)(n / (ssize_t)sizeof(*prog));
}

static unsigned pid_comparisons(const struct sock_filter *prog, int len)
{
	unsigned n = 0;

	for (int i = 0; i < len; i++)
		n += prog[i].code == (BPF_JMP | BPF_JEQ | BPF_K) && prog[i].k == SANDBOX_PID_PLACEHOLDER;
	return n;
}

static int print_filter(const char *name, bool file_server)
{
	static struct sock_filter prog[BPF_MAXINSNS];
	int len = export(file_server, prog, BPF_MAXINSNS);

	if (len < 0)
		return -1;
	if (pid_comparisons(prog, len) != sandbox_rules_pid_rules()) {
		mr_err("seccomp_gen: the process ID placeholder is compared %u times, not %u",
		       pid_comparisons(prog, len), sandbox_rules_pid_rules());
		return -1;
	}
	printf("static const struct sock_filter %s[%d] = {\n", name, len);
	for (int i = 0; i < len; i++)
		printf("\t{ 0x%04x, %3u, %3u, 0x%08x },\n", prog[i].code, prog[i].jt, prog[i].jf,
		       prog[i].k);
	printf("};\n#define %s_CALLS %uu\n\n", name, sandbox_rules_count(file_server));
	return 0;
}

int main(void)
{
	printf("/* Made by src/seccomp_gen.c from src/sandbox_rules.c: do not edit. */\n\n");
	if (print_filter("filter_plain", false) || print_filter("filter_file_server", true))
		return 1;
	return fflush(stdout) ? 1 : 0;
}
