/* A 9P client for the unit tests, playing Linux's 9pnet_virtio: it brings
 * the virtio-9p device up through the virtio-mmio transport, lays each
 * request out as 9pnet_virtio does (the request, then room for the reply
 * of msize bytes, each split at guest page boundaries; zero-copy Tread and
 * Twrite with the data in separate buffers), kicks, takes the interrupt
 * and reads the reply back. The export is a fresh temporary directory; a
 * sibling directory "outside" holds a file "secret" no request may reach.
 *
 * One client at a time (state is file-static, as Check forks each test). */
#ifndef MR_TEST_P9_CLIENT_H
#define MR_TEST_P9_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "devices/p9_msg.h"
#include "devices/virtio_9p.h"

#define P9C_MSIZE   (128 * 1024)        /* what Linux 6.1 asks for by default */
#define P9C_ROOT    0                   /* the fid p9c_start attaches */
#define P9C_TAG     "share"
#define P9C_SECRET  "top secret\n"

/* Device up, Tversion and Tattach done (fid P9C_ROOT), on a server with
 * at most `max_fids` fids. */
void p9c_start(bool read_only, unsigned max_fids);
void p9c_stop(void);
/* Probe again, as a driver does after a reset: status, features, queue. */
void p9c_probe(void);
struct virtio_9p *p9c_device(void);
struct virtio_mmio *p9c_transport(void);

/* A host path: in the export (`rel` relative to it), or of the base
 * holding the export and "outside". Static buffers, one of each. */
const char *p9c_path(const char *rel);
const char *p9c_base(void);
/* Host-side fixtures. */
void p9c_host_write(const char *rel, const char *text);
/* The file's contents, NUL-terminated, in a static buffer. */
const char *p9c_host_read(const char *rel);

/* Building a request: header, then fields. */
void p9c_begin(uint8_t type);
void p9c_u8(uint8_t v);
void p9c_u16(uint16_t v);
void p9c_u32(uint32_t v);
void p9c_u64(uint64_t v);
void p9c_str(const char *s);
void p9c_bytes(const void *p, size_t len);
/* Overwrite the size field, after p9c_begin and the fields. */
void p9c_set_size(uint32_t size);
/* The request's bytes so far. */
size_t p9c_len(void);

/* Sends it in a chain of the request and `reply_room` bytes: the used
 * length (0 when the device gave the chain back empty). */
uint32_t p9c_send_room(uint32_t reply_room);
/* With msize bytes of room; the reply's type. The reply must be as long
 * as its size field says and carry the request's tag. */
uint8_t p9c_send(void);
/* Sends it and expects Rlerror: the errno. */
uint32_t p9c_error(void);

/* Reading the reply after its header. */
uint8_t p9c_r8(void);
uint16_t p9c_r16(void);
uint32_t p9c_r32(void);
uint64_t p9c_r64(void);
void p9c_rstr(char *buf, size_t size);
struct p9_qid p9c_rqid(void);
/* The reply's bytes, from its first. */
const uint8_t *p9c_reply(void);
uint32_t p9c_reply_len(void);
/* Bytes of the reply not read yet. */
uint32_t p9c_left(void);

/* Requests: 0 or the Rlerror errno (positive). */
uint32_t p9c_walk(uint32_t fid, uint32_t newfid, unsigned n, const char *const *names,
		  uint16_t *nwqid, struct p9_qid *qids);
/* A walk of one path "a/b/c" (or "" for a clone) that must succeed fully. */
uint32_t p9c_walk_path(uint32_t fid, uint32_t newfid, const char *path);
uint32_t p9c_clunk(uint32_t fid);
uint32_t p9c_lopen(uint32_t fid, uint32_t flags);
uint32_t p9c_lcreate(uint32_t dirfid, const char *name, uint32_t flags, uint32_t mode);
/* Twrite/Tread: the count, or minus the errno. */
int64_t p9c_write(uint32_t fid, uint64_t offset, const void *data, uint32_t len);
int64_t p9c_read(uint32_t fid, uint64_t offset, void *buf, uint32_t count);
/* Zero-copy, as 9pnet_virtio sends large ones: data in buffers of its own. */
int64_t p9c_write_zc(uint32_t fid, uint64_t offset, const void *data, uint32_t len);
int64_t p9c_read_zc(uint32_t fid, uint64_t offset, void *buf, uint32_t count);
uint32_t p9c_mkdir(uint32_t dirfid, const char *name, uint32_t mode);
uint32_t p9c_unlinkat(uint32_t dirfid, const char *name, uint32_t flags);
uint32_t p9c_getattr(uint32_t fid, struct p9_qid *qid, uint32_t *mode, uint64_t *size);

#endif
