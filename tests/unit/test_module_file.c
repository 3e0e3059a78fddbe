/* A module's .modinfo, and module files plain or compressed by the real
 * xz, zstd and gzip tools: sizes from the streams' metadata, contents
 * decompressed exactly, into a cpio archive, and corrupt or unsized
 * streams refused. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/kernel_version.h"
#include "boot/modinfo.h"
#include "boot/module_file.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define MODINFO(s) s, sizeof(s)

static uint8_t ko[1 << 17];
static size_t ko_len;
static const char *v;
static size_t vlen;

START_TEST(test_modinfo_keys)
{
	ko_len = test_make_ko(ko, sizeof(ko),
			      MODINFO("dependsx=1\0license=GPL\0\0\0depends=virtio,9pnet\0name=x\0depends="));
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), 0);
	ck_assert_uint_eq(vlen, 12);
	ck_assert_mem_eq(v, "virtio,9pnet", 12);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "name", &v, &vlen), 0);
	ck_assert_uint_eq(vlen, 1);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "vermagic", &v, &vlen), -ENOENT);
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends="));
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), 0);
	ck_assert_uint_eq(vlen, 0);
}
END_TEST

/* Overwrites field `off` (of `len` bytes) of section header `i`. */
static void patch_section(unsigned i, size_t off, uint64_t value, size_t len)
{
	Elf64_Ehdr eh;

	memcpy(&eh, ko, sizeof(eh));
	memcpy(ko + eh.e_shoff + i * sizeof(Elf64_Shdr) + off, &value, len);
}

START_TEST(test_modinfo_malformed)
{
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends=a"));
	ck_assert_int_eq(modinfo_get(ko, sizeof(Elf64_Ehdr) - 1, "depends", &v, &vlen), -EINVAL);
	/* The section table cut off by the end of the file. */
	ck_assert_int_eq(modinfo_get(ko, ko_len - 1, "depends", &v, &vlen), -EINVAL);
	ko[EI_CLASS] = ELFCLASS32;
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends=a"));
	ko[16] = ET_EXEC;
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	/* e_shstrndx past the table. */
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends=a"));
	ko[offsetof(Elf64_Ehdr, e_shstrndx)] = 3;
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	/* .modinfo reaching past the file, or at an offset that wraps. */
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends=a"));
	patch_section(1, offsetof(Elf64_Shdr, sh_size), ko_len, 8);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	patch_section(1, offsetof(Elf64_Shdr, sh_offset), UINT64_MAX, 8);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	/* The last string without its NUL. */
	ko_len = test_make_ko(ko, sizeof(ko), "name=x\0depends=a", 16);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	/* No section of that name: a name offset past the string table. */
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends=a"));
	patch_section(1, offsetof(Elf64_Shdr, sh_name), 0x7fffffff, 4);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
	/* A string table with no bytes in the file. */
	ko_len = test_make_ko(ko, sizeof(ko), MODINFO("depends=a"));
	patch_section(2, offsetof(Elf64_Shdr, sh_type), SHT_NOBITS, 4);
	patch_section(2, offsetof(Elf64_Shdr, sh_offset), 1ULL << 40, 8);
	ck_assert_int_eq(modinfo_get(ko, ko_len, "depends", &v, &vlen), -EINVAL);
}
END_TEST

/* --- module files ----------------------------------------------------- */

static char tmp[64], path[PATH_MAX];

static void setup(void)
{
	char info[60000];
	size_t len = 0;

	snprintf(tmp, sizeof(tmp), "/tmp/microrun-modfile-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmp));
	/* A module big enough for several compressed blocks. */
	for (unsigned i = 0; len + 40 < sizeof(info); i++)
		len += (size_t)snprintf(info + len, sizeof(info) - len, "alias=virtio:d%08xv*",
					i * 2654435761u) + 1;
	ko_len = test_make_ko(ko, sizeof(ko), info, len);
	test_put_file(tmp, "m.ko", ko, ko_len);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
	ck_assert_int_eq(system(cmd), 0);
}

static const char *sh(const char *fmt, const char *arg)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "cd %s && ", tmp);
	snprintf(cmd + strlen(cmd), sizeof(cmd) - strlen(cmd), fmt, arg);
	ck_assert_msg(system(cmd) == 0, "%s failed", cmd);
	snprintf(path, sizeof(path), "%s/%s", tmp, arg);
	return path;
}

