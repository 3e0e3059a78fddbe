/* vblk: drives the first virtio-blk disk through its whole life as a
 * driver would, reporting each step on the UART for run.sh to compare:
 * set-up, capacity, a read of sector 0 (which the test filled with the
 * "host" pattern, see blk.h), a two-buffer write of sectors 2-3 ("vblk"
 * pattern), a read back of sector 2, a flush, a discard of sector 5 and a
 * write-zeroes of sector 6 (both must read as zeros in the file
 * afterwards), the serial (GET_ID) and the used-ring interrupt. A read-only disk answers the write with a status,
 * which is printed like every other. Powers off (status 0) when every
 * request got an answer; resets (122) when something did not. */
#include "blk.h"
#include "lib.h"

#define FEATURES (1ull << VIRTIO_BLK_F_RO | 1ull << VIRTIO_BLK_F_FLUSH | \
		  1ull << VIRTIO_BLK_F_BLK_SIZE | 1ull << VIRTIO_BLK_F_SEG_MAX | \
		  1ull << VIRTIO_BLK_F_DISCARD | 1ull << VIRTIO_BLK_F_WRITE_ZEROES)

static uint8_t ring[VIO_RING_BYTES] __attribute__((aligned(4096)));
static uint8_t data[2][BLK_SECTOR] __attribute__((aligned(16)));

static __attribute__((noreturn)) void fail(const char *what)
{
	puts("vblk: FAIL ");
	puts(what);
	putc('\n');
	reset();
}

/* A request that must be answered with a status; prints
 * "vblk: WHAT: status N" and returns the status. */
static uint8_t request(struct vio_dev *d, const char *what, uint32_t type, uint64_t sector,
		       unsigned n)
{
	struct vio_buf bufs[2] = {
		{ (uintptr_t)data[0], BLK_SECTOR, 0 },
		{ (uintptr_t)data[1], BLK_SECTOR, 0 },
	};
	if (type == VIRTIO_BLK_T_GET_ID)
		bufs[0].len = VIRTIO_BLK_ID_BYTES;
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES)
		bufs[0].len = sizeof(struct virtio_blk_discard_write_zeroes);
	struct blk_result r = blk_request(d, type, sector, bufs, n);

	if (r.wait != VIO_USED)
		fail(r.wait == VIO_NEEDS_RESET ? "device needs reset" : "no answer");
	if (r.status == BLK_NO_STATUS)
		fail("no status byte written");
	puts("vblk: ");
	puts(what);
	puts(": status ");
	put_dec(r.status);
	putc('\n');
	return r.status;
}

static void read_sector(struct vio_dev *d, const char *what, unsigned sector)
{
	memset(data[0], 0, BLK_SECTOR);
	if (request(d, what, VIRTIO_BLK_T_IN, sector, 1) != VIRTIO_BLK_S_OK)
		return;
	puts("vblk: sector ");
	put_dec(sector);
	puts(" holds ");
	blk_put_contents(data[0], sector, "host", "vblk");
	putc('\n');
}

/* 5.2.6: one segment, sector `sector`; a read-only disk offers neither
 * command, and the request must fail there. */
static void zero_sector(struct vio_dev *d, const char *what, uint32_t type, uint64_t sector)
{
	struct virtio_blk_discard_write_zeroes *seg = (void *)data[0];

	*seg = (struct virtio_blk_discard_write_zeroes){ .sector = sector, .num_sectors = 1 };
	request(d, what, type, 0, 1);
}

static void put_serial(struct vio_dev *d)
{
	memset(data[0], 0, BLK_SECTOR);
	if (request(d, "get id", VIRTIO_BLK_T_GET_ID, 0, 1) != VIRTIO_BLK_S_OK)
		return;
	puts("vblk: serial=");
	/* 5.2.6: up to 20 bytes, NUL-terminated only when shorter */
	for (unsigned i = 0; i < VIRTIO_BLK_ID_BYTES && data[0][i]; i++)
		putc((char)data[0][i]);
	putc('\n');
}

void guest_main(const struct boot_params *bp)
{
	struct vio_dev d;

	(void)bp;
	if (blk_start(&d, 0, FEATURES, ring))
		fail("no virtio-blk device that completes set-up");
	puts("vblk: virtio-blk at 0x");
	put_hex(d.base);
	puts(", driver ok\n");
	puts("vblk: capacity ");
	put_dec(blk_capacity(&d));
	puts(" sectors\n");
	if (d.features & (1ull << VIRTIO_BLK_F_RO))
		puts("vblk: read-only disk\n");
	read_sector(&d, "read sector 0", 0);
	blk_pattern(data[0], "vblk", 2);
	blk_pattern(data[1], "vblk", 3);
	request(&d, "write sectors 2-3", VIRTIO_BLK_T_OUT, 2, 2);
	read_sector(&d, "read sector 2", 2);
	request(&d, "flush", VIRTIO_BLK_T_FLUSH, 0, 0);
	zero_sector(&d, "discard sector 5", VIRTIO_BLK_T_DISCARD, 5);
	zero_sector(&d, "write zeroes to sector 6", VIRTIO_BLK_T_WRITE_ZEROES, 6);
	put_serial(&d);
	puts("vblk: interrupt status 0x");
	put_hex(vio_ack_interrupt(&d));
	puts(", after ack 0x");
	put_hex(vio_read(&d, VIRTIO_MMIO_INTERRUPT_STATUS));
	puts("\nvblk: done\n");
	poweroff();
}
