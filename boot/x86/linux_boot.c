#include "boot/x86/linux_boot.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "boot/elf.h"
#include "boot/kernel_image.h"
#include "boot/kernel_version.h"
#include "boot/x86/bzimage.h"
#include "boot/x86/cpu_state.h"
#include "boot/x86/mptable.h"
#include "boot/x86/pagetables.h"
#include "boot/x86/zeropage.h"
#include "src/log.h"
#include "src/x86/layout.h"

#define PAGE 4096ULL
/* An ELF vmlinux carries no setup header; it takes what 6.x kernels take. */
#define ELF_CMDLINE_MAX 2047
#define ELF_INITRD_ADDR_MAX 0x7fffffffULL

struct file_view {
	int fd;
	const uint8_t *data;
	uint64_t size;
};

static int open_file(const char *path, const char *what, struct file_view *f)
{
	struct stat st;

	f->fd = open(path, O_RDONLY | O_CLOEXEC);
	if (f->fd < 0) {
		mr_err("cannot open %s %s: %s", what, path, strerror(errno));
		return -errno;
	}
	if (fstat(f->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		mr_err("%s %s is not a regular file", what, path);
		return -EINVAL;
	}
	if (st.st_size == 0) {
		mr_err("%s %s is empty", what, path);
		return -EINVAL;
	}
	f->size = (uint64_t)st.st_size;
	return 0;
}

static int map_file(const char *path, struct file_view *f)
{
	void *p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);

	if (p == MAP_FAILED) {
		mr_err("cannot read %s: %s", path, strerror(errno));
		return -errno;
	}
	f->data = p;
	return 0;
}

static void close_file(struct file_view *f)
{
	if (f->data)
		munmap((void *)f->data, f->size);
	if (f->fd >= 0)
		close(f->fd);
}

/* What a vmlinux would have said in a bzImage header: just enough for the
 * kernel to recognise the zero page as a boot protocol one. */
static void elf_setup_header(struct kernel_image *k)
{
	k->hdr.boot_flag = 0xaa55;
	k->hdr.header = 0x53726448;
	k->hdr.version = 0x020f;
	k->hdr.cmdline_size = ELF_CMDLINE_MAX;
	k->hdr.initrd_addr_max = ELF_INITRD_ADDR_MAX;
	k->hdr_len = sizeof(k->hdr);
	k->cmdline_max = ELF_CMDLINE_MAX;
}

static int load_elf(struct guest_mem *m, const struct file_view *f, const char *path,
		    struct kernel_image *k)
{
	struct elf_kernel ek;
	int r = elf_parse(f->data, f->size, EM_X86_64, HIGH_MEM_START, gmem_low_end(m), path, &ek);

	if (!r)
		r = elf_load(m, f->fd, &ek);
	if (r)
		return r;
	*k = (struct kernel_image){ .load_addr = ek.low, .end = ek.high, .entry = ek.entry };
	elf_setup_header(k);
	if (kver_from_elf(f->data, f->size, &ek, k->release))
		k->release[0] = 0;
	mr_info("kernel: ELF %s, 0x%llx-0x%llx, entry 0x%llx, version %s", path,
		(unsigned long long)k->load_addr, (unsigned long long)k->end,
		(unsigned long long)k->entry, k->release[0] ? k->release : "?");
	return 0;
}

static void report_bzimage(const struct file_view *f, const char *path, struct kernel_image *k)
{
	if (kver_from_setup_header(f->data, f->size, &k->hdr, k->release))
		k->release[0] = 0;
	mr_info("kernel: bzImage %s, protocol %u.%02u, at 0x%llx-0x%llx, version %s", path,
		k->hdr.version >> 8, k->hdr.version & 0xff,
		(unsigned long long)k->load_addr, (unsigned long long)k->end,
		k->release[0] ? k->release : "?");
}

static int load_kernel(struct guest_mem *m, const char *path, struct kernel_image *k)
{
	struct file_view f = { .fd = -1 };
	int r = open_file(path, "kernel", &f);

	if (!r)
		r = map_file(path, &f);
	if (r)
		goto out;
	if (elf_detect(f.data, f.size)) {
		r = load_elf(m, &f, path, k);
	} else if (bzimage_detect(f.data, f.size)) {
		r = bzimage_load(m, f.fd, f.data, f.size, path, k);
		if (!r)
			report_bzimage(&f, path, k);
	} else {
		mr_err("%s is not a Linux kernel: neither an ELF vmlinux nor a bzImage", path);
		r = -EINVAL;
	}
out:
	close_file(&f);
	return r;
}

/* The initrd goes as high as the kernel allows (initrd_addr_max, RAM below
 * the hole), and below the kernel if it would overlap it. */
