#!/usr/bin/env bash
# Benchmark: prints figures, judges nothing (`make bench`).
#
#   tests/bench/run.sh MICRORUN GUESTDIR
#
# (a) execve to the first KVM_RUN ioctl, from `strace -f -ttt`, for Debian's
#     bzImage and its ELF vmlinux (see tests/realkernel/kernel.sh), and for
#     the bare KVM program of (c) as the floor;
# (b) execve to exit of microrun running the tiny guest GUESTDIR/hello.elf
#     (prints a line, resets);
# (c) the same for bare_kvm.c: a process that creates a VM, one slot, one
#     vCPU, runs 3 real-mode instructions and exits: what (b) is held to.
#
# Each figure: median, min and max over BENCH_RUNS runs (default 20), in ms,
# with the goals set for microrun beside them. Times on a host without
# vmx/svm include the emulation of guest code, so say little about
# microrun itself; the machine line says which kind this is.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/realkernel/kernel.sh
. "$here/../realkernel/kernel.sh"

RUNS=${BENCH_RUNS:-20}

tmp=''
cleanup() {
	[[ -n $tmp ]] && rm -rf "$tmp"
}

note() {
	printf '# %s\n' "$*"
}

# "median min max" (ms, 2 decimals) of the numbers in file $1, one a line.
stats() {
	sort -g "$1" | awk '
		{ v[NR] = $1 }
		END {
			if (NR == 0) exit 1
			m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
			printf "%.2f %.2f %.2f\n", m, v[1], v[NR]
		}'
}

# first_run_ms CMD...: ms from the first execve to the first KVM_RUN of one
# run of CMD under strace. strace writes its log into a fifo read as it
# comes; once KVM_RUN shows up strace gets SIGTERM, which it passes on to
# the command. strace prints a syscall only when it returns (or another
# thread interrupts it), so the command must end its first KVM_RUN soon by
# itself: microrun gets --timeout 1 for that. The timestamps are those of
# syscall entry either way.
first_run_ms() {
	local fifo=$tmp/strace.fifo pid fd line t_exec='' t_run='' rc
	rm -f "$fifo"
	mkfifo "$fifo" || return 1
	strace -f -ttt -e trace=execve,ioctl -e signal=none -o "$fifo" "$@" \
		>/dev/null 2>"$tmp/strace.err" </dev/null &
	pid=$!
	exec {fd}<"$fifo"
	# Lines look like "PID 1700000000.123456 ioctl(5, KVM_RUN, 0) = 0".
	while IFS= read -r -t 30 -u "$fd" line; do
		if [[ -z $t_exec && $line == *execve\(* ]]; then
			t_exec=$(timestamp "$line")
		elif [[ -n $t_exec && $line == *KVM_RUN* ]]; then
			t_run=$(timestamp "$line")
			kill -TERM "$pid" 2>/dev/null
			break
		fi
	done
	# Drain, so strace never blocks on a full fifo while it winds down.
	while IFS= read -r -t 10 -u "$fd" line; do :; done
	exec {fd}<&-
	kill -KILL "$pid" 2>/dev/null
	wait "$pid"
	rc=$?
	if [[ -z $t_exec || -z $t_run ]]; then
		printf 'no execve/KVM_RUN in the strace log (strace exit %s): %s\n' \
			"$rc" "$(head -c 300 "$tmp/strace.err" | tr '\n' ' ')" >&2
		return 1
	fi
	awk -v a="$t_exec" -v b="$t_run" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}

# The first field that is a seconds.micros timestamp.
timestamp() {
	local f
	for f in $1; do
		if [[ $f =~ ^[0-9]+\.[0-9]+$ ]]; then
			printf '%s\n' "$f"
			return
		fi
	done
}

# measure_first_run NAME CMD...: RUNS runs of first_run_ms into $tmp/NAME.
measure_first_run() {
	local name=$1 i ms
	shift
	: >"$tmp/$name"
	for ((i = 0; i < RUNS; i++)); do
		ms=$(first_run_ms "$@") || return 1
		printf '%s\n' "$ms" >>"$tmp/$name"
	done
}

# measure_exec_exit NAME CMD...: RUNS runs of CMD, execve to exit, into
# $tmp/NAME (ms). hyperfine without a shell (-N) if installed; else a loop
# timed with date, which adds a fork and a date(1) per run.
measure_exec_exit() {
	local name=$1 i t0 t1 cmd
	shift
	: >"$tmp/$name"
	if command -v hyperfine >/dev/null 2>&1; then
		cmd=$(printf '%q ' "$@")
		# -i: a tiny guest ends by resetting, a non-zero exit status.
		hyperfine -N -i --runs "$RUNS" --warmup 2 --style none \
			--export-json "$tmp/$name.json" -- "$cmd" >/dev/null 2>&1 || return 1
		json_times "$tmp/$name.json" >"$tmp/$name" || return 1
		METHOD=hyperfine
	else
		for ((i = 0; i < RUNS; i++)); do
			t0=$(date +%s%N)
			"$@" >/dev/null 2>&1 </dev/null
			t1=$(date +%s%N)
			awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", (b - a) / 1e6 }' >>"$tmp/$name"
		done
		METHOD="date +%s%N loop"
	fi
}

# The "times" array (seconds) of hyperfine's JSON, in ms, one a line.
json_times() {
	awk '
		/"times": *\[/ { on = 1; next }
		on && /\]/ { exit }
		on { gsub(/[ ,]/, ""); printf "%.3f\n", $0 * 1000 }' "$1"
}

# row FIGURE NAME GOAL: one line of the table, from $tmp/NAME; "n/a" and
# the reason from $tmp/NAME.why when there are no figures.
row() {
	local figure=$1 name=$2 goal=$3 s median=n/a min='' max=''
	if s=$(stats "$tmp/$name" 2>/dev/null); then
		read -r median min max <<<"$s"
	elif [[ -s $tmp/$name.why ]]; then
		goal+=" [$(head -n 1 "$tmp/$name.why")]"
	fi
	printf '%-42s %9s %9s %9s   %s\n' "$figure" "$median" "$min" "$max" "$goal"
}

median_of() {
	local s
	s=$(stats "$tmp/$1" 2>/dev/null) || return 1
	printf '%s\n' "${s%% *}"
}

machine() {
	local virt=no model
	grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null && virt=yes
	model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)
	note "machine: $(nproc) CPUs ($model), vmx/svm: $virt, kernel $(uname -r)"
	[[ $virt == yes ]] ||
		note "no vmx/svm: guest code is emulated by the host (~1-2M instr/s), so guest-heavy figures are slow here"
}

