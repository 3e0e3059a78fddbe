/* unhandled: accesses to a port and to MMIO where no device lives must
 * behave as on a PC: reads return all ones, writes are ignored. */
#include "lib.h"

#define NO_PORT 0x1234
#define NO_MMIO 0xd0000000ul    /* in the 32-bit MMIO hole, nothing there */

static int fails;

static void fail(const char *what)
{
	puts("unhandled: FAIL ");
	puts(what);
	putc('\n');
	fails++;
}

void guest_main(const struct boot_params *bp)
{
	volatile uint32_t *mmio32 = (volatile uint32_t *)NO_MMIO;
	volatile uint64_t *mmio64 = (volatile uint64_t *)(NO_MMIO + 8);

	(void)bp;
	if (inb(NO_PORT) != 0xff)
		fail("inb");
	if (inw(NO_PORT) != 0xffff)
		fail("inw");
	if (inl(NO_PORT) != 0xffffffff)
		fail("inl");
	outb(NO_PORT, 0x12);
	outw(NO_PORT, 0x1234);
	outl(NO_PORT, 0x12345678);
	if (inb(NO_PORT) != 0xff)
		fail("inb after writes");
	if (*mmio32 != 0xffffffffu)
		fail("mmio 4-byte read");
	if (*mmio64 != 0xffffffffffffffffull)
		fail("mmio 8-byte read");
	*mmio32 = 0x12345678;           /* must be ignored */
	if (*mmio32 != 0xffffffffu)
		fail("mmio 4-byte read after write");
	if (!fails)
		puts("unhandled: ok\n");
	reset();
}
