#include "devices/p9_msg.h"

#include <errno.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "9P is little-endian; this code copies fields natively");

uint32_t p9_iov_bytes(const struct iovec *iov, unsigned niov)
{
	uint64_t total = 0;

	for (unsigned i = 0; i < niov && total < UINT32_MAX; i++)
		total += iov[i].iov_len;
	return total < UINT32_MAX ? (uint32_t)total : UINT32_MAX;
}

/* --- cursors: where the next byte of a scatter list is ----------------- */

static void cursor_init(struct p9_cursor *c, const struct iovec *iov, unsigned niov)
{
	*c = (struct p9_cursor){ .iov = iov, .niov = niov };
}

/* Up to `len` contiguous bytes at the cursor, and moves past them. */
static uint8_t *cursor_take(struct p9_cursor *c, size_t len, size_t *got)
{
	while (c->idx < c->niov && c->off == c->iov[c->idx].iov_len) {
		c->idx++;
		c->off = 0;
	}
	if (c->idx == c->niov) {
		*got = 0;
		return NULL;
	}
	size_t avail = c->iov[c->idx].iov_len - c->off;
	uint8_t *p = (uint8_t *)c->iov[c->idx].iov_base + c->off;
	*got = len < avail ? len : avail;
	c->off += *got;
	return p;
}

/* Copies between `buf` and the list; false if the list ends first. */
static bool cursor_copy(struct p9_cursor *c, void *buf, size_t len, bool to_list)
{
	uint8_t *b = buf;

	while (len) {
		size_t n;
		uint8_t *p = cursor_take(c, len, &n);
		if (!p)
			return false;
		if (to_list)
			memcpy(p, b, n);
		else
			memcpy(b, p, n);
		b += n;
		len -= n;
	}
	return true;
}

static bool cursor_skip(struct p9_cursor *c, size_t len)
{
	while (len) {
		size_t n;
		if (!cursor_take(c, len, &n))
			return false;
		len -= n;
	}
	return true;
}

/* The next `len` bytes as at most `max` buffers; -E2BIG if more are
 * needed, -EPROTO if the list ends first. */
static int cursor_iov(struct p9_cursor *c, size_t len, struct iovec *iov, unsigned max,
		      unsigned *n)
{
	*n = 0;
	while (len) {
		size_t got;
		uint8_t *p = cursor_take(c, len, &got);
		if (!p)
			return -EPROTO;
		if (*n == max)
			return -E2BIG;
		iov[(*n)++] = (struct iovec){ .iov_base = p, .iov_len = got };
		len -= got;
	}
	return 0;
}

/* --- reading a request ------------------------------------------------- */

void p9_in_init(struct p9_in *in, const struct iovec *iov, unsigned niov, uint32_t size)
{
	cursor_init(&in->cur, iov, niov);
	in->left = size;
	in->err = 0;
}

static void in_fail(struct p9_in *in, int err)
{
	if (!in->err)
		in->err = err;
}

static bool get(struct p9_in *in, void *buf, size_t len)
{
	if (in->err || len > in->left || !cursor_copy(&in->cur, buf, len, false)) {
		in_fail(in, -EPROTO);
		memset(buf, 0, len);
		return false;
	}
	in->left -= (uint32_t)len;
	return true;
}

uint8_t p9_get_u8(struct p9_in *in)
{
	uint8_t v;

	get(in, &v, sizeof(v));
	return v;
}

uint16_t p9_get_u16(struct p9_in *in)
{
	uint16_t v;

	get(in, &v, sizeof(v));
	return v;
}

uint32_t p9_get_u32(struct p9_in *in)
{
	uint32_t v;

	get(in, &v, sizeof(v));
	return v;
}

uint64_t p9_get_u64(struct p9_in *in)
{
	uint64_t v;

	get(in, &v, sizeof(v));
	return v;
}

void p9_get_str(struct p9_in *in, char *buf, size_t size)
{
	uint16_t len = p9_get_u16(in);

	buf[0] = '\0';
	if (in->err)
		return;
	if (len >= size) {
		in_fail(in, -ENAMETOOLONG);
		return;
	}
	if (!get(in, buf, len))
		return;
	buf[len] = '\0';
	if (strlen(buf) != len) {
		in_fail(in, -EINVAL);
		buf[0] = '\0';
	}
}

unsigned p9_get_iov(struct p9_in *in, uint32_t len, struct iovec *iov, unsigned max)
{
	unsigned n = 0;

	if (in->err)
		return 0;
	if (len > in->left) {
		in_fail(in, -EPROTO);
		return 0;
	}
	int err = cursor_iov(&in->cur, len, iov, max, &n);
	if (err) {
		in_fail(in, err);
		return 0;
	}
	in->left -= len;
	return n;
}

void p9_get_setattr(struct p9_in *in, struct p9_setattr *sa)
{
	sa->valid = p9_get_u32(in);
	sa->mode = p9_get_u32(in);
	sa->uid = p9_get_u32(in);
	sa->gid = p9_get_u32(in);
	sa->size = p9_get_u64(in);
	sa->atime_sec = p9_get_u64(in);
	sa->atime_nsec = p9_get_u64(in);
	sa->mtime_sec = p9_get_u64(in);
	sa->mtime_nsec = p9_get_u64(in);
}

