#!/bin/bash
# tests/guests/run.sh MICRORUN GUESTDIR
#
# Boots the tiny test guests (tests/guests/*.c, built by `make guests` into
# GUESTDIR) through MICRORUN, each as .elf and as .bzImage, and checks exit
# status, stdout and stderr exactly. Prints "ok N - ..." / "not ok N - ..."
# with the captured output of failures, then "N passed, N failed"; exits 1
# if any case failed. Without a usable /dev/kvm every case is reported as
# skipped (with the reason) and the script exits 0.
#
# Nothing here sleeps: waiting for a guest is reading its output until the
# expected line appears, and every microrun run is bounded by timeout(1).
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 MICRORUN GUESTDIR" >&2
	exit 2
fi
MR=$1
G=$2
LIMIT=30        # seconds any one microrun run may take before it is killed
SPIN_LIMIT=10   # the closed-stdout case must end within this

TMP=$(mktemp -d "${TMPDIR:-/tmp}/microrun-guests.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- helpers ------------------------------------------------------------
# Each case runs in directory $D, sets $st (exit status) and appends the
# reasons it failed to the array `why`.

# bounded MICRORUN: with KILL and --preserve-status a hang shows up as 137,
# never as 124 (which is microrun's own --timeout status)
bounded() {
	timeout --preserve-status -s KILL "$LIMIT" "$@"
}

# mr ARGS...: run microrun with stdin from /dev/null, output to $D/out, $D/err
mr() {
	bounded "$MR" "$@" >"$D/out" 2>"$D/err" </dev/null
	st=$?
}

fail() {
	why+=("$*")
}

need() {
	[ -f "$1" ] || fail "missing $1 (run 'make guests')"
}

status_is() {
	local note=""
	[ "$st" = 137 ] && note=" (killed: no exit within the time limit)"
	[ "$st" = "$1" ] || fail "exit status $st$note, expected $1"
}

# out_is TEXT: stdout is exactly TEXT (give the trailing newline too)
out_is() {
	printf '%s' "$1" >"$D/expected"
	cmp -s "$D/expected" "$D/out" ||
		fail "stdout is not exactly: $(printf '%q' "$1")"
}

out_empty() {
	[ ! -s "$D/out" ] || fail "stdout not empty"
}

# err_quiet: nothing on stderr. One exception: on a host whose CPU has
# neither vmx nor svm (/dev/kvm then emulates guest code, see
# /work/shared/docs/kvm-here.md) microrun is expected to warn about that on
# stderr, so a "microrun: warning: ..." line naming vmx/svm is allowed there.
HOST_LACKS_VTX=0
grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null || HOST_LACKS_VTX=1
err_quiet() {
	local rest=$D/err
	if [ "$HOST_LACKS_VTX" = 1 ]; then
		rest=$D/err-rest
		grep -vE '^microrun: warning: .*(vmx|svm)' "$D/err" >"$rest"
	fi
	[ ! -s "$rest" ] || fail "stderr not empty"
}

# err_message [WORD]: stderr starts with "microrun:" (naming WORD if given)
err_message() {
	[ -s "$D/err" ] || { fail "no message on stderr"; return; }
	head -n 1 "$D/err" | grep -q '^microrun:' ||
		fail "stderr does not start with 'microrun:'"
	[ $# -eq 0 ] || grep -qF -e "$1" "$D/err" ||
		fail "stderr does not name '$1'"
}

# The one line of stdout matching REGEX (printed), or PLACEHOLDER when
# there is not exactly one: diffs then show what was expected.
line_like() {
	local lines
	lines=$(grep -E -e "$1" "$D/out")
	if [ -n "$lines" ] && [ "$(printf '%s\n' "$lines" | wc -l)" = 1 ]; then
		printf '%s\n' "$lines"
	else
		printf '%s\n' "$2"
	fi
}

# --- bootcheck ------------------------------------------------------------

E820_LOW='bootcheck: e820 0x0000000000000000-0x000000000009fbff 1
bootcheck: e820 0x000000000009fc00-0x000000000009ffff 2
bootcheck: e820 0x00000000000e0000-0x00000000000fffff 2'
E820_256M="$E820_LOW
bootcheck: e820 0x0000000000100000-0x000000000fffffff 1"
E820_4G="$E820_LOW
bootcheck: e820 0x0000000000100000-0x00000000bfffffff 1
bootcheck: e820 0x0000000100000000-0x000000013fffffff 1"

# bootcheck_expect E820_LINES [INITRD_REGEX INITRD_PLACEHOLDER]: compare
# all of stdout with what bootcheck must print; the command line must be
# the one `microrun -v` reported.
bootcheck_expect() {
	local cmdline
	if grep -q '^microrun: command line: ' "$D/err"; then
		cmdline=$(sed -n 's/^microrun: command line: //p' "$D/err" | head -n 1)
		case " $cmdline " in
		*" console=ttyS0 "*) ;;
		*) fail "command line lacks console=ttyS0: $cmdline" ;;
		esac
		case " $cmdline " in
		*" panic=-1 "*) ;;
		*) fail "command line lacks panic=-1: $cmdline" ;;
		esac
	else
		fail "microrun -v printed no 'microrun: command line: ' line"
		cmdline="<what microrun -v reports>"
	fi
	{
		echo 'bootcheck: long mode'
		echo 'bootcheck: cs=0x10 ds=0x18 es=0x18 ss=0x18'
		echo 'bootcheck: interrupts off'
		line_like '^bootcheck: zero page 0x[0-9a-f]+ loader 0xff hdr ok$' \
			'bootcheck: zero page 0x<addr> loader 0xff hdr ok'
		printf 'bootcheck: cmdline %s\n' "$cmdline"
		printf '%s\n' "$1"
		[ $# -lt 3 ] || line_like "$2" "$3"
		echo 'bootcheck: done'
	} >"$D/expected"
	diff -u "$D/expected" "$D/out" >"$D/diff" ||
		fail "stdout differs from the expected lines: $(cat "$D/diff")"
}

