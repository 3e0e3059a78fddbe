/* --timing: when a run reaches each phase, and how much of it microrun
 * spends itself. Times are on CLOCK_MONOTONIC, from the start of main();
 * the phases inside the guest come from its init, through the exit-status
 * port (devices/status_port.h). Every mark keeps its first time only, so
 * a guest repeating one cannot move it. Nothing is recorded unless
 * timing_on (set once, before any thread starts); callers from any thread. */
#ifndef MR_TIMING_H
#define MR_TIMING_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/status_port.h"

enum timing_mark {
	TIMING_PREPARED,        /* options, profiles, modules and initramfs planned */
	TIMING_VM_BUILT,        /* KVM's VM, devices and vCPUs made, the kernel loaded */
	TIMING_CONFINED,        /* privileges dropped, threads started, seccomp on */
	TIMING_FIRST_RUN,       /* first KVM_RUN: set-up done, the kernel's first instruction */
	TIMING_FIRST_EXIT,      /* the kernel's first access microrun handles */
	TIMING_INIT_START,      /* = STATUS_PHASE_INIT_START and the next ones, in order */
	TIMING_ROOT_MOUNTED,
	TIMING_PROGRAM_START,
	TIMING_PROGRAM_EXITED,
	TIMING_VM_END,          /* the status report, power-off or other end */
	TIMING_EXIT,            /* microrun done, about to return from main() */
	TIMING_NMARKS,
};

#define TIMING_EXIT_KINDS 64  /* KVM_EXIT_* reasons counted, as struct vcpu's exits[] */

extern bool timing_on;

/* The origin of every time: called first thing in main(). */
void timing_start_clock(void);
uint64_t timing_now_ns(void);
void timing_mark(enum timing_mark m);
void timing_mark_phase(enum status_phase p);
/* Time spent handling one exit of KVM_EXIT_* `reason` (in the vCPU's
 * thread), or serving a device's queue in its own thread. */
void timing_add_exit(uint32_t reason, uint64_t ns);
void timing_add_device(uint64_t ns);
uint64_t timing_exit_ns(uint32_t reason);
/* The phases and microrun's share, on stderr. */
void timing_report(void);

#endif
