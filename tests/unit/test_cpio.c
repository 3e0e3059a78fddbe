/* cpio newc writer: archives compared byte for byte with what
 * Documentation/driver-api/early-userspace/buffer-format.rst prescribes
 * (headers spelled out field by field below, not produced by the code under
 * test), the bounds of the caller's buffer, the size-only pass, and one
 * round trip through GNU cpio. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/cpio.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

/* Fields: magic, ino, mode, uid, gid, nlink, mtime, filesize, devmajor,
 * devminor, rdevmajor, rdevminor, namesize, check; then the name with its
 * NUL, zero-padded so that the data starts on a multiple of 4. */
static const char sample[] =
	/* bin/: 040755, 2 links; 110 + 4 bytes of name, 2 of padding */
	"070701" "00000001" "000041ED" "00000000" "00000000" "00000002" "00000000"
	"00000000" "00000000" "00000000" "00000000" "00000000" "00000004" "00000000"
	"bin\0" "\0\0"
	/* bin/hi: 0100644, "hello"; name ends at 233 -> 236, data at 241 -> 244 */
	"070701" "00000002" "000081A4" "00000000" "00000000" "00000001" "00000000"
	"00000005" "00000000" "00000000" "00000000" "00000000" "00000007" "00000000"
	"bin/hi\0" "\0\0\0" "hello" "\0\0\0"
	/* sh -> bin/hi: 0120777, the target (no NUL) as data */
	"070701" "00000003" "0000A1FF" "00000000" "00000000" "00000001" "00000000"
	"00000006" "00000000" "00000000" "00000000" "00000000" "00000003" "00000000"
	"sh\0" "\0\0\0" "bin/hi" "\0\0"
	/* console: character device 5:1, 020600 */
	"070701" "00000004" "00002180" "00000000" "00000000" "00000001" "00000000"
	"00000000" "00000000" "00000000" "00000005" "00000001" "00000008" "00000000"
	"console\0" "\0\0"
	/* the trailer: inode 0, mode 0, 1 link */
	"070701" "00000000" "00000000" "00000000" "00000000" "00000001" "00000000"
	"00000000" "00000000" "00000000" "00000000" "00000000" "0000000B" "00000000"
	"TRAILER!!!\0" "\0\0\0";
#define SAMPLE_LEN (sizeof(sample) - 1)

static int write_sample(struct cpio_writer *w)
{
	int r = cpio_add_dir(w, "bin", 0755);

	if (!r)
		r = cpio_add_file(w, "bin/hi", 0644, "hello", 5);
	if (!r)
		r = cpio_add_symlink(w, "sh", "bin/hi");
	if (!r)
		r = cpio_add_node(w, "console", S_IFCHR | 0600, 5, 1);
	if (!r)
		r = cpio_finish(w);
	return r;
}

START_TEST(test_sample_byte_exact)
{
	static uint8_t buf[SAMPLE_LEN];
	struct cpio_writer w;

	ck_assert_uint_eq(SAMPLE_LEN, 612);
	cpio_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(write_sample(&w), 0);
	ck_assert_uint_eq(cpio_size(&w), SAMPLE_LEN);
	ck_assert_mem_eq(buf, sample, SAMPLE_LEN);
}
END_TEST

START_TEST(test_size_only_pass)
{
	struct cpio_writer w;

	cpio_init(&w, NULL, 0);
	ck_assert_int_eq(write_sample(&w), 0);
	ck_assert_uint_eq(cpio_size(&w), SAMPLE_LEN);
	/* An fd is never read while sizing. */
	cpio_init(&w, NULL, 0);
	ck_assert_int_eq(cpio_add_fd(&w, "big", 0644, -1, 0, 1000001), 0);
	ck_assert_uint_eq(cpio_size(&w), 116 + 1000004);
}
END_TEST

/* Every prefix of the buffer: the writer stops at its end with -ENOSPC and
 * never writes past it. */
