#include "src/profile_host.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot/x86/linux_boot.h"
#include "src/guest_env.h"
#include "src/log.h"
#include "src/profile.h"
#include "src/profile_scratch.h"
#include "src/supervisor.h"

extern char **environ;

/* What a host step may print: options, not data. */
#define HOST_OUTPUT_MAX (64 * 1024)

/* The host step's variables, each malloc'd, in `own`. */
enum { OWN_SCRATCH, OWN_KERNEL, OWN_RELEASE, OWN_PROFILE, OWN_PROFILE_DIR, NUM_OWN };

static int own_variables(const struct mr_profile *p, const struct mr_config *cfg, char *own[NUM_OWN])
{
	char kernel[PATH_MAX], release[KVER_MAX] = "";

	if (!realpath(cfg->kernel, kernel)) {
		mr_err("cannot open kernel %s: %s", cfg->kernel, strerror(errno));
		return -errno;
	}
	int r = linux_kernel_release(kernel, release);
	if (r && r != -ENODATA)
		return r;
	if (asprintf(&own[OWN_SCRATCH], "MICRORUN_SCRATCH=%s", profile_scratch_path()) < 0 ||
	    asprintf(&own[OWN_KERNEL], "MICRORUN_KERNEL=%s", kernel) < 0 ||
	    asprintf(&own[OWN_RELEASE], "MICRORUN_KERNEL_RELEASE=%s", r ? "" : release) < 0 ||
	    asprintf(&own[OWN_PROFILE], "MICRORUN_PROFILE=%s", p->name) < 0 ||
	    asprintf(&own[OWN_PROFILE_DIR], "MICRORUN_PROFILE_DIR=%s", p->dir) < 0) {
		mr_err("profile '%s': out of memory", p->name);
		return -ENOMEM;
	}
	return 0;
}

/* microrun's environment, then the -e pairs, then `own`, each replacing
 * a variable of the same name. */
static const char **host_env(const struct mr_config *cfg, char *const own[NUM_OWN])
{
	unsigned n = 0, size = cfg->nenv + NUM_OWN + 1;

	for (char **e = environ; *e; e++)
		size++;
	const char **env = calloc(size, sizeof(*env));
	for (char **e = environ; env && *e; e++)
		if (strchr(*e, '='))
			guest_env_add(env, &n, *e);
	for (unsigned i = 0; env && i < cfg->nenv; i++)
		guest_env_add(env, &n, cfg->env[i]);
	for (unsigned i = 0; env && i < NUM_OWN; i++)
		guest_env_add(env, &n, own[i]);
	return env;
}

/* stdin from /dev/null, stdout into the pipe; the signals microrun blocks
 * or ignores back to normal. */
static int spawn(pid_t *pid, const char *path, const char **env, int out_fd)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, defaults;
	char *const argv[] = { (char *)path, NULL };

	sigemptyset(&none);
	sigfillset(&defaults);
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &defaults);
	int r = posix_spawn(pid, path, &fa, &attr, argv, (char *const *)env);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	return -r;
}

/* A host step as it runs. microrun is the child subreaper meanwhile, so
 * that whatever the step leaves running, even detached (setsid, a double
 * fork), becomes microrun's child once its parent is gone: microrun, which
 * has no other children, can then end it, race-free (a child's PID is not
 * reused until its parent reaps it). It stays in microrun's process group,
 * so that it can use the terminal (a password prompt) and gets its Ctrl-C
 * as any command would. */
struct step {
	const struct mr_profile *p;
	const char *path;
	pid_t pid;
	int out;        /* the read end of its stdout; -1 once done with */
	int exited;     /* its pidfd, readable once it has exited; or -1 */
	int signals;    /* a signalfd of microrun's ending signals; or -1 */
	int signal;     /* the first ending signal microrun got meanwhile, or 0 */
	char *text;     /* what it printed, up to HOST_OUTPUT_MAX */
	size_t len;
	int read_err;   /* reading it failed (-EFBIG: it printed too much) */
};

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* One read of the step's output. The pipe is closed at its end, on an
 * error, or once HOST_OUTPUT_MAX is reached (a step still printing then
 * gets EPIPE rather than block). false when there is nothing to read now. */
static bool take_output(struct step *st)
{
	ssize_t n = read(st->out, st->text + st->len, HOST_OUTPUT_MAX - st->len);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return false;
	if (n > 0)
		st->len += (size_t)n;
	if (n < 0)
		st->read_err = -errno;
	else if (st->len == HOST_OUTPUT_MAX)
		st->read_err = -EFBIG;
	if (n > 0 && !st->read_err)
		return true;
	close_fd(&st->out);
	return false;
}

/* What the step's leftovers still hold in the pipe is read, without
 * waiting for them (or whatever else has its stdout) to close it. */
