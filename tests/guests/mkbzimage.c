/* mkbzimage: wrap a test guest into a bzImage (host tool, build time only).
 *
 *   mkbzimage SETUP_SECTS GUEST.elf GUEST.bin OUT.bzImage
 *
 * GUEST.bin is `objcopy -O binary GUEST.elf`: the protected-mode part. The
 * output is the boot sector and SETUP_SECTS setup sectors, holding a setup
 * header of boot protocol 2.15 (Documentation/arch/x86/boot.rst), followed
 * by GUEST.bin at file offset (SETUP_SECTS + 1) * 512. The ELF supplies
 * the memory size (init_size includes .bss and the stack). The real-mode
 * code is just hlt loops: the image is only meant for the 64-bit entry. */
#include <elf.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <asm/bootparam.h>

#include "version.h"

#define LOAD_ADDR   0x1000000u   /* the ELF's link address = pref_address */
#define ENTRY64_OFF 0x200u       /* 64-bit entry: load address + 0x200 */
#define KINFO_OFF   0x100u       /* kernel_info in the image (entry.S) */
#define VERSION_OFF 0x280u       /* kernel version string in the setup */
#define HDR_OFF     0x1f1u       /* struct setup_header in the file */
#define HDR_END     (HDR_OFF + sizeof(struct setup_header))

_Static_assert(offsetof(struct boot_params, hdr) == HDR_OFF, "hdr offset");
_Static_assert(HDR_OFF + offsetof(struct setup_header, boot_flag) == 0x1fe, "");
_Static_assert(HDR_OFF + offsetof(struct setup_header, jump) == 0x200, "");
_Static_assert(HDR_OFF + offsetof(struct setup_header, header) == 0x202, "");
_Static_assert(HDR_OFF + offsetof(struct setup_header, init_size) == 0x260, "");
_Static_assert(HDR_END == 0x26c, "a 2.15 header ends at 0x26c");

static void die(const char *a, const char *b)
{
	fprintf(stderr, "mkbzimage: %s%s\n", a, b);
	exit(1);
}

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		die("cannot open ", path);
	do {
		if (n == cap && !(buf = realloc(buf, cap = cap * 2 + 65536)))
			die("out of memory", "");
		got = fread(buf + n, 1, cap - n, f);
		n += got;
	} while (got);
	if (ferror(f))
		die("cannot read ", path);
	fclose(f);
	*len = n;
	return buf;
}

int main(int argc, char **argv)
{
	struct setup_header h;
	const Elf64_Ehdr *eh;
	unsigned char *elf, *bin, *setup;
	size_t elf_len, bin_len, setup_len;
	uint64_t file_end = 0, mem_end = 0, lowest = UINT64_MAX;
	unsigned long sects;
	FILE *out;
	int i;

	if (argc != 5)
		die("usage: mkbzimage SETUP_SECTS GUEST.elf GUEST.bin OUT", "");
	sects = strtoul(argv[1], NULL, 0);
	if (sects < 4 || sects > 63)    /* 4: the protocol's minimum */
		die("bad SETUP_SECTS ", argv[1]);

	elf = slurp(argv[2], &elf_len);
	eh = (const Elf64_Ehdr *)elf;
	if (elf_len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > elf_len)
		die("not an x86-64 ELF: ", argv[2]);
	for (i = 0; i < eh->e_phnum; i++) {
		const Elf64_Phdr *ph = (const Elf64_Phdr *)
			(elf + eh->e_phoff + i * sizeof(Elf64_Phdr));

		if (ph->p_type != PT_LOAD)
			continue;
		if (ph->p_paddr < lowest)
			lowest = ph->p_paddr;
		if (ph->p_paddr + ph->p_filesz > file_end)
			file_end = ph->p_paddr + ph->p_filesz;
		if (ph->p_paddr + ph->p_memsz > mem_end)
			mem_end = ph->p_paddr + ph->p_memsz;
	}
	if (lowest != LOAD_ADDR || eh->e_entry != LOAD_ADDR + ENTRY64_OFF)
		die("ELF must load at 0x1000000 and enter at 0x1000200: ",
		    argv[2]);

	bin = slurp(argv[3], &bin_len);
	if (bin_len != file_end - LOAD_ADDR)
		die("binary does not match the ELF's PT_LOAD layout: ", argv[3]);
	if (bin_len < KINFO_OFF + 4 || memcmp(bin + KINFO_OFF, "LToP", 4))
		die("no kernel_info at +0x100 in ", argv[3]);

	memset(&h, 0, sizeof(h));
	h.setup_sects = (uint8_t)sects;
	h.syssize = (uint32_t)((bin_len + 15) / 16);
	h.boot_flag = 0xaa55;
	/* "jmp short" from 0x202 to the end of the header. */
	h.jump = (uint16_t)(0xeb | (HDR_END - 0x202) << 8);
	memcpy(&h.header, "HdrS", 4);
	h.version = 0x020f;
	h.kernel_version = VERSION_OFF - 0x200;
	h.loadflags = LOADED_HIGH;
	h.code32_start = 0x100000;      /* as Linux; 64-bit loaders ignore it */
	h.initrd_addr_max = 0x7fffffff;
	h.kernel_alignment = 0x200000;
	h.relocatable_kernel = 1;
	h.min_alignment = 12;           /* log2: position independent, 4 KiB */
	h.xloadflags = XLF_KERNEL_64 | XLF_CAN_BE_LOADED_ABOVE_4G;
	h.cmdline_size = 2047;
	h.pref_address = LOAD_ADDR;
	h.init_size = (uint32_t)((mem_end - LOAD_ADDR + 0xfff) & ~0xfffull);
	h.kernel_info_offset = KINFO_OFF;

	setup_len = (sects + 1) * 512;
	if (!(setup = calloc(1, setup_len)))
		die("out of memory", "");
	/* Boot sector and the jump target: 16-bit cli; hlt; jmp back to hlt. */
	static const unsigned char hltloop[] = { 0xfa, 0xf4, 0xeb, 0xfd };
	memcpy(setup, hltloop, sizeof(hltloop));
	memcpy(setup + HDR_OFF, &h, sizeof(h));
	memcpy(setup + HDR_END, hltloop, sizeof(hltloop));
	strcpy((char *)setup + VERSION_OFF, GUEST_VERSION);

	if (!(out = fopen(argv[4], "wb")))
		die("cannot create ", argv[4]);
	if (fwrite(setup, 1, setup_len, out) != setup_len ||
	    fwrite(bin, 1, bin_len, out) != bin_len || fclose(out)) {
		remove(argv[4]);
		die("cannot write ", argv[4]);
	}
	free(setup);
	free(bin);
	free(elf);
	return 0;
}
