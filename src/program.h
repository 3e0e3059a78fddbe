/* Running a program in the guest: what the host side prepares so that the
 * built-in init (boot/init/) can run it as if on the host. The host's root
 * is exported read-only over 9p (the init puts a throw-away overlay on it),
 * each --rw directory writable at its own path, the kernel's module tree at
 * /lib/modules/RELEASE when it is not the host's own; the initramfs holds
 * the init, the run's configuration and the modules the init loads. The
 * profiles' guest parts are listed in the configuration and read by the
 * init from the host's root (src/profile_guest.h). */
#ifndef MR_PROGRAM_H
#define MR_PROGRAM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "boot/init/runcfg.h"
#include "boot/initramfs.h"
#include "boot/kernel_version.h"
#include "boot/module_file.h"
#include "boot/modules.h"
#include "boot/x86/linux_boot.h"
#include "src/cli.h"

#define PROGRAM_ROOT_TAG    "microrun-root"
#define PROGRAM_MODULES_TAG "microrun-modules"
#define PROGRAM_MAX_MODULES 32

struct program {
	/* The user's --9p exports, then the program's own. */
	struct mr_share shares[MR_MAX_DISKS];
	unsigned nshares;
	char tags[MR_MAX_DISKS][24];
	struct runcfg_mount mounts[MR_MAX_DISKS];
	unsigned nmounts;
	const char **env;
	unsigned nenv;
	char shell_env[PATH_MAX + 8];  /* SHELL=..., for the shell */
	char cwd[PATH_MAX];
	char release[KVER_MAX];
	char modules_at[PATH_MAX];   /* /lib/modules/RELEASE, in the guest */
	char module_paths[PROGRAM_MAX_MODULES][64];
	const char *module_list[PROGRAM_MAX_MODULES];
	struct mod_file files[PROGRAM_MAX_MODULES];
	struct initramfs_module modules[PROGRAM_MAX_MODULES];
	size_t nmodules;
	struct runcfg_profile profiles[MR_MAX_PROFILES];  /* cfg's, in its order */
	uint8_t *config;
	size_t config_len;
	struct initrd_source initrd;
};

/* What runs in the guest: cfg->program, or the shell. */
struct program_spec {
	const char *const *argv;
	unsigned argc;
	const char *shell;  /* the shell's path (set as its SHELL), or NULL */
	const char *console[RUNCFG_CONSOLES];  /* its stdin, stdout, stderr */
};

/* Everything the run of `spec` needs, before the VM is made. Errors are
 * reported, naming what failed and how to fix it; program_release()
 * cleans up either way. */
int program_prepare(struct program *p, const struct mr_config *cfg, const struct program_spec *spec)
	__attribute__((warn_unused_result));
void program_release(struct program *p);

#endif
