#include "devices/status_port.h"

#include <string.h>

static const char *const step_names[] = {
	[STATUS_STEP_CONFIG] = "read its configuration (/microrun/config)",
	[STATUS_STEP_MOUNT_EARLY] = "mount proc, sysfs and devtmpfs",
	[STATUS_STEP_MODULES] = "load a kernel module",
	[STATUS_STEP_MOUNT_ROOT] = "mount the root file system (9p and overlayfs)",
	[STATUS_STEP_MOUNT_SHARES] = "mount a shared host directory",
	[STATUS_STEP_SWITCH_ROOT] = "switch to the new root",
	[STATUS_STEP_CONSOLE] = "open the program's console ports",
	[STATUS_STEP_CWD] = "enter the working directory",
	[STATUS_STEP_EXEC_NOT_FOUND] = "find the program",
	[STATUS_STEP_EXEC] = "execute the program",
	[STATUS_STEP_SPAWN] = "start the program (fork)",
};

void status_port_init(struct status_port *s, const struct status_port_ops *ops)
{
	memset(s, 0, sizeof(*s));
	s->ops = *ops;
}

int64_t status_port_encode(enum status_kind kind, unsigned value)
{
	switch (kind) {
	case STATUS_KIND_EXITED:
		if (value > 255)
			return -1;
		break;
	case STATUS_KIND_SIGNALED:
		if (value < 1 || value > 127)
			return -1;
		break;
	case STATUS_KIND_INIT_FAILED:
		if (value < 1 || value > STATUS_STEP_MAX)
			return -1;
		break;
	case STATUS_KIND_PHASE:
		if (value < 1 || value > STATUS_PHASE_MAX)
			return -1;
		break;
	default:  /* STATUS_KIND_PROFILE_FAILED has an encoder of its own */
		return -1;
	}
	return (int64_t)(((uint32_t)kind << 8) | value);
}

int64_t status_port_encode_profile(enum status_profile_how how, unsigned profile, unsigned value)
{
	unsigned max = how == STATUS_PROFILE_SIGNALED ? 127 : 255;

	if ((unsigned)how > STATUS_PROFILE_HOW_MAX || profile >= STATUS_MAX_PROFILES ||
	    value < 1 || value > max)
		return -1;
	return (int64_t)((uint32_t)how << 24 | profile << 16 |
			 (uint32_t)STATUS_KIND_PROFILE_FAILED << 8 | value);
}

/* Valid exactly when encoding the fields again gives back `v`. */
static bool decode(uint32_t v, struct status_report *r)
{
	*r = (struct status_report){
		.kind = (enum status_kind)((v >> 8) & 0xff), .value = (uint8_t)v,
	};
	if (r->kind != STATUS_KIND_PROFILE_FAILED)
		return status_port_encode(r->kind, r->value) == (int64_t)v;
	r->profile = (uint8_t)(v >> 16);
	r->how = (uint8_t)(v >> 24);
	return status_port_encode_profile(r->how, r->profile, r->value) == (int64_t)v;
}

static void write_value(struct status_port *s, uint32_t v)
{
	struct status_report r;

	if (s->reported || !decode(v, &r)) {
		s->ignored++;
		return;
	}
	if (r.kind == STATUS_KIND_PHASE) {
		s->ops.phase(s->ops.ctx, (enum status_phase)r.value);
		return;
	}
	s->reported = true;
	s->ops.report(s->ops.ctx, &r);
}

void status_port_access(struct status_port *s, unsigned offset, uint8_t *data, unsigned len,
			bool is_write)
{
	uint32_t v = STATUS_PORT_SIGNATURE;

	if (offset != 0 || len != 4) {
		if (is_write)
			s->ignored++;
		else
			memset(data, 0xff, len);
		return;
	}
	if (is_write) {
		memcpy(&v, data, 4);
		write_value(s, v);
	} else {
		memcpy(data, &v, 4);
	}
}

const char *status_port_step_name(unsigned step)
{
	if (step < sizeof(step_names) / sizeof(step_names[0]) && step_names[step])
		return step_names[step];
	return "?";
}
