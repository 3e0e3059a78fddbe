/* Changing directories: Tmkdir, Tmknod, Tsymlink, Tlink, Trenameat and
 * Trename, Tunlinkat and Tremove. Each acts on one name in a directory the
 * client holds a fid for, through the *at calls on that directory's
 * descriptor, which never follow a symlink in the last component. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "devices/p9_ops.h"

#define DOTL_AT_REMOVEDIR 0x200

/* The directory fid `id` and a valid new name in it, read from `in`. */
static int dir_and_name(struct p9_server *s, struct p9_in *in, struct p9_fid **dir, char *name)
{
	uint32_t id = p9_get_u32(in);

	p9_get_str(in, name, NAME_MAX + 1);
	if (in->err)
		return in->err;
	int r = p9_dir_lookup(s, id, dir);
	return r ? r : p9_check_name(name);
}

/* After creating `name`: the mode the client asked for (the host's umask
 * took its share), through a descriptor of what was created, never of
 * whatever a symlink swapped in meanwhile would lead to; then the qid. */
static int created(struct p9_server *s, int dirfd, const char *name, uint32_t mode,
		   struct p9_out *out)
{
	char proc[P9_PROC_PATH];
	struct p9_qid qid;
	struct stat st;
	int fd = p9_open_beneath(dirfd, name, O_PATH, 0);

	if (fd < 0)
		return fd;
	int r = p9_stat_qid(s, fd, "", &qid, &st);
	p9_proc_path(proc, fd);
	if (!r && !S_ISLNK(st.st_mode) && fchmodat(AT_FDCWD, proc, mode & 07777, 0))
		r = -errno;
	close(fd);
	if (!r)
		p9_put_qid(out, &qid);
	return r;
}

/* Tmkdir dfid[4] name[s] mode[4] gid[4] -> qid[13] */
int p9_op_mkdir(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int r = dir_and_name(s, in, &dir, name);
	uint32_t mode = p9_get_u32(in);

	p9_get_u32(in);
	if (!r)
		r = in->err;
	if (r)
		return r;
	if (mkdirat(dir->fd, name, mode & 07777))
		return -errno;
	return created(s, dir->fd, name, mode, out);
}

/* Tmknod dfid[4] name[s] mode[4] major[4] minor[4] gid[4] -> qid[13]:
 * FIFOs, sockets and empty files; no device nodes, which would give
 * whoever can reach the export on the host a way to the host's devices. */
int p9_op_mknod(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int r = dir_and_name(s, in, &dir, name);
	uint32_t mode = p9_get_u32(in), major = p9_get_u32(in), minor = p9_get_u32(in);

	p9_get_u32(in);
	if (!r)
		r = in->err;
	if (r)
		return r;
	if (!S_ISFIFO(mode) && !S_ISSOCK(mode) && !S_ISREG(mode))
		return -EPERM;
	if (mknodat(dir->fd, name, (mode & S_IFMT) | (mode & 07777), makedev(major, minor)))
		return -errno;
	return created(s, dir->fd, name, mode, out);
}

/* Tsymlink fid[4] name[s] symtgt[s] gid[4] -> qid[13]: the target is
 * stored, never followed by the server. */
int p9_op_symlink(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1], target[PATH_MAX];
	struct p9_fid *dir;
	struct p9_qid qid;
	struct stat st;
	int r = dir_and_name(s, in, &dir, name);

	p9_get_str(in, target, sizeof(target));
	p9_get_u32(in);
	if (!r)
		r = in->err;
	if (r)
		return r;
	if (symlinkat(target, dir->fd, name))
		return -errno;
	r = p9_stat_qid(s, dir->fd, name, &qid, &st);
	if (!r)
		p9_put_qid(out, &qid);
	return r;
}

/* Tlink dfid[4] fid[4] name[s]: through the magic link of the fid's own
 * descriptor (linkat with AT_EMPTY_PATH would need CAP_DAC_READ_SEARCH). */
