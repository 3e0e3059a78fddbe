/* Fuzz target: the 9P2000.L server (devices/p9_*.c) through its entry
 * point p9_server_handle(), one session per input, on a real export: a
 * temporary tree made once per process and put back as it was after every
 * input that changed it.
 *
 * Input: u8 flags, then records until the input ends:
 *   u16 room    bytes of reply buffer (0: P9_MAX_MSIZE)
 *   message     size[4] type[1] tag[2] ...: as many bytes as its own size
 *               field says, at least a header's 7, at most what the input
 *               still holds (so the last one may come truncated)
 * flags: bit 0 a read-only export; bits 1-3 cut request and reply into
 * buffers of chunks[] bytes, as a virtio chain may (a guard byte after
 * each reply buffer but the last); bits 4-5 the fid limit, max_fids[].
 *
 * The tree, in $TMPDIR, else /dev/shm (a Tfsync there costs no disk
 * flush), else /tmp:
 *   BASE/export/        file, dir/, dir/inner, up -> ../outside,
 *                       abs -> BASE/outside
 *   BASE/outside/       secret, sdir/
 * made at the first input and removed at exit (a crash leaves it behind,
 * named microrun-fuzz-p9.*).
 *
 * Oracle: ASan/UBSan, and what p9_server.h promises: -EINVAL exactly when
 * the request has no header or the reply no room for an Rlerror; else a
 * reply within the buffers and msize, as long as its size field says,
 * with the request's tag, and type T+1 (for a request the server knows)
 * or Rlerror with an errno; BASE, outside/, secret and sdir/ keep every
 * time stamp (atime too: nothing outside is even read) and the secret its
 * bytes; a read-only export does not change; after p9_server_destroy no
 * descriptor is left open. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "devices/p9_msg.h"
#include "devices/p9_server.h"
#include "tests/fuzz/fuzz.h"

#define MAX_IOVS     1100       /* more than a Tread or Twrite takes (1024) */
#define RLERROR_SIZE (P9_HDR_SIZE + 4)
#define GUARD        0xa5
#define FILE_SIZE    1000
#define HASH_READ    4096       /* bytes of a file the tree's hash covers */
#define SECRET       "top secret: never to be read by a 9P client\n"

enum { FLAG_READ_ONLY = 1 };

static const uint32_t chunks[8] = { 0, 1, 2, 3, 8, 61, 512, 4096 };
static const unsigned max_fids[4] = { 16, 1, 4, 256 };

/* Relative to BASE; stat'ed once made, and after every input. */
static const char *const sentinels[] = { ".", "outside", "outside/secret", "outside/sdir" };
#define NSENTINELS (sizeof(sentinels) / sizeof(sentinels[0]))

static struct {
	bool made;
	char base[PATH_MAX];
	int base_fd;                    /* O_PATH */
	uint64_t clean;                 /* the export's hash as made */
	struct stat sentinel[NSENTINELS];
} tree;

static struct iovec req_iov[MAX_IOVS], rep_iov[MAX_IOVS];

/* --- the export's state, as one hash ------------------------------------ */

static void hash(uint64_t *h, const void *p, size_t n)
{
	const uint8_t *b = p;

	for (size_t i = 0; i < n; i++)
		*h = (*h ^ b[i]) * 0x100000001b3ULL; /* FNV-1a */
}

/* Everything a client can change, so atime (which reads change) not. */
static void hash_stat(uint64_t *h, const struct stat *st)
{
	const uint64_t f[] = {
		st->st_ino, st->st_mode, st->st_nlink, st->st_uid, st->st_gid,
		(uint64_t)st->st_size, (uint64_t)st->st_mtim.tv_sec, (uint64_t)st->st_mtim.tv_nsec,
		(uint64_t)st->st_ctim.tv_sec, (uint64_t)st->st_ctim.tv_nsec,
	};

	hash(h, f, sizeof(f));
}

static void hash_errno(uint64_t *h)
{
	int e = errno;

	hash(h, &e, sizeof(e));
}

static void hash_file(uint64_t *h, int dirfd, const char *name)
{
	char buf[HASH_READ];
	int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

	if (fd < 0)
		return hash_errno(h);
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0)
		hash_errno(h);
	else
		hash(h, buf, (size_t)n);
	close(fd);
}

