/* The .modinfo section of a kernel module (an ELF64 relocatable object):
 * NUL-separated "key=value" strings that modpost writes, such as
 * "depends=virtio,virtio_ring" and "vermagic=6.1.0-57-amd64 SMP ...". */
#ifndef MR_MODINFO_H
#define MR_MODINFO_H

#include <stddef.h>
#include <stdint.h>

/* Points *value at the value of the first `key` (without "key="), *len its
 * length, inside `ko`. -ENOENT if the module has no such key, -EINVAL if
 * `ko` is no ELF64 object with a well-formed .modinfo. */
int modinfo_get(const uint8_t *ko, size_t size, const char *key, const char **value,
		size_t *len) __attribute__((warn_unused_result));

#endif
