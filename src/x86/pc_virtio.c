/* virtio-mmio devices on the PC: one 4 KiB window and one I/O APIC pin
 * each, from the first of both upward. The same list feeds the bus, the
 * pins and the ACPI DSDT, so they cannot disagree.
 *
 * Each device has a thread of its own that serves its queues. The guest's
 * QueueNotify writes reach it through ioeventfds (KVM_IOEVENTFD, one per
 * queue, matching the queue index), so a kick costs the vCPU no exit to
 * microrun and the vCPU runs on while the request is served; interrupts go
 * back through an irqfd (KVM_IRQFD), without the machine lock. The pins are
 * edge-triggered, as the DSDT declares them and Linux programs them: a
 * rising InterruptStatus is one edge. A QueueNotify no ioeventfd matches (a
 * queue index out of range) still exits and is ignored by the transport. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "src/arch.h"
#include "src/cmdline.h"
#include "src/disk.h"
#include "src/log.h"
#include "src/share.h"
#include "src/term.h"
#include "src/thread.h"
#include "src/timing.h"
#include "src/x86/layout.h"
#include "src/x86/machine.h"

static void virtio_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct pc_virtio *v = dev;

	pthread_mutex_lock(&v->lock);
	if (is_write)
		virtio_mmio_write(&v->transport, offset, data, len);
	else
		virtio_mmio_read(&v->transport, offset, data, len);
	pthread_mutex_unlock(&v->lock);
}

/* Called with v->lock held. */
static void virtio_irq(void *ctx, bool level)
{
	struct pc_virtio *v = ctx;
	uint64_t one = 1;

	if (level && write(v->irq_fd, &one, sizeof(one)) < 0)
		mr_info("%s at 0x%llx: interrupt lost: %s", v->transport.dev_ops->name,
			(unsigned long long)v->base, strerror(errno));
}

static void virtio_report(void *ctx, const char *problem, int err)
{
	struct pc_virtio *v = ctx;

	mr_info("%s at 0x%llx: guest error: %s%s%s%s (reported once per device reset, "
		"%u times at most)", v->transport.dev_ops->name, (unsigned long long)v->base,
		problem, err ? " (" : "", err ? strerror(-err) : "", err ? ")" : "",
		VIRTIO_MMIO_MAX_REPORTS);
}

static void drain_eventfd(int fd)
{
	uint64_t n;
	ssize_t r = read(fd, &n, sizeof(n));
	(void)r; /* only the wake-up matters; a spurious one finds nothing */
}

static void serve_kicked(struct pc_virtio *v, const struct pollfd *fds, unsigned nq)
{
	for (unsigned q = 0; q < nq; q++) {
		if (!(fds[q].revents & POLLIN))
			continue;
		drain_eventfd(fds[q].fd);
		pthread_mutex_lock(&v->lock);
		virtio_mmio_notify(&v->transport, q);
		pthread_mutex_unlock(&v->lock);
	}
}

/* The device's thread: waits for kicks on its queues until told to stop;
 * with --timing, counts the time it serves them. */
static void *serve_queues(void *arg)
{
	struct pc_virtio *v = arg;
	unsigned nq = v->transport.dev_ops->num_queues;
	struct pollfd fds[VIRTIO_MAX_QUEUES + 1];

	for (unsigned q = 0; q < nq; q++)
		fds[q] = (struct pollfd){ .fd = v->notify_fd[q], .events = POLLIN };
	fds[nq] = (struct pollfd){ .fd = v->machine->io_stop_fd, .events = POLLIN };
	for (;;) {
		if (poll(fds, nq + 1, -1) < 0 && errno != EINTR)
			break;
		if (fds[nq].revents)
			break;
		uint64_t t = timing_on ? timing_now_ns() : 0;
		serve_kicked(v, fds, nq);
		if (timing_on)
			timing_add_device(timing_now_ns() - t);
	}
	return NULL;
}

static int wire_notify(struct vm *vm, struct pc_virtio *v, unsigned q)
{
	v->notify_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->notify_fd[q] < 0)
		return -errno;
	struct kvm_ioeventfd e = {
		.datamatch = q, .addr = v->base + VIRTIO_MMIO_QUEUE_NOTIFY, .len = 4,
		.fd = v->notify_fd[q], .flags = KVM_IOEVENTFD_FLAG_DATAMATCH,
	};
	return kvm_ioctl(vm->kvm.vm_fd, KVM_IOEVENTFD, &e);
}

