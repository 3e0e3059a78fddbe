#include "devices/virtio_mmio.h"

#include <stdio.h>
#include <string.h>

#include "src/guest_mem.h"

#define MAGIC           0x74726976 /* "virt" */
#define VERSION         2
#define VENDOR_ID       0x4e55524d /* "MRUN" */
#define BIT(n)          (1ULL << (n))
#define TRANSPORT_FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
			    BIT(VIRTIO_RING_F_EVENT_IDX))

void virtio_mmio_init(struct virtio_mmio *t, const struct virtio_device_ops *dev_ops, void *dev,
		      uint64_t device_features, const struct virtio_mmio_ops *ops,
		      const struct guest_mem *mem)
{
	memset(t, 0, sizeof(*t));
	t->dev_ops = dev_ops;
	t->dev = dev;
	t->device_features = device_features;
	t->ops = *ops;
	t->mem = mem;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_reset(&t->vq[i]);
}

static uint64_t offered_features(const struct virtio_mmio *t)
{
	return t->device_features | TRANSPORT_FEATURES;
}

bool virtio_mmio_driver_ok(const struct virtio_mmio *t)
{
	return (t->status & VIRTIO_CONFIG_S_DRIVER_OK) && !(t->status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

bool virtio_mmio_has_feature(const struct virtio_mmio *t, unsigned bit)
{
	return bit < 64 && (t->driver_features & BIT(bit));
}

static void update_irq(struct virtio_mmio *t)
{
	bool level = t->interrupt_status != 0;

	if (level != t->irq_level) {
		t->irq_level = level;
		t->ops.set_irq(t->ops.ctx, level);
	}
}

static void interrupt(struct virtio_mmio *t, uint32_t why)
{
	t->interrupt_status |= why;
	update_irq(t);
}

/* The line may drive an edge-triggered pin, as on the PC: a cause that
 * came after the driver read InterruptStatus and survives its ack (a
 * configuration change while it handles a used buffer) must be a new edge.
 * With the line left asserted it would never be seen, nor any interrupt
 * after it: Linux's vm_interrupt() handles what it read, acks that, and
 * waits for the next edge. */
static void ack_interrupt(struct virtio_mmio *t, uint32_t value)
{
	bool cleared = t->interrupt_status & value;

	t->interrupt_status &= ~value;
	if (cleared && t->interrupt_status) {
		t->ops.set_irq(t->ops.ctx, false);
		t->irq_level = false;
	}
	update_irq(t);
}

/* The selected queue, or NULL when QueueSel names none (reads then give 0
 * and writes are dropped, 4.2.2.1). */
static struct virtq *selected(struct virtio_mmio *t)
{
	return t->queue_sel < t->dev_ops->num_queues ? &t->vq[t->queue_sel] : NULL;
}

static void reset(struct virtio_mmio *t)
{
	t->status = 0;
	t->driver_features = 0;
	t->device_features_sel = t->driver_features_sel = t->queue_sel = 0;
	t->interrupt_status = 0;
	t->reported = false;
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_reset(&t->vq[i]);
	t->dev_ops->reset(t->dev);
	update_irq(t);
}

static uint32_t half(uint64_t v, uint32_t sel)
{
	return sel == 0 ? (uint32_t)v : sel == 1 ? (uint32_t)(v >> 32) : 0;
}

static uint32_t queue_read(struct virtio_mmio *t, uint64_t reg)
{
	struct virtq *q = selected(t);

	if (!q)
		return 0;
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_NUM_MAX: return t->dev_ops->queue_max;
	case VIRTIO_MMIO_QUEUE_READY: return q->ready;
	default: return 0;
	}
}

static uint32_t register_read(struct virtio_mmio *t, uint64_t reg)
{
	switch (reg) {
	case VIRTIO_MMIO_MAGIC_VALUE: return MAGIC;
	case VIRTIO_MMIO_VERSION: return VERSION;
	case VIRTIO_MMIO_DEVICE_ID: return t->dev_ops->device_id;
	case VIRTIO_MMIO_VENDOR_ID: return VENDOR_ID;
	case VIRTIO_MMIO_DEVICE_FEATURES: return half(offered_features(t), t->device_features_sel);
	case VIRTIO_MMIO_QUEUE_NUM_MAX: case VIRTIO_MMIO_QUEUE_READY: return queue_read(t, reg);
	case VIRTIO_MMIO_INTERRUPT_STATUS: return t->interrupt_status;
	case VIRTIO_MMIO_STATUS: return t->status;
	case VIRTIO_MMIO_SHM_LEN_LOW: case VIRTIO_MMIO_SHM_LEN_HIGH: return 0xffffffff; /* no shared memory */
	case VIRTIO_MMIO_SHM_BASE_LOW: case VIRTIO_MMIO_SHM_BASE_HIGH: return 0xffffffff;
	case VIRTIO_MMIO_CONFIG_GENERATION: return t->config_generation;
	default: return 0;
	}
}

/* 3.1.1: the driver may only write features between DRIVER and FEATURES_OK. */
static void write_driver_features(struct virtio_mmio *t, uint32_t value)
{
	unsigned shift = t->driver_features_sel == 0 ? 0 : 32;

	if (t->driver_features_sel > 1 || (t->status & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	t->driver_features &= ~(0xffffffffULL << shift);
	t->driver_features |= (uint64_t)value << shift;
}

/* 2.2.1: FEATURES_OK sticks only for a subset of what was offered, and
 * microrun offers modern devices only: VERSION_1 is required. */
static bool features_acceptable(const struct virtio_mmio *t)
{
	return !(t->driver_features & ~offered_features(t)) &&
	       (t->driver_features & BIT(VIRTIO_F_VERSION_1));
}

/* 2.1.1-2: status bits are only ever added, in order; 0 resets. A driver
 * that breaks the order gets its write ignored. */
static void write_status(struct virtio_mmio *t, uint32_t value)
{
	uint32_t added = value & ~t->status;

	if (value == 0) {
		reset(t);
		return;
	}
	if ((t->status & ~value) || value > 0xff)
		return; /* clearing bits other than by reset */
	if ((added & VIRTIO_CONFIG_S_FEATURES_OK) && !features_acceptable(t))
		value &= ~(uint32_t)VIRTIO_CONFIG_S_FEATURES_OK;
	if ((added & VIRTIO_CONFIG_S_DRIVER_OK) && !(value & VIRTIO_CONFIG_S_FEATURES_OK))
		return;
	t->status = value;
}

static void set_addr(uint64_t *addr, bool high, uint32_t value)
{
	if (high)
		*addr = (*addr & 0xffffffffULL) | (uint64_t)value << 32;
	else
		*addr = (*addr & ~0xffffffffULL) | value;
}

void virtio_mmio_report(struct virtio_mmio *t, const char *problem, int err)
{
	if (t->reported || t->reports == VIRTIO_MMIO_MAX_REPORTS || !t->ops.report)
		return;
	t->reported = true;
	t->reports++;
	t->ops.report(t->ops.ctx, problem, err);
}

void virtio_mmio_needs_reset(struct virtio_mmio *t)
{
	if (t->status & VIRTIO_CONFIG_S_NEEDS_RESET)
		return;
	virtio_mmio_report(t, "corrupt virtqueue: device stopped until the driver resets it", 0);
	t->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
	interrupt(t, VIRTIO_MMIO_INT_CONFIG); /* 2.1.2: and tell the driver */
}

/* A queue the driver describes badly (size, alignment, rings outside RAM)
 * is refused, and the device wants a reset: carrying on would only fail
 * later, less clearly. Turning a queue off forgets its position. */
static void set_ready(struct virtio_mmio *t, struct virtq *q, bool ready)
{
	if (!ready) {
		struct virtq setup = *q;
		virtq_reset(q);
		q->size = setup.size;
		q->desc_gpa = setup.desc_gpa;
		q->avail_gpa = setup.avail_gpa;
		q->used_gpa = setup.used_gpa;
		return;
	}
	int r = virtq_check_layout(q, t->mem);
	if (r) {
		virtio_mmio_report(t, "queue refused at QueueReady: bad size, alignment or "
				   "rings outside RAM", r);
		virtio_mmio_needs_reset(t);
		return;
	}
	q->indirect = virtio_mmio_has_feature(t, VIRTIO_RING_F_INDIRECT_DESC);
	q->event_idx = virtio_mmio_has_feature(t, VIRTIO_RING_F_EVENT_IDX);
	q->ready = true;
}

/* A queue's set-up may only change while it is not ready (4.2.2.2). */
static void queue_write(struct virtio_mmio *t, uint64_t reg, uint32_t value)
{
	struct virtq *q = selected(t);

	if (!q || (q->ready && reg != VIRTIO_MMIO_QUEUE_READY))
		return;
	switch (reg) {
	case VIRTIO_MMIO_QUEUE_NUM:
		q->size = value <= t->dev_ops->queue_max ? (uint16_t)value : 0;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_addr(&q->desc_gpa, reg == VIRTIO_MMIO_QUEUE_DESC_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
		set_addr(&q->avail_gpa, reg == VIRTIO_MMIO_QUEUE_AVAIL_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_USED_LOW: case VIRTIO_MMIO_QUEUE_USED_HIGH:
		set_addr(&q->used_gpa, reg == VIRTIO_MMIO_QUEUE_USED_HIGH, value);
		break;
	case VIRTIO_MMIO_QUEUE_READY:
		set_ready(t, q, value == 1);
		break;
	}
}

void virtio_mmio_notify(struct virtio_mmio *t, uint32_t q)
{
	if (q < t->dev_ops->num_queues && t->vq[q].ready && virtio_mmio_driver_ok(t))
		t->dev_ops->queue_notify(t->dev, q);
}

static void register_write(struct virtio_mmio *t, uint64_t reg, uint32_t value)
{
	switch (reg) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL: t->device_features_sel = value; break;
	case VIRTIO_MMIO_DRIVER_FEATURES: write_driver_features(t, value); break;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL: t->driver_features_sel = value; break;
	case VIRTIO_MMIO_QUEUE_SEL: t->queue_sel = value; break;
	case VIRTIO_MMIO_QUEUE_NOTIFY: virtio_mmio_notify(t, value); break;
	case VIRTIO_MMIO_INTERRUPT_ACK: ack_interrupt(t, value); break;
	case VIRTIO_MMIO_STATUS: write_status(t, value); break;
	case VIRTIO_MMIO_QUEUE_NUM: case VIRTIO_MMIO_QUEUE_READY:
	case VIRTIO_MMIO_QUEUE_DESC_LOW: case VIRTIO_MMIO_QUEUE_DESC_HIGH:
	case VIRTIO_MMIO_QUEUE_AVAIL_LOW: case VIRTIO_MMIO_QUEUE_AVAIL_HIGH:
	case VIRTIO_MMIO_QUEUE_USED_LOW: case VIRTIO_MMIO_QUEUE_USED_HIGH:
		queue_write(t, reg, value);
		break;
	default: break; /* read-only or unknown: ignored */
	}
}

/* Offset within the configuration space, if [offset, offset+len) fits. */
static bool config_range(const struct virtio_mmio *t, uint64_t offset, unsigned len, uint32_t *off)
{
	if (offset < VIRTIO_MMIO_CONFIG || (len != 1 && len != 2 && len != 4 && len != 8))
		return false;
	uint64_t o = offset - VIRTIO_MMIO_CONFIG;
	if (o > t->dev_ops->config_size || len > t->dev_ops->config_size - o)
		return false;
	*off = (uint32_t)o;
	return true;
}

static bool register_access(uint64_t offset, unsigned len)
{
	return offset < VIRTIO_MMIO_CONFIG && len == 4 && (offset & 3) == 0;
}

void virtio_mmio_read(struct virtio_mmio *t, uint64_t offset, void *data, unsigned len)
{
	uint32_t off;

	memset(data, 0, len);
	if (register_access(offset, len)) {
		uint32_t v = register_read(t, offset);
		memcpy(data, &v, 4);
	} else if (config_range(t, offset, len, &off)) {
		t->dev_ops->config_read(t->dev, off, data, len);
	}
}

void virtio_mmio_write(struct virtio_mmio *t, uint64_t offset, const void *data, unsigned len)
{
	uint32_t off, v;

	if (register_access(offset, len)) {
		memcpy(&v, data, 4);
		register_write(t, offset, v);
	} else if (config_range(t, offset, len, &off) && t->dev_ops->config_write) {
		t->dev_ops->config_write(t->dev, off, data, len);
	}
}

void virtio_mmio_used(struct virtio_mmio *t, unsigned q)
{
	if (q < t->dev_ops->num_queues && virtq_should_notify(&t->vq[q], t->mem))
		interrupt(t, VIRTIO_MMIO_INT_VRING);
}

void virtio_mmio_config_changed(struct virtio_mmio *t)
{
	t->config_generation++;
	if (t->status & VIRTIO_CONFIG_S_DRIVER_OK)
		interrupt(t, VIRTIO_MMIO_INT_CONFIG);
}

int virtio_mmio_cmdline_param(char *buf, size_t n, uint64_t base, uint64_t size, unsigned irq)
{
	return snprintf(buf, n, "virtio_mmio.device=%lluK@0x%llx:%u", (unsigned long long)(size >> 10),
			(unsigned long long)base, irq);
}

void virtio_mmio_drain(struct virtio_mmio *t, unsigned q, int (*serve)(void *dev, struct virtq *vq),
		       void *dev)
{
	struct virtq *vq = &t->vq[q];
	int r;

	do {
		virtq_set_notify(vq, t->mem, false);
		while ((r = serve(dev, vq)) > 0)
			;
		if (r < 0) {
			virtio_mmio_needs_reset(t);
			return;
		}
		virtio_mmio_used(t, q);
	} while (virtq_set_notify(vq, t->mem, true));
}
