/* The hostile guest's random campaign: descriptor tables, indirect tables,
 * avail rings and request headers from a small PRNG (xorshift64, fixed
 * seed: every run is the same run), then random writes to the transport's
 * registers (another seed with vhostile.seed=N on the command line). Whatever the device makes of them, it must answer each
 * notification with used elements naming heads in its table, or with
 * DEVICE_NEEDS_RESET; never hang, and keep serving a well-formed request
 * after a reset. Buffers the device may write lie in `scratch` only; every
 * other address offered is one it must refuse (outside RAM, in the hole,
 * on the MMIO windows, wrapping past 2^64). Short loops: guest code is
 * emulated at 1-2 M instructions/s on some hosts. */
#include "hostile.h"

#define RINGS           300     /* random rings */
#define POKE_ROUNDS     40      /* rounds of random register writes */
#define POKES           8       /* register writes a round */
/* Buffers the device may write start in the first SCRATCH bytes of
 * scratch and are at most SCRATCH long; the ring of a random set-up (at
 * most 256 entries) fits too. */
#define SCRATCH         4096
#define TABLE           16      /* entries of the random indirect table */
#define QSIZE           BLK_QUEUE_SIZE

static uint8_t scratch[2 * SCRATCH] __attribute__((aligned(4096)));
static struct vring_desc table[TABLE];
static uint64_t rng_state;
static uint64_t ram_end;
static uint64_t capacity;

/* What the random rings got: answers with a status, without, resets. */
struct tally {
	unsigned status, empty, resets;
};

static uint64_t rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

static uint32_t below(uint32_t n)
{
	return (uint32_t)(rnd() % n);
}

/* An address at an edge of RAM: the device must refuse a buffer there
 * that does not fit wholly in RAM, and the few that do fit lie in RAM the
 * guest does not use (the end of RAM: above 4 GiB with -m 4G). */
static uint64_t bad_addr(void)
{
	switch (below(6)) {
	case 0: return ram_end - below(1024);           /* across the end of RAM */
	case 1: return 0xc0000000ull - 1 - below(1024); /* across the 3 GiB hole */
	case 2: return 0xd0000000ull + below(0x8000);   /* the virtio windows */
	case 3: return 0x100000000ull - 1 - below(1024); /* the hole, into high RAM */
	case 4: return ~0ull - below(4096);             /* wrapping past 2^64 */
	default: return rnd() | 1ull << 63;
	}
}

static uint32_t small_len(void)
{
	static const uint16_t lens[] = { 0, 1, 16, 17, 48, 512 };

	return below(3) ? lens[below(sizeof(lens) / sizeof(lens[0]))] : below(SCRATCH);
}

/* A random descriptor for entry `i` of a table of `entries`. */
static struct vring_desc rand_desc(unsigned i, unsigned entries)
{
	struct vring_desc d;
	uint32_t kind = below(8);

	d.len = small_len();
	if (kind < 4) {
		d.addr = (uintptr_t)scratch + below(SCRATCH - d.len + 1);
	} else if (kind == 4) {
		d.addr = (uintptr_t)scratch;    /* the header below */
		d.len = below(4) ? sizeof(struct virtio_blk_outhdr) : d.len;
	} else if (kind == 5) {
		d.addr = (uintptr_t)table;
		d.len = below(4) ? 16 * (1 + below(TABLE)) : d.len % sizeof(table);
	} else {
		d.addr = bad_addr();
		d.len = below(4) ? d.len : (uint32_t)rnd();
	}
	d.flags = (uint16_t)((below(4) ? VRING_DESC_F_NEXT : 0) | (below(2) ? VRING_DESC_F_WRITE : 0) |
			     (below(8) ? 0 : VRING_DESC_F_INDIRECT));
	if (!below(16))
		d.flags = (uint16_t)rnd();
	d.next = (uint16_t)(below(4) ? (i + 1) % entries : below(entries + 4));
	return d;
}

