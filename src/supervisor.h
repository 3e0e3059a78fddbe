/* The main thread while the guest runs: waits for the VM to end, for a
 * signal or for the timeout, and feeds stdin to the guest's console. */
#ifndef MR_SUPERVISOR_H
#define MR_SUPERVISOR_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "src/vm.h"

struct outcome {
	enum vm_end end;
	int signal;       /* ended by this signal, or 0; SIGINT for Ctrl-A x */
	bool escaped;     /* by Ctrl-A x on a raw terminal */
	bool timed_out;
};

/* Blocks the signals supervise() takes through a signalfd; call before any
 * thread exists so that every thread inherits the mask. */
int supervisor_block_signals(void) __attribute__((warn_unused_result));

/* Lets the ending signals act again (their default: end the process), for
 * a last blocking write to stdout that must stay interruptible. */
void supervisor_unblock_signals(void);

/* The ending signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT. */
void supervisor_ending_set(sigset_t *set);

/* An ending signal that arrived while blocked (before the VM runs, e.g.
 * a Ctrl-C during a profile's host step), or 0. */
int supervisor_pending_signal(void);

/* The signalfd of the ending signals and the --timeout timer (0: none),
 * made before the sandbox forbids making them; `escape`: stdin is a raw
 * terminal, where Ctrl-A x ends the VM (src/escape.h). */
struct supervisor {
	int signal_fd, timer_fd;
	bool escape;
};

int supervisor_open(struct supervisor *s, uint64_t timeout_ms) __attribute__((warn_unused_result));
void supervisor_close(struct supervisor *s);

/* Waits for the VM to end, an ending signal, the timeout or Ctrl-A x,
 * feeding stdin to the guest meanwhile, and telling it when stdin ends. */
int supervise(const struct supervisor *s, struct vm *vm, struct outcome *out)
	__attribute__((warn_unused_result));

#endif
