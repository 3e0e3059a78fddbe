/* virtio-blk driven as Linux's virtio_blk driver drives it, through the
 * virtio-mmio transport: probe and feature negotiation, the configuration
 * space, then requests laid out as virtblk_add_req does (header, data,
 * status byte) on a queue set up as virtio_ring does, kicked when the
 * device asks for it and completed by interrupt, against a real sparse
 * file. Then what a careless or hostile driver sends. */
#include <check.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "src/guest_mem.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "tests/unit/virtio_driver.h"
#include "tests/unit/virtio_mmio_driver.h"

#define MIB       (1ULL << 20)
#define RAM_SIZE  (16 * MIB)
#define RINGS     0x10000ULL	/* the queue, as vring_init lays it out */
#define TABLES    0x20000ULL	/* indirect tables */
#define DATA      0x100000ULL	/* headers, data and status bytes */

#define SECTOR    VIRTIO_BLK_SECTOR
#define DISK_SIZE (8 * MIB)
#define SECTORS   (DISK_SIZE / SECTOR)
#define SERIAL    "mr-disk-0042"

#define R         0
#define W         VIRTQ_DESC_F_WRITE
/* What the device writes over and the driver checks: no valid status. */
#define POISON    0xa5
#define MAX_DATA  VIRTQ_MAX_BUFS

#define BIT(n)      (1ULL << (n))
#define F_INDIRECT  BIT(VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX BIT(VIRTIO_RING_F_EVENT_IDX)
#define TRANSPORT_FEATURES (BIT(VIRTIO_F_VERSION_1) | F_INDIRECT | F_EVENT_IDX)
/* What Linux asks for: virtio_blk's feature table, the ring's, VERSION_1. */
#define LINUX_FEATURES (BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_SIZE_MAX) |           \
			BIT(VIRTIO_BLK_F_GEOMETRY) | BIT(VIRTIO_BLK_F_RO) |                \
			BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH) |             \
			BIT(VIRTIO_BLK_F_TOPOLOGY) | BIT(VIRTIO_BLK_F_CONFIG_WCE) |        \
			BIT(VIRTIO_BLK_F_MQ) | BIT(VIRTIO_BLK_F_DISCARD) |                 \
			BIT(VIRTIO_BLK_F_WRITE_ZEROES) | BIT(VIRTIO_BLK_F_SECURE_ERASE) |  \
			TRANSPORT_FEATURES)
#define CFG(field)  offsetof(struct virtio_blk_config, field)

static struct guest_mem mem;
static struct virtio_mmio t;
static struct virtio_blk blk;
static struct vdrv drv;
static int disk_fd = -1;
static bool irq;
static unsigned irq_raised;	/* rising edges of the line */

/* A request as the driver sees it complete. */
struct done {
	uint32_t len;		/* used length */
	uint8_t status;		/* the status byte, POISON if never written */
};

#define expect_done(d, st, l)                                   \
	do {                                                    \
		struct done d_ = (d);                           \
		ck_assert_uint_eq(d_.status, (st));             \
		ck_assert_uint_eq(d_.len, (l));                 \
	} while (0)

/* --- the transport, as Linux's virtio_mmio drives it ------------------ */

static void set_irq(void *ctx, bool level)
{
	(void)ctx;
	irq_raised += level && !irq;
	irq = level;
}

static uint32_t rd(uint64_t off)
{
	return mdrv_rd(&t, off);
}

static void wr(uint64_t off, uint32_t v)
{
	mdrv_wr(&t, off, v);
}

static uint64_t cfg64(size_t off)
{
	uint64_t v;

	virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + off, &v, 8);
	return v;
}

static uint32_t cfg32(size_t off)
{
	return rd(VIRTIO_MMIO_CONFIG + off);
}

/* Probe: identify, reset, handshake, negotiate what both sides know of
 * `wanted`, set up the queue, DRIVER_OK. */
static void bring_up(uint64_t wanted)
{
	uint64_t features = mdrv_negotiate(&t, VIRTIO_ID_BLOCK, wanted);

	mdrv_setup_queue(&t, 0, &drv, &mem, RINGS, features);
	mdrv_add_status(&t, VIRTIO_CONFIG_S_DRIVER_OK);
	ck_assert(virtio_mmio_driver_ok(&t));
}

/* --- the disk ---------------------------------------------------------- */

static int sparse_file(uint64_t size)
{
	int fd = test_file_with(NULL, 0);

	ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
	return fd;
}

/* The device over `fd`, which it now owns, and a driver bound to it. */
static void attach(int fd, uint64_t size, bool read_only)
{
	const struct virtio_mmio_ops ops = { .set_irq = set_irq };
	struct virtio_blk_backend be = { .fd = fd, .read_only = read_only, .size = size };

	if (disk_fd >= 0)
		close(disk_fd);
	disk_fd = fd;
	irq = false;
	snprintf(be.serial, sizeof(be.serial), "%s", SERIAL);
	virtio_blk_init(&blk, &be, &t, &mem);
	virtio_mmio_init(&t, &virtio_blk_ops, &blk, virtio_blk_features(&blk), &ops, &mem);
	bring_up(LINUX_FEATURES);
}

static long long blocks(void)
{
	struct stat st;

	ck_assert_int_eq(fstat(disk_fd, &st), 0);
	return (long long)st.st_blocks;
}

static void file_read(uint64_t sector, void *buf, size_t len)
{
	ck_assert_int_eq(pread(disk_fd, buf, len, (off_t)(sector * SECTOR)), (ssize_t)len);
}

