/* The end of the run: the status goes to microrun's exit-status port
 * (devices/status_port.h), whose write ends the VM there and then. */
#include <sys/io.h>

#include "boot/init/init.h"
#include "src/x86/layout.h"

void init_report(int64_t v)
{
	/* ioperm needs CAP_SYS_RAWIO, which PID 1 has, and a kernel with
	 * CONFIG_X86_IOPL_IOPERM (every distribution's). The signature
	 * read tells microrun's port from nothing (all ones). */
	if (v >= 0 && ioperm(STATUS_PORT, STATUS_PORT_LEN, 1) == 0 &&
	    inl(STATUS_PORT) == STATUS_PORT_SIGNATURE)
		outl((uint32_t)v, STATUS_PORT);
	/* KIND:VALUE, and for a profile's failure KIND:HOW:PROFILE:VALUE */
	if (v >> 16)
		init_say("no microrun exit-status port at 0x%x: powering off, status %u:%u:%u:%u lost",
			 STATUS_PORT, (unsigned)(v >> 8) & 0xff, (unsigned)(v >> 24),
			 (unsigned)(v >> 16) & 0xff, (unsigned)v & 0xff);
	else
		init_say("no microrun exit-status port at 0x%x: powering off, status %u:%u lost",
			 STATUS_PORT, (unsigned)(v >> 8), (unsigned)v & 0xff);
}
