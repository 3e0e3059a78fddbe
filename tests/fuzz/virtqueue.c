/* Fuzz target: the split-virtqueue chain walker (devices/virtqueue.c) on
 * a guest RAM, rings and layout the fuzzer chooses, driven by a script of
 * device calls and driver stores in between.
 *
 * Input: a set-up, then `nops` operations of 6 bytes, then the initial
 * contents of guest RAM (the rest of the input, zero-padded):
 *   u8  size_log2   queue size 2^(n % 16): 1 to 32768
 *   u8  flags       FLAG_*
 *   u16 desc, avail, used   ring addresses (see gpa_of)
 *   u8  nops
 *   {u8 op, u8 arg, u16 a, u16 b} x nops
 *
 * Oracle: ASan/UBSan, and what virtqueue.h promises: every iovec lies in
 * guest RAM, the chain's counts and lengths add up, only the documented
 * errors come back, a drain ends. */
#include <errno.h>

#include "devices/virtqueue.h"
#include "src/guest_mem.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE	0x4000
#define HALF		(RAM_SIZE / 2)
#define FOUR_GIB	(1ULL << 32)
#define MAX_HELD	64

enum {
	FLAG_INDIRECT = 1,	/* VIRTIO_F_INDIRECT_DESC negotiated */
	FLAG_EVENT_IDX = 2,	/* VIRTIO_F_EVENT_IDX negotiated */
	FLAG_SPLIT = 4,		/* RAM in two ranges: [0, HALF) and 4 GiB + [0, HALF) */
	FLAG_FORCE_READY = 8,	/* ready even if virtq_check_layout() refused */
};

enum { OP_POP, OP_PUSH, OP_PUSH_ANY, OP_SHOULD_NOTIFY, OP_SET_NOTIFY, OP_STORE, OP_RESET,
       OP_DRAIN, OP_COUNT };

struct state {
	uint8_t *ram;
	struct guest_mem mem;
	struct virtq q;
	uint16_t held[MAX_HELD];	/* heads popped and not yet pushed */
	unsigned nheld;
	struct virtq_chain chain;
};

struct setup {
	uint8_t size_log2, flags;
	uint16_t desc, avail, used;
};

/* With FLAG_SPLIT, RAM offsets from HALF up are guest addresses above 4 GiB. */
static uint64_t gpa_of(const struct setup *s, uint16_t off)
{
	return (s->flags & FLAG_SPLIT) && off >= HALF ? FOUR_GIB + off - HALF : off;
}

static void map_ram(struct state *st, const struct setup *s)
{
	gmem_wrap(&st->mem, st->ram, RAM_SIZE);
	if (s->flags & FLAG_SPLIT) {
		st->mem.ranges[0] = (struct gmem_range){ .gpa = 0, .size = HALF, .host = st->ram };
		st->mem.ranges[1] = (struct gmem_range){ .gpa = FOUR_GIB, .size = HALF,
							 .host = st->ram + HALF };
		st->mem.nranges = 2;
	}
}

/* What the transport does when the driver writes QueueReady. */
static void set_up_queue(struct state *st, const struct setup *s)
{
	struct virtq *q = &st->q;

	virtq_reset(q);
	q->size = (uint16_t)(1u << (s->size_log2 % 16));
	q->desc_gpa = gpa_of(s, s->desc);
	q->avail_gpa = gpa_of(s, s->avail);
	q->used_gpa = gpa_of(s, s->used);
	q->indirect = s->flags & FLAG_INDIRECT;
	q->event_idx = s->flags & FLAG_EVENT_IDX;
	q->ready = virtq_check_layout(q, &st->mem) == 0 || (s->flags & FLAG_FORCE_READY);
	st->nheld = 0;
}

static bool in_one_range(const struct guest_mem *m, const struct iovec *v)
{
	uintptr_t p = (uintptr_t)v->iov_base;

	for (unsigned i = 0; i < m->nranges; i++) {
		uintptr_t lo = (uintptr_t)m->ranges[i].host;
		uint64_t size = m->ranges[i].size;
		if (p >= lo && v->iov_len <= size && p - lo <= size - v->iov_len)
			return true;
	}
	return false;
}

