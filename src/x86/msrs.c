#include "src/x86/msrs.h"

#include <errno.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <sys/ioctl.h>

#include "src/log.h"

#define MSR_IA32_TSC            0x10
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_MTRR_DEF_TYPE       0x2ff
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_SYSCALL_MASK        0xc0000084
#define MSR_KERNEL_GS_BASE      0xc0000102

#define MISC_ENABLE_FAST_STRING 1
/* MTRRs enabled, default type write-back: without it the guest would run
 * with all memory uncached, slowly. */
#define MTRR_DEF_TYPE_WB_ON     ((1u << 11) | 6)

static const struct kvm_msr_entry boot_msrs[] = {
	{ .index = MSR_IA32_SYSENTER_CS },
	{ .index = MSR_IA32_SYSENTER_ESP },
	{ .index = MSR_IA32_SYSENTER_EIP },
	{ .index = MSR_STAR },
	{ .index = MSR_LSTAR },
	{ .index = MSR_CSTAR },
	{ .index = MSR_SYSCALL_MASK },
	{ .index = MSR_KERNEL_GS_BASE },
	{ .index = MSR_IA32_TSC },
	{ .index = MSR_IA32_MISC_ENABLE, .data = MISC_ENABLE_FAST_STRING },
	{ .index = MSR_MTRR_DEF_TYPE, .data = MTRR_DEF_TYPE_WB_ON },
};
#define NUM_MSRS (sizeof(boot_msrs) / sizeof(boot_msrs[0]))

int msrs_set_boot(int vcpu_fd)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry entries[NUM_MSRS];
	} msrs = { .hdr.nmsrs = NUM_MSRS };

	for (size_t i = 0; i < NUM_MSRS; i++)
		msrs.entries[i] = boot_msrs[i];
	/* KVM_SET_MSRS returns how many it set, stopping at the first refusal. */
	int n = ioctl(vcpu_fd, KVM_SET_MSRS, &msrs);
	if (n != (int)NUM_MSRS) {
		mr_err("KVM_SET_MSRS: could not set MSR 0x%x",
		       n >= 0 && n < (int)NUM_MSRS ? boot_msrs[n].index : 0);
		return -EINVAL;
	}
	return 0;
}
