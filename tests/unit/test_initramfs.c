/* Unit tests for the program-run initramfs (boot/initramfs.c): its
 * members, checked by GNU cpio as the kernel's unpacker would see them,
 * and the module paths the configuration names. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot/init_image.h"
#include "boot/initramfs.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

START_TEST(test_module_paths)
{
	char p[64];

	ck_assert_int_eq(initramfs_module_path(3, "9pnet_virtio", p, sizeof(p)), 0);
	ck_assert_str_eq(p, "/microrun/modules/03-9pnet_virtio.ko");
	ck_assert_int_eq(initramfs_module_path(0, "9p", p, 27), 0);
	ck_assert_str_eq(p, "/microrun/modules/00-9p.ko");
	ck_assert_int_eq(initramfs_module_path(0, "9p", p, 26), -ENAMETOOLONG);
}
END_TEST

/* The archive with one module, written twice (size, then for real) and
 * listed and unpacked by GNU cpio in a temporary directory. */
START_TEST(test_members)
{
	static uint8_t ko[1 << 16], buf[1 << 20];
	static const uint8_t config[] = "MRCFG1\n\0not decoded here";
	char dir[] = "/tmp/microrun-initramfs-XXXXXX", path[256], cmd[600];
	struct cpio_writer w;
	struct mod_file f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	size_t ko_len = test_make_ko(ko, sizeof(ko), "name=virtio_mmio", 17);
	test_put_file(dir, "virtio_mmio.ko", ko, ko_len);
	snprintf(path, sizeof(path), "%s/virtio_mmio.ko", dir);
	ck_assert_int_eq(modfile_open(&f, path), 0);
	const struct initramfs_module mods[] = {
		{ .path = "/microrun/modules/00-virtio_mmio.ko", .file = &f },
	};
	cpio_init(&w, NULL, 0);
	ck_assert_int_eq(initramfs_write(&w, config, sizeof(config), mods, 1), 0);
	size_t need = cpio_size(&w);
	ck_assert_uint_le(need, sizeof(buf));
	cpio_init(&w, buf, need);
	ck_assert_int_eq(initramfs_write(&w, config, sizeof(config), mods, 1), 0);
	ck_assert_uint_eq(cpio_size(&w), need);
	modfile_close(&f);
	snprintf(path, sizeof(path), "%s/initramfs.cpio", dir);
	test_put_file(dir, "initramfs.cpio", buf, need);

	snprintf(cmd, sizeof(cmd), "cpio -itv --quiet <%s | awk '{ print $1, $NF }'", path);
	ck_assert_str_eq(test_run(cmd),
			 "drwxr-xr-x dev\n"
			 "crw------- dev/console\n"
			 "drwxr-xr-x microrun\n"
			 "drwxr-xr-x microrun/modules\n"
			 "-rwxr-xr-x init\n"
			 "-rw------- microrun/config\n"
			 "-rw-r--r-- microrun/modules/00-virtio_mmio.ko\n");
	snprintf(cmd, sizeof(cmd), "cpio -itv --quiet <%s | awk '$NF == \"dev/console\" { print $5, $6 }'",
		 path);
	ck_assert_str_eq(test_run(cmd), "5, 1\n");
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -id --quiet <initramfs.cpio && cmp -s init /dev/stdin "
		 "&& cmp -s microrun/modules/00-virtio_mmio.ko virtio_mmio.ko", dir);
	FILE *p = popen(cmd, "w");  /* the embedded init on the pipe, compared with cpio's */
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fwrite(init_image_start, 1, init_image_size(), p), init_image_size());
	ck_assert_int_eq(pclose(p), 0);
	snprintf(cmd, sizeof(cmd), "cmp %s/microrun/config - && rm -r %s", dir, dir);
	p = popen(cmd, "w");
	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(fwrite(config, 1, sizeof(config), p), sizeof(config));
	ck_assert_int_eq(pclose(p), 0);
}
END_TEST

Suite *initramfs_suite(void)
{
	Suite *s = suite_create("initramfs");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_module_paths);
	if (test_need_tools("initramfs.members", "cpio cmp awk", "cpio diffutils gawk"))
		tcase_add_test(tc, test_members);
	suite_add_tcase(s, tc);
	return s;
}
