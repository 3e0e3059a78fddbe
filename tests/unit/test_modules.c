/* Module trees and load orders: Debian's own modules.dep (an excerpt
 * committed under tests/unit/data/modules, see its README) with the order
 * modprobe gives, the layouts --modules accepts, modules.order trees whose
 * dependencies come from each module's .modinfo (plain and compressed),
 * built-in, missing and cyclic modules; and Debian's unpacked package when
 * tests/realkernel/kernel.sh has cached it. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/module_file.h"
#include "boot/modules.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define FIXTURE   "tests/unit/data/modules"
#define RELEASE   "6.1.0-57-amd64"
#define FIXTURE_TREE FIXTURE "/lib/modules/" RELEASE

/* What microrun loads into a stock kernel. */
static const char *const microrun_set[] = {
	"virtio_mmio", "virtio_blk", "virtio_console", "9pnet_virtio", "9p", "overlay",
};
#define MICRORUN_ORDER "virtio_ring virtio virtio_mmio virtio_blk virtio_console " \
	"9pnet 9pnet_virtio netfs fscache 9p overlay"

static struct modtree tree;
static struct mod_list list;
static char tmp[64];
static uint8_t bare_ko[1024];

static const char *names(const struct mod_list *l)
{
	static char s[4096];
	size_t len = 0;

	s[0] = 0;
	for (size_t i = 0; i < l->n; i++)
		len += (size_t)snprintf(s + len, sizeof(s) - len, "%s%s", i ? " " : "", l->v[i].name);
	return s;
}

static int resolve(const char *const *wanted, size_t n)
{
	mod_list_free(&list);
	return modtree_resolve(&tree, wanted, n, &list);
}

#define RESOLVE(...) resolve((const char *const[]){ __VA_ARGS__ }, \
	sizeof((const char *const[]){ __VA_ARGS__ }) / sizeof(const char *))

static void setup(void)
{
	snprintf(tmp, sizeof(tmp), "/tmp/microrun-modules-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	ck_assert_msg(access(FIXTURE_TREE "/modules.dep", R_OK) == 0,
		      "run the unit tests from the top of the source tree");
}

static void teardown(void)
{
	char cmd[128];

	mod_list_free(&list);
	modtree_close(&tree);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static void put(const char *rel, const char *text)
{
	test_put_file(tmp, rel, text, strlen(text));
}

START_TEST(test_debian_order)
{
	ck_assert_int_eq(modtree_open(&tree, FIXTURE, RELEASE), 0);
	ck_assert_str_eq(tree.dir, FIXTURE_TREE);
	ck_assert(tree.has_dep);
	ck_assert_int_eq(resolve(microrun_set, 6), 0);
	ck_assert_str_eq(names(&list), MICRORUN_ORDER);
	ck_assert_str_eq(list.v[0].path, "kernel/drivers/virtio/virtio_ring.ko");
	ck_assert_str_eq(list.v[9].path, "kernel/fs/9p/9p.ko");
	ck_assert_str_eq(list.v[10].path, "kernel/fs/overlayfs/overlay.ko");
	/* What `modprobe --show-depends` loads for each alone. */
	ck_assert_int_eq(RESOLVE("9p"), 0);
	ck_assert_str_eq(names(&list), "netfs fscache 9pnet 9p");
	ck_assert_int_eq(RESOLVE("overlay"), 0);
	ck_assert_str_eq(names(&list), "overlay");
	ck_assert_int_eq(RESOLVE("9pnet-virtio"), 0);
	ck_assert_str_eq(names(&list), "virtio_ring virtio 9pnet 9pnet_virtio");
	ck_assert_int_eq(RESOLVE("ext4"), 0);
	ck_assert_str_eq(names(&list), "jbd2 mbcache crc16 ext4");
	/* Asking twice, or for a dependency too, loads each module once. */
	ck_assert_int_eq(RESOLVE("9p", "netfs", "9p", "fscache"), 0);
	ck_assert_str_eq(names(&list), "netfs fscache 9pnet 9p");
}
END_TEST

START_TEST(test_builtin_skipped)
{
	ck_assert_int_eq(modtree_open(&tree, FIXTURE_TREE, RELEASE), 0);
	ck_assert_uint_eq(tree.nbuiltin, 10);
	ck_assert_int_eq(RESOLVE("unix", "overlay", "binfmt-script"), 0);
	ck_assert_str_eq(names(&list), "overlay");
	ck_assert_int_eq(RESOLVE("unix"), 0);
	ck_assert_uint_eq(list.n, 0);
	/* A kernel with virtio built in: depmod lists it nowhere, and a stray
	 * mention is not loaded either. */
	put("lib/modules/6.9/modules.dep",
	    "kernel/drivers/virtio/virtio_mmio.ko: kernel/drivers/virtio/virtio.ko\n");
	put("lib/modules/6.9/modules.builtin", "kernel/drivers/virtio/virtio.ko\n"
	    "kernel/drivers/virtio/virtio_ring.ko\n");
	modtree_close(&tree);
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	ck_assert_int_eq(RESOLVE("virtio", "virtio_mmio"), 0);
	ck_assert_str_eq(names(&list), "virtio_mmio");
}
END_TEST

START_TEST(test_missing_module)
{
	put("lib/modules/6.9/modules.dep", "kernel/fs/overlayfs/overlay.ko:\n");
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	test_capture_stderr();
	int r = RESOLVE("overlay", "9p");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_uint_eq(list.n, 0);
	ck_assert_msg(strstr(err, "microrun: module 9p is neither built into kernel 6.9 nor in ") &&
		      strstr(err, "CONFIG_9P_FS=y (or =m)"), "%s", err);
	/* One microrun does not know: no option to suggest. */
	test_capture_stderr();
	r = RESOLVE("zram");
	err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err, "module zram is neither") && !strstr(err, "CONFIG_"), "%s", err);
	ck_assert_str_eq(mod_config_option("virtio_ring"), "CONFIG_VIRTIO");
	ck_assert_str_eq(mod_config_option("netfs"), "CONFIG_NETFS_SUPPORT");
	ck_assert_ptr_null(mod_config_option("ext4"));
}
END_TEST

