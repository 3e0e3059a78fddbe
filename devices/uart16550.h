/* 16550A UART model. Knows nothing about buses or KVM: the caller passes
 * register offsets (0-7) and supplies callbacks for the interrupt line and
 * for transmitted bytes. Not thread-safe: the caller serialises access. */
#ifndef MR_UART16550_H
#define MR_UART16550_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_FIFO_SIZE 16

struct uart_ops {
	/* Drive the interrupt line to `level` (true = asserted). Called only on
	 * changes. */
	void (*set_irq)(void *ctx, bool level);
	/* One transmitted byte. */
	void (*tx)(void *ctx, uint8_t byte);
	/* The guest driver has finished a burst of output (it rewrote IER, as
	 * Linux's 8250 console and tty drivers do after each write): a good
	 * moment to flush buffered output. May be NULL. */
	void (*tx_flush)(void *ctx);
	void *ctx;
};

struct uart16550 {
	struct uart_ops ops;
	uint8_t ier, iir_fifo, lcr, mcr, lsr, msr, scr, fcr;
	uint8_t dll, dlm;
	uint8_t rx_fifo[UART_FIFO_SIZE];
	unsigned rx_head, rx_count;
	bool thr_interrupt; /* THRE interrupt pending until IIR read or THR write */
	bool irq_level;
};

void uart_init(struct uart16550 *u, const struct uart_ops *ops);
uint8_t uart_read(struct uart16550 *u, unsigned offset);
void uart_write(struct uart16550 *u, unsigned offset, uint8_t value);
/* Host input for the guest: queues up to the free FIFO space and returns
 * how many bytes were taken. */
size_t uart_receive(struct uart16550 *u, const uint8_t *buf, size_t len);
size_t uart_rx_room(const struct uart16550 *u);

#endif
