/* vCPU threads: each runs KVM_RUN and dispatches its exits. */
#ifndef MR_VCPU_H
#define MR_VCPU_H

#include "src/vm.h"

int vcpus_create(struct vm *vm, unsigned ncpus) __attribute__((warn_unused_result));
/* Creates the vCPU threads; they wait for vcpus_go() before running the
 * guest, so that the sandbox can be put on every thread first. */
int vcpus_start(struct vm *vm) __attribute__((warn_unused_result));
void vcpus_go(struct vm *vm);
/* Kicks every vCPU out of KVM_RUN and joins its thread, and the device
 * threads with them. */
void vcpus_stop(struct vm *vm);
void vcpus_destroy(struct vm *vm);
void vcpus_report_exits(struct vm *vm);

#endif
