#include "tests/unit/p9_client.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "src/guest_mem.h"
#include "tests/unit/virtio_driver.h"
#include "tests/unit/virtio_mmio_driver.h"

#define RAM_SIZE  (32ULL << 20)
#define RINGS     0x10000ULL
#define TABLES    0x20000ULL
#define DATA      0x100000ULL
#define PAGE      4096ULL
#define MAX_BUFS  400
#define BIT(n)    (1ULL << (n))
/* What 9pnet_virtio and virtio_ring ask for. */
#define FEATURES  (BIT(VIRTIO_9P_MOUNT_TAG) | BIT(VIRTIO_F_VERSION_1) | \
		   BIT(VIRTIO_RING_F_INDIRECT_DESC) | BIT(VIRTIO_RING_F_EVENT_IDX))
/* Room for a zero-copy reply header: Rread's size, type, tag, count. */
#define ZC_READ_HDR 11
#define ZC_HDR_SZ   4096        /* P9_ZC_HDR_SZ: a zero-copy Twrite's reply room */

static struct guest_mem mem;
static struct virtio_mmio t;
static struct virtio_9p dev;
static struct vdrv drv;
static bool irq;
static char base[64];
static uint16_t next_tag;

static uint8_t req[P9_MAX_MSIZE + 64];
static size_t req_len;
static uint8_t rep[P9_MAX_MSIZE];
static uint32_t rep_len, rep_pos;

struct virtio_9p *p9c_device(void)
{
	return &dev;
}

struct virtio_mmio *p9c_transport(void)
{
	return &t;
}

/* --- host side ---------------------------------------------------------- */

const char *p9c_base(void)
{
	return base;
}

const char *p9c_path(const char *rel)
{
	static char path[4096];

	snprintf(path, sizeof(path), "%s/export%s%s", base, rel[0] ? "/" : "", rel);
	return path;
}

