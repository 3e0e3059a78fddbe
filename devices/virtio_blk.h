/* virtio-blk (VIRTIO 1.2, 5.2) over a regular file or a block device: read,
 * write, flush, get-id, discard and write-zeroes, straight between the file
 * and the guest's buffers (preadv/pwritev on the chain's iovecs, no bounce
 * copies). Requests run to completion in the notifying thread. */
#ifndef MR_VIRTIO_BLK_H
#define MR_VIRTIO_BLK_H

#include <linux/virtio_blk.h>
#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_mmio.h"

#define VIRTIO_BLK_SECTOR 512

struct virtio_blk_backend {
	int fd;
	bool read_only;
	bool is_block_device;   /* discard through BLKDISCARD rather than holes */
	uint64_t size;          /* bytes; the guest sees whole 512-byte sectors */
	char serial[VIRTIO_BLK_ID_BYTES + 1];
};

struct virtio_blk {
	struct virtio_mmio *transport;  /* where used buffers are announced */
	const struct guest_mem *mem;
	struct virtio_blk_backend backend;
	struct virtio_blk_config config;
	struct virtq_chain chain;       /* scratch: one request at a time */
};

/* The table to give the transport, with the virtio_blk as its `dev`. */
extern const struct virtio_device_ops virtio_blk_ops;

void virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_backend *backend,
		     struct virtio_mmio *transport, const struct guest_mem *mem);
/* The device feature bits to give the transport for this disk. */
uint64_t virtio_blk_features(const struct virtio_blk *b);

#endif
