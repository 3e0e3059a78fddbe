#include "src/x86/cpuid.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "src/kvm.h"
#include "src/log.h"

#define CPUID_HYPERVISOR_BIT (1u << 31) /* leaf 1 ECX: running under a hypervisor */
/* Leaf 1 ECX: the local APIC timer takes TSC deadlines. KVM emulates it but
 * leaves it out of KVM_GET_SUPPORTED_CPUID (KVM_CAP_TSC_DEADLINE_TIMER says
 * so instead). With no PIT, Linux has no other way to calibrate its timer. */
#define CPUID_TSC_DEADLINE_BIT (1u << 24)
#define APIC_BUS_KHZ 1000000            /* KVM's local APIC timer ticks at 1 GHz */

static struct kvm_cpuid2 *alloc_cpuid(unsigned n)
{
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));

	if (c)
		c->nent = n;
	return c;
}

struct kvm_cpuid2 *cpuid_supported(int kvm_dev_fd)
{
	for (unsigned n = 256; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = alloc_cpuid(n + CPUID_EXTRA_ENTRIES);
		if (!c)
			return NULL;
		c->nent = n;
		if (ioctl(kvm_dev_fd, KVM_GET_SUPPORTED_CPUID, c) == 0)
			return c;
		free(c);
		if (errno != E2BIG) {
			mr_err("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(errno));
			return NULL;
		}
	}
	return NULL;
}

static struct kvm_cpuid_entry2 *find(struct kvm_cpuid2 *c, uint32_t leaf, uint32_t index)
{
	for (unsigned i = 0; i < c->nent; i++)
		if (c->entries[i].function == leaf &&
		    (!(c->entries[i].flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) ||
		     c->entries[i].index == index))
			return &c->entries[i];
	return NULL;
}

static struct kvm_cpuid_entry2 *find_or_add(struct kvm_cpuid2 *c, unsigned capacity, uint32_t leaf)
{
	struct kvm_cpuid_entry2 *e = find(c, leaf, 0);

	if (e || c->nent == capacity)
		return e;
	e = &c->entries[c->nent++];
	*e = (struct kvm_cpuid_entry2){ .function = leaf };
	return e;
}

static void set_leaf1_and_apic_ids(struct kvm_cpuid2 *c, unsigned apic_id)
{
	for (unsigned i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];
		if (e->function == 1) {
			e->ebx = (e->ebx & 0x00ffffff) | (apic_id << 24);
			e->ecx |= CPUID_HYPERVISOR_BIT | CPUID_TSC_DEADLINE_BIT;
		} else if (e->function == 0xb || e->function == 0x1f) {
			e->edx = apic_id; /* x2APIC ID, every topology level */
		}
	}
}

/* KVM's signature leaf, its feature leaf (kvmclock and friends, as KVM
 * reported them), and the timing leaf: a known TSC frequency, so the guest
 * does not calibrate against slow emulated timers. */
static int set_kvm_leaves(struct kvm_cpuid2 *c, unsigned capacity, uint32_t tsc_khz)
{
	struct kvm_cpuid_entry2 *sig = find_or_add(c, capacity, CPUID_KVM_SIGNATURE);
	struct kvm_cpuid_entry2 *feat = find_or_add(c, capacity, CPUID_KVM_FEATURES);
	struct kvm_cpuid_entry2 *timing = find_or_add(c, capacity, CPUID_TIMING);

	if (!sig || !feat || !timing)
		return -ENOSPC;
	sig->eax = CPUID_TIMING;
	memcpy(&sig->ebx, "KVMKVMKVM\0\0\0", 12);
	timing->eax = tsc_khz;
	timing->ebx = APIC_BUS_KHZ;
	return 0;
}

int cpuid_patch(struct kvm_cpuid2 *c, unsigned capacity, unsigned apic_id, uint32_t tsc_khz)
{
	set_leaf1_and_apic_ids(c, apic_id);
	return set_kvm_leaves(c, capacity, tsc_khz);
}

int cpuid_set_vcpu(int vcpu_fd, const struct kvm_cpuid2 *supported, unsigned apic_id,
		   uint32_t tsc_khz)
{
	unsigned capacity = supported->nent + CPUID_EXTRA_ENTRIES;
	struct kvm_cpuid2 *c = alloc_cpuid(capacity);

	if (!c)
		return -ENOMEM;
	memcpy(c->entries, supported->entries, supported->nent * sizeof(c->entries[0]));
	c->nent = supported->nent;
	int r = cpuid_patch(c, capacity, apic_id, tsc_khz);
	if (!r)
		r = kvm_ioctl(vcpu_fd, KVM_SET_CPUID2, c);
	free(c);
	return r;
}