t_bootcheck_256m() {
	need "$G/$1"
	mr -v -m 256M -a 'foo=bar quiet' -k "$G/$1"
	status_is 122
	bootcheck_expect "$E820_256M"
	grep -qE '^microrun: command line: (.* )?foo=bar quiet( |$)' "$D/err" ||
		fail "command line lacks the -a text 'foo=bar quiet'"
}

t_bootcheck_4g() {
	need "$G/$1"
	mr -v -m 4G -k "$G/$1"
	status_is 122
	bootcheck_expect "$E820_4G"
}

# t_bootcheck_initrd KERNEL short|long: bootcheck prints up to 16 bytes of
# the initrd, stopping at the first newline
t_bootcheck_initrd() {
	local size addr shown
	need "$G/$1"
	case $2 in
	short) printf 'tiny\nrest\n' >"$D/initrd"; shown=tiny ;;
	long) printf 'initrd:0123456789abcdef' >"$D/initrd"; shown=initrd:012345678 ;;
	esac
	size=$(wc -c <"$D/initrd")
	mr -v -m 256M -i "$D/initrd" -k "$G/$1"
	status_is 122
	bootcheck_expect "$E820_256M" \
		"^bootcheck: initrd 0x[0-9a-f]+ size $size first $shown\$" \
		"bootcheck: initrd 0x<addr> size $size first $shown"
	# the setup header asks for initrd_addr_max 0x7fffffff
	addr=$(sed -n 's/^bootcheck: initrd 0x\([0-9a-f]*\) .*/\1/p' "$D/out")
	if [ -n "$addr" ] && (( 0x$addr + size - 1 > 0x7fffffff )); then
		fail "initrd at 0x$addr ends above initrd_addr_max 0x7fffffff"
	fi
}

# --- the other guests -----------------------------------------------------

