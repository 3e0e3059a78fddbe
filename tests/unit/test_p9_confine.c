/* What a careless or hostile 9P client sends: truncated and oversized
 * messages, unknown types, fids that do not exist or do not fit, and
 * every way out of the export ("..", absolute and relative symlinks, a
 * symlink swapped in between walks, magic links, names with '/'), and
 * writes to a read-only export. Each gets an exact Rlerror (or nothing,
 * where not even a header can be read), and nothing outside the export is
 * ever reached. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/unit/p9_client.h"
#include "tests/unit/suites.h"

#define FID  10
#define FID2 11
#define FID3 12

static void setup(void)
{
	p9c_start(false, P9_MAX_FIDS);
}

static void setup_ro(void)
{
	p9c_start(true, P9_MAX_FIDS);
}

static void teardown(void)
{
	p9c_stop();
}

static ino_t host_ino(const char *path)
{
	struct stat st;

	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_ino;
}

static void host_symlink(const char *target, const char *rel)
{
	ck_assert_int_eq(symlink(target, p9c_path(rel)), 0);
}

static const char *outside(const char *rel)
{
	static char path[256];

	snprintf(path, sizeof(path), "%s/outside%s%s", p9c_base(), rel[0] ? "/" : "", rel);
	return path;
}

/* --- framing ----------------------------------------------------------- */

START_TEST(truncated_fields)
{
	p9c_begin(P9_TGETATTR);
	p9c_u32(P9C_ROOT); /* request_mask missing */
	ck_assert_uint_eq(p9c_error(), EPROTO);
	p9c_begin(P9_TWALK);
	p9c_u32(P9C_ROOT);
	p9c_u32(FID);
	p9c_u16(2);
	p9c_str("a"); /* one name of two */
	ck_assert_uint_eq(p9c_error(), EPROTO);
	p9c_begin(P9_TWALK);
	p9c_u32(P9C_ROOT);
	p9c_u32(FID);
	p9c_u16(1);
	p9c_u16(200); /* a string longer than the message */
	p9c_bytes("abc", 3);
	ck_assert_uint_eq(p9c_error(), EPROTO);
	p9c_begin(P9_TWRITE);
	p9c_u32(P9C_ROOT);
	p9c_u64(0);
	p9c_u32(100); /* count beyond the message */
	p9c_bytes("abc", 3);
	ck_assert_uint_eq(p9c_error(), EPROTO);
	ck_assert_uint_eq(p9c_clunk(FID), EBADF);
}
END_TEST

START_TEST(size_field_disagrees)
{
	p9c_begin(P9_TCLUNK);
	p9c_u32(P9C_ROOT);
	p9c_set_size((uint32_t)p9c_len() + 1); /* more than was sent */
	ck_assert_uint_eq(p9c_error(), EPROTO);
	p9c_begin(P9_TCLUNK);
	p9c_u32(P9C_ROOT);
	p9c_set_size(6); /* less than a header */
	ck_assert_uint_eq(p9c_error(), EPROTO);
	p9c_begin(P9_TCLUNK);
	p9c_u32(P9C_ROOT);
	p9c_set_size(9); /* the fid cut short by the size */
	ck_assert_uint_eq(p9c_error(), EPROTO);
	/* None of them clunked the root. */
	ck_assert_uint_eq(p9c_clunk(P9C_ROOT), 0);
}
END_TEST

START_TEST(larger_than_msize)
{
	static char big[P9C_MSIZE];

	memset(big, 'x', sizeof(big));
	p9c_begin(P9_TWRITE);
	p9c_u32(P9C_ROOT);
	p9c_u64(0);
	p9c_u32(sizeof(big));
	p9c_bytes(big, sizeof(big));
	ck_assert_uint_eq(p9c_error(), EMSGSIZE);
}
END_TEST

START_TEST(no_header_no_answer)
{
	p9c_begin(P9_TCLUNK);
	ck_assert_uint_eq(p9c_len(), 7);
	/* Room for less than an Rlerror: the chain comes back empty. */
	ck_assert_uint_eq(p9c_send_room(10), 0);
	ck_assert_uint_eq(p9c_send_room(11), 11);
}
END_TEST

