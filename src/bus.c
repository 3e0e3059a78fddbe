#include "src/bus.h"

#include <errno.h>
#include <string.h>

static bool overlaps(const struct bus_device *d, uint64_t base, uint64_t len)
{
	return base < d->base + d->len && d->base < base + len;
}

int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_handler *handle, void *dev)
{
	if (len == 0 || base + len < base)
		return -EINVAL;
	for (unsigned i = 0; i < b->ndevices; i++)
		if (overlaps(&b->devices[i], base, len))
			return -EEXIST;
	if (b->ndevices == BUS_MAX_DEVICES)
		return -ENOSPC;
	b->devices[b->ndevices++] = (struct bus_device){
		.base = base, .len = len, .handle = handle, .dev = dev,
	};
	return 0;
}

void bus_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write)
{
	for (unsigned i = 0; i < b->ndevices; i++) {
		const struct bus_device *d = &b->devices[i];
		/* The whole access must fall inside the device. */
		if (addr >= d->base && addr - d->base < d->len && len <= d->len - (addr - d->base)) {
			d->handle(d->dev, addr - d->base, data, len, is_write);
			return;
		}
	}
	atomic_fetch_add_explicit(&b->unhandled, 1, memory_order_relaxed);
	if (!is_write)
		memset(data, 0xff, len);
}
