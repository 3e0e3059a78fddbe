/* The fids of one 9P session: the client's 32-bit names for files it has
 * walked to, each holding descriptors of the file itself, never a path to
 * resolve again. A fixed table of at most `max` fids (the server's
 * documented limit), hashed by id; a full table answers EMFILE. It is
 * zeroed memory that is touched only as fids are used: a session uses a
 * few hundred of its 16384, and setting up all of them took a run's
 * set-up longer than the rest of the device's. */
#ifndef MR_P9_FID_H
#define MR_P9_FID_H

#include <stdbool.h>
#include <stdint.h>

struct p9_fid {
	uint32_t id;
	uint32_t next;          /* hash chain, or free list: a slot + 1; 0 ends it */
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
	uint32_t *bucket;       /* slot + 1 of a chain's first fid; 0: none */
	unsigned max, nbuckets, used;
	unsigned fresh;         /* slots from here on have never been used */
	uint32_t free;          /* slot + 1 of the first freed slot; 0: none */
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