static void drain_output(struct step *st)
{
	if (st->out >= 0 && fcntl(st->out, F_SETFL, O_NONBLOCK) == 0)
		while (take_output(st))
			;
	close_fd(&st->out);
}

/* An ending signal: the first is passed on to the step, unless it came
 * from the terminal (SI_KERNEL), which sent it to the step as well, being
 * in its process group; a second one kills the step. */
static void take_signal(struct step *st)
{
	struct signalfd_siginfo si;

	if (read(st->signals, &si, sizeof(si)) != (ssize_t)sizeof(si))
		return;
	if (st->signal) {
		kill(st->pid, SIGKILL);
		return;
	}
	st->signal = (int)si.ssi_signo;
	if (si.ssi_code != SI_KERNEL)
		kill(st->pid, st->signal);
}

/* Reads the step's output and takes ending signals until it exits. */
static void watch(struct step *st)
{
	enum { EXITED, SIGNALS, OUT };
	struct pollfd pfd[] = { [EXITED] = { st->exited, POLLIN, 0 },
				[SIGNALS] = { st->signals, POLLIN, 0 },
				[OUT] = { st->out, POLLIN, 0 } };

	while (!(pfd[EXITED].revents & POLLIN)) {
		pfd[OUT].fd = st->out;
		if (poll(pfd, 3, -1) < 0) {
			if (errno == EINTR)
				continue;
			mr_err("profile '%s': cannot wait for host step %s: %s", st->p->name,
			       st->path, strerror(errno));
			kill(st->pid, SIGKILL);
			return;
		}
		if (pfd[SIGNALS].revents & POLLIN)
			take_signal(st);
		if (pfd[OUT].revents)
			take_output(st);
	}
}

static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return status;
}

