/* Split virtqueues, device side (VIRTIO 1.2, 2.7).
 *
 * Memory ordering. The driver runs on other CPUs and writes the rings while
 * we read them, so guest fields are touched only through __atomic builtins
 * (or, for descriptors, copied once; see read_desc):
 * - avail->idx is loaded with acquire: the driver fills descriptors and the
 *   ring entry, then publishes idx behind a barrier (2.7.13.3), so nothing
 *   we read after the load may be satisfied before it.
 * - used->idx is stored with release: the used element and the bytes the
 *   device wrote into the buffers must be visible before it (2.7.8.1).
 * - Notification suppression is a store-then-load on both sides: the
 *   device publishes used->idx (or re-arms avail_event) and then reads
 *   used_event (or avail->idx); the driver publishes the other one and then
 *   reads ours (2.7.13.4.1, 2.7.14). Acquire and release do not order a
 *   store before a later load, so each side needs a full fence, or both can
 *   read stale values and a notification is lost for good. */
#include "devices/virtqueue.h"

#include <errno.h>
#include <string.h>

#include "src/guest_mem.h"

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "virtio 1.x rings are little-endian; this code reads them natively");
_Static_assert(sizeof(struct virtq_desc) == 16, "2.7.5: a descriptor is 16 bytes");
_Static_assert(sizeof(struct virtq_used_elem) == 8, "2.7.8: a used element is 8 bytes");

/* 2.7.5.2: a chain holds at most 2^32 bytes. */
#define MAX_CHAIN_BYTES (1ULL << 32)

/* Host views of the three parts of a queue. */
struct rings {
	const uint8_t *desc;
	struct virtq_avail *avail;
	struct virtq_used *used;
};

/* A descriptor table being walked: the queue's own or an indirect one. */
struct table {
	const uint8_t *base;
	uint32_t entries;
	uint32_t visited;	/* descriptors taken from it so far */
	bool indirect;
};

static uint16_t load16(const uint16_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, v, __ATOMIC_RELAXED);
}

static uint16_t load_avail_idx(const struct rings *r)
{
	return __atomic_load_n(&r->avail->idx, __ATOMIC_ACQUIRE);
}

/* 2.7.7: the driver's used_event is the last field of the avail ring. */
static uint16_t *used_event(const struct virtq *q, const struct rings *r)
{
	return (uint16_t *)((uint8_t *)r->avail + virtq_avail_bytes(q->size) - 2);
}

/* 2.7.10: the device's avail_event is the last field of the used ring. */
static uint16_t *avail_event(const struct virtq *q, const struct rings *r)
{
	return (uint16_t *)((uint8_t *)r->used + virtq_used_bytes(q->size) - 2);
}

static bool is_power_of_2(unsigned n)
{
	return n && !(n & (n - 1));
}

/* One part of the queue: aligned as 2.7.1 requires, wholly in guest RAM,
 * and aligned in the host mapping too, for the atomics. */
static int map_part(const struct guest_mem *m, uint64_t gpa, uint64_t len,
		    unsigned align, void **host)
{
	if (gpa % align)
		return -EINVAL;
	*host = gmem_ptr(m, gpa, len);
	if (!*host)
		return -EFAULT;
	return (uintptr_t)*host % align ? -EINVAL : 0;
}

/* Whether two host ranges share a byte. */
static bool overlap(const void *a, uint64_t alen, const void *b, uint64_t blen)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + blen && y < x + alen;
}

static int map_rings(const struct virtq *q, const struct guest_mem *m, struct rings *r)
{
	void *desc, *avail, *used;
	int err;

	/* 2.7: a split queue's size is a power of two. */
	if (!is_power_of_2(q->size) || q->size > VIRTQ_MAX_SIZE)
		return -EINVAL;
	err = map_part(m, q->desc_gpa, virtq_desc_bytes(q->size), VIRTQ_DESC_ALIGN, &desc);
	if (!err)
		err = map_part(m, q->avail_gpa, virtq_avail_bytes(q->size), VIRTQ_AVAIL_ALIGN, &avail);
	if (!err)
		err = map_part(m, q->used_gpa, virtq_used_bytes(q->size), VIRTQ_USED_ALIGN, &used);
	if (err)
		return err;
	/* The device writes the used ring. Where it overlaps what the driver
	 * writes, the device's own stores move avail->idx or rewrite
	 * descriptors: used->flags on avail->idx made a drain chase its own
	 * tail for ever (tests/fuzz/virtqueue.c found it). */
	uint64_t used_len = virtq_used_bytes(q->size);
	if (overlap(used, used_len, desc, virtq_desc_bytes(q->size)) ||
	    overlap(used, used_len, avail, virtq_avail_bytes(q->size)))
		return -EINVAL;
	*r = (struct rings){ .desc = desc, .avail = avail, .used = used };
	return 0;
}

