/* ELF kernel loader (an uncompressed vmlinux): PT_LOAD segments go to their
 * physical addresses, untouched by any boot protocol. */
#ifndef MR_ELF_H
#define MR_ELF_H

#include <stdbool.h>
#include <stdint.h>

#include "src/guest_mem.h"

#define ELF_MAX_SEGMENTS 16

struct elf_segment {
	uint64_t offset, filesz, paddr, memsz;
};

struct elf_kernel {
	uint64_t entry;
	uint64_t low, high;  /* [low, high): every segment's memory */
	struct elf_segment seg[ELF_MAX_SEGMENTS];
	unsigned nseg;
};

bool elf_detect(const uint8_t *file, uint64_t size);

/* Validates an ELF64 executable for `machine` (EM_*); segments must lie in
 * the file and in [floor, ram_end). Errors go to stderr, naming `path`. */
int elf_parse(const uint8_t *file, uint64_t size, unsigned machine, uint64_t floor,
	      uint64_t ram_end, const char *path, struct elf_kernel *k)
	__attribute__((warn_unused_result));

/* Maps or copies each segment into fresh (zeroed) guest RAM. */
int elf_load(struct guest_mem *m, int fd, const struct elf_kernel *k)
	__attribute__((warn_unused_result));

#endif
