#!/usr/bin/env bash
# The README's first command (`make demo`): Debian's stock kernel runs a
# small script under microrun, which prints the guest's kernel release and
# exits 0, and so does microrun.
#
#   tests/realkernel/demo.sh MICRORUN
#
# Where /proc/cpuinfo has vmx or svm, microrun runs here. Elsewhere /dev/kvm
# only emulates guest code and cannot finish a Linux boot
# (shared/docs/kvm-here.md), so the demo says so and runs microrun inside
# the e2e suite's outer VM, QEMU-TCG with an emulated AMD SVM (about a
# minute: slow, but a real KVM). Exits with microrun's status.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/realkernel/kernel.sh
. "$here/kernel.sh"
# shellcheck source=tests/e2e/outer.sh
. "$here/../e2e/outer.sh"

DEMO_TIMEOUT=${MICRORUN_DEMO_TIMEOUT:-120} # microrun's; the outer VM gets 60 s more
SCRIPT='echo "hello from $(uname -s) $(uname -r) on $(uname -m), inside microrun"'

note() {
	printf 'demo: %s\n' "$*" >&2
}

# The command, one word per line.
demo_command() {
	printf '%s\n' "$1" -k "$MRK_BZIMAGE" --modules "${MRK_BZIMAGE%/boot/*}" \
		--timeout "$DEMO_TIMEOUT" -- sh -c "$SCRIPT"
}

run_here() {
	local -a cmd
	mapfile -t cmd < <(demo_command "$1")
	note "running: ${cmd[*]}"
	"${cmd[@]}"
}

# The outer VM runs the command and writes its output, then "demo-status N",
# on its results port.
run_nested() {
	local tmp status
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/microrun-demo.XXXXXX") || return 1
	demo_command "$1" >"$tmp/words"
	{
		printf 'cd / && '
		while IFS= read -r word; do printf '%q ' "$word"; done <"$tmp/words"
		printf '\necho "demo-status $?"\n'
	} >"$tmp/job"
	note "no vmx/svm here: /dev/kvm only emulates guest code, so microrun runs inside a nested QEMU-TCG machine (slow but real, about a minute)"
	outer_initrd "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}" "$tmp/initrd" <"$tmp/job" || return 1
	outer_start "$MRK_BZIMAGE" "$tmp/initrd" "$tmp" $((DEMO_TIMEOUT + 60))
	wait "$OUTER_PID"
	grep -v -e '^demo-status ' -e '^e2e-outer: ' "$tmp/results"
	status=$(sed -n 's/^demo-status \([0-9]*\)$/\1/p' "$tmp/results")
	grep '^e2e-outer: failed' "$tmp/results" >&2
	rm -rf "$tmp"
	return "${status:-1}"
}

main() {
	if (($# != 1)); then
		echo "usage: $0 MICRORUN" >&2
		exit 2
	fi
	local microrun status
	microrun=$(realpath "$1")
	[[ -x $microrun ]] || { note "$microrun: not found or not executable (run make)"; exit 1; }
	mrk_get_kernel || { note "cannot get Debian's kernel: $MRK_SKIP_REASON"; exit 1; }
	choose_mode
	case $MODE in
	direct) run_here "$microrun" ;;
	nested) run_nested "$microrun" ;;
	*) note "$WHY"; exit 1 ;;
	esac
	status=$?
	note "microrun exited with $status"
	exit "$status"
}

main "$@"
