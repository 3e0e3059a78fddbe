/* The split virtqueue played from the guest's side: the shared test driver
 * (virtio_driver.h) lays out the rings in guest RAM as Linux's virtio_ring
 * does (descriptors, the avail ring right after them, the used ring on the
 * next 4 KiB boundary), adds chains and reads the used ring back, while the
 * device side under test takes and returns them. Then everything a hostile
 * driver can get wrong, and a fuzz loop. */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "devices/virtqueue.h"
#include "src/guest_mem.h"
#include "tests/unit/suites.h"
#include "tests/unit/virtio_driver.h"

#define MIB (1ULL << 20)
#define GIB (1ULL << 30)
/* 16 MiB of RAM with the hole at 8 MiB: [0, 8M) and [4G, 4G + 8M). */
#define RAM_SIZE (16 * MIB)
#define HOLE     (8 * MIB)
#define HIGH     (4 * GIB)
#define HIGH_END (HIGH + RAM_SIZE - HOLE)

#define RINGS    0x10000ULL	/* the three parts of the queue */
#define TABLES   0x200000ULL	/* indirect tables */
#define DATA     0x400000ULL	/* buffers, up to the hole */

#define R 0			/* device-readable */
#define W VIRTQ_DESC_F_WRITE
#define NEXT VIRTQ_DESC_F_NEXT
#define INDIRECT VIRTQ_DESC_F_INDIRECT

static struct guest_mem mem;
static struct virtq q;
static struct virtq_chain chain;
/* The driver's side of the queue. */
static struct vdrv drv;

/* ck_assert reports every check that passes to the test runner (a write
 * on a pipe); helpers that run in long loops report only failures. */
#define require(cond)                                                             \
	do {                                                                      \
		if (!(cond))                                                      \
			ck_abort_msg("%s:%d: %s", __FILE__, __LINE__, #cond);     \
	} while (0)

static void *host(uint64_t gpa, uint64_t len)
{
	return vdrv_host(&drv, gpa, len);
}

static struct virtq_avail *avail(void)
{
	return vdrv_avail(&drv);
}

static struct virtq_used *used(void)
{
	return vdrv_used(&drv);
}

static uint16_t *used_event(void)
{
	return vdrv_used_event(&drv);
}

static uint16_t avail_event(void)
{
	return vdrv_avail_event(&drv);
}

/* vring_init's layout for `size` entries, without touching memory; the
 * device's queue and the driver's agree on it. */
static void layout(uint16_t size, bool indirect, bool event_idx)
{
	vdrv_layout(&drv, &mem, size, RINGS);
	drv.event_idx = event_idx;
	virtq_reset(&q);
	q.size = size;
	q.desc_gpa = drv.desc_gpa;
	q.avail_gpa = drv.avail_gpa;
	q.used_gpa = drv.used_gpa;
	q.indirect = indirect;
	q.event_idx = event_idx;
}

/* A fresh queue of `size` as the driver sets it up and enables it. */
static void start(uint16_t size, bool indirect, bool event_idx)
{
	layout(size, indirect, event_idx);
	vdrv_clear(&drv);
	ck_assert_int_eq(virtq_check_layout(&q, &mem), 0);
	q.ready = true;
}

static void setup(void)
{
	ck_assert_int_eq(gmem_create(&mem, RAM_SIZE, HOLE), 0);
	drv = (struct vdrv){ .data = DATA, .data_end = HOLE, .tables = TABLES, .tables_end = DATA };
	start(8, false, false);
}

static void teardown(void)
{
	gmem_destroy(&mem);
}

static uint8_t pattern(uint64_t gpa)
{
	return (uint8_t)((gpa >> 6) | 1);
}

/* A buffer with a recognisable pattern, carved from the data area. */
static uint64_t new_buffer(uint32_t len)
{
	uint64_t gpa = vdrv_alloc(&drv, len);

	memset(host(gpa, len), pattern(gpa), len);
	return gpa;
}

static void put_desc(uint64_t table, uint16_t i, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	vdrv_put_desc(&drv, table, i, addr, len, flags, next);
}

/* Descriptor `i` of the queue's own table. */
static void put(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	put_desc(drv.desc_gpa, i, addr, len, flags, next);
}

static void make_available(uint16_t head)
{
	vdrv_make_available(&drv, head);
}

/* A fresh patterned buffer for each of segs. */
static void new_buffers(struct vbuf *segs, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		segs[k].gpa = new_buffer(segs[k].len);
}

/* Writes segs, on fresh buffers, as a chain into `table` from entry
 * `first` on, each pointing at the following entry (wrapping at `entries`). */
static void put_chain(uint64_t table, uint16_t entries, uint16_t first, struct vbuf *segs,
		      unsigned n)
{
	new_buffers(segs, n);
	vdrv_put_chain(&drv, table, entries, first, segs, n);
}

/* virtqueue_add_split without an indirect table. */
static uint16_t add_chain(struct vbuf *segs, unsigned n)
{
	new_buffers(segs, n);
	return vdrv_add_chain(&drv, segs, n);
}

/* A table for an indirect descriptor, with room for `entries`. */
static uint64_t new_table(unsigned entries)
{
	return vdrv_alloc_table(&drv, entries);
}

/* virtqueue_add_split with an indirect table: one descriptor in the ring. */
static uint16_t add_indirect(struct vbuf *segs, unsigned n)
{
	new_buffers(segs, n);
	return vdrv_add_indirect(&drv, segs, n);
}

/* The next chain is `segs`, buffer by buffer, with head `head`. */
static void pop_ok(uint16_t head, const struct vbuf *segs, unsigned n)
{
	uint64_t read_len = 0, write_len = 0;
	unsigned nread = 0;

	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_uint_eq(chain.head, head);
	ck_assert_uint_eq(chain.nbufs, n);
	for (unsigned k = 0; k < n; k++) {
		bool writable = segs[k].flags & W;
		ck_assert_ptr_eq(chain.iov[k].iov_base, host(segs[k].gpa, segs[k].len));
		ck_assert_uint_eq(chain.iov[k].iov_len, segs[k].len);
		ck_assert(virtq_buf_writable(&chain, k) == writable);
		*(writable ? &write_len : &read_len) += segs[k].len;
		nread += !writable;
	}
	ck_assert_uint_eq(chain.nread, nread);
	ck_assert_uint_eq(chain.read_len, read_len);
	ck_assert_uint_eq(chain.write_len, write_len);
}

/* The driver's view of the next used element (2.7.14). */
static struct virtq_used_elem reap(void)
{
	struct virtq_used_elem e;

	require(vdrv_get_used(&drv, &e));
	return e;
}

/* Runs `n` one-buffer requests through, as at steady state. */
static void cycle(unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct vbuf s[] = { { 4, R, 0 } };
		uint16_t head = add_chain(s, 1);
		require(virtq_pop(&q, &mem, &chain) == 1);
		require(chain.head == head);
		require(virtq_push(&q, &mem, head, 0) == 0);
		require(reap().id == head);
	}
}

