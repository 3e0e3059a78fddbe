/* virtio-blk's request path timed on the host (`make bench-devices`),
 * beside plain preadv(2) on the same file in the same run: what the device
 * model costs on top of the read itself (issue 3's goal: at least 90% of
 * preadv). Prints figures, judges nothing.
 *
 *   blk_bench [ROUNDS]
 *
 * The device sits behind the virtio-mmio transport, over a page-cached
 * temporary file in $TMPDIR (written, then read once), with a plain buffer
 * as guest RAM. The driver is the unit tests' (tests/unit/virtio_driver.h,
 * virtio_mmio_driver.h), playing Linux's virtio_blk: it negotiates what
 * Linux does (indirect descriptors and EVENT_IDX included), lays a request
 * out as virtblk_add_req does (header, data pages, status byte), kicks when
 * the device asks, takes the interrupt (status read, acknowledge) and reads
 * the used ring. preadv gets the same offsets, and as many guest pages as
 * its iovecs, so the two differ by the device's part alone: the
 * notification, the chain walk and its checks, the used ring, the
 * interrupt decision. Rows:
 *   - sequential reads of the whole file, 1 MiB requests of 256 pages;
 *   - random 4 KiB reads at page-aligned offsets (a fixed sequence), one
 *     request per kick, then 32 made available per kick.
 * Each is run ROUNDS times (default 9), the device and preadv taking turns
 * every few requests (a few hundred microseconds), so that a loaded
 * machine slows both alike, on parts of the file and of guest RAM far
 * apart. Rates are per second of the thread's CPU time; the figures are
 * the medians of the rates and of each round's ratio. Before timing, one
 * request of each kind is checked to bring the file's bytes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "src/guest_mem.h"
#include "tests/unit/virtio_driver.h"
#include "tests/unit/virtio_mmio_driver.h"

#define KIB		1024ULL
#define MIB		(1024 * KIB)
#define FILE_SIZE	(128 * MIB)
#define RAM_SIZE	(72 * MIB)
#define RINGS		0x10000ULL	/* the queue, as vring_init lays it out */
#define TABLES		0x20000ULL	/* indirect tables */
#define HEADERS		0x100000ULL	/* request headers and status bytes */
#define DATA		(2 * MIB)	/* the pages the device reads into, in turn */
#define DATA_SIZE	(32 * MIB)	/* then as many for preadv's */
#define PAGE		(4 * KIB)
#define SEQ_PAGES	256		/* 1 MiB per request */
#define RANDOM_READS	32768
#define MAX_DEPTH	32

#define BIT(n)		(1ULL << (n))
/* What Linux's virtio_blk asks for and this device may offer. */
#define FEATURES (BIT(VIRTIO_F_VERSION_1) | BIT(VIRTIO_RING_F_INDIRECT_DESC) |           \
		  BIT(VIRTIO_RING_F_EVENT_IDX) | BIT(VIRTIO_BLK_F_SEG_MAX) |               \
		  BIT(VIRTIO_BLK_F_BLK_SIZE) | BIT(VIRTIO_BLK_F_FLUSH))

struct bench {
	struct guest_mem mem;
	struct virtio_mmio t;
	struct virtio_blk blk;
	struct vdrv drv;
	int fd;
	bool irq;
	uint64_t offsets[RANDOM_READS];	/* of the random reads */
};

/* One workload: `n` requests of `pages` pages, `depth` per kick, at
 * offset(i). */
struct workload {
	const char *name;
	unsigned n, pages, depth;
	unsigned block;	/* requests timed at a go; divides n */
	uint64_t (*offset)(const struct bench *b, unsigned i);
};

static void set_irq(void *ctx, bool level)
{
	((struct bench *)ctx)->irq = level;
}

/* This thread's CPU time, user and system: everything either side does
 * runs on it, and time spent descheduled on a busy machine does not count. */
static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The guest page request `i` reads page `k` into: the device's data area
 * or preadv's, in turn. */
static uint64_t page_gpa(const struct workload *w, bool device, unsigned i, unsigned k)
{
	uint64_t slots = DATA_SIZE / (w->pages * PAGE);

	return DATA + (device ? 0 : DATA_SIZE) + ((i % slots) * w->pages + k) * PAGE;
}

static uint64_t seq_offset(const struct bench *b, unsigned i)
{
	(void)b;
	return (uint64_t)i * SEQ_PAGES * PAGE;
}

static uint64_t random_offset(const struct bench *b, unsigned i)
{
	return b->offsets[i];
}

/* --- the device and the driver ------------------------------------------ */

