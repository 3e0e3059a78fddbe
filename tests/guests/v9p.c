/* v9p: a 9P2000.L client over virtio-9p (VIRTIO 1.2, 5.11), as small as
 * a client can be: Tversion, Tattach, Twalk to hello.txt, Tlopen, Tread,
 * Tclunk, printing each answer on the UART for run.sh to compare, and the
 * file's content. Then what a hostile guest tries: a walk to a missing
 * name; ways out of the export to the file the test put beside it,
 * through ".." and through symlinks in the export (relative and absolute),
 * which must be refused (if one is not, the file's content is printed
 * after "LEAKED"); and opening hello.txt for writing, which a read-only
 * export answers with EROFS.
 * Messages are little-endian: size[4] type[1] tag[2] then the fields
 * (9P2000.L as Linux's net/9p speaks it). Powers off (0) when every
 * request got an answer; resets (122) when one did not. */
#include <linux/virtio_9p.h>

#include "lib.h"
#include "virtio.h"

#define MSIZE           8192
#define NOTAG           0xffff
#define NOFID           0xffffffffu
#define ROOT_FID        1
#define FILE_FID        2
#define OUT_FID         3
#define O_WRONLY        1       /* Linux's open flags, as 9P2000.L carries them */

/* Message types (9P2000.L: Linux's include/net/9p/9p.h). */
enum {
	RLERROR = 7, TLOPEN = 12, RLOPEN = 13, TVERSION = 100, RVERSION = 101,
	TATTACH = 104, RATTACH = 105, TWALK = 110, RWALK = 111, TREAD = 116,
	RREAD = 117, TCLUNK = 120, RCLUNK = 121,
};

#define QID_BYTES       13      /* type[1] version[4] path[8] */

static uint8_t ring[VIO_RING_BYTES] __attribute__((aligned(4096)));
static uint8_t tbuf[256];
static uint8_t rbuf[MSIZE];
static struct vio_dev dev;
static uint32_t tlen;           /* bytes of the T-message being built */
static uint16_t next_tag;

static __attribute__((noreturn)) void fail(const char *what)
{
	puts("v9p: FAIL ");
	puts(what);
	putc('\n');
	reset();
}

static void put_le(uint64_t v, unsigned bytes)
{
	for (unsigned i = 0; i < bytes && tlen < sizeof(tbuf); i++)
		tbuf[tlen++] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(uint32_t off, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = bytes; i-- > 0;)
		v = v << 8 | rbuf[off + i];
	return v;
}

/* A string: len[2] then the bytes, no NUL. */
static void put_str(const char *s)
{
	uint16_t n = 0;

	while (s[n])
		n++;
	put_le(n, 2);
	for (uint16_t i = 0; i < n; i++)
		put_le((uint8_t)s[i], 1);
}

static void begin(uint8_t type)
{
	tlen = 0;
	put_le(0, 4);           /* size, filled in by transact() */
	put_le(type, 1);
	put_le(type == TVERSION ? NOTAG : next_tag++, 2);
}

/* Sends the T-message built since begin(); returns the R-message's type
 * once its size and tag check out. */
static uint8_t transact(void)
{
	struct vio_buf bufs[2] = {
		{ (uintptr_t)tbuf, tlen, 0 },
		{ (uintptr_t)rbuf, sizeof(rbuf), VRING_DESC_F_WRITE },
	};
	struct vring_used_elem e;

	for (unsigned i = 0; i < 4; i++)
		tbuf[i] = (uint8_t)(tlen >> (8 * i));
	memset(rbuf, 0, 16);
	if (vio_submit(&dev, bufs, 2, &e) != VIO_USED)
		fail("no answer from the device");
	vio_ack_interrupt(&dev);
	uint32_t size = (uint32_t)get_le(0, 4);
	if (size < 7 || size > e.len || size > sizeof(rbuf))
		fail("R-message size does not match the used length");
	if (get_le(5, 2) != (uint64_t)(tbuf[5] | tbuf[6] << 8))
		fail("R-message tag is not the T-message's");
	return rbuf[4];
}

static void say(const char *what)
{
	puts("v9p: ");
	puts(what);
}

/* "Rlerror N" for an error answer; 1 if it was one. */
static int put_if_error(uint8_t type)
{
	if (type != RLERROR)
		return 0;
	puts("Rlerror ");
	put_dec(get_le(7, 4));
	return 1;
}

static void expect(uint8_t type, uint8_t want, const char *what)
{
	if (type == want)
		return;
	say(what);
	puts(": ");
	if (!put_if_error(type))
		puts("unexpected message");
	putc('\n');
	fail(what);
}

