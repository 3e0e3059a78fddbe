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
Suite *sandbox_suite(void);
Suite *cpio_suite(void);
Suite *kernel_version_suite(void);
Suite *modules_suite(void);
Suite *module_file_suite(void);
Suite *status_port_suite(void);
Suite *runcfg_suite(void);
Suite *init_child_suite(void);
Suite *init_image_suite(void);
Suite *guest_env_suite(void);
Suite *initramfs_suite(void);
Suite *p9_ops_suite(void);
Suite *p9_confine_suite(void);
Suite *virtio_9p_suite(void);
Suite *virtio_console_suite(void);
Suite *profile_suite(void);
Suite *run_mode_suite(void);
Suite *escape_suite(void);
Suite *term_suite(void);
Suite *init_tree_copy_suite(void);
Suite *profile_guest_suite(void);

#endif
