/* spin: prints "line N" for N = 0, 1, 2, ... forever (closed-stdout test). */
#include "lib.h"

void guest_main(const struct boot_params *bp)
{
	uint64_t n;

	(void)bp;
	for (n = 0;; n++) {
		puts("line ");
		put_dec(n);
		putc('\n');
	}
}
