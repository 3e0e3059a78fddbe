/* The x86 machine: local APICs in KVM, the I/O APIC here (KVM's "split
 * irqchip"), no PIC and no PIT; the per-vCPU state a Linux guest expects.
 * Its devices are in pc_devices.c, its own VM exits in exits.c.
 *
 * Why split: with KVM's full in-kernel irqchip, destroying the VM took
 * 13-22 ms on the build machines (against 0.1 ms split), longer than a
 * whole tiny-guest run. Linux needs neither PIC nor PIT when the TSC
 * deadline timer and ARAT are there and kvmclock gives the TSC frequency:
 * it then finds a "NULL legacy PIC" and skips the PIT (apic_needs_pit()). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "boot/x86/cpu_state.h"
#include "boot/x86/linux_boot.h"
#include "boot/x86/mptable.h"
#include "devices/ioapic.h"
#include "src/arch.h"
#include "src/log.h"
#include "src/x86/cpuid.h"
#include "src/x86/layout.h"
#include "src/x86/machine.h"
#include "src/x86/msrs.h"

/* There is no PCI bus: without pci=off, Linux on an AMD CPU scans all 256
 * buses twice for an AGP bridge, 16000 port accesses for nothing.
 * reboot=k: with a hardware-reduced FADT and no EFI, Linux would otherwise
 * reboot through EFI, then the BIOS reset vector, where no BIOS is; the
 * i8042's reset line is what this machine has. */
const char *const arch_cmdline_defaults[] = { "console=ttyS0", "pci=off", "reboot=k", NULL };

const struct kvm_cap_need arch_kvm_caps[] = {
	KVM_CAP_NEED(KVM_CAP_USER_MEMORY),
	KVM_CAP_NEED(KVM_CAP_SPLIT_IRQCHIP),
	KVM_CAP_NEED(KVM_CAP_SIGNAL_MSI),
	KVM_CAP_NEED(KVM_CAP_IRQ_ROUTING),
	KVM_CAP_NEED(KVM_CAP_IRQFD),
	KVM_CAP_NEED(KVM_CAP_IOEVENTFD),
	KVM_CAP_NEED(KVM_CAP_TSC_DEADLINE_TIMER),
	KVM_CAP_NEED(KVM_CAP_SET_TSS_ADDR),
	KVM_CAP_NEED(KVM_CAP_SET_IDENTITY_MAP_ADDR),
	KVM_CAP_NEED(KVM_CAP_EXT_CPUID),
	KVM_CAP_NEED(KVM_CAP_IMMEDIATE_EXIT),
	KVM_CAP_NEED(KVM_CAP_GET_TSC_KHZ),
	KVM_CAP_NEED(KVM_CAP_MP_STATE),
};
const size_t arch_kvm_ncaps = sizeof(arch_kvm_caps) / sizeof(arch_kvm_caps[0]);

uint64_t arch_ram_hole_start(void)
{
	return MMIO_HOLE_START;
}

unsigned arch_max_cpus(void)
{
	return MPTABLE_MAX_CPUS;
}

bool arch_host_emulates_guests(void)
{
	static int cached = -1;
	char line[4096];

	if (cached >= 0)
		return cached;
	FILE *f = fopen("/proc/cpuinfo", "re");
	cached = 0;
	while (f && fgets(line, sizeof(line), f)) {
		if (strncmp(line, "flags", 5) == 0) {
			cached = !strstr(line, " vmx") && !strstr(line, " svm");
			break;
		}
	}
	if (f)
		fclose(f);
	return cached;
}

/* --- VM and vCPUs ------------------------------------------------------- */

static int create_irqchip(struct vm *vm)
{
	struct kvm_enable_cap split = { .cap = KVM_CAP_SPLIT_IRQCHIP, .args = { IOAPIC_PINS } };
	uint64_t idmap = IDENTITY_MAP_ADDR;
	int fd = vm->kvm.vm_fd;
	int r = kvm_ioctl(fd, KVM_SET_TSS_ADDR, TSS_ADDR);

	if (!r)
		r = kvm_ioctl(fd, KVM_SET_IDENTITY_MAP_ADDR, &idmap);
	return r ? r : kvm_ioctl(fd, KVM_ENABLE_CAP, &split);
}