START_TEST(strings_checked)
{
	char name[300];

	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	p9c_begin(P9_TWALK);
	p9c_u32(P9C_ROOT);
	p9c_u32(FID);
	p9c_u16(1);
	p9c_str(name);
	ck_assert_uint_eq(p9c_error(), ENAMETOOLONG);
	p9c_begin(P9_TWALK);
	p9c_u32(P9C_ROOT);
	p9c_u32(FID);
	p9c_u16(1);
	p9c_u16(3);
	p9c_bytes("a\0b", 3);
	ck_assert_uint_eq(p9c_error(), EINVAL);
}
END_TEST

START_TEST(unknown_types)
{
	static const uint8_t types[] = { 0, 6, 7, 102, 106, 112, 114, 124, 126, 200, 255 };

	for (unsigned i = 0; i < sizeof(types); i++) {
		p9c_begin(types[i]);
		p9c_u32(P9C_ROOT);
		ck_assert_msg(p9c_error() == EOPNOTSUPP, "type %u", types[i]);
	}
}
END_TEST

START_TEST(bad_fids)
{
	char buf[4];
	struct p9_qid q;
	uint32_t mode;
	uint64_t size;

	ck_assert_uint_eq(p9c_getattr(99, &q, &mode, &size), EBADF);
	ck_assert_uint_eq(p9c_walk_path(99, FID, ""), EBADF);
	ck_assert_uint_eq(p9c_read(P9C_ROOT, 0, buf, 4), -EBADF); /* not open */
	ck_assert_uint_eq(p9c_lopen(99, 0), EBADF);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, P9_NOFID, ""), EBADF);
	ck_assert_uint_eq(p9c_mkdir(99, "d", 0755), EBADF);
	p9c_host_write("f", "");
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, "f"), 0);
	ck_assert_uint_eq(p9c_mkdir(FID, "d", 0755), ENOTDIR);
	ck_assert_uint_eq(p9c_lopen(FID, 0), 0);
	ck_assert_uint_eq(p9c_lopen(FID, 0), EBADF); /* open already */
}
END_TEST

START_TEST(fid_exhaustion)
{
	p9c_stop();
	p9c_start(false, 4); /* the root and three more */
	for (uint32_t fid = 1; fid <= 3; fid++)
		ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, fid, ""), 0);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, 4, ""), EMFILE);
	ck_assert_uint_eq(p9c_clunk(2), 0);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, 4, ""), 0);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, 5, ""), EMFILE);
}
END_TEST

/* --- confinement --------------------------------------------------------- */

START_TEST(dotdot_stops_at_the_root)
{
	static const char *const up[] = { "..", "..", "outside", "secret" };
	struct p9_qid q[4];
	uint16_t n;

	ck_assert_uint_eq(p9c_walk(P9C_ROOT, FID, 4, up, &n, q), 0);
	ck_assert_uint_eq(n, 2); /* "outside" is not in the root */
	ck_assert_uint_eq(q[0].path, host_ino(p9c_path("")));
	ck_assert_uint_eq(q[1].path, host_ino(p9c_path("")));
	ck_assert_int_eq(mkdir(p9c_path("a"), 0755), 0);
	ck_assert_int_eq(mkdir(p9c_path("a/b"), 0755), 0);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, "a/b"), 0);
	static const char *const up3[] = { "..", "..", "..", "outside" };
	ck_assert_uint_eq(p9c_walk(FID, FID2, 4, up3, &n, q), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(q[0].path, host_ino(p9c_path("a")));
	ck_assert_uint_eq(q[1].path, host_ino(p9c_path("")));
	ck_assert_uint_eq(q[2].path, host_ino(p9c_path("")));
}
END_TEST

/* A walk through a symlink stops at the link: its qid, then ENOTDIR. */
static void walk_stops_at_link(const char *link)
{
	const char *names[] = { link, "secret" };
	struct p9_qid q[2];
	uint16_t n;

	ck_assert_uint_eq(p9c_walk(P9C_ROOT, FID3, 2, names, &n, q), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(q[0].type, P9_QTSYMLINK);
	ck_assert_uint_eq(p9c_clunk(FID3), EBADF);
}

START_TEST(symlinks_are_not_followed)
{
	char buf[64];

	host_symlink(outside(""), "abs");
	host_symlink("../outside", "rel");
	host_symlink(outside("secret"), "file");
	host_symlink("/proc/self/root/etc", "magic");
	walk_stops_at_link("abs");
	walk_stops_at_link("rel");
	walk_stops_at_link("magic");
	/* The link itself can be walked to, but not opened. */
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, "file"), 0);
	ck_assert_uint_eq(p9c_lopen(FID, 0), ELOOP);
	ck_assert_int_eq(p9c_read(FID, 0, buf, sizeof(buf)), -EBADF);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID2, "abs"), 0);
	ck_assert_uint_eq(p9c_lopen(FID2, 0200000), ELOOP);
	ck_assert_uint_eq(p9c_mkdir(FID2, "x", 0755), ENOTDIR);
}
END_TEST