START_TEST(test_missing_dependency)
{
	put("lib/modules/6.9/modules.dep", "kernel/a.ko: kernel/c.ko kernel/b.ko\nkernel/c.ko:\n");
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	test_capture_stderr();
	int r = RESOLVE("a");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err, "modules.dep: a depends on b, which has no entry of its own: "
			      "run depmod 6.9"), "%s", err);
	/* Asking again fails the same way: the failure changed nothing. */
	char first[512];
	snprintf(first, sizeof(first), "%s", err);
	test_capture_stderr();
	r = RESOLVE("a");
	ck_assert_str_eq(test_captured_stderr(), first);
	ck_assert_int_eq(r, -ENOENT);
}
END_TEST

START_TEST(test_cycle)
{
	put("lib/modules/6.9/modules.dep", "kernel/a.ko: kernel/b.ko\n"
	    "kernel/b.ko: kernel/c.ko\nkernel/c.ko: kernel/a.ko\nkernel/d.ko:\n");
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	ck_assert_int_eq(RESOLVE("d"), 0);
	test_capture_stderr();
	int r = RESOLVE("d", "a");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -ELOOP);
	ck_assert_uint_eq(list.n, 0);
	ck_assert_msg(strstr(err, "depend on each other in a cycle: a -> b -> c -> a"), "%s", err);
	/* A module that needs itself. */
	put("lib/modules/6.8/modules.dep", "kernel/s.ko: kernel/s.ko\n");
	modtree_close(&tree);
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.8"), 0);
	test_capture_stderr();
	r = RESOLVE("s");
	err = test_captured_stderr();
	ck_assert_int_eq(r, -ELOOP);
	ck_assert_msg(strstr(err, "cycle: s -> s"), "%s", err);
}
END_TEST

