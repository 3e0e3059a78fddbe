#include <stdio.h>
#include <stdlib.h>

#include "tests/unit/helpers.h"

#include "tests/unit/suites.h"

int main(void)
{
	Suite *(*const suites[])(void) = {
		uart16550_suite,
		mptable_suite,
		bzimage_suite,
		elf_suite,
		zeropage_suite,
		cpu_state_suite,
		cli_suite,
		cmdline_suite,
		bus_suite,
		guest_mem_suite,
		cpuid_suite,
		i8042_suite,
		console_suite,
		ioapic_suite,
		cmos_rtc_suite,
		virtqueue_suite,
		virtio_mmio_suite,
		aml_suite,
		acpi_suite,
		virtio_blk_suite,
		sandbox_suite,
		cpio_suite,
		kernel_version_suite,
		modules_suite,
		module_file_suite,
		status_port_suite,
		runcfg_suite,
		init_child_suite,
		init_image_suite,
		guest_env_suite,
		initramfs_suite,
		p9_ops_suite,
		p9_confine_suite,
		virtio_9p_suite,
		virtio_console_suite,
		profile_suite,
		run_mode_suite,
		escape_suite,
		term_suite,
		init_tree_copy_suite,
		profile_guest_suite,
	};
	SRunner *sr = srunner_create(NULL);

	for (size_t i = 0; i < sizeof(suites) / sizeof(suites[0]); i++)
		srunner_add_suite(sr, suites[i]());
	srunner_run_all(sr, CK_NORMAL);
	if (test_skipped())
		printf("Skipped: %u (reasons above, on stderr)\n", test_skipped());
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
