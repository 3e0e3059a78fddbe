/* The init's tini part: starts the program as a child in a session of its
 * own, forwards the signals the init receives to the program's process
 * group, reaps every zombie (as PID 1 it inherits orphans), and returns
 * how the program ended. Plain POSIX and Linux calls, so the same file is
 * built for the host and exercised there (tests/unit/test_init_child.c). */
#ifndef MR_INIT_CHILD_H
#define MR_INIT_CHILD_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#include "devices/status_port.h"

struct child_spec {
	const char *const *argv;  /* argv[0] found on envp's PATH unless it has a '/' */
	const char *const *envp;
	const char *cwd;
	int fds[3];               /* become stdin, stdout, stderr: -1 (inherited)
				   * or descriptors above 2 */
	void (*before_exec)(void); /* NULL, or called in the child last,
				    * while it still has the init's I/O
				    * port access (child_spawn) */
};

/* How it ended, as the exit-status port takes it: (kind, value). */
struct child_result {
	enum status_kind kind;
	unsigned value;
	int err;                  /* for STATUS_KIND_INIT_FAILED: the errno */
};

struct child_supervisor {
	int sfd;                  /* signalfd of the signals below */
	sigset_t old_mask;        /* what the program starts with */
	pid_t pid;                /* the program; its process group too */
	unsigned reaped_others;   /* zombies reaped that were not the program */
};

/* Blocks SIGCHLD and the forwarded signals (SIGINT, SIGTERM, SIGHUP,
 * SIGQUIT, SIGUSR1, SIGUSR2) and opens a signalfd for them. */
int child_supervisor_init(struct child_supervisor *s) __attribute__((warn_unused_result));
void child_supervisor_close(struct child_supervisor *s);

/* Forks and executes the program, without the I/O port access (ioperm)
 * the init holds. 0 once it runs (exec succeeded); -errno if it could not
 * be started, with *failed saying at which step (cwd, not found, not
 * executable); the failed child has then been reaped. */
int child_spawn(struct child_supervisor *s, const struct child_spec *spec,
		struct child_result *failed) __attribute__((warn_unused_result));

/* Until the program ends: reaps, forwards. 0 with *res filled in, or
 * -errno if the signalfd fails. */
int child_wait(struct child_supervisor *s, struct child_result *res)
	__attribute__((warn_unused_result));

#endif