static void put_tag(void)
{
	volatile uint8_t *cfg = vio_config(&dev);
	uint16_t n = (uint16_t)(cfg[0] | cfg[1] << 8);

	say("virtio-9p found, tag ");
	for (uint16_t i = 0; i < n && i < 64; i++)
		putc((char)cfg[2 + i]);
	putc('\n');
}

static void version(void)
{
	begin(TVERSION);
	put_le(MSIZE, 4);
	put_str("9P2000.L");
	expect(transact(), RVERSION, "Tversion");
	say("Rversion msize ");
	put_dec(get_le(7, 4));
	putc(' ');
	for (uint32_t i = 0; i < get_le(11, 2) && i < 16; i++)
		putc((char)rbuf[13 + i]);
	putc('\n');
}

static void attach(void)
{
	begin(TATTACH);
	put_le(ROOT_FID, 4);
	put_le(NOFID, 4);       /* afid: no authentication */
	put_str("");            /* uname */
	put_str("");            /* aname */
	put_le(0, 4);           /* n_uname */
	expect(transact(), RATTACH, "Tattach");
	say("Rattach qid type 0x");
	put_hex(rbuf[7]);
	putc('\n');
}

/* Twalk from the root to `newfid` through `n` names; the R-message type. */
static uint8_t walk(uint32_t newfid, const char *a, const char *b)
{
	begin(TWALK);
	put_le(ROOT_FID, 4);
	put_le(newfid, 4);
	put_le(b ? 2 : 1, 2);
	put_str(a);
	if (b)
		put_str(b);
	return transact();
}

static void clunk(uint32_t fid)
{
	begin(TCLUNK);
	put_le(fid, 4);
	expect(transact(), RCLUNK, "Tclunk");
}

static uint8_t lopen(uint32_t fid, uint32_t flags)
{
	begin(TLOPEN);
	put_le(fid, 4);
	put_le(flags, 4);
	return transact();
}

/* Tlopen read-only and Tread from 0; prints what came back. */
static void open_and_read(uint32_t fid)
{
	expect(lopen(fid, 0), RLOPEN, "Tlopen");
	say("Rlopen qid type 0x");
	put_hex(rbuf[7]);
	putc('\n');
	begin(TREAD);
	put_le(fid, 4);
	put_le(0, 8);           /* offset */
	put_le(200, 4);         /* count */
	expect(transact(), RREAD, "Tread");
	uint32_t n = (uint32_t)get_le(7, 4);
	say("Rread ");
	put_dec(n);
	puts(" bytes: ");
	for (uint32_t i = 0; i < n && i < 200; i++)
		putc((char)rbuf[11 + i]);
}

static void walk_to_file(void)
{
	expect(walk(FILE_FID, "hello.txt", NULL), RWALK, "Twalk hello.txt");
	say("Rwalk hello.txt: ");
	put_dec(get_le(7, 2));
	puts(" qid, type 0x");
	put_hex(rbuf[9]);
	putc('\n');
}

static void walk_missing(void)
{
	say("walk missing.txt: ");
	if (!put_if_error(walk(OUT_FID, "missing.txt", NULL)))
		puts("not refused");
	putc('\n');
}

/* A way to the file outside the export: walk `a` (then `b`) and open
 * read-only. 9P: a walk that fails after the first name answers Rwalk
 * with fewer qids than names, and newfid is not made. */
static void escape(const char *what, const char *a, const char *b)
{
	uint8_t type = walk(OUT_FID, a, b);

	say(what);
	puts(": ");
	if (type == RLERROR || (type == RWALK && get_le(7, 2) < (b ? 2 : 1))) {
		puts("refused\n");
		return;
	}
	if (lopen(OUT_FID, 0) == RLERROR) {
		puts("refused\n");
	} else {
		puts("LEAKED\n");
		open_and_read(OUT_FID);
	}
	clunk(OUT_FID);
}

static void open_for_writing(void)
{
	expect(walk(OUT_FID, "hello.txt", NULL), RWALK, "Twalk hello.txt");
	say("open hello.txt for writing: ");
	if (!put_if_error(lopen(OUT_FID, O_WRONLY)))
		puts("Rlopen");
	putc('\n');
	clunk(OUT_FID);
}

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	if (vio_find(&dev, VIRTIO_ID_9P, 0) ||
	    vio_start(&dev, 1ull << VIRTIO_9P_MOUNT_TAG, ring, 8))
		fail("no virtio-9p device that completes set-up");
	put_tag();
	version();
	attach();
	walk_to_file();
	walk_missing();
	escape("walk ../outside.txt", "..", "outside.txt");
	escape("open symlink rel -> ../outside.txt", "rel", NULL);
	escape("open symlink abs -> outside.txt's absolute path", "abs", NULL);
	open_for_writing();
	open_and_read(FILE_FID);
	clunk(FILE_FID);
	clunk(ROOT_FID);
	say("done\n");
	poweroff();
}
