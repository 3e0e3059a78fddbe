/* microrun's built-in init (PID 1 in the guest): the pieces main.c calls
 * in order. Each returns 0 or -errno and has said what failed on the
 * console (stderr, which the kernel opened on /dev/console). */
#ifndef MR_INIT_H
#define MR_INIT_H

#include "boot/init/runcfg.h"
#include "devices/status_port.h"

/* "microrun-init: " + message + "\n" on stderr. */
void init_say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* proc, sysfs and devtmpfs in the initramfs, and stdin/stdout/stderr on
 * /dev/console if the kernel could not open it. */
int init_mount_early(void) __attribute__((warn_unused_result));
/* The host's root read-only over 9p, under an overlay on a tmpfs, at
 * INIT_NEW_ROOT, with tmpfs on its /tmp and /run; then every shared
 * directory at its path inside. */
int init_mount_root(const struct runcfg_view *v) __attribute__((warn_unused_result));
int init_mount_shares(const struct runcfg_view *v) __attribute__((warn_unused_result));
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

/* Hands (kind, value) to microrun on the exit-status port, which ends the
 * VM; returns only where there is no such port (another VMM). */
void init_report(enum status_kind kind, unsigned value);
/* Tells microrun the init reached `phase` (for --timing); nothing where
 * there is no exit-status port. */
void init_mark(enum status_phase phase);
/* In the program's process, just before execve: the mark, then the port
 * access goes, so that the program does not inherit it. */
void init_mark_program_start(void);

#define INIT_NEW_ROOT "/mnt/root"

#endif