static void hash_link(uint64_t *h, int dirfd, const char *name)
{
	char target[PATH_MAX];
	ssize_t n = readlinkat(dirfd, name, target, sizeof(target));

	if (n < 0)
		hash_errno(h);
	else
		hash(h, target, (size_t)n);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void hash_tree(uint64_t *h, int dirfd, const char *name);

/* The entries in name order: readdir's is the file system's. */
static void hash_dir(uint64_t *h, int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	char **names = NULL;
	size_t n = 0;
	struct dirent *e;

	if (!d)
		return hash_errno(h);
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof(*names));
		FUZZ_CHECK(names && (names[n++] = strdup(e->d_name)));
	}
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	for (size_t i = 0; i < n; i++) {
		hash_tree(h, fd, names[i]);
		free(names[i]);
	}
	free(names);
	closedir(d);
}

static void hash_tree(uint64_t *h, int dirfd, const char *name)
{
	struct stat st;

	hash(h, name, strlen(name) + 1);
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return hash_errno(h);
	hash_stat(h, &st);
	if (S_ISLNK(st.st_mode))
		hash_link(h, dirfd, name);
	else if (S_ISREG(st.st_mode))
		hash_file(h, dirfd, name);
	else if (S_ISDIR(st.st_mode))
		hash_dir(h, dirfd, name);
}

static uint64_t export_hash(void)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	hash_tree(&h, tree.base_fd, "export");
	return h;
}

/* --- making the tree, and putting the export back ----------------------- */

static void remove_tree(int dirfd, const char *name);

/* Until a pass finds nothing: entries removed while readdir runs may make
 * it miss others. */
static void clear_dir(int dirfd, const char *name)
{
	int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = fd < 0 ? NULL : fdopendir(fd);
	struct dirent *e;
	bool again = true;

	FUZZ_CHECK(d);
	while (again) {
		again = false;
		rewinddir(d);
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
				remove_tree(fd, e->d_name);
				again = true;
			}
		}
	}
	closedir(d);
}

/* Whatever modes the client left on the way. */
static void remove_tree(int dirfd, const char *name)
{
	if (!unlinkat(dirfd, name, 0))
		return;
	FUZZ_CHECK(errno == EISDIR && fchmodat(dirfd, name, 0700, 0) == 0);
	clear_dir(dirfd, name);
	FUZZ_CHECK(unlinkat(dirfd, name, AT_REMOVEDIR) == 0);
}

static void write_file(int dirfd, const char *name, const void *data, size_t size)
{
	int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	FUZZ_CHECK(fd >= 0 && write(fd, data, size) == (ssize_t)size && close(fd) == 0);
}

/* The same times every time: the same replies to Tgetattr, as far as
 * inode numbers and ctimes let them be. */
static void set_times(int dirfd, const char *name)
{
	static const struct timespec ts[2] = { { .tv_sec = 1000000000 },
					       { .tv_sec = 1000000000 } };

	FUZZ_CHECK(utimensat(dirfd, name, ts, AT_SYMLINK_NOFOLLOW) == 0);
}

static void populate(int dirfd)
{
	char outside[PATH_MAX + 16], data[FILE_SIZE];

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (char)('a' + i % 26);
	snprintf(outside, sizeof(outside), "%s/outside", tree.base);
	write_file(dirfd, "file", data, sizeof(data));
	FUZZ_CHECK(mkdirat(dirfd, "dir", 0755) == 0);
	write_file(dirfd, "dir/inner", "inner\n", 6);
	FUZZ_CHECK(symlinkat("../outside", dirfd, "up") == 0);
	FUZZ_CHECK(symlinkat(outside, dirfd, "abs") == 0);
	static const char *const names[] = { "file", "dir/inner", "dir", "up", "abs" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		set_times(dirfd, names[i]);
}

/* The export's own inode stays: BASE must not change. */
static void reset_export(void)
{
	FUZZ_CHECK(fchmodat(tree.base_fd, "export", 0700, 0) == 0);
	clear_dir(tree.base_fd, "export");
	int fd = openat(tree.base_fd, "export", O_PATH | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0);
	populate(fd);
	close(fd);
	FUZZ_CHECK(fchownat(tree.base_fd, "export", geteuid(), getegid(), 0) == 0);
	FUZZ_CHECK(fchmodat(tree.base_fd, "export", 0755, 0) == 0);
	set_times(tree.base_fd, "export");
	tree.clean = export_hash();
}

static void remove_base(void)
{
	remove_tree(AT_FDCWD, tree.base);
}

static void make_tree(void)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !tmp[0])
		tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(tree.base, sizeof(tree.base), "%s/microrun-fuzz-p9.XXXXXX", tmp);
	FUZZ_CHECK(mkdtemp(tree.base));
	tree.base_fd = open(tree.base, O_PATH | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(tree.base_fd >= 0 && atexit(remove_base) == 0);
	FUZZ_CHECK(mkdirat(tree.base_fd, "export", 0755) == 0);
	FUZZ_CHECK(mkdirat(tree.base_fd, "outside", 0755) == 0);
	write_file(tree.base_fd, "outside/secret", SECRET, strlen(SECRET));
	FUZZ_CHECK(mkdirat(tree.base_fd, "outside/sdir", 0755) == 0);
	reset_export();
	/* Times set last, atime as old as mtime: under relatime any read of
	 * them now moves their atime. */
	for (size_t i = NSENTINELS; i-- > 0;)
		set_times(tree.base_fd, sentinels[i]);
	for (size_t i = 0; i < NSENTINELS; i++)
		FUZZ_CHECK(fstatat(tree.base_fd, sentinels[i], &tree.sentinel[i],
				   AT_SYMLINK_NOFOLLOW) == 0);
	tree.made = true;
}