/* A malformed chain fails alone: it is consumed with its head, can be
 * handed back, and the next chain comes through. */
static void expect_chain_error(int err, uint16_t head)
{
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), err);
	ck_assert_uint_eq(chain.head, head);
	ck_assert_int_eq(virtq_push(&q, &mem, head, 0), 0);
	struct virtq_used_elem e = reap();
	ck_assert_uint_eq(e.id, head);
	ck_assert_uint_eq(e.len, 0);

	struct vbuf s[] = { { 8, R, 0 } };
	uint16_t next = add_chain(s, 1);
	pop_ok(next, s, 1);
	ck_assert_int_eq(virtq_push(&q, &mem, next, 0), 0);
	reap();
}

/* A chain of the one descriptor 3, and what popping it gives. */
static void expect_desc(int err, uint64_t addr, uint32_t len, uint16_t flags)
{
	put(3, addr, len, flags, 0);
	make_available(3);
	expect_chain_error(err, 3);
}

/* The queue as a whole is corrupt, and stays so. */
static void expect_broken(void)
{
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), -EPROTO);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), -EPROTO);
	ck_assert_int_eq(virtq_push(&q, &mem, 0, 0), -EPROTO);
	ck_assert(!virtq_should_notify(&q, &mem));
}

/* --- correct chains ---------------------------------------------------- */

START_TEST(single_readable_buffer)
{
	struct vbuf s[] = { { 100, R, 0 } };
	uint16_t head = add_chain(s, 1);

	pop_ok(head, s, 1);
	ck_assert_uint_eq(((uint8_t *)chain.iov[0].iov_base)[99], pattern(s[0].gpa));
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);
	ck_assert_uint_eq(q.last_avail_idx, 1);
}
END_TEST

START_TEST(readable_then_writable_chain)
{
	struct vbuf s[] = { { 16, R, 0 }, { 4096, R, 0 }, { 512, W, 0 }, { 1, W, 0 } };
	uint16_t head = add_chain(s, 4);

	pop_ok(head, s, 4);
	ck_assert_uint_eq(chain.nread, 2);
	ck_assert_uint_eq(chain.read_len, 4112);
	ck_assert_uint_eq(chain.write_len, 513);
}
END_TEST

START_TEST(chains_and_buffers_come_in_order)
{
	struct vbuf a[] = { { 10, R, 0 } };
	struct vbuf b[] = { { 20, R, 0 }, { 30, W, 0 } };
	uint16_t ha = add_chain(a, 1);
	uint16_t hb = add_chain(b, 2);

	/* A chain whose descriptors are scattered: 6 -> 3 -> 7. */
	struct vbuf c[] = { { 40, R, new_buffer(40) }, { 50, R, new_buffer(50) },
			   { 60, W, new_buffer(60) } };
	put(6, c[0].gpa, 40, R | NEXT, 3);
	put(3, c[1].gpa, 50, R | NEXT, 7);
	put(7, c[2].gpa, 60, W, 0);
	make_available(6);

	pop_ok(ha, a, 1);
	pop_ok(hb, b, 2);
	pop_ok(6, c, 3);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);
}
END_TEST

