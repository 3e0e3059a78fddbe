/* microrun: run a Linux kernel like any other program. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "src/arch.h"
#include "src/cli.h"
#include "src/cmdline.h"
#include "src/exit_status.h"
#include "src/log.h"
#include "src/profile_guest.h"
#include "src/profile_host.h"
#include "src/profile_scratch.h"
#include "src/profile_merge.h"
#include "src/program.h"
#include "src/run_mode.h"
#include "src/sandbox.h"
#include "src/supervisor.h"
#include "src/term.h"
#include "src/thread.h"
#include "src/timing.h"
#include "src/vcpu.h"
#include "src/vm.h"

/* A profile's guest step that failed: named, with how; what it printed
 * is on stderr already. */
static int profile_status(const struct status_report *r, const struct mr_config *cfg)
{
	const char *name = r->profile < cfg->nprofiles ? cfg->profiles[r->profile].name : "?";
	const char *dir = r->profile < cfg->nprofiles ? cfg->profiles[r->profile].dir : "?";

	switch (r->how) {
	case STATUS_PROFILE_EXITED:
		mr_err("profile '%s': guest step %s/guest exited with status %u", name, dir, r->value);
		break;
	case STATUS_PROFILE_SIGNALED:
		mr_err("profile '%s': guest step %s/guest was killed by signal %u (%s)", name, dir,
		       r->value, strsignal(r->value));
		break;
	case STATUS_PROFILE_START:
		mr_err("profile '%s': guest step %s/guest could not be run in the guest: %s "
		       "(it needs its x bit, and a #! line naming an interpreter the guest has)",
		       name, dir, strerror(r->value));
		break;
	default:
		mr_err("profile '%s': %s/files/ could not be placed into the guest's root: %s "
		       "(the line above names the file)", name, dir, strerror(r->value));
		break;
	}
	return MR_EXIT_PROFILE_GUEST_FAILED;
}

/* What the guest's init reported on the exit-status port. */
static int program_status(const struct status_report *r, const struct mr_config *cfg)
{
	switch (r->kind) {
	case STATUS_KIND_EXITED:
		mr_info("the program exited with status %u", r->value);
		return r->value;
	case STATUS_KIND_SIGNALED:
		mr_info("the program was killed by signal %u", r->value);
		return MR_EXIT_SIGNAL_BASE + r->value;
	case STATUS_KIND_PROFILE_FAILED:
		return profile_status(r, cfg);
	case STATUS_KIND_INIT_FAILED:
	case STATUS_KIND_PHASE: /* never a report: the port passes phases on */
		break;
	}
	mr_err("the guest's init could not %s (the guest's console says why)",
	       status_port_step_name(r->value));
	if (r->value == STATUS_STEP_EXEC_NOT_FOUND)
		return MR_EXIT_NOT_FOUND;
	return r->value == STATUS_STEP_EXEC ? MR_EXIT_CANNOT_EXEC : MR_EXIT_INIT_FAILED;
}

static int exit_status(const struct vm *vm, const struct outcome *o, bool panicked,
		       const struct mr_config *cfg)
{
	if (o->signal)
		return MR_EXIT_SIGNAL_BASE + o->signal;
	if (o->timed_out && o->end == VM_END_STOPPED)
		return MR_EXIT_TIMEOUT;
	switch (o->end) {
	case VM_END_STATUS: return program_status(&vm->status, cfg);
	case VM_END_POWEROFF: return MR_EXIT_OK;
	case VM_END_RESET: return panicked ? MR_EXIT_GUEST_PANIC : MR_EXIT_GUEST_RESET;
	case VM_END_VCPU_FAILED: return panicked ? MR_EXIT_GUEST_PANIC : MR_EXIT_VCPU_FAILED;
	case VM_END_STDOUT_CLOSED: return MR_EXIT_SIGNAL_BASE + SIGPIPE;
	default: return MR_EXIT_ERROR;
	}
}

/* What this run is: the rule's answer and where the guest's streams go. */
struct plan {
	const struct mr_config *cfg;
	enum run_mode mode;
	struct run_streams streams;
};

