/* The guest init's tree copy (boot/init/tree_copy.c), run on the host: what
 * a profile's files/ becomes in the guest's root. Files with contents and
 * modes, directories made or entered, symlinks as links, replacements,
 * and the refusals, each naming the path. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/init/tree_copy.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

static char top[64], src[96], dst[96];
static struct tree_copy_error err;

static void setup(void)
{
	snprintf(top, sizeof(top), "%s/mr-tree-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(top));
	snprintf(src, sizeof(src), "%s/src", top);
	snprintf(dst, sizeof(dst), "%s/dst", top);
	ck_assert_int_eq(mkdir(src, 0755), 0);
	ck_assert_int_eq(mkdir(dst, 0755), 0);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "chmod -R u+rwx '%s' && rm -rf '%s'", top, top);
	ck_assert_int_eq(system(cmd), 0);
}

static char *at(const char *dir, const char *rel)
{
	static char path[2][256];
	static int i;
	i ^= 1;
	snprintf(path[i], sizeof(path[i]), "%s/%s", dir, rel);
	return path[i];
}

static void put(const char *rel, const char *text, mode_t mode)
{
	test_put_file(src, rel, text, strlen(text));
	ck_assert_int_eq(chmod(at(src, rel), mode), 0);
}

static int copy(void)
{
	int s = open(src, O_RDONLY | O_DIRECTORY), d = open(dst, O_RDONLY | O_DIRECTORY);
	ck_assert_int_ge(s, 0);
	ck_assert_int_ge(d, 0);
	int r = tree_copy(s, d, &err);
	close(s);
	close(d);
	return r;
}

static void copy_ok(void)
{
	int r = copy();
	ck_assert_msg(r == 0, "tree_copy: %d at '%s': %s", r, err.path, err.why ? err.why : "");
}

static void assert_file(const char *rel, const char *text, mode_t mode)
{
	struct stat st;
	char got[64] = "";
	int fd = open(at(dst, rel), O_RDONLY | O_NOFOLLOW);

	ck_assert_msg(fd >= 0, "%s: %s", rel, strerror(errno));
	ck_assert_int_ge(read(fd, got, sizeof(got) - 1), 0);
	ck_assert_int_eq(fstat(fd, &st), 0);
	close(fd);
	ck_assert_str_eq(got, text);
	ck_assert_uint_eq(st.st_mode & 07777, mode);
}

static mode_t mode_of(const char *path)
{
	struct stat st;
	ck_assert_int_eq(lstat(path, &st), 0);
	return st.st_mode;
}

START_TEST(test_files_dirs_symlinks)
{
	char target[64] = "";

	put("etc/foo.conf", "a=1\n", 0640);
	put("usr/local/bin/tool", "#!/bin/sh\n", 04755);
	put("empty", "", 0600);
	ck_assert_int_eq(chmod(at(src, "usr/local"), 0750), 0);
	ck_assert_int_eq(symlink("/etc/foo.conf", at(src, "etc/link")), 0);
	ck_assert_int_eq(symlink("nowhere", at(src, "dangling")), 0);
	copy_ok();
	assert_file("etc/foo.conf", "a=1\n", 0640);
	assert_file("usr/local/bin/tool", "#!/bin/sh\n", 04755);
	assert_file("empty", "", 0600);
	ck_assert_uint_eq(mode_of(at(dst, "usr/local")) & 07777, 0750);
	ck_assert(S_ISLNK(mode_of(at(dst, "etc/link"))));
	ck_assert_int_gt(readlink(at(dst, "etc/link"), target, sizeof(target) - 1), 0);
	ck_assert_str_eq(target, "/etc/foo.conf");
	ck_assert(S_ISLNK(mode_of(at(dst, "dangling"))));
}
END_TEST

/* A read-only directory is filled, then gets its mode. */
START_TEST(test_read_only_dir_filled)
{
	put("ro/inside", "x", 0444);
	ck_assert_int_eq(chmod(at(src, "ro"), 0555), 0);
	copy_ok();
	assert_file("ro/inside", "x", 0444);
	ck_assert_uint_eq(mode_of(at(dst, "ro")) & 07777, 0555);
}
END_TEST

/* The destination's directories keep their modes (files/tmp/ must not
 * make /tmp 0755), and one reached through a symlink is entered. */
