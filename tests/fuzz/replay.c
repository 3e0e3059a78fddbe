/* Corpus replay without libFuzzer: `replay-NAME PATH...` runs the target's
 * LLVMFuzzerTestOneInput once on every file named, and on every file in
 * every directory named. Each input runs in a child of its own, so that a
 * crash, a sanitizer report, a leak (LeakSanitizer runs at exit) or a hang
 * is pinned on that input and the others still run. The child's output is
 * kept and shown only when it fails. Exit status 1 if any input failed. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "tests/fuzz/fuzz.h"

/* libFuzzer's -timeout default is 1200 s; an input of a seed corpus that
 * takes more than this is a hang. */
#define HANG_SECONDS 20

static const char *target = "replay";

static void read_input(const char *path, uint8_t **data, size_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;

	if (fd < 0 || fstat(fd, &st) != 0) {
		fprintf(stderr, "%s: cannot open %s: %s\n", target, path, strerror(errno));
		exit(2);
	}
	*size = (size_t)st.st_size;
	/* Exactly the input's size, as libFuzzer gives it: ASan sees a read
	 * past the end. */
	*data = malloc(*size ? *size : 1);
	FUZZ_CHECK(*data && read(fd, *data, *size) == (ssize_t)*size);
	close(fd);
}

static void run_child(const char *path, int out)
{
	uint8_t *data;
	size_t size;

	dup2(out, STDOUT_FILENO);
	dup2(out, STDERR_FILENO);
	read_input(path, &data, &size);
	alarm(HANG_SECONDS);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	exit(0);	/* exit, not _exit: LeakSanitizer checks at exit */
}

static void show_output(int out)
{
	char buf[4096];
	ssize_t n;

	lseek(out, 0, SEEK_SET);
	while ((n = read(out, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stderr);
}

/* 0 when the input passed. */
static int replay_one(const char *path)
{
	int out = memfd_create("replay-output", MFD_CLOEXEC), status;

	FUZZ_CHECK(out >= 0);
	fflush(NULL);
	pid_t pid = fork();
	FUZZ_CHECK(pid >= 0);
	if (pid == 0)
		run_child(path, out);
	FUZZ_CHECK(waitpid(pid, &status, 0) == pid);
	int failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
	if (failed) {
		show_output(out);
		if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
			fprintf(stderr, "%s: %s: hangs (more than %d s)\n", target, path, HANG_SECONDS);
		else if (WIFSIGNALED(status))
			fprintf(stderr, "%s: %s: killed by signal %d\n", target, path, WTERMSIG(status));
		else
			fprintf(stderr, "%s: %s: exit status %d\n", target, path, WEXITSTATUS(status));
	}
	close(out);
	return failed;
}

static int skip_dot(const struct dirent *e)
{
	return e->d_name[0] != '.';
}

/* Files of a directory in name order, or the file itself. */
static void replay_path(const char *path, unsigned *inputs, unsigned *failures)
{
	struct dirent **names;
	struct stat st;

	if (stat(path, &st) != 0) {
		fprintf(stderr, "%s: %s: %s\n", target, path, strerror(errno));
		exit(2);
	}
	if (!S_ISDIR(st.st_mode)) {
		(*inputs)++;
		*failures += replay_one(path);
		return;
	}
	int n = scandir(path, &names, skip_dot, alphasort);
	FUZZ_CHECK(n >= 0);
	for (int i = 0; i < n; i++) {
		char file[4096];
		snprintf(file, sizeof(file), "%s/%s", path, names[i]->d_name);
		replay_path(file, inputs, failures);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	unsigned inputs = 0, failures = 0;
	const char *slash = strrchr(argv[0], '/');

	target = slash ? slash + 1 : argv[0];
	for (int i = 1; i < argc; i++)
		replay_path(argv[i], &inputs, &failures);
	if (inputs == 0) {
		fprintf(stderr, "%s: no inputs to replay\n", target);
		return 2;
	}
	printf("fuzz corpus %s: %u inputs, %u failed\n", target, inputs, failures);
	return failures ? 1 : 0;
}