static int wire_kvm(struct vm *vm, struct pc_virtio *v)
{
	v->irq_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (v->irq_fd < 0)
		return -errno;
	struct kvm_irqfd irqfd = { .fd = (uint32_t)v->irq_fd, .gsi = v->gsi };
	int r = kvm_ioctl(vm->kvm.vm_fd, KVM_IRQFD, &irqfd);

	for (unsigned q = 0; !r && q < v->transport.dev_ops->num_queues; q++)
		r = wire_notify(vm, v, q);
	return r;
}

static struct pc_virtio *new_slot(struct arch_vm *a)
{
	if (a->nvirtio == PC_MAX_VIRTIO) {
		mr_err("too many virtio devices: at most %d", PC_MAX_VIRTIO);
		return NULL;
	}
	unsigned i = a->nvirtio++;
	struct pc_virtio *v = &a->virtio[i];
	*v = (struct pc_virtio){
		.machine = a,
		.base = VIRTIO_MMIO_BASE + i * VIRTIO_MMIO_STRIDE,
		.gsi = VIRTIO_FIRST_GSI + i,
		.irq_fd = -1,
	};
	for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
		v->notify_fd[q] = -1;
	pthread_mutex_init(&v->lock, NULL);
	return v;
}

/* Puts a device model behind slot `v`'s window; arch_devices_start()
 * starts its thread. */
static int plug(struct vm *vm, struct pc_virtio *v, const struct virtio_device_ops *dev_ops,
		void *dev, uint64_t features)
{
	const struct virtio_mmio_ops ops = {
		.set_irq = virtio_irq, .report = virtio_report, .ctx = v,
	};
	virtio_mmio_init(&v->transport, dev_ops, dev, features, &ops, &vm->mem);
	int r = wire_kvm(vm, v);
	return r ? r : bus_register(&vm->mmio, v->base, VIRTIO_MMIO_SIZE, virtio_access, v);
}

/* Serves every queue once more, from the calling thread: what the guest
 * queued just before it ended (a program's last output, then the status
 * write) may not have reached the device threads yet. */
void arch_devices_flush(struct vm *vm)
{
	struct arch_vm *a = vm->arch;

	for (unsigned i = 0; i < a->nvirtio; i++) {
		struct pc_virtio *v = &a->virtio[i];
		pthread_mutex_lock(&v->lock);
		for (unsigned q = 0; q < v->transport.dev_ops->num_queues; q++)
			virtio_mmio_notify(&v->transport, q);
		pthread_mutex_unlock(&v->lock);
	}
}

int arch_devices_start(struct vm *vm)
{
	struct arch_vm *a = vm->arch;

	for (unsigned i = 0; i < a->nvirtio; i++) {
		struct pc_virtio *v = &a->virtio[i];
		int r = pthread_create(&v->io_thread, NULL, serve_queues, v);
		if (r) {
			mr_err("cannot start the thread of %s at 0x%llx: %s",
			       v->transport.dev_ops->name, (unsigned long long)v->base, strerror(r));
			return -r;
		}
		v->io_running = true;
	}
	return 0;
}

static int add_disk(struct vm *vm, struct arch_vm *a, const struct mr_disk *disk)
{
	struct virtio_blk_backend backend;
	int r = disk_open(disk, &backend);

	if (r)
		return r;
	struct pc_virtio *v = new_slot(a);
	if (!v) {
		close(backend.fd);
		return -ENOSPC;
	}
	virtio_blk_init(&v->blk, &backend, &v->transport, &vm->mem);
	mr_info("disk %s: virtio-blk at 0x%llx, GSI %u, %llu sectors%s", disk->path,
		(unsigned long long)v->base, v->gsi,
		(unsigned long long)(backend.size / VIRTIO_BLK_SECTOR),
		disk->read_only ? ", read-only" : "");
	return plug(vm, v, &virtio_blk_ops, &v->blk, virtio_blk_features(&v->blk));
}

int pc_virtio_add_disks(struct vm *vm, struct arch_vm *a, const struct mr_disk *disks, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int r = add_disk(vm, a, &disks[i]);
		if (r)
			return r;
	}
	return 0;
}

static int add_9p(struct vm *vm, struct arch_vm *a, const struct mr_share *shares, unsigned i)
{
	char tag[VIRTIO_9P_TAG_MAX + 1];
	int root_fd, r = share_open(shares, i, &root_fd, tag);

	if (r)
		return r;
	struct pc_virtio *v = new_slot(a);
	struct virtio_9p *d = v ? malloc(sizeof(*d)) : NULL;
	if (!d) {
		close(root_fd);
		return v ? -ENOMEM : -ENOSPC;
	}
	r = virtio_9p_init(d, root_fd, shares[i].read_only, tag, &v->transport, &vm->mem);
	if (r) {
		mr_err("9p export %s: %s", shares[i].path, strerror(-r));
		virtio_9p_destroy(d);
		free(d);
		return r;
	}
	v->p9 = d;
	mr_info("9p export %s: tag %s, virtio-9p at 0x%llx, GSI %u%s", shares[i].path, tag,
		(unsigned long long)v->base, v->gsi, shares[i].read_only ? ", read-only" : "");
	return plug(vm, v, &virtio_9p_ops, d, virtio_9p_features());
}

