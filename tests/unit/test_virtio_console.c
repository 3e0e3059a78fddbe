/* virtio-console driven as Linux's virtio_console driver drives it,
 * through the virtio-mmio transport: feature negotiation, the queues of
 * every port, the multiport control handshake in Linux's order (the
 * driver's DEVICE_READY, the device's PORT_ADDs, PORT_READY, then what the
 * device says about each port), output, input into posted buffers only,
 * resizes and emergency writes. Then what a careless or hostile driver
 * sends. */
#include <check.h>
#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "devices/virtio_console.h"
#include "src/guest_mem.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"
#include "tests/unit/virtio_driver.h"
#include "tests/unit/virtio_mmio_driver.h"

#define MIB         (1ULL << 20)
#define RAM_SIZE    (32 * MIB)
#define RINGS       0x10000ULL	/* queue i's rings at RINGS + i * RING_STRIDE */
#define RING_STRIDE 0x4000ULL
#define AREAS       MIB		/* queue i's tables, then data, in MiB i + 1 */
#define TABLE_BYTES 0x10000ULL
#define PAGE        4096	/* what Linux's receive buffers hold */

#define R           0
#define W           VIRTQ_DESC_F_WRITE
#define POISON      0xa5

#define BIT(n)      (1ULL << (n))
#define TRANSPORT_FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) | \
			    BIT(VIRTIO_RING_F_EVENT_IDX))
/* virtio_console's feature table: SIZE and MULTIPORT, not EMERG_WRITE. */
#define LINUX_FEATURES (BIT(VIRTIO_CONSOLE_F_SIZE) | BIT(VIRTIO_CONSOLE_F_MULTIPORT) | \
			TRANSPORT_FEATURES)
#define CFG(field)  offsetof(struct virtio_console_config, field)

#define CTRL_RX     2
#define CTRL_TX     3
#define PORT1_RX    4
#define PORT1_TX    5
#define STDOUT_NAME "org.microrun.stdout"

/* A port's host end: what the guest sent, and the callbacks it got. */
struct sink {
	uint8_t out[1 << 16];
	size_t len;
	unsigned flushes, rooms;
};

/* A control message as the driver received it. */
struct msg {
	uint32_t id;
	uint16_t event, value;
	uint8_t extra[128];
	uint32_t extra_len;
};

static struct guest_mem mem;
static struct virtio_mmio t;
static struct virtio_console con;
static struct vdrv q[VIRTIO_MAX_QUEUES];
static struct sink sink[VIRTIO_CONSOLE_MAX_PORTS];
static uint64_t features;
static bool irq;
static struct msg got[64];
static unsigned ngot;
static int rx_fill;	/* receive buffers the driver posts for a new port; -1: as
			 * many as the queue holds, as fill_queue does */

/* --- the host ends ----------------------------------------------------- */

static void sink_output(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;

	ck_assert_uint_le(s->len + len, sizeof(s->out));
	memcpy(s->out + s->len, buf, len);
	s->len += len;
}

static void sink_flush(void *ctx)
{
	((struct sink *)ctx)->flushes++;
}

static void sink_room(void *ctx)
{
	((struct sink *)ctx)->rooms++;
}

static struct virtio_console_port_ops sink_ops(unsigned id)
{
	return (struct virtio_console_port_ops){
		.output = sink_output, .flush = sink_flush, .input_room = sink_room, .ctx = &sink[id],
	};
}

static void expect_sink(unsigned id, const void *bytes, size_t len)
{
	ck_assert_uint_eq(sink[id].len, len);
	ck_assert(memcmp(sink[id].out, bytes, len) == 0);
}

static void set_irq(void *ctx, bool level)
{
	(void)ctx;
	irq = level;
}

static unsigned reports;
static int report_err;

static void report(void *ctx, const char *problem, int err)
{
	(void)ctx;
	(void)problem;
	report_err = err;
	reports++;
}

/* The console alone: port 0. */
static void setup_console_only(void)
{
	const struct virtio_mmio_ops mops = { .set_irq = set_irq, .report = report };
	const struct virtio_console_port_ops console = sink_ops(0);

	ck_assert_int_eq(gmem_create(&mem, RAM_SIZE, 3ULL << 30), 0);
	memset(sink, 0, sizeof(sink));
	for (unsigned i = 0; i < VIRTIO_MAX_QUEUES; i++) {
		uint64_t area = AREAS + i * MIB;
		q[i] = (struct vdrv){ .tables = area, .tables_end = area + TABLE_BYTES,
				      .data = area + TABLE_BYTES, .data_end = area + MIB };
	}
	irq = false;
	reports = 0;
	ngot = 0;
	rx_fill = -1;
	virtio_console_init(&con, &console, &t, &mem);
	virtio_mmio_init(&t, &virtio_console_ops, &con, VIRTIO_CONSOLE_FEATURES, &mops, &mem);
}

/* The console and a named port 1, as for a program's stdout. */
static void setup(void)
{
	const struct virtio_console_port_ops ops = sink_ops(1);

	setup_console_only();
	ck_assert_int_eq(virtio_console_add_port(&con, STDOUT_NAME, &ops), 1);
}

static void teardown(void)
{
	gmem_destroy(&mem);
}

/* --- the driver's queues ------------------------------------------------ */

