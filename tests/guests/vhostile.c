/* vhostile: a hostile driver for virtio-blk (issue 7's campaign). It hands
 * the first disk malformed chains, rings and queue set-ups, each crafted
 * to break one rule, and checks that microrun did what devices/virtqueue.h
 * documents: the request failed (used length 0 and no status written, or
 * a status of IOERR/UNSUPP), or the device set DEVICE_NEEDS_RESET in
 * Status and raised a configuration interrupt (2.1.2). After each it shows
 * that a well-formed read still works: on the same queue where the spec
 * lets the device go on, after a reset where it does not. Then it feeds
 * the second disk random rings and register writes (hostile_random.c).
 *
 * Run with -m 4G (RAM on both sides of the 3 GiB hole) and two disks
 * holding the "host" pattern (blk.h). The only write that may reach the
 * first disk's file is the well-formed one of sector 7 at the end.
 * Prints "vhostile: ok CASE" or "vhostile: FAIL CASE: WHY" per case and a
 * summary; powers off (0) if every case passed, resets (122) otherwise. */
#include "hostile.h"

#define FEATURES (1ull << VIRTIO_RING_F_INDIRECT_DESC | 1ull << VIRTIO_BLK_F_FLUSH | \
		  1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES)
#define W        VRING_DESC_F_WRITE
#define NEXT     VRING_DESC_F_NEXT
#define INDIRECT VRING_DESC_F_INDIRECT
#define HOLE     0xc0000000ull                  /* the 32-bit MMIO hole ... */
#define HIGH_RAM 0x100000000ull                 /* ... up to 4 GiB */
#define NO_SUCH_INDEX 8                         /* BLK_QUEUE_SIZE */
#define DEFAULT_SEED  0x9e3779b97f4a7c15ull

static uint8_t ring[2][VIO_RING_BYTES] __attribute__((aligned(4096)));
static uint8_t data[2][BLK_SECTOR] __attribute__((aligned(16)));
static struct vring_desc itab[4];
static struct vio_dev blk;
static uint64_t capacity;
static struct hostile_report report;

/* --- verdicts ------------------------------------------------------------- */

void hostile_verdict(struct hostile_report *r, const char *name, const char *why)
{
	puts(why ? "vhostile: FAIL " : "vhostile: ok ");
	puts(name);
	if (why) {
		puts(": ");
		puts(why);
		r->failed++;
	} else {
		r->passed++;
	}
	putc('\n');
}

const char *hostile_read_ok(struct vio_dev *d, int check_data)
{
	struct vio_buf buf = { (uintptr_t)data[0], BLK_SECTOR, 0 };

	memset(data[0], 0, BLK_SECTOR);
	struct blk_result r = blk_request(d, VIRTIO_BLK_T_IN, 0, &buf, 1);
	vio_ack_interrupt(d);
	if (r.wait != VIO_USED || r.status != VIRTIO_BLK_S_OK || r.len != BLK_SECTOR + 1)
		return "a well-formed read afterwards failed";
	if (check_data && !blk_is_pattern(data[0], "host", 0))
		return "a well-formed read afterwards read wrong data";
	return NULL;
}