START_TEST(creating_through_symlinks)
{
	struct stat st;

	host_symlink(outside("new"), "dangling");
	host_symlink(outside(""), "dir");
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, ""), 0);
	ck_assert_uint_eq(p9c_lcreate(FID, "dangling", 2, 0644), ELOOP);
	ck_assert_uint_eq(p9c_mkdir(P9C_ROOT, "dir", 0755), EEXIST);
	ck_assert_int_eq(lstat(outside("new"), &st), -1);
	/* Renaming onto a link replaces the link, not its target. */
	p9c_host_write("f", "inside");
	p9c_begin(P9_TRENAMEAT);
	p9c_u32(P9C_ROOT);
	p9c_str("f");
	p9c_u32(P9C_ROOT);
	p9c_str("dangling");
	ck_assert_uint_eq(p9c_send(), P9_TRENAMEAT + 1);
	ck_assert_int_eq(lstat(outside("new"), &st), -1);
	ck_assert_str_eq(p9c_host_read("dangling"), "inside");
	/* Unlinking a link to a directory removes the link. */
	ck_assert_uint_eq(p9c_unlinkat(P9C_ROOT, "dir", 0), 0);
	ck_assert_int_eq(stat(outside("secret"), &st), 0);
}
END_TEST

START_TEST(names_with_slashes_or_empty)
{
	static const char *const bad[] = { "outside/secret", "../outside", "", ".", "/etc" };
	struct p9_qid q[1];
	uint16_t n;

	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, ""), 0);
	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(p9c_walk(P9C_ROOT, FID2, 1, &bad[i], &n, q) == EINVAL, "walk '%s'", bad[i]);
		ck_assert_msg(p9c_mkdir(P9C_ROOT, bad[i], 0755) == EINVAL, "mkdir '%s'", bad[i]);
		ck_assert_msg(p9c_lcreate(FID, bad[i], 2, 0644) == EINVAL, "lcreate '%s'", bad[i]);
		ck_assert_msg(p9c_unlinkat(P9C_ROOT, bad[i], 0) == EINVAL, "unlink '%s'", bad[i]);
	}
	ck_assert_uint_eq(p9c_unlinkat(P9C_ROOT, "..", 0x200), EINVAL);
}
END_TEST

START_TEST(symlink_swapped_in_between_walks)
{
	char from[256];
	struct p9_qid q;
	uint32_t mode;
	uint64_t size;

	ck_assert_int_eq(mkdir(p9c_path("sub"), 0755), 0);
	p9c_host_write("sub/mine", "");
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, "sub"), 0);
	/* The host (or another guest) replaces the directory with a link out. */
	snprintf(from, sizeof(from), "%s", p9c_path("sub"));
	ck_assert_int_eq(rename(from, p9c_path("sub.old")), 0);
	host_symlink(outside(""), "sub");
	/* The fid still holds the directory it walked to, wherever it went. */
	ck_assert_uint_eq(p9c_walk_path(FID, FID2, "mine"), 0);
	ck_assert_uint_eq(p9c_clunk(FID2), 0);
	ck_assert_uint_eq(p9c_walk_path(FID, FID2, "secret"), ENOENT);
	/* ".." from it has no sure way back: refused, not resolved by name. */
	ck_assert_uint_eq(p9c_walk_path(FID, FID2, ".."), ENOENT);
	/* A fresh walk meets the link and stops. */
	walk_stops_at_link("sub");
	ck_assert_uint_eq(p9c_getattr(FID, &q, &mode, &size), 0);
	ck_assert_uint_eq(q.path, host_ino(p9c_path("sub.old")));
}
END_TEST

/* --- a read-only export ------------------------------------------------------ */

