/* Unit tests for the run's configuration: encoder and decoder round trip,
 * and the decoder's refusals of malformed files (truncated at every byte,
 * counts past the end, strings without their NUL, fields out of range). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "boot/init/runcfg.h"
#include "tests/unit/suites.h"

static const char *const argv3[] = { "/bin/sh", "-c", "echo hi; exit 42" };
static const char *const env2[] = { "PATH=/usr/bin:/bin", "EMPTY=" };
static const char *const mods[] = { "/microrun/modules/virtio_mmio.ko", "/microrun/modules/9p.ko" };
static const struct runcfg_mount mounts2[] = {
	{ .tag = "rw0", .path = "/home/u/out", .read_only = false },
	{ .tag = "mods", .path = "/lib/modules/6.1.0-21-amd64", .read_only = true },
};

static const struct runcfg_profile profiles2[] = {
	{ .name = "debug", .dir = "/usr/share/microrun/profiles/debug", .guest = true },
	{ .name = "my profile", .dir = "/tmp/p", .guest = true, .files = true },
};

static struct runcfg cfg;
static uint8_t *buf;
static size_t len;
static struct runcfg_view view;
static const char *why;

static void setup(void)
{
	cfg = (struct runcfg){
		.argv = argv3, .argc = 3, .env = env2, .nenv = 2,
		.cwd = "/home/u/src", .hostname = "microrun", .root_tag = "root",
		.mounts = mounts2, .nmounts = 2, .modules = mods, .nmodules = 2,
		.console = { "", "microrun.stdout", "/dev/hvc0" },
		.profiles = profiles2, .nprofiles = 2,
	};
	buf = NULL;
	why = NULL;
}

static void teardown(void)
{
	free(buf);
}

static void encode_ok(void)
{
	int r = runcfg_encode(&cfg, &buf, &len, &why);
	ck_assert_msg(r == 0, "encode: %d (%s)", r, why ? why : "");
}

static int encode_err(void)
{
	int r = runcfg_encode(&cfg, &buf, &len, &why);
	ck_assert_int_ne(r, 0);
	return r;
}

static void encode_refused(const char *want_why)
{
	encode_err();
	ck_assert_str_eq(why, want_why);
}

static void decode_ok(void)
{
	int r = runcfg_decode(buf, len, &view, &why);
	ck_assert_msg(r == 0, "decode: %d (%s)", r, why ? why : "");
}

/* The decoder refuses the buffer, saying why, and `why` contains `word`. */
static void decode_refuses(const void *b, size_t n, const char *word)
{
	ck_assert_int_eq(runcfg_decode(b, n, &view, &why), -EINVAL);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, word), "why '%s' lacks '%s'", why, word);
}

static void assert_list(const struct runcfg_list *l, const char *const *want, unsigned n)
{
	const char *arr[16];

	ck_assert_uint_lt(n, sizeof(arr) / sizeof(arr[0]));
	ck_assert_uint_eq(l->n, n);
	runcfg_list_array(l, arr);
	for (unsigned i = 0; i < n; i++)
		ck_assert_str_eq(arr[i], want[i]);
	ck_assert_ptr_null(arr[n]);
}

START_TEST(test_round_trip)
{
	const char *mount_strings[] = { "rw0", "/home/u/out", "rw", "mods",
					"/lib/modules/6.1.0-21-amd64", "ro" };
	const char *profile_strings[] = { "debug", "/usr/share/microrun/profiles/debug", "guest",
					  "", "my profile", "/tmp/p", "guest", "files" };
	struct runcfg_profile p;
	encode_ok();
	decode_ok();
	assert_list(&view.argv, argv3, 3);
	assert_list(&view.env, env2, 2);
	assert_list(&view.mounts, mount_strings, 6);
	assert_list(&view.modules, mods, 2);
	ck_assert_str_eq(view.cwd, "/home/u/src");
	ck_assert_str_eq(view.hostname, "microrun");
	ck_assert_str_eq(view.root_tag, "root");
	ck_assert_str_eq(view.console[0], "");
	ck_assert_str_eq(view.console[1], "microrun.stdout");
	ck_assert_str_eq(view.console[2], "/dev/hvc0");
	assert_list(&view.profiles, profile_strings, 8);
	const char *next = runcfg_profile_at(view.profiles.first, &p);
	ck_assert_str_eq(p.name, "debug");
	ck_assert_str_eq(p.dir, "/usr/share/microrun/profiles/debug");
	ck_assert(p.guest && !p.files);
	next = runcfg_profile_at(next, &p);
	ck_assert_str_eq(p.name, "my profile");
	ck_assert(p.guest && p.files);
	ck_assert_ptr_eq(next, (const char *)buf + len);
}
END_TEST