/* A header at the start of scratch, mostly of a real type, for a sector
 * at or past the end of the disk now and then. */
static void rand_header(void)
{
	static const uint8_t types[] = {
		VIRTIO_BLK_T_IN, VIRTIO_BLK_T_OUT, VIRTIO_BLK_T_FLUSH, VIRTIO_BLK_T_GET_ID,
		VIRTIO_BLK_T_DISCARD, VIRTIO_BLK_T_WRITE_ZEROES,
	};
	struct virtio_blk_outhdr *h = (struct virtio_blk_outhdr *)scratch;

	h->type = below(8) ? types[below(sizeof(types))] : (uint32_t)rnd();
	h->ioprio = 0;
	h->sector = below((uint32_t)capacity + 4);
}

/* A request as a driver would make it (header, data, status at the end
 * of scratch) in descriptors 0-2, with one field of one of them spoilt. */
static void nearly_good_chain(struct vio_queue *q)
{
	const struct virtio_blk_outhdr *h = (const struct virtio_blk_outhdr *)scratch;
	uint16_t data_flags = h->type == VIRTIO_BLK_T_IN || h->type == VIRTIO_BLK_T_GET_ID ?
			      VRING_DESC_F_WRITE : 0;

	q->desc[0] = (struct vring_desc){ (uintptr_t)scratch, sizeof(*h), VRING_DESC_F_NEXT, 1 };
	q->desc[1] = (struct vring_desc){ (uintptr_t)scratch + 16, 512 * (1 + below(4)),
					  (uint16_t)(data_flags | VRING_DESC_F_NEXT), 2 };
	q->desc[2] = (struct vring_desc){ (uintptr_t)scratch + SCRATCH - 1, 1, VRING_DESC_F_WRITE, 0 };
	struct vring_desc *d = &q->desc[below(3)];
	switch (below(5)) {
	case 0: d->addr = bad_addr(); break;
	case 1: d->len = small_len(); break;
	case 2: d->flags ^= (uint16_t)(1u << below(3)); break;
	case 3: d->next = (uint16_t)below(QSIZE + 4); break;
	default: break; /* unspoilt */
	}
}

static void rand_rings(struct vio_queue *q)
{
	rand_header();
	for (unsigned i = 0; i < QSIZE; i++)
		q->desc[i] = rand_desc(i, QSIZE);
	for (unsigned i = 0; i < TABLE; i++)
		table[i] = rand_desc(i, TABLE);
	int good = below(4) != 0;
	if (good)
		nearly_good_chain(q);
	/* Mostly one chain; sometimes several; now and then an idx far ahead
	 * or a head outside the table. */
	unsigned step = below(4) ? 1 : 1 + below(QSIZE);
	if (!below(32))
		step = QSIZE + 1 + below(0xfff0);
	for (unsigned k = 0; k < step && k < QSIZE; k++)
		q->avail->ring[(q->avail_idx + k) & (QSIZE - 1)] =
			(uint16_t)(k == 0 && good && below(8) ? 0 : below(32) ? below(QSIZE) : rnd());
	vio_barrier();
	q->avail_idx = (uint16_t)(q->avail_idx + step);
	q->avail->idx = q->avail_idx;
	vio_barrier();
}

/* One random ring: NULL if the device answered as it may. */
static const char *one_ring(struct vio_dev *d, void *ring, struct tally *t)
{
	struct vring_used_elem e;

	rand_rings(&d->q);
	vio_notify(d);
	enum vio_wait_result w = vio_wait(d, &e);
	if (w == VIO_NO_ANSWER)
		return "no answer to a notification";
	if (w == VIO_USED && e.id >= QSIZE)
		return "used element names a head outside the table";
	if (w == VIO_USED && e.len)
		t->status++;
	else if (w == VIO_USED)
		t->empty++;
	/* Reading InterruptStatus waits for the device to finish draining
	 * (it holds the transport's lock meanwhile); whatever else it used
	 * then, the next ring starts afresh. */
	vio_ack_interrupt(d);
	d->q.last_used = *(volatile uint16_t *)&d->q.used->idx;
	if (w == VIO_USED && !(vio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET))
		return NULL;
	t->resets++;
	return hostile_restart(d, ring);
}

