#!/usr/bin/env bash
# The real-kernel test: boots Debian's stock 6.1 kernel under microrun and
# checks what the kernel itself reports about the machine microrun built:
# its command line, its e820 map, the MP table, the CPU count.
#
#   tests/realkernel/run.sh MICRORUN
#
# The ELF vmlinux is booted up to the kernel's "Memory:" line (under a minute
# where guest code is emulated, see shared/docs/kvm-here.md), then microrun
# is stopped. The bzImage gets the same checks on a host with vmx/svm;
# elsewhere its in-guest XZ decompressor would take minutes, so there it is
# only checked that microrun accepts and starts it.
#
# Output is TAP-like; the last line counts passed/failed/skipped. Exit 1 if
# anything failed. Without Debian's kernel (no apt, no download, empty
# cache) everything is reported skipped and the exit status is 0.
# MICRORUN_CACHE overrides the kernel cache (see kernel.sh);
# MICRORUN_TEST_KEEP=1 keeps the boots' output.
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/realkernel/kernel.sh
. "$here/kernel.sh"

# What every boot gets. microrun.test=1 is unknown to Linux, so it proves the
# text reaches the kernel, and its "microrun." (not "microrun:") keeps the
# stdout check below meaningful.
USER_APPEND='earlyprintk=serial,ttyS0,115200 microrun.test=1'
BOOT_ARGS=(--no-shell -m 256M -c 2 -v -a "$USER_APPEND")
CPUS=2
MICRORUN_TIMEOUT=120 # microrun's own --timeout for a boot to "Memory:"
SLACK=30             # our deadline on top of it, should microrun's not work

# The kernel's printk timestamp, if any, then the text.
TS='^(\[ *[0-9]+\.[0-9]+\] )?'

ntest=0 npass=0 nfail=0 nskip=0

pass() {
	ntest=$((ntest + 1)) npass=$((npass + 1))
	printf 'ok %d - %s\n' "$ntest" "$1"
}

fail() {
	ntest=$((ntest + 1)) nfail=$((nfail + 1))
	printf 'not ok %d - %s\n' "$ntest" "$1"
	shift
	local why
	for why in "$@"; do
		printf '#   %s\n' "$why"
	done
}

skip() {
	ntest=$((ntest + 1)) nskip=$((nskip + 1))
	printf 'ok %d - %s # SKIP %s\n' "$ntest" "$1" "$2"
}

# pass/fail on a command's status: check DESCRIPTION WHY-IF-FAILED CMD...
check() {
	local desc=$1 why=$2
	shift 2
	if "$@"; then pass "$desc"; else fail "$desc" "$why"; fi
}

summary() {
	printf '%d passed, %d failed, %d skipped\n' "$npass" "$nfail" "$nskip"
	((nfail == 0))
}

has_hw_virt() {
	grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null
}

# --- running microrun ---------------------------------------------------

