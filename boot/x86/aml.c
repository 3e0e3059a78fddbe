/* AML encoding, ACPI 6.3 chapter 20 (grammar) and 6.4 (resource data
 * types). Every byte goes through put(), which does the bounds check and
 * the measure-only mode; see aml.h for the error and PkgLength strategy. */
#include "boot/x86/aml.h"

#include <errno.h>
#include <string.h>

/* Opcodes and prefixes, 20.2. */
enum {
	ZERO_OP = 0x00,
	ONE_OP = 0x01,
	NAME_OP = 0x08,
	BYTE_PREFIX = 0x0a,
	WORD_PREFIX = 0x0b,
	DWORD_PREFIX = 0x0c,
	STRING_PREFIX = 0x0d,
	QWORD_PREFIX = 0x0e,
	SCOPE_OP = 0x10,
	BUFFER_OP = 0x11,
	PACKAGE_OP = 0x12,
	DUAL_NAME_PREFIX = 0x2e,
	MULTI_NAME_PREFIX = 0x2f,
	EXT_OP_PREFIX = 0x5b,
	ROOT_CHAR = 0x5c,
	PARENT_PREFIX_CHAR = 0x5e,
	NULL_NAME = 0x00,
	DEVICE_OP = 0x82, /* after EXT_OP_PREFIX */
};

/* Resource descriptor tags, 6.4.2 (small items) and 6.4.3 (large items). */
enum {
	RES_IRQ_NOFLAGS = 0x22, /* small item 0x4, length 2 */
	RES_IO = 0x47,          /* small item 0x8, length 7 */
	RES_END_TAG = 0x79,     /* small item 0xf, length 1 */
	RES_MEMORY32_FIXED = 0x86,
	RES_EXT_IRQ = 0x89,
};

#define NAMESEG_LEN 4
#define MAX_SEGMENTS 255 /* SegCount is a byte, 20.2.2 */

void aml_init(struct aml *a, void *buf, size_t cap)
{
	memset(a, 0, sizeof(*a));
	a->buf = buf;
	a->cap = cap;
}

int aml_finish(const struct aml *a, size_t *len)
{
	if (a->err)
		return a->err;
	if (a->depth)
		return -EINVAL;
	*len = a->len;
	return 0;
}

static void fail(struct aml *a, int err)
{
	if (!a->err)
		a->err = err;
}

static void put(struct aml *a, const void *p, size_t n)
{
	if (a->err)
		return;
	if (n > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	if (a->buf && n)
		memcpy(a->buf + a->len, p, n);
	a->len += n;
}

static void put8(struct aml *a, uint8_t v)
{
	put(a, &v, 1);
}

/* Little-endian, whatever the host. */
static void put_le(struct aml *a, uint64_t v, unsigned bytes)
{
	uint8_t b[8];

	for (unsigned i = 0; i < bytes; i++)
		b[i] = (uint8_t)(v >> (8 * i));
	put(a, b, bytes);
}

void aml_raw(struct aml *a, const void *p, size_t n)
{
	put(a, p, n);
}

/* --- PkgLength and nesting, 20.2.4 ---------------------------------- */

/* Bit 7-6 of the lead byte count the bytes that follow; a one-byte
 * encoding holds 6 bits of length (up to 0x3f, 5.4), longer ones put the
 * low nibble in the lead byte and 8 bits in each following byte. */
unsigned aml_pkglength_encode(uint8_t out[4], uint32_t value)
{
	unsigned n;

	if (value <= 0x3f) {
		out[0] = (uint8_t)value;
		return 1;
	}
	if (value <= 0xfff)
		n = 2;
	else if (value <= 0xfffff)
		n = 3;
	else if (value <= AML_PKGLENGTH_MAX)
		n = 4;
	else
		return 0;
	out[0] = (uint8_t)((n - 1) << 6 | (value & 0x0f));
	for (unsigned i = 1; i < n; i++)
		out[i] = (uint8_t)(value >> (4 + 8 * (i - 1)));
	return n;
}

/* The shortest PkgLength for a body of `body` bytes: the length counts
 * the encoding itself, so a 62-byte body takes one byte (63) but a 63-byte
 * one takes two (65). Returns the byte count, 0 if too long. */
static unsigned pkglength_for_body(size_t body, uint8_t enc[4])
{
	for (unsigned n = 1; n <= 4; n++)
		if (body <= AML_PKGLENGTH_MAX - n &&
		    aml_pkglength_encode(enc, (uint32_t)(body + n)) == n)
			return n;
	return 0;
}

/* Writes the opcode, then a one-byte PkgLength placeholder. */
static void begin(struct aml *a, const uint8_t *op, size_t oplen)
{
	put(a, op, oplen);
	if (a->err)
		return;
	if (a->depth == AML_MAX_DEPTH) {
		fail(a, -EINVAL);
		return;
	}
	a->open[a->depth++] = a->len;
	put8(a, 0);
}

void aml_end(struct aml *a)
{
	uint8_t enc[4];

	if (a->err)
		return;
	if (!a->depth) {
		fail(a, -EINVAL);
		return;
	}
	size_t at = a->open[--a->depth];
	size_t body = a->len - at - 1;
	unsigned n = pkglength_for_body(body, enc);
	if (!n) {
		fail(a, -E2BIG);
		return;
	}
	if (n - 1 > a->cap - a->len) {
		fail(a, -ENOSPC);
		return;
	}
	if (a->buf) {
		memmove(a->buf + at + n, a->buf + at + 1, body);
		memcpy(a->buf + at, enc, n);
	}
	a->len += n - 1;
}

/* --- Names, 20.2.2 --------------------------------------------------- */

static int lead_name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || c == '_';
}

