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
	bounded "$MR" --no-shell "$@" >"$D/out" 2>"$D/err" </dev/null
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

# t_bootcheck_disks_cmdline KERNEL ACPI: with two disks, the command line
# the guest gets lists them for virtio_mmio.device= only under acpi=off
# (the DSDT describes them otherwise; never both).
t_bootcheck_disks_cmdline() {
	local got want append=quiet
	need "$G/$1"
	truncate -s 1M "$D/a.img" "$D/b.img"
	[ "$2" = off ] && append='quiet acpi=off'
	mr -v -m 256M -a "$append" -d "$D/a.img" -d "$D/b.img,ro" -k "$G/$1"
	status_is 122
	got=$(sed -n 's/^bootcheck: cmdline //p' "$D/out")
	want=$(sed -n 's/^microrun: command line: //p' "$D/err" | head -n 1)
	[ "$2" = off ] &&
		want="virtio_mmio.device=4K@0xd0000000:16 virtio_mmio.device=4K@0xd0001000:17 $want"
	[ "$got" = "$want" ] || fail "guest's command line '$got', want '$want'"
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

# while_ready KERNEL ACTION [MICRORUN-ARGS...]: start microrun on KERNEL,
# wait for the guest's "ready" line, run ACTION PID (microrun's pid), then
# wait for microrun's end into $st. A guest that never gets ready fails.
while_ready() {
	local k=$1 action=$2 fifo=$D/fifo fd bg pid line seen=0
	shift 2
	need "$G/$k"
	mkfifo "$fifo" || { fail "mkfifo failed"; return; }
	# sh records its pid, then becomes microrun: that is the pid to signal
	# (timeout would forward signals too, but not show who handled them)
	bounded sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$D/pid" \
		"$MR" --no-shell "$@" -k "$G/$k" >"$fifo" 2>"$D/err" </dev/null &
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
		"$action" "$pid"
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
}

# t_signal KERNEL SIGNAL STATUS: send SIGNAL to microrun once the guest has
# printed "ready" (read from a fifo), expect STATUS.
t_signal() {
	signal_to_send=$2
	while_ready "$1" send_signal
	status_is "$3"
	out_is $'ready\n'
}

send_signal() {
	kill -s "$signal_to_send" "$1"
}

# Every thread of a running microrun, started as root: no capabilities
# left (not even in the bounding set), no_new_privs, and in seccomp filter
# mode (2); with --no-seccomp, no filter (0).
t_confined() {
	if [ "$(id -u)" != 0 ]; then
		skipwhy="needs root, to see microrun drop its capabilities"
		return
	fi
	want_seccomp=2
	[ "${2-}" = --no-seccomp ] && want_seccomp=0
	truncate -s 1M "$D/disk.img"
	while_ready "$1" check_confined -d "$D/disk.img" ${2-}
	status_is 143
}

check_confined() {
	local task field want got
	for task in /proc/"$1"/task/*; do
		for field in CapInh CapPrm CapEff CapBnd CapAmb NoNewPrivs Seccomp; do
			case $field in
			Cap*) want=0000000000000000 ;;
			NoNewPrivs) want=1 ;;
			Seccomp) want=$want_seccomp ;;
			esac
			got=$(sed -n "s/^$field:[[:space:]]*//p" "$task/status")
			[ "$got" = "$want" ] || fail "thread ${task##*/}: $field $got, expected $want"
		done
	done
	[ "$(ls /proc/"$1"/task | wc -l)" -ge 3 ] ||
		fail "expected the main, vCPU and disk threads, found $(ls /proc/"$1"/task | wc -l)"
	kill -s TERM "$1"
}

t_spin() {
	need "$G/$1"
	timeout --preserve-status -s KILL "$SPIN_LIMIT" "$MR" --no-shell -k "$G/$1" \
		2>"$D/err" </dev/null | head -n 3 >"$D/out"
	st=${PIPESTATUS[0]}
	[ "$st" != 137 ] || fail "microrun kept running ${SPIN_LIMIT}s after its stdout closed"
	status_is 141
	out_is $'line 0\nline 1\nline 2\n'
	err_quiet
}

t_echo() {
	need "$G/$1"
	printf 'abcq' | bounded "$MR" --no-shell -k "$G/$1" >"$D/out" 2>"$D/err"
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

# --- virtio guests ---------------------------------------------------------

# sectors FILE PREFIX FIRST LAST: the pattern tests/guests/blk.h describes,
# sectors FIRST to LAST (16-byte lines "PREFIX-sector-SSS\n", 32 a sector)
sectors() {
	awk -v p="$2" -v a="$3" -v b="$4" \
		'BEGIN { for (s = a; s <= b; s++) for (i = 0; i < 32; i++)
			printf "%s-sector-%03d\n", p, s }' >>"$1"
}

# disk_is FILE EXPECTED WHAT: FILE has exactly the bytes of EXPECTED
disk_is() {
	cmp -s "$1" "$2" || fail "$3: $(cmp "$1" "$2" 2>&1 | head -n 1)"
}

# t_vblk KERNEL rw|ro SERIAL: sector 0 read and checked by the guest,
# sectors 2-3 written, 5 discarded, 6 zeroed (rw: the file must hold the
# guest's pattern in 2-3, zeros in 5-6 and nothing else changed; ro: IOERR
# for all three and the file untouched), flush, serial, capacity. The ro disk is 100 bytes past a whole sector, which
# the capacity must round down.
t_vblk() {
	local disk=$D/disk opt="" write=0 holds=vblk ro_line=""
	need "$G/$1"
	sectors "$disk" host 0 127
	[ "$3" = - ] || opt=",serial=$3"
	if [ "$2" = ro ]; then
		head -c 100 /dev/urandom >>"$disk"
		opt="$opt,ro" write=1 holds=host
		ro_line=$'vblk: read-only disk\n'
	fi
	cp "$disk" "$D/before"
	mr -d "$disk$opt" -k "$G/$1"
	status_is 0
	out_is "vblk: virtio-blk at 0xd0000000, driver ok
vblk: capacity 128 sectors
${ro_line}vblk: read sector 0: status 0
vblk: sector 0 holds host-sector-000
vblk: write sectors 2-3: status $write
vblk: read sector 2: status 0
vblk: sector 2 holds $holds-sector-002
vblk: flush: status 0
vblk: discard sector 5: status $write
vblk: write zeroes to sector 6: status $write
vblk: get id: status 0
vblk: serial=${3#-}
vblk: interrupt status 0x1, after ack 0x0
vblk: done
"
	if [ "$2" = ro ]; then
		# the one message expected: about the partial sector
		local warning="microrun: warning: disk $disk: the last 100 bytes are not a whole sector"
		grep -qF -e "$warning" "$D/err" ||
			fail "no warning about the disk's last 100 bytes"
		grep -vF -e "$warning" "$D/err" >"$D/err-other"
		mv "$D/err-other" "$D/err"
	fi
	err_quiet
	if [ "$2" = ro ]; then
		disk_is "$disk" "$D/before" "read-only disk file changed"
	else
		sectors "$D/expected-disk" host 0 1
		sectors "$D/expected-disk" vblk 2 3
		sectors "$D/expected-disk" host 4 4
		head -c 1024 /dev/zero >>"$D/expected-disk"
		sectors "$D/expected-disk" host 7 127
		disk_is "$disk" "$D/expected-disk" "disk file is not the host pattern with the guest's sectors 2-3 and zeros in 5-6"
	fi
}

# t_vhostile KERNEL [-v]: malformed chains, rings, queue set-ups and
# register writes, crafted on the first disk and random on the second (see
# tests/guests/vhostile.c). The guest says how each case went and powers
# off only if all passed; microrun must say nothing (no sanitizer report
# either) and the first disk's file must be the host pattern with only the
# guest's one well-formed write (sector 7); the second keeps its size.
# With -v, microrun names each device's first guest error, and reports at
# most one a device reset (the guest prints how many it did).
VHOSTILE_CASES=53
t_vhostile() {
	local ok other
	need "$G/$1"
	sectors "$D/disk0" host 0 127
	sectors "$D/disk1" host 0 127
	mr -m 4G ${2:-} -d "$D/disk0" -d "$D/disk1" -k "$G/$1"
	status_is 0
	! grep -q FAIL "$D/out" || fail "the guest reports failed cases: $(grep FAIL "$D/out")"
	ok=$(grep -c '^vhostile: ok ' "$D/out")
	[ "$ok" = "$VHOSTILE_CASES" ] || fail "$ok cases passed, expected $VHOSTILE_CASES"
	grep -qx "vhostile: $VHOSTILE_CASES passed, 0 failed" "$D/out" ||
		fail "no summary line 'vhostile: $VHOSTILE_CASES passed, 0 failed'"
	other=$(grep -vE '^vhostile: (ok |random rings \(seed |resets: |[0-9]+ passed, )' "$D/out")
	[ -z "$other" ] || fail "unexpected output: $other"
	if [ -n "${2:-}" ]; then
		vhostile_reports
	else
		err_quiet
	fi
	sectors "$D/expected-disk" host 0 6
	sectors "$D/expected-disk" vhst 7 7
	sectors "$D/expected-disk" host 8 127
	disk_is "$D/disk0" "$D/expected-disk" "first disk is not the host pattern with the guest's sector 7"
	[ "$(stat -c %s "$D/disk1")" = 65536 ] || fail "second disk's size changed"
}

# vhostile -v: the first report of each disk, and no more reports than resets
vhostile_reports() {
	local resets reports n base
	! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$D/err" ||
		fail "sanitizer report on stderr"
	grep -m 1 -F 'virtio-blk at 0xd0000000: guest error:' "$D/err" |
		grep -qx 'microrun: virtio-blk at 0xd0000000: guest error: malformed request failed (Bad address) (reported once per device reset, 8 times at most)' ||
		fail "first report for the first disk is not the malformed request (Bad address)"
	for n in 1 2; do
		base=$(printf '0x%x' $((0xd0000000 + (n - 1) * 0x1000)))
		resets=$(sed -n "s/^vhostile: resets: first disk \([0-9]*\), second disk \([0-9]*\)\$/\\$n/p" "$D/out")
		[ -n "$resets" ] || { fail "guest printed no reset counts"; return; }
		reports=$(grep -c "virtio-blk at $base: guest error:" "$D/err")
		[ "$reports" -ge 1 ] && [ "$reports" -le $((resets + 1)) ] ||
			fail "$reports reports for the disk at $base, after $resets resets"
	done
}

# t_vcons KERNEL [-v]: malformed control messages and receive buffers,
# writable, misplaced and looping transmit chains, a corrupt transmitq
# (tests/guests/vcons.c) on the virtio-console; then, after a reset, a
# well-formed line over hvc0, which must be on stdout exactly, just before
# the last verdict. None of the refused transmit buffers' text ("vcons:
# LEAKED") may get out. With -v, microrun reports the first guest error
# (the chain outside RAM) and nothing after it until the reset.
VCONS_CASES=20
t_vcons() {
	local ok rest
	need "$G/$1"
	mr ${2:-} -a console=hvc0 -k "$G/$1"
	status_is 0
	! grep -q FAIL "$D/out" || fail "the guest reports failed cases: $(grep FAIL "$D/out")"
	ok=$(grep -c '^vcons: ok ' "$D/out")
	[ "$ok" = "$VCONS_CASES" ] || fail "$ok cases passed, expected $VCONS_CASES"
	rest=$(grep -v '^vcons: ok ' "$D/out")
	[ "$rest" = "vcons: a well-formed line over hvc0
vcons: $VCONS_CASES passed, 0 failed" ] ||
		fail "stdout besides the verdicts is not exactly the hvc0 line and the summary: $rest"
	[ "$(tail -n 3 "$D/out" | head -n 1)" = 'vcons: a well-formed line over hvc0' ] ||
		fail "the hvc0 line is not just before the last verdict"
	if [ -z "${2:-}" ]; then
		err_quiet
		return
	fi
	! grep -qE 'AddressSanitizer|runtime error|LeakSanitizer' "$D/err" ||
		fail "sanitizer report on stderr"
	[ "$(grep -c 'guest error' "$D/err")" = 1 ] &&
		grep -qx 'microrun: virtio-console at 0xd0000000: guest error: malformed chain dropped (Bad address) (reported once per device reset, 8 times at most)' "$D/err" ||
		fail "not exactly one report, of the transmit buffer outside RAM"
}

# t_v9p KERNEL rw|ro: version, attach, walk, lopen, read of a file in an
# export, printed exactly; ways out of the export ("..", a relative and an
# absolute symlink to a file beside it) refused; opening for writing
# refused with EROFS (30) on a read-only export; malformed messages and
# chains refused (tests/guests/p9hostile.c), a split one served, and the
# file read again afterwards. Both files untouched.
t_v9p() {
	local opt="" wopen=Rlopen
	if ! "$MR" --help 2>&1 | grep -q -e '--9p'; then
		skipwhy="microrun has no --9p yet"
		return
	fi
	need "$G/$1"
	mkdir "$D/export"
	printf 'hello from the host over 9p\n' >"$D/export/hello.txt"
	printf 'secret: outside the export\n' >"$D/outside.txt"
	ln -s ../outside.txt "$D/export/rel"
	ln -s "$D/outside.txt" "$D/export/abs"
	cp "$D/export/hello.txt" "$D/hello.before"
	cp "$D/outside.txt" "$D/outside.before"
	[ "$2" = ro ] && opt=,ro wopen="Rlerror 30"
	mr --9p "$D/export,tag=hostshare$opt" -k "$G/$1"
	status_is 0
	out_is "v9p: virtio-9p found, tag hostshare
v9p: Rversion msize 8192 9P2000.L
v9p: Rattach qid type 0x80
v9p: Rwalk hello.txt: 1 qid, type 0x0
v9p: walk missing.txt: Rlerror 2
v9p: walk ../outside.txt: refused
v9p: open symlink rel -> ../outside.txt: refused
v9p: open symlink abs -> outside.txt's absolute path: refused
v9p: open hello.txt for writing: $wopen
v9p: Rlopen qid type 0x0
v9p: Rread 28 bytes: hello from the host over 9p
v9p: hostile size field 100 bytes past the message: refused
v9p: hostile size field 4: refused
v9p: hostile size field 2^32-1: refused
v9p: hostile message of 5 bytes: refused
v9p: hostile unknown message type 250: refused
v9p: hostile Twalk name running past the message: refused
v9p: hostile Twalk of 17 names: refused
v9p: hostile Twalk of one name with slashes, ../outside.txt: refused
v9p: hostile Twalk to a newfid in use: refused
v9p: hostile Tread of a fid never made: refused
v9p: hostile Tattach to a fid in use: refused
v9p: hostile Tlopen of the export's root for writing: refused
v9p: hostile Tread of a fid not opened: refused
v9p: hostile Tread of 2^32-1 bytes: handled
v9p: hostile R-buffer of 4 bytes: refused
v9p: hostile R-buffer device-readable: refused
v9p: hostile T-message device-writable: refused
v9p: hostile Tread and Rread split across three buffers each: Rread 28 bytes: hello from the host over 9p
v9p: still serving
v9p: Rlopen qid type 0x0
v9p: Rread 28 bytes: hello from the host over 9p
v9p: done
"
	err_quiet
	disk_is "$D/export/hello.txt" "$D/hello.before" "hello.txt changed"
	disk_is "$D/outside.txt" "$D/outside.before" "the file outside the export changed"
}

# t_status KERNEL WORDS STATUS OUTPUT: the status guest (tests/guests/status.c)
# drives the exit-status port as WORDS (commas for spaces) say; microrun
# must exit with STATUS and say nothing on stderr unless the init reported
# a failure; stdout must be exactly what OUTPUT names: the port's
# signature (sig), the fake status lines (fake), each followed by the
# guest's "no status" when it powered off (sig+off, fake+off), or nothing.
t_status() {
	local sig=$'signature 0x5453524d\n' off=$'no status\n'
	local fake=$'microrun: the program exited with status 42\nexit status 42\n'
	need "$G/$1"
	mr -a "${2//,/ }" -k "$G/$1"
	status_is "$3"
	case $4 in
	sig) out_is "$sig" ;;
	sig+off) out_is "$sig$off" ;;
	fake+off) out_is "$fake$off" ;;
	none) out_empty ;;
	esac
	case $3 in
	120|126|127) err_message "the guest's init could not" ;;
	*) err_quiet ;;
	esac
}