START_TEST(buffers_anywhere_in_ram)
{
	struct vbuf s[] = { { 64, R, HOLE - 64 }, { 16, W, HIGH }, { 16, W, HIGH_END - 16 } };

	put(0, s[0].gpa, 64, R | NEXT, 1);
	put(1, s[1].gpa, 16, W | NEXT, 2);
	put(2, s[2].gpa, 16, W, 0);
	make_available(0);
	pop_ok(0, s, 3);
}
END_TEST

START_TEST(indirect_chain)
{
	start(8, true, false);
	struct vbuf s[] = { { 16, R, 0 }, { 32, R, 0 }, { 64, W, 0 } };
	uint16_t head = add_indirect(s, 3);

	pop_ok(head, s, 3);
	ck_assert_int_eq(virtq_push(&q, &mem, head, 64), 0);
	ck_assert_uint_eq(reap().id, head);
}
END_TEST

START_TEST(indirect_table_follows_next)
{
	start(8, true, false);
	uint64_t table = new_table(3);
	struct vbuf s[] = { { 11, R, new_buffer(11) }, { 22, R, new_buffer(22) },
			   { 33, W, new_buffer(33) } };

	put_desc(table, 0, s[0].gpa, 11, R | NEXT, 2);
	put_desc(table, 2, s[1].gpa, 22, R | NEXT, 1);
	put_desc(table, 1, s[2].gpa, 33, W, 0);
	put(5, table, 48, INDIRECT, 0);
	make_available(5);
	pop_ok(5, s, 3);
}
END_TEST

/* 2.7.5.3.2: plain descriptors may lead to one indirect one, and the
 * indirect descriptor's own WRITE flag is ignored. */
START_TEST(direct_descriptors_then_indirect_table)
{
	start(8, true, false);
	uint64_t table = new_table(2);
	struct vbuf s[] = { { 16, R, new_buffer(16) }, { 24, R, 0 }, { 8, W, 0 } };

	put_chain(table, 2, 0, &s[1], 2);
	put(2, s[0].gpa, 16, R | NEXT, 4);
	put(4, table, 32, INDIRECT | W, 0);
	make_available(2);
	pop_ok(2, s, 3);
}
END_TEST

START_TEST(indices_wrap_around)
{
	start(16, false, false);
	cycle(65534);
	ck_assert_uint_eq(avail()->idx, 65534);

	uint16_t heads[3];
	for (unsigned k = 0; k < 3; k++) {
		struct vbuf s[] = { { 8, R, 0 }, { 8, W, 0 } };
		heads[k] = add_chain(s, 2);
		pop_ok(heads[k], s, 2);
	}
	for (unsigned k = 0; k < 3; k++)
		ck_assert_int_eq(virtq_push(&q, &mem, heads[k], 100 + k), 0);
	ck_assert_uint_eq(q.last_avail_idx, 1);
	ck_assert_uint_eq(used()->idx, 1);
	/* Slots 65534 % 16, 65535 % 16, 0. */
	const unsigned slot[3] = { 14, 15, 0 };
	for (unsigned k = 0; k < 3; k++) {
		ck_assert_uint_eq(used()->ring[slot[k]].id, heads[k]);
		ck_assert_uint_eq(used()->ring[slot[k]].len, 100 + k);
	}
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);
}
END_TEST

START_TEST(push_fills_used_ring)
{
	struct vbuf s[] = { { 8, R, 0 }, { 100, W, 0 } };
	uint16_t head = add_chain(s, 2);

	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_int_eq(virtq_push(&q, &mem, 8, 1), -EINVAL);	/* no such head */
	ck_assert_uint_eq(used()->idx, 0);
	ck_assert_int_eq(virtq_push(&q, &mem, head, 77), 0);
	ck_assert_uint_eq(used()->idx, 1);
	ck_assert_uint_eq(used()->ring[0].id, head);
	ck_assert_uint_eq(used()->ring[0].len, 77);
	ck_assert_uint_eq(used()->flags, 0);
	/* Nothing left in flight: a second push is a device bug. */
	ck_assert_int_eq(virtq_push(&q, &mem, head, 77), -EINVAL);
	ck_assert_uint_eq(used()->idx, 1);
}
END_TEST

START_TEST(not_ready_queue_is_left_alone)
{
	q.ready = false;
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), -ENXIO);
	ck_assert_int_eq(virtq_push(&q, &mem, 0, 0), -ENXIO);
	ck_assert(!virtq_should_notify(&q, &mem));
	ck_assert(!virtq_set_notify(&q, &mem, true));
}
END_TEST

/* --- notifications ---------------------------------------------------- */

/* Takes and returns `n` chains; the driver does not look. */
static void complete(unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		struct vbuf s[] = { { 4, R, 0 } };
		uint16_t head = add_chain(s, 1);
		require(virtq_pop(&q, &mem, &chain) == 1);
		require(virtq_push(&q, &mem, head, 0) == 0);
	}
}

START_TEST(no_interrupt_flag)
{
	ck_assert(!virtq_should_notify(&q, &mem));	/* nothing pushed */
	complete(1);
	ck_assert(virtq_should_notify(&q, &mem));
	ck_assert(!virtq_should_notify(&q, &mem));	/* nothing new */
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	complete(1);
	ck_assert(!virtq_should_notify(&q, &mem));
	avail()->flags = 0;
	*used_event() = 100;	/* ignored without EVENT_IDX */
	complete(1);
	ck_assert(virtq_should_notify(&q, &mem));
}
END_TEST

