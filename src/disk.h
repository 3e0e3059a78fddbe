/* Opening the host side of a -d disk: the file or block device, its size,
 * and a lock so that two VMs never write one image. */
#ifndef MR_DISK_H
#define MR_DISK_H

#include "devices/virtio_blk.h"
#include "src/cli.h"

/* Fills `backend` (fd, size, flags, serial); reports on stderr naming the
 * file and says what to do. The fd is close-on-exec. */
int disk_open(const struct mr_disk *disk, struct virtio_blk_backend *backend)
	__attribute__((warn_unused_result));

#endif
