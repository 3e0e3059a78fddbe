#include "boot/kernel_version.h"

#include <ctype.h>
#include <errno.h>
#include <string.h>

/* boot.rst: kernel_version is "a pointer to a NUL-terminated human-readable
 * kernel version number string, less 0x200" (protocol 2.00+). */
#define SETUP_VERSION_BASE 0x200
#define BANNER             "Linux version "

bool kver_valid(const char *s, size_t len)
{
	if (len == 0 || len >= KVER_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isgraph((unsigned char)s[i]) || s[i] == '/')
			return false;
	return true;
}

/* The release is the first word of [s, s + len), ended by a space (or, in
 * a setup header, by the NUL that ends the whole string). */
static int first_word(const char *s, size_t len, bool nul_ends, char release[KVER_MAX])
{
	size_t n = 0;

	while (n < len && n < KVER_MAX && s[n] != ' ' && !(nul_ends && s[n] == 0))
		n++;
	if (n == len && !nul_ends)
		return -EINVAL;
	if (!kver_valid(s, n))
		return -EINVAL;
	memcpy(release, s, n);
	release[n] = 0;
	return 0;
}

int kver_from_setup_header(const uint8_t *file, uint64_t size, const struct setup_header *hdr,
			   char release[KVER_MAX])
{
	uint64_t at = (uint64_t)hdr->kernel_version + SETUP_VERSION_BASE;

	if (hdr->version < 0x0200 || hdr->kernel_version == 0 || at >= size)
		return -EINVAL;
	const char *s = (const char *)file + at;
	if (!memchr(s, 0, size - at))
		return -EINVAL;
	return first_word(s, strlen(s), true, release);
}

static int scan_segment(const uint8_t *p, uint64_t len, char release[KVER_MAX])
{
	const size_t blen = sizeof(BANNER) - 1;
	const uint8_t *end = p + len;

	/* The first banner that is followed by a well-formed release wins:
	 * other strings may start the same way. */
	while ((p = memmem(p, (size_t)(end - p), BANNER, blen))) {
		p += blen;
		if (first_word((const char *)p, (size_t)(end - p), false, release) == 0)
			return 0;
	}
	return -EINVAL;
}

int kver_from_elf(const uint8_t *file, uint64_t size, const struct elf_kernel *k,
		  char release[KVER_MAX])
{
	for (unsigned i = 0; i < k->nseg; i++) {
		const struct elf_segment *s = &k->seg[i];
		if (s->offset > size || s->filesz > size - s->offset)
			return -EINVAL;
		if (scan_segment(file + s->offset, s->filesz, release) == 0)
			return 0;
	}
	return -EINVAL;
}