static int mark_broken(struct virtq *q)
{
	q->broken = true;
	return -EPROTO;
}

/* The rings of a queue the device may use now. */
static int usable(struct virtq *q, const struct guest_mem *m, struct rings *r)
{
	if (!q->ready)
		return -ENXIO;
	if (q->broken || map_rings(q, m, r))
		return mark_broken(q);
	return 0;
}

void virtq_reset(struct virtq *q)
{
	memset(q, 0, sizeof(*q));
}

int virtq_check_layout(const struct virtq *q, const struct guest_mem *m)
{
	struct rings r;

	return map_rings(q, m, &r);
}

/* Copies a descriptor out of guest memory once, so that what is checked is
 * what is used (the driver may rewrite it meanwhile). memcpy, because an
 * indirect table may lie at any address the guest likes; the compiler
 * barrier keeps the compiler from re-reading guest memory in place of the
 * copy, which it may otherwise do (the reason for Linux's READ_ONCE). */
static struct virtq_desc read_desc(const struct table *t, uint32_t i)
{
	struct virtq_desc d;

	memcpy(&d, t->base + (uint64_t)i * sizeof(d), sizeof(d));
	__asm__ __volatile__("" ::: "memory");
	return d;
}

static void chain_start(struct virtq_chain *c, uint16_t head)
{
	c->head = head;
	c->nbufs = 0;
	c->nread = 0;
	c->read_len = 0;
	c->write_len = 0;
}

/* Appends the buffer of a plain descriptor to the chain. */
static int add_buf(const struct guest_mem *m, struct virtq_chain *c, const struct virtq_desc *d)
{
	bool writable = d->flags & VIRTQ_DESC_F_WRITE;

	if (d->len == 0)
		return -EINVAL;
	/* 2.7.4.2: device-writable buffers come after device-readable ones. */
	if (!writable && c->nbufs > c->nread)
		return -EINVAL;
	if (c->nbufs == VIRTQ_MAX_BUFS || c->read_len + c->write_len + d->len > MAX_CHAIN_BYTES)
		return -E2BIG;
	void *host = gmem_ptr(m, d->addr, d->len);
	if (!host)
		return -EFAULT;
	c->iov[c->nbufs++] = (struct iovec){ .iov_base = host, .iov_len = d->len };
	if (writable) {
		c->write_len += d->len;
	} else {
		c->nread++;
		c->read_len += d->len;
	}
	return 0;
}

/* 2.7.5.3: the chain goes on at entry 0 of the table this descriptor holds.
 * Its own VIRTQ_DESC_F_WRITE means nothing (2.7.5.3.2). */
static int enter_indirect(const struct virtq *q, const struct guest_mem *m,
			  struct table *t, const struct virtq_desc *d)
{
	/* 2.7.5.3.1: only if negotiated, one table per chain, no NEXT beside it. */
	if (!q->indirect || t->indirect || (d->flags & VIRTQ_DESC_F_NEXT))
		return -EINVAL;
	if (d->len == 0 || d->len % sizeof(struct virtq_desc))
		return -EINVAL;
	if (d->len / sizeof(struct virtq_desc) > VIRTQ_MAX_BUFS)
		return -E2BIG;
	const uint8_t *base = gmem_ptr(m, d->addr, d->len);
	if (!base)
		return -EFAULT;
	*t = (struct table){ .base = base, .entries = d->len / sizeof(struct virtq_desc),
			     .indirect = true };
	return 0;
}

/* Follows the chain from `head`. A chain without a loop takes each entry of
 * a table at most once (2.7.5.2 forbids loops), so counting the visits
 * bounds the walk whatever the guest wrote. */
static int walk_chain(const struct virtq *q, const struct guest_mem *m, const struct rings *r,
		      uint16_t head, struct virtq_chain *c)
{
	struct table t = { .base = r->desc, .entries = q->size };
	uint32_t i = head;

	chain_start(c, head);
	for (;;) {
		if (++t.visited > t.entries)
			return -ELOOP;
		struct virtq_desc d = read_desc(&t, i);
		int err;
		if (d.flags & VIRTQ_DESC_F_INDIRECT) {
			err = enter_indirect(q, m, &t, &d);
			if (err)
				return err;
			i = 0;
			continue;
		}
		err = add_buf(m, c, &d);
		if (err)
			return err;
		if (!(d.flags & VIRTQ_DESC_F_NEXT))
			return 1;
		if (d.next >= t.entries)
			return -EINVAL;
		i = d.next;
	}
}