START_TEST(event_idx_notifies_when_used_event_passed)
{
	start(8, false, true);
	complete(1);
	ck_assert(virtq_should_notify(&q, &mem));	/* used_event 0 in [0, 1) */
	complete(1);
	ck_assert(!virtq_should_notify(&q, &mem));	/* 0 not in [1, 2) */
	*used_event() = 4;
	complete(2);
	ck_assert(!virtq_should_notify(&q, &mem));	/* 4 not in [2, 4) */
	complete(3);
	ck_assert(virtq_should_notify(&q, &mem));	/* 4 in [4, 7) */
	/* 2.7.7.2: the flag means nothing with EVENT_IDX. */
	avail()->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	*used_event() = 7;
	complete(1);
	ck_assert(virtq_should_notify(&q, &mem));
	ck_assert(!virtq_should_notify(&q, &mem));	/* nothing new */
}
END_TEST

START_TEST(event_idx_across_wrap)
{
	start(8, false, true);
	cycle(65534);
	(void)virtq_should_notify(&q, &mem);
	ck_assert_uint_eq(q.used_idx, 65534);

	*used_event() = 65535;
	complete(1);
	ck_assert(!virtq_should_notify(&q, &mem));	/* not in [65534, 65535) */
	complete(1);
	ck_assert(virtq_should_notify(&q, &mem));	/* in [65535, 0) */
	*used_event() = 65535;
	complete(2);
	ck_assert(!virtq_should_notify(&q, &mem));	/* behind [0, 2) */
	*used_event() = 1;
	complete(65535);
	ck_assert(!virtq_should_notify(&q, &mem));	/* just past [2, 1) */
	*used_event() = 65535;
	complete(65535);
	ck_assert(virtq_should_notify(&q, &mem));	/* in [1, 0) */
	*used_event() = 0;
	complete(2);
	ck_assert(virtq_should_notify(&q, &mem));	/* in [0, 2) */
}
END_TEST

START_TEST(device_suppresses_notifications_with_flags)
{
	ck_assert(!virtq_set_notify(&q, &mem, false));
	ck_assert_uint_eq(used()->flags, VIRTQ_USED_F_NO_NOTIFY);
	struct vbuf s[] = { { 4, R, 0 } };
	uint16_t head = add_chain(s, 1);
	/* Re-enabling finds the buffer added while off. */
	ck_assert(virtq_set_notify(&q, &mem, true));
	ck_assert_uint_eq(used()->flags, 0);
	pop_ok(head, s, 1);
	ck_assert(!virtq_set_notify(&q, &mem, true));
}
END_TEST

/* 2.7.10: the driver notifies when idx moves past avail_event. */
static bool driver_kicks(void)
{
	struct vbuf s[] = { { 4, R, 0 } };

	add_chain(s, 1);
	return vdrv_kick_prepare(&drv);
}

START_TEST(device_suppresses_notifications_with_event_idx)
{
	start(8, false, true);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);
	ck_assert(driver_kicks());
	ck_assert(!driver_kicks());	/* the device has not drained yet */
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	/* An empty ring re-arms avail_event where the device stopped. */
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);
	ck_assert_uint_eq(avail_event(), 2);

	/* Off, with the ring empty: the next buffer brings no kick. */
	ck_assert(!virtq_set_notify(&q, &mem, false));
	ck_assert(!driver_kicks());
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);	/* no re-arm while off */
	ck_assert(!driver_kicks());
	/* Back on: a buffer came meanwhile, the device must drain again. */
	ck_assert(virtq_set_notify(&q, &mem, true));
	ck_assert_uint_eq(avail_event(), 3);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 0);
	ck_assert(driver_kicks());
	ck_assert_uint_eq(used()->flags, 0);	/* 2.7.10: flags are not used */
}
END_TEST

/* --- malformed chains --------------------------------------------------- */

START_TEST(descriptor_loop)
{
	uint64_t buf = new_buffer(8);

	put(0, buf, 8, R | NEXT, 1);
	put(1, buf, 8, R | NEXT, 0);
	make_available(0);
	expect_chain_error(-ELOOP, 0);
	put(5, buf, 8, W | NEXT, 5);
	make_available(5);
	expect_chain_error(-ELOOP, 5);
}
END_TEST

START_TEST(chain_longer_than_queue)
{
	start(4, true, false);
	uint64_t buf = new_buffer(8);

	for (uint16_t i = 0; i < 4; i++)
		put(i, buf, 8, R | NEXT, (uint16_t)((i + 1) % 4));
	make_available(2);
	expect_chain_error(-ELOOP, 2);

	uint64_t table = new_table(3);
	for (uint16_t i = 0; i < 3; i++)
		put_desc(table, i, buf, 8, R | NEXT, (uint16_t)((i + 1) % 3));
	put(1, table, 48, INDIRECT, 0);
	make_available(1);
	expect_chain_error(-ELOOP, 1);
}
END_TEST

