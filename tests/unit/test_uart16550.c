/* Unit tests for the 16550A model, driven the way Linux's 8250 driver
 * (drivers/tty/serial/8250/) drives a PC COM port. */
#include <limits.h>
#include <string.h>

#include "devices/uart16550.h"
#include "tests/unit/suites.h"

/* Register offsets and bits, as named in Linux's serial_reg.h, so each
 * test reads like the driver code it mimics. */
enum {
	UART_RX = 0, UART_TX = 0, UART_DLL = 0, UART_DLM = 1, UART_IER = 1,
	UART_IIR = 2, UART_FCR = 2, UART_EFR = 2, UART_LCR = 3, UART_MCR = 4,
	UART_LSR = 5, UART_MSR = 6, UART_SCR = 7,
};

#define UART_IER_RDI		0x01
#define UART_IER_THRI		0x02
#define UART_IER_RLSI		0x04
#define UART_IER_UUE		0x40

#define UART_IIR_NO_INT		0x01
#define UART_IIR_ID		0x0f
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_RLSI		0x06
#define UART_IIR_FIFO_BITS	0xc0
#define UART_IIR_FIFO_16750	0xe0

#define UART_FCR_ENABLE_FIFO	0x01
#define UART_FCR_CLEAR_RCVR	0x02
#define UART_FCR_CLEAR_XMIT	0x04
#define UART_FCR_TRIGGER_8	0x80
#define UART_FCR7_64BYTE	0x20

#define UART_LCR_WLEN8		0x03
#define UART_LCR_DLAB		0x80
#define UART_LCR_CONF_MODE_A	0x80
#define UART_LCR_CONF_MODE_B	0xbf

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08
#define UART_MCR_LOOP		0x10

#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40
#define UART_LSR_BOTH_EMPTY	(UART_LSR_THRE | UART_LSR_TEMT)

#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80

/* What the device did through its callbacks. */
static struct {
	uint8_t tx[4096];
	size_t ntx;
	unsigned flushes;
	unsigned irq_calls;
	unsigned irq_repeats; /* set_irq calls that did not change the level */
	bool level;
} seen;

static struct uart16550 uart;

static void fake_set_irq(void *ctx, bool level)
{
	ck_assert_ptr_eq(ctx, &seen);
	if (level == seen.level)
		seen.irq_repeats++;
	seen.level = level;
	seen.irq_calls++;
}

static void fake_tx(void *ctx, uint8_t byte)
{
	ck_assert_ptr_eq(ctx, &seen);
	ck_assert_uint_lt(seen.ntx, sizeof(seen.tx));
	seen.tx[seen.ntx++] = byte;
}

static void fake_tx_flush(void *ctx)
{
	ck_assert_ptr_eq(ctx, &seen);
	seen.flushes++;
}

static void setup(void)
{
	const struct uart_ops ops = {
		.set_irq = fake_set_irq,
		.tx = fake_tx,
		.tx_flush = fake_tx_flush,
		.ctx = &seen,
	};

	memset(&seen, 0, sizeof(seen));
	uart_init(&uart, &ops);
}

static uint8_t in(unsigned offset)
{
	return uart_read(&uart, offset);
}

static void out(unsigned offset, uint8_t value)
{
	uart_write(&uart, offset, value);
}

static size_t receive(const char *s)
{
	return uart_receive(&uart, (const uint8_t *)s, strlen(s));
}

/* What serial8250_do_startup leaves behind: 8n1, FIFOs on, OUT2 so the
 * interrupt reaches the PIC. */
static void linux_startup(uint8_t ier)
{
	out(UART_LCR, UART_LCR_WLEN8);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_TRIGGER_8);
	out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	out(UART_IER, ier);
}

