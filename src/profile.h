/* Profiles (-p NAME|PATH): directories of ready-made settings, found on a
 * search path. This file finds them and reads their `options` files; a
 * profile's host step is src/profile_host.h, the merging of everything
 * into one command line src/profile_merge.h.
 *
 * The search path, in order (the first profile of a name wins):
 *   1. each directory of $MICRORUN_PROFILE_PATH (colon-separated);
 *   2. $XDG_CONFIG_HOME/microrun/profiles, or $HOME/.config/microrun/profiles
 *      when XDG_CONFIG_HOME is unset or empty;
 *   3. the checkout's profiles/ (MR_SOURCE_DIR/profiles), only when the
 *      running binary (/proc/self/exe) lies inside the checkout it was
 *      built from, as build/microrun does;
 *   4. the installed built-ins, MR_PROFILE_DIR
 *      (PREFIX/share/microrun/profiles). */
#ifndef MR_PROFILE_H
#define MR_PROFILE_H

#include <limits.h>
#include <stdio.h>

#include "src/arglist.h"
#include "src/cli.h"

#define PROFILE_PATH_MAX 16

struct profile_path {
	char dirs[PROFILE_PATH_MAX][PATH_MAX];
	unsigned n;
};

/* The search path as the environment and the binary's place make it now. */
void profile_search_path(struct profile_path *path);

/* -p VALUE: a VALUE holding '/' is a profile's directory, any other a name
 * looked up on the search path. 0, or -ENOENT/-ENOTDIR/-ENAMETOOLONG with
 * the reason on stderr (for a name: every directory tried). */
int profile_find(const char *value, struct mr_profile *p) __attribute__((warn_unused_result));

/* --list-profiles: every profile on the search path, one a line: name,
 * the first line of its README, and the directory it came from. */
void profile_list(FILE *out);

/* Options text, one option a line: `-m 2G`, `--rw /dir`, `--memory=2G`,
 * `-v`. Blank lines and lines starting with '#' are skipped; everything
 * after the option's first run of blanks is its one value (so `-a quiet
 * loglevel=7` is one -a). Each line's words are appended to `out` once the
 * line is checked (cli_check_line); `where` names the text in messages,
 * which read WHERE:LINE: why. 0 or -EINVAL. */
int profile_parse_options(const char *text, const char *where, struct arglist *out)
	__attribute__((warn_unused_result));

/* DIR/options through profile_parse_options; no file: nothing, 0. */
int profile_read_options(const struct mr_profile *p, struct arglist *out)
	__attribute__((warn_unused_result));

#endif
