/* virtio-blk requests for the guests; see blk.h. */
#include "blk.h"

#include "lib.h"

#define LINE            16      /* "PREFIX-sector-SSS\n" */

static struct blk_req req;

int blk_start(struct vio_dev *d, unsigned nth, uint64_t features, void *ring)
{
	if (vio_find(d, VIRTIO_ID_BLOCK, nth))
		return -1;
	return vio_start(d, features, ring, BLK_QUEUE_SIZE);
}

uint64_t blk_capacity(const struct vio_dev *d)
{
	const volatile uint32_t *cfg = (const volatile uint32_t *)vio_config(d);
	uint32_t gen, lo, hi;

	do {
		gen = vio_read(d, VIRTIO_MMIO_CONFIG_GENERATION);
		lo = cfg[0];
		hi = cfg[1];
	} while (gen != vio_read(d, VIRTIO_MMIO_CONFIG_GENERATION));
	return (uint64_t)hi << 32 | lo;
}

struct blk_req *blk_req_prepare(uint32_t type, uint64_t sector)
{
	req.hdr.type = type;
	req.hdr.ioprio = 0;
	req.hdr.sector = sector;
	req.status = BLK_NO_STATUS;
	return &req;
}

struct blk_result blk_finish(struct vio_dev *d)
{
	struct vring_used_elem e = { 0, 0 };
	struct blk_result r;

	vio_notify(d);
	r.wait = vio_wait(d, &e);
	r.id = e.id;
	r.len = e.len;
	vio_barrier();
	r.status = *(volatile uint8_t *)&req.status;
	return r;
}

struct blk_result blk_request(struct vio_dev *d, uint32_t type, uint64_t sector,
			      const struct vio_buf *data, unsigned n)
{
	struct vio_buf bufs[4];
	struct blk_req *r = blk_req_prepare(type, sector);
	uint16_t write = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID ?
			 VRING_DESC_F_WRITE : 0;

	bufs[0] = (struct vio_buf){ (uintptr_t)&r->hdr, sizeof(r->hdr), 0 };
	for (unsigned i = 0; i < n && i < 2; i++)
		bufs[1 + i] = (struct vio_buf){ data[i].addr, data[i].len, write };
	n = n < 2 ? n : 2;
	bufs[1 + n] = (struct vio_buf){ (uintptr_t)&r->status, 1, VRING_DESC_F_WRITE };
	vio_add(&d->q, bufs, n + 2);
	return blk_finish(d);
}

/* The 16-byte line of a pattern; the sector number in three digits. */
static void pattern_line(char *line, const char *prefix, unsigned sector)
{
	memcpy(line, prefix, 4);
	memcpy(line + 4, "-sector-", 8);
	line[12] = (char)('0' + sector / 100 % 10);
	line[13] = (char)('0' + sector / 10 % 10);
	line[14] = (char)('0' + sector % 10);
	line[15] = '\n';
}

void blk_pattern(uint8_t *buf, const char *prefix, unsigned sector)
{
	char line[LINE];

	pattern_line(line, prefix, sector);
	for (unsigned i = 0; i < BLK_SECTOR; i++)
		buf[i] = (uint8_t)line[i % LINE];
}

int blk_is_pattern(const uint8_t *buf, const char *prefix, unsigned sector)
{
	char line[LINE];

	pattern_line(line, prefix, sector);
	for (unsigned i = 0; i < BLK_SECTOR; i++)
		if (buf[i] != (uint8_t)line[i % LINE])
			return 0;
	return 1;
}

void blk_put_contents(const uint8_t *buf, unsigned sector, const char *prefix_a,
		      const char *prefix_b)
{
	char line[LINE];
	const char *prefix = blk_is_pattern(buf, prefix_a, sector) ? prefix_a :
			     blk_is_pattern(buf, prefix_b, sector) ? prefix_b : NULL;

	if (!prefix) {
		puts("other data");
		return;
	}
	pattern_line(line, prefix, sector);
	for (unsigned i = 0; i < LINE - 1; i++)
		putc(line[i]);
}
