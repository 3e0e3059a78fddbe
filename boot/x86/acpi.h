/* Minimal ACPI tables (ACPI 6.3): how a guest finds its CPUs, its I/O APIC,
 * its devices and how to power off, without firmware.
 *
 * The tables fill one region of guest memory, in this order, each on a
 * 16-byte boundary:
 *
 *   region+0x000  RSDP (36 bytes, revision 2)      5.2.5
 *   region+0x030  XSDT (52 bytes: FADT, MADT)       5.2.8
 *   region+0x070  FADT (276 bytes, revision 6.3)    5.2.9
 *   region+0x190  MADT (62 + 8 * ncpus bytes)       5.2.12
 *   after it      DSDT (variable)                   5.2.11.1
 *
 * The FADT is hardware-reduced (no PM1 blocks, no SCI, no FACS, no legacy
 * PIC: Linux then uses its "null legacy PIC"). Its sleep control and status
 * registers are two I/O ports that the VMM implements; see "Power off"
 * below. The MADT lists one Processor Local APIC per CPU, the I/O APIC and
 * NMI on LINT1 of every local APIC; PCAT_COMPAT is clear (no 8259s). There
 * are no interrupt source overrides: ISA IRQ n is GSI n.
 *
 * The DSDT holds, in Scope(\_SB), each legacy ISA device (with its PNP ID,
 * ports and IRQ) and each virtio-mmio device as VR00, VR01, ...
 * (_HID "LNRO0005", _UID n, _CRS: Memory32Fixed(ReadWrite) and
 * Interrupt(ResourceConsumer, Edge, ActiveHigh, Exclusive)), then \_S5.
 *
 * Why list ISA devices: with a hardware-reduced FADT Linux has no legacy
 * PIC, so it sets up no identity mapping for ISA IRQs 0-15 (its
 * mp_config_acpi_legacy_irqs() loops over nr_legacy_irqs(), which is 0).
 * A UART probed at 0x3f8 with its hard-wired IRQ 4 then finds no IRQ; the
 * one described in the DSDT as PNP0501 gets GSI 4 mapped through the I/O
 * APIC by 8250_pnp. Firecracker and QEMU's microvm list theirs the same
 * way. The FADT's IA-PC boot flags follow the list: "8042 present" if a
 * PNP0303 is listed, "CMOS RTC not present" unless a PNP0B00 is. */
#ifndef MR_ACPI_H
#define MR_ACPI_H

#include <stdbool.h>
#include <stdint.h>

#include "src/guest_mem.h"

/* Where the region lies and which ports hold the sleep registers is the
 * machine's choice (src/x86/layout.h). What the values must satisfy: Linux
 * looks for the RSDP on 16-byte boundaries in 0xe0000-0xfffff when the zero
 * page's acpi_rsdp_addr is 0 (and it has no EFI), so a region starting at
 * 0xe0000 is found by every kernel, and setting acpi_rsdp_addr as well
 * spares kernels since 4.20 the scan; the region belongs in the e820 map as
 * reserved. The ports must lie outside the legacy ranges (DMA, PIC, PIT,
 * RTC, ELCR, PCI config) that ACPICA refuses as register addresses, which
 * 0x600-0x601 do. */

/* Power off, ACPI 6.3, 4.8.3.7 and 7.4.2: Linux reads SLP_TYPa from \_S5
 * (ACPI_SLP_TYP_S5 here), writes ACPI_SLEEP_STS_WAK to the status register
 * (write 1 to clear: ignore it; reads may return 0), then writes
 * (SLP_TYP << 2) | SLP_EN to the control register, as one byte:
 * ACPI_SLEEP_CONTROL_S5 = 0x34. The VM ends there; a guest that reads the
 * status register afterwards waits for WAK_STS, which never comes.
 * acpi_sleep_control_is_s5() is the test for a control write. */
#define ACPI_SLP_TYP_S5        5
#define ACPI_SLEEP_SLP_EN      0x20
#define ACPI_SLEEP_SLP_TYP_MASK 0x1c
#define ACPI_SLEEP_CONTROL_S5  ((ACPI_SLP_TYP_S5 << 2) | ACPI_SLEEP_SLP_EN)
#define ACPI_SLEEP_STS_WAK     0x80

/* Limits. CPUs: one 8-bit Processor Local APIC entry each, APIC IDs
 * 0..ncpus-1 below the 0xff broadcast, leaving one ID for the I/O APIC.
 * virtio-mmio devices: named VR00-VR99. ISA devices: a handful is all a PC
 * has. The region must hold the sum: 60-80 bytes per device and 8 per
 * CPU on top of 0x1e0, under 10 KiB at every limit. */
#define ACPI_MAX_CPUS   254
#define ACPI_MAX_VIRTIO 100
#define ACPI_MAX_ISA    8
#define ACPI_ISA_MAX_IO 2

/* A virtio-mmio transport: its register window (below 4 GiB, as
 * Memory32Fixed requires) and its GSI, edge-triggered and active-high. */
struct acpi_virtio_mmio {
	uint64_t base;
	uint32_t size;
	uint32_t gsi;
};

/* A legacy ISA device Linux should find through PNP: ACPI name (1-4
 * characters, e.g. "COM1"), EISA ID (e.g. "PNP0501"), up to two fixed
 * port ranges (len 0: unused) and its ISA IRQ (0-15, or -1 for none). */
struct acpi_isa_device {
	const char *name;
	const char *hid;
	struct {
		uint16_t base;
		uint8_t len;
	} io[ACPI_ISA_MAX_IO];
	int irq;
};

struct acpi_machine {
	unsigned ncpus;                 /* APIC IDs 0..ncpus-1, CPU 0 boots */
	uint32_t lapic_addr;
	struct {
		uint8_t id;
		uint32_t addr;
		uint32_t gsi_base;
	} ioapic;
	const struct acpi_isa_device *isa;
	unsigned nisa;
	const struct acpi_virtio_mmio *virtio;
	unsigned nvirtio;
	uint16_t sleep_control_port;    /* both nonzero */
	uint16_t sleep_status_port;
	uint64_t region_addr;           /* 16-byte aligned: the RSDP goes here */
	uint64_t region_size;
};

/* Writes the tables into mach's region of `m`. Returns the bytes used
 * from the region's start, or -EINVAL for a machine beyond the limits
 * above or otherwise malformed (no CPU, misaligned region, a device above
 * 4 GiB or of size 0, a bad name or EISA ID, duplicate names, an ISA IRQ
 * above 15, a sleep port of 0), -ENOSPC if the region is too small, or
 * -EFAULT if it is not guest RAM. On error nothing is written. */
int acpi_write_tables(struct guest_mem *m, const struct acpi_machine *mach)
	__attribute__((warn_unused_result));

/* Whether a byte written to the sleep control register asks for S5
 * (SLP_EN set and SLP_TYP 5; the reserved bits are ignored). */
bool acpi_sleep_control_is_s5(uint8_t value);

#endif
