/* The driver's side of the virtio-mmio transport, as Linux's virtio_mmio
 * probe and the virtio core's handshake drive it (VIRTIO 1.2, 3.1.1 and
 * 4.2.3): for the unit tests and the device benchmarks. It reports what
 * goes wrong as -errno rather than through Check, so a benchmark, which
 * runs outside Check's runner, can use it too. */
#ifndef MR_TEST_VIRTIO_MMIO_DRIVER_H
#define MR_TEST_VIRTIO_MMIO_DRIVER_H

#include <stdint.h>

#include "devices/virtio_mmio.h"
#include "tests/unit/virtio_driver.h"

/* A 32-bit register at `off`. */
uint32_t vmdrv_read(struct virtio_mmio *t, uint64_t off);
void vmdrv_write(struct virtio_mmio *t, uint64_t off, uint32_t v);
/* The 64 device feature bits on offer. */
uint64_t vmdrv_offered(struct virtio_mmio *t);

/* Probe a device of type `device_id`: reset, ACKNOWLEDGE, DRIVER, accept
 * what it offers of `wanted`, FEATURES_OK, queue 0 as large as it allows
 * with `d`'s rings laid out by vring_init from `rings` (and `d` told of
 * INDIRECT_DESC and EVENT_IDX), DRIVER_OK. -ENODEV: not a version 2
 * virtio-mmio device of that type; -EIO: a step the device refused. */
int vmdrv_bring_up(struct virtio_mmio *t, struct vdrv *d, uint32_t device_id, uint64_t wanted,
		   uint64_t rings);

#endif
