#include "devices/virtio_console.h"

#include <errno.h>
#include <string.h>

#define QUEUE_MAX 64   /* Linux fills every receive queue with a page per entry */
#define CTRL_RX   2    /* 5.3.2: control receiveq (device to driver) */
#define CTRL_TX   3    /* control transmitq (driver to device) */
#define CTRL_LEN  sizeof(struct virtio_console_control)
#define PORT0_TX  1    /* port 0's transmitq */

/* Control messages a port still has to get, sent lowest bit first: the
 * order QEMU sends them in and Linux's driver expects (it handles
 * RESIZE only on a port it already knows as a console). */
enum {
	PEND_ADD = 1 << 0,
	PEND_CONSOLE = 1 << 1,
	PEND_NAME = 1 << 2,
	PEND_OPEN = 1 << 3,
	PEND_RESIZE = 1 << 4,
};

/* --- ports and queues ---------------------------------------------------- */

static bool multiport(const struct virtio_console *c)
{
	return virtio_mmio_has_feature(c->transport, VIRTIO_CONSOLE_F_MULTIPORT);
}

/* 5.3.2: port 0 on queues 0 and 1, the control pair on 2 and 3, port N
 * on 2N+2 and 2N+3. */
static unsigned rx_queue(unsigned id)
{
	return id == 0 ? 0 : 2 * id + 2;
}

/* The port queue `qi` belongs to, or -1 (control queues, unused ports). */
static int queue_port(const struct virtio_console *c, unsigned qi)
{
	if (qi == CTRL_RX || qi == CTRL_TX)
		return -1;
	unsigned id = qi < 2 ? 0 : qi / 2 - 1;
	return id < c->nports && (id == 0 || multiport(c)) ? (int)id : -1;
}

static void set_ops(struct virtio_console_port *p, const char *name,
		    const struct virtio_console_port_ops *ops)
{
	memset(p, 0, sizeof(*p));
	strcpy(p->name, name);
	p->ops = *ops;
}

void virtio_console_init(struct virtio_console *c, const struct virtio_console_port_ops *console,
			 struct virtio_mmio *transport, const struct guest_mem *mem)
{
	memset(c, 0, sizeof(*c));
	c->transport = transport;
	c->mem = mem;
	set_ops(&c->port[0], "", console);
	c->nports = 1;
	c->config.max_nr_ports = 1;
}

/* Names end up in sysfs and in udev's /dev/virtio-ports/NAME links. */
static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > VIRTIO_CONSOLE_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return false;
	return true;
}

int virtio_console_add_port(struct virtio_console *c, const char *name,
			    const struct virtio_console_port_ops *ops)
{
	if (!valid_name(name))
		return -EINVAL;
	if (c->nports == VIRTIO_CONSOLE_MAX_PORTS)
		return -ENOSPC;
	set_ops(&c->port[c->nports], name, ops);
	c->config.max_nr_ports = ++c->nports;
	return (int)c->nports - 1;
}

bool virtio_console_port_open(const struct virtio_console *c, unsigned id)
{
	if (id >= c->nports || !virtio_mmio_driver_ok(c->transport))
		return false;
	/* Without MULTIPORT, Linux sets port 0 up as a console at probe. */
	return multiport(c) ? c->port[id].guest_open : id == 0;
}

/* --- buffers ------------------------------------------------------------- */

/* Copies up to `len` bytes into the chain's writable buffers. */
static uint32_t scatter(const struct virtq_chain *ch, const uint8_t *data, size_t len)
{
	size_t done = 0;

	for (unsigned i = ch->nread; i < ch->nbufs && done < len; i++) {
		size_t n = ch->iov[i].iov_len < len - done ? ch->iov[i].iov_len : len - done;
		memcpy(ch->iov[i].iov_base, data + done, n);
		done += n;
	}
	return (uint32_t)done;
}

/* The first `len` bytes of the chain's readable buffers (there are that many). */
static void gather(const struct virtq_chain *ch, void *out, size_t len)
{
	uint8_t *p = out;

	for (unsigned i = 0; i < ch->nread && len; i++) {
		size_t n = ch->iov[i].iov_len < len ? ch->iov[i].iov_len : len;
		memcpy(p, ch->iov[i].iov_base, n);
		p += n;
		len -= n;
	}
}

