/* The hostile 9P messages; see p9hostile.h. Each breaks one rule of
 * 9P2000.L framing or fid use, or splits a good message where a server
 * might assume it is whole. */
#include "p9hostile.h"

#include "lib.h"

#define UNUSED_FID      77
#define GUARD           0xa5
#define GUARD_OFF       64      /* the 4-byte R-buffer's place in p9c_rbuf */

static void outcome(const char *what, const char *result)
{
	puts("v9p: hostile ");
	puts(what);
	puts(": ");
	puts(result);
	putc('\n');
}

/* What the answer to a message that must fail was. */
static const char *refusal(enum vio_wait_result w, uint32_t len)
{
	if (w != VIO_USED)
		return w == VIO_NEEDS_RESET ? "device needs reset" : "no answer";
	if (len == 0)
		return "refused";
	if (p9c_get(0, 4) < P9C_HDR || p9c_get(0, 4) > len)
		return "answer badly framed";
	return p9c_rbuf[4] == P9C_RLERROR ? "refused" : "answered";
}

/* The T-message as built, its size field left as the caller set it. */
static void send_as_is(struct vio_dev *d, const char *what, uint32_t tlen)
{
	struct vio_buf bufs[2] = {
		{ (uintptr_t)p9c_tbuf, tlen, 0 },
		{ (uintptr_t)p9c_rbuf, sizeof(p9c_rbuf), VRING_DESC_F_WRITE },
	};
	uint32_t len;
	enum vio_wait_result w = p9c_send(d, bufs, 2, &len);

	outcome(what, refusal(w, len));
}

static void send_sized(struct vio_dev *d, const char *what, uint32_t size)
{
	p9c_finish();
	for (unsigned i = 0; i < 4; i++)
		p9c_tbuf[i] = (uint8_t)(size >> (8 * i));
	send_as_is(d, what, p9c_tlen);
}

static void send(struct vio_dev *d, const char *what)
{
	p9c_finish();
	send_as_is(d, what, p9c_tlen);
}

static void begin_clunk(uint32_t fid)
{
	p9c_begin(P9C_TCLUNK);
	p9c_put(fid, 4);
}

static void framing(struct vio_dev *d)
{
	begin_clunk(UNUSED_FID);
	send_sized(d, "size field 100 bytes past the message", p9c_tlen + 100);
	begin_clunk(UNUSED_FID);
	send_sized(d, "size field 4", 4);
	begin_clunk(UNUSED_FID);
	send_sized(d, "size field 2^32-1", 0xffffffff);
	begin_clunk(UNUSED_FID);
	p9c_finish();
	send_as_is(d, "message of 5 bytes", 5);
	p9c_begin(250);
	p9c_put(0, 4);
	send(d, "unknown message type 250");
}

/* A walk must be refused as a whole, or answered with fewer qids. */
static void walk_refused(struct vio_dev *d, const char *what, unsigned names)
{
	uint8_t type = p9c_transact(d, 0);

	if (type == P9C_RWALK && p9c_get(P9C_HDR, 2) < names)
		type = P9C_RLERROR;
	outcome(what, type == P9C_RLERROR ? "refused" : type ? "answered" : "no proper answer");
}

static void bad_walks(struct vio_dev *d, uint32_t root, uint32_t file)
{
	p9c_begin(P9C_TWALK);
	p9c_put(root, 4);
	p9c_put(UNUSED_FID, 4);
	p9c_put(1, 2);
	p9c_put(200, 2);                /* a name of 200 bytes, 2 there */
	p9c_put_str("ab");
	send(d, "Twalk name running past the message");
	p9c_begin(P9C_TWALK);
	p9c_put(root, 4);
	p9c_put(UNUSED_FID, 4);
	p9c_put(17, 2);                 /* 9P allows 16 */
	for (unsigned i = 0; i < 17; i++)
		p9c_put_str("a");
	walk_refused(d, "Twalk of 17 names", 17);
	p9c_begin(P9C_TWALK);
	p9c_put(root, 4);
	p9c_put(UNUSED_FID, 4);
	p9c_put(1, 2);
	p9c_put_str("../outside.txt");
	walk_refused(d, "Twalk of one name with slashes, ../outside.txt", 1);
	p9c_begin(P9C_TWALK);
	p9c_put(root, 4);
	p9c_put(file, 4);               /* in use, and not the fid walked from */
	p9c_put(1, 2);
	p9c_put_str("hello.txt");
	walk_refused(d, "Twalk to a newfid in use", 1);
}

