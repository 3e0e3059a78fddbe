#include "boot/elf.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

#include "src/log.h"

bool elf_detect(const uint8_t *file, uint64_t size)
{
	return size >= SELFMAG && memcmp(file, ELFMAG, SELFMAG) == 0;
}

static int bad(const char *path, const char *what)
{
	mr_err("%s: %s", path, what);
	return -EINVAL;
}

static int check_header(const Elf64_Ehdr *eh, unsigned machine, const char *path)
{
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return bad(path, "not a 64-bit little-endian ELF kernel");
	if (eh->e_machine != machine)
		return bad(path, "ELF kernel for another architecture");
	if (eh->e_type != ET_EXEC)
		return bad(path, "ELF file is not an executable (a vmlinux is ET_EXEC)");
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0)
		return bad(path, "ELF kernel has no usable program headers");
	return 0;
}

static int check_phdrs(const Elf64_Ehdr *eh, uint64_t size, const char *path)
{
	if (eh->e_phoff > size || (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr) > size - eh->e_phoff)
		return bad(path, "truncated: program headers lie beyond the end of the file");
	return 0;
}

static int check_segment(const Elf64_Phdr *ph, uint64_t size, uint64_t floor,
			 uint64_t ram_end, const char *path)
{
	if (ph->p_filesz > ph->p_memsz)
		return bad(path, "corrupt ELF: a segment's file size exceeds its memory size");
	if (ph->p_offset > size || ph->p_filesz > size - ph->p_offset)
		return bad(path, "truncated: a segment lies beyond the end of the file");
	if (ph->p_paddr < floor) {
		mr_err("%s: a segment starts at physical 0x%llx, below 0x%llx where the "
		       "boot structures live: check the kernel's link address", path,
		       (unsigned long long)ph->p_paddr, (unsigned long long)floor);
		return -EINVAL;
	}
	if (ph->p_paddr > ram_end || ph->p_memsz > ram_end - ph->p_paddr) {
		mr_err("%s: a segment of %llu bytes at physical 0x%llx does not fit in the "
		       "guest's RAM below 3 GiB, which ends at 0x%llx: raise -m", path,
		       (unsigned long long)ph->p_memsz, (unsigned long long)ph->p_paddr,
		       (unsigned long long)ram_end);
		return -ENOSPC;
	}
	return 0;
}

static int add_segment(struct elf_kernel *k, const Elf64_Phdr *ph, const char *path)
{
	if (k->nseg == ELF_MAX_SEGMENTS)
		return bad(path, "ELF kernel has too many loadable segments");
	k->seg[k->nseg++] = (struct elf_segment){
		.offset = ph->p_offset, .filesz = ph->p_filesz,
		.paddr = ph->p_paddr, .memsz = ph->p_memsz,
	};
	if (ph->p_paddr < k->low)
		k->low = ph->p_paddr;
	if (ph->p_paddr + ph->p_memsz > k->high)
		k->high = ph->p_paddr + ph->p_memsz;
	return 0;
}

static bool entry_in_segment(const struct elf_kernel *k)
{
	for (unsigned i = 0; i < k->nseg; i++)
		if (k->entry >= k->seg[i].paddr && k->entry - k->seg[i].paddr < k->seg[i].filesz)
			return true;
	return false;
}

int elf_parse(const uint8_t *file, uint64_t size, unsigned machine, uint64_t floor,
	      uint64_t ram_end, const char *path, struct elf_kernel *k)
{
	Elf64_Ehdr ehdr;
	const Elf64_Ehdr *eh = &ehdr;

	if (size < sizeof(ehdr))
		return bad(path, "truncated: the file ends inside the ELF header");
	memcpy(&ehdr, file, sizeof(ehdr));
	int r = check_header(eh, machine, path);
	if (!r)
		r = check_phdrs(eh, size, path);
	if (r)
		return r;
	*k = (struct elf_kernel){ .entry = eh->e_entry, .low = UINT64_MAX };
	for (unsigned i = 0; i < eh->e_phnum; i++) {
		Elf64_Phdr ph; /* copied: nothing says the file aligns its headers */
		memcpy(&ph, file + eh->e_phoff + i * sizeof(ph), sizeof(ph));
		if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
			continue;
		r = check_segment(&ph, size, floor, ram_end, path);
		if (!r)
			r = add_segment(k, &ph, path);
		if (r)
			return r;
	}
	if (k->nseg == 0)
		return bad(path, "ELF kernel has no loadable segments");
	if (!entry_in_segment(k))
		return bad(path, "corrupt ELF: the entry point lies outside every loaded segment");
	return 0;
}

int elf_load(struct guest_mem *m, int fd, const struct elf_kernel *k)
{
	for (unsigned i = 0; i < k->nseg; i++) {
		const struct elf_segment *s = &k->seg[i];
		/* .bss needs no clearing: RAM is fresh and zero, and touching
		 * it here would only cost page faults. */
		int r = gmem_load_file(m, s->paddr, fd, s->offset, s->filesz);
		if (r)
			return r;
	}
	return 0;
}
