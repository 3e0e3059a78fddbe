/* The initramfs microrun gives the guest to run a program: the built-in
 * init (boot/init_image.h) as /init, the run's configuration as
 * RUNCFG_PATH, the modules the init loads, in load order, under
 * INITRAMFS_MODULE_DIR, and /dev/console, which the kernel opens as the
 * init's stdin, stdout and stderr. */
#ifndef MR_INITRAMFS_H
#define MR_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>

#include "boot/cpio.h"
#include "boot/module_file.h"

#define INITRAMFS_MODULE_DIR "/microrun/modules"

struct initramfs_module {
	const char *path;          /* from initramfs_module_path */
	const struct mod_file *file;
};

/* Where the index'th module to load, `name`, goes: "/microrun/modules/
 * 03-9pnet_virtio.ko"; the configuration's module list names these.
 * -ENAMETOOLONG if `len` is too small. */
int initramfs_module_path(size_t index, const char *name, char *out, size_t len)
	__attribute__((warn_unused_result));

/* The whole archive, trailer included (a size-only pass with w's buffer
 * NULL, as cpio.h describes). */
int initramfs_write(struct cpio_writer *w, const uint8_t *config, size_t config_len,
		    const struct initramfs_module *mods, size_t nmods)
	__attribute__((warn_unused_result));

#endif
