/* The virtual machine: KVM handles, RAM, buses, vCPUs, and how it ends. */
#ifndef MR_VM_H
#define MR_VM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "devices/status_port.h"
#include "src/bus.h"
#include "src/console.h"
#include "src/guest_mem.h"
#include "src/kvm.h"

/* Why the guest stopped, as the vCPUs and devices see it; the first
 * reported wins. */
enum vm_end {
	VM_RUNNING = 0,
	VM_END_POWEROFF,
	VM_END_RESET,
	VM_END_VCPU_FAILED,
	VM_END_STDOUT_CLOSED,
	VM_END_STOPPED,       /* microrun decided: timeout or signal */
	VM_END_STATUS,        /* the guest's init reported the program's status */
};

struct vcpu {
	struct vm *vm;
	unsigned id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t exits[64];   /* by KVM_EXIT_* reason, for -v */
};

struct arch_vm;

enum { VM_STDOUT, VM_STDERR, VM_STREAMS };

struct vm {
	struct kvm kvm;
	struct arch_vm *arch;
	struct guest_mem mem;
	struct bus pio, mmio;
	struct vcpu *vcpus;
	pthread_t *stopping;  /* room for every vCPU and device thread (vcpus_stop) */
	unsigned ncpus;
	atomic_int end;
	int end_fd;           /* eventfd: readable once `end` is set */
	int input_room_fd;    /* eventfd: the console can take input again */
	int vcpu_go_fd;       /* eventfd (semaphore): one count lets one vCPU start */
	struct status_report status; /* valid when `end` is VM_END_STATUS */
	/* Last: vm_create() zeroes what comes before, console_init() these
	 * (not their buffers, 70 KB each). */
	struct console console;   /* the kernel's: the UART's, hvc0's */
	/* A program's stdout and stderr, on console ports of their own. */
	struct console streams[VM_STREAMS];
};

struct mr_disk;
struct mr_share;

/* Where the guest reads microrun's stdin. */
enum vm_stdin {
	VM_STDIN_CONSOLE,  /* the kernel's /dev/console: the UART, or hvc0 with console=hvc0 */
	VM_STDIN_PORT,     /* a console port of its own, closed when stdin ends */
	VM_STDIN_HVC,      /* hvc0, whatever the kernel's console: a shell's terminal */
};

struct vm_params {
	const char *kernel, *initrd, *cmdline;
	uint64_t mem_bytes;
	unsigned ncpus;
	const struct mr_disk *disks;
	unsigned ndisks;
	const struct mr_share *shares;
	unsigned nshares;
	bool program_streams;     /* console ports for a program's stdout and stderr */
	enum vm_stdin stdin_to;
	const struct initrd_source *initrd_source;  /* the program's initramfs, or NULL */
};

/* Builds the whole machine, ready for its vCPUs to start; on failure,
 * what went wrong has been reported and vm_destroy() cleans up. */
int vm_create(struct vm *vm, const struct vm_params *p) __attribute__((warn_unused_result));
void vm_destroy(struct vm *vm);

/* The run is over: no console waits on a stalled reader any more. */
void vm_abandon_consoles(struct vm *vm);
/* From the main thread, once the vCPUs are gone: whatever the consoles
 * still hold goes out. */
void vm_drain_consoles(struct vm *vm);

/* Records why the VM ends (first caller wins) and wakes the main loop. */
void vm_request_end(struct vm *vm, enum vm_end why);
/* Ends the VM with the program's status from the exit-status port; the
 * port reports once, so `status` is written only here and read after the
 * vCPUs have stopped. */
void vm_report_status(struct vm *vm, const struct status_report *r);
static inline enum vm_end vm_end_reason(struct vm *vm)
{
	return (enum vm_end)atomic_load(&vm->end);
}

#endif
