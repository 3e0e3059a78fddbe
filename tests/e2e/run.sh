#!/usr/bin/env bash
# The end-to-end suite: full boots of Debian's stock kernel under microrun on
# a real KVM (the cases are in cases.sh).
#
#   tests/e2e/run.sh MICRORUN
#
# Where /proc/cpuinfo has vmx or svm and /dev/kvm opens read-write, the
# cases run directly on the host. Elsewhere /dev/kvm (if any) emulates guest
# code and cannot finish a Linux boot (shared/docs/kvm-here.md), so the cases
# run inside ONE outer VM, booted once for the whole suite: QEMU-TCG with an
# emulated AMD SVM, whose own kvm-amd offers a complete /dev/kvm. It sees the
# host's root read-only over 9p (this tree, microrun, the kernel cache) and
# sends the cases' output back on a serial port of its own (outer.sh,
# outer-init).
#
# Output as cases.sh prints it, then "N passed, N failed, N skipped"; exit 1
# if a case failed or never reported. Everything is bounded in time: each
# case (cases.sh), the outer VM (the cases' worst case plus a margin), and
# the silence between two results (one case's worst case plus a margin).
# The outer VM has been seen to wedge (both its CPUs in the int3 handler of
# the kernel's code patching, no timer firing; seen twice in one run):
# it beats every 5 s on a port of its own, and when the beats
# stop for HEARTBEAT_LIMIT s, the CPUs' state is shown, the VM stopped, and
# the cases go on from the one it hung in, in a fresh outer VM; a case it
# hangs in twice fails. An outer VM that ends by itself before its end
# marker (its kernel reset) counts as hung. A case that stays silent past
# its own limits while the beats go on fails, and the rest go on the same
# way.
# Without real KVM and without QEMU, or without Debian's kernel, every case
# is reported skipped, with the reason, and the exit status is 0.
#
# Environment: MICRORUN_E2E_MODE=direct|nested forces a mode;
# MICRORUN_E2E_CASE_LIMIT (seconds, default 180) bounds each boot;
# MICRORUN_E2E_ONLY=REGEX runs only the cases whose description matches
# (grep -E), the others are reported skipped;
# MICRORUN_CACHE is the kernel cache (tests/realkernel/kernel.sh), which
# also holds the initramfs images (outer.sh); MICRORUN_TEST_KEEP=1 keeps the
# outer VM's console log and results.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/realkernel/kernel.sh
. "$here/../realkernel/kernel.sh"
# shellcheck source=tests/e2e/outer.sh
. "$here/outer.sh"
# shellcheck source=tests/e2e/test-modules.sh
. "$here/test-modules.sh"

# The outer VM's time on top of the cases' worst case: its boot (3 s of
# guest time here), module loading, power-off.
OUTER_MARGIN=120
# Lines of the outer VM's console shown when cases did not report.
CONSOLE_LINES=30
# How many fresh outer VMs one run may go on in (HEARTBEAT_LIMIT: outer.sh).
OUTER_RESTARTS=5

npass=0 nfail=0 nskip=0 STALLED='' BEAT_SIZE=0 BEAT_AT=0
declare -A reported=()
OUTER_PID='' CASES_PID='' CASES_FD='' OUTER_STATUS='' OUTER_FAILED='' OUTER_WHY=''
tmp='' GUEST_INITRD='' TEST_MODULES=''

# --- the list of cases and their results ---------------------------------

