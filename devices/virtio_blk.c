#include "devices/virtio_blk.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#define QUEUE_MAX        256
#define SEG_MAX          (VIRTQ_MAX_BUFS - 2)  /* less header and status */
#define MAX_DISCARD_SEGS 32
#define BIT(n)           (1ULL << (n))

void virtio_blk_init(struct virtio_blk *b, const struct virtio_blk_backend *backend,
		     struct virtio_mmio *transport, const struct guest_mem *mem)
{
	memset(b, 0, sizeof(*b));
	b->transport = transport;
	b->mem = mem;
	b->backend = *backend;
	b->config.capacity = backend->size / VIRTIO_BLK_SECTOR;
	b->config.seg_max = SEG_MAX;
	b->config.blk_size = VIRTIO_BLK_SECTOR;
	b->config.max_discard_sectors = UINT32_MAX;
	b->config.max_discard_seg = MAX_DISCARD_SEGS;
	b->config.discard_sector_alignment = 1;
	b->config.max_write_zeroes_sectors = UINT32_MAX;
	b->config.max_write_zeroes_seg = MAX_DISCARD_SEGS;
	b->config.write_zeroes_may_unmap = 1;
}

uint64_t virtio_blk_features(const struct virtio_blk *b)
{
	uint64_t f = BIT(VIRTIO_BLK_F_SEG_MAX) | BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH);

	if (b->backend.read_only)
		return f | BIT(VIRTIO_BLK_F_RO);
	return f | BIT(VIRTIO_BLK_F_DISCARD) | BIT(VIRTIO_BLK_F_WRITE_ZEROES);
}

static void config_read(void *dev, uint32_t offset, void *buf, uint32_t len)
{
	struct virtio_blk *b = dev;

	/* The transport checked offset + len against config_size. */
	memcpy(buf, (const uint8_t *)&b->config + offset, len);
}

static void reset(void *dev)
{
	(void)dev; /* requests complete synchronously: nothing in flight */
}

/* --- requests ------------------------------------------------------------- */

/* [sector, sector + bytes/512) within the disk, without overflow. */
static bool in_range(const struct virtio_blk *b, uint64_t sector, uint64_t bytes)
{
	uint64_t sectors = bytes / VIRTIO_BLK_SECTOR;

	return bytes % VIRTIO_BLK_SECTOR == 0 && sector <= b->config.capacity &&
	       sectors <= b->config.capacity - sector;
}

