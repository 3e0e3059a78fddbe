/* The guest side of profiles (-p): which of a profile's guest parts exist,
 * for the run's configuration (boot/init/runcfg.h); the init runs them
 * (boot/init/profiles.c). DIR/guest is run in the guest before the
 * program; DIR/files/ is a tree placed into the guest's root. */
#ifndef MR_PROFILE_GUEST_H
#define MR_PROFILE_GUEST_H

#include <stdbool.h>

#include "boot/init/runcfg.h"
#include "src/cli.h"

/* Fills `out` (pointing into `p`) with the parts DIR has: DIR/guest of
 * any type (the guest finds out whether it can be executed), DIR/files
 * a directory. 0, or -ENOTDIR with a message on stderr when DIR/files is
 * there but no directory. */
int profile_guest_parts(const struct mr_profile *p, struct runcfg_profile *out)
	__attribute__((warn_unused_result));

/* Whether any of the profiles has a guest part (errors not reported). */
bool profile_guest_any(const struct mr_profile *p, unsigned n);

#endif