static void report_end(int status, const struct mr_config *cfg, const struct outcome *o)
{
	if (o->escaped)
		mr_err("Ctrl-A x: the VM was ended from the keyboard");
	else if (status == MR_EXIT_TIMEOUT)
		mr_err("timeout: the VM ran longer than --timeout %llu.%03llu s",
		       (unsigned long long)(cfg->timeout_ms / 1000),
		       (unsigned long long)(cfg->timeout_ms % 1000));
	else if (status == MR_EXIT_GUEST_PANIC)
		mr_info("the guest kernel panicked");
	else if (status == MR_EXIT_GUEST_RESET)
		mr_info("the guest reset");
}

/* How a program's or the shell's run shares the consoles: with a console=
 * of the user's, the kernel's log and the program's stdout go there
 * together, in order (for grep); without, stdout is the program's alone
 * and the log is kept, shown on stderr with --kernel-log or -v, or when
 * the run goes wrong. */
static bool user_chose_console(const struct mr_config *cfg)
{
	return cmdline_has_param(cfg->append, "console");
}

static bool log_kept(const struct plan *pl)
{
	return pl->mode != RUN_BOOT && !user_chose_console(pl->cfg);
}

static bool log_hidden(const struct plan *pl)
{
	return log_kept(pl) && !pl->cfg->kernel_log && !pl->cfg->verbose;
}

/* Ends that the kernel's log explains, when a program's run kept it off
 * stdout: the init failed, KVM gave up, the guest reset or panicked. */
static bool went_wrong(int status)
{
	return status == MR_EXIT_INIT_FAILED || status == MR_EXIT_VCPU_FAILED ||
	       status == MR_EXIT_GUEST_RESET || status == MR_EXIT_GUEST_PANIC;
}

static void warn_if_emulated(void)
{
	if (arch_host_emulates_guests())
		mr_warn("no vmx or svm in /proc/cpuinfo: /dev/kvm here emulates guest code, "
			"so the guest will run slowly and may stop at instructions it "
			"cannot emulate");
}

/* Once the VM is built and before the guest's first instruction, nothing a
 * guest can reach runs with more than it needs: privileges go while no other
 * thread exists (capabilities are per thread; vm_create()'s loader has
 * ended), then every thread is made and the seccomp filter put on all of
 * them, then the vCPUs go. */
static int start_confined(struct vm *vm, const struct plan *pl, struct supervisor *sup)
{
	const struct mr_config *cfg = pl->cfg;
	const struct sandbox_needs needs = { .file_server = cfg->nshares > 0 || pl->mode != RUN_BOOT };
	int r = sandbox_drop_privileges(&needs);

	thread_kick_init(); /* before the threads it will end */
	if (!r)
		r = arch_devices_start(vm);
	if (!r)
		r = vcpus_start(vm);
	sup->escape = term_enter(pl->streams.stdin_to == VM_STDIN_HVC);
	if (!r)
		r = supervisor_open(sup, cfg->timeout_ms);
	if (!r && !cfg->no_seccomp)
		r = sandbox_enter(&needs);
	timing_mark(TIMING_CONFINED);
	if (!r)
		vcpus_go(vm);
	return r;
}

static int run(struct vm *vm, const struct plan *pl)
{
	const struct mr_config *cfg = pl->cfg;
	struct supervisor sup = { -1, -1, false };
	struct outcome o;
	warn_if_emulated();
	int r = start_confined(vm, pl, &sup);

	if (!r)
		r = supervise(&sup, vm, &o);
	if (!r && !o.signal && !o.timed_out)
		arch_devices_flush(vm); /* a program's last output, then its status */
	vm_request_end(vm, VM_END_STOPPED);
	vcpus_stop(vm);
	supervisor_close(&sup);
	term_restore();
	if (r)
		return MR_EXIT_ERROR;
	/* The guest's last words, unless the user ended the run; a reader
	 * that stalls here can still be interrupted. */
	if (!o.signal && !o.timed_out) {
		supervisor_unblock_signals();
		vm_drain_consoles(vm);
	}
	vcpus_report_exits(vm);
	int status = exit_status(vm, &o, console_saw_panic(&vm->console), cfg);
	report_end(status, cfg, &o);
	if (log_hidden(pl) && went_wrong(status))
		console_show_kept(&vm->console, STDERR_FILENO);
	if (arch_console_unused(vm))
		mr_warn("console=hvc0: the guest never wrote to hvc0, so its messages went "
			"nowhere; its kernel needs virtio_console built in "
			"(CONFIG_VIRTIO_CONSOLE=y) or loaded from the initramfs; "
			"boot with console=ttyS0 to see why not");
	return status;
}

