/* A 9P2000.L file server exporting one host directory, independent of any
 * transport: p9_server_handle() answers one request in place, from the
 * request's buffers into the reply's, so the virtio device, unit tests and
 * fuzzers drive it the same way. Deterministic, no global state, requests
 * run to completion (a lock that would block answers BLOCKED instead).
 *
 * Confinement: every name the client sends is a single path component,
 * resolved with openat2(RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS |
 * RESOLVE_NO_MAGICLINKS) from a descriptor of the directory it names, so
 * neither "..", nor symlinks (absolute or relative, or swapped in during a
 * walk), nor /proc magic links lead outside the export; fids hold O_PATH
 * descriptors of their files, never paths. Not thread-safe: the caller
 * serialises requests. */
#ifndef MR_P9_SERVER_H
#define MR_P9_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "devices/p9_fid.h"

#define P9_MAX_MSIZE  (512U * 1024)     /* the most msize Tversion gets */
#define P9_MIN_MSIZE  4096U             /* less and Tversion fails */
#define P9_MAX_FIDS   16384U            /* open fids per export */
#define P9_MAX_WALK   16                /* names in one Twalk (intro(5)) */
#define P9_VERSION    "9P2000.L"

struct p9_server {
	int root_fd;            /* O_PATH descriptor of the export's directory */
	bool read_only;         /* every modifying request answers EROFS */
	dev_t root_dev;
	uint32_t msize;         /* negotiated by Tversion */
	struct p9_fids fids;
};

/* A server for the directory `root_fd` (O_PATH or not; the server owns it
 * from now on) with at most `max_fids` fids. */
int p9_server_init(struct p9_server *s, int root_fd, bool read_only, unsigned max_fids)
	__attribute__((warn_unused_result));
void p9_server_destroy(struct p9_server *s);

/* Answers the request in `req` (its bytes, in order, across the buffers)
 * with a reply written into `rep`. Returns the reply's length, an Rlerror
 * where the request fails, or -EINVAL when there is no answering at all:
 * fewer than 7 bytes of request, or no room for an Rlerror. */
ssize_t p9_server_handle(struct p9_server *s, const struct iovec *req, unsigned nreq,
			 const struct iovec *rep, unsigned nrep);

#endif
