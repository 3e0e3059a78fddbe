/* Fuzz target: the bzImage loader (boot/x86/bzimage.c) on a fuzzed image,
 * as microrun loads a -k file: parsed from the bytes, placed in a guest of
 * RAM_SIZE, loaded from a descriptor.
 *
 * Oracle: ASan/UBSan, and the loader's promises: an accepted image has a
 * 2.12+ header with a 64-bit entry and a kernel inside the file; it lands
 * at or above 1 MiB, aligned as it asked, with all of init_size in RAM
 * below the hole; the guest then holds exactly the file's kernel part. */
#include "boot/x86/bzimage.h"
#include "src/x86/layout.h"
#include "tests/fuzz/fuzz.h"

#define RAM_SIZE (64ULL << 20)

static void check_parsed(const struct bzimage *bz, size_t size)
{
	FUZZ_CHECK(bz->hdr.version >= BZIMAGE_MIN_VERSION);
	FUZZ_CHECK(bz->hdr.xloadflags & XLF_KERNEL_64);
	FUZZ_CHECK(bz->hdr_len <= sizeof(bz->hdr));
	FUZZ_CHECK(bz->pm_offset < size && bz->pm_size == size - bz->pm_offset);
	FUZZ_CHECK(bz->hdr.init_size >= bz->pm_size);
}

static void check_loaded(const struct kernel_image *k, const struct guest_mem *m,
			 const struct bzimage *bz, const uint8_t *data)
{
	FUZZ_CHECK(k->load_addr >= HIGH_MEM_START);
	FUZZ_CHECK(k->end >= k->load_addr && k->end <= gmem_low_end(m));
	FUZZ_CHECK(k->end - k->load_addr == bz->hdr.init_size);
	FUZZ_CHECK(k->entry == k->load_addr + 0x200);
	if (bz->hdr.relocatable_kernel)
		FUZZ_CHECK(k->load_addr % bz->hdr.kernel_alignment == 0);
	const uint8_t *kernel = gmem_ptr(m, k->load_addr, bz->pm_size);
	FUZZ_CHECK(kernel && memcmp(kernel, data + bz->pm_offset, bz->pm_size) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bzimage bz;
	struct guest_mem m;
	struct kernel_image k;

	if (!bzimage_detect(data, size) || bzimage_parse(data, size, "fuzz", &bz))
		return 0;
	check_parsed(&bz, size);
	FUZZ_CHECK(gmem_create(&m, RAM_SIZE, MMIO_HOLE_START) == 0);
	if (bzimage_load(&m, fuzz_file(data, size), data, size, "fuzz", &k) == 0)
		check_loaded(&k, &m, &bz, data);
	gmem_destroy(&m);
	return 0;
}
