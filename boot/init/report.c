/* The init's side of microrun's exit-status port (devices/status_port.h):
 * phase marks on the way, and the status at the end, whose write ends the
 * VM there and then. */
#include <stdbool.h>
#include <sys/io.h>

#include "boot/init/init.h"
#include "src/x86/layout.h"

/* ioperm needs CAP_SYS_RAWIO, which PID 1 has, and a kernel with
 * CONFIG_X86_IOPL_IOPERM (every distribution's). The signature read tells
 * microrun's port from nothing (all ones). Asked once; a forked child
 * inherits the answer with the permission, until child.c drops it. */
static bool port_there(void)
{
	static int there = -1;

	if (there < 0)
		there = ioperm(STATUS_PORT, STATUS_PORT_LEN, 1) == 0 &&
			inl(STATUS_PORT) == STATUS_PORT_SIGNATURE;
	return there;
}

static void write_port(int64_t v)
{
	if (v >= 0 && port_there())
		outl((uint32_t)v, STATUS_PORT);
}

void init_mark(enum status_phase phase)
{
	write_port(status_port_encode(STATUS_KIND_PHASE, phase));
}

void init_mark_program_start(void)
{
	init_mark(STATUS_PHASE_PROGRAM_START);
}

void init_report(int64_t v)
{
	write_port(v);
	/* KIND:VALUE, and for a profile's failure KIND:HOW:PROFILE:VALUE */
	if (v >> 16)
		init_say("no microrun exit-status port at 0x%x: powering off, status %u:%u:%u:%u lost",
			 STATUS_PORT, (unsigned)(v >> 8) & 0xff, (unsigned)(v >> 24),
			 (unsigned)(v >> 16) & 0xff, (unsigned)v & 0xff);
	else
		init_say("no microrun exit-status port at 0x%x: powering off, status %u:%u lost",
			 STATUS_PORT, (unsigned)(v >> 8), (unsigned)v & 0xff);
}
