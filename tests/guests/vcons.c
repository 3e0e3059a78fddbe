/* vcons: a hostile driver for the virtio-console (issue 7's campaign). Run
 * with -a console=hvc0 and no disk: the console is then the first
 * virtio-mmio window. With MULTIPORT it uses port 0's transmitq and the
 * control pair (5.3.2), and hands them what devices/virtio_console.c must
 * refuse: receive buffers the device may not write to or too short for a
 * message, control messages of the wrong size, direction or id, unknown
 * events, transmit chains with writable buffers, outside RAM or looping,
 * and a transmitq whose avail idx runs far ahead. Each refusal is checked
 * (the chain comes back empty, no control message answers it, or
 * DEVICE_NEEDS_RESET with a configuration interrupt); the text of every
 * refused transmit buffer is "vcons: LEAKED", which must never reach
 * stdout. After a reset, a well-formed write of VCONS_LINE, which must
 * arrive on stdout exactly.
 *
 * Prints "vcons: ok CASE" or "vcons: FAIL CASE: WHY" per case (the line
 * over hvc0 just before the last one), then a summary; powers off (0) if every case passed,
 * resets (122) otherwise. */
#include <linux/virtio_console.h>

#include "lib.h"
#include "virtio.h"

#define VCONS_LINE "vcons: a well-formed line over hvc0\n"
#define LEAKED     "vcons: LEAKED\n"
#define TX0        1            /* 5.3.2: port 0's transmitq */
#define CTRL_RX    2            /* control receiveq, device to driver */
#define CTRL_TX    3            /* control transmitq, driver to device */
#define QSIZE      8
#define MSG_LEN    sizeof(struct virtio_console_control)
#define RX_LEN     64           /* a receive buffer: a message and a name */
#define W          VRING_DESC_F_WRITE
#define NEXT       VRING_DESC_F_NEXT

static uint8_t rings[3][VIO_RING_BYTES] __attribute__((aligned(4096)));
static uint8_t rx_bufs[QSIZE][RX_LEN] __attribute__((aligned(16)));
static uint8_t out[2][RX_LEN] __attribute__((aligned(16)));
static struct vio_dev con;
static struct vio_queue tx, crx, ctx;
static unsigned passed, failed;

static void verdict(const char *name, const char *why)
{
	puts(why ? "vcons: FAIL " : "vcons: ok ");
	puts(name);
	if (why) {
		puts(": ");
		puts(why);
		failed++;
	} else {
		passed++;
	}
	putc('\n');
}