START_TEST(test_reset_state)
{
	ck_assert_uint_eq(in(UART_IER), 0);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_NO_INT);
	ck_assert_uint_eq(in(UART_LCR), 0);
	ck_assert_uint_eq(in(UART_MCR), 0);
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY);
	ck_assert_uint_eq(in(UART_MSR),
			  UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	ck_assert_uint_eq(in(UART_SCR), 0);
	ck_assert_uint_eq(uart_rx_room(&uart), UART_FIFO_SIZE);
	ck_assert_uint_eq(seen.irq_calls, 0);
	ck_assert_uint_eq(seen.ntx, 0);
}
END_TEST

/* serial8250_do_set_divisor: DLAB, DLL/DLM, then the line settings. */
START_TEST(test_divisor_latch_round_trip)
{
	out(UART_LCR, UART_LCR_WLEN8 | UART_LCR_DLAB);
	out(UART_DLL, 0x0c);
	out(UART_DLM, 0x34);
	ck_assert_uint_eq(in(UART_DLL), 0x0c);
	ck_assert_uint_eq(in(UART_DLM), 0x34);
	ck_assert_uint_eq(seen.ntx, 0);
	ck_assert_uint_eq(seen.flushes, 0); /* DLM is not IER */

	out(UART_LCR, UART_LCR_WLEN8);
	ck_assert_uint_eq(in(UART_LCR), UART_LCR_WLEN8);
	ck_assert_uint_eq(in(UART_IER), 0);
	out(UART_TX, 'A');
	ck_assert_uint_eq(seen.ntx, 1);
	ck_assert_uint_eq(seen.tx[0], 'A');

	out(UART_LCR, UART_LCR_DLAB);
	ck_assert_uint_eq(in(UART_DLL), 0x0c);
	ck_assert_uint_eq(in(UART_DLM), 0x34);
}
END_TEST

START_TEST(test_dlab_read_does_not_pop_rx)
{
	ck_assert_uint_eq(receive("z"), 1);
	out(UART_LCR, UART_LCR_DLAB);
	ck_assert_uint_eq(in(UART_DLL), 0);
	out(UART_LCR, 0);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(in(UART_RX), 'z');
}
END_TEST

START_TEST(test_transmit_calls_tx)
{
	static const char msg[] = "hi\r\n\x00\xff";

	for (size_t i = 0; i < sizeof(msg) - 1; i++)
		out(UART_TX, (uint8_t)msg[i]);
	ck_assert_uint_eq(seen.ntx, sizeof(msg) - 1);
	ck_assert_mem_eq(seen.tx, msg, sizeof(msg) - 1);
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY);
}
END_TEST

/* serial8250_console_write: clear IER, poll LSR before each byte, wait
 * for BOTH_EMPTY, restore IER. The restore is the end-of-burst signal. */
START_TEST(test_linux_console_write)
{
	static const char msg[] = "Linux version\r\n";

	linux_startup(UART_IER_RDI);
	unsigned flushes = seen.flushes;
	uint8_t ier = in(UART_IER);

	out(UART_IER, 0);
	for (size_t i = 0; i < sizeof(msg) - 1; i++) {
		ck_assert(in(UART_LSR) & UART_LSR_THRE);
		out(UART_TX, (uint8_t)msg[i]);
	}
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_BOTH_EMPTY,
			  UART_LSR_BOTH_EMPTY);
	ck_assert_uint_eq(seen.flushes, flushes + 1);
	out(UART_IER, ier);
	ck_assert_uint_eq(seen.flushes, flushes + 2);
	ck_assert_uint_eq(seen.ntx, sizeof(msg) - 1);
	ck_assert_mem_eq(seen.tx, msg, sizeof(msg) - 1);
	ck_assert(!seen.level);
}
END_TEST

START_TEST(test_ier_write_calls_tx_flush)
{
	out(UART_IER, 0);
	ck_assert_uint_eq(seen.flushes, 1);
	out(UART_IER, 0);
	ck_assert_uint_eq(seen.flushes, 2);
	out(UART_IER, UART_IER_RDI);
	ck_assert_uint_eq(seen.flushes, 3);
	ck_assert_uint_eq(seen.ntx, 0);
}
END_TEST

