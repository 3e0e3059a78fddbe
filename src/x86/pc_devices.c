/* The PC devices and how they reach KVM: the I/O APIC turns pins into
 * MSIs, COM1 talks to the console, the i8042 and the RTC answer ports, and
 * the exit-status port ends the VM with the program's status.
 * One lock serialises them all: they are small and rarely contended. */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "boot/x86/acpi.h"
#include "src/arch.h"
#include "src/log.h"
#include "src/timing.h"
#include "src/x86/layout.h"
#include "src/x86/machine.h"

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

void pc_devices_eoi(struct arch_vm *a, uint8_t vector)
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

void pc_wake_input(struct vm *vm)
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
		pc_wake_input(a->vm);
}

static void kbc_reset(void *ctx)
{
	struct arch_vm *a = ctx;
	mr_info("guest reset through the i8042");
	vm_request_end(a->vm, VM_END_RESET);
}

static uint8_t kbc_read(struct arch_vm *a, unsigned reg)
{
	return i8042_read(&a->kbc, reg);
}

static void kbc_write(struct arch_vm *a, unsigned reg, uint8_t value)
{
	i8042_write(&a->kbc, reg, value);
}

static time_t host_time(void *ctx)
{
	(void)ctx;
	return time(NULL);
}

static uint8_t rtc_read(struct arch_vm *a, unsigned reg)
{
	return cmos_rtc_read(&a->rtc, reg);
}

static void rtc_write(struct arch_vm *a, unsigned reg, uint8_t value)
{
	cmos_rtc_write(&a->rtc, reg, value);
}

/* ACPI sleep registers: control at +0, status at +1 (boot/x86/acpi.h).
 * Entering S5 is powering off; the status never shows a wake-up. */
static uint8_t sleep_read(struct arch_vm *a, unsigned reg)
{
	(void)a;
	(void)reg;
	return 0;
}

static void sleep_write(struct arch_vm *a, unsigned reg, uint8_t value)
{
	if (reg == 0 && acpi_sleep_control_is_s5(value)) {
		mr_info("guest powered off (ACPI S5)");
		vm_request_end(a->vm, VM_END_POWEROFF);
	}
}

static void status_report(void *ctx, const struct status_report *r)
{
	struct arch_vm *a = ctx;
	vm_report_status(a->vm, r);
}

static void status_phase(void *ctx, enum status_phase phase)
{
	(void)ctx;
	timing_mark_phase(phase);
}

/* The machine lock makes the device's latch hold when two vCPUs write at
 * once: exactly one report reaches the VM. */
static void status_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct arch_vm *a = dev;

	pthread_mutex_lock(&a->lock);
	uint64_t ignored = a->status.ignored;
	status_port_access(&a->status, (unsigned)offset, data, len, is_write);
	bool first_ignored = ignored == 0 && a->status.ignored == 1;
	pthread_mutex_unlock(&a->lock);
	if (first_ignored)
		mr_info("ignored a write to the exit-status port 0x%x: only the first 32-bit "
			"write of a valid status counts", STATUS_PORT);
}

/* A wider access reads the byte register repeated and writes its low byte,
 * as a port-decoding ISA device would. */
static void pc_port_access(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write)
{
	struct pc_port *p = dev;
	struct arch_vm *a = p->machine;

	pthread_mutex_lock(&a->lock);
	if (is_write)
		p->write(a, (unsigned)offset, data[0]);
	else
		memset(data, p->read(a, (unsigned)offset), len);
	pthread_mutex_unlock(&a->lock);
}

size_t arch_console_input(struct vm *vm, const uint8_t *buf, size_t len)
{
	struct arch_vm *a = vm->arch;

	if (a->stdin_port >= 0)
		return pc_virtio_console_input(a, (unsigned)a->stdin_port, buf, len);
	pthread_mutex_lock(&a->lock);
	size_t n = uart_receive(&a->uart, buf, len);
	pthread_mutex_unlock(&a->lock);
	return n;
}

void arch_console_input_end(struct vm *vm)
{
	struct arch_vm *a = vm->arch;

	if (a->stdin_port > 0)
		pc_virtio_console_input_end(a, (unsigned)a->stdin_port);
}

int pc_devices_init(struct vm *vm, struct arch_vm *a)
{
	const struct uart_ops uops = {
		.set_irq = uart_irq, .tx = uart_tx, .tx_flush = uart_tx_flush, .ctx = a,
	};
	const struct i8042_ops kops = { .reset = kbc_reset, .ctx = a };
	const struct ioapic_ops iops = { .send_msi = send_msi, .entry_changed = update_routes, .ctx = a };
	const struct cmos_rtc_ops rops = { .now = host_time, .ctx = a };
	const struct status_port_ops sops = {
		.report = status_report, .phase = status_phase, .ctx = a,
	};

	/* The I/O APIC's ID follows the CPUs' APIC IDs, as in the MP table. */
	ioapic_init(&a->ioapic, (uint8_t)vm->ncpus, &iops);
	uart_init(&a->uart, &uops);
	i8042_init(&a->kbc, &kops);
	cmos_rtc_init(&a->rtc, &rops);
	status_port_init(&a->status, &sops);
	a->kbc_port = (struct pc_port){ .machine = a, .read = kbc_read, .write = kbc_write };
	a->rtc_port = (struct pc_port){ .machine = a, .read = rtc_read, .write = rtc_write };
	a->sleep_port = (struct pc_port){ .machine = a, .read = sleep_read, .write = sleep_write };
	int r = bus_register(&vm->mmio, IOAPIC_ADDR, IOAPIC_MMIO_LEN, ioapic_access, a);
	if (!r)
		r = bus_register(&vm->pio, UART_COM1_PORT, 8, uart_access, a);
	if (!r)
		r = bus_register(&vm->pio, I8042_PORT_DATA, 5, pc_port_access, &a->kbc_port);
	if (!r)
		r = bus_register(&vm->pio, CMOS_PORT, 2, pc_port_access, &a->rtc_port);
	if (!r)
		r = bus_register(&vm->pio, ACPI_SLEEP_PORT, 2, pc_port_access, &a->sleep_port);
	if (!r)
		r = bus_register(&vm->pio, STATUS_PORT, STATUS_PORT_LEN, status_access, a);
	return r;
}
