/* Inside the 9P server: the request handlers, spread over p9_*.c by
 * concern, and the helpers they share. Each handler has read the request's
 * header; it reads its fields from `in`, acts, and writes the reply's
 * fields to `out` (p9_server_handle writes the header and turns an error
 * into Rlerror). Returns 0 or -errno. */
#ifndef MR_P9_OPS_H
#define MR_P9_OPS_H

#include <sys/stat.h>

#include "devices/p9_msg.h"
#include "devices/p9_server.h"

typedef int p9_op(struct p9_server *s, struct p9_in *in, struct p9_out *out);

/* p9_walk.c */
p9_op p9_op_attach, p9_op_walk, p9_op_getattr, p9_op_statfs, p9_op_readlink;
/* p9_ops_file.c */
p9_op p9_op_lopen, p9_op_lcreate, p9_op_read, p9_op_write, p9_op_readdir, p9_op_fsync,
	p9_op_setattr;
/* p9_ops_lock.c */
p9_op p9_op_lock, p9_op_getlock, p9_op_xattrwalk, p9_op_xattrcreate;
/* p9_ops_dir.c */
p9_op p9_op_mkdir, p9_op_mknod, p9_op_symlink, p9_op_link, p9_op_rename, p9_op_renameat,
	p9_op_unlinkat, p9_op_remove;

/* The fid `id`, or -EBADF. */
int p9_fid_lookup(struct p9_server *s, uint32_t id, struct p9_fid **fid);
/* Reads the request's only field, a fid, and looks it up. */
int p9_get_fid(struct p9_server *s, struct p9_in *in, struct p9_fid **fid);
/* A directory fid, for operations on a name in it: -ENOTDIR otherwise. */
int p9_dir_lookup(struct p9_server *s, uint32_t id, struct p9_fid **fid);
/* 0 for a name that is one path component other than "." and "..". */
int p9_check_name(const char *name);
/* openat2 of one component beneath `dirfd`, following no symlink. */
int p9_open_beneath(int dirfd, const char *name, int flags, mode_t mode);
/* "/proc/self/fd/N": the magic link to the file `fd` holds, for the calls
 * that take no O_PATH descriptor (chmod, utimensat, linkat, open). */
#define P9_PROC_PATH 32
void p9_proc_path(char *buf, int fd);
/* A new descriptor of the file `fd` (an O_PATH one) opened with `flags`,
 * through /proc/self/fd: what the fid holds, and nothing else. */
int p9_reopen(int fd, int flags);
/* The qid of `st`, a file in the export. */
void p9_qid_of(const struct p9_server *s, const struct stat *st, struct p9_qid *qid);
/* fstatat(dirfd, name) without following, and its qid. */
int p9_stat_qid(const struct p9_server *s, int dirfd, const char *name, struct p9_qid *qid,
		struct stat *st);
/* The directory holding the file at `path` (a fid's walk), resolved
 * beneath the root, provided its entry `*base` (pointing into `path`) is
 * still the file `expect`: a descriptor, -ENOENT if the file moved, -EBUSY
 * for the root. `parent` (PATH_MAX bytes) gets the directory's path. */
int p9_open_parent(const struct p9_server *s, const char *path, const struct stat *expect,
		   char *parent, const char **base);
/* `path` + "/" + `name` (or just `name` when `path` is ""), in `buf`. */
int p9_join(char *buf, size_t size, const char *path, const char *name);

#endif
