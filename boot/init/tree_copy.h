/* Copying a directory tree into another: how the init places a profile's
 * files/ into the guest's root. Regular files (with their contents and
 * permission bits, setuid, setgid and sticky included), directories and
 * symlinks (as links) are copied; anything else is refused. The copies
 * belong to the caller (root in the guest); times are not kept.
 *
 * Into the destination: a directory that exists is entered as it is
 * (through a symlink too, so files/lib/x lands in /usr/lib/x where /lib
 * links there) and keeps its mode; one that does not is made with the
 * source's mode. A file or symlink replaces what is there unless that is
 * a directory. Plain POSIX and Linux calls, so the same file is built for
 * the host and tested there (tests/unit/test_init_tree_copy.c). */
#ifndef MR_INIT_TREE_COPY_H
#define MR_INIT_TREE_COPY_H

#include <limits.h>

#define TREE_COPY_MAX_DEPTH 64

/* What failed: the path below the source's top and why. */
struct tree_copy_error {
	char path[PATH_MAX];
	const char *why;          /* a static string */
	int err;                  /* errno */
};

/* Copies everything below directory `src` into directory `dst` (both
 * descriptors stay the caller's). 0, or -errno with *e filled in; what was
 * copied before the failure stays. */
int tree_copy(int src, int dst, struct tree_copy_error *e) __attribute__((warn_unused_result));

#endif
