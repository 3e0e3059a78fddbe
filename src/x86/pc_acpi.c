/* The ACPI description of this PC: CPUs and I/O APIC (MADT), COM1 and the
 * RTC as PNP devices, every virtio-mmio window with its pin (DSDT), and the
 * sleep registers through which a guest powers off. */
#include "boot/x86/acpi.h"
#include "src/log.h"
#include "src/x86/layout.h"
#include "src/x86/machine.h"

/* COM1 must be listed: with a hardware-reduced FADT, Linux maps ISA IRQs
 * only for devices it finds through PNP (see boot/x86/acpi.h). The RTC
 * raises no interrupt here, so it is listed without one. */
static const struct acpi_isa_device isa_devices[] = {
	{ .name = "COM1", .hid = "PNP0501", .io = { { UART_COM1_PORT, 8 } }, .irq = UART_COM1_IRQ },
	{ .name = "RTC", .hid = "PNP0B00", .io = { { CMOS_PORT, 2 } }, .irq = -1 },
};

int pc_write_acpi(struct vm *vm, struct arch_vm *a)
{
	struct acpi_virtio_mmio virtio[PC_MAX_VIRTIO];

	for (unsigned i = 0; i < a->nvirtio; i++)
		virtio[i] = (struct acpi_virtio_mmio){
			.base = a->virtio[i].base, .size = VIRTIO_MMIO_STRIDE, .gsi = a->virtio[i].gsi,
		};
	const struct acpi_machine mach = {
		.ncpus = vm->ncpus,
		.lapic_addr = (uint32_t)LAPIC_ADDR,
		.ioapic = { .id = (uint8_t)vm->ncpus, .addr = (uint32_t)IOAPIC_ADDR, .gsi_base = 0 },
		.isa = isa_devices,
		.nisa = sizeof(isa_devices) / sizeof(isa_devices[0]),
		.virtio = virtio,
		.nvirtio = a->nvirtio,
		.sleep_control_port = ACPI_SLEEP_PORT,
		.sleep_status_port = ACPI_SLEEP_PORT + 1,
		.region_addr = ACPI_TABLES_ADDR,
		.region_size = ACPI_TABLES_SIZE,
	};
	int r = acpi_write_tables(&vm->mem, &mach);

	if (r < 0)
		mr_err("cannot write the ACPI tables: error %d", r);
	return r < 0 ? r : 0;
}
