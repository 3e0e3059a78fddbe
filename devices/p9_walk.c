/* Reaching files: Tattach, Twalk, and the requests that only look at the
 * file a fid holds (Tgetattr, Tstatfs, Treadlink). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "devices/p9_ops.h"

/* Tattach fid[4] afid[4] uname[s] aname[s] n_uname[4]: the root. There is
 * no authentication (afid is ignored, Tauth unsupported), and aname picks
 * nothing: the export is one tree. */
int p9_op_attach(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char uname[256], aname[PATH_MAX];
	struct p9_qid qid;
	struct p9_fid *fid;
	struct stat st;
	uint32_t id = p9_get_u32(in);

	p9_get_u32(in);
	p9_get_str(in, uname, sizeof(uname));
	p9_get_str(in, aname, sizeof(aname));
	p9_get_u32(in);
	if (in->err)
		return in->err;
	int r = p9_stat_qid(s, s->root_fd, "", &qid, &st);
	if (r)
		return r;
	int fd = fcntl(s->root_fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	r = p9_fid_add(&s->fids, id, fd, "", true, &fid);
	if (r)
		return r;
	p9_put_qid(out, &qid);
	return 0;
}

/* Where a walk has got to. */
struct place {
	int fd;
	char path[PATH_MAX];
	struct stat st;
};

/* Moves `at` to `fd`, whose path is `path`. */
static int move_to(const struct p9_server *s, struct place *at, int fd, const char *path,
		   struct p9_qid *qid)
{
	struct stat st;
	int r = p9_stat_qid(s, fd, "", qid, &st);

	if (r) {
		close(fd);
		return r;
	}
	close(at->fd);
	at->fd = fd;
	at->st = st;
	memmove(at->path, path, strlen(path) + 1);
	return 0;
}

int p9_open_parent(const struct p9_server *s, const char *path, const struct stat *expect,
		   char *parent, const char **base)
{
	struct stat st;

	if (!path[0])
		return -EBUSY; /* the root has no parent in the export */
	snprintf(parent, PATH_MAX, "%s", path);
	char *slash = strrchr(parent, '/');
	*base = slash ? path + (slash - parent) + 1 : path;
	if (slash)
		*slash = '\0';
	else
		parent[0] = '\0';
	int fd = p9_open_beneath(s->root_fd, parent[0] ? parent : ".", O_PATH | O_DIRECTORY, 0);
	if (fd < 0)
		return fd;
	if (fstatat(fd, *base, &st, AT_SYMLINK_NOFOLLOW) || st.st_ino != expect->st_ino ||
	    st.st_dev != expect->st_dev) {
		close(fd);
		return -ENOENT; /* moved since: no sure way to it */
	}
	return fd;
}

/* "..": the root's parent is the root (intro(5)). */
static int step_up(const struct p9_server *s, struct place *at, struct p9_qid *qid)
{
	char parent[PATH_MAX];
	const char *base;

	if (!at->path[0]) {
		p9_qid_of(s, &at->st, qid);
		return 0;
	}
	int fd = p9_open_parent(s, at->path, &at->st, parent, &base);
	return fd < 0 ? fd : move_to(s, at, fd, parent, qid);
}

static int step(const struct p9_server *s, struct place *at, const char *name, struct p9_qid *qid)
{
	char path[PATH_MAX];

	if (!strcmp(name, ".."))
		return step_up(s, at, qid);
	int r = p9_check_name(name);
	if (r)
		return r;
	if (!S_ISDIR(at->st.st_mode))
		return -ENOTDIR;
	r = p9_join(path, sizeof(path), at->path, name);
	if (r)
		return r;
	int fd = p9_open_beneath(at->fd, name, O_PATH, 0);
	return fd < 0 ? fd : move_to(s, at, fd, path, qid);
}

/* The walk's end becomes `newid` (a new fid, or `fid` itself moved). */
static int land(struct p9_server *s, struct p9_fid *fid, uint32_t newid, struct place *at)
{
	struct p9_fid *nf;

	if (newid != fid->id) {
		int r = p9_fid_add(&s->fids, newid, at->fd, at->path, S_ISDIR(at->st.st_mode), &nf);
		at->fd = -1;
		return r;
	}
	char *path = strdup(at->path);
	if (!path)
		return -ENOMEM;
	close(fid->fd);
	if (fid->open_fd >= 0)
		close(fid->open_fd);
	free(fid->path);
	fid->fd = at->fd;
	fid->open_fd = -1;
	fid->path = path;
	fid->is_dir = S_ISDIR(at->st.st_mode);
	at->fd = -1;
	return 0;
}

static int start(const struct p9_server *s, const struct p9_fid *fid, struct place *at)
{
	struct p9_qid qid;

	at->fd = fcntl(fid->fd, F_DUPFD_CLOEXEC, 0);
	if (at->fd < 0)
		return -errno;
	snprintf(at->path, sizeof(at->path), "%s", fid->path);
	int r = p9_stat_qid(s, at->fd, "", &qid, &at->st);
	if (r)
		close(at->fd);
	return r;
}

/* Twalk fid[4] newfid[4] nwname[2] nwname*(wname[s]) -> nwqid[2] qid*:
 * one name at a time. A walk that fails at the first name is an error;
 * later, the qids so far come back and newfid is left alone (walk(5)). */
int p9_op_walk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	_Static_assert(P9_MAX_WALK * (NAME_MAX + 1) <= 8192, "names fit the stack");
	char names[P9_MAX_WALK][NAME_MAX + 1];
	struct p9_qid qids[P9_MAX_WALK];
	struct p9_fid *fid;
	struct place at;
	uint32_t id = p9_get_u32(in), newid = p9_get_u32(in);
	uint16_t n = p9_get_u16(in), done = 0;

	if (n > P9_MAX_WALK)
		return in->err ? in->err : -E2BIG;
	for (unsigned i = 0; i < n; i++)
		p9_get_str(in, names[i], sizeof(names[i]));
	if (in->err)
		return in->err;
	int r = p9_fid_lookup(s, id, &fid);
	if (r)
		return r;
	if (newid != id && p9_fid_get(&s->fids, newid))
		return -EEXIST;
	r = start(s, fid, &at);
	if (r)
		return r;
	while (done < n && (r = step(s, &at, names[done], &qids[done])) == 0)
		done++;
	if (done == n)
		r = land(s, fid, newid, &at);
	else if (done > 0)
		r = 0;
	if (at.fd >= 0)
		close(at.fd);
	if (r)
		return r;
	p9_put_u16(out, done);
	for (unsigned i = 0; i < done; i++)
		p9_put_qid(out, &qids[i]);
	return 0;
}