START_TEST(more_buffers_than_the_cap)
{
	start(2048, true, false);
	uint64_t buf = new_buffer(8);

	/* VIRTQ_MAX_BUFS + 1 distinct descriptors, no loop. */
	for (uint16_t i = 0; i <= VIRTQ_MAX_BUFS; i++)
		put(i, buf, 8, R | NEXT, (uint16_t)(i + 1));
	put(VIRTQ_MAX_BUFS, buf, 8, R, 0);
	make_available(0);
	expect_chain_error(-E2BIG, 0);

	/* Exactly the cap, in an indirect table, after one plain buffer. */
	uint64_t table = new_table(VIRTQ_MAX_BUFS);
	for (uint16_t i = 0; i < VIRTQ_MAX_BUFS; i++)
		put_desc(table, i, buf, 8, R | NEXT, (uint16_t)(i + 1));
	put_desc(table, VIRTQ_MAX_BUFS - 1, buf, 8, R, 0);
	put(1500, table, 16 * VIRTQ_MAX_BUFS, INDIRECT, 0);
	make_available(1500);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_uint_eq(chain.nbufs, VIRTQ_MAX_BUFS);
	ck_assert_int_eq(virtq_push(&q, &mem, 1500, 0), 0);
	reap();
	put(1499, buf, 8, R | NEXT, 1500);
	make_available(1499);
	expect_chain_error(-E2BIG, 1499);
	/* A table longer than the cap. */
	put(1500, table, 16 * (VIRTQ_MAX_BUFS + 1), INDIRECT, 0);
	make_available(1500);
	expect_chain_error(-E2BIG, 1500);
}
END_TEST

/* 2.7.5.2: at most 2^32 bytes in a chain. */
START_TEST(chain_over_4_gib)
{
	start(8, true, false);
	uint64_t table = new_table(513);

	for (uint16_t i = 0; i < 513; i++)
		put_desc(table, i, 0, 8 * MIB, R | NEXT, (uint16_t)(i + 1));
	put_desc(table, 511, 0, 8 * MIB, R, 0);
	put(0, table, 16 * 512, INDIRECT, 0);
	make_available(0);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	ck_assert_uint_eq(chain.read_len, 4 * GIB);
	ck_assert_int_eq(virtq_push(&q, &mem, 0, 0), 0);
	reap();
	put_desc(table, 511, 0, 8 * MIB, R | NEXT, 512);
	put_desc(table, 512, 0, 1, R, 0);
	put(0, table, 16 * 513, INDIRECT, 0);
	make_available(0);
	expect_chain_error(-E2BIG, 0);
}
END_TEST

START_TEST(next_out_of_range)
{
	start(8, true, false);
	uint64_t buf = new_buffer(8);

	put(2, buf, 8, R | NEXT, 8);
	make_available(2);
	expect_chain_error(-EINVAL, 2);
	put(2, buf, 8, R | NEXT, 0xffff);
	make_available(2);
	expect_chain_error(-EINVAL, 2);

	uint64_t table = new_table(2);
	put_desc(table, 0, buf, 8, R | NEXT, 1);
	put_desc(table, 1, buf, 8, R | NEXT, 2);	/* the table has 2 */
	put(4, table, 32, INDIRECT, 0);
	make_available(4);
	expect_chain_error(-EINVAL, 4);
}
END_TEST

START_TEST(zero_length_buffer)
{
	uint64_t buf = new_buffer(8);

	expect_desc(-EINVAL, buf, 0, R);
	put(0, buf, 8, R | NEXT, 1);
	put(1, buf, 0, W, 0);
	make_available(0);
	expect_chain_error(-EINVAL, 0);
}
END_TEST

START_TEST(buffer_outside_ram)
{
	expect_desc(-EFAULT, RAM_SIZE, 16, R);	/* would be RAM without the hole */
	expect_desc(-EFAULT, 3 * GIB, 16, W);	/* in the hole */
	expect_desc(-EFAULT, HIGH_END, 16, R);
	expect_desc(-EFAULT, UINT64_MAX - 7, 16, R);	/* wraps */
	expect_desc(-EFAULT, 0, UINT32_MAX, R);
}
END_TEST

START_TEST(buffer_across_end_of_ram)
{
	expect_desc(-EFAULT, HOLE - 8, 16, R);	/* into the hole */
	expect_desc(-EFAULT, HIGH - 8, 16, R);	/* out of it */
	expect_desc(-EFAULT, HIGH_END - 8, 16, W);
	expect_desc(-EFAULT, HIGH_END - 16, 17, W);
	/* And the last buffer that does fit. */
	expect_desc(1, HIGH_END - 16, 16, W);
}
END_TEST

START_TEST(readable_after_writable)
{
	start(8, true, false);
	uint64_t buf = new_buffer(8);

	put(0, buf, 8, W | NEXT, 1);
	put(1, buf, 8, R, 0);
	make_available(0);
	expect_chain_error(-EINVAL, 0);

	/* Across the step into an indirect table. */
	uint64_t table = new_table(1);
	put_desc(table, 0, buf, 8, R, 0);
	put(2, buf, 8, W | NEXT, 3);
	put(3, table, 16, INDIRECT, 0);
	make_available(2);
	expect_chain_error(-EINVAL, 2);
}
END_TEST

