/* Fuzz target: the ELF loader (boot/elf.c) on a fuzzed vmlinux, as
 * microrun loads a -k file: parsed from the bytes for x86-64 above 1 MiB
 * and below the end of RAM, then loaded from a descriptor.
 *
 * Oracle: ASan/UBSan, and the loader's promises: every accepted segment
 * lies in the file and in [1 MiB, end of RAM), [low, high) spans them
 * all, the entry is in one; it then loads, and the last segment loaded holds the file's
 * bytes (an earlier one may be overlapped by a later one). */
#include <elf.h>

#include "boot/elf.h"
#include "src/x86/layout.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE (64ULL << 20)

static void check_parsed(const struct elf_kernel *k, size_t size, uint64_t ram_end)
{
	bool entry_found = false;

	FUZZ_CHECK(k->nseg >= 1 && k->nseg <= ELF_MAX_SEGMENTS);
	for (unsigned i = 0; i < k->nseg; i++) {
		const struct elf_segment *s = &k->seg[i];
		FUZZ_CHECK(s->filesz <= s->memsz && s->memsz > 0);
		FUZZ_CHECK(s->offset <= size && s->filesz <= size - s->offset);
		FUZZ_CHECK(s->paddr >= HIGH_MEM_START && s->paddr <= ram_end &&
			   s->memsz <= ram_end - s->paddr);
		FUZZ_CHECK(s->paddr >= k->low && s->paddr + s->memsz <= k->high);
		entry_found |= k->entry >= s->paddr && k->entry - s->paddr < s->filesz;
	}
	FUZZ_CHECK(entry_found);
}

static void check_loaded(const struct elf_kernel *k, const struct guest_mem *m,
			 const uint8_t *data)
{
	const struct elf_segment *s = &k->seg[k->nseg - 1];
	const uint8_t *p = gmem_ptr(m, s->paddr, s->filesz);

	FUZZ_CHECK(p && memcmp(p, data + s->offset, s->filesz) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct elf_kernel k;
	struct guest_mem m;

	if (!elf_detect(data, size))
		return 0;
	FUZZ_CHECK(gmem_create(&m, RAM_SIZE, MMIO_HOLE_START) == 0);
	if (elf_parse(data, size, EM_X86_64, HIGH_MEM_START, gmem_low_end(&m), "fuzz", &k) == 0) {
		check_parsed(&k, size, gmem_low_end(&m));
		/* Parsed means loadable: nothing left to fail but the host. */
		FUZZ_CHECK(elf_load(&m, fuzz_file(data, size), &k) == 0);
		check_loaded(&k, &m, data);
	}
	gmem_destroy(&m);
	return 0;
}
