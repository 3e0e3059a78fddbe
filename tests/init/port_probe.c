/* port_probe LABEL
 *
 * Whether this process may read the exit-status port (src/x86/layout.h:
 * STATUS_PORT) with the access it was started with: a test tool for
 * tests/init/run.sh, run in the guest as a profile's guest step and as
 * the program. It never calls ioperm itself (as root in the guest it
 * could: see README.md on the exit-status port); it checks that no access
 * was inherited from the init. Without access the inl faults (#GP, a
 * SIGSEGV): prints "LABEL: no access to port 0x604" and exits 0. With it
 * prints "LABEL: port 0x604 read 0x..." (QEMU's value there) and exits 1. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/io.h>
#include <unistd.h>

#include "src/x86/layout.h"

/* Made before the inl: the handler only writes it. */
static char denied[256];
static size_t denied_len;

static void on_fault(int sig)
{
	(void)sig;
	_exit(write(1, denied, denied_len) == (ssize_t)denied_len ? 0 : 2);
}

int main(int argc, char **argv)
{
	struct sigaction sa;

	if (argc != 2) {
		fprintf(stderr, "usage: port_probe LABEL\n");
		return 2;
	}
	int n = snprintf(denied, sizeof(denied), "%s: no access to port 0x%x\n", argv[1],
			 STATUS_PORT);
	denied_len = n < (int)sizeof(denied) ? (size_t)n : sizeof(denied) - 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	if (sigaction(SIGSEGV, &sa, NULL)) {
		perror("port_probe: sigaction SIGSEGV");
		return 2;
	}
	unsigned v = inl(STATUS_PORT);
	printf("%s: port 0x%x read 0x%x\n", argv[1], STATUS_PORT, v);
	return 1;
}
