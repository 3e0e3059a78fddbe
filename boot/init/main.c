/* microrun's built-in init: PID 1 of the guest. Reads the run's
 * configuration from the initramfs, loads the modules, builds the root
 * (the host's / read-only over 9p under a throw-away overlay), moves into
 * it, places the profiles' files, mounts the shared writable directories,
 * runs the profiles' guest scripts, then the program, and hands its exit
 * status to microrun. A step that fails says why on the console and is
 * reported as an init failure, with the step, so microrun exits with a
 * status of its own (120, 126, 127; 119 for a profile's) instead of the
 * program's. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "boot/init/child.h"
#include "boot/init/init.h"

static void vsay(int fd, const char *fmt, va_list ap)
{
	char line[512];
	int n = snprintf(line, sizeof(line), "microrun-init: ");

	vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	size_t len = strlen(line);
	line[len] = '\n';
	ssize_t r = write(fd, line, len + 1);
	(void)r;
}

void init_say(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(2, fmt, ap);
	va_end(ap);
}

void init_say_fd(int fd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsay(fd, fmt, ap);
	va_end(ap);
}

/* PID 1 must not exit: the kernel would panic. */
static __attribute__((noreturn)) void finish(int64_t status)
{
	sync();  /* what the program wrote to the shared directories */
	init_report(status);
	reboot(RB_POWER_OFF);
	for (;;)
		pause();
}

static __attribute__((noreturn)) void fail(unsigned step)
{
	init_say("giving up: could not %s", status_port_step_name(step));
	finish(status_port_encode(STATUS_KIND_INIT_FAILED, step));
}

static __attribute__((noreturn)) void fail_profile(const struct init_profile_failure *f)
{
	finish(status_port_encode_profile(f->how, f->index, f->value));
}

static int read_config(void **buf, size_t *len)
{
	int fd = open(RUNCFG_PATH, O_RDONLY | O_CLOEXEC);
	struct stat st;

	*buf = NULL;
	*len = 0;
	if (fd < 0 || fstat(fd, &st)) {
		init_say("cannot open %s: %s", RUNCFG_PATH, strerror(errno));
		return -ENOENT;
	}
	*len = (size_t)st.st_size;
	*buf = *len <= RUNCFG_MAX_SIZE ? malloc(*len ? *len : 1) : NULL;
	ssize_t n = *buf ? read(fd, *buf, *len) : -1;
	close(fd);
	if (n != (ssize_t)*len) {
		init_say("cannot read %s (%zu bytes)", RUNCFG_PATH, *len);
		return -EIO;
	}
	return 0;
}

static void decode_config(struct runcfg_view *v)
{
	const char *why = NULL;
	size_t len;
	void *buf;

	if (read_config(&buf, &len))
		fail(STATUS_STEP_CONFIG);
	if (runcfg_decode(buf, len, v, &why)) {
		init_say("%s is malformed: %s", RUNCFG_PATH, why);
		fail(STATUS_STEP_CONFIG);
	}
}

/* The new root, entered. The shares come later, after the profiles'
 * files/, which so never reach the host through a --rw directory. */
static void set_up(const struct runcfg_view *v)
{
	struct init_profile_failure f;

	if (init_load_modules(&v->modules))
		fail(STATUS_STEP_MODULES);
	if (init_mount_root(v))
		fail(STATUS_STEP_MOUNT_ROOT);
	if (init_profiles_bind(v, &f))
		fail_profile(&f);
	if (init_switch_root())
		fail(STATUS_STEP_SWITCH_ROOT);
	init_mark(STATUS_PHASE_ROOT_MOUNTED);
	if (sethostname(v->hostname, strlen(v->hostname)))
		init_say("cannot set the host name %s: %s", v->hostname, strerror(errno));
}

/* The program's last output is in the console drivers' buffers; let a
 * terminal send it before the VM ends. Virtio ports hand their buffers
 * to the device at write time (microrun drains them itself). */
static void drain(const int fds[RUNCFG_CONSOLES])
{
	for (int i = 1; i < RUNCFG_CONSOLES; i++)
		if (isatty(fds[i]))
			tcdrain(fds[i]);
}

/* The profiles' guest parts with the program's stderr for their output:
 * files/, then (the shares mounted) the guest scripts, stdin /dev/null,
 * as the program's stdin is the program's alone. */
static void run_profiles(const struct runcfg_view *v, struct child_supervisor *sup,
			 const int fds[RUNCFG_CONSOLES])
{
	struct init_profile_failure f;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);
	const int script_fds[3] = { null, fds[2], fds[2] };

	if (init_profiles_place(v, fds[2], &f))
		fail_profile(&f);
	if (init_mount_shares(v))
		fail(STATUS_STEP_MOUNT_SHARES);
	if (null < 0 && v->profiles.n)
		fail(STATUS_STEP_CONSOLE);
	if (init_profiles_run(v, sup, script_fds, &f))
		fail_profile(&f);
	if (null >= 0)
		close(null);
}

static void run(const struct runcfg_view *v)
{
	const char **argv = calloc(v->argv.n + 1, sizeof(*argv));
	const char **envp = calloc(v->env.n + 1, sizeof(*envp));
	struct child_spec spec = { .cwd = v->cwd, .before_exec = init_mark_program_start };
	struct child_supervisor sup;
	struct child_result res;

	if (!argv || !envp || child_supervisor_init(&sup))
		fail(STATUS_STEP_SPAWN);
	runcfg_list_array(&v->argv, argv);
	runcfg_list_array(&v->env, envp);
	spec.argv = argv;
	spec.envp = envp;
	if (init_open_consoles(v->console, spec.fds))
		fail(STATUS_STEP_CONSOLE);
	run_profiles(v, &sup, spec.fds);
	if (child_spawn(&sup, &spec, &res)) {
		init_say("cannot %s %s: %s", status_port_step_name(res.value), argv[0],
			 strerror(res.err));
		finish(status_port_encode(res.kind, res.value));
	}
	if (child_wait(&sup, &res))
		fail(STATUS_STEP_SPAWN);
	init_mark(STATUS_PHASE_PROGRAM_EXITED);
	drain(spec.fds);
	finish(status_port_encode(res.kind, res.value));
}

int main(void)
{
	struct runcfg_view v;

	if (getpid() != 1) {
		init_say("this is microrun's guest init; it runs as PID 1 inside a microrun VM");
		return 2;
	}
	init_mark(STATUS_PHASE_INIT_START);
	if (init_mount_early())
		fail(STATUS_STEP_MOUNT_EARLY);
	decode_config(&v);
	set_up(&v);
	run(&v);
}
