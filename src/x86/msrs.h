/* Model-specific registers a vCPU starts with. */
#ifndef MR_MSRS_H
#define MR_MSRS_H

int msrs_set_boot(int vcpu_fd) __attribute__((warn_unused_result));

#endif
