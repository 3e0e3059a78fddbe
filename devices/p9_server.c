/* The 9P server's entry point: framing, the table of operations, session
 * set-up (Tversion) and the small requests that touch no file. */
#include "devices/p9_server.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/p9_ops.h"

#define RLERROR_SIZE (P9_HDR_SIZE + 4)

int p9_server_init(struct p9_server *s, int root_fd, bool read_only, unsigned max_fids)
{
	struct stat st;

	*s = (struct p9_server){ .root_fd = root_fd, .read_only = read_only,
				 .msize = P9_MAX_MSIZE };
	int r = fstat(root_fd, &st) || !S_ISDIR(st.st_mode) ? -ENOTDIR : 0;

	if (!r) {
		s->root_dev = st.st_dev;
		r = p9_fids_init(&s->fids, max_fids);
	}
	if (r) {
		close(root_fd);
		s->root_fd = -1; /* p9_server_destroy() may still be called */
	}
	return r;
}

void p9_server_destroy(struct p9_server *s)
{
	p9_fids_destroy(&s->fids);
	if (s->root_fd >= 0)
		close(s->root_fd);
	s->root_fd = -1;
}

/* --- helpers the handlers share ------------------------------------------ */

int p9_fid_lookup(struct p9_server *s, uint32_t id, struct p9_fid **fid)
{
	*fid = p9_fid_get(&s->fids, id);
	return *fid ? 0 : -EBADF;
}

int p9_get_fid(struct p9_server *s, struct p9_in *in, struct p9_fid **fid)
{
	uint32_t id = p9_get_u32(in);

	return in->err ? in->err : p9_fid_lookup(s, id, fid);
}

int p9_dir_lookup(struct p9_server *s, uint32_t id, struct p9_fid **fid)
{
	int r = p9_fid_lookup(s, id, fid);

	return r ? r : (*fid)->is_dir ? 0 : -ENOTDIR;
}

int p9_check_name(const char *name)
{
	if (!name[0] || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		return -EINVAL;
	return 0;
}

int p9_open_beneath(int dirfd, const char *name, int flags, mode_t mode)
{
	struct open_how how = {
		.flags = (uint64_t)(flags | O_CLOEXEC | O_NOFOLLOW),
		.mode = flags & (O_CREAT | O_TMPFILE) ? mode : 0,
		.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
	};
	int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof(how));

	return fd < 0 ? -errno : fd;
}

void p9_proc_path(char *buf, int fd)
{
	snprintf(buf, P9_PROC_PATH, "/proc/self/fd/%d", fd);
}