START_TEST(test_null_tx_flush_is_allowed)
{
	const struct uart_ops ops = {
		.set_irq = fake_set_irq,
		.tx = fake_tx,
		.ctx = &seen,
	};

	uart_init(&uart, &ops);
	out(UART_IER, UART_IER_RDI);
	ck_assert_uint_eq(in(UART_IER), UART_IER_RDI);
	ck_assert_uint_eq(seen.flushes, 0);
}
END_TEST

/* Linux's autoconfig() "scratch" test: IER bits 4-7 must read 0. */
START_TEST(test_ier_keeps_low_four_bits)
{
	out(UART_IER, 0);
	ck_assert_uint_eq(in(UART_IER), 0);
	out(UART_IER, 0xff);
	ck_assert_uint_eq(in(UART_IER), 0x0f);
	out(UART_IER, UART_IER_UUE);
	ck_assert_uint_eq(in(UART_IER), 0);
}
END_TEST

/* MCR bits 5-7 are unused on a 16550A and read 0; LCR is all storage. */
START_TEST(test_mcr_and_lcr_bits)
{
	out(UART_MCR, 0xff);
	ck_assert_uint_eq(in(UART_MCR), 0x1f);
	out(UART_MCR, 0);
	ck_assert_uint_eq(in(UART_MCR), 0);
	out(UART_LCR, 0x7f);
	ck_assert_uint_eq(in(UART_LCR), 0x7f);
}
END_TEST

START_TEST(test_thre_interrupt_on_ier_enable)
{
	linux_startup(0);
	ck_assert(!seen.level);

	out(UART_IER, UART_IER_THRI);
	ck_assert(seen.level);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_THRI);
	/* That read acknowledged it. */
	ck_assert(!seen.level);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_NO_INT);

	/* The byte leaves at once, so THR is empty again. */
	out(UART_TX, 'x');
	ck_assert(seen.level);
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	ck_assert(!seen.level);
	ck_assert_uint_eq(seen.irq_repeats, 0);
}
END_TEST

/* serial8250_do_startup's UART_BUG_THRE and UART_BUG_TXEN probes: a real
 * 16550 reasserts THRE every time THRI is enabled while idle. */
START_TEST(test_linux_startup_thre_probes)
{
	out(UART_MCR, UART_MCR_OUT2);
	out(UART_IER, UART_IER_THRI);
	uint8_t iir1 = in(UART_IIR);
	out(UART_IER, 0);
	out(UART_IER, UART_IER_THRI);
	uint8_t iir = in(UART_IIR);
	out(UART_IER, 0);
	ck_assert(!(iir1 & UART_IIR_NO_INT));
	ck_assert(!(iir & UART_IIR_NO_INT));

	out(UART_IER, UART_IER_THRI);
	uint8_t lsr = in(UART_LSR);
	iir = in(UART_IIR);
	out(UART_IER, 0);
	ck_assert(lsr & UART_LSR_TEMT);
	ck_assert(!(iir & UART_IIR_NO_INT));
	ck_assert(!seen.level);
}
END_TEST

/* Only a 0->1 change of THRI raises THRE; rewriting IER unchanged does not
 * resurrect an acknowledged interrupt. */
START_TEST(test_thre_only_on_thri_rising_edge)
{
	out(UART_IER, UART_IER_THRI);
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	out(UART_IER, UART_IER_THRI);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_NO_INT);
	out(UART_IER, UART_IER_THRI | UART_IER_RDI);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_NO_INT);
}
END_TEST

/* serial8250_start_tx, then serial8250_handle_irq/serial8250_tx_chars
 * until the buffer drains and __stop_tx clears THRI. */
