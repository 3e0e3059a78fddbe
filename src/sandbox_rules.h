/* The sandbox's allow-list as libseccomp rules. libseccomp turns them into
 * a BPF program at build time (src/seccomp_gen.c), not at each start-up:
 * building it took 750 k instructions, more than half of all microrun does
 * to boot a tiny guest, and 14-31 ms of a set-up in the benchmarks' nested
 * machine. src/sandbox.c loads the result; the unit tests check that it is
 * exactly what libseccomp makes of these rules. */
#ifndef MR_SANDBOX_RULES_H
#define MR_SANDBOX_RULES_H

#include <seccomp.h>
#include <stdbool.h>
#include <stdint.h>

/* Stands for microrun's process ID in the built program (the only rule
 * that depends on the run: tgkill to its own threads only). Above Linux's
 * PID_MAX_LIMIT, so no real ID is ever mistaken for it. */
#define SANDBOX_PID_PLACEHOLDER 0x7fe57a1du

/* The filter for a run with or without the 9p file server, its tgkill
 * rule limited to process `pid`: default action SIGSYS (SCMP_ACT_TRAP).
 * NULL, reported, if libseccomp fails. seccomp_release() it. */
scmp_filter_ctx sandbox_rules_filter(bool file_server, uint32_t pid);

/* How many system calls the filter allows (ioctl, mmap, mprotect and
 * tgkill count once each, with their argument rules). */
unsigned sandbox_rules_count(bool file_server);

/* How many of the rules compare with the process ID: 1, or 0 in ASan
 * builds (whose runtime signals freely). */
unsigned sandbox_rules_pid_rules(void);

#endif