t_hello() {
	need "$G/$1"
	mr -k "$G/$1"
	status_is 122
	out_is $'hello from the guest\n'
	err_quiet
}

t_panic() {
	need "$G/$1"
	mr -k "$G/$1"
	status_is 123
	out_is $'Kernel panic - not syncing: tiny guest panic\n'
}

t_hvc() {
	need "$G/$1"
	mr -k "$G/$1" -a console=hvc0
	status_is 123
	out_is $'Kernel panic - not syncing: tiny guest panic on hvc0\n'
	err_quiet
}

# Without console=hvc... there is no virtio console: the window reads as
# all ones.
t_no_hvc() {
	need "$G/$1"
	mr -k "$G/$1"
	status_is 122
	out_is $'hvc: no virtio console at 0xd0000000\n'
}

# console=hvc0 for a guest that never writes there: microrun says why the
# run may have looked silent.
t_hvc_unused() {
	need "$G/$1"
	mr -k "$G/$1" -a console=hvc0
	status_is 122
	out_is $'hello from the guest\n'
	grep -q '^microrun: warning: console=hvc0: the guest never wrote to hvc0,' "$D/err" ||
		fail "no warning that hvc0 stayed silent"
}

t_triplefault() {
	need "$G/$1"
	mr -k "$G/$1"
	status_is 122
	out_is $'triple fault next\n'
}

t_timeout() {
	need "$G/$1"
	mr --timeout 1 -k "$G/$1"
	status_is 124
	out_is $'ready\n'
}

