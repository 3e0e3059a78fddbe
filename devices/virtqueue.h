/* Split virtqueues (VIRTIO 1.2, 2.7), shared by every virtio device: take
 * the next chain the driver made available, give it back through the used
 * ring, and decide when either side needs a notification. The guest is
 * hostile: every address, length, index and flag it writes into the rings
 * is validated, and each guest field is read exactly once.
 *
 * Knows nothing of KVM or of the transport: the transport fills in the
 * queue's size, ring addresses and negotiated features and sets `ready`;
 * devices call virtq_pop/virtq_push. Not thread-safe: the caller serialises
 * access to one queue (the guest's vCPUs run concurrently, and that is what
 * the memory ordering inside is for). */
#ifndef MR_VIRTQUEUE_H
#define MR_VIRTQUEUE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

struct guest_mem;

#define VIRTQ_MAX_SIZE		32768	/* 2.6: Queue Size is at most 32768 */
/* Most buffers one chain may have, direct and indirect together, and most
 * entries in one indirect table: Linux's UIO_MAXIOV, and QEMU's limit. */
#define VIRTQ_MAX_BUFS		1024

/* 2.7.5: descriptor flags. */
#define VIRTQ_DESC_F_NEXT	1
#define VIRTQ_DESC_F_WRITE	2
#define VIRTQ_DESC_F_INDIRECT	4
/* 2.7.6 and 2.7.8: ring flags. */
#define VIRTQ_AVAIL_F_NO_INTERRUPT 1
#define VIRTQ_USED_F_NO_NOTIFY	1

/* Table in 2.7: alignment of each part of the queue. */
#define VIRTQ_DESC_ALIGN	16
#define VIRTQ_AVAIL_ALIGN	2
#define VIRTQ_USED_ALIGN	4

/* The rings as they lie in guest memory (little-endian, like the host). */
struct virtq_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct virtq_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];	/* queue size entries, then used_event */
};

struct virtq_used_elem {
	uint32_t id;
	uint32_t len;
};

struct virtq_used {
	uint16_t flags;
	uint16_t idx;
	struct virtq_used_elem ring[];	/* queue size entries, then avail_event */
};

/* Bytes of each part, event fields included (table in 2.7). */
static inline uint64_t virtq_desc_bytes(unsigned size)
{
	return 16ULL * size;
}

static inline uint64_t virtq_avail_bytes(unsigned size)
{
	return 6 + 2ULL * size;
}

static inline uint64_t virtq_used_bytes(unsigned size)
{
	return 6 + 8ULL * size;
}

struct virtq {
	/* Set by the transport. */
	uint16_t size;		/* QueueNum: a power of two, 1..VIRTQ_MAX_SIZE */
	uint64_t desc_gpa;	/* QueueDesc */
	uint64_t avail_gpa;	/* QueueDriver */
	uint64_t used_gpa;	/* QueueDevice */
	bool ready;		/* QueueReady, after virtq_check_layout() passed */
	bool indirect;		/* VIRTIO_F_INDIRECT_DESC negotiated */
	bool event_idx;		/* VIRTIO_F_EVENT_IDX negotiated */

	/* Device-side state, kept by this module. */
	uint16_t last_avail_idx;	/* next avail ring entry to take */
	uint16_t used_idx;		/* next used ring entry to fill */
	uint16_t inflight;		/* chains taken and not yet pushed back */
	uint16_t signalled_used;	/* used_idx when the driver was last considered */
	bool notify_off;		/* the device suppressed notifications */
	bool broken;			/* the queue is corrupt until reset */
};

/* One descriptor chain as host buffers, in chain order. The device-readable
 * buffers come first (2.7.4.2), so iov[0..nread) are readable and
 * iov[nread..nbufs) writable: ready for pwritev and preadv as they are. */
struct virtq_chain {
	uint16_t head;		/* descriptor index to hand back with virtq_push */
	unsigned nbufs;
	unsigned nread;
	uint64_t read_len;	/* bytes in the readable buffers */
	uint64_t write_len;	/* bytes in the writable buffers */
	struct iovec iov[VIRTQ_MAX_BUFS];
};

