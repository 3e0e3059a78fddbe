/* 16550A UART model, after the National Semiconductor PC16550D datasheet,
 * reduced to what a virtual console needs: transmission is instantaneous
 * (THR and transmitter are always empty), there is no baud rate, and the
 * only receive error is an overrun in loopback mode. */
#include "devices/uart16550.h"

#include <string.h>

/* Register offsets; DLAB (LCR bit 7) turns 0 and 1 into the divisor latch. */
enum {
	REG_RBR_THR = 0,
	REG_IER = 1,
	REG_IIR_FCR = 2,
	REG_LCR = 3,
	REG_MCR = 4,
	REG_LSR = 5,
	REG_MSR = 6,
	REG_SCR = 7,
};

#define IER_RDI		0x01 /* received data available */
#define IER_THRI	0x02 /* transmitter holding register empty */
#define IER_RLSI	0x04 /* receiver line status */
#define IER_MASK	0x0f /* bits 4-7 always read 0 on a 16550A */

#define IIR_NONE	0x01
#define IIR_THRI	0x02
#define IIR_RDI		0x04
#define IIR_RLSI	0x06
/* Both FIFO bits, never bit 5: Linux tells a 16550A from a 16750 by it. */
#define IIR_FIFOS_ON	0xc0

#define FCR_ENABLE	0x01
#define FCR_CLEAR_RX	0x02
#define FCR_STORED	0xc9 /* enable, DMA mode and RX trigger level */

#define LCR_DLAB	0x80

#define MCR_DTR		0x01
#define MCR_RTS		0x02
#define MCR_OUT1	0x04
#define MCR_OUT2	0x08
#define MCR_LOOP	0x10
#define MCR_MASK	0x1f

#define LSR_DR		0x01
#define LSR_OE		0x02
#define LSR_THRE	0x20
#define LSR_TEMT	0x40

#define MSR_CTS		0x10
#define MSR_DSR		0x20
#define MSR_RI		0x40
#define MSR_DCD		0x80