static void file_write(uint64_t sector, const void *buf, size_t len)
{
	ck_assert_int_eq(pwrite(disk_fd, buf, len, (off_t)(sector * SECTOR)), (ssize_t)len);
}

static bool all_bytes(const uint8_t *p, size_t len, uint8_t byte)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != byte)
			return false;
	return true;
}

/* Nothing ever reached the (sparse, empty) file. */
static void expect_disk_untouched(void)
{
	static uint8_t buf[DISK_SIZE];

	ck_assert_int_eq(blocks(), 0);
	file_read(0, buf, sizeof(buf));
	ck_assert(all_bytes(buf, sizeof(buf), 0));
}

/* What sectors from `sector` on hold once written with `seed`: never
 * zero, different for each seed and each byte of the disk. */
static void fill(uint8_t *p, uint64_t sector, size_t len, unsigned seed)
{
	for (size_t i = 0; i < len; i++) {
		uint64_t off = sector * SECTOR + i;
		p[i] = (uint8_t)((off * 7 + seed * 13 + (off >> 9)) % 255 + 1);
	}
}

static void start_guest(void)
{
	ck_assert_int_eq(gmem_create(&mem, RAM_SIZE, 3ULL << 30), 0);
	drv = (struct vdrv){ .data = DATA, .data_end = RAM_SIZE, .tables = TABLES, .tables_end = DATA };
	irq_raised = 0;
	disk_fd = -1;
}

static void setup(void)
{
	start_guest();
	attach(sparse_file(DISK_SIZE), DISK_SIZE, false);
}

/* A read-only disk holding fill(RO_SEED) in sectors [8, 16). */
#define RO_SEED 99

static void setup_read_only(void)
{
	uint8_t buf[8 * SECTOR];

	start_guest();
	attach(sparse_file(DISK_SIZE), DISK_SIZE, true);
	fill(buf, 8, sizeof(buf), RO_SEED);
	file_write(8, buf, sizeof(buf));
}

static void teardown(void)
{
	close(disk_fd);
	gmem_destroy(&mem);
}

/* --- requests, as virtio_blk and virtio_ring make them ---------------- */

static uint8_t *bytes(struct vbuf b)
{
	return vdrv_host(&drv, b.gpa, b.len);
}

static struct vbuf readable(const void *src, uint32_t len)
{
	struct vbuf b = { len, R, vdrv_alloc(&drv, len) };

	memcpy(bytes(b), src, len);
	return b;
}

static struct vbuf writable(uint32_t len)
{
	struct vbuf b = { len, W, vdrv_alloc(&drv, len) };

	memset(bytes(b), POISON, len);
	return b;
}

static struct vbuf header(uint32_t type, uint64_t sector)
{
	struct virtio_blk_outhdr h = { .type = type, .sector = sector };

	return readable(&h, sizeof(h));
}

static bool untouched(struct vbuf b)
{
	return all_bytes(bytes(b), b.len, POISON);
}

/* virtblk_add_req: header, data, status byte; returns the buffer count. */
static unsigned build(struct vbuf *chain, uint32_t type, uint64_t sector,
		      const struct vbuf *data, unsigned n)
{
	chain[0] = header(type, sector);
	for (unsigned k = 0; k < n; k++)
		chain[k + 1] = data[k];
	chain[n + 1] = writable(1);
	return n + 2;
}

/* virtqueue_kick: only if the device asked to hear about new buffers. */
static void kick(void)
{
	if (vdrv_kick_prepare(&drv))
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
}

/* vm_interrupt: the line is up for used buffers; acknowledge. */
static void take_interrupt(void)
{
	ck_assert(irq);
	uint32_t why = rd(VIRTIO_MMIO_INTERRUPT_STATUS);
	ck_assert_uint_eq(why, VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, why);
	ck_assert(!irq);
}

/* virtqueue_get_buf, which with EVENT_IDX asks to hear of the next one. */
static bool get_used(struct virtq_used_elem *e)
{
	if (!vdrv_get_used(&drv, e))
		return false;
	if (drv.event_idx)
		__atomic_store_n(vdrv_used_event(&drv), drv.last_used, __ATOMIC_SEQ_CST);
	return true;
}

/* One chain through the queue, start to finish: the used length. */
static uint32_t run(const struct vbuf *chain, unsigned n)
{
	struct virtq_used_elem e;
	uint16_t head = vdrv_add(&drv, chain, n);

	kick();
	take_interrupt();
	ck_assert(get_used(&e));
	ck_assert_uint_eq(e.id, head);
	ck_assert(!get_used(&e));
	return e.len;
}

static struct done submit(uint32_t type, uint64_t sector, const struct vbuf *data, unsigned n)
{
	static struct vbuf chain[MAX_DATA + 2];
	unsigned count = build(chain, type, sector, data, n);
	uint32_t len = run(chain, count);

	return (struct done){ .len = len, .status = *bytes(chain[count - 1]) };
}

/* A chain the device must drop: used length 0, not a byte of it written. */
static void expect_dropped(const struct vbuf *chain, unsigned n)
{
	static uint8_t before[2 * MIB];
	uint64_t off = 0;

	for (unsigned k = 0; k < n; off += chain[k++].len) {
		ck_assert_uint_le(off + chain[k].len, sizeof(before));
		memcpy(before + off, bytes(chain[k]), chain[k].len);
	}
	ck_assert_uint_eq(run(chain, n), 0);
	off = 0;
	for (unsigned k = 0; k < n; off += chain[k++].len)
		ck_assert(memcmp(before + off, bytes(chain[k]), chain[k].len) == 0);
}