static int needs_reset(const struct vio_dev *d)
{
	return !!(vio_read(d, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* A well-formed read was served in full. */
static const char *served(struct blk_result r)
{
	if (r.wait != VIO_USED || r.id != 0 || r.len != BLK_SECTOR + 1 || r.status != VIRTIO_BLK_S_OK)
		return "not served";
	vio_ack_interrupt(&blk);
	return NULL;
}

/* The request failed without a status: its head back, nothing written. */
static const char *failed_empty(struct blk_result r)
{
	if (r.wait != VIO_USED)
		return r.wait == VIO_NEEDS_RESET ? "device needs reset" : "no answer";
	if (r.id != 0 || r.len != 0)
		return "used element is not (head 0, length 0)";
	if (r.status != BLK_NO_STATUS)
		return "status byte written";
	if (!(vio_ack_interrupt(&blk) & VIRTIO_MMIO_INT_VRING))
		return "no used-buffer interrupt";
	return needs_reset(&blk) ? "device needs reset" : NULL;
}

static const char *failed_status(struct blk_result r, uint8_t status)
{
	if (r.wait != VIO_USED)
		return r.wait == VIO_NEEDS_RESET ? "device needs reset" : "no answer";
	if (r.id != 0 || r.len != 1)
		return "used element is not (head 0, length 1)";
	if (r.status != status)
		return status == VIRTIO_BLK_S_IOERR ? "status is not IOERR" : "status is not UNSUPP";
	vio_ack_interrupt(&blk);
	return needs_reset(&blk) ? "device needs reset" : NULL;
}

/* 2.1.2: DEVICE_NEEDS_RESET, announced by a configuration interrupt. */
static const char *reset_wanted(enum vio_wait_result w)
{
	if (w != VIO_NEEDS_RESET)
		return w == VIO_USED ? "request served" : "no DEVICE_NEEDS_RESET";
	if (!(vio_ack_interrupt(&blk) & VIRTIO_MMIO_INT_CONFIG))
		return "no configuration interrupt";
	return NULL;
}

const char *hostile_restart(struct vio_dev *d, void *queue_ring)
{
	return vio_start(d, FEATURES, queue_ring, BLK_QUEUE_SIZE) ? "no restart after a reset" : NULL;
}

/* The case's verdict, including the well-formed read after it: on the same
 * queue, or after a reset when the case wanted one. */
static void verdict(const char *name, const char *why, int reset)
{
	const char *after = NULL;

	if (reset || (why && needs_reset(&blk)))
		after = hostile_restart(&blk, ring[0]);
	if (!why)
		why = after ? after : hostile_read_ok(&blk, 1);
	hostile_verdict(&report, name, why);
}

/* --- malformed chains ------------------------------------------------------ */

static void desc(uint16_t i, uint64_t addr, uint32_t len, uint16_t flags, uint16_t next)
{
	blk.q.desc[i] = (struct vring_desc){ .addr = addr, .len = len, .flags = flags, .next = next };
}

static struct blk_result go(void)
{
	vio_publish(&blk.q, 0);
	return blk_finish(&blk);
}

/* Header, one data buffer, status in descriptors 0-2: callers spoil one. */
static void usual(uint32_t type, uint64_t sector, uint64_t addr, uint32_t len, uint16_t flags)
{
	struct blk_req *r = blk_req_prepare(type, sector);

	desc(0, (uintptr_t)&r->hdr, sizeof(r->hdr), NEXT, 1);
	desc(1, addr, len, flags | NEXT, 2);
	desc(2, (uintptr_t)&r->status, 1, W, 0);
}

static void read_into(uint64_t addr, uint32_t len)
{
	usual(VIRTIO_BLK_T_IN, 0, addr, len, W);
}

/* A write of sector 4, which must stay as the host wrote it. */
static void write_from(uint64_t addr, uint32_t len)
{
	usual(VIRTIO_BLK_T_OUT, 4, addr, len, 0);
}

static void empty(const char *name)
{
	verdict(name, failed_empty(go()), 0);
}

static void status(const char *name, uint8_t s)
{
	verdict(name, failed_status(go(), s), 0);
}

static void bad_buffers(uint64_t ram_top)
{
	uint64_t d = (uintptr_t)data[0];

	read_into(ram_top, BLK_SECTOR);
	empty("read into a buffer past the end of RAM");
	read_into(ram_top - 256, BLK_SECTOR);
	empty("read into a buffer across the end of RAM");
	read_into(HOLE - 256, BLK_SECTOR);
	empty("read into a buffer across the 3 GiB hole");
	read_into(HIGH_RAM - 256, BLK_SECTOR);
	empty("read into a buffer from the hole into RAM above 4 GiB");
	read_into(0xd0000000, BLK_SECTOR);
	empty("read into the virtio-mmio windows");
	read_into(~0ull - 255, BLK_SECTOR);
	empty("read into a buffer whose end wraps past 2^64");
	write_from(ram_top, BLK_SECTOR);
	empty("write from a buffer past the end of RAM");
	read_into(d, 0);
	empty("zero-length data buffer");
	read_into(d, BLK_SECTOR);
	desc(2, (uintptr_t)&blk_req_prepare(VIRTIO_BLK_T_IN, 0)->status, 0, W, 0);
	empty("zero-length status buffer");
}

static void bad_chains(void)
{
	uint64_t d = (uintptr_t)data[0];

	read_into(d, BLK_SECTOR);
	desc(1, d, BLK_SECTOR, W | NEXT, 0);
	empty("descriptor loop");
	read_into(d, BLK_SECTOR);
	for (uint16_t i = 1; i < BLK_QUEUE_SIZE; i++)
		desc(i, d, 64, W | NEXT, (uint16_t)((i + 1) % BLK_QUEUE_SIZE));
	empty("chain longer than the queue");
	read_into(d, BLK_SECTOR);
	desc(1, d, BLK_SECTOR, W | NEXT, NO_SUCH_INDEX);
	empty("next index outside the table");
	read_into(d, BLK_SECTOR);
	desc(0, blk.q.desc[0].addr, 16, W | NEXT, 1);
	empty("device-writable header");
	usual(VIRTIO_BLK_T_IN, 0, (uintptr_t)&blk_req_prepare(VIRTIO_BLK_T_IN, 0)->status, 1, W);
	desc(2, d, BLK_SECTOR, 0, 0);
	empty("device-readable buffer after a writable one");
	write_from(d, BLK_SECTOR);
	desc(2, blk.q.desc[2].addr, 1, 0, 0);
	empty("write with its status byte device-readable");
	read_into(d, BLK_SECTOR);
	desc(0, blk.q.desc[0].addr, 8, NEXT, 1);
	empty("header of 8 bytes");
}

/* The chain as one indirect descriptor of `len` bytes at `table`. */
static void indirect(uint64_t table, uint32_t len, uint16_t flags)
{
	struct blk_req *r = blk_req_prepare(VIRTIO_BLK_T_IN, 0);

	itab[0] = (struct vring_desc){ (uintptr_t)&r->hdr, sizeof(r->hdr), NEXT, 1 };
	itab[1] = (struct vring_desc){ (uintptr_t)data[0], BLK_SECTOR, W | NEXT, 2 };
	itab[2] = (struct vring_desc){ (uintptr_t)&r->status, 1, W, 0 };
	desc(0, table, len, INDIRECT | flags, 1);
}

static void bad_indirect(uint64_t ram_top)
{
	indirect((uintptr_t)itab, 3 * 16, 0);
	verdict("well-formed indirect table (control)", served(go()), 0);
	indirect((uintptr_t)itab, 17, 0);
	empty("indirect table of 17 bytes");
	indirect((uintptr_t)itab, 0, 0);
	empty("indirect table of 0 bytes");
	indirect((uintptr_t)itab, 1025 * 16, 0);
	empty("indirect table of 1025 entries");
	indirect(ram_top - 32, 3 * 16, 0);
	empty("indirect table across the end of RAM");
	indirect((uintptr_t)itab, 3 * 16, NEXT);
	empty("indirect descriptor with NEXT");
	indirect((uintptr_t)itab, 4 * 16, 0);
	itab[2].flags = W | NEXT;
	itab[2].next = 3;
	itab[3] = (struct vring_desc){ (uintptr_t)itab, 3 * 16, INDIRECT, 0 };
	empty("indirect table inside an indirect table");
	indirect((uintptr_t)itab, 3 * 16, 0);
	itab[2].flags = W | NEXT;
	itab[2].next = 0;
	empty("loop inside an indirect table");
}

/* Requests that parse but must fail with a status. */
static void bad_requests(void)
{
	uint64_t d = (uintptr_t)data[0];

	usual(VIRTIO_BLK_T_IN, 0, d, BLK_SECTOR, 0);
	status("read into a device-readable buffer", VIRTIO_BLK_S_IOERR);
	usual(VIRTIO_BLK_T_OUT, 4, d, BLK_SECTOR, W);
	status("write from a device-writable buffer", VIRTIO_BLK_S_IOERR);
	usual(VIRTIO_BLK_T_IN, capacity, d, BLK_SECTOR, W);
	status("read past the end of the disk", VIRTIO_BLK_S_IOERR);
	usual(VIRTIO_BLK_T_IN, ~0ull, d, BLK_SECTOR, W);
	status("read of sector 2^64-1", VIRTIO_BLK_S_IOERR);
	usual(VIRTIO_BLK_T_OUT, capacity - 1, d, 2 * BLK_SECTOR, 0);
	status("write across the end of the disk", VIRTIO_BLK_S_IOERR);
	usual(VIRTIO_BLK_T_OUT, 5, d, 100, 0);
	status("write of 100 bytes", VIRTIO_BLK_S_IOERR);
	usual(0x99, 0, d, BLK_SECTOR, W);
	status("unknown request type", VIRTIO_BLK_S_UNSUPP);
	struct virtio_blk_discard_write_zeroes *seg = (void *)data[0];
	*seg = (struct virtio_blk_discard_write_zeroes){ .sector = 4, .num_sectors = 1,
		.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP };
	usual(VIRTIO_BLK_T_DISCARD, 0, d, sizeof(*seg), 0);
	status("discard with the unmap flag", VIRTIO_BLK_S_UNSUPP);
	usual(VIRTIO_BLK_T_WRITE_ZEROES, 0, d, 2 * BLK_SECTOR, 0);
	status("write-zeroes of 64 segments", VIRTIO_BLK_S_IOERR);
}

/* --- broken rings and queue set-ups ---------------------------------------- */

static void bad_rings(void)
{
	read_into((uintptr_t)data[0], BLK_SECTOR);
	blk.q.avail->ring[blk.q.avail_idx & (BLK_QUEUE_SIZE - 1)] = 0;
	blk.q.avail->idx = (uint16_t)(blk.q.avail_idx + 100);
	verdict("avail idx 100 ahead", reset_wanted(blk_finish(&blk).wait), 1);
	read_into((uintptr_t)data[0], BLK_SECTOR);
	vio_publish(&blk.q, NO_SUCH_INDEX);
	verdict("avail ring names a head outside the table", reset_wanted(blk_finish(&blk).wait), 1);
}

/* QueueReady with one thing wrong: the queue must stay off, and the device
 * ask for a reset. */
static void bad_setup(const char *name, uint32_t size, uint64_t desc_gpa, uint64_t used_gpa)
{
	struct vio_queue *q = &blk.q;
	const char *why = NULL;

	vio_negotiate(&blk, FEATURES);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_SEL, 0);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_NUM, size);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)desc_gpa);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(desc_gpa >> 32));
	vio_write(&blk, VIRTIO_MMIO_QUEUE_AVAIL_LOW, (uint32_t)(uintptr_t)q->avail);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_AVAIL_HIGH, 0);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_USED_LOW, (uint32_t)used_gpa);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_USED_HIGH, (uint32_t)(used_gpa >> 32));
	vio_write(&blk, VIRTIO_MMIO_QUEUE_READY, 1);
	if (vio_read(&blk, VIRTIO_MMIO_QUEUE_READY))
		why = "queue ready";
	else
		why = reset_wanted(needs_reset(&blk) ? VIO_NEEDS_RESET : VIO_NO_ANSWER);
	verdict(name, why, 1);
}