void p9c_host_write(const char *rel, const char *text)
{
	int fd = open(p9c_path(rel), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

const char *p9c_host_read(const char *rel)
{
	static char buf[65536];
	int fd = open(p9c_path(rel), O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	ck_assert_int_ge(n, 0);
	buf[n] = '\0';
	close(fd);
	return buf;
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

/* --- the transport, as Linux's virtio_mmio drives it --------------------- */

static void set_irq(void *ctx, bool level)
{
	(void)ctx;
	irq = level;
}

static uint32_t rd(uint64_t off)
{
	return vmdrv_read(&t, off);
}

static void wr(uint64_t off, uint32_t v)
{
	vmdrv_write(&t, off, v);
}

/* p9_virtio_probe through vm_find_vqs: one queue, as large as offered. */
void p9c_probe(void)
{
	ck_assert_int_eq(vmdrv_bring_up(&t, &drv, VIRTIO_ID_9P, FEATURES, RINGS), 0);
	ck_assert(drv.indirect && drv.event_idx);
	ck_assert(virtio_mmio_driver_ok(&t));
}

/* One chain through the queue: kick, interrupt, used element. */
static uint32_t run(const struct vbuf *bufs, unsigned n)
{
	struct virtq_used_elem e;
	uint16_t head = vdrv_add(&drv, bufs, n);

	if (vdrv_kick_prepare(&drv))
		wr(VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	ck_assert(irq);
	wr(VIRTIO_MMIO_INTERRUPT_ACK, rd(VIRTIO_MMIO_INTERRUPT_STATUS));
	ck_assert(vdrv_get_used(&drv, &e));
	__atomic_store_n(vdrv_used_event(&drv), drv.last_used, __ATOMIC_SEQ_CST);
	ck_assert_uint_eq(e.id, head);
	return e.len;
}

void p9c_start(bool read_only, unsigned max_fids)
{
	const struct virtio_mmio_ops ops = { .set_irq = set_irq };

	snprintf(base, sizeof(base), "/tmp/microrun-p9-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(base));
	char path[128];
	snprintf(path, sizeof(path), "%s/export", base);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/outside", base);
	ck_assert_int_eq(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/outside/secret", base);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs(P9C_SECRET, f);
	fclose(f);

	ck_assert_int_eq(gmem_create(&mem, RAM_SIZE, 3ULL << 30), 0);
	drv = (struct vdrv){ .data = DATA, .data_end = RAM_SIZE, .tables = TABLES, .tables_end = DATA };
	int root = open(p9c_path(""), O_PATH | O_DIRECTORY | O_CLOEXEC);
	ck_assert_int_ge(root, 0);
	ck_assert_int_eq(virtio_9p_init(&dev, root, read_only, P9C_TAG, &t, &mem), 0);
	if (max_fids != P9_MAX_FIDS) {
		p9_server_destroy(&dev.server);
		root = open(p9c_path(""), O_PATH | O_DIRECTORY | O_CLOEXEC);
		ck_assert_int_eq(p9_server_init(&dev.server, root, read_only, max_fids), 0);
	}
	virtio_mmio_init(&t, &virtio_9p_ops, &dev, virtio_9p_features(), &ops, &mem);
	irq = false;
	next_tag = 1;
	p9c_probe();
	p9c_begin(P9_TVERSION);
	p9c_u32(P9C_MSIZE);
	p9c_str(P9_VERSION);
	ck_assert_uint_eq(p9c_send(), P9_TVERSION + 1);
	ck_assert_uint_eq(p9c_r32(), P9C_MSIZE);
	p9c_begin(P9_TATTACH);
	p9c_u32(P9C_ROOT);
	p9c_u32(P9_NOFID);
	p9c_str("root");
	p9c_str("");
	p9c_u32(0);
	ck_assert_uint_eq(p9c_send(), P9_TATTACH + 1);
}

void p9c_stop(void)
{
	virtio_9p_destroy(&dev);
	gmem_destroy(&mem);
	nftw(base, remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- building requests ----------------------------------------------------- */

static void add(const void *p, size_t len)
{
	ck_assert_uint_le(req_len + len, sizeof(req));
	memcpy(req + req_len, p, len);
	req_len += len;
}

void p9c_begin(uint8_t type)
{
	uint16_t tag = type == P9_TVERSION ? P9_NOTAG : next_tag++;

	req_len = 0;
	p9c_u32(0);
	p9c_u8(type);
	p9c_u16(tag);
}

void p9c_u8(uint8_t v) { add(&v, 1); }
void p9c_u16(uint16_t v) { add(&v, 2); }
void p9c_u32(uint32_t v) { add(&v, 4); }
void p9c_u64(uint64_t v) { add(&v, 8); }
void p9c_bytes(const void *p, size_t len) { add(p, len); }

void p9c_str(const char *s)
{
	p9c_u16((uint16_t)strlen(s));
	add(s, strlen(s));
}

void p9c_set_size(uint32_t size)
{
	memcpy(req, &size, 4);
}

size_t p9c_len(void)
{
	return req_len;
}

/* pack_sg_list: a buffer as one entry per guest page it touches. */
static void add_split(struct vbuf *bufs, unsigned *n, uint64_t gpa, uint32_t len, uint16_t flags)
{
	while (len) {
		uint32_t chunk = (uint32_t)(PAGE - gpa % PAGE);
		if (chunk > len)
			chunk = len;
		ck_assert_uint_lt(*n, MAX_BUFS);
		bufs[(*n)++] = (struct vbuf){ .len = chunk, .flags = flags, .gpa = gpa };
		gpa += chunk;
		len -= chunk;
	}
}

/* A buffer of `len` bytes whose first `shift` lie at the end of a page,
 * so fields straddle buffers. */
static uint64_t place(uint32_t len, uint32_t shift)
{
	uint64_t gpa = vdrv_alloc(&drv, (uint32_t)(len + 2 * PAGE));

	return ((gpa + PAGE - 1) & ~(PAGE - 1)) + PAGE - shift;
}

static uint32_t take_reply(uint64_t gpa, uint32_t used, uint32_t room)
{
	ck_assert_uint_le(used, room);
	memcpy(rep, vdrv_host(&drv, gpa, room), used);
	rep_len = used;
	rep_pos = P9_HDR_SIZE;
	return used;
}

static uint32_t send_split(const void *data, uint32_t data_len, bool data_out, uint32_t room)
{
	struct vbuf bufs[MAX_BUFS];
	unsigned n = 0;
	uint64_t rq = place((uint32_t)req_len, 5), rp = place(room ? room : 1, 3), dgpa = 0;

	memcpy(vdrv_host(&drv, rq, req_len), req, req_len);
	add_split(bufs, &n, rq, (uint32_t)req_len, 0);
	if (data_len) {
		dgpa = place(data_len, 100);
		if (data_out)
			memcpy(vdrv_host(&drv, dgpa, data_len), data, data_len);
		else
			memset(vdrv_host(&drv, dgpa, data_len), 0xa5, data_len);
	}
	if (data_len && data_out)
		add_split(bufs, &n, dgpa, data_len, 0);
	add_split(bufs, &n, rp, room, VIRTQ_DESC_F_WRITE);
	if (data_len && !data_out)
		add_split(bufs, &n, dgpa, data_len, VIRTQ_DESC_F_WRITE);
	uint32_t used = run(bufs, n);
	if (!data_len || data_out)
		return take_reply(rp, used, room);
	/* Zero-copy read: the header in its buffer, the data in the others. */
	take_reply(rp, used < room ? used : room, room);
	if (used > room) {
		memcpy(rep + room, vdrv_host(&drv, dgpa, used - room), used - room);
		rep_len = used;
	}
	return used;
}

uint32_t p9c_send_room(uint32_t reply_room)
{
	return send_split(NULL, 0, false, reply_room);
}

static void check_header(void)
{
	uint32_t size;
	uint16_t tag, sent;

	ck_assert_uint_ge(rep_len, P9_HDR_SIZE);
	memcpy(&size, rep, 4);
	ck_assert_uint_eq(size, rep_len);
	memcpy(&tag, rep + 5, 2);
	memcpy(&sent, req + 5, 2);
	ck_assert_uint_eq(tag, sent);
}

uint8_t p9c_send(void)
{
	uint32_t size;

	memcpy(&size, req, 4);
	if (size == 0)
		p9c_set_size((uint32_t)req_len);
	p9c_send_room(P9C_MSIZE);
	check_header();
	return rep[4];
}

uint32_t p9c_error(void)
{
	ck_assert_uint_eq(p9c_send(), P9_RLERROR);
	ck_assert_uint_eq(rep_len, P9_HDR_SIZE + 4);
	return p9c_r32();
}

/* --- reading replies --------------------------------------------------------- */

static void take(void *p, size_t len)
{
	ck_assert_uint_le(rep_pos + len, rep_len);
	memcpy(p, rep + rep_pos, len);
	rep_pos += (uint32_t)len;
}

uint8_t p9c_r8(void) { uint8_t v; take(&v, 1); return v; }
uint16_t p9c_r16(void) { uint16_t v; take(&v, 2); return v; }
uint32_t p9c_r32(void) { uint32_t v; take(&v, 4); return v; }
uint64_t p9c_r64(void) { uint64_t v; take(&v, 8); return v; }

void p9c_rstr(char *buf, size_t size)
{
	uint16_t len = p9c_r16();

	ck_assert_uint_lt(len, size);
	take(buf, len);
	buf[len] = '\0';
}

struct p9_qid p9c_rqid(void)
{
	struct p9_qid q;

	q.type = p9c_r8();
	q.version = p9c_r32();
	q.path = p9c_r64();
	return q;
}

const uint8_t *p9c_reply(void)
{
	return rep;
}

uint32_t p9c_reply_len(void)
{
	return rep_len;
}

uint32_t p9c_left(void)
{
	return rep_len - rep_pos;
}

/* --- requests -------------------------------------------------------------- */

/* Sends the request built and checks the reply's type: 0, or the errno. */
static uint32_t expect(uint8_t type)
{
	uint8_t got = p9c_send();

	if (got == P9_RLERROR)
		return p9c_r32();
	ck_assert_uint_eq(got, type + 1);
	return 0;
}

uint32_t p9c_walk(uint32_t fid, uint32_t newfid, unsigned n, const char *const *names,
		  uint16_t *nwqid, struct p9_qid *qids)
{
	p9c_begin(P9_TWALK);
	p9c_u32(fid);
	p9c_u32(newfid);
	p9c_u16((uint16_t)n);
	for (unsigned i = 0; i < n; i++)
		p9c_str(names[i]);
	uint32_t err = expect(P9_TWALK);
	if (err)
		return err;
	*nwqid = p9c_r16();
	for (unsigned i = 0; i < *nwqid; i++)
		qids[i] = p9c_rqid();
	ck_assert_uint_eq(p9c_left(), 0);
	return 0;
}

uint32_t p9c_walk_path(uint32_t fid, uint32_t newfid, const char *path)
{
	char copy[1024], *names[P9_MAX_WALK], *save = NULL;
	struct p9_qid qids[P9_MAX_WALK];
	unsigned n = 0;
	uint16_t got;

	snprintf(copy, sizeof(copy), "%s", path);
	for (char *p = strtok_r(copy, "/", &save); p; p = strtok_r(NULL, "/", &save))
		names[n++] = p;
	uint32_t err = p9c_walk(fid, newfid, n, (const char *const *)names, &got, qids);
	if (!err && got != n)
		return ENOENT; /* a partial walk */
	return err;
}

static uint32_t fid_only(uint8_t type, uint32_t fid)
{
	p9c_begin(type);
	p9c_u32(fid);
	return expect(type);
}

uint32_t p9c_clunk(uint32_t fid)
{
	return fid_only(P9_TCLUNK, fid);
}

uint32_t p9c_lopen(uint32_t fid, uint32_t flags)
{
	p9c_begin(P9_TLOPEN);
	p9c_u32(fid);
	p9c_u32(flags);
	uint32_t err = expect(P9_TLOPEN);
	if (!err) {
		p9c_rqid();
		ck_assert_uint_eq(p9c_r32(), 0); /* iounit */
	}
	return err;
}

uint32_t p9c_lcreate(uint32_t dirfid, const char *name, uint32_t flags, uint32_t mode)
{
	p9c_begin(P9_TLCREATE);
	p9c_u32(dirfid);
	p9c_str(name);
	p9c_u32(flags);
	p9c_u32(mode);
	p9c_u32(0);
	uint32_t err = expect(P9_TLCREATE);
	if (!err) {
		ck_assert_uint_eq(p9c_rqid().type, P9_QTFILE);
		ck_assert_uint_eq(p9c_r32(), 0);
	}
	return err;
}

static void io_header(uint8_t type, uint32_t fid, uint64_t offset, uint32_t count)
{
	p9c_begin(type);
	p9c_u32(fid);
	p9c_u64(offset);
	p9c_u32(count);
}

static int64_t count_reply(uint8_t type)
{
	if (rep[4] == P9_RLERROR)
		return -(int64_t)p9c_r32();
	ck_assert_uint_eq(rep[4], type + 1);
	return p9c_r32();
}

int64_t p9c_write(uint32_t fid, uint64_t offset, const void *data, uint32_t len)
{
	io_header(P9_TWRITE, fid, offset, len);
	p9c_bytes(data, len);
	p9c_send();
	return count_reply(P9_TWRITE);
}

int64_t p9c_read(uint32_t fid, uint64_t offset, void *buf, uint32_t count)
{
	io_header(P9_TREAD, fid, offset, count);
	p9c_send();
	int64_t n = count_reply(P9_TREAD);
	if (n > 0) {
		ck_assert_uint_eq(p9c_left(), (uint32_t)n);
		memcpy(buf, rep + rep_pos, (size_t)n);
	}
	return n;
}

int64_t p9c_write_zc(uint32_t fid, uint64_t offset, const void *data, uint32_t len)
{
	io_header(P9_TWRITE, fid, offset, len);
	p9c_set_size((uint32_t)req_len + len);
	send_split(data, len, true, ZC_HDR_SZ);
	check_header();
	return count_reply(P9_TWRITE);
}

int64_t p9c_read_zc(uint32_t fid, uint64_t offset, void *buf, uint32_t count)
{
	io_header(P9_TREAD, fid, offset, count);
	p9c_set_size((uint32_t)req_len);
	send_split(NULL, count, false, ZC_READ_HDR);
	check_header();
	int64_t n = count_reply(P9_TREAD);
	if (n > 0)
		memcpy(buf, rep + ZC_READ_HDR, (size_t)n);
	return n;
}

uint32_t p9c_mkdir(uint32_t dirfid, const char *name, uint32_t mode)
{
	p9c_begin(P9_TMKDIR);
	p9c_u32(dirfid);
	p9c_str(name);
	p9c_u32(mode);
	p9c_u32(0);
	uint32_t err = expect(P9_TMKDIR);
	if (!err)
		ck_assert_uint_eq(p9c_rqid().type, P9_QTDIR);
	return err;
}

uint32_t p9c_unlinkat(uint32_t dirfid, const char *name, uint32_t flags)
{
	p9c_begin(P9_TUNLINKAT);
	p9c_u32(dirfid);
	p9c_str(name);
	p9c_u32(flags);
	return expect(P9_TUNLINKAT);
}

uint32_t p9c_getattr(uint32_t fid, struct p9_qid *qid, uint32_t *mode, uint64_t *size)
{
	p9c_begin(P9_TGETATTR);
	p9c_u32(fid);
	p9c_u64(0x3fff);
	uint32_t err = expect(P9_TGETATTR);
	if (err)
		return err;
	ck_assert_uint_eq(p9c_r64(), P9_GETATTR_BASIC);
	*qid = p9c_rqid();
	*mode = p9c_r32();
	p9c_r32(); /* uid */
	p9c_r32(); /* gid */
	p9c_r64(); /* nlink */
	p9c_r64(); /* rdev */
	*size = p9c_r64();
	for (unsigned i = 0; i < 12; i++)
		p9c_r64(); /* blksize, blocks, 3 times, btime, gen, data_version */
	ck_assert_uint_eq(p9c_left(), 0);
	return 0;
}
