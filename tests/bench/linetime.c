/* linetime: runs a command and timestamps each line of its stdout as it
 * arrives, then says what the command cost. For tests/bench/e2e-compare.sh.
 *
 *   linetime OUT COMMAND [ARG...]
 *
 * Each line COMMAND writes goes to file OUT prefixed "SECONDS " (6
 * decimals): CLOCK_MONOTONIC when the read() that completed the line
 * returned, minus the same clock read just before the fork. stdin and
 * stderr are inherited. Bounding COMMAND in time is the caller's part
 * (timeout(1) as COMMAND). Once COMMAND has closed its stdout and ended,
 * one line on stdout:
 *
 *   SECONDS STATUS MAXRSS_KIB USER SYS
 *
 * SECONDS: to the moment wait4() returned; STATUS as a shell gives it
 * (128+N for signal N); MAXRSS_KIB, USER, SYS (seconds): wait4()'s rusage,
 * which covers COMMAND and the children it waited for (so the VMM under
 * timeout(1)); KVM counts guest time as the VMM's user time. Errors go to
 * stderr, prefixed "linetime:", with status 2. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double t0;

static double since_start(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9 - t0;
}

static int fail(const char *what)
{
	fprintf(stderr, "linetime: %s: %s\n", what, strerror(errno));
	return 2;
}

/* Copies the pipe to `out` line by line, stamped, up to its end. */
static int stamp_lines(int fd, FILE *out)
{
	char buf[1 << 16];
	int at_line_start = 1;

	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			break;
		double t = since_start();
		for (ssize_t i = 0; i < n; i++) {
			if (at_line_start)
				fprintf(out, "%.6f ", t);
			putc(buf[i], out);
			at_line_start = buf[i] == '\n';
		}
	}
	if (!at_line_start)
		putc('\n', out);
	return 0;
}

static double seconds(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: linetime OUT COMMAND [ARG...]\n");
		return 2;
	}
	FILE *out = fopen(argv[1], "w");
	int p[2];
	if (!out)
		return fail(argv[1]);
	if (pipe2(p, O_CLOEXEC) < 0)
		return fail("pipe");
	t0 = since_start();
	pid_t pid = fork();
	if (pid < 0)
		return fail("fork");
	if (pid == 0) {
		if (dup2(p[1], STDOUT_FILENO) < 0)
			_exit(127);
		execvp(argv[2], argv + 2);
		fprintf(stderr, "linetime: %s: %s\n", argv[2], strerror(errno));
		_exit(127);
	}
	close(p[1]);
	errno = -stamp_lines(p[0], out);
	if (errno)
		return fail("read");
	int status;
	struct rusage ru;
	while (wait4(pid, &status, 0, &ru) < 0)
		if (errno != EINTR)
			return fail("wait4");
	double t_exit = since_start();
	if (fclose(out) != 0)
		return fail(argv[1]);
	int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	printf("%.6f %d %ld %.6f %.6f\n", t_exit, code, ru.ru_maxrss, seconds(ru.ru_utime),
	       seconds(ru.ru_stime));
	return 0;
}
