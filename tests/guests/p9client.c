/* The guests' 9P2000.L client; see p9client.h. */
#include "p9client.h"

#include "lib.h"

#define NOTAG           0xffff

uint8_t p9c_tbuf[P9C_TBUF];
uint8_t p9c_rbuf[P9C_MSIZE];
uint32_t p9c_tlen;
static uint16_t next_tag;

void p9c_fail(const char *what)
{
	puts("v9p: FAIL ");
	puts(what);
	putc('\n');
	reset();
}

void p9c_put(uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && p9c_tlen < sizeof(p9c_tbuf); i++)
		p9c_tbuf[p9c_tlen++] = (uint8_t)(v >> (8 * i));
}

void p9c_put_str(const char *s)
{
	uint16_t n = 0;

	while (s[n])
		n++;
	p9c_put(n, 2);
	for (uint16_t i = 0; i < n; i++)
		p9c_put((uint8_t)s[i], 1);
}

void p9c_begin(uint8_t type)
{
	p9c_tlen = 0;
	p9c_put(0, 4);
	p9c_put(type, 1);
	p9c_put(type == P9C_TVERSION ? NOTAG : next_tag++, 2);
}

void p9c_finish(void)
{
	for (unsigned i = 0; i < 4; i++)
		p9c_tbuf[i] = (uint8_t)(p9c_tlen >> (8 * i));
}

uint64_t p9c_get(uint32_t off, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		if (off + i < sizeof(p9c_rbuf))
			v = v << 8 | p9c_rbuf[off + i];
	return v;
}

enum vio_wait_result p9c_send(struct vio_dev *d, const struct vio_buf *bufs, unsigned n,
			      uint32_t *len)
{
	struct vring_used_elem e = { 0, 0 };

	memset(p9c_rbuf, 0, 16);
	enum vio_wait_result w = vio_submit(d, bufs, n, &e);
	vio_ack_interrupt(d);
	*len = e.len;
	return w;
}

uint8_t p9c_transact(struct vio_dev *d, int checked)
{
	struct vio_buf bufs[2] = {
		{ (uintptr_t)p9c_tbuf, p9c_tlen, 0 },
		{ (uintptr_t)p9c_rbuf, sizeof(p9c_rbuf), VRING_DESC_F_WRITE },
	};
	uint32_t len;
	const char *why = NULL;

	p9c_finish();
	if (p9c_send(d, bufs, 2, &len) != VIO_USED)
		why = "no answer from the device";
	else if (p9c_get(0, 4) < P9C_HDR || p9c_get(0, 4) > len)
		why = "R-message size does not match the used length";
	else if (p9c_get(5, 2) != (uint64_t)(p9c_tbuf[5] | p9c_tbuf[6] << 8))
		why = "R-message tag is not the T-message's";
	if (why && checked)
		p9c_fail(why);
	return why ? 0 : p9c_rbuf[4];
}

uint8_t p9c_walk(struct vio_dev *d, uint32_t fid, uint32_t newfid, const char *a, const char *b)
{
	p9c_begin(P9C_TWALK);
	p9c_put(fid, 4);
	p9c_put(newfid, 4);
	p9c_put(b ? 2 : 1, 2);
	p9c_put_str(a);
	if (b)
		p9c_put_str(b);
	return p9c_transact(d, 1);
}

uint8_t p9c_lopen(struct vio_dev *d, uint32_t fid, uint32_t flags)
{
	p9c_begin(P9C_TLOPEN);
	p9c_put(fid, 4);
	p9c_put(flags, 4);
	return p9c_transact(d, 1);
}

uint8_t p9c_read(struct vio_dev *d, uint32_t fid, uint64_t offset, uint32_t count)
{
	p9c_begin(P9C_TREAD);
	p9c_put(fid, 4);
	p9c_put(offset, 8);
	p9c_put(count, 4);
	return p9c_transact(d, 1);
}

uint8_t p9c_clunk(struct vio_dev *d, uint32_t fid)
{
	p9c_begin(P9C_TCLUNK);
	p9c_put(fid, 4);
	return p9c_transact(d, 1);
}