static int needs_reset(void)
{
	return !!(vio_read(&con, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET);
}

/* --- the queues ------------------------------------------------------------- */

static void desc(struct vio_queue *q, uint16_t i, const void *addr, uint32_t len, uint16_t flags,
		 uint16_t next)
{
	q->desc[i] = (struct vring_desc){
		.addr = (uintptr_t)addr, .len = len, .flags = flags, .next = next,
	};
}

/* Makes the chain at descriptor 0 available on queue `index`, notifies,
 * and takes its used element: NULL if it came back (head 0, nothing
 * written), else what happened instead. */
static const char *back_empty(struct vio_queue *q, unsigned index)
{
	struct vring_used_elem e;

	vio_publish(q, 0);
	vio_notify_queue(&con, index);
	switch (vio_wait_on(&con, q, &e)) {
	case VIO_USED:
		vio_ack_interrupt(&con);
		return e.id != 0 || e.len != 0 ? "used element is not (head 0, length 0)" : NULL;
	case VIO_NEEDS_RESET:
		return "device needs reset";
	default:
		return "no answer";
	}
}

/* One receive buffer of RX_LEN bytes more on the control receiveq. */
static void post_rx(void)
{
	struct vio_buf b = { (uintptr_t)rx_bufs[crx.next_desc], RX_LEN, W };

	vio_add(&crx, &b, 1);
	vio_notify_queue(&con, CTRL_RX);
}

/* The next control message the device sent is (event, id 0, value):
 * NULL, or what it was instead. */
static const char *got_message(uint16_t event, uint16_t value)
{
	struct vring_used_elem e;

	if (vio_wait_on(&con, &crx, &e) != VIO_USED)
		return "no control message";
	const struct virtio_console_control *m = (const void *)(uintptr_t)crx.desc[e.id].addr;
	if (e.len != MSG_LEN)
		return "control message of the wrong length";
	if (m->event != event || m->id != 0 || m->value != value)
		return "not the control message expected";
	post_rx();
	return NULL;
}

/* A control message from the driver in `len` bytes with `flags`. */
static const char *send_control(uint32_t id, uint16_t event, uint16_t value, uint32_t len,
				uint16_t flags)
{
	struct virtio_console_control *m = (void *)out[0];

	*m = (struct virtio_console_control){ .id = id, .event = event, .value = value };
	desc(&ctx, 0, m, len, flags, 0);
	return back_empty(&ctx, CTRL_TX);
}

/* Everything the device had to do for earlier notifications is done once
 * a later chain on another queue comes back (one thread serves them all,
 * each notification to the end): a writable transmit buffer, dropped. */
static const char *sync_device(void)
{
	desc(&tx, 0, out[1], RX_LEN, W, 0);
	return back_empty(&tx, TX0);
}

/* No control message came since the last one taken. */
static const char *no_answer(void)
{
	const char *why = sync_device();

	if (why)
		return why;
	vio_barrier();
	return *(volatile uint16_t *)&crx.used->idx != crx.last_used ?
		"the device answered it with a control message" : NULL;
}

/* --- set-up --------------------------------------------------------------------- */

/* MULTIPORT, the three queues, DRIVER_OK, and the first hostile buffers
 * on the control receiveq ahead of QSIZE - 2 good ones. */
static const char *start(void)
{
	if (vio_negotiate(&con, 1ull << VIRTIO_CONSOLE_F_MULTIPORT) ||
	    !(con.features & 1ull << VIRTIO_CONSOLE_F_MULTIPORT))
		return "MULTIPORT not accepted";
	if (vio_queue_setup_at(&con, TX0, &tx, rings[0], QSIZE) ||
	    vio_queue_setup_at(&con, CTRL_RX, &crx, rings[1], QSIZE) ||
	    vio_queue_setup_at(&con, CTRL_TX, &ctx, rings[2], QSIZE) || vio_driver_ok(&con))
		return "queues not set up";
	struct vio_buf bad[2] = {
		{ (uintptr_t)rx_bufs[0], RX_LEN, 0 },           /* device-readable */
		{ (uintptr_t)rx_bufs[1], MSG_LEN / 2, W },      /* half a message */
	};
	vio_add(&crx, &bad[0], 1);
	vio_add(&crx, &bad[1], 1);
	for (unsigned i = 2; i < QSIZE; i++)
		post_rx();
	return NULL;
}

/* The two bad receive buffers come back empty, then PORT_ADD. */
static const char *bad_rx_buffers(void)
{
	struct vring_used_elem e;
	const char *why = send_control(0, VIRTIO_CONSOLE_DEVICE_READY, 1, MSG_LEN, 0);

	for (uint16_t head = 0; !why && head < 2; head++) {
		if (vio_wait_on(&con, &crx, &e) != VIO_USED)
			why = "no used element for a bad receive buffer";
		else if (e.id != head || e.len != 0)
			why = "a bad receive buffer came back written";
	}
	return why ? why : got_message(VIRTIO_CONSOLE_PORT_ADD, 1);
}

/* Port 0 made ready and opened, as Linux does: CONSOLE_PORT, PORT_OPEN. */
static const char *open_port(void)
{
	const char *why = send_control(0, VIRTIO_CONSOLE_PORT_READY, 1, MSG_LEN, 0);

	if (!why)
		why = got_message(VIRTIO_CONSOLE_CONSOLE_PORT, 1);
	if (!why)
		why = got_message(VIRTIO_CONSOLE_PORT_OPEN, 1);
	return why ? why : send_control(0, VIRTIO_CONSOLE_PORT_OPEN, 1, MSG_LEN, 0);
}

/* --- the cases ------------------------------------------------------------------- */

/* Refused: the chain comes back and nothing answers it. */
static void bad_message(const char *name, uint32_t id, uint16_t event, uint16_t value,
			uint32_t len, uint16_t flags)
{
	const char *why = send_control(id, event, value, len, flags);

	verdict(name, why ? why : no_answer());
}

/* 5.3.6.2: what the driver may send, and the device ignores otherwise.
 * (A table of names would need absolute relocations.) */
static void bad_control(void)
{
	const uint16_t ready = VIRTIO_CONSOLE_PORT_READY;

	bad_message("control message PORT_READY for port 7, which does not exist",
		    7, ready, 1, MSG_LEN, 0);
	bad_message("control message PORT_READY for port 2^32-1", 0xffffffffu, ready, 1, MSG_LEN, 0);
	bad_message("control message PORT_READY in 4 bytes", 0, ready, 1, 4, 0);
	bad_message("control message PORT_READY in 16 bytes", 0, ready, 1, 16, 0);
	bad_message("control message PORT_READY in a device-writable buffer", 0, ready, 1, MSG_LEN, W);
	bad_message("control message PORT_READY with value 2", 0, ready, 2, MSG_LEN, 0);
	bad_message("control message of unknown event 99", 0, 99, 1, MSG_LEN, 0);
	bad_message("control message PORT_ADD, which only the device sends",
		    0, VIRTIO_CONSOLE_PORT_ADD, 1, MSG_LEN, 0);
	bad_message("control message DEVICE_READY a second time",
		    0, VIRTIO_CONSOLE_DEVICE_READY, 1, MSG_LEN, 0);
}

/* Transmit chains the device drops whole: none of LEAKED reaches stdout. */
static void bad_transmit(void)
{
	memcpy(out[0], LEAKED, sizeof(LEAKED) - 1);
	desc(&tx, 0, out[0], sizeof(LEAKED) - 1, NEXT, 1);
	desc(&tx, 1, out[1], RX_LEN, W, 0);
	verdict("transmit chain with a writable buffer after the text", back_empty(&tx, TX0));
	desc(&tx, 0, out[0], sizeof(LEAKED) - 1, W, 0);
	verdict("transmit buffer device-writable only", back_empty(&tx, TX0));
	desc(&tx, 0, out[0], sizeof(LEAKED) - 1, NEXT, 1);
	desc(&tx, 1, (void *)VIO_MMIO_BASE, 16, 0, 0);
	verdict("transmit buffer in the virtio-mmio windows, not RAM", back_empty(&tx, TX0));
	desc(&tx, 0, out[0], 0, 0, 0);
	verdict("zero-length transmit buffer", back_empty(&tx, TX0));
	desc(&tx, 0, out[0], sizeof(LEAKED) - 1, NEXT, 1);
	desc(&tx, 1, out[0], sizeof(LEAKED) - 1, NEXT, 0);
	verdict("descriptor loop on the transmitq", back_empty(&tx, TX0));
	verdict("none of them stopped the device (DEVICE_NEEDS_RESET)", needs_reset() ? "device needs reset" : NULL);
}

/* 2.1.2: an avail idx far ahead is a corrupt queue: DEVICE_NEEDS_RESET,
 * announced by a configuration interrupt; then reset and start again. */
static void corrupt_ring(void)
{
	struct vring_used_elem e;
	const char *why = NULL;

	tx.avail->idx = (uint16_t)(tx.avail_idx + 1000);
	vio_barrier();
	vio_notify_queue(&con, TX0);
	if (vio_wait_on(&con, &tx, &e) != VIO_NEEDS_RESET)
		why = "no DEVICE_NEEDS_RESET";
	else if (!(vio_ack_interrupt(&con) & VIRTIO_MMIO_INT_CONFIG))
		why = "no configuration interrupt";
	verdict("transmitq avail idx 1000 ahead: device needs reset", why);
	why = start();
	if (!why)
		why = bad_rx_buffers();
	verdict("after a reset: set up again, port 0 announced", why ? why : open_port());
}

/* The line, in two buffers of one chain. */
static void good_write(void)
{
	static const char line[] = VCONS_LINE;
	const unsigned half = (sizeof(line) - 1) / 2;

	memcpy(out[0], line, sizeof(line) - 1);
	desc(&tx, 0, out[0], half, NEXT, 1);
	desc(&tx, 1, out[0] + half, sizeof(line) - 1 - half, 0, 0);
	verdict("well-formed write of a line in two buffers", back_empty(&tx, TX0));
}

void guest_main(const struct boot_params *bp)
{
	const char *why;

	(void)bp;
	if (vio_find(&con, VIRTIO_ID_CONSOLE, 0)) {
		puts("vcons: FAIL no virtio console (run with -a console=hvc0)\n");
		reset();
	}
	why = start();
	verdict("control receiveq: a device-readable and a short buffer back empty, then PORT_ADD",
		why ? why : bad_rx_buffers());
	bad_control();
	verdict("PORT_READY and PORT_OPEN for port 0: CONSOLE_PORT, PORT_OPEN", open_port());
	bad_transmit();
	corrupt_ring();
	good_write();
	puts("vcons: ");
	put_dec(passed);
	puts(" passed, ");
	put_dec(failed);
	puts(" failed\n");
	if (failed)
		reset();
	poweroff();
}