START_TEST(read_only_refuses_every_change)
{
	char buf[16];

	p9c_host_write("keep", "original");
	ck_assert_int_eq(mkdir(p9c_path("d"), 0755), 0);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID, "keep"), 0);
	ck_assert_uint_eq(p9c_lopen(FID, 2), EROFS);
	ck_assert_uint_eq(p9c_lopen(FID, 01000), EROFS); /* O_TRUNC */
	ck_assert_uint_eq(p9c_lopen(FID, 0), 0);
	ck_assert_int_eq(p9c_read(FID, 0, buf, sizeof(buf)), 8);
	ck_assert_int_eq(p9c_write(FID, 0, "changed!", 8), -EROFS);
	ck_assert_uint_eq(p9c_walk_path(P9C_ROOT, FID2, ""), 0);
	ck_assert_uint_eq(p9c_lcreate(FID2, "new", 2, 0644), EROFS);
	ck_assert_uint_eq(p9c_mkdir(P9C_ROOT, "new", 0755), EROFS);
	ck_assert_uint_eq(p9c_unlinkat(P9C_ROOT, "keep", 0), EROFS);
	p9c_begin(P9_TRENAMEAT);
	p9c_u32(P9C_ROOT);
	p9c_str("keep");
	p9c_u32(P9C_ROOT);
	p9c_str("moved");
	ck_assert_uint_eq(p9c_error(), EROFS);
	p9c_begin(P9_TSETATTR);
	p9c_u32(FID);
	p9c_u32(P9_SETATTR_SIZE);
	for (unsigned i = 0; i < 3; i++)
		p9c_u32(0);
	for (unsigned i = 0; i < 5; i++)
		p9c_u64(0);
	ck_assert_uint_eq(p9c_error(), EROFS);
	p9c_begin(P9_TSYMLINK);
	p9c_u32(P9C_ROOT);
	p9c_str("l");
	p9c_str("keep");
	p9c_u32(0);
	ck_assert_uint_eq(p9c_error(), EROFS);
	p9c_begin(P9_TLINK);
	p9c_u32(P9C_ROOT);
	p9c_u32(FID);
	p9c_str("hard");
	ck_assert_uint_eq(p9c_error(), EROFS);
	p9c_begin(P9_TMKNOD);
	p9c_u32(P9C_ROOT);
	p9c_str("fifo");
	p9c_u32(S_IFIFO | 0644);
	p9c_u32(0);
	p9c_u32(0);
	p9c_u32(0);
	ck_assert_uint_eq(p9c_error(), EROFS);
	p9c_begin(P9_TXATTRCREATE);
	p9c_u32(FID);
	p9c_str("user.x");
	p9c_u64(1);
	p9c_u32(0);
	ck_assert_uint_eq(p9c_error(), EROFS);
	p9c_begin(P9_TREMOVE);
	p9c_u32(FID);
	ck_assert_uint_eq(p9c_error(), EROFS);
	ck_assert_uint_eq(p9c_clunk(FID), EBADF); /* Tremove clunks anyway */
	/* The host side as it was. */
	ck_assert_str_eq(p9c_host_read("keep"), "original");
	struct stat st;
	ck_assert_int_eq(stat(p9c_path("new"), &st), -1);
	ck_assert_int_eq(lstat(p9c_path("l"), &st), -1);
	ck_assert_int_eq(stat(p9c_path("d"), &st), 0);
}
END_TEST

Suite *p9_confine_suite(void)
{
	Suite *s = suite_create("p9_confine");
	TCase *tc = tcase_create("malformed");
	TCase *conf = tcase_create("confinement");
	TCase *ro = tcase_create("read_only");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, truncated_fields);
	tcase_add_test(tc, size_field_disagrees);
	tcase_add_test(tc, larger_than_msize);
	tcase_add_test(tc, no_header_no_answer);
	tcase_add_test(tc, strings_checked);
	tcase_add_test(tc, unknown_types);
	tcase_add_test(tc, bad_fids);
	tcase_add_test(tc, fid_exhaustion);
	suite_add_tcase(s, tc);
	tcase_add_checked_fixture(conf, setup, teardown);
	tcase_add_test(conf, dotdot_stops_at_the_root);
	tcase_add_test(conf, symlinks_are_not_followed);
	tcase_add_test(conf, creating_through_symlinks);
	tcase_add_test(conf, names_with_slashes_or_empty);
	tcase_add_test(conf, symlink_swapped_in_between_walks);
	suite_add_tcase(s, conf);
	tcase_add_checked_fixture(ro, setup_ro, teardown);
	tcase_add_test(ro, read_only_refuses_every_change);
	suite_add_tcase(s, ro);
	return s;
}
