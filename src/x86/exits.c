/* VM exits only an x86 machine has. */
#include <errno.h>

#include "src/arch.h"
#include "src/log.h"
#include "src/x86/machine.h"

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
		pc_devices_eoi(v->vm->arch, v->run->eoi.vector);
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
