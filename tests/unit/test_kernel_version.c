/* Kernel release from a bzImage's setup header and from a vmlinux's
 * banner: synthetic images at the edges of the file, malformed ones, and
 * Debian's own kernel when tests/realkernel/kernel.sh has cached it. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/kernel_version.h"
#include "boot/x86/bzimage.h"
#include "tests/guests/version.h"
#include "tests/unit/helpers.h"
#include "tests/unit/suites.h"

#define DEBIAN_STRING "6.1.0-57-amd64 (debian-kernel@lists.debian.org) #1 SMP " \
	"PREEMPT_DYNAMIC Debian 6.1.192-3 (2026-11-26)"

static uint8_t file[0x4000];
static char rel[KVER_MAX];

/* A setup header whose kernel_version points at `s`, placed at file offset
 * `at` (the field holds at - 0x200, boot.rst). */
static struct setup_header header_for(uint64_t at, const char *s, size_t with_nul)
{
	struct setup_header h = { .version = 0x020f, .kernel_version = (uint16_t)(at - 0x200) };

	memset(file, 'x', sizeof(file));
	memcpy(file + at, s, with_nul);
	return h;
}

START_TEST(test_setup_header_release)
{
	struct setup_header h = header_for(0x3c00, DEBIAN_STRING, sizeof(DEBIAN_STRING));

	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), 0);
	ck_assert_str_eq(rel, "6.1.0-57-amd64");
	/* A string that is only the release, ending at the file's last byte. */
	h = header_for(sizeof(file) - 8, "6.2-rc1", 8);
	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), 0);
	ck_assert_str_eq(rel, "6.2-rc1");
}
END_TEST

START_TEST(test_setup_header_malformed)
{
	struct setup_header h = header_for(0x3c00, DEBIAN_STRING, sizeof(DEBIAN_STRING));

	/* Past the end of the file, or no NUL before it. */
	ck_assert_int_eq(kver_from_setup_header(file, 0x3c00, &h, rel), -EINVAL);
	ck_assert_int_eq(kver_from_setup_header(file, 0x3c10, &h, rel), -EINVAL);
	h.kernel_version = 0xffff;
	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), -EINVAL);
	/* No pointer, or a protocol older than the field. */
	h = header_for(0x3c00, DEBIAN_STRING, sizeof(DEBIAN_STRING));
	h.kernel_version = 0;
	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), -EINVAL);
	h = header_for(0x3c00, DEBIAN_STRING, sizeof(DEBIAN_STRING));
	h.version = 0x01ff;
	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), -EINVAL);
	/* Releases that cannot name a directory. */
	const char *bad[] = { "", " 6.1", "..", ".", "6.1/../../etc", "6.1\t#1", "6.1\x7f" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		h = header_for(0x400, bad[i], strlen(bad[i]) + 1);
		ck_assert_msg(kver_from_setup_header(file, sizeof(file), &h, rel) == -EINVAL,
			      "\"%s\" accepted", bad[i]);
	}
	char longest[KVER_MAX + 1];
	memset(longest, 'v', sizeof(longest));
	longest[KVER_MAX - 1] = 0;
	h = header_for(0x400, longest, KVER_MAX);
	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), 0);
	ck_assert_uint_eq(strlen(rel), KVER_MAX - 1);
	longest[KVER_MAX - 1] = 'v';
	longest[KVER_MAX] = 0;
	h = header_for(0x400, longest, KVER_MAX + 1);
	ck_assert_int_eq(kver_from_setup_header(file, sizeof(file), &h, rel), -EINVAL);
}
END_TEST

static void put_str(uint64_t at, const char *s)
{
	memcpy(file + at, s, strlen(s));
}

START_TEST(test_elf_banner)
{
	struct elf_kernel k = {
		.nseg = 2,
		.seg = { { .offset = 0x100, .filesz = 0x200 }, { .offset = 0x800, .filesz = 0x400 } },
	};

	memset(file, 0, sizeof(file));
	/* Outside every segment, then a format string, then the banner. */
	put_str(0x10, "Linux version 9.9.9-outside (x)");
	put_str(0x900, "Linux version %s");
	put_str(0xa00, "Linux version 6.1.0-57-amd64 (debian-kernel@lists.debian.org)");
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), 0);
	ck_assert_str_eq(rel, "6.1.0-57-amd64");
	/* A banner cut by its segment's end does not count. */
	memset(file, 0, sizeof(file));
	put_str(0x2f0, "Linux version 6.1.0-57-amd64 (x)");
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), -EINVAL);
	k.seg[0].filesz = 0x400;
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), 0);
	ck_assert_str_eq(rel, "6.1.0-57-amd64");
}
END_TEST

