/* MC146818 real-time clock and CMOS RAM (ports 0x70-0x71): the host's UTC
 * time, read-only, and 128 bytes of RAM. Enough for Linux's rtc_cmos and
 * hwclock, and it answers at once: with nothing there, Linux spins tens of
 * thousands of port reads waiting for an update cycle that never ends. No
 * interrupts (alarm, periodic, update). Not thread-safe. */
#ifndef MR_CMOS_RTC_H
#define MR_CMOS_RTC_H

#include <stdint.h>
#include <time.h>

struct cmos_rtc_ops {
	time_t (*now)(void *ctx);  /* seconds since the epoch, UTC */
	void *ctx;
};

struct cmos_rtc {
	struct cmos_rtc_ops ops;
	uint8_t index;
	uint8_t ram[128];
};

void cmos_rtc_init(struct cmos_rtc *r, const struct cmos_rtc_ops *ops);
/* port: 0 = index (0x70), 1 = data (0x71). */
uint8_t cmos_rtc_read(struct cmos_rtc *r, unsigned port);
void cmos_rtc_write(struct cmos_rtc *r, unsigned port, uint8_t value);

#endif