START_TEST(test_layouts)
{
	char want[PATH_MAX];

	/* A merged-/usr package, e.g. Debian 13's. */
	put("usr/lib/modules/6.9/modules.dep", "kernel/x.ko:\n");
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	snprintf(want, sizeof(want), "%s/usr/lib/modules/6.9", tmp);
	ck_assert_str_eq(tree.dir, want);
	modtree_close(&tree);
	/* lib/modules/RELEASE comes first; only RELEASE counts. */
	put("lib/modules/6.9/modules.dep", "kernel/y.ko:\n");
	put("lib/modules/6.10/modules.dep", "kernel/z.ko:\n");
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	snprintf(want, sizeof(want), "%s/lib/modules/6.9", tmp);
	ck_assert_str_eq(tree.dir, want);
	ck_assert_int_eq(RESOLVE("y"), 0);
	modtree_close(&tree);
	/* Nothing for this release. */
	test_capture_stderr();
	int r = modtree_open(&tree, tmp, "6.11");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err, "no modules for kernel 6.11 in ") &&
		      strstr(err, "/lib/modules/6.11 nor ") && strstr(err, "/usr/lib/modules/6.11"),
		      "%s", err);
	/* The default place, silently: a kernel may have no modules at all. */
	test_capture_stderr();
	r = modtree_open(&tree, NULL, "0.0.0-microrun-test");
	err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_str_eq(err, "");
	/* A release that cannot be a directory name is refused outright. */
	ck_assert_int_eq(modtree_open(&tree, tmp, "../6.9"), -EINVAL);
	ck_assert_int_eq(modtree_open(&tree, tmp, ""), -EINVAL);
}
END_TEST

/* A module built for `release`: its .modinfo is `modinfo` and a vermagic. */
static void put_ko(const char *release, const char *rel, const char *modinfo, size_t len)
{
	uint8_t ko[1024];
	char info[512];
	int n = snprintf(info, sizeof(info), "vermagic=%s SMP preempt mod_unload modversions", release);

	ck_assert_uint_lt((size_t)n + 1 + len, sizeof(info));
	memcpy(info + n + 1, modinfo, len);
	test_put_file(tmp, rel, ko, test_make_ko(ko, sizeof(ko), info, (size_t)n + 1 + len));
}

#define MODINFO(s) s, sizeof(s)

/* A build tree: modules.order at the top naming objects (Linux 6.2+ says
 * .o), the modules beside their sources, dependencies in .modinfo. */
START_TEST(test_build_tree_modinfo)
{
	put("modules.order", "drivers/virtio/virtio_ring.o\ndrivers/virtio/virtio.o\n"
	    "drivers/virtio/virtio_mmio.o\nfs/fuse/virtiofs.o\n");
	put("modules.builtin", "kernel/fs/fuse/fuse.ko\n");
	put("include/config/kernel.release", "6.9.0-rc1+\n");
	put_ko("6.9.0-rc1+", "drivers/virtio/virtio_ring.ko",
	       MODINFO("license=GPL\0depends=\0name=virtio_ring"));
	put_ko("6.9.0-rc1+", "drivers/virtio/virtio.ko", MODINFO("depends=virtio_ring\0name=virtio"));
	put_ko("6.9.0-rc1+", "drivers/virtio/virtio_mmio.ko",
	       MODINFO("license=GPL\0\0\0depends=virtio,virtio_ring\0name=virtio_mmio"));
	put_ko("6.9.0-rc1+", "fs/fuse/virtiofs.ko",
	       MODINFO("depends=fuse,virtio,virtio_ring\0name=virtiofs"));
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9.0-rc1+"), 0);
	ck_assert_str_eq(tree.dir, tmp);
	ck_assert(!tree.has_dep);
	ck_assert_int_eq(RESOLVE("virtio_mmio", "virtiofs"), 0);
	ck_assert_str_eq(names(&list), "virtio_ring virtio virtio_mmio virtiofs");
	ck_assert_str_eq(list.v[2].path, "drivers/virtio/virtio_mmio.ko");
	modtree_close(&tree);
	/* Built for another release: its modules would not load. */
	test_capture_stderr();
	int r = modtree_open(&tree, tmp, "6.9.0");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, "is the build tree of kernel 6.9.0-rc1+, but the kernel to "
			      "boot is 6.9.0"), "%s", err);
}
END_TEST

/* A tree naming a module twice (as a build tree with a stale object
 * might, or with '-' for '_'): the first line counts, and every module of
 * a large tree is found (the index is a hash table). */
