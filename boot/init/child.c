#include "boot/init/child.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/io.h>
#include <sys/ioctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* What the program gets when it is sent to the init: the usual ways to
 * end or poke a program from outside. SIGKILL and SIGSTOP cannot be
 * caught, so a user wanting them sends them to the program itself. */
static const int forwarded[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };

int child_supervisor_init(struct child_supervisor *s)
{
	sigset_t set;

	memset(s, 0, sizeof(*s));
	s->pid = -1;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaddset(&set, forwarded[i]);
	if (sigprocmask(SIG_BLOCK, &set, &s->old_mask))
		return -errno;
	s->sfd = signalfd(-1, &set, SFD_CLOEXEC);
	return s->sfd < 0 ? -errno : 0;
}

void child_supervisor_close(struct child_supervisor *s)
{
	if (s->sfd >= 0)
		close(s->sfd);
	s->sfd = -1;
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
}

/* In the child, where only async-signal-safe calls are allowed: the step
 * that failed and errno go back through the pipe, then _exit. */
static __attribute__((noreturn)) void child_fail(int pipe_fd, int step)
{
	int msg[2] = { step, errno };
	ssize_t r = write(pipe_fd, msg, sizeof(msg));
	(void)r;
	_exit(127);
}

static void child_fds(const struct child_spec *spec)
{
	for (int i = 0; i < 3; i++)
		if (spec->fds[i] >= 0 && spec->fds[i] != i)
			dup2(spec->fds[i], i);  /* dup2 clears O_CLOEXEC on the copy */
	for (int i = 0; i < 3; i++)
		if (spec->fds[i] > 2)
			close(spec->fds[i]);
}

#define IO_PORTS 65536  /* x86's I/O space, ioperm's whole range */

/* The init's I/O port access (ioperm: the exit-status port) survives
 * fork and execve; nothing the init starts may inherit it. All of it
 * goes, whichever ports the init holds. ENOSYS: a kernel without
 * ioperm; EPERM: a seccomp filter refusing the call (a container's, on
 * the host), as the kernel itself never refuses a drop. Either way no
 * access was inherited. A failure (ENOMEM) stops the child. */
static int drop_port_access(void)
{
	if (ioperm(0, IO_PORTS, 0) == 0 || errno == ENOSYS || errno == EPERM)
		return 0;
	return -1;
}

extern char **environ;

/* Ignored signals stay ignored across execve: a SIGHUP the init's own
 * parent ignored (nohup, on the host where the unit tests run it) would
 * leave the program deaf to the forwarded signal. The program starts with
 * the defaults, as it would from a shell. */
static void default_dispositions(void)
{
	struct sigaction dfl = { .sa_handler = SIG_DFL };

	for (size_t i = 0; i < sizeof(forwarded) / sizeof(forwarded[0]); i++)
		sigaction(forwarded[i], &dfl, NULL);
	sigaction(SIGPIPE, &dfl, NULL);
}

static __attribute__((noreturn)) void child_exec(const struct child_supervisor *s,
						   const struct child_spec *spec, int pipe_fd)
{
	/* A session of its own: the program's process group is its pid,
	 * which is where the init forwards signals; a terminal on stdin
	 * becomes its controlling terminal, so Ctrl-C reaches it (best
	 * effort: /dev/console refuses, a pipe is no terminal). */
	setsid();
	child_fds(spec);
	if (isatty(0))
		ioctl(0, TIOCSCTTY, 0);
	default_dispositions();
	sigprocmask(SIG_SETMASK, &s->old_mask, NULL);
	if (spec->cwd && chdir(spec->cwd))
		child_fail(pipe_fd, STATUS_STEP_CWD);
	environ = (char **)spec->envp;  /* execvp searches this PATH */
	if (spec->before_exec)
		spec->before_exec();
	if (drop_port_access())
		child_fail(pipe_fd, STATUS_STEP_SPAWN);
	execvp(spec->argv[0], (char *const *)spec->argv);
	child_fail(pipe_fd, errno == ENOENT || errno == ENOTDIR ? STATUS_STEP_EXEC_NOT_FOUND
								 : STATUS_STEP_EXEC);
}

/* The pipe is O_CLOEXEC: it reads end-of-file once exec succeeded, or the
 * failure the child wrote. */
static int read_failure(int fd, struct child_supervisor *s, struct child_result *failed)
{
	int msg[2];
	ssize_t n;

	do
		n = read(fd, msg, sizeof(msg));
	while (n < 0 && errno == EINTR);
	if (n == 0)
		return 0;
	if (n != (ssize_t)sizeof(msg)) {
		msg[0] = STATUS_STEP_SPAWN;
		msg[1] = n < 0 ? errno : EIO;
	}
	waitpid(s->pid, NULL, 0);
	s->pid = -1;
	*failed = (struct child_result){
		.kind = STATUS_KIND_INIT_FAILED, .value = (unsigned)msg[0], .err = msg[1],
	};
	return -msg[1];
}

int child_spawn(struct child_supervisor *s, const struct child_spec *spec,
		struct child_result *failed)
{
	int p[2];

	*failed = (struct child_result){ .kind = STATUS_KIND_INIT_FAILED, .value = STATUS_STEP_SPAWN };
	if (pipe2(p, O_CLOEXEC))
		return failed->err = errno, -errno;
	s->pid = fork();
	if (s->pid == 0) {
		close(p[0]);
		child_exec(s, spec, p[1]);
	}
	int err = errno;
	close(p[1]);
	if (s->pid < 0) {
		close(p[0]);
		failed->err = err;
		return -err;
	}
	int r = read_failure(p[0], s, failed);
	close(p[0]);
	return r;
}

static void result_of(int wstatus, struct child_result *res)
{
	if (WIFSIGNALED(wstatus))
		*res = (struct child_result){ .kind = STATUS_KIND_SIGNALED,
					      .value = (unsigned)WTERMSIG(wstatus) };
	else
		*res = (struct child_result){ .kind = STATUS_KIND_EXITED,
					      .value = (unsigned)WEXITSTATUS(wstatus) };
}

/* Every child that has ended, the program or not; true once the program
 * was among them. */
static bool reap(struct child_supervisor *s, struct child_result *res)
{
	bool done = false;
	int wstatus;
	pid_t pid;

	while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
		if (pid == s->pid) {
			result_of(wstatus, res);
			done = true;
		} else {
			s->reaped_others++;
		}
	}
	return done;
}

/* To the program's process group; to the program alone if it has left
 * the group it started in and the group is gone. */
static void forward(const struct child_supervisor *s, int sig)
{
	if (kill(-s->pid, sig) && errno == ESRCH)
		kill(s->pid, sig);
}

int child_wait(struct child_supervisor *s, struct child_result *res)
{
	struct signalfd_siginfo si;

	/* A SIGCHLD may have been taken with the pipe's read already. */
	if (reap(s, res))
		return 0;
	for (;;) {
		ssize_t n = read(s->sfd, &si, sizeof(si));
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(si))
			return n < 0 ? -errno : -EIO;
		if (si.ssi_signo != SIGCHLD)
			forward(s, (int)si.ssi_signo);
		else if (reap(s, res))
			return 0;
	}
}