START_TEST(nested_indirect)
{
	start(8, true, false);
	uint64_t inner = new_table(1), outer = new_table(2);
	uint64_t buf = new_buffer(8);

	put_desc(inner, 0, buf, 8, R, 0);
	put_desc(outer, 0, buf, 8, R | NEXT, 1);
	put_desc(outer, 1, inner, 16, INDIRECT, 0);
	put(0, outer, 32, INDIRECT, 0);
	make_available(0);
	expect_chain_error(-EINVAL, 0);
}
END_TEST

START_TEST(indirect_not_negotiated)
{
	uint64_t table = new_table(1);

	put_desc(table, 0, new_buffer(8), 8, R, 0);
	expect_desc(-EINVAL, table, 16, INDIRECT);
	q.indirect = true;
	expect_desc(1, table, 16, INDIRECT);
}
END_TEST

START_TEST(indirect_table_length)
{
	start(8, true, false);
	uint64_t table = new_table(2);

	put_desc(table, 0, new_buffer(8), 8, R, 0);
	expect_desc(-EINVAL, table, 0, INDIRECT);
	expect_desc(-EINVAL, table, 8, INDIRECT);
	expect_desc(-EINVAL, table, 24, INDIRECT);
	expect_desc(-EFAULT, HOLE - 16, 32, INDIRECT);
	expect_desc(-EINVAL, table, 16, INDIRECT | NEXT);	/* 2.7.5.3.1 */
	expect_desc(1, table, 16, INDIRECT);
}
END_TEST

START_TEST(avail_idx_runs_ahead)
{
	struct vbuf s[] = { { 4, R, 0 } };

	/* A full ring is fine... */
	for (unsigned k = 0; k < 8; k++)
		add_chain(s, 1);
	for (unsigned k = 0; k < 8; k++) {
		ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
		ck_assert_int_eq(virtq_push(&q, &mem, chain.head, 0), 0);
	}
	/* ...one more than that is not. */
	avail()->idx = (uint16_t)(q.last_avail_idx + 9);
	expect_broken();
	/* Whatever the driver writes next. */
	add_chain(s, 1);
	avail()->idx = drv.avail_idx;
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), -EPROTO);
	/* Until the device is reset. */
	start(8, false, false);
	add_chain(s, 1);
	ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
}
END_TEST

START_TEST(head_out_of_range)
{
	make_available(8);
	expect_broken();
}
END_TEST

START_TEST(more_in_flight_than_descriptors)
{
	start(4, false, false);
	struct vbuf s[] = { { 4, R, 0 } };

	for (unsigned k = 0; k < 4; k++) {
		add_chain(s, 1);
		ck_assert_int_eq(virtq_pop(&q, &mem, &chain), 1);
	}
	make_available(0);	/* head 0 again, still in flight */
	expect_broken();
}
END_TEST

START_TEST(ring_layout_checked)
{
	static const uint64_t sizes_ok[] = { 1, 2, 256, 32768 };
	for (unsigned k = 0; k < 4; k++) {
		layout((uint16_t)sizes_ok[k], false, false);
		ck_assert_int_eq(virtq_check_layout(&q, &mem), 0);
	}
	static const uint16_t sizes_bad[] = { 0, 3, 100, 32769, 65535 };
	for (unsigned k = 0; k < 5; k++) {
		layout(sizes_bad[k], false, false);
		ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	}

	layout(8, false, false);
	q.desc_gpa += 8;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	layout(8, false, false);
	q.avail_gpa += 1;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	layout(8, false, false);
	q.used_gpa += 2;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);

	layout(8, false, false);
	q.used_gpa = HIGH_END - 68;	/* 70 bytes: 2 past the end */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EFAULT);
	q.used_gpa = HIGH_END - 72;	/* fits */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), 0);
	q.desc_gpa = HOLE - 64;					/* into the hole */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EFAULT);
	q.desc_gpa = 3 * GIB;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EFAULT);
}
END_TEST

/* 2.7.1 constrains guest addresses; the atomics need the host addresses
 * aligned too. RAM wrapped 8 bytes into an aligned buffer tells the two
 * apart (gmem_create's page-aligned RAM never does). */
START_TEST(ring_alignment_in_guest_and_host)
{
	static uint8_t buf[0x4000 + 8] __attribute__((aligned(16)));
	struct guest_mem shifted;

	gmem_wrap(&shifted, buf + 8, 0x4000);
	layout(8, false, false);
	q.desc_gpa = 0x1000;	/* aligned in the guest, not on the host */
	q.avail_gpa = 0x2000;
	q.used_gpa = 0x3000;
	ck_assert_int_eq(virtq_check_layout(&q, &shifted), -EINVAL);
	q.desc_gpa = 0x1008;	/* the other way round */
	ck_assert_int_eq(virtq_check_layout(&q, &shifted), -EINVAL);
	gmem_wrap(&shifted, buf, 0x4000);
	ck_assert_int_eq(virtq_check_layout(&q, &shifted), -EINVAL);
	q.desc_gpa = 0x1000;
	ck_assert_int_eq(virtq_check_layout(&q, &shifted), 0);
}
END_TEST

/* The device writes the used ring (used->flags, idx, the elements and
 * avail_event): it must not share a byte with what the driver writes. */