START_TEST(test_index_first_wins)
{
	char dep[64 * 1024];
	size_t len = (size_t)snprintf(dep, sizeof(dep), "kernel/a.ko:\nkernel/old/a.ko: kernel/b.ko\n"
				      "kernel/x-y.ko:\nkernel/old/x_y.ko: kernel/b.ko\n");

	for (int i = 0; i < 2000; i++)
		len += (size_t)snprintf(dep + len, sizeof(dep) - len, "kernel/m%d.ko:\n", i);
	put("lib/modules/6.9/modules.dep", dep);
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	ck_assert_uint_eq(tree.nmods, 2002);
	ck_assert_int_eq(RESOLVE("a", "m0", "m1999", "m1000", "x_y"), 0);
	ck_assert_str_eq(names(&list), "a m0 m1999 m1000 x_y");
	ck_assert_str_eq(list.v[0].path, "kernel/a.ko");
	ck_assert_ptr_null(list.v[0].file); /* modules.dep: no file read */
	ck_assert_str_eq(list.v[4].path, "kernel/x-y.ko");
	ck_assert_int_eq(RESOLVE("x-y", "a"), 0);
	ck_assert_str_eq(names(&list), "x_y a");
	test_capture_stderr();
	ck_assert_int_eq(RESOLVE("m2000"), -ENOENT);
	test_captured_stderr();
}
END_TEST

static void compress(const char *rel, const char *tool, const char *suffix)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cd %s && %s %s && test -f %s%s", tmp, tool, rel, rel, suffix);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
}

/* An unpacked package of compressed modules without modules.dep:
 * modules.order says .ko, the files are .ko.xz, .ko.zst, .ko.gz. */
START_TEST(test_compressed_modinfo)
{
	put("lib/modules/6.9/modules.order", "kernel/a.ko\nkernel/b.ko\nkernel/c.ko\nkernel/d.ko\n");
	put_ko("6.9", "lib/modules/6.9/kernel/a.ko", MODINFO("depends=b,c"));
	put_ko("6.9", "lib/modules/6.9/kernel/b.ko", MODINFO("depends=d"));
	put_ko("6.9", "lib/modules/6.9/kernel/c.ko", MODINFO("depends=d"));
	put_ko("6.9", "lib/modules/6.9/kernel/d.ko", MODINFO("name=d"));
	compress("lib/modules/6.9/kernel/a.ko", "xz", ".xz");
	compress("lib/modules/6.9/kernel/b.ko", "zstd -q --rm", ".zst");
	compress("lib/modules/6.9/kernel/c.ko", "gzip", ".gz");
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	ck_assert_int_eq(RESOLVE("a"), 0);
	ck_assert_str_eq(names(&list), "d c b a");
	ck_assert_str_eq(list.v[0].path, "kernel/d.ko");
	ck_assert_str_eq(list.v[1].path, "kernel/c.ko.gz");
	ck_assert_str_eq(list.v[2].path, "kernel/b.ko.zst");
	ck_assert_str_eq(list.v[3].path, "kernel/a.ko.xz");
	/* A module in the list but not on disk. */
	put("lib/modules/6.9/modules.order", "kernel/a.ko\nkernel/gone.ko\n");
	put_ko("6.9", "lib/modules/6.9/kernel/a.ko", MODINFO("depends=gone"));
	modtree_close(&tree);
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	test_capture_stderr();
	int r = RESOLVE("a");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOENT);
	ck_assert_msg(strstr(err, "modules.order lists kernel/gone.ko, but there is no such file"),
		      "%s", err);
}
END_TEST

/* Modules of another kernel would not load in the guest: said on the host. */
START_TEST(test_wrong_vermagic)
{
	put("lib/modules/6.9/modules.order", "kernel/a.ko\nkernel/b.ko\nkernel/c.ko\n");
	put_ko("6.9", "lib/modules/6.9/kernel/a.ko", MODINFO("depends=b"));
	put_ko("6.9.1", "lib/modules/6.9/kernel/b.ko", MODINFO("depends="));
	test_put_file(tmp, "lib/modules/6.9/kernel/c.ko", bare_ko, test_make_ko(bare_ko,
		      sizeof(bare_ko), MODINFO("depends=")));
	ck_assert_int_eq(modtree_open(&tree, tmp, "6.9"), 0);
	test_capture_stderr();
	int r = RESOLVE("a");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOEXEC);
	ck_assert_msg(strstr(err, "kernel/b.ko was built for kernel 6.9.1, not 6.9: point "
			      "--modules at the modules of the kernel you boot\n"), "%s", err);
	ck_assert_msg(!strchr(err, '\n') || strchr(err, '\n')[1] == 0, "one line: %s", err);
	test_capture_stderr();
	r = RESOLVE("c");
	err = test_captured_stderr();
	ck_assert_int_eq(r, -ENOEXEC);
	ck_assert_msg(strstr(err, "kernel/c.ko has no vermagic"), "%s", err);
}
END_TEST