START_TEST(test_linux_interrupt_driven_tx)
{
	uint8_t buf[40];
	size_t sent = 0;
	uint8_t ier = UART_IER_RDI;

	for (size_t i = 0; i < sizeof(buf); i++)
		buf[i] = (uint8_t)('a' + i % 26);
	linux_startup(ier);
	ier |= UART_IER_THRI;
	out(UART_IER, ier);
	for (int rounds = 0; seen.level; rounds++) {
		ck_assert_int_lt(rounds, 10);
		uint8_t iir = in(UART_IIR);
		ck_assert_uint_eq(iir & UART_IIR_ID, UART_IIR_THRI);
		uint8_t lsr = in(UART_LSR);
		if (!(lsr & UART_LSR_THRE) || !(ier & UART_IER_THRI))
			continue;
		for (int n = UART_FIFO_SIZE; n > 0 && sent < sizeof(buf); n--)
			out(UART_TX, buf[sent++]);
		if (sent == sizeof(buf)) {
			ier &= (uint8_t)~UART_IER_THRI;
			out(UART_IER, ier);
		}
	}
	ck_assert_uint_eq(seen.ntx, sizeof(buf));
	ck_assert_mem_eq(seen.tx, buf, sizeof(buf));
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_NO_INT);
	ck_assert_uint_eq(seen.irq_repeats, 0);
}
END_TEST

START_TEST(test_rx_interrupt_dr_and_order)
{
	linux_startup(UART_IER_RDI);
	ck_assert(!seen.level);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, 0);

	ck_assert_uint_eq(receive("ab"), 2);
	ck_assert(seen.level);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_RDI);
	ck_assert(seen.level); /* reading IIR does not acknowledge RX */
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(in(UART_RX), 'a');
	ck_assert(seen.level);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(in(UART_RX), 'b');
	ck_assert(!seen.level);
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_NO_INT);
}
END_TEST

/* serial8250_handle_irq + serial8250_rx_chars: read RX while LSR.DR. */
START_TEST(test_linux_interrupt_driven_rx)
{
	char got[32];
	size_t n = 0;

	linux_startup(UART_IER_RDI | UART_IER_RLSI);
	ck_assert_uint_eq(receive("hello"), 5);
	ck_assert(seen.level);
	ck_assert(!(in(UART_IIR) & UART_IIR_NO_INT));
	while (in(UART_LSR) & UART_LSR_DR) {
		ck_assert_uint_lt(n, sizeof(got));
		got[n++] = (char)in(UART_RX);
	}
	ck_assert_uint_eq(n, 5);
	ck_assert_mem_eq(got, "hello", 5);
	ck_assert(!seen.level);
}
END_TEST

START_TEST(test_rx_has_priority_over_thre)
{
	linux_startup(UART_IER_RDI | UART_IER_THRI);
	ck_assert_uint_eq(receive("q"), 1);
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_RDI);
	/* THRE stayed pending behind RX: the IIR read did not report it. */
	ck_assert_uint_eq(in(UART_RX), 'q');
	ck_assert(seen.level);
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
	ck_assert(!seen.level);
}
END_TEST

START_TEST(test_rx_fifo_full)
{
	uint8_t bytes[UART_FIFO_SIZE + 1];

	for (size_t i = 0; i < sizeof(bytes); i++)
		bytes[i] = (uint8_t)(0x40 + i);
	ck_assert_uint_eq(uart_receive(&uart, bytes, sizeof(bytes)),
			  UART_FIFO_SIZE);
	ck_assert_uint_eq(uart_rx_room(&uart), 0);
	ck_assert_uint_eq(uart_receive(&uart, &bytes[16], 1), 0);
	/* Refused bytes stay with the caller: no overrun. */
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY | UART_LSR_DR);

	ck_assert_uint_eq(in(UART_RX), 0x40);
	ck_assert_uint_eq(uart_rx_room(&uart), 1);
	ck_assert_uint_eq(uart_receive(&uart, &bytes[16], 1), 1);
	for (size_t i = 1; i < sizeof(bytes); i++)
		ck_assert_uint_eq(in(UART_RX), bytes[i]);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, 0);
	ck_assert_uint_eq(uart_rx_room(&uart), UART_FIFO_SIZE);
}
END_TEST

