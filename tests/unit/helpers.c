#include "tests/unit/helpers.h"

#include <check.h>
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
