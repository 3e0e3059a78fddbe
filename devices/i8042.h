/* The PC keyboard controller, reduced to what a keyboard-less VM needs:
 * the guest's reset line (command 0xfe, how Linux's reboot=k resets) and
 * answers to the controller commands Linux's i8042 driver probes with, so
 * it finds a controller with no devices instead of waiting on timeouts. */
#ifndef MR_I8042_H
#define MR_I8042_H

#include <stdint.h>

#define I8042_OUTQ_SIZE 8

struct i8042_ops {
	void (*reset)(void *ctx);  /* the CPU reset line was pulsed */
	void *ctx;
};

struct i8042 {
	struct i8042_ops ops;
	uint8_t ctr;               /* controller configuration ("command byte") */
	uint8_t pending_cmd;       /* command waiting for its data byte, or 0 */
	uint8_t outq[I8042_OUTQ_SIZE];
	unsigned outq_len;
};

void i8042_init(struct i8042 *k, const struct i8042_ops *ops);
/* port: 0 = data (0x60), 4 = status/command (0x64). */
uint8_t i8042_read(struct i8042 *k, unsigned port);
void i8042_write(struct i8042 *k, unsigned port, uint8_t value);

#endif
