/* What the generic core asks of an architecture. x86 implements it in
 * src/x86/; an arm64 port would sit beside it (device tree via libfdt, GIC,
 * PSCI) without touching the core. */
#ifndef MR_ARCH_H
#define MR_ARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "src/vm.h"

struct initrd_source;

struct boot_request {
	const char *kernel_path;
	const char *initrd_path;
	const struct initrd_source *initrd_source;  /* instead of initrd_path */
	const char *cmdline;
};

/* Kernel parameters that describe the machine, e.g. "console=ttyS0" for
 * its first serial port; each applies unless the user sets it. */
extern const char *const arch_cmdline_defaults[];

extern const struct kvm_cap_need arch_kvm_caps[];
extern const size_t arch_kvm_ncaps;

/* Where RAM stops below 4 GiB to leave room for device MMIO. */
uint64_t arch_ram_hole_start(void);
/* The most vCPUs the machine can describe to the guest. */
unsigned arch_max_cpus(void);

/* VM-wide set-up before any vCPU exists: interrupt controllers, timers,
 * the devices on the buses (the disks of `p` among them). */
int arch_vm_init(struct vm *vm, const struct vm_params *p) __attribute__((warn_unused_result));
void arch_vm_destroy(struct vm *vm);
/* Starts the threads that serve the devices: after vm_create() and the
 * dropping of privileges (capabilities are per thread), before the vCPUs
 * run. */
int arch_devices_start(struct vm *vm) __attribute__((warn_unused_result));
/* Serves the devices' queues once more from the calling thread, for what
 * the guest queued just before it ended. */
void arch_devices_flush(struct vm *vm);
/* Tells the device threads to end and puts those running into `threads`
 * (ARCH_MAX_DEVICE_THREADS at most) for the caller to join, kicking them
 * (thread_kick_join); returns how many. */
#define ARCH_MAX_DEVICE_THREADS 8
unsigned arch_devices_stopping(struct vm *vm, pthread_t *threads);
/* Per-vCPU set-up: CPUID, MSRs, local APIC, FPU. */
int arch_vcpu_init(struct vm *vm, struct vcpu *v) __attribute__((warn_unused_result));
/* The slow part of booting, which needs only guest memory and so can run
 * on its own thread while KVM builds the VM: the kernel and the initrd of
 * `req` into `m`. On success *img holds what arch_boot() needs; free it
 * with arch_image_free() (NULL is fine). */
struct arch_image;
int arch_load_image(struct guest_mem *m, const struct boot_request *req, struct arch_image **img)
	__attribute__((warn_unused_result));
void arch_image_free(struct arch_image *img);
/* The rest, once the VM is built: firmware tables, the command line, the
 * boot vCPU at the kernel's entry point. */
int arch_boot(struct vm *vm, const struct boot_request *req, const struct arch_image *img)
	__attribute__((warn_unused_result));

/* Handles a VM exit the generic core does not know (port I/O, EOIs, ...).
 * Returns 0 to keep running, 1 when the vCPU must stop, -ENOSYS if the
 * reason is unknown here too. */
int arch_handle_exit(struct vcpu *v);

/* Host input for the guest (its console, or where vm_params.stdin_to
 * said); returns how much it took. When it took less, vm->input_room_fd
 * becomes readable once there is room again. */
size_t arch_console_input(struct vm *vm, const uint8_t *buf, size_t len);

/* microrun's stdin ended, and all of it was taken: a stdin port tells the
 * guest (its reads then end); a console, a terminal, gets nothing more. */
void arch_console_input_end(struct vm *vm);

/* The host terminal's size changed (SIGWINCH): tell the guest's console. */
void arch_console_resize(struct vm *vm);

/* The kernel's /dev/console is a console the guest never wrote to (its
 * driver missing, say): the run's output went nowhere. */
bool arch_console_unused(struct vm *vm);

/* True when /dev/kvm has no hardware virtualization under it. */
bool arch_host_emulates_guests(void);

#endif
