#include "tests/unit/helpers.h"

#include <check.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>
#include <glob.h>
#include <string.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int test_file_with(const void *data, size_t len)
{
	char path[] = "/tmp/microrun-test-XXXXXX";
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	unlink(path);
	if (len)
		ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	return fd;
}

uint16_t test_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t test_le32(const uint8_t *p)
{
	return (uint32_t)test_le16(p) | (uint32_t)test_le16(p + 2) << 16;
}

uint64_t test_le64(const uint8_t *p)
{
	return (uint64_t)test_le32(p) | (uint64_t)test_le32(p + 4) << 32;
}

uint8_t test_byte_sum(const uint8_t *p, size_t len)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < len; i++)
		sum += p[i];
	return sum;
}

bool test_all_bytes(const uint8_t *p, size_t len, uint8_t value)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != value)
			return false;
	return true;
}

/* Suites are built in the parent process, before Check forks the tests. */
static unsigned skipped;

void test_skip(const char *test, const char *why)
{
	fprintf(stderr, "SKIP %s: %s\n", test, why);
	skipped++;
}

unsigned test_skipped(void)
{
	return skipped;
}

bool test_debian_kernel(char *dir, size_t dirlen, char *release, size_t rellen)
{
	const char *cache = getenv("MICRORUN_CACHE"), *home = getenv("HOME");
	char pattern[4096];
	glob_t g;
	const char *best = NULL;

	if (cache)
		snprintf(pattern, sizeof(pattern), "%s/*/root/boot/vmlinuz-*", cache);
	else
		snprintf(pattern, sizeof(pattern), "%s/.cache/microrun-tests/*/root/boot/vmlinuz-*",
			 home ? home : "");
	if (glob(pattern, 0, NULL, &g) != 0)
		return false;
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (!best || strverscmp(g.gl_pathv[i], best) > 0)
			best = g.gl_pathv[i];
	/* DIR/root/boot/vmlinuz-RELEASE */
	const char *rel = strrchr(best, '/') + 1 + strlen("vmlinuz-");
	size_t dlen = strlen(best) - strlen("/root/boot/vmlinuz-") - strlen(rel);
	bool ok = dlen < dirlen && strlen(rel) < rellen;
	if (ok) {
		snprintf(dir, dirlen, "%.*s", (int)dlen, best);
		snprintf(release, rellen, "%s", rel);
	}
	globfree(&g);
	return ok;
}

size_t test_make_ko(uint8_t *buf, size_t cap, const char *modinfo, size_t len)
{
	static const char names[] = "\0.modinfo\0.shstrtab";
	Elf64_Ehdr eh = {
		.e_ident = { ELFMAG0, ELFMAG1, ELFMAG2, ELFMAG3, ELFCLASS64, ELFDATA2LSB, EV_CURRENT },
		.e_type = ET_REL, .e_machine = EM_X86_64, .e_version = EV_CURRENT,
		.e_ehsize = sizeof(Elf64_Ehdr), .e_shentsize = sizeof(Elf64_Shdr),
		.e_shnum = 3, .e_shstrndx = 2,
	};
	size_t names_at = sizeof(eh) + len;
	size_t shoff = (names_at + sizeof(names) + 7) & ~(size_t)7;
	Elf64_Shdr sh[3] = {
		[1] = { .sh_name = 1, .sh_type = SHT_PROGBITS, .sh_flags = SHF_ALLOC,
			.sh_offset = sizeof(eh), .sh_size = len, .sh_addralign = 1 },
		[2] = { .sh_name = 10, .sh_type = SHT_STRTAB, .sh_offset = names_at,
			.sh_size = sizeof(names), .sh_addralign = 1 },
	};

	eh.e_shoff = shoff;
	ck_assert_uint_le(shoff + sizeof(sh), cap);
	memset(buf, 0, shoff);
	memcpy(buf, &eh, sizeof(eh));
	memcpy(buf + sizeof(eh), modinfo, len);
	memcpy(buf + names_at, names, sizeof(names));
	memcpy(buf + shoff, sh, sizeof(sh));
	return shoff + sizeof(sh);
}

void test_put_file(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];

	ck_assert_int_lt(snprintf(path, sizeof(path), "%s/%s", dir, rel), (int)sizeof(path));
	for (char *p = path + strlen(dir) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		ck_assert_msg(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
		*p = '/';
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	close(fd);
}

static int captured_fd = -1, saved_stderr = -1;

void test_capture_stderr(void)
{
	captured_fd = test_file_with(NULL, 0);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_eq(dup2(captured_fd, STDERR_FILENO), STDERR_FILENO);
}

const char *test_captured_stderr(void)
{
	static char text[8192];

	ck_assert_int_eq(dup2(saved_stderr, STDERR_FILENO), STDERR_FILENO);
	close(saved_stderr);
	ssize_t n = pread(captured_fd, text, sizeof(text) - 1, 0);
	ck_assert_int_ge(n, 0);
	text[n] = 0;
	close(captured_fd);
	return text;
}

bool test_need_debian_kernel(const char *test, char *dir, size_t dirlen, char *release,
			     size_t rellen)
{
	if (test_debian_kernel(dir, dirlen, release, rellen))
		return true;
	test_skip(test, "no cached Debian kernel (run: . tests/realkernel/kernel.sh; mrk_get_kernel)");
	return false;
}

bool test_need_tools(const char *test, const char *tools, const char *packages)
{
	char cmd[512], why[512];

	snprintf(cmd, sizeof(cmd), "for t in %s; do command -v $t; done >/dev/null", tools);
	if (system(cmd) == 0)
		return true;
	snprintf(why, sizeof(why), "needs %s, not all installed (apt-get install %s)", tools, packages);
	test_skip(test, why);
	return false;
}

char *test_run(const char *cmd)
{
	static char out[4096];
	FILE *p = popen(cmd, "r");

	ck_assert_ptr_nonnull(p);
	size_t n = fread(out, 1, sizeof(out) - 1, p);
	out[n] = 0;
	ck_assert_int_eq(pclose(p), 0);
	return out;
}
