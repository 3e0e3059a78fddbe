/* The main thread while the guest runs: waits for the VM to end, for a
 * signal or for the timeout, and feeds stdin to the guest's console. */
#ifndef MR_SUPERVISOR_H
#define MR_SUPERVISOR_H

#include <stdbool.h>
#include <stdint.h>

#include "src/vm.h"

struct outcome {
	enum vm_end end;
	int signal;       /* ended by this signal, or 0 */
	bool timed_out;
};

/* Blocks the signals supervise() takes through a signalfd; call before any
 * thread exists so that every thread inherits the mask. */
int supervisor_block_signals(void) __attribute__((warn_unused_result));

/* Lets the ending signals act again (their default: end the process), for
 * a last blocking write to stdout that must stay interruptible. */
void supervisor_unblock_signals(void);

int supervise(struct vm *vm, uint64_t timeout_ms, struct outcome *out)
	__attribute__((warn_unused_result));

#endif