/* --- the oracle ---------------------------------------------------------- */

static bool same_time(struct timespec a, struct timespec b)
{
	return a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec;
}

static void check_sentinels(void)
{
	char buf[sizeof(SECRET)];
	struct stat st;

	for (size_t i = 0; i < NSENTINELS; i++) {
		const struct stat *was = &tree.sentinel[i];
		FUZZ_CHECK(fstatat(tree.base_fd, sentinels[i], &st, AT_SYMLINK_NOFOLLOW) == 0);
		FUZZ_CHECK(st.st_ino == was->st_ino && st.st_mode == was->st_mode &&
			   st.st_nlink == was->st_nlink && st.st_uid == was->st_uid &&
			   st.st_gid == was->st_gid && st.st_size == was->st_size);
		FUZZ_CHECK(same_time(st.st_atim, was->st_atim) &&
			   same_time(st.st_mtim, was->st_mtim) &&
			   same_time(st.st_ctim, was->st_ctim));
	}
	/* O_NOATIME: this read must not move the atime just checked. */
	int fd = openat(tree.base_fd, "outside/secret", O_RDONLY | O_NOATIME | O_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && read(fd, buf, sizeof(buf)) == (ssize_t)strlen(SECRET));
	FUZZ_CHECK(memcmp(buf, SECRET, strlen(SECRET)) == 0 && close(fd) == 0);
}

