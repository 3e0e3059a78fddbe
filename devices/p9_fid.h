/* The fids of one 9P session: the client's 32-bit names for files it has
 * walked to, each holding descriptors of the file itself, never a path to
 * resolve again. A fixed table of at most `max` fids (the server's
 * documented limit), hashed by id; a full table answers EMFILE. */
#ifndef MR_P9_FID_H
#define MR_P9_FID_H

#include <stdbool.h>
#include <stdint.h>

struct p9_fid {
	uint32_t id;
	int32_t next;           /* hash chain, or free list; -1 ends it */
	int fd;                 /* O_PATH descriptor of the file; -1: slot free */
	int open_fd;            /* after Tlopen/Tlcreate, else -1 */
	bool is_dir;
	/* The walk that led here, relative to the export root ("" for the
	 * root). Only Trename, Tremove and ".." use it, to find the parent
	 * again beneath the root, and each checks that it still leads to
	 * this very file. */
	char *path;
};

struct p9_fids {
	struct p9_fid *slot;
	int32_t *bucket;
	unsigned max, nbuckets, used;
	int32_t free;
};

int p9_fids_init(struct p9_fids *t, unsigned max) __attribute__((warn_unused_result));
/* Clunks every fid and frees the table. */
void p9_fids_destroy(struct p9_fids *t);
/* Clunks every fid (a new Tversion ends the session). */
void p9_fids_clear(struct p9_fids *t);

struct p9_fid *p9_fid_get(struct p9_fids *t, uint32_t id);
/* A new fid `id` holding `fd` (which it now owns) and a copy of `path`:
 * 0, -EBADF for P9_NOFID, -EEXIST if `id` is in use, -EMFILE when the table
 * is full, -ENOMEM. On failure `fd` is closed. */
int p9_fid_add(struct p9_fids *t, uint32_t id, int fd, const char *path, bool is_dir,
	       struct p9_fid **fid);
/* Closes the fid's descriptors and frees its slot. */
void p9_fid_clunk(struct p9_fids *t, struct p9_fid *fid);

#endif
