/* A minimal virtio-mmio driver for the test guests (VIRTIO 1.2, 4.2.3 and
 * 2.7): find a device by its window's magic, version and device ID, take
 * it through the status sequence of 3.1.1, set up split queues in guest
 * memory, add chains, notify, and poll the used ring. No interrupts: the
 * guests run with them off, and check and acknowledge InterruptStatus by
 * hand.
 *
 * Guest-physical equals virtual here (microrun identity-maps the first
 * 4 GiB), so a pointer is the address a descriptor carries. Position
 * independent like the rest of the guest library. */
#ifndef GUEST_VIRTIO_H
#define GUEST_VIRTIO_H

#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

/* microrun's windows (src/x86/layout.h): one per device, 4 KiB apart. */
#define VIO_MMIO_BASE           0xd0000000ul
#define VIO_MMIO_STRIDE         0x1000ul
#define VIO_MAX_DEVICES         8
#define VIO_MAGIC               0x74726976      /* "virt" */

/* Room vio_queue_setup() needs for a queue of up to VIO_RING_MAX entries:
 * descriptors and avail ring in the first 4 KiB, used ring in the next
 * (vring_init's layout with 4 KiB alignment). */
#define VIO_RING_MAX            128
#define VIO_RING_BYTES          8192

struct vio_queue {
	uint16_t size;
	struct vring_desc *desc;
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t avail_idx;     /* the driver's copy of avail->idx */
	uint16_t last_used;     /* next used element to read */
	uint16_t next_desc;     /* where the next chain starts (a ring) */
};

struct vio_dev {
	uintptr_t base;         /* the MMIO window */
	uint64_t features;      /* negotiated */
	unsigned resets;        /* by vio_reset(), for bounding what a device reports */
	struct vio_queue q;     /* queue 0: every device here uses just one */
};

/* One buffer of a chain: flags 0 (device-readable) or VRING_DESC_F_WRITE. */
struct vio_buf {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
};

/* What vio_wait() saw. */
enum vio_wait_result {
	VIO_USED,               /* a used element, in *e */
	VIO_NEEDS_RESET,        /* Status has DEVICE_NEEDS_RESET */
	VIO_NO_ANSWER,          /* neither, after a bounded poll */
};

static inline uint32_t vio_read(const struct vio_dev *d, unsigned reg)
{
	return *(volatile uint32_t *)(d->base + reg);
}

static inline void vio_write(const struct vio_dev *d, unsigned reg, uint32_t v)
{
	*(volatile uint32_t *)(d->base + reg) = v;
}

/* The compiler must not move ring accesses across this; x86 keeps stores
 * in order and loads in order by itself (2.7.13.3 asks for no more). */
static inline void vio_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}

/* The `nth` (from 0) window holding a version 2 device of `device_id`:
 * 0 and d->base set, or -1. */
int vio_find(struct vio_dev *d, uint32_t device_id, unsigned nth);
/* Reset, ACKNOWLEDGE, DRIVER, then accept VERSION_1 and whichever of
 * `wanted` the device offers, and set FEATURES_OK (3.1.1 steps 1-6).
 * 0, or -1 if the device refuses the features. */
int vio_negotiate(struct vio_dev *d, uint64_t wanted);
/* Queue 0 of `size` entries (a power of two up to VIO_RING_MAX, and up to
 * QueueNumMax) in the VIO_RING_BYTES at `mem` (4 KiB aligned), zeroed,
 * then QueueReady. 0, or -1 if the queue is not ready afterwards. */
int vio_queue_setup(struct vio_dev *d, void *mem, uint16_t size);
/* The same for queue `index`, kept in `q` (devices with more queues). */
int vio_queue_setup_at(struct vio_dev *d, unsigned index, struct vio_queue *q, void *mem,
		       uint16_t size);
/* DRIVER_OK; 0, or -1 if the device did not take it. */
int vio_driver_ok(struct vio_dev *d);
/* All three, with the status checked. */
int vio_start(struct vio_dev *d, uint64_t wanted, void *mem, uint16_t size);
/* Write 0 to Status and wait until it reads 0 (2.4.2). */
void vio_reset(struct vio_dev *d);

/* Writes `bufs` as a chain from the next free descriptor on, and makes it
 * available; returns its head. */
uint16_t vio_add(struct vio_queue *q, const struct vio_buf *bufs, unsigned n);
/* The ring entry, then idx (2.7.13). */
void vio_publish(struct vio_queue *q, uint16_t head);
void vio_notify(const struct vio_dev *d);
void vio_notify_queue(const struct vio_dev *d, unsigned index);
/* Poll for the next used element or DEVICE_NEEDS_RESET. */
enum vio_wait_result vio_wait(struct vio_dev *d, struct vring_used_elem *e);
/* The same on queue `q` of the device. */
enum vio_wait_result vio_wait_on(const struct vio_dev *d, struct vio_queue *q,
				 struct vring_used_elem *e);
/* vio_add, vio_notify, vio_wait. */
enum vio_wait_result vio_submit(struct vio_dev *d, const struct vio_buf *bufs, unsigned n,
				struct vring_used_elem *e);
/* InterruptStatus, acknowledged; the bits that were set. */
uint32_t vio_ack_interrupt(const struct vio_dev *d);

static inline volatile uint8_t *vio_config(const struct vio_dev *d)
{
	return (volatile uint8_t *)(d->base + VIRTIO_MMIO_CONFIG);
}

#endif
