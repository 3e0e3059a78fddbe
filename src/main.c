/* microrun: run a Linux kernel like any other program. */
#include <errno.h>
#include <signal.h>
#include <unistd.h>
#include <stdlib.h>

#include "src/arch.h"
#include "src/cli.h"
#include "src/cmdline.h"
#include "src/exit_status.h"
#include "src/log.h"
#include "src/program.h"
#include "src/sandbox.h"
#include "src/supervisor.h"
#include "src/term.h"
#include "src/thread.h"
#include "src/timing.h"
#include "src/vcpu.h"
#include "src/vm.h"

/* What the guest's init reported on the exit-status port. */
static int program_status(const struct status_report *r)
{
	switch (r->kind) {
	case STATUS_KIND_EXITED:
		mr_info("the program exited with status %u", r->value);
		return r->value;
	case STATUS_KIND_SIGNALED:
		mr_info("the program was killed by signal %u", r->value);
		return MR_EXIT_SIGNAL_BASE + r->value;
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

static int exit_status(const struct vm *vm, const struct outcome *o, bool panicked)
{
	if (o->signal)
		return MR_EXIT_SIGNAL_BASE + o->signal;
	if (o->timed_out && o->end == VM_END_STOPPED)
		return MR_EXIT_TIMEOUT;
	switch (o->end) {
	case VM_END_STATUS: return program_status(&vm->status);
	case VM_END_POWEROFF: return MR_EXIT_OK;
	case VM_END_RESET: return panicked ? MR_EXIT_GUEST_PANIC : MR_EXIT_GUEST_RESET;
	case VM_END_VCPU_FAILED: return panicked ? MR_EXIT_GUEST_PANIC : MR_EXIT_VCPU_FAILED;
	case VM_END_STDOUT_CLOSED: return MR_EXIT_SIGNAL_BASE + SIGPIPE;
	default: return MR_EXIT_ERROR;
	}
}

static void report_end(int status, const struct mr_config *cfg)
{
	if (status == MR_EXIT_TIMEOUT)
		mr_err("timeout: the VM ran longer than --timeout %llu.%03llu s",
		       (unsigned long long)(cfg->timeout_ms / 1000),
		       (unsigned long long)(cfg->timeout_ms % 1000));
	else if (status == MR_EXIT_GUEST_PANIC)
		mr_info("the guest kernel panicked");
	else if (status == MR_EXIT_GUEST_RESET)
		mr_info("the guest reset");
}

/* How a program's run shares the consoles: with a console= of the user's,
 * the kernel's log and the program's stdout go there together, in order
 * (for grep); without, stdout is the program's alone and the log is kept,
 * shown on stderr with --kernel-log or -v, or when the run goes wrong. */
static bool user_chose_console(const struct mr_config *cfg)
{
	return cmdline_has_param(cfg->append, "console");
}

static bool log_kept(const struct mr_config *cfg)
{
	return cfg->program_argc > 0 && !user_chose_console(cfg);
}

static bool log_hidden(const struct mr_config *cfg)
{
	return log_kept(cfg) && !cfg->kernel_log && !cfg->verbose;
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
 * guest can reach runs with more than it needs: privileges go before any
 * thread exists (capabilities are per thread), then every thread is made
 * and the seccomp filter put on all of them, then the vCPUs go. */
static int start_confined(struct vm *vm, const struct mr_config *cfg, struct supervisor *sup)
{
	const struct sandbox_needs needs = { .file_server = cfg->nshares > 0 || cfg->program_argc > 0 };
	int r = sandbox_drop_privileges(&needs);

	thread_kick_init(); /* before the threads it will end */
	if (!r)
		r = arch_devices_start(vm);
	if (!r)
		r = vcpus_start(vm);
	term_enter();
	if (!r)
		r = supervisor_open(sup, cfg->timeout_ms);
	if (!r && !cfg->no_seccomp)
		r = sandbox_enter(&needs);
	if (!r)
		vcpus_go(vm);
	return r;
}

static int run(struct vm *vm, const struct mr_config *cfg)
{
	struct supervisor sup = { -1, -1 };
	struct outcome o;
	warn_if_emulated();
	int r = start_confined(vm, cfg, &sup);

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
	int status = exit_status(vm, &o, console_saw_panic(&vm->console));
	report_end(status, cfg);
	if (log_hidden(cfg) && went_wrong(status))
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

static int check_program_options(const struct mr_config *cfg)
{
	if (cfg->program_argc > 0 && cfg->initrd) {
		mr_err("-i %s: microrun makes the initramfs itself to run '%s'; boot without -i, "
		       "or without a program", cfg->initrd, cfg->program[0]);
		return -EINVAL;
	}
	if (cfg->program_argc == 0 && (cfg->nenv || cfg->nrw || cfg->modules_dir)) {
		mr_err("-e, --rw and --modules are for a program run in the guest: "
		       "name one after the options");
		return -EINVAL;
	}
	return 0;
}

static int boot_and_run(const struct mr_config *cfg, const char *cmdline, struct program *prog)
{
	const bool program = cfg->program_argc > 0;
	const struct vm_params params = {
		.kernel = cfg->kernel, .initrd = cfg->initrd, .cmdline = cmdline,
		.mem_bytes = cfg->mem_bytes, .ncpus = cfg->ncpus,
		.disks = cfg->disks, .ndisks = cfg->ndisks,
		.shares = program ? prog->shares : cfg->shares,
		.nshares = program ? prog->nshares : cfg->nshares,
		.program_streams = program,
		.initrd_source = program ? &prog->initrd : NULL,
	};
	static struct vm vm;
	int status = MR_EXIT_ERROR;

	if (vm_create(&vm, &params) == 0) {
		if (log_kept(cfg))
			console_keep(&vm.console, log_hidden(cfg) ? -1 : STDERR_FILENO);
		status = run(&vm, cfg);
	}
	vm_destroy(&vm);
	return status;
}

int main(int argc, char **argv)
{
	static struct program prog;
	struct mr_config cfg;

	timing_start_clock();
	switch (cli_parse(argc, argv, &cfg)) {
	case CLI_DONE: return MR_EXIT_OK;
	case CLI_BAD_USAGE: return MR_EXIT_USAGE;
	case CLI_RUN: break;
	}
	mr_verbose = cfg.verbose;
	timing_on = cfg.timing;
	if (check_program_options(&cfg))
		return MR_EXIT_USAGE;
	char *cmdline = compose_cmdline(cfg.append, log_hidden(&cfg));
	if (!cmdline || supervisor_block_signals())
		return MR_EXIT_ERROR;
	mr_info("command line: %s", cmdline);
	int status = MR_EXIT_ERROR;
	if (cfg.program_argc == 0 || program_prepare(&prog, &cfg, user_chose_console(&cfg)) == 0)
		status = boot_and_run(&cfg, cmdline, &prog);
	if (cfg.program_argc > 0)
		program_release(&prog);
	free(cmdline);
	timing_mark(TIMING_EXIT);
	timing_report();
	return status;
}
