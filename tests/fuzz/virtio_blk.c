/* Fuzz target: virtio-blk behind the virtio-mmio transport
 * (devices/virtio_mmio.c, devices/virtio_blk.c), driven by a sequence of
 * register accesses and guest stores the fuzzer chooses, on a memfd disk.
 *
 * Input: u8 flags (FLAG_*), then operations until the input ends, each an
 * op byte and its operands:
 *   OP_WRITE  u16 offset, u8 len, u64 value: a register or config write
 *   OP_READ   u16 offset, u8 len
 *   OP_STORE  u16 gpa, u8 n, n bytes: the driver writes guest RAM
 *   OP_PROBE  u8 size_log2, u16 desc, avail, used, u32 features: what
 *             Linux's virtio_mmio and virtio_blk do to bring the device up
 *             with queue 0 at those addresses (the short way to a live
 *             queue; the fuzzer can take the long one with OP_WRITE)
 * The queue is kicked with an OP_WRITE to QueueNotify.
 *
 * Oracle: ASan/UBSan, and the device's promises: the interrupt line
 * follows InterruptStatus, the registers that never change read as they
 * must, the disk never grows, a read-only disk is never written. */
#include <sys/stat.h>

#include "devices/virtio_blk.h"
#include "src/guest_mem.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE	0x10000
#define DISK_SIZE	(64 * VIRTIO_BLK_SECTOR)

enum {
	FLAG_READ_ONLY = 1,
	FLAG_SERIAL = 2,	/* a 20-character serial, the longest */
};

enum { OP_WRITE, OP_READ, OP_STORE, OP_PROBE, OP_COUNT };

struct state {
	uint8_t *ram;
	struct guest_mem mem;
	struct virtio_mmio t;
	struct virtio_blk blk;
	int fd;
	bool irq;
};

static void set_irq(void *ctx, bool level)
{
	struct state *st = ctx;

	st->irq = level;
}

static uint32_t rd(struct state *st, uint64_t off)
{
	uint32_t v;

	virtio_mmio_read(&st->t, off, &v, sizeof(v));
	return v;
}

static void wr(struct state *st, uint64_t off, uint32_t v)
{
	virtio_mmio_write(&st->t, off, &v, sizeof(v));
}

/* Lengths the transport accepts, and some it must refuse. */
static unsigned access_len(uint8_t sel)
{
	static const unsigned lens[] = { 4, 1, 2, 8, 4, 4, 3, 0 };

	return lens[sel % 8];
}

static void check_registers(struct state *st)
{
	FUZZ_CHECK(rd(st, VIRTIO_MMIO_MAGIC_VALUE) == 0x74726976);
	FUZZ_CHECK(rd(st, VIRTIO_MMIO_VERSION) == 2);
	FUZZ_CHECK(rd(st, VIRTIO_MMIO_DEVICE_ID) == VIRTIO_ID_BLOCK);
	FUZZ_CHECK(st->irq == (st->t.interrupt_status != 0));
}

static void op_read(struct state *st, struct fuzz_input *in)
{
	uint16_t off = fuzz_u16(in);
	unsigned len = access_len(fuzz_u8(in));
	uint8_t buf[8];

	virtio_mmio_read(&st->t, off, buf, len);
}

static void op_write(struct state *st, struct fuzz_input *in)
{
	uint16_t off = fuzz_u16(in);
	unsigned len = access_len(fuzz_u8(in));
	uint64_t value = fuzz_u64(in);

	virtio_mmio_write(&st->t, off, &value, len);
}

static void op_store(struct state *st, struct fuzz_input *in)
{
	uint16_t gpa = fuzz_u16(in);
	uint8_t n = fuzz_u8(in);
	size_t room = RAM_SIZE - (size_t)gpa;

	fuzz_take(in, st->ram + gpa, n < room ? n : room);
}

static void queue_addr(struct state *st, uint64_t low_reg, uint16_t gpa)
{
	wr(st, low_reg, gpa);
	wr(st, low_reg + 4, 0);
}