static uint8_t *bytes(unsigned qi, struct vbuf b)
{
	return vdrv_host(&q[qi], b.gpa, b.len);
}

static struct vbuf buffer(unsigned qi, const void *src, uint32_t len, uint16_t flags)
{
	struct vbuf b = { len, flags, vdrv_alloc(&q[qi], len) };

	if (src)
		memcpy(bytes(qi, b), src, len);
	else
		memset(bytes(qi, b), POISON, len);
	return b;
}

/* virtqueue_kick: only if the device asked to hear about new buffers. */
static void kick(unsigned qi)
{
	if (vdrv_kick_prepare(&q[qi]))
		vmdrv_write(&t, VIRTIO_MMIO_QUEUE_NOTIFY, qi);
}

/* virtqueue_get_buf, which with EVENT_IDX asks to hear of the next one. */
static bool get_used(unsigned qi, struct virtq_used_elem *e)
{
	if (!vdrv_get_used(&q[qi], e))
		return false;
	if (q[qi].event_idx)
		__atomic_store_n(vdrv_used_event(&q[qi]), q[qi].last_used, __ATOMIC_SEQ_CST);
	return true;
}

/* vm_interrupt: what the device raised, acknowledged. */
static uint32_t take_interrupt(void)
{
	uint32_t why = vmdrv_read(&t, VIRTIO_MMIO_INTERRUPT_STATUS);

	vmdrv_write(&t, VIRTIO_MMIO_INTERRUPT_ACK, why);
	ck_assert(!irq);
	return why;
}

/* A chain sent and waited for, as __send_to_port and __send_control_msg
 * do: the used length. */
static uint32_t transmit(unsigned qi, const struct vbuf *bufs, unsigned n)
{
	struct virtq_used_elem e;
	uint16_t head = vdrv_add(&q[qi], bufs, n);

	kick(qi);
	ck_assert(get_used(qi, &e));
	ck_assert_uint_eq(e.id, head);
	ck_assert(!get_used(qi, &e));
	return e.len;
}

static void send_raw(const void *m, uint32_t len, uint16_t flags)
{
	struct vbuf b = buffer(CTRL_TX, m, len, flags);

	ck_assert_uint_eq(transmit(CTRL_TX, &b, 1), 0);
}

static void send_control(uint32_t id, uint16_t event, uint16_t value)
{
	struct virtio_console_control m = { .id = id, .event = event, .value = value };

	send_raw(&m, sizeof(m), R);
}

/* add_inbuf: one writable buffer, kicked. */
static struct vbuf post_inbuf(unsigned qi, uint32_t len)
{
	struct vbuf b = buffer(qi, NULL, len, W);

	vdrv_add(&q[qi], &b, 1);
	kick(qi);
	return b;
}

static void fill_queue(unsigned qi, int n)
{
	if (n < 0)
		n = q[qi].size;
	for (int i = 0; i < n; i++)
		post_inbuf(qi, PAGE);
}

static unsigned port_rx(uint32_t id)
{
	return id == 0 ? 0 : 2 * id + 2;
}

static uint8_t *desc_buffer(unsigned qi, uint16_t head, uint32_t len)
{
	const struct virtq_desc *d = vdrv_host(&q[qi], q[qi].desc_gpa + 16ULL * head, 16);

	ck_assert_uint_le(len, d->len);
	return vdrv_host(&q[qi], d->addr, len);
}

static void record(const struct virtq_used_elem *e)
{
	struct msg *m = &got[ngot++];
	struct virtio_console_control h;

	ck_assert_uint_lt(ngot, sizeof(got) / sizeof(got[0]));
	ck_assert_uint_ge(e->len, sizeof(h));
	ck_assert_uint_le(e->len - sizeof(h), sizeof(m->extra));
	const uint8_t *p = desc_buffer(CTRL_RX, (uint16_t)e->id, e->len);
	memcpy(&h, p, sizeof(h));
	*m = (struct msg){ .id = h.id, .event = h.event, .value = h.value,
			   .extra_len = e->len - (uint32_t)sizeof(h) };
	memcpy(m->extra, p + sizeof(h), m->extra_len);
}

/* handle_control_message, as far as the driver answers: a new port gets
 * its receive buffers and PORT_READY; a console port is opened. */
static void react(const struct msg *m)
{
	if (m->event == VIRTIO_CONSOLE_PORT_ADD) {
		fill_queue(port_rx(m->id), rx_fill);
		send_control(m->id, VIRTIO_CONSOLE_PORT_READY, 1);
	} else if (m->event == VIRTIO_CONSOLE_CONSOLE_PORT) {
		send_control(m->id, VIRTIO_CONSOLE_PORT_OPEN, 1); /* init_port_console */
	}
}

/* control_work_handler: every message in, handled, its buffer re-posted. */
static void linux_control(void)
{
	struct virtq_used_elem e;

	while (get_used(CTRL_RX, &e)) {
		record(&e);
		react(&got[ngot - 1]);
		post_inbuf(CTRL_RX, PAGE);
	}
}

/* virtcons_probe up to DRIVER_OK: features, every port's queues and the
 * control pair. */
