/* What every fuzz target in tests/fuzz/ provides, and what they share: an
 * always-on invariant check and a cursor over the fuzzer's bytes. A target
 * is one file defining LLVMFuzzerTestOneInput; linked with libFuzzer it
 * fuzzes (make fuzz), linked with tests/fuzz/replay.c it replays a corpus
 * (make check). */
#ifndef MR_FUZZ_H
#define MR_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The sanitizers' own report channel: libFuzzer (-close_fd_mask=2) closes
 * stderr, not that. Absent without sanitizers, hence weak. */
extern void __sanitizer_report_error_summary(const char *summary) __attribute__((weak));

static inline __attribute__((noreturn)) void fuzz_fail(const char *file, int line,
							const char *cond)
{
	char msg[512];

	snprintf(msg, sizeof(msg), "%s:%d: invariant broken: %s", file, line, cond);
	if (__sanitizer_report_error_summary)
		__sanitizer_report_error_summary(msg);
	else
		fprintf(stderr, "%s\n", msg);
	abort();
}

/* Not assert(): NDEBUG must not turn the fuzzers' oracle off. abort() is
 * what libFuzzer and the replay both report as a crash. */
#define FUZZ_CHECK(cond) ((cond) ? (void)0 : fuzz_fail(__FILE__, __LINE__, #cond))

/* Bytes taken off the front of the input; zeros once it runs out, so that
 * every input is a valid one. */
struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_take(struct fuzz_input *in, void *dst, size_t n)
{
	size_t have = n < in->left ? n : in->left;

	if (have)
		memcpy(dst, in->p, have);
	memset((uint8_t *)dst + have, 0, n - have);
	in->p += have;
	in->left -= have;
}

/* fuzz_u8, fuzz_u16, fuzz_u32, fuzz_u64: the next little-endian value. */
#define FUZZ_UINT(bits)                                                         \
	static inline uint##bits##_t fuzz_u##bits(struct fuzz_input *in)        \
	{                                                                       \
		uint##bits##_t v;                                               \
		fuzz_take(in, &v, sizeof(v));                                   \
		return v;                                                       \
	}
FUZZ_UINT(8)
FUZZ_UINT(16)
FUZZ_UINT(32)
FUZZ_UINT(64)

/* A file holding `size` bytes of `data` (NULL: zeros), for code that
 * takes a descriptor: loaders, disks. One memfd per process, emptied and
 * refilled for each input, so nothing of the last input remains. */
static inline int fuzz_file(const void *data, size_t size)
{
	static int fd = -1;

	if (fd < 0)
		fd = memfd_create("fuzz-input", MFD_CLOEXEC);
	FUZZ_CHECK(fd >= 0 && ftruncate(fd, 0) == 0 && ftruncate(fd, (off_t)size) == 0);
	if (data && size)
		FUZZ_CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
	return fd;
}

#endif