/* Asks for notifications again and returns avail->idx as it is afterwards.
 * The full fence orders our store before the load (see the top of the
 * file): the driver either sees the re-armed field and notifies, or we see
 * its new idx here. */
static uint16_t arm_notify(struct virtq *q, const struct rings *r)
{
	if (q->event_idx)
		store16(avail_event(q, r), q->last_avail_idx);
	else
		store16(&r->used->flags, 0);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return load_avail_idx(r);
}

/* avail->idx, re-arming avail_event first when the ring looks empty: with
 * VIRTIO_F_EVENT_IDX the driver notifies only when it moves idx past
 * avail_event (2.7.10), so a device that stops at an empty ring must leave
 * avail_event there. */
static uint16_t avail_idx(struct virtq *q, const struct rings *r)
{
	uint16_t idx = load_avail_idx(r);

	if (idx == q->last_avail_idx && q->event_idx && !q->notify_off)
		idx = arm_notify(q, r);
	return idx;
}

int virtq_pop(struct virtq *q, const struct guest_mem *m, struct virtq_chain *c)
{
	struct rings r;
	int err = usable(q, m, &r);

	if (err)
		return err;
	uint16_t pending = (uint16_t)(avail_idx(q, &r) - q->last_avail_idx);
	if (pending == 0)
		return 0;
	/* The driver cannot have more chains out than it has descriptors: an
	 * idx further ahead, or more in flight, means the ring is garbage. */
	if (pending > q->size || q->inflight >= q->size)
		return mark_broken(q);
	uint16_t head = load16(&r.avail->ring[q->last_avail_idx & (q->size - 1)]);
	if (head >= q->size)
		return mark_broken(q);
	q->last_avail_idx++;
	q->inflight++;
	return walk_chain(q, m, &r, head, c);
}

int virtq_push(struct virtq *q, const struct guest_mem *m, uint16_t head, uint32_t written)
{
	struct rings r;
	int err = usable(q, m, &r);

	if (err)
		return err;
	if (head >= q->size || q->inflight == 0)
		return -EINVAL;
	struct virtq_used_elem *e = &r.used->ring[q->used_idx & (q->size - 1)];
	__atomic_store_n(&e->id, head, __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, written, __ATOMIC_RELAXED);
	q->used_idx++;
	q->inflight--;
	/* 2.7.8.1: the element (and the data) before the index. */
	__atomic_store_n(&r.used->idx, q->used_idx, __ATOMIC_RELEASE);
	return 0;
}

/* Linux's vring_need_event, the rule of 2.7.7 and 2.7.10: whether `event`
 * lies in [old, new), the entries published since the last decision,
 * modulo 2^16. */
static bool need_event(uint16_t event, uint16_t new_idx, uint16_t old_idx)
{
	return (uint16_t)(new_idx - event - 1) < (uint16_t)(new_idx - old_idx);
}

bool virtq_should_notify(struct virtq *q, const struct guest_mem *m)
{
	struct rings r;

	if (usable(q, m, &r))
		return false;
	uint16_t old_idx = q->signalled_used;
	uint16_t new_idx = q->used_idx;
	q->signalled_used = new_idx;
	if (old_idx == new_idx)
		return false;
	/* Our used->idx store before the driver's field is read (see the top). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	/* 2.7.7.2: with VIRTIO_F_EVENT_IDX the device ignores avail->flags. */
	if (q->event_idx)
		return need_event(load16(used_event(q, &r)), new_idx, old_idx);
	return !(load16(&r.avail->flags) & VIRTQ_AVAIL_F_NO_INTERRUPT);
}

bool virtq_set_notify(struct virtq *q, const struct guest_mem *m, bool enable)
{
	struct rings r;

	if (usable(q, m, &r))
		return false;
	q->notify_off = !enable;
	if (enable)
		return arm_notify(q, &r) != q->last_avail_idx;
	/* An avail_event behind every index the driver can still publish
	 * never triggers need_event on its side. */
	if (q->event_idx)
		store16(avail_event(q, &r), (uint16_t)(q->last_avail_idx - 1));
	else
		store16(&r.used->flags, VIRTQ_USED_F_NO_NOTIFY);
	return false;
}
