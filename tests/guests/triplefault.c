/* triplefault: with an empty IDT (limit 0) any exception becomes #GP, then
 * #DF, then a triple fault: the CPU shuts down and KVM reports
 * KVM_EXIT_SHUTDOWN, which microrun treats as a reset (exit 122).
 *
 * The faulting instruction is ud2. On the build machines' KVM (kvm_pvm,
 * which emulates guest code) both ud2 (#UD) and a divide by zero (#DE)
 * were checked to end in KVM_EXIT_SHUTDOWN; int3 is not usable there (its
 * emulation fails with KVM_EXIT_INTERNAL_ERROR). ud2 needs no registers. */
#include "lib.h"

void guest_main(const struct boot_params *bp)
{
	struct __attribute__((packed)) {
		uint16_t limit;
		uint64_t base;
	} idtr = { 0, 0 };

	(void)bp;
	puts("triple fault next\n");
	__asm__ volatile("lidt %0" : : "m"(idtr));
	__asm__ volatile("ud2");
	/* Not reached if the fault was delivered. */
	puts("triplefault: FAIL ud2 did not fault\n");
	halt_forever();
}