static void assert_module(const char *file, enum mod_comp comp)
{
	static uint8_t out[sizeof(ko)];
	static uint8_t archive[sizeof(ko) + 512];
	struct mod_file f;
	struct cpio_writer w;

	ck_assert_int_eq(modfile_open(&f, file), 0);
	ck_assert_int_eq(f.comp, comp);
	ck_assert_uint_eq(f.size, ko_len);
	memset(out, 0, sizeof(out));
	ck_assert_int_eq(modfile_read(&f, out), 0);
	ck_assert_mem_eq(out, ko, ko_len);
	/* Into an archive: the same size when counted and when written. */
	cpio_init(&w, NULL, 0);
	ck_assert_int_eq(modfile_add_to_cpio(&w, "lib/modules/m.ko", &f), 0);
	size_t counted = cpio_size(&w);
	cpio_init(&w, archive, sizeof(archive));
	ck_assert_int_eq(modfile_add_to_cpio(&w, "lib/modules/m.ko", &f), 0);
	ck_assert_uint_eq(cpio_size(&w), counted);
	ck_assert_mem_eq(archive + 128, ko, ko_len); /* 110 + 17 of name, padded */
	modfile_close(&f);
}

START_TEST(test_plain_and_compressed)
{
	snprintf(path, sizeof(path), "%s/m.ko", tmp);
	assert_module(path, MOD_COMP_NONE);
	assert_module(sh("xz -k m.ko", "m.ko.xz"), MOD_COMP_XZ);
	assert_module(sh("xz -k -9e --check=sha256 -c m.ko > %s", "m9.ko.xz"), MOD_COMP_XZ);
	assert_module(sh("zstd -q -k m.ko -o %s", "m.ko.zst"), MOD_COMP_ZSTD);
	assert_module(sh("gzip -c m.ko > %s", "m.ko.gz"), MOD_COMP_GZIP);
	/* The magic decides, not the name. */
	assert_module(sh("xz -c m.ko > %s", "misnamed.ko"), MOD_COMP_XZ);
}
END_TEST

static int open_quietly(const char *file, const char **err)
{
	struct mod_file f;

	test_capture_stderr();
	int r = modfile_open(&f, file);
	*err = test_captured_stderr();
	if (!r)
		modfile_close(&f);
	return r;
}

START_TEST(test_refused_files)
{
	const char *err;

	ck_assert_int_eq(open_quietly(sh("zstd -q --no-content-size -c m.ko > %s", "n.ko.zst"), &err),
			 -ENOTSUP);
	ck_assert_msg(strstr(err, "does not record the module's size"), "%s", err);
	/* Two streams back to back: the index speaks only of the last. */
	ck_assert_int_eq(open_quietly(sh("xz -c m.ko > one.xz && cat one.xz one.xz > %s", "two.ko.xz"),
				      &err), -ENOTSUP);
	ck_assert_int_eq(open_quietly(sh("xz -k m.ko && head -c -8 m.ko.xz > %s", "cut.ko.xz"), &err),
			 -EINVAL);
	ck_assert_msg(strstr(err, "cut.ko.xz: not a kernel module"), "%s", err);
	ck_assert_int_eq(open_quietly(sh("echo 'not a module at all' > %s", "text.ko"), &err), -EINVAL);
	ck_assert_int_eq(open_quietly(sh("mkdir %s", "dir.ko"), &err), -EINVAL);
	ck_assert_int_eq(open_quietly(sh("true %s", "absent.ko"), &err), -ENOENT);
	ck_assert_msg(strstr(err, "cannot read module") && strstr(err, "absent.ko"), "%s", err);
}
END_TEST

