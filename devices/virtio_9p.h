/* virtio-9p (VIRTIO 1.2, 5.11): one 9P2000.L server behind one request
 * queue, its mount tag in the configuration space. Each chain is one
 * request (the device-readable buffers) and room for its reply (the
 * writable ones); the server answers in place, so Tread and Twrite data go
 * straight between the file and the guest's buffers. Requests run to
 * completion in the notifying thread. */
#ifndef MR_VIRTIO_9P_H
#define MR_VIRTIO_9P_H

#include <linux/virtio_9p.h>
#include <stdint.h>

#include "devices/p9_server.h"
#include "devices/virtio_mmio.h"

/* Longest mount tag: Linux reads any 16-bit length, but QEMU and libvirt
 * refuse more than 31 bytes, and guest tooling written for them assumes
 * no more. */
#define VIRTIO_9P_TAG_MAX 31

struct virtio_9p {
	struct virtio_mmio *transport;
	const struct guest_mem *mem;
	struct p9_server server;
	struct {
		uint16_t tag_len;
		uint8_t tag[VIRTIO_9P_TAG_MAX];
	} __attribute__((packed)) config;
	struct virtq_chain chain;       /* scratch: one request at a time */
};

extern const struct virtio_device_ops virtio_9p_ops;

/* The device for the export `root_fd` (a directory; the device owns it
 * now) under mount tag `tag` (1 to VIRTIO_9P_TAG_MAX bytes). */
int virtio_9p_init(struct virtio_9p *d, int root_fd, bool read_only, const char *tag,
		   struct virtio_mmio *transport, const struct guest_mem *mem)
	__attribute__((warn_unused_result));
void virtio_9p_destroy(struct virtio_9p *d);
/* The device feature bits to give the transport. */
uint64_t virtio_9p_features(void);

#endif
