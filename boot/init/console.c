/* The program's stdin, stdout and stderr: /dev/console, a device path, or
 * a named virtio-serial port. Without udev there is no
 * /dev/virtio-ports/NAME link: the name is in sysfs, next to the port's
 * device (vportNpM), whose node devtmpfs creates. A device path may name
 * a terminal that comes up after the driver loaded, as hvc0 does: its
 * node is there (or not) before the port behind it is (ENODEV). */
#include <dirent.h>
#include <stdbool.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "boot/init/init.h"

#define PORTS_DIR "/sys/class/virtio-ports"
/* Ports appear once the driver has handled the device's PORT_ADD control
 * messages, asynchronously after the module loaded; bounded, so a port
 * that never comes is an error, not a hang. */
#define PORT_WAIT_MS 5000
#define PORT_POLL_MS 2

/* Whether the port directory `dir` is named `name`. */
static int port_named(const char *dir, const char *name)
{
	char path[300], got[RUNCFG_MAX_NAME + 2];
	snprintf(path, sizeof(path), PORTS_DIR "/%s/name", dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, got, sizeof(got) - 1);
	close(fd);
	if (n <= 0)
		return 0;
	got[n] = '\0';
	got[strcspn(got, "\n")] = '\0';
	return strcmp(got, name) == 0;
}

static int find_port(const char *name, char *dev, size_t len)
{
	DIR *d = opendir(PORTS_DIR);
	struct dirent *e;
	int found = 0;

	while (d && !found && (e = readdir(d)))
		if (e->d_name[0] != '.' && port_named(e->d_name, name)) {
			snprintf(dev, len, "/dev/%s", e->d_name);
			found = 1;
		}
	if (d)
		closedir(d);
	return found;
}

static int wait_for_port(const char *name, char *dev, size_t len)
{
	const struct timespec step = { 0, PORT_POLL_MS * 1000000L };

	for (int waited = 0; waited <= PORT_WAIT_MS; waited += PORT_POLL_MS) {
		if (find_port(name, dev, len) && access(dev, F_OK) == 0)
			return 0;
		nanosleep(&step, NULL);
	}
	init_say("no virtio-serial port named '%s' after %d ms (is virtio_console loaded?)",
		 name, PORT_WAIT_MS);
	return -ENODEV;
}

static int resolve(const char *name, char *dev, size_t len)
{
	if (!name[0]) {
		snprintf(dev, len, "/dev/console");
		return 0;
	}
	if (name[0] == '/') {
		snprintf(dev, len, "%s", name);
		return 0;
	}
	return wait_for_port(name, dev, len);
}

static bool not_there_yet(int err)
{
	return err == ENOENT || err == ENODEV || err == ENXIO;
}

static int open_console(const char *dev, int i)
{
	const struct timespec step = { 0, PORT_POLL_MS * 1000000L };
	int fd = -1, err = 0;

	for (int waited = 0; fd < 0 && waited <= PORT_WAIT_MS; waited += PORT_POLL_MS) {
		fd = open(dev, O_RDWR | O_NOCTTY | O_CLOEXEC);
		err = errno;
		if (fd < 0 && !not_there_yet(err))
			break;
		if (fd < 0)
			nanosleep(&step, NULL);
	}
	if (fd < 0)
		init_say("cannot open %s for the program's %s: %s", dev,
			 i == 0 ? "stdin" : i == 1 ? "stdout" : "stderr", strerror(err));
	return fd < 0 ? -err : fd;
}

int init_open_consoles(const char *const names[RUNCFG_CONSOLES], int fds[RUNCFG_CONSOLES])
{
	char dev[RUNCFG_CONSOLES][RUNCFG_MAX_PATH + 1];

	for (int i = 0; i < RUNCFG_CONSOLES; i++) {
		int r = resolve(names[i], dev[i], sizeof(dev[i]));
		if (r)
			return r;
		fds[i] = -1;
		/* a port opens once only (EBUSY): share the descriptor */
		for (int j = 0; j < i; j++)
			if (strcmp(dev[i], dev[j]) == 0)
				fds[i] = fds[j];
		if (fds[i] >= 0)
			continue;
		fds[i] = open_console(dev[i], i);
		if (fds[i] < 0)
			return fds[i];
	}
	return 0;
}
