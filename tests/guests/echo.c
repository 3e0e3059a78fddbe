/* echo: prints "ready", then echoes every byte received on the UART; on
 * 'q' (not echoed) prints "\nbye" and resets. */
#include "lib.h"

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	puts("ready\n");
	for (;;) {
		uint8_t c = getc();

		if (c == 'q')
			break;
		putc((char)c);
	}
	puts("\nbye\n");
	reset();
}
