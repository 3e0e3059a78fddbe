#include "src/vcpu.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "src/log.h"
#include "src/arch.h"
#include "src/thread.h"
#include "src/timing.h"

enum { EXIT_CONTINUE, EXIT_STOP };
typedef int exit_handler(struct vcpu *v);

static int exit_mmio(struct vcpu *v)
{
	struct kvm_run *r = v->run;

	bus_access(&v->vm->mmio, r->mmio.phys_addr, r->mmio.data, r->mmio.len, r->mmio.is_write);
	return EXIT_CONTINUE;
}

static int exit_continue(struct vcpu *v)
{
	(void)v;
	return EXIT_CONTINUE;
}

static uint64_t guest_rip(struct vcpu *v)
{
	struct kvm_regs regs;

	return ioctl(v->fd, KVM_GET_REGS, &regs) == 0 ? regs.rip : 0;
}

static int exit_internal_error(struct vcpu *v)
{
	uint32_t sub = v->run->internal.suberror;

	mr_err("vCPU %u stopped: KVM could not %s at RIP 0x%llx (KVM_EXIT_INTERNAL_ERROR, "
	       "suberror %u)%s", v->id,
	       sub == KVM_INTERNAL_ERROR_EMULATION ? "emulate an instruction" : "continue",
	       (unsigned long long)guest_rip(v), sub,
	       arch_host_emulates_guests() ? "; this host's /dev/kvm emulates guest code and "
	       "lacks some instructions (no vmx/svm)" : "");
	vm_request_end(v->vm, VM_END_VCPU_FAILED);
	return EXIT_STOP;
}

static int exit_fail_entry(struct vcpu *v)
{
	mr_err("vCPU %u: the CPU refused to enter the guest (hardware reason 0x%llx)", v->id,
	       (unsigned long long)v->run->fail_entry.hardware_entry_failure_reason);
	vm_request_end(v->vm, VM_END_VCPU_FAILED);
	return EXIT_STOP;
}

static int exit_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN: vm_request_end(v->vm, VM_END_POWEROFF); break;
	case KVM_SYSTEM_EVENT_RESET: vm_request_end(v->vm, VM_END_RESET); break;
	default: vm_request_end(v->vm, VM_END_VCPU_FAILED); break;
	}
	return EXIT_STOP;
}

/* Exits every architecture has; arch_handle_exit() takes the rest. */
static exit_handler *const exit_handlers[] = {
	[KVM_EXIT_MMIO] = exit_mmio,
	[KVM_EXIT_INTR] = exit_continue,
	[KVM_EXIT_INTERNAL_ERROR] = exit_internal_error,
	[KVM_EXIT_FAIL_ENTRY] = exit_fail_entry,
	[KVM_EXIT_SYSTEM_EVENT] = exit_system_event,
};
#define NUM_HANDLERS (sizeof(exit_handlers) / sizeof(exit_handlers[0]))

/* For -v: how often each exit happened. */
static const char *const exit_names[] = {
	[KVM_EXIT_IO] = "io",
	[KVM_EXIT_MMIO] = "mmio",
	[KVM_EXIT_HLT] = "hlt",
	[KVM_EXIT_INTR] = "intr",
	[KVM_EXIT_SHUTDOWN] = "shutdown",
	[KVM_EXIT_INTERNAL_ERROR] = "internal-error",
	[KVM_EXIT_FAIL_ENTRY] = "fail-entry",
	[KVM_EXIT_SYSTEM_EVENT] = "system-event",
	[KVM_EXIT_IOAPIC_EOI] = "ioapic-eoi",
};
#define NUM_NAMES (sizeof(exit_names) / sizeof(exit_names[0]))

static int run_failed(struct vcpu *v, int err)
{
	if (err == EFAULT)
		mr_err("vCPU %u: guest memory could not be accessed (was the kernel or initrd "
		       "file truncated while the VM ran?)", v->id);
	else
		mr_err("vCPU %u: KVM_RUN failed: %s", v->id, strerror(err));
	vm_request_end(v->vm, VM_END_VCPU_FAILED);
	return EXIT_STOP;
}

static int dispatch(struct vcpu *v, uint32_t reason)
{
	if (reason < NUM_HANDLERS && exit_handlers[reason])
		return exit_handlers[reason](v);
	int r = arch_handle_exit(v);
	if (r >= 0)
		return r ? EXIT_STOP : EXIT_CONTINUE;
	mr_err("vCPU %u: unexpected KVM exit reason %u", v->id, reason);
	vm_request_end(v->vm, VM_END_VCPU_FAILED);
	return EXIT_STOP;
}

