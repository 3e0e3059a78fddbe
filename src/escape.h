/* The keyboard's way out of a raw terminal (a shell in the guest gets
 * Ctrl-C itself), as in QEMU: Ctrl-A x ends the VM; Ctrl-A Ctrl-A sends
 * one Ctrl-A; Ctrl-A followed by anything else sends both. The sequence
 * may be split across reads. */
#ifndef MR_ESCAPE_H
#define MR_ESCAPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ESCAPE_KEY  0x01  /* Ctrl-A */
#define ESCAPE_QUIT 'x'

struct escape {
	bool pending;  /* the last byte seen was a lone Ctrl-A, held back */
};

/* Copies `in` to `out` (room for len + 1 bytes: a held-back Ctrl-A may
 * come out before them), less the escapes; returns the bytes written.
 * Sets *quit and stops at Ctrl-A x: what followed it is dropped. */
size_t escape_filter(struct escape *e, const uint8_t *in, size_t len, uint8_t *out, bool *quit);

#endif
