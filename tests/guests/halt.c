/* halt: prints "ready", then halts with interrupts off forever, so only
 * --timeout or a signal ends microrun. */
#include "lib.h"

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	puts("ready\n");
	halt_forever();
}