START_TEST(used_ring_apart_from_the_driver_parts)
{
	layout(8, false, false);	/* 128 bytes of descriptors, 22 of avail, 70 of used */
	q.used_gpa = q.avail_gpa;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	q.used_gpa = q.avail_gpa + 20;	/* on used_event, the avail ring's last field */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	q.used_gpa = q.avail_gpa + 24;	/* just after it */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), 0);
	q.used_gpa = q.desc_gpa + 64;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	q.used_gpa = q.desc_gpa - 72;	/* ends 2 bytes before the table */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), 0);
	q.used_gpa = q.desc_gpa - 68;	/* avail_event on descriptor 0 */
	ck_assert_int_eq(virtq_check_layout(&q, &mem), -EINVAL);
	/* The driver parts may overlap each other: the device only reads them. */
	layout(8, false, false);
	q.avail_gpa = q.desc_gpa;
	ck_assert_int_eq(virtq_check_layout(&q, &mem), 0);
}
END_TEST

/* Found by tests/fuzz/virtqueue.c: with used->flags on avail->idx, the
 * device's own notification switch moved avail->idx, and the drain loop of
 * virtqueue.h span for ever (the transport's check skipped here). */
START_TEST(device_stores_cannot_move_avail_idx)
{
	unsigned rounds = 0;
	int r;

	q.avail_gpa = RINGS + 0x1002;
	q.used_gpa = q.avail_gpa + 2;
	do {
		ck_assert_uint_lt(++rounds, 4);
		virtq_set_notify(&q, &mem, false);
		while ((r = virtq_pop(&q, &mem, &chain)) != 0 && r != -EPROTO)
			ck_assert_int_eq(virtq_push(&q, &mem, chain.head, 0), 0);
	} while (r == 0 && virtq_set_notify(&q, &mem, true));
	ck_assert_int_eq(r, -EPROTO);
	expect_broken();
}
END_TEST

/* A transport that skipped virtq_check_layout still cannot go wrong. */
START_TEST(misaligned_rings_break_the_queue)
{
	q.avail_gpa += 1;
	expect_broken();
}
END_TEST

/* --- fuzz ----------------------------------------------------------------- */

#define FUZZ_ITERATIONS 100000
#define FUZZ_TABLE      64	/* entries of random indirect table at TABLES */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

/* xorshift64*: fixed seed, same run every time. */
static uint64_t rnd(void)
{
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545f4914f6cdd1dULL;
}

/* Random, but often near the places where checks have edges. */
static uint64_t fuzz_addr(void)
{
	switch (rnd() % 8) {
	case 0: return rnd();
	case 1: return HOLE - rnd() % 64;
	case 2: return HIGH_END - rnd() % 64;
	case 3: return HIGH + rnd() % (RAM_SIZE - HOLE);
	case 4: return TABLES + 16 * (rnd() % FUZZ_TABLE);
	case 5: return UINT64_MAX - rnd() % 64;
	default: return rnd() % HOLE;
	}
}

static uint32_t fuzz_len(void)
{
	switch (rnd() % 6) {
	case 0: return (uint32_t)rnd();
	case 1: return 0;
	case 2: return 16 * (uint32_t)(rnd() % (FUZZ_TABLE + 4));
	default: return (uint32_t)(rnd() % 4096);
	}
}

/* Mostly below `below`, where the interesting values are; now and then
 * anything. */
static uint16_t fuzz_small(unsigned below)
{
	return (uint16_t)(rnd() % 16 ? rnd() % below : rnd());
}

static void fuzz_table(uint64_t table, unsigned entries, unsigned next_below)
{
	for (unsigned i = 0; i < entries; i++)
		put_desc(table, (uint16_t)i, fuzz_addr(), fuzz_len(), fuzz_small(8),
			 fuzz_small(next_below));
}

static void fuzz_bytes(uint64_t gpa, uint64_t len)
{
	uint8_t *p = host(gpa, len);

	for (uint64_t i = 0; i < len; i++)
		p[i] = (uint8_t)rnd();
}

/* A queue in a random state over random rings: plain random bytes now and
 * then, mostly descriptors that are random but often nearly right. */
static void fuzz_queue(void)
{
	uint16_t size = (uint16_t)(1u << (rnd() % 9));

	layout(size, rnd() & 1, rnd() & 1);
	q.ready = true;
	q.last_avail_idx = (uint16_t)rnd();
	q.used_idx = (uint16_t)rnd();
	if (rnd() % 8 == 0) {
		fuzz_bytes(q.desc_gpa, virtq_desc_bytes(size) + virtq_avail_bytes(size));
		fuzz_bytes(TABLES, 16 * FUZZ_TABLE);
		return;
	}
	fuzz_table(q.desc_gpa, size, size + 2u);
	fuzz_table(TABLES, FUZZ_TABLE, FUZZ_TABLE + 2u);
	struct virtq_avail *a = avail();
	a->flags = (uint16_t)rnd();
	for (unsigned i = 0; i <= size; i++)
		a->ring[i] = fuzz_small(size + 1u);
	a->idx = (uint16_t)(q.last_avail_idx + fuzz_small(size + 2u));
}

