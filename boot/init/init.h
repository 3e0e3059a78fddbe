/* microrun's built-in init (PID 1 in the guest): the pieces main.c calls
 * in order. Each returns 0 or -errno and has said what failed on the
 * console (stderr, which the kernel opened on /dev/console). */
#ifndef MR_INIT_H
#define MR_INIT_H

#include "boot/init/runcfg.h"
#include "devices/status_port.h"

/* "microrun-init: " + message + "\n" on stderr (the console), or on fd. */
void init_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void init_say_fd(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* proc, sysfs and devtmpfs in the initramfs, and stdin/stdout/stderr on
 * /dev/console if the kernel could not open it. */
int init_mount_early(void) __attribute__((warn_unused_result));
/* The host's root read-only over 9p at INIT_HOST_DIR, under an overlay on
 * a tmpfs, at INIT_NEW_ROOT, with tmpfs on its /tmp and /run. */
int init_mount_root(const struct runcfg_view *v) __attribute__((warn_unused_result));
/* Every shared directory at its path, once in the new root. */
int init_mount_shares(const struct runcfg_view *v) __attribute__((warn_unused_result));
/* mkdir -p of an absolute path. */
int init_make_dirs(const char *path) __attribute__((warn_unused_result));
/* Moves /dev, /proc, /sys into the new root, makes it /, and mounts
 * devpts and /dev/shm inside. */
int init_switch_root(void) __attribute__((warn_unused_result));

/* finit_module of each listed file, in order; built in or loaded already
 * (EEXIST) is fine. */
int init_load_modules(const struct runcfg_list *modules) __attribute__((warn_unused_result));

/* Opens the three console entries of the configuration (runcfg.h) into
 * fds[0..2]; entries naming the same device share one descriptor. */
int init_open_consoles(const char *const names[RUNCFG_CONSOLES], int fds[RUNCFG_CONSOLES])
	__attribute__((warn_unused_result));

/* Profiles (-p): where a guest part failed, for the exit-status port. */
struct init_profile_failure {
	unsigned index;           /* in the configuration's profiles */
	enum status_profile_how how;
	unsigned value;
};

/* Tells microrun the init reached `phase` (for --timing); nothing where
 * there is no exit-status port. */
void init_mark(enum status_phase phase);
/* In the program's process, just before execve (child_spec's
 * before_exec; child.c then drops the port access). */
void init_mark_program_start(void);

struct child_supervisor;

/* Before the switch to the new root: each profile with a guest part has
 * its directory, from the host's root, bound at its own path in the new
 * root (read-only, as the host's root). */
int init_profiles_bind(const struct runcfg_view *v, struct init_profile_failure *f)
	__attribute__((warn_unused_result));
/* In the new root: each profile's DIR/files/ copied into / (tree_copy.h),
 * what failed said on err_fd (the program's stderr). */
int init_profiles_place(const struct runcfg_view *v, int err_fd, struct init_profile_failure *f)
	__attribute__((warn_unused_result));
/* Each profile's DIR/guest to its end, as the program is run: in its
 * working directory, with its environment and MICRORUN_PROFILE and
 * MICRORUN_PROFILE_DIR, fds[0..2] as stdin, stdout, stderr. */
int init_profiles_run(const struct runcfg_view *v, struct child_supervisor *sup, const int fds[3],
		      struct init_profile_failure *f) __attribute__((warn_unused_result));

/* Hands a status (status_port_encode or status_port_encode_profile) to
 * microrun on the exit-status port, which ends the VM; returns only where
 * there is no such port (another VMM). */
void init_report(int64_t status);

#define INIT_HOST_DIR "/mnt/host"   /* the host's /, read-only over 9p */
#define INIT_NEW_ROOT "/mnt/root"

#endif
