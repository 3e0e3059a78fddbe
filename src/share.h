/* Opening the host side of the --9p exports: each directory, its tag, and
 * enough descriptors for the fids a guest may hold. */
#ifndef MR_SHARE_H
#define MR_SHARE_H

#include "devices/virtio_9p.h"
#include "src/cli.h"

/* Export `i` of `shares`: an O_PATH descriptor of its directory and its
 * tag (given, or "hostI"). Checks the tag against the limit and against
 * the exports before it; reports on stderr naming the directory, and why. */
int share_open(const struct mr_share *shares, unsigned i, int *root_fd,
	       char tag[VIRTIO_9P_TAG_MAX + 1]) __attribute__((warn_unused_result));

#endif
