/* Tiny freestanding library for the test guests: port I/O, a polled 16550
 * at 0x3f8, number printing, control-register and MSR reads, reset.
 *
 * Everything here must stay position independent: a bzImage guest may be
 * loaded at another address than the ELF link address, so no absolute
 * addresses and no pointer tables (guests.mk rejects objects with absolute
 * relocations). */
#ifndef GUEST_LIB_H
#define GUEST_LIB_H

#include <stdint.h>
#include <stddef.h>
#include <asm/bootparam.h>

#define COM1            0x3f8
#define UART_LSR        (COM1 + 5)
#define UART_LSR_DR     0x01    /* a received byte can be read */
#define UART_LSR_THRE   0x20    /* transmit holding register empty */
#define I8042_CMD       0x64
#define I8042_RESET     0xfe
#define ACPI_SLEEP_PORT 0x600   /* microrun's FADT sleep control register */
#define ACPI_SLEEP_S5   0x34    /* SLP_TYP 5 (its \_S5) << 2 | SLP_EN */

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint16_t inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

#define READ_CR(n)                                                     \
	static inline uint64_t read_cr##n(void)                        \
	{                                                              \
		uint64_t v;                                            \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));      \
		return v;                                              \
	}
READ_CR(0)
READ_CR(3)
READ_CR(4)

#define READ_SEG(s)                                                    \
	static inline uint16_t read_##s(void)                          \
	{                                                              \
		uint16_t v;                                            \
		__asm__ volatile("mov %%" #s ", %0" : "=r"(v));        \
		return v;                                              \
	}
READ_SEG(cs)
READ_SEG(ds)
READ_SEG(es)
READ_SEG(ss)
READ_SEG(fs)
READ_SEG(gs)

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

/* UART output (polls LSR.THRE before each byte, like Linux's earlyprintk;
 * no "\n" -> "\r\n" translation). */
void putc(char c);
void puts(const char *s);               /* no newline added */
void put_hex(uint64_t v);               /* lowercase, no leading zeros */
void put_hex_width(uint64_t v, int w);  /* zero-padded to w digits */
void put_dec(uint64_t v);

/* UART input: nonzero if a byte is waiting; getc polls until one is. */
int uart_has_input(void);
uint8_t getc(void);

/* Reset through the i8042 (microrun exits 122); hlt-loops should that
 * not stop the machine. */
__attribute__((noreturn)) void reset(void);
/* Enter ACPI S5 as Linux's poweroff does (microrun exits 0); hlt-loops
 * should that not stop the machine. */
__attribute__((noreturn)) void poweroff(void);
/* cli; hlt forever. */
__attribute__((noreturn)) void halt_forever(void);

/* Each guest defines this; entry.S calls it with RSI from the loader (the
 * zero page). It must not return. */
__attribute__((noreturn)) void guest_main(const struct boot_params *bp);

/* gcc may emit calls to these even in freestanding code. */
void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

#endif
