/* The kernel release the test guests claim, in both places a loader looks:
 * the bzImage setup header's kernel_version string (mkbzimage.c) and a
 * "Linux version " banner in the ELF's loaded segment (lib.c). */
#ifndef MR_GUEST_VERSION_H
#define MR_GUEST_VERSION_H

#define GUEST_RELEASE "0.0.0-microrun-guest"
#define GUEST_VERSION GUEST_RELEASE " (microrun tiny test guest) #1"

#endif
