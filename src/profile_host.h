/* A profile's host step: DIR/host, an executable run on the host before
 * the VM is made, to prepare what the profile needs (disk images, say) in
 * the run's scratch directory. Anything it prints on stdout is read as
 * more options, in the syntax of DIR/options (src/profile.h).
 *
 * Its environment: microrun's own, the -e NAME=VALUE pairs known so far,
 * and MICRORUN_SCRATCH (the scratch directory, shared by every profile of
 * the run), MICRORUN_KERNEL (the kernel, an absolute path),
 * MICRORUN_KERNEL_RELEASE (its release, "" if it names none),
 * MICRORUN_PROFILE (the profile's name) and MICRORUN_PROFILE_DIR (its
 * directory). It runs in microrun's current directory, with stdin on
 * /dev/null and stderr on microrun's. Its output is what it printed until
 * it exited; whatever it left running is then killed. An ending signal
 * microrun gets meanwhile is passed on to it (a second kills it), and ends
 * the run.
 * The scratch directory: src/profile_scratch.h. */
#ifndef MR_PROFILE_HOST_H
#define MR_PROFILE_HOST_H

#include <stdbool.h>

#include "src/arglist.h"
#include "src/cli.h"

enum host_result {
	HOST_OK,        /* it ran and exited 0, or there is no DIR/host */
	HOST_FAILED,    /* the step failed, or printed what is no option: reported;
			 * or microrun got an ending signal (left pending) */
	HOST_ERROR,     /* microrun could not run it: reported */
};

bool profile_has_host(const struct mr_profile *p);

/* Runs p's host step with cfg's kernel and -e pairs; the options it
 * printed are appended to `out`. */
enum host_result profile_run_host(const struct mr_profile *p, const struct mr_config *cfg,
				  struct arglist *out);

#endif