START_TEST(test_short_buffer_enospc)
{
	static uint8_t buf[SAMPLE_LEN + 64];

	for (size_t cap = 0; cap < SAMPLE_LEN; cap++) {
		struct cpio_writer w;
		memset(buf, 0xa5, sizeof(buf));
		cpio_init(&w, buf, cap);
		ck_assert_int_eq(write_sample(&w), -ENOSPC);
		ck_assert_uint_le(cpio_size(&w), cap);
		ck_assert(test_all_bytes(buf + cap, sizeof(buf) - cap, 0xa5));
		/* What was written is a prefix of the real thing. */
		ck_assert_mem_eq(buf, sample, cpio_size(&w));
	}
}
END_TEST

START_TEST(test_enospc_leaves_writer_usable)
{
	static uint8_t buf[256];
	struct cpio_writer w;

	cpio_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(cpio_add_dir(&w, "bin", 0755), 0);
	ck_assert_int_eq(cpio_add_file(&w, "big", 0644, buf, 200), -ENOSPC);
	ck_assert_uint_eq(cpio_size(&w), 116);
	/* The failed member used no inode number either. */
	ck_assert_int_eq(cpio_add_file(&w, "bin/hi", 0644, "hello", 5), 0);
	ck_assert_mem_eq(buf, sample, 244);
}
END_TEST

static unsigned long field(const uint8_t *hdr, unsigned i)
{
	char s[9];

	memcpy(s, hdr + 6 + 8 * i, 8);
	s[8] = 0;
	return strtoul(s, NULL, 16);
}

START_TEST(test_attributes)
{
	static uint8_t buf[512];
	struct cpio_writer w;
	struct cpio_entry e = {
		.name = "etc/x", .mode = S_IFREG | 04750, .uid = 1000, .gid = 0xfffe,
		.mtime = 0x5f5e0ff1, .size = 3,
	};
	uint8_t *data;

	cpio_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(cpio_add(&w, &e, &data), 0);
	ck_assert_ptr_eq(data, buf + 116); /* 110 + 6 of name: already aligned */
	memcpy(data, "abc", 3);
	ck_assert_mem_eq(buf, "070701" "00000001" "000089E8" "000003E8" "0000FFFE"
			 "00000001" "5F5E0FF1" "00000003", 6 + 7 * 8);
	ck_assert_mem_eq(buf + 116, "abc\0", 4);
	ck_assert_uint_eq(cpio_size(&w), 120);
	/* FIFOs and block devices are fine too; block nodes keep their rdev. */
	ck_assert_int_eq(cpio_add_node(&w, "dev/vda", S_IFBLK | 0660, 254, 0), 0);
	ck_assert_uint_eq(field(buf + 120, 1), S_IFBLK | 0660);
	ck_assert_uint_eq(field(buf + 120, 9), 254);
	ck_assert_uint_eq(field(buf + 120, 10), 0);
}
END_TEST