static void bad_setups(uint64_t ram_top)
{
	uint64_t desc = (uintptr_t)blk.q.desc, used = (uintptr_t)blk.q.used;

	bad_setup("queue size 6, not a power of two", 6, desc, used);
	bad_setup("queue size 32768, above QueueNumMax", 32768, desc, used);
	bad_setup("queue size 65536", 65536, desc, used);
	bad_setup("descriptor table 8 bytes off alignment", BLK_QUEUE_SIZE, desc + 8, used);
	bad_setup("used ring 2 bytes off alignment", BLK_QUEUE_SIZE, desc, used + 2);
	bad_setup("descriptor table across the 3 GiB hole", BLK_QUEUE_SIZE, HOLE - 64, used);
	bad_setup("used ring on the virtio-mmio windows", BLK_QUEUE_SIZE, desc, 0xd0001000);
	bad_setup("used ring past the end of RAM", BLK_QUEUE_SIZE, desc, ram_top - 16);
}

/* --- the transport ----------------------------------------------------------- */

static const char *status_after(uint32_t features_lo, uint32_t features_hi, uint32_t want)
{
	vio_reset(&blk);
	vio_write(&blk, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	vio_write(&blk, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vio_write(&blk, VIRTIO_MMIO_DRIVER_FEATURES, features_lo);
	vio_write(&blk, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vio_write(&blk, VIRTIO_MMIO_DRIVER_FEATURES, features_hi);
	vio_write(&blk, VIRTIO_MMIO_STATUS, vio_read(&blk, VIRTIO_MMIO_STATUS) | want);
	return vio_read(&blk, VIRTIO_MMIO_STATUS) & want ? "status bit taken" : NULL;
}

static void bad_transport(void)
{
	const uint32_t v1 = 1u << (VIRTIO_F_VERSION_1 - 32);

	verdict("FEATURES_OK without VERSION_1", status_after(0, 0, VIRTIO_CONFIG_S_FEATURES_OK), 1);
	verdict("FEATURES_OK with a feature not offered (RING_PACKED)",
		status_after(0, v1 | 1u << (VIRTIO_F_RING_PACKED - 32), VIRTIO_CONFIG_S_FEATURES_OK), 1);
	verdict("DRIVER_OK before FEATURES_OK", status_after(0, v1, VIRTIO_CONFIG_S_DRIVER_OK), 1);
	/* Set-up writes to a ready queue are ignored (4.2.2.2): the rings stay. */
	vio_write(&blk, VIRTIO_MMIO_QUEUE_SEL, 0);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_DESC_LOW, 0xd0000000);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_NUM, 3);
	verdict("ring address and size rewritten while the queue is ready", NULL, 0);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_NOTIFY, 7);
	vio_write(&blk, VIRTIO_MMIO_QUEUE_NOTIFY, 0xffffffff);
	verdict("notify of queues that do not exist", needs_reset(&blk) ? "device needs reset" : NULL, 0);
	volatile uint8_t *cfg = vio_config(&blk);
	const char *why = NULL;
	if (*(volatile uint64_t *)cfg != capacity)
		why = "8-byte read of the capacity differs";
	*(volatile uint32_t *)cfg = 0;
	if (blk_capacity(&blk) != capacity)
		why = "capacity changed by a write";
	/* inside the register window, past virtio_blk_config */
	if (*(volatile uint32_t *)(cfg + 0xf0))
		why = "read past the configuration space not 0";
	verdict("configuration space: a write, an 8-byte and an out-of-range read", why, 0);
}

