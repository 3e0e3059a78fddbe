/* The run's scratch directory, shared by the profiles' host steps
 * (MICRORUN_SCRATCH). Made under $TMPDIR (or /tmp) when the first host step
 * runs, and removed once the VM is built (a disk's file stays usable
 * through its open descriptor), or on microrun's way out if the run ends
 * before. Nothing can remove it after a SIGKILL, so making one first
 * removes those such runs left. */
#ifndef MR_PROFILE_SCRATCH_H
#define MR_PROFILE_SCRATCH_H

#include <stdbool.h>

/* Makes it, once: 0, or -errno (reported). */
int profile_scratch_make(void) __attribute__((warn_unused_result));
/* Its path; "" until made. */
const char *profile_scratch_path(void);

/* Whether `path` lies in the scratch directory (which exists): what must
 * not be a --9p, --rw or --modules directory, gone before the guest runs. */
bool profile_in_scratch(const char *path);

/* Removes the scratch directory and everything in it, symlinks as links;
 * nothing if there is none. Safe to call again. */
void profile_scratch_remove(void);

/* Whether /proc shows this process's own PID namespace, whose numbers
 * kill() takes (not so if it was mounted in another). */
bool proc_shows_own_pids(void);

#endif
