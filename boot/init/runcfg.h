/* The run's configuration, as microrun hands it to the guest's init: a
 * file in the initramfs (RUNCFG_PATH). microrun encodes it (boot/runcfg.c),
 * the init decodes it (boot/init/runcfg_decode.c, compiled into both, so
 * one set of rules decides what is valid).
 *
 * Format, version 2 (all integers little-endian):
 *   8 bytes   RUNCFG_MAGIC ("MRCFG2\n\0")
 *   then these sections, in this order, each a u32 count followed by
 *   that many NUL-terminated strings:
 *     argv      the program and its arguments; at least one
 *     env       NAME=VALUE, NAME non-empty
 *     cwd       exactly one: the working directory, absolute
 *     hostname  exactly one: 1-64 of [A-Za-z0-9.-]
 *     root      exactly one: the 9p tag of the host's root
 *     mounts    three strings per host directory shared at its own path:
 *               tag, absolute path (not "/"), "rw" or "ro"
 *     modules   absolute paths of kernel modules in the initramfs, in the
 *               order they must be loaded
 *     console   exactly three: the program's stdin, stdout and stderr;
 *               "" for /dev/console, an absolute device path, or the name
 *               of a virtio-serial port (found under /sys/class/virtio-ports)
 *     profiles  four strings per profile (-p), in the order given, at most
 *               RUNCFG_MAX_PROFILES: its name (1-63 bytes, no '/'), its
 *               directory (absolute, not "/", as on the host: the init
 *               reads it from the host's root), "guest" or "" (whether
 *               DIR/guest runs before the program), "files" or ""
 *               (whether the tree DIR/files/ is placed into the root)
 *   and nothing after the last string. (Version 1 had no profiles.)
 * Tags and port names are 1-64 of [A-Za-z0-9_.-]; a path is at most
 * RUNCFG_MAX_PATH bytes, any other string at most RUNCFG_MAX_STRING; the
 * whole file at most RUNCFG_MAX_SIZE. `tr '\0' '\n' <config` shows it.
 *
 * Freestanding-clean: no allocation, no stdio; only <string.h>. */
#ifndef MR_RUNCFG_H
#define MR_RUNCFG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RUNCFG_PATH       "/microrun/config"
#define RUNCFG_MAGIC      "MRCFG2\n"     /* with its NUL: 8 bytes */
#define RUNCFG_MAGIC_LEN  8
#define RUNCFG_MAX_SIZE   (1u << 20)
#define RUNCFG_MAX_STRING (128u << 10)  /* Linux's MAX_ARG_STRLEN */
#define RUNCFG_MAX_PATH   4095u
#define RUNCFG_MAX_NAME   64u
#define RUNCFG_CONSOLES   3             /* stdin, stdout, stderr */
#define RUNCFG_MAX_PROFILES 16          /* STATUS_MAX_PROFILES: reported by index */
#define RUNCFG_PROFILE_STRINGS 4

/* `n` strings stored one after another, from `first`. */
struct runcfg_list {
	uint32_t n;
	const char *first;
};

/* A decoded configuration: every pointer points into the decoded buffer. */
struct runcfg_view {
	struct runcfg_list argv, env, mounts, modules;
	struct runcfg_list profiles;  /* RUNCFG_PROFILE_STRINGS per profile */
	const char *cwd, *hostname, *root_tag;
	const char *console[RUNCFG_CONSOLES];
};

/* Checks everything the format above requires. 0, or -EINVAL with *why
 * naming the first violation (a static string). */
int runcfg_decode(const void *buf, size_t len, struct runcfg_view *v, const char **why)
	__attribute__((warn_unused_result));

/* The string after `s` in its list. */
const char *runcfg_next(const char *s);

/* The list as a NULL-terminated array: `out` must hold l->n + 1 entries. */
void runcfg_list_array(const struct runcfg_list *l, const char **out);

/* What the host side fills in for runcfg_encode (boot/runcfg.c). */
struct runcfg_mount {
	const char *tag, *path;
	bool read_only;
};

struct runcfg_profile {
	const char *name, *dir;
	bool guest, files;      /* DIR/guest runs, DIR/files/ is placed */
};

/* The profile entry starting at `first` (a string of view.profiles);
 * returns where the next entry starts. */
const char *runcfg_profile_at(const char *first, struct runcfg_profile *p);

struct runcfg {
	const char *const *argv;
	unsigned argc;
	const char *const *env;
	unsigned nenv;
	const char *cwd, *hostname, *root_tag;
	const struct runcfg_mount *mounts;
	unsigned nmounts;
	const char *const *modules;
	unsigned nmodules;
	const char *console[RUNCFG_CONSOLES];  /* NULL or "": /dev/console */
	const struct runcfg_profile *profiles;
	unsigned nprofiles;
};

/* Encodes `c` into a malloc'd buffer, which is decoded again before it is
 * returned: 0, -EINVAL (with *why) for a configuration the init would
 * refuse, -E2BIG past RUNCFG_MAX_SIZE, -ENOMEM. */
int runcfg_encode(const struct runcfg *c, uint8_t **buf, size_t *len, const char **why)
	__attribute__((warn_unused_result));

#endif