START_TEST(test_rx_wraps_around)
{
	char expect[UART_FIFO_SIZE + 1] = "0123456789abcdef";

	ck_assert_uint_eq(receive("0123456789"), 10);
	for (int i = 0; i < 10; i++)
		ck_assert_uint_eq(in(UART_RX), (uint8_t)expect[i]);
	ck_assert_uint_eq(receive(expect), UART_FIFO_SIZE);
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		ck_assert_uint_eq(in(UART_RX), (uint8_t)expect[i]);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(test_receive_nothing)
{
	linux_startup(UART_IER_RDI);
	ck_assert_uint_eq(uart_receive(&uart, NULL, 0), 0);
	ck_assert_uint_eq(uart_rx_room(&uart), UART_FIFO_SIZE);
	ck_assert(!seen.level);
}
END_TEST

START_TEST(test_loopback_returns_tx_in_rbr)
{
	out(UART_MCR, UART_MCR_LOOP);
	out(UART_TX, 'x');
	out(UART_TX, 'y');
	ck_assert_uint_eq(seen.ntx, 0);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(in(UART_RX), 'x');
	ck_assert_uint_eq(in(UART_RX), 'y');
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, 0);

	out(UART_MCR, 0);
	out(UART_TX, 'z');
	ck_assert_uint_eq(seen.ntx, 1);
	ck_assert_uint_eq(seen.tx[0], 'z');
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, 0);
}
END_TEST

START_TEST(test_loopback_msr_reflects_mcr)
{
	/* Linux autoconfig() loopback check. */
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS);
	ck_assert_uint_eq(in(UART_MSR) & 0xf0, 0x90);

	out(UART_MCR, UART_MCR_LOOP);
	ck_assert_uint_eq(in(UART_MSR), 0);
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
	ck_assert_uint_eq(in(UART_MSR), UART_MSR_CTS);
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
	ck_assert_uint_eq(in(UART_MSR), UART_MSR_DSR);
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
	ck_assert_uint_eq(in(UART_MSR), UART_MSR_RI);
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	ck_assert_uint_eq(in(UART_MSR), UART_MSR_DCD);

	out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	ck_assert_uint_eq(in(UART_MSR),
			  UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}
END_TEST

START_TEST(test_loopback_overrun)
{
	out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
	for (int i = 0; i <= UART_FIFO_SIZE; i++)
		out(UART_TX, (uint8_t)i);
	ck_assert(!seen.level); /* RLSI not enabled */
	out(UART_IER, UART_IER_RLSI | UART_IER_RDI);
	ck_assert(seen.level);
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_RLSI);

	ck_assert_uint_eq(in(UART_LSR),
			  UART_LSR_BOTH_EMPTY | UART_LSR_OE | UART_LSR_DR);
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY | UART_LSR_DR);
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_RDI);
	/* The 17th byte was the one lost. */
	for (int i = 0; i < UART_FIFO_SIZE; i++)
		ck_assert_uint_eq(in(UART_RX), i);
	ck_assert(!seen.level);
	ck_assert_uint_eq(seen.ntx, 0);
}
END_TEST

START_TEST(test_out2_gates_irq)
{
	out(UART_IER, UART_IER_RDI);
	ck_assert_uint_eq(receive("k"), 1);
	ck_assert_uint_eq(seen.irq_calls, 0);
	/* Pending inside the chip, just not wired through to the PIC. */
	ck_assert_uint_eq(in(UART_IIR) & UART_IIR_ID, UART_IIR_RDI);

	out(UART_MCR, UART_MCR_OUT2);
	ck_assert_uint_eq(seen.irq_calls, 1);
	ck_assert(seen.level);
	out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	ck_assert_uint_eq(seen.irq_calls, 2);
	ck_assert(!seen.level);
	out(UART_MCR, UART_MCR_OUT2);
	ck_assert(seen.level);
	in(UART_RX);
	ck_assert(!seen.level);
	ck_assert_uint_eq(seen.irq_calls, 4);
}
END_TEST

