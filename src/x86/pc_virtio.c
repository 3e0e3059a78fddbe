/* virtio-mmio devices on the PC: one 4 KiB window and one I/O APIC pin
 * each, from the first of both upward. The same list feeds the bus, the
 * pins and the ACPI DSDT, so they cannot disagree. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/disk.h"
#include "src/log.h"
#include "src/share.h"
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
	v->p9 = d;
	r = virtio_9p_init(d, root_fd, shares[i].read_only, tag, &v->transport, &vm->mem);
	if (r) {
		mr_err("9p export %s: %s", shares[i].path, strerror(-r));
		return r;
	}
	const struct virtio_mmio_ops ops = { .set_irq = virtio_irq, .ctx = v };
	virtio_mmio_init(&v->transport, &virtio_9p_ops, d, virtio_9p_features(), &ops, &vm->mem);
	mr_info("9p export %s: tag %s, virtio-9p at 0x%llx, GSI %u%s", shares[i].path, tag,
		(unsigned long long)v->base, v->gsi, shares[i].read_only ? ", read-only" : "");
	return bus_register(&vm->mmio, v->base, VIRTIO_MMIO_SIZE, virtio_access, v);
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

void pc_virtio_destroy(struct arch_vm *a)
{
	for (unsigned i = 0; i < a->nvirtio; i++) {
		if (a->virtio[i].p9) {
			virtio_9p_destroy(a->virtio[i].p9);
			free(a->virtio[i].p9);
		} else {
			close(a->virtio[i].blk.backend.fd);
		}
		pthread_mutex_destroy(&a->virtio[i].lock);
	}
	a->nvirtio = 0;
}
