/* The CPUID a vCPU shows: what KVM supports, with this vCPU's APIC ID, the
 * hypervisor bit, KVM's paravirtual leaves and the TSC frequency. */
#ifndef MR_CPUID_H
#define MR_CPUID_H

#include <linux/kvm.h>
#include <stdint.h>

#define CPUID_KVM_SIGNATURE 0x40000000
#define CPUID_KVM_FEATURES  0x40000001
#define CPUID_TIMING        0x40000010 /* EAX: TSC kHz, EBX: APIC bus kHz */
#define CPUID_EXTRA_ENTRIES 3          /* room cpuid_patch may add */

/* KVM_GET_SUPPORTED_CPUID, with room for CPUID_EXTRA_ENTRIES more. */
struct kvm_cpuid2 *cpuid_supported(int kvm_dev_fd);
/* Adapts a copy of the supported table for vCPU `apic_id`. */
int cpuid_patch(struct kvm_cpuid2 *c, unsigned capacity, unsigned apic_id, uint32_t tsc_khz)
	__attribute__((warn_unused_result));
int cpuid_set_vcpu(int vcpu_fd, const struct kvm_cpuid2 *supported, unsigned apic_id,
		   uint32_t tsc_khz) __attribute__((warn_unused_result));

#endif
