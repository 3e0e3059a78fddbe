/* Open files: Tlopen, Tlcreate, Tread, Twrite (straight between the file
 * and the message's buffers), Treaddir, Tfsync, and Tsetattr. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "devices/p9_ops.h"

#define MAX_IOV 1024                    /* buffers of one Tread or Twrite */
#define DIRENT_BUF 16384

/* 9P2000.L open flags (Linux's generic O_* values, which x86 shares, but
 * spelled out: the guest's architecture is not the host's by definition). */
#define DOTL_ACCMODE    03
#define DOTL_NOACCESS   03
#define DOTL_CREATE     0100
#define DOTL_EXCL       0200
#define DOTL_TRUNC      01000
#define DOTL_APPEND     02000
#define DOTL_DSYNC      010000
#define DOTL_DIRECTORY  0200000
#define DOTL_SYNC       04000000

/* The host flags for a client's: the access mode and what changes how
 * data moves; the rest (NOCTTY, NONBLOCK, DIRECT, NOATIME, CLOEXEC, ...)
 * is the guest's business or would fail on the host for no reason. */
static int open_flags(const struct p9_server *s, uint32_t dotl, int *flags)
{
	static const struct { uint32_t dotl; int host; } map[] = {
		{ DOTL_TRUNC, O_TRUNC }, { DOTL_APPEND, O_APPEND }, { DOTL_DSYNC, O_DSYNC },
		{ DOTL_DIRECTORY, O_DIRECTORY }, { DOTL_SYNC, O_SYNC }, { DOTL_EXCL, O_EXCL },
	};
	uint32_t acc = dotl & DOTL_ACCMODE;

	if (acc == DOTL_NOACCESS)
		return -EINVAL;
	if (s->read_only && (acc != O_RDONLY || (dotl & (DOTL_TRUNC | DOTL_CREATE))))
		return -EROFS;
	*flags = acc == 1 ? O_WRONLY : acc == 2 ? O_RDWR : O_RDONLY;
	for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if ((dotl & map[i].dotl) == map[i].dotl)
			*flags |= map[i].host;
	return 0;
}

/* Only regular files and directories are opened on the host: the guest
 * handles its own device nodes, FIFOs and sockets, and opening the host's
 * could block the device or reach host devices. */
static int openable(const struct stat *st)
{
	if (S_ISLNK(st->st_mode))
		return -ELOOP;
	return S_ISREG(st->st_mode) || S_ISDIR(st->st_mode) ? 0 : -EACCES;
}

static int reply_open(const struct p9_server *s, struct p9_out *out, const struct stat *st)
{
	struct p9_qid qid;

	p9_qid_of(s, st, &qid);
	p9_put_qid(out, &qid);
	p9_put_u32(out, 0); /* iounit: msize less the header, the client's default */
	return 0;
}

/* Tlopen fid[4] flags[4] -> qid[13] iounit[4] */
int p9_op_lopen(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct p9_fid *fid;
	struct stat st;
	int flags;
	uint32_t id = p9_get_u32(in), dotl = p9_get_u32(in);

	if (in->err)
		return in->err;
	int r = p9_fid_lookup(s, id, &fid);
	if (!r)
		r = open_flags(s, dotl & ~(uint32_t)(DOTL_CREATE | DOTL_EXCL), &flags);
	if (r)
		return r;
	if (fid->open_fd >= 0)
		return -EBADF; /* opened already */
	if (fstatat(fid->fd, "", &st, AT_EMPTY_PATH))
		return -errno;
	r = openable(&st);
	if (r)
		return r;
	int fd = p9_reopen(fid->fd, flags);
	if (fd < 0)
		return fd;
	fid->open_fd = fd;
	return reply_open(s, out, &st);
}

/* A new file, in the mode the client asked for whatever the host's umask
 * took away; or, without O_EXCL, an existing one, if it is openable. */
static int create(int dirfd, const char *name, int flags, uint32_t mode)
{
	struct stat st;
	int fd = p9_open_beneath(dirfd, name, flags | O_CREAT | O_EXCL, mode & 07777);

	if (fd >= 0 && fchmod(fd, mode & 07777)) {
		int err = -errno;
		close(fd);
		return err;
	}
	if (fd != -EEXIST || (flags & O_EXCL))
		return fd;
	int path_fd = p9_open_beneath(dirfd, name, O_PATH, 0);
	if (path_fd < 0)
		return path_fd;
	int r = fstat(path_fd, &st) ? -errno : openable(&st);
	if (!r)
		r = S_ISDIR(st.st_mode) ? -EISDIR : p9_reopen(path_fd, flags);
	close(path_fd);
	return r;
}

/* Tlcreate fid[4] name[s] flags[4] mode[4] gid[4] -> qid[13] iounit[4]:
 * the fid, a directory, becomes the new file, open. The file belongs to
 * the user running microrun; gid is not applied. */