/* Whether the process of /proc entry `name` is microrun's child. */
static bool is_our_child(const char *name)
{
	char path[64], line[512];
	int ppid;

	if (!isdigit((unsigned char)name[0]) ||
	    snprintf(path, sizeof(path), "/proc/%s/stat", name) >= (int)sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ssize_t n = read(fd, line, sizeof(line) - 1);
	close(fd);
	if (n <= 0)
		return false;
	line[n] = '\0';
	/* "PID (COMM) STATE PPID ...": COMM may hold blanks and parentheses. */
	const char *comm_end = strrchr(line, ')');
	return comm_end && sscanf(comm_end + 1, " %*c %d", &ppid) == 1 && ppid == getpid();
}

/* SIGKILL to each of microrun's children: how many took it, -1 if the
 * processes cannot be listed. */
static int kill_children(void)
{
	DIR *proc = proc_shows_own_pids() ? opendir("/proc") : NULL;
	struct dirent *e;
	int n = 0;

	if (!proc)
		return -1;
	while ((e = readdir(proc)))
		if (is_our_child(e->d_name) && kill((pid_t)strtol(e->d_name, NULL, 10), SIGKILL) == 0)
			n++;
	closedir(proc);
	return n;
}

/* Ends and reaps what the step left running, microrun's children now. */
static void end_leftovers(const struct step *st)
{
	bool looked_again = false;
	pid_t reaped;

	while ((reaped = waitpid(-1, NULL, WNOHANG)) >= 0) {
		if (reaped > 0)
			continue;
		int n = kill_children();
		if (n > 0) {
			looked_again = false;
			waitpid(-1, NULL, 0); /* one of them at least dies */
			continue;
		}
		/* One reparented to microrun while the list was read is not in
		 * it: a second look. */
		if (n == 0 && !looked_again) {
			looked_again = true;
			continue;
		}
		mr_warn("profile '%s': host step %s left processes that microrun cannot %s; "
			"they keep running", st->p->name, st->path,
			n ? "find (is /proc mounted?)" : "end");
		return;
	}
}

/* The pipe for the step's stdout, and the signalfd. */
static int open_watches(struct step *st, int *out_w)
{
	sigset_t ending;
	int fds[2];

	supervisor_ending_set(&ending);
	if (pipe2(fds, O_CLOEXEC) == 0) {
		st->out = fds[0];
		*out_w = fds[1];
		st->signals = signalfd(-1, &ending, SFD_CLOEXEC);
		if (st->signals >= 0)
			return 0;
	}
	mr_err("profile '%s': cannot make a %s for its host step: %s", st->p->name,
	       st->out < 0 ? "pipe" : "signalfd", strerror(errno));
	return -1;
}

/* Starts the step, with its pidfd. */
static enum host_result launch(struct step *st, const char **env, int out_w)
{
	if (prctl(PR_SET_CHILD_SUBREAPER, 1)) {
		mr_err("profile '%s': cannot become the subreaper of its host step: %s",
		       st->p->name, strerror(errno));
		return HOST_ERROR;
	}
	int r = spawn(&st->pid, st->path, env, out_w);
	if (r) {
		mr_err("profile '%s': cannot run host step %s: %s", st->p->name, st->path,
		       strerror(-r));
		return HOST_FAILED;
	}
	st->exited = (int)syscall(SYS_pidfd_open, st->pid, 0);
	if (st->exited >= 0)
		return HOST_OK;
	mr_err("profile '%s': cannot watch host step %s (pidfd_open, Linux 5.3 or later): %s",
	       st->p->name, st->path, strerror(errno));
	kill(st->pid, SIGKILL);
	wait_for(st->pid);
	end_leftovers(st);
	return HOST_ERROR;
}

static enum host_result judge(const struct step *st, int status)
{
	const char *name = st->p->name, *path = st->path;

	if (st->read_err == -EFBIG) { /* what it then does with its pipe gone is beside the point */
		mr_err("profile '%s': host step %s printed more than 64 KiB: options only, one a line",
		       name, path);
		return HOST_FAILED;
	}
	if (WIFSIGNALED(status)) {
		mr_err("profile '%s': host step %s was killed by signal %d (%s)", name, path,
		       WTERMSIG(status), strsignal(WTERMSIG(status)));
		return HOST_FAILED;
	}
	if (status < 0 || WEXITSTATUS(status)) {
		mr_err("profile '%s': host step %s exited with status %d", name, path,
		       status < 0 ? -1 : WEXITSTATUS(status));
		return HOST_FAILED;
	}
	if (st->read_err || memchr(st->text, '\0', st->len)) {
		mr_err("profile '%s': host step %s printed %s", name, path,
		       st->read_err ? strerror(-st->read_err) : "a NUL byte: options only, one a line");
		return HOST_FAILED;
	}
	/* An ending signal ends the run, however the step took it. */
	return st->signal ? HOST_FAILED : HOST_OK;
}

/* Runs the step until it exits and its leftovers are ended; its stdout
 * into `text`. A signal taken meanwhile is made pending again, for main(). */
static enum host_result run_step(const struct mr_profile *p, const char *path, const char **env,
				 char *text, size_t *len)
{
	struct step st = { .p = p, .path = path, .out = -1, .exited = -1, .signals = -1,
			   .text = text };
	enum host_result res = HOST_ERROR;
	int out_w = -1;

	if (supervisor_pending_signal())
		return HOST_FAILED; /* a Ctrl-C before it: no more steps */
	if (open_watches(&st, &out_w) == 0)
		res = launch(&st, env, out_w);
	close_fd(&out_w);
	if (res == HOST_OK) {
		mr_info("profile '%s': running %s", p->name, path);
		watch(&st);
		int status = wait_for(st.pid);
		end_leftovers(&st);
		drain_output(&st);
		res = judge(&st, status);
	}
	prctl(PR_SET_CHILD_SUBREAPER, 0);
	close_fd(&st.out);
	close_fd(&st.exited);
	close_fd(&st.signals);
	if (st.signal)
		raise(st.signal);
	text[st.len] = '\0';
	*len = st.len;
	return res;
}

static enum host_result parse_output(const char *path, const char *text, struct arglist *out)
{
	char where[PATH_MAX + 32];

	snprintf(where, sizeof(where), "%s (stdout)", path);
	return profile_parse_options(text, where, out) ? HOST_FAILED : HOST_OK;
}

static void host_path(const struct mr_profile *p, char *path, size_t size)
{
	snprintf(path, size, "%s/host", p->dir);
}

bool profile_has_host(const struct mr_profile *p)
{
	char path[PATH_MAX + 8];

	host_path(p, path, sizeof(path));
	return access(path, F_OK) == 0;
}

enum host_result profile_run_host(const struct mr_profile *p, const struct mr_config *cfg,
				  struct arglist *out)
{
	char path[PATH_MAX + 8], *own[NUM_OWN] = { 0 }, *text = NULL;
	enum host_result res = HOST_ERROR;
	const char **env = NULL;
	size_t len;

	host_path(p, path, sizeof(path));
	if (!profile_has_host(p))
		return HOST_OK;
	if (access(path, X_OK)) {
		mr_err("profile '%s': host step %s is not executable (chmod +x it)", p->name, path);
		return HOST_FAILED;
	}
	if (profile_scratch_make() == 0 && own_variables(p, cfg, own) == 0 &&
	    (env = host_env(cfg, own)) && (text = malloc(HOST_OUTPUT_MAX + 1)))
		res = run_step(p, path, env, text, &len);
	if (res == HOST_OK)
		res = parse_output(path, text, out);
	free(text);
	free(env);
	for (int i = 0; i < NUM_OWN; i++)
		free(own[i]);
	return res;
}
