/* A minimal 9P2000.L client for the test guests, over the virtio driver of
 * virtio.h: one T-message built at a time in a buffer of its own, sent as
 * one device-readable buffer with one device-writable buffer for the
 * answer (VIRTIO 1.2, 5.11.6), or as whatever chain the caller makes of
 * the two buffers. Messages are little-endian: size[4] type[1] tag[2],
 * then the fields; strings are len[2] and the bytes. */
#ifndef GUEST_P9CLIENT_H
#define GUEST_P9CLIENT_H

#include <stdint.h>

#include "virtio.h"

#define P9C_MSIZE       8192
#define P9C_TBUF        256
#define P9C_NOFID       0xffffffffu
#define P9C_HDR         7               /* size[4] type[1] tag[2] */
#define P9C_QID         13              /* type[1] version[4] path[8] */

/* Message types (9P2000.L: Linux's include/net/9p/9p.h). */
enum {
	P9C_RLERROR = 7, P9C_TLOPEN = 12, P9C_RLOPEN = 13, P9C_TVERSION = 100,
	P9C_RVERSION = 101, P9C_TATTACH = 104, P9C_RATTACH = 105, P9C_TWALK = 110,
	P9C_RWALK = 111, P9C_TREAD = 116, P9C_RREAD = 117, P9C_TCLUNK = 120,
	P9C_RCLUNK = 121,
};

extern uint8_t p9c_tbuf[P9C_TBUF];      /* the T-message */
extern uint8_t p9c_rbuf[P9C_MSIZE];     /* the R-message */
extern uint32_t p9c_tlen;               /* bytes of the T-message so far */

/* Starts a T-message: a tag of its own (NOTAG for Tversion), size left
 * for p9c_finish(). */
void p9c_begin(uint8_t type);
void p9c_put(uint64_t v, unsigned bytes);
void p9c_put_str(const char *s);
/* Writes the size field: the message's length. */
void p9c_finish(void);

/* Sends `bufs` (the caller's chain) and waits; the used length in *len.
 * The R-buffer's first bytes are cleared beforehand. */
enum vio_wait_result p9c_send(struct vio_dev *d, const struct vio_buf *bufs, unsigned n,
			      uint32_t *len);
/* Finishes and sends the T-message with the whole R-buffer, and returns
 * the R-message's type. With `checked`, an answer that does not frame
 * (no answer, size against the used length, tag) fails the guest; without,
 * such an answer returns 0. */
uint8_t p9c_transact(struct vio_dev *d, int checked);
/* Field of the R-message at byte `off`. */
uint64_t p9c_get(uint32_t off, unsigned bytes);

/* Messages the guests send: the R-message's type. */
uint8_t p9c_walk(struct vio_dev *d, uint32_t fid, uint32_t newfid, const char *a, const char *b);
uint8_t p9c_lopen(struct vio_dev *d, uint32_t fid, uint32_t flags);
uint8_t p9c_read(struct vio_dev *d, uint32_t fid, uint64_t offset, uint32_t count);
uint8_t p9c_clunk(struct vio_dev *d, uint32_t fid);

/* Prints "v9p: FAIL WHAT" and resets (status 122). */
__attribute__((noreturn)) void p9c_fail(const char *what);

#endif
