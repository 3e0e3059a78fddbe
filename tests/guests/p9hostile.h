/* Malformed 9P messages and chains for the virtio-9p server (issue 7's
 * campaign), one line each on the UART: "v9p: hostile WHAT: refused" when
 * the server answered Rlerror or gave the chain back empty, else what it
 * did instead. */
#ifndef GUEST_P9HOSTILE_H
#define GUEST_P9HOSTILE_H

#include <stdint.h>

#include "p9client.h"

/* `root`: an attached fid; `file`: an open fid of a file with one line of
 * text. Both stay usable. */
void p9hostile_run(struct vio_dev *d, uint32_t root, uint32_t file);

#endif