/* Tgetattr fid[4] request_mask[8]: everything basic, whatever was asked
 * (a server may return more than requested). */
int p9_op_getattr(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct p9_fid *fid;
	struct p9_qid qid;
	struct stat st;
	uint32_t id = p9_get_u32(in);

	p9_get_u64(in);
	if (in->err)
		return in->err;
	int r = p9_fid_lookup(s, id, &fid);
	if (!r)
		r = p9_stat_qid(s, fid->fd, "", &qid, &st);
	if (!r)
		p9_put_getattr(out, &qid, &st);
	return r;
}

int p9_op_statfs(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct p9_fid *fid;
	struct statfs sf;
	int r = p9_get_fid(s, in, &fid);

	if (r)
		return r;
	if (fstatfs(fid->fd, &sf))
		return -errno;
	p9_put_statfs(out, &sf);
	return 0;
}

int p9_op_readlink(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char target[PATH_MAX];
	struct p9_fid *fid;
	struct stat st;
	int r = p9_get_fid(s, in, &fid);

	if (r)
		return r;
	if (fstatat(fid->fd, "", &st, AT_EMPTY_PATH))
		return -errno;
	if (!S_ISLNK(st.st_mode))
		return -EINVAL;
	ssize_t len = readlinkat(fid->fd, "", target, sizeof(target) - 1);
	if (len < 0)
		return -errno;
	target[len] = '\0';
	p9_put_str(out, target);
	return 0;
}