/* --- device to driver: the control receiveq -------------------------------- */

static size_t build_message(const struct virtio_console *c, unsigned id, unsigned what,
			    uint8_t *out)
{
	struct virtio_console_control m = { .id = id, .value = 1 };
	const struct virtio_console_port *p = &c->port[id];
	size_t extra = 0;

	switch (what) {
	case PEND_ADD: m.event = VIRTIO_CONSOLE_PORT_ADD; break;
	case PEND_CONSOLE: m.event = VIRTIO_CONSOLE_CONSOLE_PORT; break;
	case PEND_OPEN:
		m.event = VIRTIO_CONSOLE_PORT_OPEN;
		m.value = !p->input_ended;
		break;
	case PEND_NAME:
		/* 5.3.6.2: the name follows, without a NUL. */
		m.event = VIRTIO_CONSOLE_PORT_NAME;
		extra = strlen(p->name);
		memcpy(out + CTRL_LEN, p->name, extra);
		break;
	case PEND_RESIZE: {
		/* Cols before rows, as the spec has them (5.3.6.2). Linux
		 * read rows first until "virtio_console: fix order of fields
		 * cols and rows" (2025), which stable kernels took, Debian's
		 * 6.1.0-57 among them (the e2e shell case checks `stty size`
		 * there); upstream reverted it later in 2025. Kernels without
		 * the fix, or with the revert, see the two swapped. */
		uint16_t size[2] = { c->config.cols, c->config.rows };
		m.event = VIRTIO_CONSOLE_RESIZE;
		m.value = 0;
		extra = sizeof(size);
		memcpy(out + CTRL_LEN, size, extra);
		break;
	}
	}
	memcpy(out, &m, CTRL_LEN);
	return CTRL_LEN + extra;
}

/* Puts one message into the next receive buffer that holds it. 1 sent,
 * 0 no buffer (it stays pending), -1 the queue is corrupt. A buffer that
 * is device-readable, malformed or too short goes back empty. */
static int send_message(struct virtio_console *c, const uint8_t *msg, size_t len)
{
	struct virtq *q = &c->transport->vq[CTRL_RX];
	struct virtq_chain *ch = &c->chain;

	for (;;) {
		int r = virtq_pop(q, c->mem, ch);
		if (r == 0 || r == -ENXIO)
			return 0;
		if (r == -EPROTO)
			return -1;
		bool fits = r == 1 && ch->nread == 0 && ch->write_len >= len;
		uint32_t written = fits ? scatter(ch, msg, len) : 0;
		if (virtq_push(q, c->mem, ch->head, written))
			return -1;
		if (fits)
			return 1;
	}
}

/* Sends what is pending while the driver has buffers for it. */
static void flush_control(struct virtio_console *c)
{
	uint8_t msg[CTRL_LEN + VIRTIO_CONSOLE_NAME_MAX];
	bool sent = false;
	int r = 1;

	if (!multiport(c) || !virtio_mmio_driver_ok(c->transport))
		return;
	for (unsigned id = 0; id < c->nports && r > 0; id++) {
		struct virtio_console_port *p = &c->port[id];
		while (p->pending && r > 0) {
			unsigned what = p->pending & -p->pending;
			r = send_message(c, msg, build_message(c, id, what, msg));
			if (r > 0) {
				p->pending &= ~what;
				p->added |= what == PEND_ADD;
				sent = true;
			}
		}
	}
	if (r < 0)
		virtio_mmio_needs_reset(c->transport);
	else if (sent)
		virtio_mmio_used(c->transport, CTRL_RX);
}

/* --- driver to device: the control transmitq ------------------------------ */

/* The driver set up (value 1) or failed (0): every port is announced. */
static void device_ready(struct virtio_console *c, uint16_t value)
{
	if (value != 1 || c->device_ready)
		return;
	c->device_ready = true;
	for (unsigned id = 0; id < c->nports; id++)
		c->port[id].pending |= PEND_ADD;
}

/* The driver made the port: tell it what the port is, and whether the
 * host end is open (until its input ended). */
static void port_ready(struct virtio_console *c, unsigned id, uint16_t value)
{
	struct virtio_console_port *p = &c->port[id];

	if (value != 1 || p->ready)
		return; /* 0: the driver could not add it; it stays unused */
	p->ready = true;
	if (id == 0)
		p->pending |= PEND_CONSOLE;
	if (p->name[0])
		p->pending |= PEND_NAME;
	p->pending |= PEND_OPEN;
	if (id == 0 && c->config.cols && c->config.rows)
		p->pending |= PEND_RESIZE;
}