int p9_op_link(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1], proc[P9_PROC_PATH];
	struct p9_fid *dir, *fid;
	uint32_t dir_id = p9_get_u32(in), id = p9_get_u32(in);

	(void)out;
	p9_get_str(in, name, sizeof(name));
	if (in->err)
		return in->err;
	int r = p9_dir_lookup(s, dir_id, &dir);
	if (!r)
		r = p9_fid_lookup(s, id, &fid);
	if (!r)
		r = p9_check_name(name);
	if (r)
		return r;
	p9_proc_path(proc, fid->fd);
	return linkat(AT_FDCWD, proc, dir->fd, name, AT_SYMLINK_FOLLOW) ? -errno : 0;
}

/* Trenameat olddirfid[4] oldname[s] newdirfid[4] newname[s] */
int p9_op_renameat(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char old_name[NAME_MAX + 1], new_name[NAME_MAX + 1];
	struct p9_fid *old_dir, *new_dir;
	int r = dir_and_name(s, in, &old_dir, old_name);
	int r2 = dir_and_name(s, in, &new_dir, new_name);

	(void)out;
	if (in->err)
		return in->err;
	if (r || r2)
		return r ? r : r2;
	return renameat(old_dir->fd, old_name, new_dir->fd, new_name) ? -errno : 0;
}

/* Tunlinkat dirfd[4] name[s] flags[4] */
int p9_op_unlinkat(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1];
	struct p9_fid *dir;
	int r = dir_and_name(s, in, &dir, name);
	uint32_t flags = p9_get_u32(in);

	(void)out;
	if (in->err)
		return in->err;
	if (r)
		return r;
	if (flags & ~(uint32_t)DOTL_AT_REMOVEDIR)
		return -EINVAL;
	return unlinkat(dir->fd, name, flags ? AT_REMOVEDIR : 0) ? -errno : 0;
}

/* The directory holding the fid's file, and its name there. */
static int locate(const struct p9_server *s, const struct p9_fid *fid, char *parent,
		  const char **base)
{
	struct stat st;

	if (fstatat(fid->fd, "", &st, AT_EMPTY_PATH))
		return -errno;
	return p9_open_parent(s, fid->path, &st, parent, base);
}

/* Trename fid[4] dfid[4] name[s]: the fid's file moves into dfid as name,
 * and the fid with it. */
int p9_op_rename(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1], parent[PATH_MAX], path[PATH_MAX];
	struct p9_fid *fid, *dir;
	const char *base;
	uint32_t id = p9_get_u32(in);
	int r = dir_and_name(s, in, &dir, name);

	(void)out;
	if (in->err)
		return in->err;
	if (!r)
		r = p9_fid_lookup(s, id, &fid);
	if (!r)
		r = p9_join(path, sizeof(path), dir->path, name);
	char *copy = r ? NULL : strdup(path);
	if (r || !copy)
		return r ? r : -ENOMEM;
	int pfd = locate(s, fid, parent, &base);
	r = pfd < 0 ? pfd : renameat(pfd, base, dir->fd, name) ? -errno : 0;
	if (pfd >= 0)
		close(pfd);
	if (r) {
		free(copy);
		return r;
	}
	free(fid->path);
	fid->path = copy;
	return 0;
}

/* Tremove fid[4]: the fid is clunked whether the file goes or not. */
int p9_op_remove(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char parent[PATH_MAX];
	const char *base;
	struct p9_fid *fid;
	int r = p9_get_fid(s, in, &fid);

	(void)out;
	if (r)
		return r;
	int pfd = s->read_only ? -EROFS : locate(s, fid, parent, &base);
	r = pfd < 0 ? pfd : unlinkat(pfd, base, fid->is_dir ? AT_REMOVEDIR : 0) ? -errno : 0;
	if (pfd >= 0)
		close(pfd);
	p9_fid_clunk(&s->fids, fid);
	return r;
}