static inline bool virtq_buf_writable(const struct virtq_chain *c, unsigned i)
{
	return i >= c->nread;
}

/* Forget everything: not ready, no rings, indices back to 0 (device reset). */
void virtq_reset(struct virtq *q);

/* Whether the size and ring addresses the transport holds describe a usable
 * queue: 0, -EINVAL for a size that is not a power of two in 1..32768, a
 * misaligned ring (2.7.1) or a used ring that overlaps the descriptor table
 * or the avail ring, -EFAULT for a ring not wholly in guest RAM. The
 * transport calls it when the driver writes QueueReady and refuses the
 * queue (or sets DEVICE_NEEDS_RESET) on failure. virtq_pop and friends
 * repeat the check on every call, so memory safety never depends on it. */
int virtq_check_layout(const struct virtq *q, const struct guest_mem *m)
	__attribute__((warn_unused_result));

/* Take the next available chain into `c`. Returns
 *   1        a chain; the device must virtq_push(c->head) when done (a head
 *            never pushed back counts against the queue size until reset).
 *   0        nothing available.
 *   -ENXIO   the queue is not ready (a notification to ignore).
 *   -EPROTO  the queue is corrupt: the avail ring's idx ran more than the
 *            queue size ahead, or names a head outside the table, or the
 *            driver made more chains available than it has descriptors, or
 *            the rings no longer map. Sticky until virtq_reset(): the
 *            device sets DEVICE_NEEDS_RESET (2.1.2).
 *   Chain errors: the chain is consumed and c->head is valid, the queue stays
 *   usable. The device fails that request: virtq_push(c->head, 0), or a
 *   device-specific error status where it has somewhere to put one (or, as
 *   QEMU does, it may set DEVICE_NEEDS_RESET instead).
 *   -EINVAL  malformed chain: zero-length buffer, readable after writable
 *            (2.7.4.2), next index outside its table, indirect descriptor
 *            not negotiated, nested, combined with NEXT, or of a length that
 *            is zero or not a multiple of 16 (2.7.5.3.1).
 *   -ELOOP   more descriptors than the table holds: the chain loops.
 *   -E2BIG   more than VIRTQ_MAX_BUFS buffers, an indirect table of more
 *            than VIRTQ_MAX_BUFS entries, or more than 2^32 bytes (2.7.5.2).
 *   -EFAULT  a buffer or an indirect table not wholly in guest RAM. */
int virtq_pop(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c);

/* Hand chain `head` back with `written` bytes put in its writable buffers,
 * and publish it (2.7.8). 0, -EINVAL if `head` is out of range or nothing is
 * in flight (a device bug), -ENXIO or -EPROTO as for virtq_pop. */
int virtq_push(struct virtq *q, const struct guest_mem *m, uint16_t head, uint32_t written);

/* After one or more pushes: whether to interrupt the driver (2.7.7.2):
 * unless it set VIRTQ_AVAIL_F_NO_INTERRUPT, or with VIRTIO_F_EVENT_IDX
 * when the used index passed its used_event. False if nothing was pushed
 * since the last call. */
bool virtq_should_notify(struct virtq *q, const struct guest_mem *m);

/* Ask the driver not to notify (enable = false) or to notify again (true)
 * about new buffers (2.7.10), through used->flags or, with
 * VIRTIO_F_EVENT_IDX, avail_event. A device draining a queue turns them off
 * while it works and back on when done; a buffer the driver added in
 * between would then go unnoticed, so re-enabling returns true when
 * buffers are available and the device must drain again:
 *
 *	do {
 *		virtq_set_notify(q, m, false);
 *		while ((r = virtq_pop(q, m, &c)) != 0) {
 *			if (r == -EPROTO || r == -ENXIO)
 *				return r;	// DEVICE_NEEDS_RESET, or ignore
 *			handle(&c, r);		// a chain, or one to fail
 *		}
 *	} while (virtq_set_notify(q, m, true));
 *
 * A device that never calls it is correct too: with notifications on,
 * virtq_pop re-arms avail_event itself each time it finds the ring empty. */
bool virtq_set_notify(struct virtq *q, const struct guest_mem *m, bool enable);

#endif
