/* virtio-mmio transport, version 2 (VIRTIO 1.2, 4.2.2): the register
 * window one virtio device sits behind. Feature negotiation (both 32-bit
 * halves), the device status state machine with reset, queue set-up, and
 * interrupts; the device model behind it only sees queue notifications and
 * its configuration space, through a small constant table of callbacks.
 * Knows nothing of KVM. Not thread-safe: the caller serialises access. */
#ifndef MR_VIRTIO_MMIO_H
#define MR_VIRTIO_MMIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register offsets, status, feature and interrupt bits: Linux's uapi. */
#include <linux/virtio_config.h>
#include <linux/virtio_mmio.h>
#include <linux/virtio_ring.h>

#include "devices/virtqueue.h"

struct guest_mem;

#define VIRTIO_MMIO_SIZE        0x200   /* registers, then configuration space */
/* Queues one device may have: virtio-console takes two per port plus a
 * control pair, so 16 is seven ports (the console, the program's stdout
 * and stderr, a status channel, and room to spare). */
#define VIRTIO_MAX_QUEUES       16
/* ops.report calls over a device's life: a guest that resets it in a
 * loop must not flood stderr either. */
#define VIRTIO_MMIO_MAX_REPORTS 8

/* What a device model provides; one constant table per device type. */
struct virtio_device_ops {
	const char *name;
	uint32_t device_id;
	unsigned num_queues;    /* at most VIRTIO_MAX_QUEUES */
	uint16_t queue_max;     /* QueueNumMax: a power of two */
	uint32_t config_size;   /* bytes of configuration space */
	/* Offsets and lengths are checked against config_size beforehand. */
	void (*config_read)(void *dev, uint32_t offset, void *buf, uint32_t len);
	/* NULL: the configuration space is read-only and writes are dropped. */
	void (*config_write)(void *dev, uint32_t offset, const void *buf, uint32_t len);
	/* The driver made buffers available on queue `q` (which is ready). */
	void (*queue_notify)(void *dev, unsigned q);
	/* The driver reset the device: forget all requests. */
	void (*reset)(void *dev);
};

struct virtio_mmio_ops {
	/* Drive the interrupt line: asserted while InterruptStatus is non-zero,
	 * and lowered and raised again when an ack leaves a cause pending. */
	void (*set_irq)(void *ctx, bool level);
	/* The first thing the guest got wrong on this device, for the user:
	 * `err` a negative errno giving detail, or 0. Called at most once
	 * between resets and VIRTIO_MMIO_MAX_REPORTS times in all, so a guest
	 * cannot flood stderr. May be NULL. */
	void (*report)(void *ctx, const char *problem, int err);
	void *ctx;
};

struct virtio_mmio {
	const struct virtio_device_ops *dev_ops;
	void *dev;
	struct virtio_mmio_ops ops;
	const struct guest_mem *mem;
	uint64_t device_features;
	uint32_t status;
	uint32_t device_features_sel, driver_features_sel, queue_sel;
	uint64_t driver_features;
	uint32_t interrupt_status;
	uint32_t config_generation;
	bool irq_level;
	bool reported;          /* ops.report was called since the last reset */
	unsigned reports;       /* ops.report calls, resets or not */
	struct virtq vq[VIRTIO_MAX_QUEUES];
};

/* `device_features`: this instance's device-specific feature bits; the
 * transport adds VERSION_1, INDIRECT_DESC and EVENT_IDX. */
void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *dev_ops, void *dev,
		      uint64_t device_features, const struct virtio_mmio_ops *ops,
		      const struct guest_mem *mem);
/* Register accesses at `offset` in the window. Registers are 32-bit and
 * need aligned 32-bit accesses; the configuration space takes 1, 2, 4 and
 * 8-byte accesses. Anything else reads as zero and is ignored. */
void virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, void *data, unsigned len);
void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, const void *data, unsigned len);

/* The device put buffers in queue `q`'s used ring: interrupt the driver if
 * the queue's event suppression says so. */
void virtio_mmio_used(struct virtio_mmio *t, unsigned q);
/* Serves queue `q` until it is empty, with the driver's kicks off
 * meanwhile and on again at the end, and whatever came in between served
 * too (the pattern virtq_set_notify() describes); interrupts the driver as
 * the used ring's event suppression says. serve() takes one chain: 1, or 0
 * when none is waiting, or -1 when the queue is corrupt, which stops the
 * device until the driver resets it. */
void virtio_mmio_drain(struct virtio_mmio *t, unsigned q, int (*serve)(void *dev, struct virtq *vq),
		       void *dev);
/* The device changed its configuration space. */
void virtio_mmio_config_changed(struct virtio_mmio *t);
/* The device met something it cannot go on from (a corrupt queue): it
 * stops until the driver resets it (2.1.2). */
void virtio_mmio_needs_reset(struct virtio_mmio *t);
/* The device failed a malformed request: tell the user, once (ops.report). */
void virtio_mmio_report(struct virtio_mmio *t, const char *problem, int err);
/* The driver notified queue `q` (QueueNotify): the register write, or the
 * same delivered through an ioeventfd. Ignored unless the queue is ready. */
void virtio_mmio_notify(struct virtio_mmio *t, uint32_t q);

/* The kernel parameter that describes a window to Linux's virtio_mmio
 * driver when it has CONFIG_VIRTIO_MMIO_CMDLINE_DEVICES (and the kernel no
 * ACPI): "virtio_mmio.device=4K@0xd0000000:16". The size is in KiB and
 * must be a whole number of them. Returns what snprintf returns. */
int virtio_mmio_cmdline_param(char *buf, size_t n, uint64_t base, uint64_t size, unsigned irq);

bool virtio_mmio_driver_ok(const struct virtio_mmio *t);
bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit);

#endif
