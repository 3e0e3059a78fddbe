/* hvcflood: with -a console=hvc0, writes lines to the virtio console's
 * port 0 for ever, a 4 KiB chain at a time, and waits for each by reading
 * InterruptStatus: a register access, which takes the device's lock. Into
 * a pipe nobody reads, the device's thread ends up in write(2) holding
 * that lock and the vCPU waiting for it; microrun must still end at once
 * on a signal (tests/guests/run.sh). Without the device it says so on the
 * UART and resets. */
#include <linux/virtio_ids.h>

#include "lib.h"
#include "virtio.h"

#define TX0   1   /* 5.3.2: port 0's transmitq */
#define QSIZE 8

static const char line[] = "hvcflood: one more line into a pipe nobody reads\n";
static char text[4096];
static uint8_t ring[VIO_RING_BYTES] __attribute__((aligned(4096)));

void guest_main(const struct boot_params *bp)
{
	struct vio_dev con;
	struct vio_queue tx;

	(void)bp;
	if (vio_find(&con, VIRTIO_ID_CONSOLE, 0) || vio_negotiate(&con, 0) ||
	    vio_queue_setup_at(&con, TX0, &tx, ring, QSIZE) || vio_driver_ok(&con)) {
		puts("hvcflood: no virtio console to set up\n");
		reset();
	}
	for (unsigned i = 0; i < sizeof(text); i++)
		text[i] = line[i % (sizeof(line) - 1)];
	for (;;) {
		struct vio_buf b = { (uintptr_t)text, sizeof(text), 0 };
		vio_add(&tx, &b, 1);
		vio_notify_queue(&con, TX0);
		while (*(volatile uint16_t *)&tx.used->idx == tx.last_used)
			vio_read(&con, VIRTIO_MMIO_INTERRUPT_STATUS);
		tx.last_used++;
	}
}