# t_signal KERNEL SIGNAL STATUS: send SIGNAL to microrun once the guest has
# printed "ready" (read from a fifo), expect STATUS.
t_signal() {
	local fifo=$D/fifo fd bg pid line seen=0
	need "$G/$1"
	mkfifo "$fifo" || { fail "mkfifo failed"; return; }
	# sh records its pid, then becomes microrun: that is the pid to signal
	# (timeout would forward signals too, but not show who handled them)
	bounded sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$D/pid" \
		"$MR" -k "$G/$1" >"$fifo" 2>"$D/err" </dev/null &
	bg=$!
	exec {fd}<"$fifo"
	: >"$D/out"
	while IFS= read -r -t "$LIMIT" line <&"$fd"; do
		printf '%s\n' "$line" >>"$D/out"
		if [ "$line" = ready ]; then
			seen=1
			break
		fi
	done
	pid=$(cat "$D/pid" 2>/dev/null)
	if [ "$seen" = 1 ] && [ -n "$pid" ]; then
		kill -s "$2" "$pid"
	else
		fail "guest did not print 'ready' within ${LIMIT}s"
		# still running (hung)? then do not wait for the time limit
		[ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null ||
			kill -s KILL "$pid"
	fi
	wait "$bg"
	st=$?
	timeout 5 cat <&"$fd" >>"$D/out"
	exec {fd}<&-
	status_is "$3"
	out_is $'ready\n'
}

t_spin() {
	need "$G/$1"
	timeout --preserve-status -s KILL "$SPIN_LIMIT" "$MR" -k "$G/$1" \
		2>"$D/err" </dev/null | head -n 3 >"$D/out"
	st=${PIPESTATUS[0]}
	[ "$st" != 137 ] || fail "microrun kept running ${SPIN_LIMIT}s after its stdout closed"
	status_is 141
	out_is $'line 0\nline 1\nline 2\n'
	err_quiet
}

t_echo() {
	need "$G/$1"
	printf 'abcq' | bounded "$MR" -k "$G/$1" >"$D/out" 2>"$D/err"
	st=${PIPESTATUS[1]}
	status_is 122
	out_is $'ready\nabc\nbye\n'
}

t_unhandled() {
	need "$G/$1"
	mr -k "$G/$1"
	status_is 122
	out_is $'unhandled: ok\n'
}

# --- bad usage and bad kernels ----------------------------------------------

t_bogus_option() {
	mr --bogus
	status_is 2
	out_empty
	err_message --bogus
	[ "$(wc -l <"$D/err")" = 1 ] || fail "stderr is not exactly one line"
}

t_missing_kernel() {
	local k=/nonexistent
	[ ! -e "$k" ] || k=$TMP/nonexistent
	mr -k "$k"
	status_is 1
	out_empty
	err_message "$k"
}

# SIGTERM while stdout is a pipe nobody reads: the vCPU is stuck in write(2)
# to a full pipe, and microrun must still end at once with 143. The test
# holds the fifo open read-write so microrun's open does not wait, and never
# reads it; it waits (bounded) until a microrun thread sleeps in pipe_write.
t_stalled_reader() {
	local fifo=$D/fifo fd bg pid
	need "$G/$1"
	mkfifo "$fifo" || { fail "mkfifo failed"; return; }
	exec {fd}<>"$fifo"
	bounded sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$D/pid" \
		"$MR" -k "$G/$1" >"$fifo" 2>"$D/err" </dev/null &
	bg=$!
	if timeout 10 sh -c 'until [ -s "$1" ] && grep -qs pipe_write /proc/$(cat "$1")/task/*/wchan; do :; done' \
		sh "$D/pid"; then
		pid=$(cat "$D/pid")
		kill -s TERM "$pid"
	else
		fail "microrun never blocked writing to the full pipe"
		kill -s KILL "$(cat "$D/pid")" 2>/dev/null
	fi
	wait "$bg"
	st=$?
	exec {fd}<&-
	status_is 143
}

# A user who may not open /dev/kvm is told how to get access. Needs root
# (to drop to an unprivileged user) and a /dev/kvm closed to others.
t_kvm_denied() {
	if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
		skipwhy="needs root and setpriv to run as an unprivileged user"
		return
	fi
	if [ "$(stat -c %A /dev/kvm | cut -c8-9)" = rw ]; then
		skipwhy="/dev/kvm is open to every user here"
		return
	fi
	bounded setpriv --reuid=65534 --regid=65534 --clear-groups \
		"$MR" -k "$G/hello.elf" >"$D/out" 2>"$D/err" </dev/null
	st=$?
	status_is 1
	out_empty
	grep -q '^microrun: no permission to open /dev/kvm: add yourself to its group' "$D/err" ||
		fail "stderr does not explain the kvm group"
}

# bootcheck with two vCPUs: the second waits for a SIPI that never comes,
# and must neither disturb the boot CPU nor delay the exit.
t_bootcheck_smp() {
	need "$G/bootcheck.elf"
	mr -c 2 -k "$G/bootcheck.elf"
	status_is 122
	grep -qx 'bootcheck: done' "$D/out" || fail "no 'bootcheck: done'"
}

# t_bad_kernel KIND: KIND is empty, truncated or random
t_bad_kernel() {
	local k=$D/kernel
	case $1 in
	empty) : >"$k" ;;
	truncated)
		need "$G/hello.bzImage"
		head -c 600 "$G/hello.bzImage" >"$k" ;;
	random) head -c 8192 /dev/urandom >"$k" ;;
	esac
	mr -k "$k"
	status_is 1
	out_empty
	err_message
}

# --- the cases ------------------------------------------------------------

DESC=()
CMD=()
add() {        # add DESCRIPTION FUNCTION ARG... (arguments without spaces)
	DESC+=("$1")
	shift
	CMD+=("$*")
}

for k in bootcheck.elf bootcheck.bzImage bootcheck-unaligned.bzImage; do
	add "$k -m 256M -a 'foo=bar quiet': state, zero page, cmdline, e820" \
		t_bootcheck_256m "$k"
done
for k in bootcheck.elf bootcheck.bzImage; do
	add "$k -m 4G: e820 with RAM above 3 GiB moved above 4 GiB" \
		t_bootcheck_4g "$k"
done
add "bootcheck.elf -i FILE: initrd size and first bytes (up to newline)" \
	t_bootcheck_initrd bootcheck.elf short
