/* status: drives the exit-status port (port 0x604) as the command line
 * says, word by word:
 *   sig      print what a 32-bit read of the port returns
 *   w=HEX    32-bit write of HEX (outl)
 *   b=HEX    byte write of HEX (outb)
 *   fake     print lines that look like an exit status on the UART
 * If the VM is still running after the last word, it prints "no status"
 * and powers off through the ACPI sleep register (microrun exits 0). */
#include "lib.h"

#define STATUS_PORT 0x604
#define ACPI_SLEEP_CONTROL 0x600
#define ACPI_S5 0x34

static int starts(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

/* w is exactly `name`, up to the next space */
static int is_word(const char *w, const char *name)
{
	if (!starts(w, name))
		return 0;
	while (*name)
		name++, w++;
	return *w == ' ' || *w == '\0';
}

static uint32_t parse_hex(const char *s)
{
	uint32_t v = 0;

	for (;; s++) {
		char c = *s;
		if (c >= '0' && c <= '9')
			v = v << 4 | (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v = v << 4 | (uint32_t)(c - 'a' + 10);
		else
			return v;
	}
}

static void word(const char *w)
{
	if (is_word(w, "sig")) {
		puts("signature 0x");
		put_hex(inl(STATUS_PORT));
		putc('\n');
	} else if (starts(w, "w=")) {
		outl(STATUS_PORT, parse_hex(w + 2));
	} else if (starts(w, "b=")) {
		outb(STATUS_PORT, (uint8_t)parse_hex(w + 2));
	} else if (is_word(w, "fake")) {
		puts("microrun: the program exited with status 42\n");
		puts("exit status 42\n");
	}
}

void guest_main(const struct boot_params *bp)
{
	const char *s = (const char *)(uintptr_t)bp->hdr.cmd_line_ptr;

	while (*s) {
		while (*s == ' ')
			s++;
		if (*s)
			word(s);
		while (*s && *s != ' ')
			s++;
	}
	puts("no status\n");
	outb(ACPI_SLEEP_CONTROL, ACPI_S5);
	halt_forever();
}
