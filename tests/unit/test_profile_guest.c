/* The guest parts of profiles as microrun finds them (src/profile_guest.c)
 * and hands them to the init in the run's configuration. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/profile_guest.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

static char top[64];
static struct mr_profile prof[3];

static void make_profile(struct mr_profile *p, const char *name)
{
	snprintf(p->name, sizeof(p->name), "%s", name);
	snprintf(p->dir, sizeof(p->dir), "%s/%s", top, name);
	ck_assert_int_eq(mkdir(p->dir, 0755), 0);
}

static void setup(void)
{
	snprintf(top, sizeof(top), "%s/mr-prof-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	ck_assert_ptr_nonnull(mkdtemp(top));
	make_profile(&prof[0], "both");
	test_put_file(prof[0].dir, "guest", "#!/bin/sh\n", 10);
	test_put_file(prof[0].dir, "files/etc/x", "x", 1);
	make_profile(&prof[1], "hostonly");
	test_put_file(prof[1].dir, "options", "-m 2G\n", 6);
	make_profile(&prof[2], "badfiles");
	test_put_file(prof[2].dir, "files", "not a tree", 10);
}

static void teardown(void)
{
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", top);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_parts_found)
{
	struct runcfg_profile r;

	ck_assert_int_eq(profile_guest_parts(&prof[0], &r), 0);
	ck_assert_str_eq(r.name, "both");
	ck_assert_str_eq(r.dir, prof[0].dir);
	ck_assert(r.guest && r.files);
	ck_assert_int_eq(profile_guest_parts(&prof[1], &r), 0);
	ck_assert(!r.guest && !r.files);
}
END_TEST

/* A dangling symlink is a guest step still: the guest says it cannot run. */
START_TEST(test_guest_symlink_counts)
{
	struct runcfg_profile r;
	char link[4200];

	snprintf(link, sizeof(link), "%s/guest", prof[1].dir);
	ck_assert_int_eq(symlink("missing", link), 0);
	ck_assert_int_eq(profile_guest_parts(&prof[1], &r), 0);
	ck_assert(r.guest && !r.files);
}
END_TEST

START_TEST(test_files_not_a_dir_refused)
{
	struct runcfg_profile r;

	test_capture_stderr();
	ck_assert_int_eq(profile_guest_parts(&prof[2], &r), -ENOTDIR);
	const char *err = test_captured_stderr();
	ck_assert_msg(strstr(err, "profile 'badfiles'") && strstr(err, "/badfiles/files is not a directory"),
		      "stderr: %s", err);
}
END_TEST

START_TEST(test_any)
{
	ck_assert(profile_guest_any(prof, 3));
	ck_assert(!profile_guest_any(&prof[1], 1));
	ck_assert(profile_guest_any(&prof[2], 1));  /* a files/ that is no tree still counts */
	ck_assert(!profile_guest_any(prof, 0));
}
END_TEST

/* What the host found, as the init decodes it. */
START_TEST(test_in_the_configuration)
{
	static const char *const argv[] = { "true" };
	struct runcfg_profile parts[2];
	struct runcfg_view v;
	const char *why;
	uint8_t *buf;
	size_t len;

	ck_assert_int_eq(profile_guest_parts(&prof[0], &parts[0]), 0);
	ck_assert_int_eq(profile_guest_parts(&prof[1], &parts[1]), 0);
	const struct runcfg c = {
		.argv = argv, .argc = 1, .cwd = "/", .hostname = "h", .root_tag = "r",
		.profiles = parts, .nprofiles = 2,
	};
	ck_assert_int_eq(runcfg_encode(&c, &buf, &len, &why), 0);
	ck_assert_int_eq(runcfg_decode(buf, len, &v, &why), 0);
	ck_assert_uint_eq(v.profiles.n, 2 * RUNCFG_PROFILE_STRINGS);
	struct runcfg_profile got;
	const char *second = runcfg_profile_at(v.profiles.first, &got);
	ck_assert_str_eq(got.name, "both");
	ck_assert_str_eq(got.dir, prof[0].dir);
	ck_assert(got.guest && got.files);
	runcfg_profile_at(second, &got);
	ck_assert_str_eq(got.name, "hostonly");
	ck_assert(!got.guest && !got.files);
	free(buf);
}
END_TEST

Suite *profile_guest_suite(void)
{
	Suite *s = suite_create("profile_guest");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_parts_found);
	tcase_add_test(tc, test_guest_symlink_counts);
	tcase_add_test(tc, test_files_not_a_dir_refused);
	tcase_add_test(tc, test_any);
	tcase_add_test(tc, test_in_the_configuration);
	suite_add_tcase(s, tc);
	return s;
}