int arch_vm_init(struct vm *vm, const struct vm_params *p)
{
	struct arch_vm *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	vm->arch = a;
	a->vm = vm;
	a->stdin_port = -1;
	pthread_mutex_init(&a->lock, NULL);
	int r = pc_virtio_init(a);
	if (!r)
		r = create_irqchip(vm);
	if (r)
		return r;
	a->cpuid = cpuid_supported(vm->kvm.dev_fd);
	if (!a->cpuid)
		return -ENOTSUP;
	r = kvm_ioctl(vm->kvm.vm_fd, KVM_GET_TSC_KHZ, 0);
	if (r < 0)
		return r;
	a->tsc_khz = (uint32_t)r;
	r = pc_devices_init(vm, a);
	if (!r)
		r = pc_virtio_add_disks(vm, a, p->disks, p->ndisks);
	if (!r)
		r = pc_virtio_add_shares(vm, a, p->shares, p->nshares);
	return r ? r : pc_virtio_add_console(vm, a, p);
}

void arch_vm_destroy(struct vm *vm)
{
	if (!vm->arch)
		return;
	pc_virtio_destroy(vm->arch);
	free(vm->arch->cpuid);
	pthread_mutex_destroy(&vm->arch->lock);
	free(vm->arch);
	vm->arch = NULL;
}

/* LINT0 receives the 8259's ExtINT, LINT1 the NMI, as a PC wires them. */
static int set_lapic_lints(int fd)
{
	struct kvm_lapic_state lapic;
	int r = kvm_ioctl(fd, KVM_GET_LAPIC, &lapic);

	if (r)
		return r;
	uint32_t *lint0 = (uint32_t *)&lapic.regs[0x350];
	uint32_t *lint1 = (uint32_t *)&lapic.regs[0x360];
	*lint0 = (*lint0 & ~0x700u) | (7u << 8);  /* delivery mode ExtINT */
	*lint1 = (*lint1 & ~0x700u) | (4u << 8);  /* delivery mode NMI */
	return kvm_ioctl(fd, KVM_SET_LAPIC, &lapic);
}

static int set_fpu(int fd)
{
	struct kvm_fpu fpu = { .fcw = 0x37f, .mxcsr = 0x1f80 }; /* FNINIT state */

	return kvm_ioctl(fd, KVM_SET_FPU, &fpu);
}

int arch_vcpu_init(struct vm *vm, struct vcpu *v)
{
	int r = cpuid_set_vcpu(v->fd, vm->arch->cpuid, v->id, vm->arch->tsc_khz);

	if (!r)
		r = msrs_set_boot(v->fd);
	if (!r)
		r = set_lapic_lints(v->fd);
	if (!r)
		r = set_fpu(v->fd);
	return r;
}

static int set_boot_cpu(struct vcpu *v, const struct boot_entry *e)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int r = kvm_ioctl(v->fd, KVM_GET_SREGS, &sregs);

	if (r)
		return r;
	boot_cpu_sregs(&sregs, e->cr3);
	boot_cpu_regs(&regs, e->rip, e->rsi);
	r = kvm_ioctl(v->fd, KVM_SET_SREGS, &sregs);
	return r ? r : kvm_ioctl(v->fd, KVM_SET_REGS, &regs);
}

struct arch_image {
	struct linux_image image;
};

int arch_load_image(struct guest_mem *m, const struct boot_request *req, struct arch_image **img)
{
	const struct linux_boot_args args = {
		.kernel_path = req->kernel_path,
		.initrd_path = req->initrd_path,
		.initrd_source = req->initrd_source,
	};

	*img = calloc(1, sizeof(**img));
	if (!*img)
		return -ENOMEM;
	return linux_boot_load(m, &args, &(*img)->image);
}

void arch_image_free(struct arch_image *img)
{
	free(img);
}

int arch_boot(struct vm *vm, const struct boot_request *req, const struct arch_image *img)
{
	char *cmdline = pc_virtio_cmdline(vm->arch, req->cmdline);
	const struct linux_boot_args args = {
		.cmdline = cmdline,
		.ncpus = vm->ncpus,
		.acpi_rsdp = ACPI_TABLES_ADDR,
	};
	struct boot_entry e;

	if (!cmdline)
		return -ENOMEM;
	if (strcmp(cmdline, req->cmdline) != 0)
		mr_info("acpi=off: the virtio devices go on the command line: %s", cmdline);
	int r = pc_write_acpi(vm, vm->arch);
	if (!r)
		r = linux_boot_finish(&vm->mem, &args, &img->image, &e);
	free(cmdline);
	return r ? r : set_boot_cpu(&vm->vcpus[0], &e);
}
