#include "tests/unit/virtio_mmio_driver.h"

#include <errno.h>

#define BIT(n) (1ULL << (n))

uint32_t vmdrv_read(struct virtio_mmio *t, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(t, off, &v, 4);
	return v;
}

void vmdrv_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, &v, 4);
}

int vmdrv_add_status(struct virtio_mmio *t, uint32_t bits)
{
	vmdrv_write(t, VIRTIO_MMIO_STATUS, vmdrv_read(t, VIRTIO_MMIO_STATUS) | bits);
	return (vmdrv_read(t, VIRTIO_MMIO_STATUS) & bits) == bits ? 0 : -EIO;
}

uint64_t vmdrv_offered(struct virtio_mmio *t)
{
	vmdrv_write(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = vmdrv_read(t, VIRTIO_MMIO_DEVICE_FEATURES);
	vmdrv_write(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return lo | (uint64_t)vmdrv_read(t, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void accept_features(struct virtio_mmio *t, uint64_t f)
{
	vmdrv_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vmdrv_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	vmdrv_write(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vmdrv_write(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

int vmdrv_negotiate(struct virtio_mmio *t, uint32_t device_id, uint64_t wanted,
		    uint64_t *features)
{
	if (vmdrv_read(t, VIRTIO_MMIO_MAGIC_VALUE) != 0x74726976 ||
	    vmdrv_read(t, VIRTIO_MMIO_VERSION) != 2 ||
	    vmdrv_read(t, VIRTIO_MMIO_DEVICE_ID) != device_id)
		return -ENODEV;
	vmdrv_write(t, VIRTIO_MMIO_STATUS, 0);
	int err = vmdrv_add_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	if (!err)
		err = vmdrv_add_status(t, VIRTIO_CONFIG_S_DRIVER);
	if (err)
		return err;
	*features = vmdrv_offered(t) & wanted;
	accept_features(t, *features);
	return vmdrv_add_status(t, VIRTIO_CONFIG_S_FEATURES_OK);
}

static void queue_addr(struct virtio_mmio *t, uint64_t low_reg, uint64_t gpa)
{
	vmdrv_write(t, low_reg, (uint32_t)gpa);
	vmdrv_write(t, low_reg + 4, (uint32_t)(gpa >> 32));
}

int vmdrv_setup_queue(struct virtio_mmio *t, unsigned qi, struct vdrv *d, uint64_t rings,
		      uint64_t features)
{
	vmdrv_write(t, VIRTIO_MMIO_QUEUE_SEL, qi);
	uint32_t num = vmdrv_read(t, VIRTIO_MMIO_QUEUE_NUM_MAX);
	if (vmdrv_read(t, VIRTIO_MMIO_QUEUE_READY) != 0 || num == 0 || num > UINT16_MAX)
		return -EIO;
	vdrv_layout(d, t->mem, (uint16_t)num, rings);
	d->indirect = features & BIT(VIRTIO_RING_F_INDIRECT_DESC);
	d->event_idx = features & BIT(VIRTIO_RING_F_EVENT_IDX);
	vdrv_clear(d);
	vmdrv_write(t, VIRTIO_MMIO_QUEUE_NUM, num);
	queue_addr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, d->desc_gpa);
	queue_addr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, d->avail_gpa);
	queue_addr(t, VIRTIO_MMIO_QUEUE_USED_LOW, d->used_gpa);
	vmdrv_write(t, VIRTIO_MMIO_QUEUE_READY, 1);
	return vmdrv_read(t, VIRTIO_MMIO_QUEUE_READY) == 1 ? 0 : -EIO;
}

int vmdrv_bring_up(struct virtio_mmio *t, struct vdrv *d, uint32_t device_id, uint64_t wanted,
		   uint64_t rings)
{
	uint64_t features;
	int err = vmdrv_negotiate(t, device_id, wanted, &features);

	if (!err)
		err = vmdrv_setup_queue(t, 0, d, rings, features);
	return err ? err : vmdrv_add_status(t, VIRTIO_CONFIG_S_DRIVER_OK);
}
