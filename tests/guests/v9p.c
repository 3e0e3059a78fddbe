/* v9p: a 9P2000.L client over virtio-9p (VIRTIO 1.2, 5.11), as small as
 * a client can be: Tversion, Tattach, Twalk to hello.txt, Tlopen, Tread,
 * printing each answer on the UART for run.sh to compare, and the file's
 * content. Then what a hostile guest tries: a walk to a missing name; ways
 * out of the export to the file the test put beside it, through ".." and
 * through symlinks in the export (relative and absolute), which must be
 * refused (if one is not, the file's content is printed after "LEAKED");
 * opening hello.txt for writing, which a read-only export answers with
 * EROFS; and malformed messages (p9hostile.c), after which the server
 * must still serve. Powers off (0) when every request got an answer;
 * resets (122) when one did not. */
#include <linux/virtio_9p.h>

#include "lib.h"
#include "p9hostile.h"

#define ROOT_FID        1
#define FILE_FID        2
#define OUT_FID         3
#define O_WRONLY        1       /* Linux's open flags, as 9P2000.L carries them */

static uint8_t ring[VIO_RING_BYTES] __attribute__((aligned(4096)));
static struct vio_dev dev;

static void say(const char *what)
{
	puts("v9p: ");
	puts(what);
}

/* "Rlerror N" for an error answer; 1 if it was one. */
static int put_if_error(uint8_t type)
{
	if (type != P9C_RLERROR)
		return 0;
	puts("Rlerror ");
	put_dec(p9c_get(P9C_HDR, 4));
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
	p9c_fail(what);
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
	p9c_begin(P9C_TVERSION);
	p9c_put(P9C_MSIZE, 4);
	p9c_put_str("9P2000.L");
	expect(p9c_transact(&dev, 1), P9C_RVERSION, "Tversion");
	say("Rversion msize ");
	put_dec(p9c_get(7, 4));
	putc(' ');
	for (uint32_t i = 0; i < p9c_get(11, 2) && i < 16; i++)
		putc((char)p9c_rbuf[13 + i]);
	putc('\n');
}

static void attach(void)
{
	p9c_begin(P9C_TATTACH);
	p9c_put(ROOT_FID, 4);
	p9c_put(P9C_NOFID, 4);  /* afid: no authentication */
	p9c_put_str("");        /* uname */
	p9c_put_str("");        /* aname */
	p9c_put(0, 4);          /* n_uname */
	expect(p9c_transact(&dev, 1), P9C_RATTACH, "Tattach");
	say("Rattach qid type 0x");
	put_hex(p9c_rbuf[7]);
	putc('\n');
}

/* Tlopen read-only and Tread from 0; prints what came back. */
static void open_and_read(uint32_t fid)
{
	expect(p9c_lopen(&dev, fid, 0), P9C_RLOPEN, "Tlopen");
	say("Rlopen qid type 0x");
	put_hex(p9c_rbuf[7]);
	putc('\n');
	expect(p9c_read(&dev, fid, 0, 200), P9C_RREAD, "Tread");
	uint32_t n = (uint32_t)p9c_get(7, 4);
	say("Rread ");
	put_dec(n);
	puts(" bytes: ");
	for (uint32_t i = 0; i < n && i < 200; i++)
		putc((char)p9c_rbuf[11 + i]);
}

static void walk_to_file(void)
{
	expect(p9c_walk(&dev, ROOT_FID, FILE_FID, "hello.txt", NULL), P9C_RWALK, "Twalk hello.txt");
	say("Rwalk hello.txt: ");
	put_dec(p9c_get(7, 2));
	puts(" qid, type 0x");
	put_hex(p9c_rbuf[9]);
	putc('\n');
}

static void walk_missing(void)
{
	say("walk missing.txt: ");
	if (!put_if_error(p9c_walk(&dev, ROOT_FID, OUT_FID, "missing.txt", NULL)))
		puts("not refused");
	putc('\n');
}

/* A way to the file outside the export: walk `a` (then `b`) and open
 * read-only. 9P: a walk that fails after the first name answers Rwalk
 * with fewer qids than names, and newfid is not made. */
static void escape(const char *what, const char *a, const char *b)
{
	uint8_t type = p9c_walk(&dev, ROOT_FID, OUT_FID, a, b);

	say(what);
	puts(": ");
	if (type == P9C_RLERROR || (type == P9C_RWALK && p9c_get(7, 2) < (b ? 2u : 1u))) {
		puts("refused\n");
		return;
	}
	if (p9c_lopen(&dev, OUT_FID, 0) == P9C_RLERROR) {
		puts("refused\n");
	} else {
		puts("LEAKED\n");
		open_and_read(OUT_FID);
	}
	p9c_clunk(&dev, OUT_FID);
}

/* A fresh fid for hello.txt, opened, read and clunked. */
static void read_afresh(void)
{
	expect(p9c_walk(&dev, ROOT_FID, OUT_FID, "hello.txt", NULL), P9C_RWALK, "Twalk hello.txt");
	open_and_read(OUT_FID);
	expect(p9c_clunk(&dev, OUT_FID), P9C_RCLUNK, "Tclunk");
}

static void open_for_writing(void)
{
	expect(p9c_walk(&dev, ROOT_FID, OUT_FID, "hello.txt", NULL), P9C_RWALK, "Twalk hello.txt");
	say("open hello.txt for writing: ");
	if (!put_if_error(p9c_lopen(&dev, OUT_FID, O_WRONLY)))
		puts("Rlopen");
	putc('\n');
	expect(p9c_clunk(&dev, OUT_FID), P9C_RCLUNK, "Tclunk");
}

void guest_main(const struct boot_params *bp)
{
	(void)bp;
	if (vio_find(&dev, VIRTIO_ID_9P, 0) ||
	    vio_start(&dev, 1ull << VIRTIO_9P_MOUNT_TAG, ring, 8))
		p9c_fail("no virtio-9p device that completes set-up");
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
	p9hostile_run(&dev, ROOT_FID, FILE_FID);
	say("still serving\n");
	read_afresh();
	expect(p9c_clunk(&dev, FILE_FID), P9C_RCLUNK, "Tclunk");
	expect(p9c_clunk(&dev, ROOT_FID), P9C_RCLUNK, "Tclunk");
	say("done\n");
	poweroff();
}