static int name_char(char c)
{
	return lead_name_char(c) || (c >= '0' && c <= '9');
}

/* One segment of `n` characters, padded with '_' to four. */
static void nameseg(struct aml *a, const char *s, size_t n)
{
	uint8_t seg[NAMESEG_LEN] = { '_', '_', '_', '_' };

	if (n < 1 || n > NAMESEG_LEN || !lead_name_char(s[0])) {
		fail(a, -EINVAL);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (!name_char(s[i])) {
			fail(a, -EINVAL);
			return;
		}
		seg[i] = (uint8_t)s[i];
	}
	put(a, seg, sizeof(seg));
}

static const char *prefix_path(struct aml *a, const char *p)
{
	if (*p == '\\') {
		put8(a, ROOT_CHAR);
		return p + 1;
	}
	for (; *p == '^'; p++)
		put8(a, PARENT_PREFIX_CHAR);
	return p;
}

static size_t count_segments(const char *p)
{
	size_t n = *p ? 1 : 0;

	for (; *p; p++)
		n += *p == '.';
	return n;
}

void aml_namestring(struct aml *a, const char *path)
{
	const char *p = prefix_path(a, path);
	size_t nseg = count_segments(p);

	if (nseg == 0) {
		put8(a, NULL_NAME);
		return;
	}
	if (nseg > MAX_SEGMENTS) {
		fail(a, -EINVAL);
		return;
	}
	if (nseg == 2) {
		put8(a, DUAL_NAME_PREFIX);
	} else if (nseg > 2) {
		put8(a, MULTI_NAME_PREFIX);
		put8(a, (uint8_t)nseg);
	}
	while (!a->err) {
		size_t n = strcspn(p, ".");

		nameseg(a, p, n);
		if (!p[n])
			break;
		p += n + 1;
	}
}

void aml_name(struct aml *a, const char *path)
{
	put8(a, NAME_OP);
	aml_namestring(a, path);
}

/* --- Data objects, 20.2.3 -------------------------------------------- */

void aml_byte_const(struct aml *a, uint8_t v)
{
	put8(a, BYTE_PREFIX);
	put8(a, v);
}

void aml_word_const(struct aml *a, uint16_t v)
{
	put8(a, WORD_PREFIX);
	put_le(a, v, 2);
}

void aml_dword_const(struct aml *a, uint32_t v)
{
	put8(a, DWORD_PREFIX);
	put_le(a, v, 4);
}

void aml_qword_const(struct aml *a, uint64_t v)
{
	put8(a, QWORD_PREFIX);
	put_le(a, v, 8);
}

void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0)
		put8(a, ZERO_OP);
	else if (v == 1)
		put8(a, ONE_OP);
	else if (v <= UINT8_MAX)
		aml_byte_const(a, (uint8_t)v);
	else if (v <= UINT16_MAX)
		aml_word_const(a, (uint16_t)v);
	else if (v <= UINT32_MAX)
		aml_dword_const(a, (uint32_t)v);
	else
		aml_qword_const(a, v);
}

