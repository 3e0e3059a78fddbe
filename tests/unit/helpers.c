#include "tests/unit/helpers.h"

#include <check.h>
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