/* Request `i` of `w` made available: header, its pages, status byte. */
static void add_request(struct bench *b, const struct workload *w, unsigned i)
{
	struct vbuf chain[SEQ_PAGES + 2];
	unsigned slot = i % MAX_DEPTH;
	uint64_t hdr = HEADERS + slot * 64;
	struct virtio_blk_outhdr *h = vdrv_host(&b->drv, hdr, sizeof(*h));

	*h = (struct virtio_blk_outhdr){ .type = VIRTIO_BLK_T_IN,
					 .sector = w->offset(b, i) / VIRTIO_BLK_SECTOR };
	chain[0] = (struct vbuf){ sizeof(*h), 0, hdr };
	for (unsigned k = 0; k < w->pages; k++)
		chain[k + 1] = (struct vbuf){ PAGE, VIRTQ_DESC_F_WRITE, page_gpa(w, true, i, k) };
	chain[w->pages + 1] = (struct vbuf){ 1, VIRTQ_DESC_F_WRITE, hdr + 32 };
	vdrv_add(&b->drv, chain, w->pages + 2);
}

/* vm_interrupt, then virtblk_done: every used request must be a whole,
 * successful read. */
static int complete(struct bench *b, const struct workload *w, unsigned count)
{
	struct virtq_used_elem e;

	if (b->irq) {
		uint32_t why = vmdrv_read(&b->t, VIRTIO_MMIO_INTERRUPT_STATUS);
		vmdrv_write(&b->t, VIRTIO_MMIO_INTERRUPT_ACK, why);
	}
	for (unsigned got = 0; got < count; got++) {
		if (!vdrv_get_used(&b->drv, &e) || e.len != w->pages * PAGE + 1)
			return -EIO;
		/* virtqueue_get_buf asks to hear of the next one */
		__atomic_store_n(vdrv_used_event(&b->drv), b->drv.last_used, __ATOMIC_SEQ_CST);
	}
	return 0;
}

