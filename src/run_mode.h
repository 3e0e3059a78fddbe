/* What microrun runs in the guest, decided from its command line: the
 * program named after the options; with none, an interactive shell on the
 * host's files, through the same built-in init; or, when the user chose
 * how the kernel boots, nothing of microrun's at all (a plain boot). */
#ifndef MR_RUN_MODE_H
#define MR_RUN_MODE_H

#include <stdbool.h>

#include "boot/init/runcfg.h"
#include "src/cli.h"
#include "src/vm.h"

enum run_mode {
	RUN_BOOT,     /* the kernel's own root and init: -i, root=, ... */
	RUN_PROGRAM,  /* the program after the options */
	RUN_SHELL,    /* no program: a shell */
};

/* The user chose how the kernel boots: --no-shell, -i INITRD, or a root=,
 * init= or rdinit= in -a (before any " -- "). */
bool run_boot_chosen(const struct mr_config *cfg);

/* The rule: the program if there is one; else a plain boot if the user
 * chose one, or if the kernel names no Linux release (`names_release`,
 * which a shell needs to find the kernel's modules; it matters only when
 * there is no program and no boot was chosen); else the shell. */
enum run_mode run_mode_of(const struct mr_config *cfg, bool names_release);

/* The shell to run: `shell` ($SHELL as the guest gets it, or NULL) if it
 * is an absolute path that `executable` accepts (the guest's root is the
 * host's, so the host can tell), else /bin/sh. */
const char *run_shell_path(const char *shell, bool (*executable)(const char *path));

/* The program's (or shell's) stdin, stdout and stderr in the guest, as
 * runcfg console entries, and where microrun's stdin goes. An interactive
 * shell (stdin a terminal) has all three on hvc0, a real terminal with job
 * control and the host terminal's size. Otherwise stdout and stderr are
 * console ports of their own (stdout the kernel's console when the user
 * named a console=); stdin is the kernel's console for a program on a
 * terminal, else a port of its own that ends when microrun's stdin ends. */
struct run_streams {
	const char *console[RUNCFG_CONSOLES];
	enum vm_stdin stdin_to;
};

void run_streams_of(enum run_mode mode, bool stdin_is_tty, bool stdout_on_console,
		    struct run_streams *s);

#endif