START_TEST(test_module_names)
{
	char name[MOD_NAME_MAX];
	const char *const good[][2] = {
		{ "kernel/fs/9p/9p.ko", "9p" }, { "kernel/fs/9p/9p.ko.xz", "9p" },
		{ "9pnet_virtio.ko.zst", "9pnet_virtio" }, { "arch/x86/crypto/crc32c-intel.ko", "crc32c_intel" },
		{ "fs/fuse/virtiofs.o", "virtiofs" }, { "/abs/x.ko.gz", "x" },
	};
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(mod_name_of(good[i][0], name), 0);
		ck_assert_str_eq(name, good[i][1]);
	}
	const char *const bad[] = { "", "kernel/", "x.c", ".ko", "kernel/x.kob",
		"a23456789012345678901234567890123456789012345678901234567.ko" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(mod_name_of(bad[i], name) == -EINVAL, "%s accepted", bad[i]);
}
END_TEST

START_TEST(test_malformed_index)
{
	put("lib/modules/6.9/modules.dep", "kernel/a.ko:\nnot a module line\n");
	test_capture_stderr();
	int r = modtree_open(&tree, tmp, "6.9");
	const char *err = test_captured_stderr();
	ck_assert_int_eq(r, -EINVAL);
	ck_assert_msg(strstr(err, "modules.dep, line 2: not a module path"), "%s", err);
}
END_TEST

/* --- Debian's package -------------------------------------------------- */

static char deb_dir[PATH_MAX], deb_release[KVER_MAX];

/* The package has no modules.dep: the order comes from each module's
 * .modinfo, and must be the one depmod's modules.dep gives. */
START_TEST(test_debian_package)
{
	char root[PATH_MAX + 8];

	snprintf(root, sizeof(root), "%s/root", deb_dir);
	ck_assert_int_eq(modtree_open(&tree, root, deb_release), 0);
	ck_assert(!tree.has_dep);
	ck_assert_uint_gt(tree.nmods, 3000);
	ck_assert_int_eq(resolve(microrun_set, 6), 0);
	ck_assert_str_eq(names(&list), MICRORUN_ORDER);
	ck_assert_str_eq(list.v[6].path, "kernel/net/9p/9pnet_virtio.ko");
	/* read for its .modinfo, each file is handed on open */
	for (size_t i = 0; i < list.n; i++) {
		ck_assert_ptr_nonnull(list.v[i].file);
		ck_assert_int_ge(list.v[i].file->fd, 0);
	}
	struct mod_file taken;
	modfile_move(&taken, list.v[6].file);
	ck_assert_int_eq(list.v[6].file->fd, -1);
	ck_assert_ptr_null(list.v[6].file->map);
	ck_assert_uint_eq(taken.size, taken.file_size); /* uncompressed */
	modfile_close(&taken);
	ck_assert_int_eq(RESOLVE("unix"), 0);
	ck_assert_uint_eq(list.n, 0);
}
END_TEST

Suite *modules_suite(void)
{
	Suite *s = suite_create("modules");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_debian_order);
	tcase_add_test(tc, test_builtin_skipped);
	tcase_add_test(tc, test_missing_module);
	tcase_add_test(tc, test_missing_dependency);
	tcase_add_test(tc, test_cycle);
	tcase_add_test(tc, test_layouts);
	tcase_add_test(tc, test_build_tree_modinfo);
	tcase_add_test(tc, test_index_first_wins);
	if (test_need_tools("modules.compressed_modinfo", "xz zstd gzip", "xz-utils zstd gzip"))
		tcase_add_test(tc, test_compressed_modinfo);
	tcase_add_test(tc, test_wrong_vermagic);
	tcase_add_test(tc, test_module_names);
	tcase_add_test(tc, test_malformed_index);
	if (test_need_debian_kernel("modules.debian_package", deb_dir, sizeof(deb_dir),
				    deb_release, sizeof(deb_release)))
		tcase_add_test(tc, test_debian_package);
	suite_add_tcase(s, tc);
	return s;
}
