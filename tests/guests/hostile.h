/* The hostile guest's two halves (vhostile.c: crafted cases, and
 * hostile_random.c: random rings and register writes) and what they share. */
#ifndef GUEST_HOSTILE_H
#define GUEST_HOSTILE_H

#include "blk.h"
#include "lib.h"

struct hostile_report {
	unsigned passed, failed;
};

/* Prints "vhostile: ok NAME" (why NULL) or "vhostile: FAIL NAME: WHY". */
void hostile_verdict(struct hostile_report *r, const char *name, const char *why);
/* Reset and start `d` again with the hostile guest's features, its queue
 * in `ring`; NULL, or what went wrong. */
const char *hostile_restart(struct vio_dev *d, void *ring);
/* A well-formed read of sector 0; with `check_data`, it must hold the
 * "host" pattern. NULL if it worked, else what went wrong. */
const char *hostile_read_ok(struct vio_dev *d, int check_data);
/* The random campaign on disk `d` (queue in `ring`) from PRNG seed
 * `seed` (not 0); one verdict per phase. */
void hostile_random(struct hostile_report *r, struct vio_dev *d, void *ring, uint64_t ram_top,
		    uint64_t seed);

#endif