int p9_reopen(int fd, int flags)
{
	char proc[P9_PROC_PATH];

	p9_proc_path(proc, fd);
	int r = open(proc, flags | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* Files on other file systems mounted inside the export get their device
 * mixed into the path, so their inode numbers do not collide with the
 * export's own. */
void p9_qid_of(const struct p9_server *s, const struct stat *st, struct p9_qid *qid)
{
	qid->type = S_ISDIR(st->st_mode) ? P9_QTDIR : S_ISLNK(st->st_mode) ? P9_QTSYMLINK : P9_QTFILE;
	qid->version = 0;
	qid->path = st->st_ino;
	if (st->st_dev != s->root_dev)
		qid->path ^= (uint64_t)st->st_dev << 44;
}

int p9_stat_qid(const struct p9_server *s, int dirfd, const char *name, struct p9_qid *qid,
		struct stat *st)
{
	int flags = AT_SYMLINK_NOFOLLOW | (name[0] ? 0 : AT_EMPTY_PATH);

	if (fstatat(dirfd, name, st, flags))
		return -errno;
	p9_qid_of(s, st, qid);
	return 0;
}

int p9_join(char *buf, size_t size, const char *path, const char *name)
{
	int n = snprintf(buf, size, "%s%s%s", path, path[0] ? "/" : "", name);

	return n < 0 || (size_t)n >= size ? -ENAMETOOLONG : 0;
}

/* --- requests without files ---------------------------------------------- */

/* Tversion msize[4] version[s]: a new session, every fid gone. An unknown
 * version gets "unknown" back (version(5)). */
static int op_version(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char version[32];
	uint32_t msize = p9_get_u32(in);

	p9_get_str(in, version, sizeof(version));
	if (in->err == -ENAMETOOLONG) {
		in->err = 0; /* no version this long exists: "unknown" */
		version[0] = '\0';
	}
	if (in->err)
		return in->err;
	if (msize < P9_MIN_MSIZE)
		return -EINVAL;
	p9_fids_clear(&s->fids);
	s->msize = msize < P9_MAX_MSIZE ? msize : P9_MAX_MSIZE;
	p9_put_u32(out, s->msize);
	p9_put_str(out, strcmp(version, P9_VERSION) ? "unknown" : P9_VERSION);
	return 0;
}

/* Tflush oldtag[2]: requests complete before the next is read, so there is
 * never one to cancel. */
static int op_flush(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	(void)s, (void)out;
	p9_get_u16(in);
	return in->err;
}

static int op_clunk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct p9_fid *fid;
	int r = p9_get_fid(s, in, &fid);

	(void)out;
	if (!r)
		p9_fid_clunk(&s->fids, fid);
	return r;
}

/* --- dispatch -------------------------------------------------------------- */

struct op {
	p9_op *run;
	bool modifies;          /* EROFS on a read-only export */
};

static const struct op ops[] = {
	[P9_TVERSION] = { op_version, false },
	[P9_TATTACH] = { p9_op_attach, false },
	[P9_TFLUSH] = { op_flush, false },
	[P9_TWALK] = { p9_op_walk, false },
	[P9_TCLUNK] = { op_clunk, false },
	[P9_TGETATTR] = { p9_op_getattr, false },
	[P9_TSETATTR] = { p9_op_setattr, true },
	[P9_TSTATFS] = { p9_op_statfs, false },
	[P9_TLOPEN] = { p9_op_lopen, false },           /* EROFS for writing */
	[P9_TLCREATE] = { p9_op_lcreate, true },
	[P9_TREAD] = { p9_op_read, false },
	[P9_TWRITE] = { p9_op_write, true },
	[P9_TREADDIR] = { p9_op_readdir, false },
	[P9_TFSYNC] = { p9_op_fsync, false },
	[P9_TLOCK] = { p9_op_lock, false },
	[P9_TGETLOCK] = { p9_op_getlock, false },
	[P9_TXATTRWALK] = { p9_op_xattrwalk, false },
	[P9_TXATTRCREATE] = { p9_op_xattrcreate, true },
	[P9_TREADLINK] = { p9_op_readlink, false },
	[P9_TMKDIR] = { p9_op_mkdir, true },
	[P9_TMKNOD] = { p9_op_mknod, true },
	[P9_TSYMLINK] = { p9_op_symlink, true },
	[P9_TLINK] = { p9_op_link, true },
	[P9_TRENAME] = { p9_op_rename, true },
	[P9_TRENAMEAT] = { p9_op_renameat, true },
	[P9_TUNLINKAT] = { p9_op_unlinkat, true },
	[P9_TREMOVE] = { p9_op_remove, false },         /* clunks, then EROFS */
};

static int dispatch(struct p9_server *s, uint8_t type, struct p9_in *in, struct p9_out *out)
{
	if (type >= sizeof(ops) / sizeof(ops[0]) || !ops[type].run)
		return -EOPNOTSUPP; /* Tauth, the 9P2000 and 9P2000.u requests, junk */
	if (ops[type].modifies && s->read_only)
		return -EROFS;
	return ops[type].run(s, in, out);
}

static void put_header(struct p9_out *out, uint8_t type, uint16_t tag)
{
	p9_put_u32(out, 0); /* size, patched at the end */
	p9_put_u8(out, type);
	p9_put_u16(out, tag);
}

/* The size field against the buffers and msize. */
static int check_size(const struct p9_server *s, uint32_t size, uint32_t have)
{
	if (size < P9_HDR_SIZE || size > have)
		return -EPROTO;
	return size > s->msize ? -EMSGSIZE : 0;
}

ssize_t p9_server_handle(struct p9_server *s, const struct iovec *req, unsigned nreq,
			 const struct iovec *rep, unsigned nrep)
{
	uint32_t have = p9_iov_bytes(req, nreq), room = p9_iov_bytes(rep, nrep);
	struct p9_in in;
	struct p9_out out;

	if (have < P9_HDR_SIZE || room < RLERROR_SIZE)
		return -EINVAL;
	p9_in_init(&in, req, nreq, P9_HDR_SIZE);
	uint32_t size = p9_get_u32(&in);
	uint8_t type = p9_get_u8(&in);
	uint16_t tag = p9_get_u16(&in);
	p9_out_init(&out, rep, nrep, room < s->msize ? room : s->msize);
	put_header(&out, (uint8_t)(type + 1), tag);
	int err = check_size(s, size, have);
	if (!err) {
		in.left = size - P9_HDR_SIZE;
		err = dispatch(s, type, &in, &out);
	}
	if (!err)
		err = out.err;
	if (err) {
		p9_out_truncate(&out, 0);
		put_header(&out, P9_RLERROR, tag);
		p9_put_u32(&out, (uint32_t)-err);
	}
	p9_out_patch_u32(&out, 0, out.len);
	return out.len;
}
