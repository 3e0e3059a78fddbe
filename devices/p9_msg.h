/* The 9P2000.L wire format: bounded little-endian readers and writers over
 * the buffers of one request and its reply, as scatter lists (a virtio
 * chain's iovecs), so that bulk data can stay where the guest put it.
 *
 * Every message is size[4] type[1] tag[2] followed by its fields; strings
 * are len[2] and that many bytes, a qid is type[1] version[4] path[8]. The
 * reader never reads past the message's own size or its buffers; the first
 * failure sticks in `err` and every later read then yields zeros, so a
 * decoder checks once, after reading all its fields. The writer likewise
 * never writes past its capacity. Knows no file system. */
#ifndef MR_P9_MSG_H
#define MR_P9_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>

#define P9_HDR_SIZE 7           /* size[4] type[1] tag[2] */
#define P9_QID_SIZE 13
#define P9_NOTAG    0xffff
#define P9_NOFID    0xffffffffU

/* Message types of 9P2000.L and the 9P2000 ones it keeps; R = T + 1. */
enum p9_type {
	P9_RLERROR = 7,
	P9_TSTATFS = 8, P9_TLOPEN = 12, P9_TLCREATE = 14, P9_TSYMLINK = 16,
	P9_TMKNOD = 18, P9_TRENAME = 20, P9_TREADLINK = 22, P9_TGETATTR = 24,
	P9_TSETATTR = 26, P9_TXATTRWALK = 30, P9_TXATTRCREATE = 32,
	P9_TREADDIR = 40, P9_TFSYNC = 50, P9_TLOCK = 52, P9_TGETLOCK = 54,
	P9_TLINK = 70, P9_TMKDIR = 72, P9_TRENAMEAT = 74, P9_TUNLINKAT = 76,
	P9_TVERSION = 100, P9_TAUTH = 102, P9_TATTACH = 104, P9_TFLUSH = 108,
	P9_TWALK = 110, P9_TREAD = 116, P9_TWRITE = 118, P9_TCLUNK = 120,
	P9_TREMOVE = 122,
};

/* qid.type bits (intro(5)). */
#define P9_QTDIR     0x80
#define P9_QTSYMLINK 0x02
#define P9_QTFILE    0x00

struct p9_qid {
	uint8_t type;
	uint32_t version;
	uint64_t path;
};

/* Tsetattr's fields after the fid (valid says which apply). */
struct p9_setattr {
	uint32_t valid, mode, uid, gid;
	uint64_t size, atime_sec, atime_nsec, mtime_sec, mtime_nsec;
};

/* Tsetattr valid bits. */
#define P9_SETATTR_MODE      0x001
#define P9_SETATTR_UID       0x002
#define P9_SETATTR_GID       0x004
#define P9_SETATTR_SIZE      0x008
#define P9_SETATTR_ATIME     0x010
#define P9_SETATTR_MTIME     0x020
#define P9_SETATTR_CTIME     0x040
#define P9_SETATTR_ATIME_SET 0x080
#define P9_SETATTR_MTIME_SET 0x100

/* Rgetattr valid bits: everything but btime, gen and data_version. */
#define P9_GETATTR_BASIC     0x7ffULL

/* A position in a scatter list. */
struct p9_cursor {
	const struct iovec *iov;
	unsigned niov;
	unsigned idx;           /* current buffer */
	size_t off;             /* bytes of it already passed */
};

struct p9_in {
	struct p9_cursor cur;
	uint32_t left;          /* bytes of the message not yet read */
	int err;                /* 0, or the first failure (-errno) */
};

struct p9_out {
	struct p9_cursor cur;
	uint32_t len;           /* bytes written */
	uint32_t cap;           /* never more than this */
	int err;
};

/* The message in `iov`: `size` bytes, which the caller checked against the
 * buffers' total (p9_iov_bytes). */
void p9_in_init(struct p9_in *in, const struct iovec *iov, unsigned niov, uint32_t size);
/* A reply of at most `cap` bytes, which the buffers hold. */
void p9_out_init(struct p9_out *out, const struct iovec *iov, unsigned niov, uint32_t cap);
/* Total bytes of a scatter list, saturating at UINT32_MAX. */
uint32_t p9_iov_bytes(const struct iovec *iov, unsigned niov);

/* Reads fail with -EPROTO past the message's end. */
uint8_t p9_get_u8(struct p9_in *in);
uint16_t p9_get_u16(struct p9_in *in);
uint32_t p9_get_u32(struct p9_in *in);
uint64_t p9_get_u64(struct p9_in *in);
/* A string into `buf` (`size` bytes, NUL-terminated): -ENAMETOOLONG if it
 * does not fit, -EINVAL if it holds a NUL byte. */
void p9_get_str(struct p9_in *in, char *buf, size_t size);
/* The next `len` bytes of the message as buffers, without copying: at most
 * `max` entries, or -E2BIG. Returns how many entries `iov` got. */
unsigned p9_get_iov(struct p9_in *in, uint32_t len, struct iovec *iov, unsigned max);

void p9_get_setattr(struct p9_in *in, struct p9_setattr *sa);

/* Writes fail with -EMSGSIZE past the capacity. */
void p9_put_u8(struct p9_out *out, uint8_t v);
void p9_put_u16(struct p9_out *out, uint16_t v);
void p9_put_u32(struct p9_out *out, uint32_t v);
void p9_put_u64(struct p9_out *out, uint64_t v);
void p9_put_str(struct p9_out *out, const char *s);
void p9_put_qid(struct p9_out *out, const struct p9_qid *qid);
/* Rgetattr after its header: valid, qid, and the fields of `st`. */
void p9_put_getattr(struct p9_out *out, const struct p9_qid *qid, const struct stat *st);
/* Rstatfs after its header. */
void p9_put_statfs(struct p9_out *out, const struct statfs *sf);
/* Room for up to `len` more bytes, as buffers the caller fills (preadv):
 * at most `max` entries; `*got` is the bytes they hold (less than `len`
 * where the capacity ends). Nothing counts as written until p9_out_skip. */
unsigned p9_out_room(const struct p9_out *out, uint32_t len, struct iovec *iov, unsigned max,
		     uint32_t *got);
/* Counts `len` bytes as written (filled through p9_out_room). */
void p9_out_skip(struct p9_out *out, uint32_t len);
/* Overwrites a 32-bit field already written, `pos` bytes from the start. */
void p9_out_patch_u32(struct p9_out *out, uint32_t pos, uint32_t v);
/* Back to `len` bytes written, dropping what came after. */
void p9_out_truncate(struct p9_out *out, uint32_t len);

#endif
