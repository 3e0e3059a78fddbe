/* Intel MultiProcessor Specification 1.4 tables: how a guest without ACPI
 * finds its CPUs and its I/O APIC. */
#ifndef MR_MPTABLE_H
#define MR_MPTABLE_H

#include <stddef.h>
#include <stdint.h>

/* The table lives in the 1 KiB at MPTABLE_ADDR (the last KiB of base memory,
 * which Linux scans). It takes 16 bytes of floating pointer, a 44-byte
 * header, 20 bytes per processor and 224 bytes of fixed entries (ISA bus,
 * I/O APIC, 24 I/O and 2 local interrupt entries): 284 + 20 * ncpus bytes,
 * so at most (1024 - 284) / 20 = 37 CPUs (1024 bytes). The 8-bit APIC IDs
 * alone would allow 254 (IDs 0..253, the I/O APIC at 254, 0xff broadcast):
 * the 1 KiB is the binding limit. mptable.c checks this arithmetic. */
#define MPTABLE_MAX_CPUS 37

/* Writes the MP floating pointer and configuration table for `ncpus` CPUs
 * (APIC IDs 0..ncpus-1, CPU 0 the bootstrap processor; the I/O APIC gets ID
 * `ncpus`) into `dst`, which the guest sees at guest-physical `gpa`; `room`
 * bytes are available. Returns the number of bytes used, or -ENOSPC if room
 * is too small, or -EINVAL if ncpus is 0 or more than MPTABLE_MAX_CPUS, or
 * gpa is not 16-byte aligned (guests scan for the floating pointer on 16-byte
 * boundaries) or the table would not lie below 4 GiB (its pointer is 32-bit).
 * On error nothing is written. */
int mptable_write(void *dst, size_t room, uint64_t gpa, unsigned ncpus)
	__attribute__((warn_unused_result));

#endif