# boot NAME STOP DEADLINE MICRORUN-ARGS...
#
# Runs microrun with stdout into a fifo that is read line by line as the
# guest prints, with stderr into $tmp/NAME.err. As soon as a line matches
# the ERE STOP (if not empty), or when DEADLINE seconds have passed, microrun
# gets SIGTERM; the rest of its output is still drained, so it never blocks
# on a full pipe, and SIGKILL follows if it does not end. Guest output, less
# the serial console's \r, lands in $tmp/NAME.out. Sets BOOT_STATUS (exit
# status), BOOT_STOPPED (STOP matched), BOOT_TERM (we sent SIGTERM),
# BOOT_DEADLINE (our deadline ran out) and BOOT_SECONDS.
boot() {
	local name=$1 stop=$2 deadline=$3
	shift 3
	local fifo=$tmp/$name.fifo out=$tmp/$name.out err=$tmp/$name.err
	local pid fd line rc=0 end start=$SECONDS
	BOOT_STATUS='' BOOT_STOPPED=0 BOOT_TERM=0 BOOT_DEADLINE=0
	: >"$out"
	mkfifo "$fifo" || return 1
	"$MICRORUN" "$@" >"$fifo" 2>"$err" &
	pid=$!
	exec {fd}<"$fifo"
	end=$((SECONDS + deadline))
	while :; do
		if ((SECONDS >= end)); then
			BOOT_DEADLINE=1
			break
		fi
		line=''
		IFS= read -r -t $((end - SECONDS)) -u "$fd" line
		rc=$?
		if ((rc > 128)); then # read timed out; keep the partial line
			[[ -n $line ]] && printf '%s\n' "${line%$'\r'}" >>"$out"
			BOOT_DEADLINE=1
			break
		fi
		if ((rc != 0)); then # EOF: microrun ended
			[[ -n $line ]] && printf '%s\n' "${line%$'\r'}" >>"$out"
			break
		fi
		line=${line%$'\r'}
		printf '%s\n' "$line" >>"$out"
		if [[ -n $stop && $line =~ $stop ]]; then
			BOOT_STOPPED=1
			break
		fi
	done
	if ((rc == 0 || rc > 128)); then
		kill -TERM "$pid" 2>/dev/null && BOOT_TERM=1
		drain "$fd" "$out" 15 || { kill -KILL "$pid" 2>/dev/null; drain "$fd" "$out" 5; }
	fi
	exec {fd}<&-
	wait "$pid"
	BOOT_STATUS=$?
	BOOT_SECONDS=$((SECONDS - start))
	rm -f "$fifo"
}

# drain FD OUT SECONDS: copies the rest of FD to OUT; fails if FD has not
# reached EOF within SECONDS.
drain() {
	local fd=$1 out=$2 end=$((SECONDS + $3)) line rc
	while ((SECONDS < end)); do
		line=''
		IFS= read -r -t $((end - SECONDS)) -u "$fd" line
		rc=$?
		[[ -n $line ]] && printf '%s\n' "${line%$'\r'}" >>"$out"
		((rc > 128)) && return 1
		((rc != 0)) && return 0
	done
	return 1
}

describe_boot() {
	local how="exit status $BOOT_STATUS after ${BOOT_SECONDS}s"
	((BOOT_TERM)) && how+=", sent SIGTERM"
	((BOOT_STOPPED)) && how+=", stopped by the test after the awaited line"
	((BOOT_DEADLINE)) && how+=", stopped by the test's own deadline"
	printf '%s\n' "$how"
}

# Shows a boot's output, once, if any of its tests failed.
show_output() {
	local name=$1 failed_before=$2
	((nfail > failed_before)) || return 0
	printf '# --- %s: microrun %s\n' "$name" "$(describe_boot)"
	show_file "$name: guest output (stdout)" "$tmp/$name.out"
	show_file "$name: microrun stderr" "$tmp/$name.err"
}

show_file() {
	if [[ -s $2 ]]; then
		printf '# --- %s:\n' "$1"
		sed 's/^/#   | /' "$2"
	else
		printf '# --- %s: (empty)\n' "$1"
	fi
}

# --- what the kernel and microrun printed -------------------------------

kernel_cmdline() {
	sed -nE "s/${TS}Command line: //p" "$tmp/$1.out" | head -n 1
}

microrun_cmdline() {
	sed -n 's/^microrun: command line: //p' "$tmp/$1.err" | head -n 1
}

kernel_e820() {
	sed -nE 's/^.*BIOS-e820: (\[mem .*)$/\1/p' "$tmp/$1.out"
}

microrun_e820() {
	sed -nE 's/^microrun: e820: (\[mem .*)$/\1/p' "$tmp/$1.err"
}

# --- the checks ---------------------------------------------------------

