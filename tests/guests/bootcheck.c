/* bootcheck: reports the machine state microrun's loader hands over (the
 * Linux x86 64-bit boot protocol) and the zero page contents, one line per
 * fact, then resets. run.sh compares these lines with what it asked for. */
#include "lib.h"

#define MSR_EFER        0xc0000080
#define EFER_LME        (1ull << 8)
#define EFER_LMA        (1ull << 10)
#define CR0_PE          (1ull << 0)
#define CR0_PG          (1ull << 31)
#define CR4_PAE         (1ull << 5)
#define RFLAGS_IF       (1ull << 9)
#define E820_RAM        1
#define MAPPED_LIMIT    0x100000000ull  /* the loader identity-maps 4 GiB */
#define CMDLINE_LIMIT   4096            /* print at most this much */

static void say(const char *s)
{
	puts("bootcheck: ");
	puts(s);
}

static void fail(const char *what)
{
	say("FAIL ");
	puts(what);
	putc('\n');
}

static void check_long_mode(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	uint64_t cr0 = read_cr0(), cr4 = read_cr4();
	int ok = 1;

	if (!(efer & EFER_LME)) { fail("efer.lme clear"); ok = 0; }
	if (!(efer & EFER_LMA)) { fail("efer.lma clear"); ok = 0; }
	if (!(cr0 & CR0_PE))    { fail("cr0.pe clear"); ok = 0; }
	if (!(cr0 & CR0_PG))    { fail("cr0.pg clear"); ok = 0; }
	if (!(cr4 & CR4_PAE))   { fail("cr4.pae clear"); ok = 0; }
	if (ok)
		say("long mode\n");
}

static void check_segments(void)
{
	say("cs=0x"); put_hex(read_cs());
	puts(" ds=0x"); put_hex(read_ds());
	puts(" es=0x"); put_hex(read_es());
	puts(" ss=0x"); put_hex(read_ss());
	putc('\n');
}

static void check_interrupts(uint64_t rflags)
{
	if (rflags & RFLAGS_IF)
		fail("interrupts on");
	else
		say("interrupts off\n");
}

static void check_header(const struct boot_params *bp)
{
	const struct setup_header *h = &bp->hdr;
	int ok = h->boot_flag == 0xaa55 && h->header == 0x53726448; /* "HdrS" */

	say("zero page 0x"); put_hex((uintptr_t)bp);
	puts(" loader 0x"); put_hex(h->type_of_loader);
	puts(ok ? " hdr ok\n" : " hdr bad\n");
}

static void check_cmdline(const struct boot_params *bp)
{
	uint64_t addr = bp->hdr.cmd_line_ptr |
			((uint64_t)bp->ext_cmd_line_ptr << 32);
	const char *s = (const char *)(uintptr_t)addr;
	int n;

	if (!addr) {
		fail("cmdline pointer is 0");
		return;
	}
	if (addr >= MAPPED_LIMIT) {
		fail("cmdline above 4 GiB, not mapped");
		return;
	}
	say("cmdline ");
	for (n = 0; n < CMDLINE_LIMIT && s[n]; n++)
		putc(s[n]);
	putc('\n');
	if (n == CMDLINE_LIMIT)
		fail("cmdline not terminated");
}

/* Is [start, end) inside one usable RAM range of the e820 map? */
static int in_usable_ram(const struct boot_params *bp, uint64_t start,
			 uint64_t end)
{
	unsigned i, n = bp->e820_entries;

	if (n > E820_MAX_ENTRIES_ZEROPAGE)
		n = E820_MAX_ENTRIES_ZEROPAGE;
	for (i = 0; i < n; i++) {
		const struct boot_e820_entry *e = &bp->e820_table[i];

		if (e->type == E820_RAM && e->addr <= start &&
		    end <= e->addr + e->size)
			return 1;
	}
	return 0;
}

static void check_e820(const struct boot_params *bp)
{
	unsigned i, n = bp->e820_entries;

	if (n == 0)
		fail("e820 map empty");
	if (n > E820_MAX_ENTRIES_ZEROPAGE) {
		fail("e820_entries too large");
		n = E820_MAX_ENTRIES_ZEROPAGE;
	}
	for (i = 0; i < n; i++) {
		const struct boot_e820_entry *e = &bp->e820_table[i];

		say("e820 0x"); put_hex_width(e->addr, 16);
		puts("-0x"); put_hex_width(e->addr + e->size - 1, 16);
		putc(' '); put_dec(e->type);
		putc('\n');
	}
}

static void check_initrd(const struct boot_params *bp)
{
	uint64_t addr = bp->hdr.ramdisk_image |
			((uint64_t)bp->ext_ramdisk_image << 32);
	uint64_t size = bp->hdr.ramdisk_size |
			((uint64_t)bp->ext_ramdisk_size << 32);
	const unsigned char *p = (const unsigned char *)(uintptr_t)addr;
	uint64_t i;

	if (!size)
		return;
	say("initrd 0x"); put_hex(addr);
	puts(" size "); put_dec(size);
	puts(" first ");
	if (addr + size > MAPPED_LIMIT) {
		puts("(above 4 GiB, not mapped)\n");
	} else {
		for (i = 0; i < size && i < 16; i++) {
			if (p[i] < 0x20 || p[i] > 0x7e)
				break;  /* newline or not printable */
			putc((char)p[i]);
		}
		putc('\n');
	}
	/* The pages it occupies must be RAM the kernel may use. */
	if (!in_usable_ram(bp, addr & ~0xfffull,
			   (addr + size + 0xfff) & ~0xfffull))
		fail("initrd not inside usable e820 ram");
}

void guest_main(const struct boot_params *bp)
{
	uint64_t rflags = read_rflags();        /* before anything else */

	check_long_mode();
	check_segments();
	check_interrupts(rflags);
	check_header(bp);
	check_cmdline(bp);
	check_e820(bp);
	check_initrd(bp);
	say("done\n");
	reset();
}