START_TEST(test_set_irq_only_on_change)
{
	linux_startup(UART_IER_RDI | UART_IER_THRI);
	ck_assert_uint_eq(seen.irq_calls, 1);
	for (int i = 0; i < 5; i++)
		out(UART_TX, 'a');
	ck_assert_uint_eq(receive("abc"), 3);
	ck_assert_uint_eq(receive("d"), 1);
	for (int i = 0; i < 4; i++) {
		in(UART_IIR);
		in(UART_LSR);
		in(UART_MSR);
	}
	ck_assert_uint_eq(seen.irq_calls, 1);
	for (int i = 0; i < 4; i++)
		in(UART_RX);
	/* THRE is still pending: was reported behind RX, not acknowledged. */
	ck_assert_uint_eq(seen.irq_calls, 1);
	in(UART_IIR);
	ck_assert_uint_eq(seen.irq_calls, 2);
	in(UART_IIR);
	out(UART_SCR, 1);
	ck_assert_uint_eq(seen.irq_calls, 2);
	ck_assert_uint_eq(seen.irq_repeats, 0);
	ck_assert(!seen.level);
}
END_TEST

START_TEST(test_scratch_register)
{
	out(UART_SCR, 0x5a);
	ck_assert_uint_eq(in(UART_SCR), 0x5a);
	out(UART_SCR, 0xa5);
	ck_assert_uint_eq(in(UART_SCR), 0xa5);
	out(UART_LCR, UART_LCR_DLAB); /* DLAB only affects offsets 0 and 1 */
	ck_assert_uint_eq(in(UART_SCR), 0xa5);
}
END_TEST

START_TEST(test_fcr_clear_rx)
{
	linux_startup(UART_IER_RDI);
	ck_assert_uint_eq(receive("abc"), 3);
	ck_assert(seen.level);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_XMIT);
	ck_assert_uint_eq(uart_rx_room(&uart), UART_FIFO_SIZE - 3);

	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR |
		      UART_FCR_CLEAR_XMIT);
	ck_assert(!seen.level);
	ck_assert_uint_eq(uart_rx_room(&uart), UART_FIFO_SIZE);
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_NO_INT);
	ck_assert_uint_eq(receive("d"), 1);
	ck_assert_uint_eq(in(UART_RX), 'd');
}
END_TEST

/* Datasheet, FCR0: leaving or entering FIFO mode empties the FIFOs; with
 * FCR0 clear no other FCR bit is programmed. */
START_TEST(test_fcr_fifo_mode)
{
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_NO_INT);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_FIFO_BITS | UART_IIR_NO_INT);
	ck_assert_uint_eq(receive("ab"), 2);
	out(UART_FCR, 0);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_NO_INT);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, 0);

	ck_assert_uint_eq(receive("ab"), 2);
	out(UART_FCR, UART_FCR_CLEAR_RCVR);
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
	ck_assert_uint_eq(in(UART_IIR), UART_IIR_NO_INT);
}
END_TEST

/* Linux's autoconfig()/autoconfig_16550a() must settle on PORT_16550A:
 * each check below is a condition the driver tests, with its verdict. */
