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
