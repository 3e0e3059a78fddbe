/* The command line with its profiles merged in. Each -p profile, in the
 * order given, contributes its DIR/options, then what its host step
 * printed; the command line's own words come last, so its options win:
 *
 *   argv[0] P1/options P1/host-output P2/options ... argv[1] ... [program]
 *
 * Options that take one value (-k, -m, -c, --timeout, ...) keep the last
 * one; -d, --9p, -e, --rw accumulate in that order; each -a adds its words
 * to the kernel command line, where the kernel takes a parameter's last
 * setting. The program comes from the command line only. A host step sees
 * the kernel and the -e pairs of all the options files, the command line,
 * and the host steps that ran before it. */
#ifndef MR_PROFILE_MERGE_H
#define MR_PROFILE_MERGE_H

#include "src/arglist.h"
#include "src/cli.h"

/* cli_parse() of the merged words, which are kept in `merged` (cfg points
 * into it and argv: both must outlive cfg); runs the host steps, which
 * need a kernel. Errors are reported. */
enum cli_outcome profile_merge_parse(int argc, char **argv, struct mr_config *cfg,
				     struct arglist *merged);

#endif