int p9_op_lcreate(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct p9_fid *fid;
	struct stat st;
	int flags;
	uint32_t id = p9_get_u32(in);

	p9_get_str(in, name, sizeof(name));
	uint32_t dotl = p9_get_u32(in), mode = p9_get_u32(in);
	p9_get_u32(in);
	if (in->err)
		return in->err;
	int r = p9_dir_lookup(s, id, &fid);
	if (!r)
		r = p9_check_name(name);
	if (!r)
		r = open_flags(s, dotl & ~(uint32_t)DOTL_DIRECTORY, &flags);
	if (!r)
		r = p9_join(path, sizeof(path), fid->path, name);
	if (r)
		return r;
	int fd = create(fid->fd, name, flags, mode);
	if (fd < 0)
		return fd;
	int handle = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	char *copy = strdup(path);
	if (handle < 0 || !copy || fstat(fd, &st)) {
		r = handle < 0 || !copy ? -ENOMEM : -errno;
		free(copy);
		close(fd);
		if (handle >= 0)
			close(handle);
		return r;
	}
	close(fid->fd);
	if (fid->open_fd >= 0)
		close(fid->open_fd); /* the directory, if the client had opened it */
	free(fid->path);
	*fid = (struct p9_fid){ .id = fid->id, .next = fid->next, .fd = handle, .open_fd = fd,
				.path = copy };
	return reply_open(s, out, &st);
}

static int open_fid(struct p9_server *s, uint32_t id, struct p9_fid **fid)
{
	int r = p9_fid_lookup(s, id, fid);

	return r ? r : (*fid)->open_fd >= 0 ? 0 : -EBADF;
}

/* fid[4] offset[8] count[4], as Tread, Twrite and Treaddir start; the fid
 * must be open. Twrite's data follows. */
struct io_req {
	struct p9_fid *fid;
	uint64_t offset;
	uint32_t count;
};

static int get_io(struct p9_server *s, struct p9_in *in, struct io_req *io)
{
	uint32_t id = p9_get_u32(in);

	io->offset = p9_get_u64(in);
	io->count = p9_get_u32(in);
	if (in->err)
		return in->err;
	int r = open_fid(s, id, &io->fid);
	return r ? r : io->offset > INT64_MAX ? -EINVAL : 0;
}

/* Tread fid[4] offset[8] count[4] -> count[4] data: read into the reply's
 * own buffers, as much as fits. */
