/* The transport side of a guest driver, for device tests: the register
 * accesses Linux's virtio_mmio makes to identify a device, negotiate its
 * features and set its queues up. Pairs with virtio_driver.h, which plays
 * the queues themselves. */
#ifndef MR_TEST_VIRTIO_MMIO_DRIVER_H
#define MR_TEST_VIRTIO_MMIO_DRIVER_H

#include <stdint.h>

#include "devices/virtio_mmio.h"
#include "tests/unit/virtio_driver.h"

uint32_t mdrv_rd(struct virtio_mmio *t, uint64_t off);
void mdrv_wr(struct virtio_mmio *t, uint64_t off, uint32_t v);
void mdrv_add_status(struct virtio_mmio *t, uint32_t bits);
/* DeviceFeatures, both halves. */
uint64_t mdrv_offered(struct virtio_mmio *t);
/* DriverFeatures, both halves. */
void mdrv_accept(struct virtio_mmio *t, uint64_t features);
/* virtio_mmio probe and virtio_dev_probe up to FEATURES_OK: checks magic,
 * version and `device_id`, resets, ACKNOWLEDGE, DRIVER, takes what both
 * sides know of `wanted`; returns the negotiated features. */
uint64_t mdrv_negotiate(struct virtio_mmio *t, uint32_t device_id, uint64_t wanted);
/* vm_setup_vq for queue `qi`: as large as the device allows, rings laid
 * out by vring_init from `base` into `d` (whose data and table areas the
 * test sets), ring features from `features`, then QueueReady. */
void mdrv_setup_queue(struct virtio_mmio *t, unsigned qi, struct vdrv *d,
		      const struct guest_mem *m, uint64_t base, uint64_t features);

#endif