void aml_string(struct aml *a, const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p > 0x7f)
			fail(a, -EINVAL);
	put8(a, STRING_PREFIX);
	put(a, s, strlen(s) + 1);
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 6.1.5: three letters of 5 bits each (A = 1) and four hex digits, stored
 * big-endian, so the DWord's bytes read "PNP" packed, then 0x05, 0x01. */
void aml_eisaid(struct aml *a, const char *id)
{
	uint32_t v = 0;

	if (strlen(id) != 7) {
		fail(a, -EINVAL);
		return;
	}
	for (int i = 0; i < 3; i++) {
		if (id[i] < 'A' || id[i] > 'Z') {
			fail(a, -EINVAL);
			return;
		}
		v |= (uint32_t)(id[i] - 'A' + 1) << (26 - 5 * i);
	}
	for (int i = 0; i < 4; i++) {
		int d = hex_digit(id[3 + i]);

		if (d < 0) {
			fail(a, -EINVAL);
			return;
		}
		v |= (uint32_t)d << (12 - 4 * i);
	}
	aml_dword_const(a, __builtin_bswap32(v));
}

void aml_buffer(struct aml *a, const void *data, size_t n)
{
	static const uint8_t op = BUFFER_OP;

	begin(a, &op, 1);
	aml_integer(a, n);
	put(a, data, n);
	aml_end(a);
}

/* --- Nested objects, 20.2.5 ------------------------------------------ */

void aml_begin_scope(struct aml *a, const char *path)
{
	static const uint8_t op = SCOPE_OP;

	begin(a, &op, 1);
	aml_namestring(a, path);
}

void aml_begin_device(struct aml *a, const char *path)
{
	static const uint8_t op[] = { EXT_OP_PREFIX, DEVICE_OP };

	begin(a, op, sizeof(op));
	aml_namestring(a, path);
}

void aml_begin_package(struct aml *a, unsigned nelems)
{
	static const uint8_t op = PACKAGE_OP;

	if (nelems > UINT8_MAX) {
		fail(a, -EINVAL);
		return;
	}
	begin(a, &op, 1);
	put8(a, (uint8_t)nelems);
}

/* --- Resource descriptors, 6.4 --------------------------------------- */

/* 6.4.3.4: tag, length 9, information (bit 0: read/write), base, length. */
void aml_res_memory32_fixed(struct aml *r, bool writable, uint32_t base, uint32_t len)
{
	put8(r, RES_MEMORY32_FIXED);
	put_le(r, 9, 2);
	put8(r, writable ? 1 : 0);
	put_le(r, base, 4);
	put_le(r, len, 4);
}

/* 6.4.3.6: tag, length 6 (flags, table length, one interrupt number). */
void aml_res_interrupt(struct aml *r, uint8_t flags, uint32_t gsi)
{
	if (flags & ~0x1f) /* bit 4 is wake capability, the rest reserved */
		fail(r, -EINVAL);
	put8(r, RES_EXT_IRQ);
	put_le(r, 6, 2);
	put8(r, flags);
	put8(r, 1);
	put_le(r, gsi, 4);
}

/* 6.4.2.5: information (bit 0: 16-bit decode), minimum and maximum base,
 * alignment, length. */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len)
{
	put8(r, RES_IO);
	put8(r, 1);
	put_le(r, base, 2);
	put_le(r, base, 2);
	put8(r, 1);
	put8(r, len);
}

/* 6.4.2.1: the two-byte form, a mask of ISA IRQs 0-15. */
void aml_res_irq_noflags(struct aml *r, uint8_t irq)
{
	if (irq > 15)
		fail(r, -EINVAL);
	put8(r, RES_IRQ_NOFLAGS);
	put_le(r, 1u << (irq & 15), 2);
}

/* 6.4.2.9: a zero checksum means "treat as valid". */
void aml_resource_template(struct aml *a, struct aml *r)
{
	static const uint8_t end_tag[] = { RES_END_TAG, 0 };

	if (!r->buf)
		fail(r, -EINVAL);
	put(r, end_tag, sizeof(end_tag));
	if (r->err)
		fail(a, r->err);
	else
		aml_buffer(a, r->buf, r->len);
}
