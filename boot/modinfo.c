#include "boot/modinfo.h"

#include <elf.h>
#include <errno.h>
#include <string.h>

static int section_header(const uint8_t *ko, size_t size, const Elf64_Ehdr *eh, unsigned i,
			  Elf64_Shdr *sh)
{
	/* Copied: nothing says the file aligns its headers. */
	memcpy(sh, ko + eh->e_shoff + (uint64_t)i * sizeof(*sh), sizeof(*sh));
	if (sh->sh_type != SHT_NOBITS &&
	    (sh->sh_offset > size || sh->sh_size > size - sh->sh_offset))
		return -EINVAL;
	return 0;
}

static int check_header(const uint8_t *ko, size_t size, Elf64_Ehdr *eh)
{
	if (size < sizeof(*eh))
		return -EINVAL;
	memcpy(eh, ko, sizeof(*eh));
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_type != ET_REL || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_shstrndx >= eh->e_shnum)
		return -EINVAL;
	if (eh->e_shoff > size || (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > size - eh->e_shoff)
		return -EINVAL;
	return 0;
}

/* The section named ".modinfo": its bytes and length. */
static int find_modinfo(const uint8_t *ko, size_t size, const uint8_t **sec, size_t *len)
{
	static const char want[] = ".modinfo";
	Elf64_Ehdr eh;
	Elf64_Shdr names, sh;
	int r = check_header(ko, size, &eh);

	if (!r)
		r = section_header(ko, size, &eh, eh.e_shstrndx, &names);
	if (r)
		return r;
	if (names.sh_type == SHT_NOBITS)
		return -EINVAL;
	for (unsigned i = 0; i < eh.e_shnum; i++) {
		if (section_header(ko, size, &eh, i, &sh))
			return -EINVAL;
		if (sh.sh_name >= names.sh_size || names.sh_size - sh.sh_name < sizeof(want) ||
		    memcmp(ko + names.sh_offset + sh.sh_name, want, sizeof(want)) != 0)
			continue;
		if (sh.sh_type == SHT_NOBITS)
			return -EINVAL;
		*sec = ko + sh.sh_offset;
		*len = sh.sh_size;
		return 0;
	}
	return -ENOENT;
}

int modinfo_get(const uint8_t *ko, size_t size, const char *key, const char **value,
		size_t *len)
{
	const uint8_t *sec;
	size_t seclen, klen = strlen(key);
	int r = find_modinfo(ko, size, &sec, &seclen);

	if (r)
		return r == -ENOENT ? -EINVAL : r; /* every module has a .modinfo */
	/* Strings may be separated by more than one NUL (alignment). */
	for (size_t off = 0; off < seclen;) {
		const char *s = (const char *)sec + off;
		size_t n = strnlen(s, seclen - off);
		if (n == seclen - off)
			return -EINVAL; /* the last string lacks its NUL */
		if (n > klen && memcmp(s, key, klen) == 0 && s[klen] == '=') {
			*value = s + klen + 1;
			*len = n - klen - 1;
			return 0;
		}
		off += n + 1;
	}
	return -ENOENT;
}