/* panic=-1 makes a panicking kernel reset at once, so microrun can report
 * the panic; then the machine's own parameters; `quiet` when the kernel's
 * log is kept off stdout and nobody reads it: each byte is an exit. The
 * user's text overrides. */
static char *compose_cmdline(const char *user, bool quiet)
{
	const char *const generic[] = { "panic=-1", quiet ? "quiet" : NULL, NULL };
	char *with_machine = cmdline_compose(user, arch_cmdline_defaults);
	char *all = with_machine ? cmdline_compose(with_machine, generic) : NULL;

	free(with_machine);
	return all;
}

static int check_options(const struct plan *pl)
{
	const struct mr_config *cfg = pl->cfg;

	if (pl->mode == RUN_PROGRAM && cfg->initrd) {
		mr_err("-i %s: microrun makes the initramfs itself to run '%s'; boot without -i, "
		       "or without a program", cfg->initrd, cfg->program[0]);
		return -EINVAL;
	}
	if (pl->mode == RUN_PROGRAM && cfg->no_shell) {
		mr_err("--no-shell: with a program there is no shell; give one or the other");
		return -EINVAL;
	}
	if (pl->mode == RUN_BOOT && (cfg->nenv || cfg->nrw || cfg->modules_dir)) {
		mr_err("-e, --rw and --modules are for a program or the shell run in the guest, "
		       "and this boot runs neither (-i, --no-shell, root=, init= or rdinit=, "
		       "or a kernel naming no release)");
		return -EINVAL;
	}
	if (pl->mode == RUN_BOOT && profile_guest_any(cfg->profiles, cfg->nprofiles)) {
		mr_err("a profile's guest and files/ parts are for a program or the shell run in "
		       "the guest, and this boot runs neither");
		return -EINVAL;
	}
	return 0;
}

static int boot_and_run(const struct plan *pl, const char *cmdline, struct program *prog)
{
	const struct mr_config *cfg = pl->cfg;
	const bool guest_run = pl->mode != RUN_BOOT;
	const struct vm_params params = {
		.kernel = cfg->kernel, .initrd = cfg->initrd, .cmdline = cmdline,
		.mem_bytes = cfg->mem_bytes, .ncpus = cfg->ncpus,
		.disks = cfg->disks, .ndisks = cfg->ndisks,
		.shares = guest_run ? prog->shares : cfg->shares,
		.nshares = guest_run ? prog->nshares : cfg->nshares,
		.program_streams = guest_run,
		.stdin_to = pl->streams.stdin_to,
		.initrd_source = guest_run ? &prog->initrd : NULL,
	};
	static struct vm vm;
	int status = MR_EXIT_ERROR;

	timing_mark(TIMING_PREPARED);
	if (vm_create(&vm, &params) == 0) {
		timing_mark(TIMING_VM_BUILT);
		/* Every file the VM needs from it is open: nothing is left to
		 * clean up should microrun be killed from here on. */
		profile_scratch_remove();
		if (log_kept(pl))
			console_keep(&vm.console, log_hidden(pl) ? -1 : STDERR_FILENO);
		status = run(&vm, pl);
	}
	vm_destroy(&vm);
	return status;
}

