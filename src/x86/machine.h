/* The x86 machine's private state, shared by the files in src/x86/. */
#ifndef MR_X86_MACHINE_H
#define MR_X86_MACHINE_H

#include <linux/kvm.h>
#include <pthread.h>

#include "devices/cmos_rtc.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/uart16550.h"
#include "src/vm.h"

/* A byte-register device on the port bus, reached under the machine lock. */
struct pc_port {
	struct arch_vm *machine;
	uint8_t (*read)(struct arch_vm *a, unsigned reg);
	void (*write)(struct arch_vm *a, unsigned reg, uint8_t value);
};

struct arch_vm {
	struct vm *vm;
	pthread_mutex_t lock;     /* serialises the devices below */
	struct ioapic ioapic;
	struct uart16550 uart;
	struct i8042 kbc;
	struct cmos_rtc rtc;
	struct pc_port kbc_port, rtc_port;
	struct kvm_cpuid2 *cpuid;
	uint32_t tsc_khz;
};

/* The devices of the PC this machine is: I/O APIC, COM1, i8042, RTC. */
int pc_devices_init(struct vm *vm, struct arch_vm *a) __attribute__((warn_unused_result));
/* A local APIC acknowledged a level-triggered `vector`. */
void pc_devices_eoi(struct arch_vm *a, uint8_t vector);

#endif