static ssize_t full_io(int fd, struct iovec *iov, int n, off_t off, bool write)
{
	uint64_t total = 0;

	while (n > 0) {
		ssize_t r = write ? pwritev(fd, iov, n, off) : preadv(fd, iov, n, off);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -EIO;
		total += (uint64_t)r;
		off += r;
		/* Advance past what was done; a short transfer resumes here. */
		while (n > 0 && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return (ssize_t)total;
}

/* Data buffers: between the header (first readable buffer) and the status
 * byte (last writable one). The header and status may share a buffer with
 * data in principle; Linux never does it and microrun requires separate
 * ones, failing the request otherwise. */
struct request {
	struct virtio_blk_outhdr hdr;
	uint8_t *status;
	struct iovec *data;
	int ndata;
	uint64_t data_len;
	uint32_t written;   /* bytes written into the driver's writable buffers */
};

static int parse_request(struct virtq_chain *c, struct request *rq)
{
	if (c->nbufs < 2 || c->nread < 1 || c->nread == c->nbufs ||
	    c->iov[0].iov_len != sizeof(rq->hdr) || c->iov[c->nbufs - 1].iov_len != 1)
		return -EINVAL;
	memcpy(&rq->hdr, c->iov[0].iov_base, sizeof(rq->hdr));
	rq->status = c->iov[c->nbufs - 1].iov_base;
	rq->data = &c->iov[1];
	rq->ndata = (int)c->nbufs - 2;
	rq->data_len = c->read_len + c->write_len - sizeof(rq->hdr) - 1;
	rq->written = 1; /* the status byte */
	return 0;
}

/* Readable data for OUT, writable data for IN: the chain must agree. */
static bool data_direction_is(const struct virtq_chain *c, bool device_writes)
{
	unsigned readable_data = c->nread - 1;
	return device_writes ? readable_data == 0 : c->nread == c->nbufs - 1;
}

static uint8_t do_read(struct virtio_blk *b, struct virtq_chain *c, struct request *rq)
{
	if (!data_direction_is(c, true) || !in_range(b, rq->hdr.sector, rq->data_len))
		return VIRTIO_BLK_S_IOERR;
	ssize_t n = full_io(b->backend.fd, rq->data, rq->ndata,
			    (off_t)(rq->hdr.sector * VIRTIO_BLK_SECTOR), false);
	if (n < 0)
		return VIRTIO_BLK_S_IOERR;
	rq->written += (uint32_t)n;
	return VIRTIO_BLK_S_OK;
}

static uint8_t do_write(struct virtio_blk *b, struct virtq_chain *c, struct request *rq)
{
	if (b->backend.read_only || !data_direction_is(c, false) ||
	    !in_range(b, rq->hdr.sector, rq->data_len))
		return VIRTIO_BLK_S_IOERR;
	ssize_t n = full_io(b->backend.fd, rq->data, rq->ndata,
			    (off_t)(rq->hdr.sector * VIRTIO_BLK_SECTOR), true);
	return n < 0 ? VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
}

static uint8_t do_flush(struct virtio_blk *b)
{
	return fdatasync(b->backend.fd) == 0 ? VIRTIO_BLK_S_OK : VIRTIO_BLK_S_IOERR;
}

static uint8_t do_get_id(struct virtio_blk *b, struct virtq_chain *c, struct request *rq)
{
	uint8_t id[VIRTIO_BLK_ID_BYTES] = { 0 };
	uint64_t left = sizeof(id);
	const uint8_t *src = id;

	if (!data_direction_is(c, true))
		return VIRTIO_BLK_S_IOERR;
	memcpy(id, b->backend.serial, strnlen(b->backend.serial, sizeof(id)));
	for (int i = 0; i < rq->ndata && left; i++) {
		size_t n = rq->data[i].iov_len < left ? rq->data[i].iov_len : left;
		memcpy(rq->data[i].iov_base, src, n);
		src += n;
		left -= n;
		rq->written += (uint32_t)n;
	}
	return VIRTIO_BLK_S_OK;
}

/* A discard, or a write-zeroes with the unmap flag, frees the file's
 * blocks (a hole reads as zeros); a write-zeroes without it keeps them
 * allocated, except on file systems that cannot zero a range in place
 * (tmpfs), where a hole is the only way to zeros short of writing them. */
static int zero_file_range(int fd, uint64_t off, uint64_t len, bool unmap)
{
	const int keep = FALLOC_FL_KEEP_SIZE;

	if (!unmap && fallocate(fd, FALLOC_FL_ZERO_RANGE | keep, (off_t)off, (off_t)len) == 0)
		return 0;
	if (!unmap && errno != EOPNOTSUPP)
		return -errno;
	return fallocate(fd, FALLOC_FL_PUNCH_HOLE | keep, (off_t)off, (off_t)len) ? -errno : 0;
}

/* A block device zeroes with BLKZEROOUT (which may unmap by itself);
 * BLKDISCARD is only for discards: it promises no zeros. */
static int zero_range(struct virtio_blk *b, uint64_t off, uint64_t len, bool discard, bool unmap)
{
	const struct virtio_blk_backend *be = &b->backend;

	if (be->is_block_device) {
		uint64_t range[2] = { off, len };
		return ioctl(be->fd, discard ? BLKDISCARD : BLKZEROOUT, range) ? -errno : 0;
	}
	return zero_file_range(be->fd, off, len, discard || unmap);
}

/* 5.2.6.2: a discard must not carry the unmap flag, write-zeroes may; no
 * other flag exists. */
static uint8_t check_segment(const struct virtio_blk *b, const struct virtio_blk_discard_write_zeroes *seg,
			     bool write_zeroes)
{
	uint32_t allowed = write_zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;

	if (seg->flags & ~allowed)
		return VIRTIO_BLK_S_UNSUPP;
	if (!in_range(b, seg->sector, (uint64_t)seg->num_sectors * VIRTIO_BLK_SECTOR))
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

/* Every segment is checked before any is applied: a request fails whole. */
static uint8_t do_discard(struct virtio_blk *b, struct virtq_chain *c, struct request *rq,
			  bool write_zeroes)
{
	struct virtio_blk_discard_write_zeroes seg[MAX_DISCARD_SEGS];
	uint64_t nseg = rq->data_len / sizeof(seg[0]);
	uint8_t status = VIRTIO_BLK_S_OK;

	if (b->backend.read_only || !data_direction_is(c, false) ||
	    rq->data_len % sizeof(seg[0]) || nseg == 0 || nseg > MAX_DISCARD_SEGS)
		return VIRTIO_BLK_S_IOERR;
	uint8_t *p = (uint8_t *)seg; /* gathered from however many buffers */
	for (int i = 0; i < rq->ndata; i++) {
		memcpy(p, rq->data[i].iov_base, rq->data[i].iov_len);
		p += rq->data[i].iov_len;
	}
	for (uint64_t i = 0; i < nseg && status == VIRTIO_BLK_S_OK; i++)
		status = check_segment(b, &seg[i], write_zeroes);
	for (uint64_t i = 0; i < nseg && status == VIRTIO_BLK_S_OK; i++)
		if (zero_range(b, seg[i].sector * VIRTIO_BLK_SECTOR,
			       (uint64_t)seg[i].num_sectors * VIRTIO_BLK_SECTOR, !write_zeroes,
			       seg[i].flags & VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP))
			status = VIRTIO_BLK_S_IOERR;
	return status;
}

static uint8_t execute(struct virtio_blk *b, struct virtq_chain *c, struct request *rq)
{
	switch (rq->hdr.type) {
	case VIRTIO_BLK_T_IN: return do_read(b, c, rq);
	case VIRTIO_BLK_T_OUT: return do_write(b, c, rq);
	case VIRTIO_BLK_T_FLUSH: return do_flush(b);
	case VIRTIO_BLK_T_GET_ID: return do_get_id(b, c, rq);
	case VIRTIO_BLK_T_DISCARD: return do_discard(b, c, rq, false);
	case VIRTIO_BLK_T_WRITE_ZEROES: return do_discard(b, c, rq, true);
	default: return VIRTIO_BLK_S_UNSUPP;
	}
}

/* Serves the next request: 1 when one was taken (and answered, perhaps
 * with an error), 0 when none is waiting, -1 when the queue is corrupt. */
static int serve_one(void *dev, struct virtq *q)
{
	struct virtio_blk *b = dev;
	struct virtq_chain *c = &b->chain;
	struct request rq;
	int r = virtq_pop(q, b->mem, c);

	if (r == 0 || r == -ENXIO)
		return 0;
	if (r == -EPROTO)
		return -1;
	if (r < 0 || parse_request(c, &rq)) {
		virtio_mmio_report(b->transport, "malformed request failed", r < 0 ? r : -EINVAL);
		/* A malformed chain: nowhere safe to put a status, so it goes
		 * back empty and the driver sees the request fail. */
		return virtq_push(q, b->mem, c->head, 0) == 0 ? 1 : -1;
	}
	*rq.status = execute(b, c, &rq);
	return virtq_push(q, b->mem, c->head, rq.written) == 0 ? 1 : -1;
}

static void queue_notify(void *dev, unsigned qi)
{
	struct virtio_blk *b = dev;

	virtio_mmio_drain(b->transport, qi, serve_one, b);
}

const struct virtio_device_ops virtio_blk_ops = {
	.name = "virtio-blk",
	.device_id = VIRTIO_ID_BLOCK,
	.num_queues = 1,
	.queue_max = QUEUE_MAX,
	.config_size = sizeof(struct virtio_blk_config),
	.config_read = config_read,
	.queue_notify = queue_notify,
	.reset = reset,
};