static void linux_setup(uint64_t wanted)
{
	unsigned nq = 2;

	ck_assert_int_eq(vmdrv_negotiate(&t, VIRTIO_ID_CONSOLE, wanted, &features), 0);
	if (features & BIT(VIRTIO_CONSOLE_F_MULTIPORT))
		nq = 2 * (vmdrv_read(&t, VIRTIO_MMIO_CONFIG + CFG(max_nr_ports)) + 1);
	for (unsigned i = 0; i < nq; i++)
		ck_assert_int_eq(vmdrv_setup_queue(&t, i, &q[i], RINGS + i * RING_STRIDE, features), 0);
	ck_assert_int_eq(vmdrv_add_status(&t, VIRTIO_CONFIG_S_DRIVER_OK), 0);
	ck_assert(virtio_mmio_driver_ok(&t));
}

/* The rest of it: the control receive queue filled, DEVICE_READY, and
 * every control message handled. */
static void linux_probe(uint64_t wanted)
{
	linux_setup(wanted);
	if (!(features & BIT(VIRTIO_CONSOLE_F_MULTIPORT))) {
		fill_queue(0, rx_fill);
		return;
	}
	fill_queue(CTRL_RX, -1);
	send_control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	linux_control();
}

static void expect_msg(unsigned i, uint32_t id, uint16_t event, uint16_t value)
{
	ck_assert_uint_lt(i, ngot);
	ck_assert_uint_eq(got[i].id, id);
	ck_assert_uint_eq(got[i].event, event);
	ck_assert_uint_eq(got[i].value, value);
}

static void expect_resize(unsigned i, uint16_t cols, uint16_t rows)
{
	expect_msg(i, 0, VIRTIO_CONSOLE_RESIZE, 0);
	ck_assert_uint_eq(got[i].extra_len, 4);
	ck_assert_uint_eq(test_le16(got[i].extra), cols); /* the spec's order */
	ck_assert_uint_eq(test_le16(got[i].extra + 2), rows);
}

/* After the handshake: forget what it said. */
static void handshake(void)
{
	linux_probe(LINUX_FEATURES);
	ngot = 0;
	take_interrupt();
}

static uint16_t cfg16(size_t off)
{
	uint16_t v;

	virtio_mmio_read(&t, VIRTIO_MMIO_CONFIG + off, &v, 2);
	return v;
}

/* --- negotiation and configuration --------------------------------------- */

START_TEST(offers_size_multiport_and_emergency_write)
{
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	ck_assert_uint_eq(vmdrv_offered(&t), BIT(VIRTIO_CONSOLE_F_SIZE) |
			  BIT(VIRTIO_CONSOLE_F_MULTIPORT) | BIT(VIRTIO_CONSOLE_F_EMERG_WRITE) |
			  TRANSPORT_FEATURES);
}
END_TEST

START_TEST(config_space_holds_size_and_port_count)
{
	virtio_console_resize(&con, 80, 24);
	ck_assert_uint_eq(cfg16(CFG(cols)), 80);
	ck_assert_uint_eq(cfg16(CFG(rows)), 24);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_CONFIG + CFG(max_nr_ports)), 2);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_CONFIG + CFG(emerg_wr)), 0);
}
END_TEST

START_TEST(config_fields_are_read_only)
{
	uint16_t v16 = 999;

	virtio_console_resize(&con, 80, 24);
	virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + CFG(cols), &v16, 2);
	vmdrv_write(&t, VIRTIO_MMIO_CONFIG + CFG(max_nr_ports), 7);
	ck_assert_uint_eq(cfg16(CFG(cols)), 80);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_CONFIG + CFG(max_nr_ports)), 2);
	expect_sink(0, "", 0);
}
END_TEST

/* --- the multiport handshake --------------------------------------------- */

