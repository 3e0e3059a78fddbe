#include "src/timing.h"

#include <stdatomic.h>
#include <time.h>

#include "src/log.h"

bool timing_on;
static uint64_t start_ns;
static _Atomic uint64_t marks[TIMING_NMARKS];  /* 0: not reached */
static _Atomic uint64_t exit_ns[TIMING_EXIT_KINDS];
static _Atomic uint64_t device_ns;

static const char *const mark_names[TIMING_NMARKS] = {
	[TIMING_PREPARED] = "prepared",
	[TIMING_VM_BUILT] = "vm-built",
	[TIMING_CONFINED] = "confined",
	[TIMING_FIRST_RUN] = "first-run",
	[TIMING_FIRST_EXIT] = "first-exit",
	[TIMING_INIT_START] = "init-start",
	[TIMING_ROOT_MOUNTED] = "root-mounted",
	[TIMING_PROGRAM_START] = "program-start",
	[TIMING_PROGRAM_EXITED] = "program-exit",
	[TIMING_VM_END] = "vm-end",
	[TIMING_EXIT] = "exit",
};

uint64_t timing_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void timing_start_clock(void)
{
	start_ns = timing_now_ns();
}

/* Relative to start_ns, and never 0, which means "not reached". */
void timing_mark(enum timing_mark m)
{
	uint64_t none = 0;

	if (timing_on)
		atomic_compare_exchange_strong(&marks[m], &none, timing_now_ns() - start_ns + 1);
}

void timing_mark_phase(enum status_phase p)
{
	if (p >= STATUS_PHASE_INIT_START && p <= STATUS_PHASE_MAX)
		timing_mark((enum timing_mark)(TIMING_INIT_START + (p - STATUS_PHASE_INIT_START)));
}

void timing_add_exit(uint32_t reason, uint64_t ns)
{
	if (reason < TIMING_EXIT_KINDS)
		atomic_fetch_add(&exit_ns[reason], ns);
}

void timing_add_device(uint64_t ns)
{
	atomic_fetch_add(&device_ns, ns);
}

uint64_t timing_exit_ns(uint32_t reason)
{
	return reason < TIMING_EXIT_KINDS ? atomic_load(&exit_ns[reason]) : 0;
}

static double ms(uint64_t ns)
{
	return (double)ns / 1e6;
}

static void report_marks(void)
{
	uint64_t prev = 0;

	mr_say("timing: ms since main() started (+ since the previous phase):");
	for (int m = 0; m < TIMING_NMARKS; m++) {
		uint64_t t = atomic_load(&marks[m]);
		if (!t) {
			mr_say("timing: %s - (not reached)", mark_names[m]);
			continue;
		}
		mr_say("timing: %s %.3f ms (+%.3f)", mark_names[m], ms(t - 1), ms(t - 1 - prev));
		prev = t - 1;
	}
}

/* What is not the guest's own work: building the VM, handling its exits,
 * serving its devices (in their threads: an upper bound, as the guest may
 * run on meanwhile), and everything after its end. */
static void report_share(void)
{
	uint64_t handling = 0, end = atomic_load(&marks[TIMING_VM_END]);
	uint64_t total = atomic_load(&marks[TIMING_EXIT]), first = atomic_load(&marks[TIMING_FIRST_RUN]);

	for (int r = 0; r < TIMING_EXIT_KINDS; r++)
		handling += atomic_load(&exit_ns[r]);
	uint64_t setup = first ? first - 1 : 0, after = end && total ? total - end : 0;
	uint64_t devices = atomic_load(&device_ns), vmm = setup + handling + devices + after;

	mr_say("timing: exit-handling %.3f ms", ms(handling));
	mr_say("timing: device-threads %.3f ms", ms(devices));
	if (total)
		mr_say("timing: vmm-share %.2f %% (set-up %.3f + exit handling %.3f + device "
		       "threads %.3f + after the VM's end %.3f ms of %.3f ms)",
		       100.0 * (double)vmm / (double)(total - 1), ms(setup), ms(handling),
		       ms(devices), ms(after), ms(total - 1));
}

void timing_report(void)
{
	if (!timing_on)
		return;
	report_marks();
	report_share();
}