START_TEST(test_rejected_entries)
{
	static uint8_t buf[16384];
	static char longname[CPIO_NAME_MAX + 1];
	struct cpio_writer w;

	cpio_init(&w, buf, sizeof(buf));
	const char *bad[] = { "", "/bin", "..", "../x", "a/..", "a/../b", "a/b/..", "//x" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(cpio_add_dir(&w, bad[i], 0755) == -EINVAL, "%s accepted", bad[i]);
	const char *good[] = { ".", "..a", "a..", "a/..b/c", "x/.../y" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(cpio_add_dir(&w, good[i], 0755) == 0, "%s refused", good[i]);
	/* PATH_MAX counts the NUL. */
	memset(longname, 'n', CPIO_NAME_MAX);
	ck_assert_int_eq(cpio_add_dir(&w, longname, 0755), -EINVAL);
	longname[CPIO_NAME_MAX - 1] = 0;
	ck_assert_int_eq(cpio_add_dir(&w, longname, 0755), 0);
	size_t used = cpio_size(&w);

	struct cpio_entry dir_with_data = { .name = "d", .mode = S_IFDIR | 0755, .size = 1 };
	struct cpio_entry no_type = { .name = "t", .mode = 0644 };
	struct cpio_entry huge = { .name = "h", .mode = S_IFREG | 0644, .size = 1ULL << 32 };
	ck_assert_int_eq(cpio_add(&w, &dir_with_data, NULL), -EINVAL);
	ck_assert_int_eq(cpio_add(&w, &no_type, NULL), -EINVAL);
	ck_assert_int_eq(cpio_add(&w, &huge, NULL), -EINVAL);
	ck_assert_int_eq(cpio_add_symlink(&w, "l", ""), -EINVAL);
	ck_assert_int_eq(cpio_add_node(&w, "n", S_IFREG | 0644, 1, 3), -EINVAL);
	ck_assert_uint_eq(cpio_size(&w), used);

	ck_assert_int_eq(cpio_finish(&w), 0);
	ck_assert_int_eq(cpio_add_dir(&w, "late", 0755), -EPERM);
	ck_assert_int_eq(cpio_finish(&w), -EPERM);
}
END_TEST

/* A walk over an archive by the format's rules: every header 4-aligned and
 * "070701", names NUL-terminated, inode numbers distinct, the last member
 * the trailer, nothing after it. Returns the number of members. */
static unsigned walk(const uint8_t *buf, size_t len)
{
	static unsigned long seen[512];
	unsigned n = 0;
	size_t off = 0;

	for (;;) {
		ck_assert_uint_eq(off % 4, 0);
		ck_assert_uint_le(off + CPIO_HEADER_LEN, len);
		ck_assert_mem_eq(buf + off, "070701", 6);
		unsigned long ino = field(buf + off, 0), namesize = field(buf + off, 11);
		unsigned long size = field(buf + off, 6);
		const char *name = (const char *)buf + off + CPIO_HEADER_LEN;
		ck_assert_uint_eq(strnlen(name, namesize), namesize - 1);
		size_t data = (off + CPIO_HEADER_LEN + namesize + 3) & ~(size_t)3;
		off = (data + size + 3) & ~(size_t)3;
		if (strcmp(name, "TRAILER!!!") == 0)
			break;
		for (unsigned i = 0; i < n; i++)
			ck_assert_uint_ne(seen[i], ino);
		ck_assert_uint_lt(n, 512);
		seen[n++] = ino;
	}
	ck_assert_uint_eq(off, len);
	return n;
}

START_TEST(test_many_members_aligned_unique)
{
	static uint8_t buf[65536];
	struct cpio_writer w;
	char name[32], body[8];

	cpio_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(cpio_add_dir(&w, "d", 0755), 0);
	/* Names and sizes of every length modulo 4. */
	for (unsigned i = 0; i < 200; i++) {
		snprintf(name, sizeof(name), "d/%.*s", (int)(i % 7 + 1), "abcdefg");
		snprintf(name + strlen(name), sizeof(name) - strlen(name), "%u", i);
		memset(body, 'a' + i % 26, sizeof(body));
		ck_assert_int_eq(cpio_add_file(&w, name, 0644, body, i % 8), 0);
	}
	ck_assert_int_eq(cpio_finish(&w), 0);
	ck_assert_uint_eq(walk(buf, cpio_size(&w)), 201);
}
END_TEST

START_TEST(test_add_fd)
{
	static uint8_t buf[4096];
	uint8_t content[1000];
	struct cpio_writer w;

	for (size_t i = 0; i < sizeof(content); i++)
		content[i] = (uint8_t)(i * 13 + 5);
	int fd = test_file_with(content, sizeof(content));
	cpio_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(cpio_add_fd(&w, "m.ko", 0644, fd, 99, 901), 0);
	ck_assert_uint_eq(field(buf, 6), 901);
	ck_assert_mem_eq(buf + 116, content + 99, 901);
	ck_assert_mem_eq(buf + 116 + 901, "\0\0\0", 3);
	size_t used = cpio_size(&w);
	ck_assert_uint_eq(used, 1020);
	/* The file turns out shorter than promised: no member is left. */
	ck_assert_int_eq(cpio_add_fd(&w, "short.ko", 0644, fd, 0, 1001), -EIO);
	ck_assert_int_eq(cpio_add_fd(&w, "bad.ko", 0644, -1, 0, 1), -EBADF);
	ck_assert_uint_eq(cpio_size(&w), used);
	ck_assert_int_eq(cpio_add_dir(&w, "x", 0755), 0);
	ck_assert_uint_eq(field(buf + used, 0), 2);
	close(fd);
}
END_TEST

/* --- GNU cpio --------------------------------------------------------- */

static void slurp_eq(const char *path, const char *want)
{
	char got[256];
	int fd = open(path, O_RDONLY);

	ck_assert_int_ge(fd, 0);
	ssize_t n = read(fd, got, sizeof(got));
	close(fd);
	ck_assert_int_eq(n, (ssize_t)strlen(want));
	ck_assert_mem_eq(got, want, strlen(want));
}

START_TEST(test_gnu_cpio_round_trip)
{
	static uint8_t buf[8192];
	char dir[] = "/tmp/microrun-cpio-XXXXXX", cmd[512], path[256];
	struct cpio_writer w;
	struct stat st;

	cpio_init(&w, buf, sizeof(buf));
	ck_assert_int_eq(cpio_add_dir(&w, "d", 0755), 0);
	ck_assert_int_eq(cpio_add_file(&w, "d/f", 0640, "contents\n", 9), 0);
	ck_assert_int_eq(cpio_add_file(&w, "d/empty", 0600, "", 0), 0);
	ck_assert_int_eq(cpio_add_file(&w, "d/exe", 0751, "#!/bin/sh\n", 10), 0);
	ck_assert_int_eq(cpio_add_symlink(&w, "d/link", "f"), 0);
	ck_assert_int_eq(cpio_finish(&w), 0);
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a.cpio", dir);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, buf, cpio_size(&w)), (ssize_t)cpio_size(&w));
	close(fd);

	snprintf(cmd, sizeof(cmd), "cpio -t --quiet -F %s", path);
	ck_assert_str_eq(test_run(cmd), "d\nd/f\nd/empty\nd/exe\nd/link\n");
	snprintf(cmd, sizeof(cmd), "mkdir %s/x && cd %s/x && cpio -i -d --quiet -F %s", dir, dir, path);
	test_run(cmd);
	snprintf(path, sizeof(path), "%s/x/d/f", dir);
	slurp_eq(path, "contents\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0640);
	snprintf(path, sizeof(path), "%s/x/d/exe", dir);
	slurp_eq(path, "#!/bin/sh\n");
	ck_assert_int_eq(stat(path, &st), 0);
	ck_assert_uint_eq(st.st_mode & 07777, 0751);
	snprintf(path, sizeof(path), "%s/x/d/empty", dir);
	slurp_eq(path, "");
	snprintf(path, sizeof(path), "%s/x/d/link", dir);
	char target[16] = { 0 };
	ck_assert_int_eq(readlink(path, target, sizeof(target)), 1);
	ck_assert_str_eq(target, "f");
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

Suite *cpio_suite(void)
{
	Suite *s = suite_create("cpio");
	TCase *tc = tcase_create("newc");

	tcase_add_test(tc, test_sample_byte_exact);
	tcase_add_test(tc, test_size_only_pass);
	tcase_add_test(tc, test_short_buffer_enospc);
	tcase_add_test(tc, test_enospc_leaves_writer_usable);
	tcase_add_test(tc, test_attributes);
	tcase_add_test(tc, test_rejected_entries);
	tcase_add_test(tc, test_many_members_aligned_unique);
	tcase_add_test(tc, test_add_fd);
	if (test_need_tools("cpio.gnu_cpio_round_trip", "cpio", "cpio"))
		tcase_add_test(tc, test_gnu_cpio_round_trip);
	suite_add_tcase(s, tc);
	return s;
}