START_TEST(multiport_handshake_in_linux_order)
{
	virtio_console_resize(&con, 80, 24);
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(features, LINUX_FEATURES);
	ck_assert_uint_eq(ngot, 7);
	expect_msg(0, 0, VIRTIO_CONSOLE_PORT_ADD, 1);
	expect_msg(1, 1, VIRTIO_CONSOLE_PORT_ADD, 1);
	expect_msg(2, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
	expect_msg(3, 0, VIRTIO_CONSOLE_PORT_OPEN, 1);
	expect_resize(4, 80, 24);
	expect_msg(5, 1, VIRTIO_CONSOLE_PORT_NAME, 1);
	/* 5.3.6.2: the name without a NUL */
	ck_assert_uint_eq(got[5].extra_len, strlen(STDOUT_NAME));
	ck_assert(memcmp(got[5].extra, STDOUT_NAME, strlen(STDOUT_NAME)) == 0);
	expect_msg(6, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
	ck_assert_uint_eq(take_interrupt(), VIRTIO_MMIO_INT_VRING);
	/* The console is open (init_port_console said so); port 1 waits for
	 * a guest program to open /dev/vport0p1. */
	ck_assert(virtio_console_port_open(&con, 0));
	ck_assert(!virtio_console_port_open(&con, 1));
	ck_assert_uint_eq(sink[0].rooms, 1);
	ck_assert_uint_eq(sink[1].rooms, 0);
}
END_TEST

START_TEST(no_resize_without_a_size)
{
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(ngot, 6);
	for (unsigned i = 0; i < ngot; i++)
		ck_assert_uint_ne(got[i].event, VIRTIO_CONSOLE_RESIZE);
}
END_TEST

START_TEST(seven_ports_fit_the_transport)
{
	static const char *const names[] = { "p2", "p3", "p4", "p5", "p6" };

	for (unsigned i = 0; i < 5; i++) {
		const struct virtio_console_port_ops ops = sink_ops(i + 2);
		ck_assert_int_eq(virtio_console_add_port(&con, names[i], &ops), (int)i + 2);
	}
	rx_fill = 1;
	linux_probe(LINUX_FEATURES);
	for (unsigned id = 0; id < VIRTIO_CONSOLE_MAX_PORTS; id++)
		expect_msg(id, id, VIRTIO_CONSOLE_PORT_ADD, 1);
	/* The last port's queues are the transport's last two. */
	struct vbuf b = buffer(VIRTIO_MAX_QUEUES - 1, "6", 1, R);
	transmit(VIRTIO_MAX_QUEUES - 1, &b, 1);
	expect_sink(6, "6", 1);
}
END_TEST

START_TEST(control_messages_wait_for_receive_buffers)
{
	struct virtq_used_elem e;

	linux_setup(LINUX_FEATURES);
	rx_fill = 1;
	send_control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	/* No buffer yet: nothing sent, so the port is not added and a
	 * PORT_READY for it means nothing. */
	send_control(0, VIRTIO_CONSOLE_PORT_READY, 1);
	ck_assert(!get_used(CTRL_RX, &e));
	/* One buffer at a time, each re-posted once handled: port 0's
	 * messages come first, its answers queued behind port 1's PORT_ADD. */
	post_inbuf(CTRL_RX, PAGE);
	linux_control();
	ck_assert_uint_eq(ngot, 6);
	expect_msg(0, 0, VIRTIO_CONSOLE_PORT_ADD, 1);
	expect_msg(1, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
	expect_msg(2, 0, VIRTIO_CONSOLE_PORT_OPEN, 1);
	expect_msg(3, 1, VIRTIO_CONSOLE_PORT_ADD, 1);
	expect_msg(4, 1, VIRTIO_CONSOLE_PORT_NAME, 1);
	expect_msg(5, 1, VIRTIO_CONSOLE_PORT_OPEN, 1);
}
END_TEST

START_TEST(without_multiport_port_0_is_the_console)
{
	struct vbuf b;

	linux_probe(TRANSPORT_FEATURES | BIT(VIRTIO_CONSOLE_F_SIZE));
	ck_assert(virtio_console_port_open(&con, 0));
	ck_assert(!virtio_console_port_open(&con, 1));
	b = buffer(1, "hvc0\n", 5, R);
	ck_assert_uint_eq(transmit(1, &b, 1), 0);
	expect_sink(0, "hvc0\n", 5);
	/* The control queue does not exist: its notifications mean nothing. */
	vmdrv_write(&t, VIRTIO_MMIO_QUEUE_NOTIFY, CTRL_TX);
	ck_assert_uint_eq(virtio_console_input(&con, 1, (const uint8_t *)"x", 1), 0);
	ck_assert_uint_eq(virtio_console_input(&con, 0, (const uint8_t *)"x", 1), 1);
}
END_TEST

START_TEST(reset_forgets_the_handshake)
{
	handshake();
	vmdrv_write(&t, VIRTIO_MMIO_STATUS, 0);
	ck_assert(!virtio_console_port_open(&con, 0));
	ck_assert_uint_eq(virtio_console_input(&con, 0, (const uint8_t *)"x", 1), 0);
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(ngot, 6);
	expect_msg(0, 0, VIRTIO_CONSOLE_PORT_ADD, 1);
	expect_msg(2, 0, VIRTIO_CONSOLE_CONSOLE_PORT, 1);
	ck_assert(virtio_console_port_open(&con, 0));
}
END_TEST

/* --- output ---------------------------------------------------------------- */

START_TEST(console_output_reaches_the_sink_byte_exact)
{
	uint8_t all[256 + 6];
	struct vbuf b[3];

	handshake();
	memcpy(all, "hello\n", 6);
	for (unsigned i = 0; i < 256; i++)
		all[6 + i] = (uint8_t)i;
	b[0] = buffer(1, all, 6, R);
	ck_assert_uint_eq(transmit(1, b, 1), 0);
	/* One chain of three buffers, through an indirect table. */
	b[0] = buffer(1, all + 6, 100, R);
	b[1] = buffer(1, all + 106, 1, R);
	b[2] = buffer(1, all + 107, 155, R);
	ck_assert_uint_eq(transmit(1, b, 3), 0);
	expect_sink(0, all, sizeof(all));
	ck_assert_uint_eq(sink[0].flushes, 2);
	expect_sink(1, "", 0);
}
END_TEST

START_TEST(a_full_transmit_queue_in_one_kick)
{
	char text[64];
	struct virtq_used_elem e;

	handshake();
	for (unsigned i = 0; i < q[1].size; i++) {
		text[i] = (char)('A' + i % 26);
		struct vbuf b = buffer(1, &text[i], 1, R);
		vdrv_add(&q[1], &b, 1);
	}
	kick(1);
	for (unsigned i = 0; i < q[1].size; i++)
		ck_assert(get_used(1, &e));
	expect_sink(0, text, q[1].size);
	ck_assert_uint_eq(sink[0].flushes, 1);
}
END_TEST

START_TEST(each_port_has_its_own_sink)
{
	struct vbuf b;

	handshake();
	b = buffer(PORT1_TX, "out", 3, R);
	transmit(PORT1_TX, &b, 1);
	b = buffer(1, "log", 3, R);
	transmit(1, &b, 1);
	expect_sink(1, "out", 3);
	expect_sink(0, "log", 3);
}
END_TEST

/* Linux's hvc put_chars() waits for each port 0 buffer by polling, with
 * interrupts off: an interrupt for it would find no work, and 100,000 of
 * those in a row make Linux disable the IRQ ("nobody cared"), and the
 * console's input with it. Other ports' writers sleep until it comes. */
START_TEST(port_0_output_raises_no_interrupt)
{
	struct vbuf b;

	handshake();
	b = buffer(1, "log", 3, R);
	transmit(1, &b, 1);
	ck_assert(!irq);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	b = buffer(PORT1_TX, "out", 3, R);
	transmit(PORT1_TX, &b, 1);
	ck_assert_uint_eq(take_interrupt(), VIRTIO_MMIO_INT_VRING);
	expect_sink(0, "log", 3);
}
END_TEST

START_TEST(emergency_write_outputs_one_byte)
{
	uint8_t one = 'Z';

	/* 5.3.4: usable before the driver even looked at the features. */
	vmdrv_write(&t, VIRTIO_MMIO_CONFIG + CFG(emerg_wr), 0x4100 | 'X');
	expect_sink(0, "X", 1);
	ck_assert_uint_eq(sink[0].flushes, 1);
	/* Only whole 32-bit writes of the field count. */
	virtio_mmio_write(&t, VIRTIO_MMIO_CONFIG + CFG(emerg_wr), &one, 1);
	vmdrv_write(&t, VIRTIO_MMIO_CONFIG + CFG(max_nr_ports), 'Y');
	expect_sink(0, "X", 1);
	handshake();
	vmdrv_write(&t, VIRTIO_MMIO_CONFIG + CFG(emerg_wr), '!');
	expect_sink(0, "X!", 2);
}
END_TEST

/* --- input ------------------------------------------------------------------- */

static const uint8_t input[] = "0123456789abcdefghij";

START_TEST(input_goes_only_into_posted_buffers)
{
	struct virtq_used_elem e;
	struct vbuf b[3];

	rx_fill = 0;
	handshake();
	ck_assert_uint_eq(virtio_console_input(&con, 0, input, 20), 0);
	unsigned rooms = sink[0].rooms;
	b[0] = post_inbuf(0, 8);
	b[1] = post_inbuf(0, 8);
	/* With EVENT_IDX the device asked for one kick, and got it. */
	ck_assert_uint_eq(sink[0].rooms, rooms + 1);
	ck_assert_uint_eq(virtio_console_input(&con, 0, input, 20), 16);
	ck_assert_uint_eq(take_interrupt(), VIRTIO_MMIO_INT_VRING);
	ck_assert(get_used(0, &e) && e.len == 8);
	ck_assert(get_used(0, &e) && e.len == 8);
	ck_assert(!get_used(0, &e));
	ck_assert(memcmp(bytes(0, b[0]), input, 8) == 0);
	ck_assert(memcmp(bytes(0, b[1]), input + 8, 8) == 0);
	ck_assert_uint_eq(virtio_console_input(&con, 0, input + 16, 4), 0);
	b[2] = post_inbuf(0, 8);
	ck_assert_uint_eq(virtio_console_input(&con, 0, input + 16, 4), 4);
	ck_assert(get_used(0, &e) && e.len == 4);
	ck_assert(memcmp(bytes(0, b[2]), "ghij", 4) == 0);
	ck_assert(test_all_bytes(bytes(0, b[2]) + 4, 4, POISON));
}
END_TEST

START_TEST(input_waits_for_the_guest_to_open_the_port)
{
	ck_assert_uint_eq(virtio_console_input(&con, 0, input, 1), 0);
	rx_fill = 2;
	handshake();
	ck_assert_uint_eq(virtio_console_input(&con, 1, input, 1), 0);
	send_control(1, VIRTIO_CONSOLE_PORT_OPEN, 1);	/* port_fops_open */
	ck_assert_uint_eq(sink[1].rooms, 1);
	ck_assert_uint_eq(virtio_console_input(&con, 1, input, 1), 1);
	send_control(1, VIRTIO_CONSOLE_PORT_OPEN, 0);	/* port_fops_release */
	ck_assert_uint_eq(virtio_console_input(&con, 1, input, 1), 0);
	ck_assert_uint_eq(virtio_console_input(&con, 7, input, 1), 0);
}
END_TEST

START_TEST(input_skips_receive_buffers_that_are_not_writable)
{
	struct virtq_used_elem e;
	struct vbuf r, w;

	rx_fill = 0;
	handshake();
	r = buffer(0, "keep", 4, R);
	vdrv_add(&q[0], &r, 1);
	w = post_inbuf(0, 8);
	ck_assert_uint_eq(virtio_console_input(&con, 0, input, 3), 3);
	ck_assert(get_used(0, &e) && e.len == 0);
	ck_assert(get_used(0, &e) && e.len == 3);
	ck_assert(memcmp(bytes(0, r), "keep", 4) == 0);
	ck_assert(memcmp(bytes(0, w), input, 3) == 0);
}
END_TEST

/* The end of the host's input closes the host end (PORT_OPEN 0), after
 * which Linux's reads of the port return 0; no input is taken any more. */
START_TEST(input_end_closes_the_host_end)
{
	rx_fill = 2;
	handshake();
	send_control(1, VIRTIO_CONSOLE_PORT_OPEN, 1);
	ck_assert_uint_eq(virtio_console_input(&con, 1, input, 1), 1);
	virtio_console_input_end(&con, 1);
	linux_control();
	ck_assert_uint_eq(ngot, 1);
	expect_msg(0, 1, VIRTIO_CONSOLE_PORT_OPEN, 0);
	ck_assert_uint_eq(virtio_console_input(&con, 1, input, 1), 0);
	virtio_console_input_end(&con, 1);	/* once only */
	virtio_console_input_end(&con, 7);	/* no such port */
	linux_control();
	ck_assert_uint_eq(ngot, 1);
}
END_TEST

/* Input that ended before the driver came: the port is announced with its
 * host end closed (Linux starts a port closed, so reads end at once), and
 * stays so across a reset; port 0 is unaffected. */
/* The value of the one PORT_OPEN sent for port `id`. */
static uint16_t port_open_value(uint32_t id)
{
	int found = -1;

	for (unsigned i = 0; i < ngot; i++)
		if (got[i].id == id && got[i].event == VIRTIO_CONSOLE_PORT_OPEN) {
			ck_assert_int_eq(found, -1);
			found = (int)i;
		}
	ck_assert_int_ge(found, 0);
	return got[found].value;
}

START_TEST(input_end_before_the_driver_announces_the_port_closed)
{
	virtio_console_input_end(&con, 1);
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(ngot, 6);
	ck_assert_uint_eq(port_open_value(0), 1);
	ck_assert_uint_eq(port_open_value(1), 0);
	ngot = 0;
	vmdrv_write(&t, VIRTIO_MMIO_STATUS, 0);
	linux_probe(LINUX_FEATURES);
	ck_assert_uint_eq(ngot, 6);
	ck_assert_uint_eq(port_open_value(0), 1);
	ck_assert_uint_eq(port_open_value(1), 0);
}
END_TEST

/* --- resize ---------------------------------------------------------------- */

START_TEST(resize_sends_cols_then_rows)
{
	handshake();
	uint32_t gen = vmdrv_read(&t, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_console_resize(&con, 132, 50);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	ck_assert_uint_eq(take_interrupt(), VIRTIO_MMIO_INT_VRING | VIRTIO_MMIO_INT_CONFIG);
	linux_control();
	ck_assert_uint_eq(ngot, 1);
	expect_resize(0, 132, 50);
	ck_assert_uint_eq(cfg16(CFG(cols)), 132);
	ck_assert_uint_eq(cfg16(CFG(rows)), 50);
	/* The same size again (a SIGWINCH that changed nothing): nothing. */
	virtio_console_resize(&con, 132, 50);
	ck_assert(!irq);
	linux_control();
	ck_assert_uint_eq(ngot, 1);
}
END_TEST

START_TEST(resize_without_multiport_is_a_config_change)
{
	linux_probe(TRANSPORT_FEATURES | BIT(VIRTIO_CONSOLE_F_SIZE));
	uint32_t gen = vmdrv_read(&t, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_console_resize(&con, 100, 30);
	ck_assert_uint_eq(take_interrupt(), VIRTIO_MMIO_INT_CONFIG);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_CONFIG_GENERATION), gen + 1);
	ck_assert_uint_eq(cfg16(CFG(cols)), 100);
	ck_assert_uint_eq(cfg16(CFG(rows)), 30);
}
END_TEST

/* --- what a hostile driver sends --------------------------------------------- */

START_TEST(control_messages_for_unknown_ports_are_ignored)
{
	handshake();
	send_control(2, VIRTIO_CONSOLE_PORT_READY, 1);
	send_control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_PORT_OPEN, 1);
	send_control(7, VIRTIO_CONSOLE_PORT_OPEN, 1);
	linux_control();
	ck_assert_uint_eq(ngot, 0);
	ck_assert(!virtio_console_port_open(&con, 1));
}
END_TEST

START_TEST(control_messages_of_the_wrong_size_are_ignored)
{
	struct virtio_console_control m[2] = {
		{ .id = 1, .event = VIRTIO_CONSOLE_PORT_OPEN, .value = 1 },
	};

	handshake();
	send_raw(m, 4, R);
	send_raw(m, 7, R);
	send_raw(m, sizeof(m), R);
	ck_assert(!virtio_console_port_open(&con, 1));
	/* The right size split over two buffers is still the message. */
	struct vbuf b[2] = { buffer(CTRL_TX, m, 3, R), buffer(CTRL_TX, (uint8_t *)m + 3, 5, R) };
	ck_assert_uint_eq(transmit(CTRL_TX, b, 2), 0);
	ck_assert(virtio_console_port_open(&con, 1));
}
END_TEST

START_TEST(control_message_in_a_writable_buffer_is_ignored)
{
	struct virtio_console_control m = { .id = 1, .event = VIRTIO_CONSOLE_PORT_OPEN, .value = 1 };

	handshake();
	struct vbuf b[2] = { buffer(CTRL_TX, &m, sizeof(m), R), buffer(CTRL_TX, NULL, 8, W) };
	send_raw(&m, sizeof(m), W);
	ck_assert_uint_eq(transmit(CTRL_TX, b, 2), 0);
	ck_assert(!virtio_console_port_open(&con, 1));
	ck_assert(test_all_bytes(bytes(CTRL_TX, b[1]), 8, POISON));
}
END_TEST

START_TEST(device_side_and_unknown_events_are_ignored)
{
	static const uint16_t events[] = {
		VIRTIO_CONSOLE_PORT_ADD, VIRTIO_CONSOLE_PORT_REMOVE, VIRTIO_CONSOLE_CONSOLE_PORT,
		VIRTIO_CONSOLE_RESIZE, VIRTIO_CONSOLE_PORT_NAME, 8, 0xffff,
	};

	handshake();
	for (unsigned i = 0; i < sizeof(events) / sizeof(events[0]); i++)
		send_control(1, events[i], 1);
	send_control(1, VIRTIO_CONSOLE_PORT_OPEN, 2);
	send_control(0, VIRTIO_CONSOLE_PORT_READY, 1); /* again */
	send_control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1); /* again */
	linux_control();
	ck_assert_uint_eq(ngot, 0);
	ck_assert(!virtio_console_port_open(&con, 1));
	ck_assert(virtio_console_port_open(&con, 0));
}
END_TEST

START_TEST(failed_device_ready_adds_no_port)
{
	linux_setup(LINUX_FEATURES);
	fill_queue(CTRL_RX, 4);
	send_control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 0);
	send_control(0, VIRTIO_CONSOLE_PORT_READY, 1);
	send_control(0, VIRTIO_CONSOLE_PORT_OPEN, 1);
	linux_control();
	ck_assert_uint_eq(ngot, 0);
	ck_assert(!virtio_console_port_open(&con, 0));
}
END_TEST

