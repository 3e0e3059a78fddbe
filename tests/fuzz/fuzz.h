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

/* Not assert(): NDEBUG must not turn the fuzzers' oracle off. abort() is
 * what libFuzzer and the replay both report as a crash. */
#define FUZZ_CHECK(cond)                                                        \
	do {                                                                    \
		if (!(cond)) {                                                  \
			fprintf(stderr, "%s:%d: invariant broken: %s\n",        \
				__FILE__, __LINE__, #cond);                     \
			abort();                                                \
		}                                                               \
	} while (0)

/* Bytes taken off the front of the input; zeros once it runs out, so that
 * every input is a valid one. */
struct fuzz_input {
	const uint8_t *p;
	size_t left;
};

static inline void fuzz_take(struct fuzz_input *in, void *dst, size_t n)
{
	size_t have = n < in->left ? n : in->left;

	memcpy(dst, in->p, have);
	memset((uint8_t *)dst + have, 0, n - have);
	in->p += have;
	in->left -= have;
}

static inline uint8_t fuzz_u8(struct fuzz_input *in)
{
	uint8_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint16_t fuzz_u16(struct fuzz_input *in)
{
	uint16_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint32_t fuzz_u32(struct fuzz_input *in)
{
	uint32_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

static inline uint64_t fuzz_u64(struct fuzz_input *in)
{
	uint64_t v;

	fuzz_take(in, &v, sizeof(v));
	return v;
}

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
