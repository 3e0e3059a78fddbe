/* virtio-blk requests for the test guests (VIRTIO 1.2, 5.2.6), on the
 * driver of virtio.h, and the sector patterns the tests write into disk
 * files: sector S of a pattern PREFIX is the 16-byte line
 * "PREFIX-sector-SSS\n" (PREFIX four characters, SSS decimal) 32 times. */
#ifndef GUEST_BLK_H
#define GUEST_BLK_H

#include <stdint.h>
#include <linux/virtio_blk.h>

#include "virtio.h"

#define BLK_SECTOR      512
#define BLK_QUEUE_SIZE  8
/* What the status byte holds before the device writes it: seeing it
 * afterwards means the device did not answer with a status. */
#define BLK_NO_STATUS   0xee

/* The header and status byte of the request in flight (one at a time). */
struct blk_req {
	struct virtio_blk_outhdr hdr;
	uint8_t status;
};

struct blk_result {
	enum vio_wait_result wait;
	uint32_t id, len;       /* the used element, for VIO_USED */
	uint8_t status;         /* the status byte afterwards */
};

/* The `nth` virtio-blk device, started with VERSION_1 and whichever of
 * `features` it offers, its queue in `ring` (VIO_RING_BYTES, 4 KiB
 * aligned). 0 or -1. */
int blk_start(struct vio_dev *d, unsigned nth, uint64_t features, void *ring);
/* Capacity in sectors: two 32-bit reads under ConfigGeneration, as 2.5.1
 * asks for a 64-bit field. */
uint64_t blk_capacity(const struct vio_dev *d);

/* The request shared by blk_request() and the hostile guest's own chains,
 * with its header filled in and its status preset to BLK_NO_STATUS. */
struct blk_req *blk_req_prepare(uint32_t type, uint64_t sector);
/* One request: header, the `n` buffers of `data`, status byte. */
struct blk_result blk_request(struct vio_dev *d, uint32_t type, uint64_t sector,
			      const struct vio_buf *data, unsigned n);
/* The same for a chain the caller made available itself, with the
 * request from blk_req_prepare(): notify and wait. */
struct blk_result blk_finish(struct vio_dev *d);

void blk_pattern(uint8_t *buf, const char *prefix, unsigned sector);
int blk_is_pattern(const uint8_t *buf, const char *prefix, unsigned sector);
/* Prints "PREFIX-sector-SSS" for whichever of the two patterns `buf`
 * holds for `sector`, else "other data". */
void blk_put_contents(const uint8_t *buf, unsigned sector, const char *prefix_a,
		      const char *prefix_b);

#endif