START_TEST(unusable_control_receive_buffers_go_back_empty)
{
	struct virtq_used_elem e;
	struct vbuf small, readable;

	linux_setup(LINUX_FEATURES);
	small = post_inbuf(CTRL_RX, 7);
	readable = buffer(CTRL_RX, "ro", 2, R);
	vdrv_add(&q[CTRL_RX], &readable, 1);
	post_inbuf(CTRL_RX, PAGE);
	send_control(VIRTIO_CONSOLE_BAD_ID, VIRTIO_CONSOLE_DEVICE_READY, 1);
	ck_assert(get_used(CTRL_RX, &e) && e.len == 0);
	ck_assert(get_used(CTRL_RX, &e) && e.len == 0);
	ck_assert(test_all_bytes(bytes(CTRL_RX, small), 7, POISON));
	ck_assert(memcmp(bytes(CTRL_RX, readable), "ro", 2) == 0);
	ck_assert(get_used(CTRL_RX, &e) && e.len == sizeof(struct virtio_console_control));
	record(&e);
	expect_msg(0, 0, VIRTIO_CONSOLE_PORT_ADD, 1);
}
END_TEST

START_TEST(transmit_chain_with_a_writable_buffer_is_dropped)
{
	struct vbuf b[2];

	handshake();
	b[0] = buffer(1, "abc", 3, R);
	b[1] = buffer(1, NULL, 8, W);
	ck_assert_uint_eq(transmit(1, b, 2), 0);
	b[0] = buffer(1, NULL, 8, W);
	ck_assert_uint_eq(transmit(1, b, 1), 0);
	expect_sink(0, "", 0);
	ck_assert(test_all_bytes(bytes(1, b[0]), 8, POISON));
	/* The queue goes on. */
	b[0] = buffer(1, "ok", 2, R);
	transmit(1, b, 1);
	expect_sink(0, "ok", 2);
}
END_TEST

