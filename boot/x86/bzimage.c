#include "boot/x86/bzimage.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "src/log.h"
#include "src/x86/layout.h"

#define HDR_OFFSET       0x1f1
#define BOOT_FLAG        0xaa55
#define HDR_MAGIC        0x53726448 /* "HdrS" */
#define ENTRY_64_OFFSET  0x200      /* boot.rst: "64-bit entry at offset 0x200" */

/* The setup header ends where the jump at 0x200 lands: 0x202 + its 8-bit
 * displacement. */
static size_t header_length(const uint8_t *file)
{
	return 0x202 + file[0x201] - HDR_OFFSET;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool bzimage_detect(const uint8_t *file, uint64_t size)
{
	return size >= 0x206 && le32(file + 0x202) == HDR_MAGIC;
}

static int bad(const char *path, const char *what)
{
	mr_err("%s: %s", path, what);
	return -EINVAL;
}

static int check_version(const struct setup_header *h, const char *path)
{
	if (h->boot_flag != BOOT_FLAG)
		return bad(path, "corrupt setup header: boot flag is not 0xAA55");
	if (h->version < BZIMAGE_MIN_VERSION) {
		mr_err("%s: boot protocol %u.%02u is too old: microrun needs 2.12 "
		       "or later (Linux 3.8+) for the 64-bit entry", path,
		       h->version >> 8, h->version & 0xff);
		return -EINVAL;
	}
	if (!(h->xloadflags & XLF_KERNEL_64))
		return bad(path, "kernel has no 64-bit entry point (XLF_KERNEL_64 "
			   "not set in xloadflags): build it for x86_64");
	return 0;
}

static uint64_t align16(uint64_t v)
{
	return (v + 15) & ~15ULL;
}

static int check_layout(const struct bzimage *bz, uint64_t size, const char *path)
{
	const struct setup_header *h = &bz->hdr;
	uint64_t declared = (uint64_t)h->syssize * 16;

	/* syssize counts 16-byte paragraphs, the last one possibly partial. */
	if (bz->pm_offset >= size || declared > align16(bz->pm_size)) {
		mr_err("%s: truncated: the setup header declares %llu bytes of kernel "
		       "after offset %llu, the file has %llu", path,
		       (unsigned long long)declared, (unsigned long long)bz->pm_offset,
		       (unsigned long long)size);
		return -EINVAL;
	}
	if (h->relocatable_kernel && (h->kernel_alignment == 0 ||
				      (h->kernel_alignment & (h->kernel_alignment - 1))))
		return bad(path, "corrupt setup header: kernel_alignment is not a power of two");
	if (h->init_size < bz->pm_size)
		return bad(path, "corrupt setup header: init_size is smaller than the kernel");
	return 0;
}

int bzimage_parse(const uint8_t *file, uint64_t size, const char *path, struct bzimage *bz)
{
	memset(bz, 0, sizeof(*bz));
	if (!bzimage_detect(file, size))
		return bad(path, "not a bzImage: no \"HdrS\" setup header");
	bz->hdr_len = header_length(file);
	if (bz->hdr_len > sizeof(bz->hdr))
		bz->hdr_len = sizeof(bz->hdr);
	if (size < HDR_OFFSET + sizeof(bz->hdr))
		return bad(path, "truncated: the file ends inside the setup header");
	memcpy(&bz->hdr, file + HDR_OFFSET, sizeof(bz->hdr));
	int r = check_version(&bz->hdr, path);
	if (r)
		return r;
	/* The header fields past its declared length are not the kernel's. */
	memset((uint8_t *)&bz->hdr + bz->hdr_len, 0, sizeof(bz->hdr) - bz->hdr_len);
	unsigned setup_sects = bz->hdr.setup_sects ? bz->hdr.setup_sects : 4;
	bz->pm_offset = (uint64_t)(setup_sects + 1) * 512;
	bz->pm_size = bz->pm_offset < size ? size - bz->pm_offset : 0;
	return check_layout(bz, size, path);
}

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

int bzimage_place(const struct bzimage *bz, uint64_t floor, uint64_t ram_end, uint64_t *addr)
{
	const struct setup_header *h = &bz->hdr;
	uint64_t a = h->pref_address;

	/* A relocatable kernel may go anywhere aligned; it still runs from
	 * pref_address (LOAD_PHYSICAL_ADDR) upward, so lower is no gain. */
	if (h->relocatable_kernel) {
		if (a < floor)
			a = floor;
		if (a > UINT64_MAX - (h->kernel_alignment - 1))
			return -ENOSPC;
		a = align_up(a, h->kernel_alignment);
	}
	if (a < floor || a > ram_end || h->init_size > ram_end - a)
		return -ENOSPC;
	*addr = a;
	return 0;
}

int bzimage_load(struct guest_mem *m, int fd, const uint8_t *file, uint64_t size,
		 const char *path, struct kernel_image *k)
{
	struct bzimage bz;
	uint64_t addr;
	int r = bzimage_parse(file, size, path, &bz);

	if (r)
		return r;
	if (bzimage_place(&bz, HIGH_MEM_START, gmem_low_end(m), &addr)) {
		mr_err("%s: the kernel needs %u MiB of RAM from 0x%llx to boot, more "
		       "than the guest has below 3 GiB: raise -m", path,
		       (bz.hdr.init_size + (1u << 20) - 1) >> 20,
		       (unsigned long long)bz.hdr.pref_address);
		return -ENOSPC;
	}
	r = gmem_load_file(m, addr, fd, bz.pm_offset, bz.pm_size);
	if (r) {
		mr_err("%s: cannot load the kernel into guest memory: %s", path, strerror(-r));
		return r;
	}
	*k = (struct kernel_image){
		.load_addr = addr,
		.end = addr + bz.hdr.init_size,
		.entry = addr + ENTRY_64_OFFSET,
		.hdr = bz.hdr,
		.hdr_len = bz.hdr_len,
		.cmdline_max = bz.hdr.cmdline_size,
	};
	return 0;
}
