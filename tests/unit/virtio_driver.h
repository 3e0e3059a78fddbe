/* The driver's side of one split virtqueue, for tests: it lays out the
 * rings in guest RAM as Linux's virtio_ring does, adds chains of buffers
 * (plain or through an indirect table), publishes them, decides whether to
 * kick, and reads the used ring back. It knows nothing of the transport:
 * the test tells the device about the queue and delivers the kick. */
#ifndef MR_TEST_VIRTIO_DRIVER_H
#define MR_TEST_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtqueue.h"

struct guest_mem;

/* One buffer of a chain: `flags` 0 (device-readable) or VIRTQ_DESC_F_WRITE. */
struct vbuf {
	uint32_t len;
	uint16_t flags;
	uint64_t gpa;
};

struct vdrv {
	const struct guest_mem *mem;
	uint16_t size;
	uint64_t desc_gpa, avail_gpa, used_gpa;
	/* Negotiated features, as the test set them. */
	bool indirect;		/* vdrv_add() uses indirect tables, as Linux does */
	bool event_idx;		/* vdrv_kick_prepare() follows avail_event */

	uint16_t avail_idx;	/* its copy of avail->idx */
	uint16_t kicked_idx;	/* avail_idx at the last vdrv_kick_prepare() */
	uint16_t last_used;	/* next used entry it will read */
	uint16_t free_desc;	/* next descriptor it hands out (a ring) */

	/* Where vdrv_alloc() and vdrv_alloc_table() carve from, wrapping. */
	uint64_t data, data_end, next_data;
	uint64_t tables, tables_end, next_table;
};

/* vring_init's layout of `size` entries from `base`: the descriptors, the
 * avail ring right after them, the used ring on the next 4 KiB boundary. */
void vdrv_layout(struct vdrv *d, const struct guest_mem *m, uint16_t size, uint64_t base);
/* Or the rings wherever the test likes. Neither writes guest memory; both
 * start the driver's indices and allocations afresh, and keep the areas
 * and the negotiated features. */
void vdrv_place(struct vdrv *d, const struct guest_mem *m, uint16_t size, uint64_t desc_gpa,
		uint64_t avail_gpa, uint64_t used_gpa);
/* Zeroes the three parts of the queue, as a driver does before enabling it. */
void vdrv_clear(struct vdrv *d);

/* Host pointer for guest RAM; fails the test outside RAM. */
void *vdrv_host(const struct vdrv *d, uint64_t gpa, uint64_t len);
/* A buffer of `len` bytes from the data area (64-byte aligned). */
uint64_t vdrv_alloc(struct vdrv *d, uint32_t len);
/* Room for an indirect table of `entries` descriptors. */
uint64_t vdrv_alloc_table(struct vdrv *d, unsigned entries);

/* Writes descriptor `i` of the table at `table`. */
void vdrv_put_desc(const struct vdrv *d, uint64_t table, uint16_t i, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);
/* Writes `bufs` as a chain into `table` from entry `first` on, each
 * pointing at the following entry (wrapping at `entries`). */
void vdrv_put_chain(const struct vdrv *d, uint64_t table, uint16_t entries, uint16_t first,
		    const struct vbuf *bufs, unsigned n);
/* virtqueue_add_split: the chain in the queue's own table, made available;
 * returns its head. */
uint16_t vdrv_add_chain(struct vdrv *d, const struct vbuf *bufs, unsigned n);
/* The same through an indirect table: one descriptor in the queue. */
uint16_t vdrv_add_indirect(struct vdrv *d, const struct vbuf *bufs, unsigned n);
/* As Linux chooses: indirect when negotiated and there is more than one buffer. */
uint16_t vdrv_add(struct vdrv *d, const struct vbuf *bufs, unsigned n);
/* 2.7.13.2-3: ring entry, barrier, idx. */
void vdrv_make_available(struct vdrv *d, uint16_t head);

/* virtqueue_kick_prepare: whether the device wants to hear about the
 * buffers made available since the last call (2.7.10). */
bool vdrv_kick_prepare(struct vdrv *d);
/* virtqueue_get_buf: the next used element, false if there is none. */
bool vdrv_get_used(struct vdrv *d, struct virtq_used_elem *e);

struct virtq_avail *vdrv_avail(const struct vdrv *d);
struct virtq_used *vdrv_used(const struct vdrv *d);
/* The driver's used_event (after the avail ring), and the device's
 * avail_event (after the used ring). */
uint16_t *vdrv_used_event(const struct vdrv *d);
uint16_t vdrv_avail_event(const struct vdrv *d);

/* vring_need_event: whether `event` lies in [old_idx, new_idx) mod 2^16. */
static inline bool vdrv_need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

#endif