static bool host_executable(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

/* $SHELL as the guest gets it: -e's, else the host's. */
static const char *guest_shell_var(const struct mr_config *cfg)
{
	const char *shell = getenv("SHELL");

	for (unsigned i = 0; i < cfg->nenv; i++)
		if (strncmp(cfg->env[i], "SHELL=", 6) == 0)
			shell = cfg->env[i] + 6;
	return shell;
}

static int prepare_guest_run(struct program *prog, const struct plan *pl)
{
	const struct mr_config *cfg = pl->cfg;
	const char *shell = run_shell_path(guest_shell_var(cfg), host_executable);
	struct program_spec spec = {
		.argv = (const char *const *)cfg->program, .argc = (unsigned)cfg->program_argc,
	};

	if (pl->mode == RUN_SHELL) {
		spec.argv = &shell;
		spec.argc = 1;
		spec.shell = shell;
		mr_info("no program: the shell %s runs in the guest%s", shell,
			pl->streams.stdin_to == VM_STDIN_HVC ? ", on hvc0" : ", reading stdin");
	}
	memcpy(spec.console, pl->streams.console, sizeof(spec.console));
	return program_prepare(prog, cfg, &spec);
}

/* The rule of src/run_mode.h; the kernel is read only when it decides. */
static int plan_run(const struct mr_config *cfg, struct plan *pl)
{
	char release[KVER_MAX];
	bool names_release = false;

	if (cfg->program_argc == 0 && !run_boot_chosen(cfg)) {
		int r = linux_kernel_release(cfg->kernel, release);
		if (r && r != -ENODATA)
			return r;
		names_release = r == 0;
	}
	*pl = (struct plan){ .cfg = cfg, .mode = run_mode_of(cfg, names_release) };
	if (pl->mode == RUN_BOOT && cfg->program_argc == 0 && !run_boot_chosen(cfg))
		mr_info("kernel %s names no Linux release: booting it as it is, no shell", cfg->kernel);
	run_streams_of(pl->mode, isatty(STDIN_FILENO), user_chose_console(cfg), &pl->streams);
	return 0;
}

static int run_configured(struct mr_config *cfg)
{
	static struct program prog;
	struct plan pl;

	mr_verbose = cfg->verbose;
	timing_on = cfg->timing;
	if (plan_run(cfg, &pl))
		return MR_EXIT_ERROR;
	if (check_options(&pl))
		return MR_EXIT_USAGE;
	char *cmdline = compose_cmdline(cfg->append, log_hidden(&pl));
	if (!cmdline)
		return MR_EXIT_ERROR;
	mr_info("command line: %s", cmdline);
	int status = MR_EXIT_ERROR;
	if (pl.mode == RUN_BOOT || prepare_guest_run(&prog, &pl) == 0)
		status = boot_and_run(&pl, cmdline, &prog);
	if (pl.mode != RUN_BOOT)
		program_release(&prog);
	free(cmdline);
	return status;
}

static int parse_and_run(int argc, char **argv, struct arglist *args)
{
	static struct mr_config cfg;

	enum cli_outcome parsed = profile_merge_parse(argc, argv, &cfg, args);
	int sig = supervisor_pending_signal();

	if (sig && parsed != CLI_DONE)
		return MR_EXIT_SIGNAL_BASE + sig; /* e.g. Ctrl-C during a host step */
	switch (parsed) {
	case CLI_DONE: return MR_EXIT_OK;
	case CLI_BAD_USAGE: return MR_EXIT_USAGE;
	case CLI_PROFILE_FAILED: return MR_EXIT_PROFILE_FAILED;
	case CLI_ERROR: return MR_EXIT_ERROR;
	case CLI_RUN: break;
	}
	return run_configured(&cfg);
}

int main(int argc, char **argv)
{
	struct arglist args = { 0 };

	timing_start_clock();
	/* Blocked from the start: a Ctrl-C while a profile's host step runs
	 * ends the step, and microrun then removes the scratch directory. */
	if (supervisor_block_signals())
		return MR_EXIT_ERROR;
	int status = parse_and_run(argc, argv, &args);
	profile_scratch_remove();
	arglist_free(&args);
	timing_mark(TIMING_EXIT);
	timing_report();
	return status;
}