START_TEST(test_linux_autoconfig_sees_16550a)
{
	/* Scratch test on IER. */
	uint8_t scratch = in(UART_IER);
	out(UART_IER, 0);
	uint8_t scratch2 = in(UART_IER) & 0x0f;
	out(UART_IER, 0x0f);
	uint8_t scratch3 = in(UART_IER) & 0x0f;
	out(UART_IER, scratch);
	ck_assert_uint_eq(scratch2, 0);
	ck_assert_uint_eq(scratch3, 0x0f);

	/* Loopback test. */
	uint8_t save_mcr = in(UART_MCR);
	out(UART_MCR, UART_MCR_LOOP | 0x0a);
	uint8_t status1 = in(UART_MSR) & 0xf0;
	out(UART_MCR, save_mcr);
	ck_assert_uint_eq(status1, 0x90);

	/* FIFO type from IIR bits 6-7: 3 means 16550A. */
	out(UART_LCR, UART_LCR_CONF_MODE_B);
	out(UART_EFR, 0);
	out(UART_LCR, 0);
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	ck_assert_uint_eq(in(UART_IIR) >> 6, 3);

	/* No EFR behind either configuration mode: not a 16650. */
	out(UART_LCR, UART_LCR_CONF_MODE_A);
	ck_assert_uint_ne(in(UART_EFR), 0);
	out(UART_LCR, UART_LCR_CONF_MODE_B);
	ck_assert_uint_ne(in(UART_EFR), 0);

	/* No National SuperIO EXCR1 mirroring MCR.LOOP. */
	out(UART_LCR, 0);
	status1 = in(UART_MCR);
	out(UART_LCR, 0xe0);
	uint8_t status2 = in(0x02);
	ck_assert_uint_eq((status2 ^ status1) & UART_MCR_LOOP, 0);
	out(UART_LCR, 0);
	out(UART_MCR, status1 ^ UART_MCR_LOOP);
	out(UART_LCR, 0xe0);
	status2 = in(0x02);
	out(UART_LCR, 0);
	out(UART_MCR, status1);
	ck_assert_uint_eq((status2 ^ status1) & UART_MCR_LOOP, 0);

	/* No 64-byte FIFO: not a 16750. */
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
	status1 = in(UART_IIR) & UART_IIR_FIFO_16750;
	out(UART_FCR, UART_FCR_ENABLE_FIFO);
	out(UART_LCR, UART_LCR_CONF_MODE_A);
	out(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR7_64BYTE);
	status2 = in(UART_IIR) & UART_IIR_FIFO_16750;
	out(UART_LCR, 0);
	ck_assert_uint_eq(status1, UART_IIR_FIFO_BITS);
	ck_assert_uint_ne(status2, UART_IIR_FIFO_16750);

	/* IER.UUE does not stick: not an XScale UART. */
	uint8_t iersave = in(UART_IER);
	out(UART_IER, iersave | UART_IER_UUE);
	ck_assert_uint_eq(in(UART_IER) & UART_IER_UUE, 0);
	ck_assert_uint_eq(seen.ntx, 0);
}
END_TEST

START_TEST(test_read_only_registers_ignore_writes)
{
	ck_assert_uint_eq(receive("a"), 1);
	out(UART_LSR, 0);
	out(UART_MSR, 0);
	ck_assert_uint_eq(in(UART_LSR), UART_LSR_BOTH_EMPTY | UART_LSR_DR);
	ck_assert_uint_eq(in(UART_MSR),
			  UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
}
END_TEST

START_TEST(test_out_of_range_offsets)
{
	static const unsigned offsets[] = {
		8, 9, 15, 16, 255, 0x3f8, UINT_MAX,
	};

	linux_startup(UART_IER_RDI | UART_IER_THRI);
	ck_assert_uint_eq(receive("a"), 1);
	unsigned irq_calls = seen.irq_calls, flushes = seen.flushes;
	struct uart16550 before;
	memcpy(&before, &uart, sizeof(uart));

	for (size_t i = 0; i < sizeof(offsets) / sizeof(offsets[0]); i++) {
		ck_assert_uint_eq(in(offsets[i]), 0xff);
		out(offsets[i], 0x00);
		out(offsets[i], 0xff);
	}
	ck_assert_mem_eq(&before, &uart, sizeof(uart));
	ck_assert_uint_eq(seen.irq_calls, irq_calls);
	ck_assert_uint_eq(seen.flushes, flushes);
	ck_assert_uint_eq(seen.ntx, 0);
}
END_TEST

/* xorshift32: reproducible, so a failing run can be replayed. */
static uint32_t next_random(uint32_t *state)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return *state = x;
}

/* Mostly real registers, sometimes just past them, rarely anything. */
static unsigned random_offset(uint32_t *rng)
{
	uint32_t r = next_random(rng);

	if (r % 16)
		return r % 8;
	if (r & 0x10)
		return 8 + (r >> 8) % 8;
	return r;
}

/* Black-box check of the irq line: asserted iff OUT2 is set and IIR has
 * something pending, as sampled before the IIR read acknowledges it. */
