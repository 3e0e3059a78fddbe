/* The end of the run: the status goes to microrun's exit-status port
 * (devices/status_port.h), whose write ends the VM there and then. */
#include <sys/io.h>

#include "boot/init/init.h"
#include "src/x86/layout.h"

void init_report(enum status_kind kind, unsigned value)
{
	int64_t v = status_port_encode(kind, value);

	/* ioperm needs CAP_SYS_RAWIO, which PID 1 has, and a kernel with
	 * CONFIG_X86_IOPL_IOPERM (every distribution's). The signature
	 * read tells microrun's port from nothing (all ones). */
	if (v >= 0 && ioperm(STATUS_PORT, STATUS_PORT_LEN, 1) == 0 &&
	    inl(STATUS_PORT) == STATUS_PORT_SIGNATURE)
		outl((uint32_t)v, STATUS_PORT);
	init_say("no microrun exit-status port at 0x%x: powering off, status %u:%u lost",
		 STATUS_PORT, (unsigned)kind, value);
}
