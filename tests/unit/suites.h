/* Every unit-test suite, listed once; tests/unit/main.c runs them all. */
#ifndef MR_TEST_SUITES_H
#define MR_TEST_SUITES_H

#include <check.h>

Suite *uart16550_suite(void);
Suite *mptable_suite(void);
Suite *bzimage_suite(void);
Suite *elf_suite(void);
Suite *zeropage_suite(void);
Suite *cpu_state_suite(void);
Suite *cli_suite(void);
Suite *cmdline_suite(void);
Suite *bus_suite(void);
Suite *guest_mem_suite(void);
Suite *cpuid_suite(void);
Suite *i8042_suite(void);
Suite *console_suite(void);
Suite *ioapic_suite(void);
Suite *cmos_rtc_suite(void);
Suite *virtqueue_suite(void);
Suite *virtio_mmio_suite(void);
Suite *aml_suite(void);
Suite *acpi_suite(void);
Suite *virtio_blk_suite(void);
Suite *virtio_console_suite(void);

#endif
