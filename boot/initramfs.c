#include "boot/initramfs.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>

#include "boot/init/runcfg.h"
#include "boot/init_image.h"

#define CONSOLE_MAJOR 5  /* /dev/console: Documentation/admin-guide/devices.txt */
#define CONSOLE_MINOR 1

int initramfs_module_path(size_t index, const char *name, char *out, size_t len)
{
	int n = snprintf(out, len, INITRAMFS_MODULE_DIR "/%02zu-%s.ko", index, name);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* cpio names are relative: "/init" is "init". */
static const char *rel(const char *path)
{
	return path[0] == '/' ? path + 1 : path;
}

static int add_skeleton(struct cpio_writer *w)
{
	int r;

	if ((r = cpio_add_dir(w, "dev", 0755)) ||
	    (r = cpio_add_node(w, "dev/console", S_IFCHR | 0600, CONSOLE_MAJOR, CONSOLE_MINOR)) ||
	    (r = cpio_add_dir(w, "microrun", 0755)))
		return r;
	return cpio_add_dir(w, rel(INITRAMFS_MODULE_DIR), 0755);
}

int initramfs_write(struct cpio_writer *w, const uint8_t *config, size_t config_len,
		    const struct initramfs_module *mods, size_t nmods)
{
	int r;

	if ((r = add_skeleton(w)) ||
	    (r = cpio_add_file(w, "init", 0755, init_image_start, init_image_size())) ||
	    (r = cpio_add_file(w, rel(RUNCFG_PATH), 0600, config, config_len)))
		return r;
	for (size_t i = 0; i < nmods; i++)
		if ((r = modfile_add_to_cpio(w, rel(mods[i].path), mods[i].file)))
			return r;
	return cpio_finish(w);
}
