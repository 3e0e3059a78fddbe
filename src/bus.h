/* Address-space dispatch for port I/O and MMIO: one handler signature for
 * both, a short table per bus. Accesses nobody claims are harmless: reads
 * see all-ones, writes vanish, and both are counted for -v. */
#ifndef MR_BUS_H
#define MR_BUS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define BUS_MAX_DEVICES 32

typedef void bus_handler(void *dev, uint64_t offset, uint8_t *data, unsigned len, bool is_write);

struct bus_device {
	uint64_t base, len;
	bus_handler *handle;
	void *dev;
};

struct bus {
	struct bus_device devices[BUS_MAX_DEVICES];
	unsigned ndevices;
	atomic_ullong unhandled;
};

/* -EEXIST if the range overlaps a registered one, -ENOSPC if the bus is full. */
int bus_register(struct bus *b, uint64_t base, uint64_t len, bus_handler *handle, void *dev)
	__attribute__((warn_unused_result));
/* Registration is finished before any vCPU runs, so lookups take no lock. */
void bus_access(struct bus *b, uint64_t addr, uint8_t *data, unsigned len, bool is_write);

#endif
