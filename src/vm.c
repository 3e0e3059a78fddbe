#include "src/vm.h"

#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "src/arch.h"
#include "src/log.h"
#include "src/timing.h"
#include "src/vcpu.h"

static int check_cpus(struct vm *vm, unsigned ncpus)
{
	unsigned max = arch_max_cpus();
	int kvm_max = kvm_max_vcpus(&vm->kvm);

	if (kvm_max > 0 && (unsigned)kvm_max < max)
		max = (unsigned)kvm_max;
	if (ncpus > max) {
		mr_err("-c %u: this machine supports at most %u vCPUs", ncpus, max);
		return -EINVAL;
	}
	vm->ncpus = ncpus;
	return 0;
}

static int create_memory(struct vm *vm, uint64_t bytes)
{
	int r = gmem_create(&vm->mem, bytes, arch_ram_hole_start());

	if (r)
		mr_err("cannot reserve %llu MiB of guest memory: %s",
		       (unsigned long long)(bytes >> 20), strerror(-r));
	return r;
}

static int create_vcpus(struct vm *vm, unsigned ncpus)
{
	int r = vcpus_create(vm, ncpus);

	for (unsigned i = 0; !r && i < ncpus; i++)
		r = arch_vcpu_init(vm, &vm->vcpus[i]);
	return r;
}

static void on_stdout_closed(void *ctx)
{
	vm_request_end(ctx, VM_END_STDOUT_CLOSED);
}

/* Nowhere to put the program's errors: it runs on without them. */
static void on_stderr_closed(void *ctx)
{
	(void)ctx;
}

static int create_events(struct vm *vm)
{
	vm->end_fd = eventfd(0, EFD_CLOEXEC);
	vm->input_room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	vm->vcpu_go_fd = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
	console_init(&vm->console, STDOUT_FILENO, on_stdout_closed, vm);
	console_init(&vm->streams[VM_STDOUT], STDOUT_FILENO, on_stdout_closed, vm);
	console_init(&vm->streams[VM_STDERR], STDERR_FILENO, on_stderr_closed, vm);
	return vm->end_fd < 0 || vm->input_room_fd < 0 || vm->vcpu_go_fd < 0 ? -errno : 0;
}

/* The guest image, loaded beside the VM's creation. */
struct image_load {
	struct guest_mem *mem;
	const struct boot_request *req;
	struct arch_image *img;
	int r;
};

static void *load_image(void *arg)
{
	struct image_load *l = arg;

	l->r = arch_load_image(l->mem, l->req, &l->img);
	return NULL;
}

/* KVM's side, one call per piece in the order KVM requires: the VM,
 * interrupt controllers and devices before vCPUs. */
static int build_machine(struct vm *vm, const struct vm_params *p)
{
	int r;

	if ((r = kvm_create_vm(&vm->kvm)) || (r = arch_vm_init(vm, p)))
		return r;
	return create_vcpus(vm, p->ncpus);
}

/* Reading the kernel and writing the initramfs into guest memory is file
 * I/O and copying; building the machine is waiting on KVM's ioctls (in the
 * benchmarks' nested machine KVM_CREATE_VM alone took 21-32 ms): the two
 * share nothing but guest memory, which only the loader writes, so a
 * second thread loads while this one builds. RAM is made visible to KVM
 * last, once the loader is done: registered first, it made each page
 * fault of the load dearer (Debian's kernel: set-up 15.9 ms against 10.5,
 * medians of 30 here). What can be refused cheaply (no /dev/kvm, too
 * many vCPUs) is, before any of that. */
int vm_create(struct vm *vm, const struct vm_params *p)
{
	const struct boot_request req = {
		.kernel_path = p->kernel, .initrd_path = p->initrd, .cmdline = p->cmdline,
		.initrd_source = p->initrd_source,
	};
	struct image_load load = { .mem = &vm->mem, .req = &req };
	pthread_t loader;
	int r;

	memset(vm, 0, offsetof(struct vm, console));
	vm->end_fd = vm->input_room_fd = vm->vcpu_go_fd = vm->kvm.dev_fd = vm->kvm.vm_fd = -1;
	if ((r = create_events(vm)) ||
	    (r = kvm_open(&vm->kvm, arch_kvm_caps, arch_kvm_ncaps)) ||
	    (r = check_cpus(vm, p->ncpus)) ||
	    (r = create_memory(vm, p->mem_bytes)))
		return r;
	bool threaded = pthread_create(&loader, NULL, load_image, &load) == 0;
	if (!threaded)
		load_image(&load);
	r = build_machine(vm, p);
	if (threaded)
		pthread_join(loader, NULL);
	if (!r)
		r = load.r ? load.r : arch_boot(vm, &req, load.img);
	arch_image_free(load.img);
	return r ? r : kvm_map_memory(&vm->kvm, &vm->mem);
}

void vm_destroy(struct vm *vm)
{
	vcpus_destroy(vm);
	arch_vm_destroy(vm);
	gmem_destroy(&vm->mem);
	kvm_close(&vm->kvm);
	if (vm->end_fd >= 0)
		close(vm->end_fd);
	if (vm->input_room_fd >= 0)
		close(vm->input_room_fd);
	if (vm->vcpu_go_fd >= 0)
		close(vm->vcpu_go_fd);
}

void vm_request_end(struct vm *vm, enum vm_end why)
{
	int running = VM_RUNNING;
	uint64_t one = 1;

	if (!atomic_compare_exchange_strong(&vm->end, &running, (int)why))
		return;
	timing_mark(TIMING_VM_END);
	ssize_t r = write(vm->end_fd, &one, sizeof(one));
	(void)r; /* cannot fail short of a bad fd; the flag is set anyway */
}

void vm_report_status(struct vm *vm, const struct status_report *r)
{
	vm->status = *r;
	vm_request_end(vm, VM_END_STATUS);
}

void vm_abandon_consoles(struct vm *vm)
{
	console_abandon(&vm->console);
	for (int i = 0; i < VM_STREAMS; i++)
		console_abandon(&vm->streams[i]);
}

void vm_drain_consoles(struct vm *vm)
{
	console_drain(&vm->console);
	for (int i = 0; i < VM_STREAMS; i++)
		console_drain(&vm->streams[i]);
}