/* --- writing a reply --------------------------------------------------- */

void p9_out_init(struct p9_out *out, const struct iovec *iov, unsigned niov, uint32_t cap)
{
	cursor_init(&out->cur, iov, niov);
	out->len = 0;
	out->cap = cap;
	out->err = 0;
}

static void put(struct p9_out *out, const void *buf, size_t len)
{
	if (out->err)
		return;
	if (len > out->cap - out->len || !cursor_copy(&out->cur, (void *)buf, len, true)) {
		out->err = -EMSGSIZE;
		return;
	}
	out->len += (uint32_t)len;
}

void p9_put_u8(struct p9_out *out, uint8_t v)
{
	put(out, &v, sizeof(v));
}

void p9_put_u16(struct p9_out *out, uint16_t v)
{
	put(out, &v, sizeof(v));
}

void p9_put_u32(struct p9_out *out, uint32_t v)
{
	put(out, &v, sizeof(v));
}

void p9_put_u64(struct p9_out *out, uint64_t v)
{
	put(out, &v, sizeof(v));
}

void p9_put_str(struct p9_out *out, const char *s)
{
	size_t len = strlen(s);

	if (len > UINT16_MAX) {
		out->err = -ENAMETOOLONG;
		return;
	}
	p9_put_u16(out, (uint16_t)len);
	put(out, s, len);
}

void p9_put_qid(struct p9_out *out, const struct p9_qid *qid)
{
	p9_put_u8(out, qid->type);
	p9_put_u32(out, qid->version);
	p9_put_u64(out, qid->path);
}

void p9_put_getattr(struct p9_out *out, const struct p9_qid *qid, const struct stat *st)
{
	const struct timespec *times[] = { &st->st_atim, &st->st_mtim, &st->st_ctim };

	p9_put_u64(out, P9_GETATTR_BASIC);
	p9_put_qid(out, qid);
	p9_put_u32(out, st->st_mode);
	p9_put_u32(out, st->st_uid);
	p9_put_u32(out, st->st_gid);
	p9_put_u64(out, st->st_nlink);
	p9_put_u64(out, st->st_rdev);
	p9_put_u64(out, (uint64_t)st->st_size);
	p9_put_u64(out, (uint64_t)st->st_blksize);
	p9_put_u64(out, (uint64_t)st->st_blocks);
	for (unsigned i = 0; i < 3; i++) {
		p9_put_u64(out, (uint64_t)times[i]->tv_sec);
		p9_put_u64(out, (uint64_t)times[i]->tv_nsec);
	}
	for (unsigned i = 0; i < 4; i++)
		p9_put_u64(out, 0); /* btime (2 fields), gen, data_version: not valid */
}

void p9_put_statfs(struct p9_out *out, const struct statfs *sf)
{
	uint64_t fsid;

	memcpy(&fsid, &sf->f_fsid, sizeof(fsid));
	p9_put_u32(out, (uint32_t)sf->f_type);
	p9_put_u32(out, (uint32_t)sf->f_bsize);
	p9_put_u64(out, sf->f_blocks);
	p9_put_u64(out, sf->f_bfree);
	p9_put_u64(out, sf->f_bavail);
	p9_put_u64(out, sf->f_files);
	p9_put_u64(out, sf->f_ffree);
	p9_put_u64(out, fsid);
	p9_put_u32(out, (uint32_t)sf->f_namelen);
}

unsigned p9_out_room(const struct p9_out *out, uint32_t len, struct iovec *iov, unsigned max,
		     uint32_t *got)
{
	struct p9_cursor c = out->cur;
	uint32_t room = out->err ? 0 : out->cap - out->len;
	unsigned n = 0;

	if (len > room)
		len = room;
	*got = 0;
	while (*got < len && n < max) {
		size_t take;
		uint8_t *p = cursor_take(&c, len - *got, &take);
		if (!p)
			break;
		iov[n++] = (struct iovec){ .iov_base = p, .iov_len = take };
		*got += (uint32_t)take;
	}
	return n;
}

void p9_out_skip(struct p9_out *out, uint32_t len)
{
	if (out->err)
		return;
	if (len > out->cap - out->len || !cursor_skip(&out->cur, len)) {
		out->err = -EMSGSIZE;
		return;
	}
	out->len += len;
}

void p9_out_patch_u32(struct p9_out *out, uint32_t pos, uint32_t v)
{
	struct p9_cursor c;

	if (pos > out->len || out->len - pos < sizeof(v))
		return; /* only fields already written */
	cursor_init(&c, out->cur.iov, out->cur.niov);
	if (cursor_skip(&c, pos))
		cursor_copy(&c, &v, sizeof(v), true);
}

void p9_out_truncate(struct p9_out *out, uint32_t len)
{
	const struct iovec *iov = out->cur.iov;
	unsigned niov = out->cur.niov;
	uint32_t cap = out->cap;

	if (len >= out->len)
		return;
	p9_out_init(out, iov, niov, cap);
	p9_out_skip(out, len);
}