/* The exact bytes: the format is an interface between two programs. */
START_TEST(test_exact_bytes_minimal)
{
	static const char *const one[] = { "true" };
	static const uint8_t want[] =
		"MRCFG2\n\0"
		"\1\0\0\0true\0"
		"\0\0\0\0"
		"\1\0\0\0/\0"
		"\1\0\0\0h\0"
		"\1\0\0\0r\0"
		"\0\0\0\0"
		"\0\0\0\0"
		"\3\0\0\0\0\0\0"
		"\0\0\0\0";
	cfg = (struct runcfg){ .argv = one, .argc = 1, .cwd = "/", .hostname = "h", .root_tag = "r" };
	encode_ok();
	ck_assert_uint_eq(len, sizeof(want) - 1);
	ck_assert_mem_eq(buf, want, len);
	decode_ok();
	ck_assert_uint_eq(view.env.n, 0);
	ck_assert_uint_eq(view.mounts.n, 0);
	ck_assert_str_eq(view.console[2], "");
	ck_assert_uint_eq(view.profiles.n, 0);
}
END_TEST

/* Every proper prefix of a valid file is refused. */
START_TEST(test_every_truncation_refused)
{
	encode_ok();
	for (size_t n = 0; n < len; n++) {
		uint8_t *copy = malloc(n ? n : 1);  /* exact size: ASan sees overreads */
		memcpy(copy, buf, n);
		ck_assert_msg(runcfg_decode(copy, n, &view, &why) == -EINVAL,
			      "prefix of %zu/%zu bytes accepted", n, len);
		ck_assert_ptr_nonnull(why);
		free(copy);
	}
}
END_TEST

START_TEST(test_trailing_bytes_refused)
{
	encode_ok();
	uint8_t *more = malloc(len + 1);
	memcpy(more, buf, len);
	more[len] = 0;
	decode_refuses(more, len + 1, "after the last section");
	free(more);
}
END_TEST

START_TEST(test_bad_magic_refused)
{
	encode_ok();
	buf[5] = '1';  /* MRCFG1: the version before profiles */
	decode_refuses(buf, len, "magic");
	buf[5] = '3';  /* MRCFG3: another version */
	decode_refuses(buf, len, "magic");
}
END_TEST

/* argv's count patched to a huge value: no loop over it, no overread. */
START_TEST(test_oversized_count_refused)
{
	encode_ok();
	memcpy(buf + RUNCFG_MAGIC_LEN, "\xff\xff\xff\xff", 4);
	decode_refuses(buf, len, "count exceeds");
	memcpy(buf + RUNCFG_MAGIC_LEN, "\x00\x00\x01\x00", 4);  /* 65536 */
	decode_refuses(buf, len, "count exceeds");
}
END_TEST

START_TEST(test_count_one_too_many_refused)
{
	encode_ok();
	buf[RUNCFG_MAGIC_LEN] = 4;  /* argv says 4: it swallows the env count */
	ck_assert_int_eq(runcfg_decode(buf, len, &view, &why), -EINVAL);
}
END_TEST

START_TEST(test_missing_nul_refused)
{
	encode_ok();
	buf[len - 1] = 'x';  /* the last profile's string loses its NUL */
	decode_refuses(buf, len, "NUL");
}
END_TEST

START_TEST(test_overlong_string_refused)
{
	char *big = malloc(RUNCFG_MAX_STRING + 2);
	memset(big, 'a', RUNCFG_MAX_STRING + 1);
	big[RUNCFG_MAX_STRING + 1] = '\0';
	const char *args[] = { "/bin/echo", big };
	cfg.argv = args;
	cfg.argc = 2;
	ck_assert_int_eq(encode_err(), -EINVAL);
	ck_assert_str_eq(why, "a string is too long");
	big[RUNCFG_MAX_STRING] = '\0';  /* exactly the limit: fine */
	encode_ok();
	free(big);
}
END_TEST

