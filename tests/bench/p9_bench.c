/* Benchmark of the 9P server's request path, driven directly through
 * p9_server_handle() as the virtio-9p device drives it (no VM, no
 * virtqueue): 512 KiB Tread throughput from a page-cached file beside
 * plain pread(2) of the same sizes into the same buffer, and Twalk +
 * Tgetattr + Tclunk rounds per second. Prints medians of ROUNDS rounds;
 * judges nothing. Usage: p9_bench [DIR] (a temporary directory in DIR,
 * default /tmp). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "devices/p9_msg.h"
#include "devices/p9_server.h"

#define FILE_SIZE (256U << 20)
#define MSIZE     P9_MAX_MSIZE
#define COUNT     (MSIZE - 11)  /* a Tread's data in one msize reply */
#define ROUNDS    9
#define OPS_TIME  0.3           /* seconds of metadata requests per round */

static uint8_t req[256], hdr[64];
static uint8_t *data;
static size_t req_len;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void put(const void *p, size_t n)
{
	memcpy(req + req_len, p, n);
	req_len += n;
}

static void begin(uint8_t type)
{
	uint32_t size = 0;
	uint16_t tag = 1;

	req_len = 0;
	put(&size, 4);
	put(&type, 1);
	put(&tag, 2);
}

static void u32(uint32_t v) { put(&v, 4); }
static void u64(uint64_t v) { put(&v, 8); }

static void str(const char *s)
{
	uint16_t n = (uint16_t)strlen(s);

	put(&n, 2);
	put(s, n);
}

/* Sends the request; the reply's type (its header lands in hdr, the rest
 * in data, as a zero-copy Tread would have it). */
static uint8_t send(struct p9_server *s)
{
	uint32_t size = (uint32_t)req_len;
	memcpy(req, &size, 4);
	struct iovec rq = { req, req_len };
	struct iovec rp[2] = { { hdr, 11 }, { data, MSIZE - 11 } };
	ssize_t n = p9_server_handle(s, &rq, 1, rp, 2);

	if (n < P9_HDR_SIZE) {
		fprintf(stderr, "p9_bench: no reply (%zd)\n", n);
		exit(1);
	}
	return hdr[4];
}

static void expect(struct p9_server *s, uint8_t type)
{
	uint8_t got = send(s);

	if (got != type + 1) {
		uint32_t err;
		memcpy(&err, hdr + 7, 4);
		fprintf(stderr, "p9_bench: request %u failed: %s\n", type, strerror((int)err));
		exit(1);
	}
}

static double median(double *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			double t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static double tread_mbs(struct p9_server *s)
{
	double t0 = now();

	for (uint64_t off = 0; off < FILE_SIZE; off += COUNT) {
		begin(P9_TREAD);
		u32(1);
		u64(off);
		u32(COUNT);
		expect(s, P9_TREAD);
	}
	return FILE_SIZE / (now() - t0) / 1e6;
}

static double pread_mbs(int fd)
{
	double t0 = now();

	for (uint64_t off = 0; off < FILE_SIZE; off += COUNT)
		if (pread(fd, data, COUNT, (off_t)off) < 0)
			exit(1);
	return FILE_SIZE / (now() - t0) / 1e6;
}

static double metadata_ops(struct p9_server *s)
{
	double t0 = now(), t;
	unsigned n = 0;

	do {
		for (unsigned i = 0; i < 256; i++, n++) {
			begin(P9_TWALK);
			u32(0);
			u32(2);
			put(&(uint16_t){ 1 }, 2);
			str("file");
			expect(s, P9_TWALK);
			begin(P9_TGETATTR);
			u32(2);
			u64(0x7ff);
			expect(s, P9_TGETATTR);
			begin(P9_TCLUNK);
			u32(2);
			expect(s, P9_TCLUNK);
		}
		t = now() - t0;
	} while (t < OPS_TIME);
	return n / t;
}

static int make_file(const char *dir, char *path, size_t size)
{
	snprintf(path, size, "%s/file", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -1;
	memset(data, 0x5a, MSIZE);
	for (uint64_t off = 0; off < FILE_SIZE; off += MSIZE)
		if (pwrite(fd, data, MSIZE, (off_t)off) != MSIZE)
			return -1;
	return fd;
}

static void session(struct p9_server *s)
{
	begin(P9_TVERSION);
	u32(MSIZE);
	str(P9_VERSION);
	expect(s, P9_TVERSION);
	begin(P9_TATTACH);
	u32(0);
	u32(P9_NOFID);
	str("bench");
	str("");
	u32(0);
	expect(s, P9_TATTACH);
	begin(P9_TWALK);
	u32(0);
	u32(1);
	put(&(uint16_t){ 1 }, 2);
	str("file");
	expect(s, P9_TWALK);
	begin(P9_TLOPEN);
	u32(1);
	u32(0);
	expect(s, P9_TLOPEN);
}

int main(int argc, char **argv)
{
	char dir[4096], path[4200];
	double t9[ROUNDS], tp[ROUNDS], ops[ROUNDS];
	struct p9_server s;

	snprintf(dir, sizeof(dir), "%s/microrun-p9-bench-XXXXXX", argc > 1 ? argv[1] : "/tmp");
	data = malloc(MSIZE);
	if (!data || !mkdtemp(dir))
		return 1;
	int fd = make_file(dir, path, sizeof(path));
	int root = open(dir, O_PATH | O_DIRECTORY);
	if (fd < 0 || root < 0 || p9_server_init(&s, root, true, P9_MAX_FIDS)) {
		fprintf(stderr, "p9_bench: cannot set up in %s: %s\n", dir, strerror(errno));
		return 1;
	}
	session(&s);
	pread_mbs(fd); /* into the page cache */
	for (int r = 0; r < ROUNDS; r++) {
		t9[r] = tread_mbs(&s);
		tp[r] = pread_mbs(fd);
		ops[r] = metadata_ops(&s);
	}
	double m9 = median(t9, ROUNDS), mp = median(tp, ROUNDS);
	printf("9p Tread %u KiB, page-cached %u MiB file: %8.0f MB/s (median of %d)\n",
	       COUNT >> 10, FILE_SIZE >> 20, m9, ROUNDS);
	printf("plain pread, same sizes and buffer:       %8.0f MB/s   Tread at %.0f%% (goal >= 80%%)\n",
	       mp, 100 * m9 / mp);
	printf("Twalk+Tgetattr+Tclunk:                    %8.0f rounds/s (median of %d)\n",
	       median(ops, ROUNDS), ROUNDS);
	p9_server_destroy(&s);
	close(fd);
	unlink(path);
	rmdir(dir);
	free(data);
	return 0;
}
