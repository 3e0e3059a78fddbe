/* Every fixed guest-physical address of the x86 machine, in one place. */
#ifndef MR_X86_LAYOUT_H
#define MR_X86_LAYOUT_H

#define GDT_ADDR          0x0500ULL  /* boot GDT: null, null, code, data, TSS */
#define ZERO_PAGE_ADDR    0x7000ULL  /* struct boot_params */
#define BOOT_STACK_TOP    0x8ff0ULL  /* RSP at entry (the protocol asks none) */
#define PML4_ADDR         0x9000ULL  /* identity map of the first 4 GiB ... */
#define PDPT_ADDR         0xa000ULL
#define PD_ADDR           0xb000ULL  /* ... four page directories of 2 MiB pages */
#define PAGE_TABLES_END   0xf000ULL
#define CMDLINE_ADDR      0x20000ULL
#define CMDLINE_MAX       0x10000ULL /* room reserved for the command line */
#define MPTABLE_ADDR      0x9fc00ULL /* last KiB of base memory, where Linux looks */
#define BASE_MEM_END      0xa0000ULL /* 640 KiB; legacy VGA/BIOS hole above */
#define HIGH_MEM_START    0x100000ULL
#define KERNEL_DEFAULT_ADDR 0x1000000ULL

#define ACPI_TABLES_ADDR  0xe0000ULL  /* RSDP first: Linux also scans here */
#define ACPI_TABLES_SIZE  0x20000ULL  /* up to 1 MiB, reserved in e820 */

#define MMIO_HOLE_START   0xc0000000ULL /* RAM beyond 3 GiB moves above 4 GiB */
#define MMIO_HOLE_END     0x100000000ULL
#define IDENTITY_MAP_ADDR 0xfeffc000ULL /* KVM_SET_IDENTITY_MAP_ADDR: one page */
#define TSS_ADDR          0xfeffd000ULL /* KVM_SET_TSS_ADDR: three pages */
#define VIRTIO_MMIO_BASE  0xd0000000ULL /* virtio-mmio windows, one per device */
#define VIRTIO_MMIO_STRIDE 0x1000ULL
#define VIRTIO_FIRST_GSI  16            /* I/O APIC pins 16-23: clear of ISA IRQs */
#define IOAPIC_ADDR       0xfec00000ULL
#define LAPIC_ADDR        0xfee00000ULL

#define UART_COM1_PORT    0x3f8
#define UART_COM1_IRQ     4
#define CMOS_PORT         0x70
#define ACPI_SLEEP_PORT   0x600 /* FADT sleep control; status at +1 */
#define STATUS_PORT       0x604 /* 32-bit exit-status register (devices/status_port.h) */
#define I8042_PORT_DATA   0x60
#define I8042_PORT_CMD    0x64

#endif
