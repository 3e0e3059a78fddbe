/* The x86 machine: local APICs in KVM, the I/O APIC here (KVM's "split
 * irqchip"), no PIC and no PIT; the 16550 at COM1, the i8042 reset line,
 * and the per-vCPU state a Linux guest expects.
 *
 * Why split: with KVM's full in-kernel irqchip, destroying the VM took
 * 13-22 ms on the build machines (against 0.1 ms split), longer than a
 * whole tiny-guest run. Linux needs neither PIC nor PIT when the TSC
 * deadline timer and ARAT are there and kvmclock gives the TSC frequency:
 * it then finds a "NULL legacy PIC" and skips the PIT (apic_needs_pit()). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "boot/x86/cpu_state.h"
#include "boot/x86/linux_boot.h"
#include "boot/x86/mptable.h"
#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/uart16550.h"
#include "src/arch.h"
#include "src/log.h"
#include "src/x86/cpuid.h"
#include "src/x86/layout.h"
#include "src/x86/msrs.h"

struct arch_vm {
	struct vm *vm;
	pthread_mutex_t lock;     /* serialises the devices below */
	struct ioapic ioapic;
	struct uart16550 uart;
	struct i8042 kbc;
	struct cmos_rtc rtc;
	struct kvm_cpuid2 *cpuid;
	uint32_t tsc_khz;
};

/* There is no PCI bus: without pci=off, Linux on an AMD CPU scans all 256
 * buses twice for an AGP bridge, 16000 port accesses for nothing. */
const char *const arch_cmdline_defaults[] = { "console=ttyS0", "pci=off", NULL };

const struct kvm_cap_need arch_kvm_caps[] = {
	KVM_CAP_NEED(KVM_CAP_USER_MEMORY),
	KVM_CAP_NEED(KVM_CAP_SPLIT_IRQCHIP),
	KVM_CAP_NEED(KVM_CAP_SIGNAL_MSI),
	KVM_CAP_NEED(KVM_CAP_IRQ_ROUTING),
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

/* --- devices ------------------------------------------------------------ */

/* --- interrupts ----------------------------------------------------------- */

static void send_msi(void *ctx, uint64_t addr, uint32_t data)
{
	struct arch_vm *a = ctx;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr, .address_hi = (uint32_t)(addr >> 32), .data = data,
	};

	if (ioctl(a->vm->kvm.vm_fd, KVM_SIGNAL_MSI, &msi) < 0)
		mr_info("KVM_SIGNAL_MSI failed: %s", strerror(errno));
}

/* KVM learns from the GSI routes of the I/O APIC pins which vectors are
 * level-triggered, and exits with KVM_EXIT_IOAPIC_EOI when one is
 * acknowledged; so the routes follow the redirection table. */
static void update_routes(void *ctx, unsigned changed_pin)
{
	struct arch_vm *a = ctx;
	struct {
		struct kvm_irq_routing hdr;
		struct kvm_irq_routing_entry e[IOAPIC_PINS];
	} r = { 0 };

	(void)changed_pin;
	for (unsigned pin = 0; pin < IOAPIC_PINS; pin++) {
		uint64_t addr;
		uint32_t data;
		if (ioapic_masked(&a->ioapic, pin))
			continue;
		ioapic_msi(&a->ioapic, pin, &addr, &data);
		r.e[r.hdr.nr++] = (struct kvm_irq_routing_entry){
			.gsi = pin, .type = KVM_IRQ_ROUTING_MSI,
			.u.msi = { .address_lo = (uint32_t)addr,
				   .address_hi = (uint32_t)(addr >> 32), .data = data },
		};
	}
	if (ioctl(a->vm->kvm.vm_fd, KVM_SET_GSI_ROUTING, &r) < 0)
		mr_info("KVM_SET_GSI_ROUTING failed: %s", strerror(errno));
}

static void ioapic_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct arch_vm *a = dev;
	uint32_t v;

	if (len != 4) { /* the I/O APIC takes 32-bit accesses only */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&a->lock);
	if (is_write) {
		memcpy(&v, data, 4);
		ioapic_write(&a->ioapic, offset, v);
	} else {
		v = ioapic_read(&a->ioapic, offset);
		memcpy(data, &v, 4);
	}
	pthread_mutex_unlock(&a->lock);
}

static void eoi(struct arch_vm *a, uint8_t vector)
{
	pthread_mutex_lock(&a->lock);
	ioapic_eoi(&a->ioapic, vector);
	pthread_mutex_unlock(&a->lock);
}

/* Called with a->lock held, from within a UART register access. */
static void uart_irq(void *ctx, bool level)
{
	struct arch_vm *a = ctx;
	ioapic_set_irq(&a->ioapic, UART_COM1_IRQ, level);
}

static void uart_tx(void *ctx, uint8_t byte)
{
	struct arch_vm *a = ctx;
	console_put(&a->vm->console, byte);
}

static void uart_tx_flush(void *ctx)
{
	struct arch_vm *a = ctx;
	console_flush(&a->vm->console);
}

static void wake_input(struct vm *vm)
{
	uint64_t one = 1;
	ssize_t r = write(vm->input_room_fd, &one, sizeof(one));
	(void)r; /* a full eventfd is already readable */
}