static void check_irq_line(void)
{
	bool level = seen.level;
	uint8_t mcr = in(UART_MCR);
	uint8_t iir = in(UART_IIR);

	ck_assert_int_eq(level,
			 (mcr & UART_MCR_OUT2) && !(iir & UART_IIR_NO_INT));
	ck_assert_uint_eq(in(UART_LSR) & UART_LSR_BOTH_EMPTY,
			  UART_LSR_BOTH_EMPTY);
}

static void random_receive(uint32_t *rng)
{
	uint8_t buf[UART_FIFO_SIZE + 4];
	size_t len = next_random(rng) % (sizeof(buf) + 1);
	size_t room = uart_rx_room(&uart);

	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)next_random(rng);
	ck_assert_uint_eq(uart_receive(&uart, buf, len),
			  len < room ? len : room);
}

static void random_step(uint32_t *rng)
{
	uint32_t r = next_random(rng);

	switch (r % 8) {
	case 0:
		random_receive(rng);
		break;
	case 1:
		check_irq_line();
		break;
	case 2:
	case 3:
	case 4:
		in(random_offset(rng));
		break;
	default:
		out(random_offset(rng), (uint8_t)(r >> 8));
		break;
	}
}

START_TEST(test_random_accesses)
{
	uint32_t rng = 0x16550a;

	for (int step = 0; step < 200000; step++) {
		random_step(&rng);
		ck_assert_uint_le(uart_rx_room(&uart), UART_FIFO_SIZE);
		ck_assert_int_eq(seen.level, uart.irq_level);
		ck_assert_uint_eq(seen.irq_repeats, 0);
		if (seen.ntx == sizeof(seen.tx))
			seen.ntx = 0;
	}
}
END_TEST

Suite *uart16550_suite(void)
{
	Suite *s = suite_create("uart16550");
	TCase *tc = tcase_create("registers");

	tcase_add_checked_fixture(tc, setup, NULL);
	tcase_add_test(tc, test_reset_state);
	tcase_add_test(tc, test_divisor_latch_round_trip);
	tcase_add_test(tc, test_dlab_read_does_not_pop_rx);
	tcase_add_test(tc, test_transmit_calls_tx);
	tcase_add_test(tc, test_linux_console_write);
	tcase_add_test(tc, test_ier_write_calls_tx_flush);
	tcase_add_test(tc, test_null_tx_flush_is_allowed);
	tcase_add_test(tc, test_ier_keeps_low_four_bits);
	tcase_add_test(tc, test_mcr_and_lcr_bits);
	tcase_add_test(tc, test_thre_interrupt_on_ier_enable);
	tcase_add_test(tc, test_linux_startup_thre_probes);
	tcase_add_test(tc, test_thre_only_on_thri_rising_edge);
	tcase_add_test(tc, test_linux_interrupt_driven_tx);
	tcase_add_test(tc, test_rx_interrupt_dr_and_order);
	tcase_add_test(tc, test_linux_interrupt_driven_rx);
	tcase_add_test(tc, test_rx_has_priority_over_thre);
	tcase_add_test(tc, test_rx_fifo_full);
	tcase_add_test(tc, test_rx_wraps_around);
	tcase_add_test(tc, test_receive_nothing);
	tcase_add_test(tc, test_loopback_returns_tx_in_rbr);
	tcase_add_test(tc, test_loopback_msr_reflects_mcr);
	tcase_add_test(tc, test_loopback_overrun);
	tcase_add_test(tc, test_out2_gates_irq);
	tcase_add_test(tc, test_set_irq_only_on_change);
	tcase_add_test(tc, test_scratch_register);
	tcase_add_test(tc, test_fcr_clear_rx);
	tcase_add_test(tc, test_fcr_fifo_mode);
	tcase_add_test(tc, test_linux_autoconfig_sees_16550a);
	tcase_add_test(tc, test_read_only_registers_ignore_writes);
	tcase_add_test(tc, test_out_of_range_offsets);
	tcase_add_test(tc, test_random_accesses);
	suite_add_tcase(s, tc);
	return s;
}
