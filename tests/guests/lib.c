/* The guests' shared library; see lib.h. */
#include "lib.h"
#include "version.h"

/* As init/version.c's linux_banner: what a loader reads a vmlinux's
 * release from. Nothing refers to it, hence "used". */
static const char linux_banner[] __attribute__((used)) = "Linux version " GUEST_VERSION "\n";

void putc(char c)
{
	while (!(inb(UART_LSR) & UART_LSR_THRE))
		;
	outb(COM1, (uint8_t)c);
}

void puts(const char *s)
{
	while (*s)
		putc(*s++);
}

void put_hex_width(uint64_t v, int w)
{
	char buf[16];
	int n = 0;

	do {
		unsigned d = v & 0xf;
		buf[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v >>= 4;
	} while (v && n < 16);
	while (n < w && n < 16)
		buf[n++] = '0';
	while (n)
		putc(buf[--n]);
}

void put_hex(uint64_t v)
{
	put_hex_width(v, 1);
}

void put_dec(uint64_t v)
{
	char buf[20];
	int n = 0;

	do {
		buf[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		putc(buf[--n]);
}

int uart_has_input(void)
{
	return inb(UART_LSR) & UART_LSR_DR;
}

uint8_t getc(void)
{
	while (!uart_has_input())
		;
	return inb(COM1);
}

void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

void reset(void)
{
	outb(I8042_CMD, I8042_RESET);
	halt_forever();
}

void poweroff(void)
{
	outb(ACPI_SLEEP_PORT, ACPI_SLEEP_S5);
	halt_forever();
}

void *memset(void *d, int c, size_t n)
{
	unsigned char *p = d;

	while (n--)
		*p++ = (unsigned char)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	unsigned char *p = d;
	const unsigned char *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}