check_cmdline() {
	local name=$1 k m
	k=$(kernel_cmdline "$name")
	m=$(microrun_cmdline "$name")
	if ! grep -qE "${TS}Command line: " "$tmp/$name.out"; then
		fail "$name: kernel's 'Command line:' equals microrun's" "the kernel printed no 'Command line:' line"
	elif ! grep -q '^microrun: command line: ' "$tmp/$name.err"; then
		fail "$name: kernel's 'Command line:' equals microrun's" "microrun -v printed no 'microrun: command line:' line on stderr"
	elif [[ $k != "$m" ]]; then
		fail "$name: kernel's 'Command line:' equals microrun's" "kernel:   [$k]" "microrun: [$m]"
	else
		pass "$name: kernel's 'Command line:' equals microrun's: $k"
	fi
	# microrun adds console=ttyS0 panic=-1 to the user's text.
	local w missing=()
	for w in $USER_APPEND console=ttyS0 panic=-1; do
		[[ " $k " == *" $w "* ]] || missing+=("$w")
	done
	if ((${#missing[@]} == 0)); then
		pass "$name: the command line has -a's text, console=ttyS0 and panic=-1"
	else
		fail "$name: the command line has -a's text, console=ttyS0 and panic=-1" \
			"missing: ${missing[*]}" "kernel's command line: [$k]"
	fi
}

check_e820() {
	local name=$1 desc="$1: kernel's BIOS-e820 map equals microrun's e820 lines"
	kernel_e820 "$name" >"$tmp/$name.e820.kernel"
	microrun_e820 "$name" >"$tmp/$name.e820.microrun"
	if [[ ! -s $tmp/$name.e820.kernel ]]; then
		fail "$desc" "the kernel printed no 'BIOS-e820: [mem ...]' line"
	elif [[ ! -s $tmp/$name.e820.microrun ]]; then
		fail "$desc" "microrun -v printed no 'microrun: e820: [mem ...]' line"
	elif ! diff -u --label microrun --label kernel "$tmp/$name.e820.microrun" "$tmp/$name.e820.kernel" >"$tmp/$name.e820.diff"; then
		local lines
		mapfile -t lines <"$tmp/$name.e820.diff"
		fail "$desc" "diff -u microrun kernel:" "${lines[@]}"
	else
		pass "$desc ($(wc -l <"$tmp/$name.e820.kernel") entries)"
	fi
}

# The kernel finds the MP table by scanning low memory and then reads it;
# 6.1 prints "found SMP MP-table at [mem ...]" then "MPTABLE: OEM ID: ...",
# or "MPTABLE: <problem>" at error level when the table is broken.
check_mptable() {
	local name=$1 out=$tmp/$1.out bad
	bad=$(grep -E 'MPTABLE: (bad|null|no processors|checksum|error|.*failed)|broken BIOS or MPTABLE' "$out")
	if ! grep -qE 'found SMP MP-table|MPTABLE' "$out"; then
		fail "$name: the kernel finds the MP table" "no 'found SMP MP-table' or 'MPTABLE' line"
	elif [[ -n $bad ]]; then
		fail "$name: the kernel finds the MP table" "$bad"
	else
		pass "$name: the kernel finds the MP table: $(grep -m1 -oE '(found SMP MP-table|MPTABLE).*' "$out")"
	fi
	# With -c 2 the table lists 2 processors; smpboot says how many it allows.
	check "$name: the kernel allows $CPUS CPUs (-c $CPUS)" \
		"no 'smpboot: Allowing $CPUS CPUs' line: $(grep -m1 -o 'Allowing.*' "$out")" \
		grep -q "smpboot: Allowing $CPUS CPUs" "$out"
}

# Everything microrun says goes to stderr with "microrun:"; stdout is the
# guest's alone.
check_streams() {
	local name=$1 desc="$1: stdout has guest output only, stderr only 'microrun:' lines" bad
	bad=$(grep -n 'microrun:' "$tmp/$name.out" | head -n 5)
	if [[ -n $bad ]]; then
		fail "$desc" "microrun's own lines on stdout:" "$bad"
		return
	fi
	bad=$(grep -vn '^microrun: ' "$tmp/$name.err" | head -n 5)
	if [[ -n $bad ]]; then
		fail "$desc" "stderr lines without the 'microrun: ' prefix:" "$bad"
		return
	fi
	pass "$desc"
}

# A boot to "Memory:" and the checks on it, for the vmlinux, or the bzImage
# on a host with vmx/svm.
full_boot_test() {
	local name=$1 kernel=$2 failed_before=$nfail
	boot "$name" "${TS}Memory: " $((MICRORUN_TIMEOUT + SLACK)) \
		-k "$kernel" "${BOOT_ARGS[@]}" --timeout "$MICRORUN_TIMEOUT"

	check "$name: the kernel prints 'Linux version 6.1'" "no such line; microrun $(describe_boot)" \
		grep -q 'Linux version 6\.1' "$tmp/$name.out"
	check "$name: the boot reaches the kernel's 'Memory:' line" "microrun $(describe_boot)" \
		test "$BOOT_STOPPED" = 1
	# Stopped by our SIGTERM: 143. Where guest code is emulated the kernel
	# may stop by itself right after "Memory:" (121, vCPU failed).
	case $BOOT_STATUS in
	143 | 121 | 123) pass "$name: microrun's exit status is expected ($(describe_boot))" ;;
	*) fail "$name: microrun's exit status is expected" "$(describe_boot); expected 143 after our SIGTERM, or 121/123" ;;
	esac
	check_cmdline "$name"
	check_e820 "$name"
	check_mptable "$name"
	check_streams "$name"
	show_output "$name" "$failed_before"
}

ended_by_own_timeout() {
	[[ $BOOT_STATUS == 124 && $BOOT_DEADLINE == 0 ]]
}

# Where the bzImage cannot finish decompressing in reasonable time: microrun
# must accept it and still be running it when its --timeout ends.
bzimage_start_test() {
	local name=bzImage failed_before=$nfail errors
	# Without -v: then all stderr holds is warnings and errors.
	boot "$name" '' 30 --no-shell -k "$MRK_BZIMAGE" -m 256M -c "$CPUS" -a "$USER_APPEND" --timeout 5
	check "$name: microrun accepts the bzImage and runs it until --timeout 5 (exit 124)" \
		"microrun $(describe_boot)" ended_by_own_timeout
	errors=$(grep -v '^microrun: warning: ' "$tmp/$name.err" |
		grep -iE 'error|fail|cannot|can.t|invalid|unsupported|unable|refus')
	check "$name: microrun's stderr shows no error" "$errors" test -z "$errors"
	check_streams "$name"
	show_output "$name" "$failed_before"
	if [[ -s $tmp/$name.out ]]; then
		printf '# bzImage: in 5 s the guest printed: %s\n' "$(tr '\n' ' ' <"$tmp/$name.out" | cut -c 1-200)"
	fi
	skip "bzImage: boot to 'Memory:' with the command line, e820 and MP table checks" \
		"no vmx/svm in /proc/cpuinfo: guest code is emulated and the in-guest XZ decompressor takes minutes"
}

main() {
	if (($# != 1)); then
		echo "usage: $0 MICRORUN" >&2
		exit 2
	fi
	MICRORUN=$1
	if [[ ! -x $MICRORUN ]]; then
		fail "microrun binary '$MICRORUN' exists" "not found or not executable"
		summary
		exit 1
	fi
	if ! mrk_get_kernel; then
		echo "skipped: $MRK_SKIP_REASON"
		skip "real kernel tests" "$MRK_SKIP_REASON"
		summary
		exit 0
	fi
	tmp=$(mktemp -d) || exit 1
	# MICRORUN_TEST_KEEP=1 keeps every boot's stdout/stderr for a look.
	if [[ -n ${MICRORUN_TEST_KEEP:-} ]]; then
		echo "# keeping the boots' output in $tmp"
	else
		trap 'rm -rf "$tmp"' EXIT
	fi
	echo "# Debian kernel $MRK_VERSION: $MRK_BZIMAGE"
	if has_hw_virt; then
		echo "# host has vmx/svm: the bzImage gets the full checks too"
	else
		echo "# host has no vmx/svm: guest code is emulated (slow); the vmlinux boot takes about a minute"
	fi

	full_boot_test vmlinux "$MRK_VMLINUX"
	if has_hw_virt; then
		full_boot_test bzImage "$MRK_BZIMAGE"
	else
		bzimage_start_test
	fi
	summary
}

main "$@"
