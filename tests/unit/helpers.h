/* Small fixtures several unit-test files share. */
#ifndef MR_TEST_HELPERS_H
#define MR_TEST_HELPERS_H

#include <stddef.h>

/* An unlinked temporary file holding `len` bytes of `data` (len may be 0);
 * returns its descriptor. Fails the test on error. */
int test_file_with(const void *data, size_t len);

#endif
