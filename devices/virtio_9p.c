#include "devices/virtio_9p.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#define QUEUE_MAX 128   /* Linux's 9pnet_virtio has at most this many requests out */

int virtio_9p_init(struct virtio_9p *d, int root_fd, bool read_only, const char *tag,
		   struct virtio_mmio *transport, const struct guest_mem *mem)
{
	size_t len = strlen(tag);

	memset(d, 0, sizeof(*d));
	if (len == 0 || len > VIRTIO_9P_TAG_MAX) {
		close(root_fd);
		d->server.root_fd = -1; /* virtio_9p_destroy() may still be called */
		return -ENAMETOOLONG;
	}
	d->transport = transport;
	d->mem = mem;
	d->config.tag_len = (uint16_t)len;
	memcpy(d->config.tag, tag, len);
	return p9_server_init(&d->server, root_fd, read_only, P9_MAX_FIDS);
}

void virtio_9p_destroy(struct virtio_9p *d)
{
	p9_server_destroy(&d->server);
}

uint64_t virtio_9p_features(void)
{
	return 1ULL << VIRTIO_9P_MOUNT_TAG;
}

static void config_read(void *dev, uint32_t offset, void *buf, uint32_t len)
{
	struct virtio_9p *d = dev;

	/* The transport checked offset + len against config_size. */
	memcpy(buf, (const uint8_t *)&d->config + offset, len);
}

/* A driver reset ends the 9P session: its fids go. */
static void reset(void *dev)
{
	struct virtio_9p *d = dev;

	p9_fids_clear(&d->server.fids);
}

/* Serves the next request: 1 when one was taken (and answered, perhaps
 * with an Rlerror, or given back empty when it could not be read), 0 when
 * none is waiting, -1 when the queue is corrupt. */
static int serve_one(void *dev, struct virtq *q)
{
	struct virtio_9p *d = dev;
	struct virtq_chain *c = &d->chain;
	int r = virtq_pop(q, d->mem, c);
	ssize_t len = 0;

	if (r == 0 || r == -ENXIO)
		return 0;
	if (r == -EPROTO)
		return -1;
	if (r > 0)
		len = p9_server_handle(&d->server, c->iov, c->nread, c->iov + c->nread,
				       c->nbufs - c->nread);
	/* A malformed chain, or one too short for a 9P header or an Rlerror:
	 * back empty, which Linux's 9pnet_virtio reports as an I/O error. */
	return virtq_push(q, d->mem, c->head, len > 0 ? (uint32_t)len : 0) == 0 ? 1 : -1;
}

static void queue_notify(void *dev, unsigned qi)
{
	struct virtio_9p *d = dev;

	virtio_mmio_drain(d->transport, qi, serve_one, d);
}

const struct virtio_device_ops virtio_9p_ops = {
	.name = "virtio-9p",
	.device_id = VIRTIO_ID_9P,
	.num_queues = 1,
	.queue_max = QUEUE_MAX,
	.config_size = sizeof(((struct virtio_9p *)0)->config),
	.config_read = config_read,
	.queue_notify = queue_notify,
	.reset = reset,
};