/* A chain virtq_pop refuses (here a zero-length buffer, then one past
 * RAM) goes back empty; -v tells the user once per reset. */
START_TEST(malformed_transmit_chains_are_dropped_and_reported_once)
{
	struct vbuf b;

	handshake();
	b = buffer(1, "abc", 0, R);
	ck_assert_uint_eq(transmit(1, &b, 1), 0);
	b = (struct vbuf){ 8, R, RAM_SIZE - 4 };
	ck_assert_uint_eq(transmit(1, &b, 1), 0);
	expect_sink(0, "", 0);
	ck_assert_uint_eq(reports, 1);
	ck_assert_int_eq(report_err, -EINVAL);
	b = buffer(1, "ok", 2, R);
	transmit(1, &b, 1);
	expect_sink(0, "ok", 2);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}
END_TEST

START_TEST(corrupt_transmit_ring_needs_reset)
{
	handshake();
	vdrv_avail(&q[1])->idx = (uint16_t)(q[1].size + 1);
	vmdrv_write(&t, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	ck_assert_uint_ne(vmdrv_read(&t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
	ck_assert_uint_eq(take_interrupt(), VIRTIO_MMIO_INT_CONFIG);
	ck_assert_uint_eq(virtio_console_input(&con, 0, input, 1), 0);
	/* No RESIZE into a broken device; NEEDS_RESET already interrupted. */
	virtio_console_resize(&con, 10, 10);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_INTERRUPT_STATUS), VIRTIO_MMIO_INT_CONFIG);
	vmdrv_write(&t, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_CONFIG);
	struct virtq_used_elem e;
	ck_assert(!get_used(CTRL_RX, &e));
	expect_sink(0, "", 0);
}
END_TEST

START_TEST(corrupt_receive_ring_needs_reset)
{
	handshake();
	vdrv_avail(&q[0])->idx = (uint16_t)(q[0].last_used + 2 * q[0].size);
	ck_assert_uint_eq(virtio_console_input(&con, 0, input, 1), 0);
	ck_assert_uint_ne(vmdrv_read(&t, VIRTIO_MMIO_STATUS) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}
END_TEST

/* --- ports ------------------------------------------------------------------- */

START_TEST(port_names_are_checked)
{
	const struct virtio_console_port_ops ops = sink_ops(2);
	char long_name[VIRTIO_CONSOLE_NAME_MAX + 2];

	memset(long_name, 'n', sizeof(long_name) - 1);
	long_name[sizeof(long_name) - 1] = '\0';
	ck_assert_int_eq(virtio_console_add_port(&con, "", &ops), -EINVAL);
	ck_assert_int_eq(virtio_console_add_port(&con, "a b", &ops), -EINVAL);
	ck_assert_int_eq(virtio_console_add_port(&con, "tab\t", &ops), -EINVAL);
	ck_assert_int_eq(virtio_console_add_port(&con, "\x7f", &ops), -EINVAL);
	ck_assert_int_eq(virtio_console_add_port(&con, long_name, &ops), -EINVAL);
	long_name[VIRTIO_CONSOLE_NAME_MAX] = '\0';
	ck_assert_int_eq(virtio_console_add_port(&con, long_name, &ops), 2);
}
END_TEST

START_TEST(at_most_seven_ports)
{
	const struct virtio_console_port_ops ops = sink_ops(2);

	for (int id = 2; id < VIRTIO_CONSOLE_MAX_PORTS; id++)
		ck_assert_int_eq(virtio_console_add_port(&con, "more", &ops), id);
	ck_assert_int_eq(virtio_console_add_port(&con, "more", &ops), -ENOSPC);
	ck_assert_uint_eq(vmdrv_read(&t, VIRTIO_MMIO_CONFIG + CFG(max_nr_ports)), 7);
	ck_assert_uint_eq(VIRTIO_CONSOLE_MAX_PORTS, 7);
}
END_TEST

Suite *virtio_console_suite(void)
{
	Suite *s = suite_create("virtio_console");
	TCase *tc = tcase_create("config");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, offers_size_multiport_and_emergency_write);
	tcase_add_test(tc, config_space_holds_size_and_port_count);
	tcase_add_test(tc, config_fields_are_read_only);
	suite_add_tcase(s, tc);

	tc = tcase_create("handshake");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, multiport_handshake_in_linux_order);
	tcase_add_test(tc, no_resize_without_a_size);
	tcase_add_test(tc, seven_ports_fit_the_transport);
	tcase_add_test(tc, control_messages_wait_for_receive_buffers);
	tcase_add_test(tc, without_multiport_port_0_is_the_console);
	tcase_add_test(tc, reset_forgets_the_handshake);
	suite_add_tcase(s, tc);

	tc = tcase_create("data");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, console_output_reaches_the_sink_byte_exact);
	tcase_add_test(tc, a_full_transmit_queue_in_one_kick);
	tcase_add_test(tc, each_port_has_its_own_sink);
	tcase_add_test(tc, port_0_output_raises_no_interrupt);
	tcase_add_test(tc, emergency_write_outputs_one_byte);
	tcase_add_test(tc, input_goes_only_into_posted_buffers);
	tcase_add_test(tc, input_waits_for_the_guest_to_open_the_port);
	tcase_add_test(tc, input_skips_receive_buffers_that_are_not_writable);
	tcase_add_test(tc, input_end_closes_the_host_end);
	tcase_add_test(tc, input_end_before_the_driver_announces_the_port_closed);
	tcase_add_test(tc, resize_sends_cols_then_rows);
	tcase_add_test(tc, resize_without_multiport_is_a_config_change);
	suite_add_tcase(s, tc);

	tc = tcase_create("refused");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, control_messages_for_unknown_ports_are_ignored);
	tcase_add_test(tc, control_messages_of_the_wrong_size_are_ignored);
	tcase_add_test(tc, control_message_in_a_writable_buffer_is_ignored);
	tcase_add_test(tc, device_side_and_unknown_events_are_ignored);
	tcase_add_test(tc, failed_device_ready_adds_no_port);
	tcase_add_test(tc, unusable_control_receive_buffers_go_back_empty);
	tcase_add_test(tc, transmit_chain_with_a_writable_buffer_is_dropped);
	tcase_add_test(tc, malformed_transmit_chains_are_dropped_and_reported_once);
	tcase_add_test(tc, corrupt_transmit_ring_needs_reset);
	tcase_add_test(tc, corrupt_receive_ring_needs_reset);
	suite_add_tcase(s, tc);

	tc = tcase_create("ports");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, port_names_are_checked);
	tcase_add_test(tc, at_most_seven_ports);
	suite_add_tcase(s, tc);
	return s;
}