# The cases into the arrays CASE_NUM, CASE_DESC and CASE_PENDING (why a
# case is skipped in any case: its feature is not built yet).
load_case_list() {
	local num desc pending
	CASE_NUM=() CASE_DESC=() CASE_PENDING=()
	while IFS=$'\t' read -r num desc pending; do
		CASE_NUM+=("$num")
		CASE_DESC+=("$desc")
		CASE_PENDING+=("$pending")
	done < <("$here/cases.sh" --list)
	((${#CASE_NUM[@]} > 0))
}

skip_case() {
	printf 'ok %s - %s # SKIP %s\n' "${CASE_NUM[$1]}" "${CASE_DESC[$1]}" "$2"
	nskip=$((nskip + 1))
}

summary() {
	printf '%d passed, %d failed, %d skipped\n' "$npass" "$nfail" "$nskip"
	((nfail == 0))
}

skip_all() {
	local i
	printf '# skipping all %d cases: %s\n' "${#CASE_NUM[@]}" "$1"
	for i in "${!CASE_NUM[@]}"; do
		skip_case "$i" "${CASE_PENDING[i]:-$1}"
	done
}

# no_result I WHY: case I (an index) fails, as it reported nothing, for WHY.
no_result() {
	printf 'not ok %s - %s\n#   no result: %s\n' "${CASE_NUM[$1]}" "${CASE_DESC[$1]}" "$2"
	reported[${CASE_NUM[$1]}]=1
	nfail=$((nfail + 1))
}

# Every case that did not report fails, with reason $1, unless its feature
# is not built yet; the outer VM's console and QEMU's messages (if any)
# follow the first failure.
fail_unreported() {
	local i shown=0
	for i in "${!CASE_NUM[@]}"; do
		[[ -z ${reported[${CASE_NUM[i]}]-} ]] || continue
		if [[ -n ${CASE_PENDING[i]} ]]; then
			skip_case "$i" "${CASE_PENDING[i]}"
			continue
		fi
		no_result "$i" "$1"
		((shown)) && continue
		shown=1
		show_tail "outer VM console" "$tmp/console"
		show_tail "QEMU" "$tmp/qemu.log"
	done
}

show_tail() {
	[[ -s ${2-} ]] || return 0
	printf '#   %s (last %d lines):\n' "$1" "$CONSOLE_LINES"
	tail -n "$CONSOLE_LINES" "$2" | sed 's/\r$//' | cat -v | sed 's/^/#     | /'
}

# One line of the cases' output: passed on, and counted; the outer VM's
# own end lines and the cases' summary are taken (the summary is printed
# anew at the end, with cases that never reported counted as failed).
relay_line() {
	local line=$1 n
	case $line in
	'e2e-outer: done status='*)
		OUTER_STATUS=${line#*=}
		return 0
		;;
	'e2e-outer: failed: '*)
		OUTER_FAILED=${line#e2e-outer: failed: }
		return 0
		;;
	[0-9]*' passed, '*' failed, '*' skipped') return 0 ;;
	'not ok '[0-9]*)
		n=${line#not ok }
		reported[${n%% *}]=1
		nfail=$((nfail + 1))
		;;
	'ok '[0-9]*)
		n=${line#ok }
		reported[${n%% *}]=1
		if [[ $line == *' # SKIP '* ]]; then
			nskip=$((nskip + 1))
		else
			npass=$((npass + 1))
		fi
		;;
	esac
	printf '%s\n' "$line"
}

# The number of the first case that should have reported and has not.
first_unreported() {
	local i
	for i in "${!CASE_NUM[@]}"; do
		[[ -n ${reported[${CASE_NUM[i]}]-} || -n ${CASE_PENDING[i]} ]] && continue
		printf '%s\n' "${CASE_NUM[i]}"
		return
	done
}

# --- running the cases ---------------------------------------------------

# Arguments for cases.sh: microrun, the kernel, the guest initramfs, the
# test modules.
cases_args() {
	CASES_ARGS=("$MICRORUN" "$MRK_BZIMAGE" "$MRK_VMLINUX" "$MRK_VERSION" "$GUEST_INITRD" "$TEST_MODULES")
}

run_direct() {
	local idle
	read -r _ idle < <("$here/cases.sh" --budget)
	idle=$((idle + OUTER_MARGIN))
	# setsid: a process group of its own, signalled as a whole to stop it
	# (a signal to cases.sh alone waits for its foreground command).
	exec {CASES_FD}< <(exec setsid "$here/cases.sh" "${CASES_ARGS[@]}" 2>&1)
	CASES_PID=$!
	outer_follow "$idle" "" relay_line <&"$CASES_FD"
	if [[ -n $STALLED ]]; then
		stop_cases
		fail_unreported "cases.sh reported nothing for $idle s: stopped"
	else
		fail_unreported "cases.sh ended before this case reported"
	fi
	exec {CASES_FD}<&-
	CASES_PID='' CASES_FD=''
}

# Stops cases.sh and what it started, reading what it still writes until
# it is gone: with its output closed, it could die of SIGPIPE (writing
# bash's "Terminated" notice) before cleaning up after itself.
stop_cases() {
	kill -TERM -- "-$CASES_PID" 2>/dev/null
	timeout 10 cat <&"$CASES_FD" >/dev/null
}

# /e2e/job for the outer VM's init: run cases.sh with our arguments, from
# case $1 on.
write_job() {
	echo '# written by tests/e2e/run.sh; run by the outer VM chrooted into the host root'
	local var
	for var in MICRORUN_E2E_CASE_LIMIT MICRORUN_E2E_ONLY; do
		[[ -z ${!var-} ]] || printf 'export %s=%q\n' "$var" "${!var}"
	done
	printf 'export MICRORUN_E2E_FROM=%d MICRORUN_E2E_OUTER=1\n' "$1"
	printf 'exec %q' "$here/cases.sh"
	printf ' %q' "${CASES_ARGS[@]}"
	printf '\n'
}

run_nested() {
	local path from=1 hung last_hung=0 restarts=0
	for path in "$MICRORUN" "$here" "$MRK_BZIMAGE" "$MRK_VMLINUX" "$GUEST_INITRD" "$TEST_MODULES"; do
		if hidden_in_outer_vm "$path"; then
			fail_unreported "$path is under a directory the outer VM replaces (/proc, /sys, /dev, /run)"
			return
		fi
	done
	while outer_round "$from" && [[ -n $STALLED ]]; do
		hung=$(first_unreported)
		[[ -n $hung ]] || break
		if [[ $STALLED == silent || $hung == "$last_hung" ]]; then
			fail_case "$hung" "$OUTER_WHY"
			from=$((hung + 1))
		else
			from=$hung
		fi
		last_hung=$hung
		((++restarts <= OUTER_RESTARTS)) || break
		[[ -n $(first_unreported) ]] || break
		printf '# going on from case %d in a fresh outer VM (%d of at most %d)\n' "$from" "$restarts" "$OUTER_RESTARTS"
	done
	fail_unreported "$OUTER_WHY"
}

# fail_case NUM WHY: case NUM fails for WHY (the outer VM hung in it).
fail_case() {
	local i
	for i in "${!CASE_NUM[@]}"; do
		[[ ${CASE_NUM[i]} == "$1" ]] && no_result "$i" "$2"
	done
}

# outer_round FROM: the cases from number FROM on, in one outer VM; sets
# STALLED (see outer_follow; "died" if the outer VM ended by itself before its end
# marker) and OUTER_WHY (why a case that did not report did not). Returns 1
# if the outer VM could not start.
outer_round() {
	local budget idle limit start qemu_status
	if ! write_job "$1" | outer_initrd "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}" "$tmp/initrd"; then
		OUTER_WHY="could not build the outer VM's initramfs (see the outer.sh messages above)"
		return 1
	fi
	# The whole run may take the cases' worst case; the first result may
	# take the outer VM's boot and one case's worst case, and so may every
	# result after that one.
	read -r budget idle < <("$here/cases.sh" --budget)
	limit=$((budget + OUTER_MARGIN)) idle=$((idle + OUTER_MARGIN))
	printf '# outer VM: QEMU-TCG, %s, %d CPUs; at most %d s, %d s without a result\n' \
		"$OUTER_MEM" "$OUTER_CPUS" "$limit" "$idle"
	start=$SECONDS OUTER_STATUS='' OUTER_FAILED=''
	outer_start "$MRK_BZIMAGE" "$tmp/initrd" "$tmp" "$limit"
	outer_watch "$tmp" "$idle" relay_line
	[[ $STALLED == wedged ]] && show_wedged
	# timeout(1) passes SIGTERM on to QEMU, SIGKILL 10 s later
	[[ -n $STALLED ]] && kill -TERM "$OUTER_PID"
	wait "$OUTER_PID"
	qemu_status=$?
	OUTER_PID=''
	printf '# outer VM: ended after %d s, QEMU exit status %d\n' $((SECONDS - start)) "$qemu_status"
	if [[ $STALLED == wedged ]]; then
		OUTER_WHY="the outer VM hung: no heartbeat for $HEARTBEAT_LIMIT s"
	elif [[ $STALLED == silent ]]; then
		OUTER_WHY="the outer VM reported nothing for $idle s, its heartbeat going on: stopped it"
	elif [[ -n $OUTER_FAILED ]]; then
		OUTER_WHY="the outer VM could not run the cases: $OUTER_FAILED"
	elif ((qemu_status == 124 || qemu_status == 137)); then
		OUTER_WHY="the outer VM was stopped at its time limit of $limit s"
	elif ((qemu_status != 0)); then
		OUTER_WHY="QEMU failed (exit status $qemu_status)"
	elif [[ -z $OUTER_STATUS ]]; then
		# -no-reboot: the outer kernel reset itself (seen once, in case
		# 23 of a CI run, 105 s into a fresh outer VM, nothing on its
		# console), which run_nested treats as a hang.
		STALLED=died
		OUTER_WHY="the outer VM ended by itself (QEMU exit status 0) without its end marker"
	else
		OUTER_WHY="cases.sh ended (status $OUTER_STATUS) before this case reported"
	fi
}

# A hung outer VM: where its CPUs are (QEMU's monitor), its console's end.
show_wedged() {
	printf '# the outer VM hung (no heartbeat for %d s) in case %s; its CPUs:\n' \
		"$HEARTBEAT_LIMIT" "$(first_unreported)"
	python3 "$here/outer-cpus.py" "$tmp/monitor" "$tmp/out/kallsyms" 2>&1 | sed 's/^/#   /'
	show_tail "outer VM console" "$tmp/console"
}

cleanup() {
	if [[ -n $OUTER_PID ]]; then
		# timeout(1) passes SIGTERM on to QEMU, SIGKILL 10 s later
		kill -TERM "$OUTER_PID" 2>/dev/null
		wait "$OUTER_PID" 2>/dev/null
	fi
	[[ -z $CASES_PID ]] || stop_cases
	if [[ -n $tmp && -z ${MICRORUN_TEST_KEEP:-} ]]; then
		rm -rf "$tmp"
	fi
}

main() {
	local start=$SECONDS
	if (($# != 1)); then
		echo "usage: $0 MICRORUN" >&2
		exit 2
	fi
	load_case_list || { echo "$0: cases.sh --list failed" >&2; exit 1; }
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	if [[ ! -f $1 || ! -x $1 ]]; then
		fail_unreported "microrun binary '$1' not found or not executable"
		summary
		exit
	fi
	MICRORUN=$(realpath "$1")
	choose_mode
	if [[ $MODE == nested ]]; then
		local missing
		missing=$(nested_missing)
		[[ -z $missing ]] || MODE=skip WHY="$WHY; for the nested setup, $missing"
	fi
	if [[ $MODE == skip ]]; then
		skip_all "$WHY"
		summary
		exit
	fi
	if ! mrk_get_kernel; then
		skip_all "$MRK_SKIP_REASON"
		summary
		exit
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/microrun-e2e-run.XXXXXX") || exit 1
	[[ -z ${MICRORUN_TEST_KEEP:-} ]] || echo "# keeping the outer VM's console and results in $tmp"
	printf '# e2e: %s, Debian kernel %s, mode %s (%s)\n' "$MICRORUN" "$MRK_VERSION" "$MODE" "$WHY"
	# The cases that need a program in the guest say so if this fails.
	GUEST_INITRD=$(guest_initramfs "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}") || GUEST_INITRD=''
	# So do the cases of the modules profile.
	TEST_MODULES=$(test_modules "$MRK_VERSION") || TEST_MODULES=''
	cases_args
	case $MODE in
	direct) run_direct ;;
	nested) run_nested ;;
	esac
	printf '# e2e: %d s\n' $((SECONDS - start))
	summary
}

main "$@"