START_TEST(test_existing_dirs_entered)
{
	put("tmp/x", "x", 0644);
	put("lib/mod.conf", "m", 0644);
	ck_assert_int_eq(mkdir(at(dst, "tmp"), 0755), 0);
	ck_assert_int_eq(chmod(at(dst, "tmp"), 01777), 0);
	ck_assert_int_eq(mkdir(at(dst, "usr"), 0755), 0);
	ck_assert_int_eq(mkdir(at(dst, "usr/lib"), 0755), 0);
	ck_assert_int_eq(symlink("usr/lib", at(dst, "lib")), 0);
	copy_ok();
	ck_assert_uint_eq(mode_of(at(dst, "tmp")) & 07777, 01777);
	assert_file("tmp/x", "x", 0644);
	ck_assert(S_ISLNK(mode_of(at(dst, "lib"))));
	assert_file("usr/lib/mod.conf", "m", 0644);
}
END_TEST

/* Files and symlinks replace files and symlinks; a symlink in the way of
 * a file is replaced, not followed. */
START_TEST(test_replacements)
{
	put("f", "new", 0644);
	put("g", "new", 0600);
	ck_assert_int_eq(symlink("f", at(src, "l")), 0);
	test_put_file(dst, "f", "old contents", 12);
	test_put_file(dst, "outside", "keep", 4);
	ck_assert_int_eq(symlink("outside", at(dst, "g")), 0);
	test_put_file(dst, "l", "a file", 6);
	copy_ok();
	assert_file("f", "new", 0644);
	assert_file("g", "new", 0600);
	assert_file("outside", "keep", 0644 & ~0);
	ck_assert(S_ISLNK(mode_of(at(dst, "l"))));
}
END_TEST

static void copy_fails(int want, const char *path, const char *why_word)
{
	int r = copy();
	ck_assert_int_eq(r, -want);
	ck_assert_str_eq(err.path, path);
	ck_assert_ptr_nonnull(err.why);
	ck_assert_msg(strstr(err.why, why_word), "why '%s' lacks '%s'", err.why, why_word);
	ck_assert_int_eq(err.err, want);
}

START_TEST(test_special_file_refused)
{
	ck_assert_int_eq(mkdir(at(src, "dev"), 0755), 0);
	ck_assert_int_eq(mkfifo(at(src, "dev/fifo"), 0644), 0);
	copy_fails(EOPNOTSUPP, "dev/fifo", "special file");
}
END_TEST

START_TEST(test_file_over_dir_refused)
{
	put("d/x", "x", 0644);
	ck_assert_int_eq(mkdir(at(dst, "d"), 0755), 0);
	ck_assert_int_eq(mkdir(at(dst, "d/x"), 0755), 0);
	copy_fails(EISDIR, "d/x", "directory in the destination");
}
END_TEST

START_TEST(test_dir_over_file_refused)
{
	put("etc/hosts/x", "x", 0644);
	test_put_file(dst, "etc/hosts", "127.0.0.1 localhost\n", 20);
	copy_fails(ENOTDIR, "etc/hosts", "not in the destination");
}
END_TEST

START_TEST(test_too_deep_refused)
{
	char rel[2 * (TREE_COPY_MAX_DEPTH + 1) + 2] = "";
	for (int i = 0; i <= TREE_COPY_MAX_DEPTH; i++)
		strcat(rel, "d/");
	strcat(rel, "f");
	put(rel, "x", 0644);
	ck_assert_int_eq(copy(), -ELOOP);
	ck_assert_str_eq(err.why, "directories nested too deep");
}
END_TEST

/* An empty files/ copies nothing and succeeds. */
START_TEST(test_empty_tree)
{
	copy_ok();
	ck_assert_str_eq(err.path, "");
}
END_TEST

Suite *init_tree_copy_suite(void)
{
	Suite *s = suite_create("init_tree_copy");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_files_dirs_symlinks);
	tcase_add_test(tc, test_read_only_dir_filled);
	tcase_add_test(tc, test_existing_dirs_entered);
	tcase_add_test(tc, test_replacements);
	tcase_add_test(tc, test_special_file_refused);
	tcase_add_test(tc, test_file_over_dir_refused);
	tcase_add_test(tc, test_dir_over_file_refused);
	tcase_add_test(tc, test_too_deep_refused);
	tcase_add_test(tc, test_empty_tree);
	suite_add_tcase(s, tc);
	return s;
}