static unsigned open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	unsigned n = 0;

	FUZZ_CHECK(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static bool known_request(uint8_t type)
{
	static const uint8_t types[] = {
		P9_TSTATFS, P9_TLOPEN, P9_TLCREATE, P9_TSYMLINK, P9_TMKNOD, P9_TRENAME,
		P9_TREADLINK, P9_TGETATTR, P9_TSETATTR, P9_TXATTRWALK, P9_TXATTRCREATE,
		P9_TREADDIR, P9_TFSYNC, P9_TLOCK, P9_TGETLOCK, P9_TLINK, P9_TMKDIR,
		P9_TRENAMEAT, P9_TUNLINKAT, P9_TVERSION, P9_TATTACH, P9_TFLUSH, P9_TWALK,
		P9_TREAD, P9_TWRITE, P9_TCLUNK, P9_TREMOVE,
	};

	return memchr(types, type, sizeof(types)) != NULL;
}

/* The first `len` bytes of the reply, across its buffers. */
static void gather(const struct iovec *iov, uint8_t *dst, size_t len)
{
	for (; len; iov++) {
		size_t n = iov->iov_len < len ? iov->iov_len : len;
		memcpy(dst, iov->iov_base, n);
		dst += n;
		len -= n;
	}
}

struct exchange {
	const uint8_t *msg;             /* the request, at least its header */
	uint32_t len, room, msize;      /* msize before it */
	unsigned nrep;
	ssize_t r;
};

static void check_reply(const struct p9_server *s, const struct exchange *x)
{
	uint8_t hdr[RLERROR_SIZE];
	uint32_t size, ecode;

	for (unsigned i = 0; i + 1 < x->nrep; i++)
		FUZZ_CHECK(((uint8_t *)rep_iov[i].iov_base)[rep_iov[i].iov_len] == GUARD);
	FUZZ_CHECK(s->msize >= P9_MIN_MSIZE && s->msize <= P9_MAX_MSIZE);
	if (x->len < P9_HDR_SIZE || x->room < RLERROR_SIZE) {
		FUZZ_CHECK(x->r == -EINVAL);
		return;
	}
	FUZZ_CHECK(x->r >= P9_HDR_SIZE && x->r <= x->room && x->r <= x->msize);
	gather(rep_iov, hdr, x->r < RLERROR_SIZE ? (size_t)x->r : RLERROR_SIZE);
	memcpy(&size, hdr, 4);
	FUZZ_CHECK(size == x->r && memcmp(hdr + 5, x->msg + 5, 2) == 0);
	if (hdr[4] == P9_RLERROR) {
		memcpy(&ecode, hdr + P9_HDR_SIZE, 4);
		FUZZ_CHECK(x->r == RLERROR_SIZE && ecode > 0 && ecode < 4096);
	} else {
		FUZZ_CHECK(hdr[4] == (uint8_t)(x->msg[4] + 1) && known_request(x->msg[4]));
	}
}

/* `len` bytes at `buf` as buffers of `chunk` bytes (0: one), `gap` bytes
 * apart, the last one taking what is left. */
static unsigned cut(uint8_t *buf, uint32_t len, uint32_t chunk, unsigned gap, struct iovec *iov)
{
	unsigned n = 0;

	do {
		uint32_t take = chunk && chunk < len && n + 1 < MAX_IOVS ? chunk : len;
		iov[n++] = (struct iovec){ .iov_base = buf, .iov_len = take };
		buf += take;
		len -= take;
		if (len) {
			memset(buf, GUARD, gap);
			buf += gap;
		}
	} while (len);
	return n;
}

static unsigned count_cuts(uint32_t len, uint32_t chunk)
{
	uint32_t n = chunk ? (len + chunk - 1) / chunk : 1;

	return n < MAX_IOVS ? n : MAX_IOVS;
}

/* The request and its reply buffers exactly as large as they are: ASan
 * sees a byte past either. */
static void serve(struct p9_server *s, uint32_t chunk, struct exchange *x)
{
	uint8_t *req = malloc(x->len);
	size_t rep_size = x->room + count_cuts(x->room, chunk) - 1;
	uint8_t *rep = malloc(rep_size);

	FUZZ_CHECK(req && rep);
	memcpy(req, x->msg, x->len);
	unsigned nreq = cut(req, x->len, chunk, 0, req_iov);
	x->nrep = cut(rep, x->room, chunk, 1, rep_iov);
	FUZZ_CHECK(x->nrep == count_cuts(x->room, chunk));
	x->msize = s->msize;
	x->r = p9_server_handle(s, req_iov, nreq, rep_iov, x->nrep);
	check_reply(s, x);
	free(req);
	free(rep);
}

/* A message's bytes as its size field says, bounded by the input. */
static uint32_t message_len(const struct fuzz_input *in)
{
	uint32_t size = 0;

	memcpy(&size, in->p, in->left < 4 ? in->left : 4);
	if (size < P9_HDR_SIZE)
		size = P9_HDR_SIZE;
	return size < in->left ? size : (uint32_t)in->left;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_input in = { data, size };
	uint8_t flags = fuzz_u8(&in);
	bool read_only = flags & FLAG_READ_ONLY;
	struct p9_server s;

	if (!tree.made)
		make_tree();
	unsigned fds = open_fds();
	int root = openat(tree.base_fd, "export", O_PATH | O_DIRECTORY | O_CLOEXEC);
	FUZZ_CHECK(root >= 0);
	FUZZ_CHECK(p9_server_init(&s, root, read_only, max_fids[(flags >> 4) & 3]) == 0);
	while (in.left) {
		uint16_t room = fuzz_u16(&in);
		struct exchange x = { .msg = in.p, .len = message_len(&in),
				      .room = room ? room : P9_MAX_MSIZE };
		if (!x.len)
			break;
		serve(&s, chunks[(flags >> 1) & 7], &x);
		in.p += x.len;
		in.left -= x.len;
	}
	p9_server_destroy(&s);
	FUZZ_CHECK(open_fds() == fds);
	check_sentinels();
	if (export_hash() != tree.clean) {
		FUZZ_CHECK(!read_only);
		reset_export();
	}
	return 0;
}
