#include "src/run_mode.h"

#include <stddef.h>

#include "src/cmdline.h"
#include "src/x86/machine.h"

#define SHELL_TERMINAL "/dev/hvc0"

bool run_boot_chosen(const struct mr_config *cfg)
{
	static const char *const boot_params[] = { "root", "init", "rdinit" };

	if (cfg->no_shell || cfg->initrd)
		return true;
	for (size_t i = 0; i < sizeof(boot_params) / sizeof(boot_params[0]); i++)
		if (cmdline_has_param(cfg->append, boot_params[i]))
			return true;
	return false;
}

enum run_mode run_mode_of(const struct mr_config *cfg, bool names_release)
{
	if (cfg->program_argc > 0)
		return RUN_PROGRAM;
	if (run_boot_chosen(cfg) || !names_release)
		return RUN_BOOT;
	return RUN_SHELL;
}

const char *run_shell_path(const char *shell, bool (*executable)(const char *path))
{
	if (shell && shell[0] == '/' && executable(shell))
		return shell;
	return "/bin/sh";
}

void run_streams_of(enum run_mode mode, bool stdin_is_tty, bool stdout_on_console,
		    struct run_streams *s)
{
	if (mode == RUN_SHELL && stdin_is_tty) {
		*s = (struct run_streams){
			.console = { SHELL_TERMINAL, SHELL_TERMINAL, SHELL_TERMINAL },
			.stdin_to = VM_STDIN_HVC,
		};
		return;
	}
	*s = (struct run_streams){
		.console = { stdin_is_tty ? "" : PC_STDIN_PORT, stdout_on_console ? "" : PC_STDOUT_PORT,
			     PC_STDERR_PORT },
		.stdin_to = stdin_is_tty ? VM_STDIN_CONSOLE : VM_STDIN_PORT,
	};
}