/* `src` as readable buffers of the given sizes. */
static void out_data(struct vbuf *data, const uint8_t *src, const uint32_t *sizes, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		data[k] = readable(src, sizes[k]);
		src += sizes[k];
	}
}

static void in_data(struct vbuf *data, const uint32_t *sizes, unsigned n)
{
	for (unsigned k = 0; k < n; k++)
		data[k] = writable(sizes[k]);
}

static void gather(uint8_t *dst, const struct vbuf *data, unsigned n)
{
	for (unsigned k = 0; k < n; k++) {
		memcpy(dst, bytes(data[k]), data[k].len);
		dst += data[k].len;
	}
}

static struct done write_split(uint64_t sector, const uint8_t *src, const uint32_t *sizes,
			       unsigned n)
{
	struct vbuf data[MAX_DATA] = { 0 };

	out_data(data, src, sizes, n);
	return submit(VIRTIO_BLK_T_OUT, sector, data, n);
}

static struct done read_split(uint64_t sector, uint8_t *dst, const uint32_t *sizes, unsigned n)
{
	struct vbuf data[MAX_DATA] = { 0 };

	in_data(data, sizes, n);
	struct done d = submit(VIRTIO_BLK_T_IN, sector, data, n);
	gather(dst, data, n);
	return d;
}

static struct done write_at(uint64_t sector, const void *src, uint32_t len)
{
	return write_split(sector, src, &len, 1);
}

static struct done read_at(uint64_t sector, void *dst, uint32_t len)
{
	return read_split(sector, dst, &len, 1);
}

#define MAX_CHECK (512 * 1024)	/* bytes one check looks at */

/* Sectors [sector, sector + count) written with fill(seed). */
static void write_filled(uint64_t sector, uint32_t count, unsigned seed)
{
	static uint8_t buf[MAX_CHECK];

	ck_assert_uint_le(count * SECTOR, sizeof(buf));
	fill(buf, sector, count * SECTOR, seed);
	expect_done(write_at(sector, buf, count * SECTOR), VIRTIO_BLK_S_OK, 1);
}

/* Whether `got`, from sectors [sector, sector + count), is fill(seed), or
 * zeros for seed 0. */
static bool filled(const uint8_t *got, uint64_t sector, uint32_t count, unsigned seed)
{
	static uint8_t want[MAX_CHECK];

	ck_assert_uint_le(count * SECTOR, sizeof(want));
	if (!seed)
		return all_bytes(got, count * SECTOR, 0);
	fill(want, sector, count * SECTOR, seed);
	return memcmp(got, want, count * SECTOR) == 0;
}

/* What the file holds there. */
static bool file_holds(uint64_t sector, uint32_t count, unsigned seed)
{
	static uint8_t got[MAX_CHECK];

	file_read(sector, got, count * SECTOR);
	return filled(got, sector, count, seed);
}

/* And what the device reads back, as the guest sees it. */
static bool disk_holds(uint64_t sector, uint32_t count, unsigned seed)
{
	static uint8_t got[MAX_CHECK];

	expect_done(read_at(sector, got, count * SECTOR), VIRTIO_BLK_S_OK, count * SECTOR + 1);
	return filled(got, sector, count, seed);
}

static struct virtio_blk_discard_write_zeroes range(uint64_t sector, uint32_t num, uint32_t flags)
{
	return (struct virtio_blk_discard_write_zeroes){ .sector = sector, .num_sectors = num,
							 .flags = flags };
}

/* virtblk_setup_discard_write_zeroes_erase: the ranges in one buffer. */
static struct done zero_ranges(uint32_t type, const struct virtio_blk_discard_write_zeroes *r,
			       unsigned n)
{
	struct vbuf data = readable(r, (uint32_t)(n * sizeof(*r)));

	return submit(type, 0, &data, 1);
}

static struct done zero_one(uint32_t type, uint64_t sector, uint32_t num, uint32_t flags)
{
	struct virtio_blk_discard_write_zeroes r = range(sector, num, flags);

	return zero_ranges(type, &r, 1);
}

/* --- configuration and features -------------------------------------- */

START_TEST(capacity_in_config_space)
{
	ck_assert_uint_eq(cfg64(CFG(capacity)), SECTORS);
	/* Linux's vm_get reads 64-bit fields as two 32-bit halves. */
	ck_assert_uint_eq(cfg32(CFG(capacity)), SECTORS);
	ck_assert_uint_eq(cfg32(CFG(capacity) + 4), 0);
}
END_TEST

START_TEST(capacity_counts_whole_sectors)
{
	attach(sparse_file(DISK_SIZE + 300), DISK_SIZE + 300, false);
	ck_assert_uint_eq(cfg64(CFG(capacity)), SECTORS);
}
END_TEST

START_TEST(block_size_and_seg_max_in_config_space)
{
	ck_assert_uint_eq(cfg32(CFG(blk_size)), SECTOR);
	/* A request is header, seg_max data buffers and status: no more
	 * than the device takes in one chain. */
	ck_assert_uint_eq(cfg32(CFG(seg_max)), VIRTQ_MAX_BUFS - 2);
}
END_TEST