/* vm_find_vqs and virtio_dev_probe, in short. */
static void op_probe(struct state *st, struct fuzz_input *in)
{
	uint8_t size_log2 = fuzz_u8(in);
	uint16_t desc = fuzz_u16(in), avail = fuzz_u16(in), used = fuzz_u16(in);
	uint32_t features = fuzz_u32(in);

	wr(st, VIRTIO_MMIO_STATUS, 0);
	wr(st, VIRTIO_MMIO_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	for (uint32_t sel = 0; sel < 2; sel++) {
		wr(st, VIRTIO_MMIO_DEVICE_FEATURES_SEL, sel);
		uint32_t offered = rd(st, VIRTIO_MMIO_DEVICE_FEATURES);
		wr(st, VIRTIO_MMIO_DRIVER_FEATURES_SEL, sel);
		/* The low half as the fuzzer picks; the high one holds VERSION_1. */
		wr(st, VIRTIO_MMIO_DRIVER_FEATURES, sel ? offered : offered & features);
	}
	wr(st, VIRTIO_MMIO_STATUS, rd(st, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_FEATURES_OK);
	wr(st, VIRTIO_MMIO_QUEUE_SEL, 0);
	wr(st, VIRTIO_MMIO_QUEUE_NUM, 1u << (size_log2 % 16));
	queue_addr(st, VIRTIO_MMIO_QUEUE_DESC_LOW, desc);
	queue_addr(st, VIRTIO_MMIO_QUEUE_AVAIL_LOW, avail);
	queue_addr(st, VIRTIO_MMIO_QUEUE_USED_LOW, used);
	wr(st, VIRTIO_MMIO_QUEUE_READY, 1);
	wr(st, VIRTIO_MMIO_STATUS, rd(st, VIRTIO_MMIO_STATUS) | VIRTIO_CONFIG_S_DRIVER_OK);
}

static void run_op(struct state *st, struct fuzz_input *in)
{
	switch (fuzz_u8(in) % OP_COUNT) {
	case OP_WRITE: op_write(st, in); break;
	case OP_READ: op_read(st, in); break;
	case OP_STORE: op_store(st, in); break;
	case OP_PROBE: op_probe(st, in); break;
	}
	check_registers(st);
}

static void check_disk(const struct state *st, bool read_only)
{
	struct stat s;

	FUZZ_CHECK(fstat(st->fd, &s) == 0);
	FUZZ_CHECK(s.st_size == DISK_SIZE);
	/* The memfd starts as one hole: any write allocates a block. */
	if (read_only)
		FUZZ_CHECK(s.st_blocks == 0);
}

static void attach(struct state *st, uint8_t flags)
{
	struct virtio_blk_backend be = {
		.fd = fuzz_file(NULL, DISK_SIZE),
		.read_only = flags & FLAG_READ_ONLY,
		.size = DISK_SIZE,
	};
	struct virtio_mmio_ops irq = { .set_irq = set_irq, .ctx = st };

	if (flags & FLAG_SERIAL)
		memcpy(be.serial, "fuzz-serial-01234567", VIRTIO_BLK_ID_BYTES);
	st->fd = be.fd;
	gmem_wrap(&st->mem, st->ram, RAM_SIZE);
	virtio_blk_init(&st->blk, &be, &st->t, &st->mem);
	virtio_mmio_init(&st->t, &virtio_blk_ops, &st->blk, virtio_blk_features(&st->blk), &irq,
			 &st->mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	struct state *st = calloc(1, sizeof(*st));

	/* Exactly RAM_SIZE on the heap: ASan sees a byte past it. */
	FUZZ_CHECK(st && (st->ram = calloc(1, RAM_SIZE)));
	attach(st, flags);
	while (in.left)
		run_op(st, &in);
	check_disk(st, flags & FLAG_READ_ONLY);
	free(st->ram);
	free(st);
	return 0;
}