int initrd_place(uint64_t size, uint64_t ram_end, const struct kernel_image *k, uint64_t *addr)
{
	uint64_t top = ram_end;
	uint64_t max = k->hdr.initrd_addr_max ? (uint64_t)k->hdr.initrd_addr_max + 1 : ELF_INITRD_ADDR_MAX + 1;

	if (top > max)
		top = max;
	if (size > top)
		return -ENOSPC;
	uint64_t a = (top - size) & ~(PAGE - 1);
	if (a < k->end && a + size > k->load_addr)
		a = k->load_addr >= size ? (k->load_addr - size) & ~(PAGE - 1) : 0;
	if (a < HIGH_MEM_START)
		return -ENOSPC;
	*addr = a;
	return 0;
}

static int load_initrd(struct guest_mem *m, const char *path, const struct kernel_image *k,
		       struct ramdisk *rd)
{
	struct file_view f = { .fd = -1 };
	int r = open_file(path, "initrd", &f);

	if (r)
		goto out;
	if (initrd_place(f.size, gmem_low_end(m), k, &rd->addr)) {
		mr_err("initrd %s (%llu MiB) does not fit in guest RAM beside the kernel: raise -m",
		       path, (unsigned long long)(f.size >> 20));
		r = -ENOSPC;
		goto out;
	}
	rd->size = f.size;
	r = gmem_load_file(m, rd->addr, f.fd, 0, f.size);
	if (r)
		mr_err("cannot load initrd %s: %s", path, strerror(-r));
	else
		mr_info("initrd: %s at 0x%llx, %llu bytes", path,
			(unsigned long long)rd->addr, (unsigned long long)rd->size);
out:
	close_file(&f);
	return r;
}

static int make_initrd(struct guest_mem *m, const struct initrd_source *src,
		       const struct kernel_image *k, struct ramdisk *rd)
{
	int r = src->size(src->ctx, &rd->size);

	if (r)
		return r;
	if (initrd_place(rd->size, gmem_low_end(m), k, &rd->addr)) {
		mr_err("the initramfs (%llu MiB) does not fit in guest RAM beside the kernel: raise -m",
		       (unsigned long long)(rd->size >> 20));
		return -ENOSPC;
	}
	r = src->write(src->ctx, gmem_ptr(m, rd->addr, rd->size), rd->size);
	if (!r)
		mr_info("initramfs at 0x%llx, %llu bytes", (unsigned long long)rd->addr,
			(unsigned long long)rd->size);
	return r;
}

/* The release from the image's own header or banner; -ENODATA, silently,
 * for a valid kernel image that names none. */
static int read_release(const struct file_view *f, const char *path, char release[KVER_MAX])
{
	struct elf_kernel ek;
	struct bzimage bz;

	if (elf_detect(f->data, f->size))
		return elf_parse(f->data, f->size, EM_X86_64, HIGH_MEM_START, UINT64_MAX, path, &ek) ?:
		       (kver_from_elf(f->data, f->size, &ek, release) ? -ENODATA : 0);
	if (bzimage_detect(f->data, f->size))
		return bzimage_parse(f->data, f->size, path, &bz) ?:
		       (kver_from_setup_header(f->data, f->size, &bz.hdr, release) ? -ENODATA : 0);
	mr_err("%s is not a Linux kernel: neither an ELF vmlinux nor a bzImage", path);
	return -EINVAL;
}

int linux_kernel_release(const char *path, char release[KVER_MAX])
{
	struct file_view f = { .fd = -1 };
	int r = open_file(path, "kernel", &f);

	if (!r)
		r = map_file(path, &f);
	if (!r)
		r = read_release(&f, path, release);
	close_file(&f);
	return r;
}

static int write_mptable(struct guest_mem *m, unsigned ncpus)
{
	uint64_t room = BASE_MEM_END - MPTABLE_ADDR;
	int r = mptable_write(gmem_ptr(m, MPTABLE_ADDR, room), room, MPTABLE_ADDR, ncpus);

	if (r < 0)
		mr_err("cannot describe %u CPUs in the MP table (at most %d)", ncpus, MPTABLE_MAX_CPUS);
	return r < 0 ? r : 0;
}

int linux_boot_load(struct guest_mem *m, const struct linux_boot_args *a, struct linux_image *img)
{
	int r = load_kernel(m, a->kernel_path, &img->kernel);

	img->initrd = (struct ramdisk){ 0 };
	if (!r && a->initrd_path)
		r = load_initrd(m, a->initrd_path, &img->kernel, &img->initrd);
	else if (!r && a->initrd_source)
		r = make_initrd(m, a->initrd_source, &img->kernel, &img->initrd);
	return r;
}

int linux_boot_finish(struct guest_mem *m, const struct linux_boot_args *a,
		      const struct linux_image *img, struct boot_entry *e)
{
	int r = cmdline_write(m, &img->kernel, a->cmdline);

	if (!r)
		r = zeropage_write(m, &img->kernel, &img->initrd, a->acpi_rsdp);
	if (!r)
		r = gdt_write(m);
	if (!r)
		r = pagetables_write(m, &e->cr3);
	if (!r)
		r = write_mptable(m, a->ncpus);
	if (r)
		return r;
	e->rip = img->kernel.entry;
	e->rsi = ZERO_PAGE_ADDR;
	return 0;
}
