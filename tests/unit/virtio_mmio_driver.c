#include "tests/unit/virtio_mmio_driver.h"

#include <check.h>

#define BIT(n) (1ULL << (n))

uint32_t mdrv_rd(struct virtio_mmio *t, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(t, off, &v, 4);
	return v;
}

void mdrv_wr(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	virtio_mmio_write(t, off, &v, 4);
}

void mdrv_add_status(struct virtio_mmio *t, uint32_t bits)
{
	mdrv_wr(t, VIRTIO_MMIO_STATUS, mdrv_rd(t, VIRTIO_MMIO_STATUS) | bits);
}

uint64_t mdrv_offered(struct virtio_mmio *t)
{
	mdrv_wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	uint64_t lo = mdrv_rd(t, VIRTIO_MMIO_DEVICE_FEATURES);
	mdrv_wr(t, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return lo | (uint64_t)mdrv_rd(t, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

void mdrv_accept(struct virtio_mmio *t, uint64_t f)
{
	mdrv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	mdrv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)f);
	mdrv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	mdrv_wr(t, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(f >> 32));
}

uint64_t mdrv_negotiate(struct virtio_mmio *t, uint32_t device_id, uint64_t wanted)
{
	ck_assert_uint_eq(mdrv_rd(t, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	ck_assert_uint_eq(mdrv_rd(t, VIRTIO_MMIO_VERSION), 2);
	ck_assert_uint_eq(mdrv_rd(t, VIRTIO_MMIO_DEVICE_ID), device_id);
	mdrv_wr(t, VIRTIO_MMIO_STATUS, 0);
	mdrv_add_status(t, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	mdrv_add_status(t, VIRTIO_CONFIG_S_DRIVER);
	uint64_t features = mdrv_offered(t) & wanted;
	mdrv_accept(t, features);
	mdrv_add_status(t, VIRTIO_CONFIG_S_FEATURES_OK);
	ck_assert_uint_ne(mdrv_rd(t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_FEATURES_OK, 0);
	return features;
}

static void queue_addr(struct virtio_mmio *t, uint64_t low_reg, uint64_t gpa)
{
	mdrv_wr(t, low_reg, (uint32_t)gpa);
	mdrv_wr(t, low_reg + 4, (uint32_t)(gpa >> 32));
}

void mdrv_setup_queue(struct virtio_mmio *t, unsigned qi, struct vdrv *d,
		      const struct guest_mem *m, uint64_t base, uint64_t features)
{
	mdrv_wr(t, VIRTIO_MMIO_QUEUE_SEL, qi);
	ck_assert_uint_eq(mdrv_rd(t, VIRTIO_MMIO_QUEUE_READY), 0);
	uint32_t num = mdrv_rd(t, VIRTIO_MMIO_QUEUE_NUM_MAX);
	ck_assert_uint_ne(num, 0);
	vdrv_layout(d, m, (uint16_t)num, base);
	d->indirect = features & BIT(VIRTIO_RING_F_INDIRECT_DESC);
	d->event_idx = features & BIT(VIRTIO_RING_F_EVENT_IDX);
	vdrv_clear(d);
	mdrv_wr(t, VIRTIO_MMIO_QUEUE_NUM, num);
	queue_addr(t, VIRTIO_MMIO_QUEUE_DESC_LOW, d->desc_gpa);
	queue_addr(t, VIRTIO_MMIO_QUEUE_AVAIL_LOW, d->avail_gpa);
	queue_addr(t, VIRTIO_MMIO_QUEUE_USED_LOW, d->used_gpa);
	mdrv_wr(t, VIRTIO_MMIO_QUEUE_READY, 1);
	ck_assert_uint_eq(mdrv_rd(t, VIRTIO_MMIO_QUEUE_READY), 1);
}
