/* hvc: with console=hvc0 on the command line microrun gives the guest a
 * virtio console at the first virtio-mmio window (magic "virt", version 2,
 * device ID 3); this guest writes Linux's panic line through its
 * emergency write register (VIRTIO 1.2, 5.3.4), then resets. microrun must
 * put the bytes on stdout and report the panic (exit 123). Without the
 * device it says so on the UART. */
#include "lib.h"

#define VIRTIO_MMIO      0xd0000000UL
#define VIRTIO_EMERG_WR  (0x100 + 8)   /* config space, emerg_wr */

static uint32_t mmio_read(uint64_t off)
{
	return *(volatile uint32_t *)(VIRTIO_MMIO + off);
}

static void mmio_write(uint64_t off, uint32_t v)
{
	*(volatile uint32_t *)(VIRTIO_MMIO + off) = v;
}

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	if (mmio_read(0) != 0x74726976 || mmio_read(4) != 2 || mmio_read(8) != 3) {
		puts("hvc: no virtio console at 0xd0000000\n");
		reset();
	}
	for (const char *p = "Kernel panic - not syncing: tiny guest panic on hvc0\n"; *p; p++)
		mmio_write(VIRTIO_EMERG_WR, (uint8_t)*p);
	reset();
}
