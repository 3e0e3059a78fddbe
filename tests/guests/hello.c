/* hello: the smallest guest; prints one line and resets (exit 122). */
#include "lib.h"

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	puts("hello from the guest\n");
	reset();
}