/* A stream whose data is damaged still opens (its size is intact) but
 * does not read, and leaves no member in an archive. */
static void assert_corrupt(const char *file)
{
	static uint8_t out[sizeof(ko)], archive[sizeof(ko) + 512];
	struct mod_file f;
	struct cpio_writer w;
	char cmd[PATH_MAX + 128];

	/* One byte in the middle of the compressed data, inverted. */
	snprintf(cmd, sizeof(cmd), "f=%s; n=$(($(stat -c %%s $f) / 2)); "
		 "b=$(od -An -tu1 -j$n -N1 $f | tr -d ' '); "
		 "printf \"\\\\$(printf %%o $((255 - b)))\" | dd of=$f bs=1 seek=$n conv=notrunc status=none",
		 file);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_int_eq(modfile_open(&f, file), 0);
	ck_assert_int_eq(modfile_read(&f, out), -EIO);
	cpio_init(&w, archive, sizeof(archive));
	ck_assert_int_eq(cpio_add_dir(&w, "lib", 0755), 0);
	ck_assert_int_eq(modfile_add_to_cpio(&w, "lib/m.ko", &f), -EIO);
	ck_assert_uint_eq(cpio_size(&w), 116);
	modfile_close(&f);
}

START_TEST(test_corrupt_streams)
{
	assert_corrupt(sh("xz -k m.ko", "m.ko.xz"));
	assert_corrupt(sh("zstd -q -k m.ko -o %s", "m.ko.zst"));
	assert_corrupt(sh("gzip -k m.ko", "m.ko.gz"));
}
END_TEST

/* --- Debian's package -------------------------------------------------- */

static char deb_dir[PATH_MAX], deb_release[KVER_MAX];

START_TEST(test_debian_modinfo)
{
	char file[PATH_MAX + 128];
	struct mod_file f;

	snprintf(file, sizeof(file), "%s/root/lib/modules/%s/kernel/fs/9p/9p.ko", deb_dir, deb_release);
	ck_assert_int_eq(modfile_open(&f, file), 0);
	ck_assert_int_eq(f.comp, MOD_COMP_NONE);
	ck_assert_int_eq(modinfo_get(f.map, f.size, "depends", &v, &vlen), 0);
	ck_assert_uint_eq(vlen, strlen("9pnet,fscache,netfs"));
	ck_assert_mem_eq(v, "9pnet,fscache,netfs", vlen);
	ck_assert_int_eq(modinfo_get(f.map, f.size, "vermagic", &v, &vlen), 0);
	ck_assert_uint_gt(vlen, strlen(deb_release));
	ck_assert_mem_eq(v, deb_release, strlen(deb_release));
	ck_assert_int_eq(v[strlen(deb_release)], ' ');
	modfile_close(&f);
}
END_TEST

Suite *module_file_suite(void)
{
	Suite *s = suite_create("module_file");
	TCase *info = tcase_create("modinfo");
	TCase *files = tcase_create("files");

	tcase_add_test(info, test_modinfo_keys);
	tcase_add_test(info, test_modinfo_malformed);
	if (test_need_debian_kernel("module_file.debian_modinfo", deb_dir, sizeof(deb_dir),
				    deb_release, sizeof(deb_release)))
		tcase_add_test(info, test_debian_modinfo);
	tcase_add_checked_fixture(files, setup, teardown);
	if (test_need_tools("module_file.files", "xz zstd gzip", "xz-utils zstd gzip")) {
		tcase_add_test(files, test_plain_and_compressed);
		tcase_add_test(files, test_refused_files);
		tcase_add_test(files, test_corrupt_streams);
	}
	suite_add_tcase(s, info);
	suite_add_tcase(s, files);
	return s;
}