static void port_opened(struct virtio_console *c, unsigned id, uint16_t value)
{
	struct virtio_console_port *p = &c->port[id];

	if (value > 1 || !p->ready)
		return;
	p->guest_open = value;
	if (value && p->ops.input_room)
		p->ops.input_room(p->ops.ctx);
}

/* 5.3.6.2: the driver sends DEVICE_READY, PORT_READY and PORT_OPEN, each
 * exactly one header long; anything else, or about a port it was never
 * told of, is ignored. */
static void control_chain(struct virtio_console *c, struct virtq_chain *ch)
{
	struct virtio_console_control m;

	if (ch->nread != ch->nbufs || ch->read_len != CTRL_LEN)
		return;
	gather(ch, &m, CTRL_LEN);
	if (m.event == VIRTIO_CONSOLE_DEVICE_READY) {
		device_ready(c, m.value);
		return;
	}
	if (m.id >= c->nports || !c->port[m.id].added)
		return;
	if (m.event == VIRTIO_CONSOLE_PORT_READY)
		port_ready(c, m.id, m.value);
	else if (m.event == VIRTIO_CONSOLE_PORT_OPEN)
		port_opened(c, m.id, m.value);
}

/* --- the ports' queues ------------------------------------------------------ */

/* 5.3.6.1: transmit buffers are device-readable only; a chain with a
 * writable one is dropped whole. */
static void transmit_chain(struct virtio_console *c, struct virtq_chain *ch, unsigned id)
{
	const struct virtio_console_port_ops *ops = &c->port[id].ops;

	if (ch->nread != ch->nbufs)
		return;
	for (unsigned i = 0; i < ch->nread; i++)
		ops->output(ops->ctx, ch->iov[i].iov_base, ch->iov[i].iov_len);
}

/* Takes the next chain and hands it to the port, or to the control
 * handler (id < 0); every chain goes back with nothing written. 1 when
 * one was taken, 0 when none is waiting, -1 when the queue is corrupt. */
static int serve_one(struct virtio_console *c, struct virtq *q, int id)
{
	struct virtq_chain *ch = &c->chain;
	int r = virtq_pop(q, c->mem, ch);

	if (r == 0 || r == -ENXIO)
		return 0;
	if (r == -EPROTO)
		return -1;
	if (r < 0)
		virtio_mmio_report(c->transport, "malformed chain dropped", r);
	else if (id < 0)
		control_chain(c, ch);
	else
		transmit_chain(c, ch, (unsigned)id);
	return virtq_push(q, c->mem, ch->head, 0) == 0 ? 1 : -1;
}

/* Port 0 is the console (Linux's hvc), whose put_chars() waits for each
 * buffer by polling with interrupts off: an interrupt for its transmitq
 * would always find the work done, and after 100,000 such in a row Linux
 * disables the device's IRQ ("nobody cared"), which ends the console's
 * input and every other port's (seen: 38,543 of 38,573 unhandled after
 * `seq 1 20000` in a shell on hvc0). So that queue raises none, as
 * kvmtool's console does; 2.7.7.2 asks for one, which no driver of that
 * port waits for. Other ports' writers sleep until it comes. */
static bool notifies_used(unsigned qi)
{
	return qi != PORT0_TX;
}

/* Drain with the driver's kicks off, then on again and drain whatever came
 * in between (the pattern virtq_set_notify() describes). */
static void drain(struct virtio_console *c, unsigned qi, int id)
{
	struct virtq *q = &c->transport->vq[qi];
	int r;

	do {
		virtq_set_notify(q, c->mem, false);
		while ((r = serve_one(c, q, id)) > 0)
			;
		if (r < 0) {
			virtio_mmio_needs_reset(c->transport);
			return;
		}
		if (notifies_used(qi))
			virtio_mmio_used(c->transport, qi);
	} while (virtq_set_notify(q, c->mem, true));
}

void virtio_console_input_end(struct virtio_console *c, unsigned id)
{
	if (id >= c->nports || c->port[id].input_ended)
		return;
	struct virtio_console_port *p = &c->port[id];
	p->input_ended = true;
	if (p->ready) {
		p->pending |= PEND_OPEN;
		flush_control(c);
	}
}