static void uart_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct arch_vm *a = dev;

	if (len != 1) { /* the 16550 has byte registers only */
		if (!is_write)
			memset(data, 0xff, len);
		return;
	}
	pthread_mutex_lock(&a->lock);
	size_t room = uart_rx_room(&a->uart);
	if (is_write)
		uart_write(&a->uart, (unsigned)offset, data[0]);
	else
		data[0] = uart_read(&a->uart, (unsigned)offset);
	bool freed = room == 0 && uart_rx_room(&a->uart) > 0;
	pthread_mutex_unlock(&a->lock);
	if (freed)
		wake_input(a->vm);
}

static void kbc_reset(void *ctx)
{
	struct arch_vm *a = ctx;
	mr_info("guest reset through the i8042");
	vm_request_end(a->vm, VM_END_RESET);
}

static void kbc_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct arch_vm *a = dev;

	pthread_mutex_lock(&a->lock);
	if (is_write)
		i8042_write(&a->kbc, (unsigned)offset, data[0]);
	else
		memset(data, i8042_read(&a->kbc, (unsigned)offset), len);
	pthread_mutex_unlock(&a->lock);
}

static time_t host_time(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static void rtc_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct arch_vm *a = dev;

	pthread_mutex_lock(&a->lock);
	if (is_write)
		cmos_rtc_write(&a->rtc, (unsigned)offset, data[0]);
	else
		memset(data, cmos_rtc_read(&a->rtc, (unsigned)offset), len);
	pthread_mutex_unlock(&a->lock);
}

size_t arch_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	struct arch_vm *a = vm->arch;

	pthread_mutex_lock(&a->lock);
	size_t n = uart_receive(&a->uart, buf, len);
	pthread_mutex_unlock(&a->lock);
	return n;
}

static int add_devices(struct vm *vm, struct arch_vm *a)
{
	const struct uart_ops uops = {
		.set_irq = uart_irq, .tx = uart_tx, .tx_flush = uart_tx_flush, .ctx = a,
	};
	const struct i8042_ops kops = { .reset = kbc_reset, .ctx = a };
	const struct ioapic_ops iops = { .send_msi = send_msi, .entry_changed = update_routes, .ctx = a };
	const struct cmos_rtc_ops rops = { .now = host_time, .ctx = a };

	/* The I/O APIC's ID follows the CPUs' APIC IDs, as in the MP table. */
	ioapic_init(&a->ioapic, (uint8_t)vm->ncpus, &iops);
	uart_init(&a->uart, &uops);
	i8042_init(&a->kbc, &kops);
	cmos_rtc_init(&a->rtc, &rops);
	int r = bus_register(&vm->mmio, IOAPIC_ADDR, IOAPIC_MMIO_LEN, ioapic_access, a);
	if (!r)
		r = bus_register(&vm->pio, UART_COM1_PORT, 8, uart_access, a);
	if (!r)
		r = bus_register(&vm->pio, I8042_PORT_DATA, 5, kbc_access, a);
	if (!r)
		r = bus_register(&vm->pio, CMOS_PORT, 2, rtc_access, a);
	return r;
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

int arch_vm_init(struct vm *vm)
{
	struct arch_vm *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	vm->arch = a;
	a->vm = vm;
	pthread_mutex_init(&a->lock, NULL);
	int r = create_irqchip(vm);
	if (r)
		return r;
	a->cpuid = cpuid_supported(vm->kvm.dev_fd);
	if (!a->cpuid)
		return -ENOTSUP;
	r = kvm_ioctl(vm->kvm.vm_fd, KVM_GET_TSC_KHZ, 0);
	if (r < 0)
		return r;
	a->tsc_khz = (uint32_t)r;
	return add_devices(vm, a);
}

void arch_vm_destroy(struct vm *vm)
{
	if (!vm->arch)
		return;
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

int arch_boot(struct vm *vm, const struct boot_request *req)
{
	const struct linux_boot_args args = {
		.kernel_path = req->kernel_path,
		.initrd_path = req->initrd_path,
		.cmdline = req->cmdline,
		.ncpus = vm->ncpus,
	};
	struct boot_entry e;
	int r = linux_boot_setup(&vm->mem, &args, &e);

	return r ? r : set_boot_cpu(&vm->vcpus[0], &e);
}

/* --- exits ---------------------------------------------------------------- */

static void port_io(struct vcpu *v)
{
	struct kvm_run *r = v->run;
	uint8_t *data = (uint8_t *)r + r->io.data_offset;

	/* String instructions (rep outsb) arrive as `count` accesses. */
	for (uint32_t i = 0; i < r->io.count; i++, data += r->io.size)
		bus_access(&v->vm->pio, r->io.port, data, r->io.size,
			   r->io.direction == KVM_EXIT_IO_OUT);
}

int arch_handle_exit(struct vcpu *v)
{
	switch (v->run->exit_reason) {
	case KVM_EXIT_IO:
		port_io(v);
		return 0;
	case KVM_EXIT_IOAPIC_EOI:
		eoi(v->vm->arch, v->run->eoi.vector);
		return 0;
	case KVM_EXIT_HLT: /* the local APIC is in KVM: HLT stays there */
		return 0;
	case KVM_EXIT_SHUTDOWN: /* a triple fault: a PC's chipset resets */
		mr_info("vCPU %u: triple fault", v->id);
		vm_request_end(v->vm, VM_END_RESET);
		return 1;
	default:
		return -ENOSYS;
	}
}
