/* Small fixtures several unit-test files share. */
#ifndef MR_TEST_HELPERS_H
#define MR_TEST_HELPERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An unlinked temporary file holding `len` bytes of `data` (len may be 0);
 * returns its descriptor. Fails the test on error. */
int test_file_with(const void *data, size_t len);

/* Little-endian fields of a table as a guest would read them. */
uint16_t test_le16(const uint8_t *p);
uint32_t test_le32(const uint8_t *p);
uint64_t test_le64(const uint8_t *p);

/* The 8-bit sum firmware tables checksum to zero. */
uint8_t test_byte_sum(const uint8_t *p, size_t len);

/* Whether all `len` bytes at `p` equal `value`. */
bool test_all_bytes(const uint8_t *p, size_t len, uint8_t value);

/* A minimal kernel module: an ELF64 relocatable object whose .modinfo
 * section holds the `len` bytes at `modinfo` ("depends=a,b\0name=c\0").
 * Returns its size; fails the test if `cap` is too small. */
size_t test_make_ko(uint8_t *buf, size_t cap, const char *modinfo, size_t len);

/* Writes `len` bytes to DIR/REL, making the directories on the way. */
void test_put_file(const char *dir, const char *rel, const void *data, size_t len);

/* The first 4 KiB of what shell command `cmd` prints; fails the test
 * unless it exits 0. The buffer is static: one result at a time. */
char *test_run(const char *cmd);

/* stderr into a buffer between the two calls; the second returns it. */
void test_capture_stderr(void);
const char *test_captured_stderr(void);

/* The newest Debian kernel that tests/realkernel/kernel.sh has cached in
 * ${MICRORUN_CACHE:-$HOME/.cache/microrun-tests}: its directory (holding
 * root/, the unpacked package, and vmlinux) and its release. false if none;
 * kernel.sh fetches one. */
bool test_debian_kernel(char *dir, size_t dirlen, char *release, size_t rellen);

/* A test that cannot run on this machine: suites call this instead of adding
 * it, so it is reported (on stderr, with the reason) and counted as skipped
 * rather than passed. */
void test_skip(const char *test, const char *why);
unsigned test_skipped(void);

/* Whether `test` can run: Debian's kernel is cached (test_debian_kernel), or
 * every command in the space-separated `tools` is installed (else the
 * Debian `packages` to install are named). If not, test_skip says why. */
bool test_need_debian_kernel(const char *test, char *dir, size_t dirlen, char *release,
			     size_t rellen);
bool test_need_tools(const char *test, const char *tools, const char *packages);

#endif