/* Every buffer lies inside the guest RAM mapping, and the sums add up. */
static void check_chain(void)
{
	const uint8_t *lo = mem.base, *hi = mem.base + mem.size;
	uint64_t read_len = 0, write_len = 0;

	require(chain.nbufs >= 1 && chain.nbufs <= VIRTQ_MAX_BUFS);
	require(chain.nread <= chain.nbufs);
	require(chain.head < q.size);
	for (unsigned k = 0; k < chain.nbufs; k++) {
		const uint8_t *b = chain.iov[k].iov_base;
		size_t len = chain.iov[k].iov_len;
		require(len > 0 && b >= lo && b < hi && len <= (size_t)(hi - b));
		*(k < chain.nread ? &read_len : &write_len) += len;
	}
	require(chain.read_len == read_len);
	require(chain.write_len == write_len);
}

enum { F_CHAIN, F_EMPTY, F_EINVAL, F_ELOOP, F_E2BIG, F_EFAULT, F_EPROTO, F_OUTCOMES };

static unsigned outcome(int r)
{
	switch (r) {
	case 1: return F_CHAIN;
	case 0: return F_EMPTY;
	case -EINVAL: return F_EINVAL;
	case -ELOOP: return F_ELOOP;
	case -E2BIG: return F_E2BIG;
	case -EFAULT: return F_EFAULT;
	case -EPROTO: return F_EPROTO;
	}
	ck_abort_msg("virtq_pop returned %d", r);
	return F_OUTCOMES;
}

/* Pops until the queue is empty or broken, handing chains back; a queue
 * of n entries yields at most n chains. */
static void fuzz_drain(unsigned *seen)
{
	for (unsigned k = 0; k <= q.size; k++) {
		int r = virtq_pop(&q, &mem, &chain);
		unsigned o = outcome(r);
		seen[o]++;
		if (o == F_EMPTY || o == F_EPROTO)
			return;
		if (o == F_CHAIN)
			check_chain();
		require(virtq_push(&q, &mem, chain.head, (uint32_t)rnd()) == 0);
		(void)virtq_should_notify(&q, &mem);
	}
	ck_abort_msg("more chains than queue entries");
}

START_TEST(fuzz_pop)
{
	unsigned seen[F_OUTCOMES] = { 0 };

	for (unsigned it = 0; it < FUZZ_ITERATIONS; it++) {
		fuzz_queue();
		fuzz_drain(seen);
	}
	/* The fuzzer reached every outcome, so it tested something. */
	for (unsigned o = 0; o < F_OUTCOMES; o++)
		ck_assert_msg(seen[o] > 0, "outcome %u never seen", o);
}
END_TEST

Suite *virtqueue_suite(void)
{
	Suite *s = suite_create("virtqueue");
	TCase *tc = tcase_create("split ring");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, single_readable_buffer);
	tcase_add_test(tc, readable_then_writable_chain);
	tcase_add_test(tc, chains_and_buffers_come_in_order);
	tcase_add_test(tc, buffers_anywhere_in_ram);
	tcase_add_test(tc, indirect_chain);
	tcase_add_test(tc, indirect_table_follows_next);
	tcase_add_test(tc, direct_descriptors_then_indirect_table);
	tcase_add_test(tc, indices_wrap_around);
	tcase_add_test(tc, push_fills_used_ring);
	tcase_add_test(tc, not_ready_queue_is_left_alone);
	tcase_add_test(tc, no_interrupt_flag);
	tcase_add_test(tc, event_idx_notifies_when_used_event_passed);
	tcase_add_test(tc, event_idx_across_wrap);
	tcase_add_test(tc, device_suppresses_notifications_with_flags);
	tcase_add_test(tc, device_suppresses_notifications_with_event_idx);
	suite_add_tcase(s, tc);

	tc = tcase_create("hostile driver");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, descriptor_loop);
	tcase_add_test(tc, chain_longer_than_queue);
	tcase_add_test(tc, more_buffers_than_the_cap);
	tcase_add_test(tc, chain_over_4_gib);
	tcase_add_test(tc, next_out_of_range);
	tcase_add_test(tc, zero_length_buffer);
	tcase_add_test(tc, buffer_outside_ram);
	tcase_add_test(tc, buffer_across_end_of_ram);
	tcase_add_test(tc, readable_after_writable);
	tcase_add_test(tc, nested_indirect);
	tcase_add_test(tc, indirect_not_negotiated);
	tcase_add_test(tc, indirect_table_length);
	tcase_add_test(tc, avail_idx_runs_ahead);
	tcase_add_test(tc, head_out_of_range);
	tcase_add_test(tc, more_in_flight_than_descriptors);
	tcase_add_test(tc, ring_layout_checked);
	tcase_add_test(tc, ring_alignment_in_guest_and_host);
	tcase_add_test(tc, used_ring_apart_from_the_driver_parts);
	tcase_add_test(tc, device_stores_cannot_move_avail_idx);
	tcase_add_test(tc, misaligned_rings_break_the_queue);
	suite_add_tcase(s, tc);

	tc = tcase_create("fuzz");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, fuzz_pop);
	suite_add_tcase(s, tc);
	return s;
}