START_TEST(test_too_big_refused)
{
	char *big = malloc(RUNCFG_MAX_STRING);
	const char *args[9];
	memset(big, 'a', RUNCFG_MAX_STRING - 1);
	big[RUNCFG_MAX_STRING - 1] = '\0';
	for (unsigned i = 0; i < 9; i++)
		args[i] = big;  /* 9 x 128 KiB > 1 MiB */
	cfg.argv = args;
	cfg.argc = 9;
	ck_assert_int_eq(encode_err(), -E2BIG);
	uint8_t *huge = calloc(1, RUNCFG_MAX_SIZE + 1);
	memcpy(huge, RUNCFG_MAGIC, RUNCFG_MAGIC_LEN);
	decode_refuses(huge, RUNCFG_MAX_SIZE + 1, "RUNCFG_MAX_SIZE");
	free(huge);
	free(big);
}
END_TEST

/* Fields the init could not use, refused already at encoding. */
START_TEST(test_no_program_refused)
{
	cfg.argc = 0;
	encode_refused("argv: no program");
	static const char *const empty[] = { "" };
	cfg.argv = empty;
	cfg.argc = 1;
	encode_refused("argv: no program");
}
END_TEST

START_TEST(test_bad_env_refused)
{
	static const char *const noeq[] = { "PATH" };
	static const char *const noname[] = { "=x" };
	cfg.env = noeq;
	cfg.nenv = 1;
	encode_refused("an environment entry is not NAME=VALUE");
	cfg.env = noname;
	encode_refused("an environment entry is not NAME=VALUE");
}
END_TEST

START_TEST(test_bad_paths_and_names_refused)
{
	cfg.cwd = "relative/dir";
	encode_refused("cwd: not an absolute path");
	setup();
	cfg.hostname = "under_score";
	encode_refused("hostname: not 1-64 of A-Z a-z 0-9 . -");
	setup();
	cfg.hostname = "";
	encode_err();
	setup();
	cfg.root_tag = "has space";
	encode_refused("root: bad 9p tag");
	setup();
	cfg.console[1] = "bad name!";
	encode_refused("console: neither empty, a device path nor a port name");
	setup();
	static const char *const relmod[] = { "virtio.ko" };
	cfg.modules = relmod;
	cfg.nmodules = 1;
	encode_refused("modules: a path is not absolute");
}
END_TEST

START_TEST(test_bad_mounts_refused)
{
	struct runcfg_mount m = { .tag = "t", .path = "/", .read_only = false };
	cfg.mounts = &m;
	cfg.nmounts = 1;
	encode_refused("mounts: path not absolute, or /");
	m.path = "rel";
	encode_err();
	m.path = "/ok";
	m.tag = "";
	encode_refused("mounts: bad 9p tag");
	m.tag = "t";
	encode_ok();
}
END_TEST

/* Hand-made files with what the encoder cannot produce. */
START_TEST(test_bad_mount_mode_and_triples_refused)
{
	static const char mode[] =
		"MRCFG2\n\0" "\1\0\0\0a\0" "\0\0\0\0" "\1\0\0\0/\0" "\1\0\0\0h\0" "\1\0\0\0r\0"
		"\3\0\0\0t\0/x\0rx\0" "\0\0\0\0" "\3\0\0\0\0\0\0" "\0\0\0\0";
	static const char pairs[] =
		"MRCFG2\n\0" "\1\0\0\0a\0" "\0\0\0\0" "\1\0\0\0/\0" "\1\0\0\0h\0" "\1\0\0\0r\0"
		"\2\0\0\0t\0/x\0" "\0\0\0\0" "\3\0\0\0\0\0\0" "\0\0\0\0";
	static const char two_cwds[] =
		"MRCFG2\n\0" "\1\0\0\0a\0" "\0\0\0\0" "\2\0\0\0/\0/\0" "\1\0\0\0h\0" "\1\0\0\0r\0"
		"\0\0\0\0" "\0\0\0\0" "\3\0\0\0\0\0\0" "\0\0\0\0";
	static const char two_consoles[] =
		"MRCFG2\n\0" "\1\0\0\0a\0" "\0\0\0\0" "\1\0\0\0/\0" "\1\0\0\0h\0" "\1\0\0\0r\0"
		"\0\0\0\0" "\0\0\0\0" "\2\0\0\0\0\0" "\0\0\0\0";
	decode_refuses(mode, sizeof(mode) - 1, "mode");
	decode_refuses(pairs, sizeof(pairs) - 1, "triples");
	decode_refuses(two_cwds, sizeof(two_cwds) - 1, "cwd: not exactly one");
	decode_refuses(two_consoles, sizeof(two_consoles) - 1, "console");
}
END_TEST