START_TEST(writable_disk_offers_discard_and_write_zeroes)
{
	ck_assert_uint_eq(mdrv_offered(&t), BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
			  BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_DISCARD) |
			  BIT(VIRTIO_BLK_F_WRITE_ZEROES) | TRANSPORT_FEATURES);
	ck_assert(virtio_mmio_has_feature(&t, VIRTIO_BLK_F_DISCARD));
	ck_assert(virtio_mmio_has_feature(&t, VIRTIO_BLK_F_WRITE_ZEROES));
	ck_assert(!virtio_mmio_has_feature(&t, VIRTIO_BLK_F_RO));
}
END_TEST

START_TEST(read_only_disk_offers_ro_and_no_discard)
{
	ck_assert_uint_eq(mdrv_offered(&t), BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) |
			  BIT(VIRTIO_BLK_F_FLUSH) | BIT(VIRTIO_BLK_F_RO) | TRANSPORT_FEATURES);
	ck_assert(virtio_mmio_has_feature(&t, VIRTIO_BLK_F_RO));
}
END_TEST

/* --- reads, writes, flush, get-id -------------------------------------- */

/* 3 sectors written from three buffers of odd sizes, read back through
 * three others: what the file holds and what the guest gets. */
static void check_write_then_read_back(void)
{
	static const uint32_t out_sizes[] = { 100, 412, 1024 };
	static const uint32_t in_sizes[] = { 1024, 1, 511 };
	uint8_t src[3 * SECTOR], dst[3 * SECTOR];

	fill(src, 100, sizeof(src), 1);
	expect_done(write_split(100, src, out_sizes, 3), VIRTIO_BLK_S_OK, 1);
	ck_assert(file_holds(100, 3, 1));
	expect_done(read_split(100, dst, in_sizes, 3), VIRTIO_BLK_S_OK, sizeof(dst) + 1);
	ck_assert_mem_eq(dst, src, sizeof(src));
}

START_TEST(write_then_read_back_through_plain_chains)
{
	bring_up(LINUX_FEATURES & ~F_INDIRECT);
	ck_assert(!drv.indirect);
	check_write_then_read_back();
}
END_TEST

START_TEST(write_then_read_back_through_indirect_tables)
{
	ck_assert(drv.indirect);
	check_write_then_read_back();
	/* And the chains really went through tables. */
	ck_assert_uint_eq(((struct virtq_desc *)vdrv_host(&drv, drv.desc_gpa, 16))->flags,
			  VIRTQ_DESC_F_INDIRECT);
}
END_TEST

START_TEST(read_used_length_is_data_plus_status)
{
	static const uint32_t sizes[] = { 2048, 1536, 512 };
	uint8_t buf[4096];

	expect_done(read_split(0, buf, sizes, 3), VIRTIO_BLK_S_OK, 4096 + 1);
	expect_done(read_at(SECTORS - 1, buf, SECTOR), VIRTIO_BLK_S_OK, SECTOR + 1);
	/* A write puts nothing but the status in the driver's buffers. */
	expect_done(write_at(0, buf, 4096), VIRTIO_BLK_S_OK, 1);
}
END_TEST

START_TEST(unwritten_sectors_read_as_zeros)
{
	ck_assert(disk_holds(1000, 64, 0));
}
END_TEST

START_TEST(completion_raises_used_buffer_interrupt)
{
	uint8_t buf[SECTOR] = { 1 };
	struct vbuf data = readable(buf, SECTOR), chain[3];
	unsigned n = build(chain, VIRTIO_BLK_T_OUT, 0, &data, 1);

	vdrv_add(&drv, chain, n);
	ck_assert(!irq);
	kick();
	ck_assert(irq);
	ck_assert_uint_eq(irq_raised, 1);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	ck_assert(!irq);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), 0);
}
END_TEST

START_TEST(flush_succeeds)
{
	write_filled(0, 8, 3);
	expect_done(submit(VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK, 1);
}
END_TEST

START_TEST(get_id_returns_serial_padded_with_zeros)
{
	uint8_t want[VIRTIO_BLK_ID_BYTES] = SERIAL;
	struct vbuf id = writable(VIRTIO_BLK_ID_BYTES);

	expect_done(submit(VIRTIO_BLK_T_GET_ID, 0, &id, 1), VIRTIO_BLK_S_OK,
		    VIRTIO_BLK_ID_BYTES + 1);
	ck_assert_mem_eq(bytes(id), want, VIRTIO_BLK_ID_BYTES);
}
END_TEST

/* --- discard and write zeroes --------------------------------------- */

START_TEST(discard_punches_a_hole)
{
	write_filled(2048, 512, 4);
	long long before = blocks();

	expect_done(zero_one(VIRTIO_BLK_T_DISCARD, 2048, 512, 0), VIRTIO_BLK_S_OK, 1);
	ck_assert_int_lt(blocks(), before);
	ck_assert(disk_holds(2048, 512, 0));
}
END_TEST

/* Two ranges, their 32 bytes split 10 + 22 across buffers; what lies
 * around and between them stays. */
START_TEST(discard_several_ranges_split_across_buffers)
{
	static const uint32_t sizes[] = { 10, 22 };
	struct virtio_blk_discard_write_zeroes r[2] = { range(10, 4, 0), range(20, 6, 0) };
	struct vbuf data[2];

	write_filled(0, 32, 5);
	out_data(data, (const uint8_t *)r, sizes, 2);
	expect_done(submit(VIRTIO_BLK_T_DISCARD, 0, data, 2), VIRTIO_BLK_S_OK, 1);
	ck_assert(disk_holds(10, 4, 0));
	ck_assert(disk_holds(20, 6, 0));
	ck_assert(file_holds(0, 10, 5) && file_holds(14, 6, 5) && file_holds(26, 6, 5));
}
END_TEST

START_TEST(write_zeroes_reads_back_zeros)
{
	write_filled(4096, 64, 6);
	long long before = blocks();

	/* Whole 4 KiB blocks, which a hole would free. */
	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, 4104, 16, 0), VIRTIO_BLK_S_OK, 1);
	ck_assert(disk_holds(4104, 16, 0));
	ck_assert(file_holds(4096, 8, 6) && file_holds(4120, 40, 6));
	/* Without UNMAP the sectors stay allocated (REQ_NOUNMAP). */
	ck_assert_int_ge(blocks(), before);
}
END_TEST