int pc_virtio_add_shares(struct vm *vm, struct arch_vm *a, const struct mr_share *shares,
			 unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		int r = add_9p(vm, a, shares, i);
		if (r)
			return r;
	}
	return 0;
}

/* --- the virtio console ---------------------------------------------------- */

/* hvc0's output goes to stdout: as the kernel's console, the UART's way
 * (watched for the panic banner, kept off stdout while a program's output
 * has it); as a shell's terminal, the program's stdout's way. */
static void hvc_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct arch_vm *a = ctx;
	a->hvc_written = true;
	console_write(a->hvc_out, buf, len);
}

static void hvc_flush(void *ctx)
{
	struct arch_vm *a = ctx;
	console_flush(a->hvc_out);
}

static void hvc_input_room(void *ctx)
{
	struct arch_vm *a = ctx;
	pc_wake_input(a->vm);
}

/* With v->lock held: the terminal's size, if there is a terminal. */
static void hvc_set_size(struct pc_virtio *v)
{
	uint16_t cols, rows;

	if (term_size(&cols, &rows) == 0)
		virtio_console_resize(&v->con, cols, rows);
}

/* A program's stdout or stderr port: straight to microrun's own. */
static void stream_output(void *ctx, const uint8_t *buf, size_t len)
{
	console_write(ctx, buf, len);
}

static void stream_flush(void *ctx)
{
	console_flush(ctx);
}

/* What the guest writes to its stdin port goes nowhere. */
static void discard_output(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	(void)buf;
	(void)len;
}

static int add_stdin_port(struct arch_vm *a, struct virtio_console *con)
{
	const struct virtio_console_port_ops ops = {
		.output = discard_output, .input_room = hvc_input_room, .ctx = a,
	};
	int id = virtio_console_add_port(con, PC_STDIN_PORT, &ops);

	if (id >= 0)
		a->stdin_port = id;
	return id < 0 ? id : 0;
}

/* The ports the guest's init finds by name (boot/init: console entries). */
static int add_stream_ports(struct vm *vm, struct virtio_console *con)
{
	static const char *const names[VM_STREAMS] = {
		[VM_STDOUT] = PC_STDOUT_PORT, [VM_STDERR] = PC_STDERR_PORT,
	};
	for (int i = 0; i < VM_STREAMS; i++) {
		const struct virtio_console_port_ops ops = {
			.output = stream_output, .flush = stream_flush, .ctx = &vm->streams[i],
		};
		int r = virtio_console_add_port(con, names[i], &ops);
		if (r < 0)
			return r;
	}
	return 0;
}

static const char *stdin_name(const struct arch_vm *a)
{
	if (a->stdin_port < 0)
		return "ttyS0";
	return a->stdin_port == 0 ? "hvc0" : PC_STDIN_PORT;
}

/* Only a command line with console=hvc..., or a program's streams, get the
 * device: Linux probes every virtio-mmio device it finds, and the UART
 * serves the rest. */
int pc_virtio_add_console(struct vm *vm, struct arch_vm *a, const struct vm_params *p)
{
	unsigned use = cmdline_value_use(p->cmdline, "console", "hvc");

	if (!use && !p->program_streams)
		return 0;
	struct pc_virtio *v = new_slot(a);
	if (!v)
		return -ENOSPC;
	const struct virtio_console_port_ops console = {
		.output = hvc_output, .flush = hvc_flush, .input_room = hvc_input_room, .ctx = a,
	};
	virtio_console_init(&v->con, &console, &v->transport, &vm->mem);
	a->hvc_is_console = use & CMDLINE_VALUE_LAST;
	a->hvc_out = use ? &vm->console : &vm->streams[VM_STDOUT];
	if (a->hvc_is_console || p->stdin_to == VM_STDIN_HVC)
		a->stdin_port = 0;
	int r = p->program_streams ? add_stream_ports(vm, &v->con) : 0;
	if (!r && p->program_streams && p->stdin_to == VM_STDIN_PORT)
		r = add_stdin_port(a, &v->con);
	if (!r)
		r = plug(vm, v, &virtio_console_ops, &v->con, VIRTIO_CONSOLE_FEATURES);
	if (r)
		return r;
	hvc_set_size(v);
	a->hvc = v;
	mr_info("console: virtio-console at 0x%llx, GSI %u, %u port%s; stdin to %s",
		(unsigned long long)v->base, v->gsi, v->con.nports, v->con.nports == 1 ? "" : "s",
		stdin_name(a));
	return 0;
}

