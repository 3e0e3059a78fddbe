/* The driver's side of the virtio-mmio transport, as Linux's virtio_mmio
 * probe and the virtio core's handshake drive it (VIRTIO 1.2, 3.1.1 and
 * 4.2.3): for the unit tests and the device benchmarks. Pairs with
 * virtio_driver.h, which plays the queues themselves. It reports what goes
 * wrong as -errno rather than through Check, so a benchmark, which runs
 * outside Check's runner, can use it too. */
#ifndef MR_TEST_VIRTIO_MMIO_DRIVER_H
#define MR_TEST_VIRTIO_MMIO_DRIVER_H

#include <stdint.h>

#include "devices/virtio_mmio.h"
#include "tests/unit/virtio_driver.h"

/* A 32-bit register at `off`. */
uint32_t vmdrv_read(struct virtio_mmio *t, uint64_t off);
void vmdrv_write(struct virtio_mmio *t, uint64_t off, uint32_t v);
/* Sets `bits` in Status: 0 if the device kept them, else -EIO. */
int vmdrv_add_status(struct virtio_mmio *t, uint32_t bits);
/* The 64 device feature bits on offer. */
uint64_t vmdrv_offered(struct virtio_mmio *t);

/* virtio_mmio's probe and virtio_dev_probe up to FEATURES_OK: checks magic,
 * version and `device_id` (-ENODEV), resets, ACKNOWLEDGE, DRIVER, accepts
 * what the device offers of `wanted` (into *features), FEATURES_OK (-EIO
 * if refused). */
int vmdrv_negotiate(struct virtio_mmio *t, uint32_t device_id, uint64_t wanted,
		    uint64_t *features);
/* vm_setup_vq for queue `qi`: as large as the device allows, rings laid
 * out by vring_init from `rings` into `d` (told of INDIRECT_DESC and
 * EVENT_IDX from `features`), then QueueReady. -EIO if refused. */
int vmdrv_setup_queue(struct virtio_mmio *t, unsigned qi, struct vdrv *d, uint64_t rings,
		      uint64_t features);

/* The whole probe of a one-queue device: negotiate, queue 0, DRIVER_OK. */
int vmdrv_bring_up(struct virtio_mmio *t, struct vdrv *d, uint32_t device_id, uint64_t wanted,
		   uint64_t rings);

#endif