/* --- main ---------------------------------------------------------------------- */

static uint64_t ram_top_of(const struct boot_params *bp)
{
	uint64_t top = 0;

	for (unsigned i = 0; i < bp->e820_entries && i < E820_MAX_ENTRIES_ZEROPAGE; i++) {
		const struct boot_e820_entry *e = &bp->e820_table[i];
		if (e->type == 1 && e->addr + e->size > top)
			top = e->addr + e->size;
	}
	return top;
}

/* N from "vhostile.seed=N" (decimal, not 0) on the command line, else
 * DEFAULT_SEED: run.sh uses that; other seeds make other campaigns. */
static uint64_t seed_of(const struct boot_params *bp)
{
	static const char key[] = "vhostile.seed=";
	const char *p = (const char *)(uintptr_t)bp->hdr.cmd_line_ptr;
	uint64_t seed = 0;

	for (; *p; p++) {
		unsigned i = 0;
		while (key[i] && p[i] == key[i])
			i++;
		if (key[i])
			continue;
		for (p += i; *p >= '0' && *p <= '9'; p++)
			seed = seed * 10 + (uint64_t)(*p - '0');
		break;
	}
	return seed ? seed : DEFAULT_SEED;
}

static void last_write(void)
{
	struct vio_buf buf = { (uintptr_t)data[0], BLK_SECTOR, 0 };

	blk_pattern(data[0], "vhst", 7);
	struct blk_result r = blk_request(&blk, VIRTIO_BLK_T_OUT, 7, &buf, 1);
	hostile_verdict(&report, "well-formed write of sector 7 at the end",
			r.wait == VIO_USED && r.status == VIRTIO_BLK_S_OK ? NULL : "failed");
}

void guest_main(const struct boot_params *bp)
{
	uint64_t ram_top = ram_top_of(bp);
	struct vio_dev other;

	if (blk_start(&blk, 0, FEATURES, ring[0]) || blk_start(&other, 1, FEATURES, ring[1])) {
		puts("vhostile: FAIL two virtio-blk disks needed\n");
		reset();
	}
	capacity = blk_capacity(&blk);
	verdict("well-formed read (control)", NULL, 0);
	bad_buffers(ram_top);
	bad_chains();
	bad_indirect(ram_top);
	bad_requests();
	bad_rings();
	bad_setups(ram_top);
	bad_transport();
	last_write();
	hostile_random(&report, &other, ring[1], ram_top, seed_of(bp));
	/* Not compared by run.sh: what bounds microrun's -v reports (one a reset). */
	puts("vhostile: resets: first disk ");
	put_dec(blk.resets);
	puts(", second disk ");
	put_dec(other.resets);
	putc('\n');
	puts("vhostile: ");
	put_dec(report.passed);
	puts(" passed, ");
	put_dec(report.failed);
	puts(" failed\n");
	if (report.failed)
		reset();
	poweroff();
}