START_TEST(write_zeroes_with_unmap_reads_back_zeros)
{
	write_filled(2048, 512, 7);
	long long before = blocks();

	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, 2048, 512,
			     VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP), VIRTIO_BLK_S_OK, 1);
	ck_assert(disk_holds(2048, 512, 0));
	ck_assert_int_lt(blocks(), before);
}
END_TEST

/* tmpfs (a memfd here) zeroes ranges only by punching holes; a disk image
 * there must still take WRITE_ZEROES without UNMAP (mkfs, BLKZEROOUT). */
START_TEST(write_zeroes_on_tmpfs)
{
	int fd = memfd_create("microrun-test-disk", MFD_CLOEXEC);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, DISK_SIZE), 0);
	attach(fd, DISK_SIZE, false);
	write_filled(64, 16, 8);
	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, 64, 16, 0), VIRTIO_BLK_S_OK, 1);
	ck_assert(disk_holds(64, 16, 0));
}
END_TEST

/* --- read-only disk --------------------------------------------------- */

START_TEST(read_only_disk_reads)
{
	ck_assert(disk_holds(8, 8, RO_SEED));
	expect_done(submit(VIRTIO_BLK_T_FLUSH, 0, NULL, 0), VIRTIO_BLK_S_OK, 1);
}
END_TEST

/* The file holds what it did, and not a block more or less. */
static void expect_read_only_data_intact(long long blocks_before)
{
	ck_assert(file_holds(8, 8, RO_SEED));
	ck_assert_int_eq(blocks(), blocks_before);
}

START_TEST(read_only_disk_refuses_writes)
{
	long long before = blocks();
	uint8_t buf[8 * SECTOR] = { 0 };

	expect_done(write_at(8, buf, sizeof(buf)), VIRTIO_BLK_S_IOERR, 1);
	expect_done(write_at(1000, buf, sizeof(buf)), VIRTIO_BLK_S_IOERR, 1);
	expect_read_only_data_intact(before);
	ck_assert(file_holds(1000, 8, 0));
}
END_TEST

START_TEST(read_only_disk_refuses_discard_and_write_zeroes)
{
	long long before = blocks();

	expect_done(zero_one(VIRTIO_BLK_T_DISCARD, 8, 8, 0), VIRTIO_BLK_S_IOERR, 1);
	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, 0), VIRTIO_BLK_S_IOERR, 1);
	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, 8, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		    VIRTIO_BLK_S_IOERR, 1);
	expect_read_only_data_intact(before);
}
END_TEST

/* --- requests the device refuses ------------------------------------ */