static const char *random_rings(struct vio_dev *d, void *ring, struct tally *t)
{
	for (unsigned i = 0; i < RINGS; i++) {
		const char *why = one_ring(d, ring, t);
		if (why)
			return why;
	}
	return hostile_read_ok(d, 0);
}

/* A value for register `reg`: ring addresses the device may use (scratch)
 * or must refuse, else small numbers or anything. */
static uint32_t poke_value(uint32_t reg)
{
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_LOW:
	case VIRTIO_MMIO_QUEUE_USED_LOW:
		return below(2) ? (uint32_t)(uintptr_t)scratch : (uint32_t)bad_addr();
	case VIRTIO_MMIO_QUEUE_DESC_HIGH: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_HIGH:
		return below(2) ? 0 : (uint32_t)rnd();
	default:
		return below(2) ? below(16) : (uint32_t)rnd();
	}
}

static const char *poke_round(struct vio_dev *d, void *ring)
{
	static const uint16_t regs[] = {
		VIRTIO_MMIO_DEVICE_FEATURES_SEL, VIRTIO_MMIO_DRIVER_FEATURES,
		VIRTIO_MMIO_DRIVER_FEATURES_SEL, VIRTIO_MMIO_QUEUE_SEL, VIRTIO_MMIO_QUEUE_NUM,
		VIRTIO_MMIO_QUEUE_READY, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_MMIO_INTERRUPT_ACK,
		VIRTIO_MMIO_STATUS, VIRTIO_MMIO_QUEUE_DESC_LOW, VIRTIO_MMIO_QUEUE_DESC_HIGH,
		VIRTIO_MMIO_QUEUE_AVAIL_LOW, VIRTIO_MMIO_QUEUE_AVAIL_HIGH,
		VIRTIO_MMIO_QUEUE_USED_LOW, VIRTIO_MMIO_QUEUE_USED_HIGH,
		VIRTIO_MMIO_MAGIC_VALUE, VIRTIO_MMIO_CONFIG_GENERATION, 0x0fc, VIRTIO_MMIO_CONFIG,
	};

	for (unsigned k = 0; k < POKES; k++) {
		uint32_t reg = regs[below(sizeof(regs) / sizeof(regs[0]))];
		vio_write(d, reg, poke_value(reg));
	}
	/* Every register read back, whatever state that left. */
	for (unsigned reg = 0; reg < VIRTIO_MMIO_CONFIG; reg += 4)
		(void)vio_read(d, reg);
	const char *why = hostile_restart(d, ring);
	return why ? why : hostile_read_ok(d, 0);
}

static const char *random_pokes(struct vio_dev *d, void *ring)
{
	for (unsigned i = 0; i < POKE_ROUNDS; i++) {
		const char *why = poke_round(d, ring);
		if (why)
			return why;
	}
	return NULL;
}

void hostile_random(struct hostile_report *r, struct vio_dev *d, void *ring, uint64_t ram_top,
		    uint64_t seed)
{
	struct tally t = { 0, 0, 0 };

	rng_state = seed;
	ram_end = ram_top;
	capacity = blk_capacity(d);
	hostile_verdict(r, "300 random rings on the second disk, then a well-formed read",
			random_rings(d, ring, &t));
	/* Not compared by run.sh: a figure on how far the rings got. */
	puts("vhostile: random rings (seed ");
	put_dec(seed);
	puts("): first chain answered with a status ");
	put_dec(t.status);
	puts(", failed empty ");
	put_dec(t.empty);
	puts(", reset ");
	put_dec(t.resets);
	putc('\n');
	hostile_verdict(r, "40 rounds of random register writes, each then a reset and a read",
			random_pokes(d, ring));
}
