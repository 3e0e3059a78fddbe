/* Boot CPU state for the Linux 64-bit entry (Documentation/arch/x86/boot.rst,
 * "64-bit Boot Protocol"): long mode, paging on an identity map, a GDT with
 * flat __BOOT_CS (0x10) and __BOOT_DS (0x18), interrupts off, RSI pointing
 * at the zero page. */
#ifndef MR_CPU_STATE_H
#define MR_CPU_STATE_H

#include <linux/kvm.h>
#include <stdint.h>

#include "src/guest_mem.h"

#define BOOT_CS  0x10
#define BOOT_DS  0x18
#define BOOT_TSS 0x20

/* Writes the GDT at GDT_ADDR. */
int gdt_write(struct guest_mem *m) __attribute__((warn_unused_result));

/* The segment a selector of the boot GDT describes, as KVM wants it. */
struct kvm_segment gdt_segment(uint16_t selector);

/* Sets segments, descriptor tables, control registers and EFER in `s`
 * (which holds the vCPU's current state, so untouched fields survive). */
void boot_cpu_sregs(struct kvm_sregs *s, uint64_t cr3);
void boot_cpu_regs(struct kvm_regs *r, uint64_t entry, uint64_t zero_page);

#endif