START_TEST(test_elf_malformed)
{
	struct elf_kernel k = { .nseg = 1, .seg = { { .offset = 0x100, .filesz = 0x200 } } };

	memset(file, 0, sizeof(file));
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), -EINVAL);
	put_str(0x100, "Linux version  (gcc)");
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), -EINVAL);
	put_str(0x100, "Linux version ../x (gcc)");
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), -EINVAL);
	/* Segments that do not lie in the file are refused, not read. */
	k.seg[0] = (struct elf_segment){ .offset = sizeof(file) - 0x100, .filesz = 0x200 };
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), -EINVAL);
	k.seg[0] = (struct elf_segment){ .offset = UINT64_MAX, .filesz = 2 };
	ck_assert_int_eq(kver_from_elf(file, sizeof(file), &k, rel), -EINVAL);
}
END_TEST

/* --- images from a toolchain: the tiny guests, Debian's kernel --------- */

static char guests[PATH_MAX], deb_dir[PATH_MAX], deb_release[KVER_MAX];

static const uint8_t *map(const char *path, uint64_t *size)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(fstat(fd, &st), 0);
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	ck_assert_ptr_ne(p, MAP_FAILED);
	close(fd);
	*size = (uint64_t)st.st_size;
	return p;
}

/* The release a loader's parse of the file at `path` leads to. */
static void assert_bzimage_release(const char *path, const char *want)
{
	struct bzimage bz;
	uint64_t size;
	const uint8_t *img = map(path, &size);

	ck_assert_int_eq(bzimage_parse(img, size, path, &bz), 0);
	ck_assert_int_eq(kver_from_setup_header(img, size, &bz.hdr, rel), 0);
	ck_assert_str_eq(rel, want);
	munmap((void *)img, size);
}

static void assert_elf_release(const char *path, const char *want)
{
	struct elf_kernel k;
	uint64_t size;
	const uint8_t *img = map(path, &size);

	ck_assert_int_eq(elf_parse(img, size, EM_X86_64, 0, UINT64_MAX, path, &k), 0);
	ck_assert_int_eq(kver_from_elf(img, size, &k, rel), 0);
	ck_assert_str_eq(rel, want);
	munmap((void *)img, size);
}

START_TEST(test_debian_images)
{
	char path[PATH_MAX + 128];

	snprintf(path, sizeof(path), "%s/root/boot/vmlinuz-%s", deb_dir, deb_release);
	assert_bzimage_release(path, deb_release);
	snprintf(path, sizeof(path), "%s/vmlinux", deb_dir);
	assert_elf_release(path, deb_release);
}
END_TEST

/* The tiny guests sit beside this binary: BUILD/test_unit, BUILD/guests. */
static bool find_guests(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return false;
	self[n] = 0;
	*strrchr(self, '/') = 0;
	snprintf(guests, sizeof(guests), "%.*s/guests", (int)(sizeof(guests) - 8), self);
	snprintf(self + strlen(self), sizeof(self) - strlen(self), "/guests/hello.elf");
	return access(self, R_OK) == 0;
}

START_TEST(test_guest_images)
{
	char path[PATH_MAX + 32];

	snprintf(path, sizeof(path), "%s/hello.bzImage", guests);
	assert_bzimage_release(path, GUEST_RELEASE);
	snprintf(path, sizeof(path), "%s/hello.elf", guests);
	assert_elf_release(path, GUEST_RELEASE);
}
END_TEST

Suite *kernel_version_suite(void)
{
	Suite *s = suite_create("kernel_version");
	TCase *tc = tcase_create("release");

	tcase_add_test(tc, test_setup_header_release);
	tcase_add_test(tc, test_setup_header_malformed);
	tcase_add_test(tc, test_elf_banner);
	tcase_add_test(tc, test_elf_malformed);
	if (find_guests())
		tcase_add_test(tc, test_guest_images);
	else
		test_skip("kernel_version.guest_images", "the tiny guests are not built (make guests)");
	if (test_need_debian_kernel("kernel_version.debian", deb_dir, sizeof(deb_dir),
				    deb_release, sizeof(deb_release)))
		tcase_add_test(tc, test_debian_images);
	suite_add_tcase(s, tc);
	return s;
}
