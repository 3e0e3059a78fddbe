/* The KVM API, checked: /dev/kvm, the VM file descriptor, memory slots. */
#ifndef MR_KVM_H
#define MR_KVM_H

#include <linux/kvm.h>
#include <stddef.h>

#include "src/guest_mem.h"

struct kvm {
	int dev_fd;       /* /dev/kvm */
	int vm_fd;
	size_t run_size;  /* size of each vCPU's struct kvm_run mapping */
};

struct kvm_cap_need {
	int cap;
	const char *name;
};
#define KVM_CAP_NEED(c) { c, #c }

/* Opens /dev/kvm, checks the API version and `caps`. Prints what went
 * wrong and how to fix it. */
int kvm_open(struct kvm *k, const struct kvm_cap_need *caps, size_t ncaps)
	__attribute__((warn_unused_result));
/* KVM_CREATE_VM on the device kvm_open() opened. */
int kvm_create_vm(struct kvm *k) __attribute__((warn_unused_result));
void kvm_close(struct kvm *k);

/* One memory slot per RAM range. */
int kvm_map_memory(struct kvm *k, const struct guest_mem *m) __attribute__((warn_unused_result));

/* Creates vCPU `id` and maps its kvm_run. */
int kvm_create_vcpu(struct kvm *k, unsigned id, struct kvm_run **run)
	__attribute__((warn_unused_result));

int kvm_max_vcpus(const struct kvm *k);

/* ioctl that reports failure on stderr with the request's name. */
#define kvm_ioctl(fd, req, arg) kvm_ioctl_named(fd, req, #req, (void *)(uintptr_t)(arg))
int kvm_ioctl_named(int fd, unsigned long req, const char *name, void *arg);

#endif