size_t pc_virtio_console_input(struct arch_vm *a, unsigned id, const uint8_t *buf, size_t len)
{
	struct pc_virtio *v = a->hvc;

	pthread_mutex_lock(&v->lock);
	size_t n = virtio_console_input(&v->con, id, buf, len);
	pthread_mutex_unlock(&v->lock);
	return n;
}

void pc_virtio_console_input_end(struct arch_vm *a, unsigned id)
{
	struct pc_virtio *v = a->hvc;

	pthread_mutex_lock(&v->lock);
	virtio_console_input_end(&v->con, id);
	pthread_mutex_unlock(&v->lock);
}

void arch_console_resize(struct vm *vm)
{
	struct pc_virtio *v = vm->arch->hvc;

	if (!v)
		return;
	pthread_mutex_lock(&v->lock);
	hvc_set_size(v);
	pthread_mutex_unlock(&v->lock);
}

bool arch_console_unused(struct vm *vm)
{
	struct arch_vm *a = vm->arch;

	if (!a->hvc)
		return false;
	pthread_mutex_lock(&a->hvc->lock);
	bool unused = a->hvc_is_console && !a->hvc_written;
	pthread_mutex_unlock(&a->hvc->lock);
	return unused;
}

/* With acpi=off the kernel reads no DSDT: list the devices on its command
 * line instead. Never both, or a kernel that has both would probe each
 * window twice. */
char *pc_virtio_cmdline(const struct arch_vm *a, const char *cmdline)
{
	char words[PC_MAX_VIRTIO][64];
	const char *list[PC_MAX_VIRTIO + 1] = { NULL };

	for (unsigned i = 0; cmdline_param_is(cmdline, "acpi", "off") && i < a->nvirtio; i++) {
		virtio_mmio_cmdline_param(words[i], sizeof(words[i]), a->virtio[i].base,
					  VIRTIO_MMIO_STRIDE, a->virtio[i].gsi);
		list[i] = words[i];
	}
	return cmdline_compose(cmdline, list);
}

int pc_virtio_init(struct arch_vm *a)
{
	a->io_stop_fd = eventfd(0, EFD_CLOEXEC);
	return a->io_stop_fd < 0 ? -errno : 0;
}

static void close_fd(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* What the device model of slot `v` holds, by its type. */
static void close_device(struct pc_virtio *v)
{
	if (v->transport.dev_ops == &virtio_blk_ops) {
		close_fd(v->blk.backend.fd);
	} else if (v->transport.dev_ops == &virtio_9p_ops) {
		virtio_9p_destroy(v->p9);
		free(v->p9);
	}
}

_Static_assert(ARCH_MAX_DEVICE_THREADS >= PC_MAX_VIRTIO, "a thread per virtio device");

static unsigned stop_threads(struct arch_vm *a, pthread_t *threads)
{
	uint64_t one = 1;
	unsigned n = 0;

	if (a->io_stop_fd >= 0 && write(a->io_stop_fd, &one, sizeof(one)) < 0)
		mr_info("cannot stop the virtio threads: %s", strerror(errno));
	for (unsigned i = 0; i < a->nvirtio; i++) {
		struct pc_virtio *v = &a->virtio[i];
		if (v->io_running)
			threads[n++] = v->io_thread;
		v->io_running = false;
	}
	return n;
}

unsigned arch_devices_stopping(struct vm *vm, pthread_t *threads)
{
	return stop_threads(vm->arch, threads);
}

/* Stops the device threads first, if vcpus_stop() did not: none may serve
 * a queue while its slot goes away. */
void pc_virtio_destroy(struct arch_vm *a)
{
	pthread_t threads[PC_MAX_VIRTIO];

	thread_kick_join(threads, stop_threads(a, threads)); /* a write may stall */
	for (unsigned i = 0; i < a->nvirtio; i++) {
		struct pc_virtio *v = &a->virtio[i];
		close_device(v);
		close_fd(v->irq_fd);
		for (unsigned q = 0; q < VIRTIO_MAX_QUEUES; q++)
			close_fd(v->notify_fd[q]);
		pthread_mutex_destroy(&v->lock);
	}
	a->nvirtio = 0;
	close_fd(a->io_stop_fd);
	a->io_stop_fd = -1;
}
