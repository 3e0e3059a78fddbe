/* A small encoder for ACPI Machine Language (ACPI 6.3, chapter 20): just
 * what a static DSDT needs (names, scopes, devices, integers, strings,
 * packages, buffers and resource templates), written into a caller's buffer
 * with bounds checks.
 *
 * Errors are sticky: the first failure (-ENOSPC when the buffer is full,
 * -EINVAL for a bad name, string or nesting, -E2BIG for an object longer
 * than a PkgLength can say) is kept in the writer, every later call does
 * nothing, and aml_finish() reports it. So a builder calls the encoder
 * without checking each step and checks once at the end.
 *
 * A writer over a NULL buffer only measures: it runs the same code, writes
 * nothing and ends with the length the real encoding will have. Builders
 * use that to find the size before they write anything.
 *
 * Nested objects (Scope, Device, Package, Buffer) start with a PkgLength
 * that counts itself (20.2.4). aml_begin_* leaves one byte for it and
 * aml_end() writes the shortest encoding that can hold the final length,
 * moving the body up when that takes more than one byte. The grammar
 * allows any of the four encodings as long as the value is right (ACPICA's
 * parser takes the byte count from the lead byte), but the shortest one is
 * what iasl emits, so iasl's output can be compared byte for byte; and
 * growing the placeholder (rather than reserving four bytes and shrinking)
 * means no intermediate state is ever longer than the final encoding, so a
 * buffer that fits the result never overflows on the way there. */
#ifndef MR_AML_H
#define MR_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AML_MAX_DEPTH 8              /* nested objects open at once */
#define AML_PKGLENGTH_MAX 0x0fffffffu /* 28 bits, ACPI 6.3, 5.4 and 20.2.4 */

struct aml {
	uint8_t *buf;                /* NULL: measure only */
	size_t cap;
	size_t len;
	int err;                     /* first error, sticky */
	unsigned depth;
	size_t open[AML_MAX_DEPTH];  /* offset of each open object's PkgLength */
};

/* A writer over `cap` bytes at `buf`, or a measuring one if buf is NULL
 * (cap is then the most it may measure). */
void aml_init(struct aml *a, void *buf, size_t cap);
/* 0 and the encoded length in *len, or the first error; -EINVAL if an
 * object is still open. */
int aml_finish(const struct aml *a, size_t *len) __attribute__((warn_unused_result));

/* The PkgLength encoding of `value` (which counts the encoding's own
 * bytes) in its shortest form, 20.2.4: returns the byte count (1-4), or 0
 * if value exceeds AML_PKGLENGTH_MAX. */
unsigned aml_pkglength_encode(uint8_t out[4], uint32_t value);

/* Raw bytes, for what has no encoder here. */
void aml_raw(struct aml *a, const void *p, size_t n);

/* Data objects, 20.2.3. aml_integer() picks the shortest form (ZeroOp,
 * OneOp, then Byte/Word/DWord/QWordConst); the others force one. */
void aml_integer(struct aml *a, uint64_t v);
void aml_byte_const(struct aml *a, uint8_t v);
void aml_word_const(struct aml *a, uint16_t v);
void aml_dword_const(struct aml *a, uint32_t v);
void aml_qword_const(struct aml *a, uint64_t v);
/* A String of ASCII 0x01-0x7f. */
void aml_string(struct aml *a, const char *s);
/* An EISA ID such as "PNP0501" (three capitals, four hex digits),
 * compressed into the DWordConst that ASL's EisaId() produces (6.1.5). */
void aml_eisaid(struct aml *a, const char *id);
/* A Buffer holding `n` bytes. */
void aml_buffer(struct aml *a, const void *data, size_t n);

/* A NameString, 20.2.2: an optional root '\' or parent '^' prefixes, then
 * dot-separated segments of 1-4 characters (A-Z, 0-9, '_', not starting
 * with a digit), each padded with '_' to four: "\\_SB.VR00", "_S5". */
void aml_namestring(struct aml *a, const char *path);
/* Name(path, ...): the caller writes the object right after. */
void aml_name(struct aml *a, const char *path);

/* Nested objects, closed by aml_end(), 19.6 and 20.2.5. */
void aml_begin_scope(struct aml *a, const char *path);
void aml_begin_device(struct aml *a, const char *path);
/* Package(nelems): the caller writes exactly nelems objects (at most 255,
 * the PackageOp limit; VarPackage is not supported). */
void aml_begin_package(struct aml *a, unsigned nelems);
void aml_end(struct aml *a);

/* Resource descriptors (6.4), written into a writer of their own, which
 * aml_resource_template() then wraps into a Buffer after adding the End
 * Tag. */
#define AML_IRQ_CONSUMER   0x01 /* Extended Interrupt flags, 6.4.3.6 */
#define AML_IRQ_EDGE       0x02
#define AML_IRQ_ACTIVE_LOW 0x04
#define AML_IRQ_SHARED     0x08
void aml_res_memory32_fixed(struct aml *r, bool writable, uint32_t base, uint32_t len);
void aml_res_interrupt(struct aml *r, uint8_t flags, uint32_t gsi);
/* IO(Decode16, base, base, 1, len): a fixed range of ISA ports. */
void aml_res_io(struct aml *r, uint16_t base, uint8_t len);
/* IRQNoFlags() {irq}: an ISA IRQ, edge-triggered and active-high. */
void aml_res_irq_noflags(struct aml *r, uint8_t irq);
/* Ends `r` with an End Tag and writes it into `a` as a Buffer, or carries
 * r's error over into a. */
void aml_resource_template(struct aml *a, struct aml *r);

#endif
