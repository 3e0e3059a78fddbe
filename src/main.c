/* microrun: run a Linux kernel like any other program. */
#include <signal.h>
#include <stdlib.h>

#include "src/arch.h"
#include "src/cli.h"
#include "src/cmdline.h"
#include "src/exit_status.h"
#include "src/log.h"
#include "src/sandbox.h"
#include "src/supervisor.h"
#include "src/term.h"
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
	const struct sandbox_needs needs = { .file_server = cfg->nshares > 0 };
	int r = sandbox_drop_privileges(&needs);

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
		console_drain(&vm->console);
	}
	vcpus_report_exits(vm);
	int status = exit_status(vm, &o, console_saw_panic(&vm->console));
	report_end(status, cfg);
	if (arch_console_unused(vm))
		mr_warn("console=hvc0: the guest never wrote to hvc0, so its messages went "
			"nowhere; its kernel needs virtio_console built in "
			"(CONFIG_VIRTIO_CONSOLE=y) or loaded from the initramfs; "
			"boot with console=ttyS0 to see why not");
	return status;
}

/* panic=-1 makes a panicking kernel reset at once, so microrun can report
 * the panic; then the machine's own parameters. The user's text overrides. */
static char *compose_cmdline(const char *user)
{
	static const char *const generic[] = { "panic=-1", NULL };
	char *with_machine = cmdline_compose(user, arch_cmdline_defaults);
	char *all = with_machine ? cmdline_compose(with_machine, generic) : NULL;

	free(with_machine);
	return all;
}

int main(int argc, char **argv)
{
	struct mr_config cfg;
	struct vm vm;

	switch (cli_parse(argc, argv, &cfg)) {
	case CLI_DONE: return MR_EXIT_OK;
	case CLI_BAD_USAGE: return MR_EXIT_USAGE;
	case CLI_RUN: break;
	}
	mr_verbose = cfg.verbose;
	if (cfg.program_argc > 0) {
		mr_err("running a program in the guest is not implemented yet: '%s' "
		       "(boot the kernel without one)", cfg.program[0]);
		return MR_EXIT_USAGE;
	}
	char *cmdline = compose_cmdline(cfg.append);
	if (!cmdline || supervisor_block_signals())
		return MR_EXIT_ERROR;
	mr_info("command line: %s", cmdline);
	const struct vm_params params = {
		.kernel = cfg.kernel, .initrd = cfg.initrd, .cmdline = cmdline,
		.mem_bytes = cfg.mem_bytes, .ncpus = cfg.ncpus,
		.disks = cfg.disks, .ndisks = cfg.ndisks,
		.shares = cfg.shares, .nshares = cfg.nshares,
	};
	int status = vm_create(&vm, &params) ? MR_EXIT_ERROR : run(&vm, &cfg);
	vm_destroy(&vm);
	free(cmdline);
	return status;
}