START_TEST(sector_beyond_capacity)
{
	uint8_t buf[SECTOR] = { 1 };
	struct vbuf in = writable(SECTOR);

	expect_done(submit(VIRTIO_BLK_T_IN, SECTORS, &in, 1), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(untouched(in));
	expect_done(write_at(SECTORS, buf, SECTOR), VIRTIO_BLK_S_IOERR, 1);
	expect_done(write_at(SECTORS + 1, buf, SECTOR), VIRTIO_BLK_S_IOERR, 1);
	/* Where sector * 512 wraps around to 0. */
	expect_done(write_at(1ULL << 55, buf, SECTOR), VIRTIO_BLK_S_IOERR, 1);
	expect_done(write_at(UINT64_MAX, buf, SECTOR), VIRTIO_BLK_S_IOERR, 1);
	expect_disk_untouched();
	/* The last sector is still the disk's. */
	expect_done(write_at(SECTORS - 1, buf, SECTOR), VIRTIO_BLK_S_OK, 1);
}
END_TEST

START_TEST(length_not_a_multiple_of_512)
{
	static const uint32_t split[] = { 512, 1 };
	uint8_t buf[1024] = { 1 };
	struct vbuf in = writable(1000);

	expect_done(write_at(0, buf, 511), VIRTIO_BLK_S_IOERR, 1);
	expect_done(write_split(0, buf, split, 2), VIRTIO_BLK_S_IOERR, 1);
	expect_done(submit(VIRTIO_BLK_T_IN, 0, &in, 1), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(untouched(in));
	expect_disk_untouched();
}
END_TEST

START_TEST(request_across_the_end_of_the_disk)
{
	uint8_t buf[2 * SECTOR] = { 1 };
	struct vbuf in = writable(2 * SECTOR);

	expect_done(write_at(SECTORS - 1, buf, sizeof(buf)), VIRTIO_BLK_S_IOERR, 1);
	expect_disk_untouched();	/* not even the last sector */
	expect_done(submit(VIRTIO_BLK_T_IN, SECTORS - 1, &in, 1), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(untouched(in));
}
END_TEST

START_TEST(unknown_type_is_unsupported)
{
	/* SCSI commands, GET_LIFETIME and SECURE_ERASE (not offered), the
	 * legacy barrier bit, garbage. */
	static const uint32_t types[] = { 2, 3, 10, 14, 0x80000000, UINT32_MAX };
	struct vbuf in = writable(SECTOR);

	for (unsigned k = 0; k < sizeof(types) / sizeof(types[0]); k++)
		expect_done(submit(types[k], 0, NULL, 0), VIRTIO_BLK_S_UNSUPP, 1);
	expect_done(submit(2, 0, &in, 1), VIRTIO_BLK_S_UNSUPP, 1);
	ck_assert(untouched(in));
}
END_TEST

START_TEST(header_of_wrong_size)
{
	struct virtio_blk_outhdr h = { .type = VIRTIO_BLK_T_OUT };
	uint8_t sector[SECTOR] = { 1 }, merged[sizeof(h) + SECTOR] = { 0 };
	uint8_t longer[sizeof(h) + 1] = { 0 };

	memcpy(merged, &h, sizeof(h));
	memcpy(longer, &h, sizeof(h));
	expect_dropped((struct vbuf[]){ readable(&h, sizeof(h) - 1), readable(sector, SECTOR),
					writable(1) }, 3);
	expect_dropped((struct vbuf[]){ readable(longer, sizeof(longer)), readable(sector, SECTOR),
					writable(1) }, 3);
	/* Header and data in one buffer: Linux never, and microrun refuses. */
	expect_dropped((struct vbuf[]){ readable(merged, sizeof(merged)), writable(1) }, 2);
	expect_disk_untouched();
	/* The queue goes on. */
	expect_done(write_at(0, sector, SECTOR), VIRTIO_BLK_S_OK, 1);
}
END_TEST

START_TEST(missing_status_byte)
{
	uint8_t sector[SECTOR] = { 1 };

	expect_dropped((struct vbuf[]){ header(VIRTIO_BLK_T_OUT, 0), readable(sector, SECTOR) }, 2);
	expect_dropped((struct vbuf[]){ header(VIRTIO_BLK_T_IN, 0), writable(SECTOR) }, 2);
	/* The status in the data's buffer. */
	expect_dropped((struct vbuf[]){ header(VIRTIO_BLK_T_IN, 0), writable(SECTOR + 1) }, 2);
	expect_dropped((struct vbuf[]){ header(VIRTIO_BLK_T_FLUSH, 0) }, 1);
	/* A status byte the device may not write. */
	expect_dropped((struct vbuf[]){ header(VIRTIO_BLK_T_FLUSH, 0), readable("", 1) }, 2);
	expect_disk_untouched();
}
END_TEST

START_TEST(readable_data_in_a_read)
{
	uint8_t sector[SECTOR] = { 1 };
	struct vbuf data[2] = { readable(sector, SECTOR), writable(SECTOR) };

	expect_done(submit(VIRTIO_BLK_T_IN, 0, data, 2), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(untouched(data[1]));
	expect_done(submit(VIRTIO_BLK_T_GET_ID, 0, data, 2), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(untouched(data[1]));
}
END_TEST

START_TEST(writable_data_in_a_write)
{
	uint8_t sector[SECTOR] = { 1 };
	struct vbuf mixed[2] = { readable(sector, SECTOR), writable(SECTOR) };
	struct vbuf in = writable(SECTOR);

	expect_done(submit(VIRTIO_BLK_T_OUT, 0, mixed, 2), VIRTIO_BLK_S_IOERR, 1);
	expect_done(submit(VIRTIO_BLK_T_OUT, 0, &in, 1), VIRTIO_BLK_S_IOERR, 1);
	expect_done(submit(VIRTIO_BLK_T_DISCARD, 0, &in, 1), VIRTIO_BLK_S_IOERR, 1);
	expect_disk_untouched();
}
END_TEST

/* 5.2.6.2: UNSUPP for any unknown flag. */
START_TEST(discard_with_unknown_flags)
{
	write_filled(0, 8, 9);
	expect_done(zero_one(VIRTIO_BLK_T_DISCARD, 0, 8, 2), VIRTIO_BLK_S_UNSUPP, 1);
	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, 0, 8,
			     VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP | 0x80000000), VIRTIO_BLK_S_UNSUPP, 1);
	ck_assert(file_holds(0, 8, 9));
}
END_TEST

/* 5.2.6.2: "the device MUST set the status byte to VIRTIO_BLK_S_UNSUPP for
 * discard commands if the unmap flag is set". */
START_TEST(discard_with_unmap_flag)
{
	write_filled(0, 8, 10);
	expect_done(zero_one(VIRTIO_BLK_T_DISCARD, 0, 8, VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP),
		    VIRTIO_BLK_S_UNSUPP, 1);
	ck_assert(file_holds(0, 8, 10));
}
END_TEST

/* Out of range is the driver's error (IOERR), as for reads and writes;
 * UNSUPP would say the device cannot discard at all. */
START_TEST(discard_beyond_capacity)
{
	write_filled(SECTORS - 8, 8, 11);
	expect_done(zero_one(VIRTIO_BLK_T_DISCARD, SECTORS - 4, 8, 0), VIRTIO_BLK_S_IOERR, 1);
	expect_done(zero_one(VIRTIO_BLK_T_WRITE_ZEROES, SECTORS, 1, 0), VIRTIO_BLK_S_IOERR, 1);
	expect_done(zero_one(VIRTIO_BLK_T_DISCARD, UINT64_MAX, 1, 0), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(file_holds(SECTORS - 8, 8, 11));
}
END_TEST

START_TEST(too_many_discard_ranges)
{
	uint32_t max = cfg32(CFG(max_discard_seg));
	struct virtio_blk_discard_write_zeroes r[64];

	ck_assert_uint_eq(cfg32(CFG(max_write_zeroes_seg)), max);
	ck_assert_uint_lt(max, 64);
	write_filled(0, 64, 12);
	for (unsigned k = 0; k <= max; k++)
		r[k] = range(k, 1, 0);
	expect_done(zero_ranges(VIRTIO_BLK_T_DISCARD, r, max + 1), VIRTIO_BLK_S_IOERR, 1);
	expect_done(zero_ranges(VIRTIO_BLK_T_WRITE_ZEROES, r, max + 1), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(file_holds(0, 64, 12));
	expect_done(zero_ranges(VIRTIO_BLK_T_DISCARD, r, max), VIRTIO_BLK_S_OK, 1);
	ck_assert(disk_holds(0, max, 0));
}
END_TEST

START_TEST(discard_without_whole_ranges)
{
	struct virtio_blk_discard_write_zeroes r[2] = { range(0, 8, 0), range(8, 8, 0) };
	struct vbuf part = readable(r, sizeof(r) - 1);

	write_filled(0, 16, 13);
	expect_done(submit(VIRTIO_BLK_T_DISCARD, 0, &part, 1), VIRTIO_BLK_S_IOERR, 1);
	expect_done(submit(VIRTIO_BLK_T_DISCARD, 0, NULL, 0), VIRTIO_BLK_S_IOERR, 1);
	ck_assert(file_holds(0, 16, 13));
}
END_TEST

/* --- the queue -------------------------------------------------------- */

/* seg_max data buffers fit one request; one more does not. */
START_TEST(seg_max_buffers_in_one_request)
{
	static uint32_t sizes[MAX_DATA];
	static uint8_t src[MAX_DATA * SECTOR], dst[MAX_DATA * SECTOR];
	uint32_t seg_max = cfg32(CFG(seg_max));

	for (unsigned k = 0; k < MAX_DATA; k++)
		sizes[k] = SECTOR;
	fill(src, 0, sizeof(src), 14);
	expect_done(write_split(0, src, sizes, seg_max), VIRTIO_BLK_S_OK, 1);
	expect_done(read_split(0, dst, sizes, seg_max), VIRTIO_BLK_S_OK, seg_max * SECTOR + 1);
	ck_assert_mem_eq(dst, src, seg_max * SECTOR);

	static uint8_t zeros[MAX_DATA * SECTOR];
	struct vbuf data[MAX_DATA], chain[MAX_DATA + 2];
	out_data(data, zeros, sizes, seg_max + 1);
	expect_dropped(chain, build(chain, VIRTIO_BLK_T_OUT, 0, data, seg_max + 1));
	ck_assert(file_holds(0, seg_max, 14));
}
END_TEST

static uint8_t status_at(uint64_t gpa)
{
	return *(uint8_t *)vdrv_host(&drv, gpa, 1);
}

/* Adds a one-sector write of fill(seed) without kicking; its head. */
static uint16_t queue_write(uint64_t sector, unsigned seed, uint64_t *status_gpa)
{
	uint8_t buf[SECTOR];
	struct vbuf data, chain[3];

	fill(buf, sector, sizeof(buf), seed);
	data = readable(buf, SECTOR);
	build(chain, VIRTIO_BLK_T_OUT, sector, &data, 1);
	*status_gpa = chain[2].gpa;
	return vdrv_add(&drv, chain, 3);
}

START_TEST(a_full_queue_in_one_kick)
{
	static uint64_t status[VIRTQ_MAX_SIZE];
	static bool seen[VIRTQ_MAX_SIZE];
	struct virtq_used_elem e;

	for (unsigned k = 0; k < drv.size; k++)
		ck_assert_uint_eq(queue_write(2 * k, k + 1, &status[k]), k);
	kick();
	ck_assert_uint_eq(irq_raised, 1);
	take_interrupt();
	for (unsigned k = 0; k < drv.size; k++) {
		ck_assert(get_used(&e));
		ck_assert(e.id < drv.size && !seen[e.id]);
		seen[e.id] = true;
		ck_assert_uint_eq(e.len, 1);
		ck_assert_uint_eq(status_at(status[e.id]), VIRTIO_BLK_S_OK);
	}
	ck_assert(!get_used(&e));
	for (unsigned k = 0; k < drv.size; k++)
		ck_assert(file_holds(2 * k, 1, k + 1));
}
END_TEST

START_TEST(corrupt_avail_ring_needs_reset)
{
	uint64_t status;

	write_filled(0, 1, 15);
	vdrv_avail(&drv)->idx = (uint16_t)(drv.avail_idx + drv.size + 1);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_ne(rd(VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert(irq);
	ck_assert_uint_eq(rd(VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	/* Nothing is served until the driver resets the device... */
	vdrv_avail(&drv)->idx = drv.avail_idx;
	queue_write(8, 16, &status);
	wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert_uint_eq(vdrv_used(&drv)->idx, 1);
	ck_assert(file_holds(8, 1, 0));
	/* ...and then everything is. */
	bring_up(LINUX_FEATURES);
	ck_assert(!irq);
	write_filled(8, 1, 16);
	ck_assert(file_holds(0, 1, 15) && file_holds(8, 1, 16));
}
END_TEST

/* virtqueue_enable_cb_delayed: interrupt only once used_event is passed. */
START_TEST(event_idx_interrupts_past_used_event)
{
	uint64_t status[3];
	struct virtq_used_elem e;

	ck_assert(drv.event_idx);
	*vdrv_used_event(&drv) = (uint16_t)(drv.last_used + 1);
	queue_write(0, 17, &status[0]);
	kick();
	ck_assert(!irq);
	ck_assert_uint_eq(vdrv_used(&drv)->idx, 1);	/* served all the same */
	queue_write(1, 18, &status[1]);
	kick();
	ck_assert_uint_eq(irq_raised, 1);
	take_interrupt();
	ck_assert(get_used(&e) && get_used(&e) && !get_used(&e));
	/* used_event well ahead: the third completion is not it either. */
	*vdrv_used_event(&drv) = (uint16_t)(drv.last_used + 5);
	queue_write(2, 19, &status[2]);
	kick();
	ck_assert(!irq);
	ck_assert_uint_eq(vdrv_used(&drv)->idx, 3);
	for (unsigned k = 0; k < 3; k++)
		ck_assert_uint_eq(status_at(status[k]), VIRTIO_BLK_S_OK);
}
END_TEST

/* With EVENT_IDX the driver kicks only when the device re-armed
 * avail_event at the buffers it has not seen: it must after every drain. */
START_TEST(event_idx_device_asks_for_every_kick)
{
	uint64_t status;

	for (unsigned k = 0; k < 3; k++) {
		write_filled(k, 1, 20 + k);
		ck_assert_uint_eq(vdrv_avail_event(&drv), drv.avail_idx);
	}
	queue_write(3, 23, &status);
	ck_assert(vdrv_kick_prepare(&drv));
}
END_TEST

START_TEST(no_interrupt_flag_suppresses_interrupts)
{
	uint64_t status;
	struct virtq_used_elem e;

	bring_up(LINUX_FEATURES & ~F_EVENT_IDX);
	vdrv_avail(&drv)->flags = VIRTQ_AVAIL_F_NO_INTERRUPT;
	queue_write(0, 24, &status);
	kick();
	ck_assert(!irq);
	ck_assert(get_used(&e));
	ck_assert_uint_eq(status_at(status), VIRTIO_BLK_S_OK);
}
END_TEST

Suite *virtio_blk_suite(void)
{
	Suite *s = suite_create("virtio_blk");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, capacity_in_config_space);
	tcase_add_test(tc, capacity_counts_whole_sectors);
	tcase_add_test(tc, block_size_and_seg_max_in_config_space);
	tcase_add_test(tc, writable_disk_offers_discard_and_write_zeroes);
	suite_add_tcase(s, tc);

	tc = tcase_create("requests");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, write_then_read_back_through_plain_chains);
	tcase_add_test(tc, write_then_read_back_through_indirect_tables);
	tcase_add_test(tc, read_used_length_is_data_plus_status);
	tcase_add_test(tc, unwritten_sectors_read_as_zeros);
	tcase_add_test(tc, completion_raises_used_buffer_interrupt);
	tcase_add_test(tc, flush_succeeds);
	tcase_add_test(tc, get_id_returns_serial_padded_with_zeros);
	tcase_add_test(tc, discard_punches_a_hole);
	tcase_add_test(tc, discard_several_ranges_split_across_buffers);
	tcase_add_test(tc, write_zeroes_reads_back_zeros);
	tcase_add_test(tc, write_zeroes_with_unmap_reads_back_zeros);
	tcase_add_test(tc, write_zeroes_on_tmpfs);
	suite_add_tcase(s, tc);

	tc = tcase_create("read-only");
	tcase_add_checked_fixture(tc, setup_read_only, teardown);
	tcase_add_test(tc, read_only_disk_offers_ro_and_no_discard);
	tcase_add_test(tc, read_only_disk_reads);
	tcase_add_test(tc, read_only_disk_refuses_writes);
	tcase_add_test(tc, read_only_disk_refuses_discard_and_write_zeroes);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, sector_beyond_capacity);
	tcase_add_test(tc, length_not_a_multiple_of_512);
	tcase_add_test(tc, request_across_the_end_of_the_disk);
	tcase_add_test(tc, unknown_type_is_unsupported);
	tcase_add_test(tc, header_of_wrong_size);
	tcase_add_test(tc, missing_status_byte);
	tcase_add_test(tc, readable_data_in_a_read);
	tcase_add_test(tc, writable_data_in_a_write);
	tcase_add_test(tc, discard_with_unknown_flags);
	tcase_add_test(tc, discard_with_unmap_flag);
	tcase_add_test(tc, discard_beyond_capacity);
	tcase_add_test(tc, too_many_discard_ranges);
	tcase_add_test(tc, discard_without_whole_ranges);
	suite_add_tcase(s, tc);

	tc = tcase_create("queue");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, seg_max_buffers_in_one_request);
	tcase_add_test(tc, a_full_queue_in_one_kick);
	tcase_add_test(tc, corrupt_avail_ring_needs_reset);
	tcase_add_test(tc, event_idx_interrupts_past_used_event);
	tcase_add_test(tc, event_idx_device_asks_for_every_kick);
	tcase_add_test(tc, no_interrupt_flag_suppresses_interrupts);
	suite_add_tcase(s, tc);
	return s;
}
