/* virtio-console (VIRTIO 1.2, 5.3) with VIRTIO_CONSOLE_F_MULTIPORT,
 * F_SIZE and F_EMERG_WRITE. Port 0 is the console Linux makes hvc0; more
 * ports, each with a name (/sys/class/virtio-ports/vportNpM/name in the
 * guest), can be added before the guest starts, for separate output
 * streams or a control channel.
 *
 * Each port has an output sink (the bytes the guest transmits, in order)
 * and an input source that pushes host bytes with virtio_console_input():
 * they go only into receive buffers the guest has posted, and the source is
 * told when the guest posts more, so nothing is buffered in between.
 * Requests run to completion in the notifying thread; the caller
 * serialises all calls, as for the transport. */
#ifndef MR_VIRTIO_CONSOLE_H
#define MR_VIRTIO_CONSOLE_H

#include <linux/virtio_console.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/virtio_mmio.h"

/* Two queues per port plus the control pair must fit the transport. */
#define VIRTIO_CONSOLE_MAX_PORTS (VIRTIO_MAX_QUEUES / 2 - 1)
#define VIRTIO_CONSOLE_NAME_MAX  64

struct virtio_console_port_ops {
	/* Bytes the guest transmitted on the port, a buffer at a time. */
	void (*output)(void *ctx, const uint8_t *buf, size_t len);
	/* The guest's transmit queue is drained: the end of a burst (a
	 * line-buffering sink writes out a partial line). NULL: nothing. */
	void (*flush)(void *ctx);
	/* The guest posted receive buffers or opened the port: input that
	 * virtio_console_input() could not place may go now. NULL: none. */
	void (*input_room)(void *ctx);
	void *ctx;
};

struct virtio_console_port {
	char name[VIRTIO_CONSOLE_NAME_MAX + 1];	/* "" for none */
	struct virtio_console_port_ops ops;
	/* The driver's view, forgotten on reset (5.3.6.2). */
	bool added;		/* PORT_ADD sent */
	bool ready;		/* the driver answered PORT_READY 1 */
	bool guest_open;	/* PORT_OPEN 1 from the driver */
	unsigned pending;	/* control messages still to send */
	bool input_ended;	/* the host's input ended: the host end is closed
				 * for good (kept across resets) */
};

struct virtio_console {
	struct virtio_mmio *transport;
	const struct guest_mem *mem;
	struct virtio_console_config config;
	struct virtio_console_port port[VIRTIO_CONSOLE_MAX_PORTS];
	unsigned nports;
	bool device_ready;	/* DEVICE_READY 1 from the driver */
	struct virtq_chain chain;	/* scratch: one chain at a time */
};

/* The table to give the transport, with the virtio_console as its `dev`. */
extern const struct virtio_device_ops virtio_console_ops;
/* The device feature bits to give the transport. */
#define VIRTIO_CONSOLE_FEATURES ((1ULL << VIRTIO_CONSOLE_F_SIZE) | \
				 (1ULL << VIRTIO_CONSOLE_F_MULTIPORT) | \
				 (1ULL << VIRTIO_CONSOLE_F_EMERG_WRITE))

/* The device with its console, port 0 (`console` is copied). */
void virtio_console_init(struct virtio_console *c, const struct virtio_console_port_ops *console,
			 struct virtio_mmio *transport, const struct guest_mem *mem);
/* Another port, before the guest starts: returns its id (1, 2, ...),
 * -ENOSPC past VIRTIO_CONSOLE_MAX_PORTS, -EINVAL for a name that is empty,
 * longer than VIRTIO_CONSOLE_NAME_MAX or not printable ASCII. */
int virtio_console_add_port(struct virtio_console *c, const char *name,
			    const struct virtio_console_port_ops *ops)
	__attribute__((warn_unused_result));

/* Host bytes for port `id`: placed into the receive buffers the guest
 * posted, as many as fit; returns how many. 0 while the guest has not
 * opened the port (Linux would drop them) or posted nothing; the port's
 * input_room callback says when to try again. */
size_t virtio_console_input(struct virtio_console *c, unsigned id, const uint8_t *buf, size_t len);

/* The host's input for port `id` ended (end of file): the host end of
 * the port closes (PORT_OPEN 0), so that once the guest has read what it
 * was given, Linux's port reads return 0, an end of file. No input is
 * taken for the port after this. */
void virtio_console_input_end(struct virtio_console *c, unsigned id);

/* The host terminal's size changed (or became known): the console port's
 * size in the configuration space, and a RESIZE message (5.3.6.2). */
void virtio_console_resize(struct virtio_console *c, uint16_t cols, uint16_t rows);

/* Whether the guest has port `id` open: it set it up and can read it. */
bool virtio_console_port_open(const struct virtio_console *c, unsigned id);

#endif
