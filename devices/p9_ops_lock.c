/* Byte-range locks (Tlock, Tgetlock) and extended attributes. Locks are
 * open-file-description locks on the fid's open descriptor: they conflict
 * with other fids' and with host programs' locks, and are never waited
 * for: the device runs one request at a time, so a lock that is taken
 * answers BLOCKED and the client retries (Linux's 9p does, for F_SETLKW). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "devices/p9_ops.h"

enum { LOCK_RDLCK, LOCK_WRLCK, LOCK_UNLCK };
enum { LOCK_SUCCESS, LOCK_BLOCKED, LOCK_ERROR, LOCK_GRACE };

#define CLIENT_ID_MAX 256

struct lock_req {
	uint8_t type;
	uint64_t start, length;
	uint32_t proc_id;
	char client_id[CLIENT_ID_MAX];
};

/* Tlock's and Tgetlock's fields after the fid; only Tlock has flags (a
 * BLOCK flag is answered by BLOCKED, RECLAIM means nothing here). */
static int get_lock_req(struct p9_in *in, struct lock_req *lr, bool with_flags)
{
	lr->type = p9_get_u8(in);
	if (with_flags)
		p9_get_u32(in);
	lr->start = p9_get_u64(in);
	lr->length = p9_get_u64(in);
	lr->proc_id = p9_get_u32(in);
	p9_get_str(in, lr->client_id, sizeof(lr->client_id));
	return in->err;
}

/* The fid's open descriptor and the request as a struct flock. */
static int to_flock(struct p9_server *s, uint32_t id, const struct lock_req *lr,
		    struct flock *fl, int *fd)
{
	static const short types[] = { [LOCK_RDLCK] = F_RDLCK, [LOCK_WRLCK] = F_WRLCK,
				       [LOCK_UNLCK] = F_UNLCK };
	struct p9_fid *fid;
	int r = p9_fid_lookup(s, id, &fid);

	if (r)
		return r;
	if (fid->open_fd < 0)
		return -EBADF;
	if (lr->type > LOCK_UNLCK || lr->start > INT64_MAX || lr->length > INT64_MAX)
		return -EINVAL;
	*fl = (struct flock){ .l_type = types[lr->type], .l_whence = SEEK_SET,
			      .l_start = (off_t)lr->start, .l_len = (off_t)lr->length };
	*fd = fid->open_fd;
	return 0;
}

/* Tlock fid[4] type[1] flags[4] start[8] length[8] proc_id[4] client_id[s]
 * -> status[1] */
int p9_op_lock(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct lock_req lr;
	struct flock fl;
	int fd;
	uint32_t id = p9_get_u32(in);
	int r = get_lock_req(in, &lr, true);

	if (!r)
		r = to_flock(s, id, &lr, &fl, &fd);
	if (r)
		return r;
	uint8_t status = LOCK_SUCCESS;
	if (fcntl(fd, F_OFD_SETLK, &fl)) {
		if (errno != EAGAIN && errno != EACCES)
			return -errno;
		status = LOCK_BLOCKED;
	}
	p9_put_u8(out, status);
	return 0;
}

/* Tgetlock fid[4] type[1] start[8] length[8] proc_id[4] client_id[s]
 * -> the same fields: the lock that would conflict, or type UNLCK and the
 * request as it came. */
int p9_op_getlock(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct lock_req lr;
	struct flock fl;
	int fd;
	uint32_t id = p9_get_u32(in);
	int r = get_lock_req(in, &lr, false);

	if (!r)
		r = to_flock(s, id, &lr, &fl, &fd);
	if (r)
		return r;
	if (fl.l_type != F_UNLCK && fcntl(fd, F_OFD_GETLK, &fl))
		return -errno;
	bool free_range = fl.l_type == F_UNLCK;
	p9_put_u8(out, free_range ? LOCK_UNLCK : fl.l_type == F_WRLCK ? LOCK_WRLCK : LOCK_RDLCK);
	p9_put_u64(out, free_range ? lr.start : (uint64_t)fl.l_start);
	p9_put_u64(out, free_range ? lr.length : (uint64_t)fl.l_len);
	/* An OFD lock has no owning process; the client's own proc_id is the
	 * only one that means anything to it. */
	p9_put_u32(out, lr.proc_id);
	p9_put_str(out, lr.client_id);
	return 0;
}

/* Txattrwalk fid[4] newfid[4] name[s] and Txattrcreate fid[4] name[s]
 * attr_size[8] flags[4]: extended attributes are not exported (Linux then
 * sees no ACLs and no security labels, and setxattr fails cleanly). */
int p9_op_xattrwalk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[256];
	struct p9_fid *fid;
	uint32_t id = p9_get_u32(in);

	(void)out;
	p9_get_u32(in);
	p9_get_str(in, name, sizeof(name));
	if (in->err)
		return in->err;
	int r = p9_fid_lookup(s, id, &fid);
	return r ? r : -EOPNOTSUPP;
}

int p9_op_xattrcreate(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[256];
	struct p9_fid *fid;
	uint32_t id = p9_get_u32(in);

	(void)out;
	p9_get_str(in, name, sizeof(name));
	p9_get_u64(in);
	p9_get_u32(in);
	if (in->err)
		return in->err;
	int r = p9_fid_lookup(s, id, &fid);
	return r ? r : -EOPNOTSUPP;
}
