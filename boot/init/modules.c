/* Loading the kernel modules microrun packed into the initramfs, in the
 * order its configuration lists them (dependencies first). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot/init/init.h"

static int load(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		int err = errno;
		init_say("cannot open module %s: %s", path, strerror(err));
		return -err;
	}
	/* finit_module(2): no copy of the file in the init's memory; no
	 * parameters; the module's signature and version are checked as the
	 * kernel is configured to. */
	long r = syscall(SYS_finit_module, fd, "", 0);
	int err = errno;
	close(fd);
	if (r && err != EEXIST) {
		init_say("cannot load module %s: %s%s", path, strerror(err),
			 err == ENOEXEC || err == EINVAL ? " (built for another kernel?)" : "");
		return -err;
	}
	/* the initramfs is RAM: the file is of no more use */
	unlink(path);
	return 0;
}

int init_load_modules(const struct runcfg_list *modules)
{
	const char *path = modules->first;

	for (uint32_t i = 0; i < modules->n; i++, path = runcfg_next(path)) {
		int r = load(path);
		if (r)
			return r;
	}
	return 0;
}
