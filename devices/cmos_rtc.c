#include "devices/cmos_rtc.h"

#include <string.h>

#define PORT_INDEX 0
#define PORT_DATA  1

#define REG_SECONDS 0x00
#define REG_MINUTES 0x02
#define REG_HOURS   0x04
#define REG_WEEKDAY 0x06
#define REG_DAY     0x07
#define REG_MONTH   0x08
#define REG_YEAR    0x09
#define REG_A       0x0a
#define REG_B       0x0b
#define REG_C       0x0c
#define REG_D       0x0d
#define REG_CENTURY 0x32  /* where PCs (and ACPI's FADT default) keep it */

#define A_DIVIDER_32K  0x26  /* 32.768 kHz time base, 1024 Hz rate; UIP clear */
#define B_24H          0x02
#define B_BINARY       0x04  /* DM: binary rather than BCD */
#define B_WRITABLE     (B_24H | B_BINARY)
#define D_VALID        0x80  /* VRT: battery good, time valid */

void cmos_rtc_init(struct cmos_rtc *r, const struct cmos_rtc_ops *ops)
{
	memset(r, 0, sizeof(*r));
	r->ops = *ops;
	r->ram[REG_A] = A_DIVIDER_32K;
	r->ram[REG_B] = B_24H;
	r->ram[REG_D] = D_VALID;
}

static uint8_t encode(const struct cmos_rtc *r, int v)
{
	if (r->ram[REG_B] & B_BINARY)
		return (uint8_t)v;
	return (uint8_t)((v / 10) << 4 | v % 10);
}

/* 12-hour mode keeps the hour 1-12 with bit 7 for PM. */
static uint8_t encode_hour(const struct cmos_rtc *r, int hour)
{
	if (r->ram[REG_B] & B_24H)
		return encode(r, hour);
	int h12 = hour % 12 ? hour % 12 : 12;
	return (uint8_t)(encode(r, h12) | (hour >= 12 ? 0x80 : 0));
}

static int time_field(const struct tm *t, uint8_t reg)
{
	switch (reg) {
	case REG_SECONDS: return t->tm_sec;
	case REG_MINUTES: return t->tm_min;
	case REG_WEEKDAY: return t->tm_wday + 1;
	case REG_DAY: return t->tm_mday;
	case REG_MONTH: return t->tm_mon + 1;
	case REG_YEAR: return t->tm_year % 100;
	default: return (t->tm_year + 1900) / 100; /* REG_CENTURY */
	}
}

static uint8_t read_clock(const struct cmos_rtc *r, uint8_t reg)
{
	time_t now = r->ops.now(r->ops.ctx);
	struct tm t;

	if (!gmtime_r(&now, &t))
		return 0;
	if (reg == REG_HOURS)
		return encode_hour(r, t.tm_hour);
	return encode(r, time_field(&t, reg));
}

static uint8_t read_register(struct cmos_rtc *r, uint8_t reg)
{
	switch (reg) {
	case REG_SECONDS: case REG_MINUTES: case REG_HOURS: case REG_WEEKDAY:
	case REG_DAY: case REG_MONTH: case REG_YEAR: case REG_CENTURY:
		return read_clock(r, reg);
	case REG_C:
		return 0; /* no interrupt flags, ever */
	default:
		return r->ram[reg];
	}
}

static void write_register(struct cmos_rtc *r, uint8_t reg, uint8_t value)
{
	switch (reg) {
	case REG_A: case REG_C: case REG_D:
		return; /* fixed time base; status registers are read-only */
	case REG_B:
		/* Data mode and 12/24 hours are the guest's to choose; the SET
		 * and interrupt-enable bits have nothing behind them. */
		r->ram[REG_B] = value & B_WRITABLE;
		return;
	case REG_SECONDS: case REG_MINUTES: case REG_HOURS: case REG_WEEKDAY:
	case REG_DAY: case REG_MONTH: case REG_YEAR: case REG_CENTURY:
		return; /* the clock is the host's: setting it is ignored */
	default:
		r->ram[reg] = value;
	}
}

uint8_t cmos_rtc_read(struct cmos_rtc *r, unsigned port)
{
	if (port == PORT_DATA)
		return read_register(r, r->index);
	return 0xff; /* the index port is write-only */
}

void cmos_rtc_write(struct cmos_rtc *r, unsigned port, uint8_t value)
{
	if (port == PORT_INDEX)
		r->index = value & 0x7f; /* bit 7 is the NMI mask, not an address */
	else if (port == PORT_DATA)
		write_register(r, r->index, value);
}