# status 0 through the port and a plain poweroff both exit 0; -v tells
# which it was
t_status_zero_vs_poweroff() {
	need "$G/$1"
	mr -v -a 'w=0' -k "$G/$1"
	status_is 0
	grep -qx 'microrun: the program exited with status 0' "$D/err" ||
		fail "-v does not report the program's status 0"
	! grep -q 'powered off' "$D/err" || fail "a reported status 0 was taken for a poweroff"
	mr -v -k "$G/$1"
	status_is 0
	grep -qx 'microrun: guest powered off (ACPI S5)' "$D/err" ||
		fail "-v does not report the plain poweroff"
	! grep -q 'the program exited' "$D/err" || fail "a poweroff was taken for a program status"
}

# --timing: the status guest writes the init's phases (one repeated, one
# out of range) and then status 5; every phase is reported, in order of
# time, with the exits and microrun's share, once.
t_status_timing() {
	local name t prev=0
	need "$G/$1"
	mr --timing -a 'w=401 w=402 w=402 w=403 w=499 w=404 w=5' -k "$G/$1"
	status_is 5
	for name in prepared vm-built confined first-run first-exit init-start root-mounted program-start program-exit \
		vm-end exit; do
		t=$(sed -n "s/^microrun: timing: $name \([0-9.]*\) ms .*/\1/p" "$D/err")
		if [ -z "$t" ]; then
			fail "--timing reports no time for $name"
			continue
		fi
		awk -v a="$prev" -v b="$t" 'BEGIN { exit !(a <= b) }' ||
			fail "--timing: $name at $t ms, before the previous phase ($prev ms)"
		prev=$t
	done
	[ "$(grep -cE '^microrun: timing: vmm-share [0-9.]+ %' "$D/err")" = 1 ] ||
		fail "--timing reports the VMM share not exactly once"
	grep -qE '^microrun: exits: io [0-9]+, handled in [0-9.]+ ms$' "$D/err" ||
		fail "--timing does not report the port I/O exits with their time"
	! grep -q 'not reached' "$D/err" || fail "--timing missed a phase"
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

# t_stalled_reader GUEST WCHANS [ARGS...]: SIGTERM while stdout is a pipe
# nobody reads, once a thread of microrun sleeps in each kernel function of
# WCHANS, a comma-separated list (names in /proc/PID/task/*/wchan): a vCPU
# in write(2) to the full pipe (pipe_write), or a device thread there
# holding its device's lock while a vCPU waits for it (pipe_write,futex).
# microrun must still end at once with 143. The test holds the fifo open
# read-write so microrun's open does not wait, and never reads it.
t_stalled_reader() {
	local fifo=$D/fifo guest=$1 wchans=$2 fd bg pid
	shift 2
	need "$G/$guest"
	mkfifo "$fifo" || { fail "mkfifo failed"; return; }
	exec {fd}<>"$fifo"
	bounded sh -c 'echo $$ >"$1"; shift; exec "$@"' sh "$D/pid" \
		"$MR" --no-shell -k "$G/$guest" "$@" >"$fifo" 2>"$D/err" </dev/null &
	bg=$!
	# Filling the pipe takes the emulated guest 2 s idle, 11 s on a loaded
	# 2-core machine: poll (gently, not to slow the guest) until LIMIT-5.
	# shellcheck disable=SC2016,SC2086 # $1 is the inner shell's; WCHANS split
	if timeout $((LIMIT - 5)) sh -c 'f=$1; shift
		seen() { for w; do grep -qs "$w" /proc/"$(cat "$f")"/task/*/wchan || return 1; done; }
		until [ -s "$f" ] && seen "$@"; do sleep 0.1; done' sh "$D/pid" ${wchans//,/ }; then
		pid=$(cat "$D/pid")
		kill -s TERM "$pid"
	else
		fail "microrun's threads never all slept in: $wchans"
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
		"$MR" --no-shell -k "$G/hello.elf" >"$D/out" 2>"$D/err" </dev/null
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

# shellcheck source=tests/lib/cases.sh
. "$(dirname "$0")/../lib/cases.sh"

for k in bootcheck.elf bootcheck.bzImage bootcheck-unaligned.bzImage; do
	add "$k -m 256M -a 'foo=bar quiet': state, zero page, cmdline, e820" \
		t_bootcheck_256m "$k"
done
for k in bootcheck.elf bootcheck.bzImage; do
	add "$k -m 4G: e820 with RAM above 3 GiB moved above 4 GiB" \
		t_bootcheck_4g "$k"
done
add "bootcheck.elf -d A -d B,ro: no virtio_mmio.device= words (ACPI has them)" \
	t_bootcheck_disks_cmdline bootcheck.elf on
add "bootcheck.bzImage -d A -d B,ro -a acpi=off: both disks as virtio_mmio.device=" \
	t_bootcheck_disks_cmdline bootcheck.bzImage off
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
add "vblk.elf -d FILE,serial=ID: read, write, flush, serial, capacity; file holds the guest's sectors" \
	t_vblk vblk.elf rw mr-serial-0042
add "vblk.bzImage -d FILE,serial=(20 characters): the whole serial, no NUL" \
	t_vblk vblk.bzImage rw twenty-chars-serial1
add "vblk.elf -d FILE,ro: write answered IOERR, file untouched, capacity rounded down" \
	t_vblk vblk.elf ro -
for f in elf bzImage; do
	add "vhostile.$f -m 4G, two disks: $VHOSTILE_CASES hostile cases, microrun silent, files as expected" \
		t_vhostile "vhostile.$f"
done
add "vhostile.elf -v: each disk's first guest error named, at most one report a reset" \
	t_vhostile vhostile.elf -v
for f in elf bzImage; do
	add "vcons.$f -a console=hvc0: $VCONS_CASES hostile console cases, then one line on stdout exactly" \
		t_vcons "vcons.$f"
done
add "vcons.elf -v: the console's first guest error named once, until the reset" \
	t_vcons vcons.elf -v
add "v9p.elf --9p DIR,tag=hostshare: version, attach, walk, lopen, read; no way out of the export" \
	t_v9p v9p.elf rw
add "v9p.bzImage --9p DIR,tag=hostshare,ro: the same, and opening for writing answers EROFS" \
	t_v9p v9p.bzImage ro
for f in elf bzImage; do
	add "status.$f writes 42 to the exit-status port: status 42" \
		t_status "status.$f" sig,w=2a 42 sig
	add "status.$f prints a fake status line on the UART, powers off: status 0" \
		t_status "status.$f" fake 0 fake+off
done
add "status.elf reports death by signal 9: status 137" t_status status.elf w=109 137 none
add "status.elf reports an init failure (modules): status 120 and a message" \
	t_status status.elf w=203 120 none
add "status.elf reports program not found: status 127" t_status status.elf w=209 127 none
add "status.elf reports program not executable: status 126" t_status status.elf w=20a 126 none
add "status.elf byte write, bad value, then 7 and 8: only 7 counts" \
	t_status status.elf b=2a,w=12345,w=7,w=8 7 none
add "status.elf writes no status: a plain poweroff, status 0" t_status status.elf sig 0 sig+off
add "status.elf: status 0 reported vs plain poweroff, told apart by -v" \
	t_status_zero_vs_poweroff status.elf
add "status.elf --timing: phases from the port, in order, exits and VMM share" \
	t_status_timing status.elf
add "microrun --bogus: status 2, one-line message" t_bogus_option
add "microrun -k /nonexistent: status 1, names the file" t_missing_kernel
add "empty kernel file: status 1" t_bad_kernel empty
add "truncated bzImage (600 bytes): status 1" t_bad_kernel truncated
add "random-bytes kernel: status 1" t_bad_kernel random
add "unprivileged user without /dev/kvm access: status 1, says how to fix" t_kvm_denied
add "spin.elf into a pipe nobody reads, SIGTERM: status 143" t_stalled_reader spin.elf pipe_write
add "hvcflood.elf -a console=hvc0 into a pipe nobody reads, the console's thread in write(2), the vCPU waiting for its lock; SIGTERM: status 143" \
	t_stalled_reader hvcflood.elf pipe_write,futex -a console=hvc0
add "halt.elf -d DISK as root: every thread without capabilities, no_new_privs, seccomp" \
	t_confined halt.elf
add "halt.elf -d DISK --no-seccomp as root: capabilities dropped, no seccomp filter" \
	t_confined halt.elf --no-seccomp
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

# every case starts with empty output files and no status
case_setup() {
	: >"$D/out"
	: >"$D/err"
	st=""
}

case_evidence() {
	echo "#   exit status: $st"
	echo "#   stdout:"
	head -n 40 "$D/out" | cat -v | sed 's/^/#     /'
	echo "#   stderr:"
	head -n 40 "$D/err" | cat -v | sed 's/^/#     /'
}

cases_run
