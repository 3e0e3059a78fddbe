/* The guests' virtio-mmio driver; see virtio.h. */
#include "virtio.h"

#include "lib.h"

/* Polls of the used ring before giving up: microrun serves a queue in a
 * thread of its own (the kick reaches it through an ioeventfd), which a
 * loaded host may schedule late; at the 1-2 M instructions/s of an
 * emulated /dev/kvm (a poll took 18 us here) this is 2 to 3 seconds. */
#define WAIT_POLLS      (1u << 17)
/* Read Status (an exit to microrun) only this often while polling. */
#define STATUS_EVERY    1024
/* Reads of Status after writing 0, before the reset counts as done. */
#define RESET_POLLS     1000

int vio_find(struct vio_dev *d, uint32_t device_id, unsigned nth)
{
	*d = (struct vio_dev){ 0 };
	for (unsigned i = 0; i < VIO_MAX_DEVICES; i++) {
		d->base = VIO_MMIO_BASE + i * VIO_MMIO_STRIDE;
		if (vio_read(d, VIRTIO_MMIO_MAGIC_VALUE) == VIO_MAGIC &&
		    vio_read(d, VIRTIO_MMIO_VERSION) == 2 &&
		    vio_read(d, VIRTIO_MMIO_DEVICE_ID) == device_id && nth-- == 0)
			return 0;
	}
	return -1;
}

void vio_reset(struct vio_dev *d)
{
	vio_write(d, VIRTIO_MMIO_STATUS, 0);
	d->resets++;
	/* 2.4.2: the reset is complete when Status reads 0. */
	for (unsigned i = 0; i < RESET_POLLS && vio_read(d, VIRTIO_MMIO_STATUS); i++)
		;
}

static void add_status(const struct vio_dev *d, uint32_t bits)
{
	vio_write(d, VIRTIO_MMIO_STATUS, vio_read(d, VIRTIO_MMIO_STATUS) | bits);
}

static uint64_t device_features(const struct vio_dev *d)
{
	vio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	uint64_t f = (uint64_t)vio_read(d, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	vio_write(d, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	return f | vio_read(d, VIRTIO_MMIO_DEVICE_FEATURES);
}

int vio_negotiate(struct vio_dev *d, uint64_t wanted)
{
	vio_reset(d);
	add_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	add_status(d, VIRTIO_CONFIG_S_DRIVER);
	d->features = device_features(d) & (wanted | 1ull << VIRTIO_F_VERSION_1);
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(d->features >> 32));
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vio_write(d, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)d->features);
	add_status(d, VIRTIO_CONFIG_S_FEATURES_OK);
	/* 3.1.1 step 6: FEATURES_OK must still be set when read back. */
	return vio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK ? 0 : -1;
}

static void set_addr(const struct vio_dev *d, unsigned low_reg, const void *p)
{
	uint64_t a = (uintptr_t)p;

	vio_write(d, low_reg, (uint32_t)a);
	vio_write(d, low_reg + 4, (uint32_t)(a >> 32));
}

int vio_queue_setup_at(struct vio_dev *d, unsigned index, struct vio_queue *q, void *mem,
		       uint16_t size)
{
	uint8_t *m = mem;

	vio_write(d, VIRTIO_MMIO_QUEUE_SEL, index);
	if (vio_read(d, VIRTIO_MMIO_QUEUE_READY) || size > VIO_RING_MAX ||
	    size > vio_read(d, VIRTIO_MMIO_QUEUE_NUM_MAX))
		return -1;
	*q = (struct vio_queue){
		.size = size,
		.desc = (struct vring_desc *)m,
		.avail = (struct vring_avail *)(m + 16 * size),
		.used = (struct vring_used *)(m + 4096),
	};
	/* Only the parts in use: byte stores are slow under emulation. */
	memset(m, 0, 16 * size + 6 + 2 * size);
	memset(q->used, 0, 6 + 8 * size);
	vio_write(d, VIRTIO_MMIO_QUEUE_NUM, size);
	set_addr(d, VIRTIO_MMIO_QUEUE_DESC_LOW, q->desc);
	set_addr(d, VIRTIO_MMIO_QUEUE_AVAIL_LOW, q->avail);
	set_addr(d, VIRTIO_MMIO_QUEUE_USED_LOW, q->used);
	vio_write(d, VIRTIO_MMIO_QUEUE_READY, 1);
	return vio_read(d, VIRTIO_MMIO_QUEUE_READY) == 1 ? 0 : -1;
}

int vio_queue_setup(struct vio_dev *d, void *mem, uint16_t size)
{
	return vio_queue_setup_at(d, 0, &d->q, mem, size);
}

int vio_driver_ok(struct vio_dev *d)
{
	add_status(d, VIRTIO_CONFIG_S_DRIVER_OK);
	return vio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_DRIVER_OK ? 0 : -1;
}

int vio_start(struct vio_dev *d, uint64_t wanted, void *mem, uint16_t size)
{
	if (vio_negotiate(d, wanted) || vio_queue_setup(d, mem, size))
		return -1;
	return vio_driver_ok(d);
}

uint16_t vio_add(struct vio_queue *q, const struct vio_buf *bufs, unsigned n)
{
	uint16_t head = q->next_desc;
	uint16_t i = head;

	for (unsigned k = 0; k < n; k++) {
		uint16_t next = (uint16_t)((i + 1) & (q->size - 1));
		q->desc[i] = (struct vring_desc){
			.addr = bufs[k].addr,
			.len = bufs[k].len,
			.flags = (uint16_t)(bufs[k].flags | (k + 1 < n ? VRING_DESC_F_NEXT : 0)),
			.next = next,
		};
		i = next;
	}
	q->next_desc = i;
	vio_publish(q, head);
	return head;
}

void vio_publish(struct vio_queue *q, uint16_t head)
{
	q->avail->ring[q->avail_idx & (q->size - 1)] = head;
	vio_barrier();
	q->avail->idx = ++q->avail_idx;
	vio_barrier();
}

void vio_notify(const struct vio_dev *d)
{
	vio_notify_queue(d, 0);
}

void vio_notify_queue(const struct vio_dev *d, unsigned index)
{
	vio_write(d, VIRTIO_MMIO_QUEUE_NOTIFY, index);
}

enum vio_wait_result vio_wait(struct vio_dev *d, struct vring_used_elem *e)
{
	return vio_wait_on(d, &d->q, e);
}

enum vio_wait_result vio_wait_on(const struct vio_dev *d, struct vio_queue *q,
				 struct vring_used_elem *e)
{
	for (unsigned i = 0; i < WAIT_POLLS; i++) {
		if (*(volatile uint16_t *)&q->used->idx != q->last_used) {
			vio_barrier();
			*e = q->used->ring[q->last_used++ & (q->size - 1)];
			return VIO_USED;
		}
		if (i % STATUS_EVERY == 0 &&
		    (vio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
			return VIO_NEEDS_RESET;
	}
	return VIO_NO_ANSWER;
}

enum vio_wait_result vio_submit(struct vio_dev *d, const struct vio_buf *bufs, unsigned n,
				struct vring_used_elem *e)
{
	vio_add(&d->q, bufs, n);
	vio_notify(d);
	return vio_wait(d, e);
}

uint32_t vio_ack_interrupt(const struct vio_dev *d)
{
	uint32_t bits = vio_read(d, VIRTIO_MMIO_INTERRUPT_STATUS);

	vio_write(d, VIRTIO_MMIO_INTERRUPT_ACK, bits);
	return bits;
}