START_TEST(test_bad_profiles_refused)
{
	struct runcfg_profile p[RUNCFG_MAX_PROFILES + 1];
	cfg.profiles = p;
	cfg.nprofiles = 1;
	p[0] = (struct runcfg_profile){ .name = "", .dir = "/p", .guest = true };
	encode_refused("profiles: a name is empty, longer than 63 bytes or holds '/'");
	p[0].name = "a/b";
	encode_refused("profiles: a name is empty, longer than 63 bytes or holds '/'");
	p[0].name = "0123456789012345678901234567890123456789012345678901234567890123"; /* 64 */
	encode_refused("profiles: a name is empty, longer than 63 bytes or holds '/'");
	p[0].name = "ok";
	p[0].dir = "/";
	encode_refused("profiles: a directory is not absolute, or /");
	p[0].dir = "relative";
	encode_refused("profiles: a directory is not absolute, or /");
	p[0].dir = "/p";
	for (unsigned i = 1; i <= RUNCFG_MAX_PROFILES; i++)
		p[i] = p[0];
	cfg.nprofiles = RUNCFG_MAX_PROFILES;
	encode_ok();
	free(buf);
	buf = NULL;
	cfg.nprofiles = RUNCFG_MAX_PROFILES + 1;
	encode_refused("profiles: more than RUNCFG_MAX_PROFILES");
}
END_TEST

/* What the encoder cannot write: a part other than its own word, a
 * profile cut short. */
START_TEST(test_bad_profile_parts_refused)
{
#define HEAD "MRCFG2\n\0" "\1\0\0\0a\0" "\0\0\0\0" "\1\0\0\0/\0" "\1\0\0\0h\0" \
	     "\1\0\0\0r\0" "\0\0\0\0" "\0\0\0\0" "\3\0\0\0\0\0\0"
	static const char ok[] = HEAD "\4\0\0\0n\0/d\0guest\0files\0";
	static const char part[] = HEAD "\4\0\0\0n\0/d\0files\0\0";
	static const char word[] = HEAD "\4\0\0\0n\0/d\0\0yes\0";
	static const char three[] = HEAD "\3\0\0\0n\0/d\0guest\0";
#undef HEAD
	ck_assert_int_eq(runcfg_decode(ok, sizeof(ok) - 1, &view, &why), 0);
	decode_refuses(part, sizeof(part) - 1, "a part is neither");
	decode_refuses(word, sizeof(word) - 1, "a part is neither");
	decode_refuses(three, sizeof(three) - 1, "quadruples");
}
END_TEST

Suite *runcfg_suite(void)
{
	Suite *s = suite_create("runcfg");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_round_trip);
	tcase_add_test(tc, test_exact_bytes_minimal);
	tcase_add_test(tc, test_every_truncation_refused);
	tcase_add_test(tc, test_trailing_bytes_refused);
	tcase_add_test(tc, test_bad_magic_refused);
	tcase_add_test(tc, test_oversized_count_refused);
	tcase_add_test(tc, test_count_one_too_many_refused);
	tcase_add_test(tc, test_missing_nul_refused);
	tcase_add_test(tc, test_overlong_string_refused);
	tcase_add_test(tc, test_too_big_refused);
	tcase_add_test(tc, test_no_program_refused);
	tcase_add_test(tc, test_bad_env_refused);
	tcase_add_test(tc, test_bad_paths_and_names_refused);
	tcase_add_test(tc, test_bad_mounts_refused);
	tcase_add_test(tc, test_bad_mount_mode_and_triples_refused);
	tcase_add_test(tc, test_bad_profiles_refused);
	tcase_add_test(tc, test_bad_profile_parts_refused);
	suite_add_tcase(s, tc);
	return s;
}
