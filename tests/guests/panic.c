/* panic: prints Linux's panic line, then resets; microrun must report the
 * panic (exit 123) rather than a plain reset (122). */
#include "lib.h"

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	puts("Kernel panic - not syncing: tiny guest panic\n");
	reset();
}