static void bad_fids(struct vio_dev *d, uint32_t root)
{
	p9c_begin(P9C_TREAD);
	p9c_put(UNUSED_FID, 4);
	p9c_put(0, 8);
	p9c_put(100, 4);
	send(d, "Tread of a fid never made");
	p9c_begin(P9C_TATTACH);
	p9c_put(root, 4);
	p9c_put(P9C_NOFID, 4);
	p9c_put_str("");
	p9c_put_str("");
	p9c_put(0, 4);
	send(d, "Tattach to a fid in use");
	p9c_begin(P9C_TLOPEN);
	p9c_put(root, 4);
	p9c_put(1, 4);                  /* O_WRONLY */
	send(d, "Tlopen of the export's root for writing");
	if (p9c_walk(d, root, UNUSED_FID, "hello.txt", NULL) != P9C_RWALK)
		p9c_fail("Twalk hello.txt");
	p9c_begin(P9C_TREAD);
	p9c_put(UNUSED_FID, 4);
	p9c_put(0, 8);
	p9c_put(100, 4);
	send(d, "Tread of a fid not opened");
	p9c_clunk(d, UNUSED_FID);
}

/* Bytes of an Rread at most, and what the server did with a count beyond
 * msize: cut it down, or refuse it. */
static void huge_read(struct vio_dev *d, uint32_t file)
{
	uint8_t type;

	p9c_begin(P9C_TREAD);
	p9c_put(file, 4);
	p9c_put(0, 8);
	p9c_put(0xffffffff, 4);
	type = p9c_transact(d, 0);
	if (type == P9C_RREAD && p9c_get(P9C_HDR, 4) > P9C_MSIZE - P9C_HDR - 4)
		outcome("Tread of 2^32-1 bytes", "Rread larger than msize");
	else
		outcome("Tread of 2^32-1 bytes",
			type == P9C_RREAD || type == P9C_RLERROR ? "handled" : "no proper answer");
}

/* Buffers the server cannot use: it must not write past them. */
static void bad_buffers(struct vio_dev *d)
{
	uint32_t len;
	const char *why;

	begin_clunk(UNUSED_FID);
	p9c_finish();
	memset(p9c_rbuf + GUARD_OFF, GUARD, 16);
	struct vio_buf small[2] = {
		{ (uintptr_t)p9c_tbuf, p9c_tlen, 0 },
		{ (uintptr_t)p9c_rbuf + GUARD_OFF, 4, VRING_DESC_F_WRITE },
	};
	why = refusal(p9c_send(d, small, 2, &len), len);
	for (unsigned i = 4; i < 16; i++)
		if (p9c_rbuf[GUARD_OFF + i] != GUARD || len > 4)
			why = "wrote past the buffer";
	outcome("R-buffer of 4 bytes", why);
	struct vio_buf readable[2] = {
		{ (uintptr_t)p9c_tbuf, p9c_tlen, 0 },
		{ (uintptr_t)p9c_rbuf, sizeof(p9c_rbuf), 0 },
	};
	outcome("R-buffer device-readable", refusal(p9c_send(d, readable, 2, &len), len));
	struct vio_buf writable[2] = {
		{ (uintptr_t)p9c_tbuf, p9c_tlen, VRING_DESC_F_WRITE },
		{ (uintptr_t)p9c_rbuf, sizeof(p9c_rbuf), VRING_DESC_F_WRITE },
	};
	outcome("T-message device-writable", refusal(p9c_send(d, writable, 2, &len), len));
}

/* A good Tread in three readable buffers, its answer in three writable
 * ones, split inside the header and the fields. */
static void split(struct vio_dev *d, uint32_t file)
{
	uint32_t len;

	p9c_begin(P9C_TREAD);
	p9c_put(file, 4);
	p9c_put(0, 8);
	p9c_put(200, 4);
	p9c_finish();
	uintptr_t t = (uintptr_t)p9c_tbuf, r = (uintptr_t)p9c_rbuf;
	struct vio_buf bufs[6] = {
		{ t, 3, 0 }, { t + 3, 6, 0 }, { t + 9, p9c_tlen - 9, 0 },
		{ r, 5, VRING_DESC_F_WRITE }, { r + 5, 6, VRING_DESC_F_WRITE },
		{ r + 11, sizeof(p9c_rbuf) - 11, VRING_DESC_F_WRITE },
	};
	if (p9c_send(d, bufs, 6, &len) != VIO_USED || p9c_rbuf[4] != P9C_RREAD) {
		outcome("Tread and Rread split across three buffers each", "not answered");
		return;
	}
	puts("v9p: hostile Tread and Rread split across three buffers each: Rread ");
	put_dec(p9c_get(P9C_HDR, 4));
	puts(" bytes: ");
	for (uint32_t i = 0; i < p9c_get(P9C_HDR, 4) && i < 200; i++)
		putc((char)p9c_rbuf[11 + i]);
}

void p9hostile_run(struct vio_dev *d, uint32_t root, uint32_t file)
{
	framing(d);
	bad_walks(d, root, file);
	bad_fids(d, root);
	huge_read(d, file);
	bad_buffers(d);
	split(d, file);
}