size_t virtio_console_input(struct virtio_console *c, unsigned id, const uint8_t *buf, size_t len)
{
	if (!virtio_console_port_open(c, id) || c->port[id].input_ended)
		return 0;
	unsigned qi = rx_queue(id);
	struct virtq *q = &c->transport->vq[qi];
	struct virtq_chain *ch = &c->chain;
	size_t done = 0;
	bool pushed = false;

	while (done < len) {
		int r = virtq_pop(q, c->mem, ch);
		if (r == 0 || r == -ENXIO)
			break;
		/* A receive buffer must be writable only (5.3.6.1); others go
		 * back empty. */
		uint32_t n = r == 1 && ch->nread == 0 ? scatter(ch, buf + done, len - done) : 0;
		if (r == -EPROTO || virtq_push(q, c->mem, ch->head, n)) {
			virtio_mmio_needs_reset(c->transport);
			break;
		}
		pushed = true;
		done += n;
	}
	if (pushed)
		virtio_mmio_used(c->transport, qi);
	return done;
}

static void queue_notify(void *dev, unsigned qi)
{
	struct virtio_console *c = dev;
	int id = queue_port(c, qi);

	if (qi == CTRL_RX || qi == CTRL_TX) {
		if (qi == CTRL_TX && multiport(c))
			drain(c, qi, -1);
		flush_control(c);
		return;
	}
	if (id < 0)
		return;
	const struct virtio_console_port_ops *ops = &c->port[id].ops;
	if (qi == rx_queue((unsigned)id)) {
		/* Receive buffers wait for host input; its source may go on. */
		if (ops->input_room && virtio_console_port_open(c, (unsigned)id))
			ops->input_room(ops->ctx);
		return;
	}
	drain(c, qi, id);
	if (ops->flush)
		ops->flush(ops->ctx);
}

/* --- configuration space ----------------------------------------------------- */

/* The size is in the configuration space (5.3.4), which changes with a
 * new ConfigGeneration and, once the driver is up, a configuration
 * interrupt: how a driver without MULTIPORT learns of it. A multiport
 * driver is sent RESIZE for the console port instead (Linux ignores the
 * interrupt then). */
void virtio_console_resize(struct virtio_console *c, uint16_t cols, uint16_t rows)
{
	if (cols == c->config.cols && rows == c->config.rows)
		return;
	c->config.cols = cols;
	c->config.rows = rows;
	virtio_mmio_config_changed(c->transport);
	if (multiport(c) && c->port[0].ready && cols && rows) {
		c->port[0].pending |= PEND_RESIZE;
		flush_control(c);
	}
}

static void config_read(void *dev, uint32_t offset, void *buf, uint32_t len)
{
	struct virtio_console *c = dev;

	/* The transport checked offset + len against config_size. */
	memcpy(buf, (const uint8_t *)&c->config + offset, len);
}

/* 5.3.4: a 32-bit write to emerg_wr puts its low byte out on port 0, at
 * any time, even before the driver set the device up. The other fields
 * are read-only. */
static void config_write(void *dev, uint32_t offset, const void *buf, uint32_t len)
{
	struct virtio_console *c = dev;
	const struct virtio_console_port_ops *ops = &c->port[0].ops;

	if (offset != offsetof(struct virtio_console_config, emerg_wr) || len != 4)
		return;
	ops->output(ops->ctx, buf, 1);
	if (ops->flush)
		ops->flush(ops->ctx);
}

/* The driver's view of every port goes; the ports themselves stay. */
static void reset(void *dev)
{
	struct virtio_console *c = dev;

	c->device_ready = false;
	for (unsigned id = 0; id < c->nports; id++) {
		struct virtio_console_port *p = &c->port[id];
		p->added = p->ready = p->guest_open = false;
		p->pending = 0;
	}
}

const struct virtio_device_ops virtio_console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = VIRTIO_MAX_QUEUES, /* the driver uses 2 * (max_nr_ports + 1) */
	.queue_max = QUEUE_MAX,
	.config_size = sizeof(struct virtio_console_config),
	.config_read = config_read,
	.config_write = config_write,
	.queue_notify = queue_notify,
	.reset = reset,
};