/* Requests [first, end) of `w` through the device. */
static int run_device(struct bench *b, const struct workload *w, unsigned first, unsigned end)
{
	for (unsigned i = first; i < end; i += w->depth) {
		unsigned count = end - i < w->depth ? end - i : w->depth;
		for (unsigned k = 0; k < count; k++)
			add_request(b, w, i + k);
		if (vdrv_kick_prepare(&b->drv))
			vmdrv_write(&b->t, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
		if (complete(b, w, count) < 0)
			return -EIO;
	}
	return 0;
}

/* The same reads, into the same pages, by preadv. */
static int run_preadv(struct bench *b, const struct workload *w, unsigned first, unsigned end)
{
	struct iovec iov[SEQ_PAGES];

	for (unsigned i = first; i < end; i++) {
		uint8_t *pages = vdrv_host(&b->drv, page_gpa(w, false, i, 0), w->pages * PAGE);
		for (unsigned k = 0; k < w->pages; k++)
			iov[k] = (struct iovec){ pages + k * PAGE, PAGE };
		if (preadv(b->fd, iov, (int)w->pages, (off_t)w->offset(b, i)) !=
		    (ssize_t)(w->pages * PAGE))
			return -EIO;
	}
	return 0;
}

/* Request 0 of `w` read by the device must equal the file's bytes. */
static int check_bytes(struct bench *b, const struct workload *w)
{
	static uint8_t want[SEQ_PAGES * PAGE];
	if (run_device(b, w, 0, 1) < 0 ||
	    pread(b->fd, want, w->pages * PAGE, (off_t)w->offset(b, 0)) != (ssize_t)(w->pages * PAGE))
		return -EIO;
	for (unsigned k = 0; k < w->pages; k++)
		if (memcmp(vdrv_host(&b->drv, page_gpa(w, true, 0, k), PAGE), want + k * PAGE, PAGE))
			return -EIO;
	return 0;
}

/* --- set-up ------------------------------------------------------------ */

/* A temporary file of FILE_SIZE bytes, none zero, in the page cache. */
static int page_cached_file(void)
{
	char path[4096];
	static uint8_t chunk[MIB];
	const char *dir = getenv("TMPDIR");

	snprintf(path, sizeof(path), "%s/blk_bench.XXXXXX", dir && *dir ? dir : "/tmp");
	int fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	unlink(path);
	for (uint64_t off = 0; off < FILE_SIZE; off += sizeof(chunk)) {
		for (size_t i = 0; i < sizeof(chunk); i++)
			chunk[i] = (uint8_t)((off + i) * 7 / 4093 + 1) | 1;
		if (pwrite(fd, chunk, sizeof(chunk), (off_t)off) != (ssize_t)sizeof(chunk)) {
			close(fd);
			return -EIO;
		}
	}
	for (uint64_t off = 0; off < FILE_SIZE; off += sizeof(chunk))
		if (pread(fd, chunk, sizeof(chunk), (off_t)off) != (ssize_t)sizeof(chunk)) {
			close(fd);
			return -EIO;
		}
	return fd;
}

static int setup(struct bench *b)
{
	const struct virtio_mmio_ops ops = { .set_irq = set_irq, .ctx = b };
	struct virtio_blk_backend be = { .size = FILE_SIZE };
	int err = gmem_create(&b->mem, RAM_SIZE, 3ULL << 30);

	if (err)
		return err;
	b->fd = be.fd = page_cached_file();
	if (b->fd < 0)
		return b->fd;
	b->drv = (struct vdrv){ .tables = TABLES, .tables_end = HEADERS };
	virtio_blk_init(&b->blk, &be, &b->t, &b->mem);
	virtio_mmio_init(&b->t, &virtio_blk_ops, &b->blk, virtio_blk_features(&b->blk), &ops,
			 &b->mem);
	srand(42);
	for (unsigned i = 0; i < RANDOM_READS; i++)
		b->offsets[i] = (uint64_t)rand() % (FILE_SIZE / PAGE) * PAGE;
	return vmdrv_bring_up(&b->t, &b->drv, VIRTIO_ID_BLOCK, FEATURES, RINGS);
}

/* --- figures ------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, unsigned n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Times one of the two over requests [first, first + count): seconds. */
static double timed(struct bench *b, const struct workload *w, bool device, unsigned first,
		    unsigned count)
{
	double t0 = now();
	int err = device ? run_device(b, w, first, first + count)
			 : run_preadv(b, w, first, first + count);
	return err ? -1 : now() - t0;
}

/* One pass over `w` each, the device and preadv taking turns every `block`
 * requests, so that what else the machine does weighs on both alike. Each
 * takes the requests half the file away from the other's, into pages of
 * its own (page_gpa): neither finds in the CPU's caches what the other
 * just brought there. Which goes first alternates. Sets the seconds each took. */
static int one_round(struct bench *b, const struct workload *w, double *dev, double *plain)
{
	unsigned shift = w->n / 2 + w->block;

	*dev = *plain = 0;
	for (unsigned i = 0; i < w->n; i += w->block) {
		unsigned j = (i + shift) % w->n;
		bool device_first = i / w->block % 2;
		double a = timed(b, w, device_first, device_first ? i : j, w->block);
		double c = timed(b, w, !device_first, device_first ? j : i, w->block);
		if (a < 0 || c < 0)
			return -EIO;
		*dev += device_first ? a : c;
		*plain += device_first ? c : a;
	}
	return 0;
}

/* Times `w` `rounds` times; prints its row: the medians of the rates, and
 * of each round's ratio. */
static int measure(struct bench *b, const struct workload *w, unsigned rounds)
{
	double dev[rounds], plain[rounds], ratio[rounds];
	double per = w->pages == SEQ_PAGES ? (double)w->n * w->pages * PAGE / 1e6 : w->n;

	if (check_bytes(b, w) < 0)
		return -EIO;
	for (unsigned r = 0; r < rounds; r++) {
		if (one_round(b, w, &dev[r], &plain[r]) < 0)
			return -EIO;
		ratio[r] = plain[r] / dev[r];
		dev[r] = per / dev[r];
		plain[r] = per / plain[r];
	}
	const char *unit = w->pages == SEQ_PAGES ? "MB/s" : "IOPS";
	printf("%-36s %10.0f %s %10.0f %s %8.1f%%\n", w->name, median(dev, rounds), unit,
	       median(plain, rounds), unit, 100 * median(ratio, rounds));
	return 0;
}

int main(int argc, char **argv)
{
	static struct bench b;
	unsigned rounds = argc > 1 ? (unsigned)strtoul(argv[1], NULL, 10) : 9;
	const struct workload loads[] = {
		{ "sequential reads, 1 MiB requests", FILE_SIZE / (SEQ_PAGES * PAGE), SEQ_PAGES, 1,
		  4, seq_offset },
		{ "random 4 KiB reads, 1 per kick", RANDOM_READS, 1, 1, 256, random_offset },
		{ "random 4 KiB reads, 32 per kick", RANDOM_READS, 1, MAX_DEPTH, 256, random_offset },
	};

	if (argc > 2 || rounds == 0 || rounds > 999) {
		fprintf(stderr, "usage: blk_bench [ROUNDS (1-999)]\n");
		return 2;
	}
	int err = setup(&b);
	if (err) {
		fprintf(stderr, "blk_bench: setting up the device over a file in $TMPDIR: %s\n",
			strerror(-err));
		return 1;
	}
	printf("# virtio-blk's request path beside plain preadv, page-cached %llu MiB file;\n"
	       "# per CPU second, medians of %u rounds, the two taking turns;\n"
	       "# goal: virtio-blk >= 90%% of preadv\n",
	       (unsigned long long)(FILE_SIZE / MIB), rounds);
	printf("%-36s %15s %15s %9s\n", "workload", "virtio-blk", "preadv", "of preadv");
	for (size_t i = 0; i < sizeof(loads) / sizeof(loads[0]); i++)
		if (measure(&b, &loads[i], rounds) < 0) {
			fprintf(stderr, "blk_bench: %s: a read failed or brought wrong bytes\n",
				loads[i].name);
			return 1;
		}
	return 0;
}