main() {
	if (($# != 2)); then
		echo "usage: $0 MICRORUN GUESTDIR" >&2
		exit 2
	fi
	local microrun=$1 guestdir=$2 bare ratio f
	METHOD=''
	tmp=$(mktemp -d) || exit 1
	trap cleanup EXIT
	machine
	note "$RUNS runs per figure; times in ms"

	bare=$tmp/bare_kvm
	if ! cc -O2 -o "$bare" "$here/bare_kvm.c" 2>"$tmp/bare.why"; then
		echo "cc failed on bare_kvm.c" >"$tmp/bare.why"
		bare=''
	fi

	# (a) execve to the first KVM_RUN.
	if ! command -v strace >/dev/null 2>&1; then
		for f in first.bz first.elf first.bare; do echo "no strace" >"$tmp/$f.why"; done
	else
		if mrk_get_kernel; then
			measure_first_run first.bz "$microrun" --no-shell -k "$MRK_BZIMAGE" -m 256M --timeout 1 \
				2>"$tmp/first.bz.why"
			measure_first_run first.elf "$microrun" --no-shell -k "$MRK_VMLINUX" -m 256M --timeout 1 \
				2>"$tmp/first.elf.why"
		else
			for f in first.bz first.elf; do echo "$MRK_SKIP_REASON" >"$tmp/$f.why"; done
		fi
		[[ -n $bare ]] && measure_first_run first.bare "$bare" 2>"$tmp/first.bare.why"
	fi

	# (b) and (c): execve to exit.
	# Twice: with the default 1 GiB, and with 32 MiB as bare_kvm's single
	# small slot; KVM's per-slot bookkeeping grows with the slot's size.
	if [[ -f $guestdir/hello.elf ]]; then
		measure_exec_exit exit.hello "$microrun" --no-shell -k "$guestdir/hello.elf" ||
			echo "measuring failed" >"$tmp/exit.hello.why"
		measure_exec_exit exit.hello32 "$microrun" --no-shell -m 32M -k "$guestdir/hello.elf" ||
			echo "measuring failed" >"$tmp/exit.hello32.why"
	else
		echo "no $guestdir/hello.elf" >"$tmp/exit.hello.why"
		echo "no $guestdir/hello.elf" >"$tmp/exit.hello32.why"
	fi
	[[ -n $bare ]] && { measure_exec_exit exit.bare "$bare" || echo "measuring failed" >"$tmp/exit.bare.why"; }

	echo
	printf '%-42s %9s %9s %9s   %s\n' figure median min max goal
	row "execve -> first KVM_RUN, bzImage" first.bz "<= 10 ms"
	row "execve -> first KVM_RUN, vmlinux" first.elf "-"
	row "execve -> first KVM_RUN, bare_kvm" first.bare "reference (floor)"
	row "execve -> exit, tiny guest hello.elf" exit.hello "<= 1.5 x bare_kvm"
	row "execve -> exit, hello.elf -m 32M" exit.hello32 "<= 1.5 x bare_kvm"
	row "execve -> exit, bare_kvm" exit.bare "reference"
	printf '%-42s %29s   %s\n' "QEMU -M microvm: execve -> first KVM_RUN" "118 - 219" \
		"reference, measured on the build machines (shared/docs/kvm-here.md)"
	echo
	for f in exit.hello exit.hello32; do
		if ratio=$(awk -v a="$(median_of $f)" -v b="$(median_of exit.bare)" \
			'BEGIN { if (a == "" || b == "" || b == 0) exit 1; printf "%.2f", a / b }'); then
			note "$f round trip / bare KVM (medians): ${ratio}x (goal <= 1.5x)"
		fi
	done
	[[ -n $METHOD ]] && note "execve -> exit measured with $METHOD; execve -> first KVM_RUN with strace -f -ttt"
	return 0
}

main "$@"
