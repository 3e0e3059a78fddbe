#include "devices/i8042.h"

#include <string.h>

#define PORT_DATA 0
#define PORT_CMD 4

#define STATUS_OBF 0x01     /* output buffer full: a byte waits at 0x60 */
#define STATUS_SYS 0x04     /* system flag: self-test passed */
#define STATUS_UNLOCKED 0x10 /* keyboard lock switch off (bit clear: locked) */

#define CMD_READ_CTR   0x20
#define CMD_WRITE_CTR  0x60
#define CMD_AUX_TEST   0xa9
#define CMD_SELF_TEST  0xaa
#define CMD_KBD_TEST   0xab
#define CMD_WRITE_OUT  0xd1
#define CMD_AUX_LOOP   0xd3
#define CMD_AUX_SEND   0xd4

#define CTR_DEFAULT    0x44 /* SYS flag + keyboard translation, IRQs off */
#define AUX_TEST_NONE  0x01 /* "clock line stuck low": no mouse port */

void i8042_init(struct i8042 *k, const struct i8042_ops *ops)
{
	memset(k, 0, sizeof(*k));
	k->ops = *ops;
	k->ctr = CTR_DEFAULT;
}

static void push(struct i8042 *k, uint8_t byte)
{
	if (k->outq_len < I8042_OUTQ_SIZE)
		k->outq[k->outq_len++] = byte;
}

static uint8_t pop(struct i8042 *k)
{
	if (k->outq_len == 0)
		return 0;
	uint8_t b = k->outq[0];
	memmove(k->outq, k->outq + 1, --k->outq_len);
	return b;
}

uint8_t i8042_read(struct i8042 *k, unsigned port)
{
	if (port == PORT_DATA)
		return pop(k);
	if (port == PORT_CMD)
		return STATUS_SYS | STATUS_UNLOCKED | (k->outq_len ? STATUS_OBF : 0);
	return 0xff;
}

static void command(struct i8042 *k, uint8_t cmd)
{
	switch (cmd) {
	case CMD_READ_CTR: push(k, k->ctr); break;
	case CMD_SELF_TEST: push(k, 0x55); break;
	case CMD_KBD_TEST: push(k, 0x00); break;
	case CMD_AUX_TEST: push(k, AUX_TEST_NONE); break;
	case CMD_WRITE_CTR:
	case CMD_WRITE_OUT:
	case CMD_AUX_LOOP:
	case CMD_AUX_SEND:
		k->pending_cmd = cmd;
		break;
	default:
		/* 0xf0-0xff pulse output lines; bit 0 low pulses reset. */
		if (cmd >= 0xf0 && !(cmd & 1))
			k->ops.reset(k->ops.ctx);
		break;
	}
}

static void data(struct i8042 *k, uint8_t value)
{
	uint8_t cmd = k->pending_cmd;

	k->pending_cmd = 0;
	if (cmd == CMD_WRITE_CTR)
		k->ctr = value;
	else if (cmd == CMD_WRITE_OUT && !(value & 1))
		k->ops.reset(k->ops.ctx); /* output port bit 0 is the reset line */
	else if (cmd == CMD_AUX_LOOP)
		push(k, (uint8_t)~value); /* not an echo: Linux concludes there is no mouse port */
	/* Anything else was meant for a keyboard or mouse that is not there. */
}

void i8042_write(struct i8042 *k, unsigned port, uint8_t value)
{
	if (port == PORT_CMD)
		command(k, value);
	else if (port == PORT_DATA)
		data(k, value);
}