static int run_once(struct vcpu *v)
{
	if (ioctl(v->fd, KVM_RUN, 0) < 0)
		return errno == EINTR || errno == EAGAIN ? EXIT_CONTINUE : run_failed(v, errno);
	uint32_t reason = v->run->exit_reason;
	if (reason < sizeof(v->exits) / sizeof(v->exits[0]))
		v->exits[reason]++;
	if (!timing_on)
		return dispatch(v, reason);
	uint64_t t = timing_now_ns();
	timing_mark(TIMING_FIRST_EXIT);
	int r = dispatch(v, reason);
	timing_add_exit(reason, timing_now_ns() - t);
	return r;
}

/* Until vcpus_go(): a kick (or a spurious wake-up) only lets the thread
 * look whether the VM ended meanwhile. */
static void wait_for_go(struct vcpu *v)
{
	uint64_t one;

	while (read(v->vm->vcpu_go_fd, &one, sizeof(one)) < 0 &&
	       vm_end_reason(v->vm) == VM_RUNNING)
		;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	sigset_t kick;

	sigemptyset(&kick);
	sigaddset(&kick, THREAD_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &kick, NULL);
	wait_for_go(v);
	timing_mark(TIMING_FIRST_RUN);
	while (vm_end_reason(v->vm) == VM_RUNNING && run_once(v) == EXIT_CONTINUE)
		;
	return NULL;
}

int vcpus_create(struct vm *vm, unsigned ncpus)
{
	vm->vcpus = calloc(ncpus, sizeof(*vm->vcpus));
	vm->stopping = calloc(ncpus + ARCH_MAX_DEVICE_THREADS, sizeof(*vm->stopping));
	if (!vm->vcpus || !vm->stopping)
		return -ENOMEM;
	vm->ncpus = ncpus;
	for (unsigned i = 0; i < ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		*v = (struct vcpu){ .vm = vm, .id = i };
		v->fd = kvm_create_vcpu(&vm->kvm, i, &v->run);
		if (v->fd < 0)
			return v->fd;
	}
	return 0;
}

int vcpus_start(struct vm *vm)
{
	for (unsigned i = 0; i < vm->ncpus; i++) {
		int r = pthread_create(&vm->vcpus[i].thread, NULL, vcpu_thread, &vm->vcpus[i]);
		if (r) {
			mr_err("cannot start vCPU thread %u: %s", i, strerror(r));
			return -r;
		}
		vm->vcpus[i].started = true;
	}
	return 0;
}

void vcpus_go(struct vm *vm)
{
	uint64_t n = vm->ncpus;

	if (write(vm->vcpu_go_fd, &n, sizeof(n)) < 0)
		vm_request_end(vm, VM_END_VCPU_FAILED); /* they stop, not hang */
}

/* Either KVM_RUN is interrupted by the kick, or it has not begun yet and
 * returns at once because of immediate_exit. A vCPU may also sit in a
 * write to a stdout nobody reads, or wait for a device's lock that the
 * device's thread holds in such a write: so the device threads are kicked
 * and joined together with the vCPUs, each until it is gone. */
void vcpus_stop(struct vm *vm)
{
	unsigned n = 0;

	vm_abandon_consoles(vm);
	for (unsigned i = 0; i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (!v->started)
			continue;
		v->run->immediate_exit = 1;
		v->started = false;
		vm->stopping[n++] = v->thread;
	}
	n += arch_devices_stopping(vm, vm->stopping + n);
	thread_kick_join(vm->stopping, n);
}

void vcpus_destroy(struct vm *vm)
{
	for (unsigned i = 0; vm->vcpus && i < vm->ncpus; i++) {
		struct vcpu *v = &vm->vcpus[i];
		if (v->run)
			munmap(v->run, vm->kvm.run_size);
		if (v->fd > 0)
			close(v->fd);
	}
	free(vm->vcpus);
	free(vm->stopping);
	vm->vcpus = NULL;
	vm->stopping = NULL;
}

/* With -v; with --timing also the time their handling took. */
void vcpus_report_exits(struct vm *vm)
{
	void (*say)(const char *, ...) = timing_on ? mr_say : mr_info;

	for (size_t reason = 0; reason < NUM_NAMES; reason++) {
		uint64_t n = 0;
		for (unsigned i = 0; i < vm->ncpus; i++)
			n += vm->vcpus[i].exits[reason];
		const char *name = exit_names[reason] ? exit_names[reason] : "other";
		if (n && timing_on)
			mr_say("exits: %s %llu, handled in %.3f ms", name, (unsigned long long)n,
			       (double)timing_exit_ns((uint32_t)reason) / 1e6);
		else if (n)
			mr_info("exits: %s %llu", name, (unsigned long long)n);
	}
	say("exits: unhandled port I/O %llu, unhandled MMIO %llu",
	    (unsigned long long)atomic_load(&vm->pio.unhandled),
	    (unsigned long long)atomic_load(&vm->mmio.unhandled));
}