add "bootcheck.bzImage -i FILE: initrd size and first 16 bytes" \
	t_bootcheck_initrd bootcheck.bzImage long
for f in elf bzImage; do
	add "hello.$f: exact stdout, silent stderr, status 122" t_hello "hello.$f"
	add "panic.$f: status 123" t_panic "panic.$f"
	add "hvc.$f -a console=hvc0: emergency writes on stdout, panic seen, status 123" \
		t_hvc "hvc.$f"
	add "hvc.$f without console=hvc0: no virtio console, status 122" t_no_hvc "hvc.$f"
	add "hello.$f -a console=hvc0: a warning that hvc0 stayed silent" t_hvc_unused "hello.$f"
	add "triplefault.$f: status 122" t_triplefault "triplefault.$f"
	add "halt.$f --timeout 1: status 124" t_timeout "halt.$f"
	add "halt.$f SIGTERM after ready: status 143" t_signal "halt.$f" TERM 143
	add "halt.$f SIGINT after ready: status 130" t_signal "halt.$f" INT 130
	add "spin.$f | head -n 3: prompt exit, status 141, silent stderr" \
		t_spin "spin.$f"
	add "echo.$f with input 'abcq': echoes, status 122" t_echo "echo.$f"
	add "unhandled.$f: unbacked port and MMIO read all ones" \
		t_unhandled "unhandled.$f"
done
add "microrun --bogus: status 2, one-line message" t_bogus_option
add "microrun -k /nonexistent: status 1, names the file" t_missing_kernel
add "empty kernel file: status 1" t_bad_kernel empty
add "truncated bzImage (600 bytes): status 1" t_bad_kernel truncated
add "random-bytes kernel: status 1" t_bad_kernel random
add "unprivileged user without /dev/kvm access: status 1, says how to fix" t_kvm_denied
add "spin.elf into a pipe nobody reads, SIGTERM: status 143" t_stalled_reader spin.elf
add "bootcheck.elf -c 2: second vCPU idle, status 122" t_bootcheck_smp

# --- run them -------------------------------------------------------------

skip=""
if [ ! -e /dev/kvm ]; then
	skip="/dev/kvm does not exist (no KVM on this host)"
elif ! (exec 3<>/dev/kvm) 2>/dev/null; then
	skip="/dev/kvm cannot be opened read-write by $(id -un)"
fi
if [ -n "$skip" ]; then
	echo "# skipping all ${#DESC[@]} cases: $skip"
elif [ ! -x "$MR" ]; then
	echo "# $MR is not an executable file: every case will fail"
fi

passed=0 failed=0 skipped=0
for i in "${!DESC[@]}"; do
	n=$((i + 1))
	if [ -n "$skip" ]; then
		echo "ok $n - ${DESC[i]} # SKIP $skip"
		skipped=$((skipped + 1))
		continue
	fi
	D=$TMP/$n
	mkdir -p "$D"
	: >"$D/out"
	: >"$D/err"
	why=()
	st=""
	skipwhy=""
	read -r -a cmd <<<"${CMD[i]}"
	"${cmd[@]}"
	if [ -n "$skipwhy" ]; then
		echo "ok $n - ${DESC[i]} # SKIP $skipwhy"
		skipped=$((skipped + 1))
		continue
	fi
	if [ ${#why[@]} -eq 0 ]; then
		echo "ok $n - ${DESC[i]}"
		passed=$((passed + 1))
		continue
	fi
	echo "not ok $n - ${DESC[i]}"
	failed=$((failed + 1))
	for w in "${why[@]}"; do
		printf '%s\n' "$w" | sed 's/^/#   /'
	done
	echo "#   exit status: $st"
	echo "#   stdout:"
	head -n 40 "$D/out" | cat -v | sed 's/^/#     /'
	echo "#   stderr:"
	head -n 40 "$D/err" | cat -v | sed 's/^/#     /'
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
