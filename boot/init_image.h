/* The embedded guest init (boot/init_image.S): the bytes of a static
 * x86-64 executable, to be packed into the initramfs as /init. */
#ifndef MR_INIT_IMAGE_H
#define MR_INIT_IMAGE_H

#include <stddef.h>
#include <stdint.h>

extern const uint8_t init_image_start[], init_image_end[];

static inline size_t init_image_size(void)
{
	return (size_t)(init_image_end - init_image_start);
}

#endif