static bool rx_push(struct uart16550 *u, uint8_t byte)
{
	if (u->rx_count == UART_FIFO_SIZE)
		return false;
	u->rx_fifo[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = byte;
	u->rx_count++;
	return true;
}

/* An empty RBR reads as 0; drivers only read it while LSR.DR is set. */
static uint8_t rx_pop(struct uart16550 *u)
{
	if (u->rx_count == 0)
		return 0;
	uint8_t byte = u->rx_fifo[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_FIFO_SIZE;
	u->rx_count--;
	return byte;
}

static void rx_clear(struct uart16550 *u)
{
	u->rx_head = 0;
	u->rx_count = 0;
}

/* The highest-priority pending interrupt, as IIR bits 0-3 report it
 * (datasheet table "Interrupt Control Functions"). Modem status interrupts
 * never fire: the modelled modem lines never change on their own. */
static uint8_t pending_interrupt(const struct uart16550 *u)
{
	if ((u->ier & IER_RLSI) && (u->lsr & LSR_OE))
		return IIR_RLSI;
	/* Any data at all, not just a trigger level's worth: like the
	 * character timeout interrupt, which Linux handles the same way. */
	if ((u->ier & IER_RDI) && u->rx_count)
		return IIR_RDI;
	if ((u->ier & IER_THRI) && u->thr_interrupt)
		return IIR_THRI;
	return IIR_NONE;
}

/* On PCs the INTR pin reaches the PIC only through a buffer enabled by
 * OUT2, which is why Linux's 8250 driver sets UART_MCR_OUT2. */
static void update_irq(struct uart16550 *u)
{
	bool level = (u->mcr & MCR_OUT2) && pending_interrupt(u) != IIR_NONE;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	u->ops.set_irq(u->ops.ctx, level);
}

/* In loopback the transmitter feeds the receiver; a byte arriving at a
 * full FIFO is lost and flagged as an overrun, as on the real chip. */
static void loop_back(struct uart16550 *u, uint8_t byte)
{
	if (!rx_push(u, byte))
		u->lsr |= LSR_OE;
}

static void transmit(struct uart16550 *u, uint8_t byte)
{
	if (u->mcr & MCR_LOOP)
		loop_back(u, byte);
	else
		u->ops.tx(u->ops.ctx, byte);
	/* Writing THR acknowledged the THRE interrupt, but the byte leaves
	 * the THR at once, so THR is empty and the interrupt pending again. */
	u->thr_interrupt = true;
}

static void write_ier(struct uart16550 *u, uint8_t value)
{
	bool thri_enabled = value & ~u->ier & IER_THRI;

	u->ier = value & IER_MASK;
	/* Enabling THRI with THR empty raises THRE at once; Linux's 8250
	 * startup relies on it (UART_BUG_THRE, UART_BUG_TXEN tests). Only on
	 * the rising edge, as in QEMU and Bochs, so rewriting IER does not
	 * repeat an interrupt the driver already acknowledged. */
	if (thri_enabled)
		u->thr_interrupt = true;
	if (u->ops.tx_flush)
		u->ops.tx_flush(u->ops.ctx);
}

static void write_fcr(struct uart16550 *u, uint8_t value)
{
	/* Datasheet, FCR0: switching between FIFO and 16450 mode empties
	 * the FIFOs, and the other bits are programmed only while FCR0 is
	 * 1. The 16-byte RX buffer is kept in 16450 mode too: simpler, and
	 * harmless to drivers that poll LSR.DR. */
	if ((value ^ u->fcr) & FCR_ENABLE)
		rx_clear(u);
	if (!(value & FCR_ENABLE)) {
		u->fcr = 0;
		u->iir_fifo = 0;
		return;
	}
	if (value & FCR_CLEAR_RX)
		rx_clear(u);
	u->fcr = value & FCR_STORED;
	u->iir_fifo = IIR_FIFOS_ON;
}

/* Normal mode: nothing is attached to the modem inputs, so report the
 * carrier and a peer ready to talk, lest drivers wait for them. Loopback
 * (datasheet, MCR4): the outputs drive the inputs internally. */
static uint8_t modem_status(uint8_t mcr)
{
	if (!(mcr & MCR_LOOP))
		return MSR_DCD | MSR_DSR | MSR_CTS;
	return (mcr & MCR_RTS ? MSR_CTS : 0) |
	       (mcr & MCR_DTR ? MSR_DSR : 0) |
	       (mcr & MCR_OUT1 ? MSR_RI : 0) |
	       (mcr & MCR_OUT2 ? MSR_DCD : 0);
}

static void write_mcr(struct uart16550 *u, uint8_t value)
{
	u->mcr = value & MCR_MASK;
	u->msr = modem_status(u->mcr);
}

/* Reading IIR while it reports THRE is what acknowledges that interrupt. */
static uint8_t read_iir(struct uart16550 *u)
{
	uint8_t id = pending_interrupt(u);

	if (id == IIR_THRI)
		u->thr_interrupt = false;
	return u->iir_fifo | id;
}

/* Error bits clear when LSR is read (datasheet, LSR1). */
static uint8_t read_lsr(struct uart16550 *u)
{
	uint8_t lsr = u->lsr | (u->rx_count ? LSR_DR : 0);

	u->lsr &= ~LSR_OE;
	return lsr;
}

static uint8_t read_reg(struct uart16550 *u, unsigned offset)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_RBR_THR:
		return dlab ? u->dll : rx_pop(u);
	case REG_IER:
		return dlab ? u->dlm : u->ier;
	case REG_IIR_FCR:
		return read_iir(u);
	case REG_LCR:
		return u->lcr;
	case REG_MCR:
		return u->mcr;
	case REG_LSR:
		return read_lsr(u);
	case REG_MSR:
		return u->msr;
	case REG_SCR:
		return u->scr;
	default:
		return 0xff; /* like an unclaimed ISA port */
	}
}

static void write_reg(struct uart16550 *u, unsigned offset, uint8_t value)
{
	bool dlab = u->lcr & LCR_DLAB;

	switch (offset) {
	case REG_RBR_THR:
		if (dlab)
			u->dll = value;
		else
			transmit(u, value);
		break;
	case REG_IER:
		if (dlab)
			u->dlm = value;
		else
			write_ier(u, value);
		break;
	case REG_IIR_FCR:
		write_fcr(u, value);
		break;
	case REG_LCR:
		u->lcr = value;
		break;
	case REG_MCR:
		write_mcr(u, value);
		break;
	case REG_SCR:
		u->scr = value;
		break;
	default:
		break; /* LSR and MSR are read-only here; >= 8 is not ours */
	}
}

void uart_init(struct uart16550 *u, const struct uart_ops *ops)
{
	memset(u, 0, sizeof(*u));
	u->ops = *ops;
	u->lsr = LSR_THRE | LSR_TEMT;
	u->msr = modem_status(u->mcr);
}

uint8_t uart_read(struct uart16550 *u, unsigned offset)
{
	uint8_t value = read_reg(u, offset);

	update_irq(u);
	return value;
}

void uart_write(struct uart16550 *u, unsigned offset, uint8_t value)
{
	write_reg(u, offset, value);
	update_irq(u);
}

size_t uart_receive(struct uart16550 *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	while (n < len && rx_push(u, buf[n]))
		n++;
	update_irq(u);
	return n;
}

size_t uart_rx_room(const struct uart16550 *u)
{
	return UART_FIFO_SIZE - u->rx_count;
}