static void check_chain(const struct state *st, const struct virtq_chain *c)
{
	uint64_t read_len = 0, write_len = 0;

	FUZZ_CHECK(c->head < st->q.size);
	FUZZ_CHECK(c->nbufs >= 1 && c->nbufs <= VIRTQ_MAX_BUFS && c->nread <= c->nbufs);
	for (unsigned i = 0; i < c->nbufs; i++) {
		FUZZ_CHECK(c->iov[i].iov_len > 0);
		FUZZ_CHECK(in_one_range(&st->mem, &c->iov[i]));
		if (virtq_buf_writable(c, i))
			write_len += c->iov[i].iov_len;
		else
			read_len += c->iov[i].iov_len;
	}
	FUZZ_CHECK(read_len == c->read_len && write_len == c->write_len);
	FUZZ_CHECK(read_len + write_len <= (1ULL << 32));
}

static bool is_chain_error(int r)
{
	return r == -EINVAL || r == -ELOOP || r == -E2BIG || r == -EFAULT;
}

/* One virtq_pop; a chain, good or bad, is held until pushed back. */
static int pop(struct state *st)
{
	int r = virtq_pop(&st->q, &st->mem, &st->chain);

	FUZZ_CHECK(r == 1 || r == 0 || r == -ENXIO || r == -EPROTO || is_chain_error(r));
	if (r == 1)
		check_chain(st, &st->chain);
	if (r == 1 || is_chain_error(r)) {
		FUZZ_CHECK(st->chain.head < st->q.size);
		if (st->nheld < MAX_HELD)
			st->held[st->nheld++] = st->chain.head;
	}
	FUZZ_CHECK(st->q.inflight <= st->q.size);
	return r;
}

static void push_held(struct state *st, unsigned which, uint32_t written)
{
	if (st->nheld == 0)
		return;
	which %= st->nheld;
	int r = virtq_push(&st->q, &st->mem, st->held[which], written);
	/* A head we hold is in range and in flight: only the queue can fail. */
	FUZZ_CHECK(r == 0 || r == -ENXIO || r == -EPROTO);
	st->held[which] = st->held[--st->nheld];
}

/* A device bug: a chain it holds given back under another head, perhaps
 * one out of range. Only the head in the used ring is wrong. */
static void push_any(struct state *st, uint16_t head, uint32_t written)
{
	if (st->nheld && virtq_push(&st->q, &st->mem, head, written) == 0)
		st->nheld--;
}

/* The loop virtqueue.h prescribes. Every pop consumes an avail entry and
 * the driver adds none meanwhile, so it ends within a ring's worth. */
static void drain(struct state *st)
{
	unsigned pops = 0;
	int r;

	do {
		virtq_set_notify(&st->q, &st->mem, false);
		while ((r = pop(st)) != 0) {
			if (r == -EPROTO || r == -ENXIO)
				return;
			FUZZ_CHECK(++pops <= st->q.size);
			push_held(st, st->nheld - 1, 0);
		}
	} while (virtq_set_notify(&st->q, &st->mem, true));
}

static void run_op(struct state *st, const struct setup *s, struct fuzz_input *in)
{
	uint8_t op = fuzz_u8(in), arg = fuzz_u8(in);
	uint16_t a = fuzz_u16(in), b = fuzz_u16(in);

	switch (op % OP_COUNT) {
	case OP_POP: pop(st); break;
	case OP_PUSH: push_held(st, arg, (uint32_t)a << 16 | b); break;
	case OP_PUSH_ANY: push_any(st, a, b); break;
	case OP_SHOULD_NOTIFY: virtq_should_notify(&st->q, &st->mem); break;
	case OP_SET_NOTIFY: virtq_set_notify(&st->q, &st->mem, arg & 1); break;
	case OP_STORE: /* the driver, between two device calls */
		if (a <= RAM_SIZE - sizeof(b))
			memcpy(st->ram + a, &b, sizeof(b));
		break;
	case OP_RESET: set_up_queue(st, s); break;
	case OP_DRAIN: drain(st); break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	struct setup s = { .size_log2 = fuzz_u8(&in), .flags = fuzz_u8(&in) };
	s.desc = fuzz_u16(&in);
	s.avail = fuzz_u16(&in);
	s.used = fuzz_u16(&in);
	unsigned nops = fuzz_u8(&in);
	struct fuzz_input ops = { in.p, nops * 6 < in.left ? nops * 6 : in.left };

	in.p += ops.left;
	in.left -= ops.left;
	/* Exactly RAM_SIZE on the heap: ASan sees a byte past it. */
	struct state *st = calloc(1, sizeof(*st));
	FUZZ_CHECK(st && (st->ram = calloc(1, RAM_SIZE)));
	fuzz_take(&in, st->ram, RAM_SIZE);
	map_ram(st, &s);
	set_up_queue(st, &s);
	for (unsigned i = 0; i < nops; i++)
		run_op(st, &s, &ops);
	free(st->ram);
	free(st);
	return 0;
}