int p9_op_read(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct iovec iov[MAX_IOV];
	struct io_req io;
	uint32_t room;
	ssize_t n;
	int r = get_io(s, in, &io);

	if (r)
		return r;
	p9_put_u32(out, 0);
	uint32_t at = out->len - 4;
	unsigned niov = p9_out_room(out, io.count, iov, MAX_IOV, &room);
	do
		n = preadv(io.fid->open_fd, iov, (int)niov, (off_t)io.offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	p9_out_skip(out, (uint32_t)n);
	p9_out_patch_u32(out, at, (uint32_t)n);
	return 0;
}

/* Twrite fid[4] offset[8] count[4] data[count] -> count[4]: written from
 * the request's own buffers. */
int p9_op_write(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct iovec iov[MAX_IOV];
	struct io_req io;
	ssize_t n;
	int r = get_io(s, in, &io);
	unsigned niov = p9_get_iov(in, io.count, iov, MAX_IOV);

	if (in->err)
		return in->err;
	if (r)
		return r;
	do
		n = pwritev(io.fid->open_fd, iov, (int)niov, (off_t)io.offset);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	p9_put_u32(out, (uint32_t)n);
	return 0;
}

struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* One Rreaddir entry: qid[13] offset[8] type[1] name[s]; false when it
 * does not fit in `limit` bytes of reply. */
static bool put_dirent(struct p9_out *out, uint32_t limit, const struct linux_dirent64 *d)
{
	size_t len = strlen(d->d_name);
	struct p9_qid qid = {
		.type = d->d_type == DT_DIR ? P9_QTDIR : d->d_type == DT_LNK ? P9_QTSYMLINK : P9_QTFILE,
		.path = d->d_ino,
	};

	if (P9_QID_SIZE + 8 + 1 + 2 + len > limit - out->len || out->len + 24 + len > out->cap)
		return false;
	p9_put_qid(out, &qid);
	p9_put_u64(out, (uint64_t)d->d_off);
	p9_put_u8(out, d->d_type);
	p9_put_str(out, d->d_name);
	return true;
}

/* Packs entries from the directory's current position until `limit`;
 * 1 when full, 0 at the end of the directory. */
static int pack_dirents(int fd, struct p9_out *out, uint32_t limit)
{
	_Alignas(8) char buf[DIRENT_BUF];

	for (;;) {
		long n = syscall(SYS_getdents64, fd, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		if (n == 0)
			return 0;
		for (long off = 0; off < n;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			if (!put_dirent(out, limit, d))
				return 1;
			off += d->d_reclen;
		}
	}
}

/* Treaddir fid[4] offset[8] count[4] -> count[4] data: entries from the
 * directory offset `offset` (0, or the offset of an entry returned
 * before: the host file system's own cookie, so a listing resumes exactly
 * where the client left it). */
int p9_op_readdir(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct io_req io;
	int r = get_io(s, in, &io);

	if (r)
		return r;
	if (!io.fid->is_dir)
		return -ENOTDIR;
	if (lseek(io.fid->open_fd, (off_t)io.offset, SEEK_SET) < 0)
		return -errno;
	p9_put_u32(out, 0);
	uint32_t at = out->len;
	uint32_t limit = io.count < out->cap - at ? at + io.count : out->cap;
	r = pack_dirents(io.fid->open_fd, out, limit);
	if (r < 0)
		return r;
	p9_out_patch_u32(out, at - 4, out->len - at);
	return 0;
}

/* Tfsync fid[4] datasync[4] */
int p9_op_fsync(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct p9_fid *fid;
	uint32_t id = p9_get_u32(in), datasync = p9_get_u32(in);

	(void)out;
	if (in->err)
		return in->err;
	int r = open_fid(s, id, &fid);
	if (r)
		return r;
	return (datasync ? fdatasync(fid->open_fd) : fsync(fid->open_fd)) ? -errno : 0;
}

/* --- Tsetattr ----------------------------------------------------------- */

static int set_size(struct p9_fid *fid, uint64_t size)
{
	if (size > INT64_MAX)
		return -EINVAL;
	int fl = fid->open_fd >= 0 ? fcntl(fid->open_fd, F_GETFL) : -1;
	bool writable = fl >= 0 && (fl & O_ACCMODE) != O_RDONLY;
	int fd = writable ? fid->open_fd : p9_reopen(fid->fd, O_WRONLY);

	if (fd < 0)
		return fd;
	int r = ftruncate(fd, (off_t)size) ? -errno : 0;
	if (!writable)
		close(fd);
	return r;
}

static struct timespec set_time(const struct p9_setattr *sa, uint32_t bit, uint32_t set_bit,
				uint64_t sec, uint64_t nsec)
{
	if (!(sa->valid & bit))
		return (struct timespec){ .tv_nsec = UTIME_OMIT };
	if (!(sa->valid & set_bit))
		return (struct timespec){ .tv_nsec = UTIME_NOW };
	return (struct timespec){ .tv_sec = (time_t)sec, .tv_nsec = (long)(nsec % 1000000000) };
}

/* Through /proc/self/fd: utimensat and chmod do not take O_PATH
 * descriptors, and the magic link is the fid's own file. */
static int set_times(const struct p9_fid *fid, const struct p9_setattr *sa)
{
	char proc[P9_PROC_PATH];
	struct timespec ts[2] = {
		set_time(sa, P9_SETATTR_ATIME, P9_SETATTR_ATIME_SET, sa->atime_sec, sa->atime_nsec),
		set_time(sa, P9_SETATTR_MTIME, P9_SETATTR_MTIME_SET, sa->mtime_sec, sa->mtime_nsec),
	};

	p9_proc_path(proc, fid->fd);
	return utimensat(AT_FDCWD, proc, ts, 0) ? -errno : 0;
}

static int set_owner(const struct p9_fid *fid, const struct p9_setattr *sa)
{
	uid_t uid = sa->valid & P9_SETATTR_UID ? sa->uid : (uid_t)-1;
	gid_t gid = sa->valid & P9_SETATTR_GID ? sa->gid : (gid_t)-1;

	return fchownat(fid->fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) ? -errno : 0;
}

static int chmod_fid(const struct p9_fid *fid, uint32_t mode)
{
	char proc[P9_PROC_PATH];

	p9_proc_path(proc, fid->fd);
	return fchmodat(AT_FDCWD, proc, mode & 07777, 0) ? -errno : 0;
}

/* Tsetattr fid[4] valid[4] mode[4] uid[4] gid[4] size[8] atime[16]
 * mtime[16]: in the order mode, owner, size, times, stopping at the
 * first failure. */
int p9_op_setattr(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	struct p9_setattr sa;
	struct p9_fid *fid;
	uint32_t id = p9_get_u32(in);

	(void)out;
	p9_get_setattr(in, &sa);
	if (in->err)
		return in->err;
	int r = p9_fid_lookup(s, id, &fid);
	if (!r && (sa.valid & P9_SETATTR_MODE))
		r = chmod_fid(fid, sa.mode);
	if (!r && (sa.valid & (P9_SETATTR_UID | P9_SETATTR_GID)))
		r = set_owner(fid, &sa);
	if (!r && (sa.valid & P9_SETATTR_SIZE))
		r = set_size(fid, sa.size);
	if (!r && (sa.valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)))
		r = set_times(fid, &sa);
	return r;
}
