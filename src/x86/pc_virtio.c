/* virtio-mmio devices on the PC: one 4 KiB window and one I/O APIC pin
 * each, from the first of both upward. The same list feeds the bus, the
 * pins and the ACPI DSDT, so they cannot disagree. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "src/arch.h"
#include "src/cmdline.h"
#include "src/disk.h"
#include "src/log.h"
#include "src/term.h"
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

/* Called with v->lock held; the I/O APIC needs the machine lock too. */
static void virtio_irq(void *ctx, bool level)
{
	struct pc_virtio *v = ctx;
	struct arch_vm *a = v->machine;

	pthread_mutex_lock(&a->lock);
	ioapic_set_irq(&a->ioapic, v->gsi, level);
	pthread_mutex_unlock(&a->lock);
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
	};
	pthread_mutex_init(&v->lock, NULL);
	return v;
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
	const struct virtio_mmio_ops ops = { .set_irq = virtio_irq, .ctx = v };
	virtio_blk_init(&v->blk, &backend, &v->transport, &vm->mem);
	virtio_mmio_init(&v->transport, &virtio_blk_ops, &v->blk, virtio_blk_features(&v->blk),
			 &ops, &vm->mem);
	mr_info("disk %s: virtio-blk at 0x%llx, GSI %u, %llu sectors%s", disk->path,
		(unsigned long long)v->base, v->gsi,
		(unsigned long long)(backend.size / VIRTIO_BLK_SECTOR),
		disk->read_only ? ", read-only" : "");
	return bus_register(&vm->mmio, v->base, VIRTIO_MMIO_SIZE, virtio_access, v);
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

/* --- the virtio console ---------------------------------------------------- */

/* hvc0's output takes the UART's way out: line-buffered to stdout, watched
 * for the panic banner, EPIPE ending the run. */
static void hvc_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct arch_vm *a = ctx;
	a->hvc_written = true;
	console_write(&a->vm->console, buf, len);
}

static void hvc_flush(void *ctx)
{
	struct arch_vm *a = ctx;
	console_flush(&a->vm->console);
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

/* Only a command line with console=hvc... gets the device: Linux probes
 * every virtio-mmio device it finds, and the UART serves the rest. */
int pc_virtio_add_console(struct vm *vm, struct arch_vm *a, const char *cmdline)
{
	unsigned use = cmdline_value_use(cmdline, "console", "hvc");

	if (!use)
		return 0;
	struct pc_virtio *v = new_slot(a);
	if (!v)
		return -ENOSPC;
	const struct virtio_mmio_ops ops = { .set_irq = virtio_irq, .ctx = v };
	const struct virtio_console_port_ops console = {
		.output = hvc_output, .flush = hvc_flush, .input_room = hvc_input_room, .ctx = a,
	};
	virtio_console_init(&v->con, &console, &v->transport, &vm->mem);
	virtio_mmio_init(&v->transport, &virtio_console_ops, &v->con, VIRTIO_CONSOLE_FEATURES,
			 &ops, &vm->mem);
	hvc_set_size(v);
	a->hvc = v;
	a->stdin_to_hvc = use & CMDLINE_VALUE_LAST;
	mr_info("console: virtio-console at 0x%llx, GSI %u, %u port%s; stdin to %s",
		(unsigned long long)v->base, v->gsi, v->con.nports, v->con.nports == 1 ? "" : "s",
		a->stdin_to_hvc ? "hvc0" : "ttyS0");
	return bus_register(&vm->mmio, v->base, VIRTIO_MMIO_SIZE, virtio_access, v);
}

size_t pc_virtio_console_input(struct arch_vm *a, const uint8_t *buf, size_t len)
{
	struct pc_virtio *v = a->hvc;

	pthread_mutex_lock(&v->lock);
	size_t n = virtio_console_input(&v->con, 0, buf, len);
	pthread_mutex_unlock(&v->lock);
	return n;
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
	bool unused = a->stdin_to_hvc && !a->hvc_written;
	pthread_mutex_unlock(&a->hvc->lock);
	return unused;
}

void pc_virtio_destroy(struct arch_vm *a)
{
	for (unsigned i = 0; i < a->nvirtio; i++) {
		if (a->virtio[i].transport.dev_ops == &virtio_blk_ops)
			close(a->virtio[i].blk.backend.fd);
		pthread_mutex_destroy(&a->virtio[i].lock);
	}
	a->nvirtio = 0;
}
