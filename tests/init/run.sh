#!/usr/bin/env bash
# The built-in guest init (boot/init/) booted for real, before microrun
# can run it itself: QEMU-TCG boots Debian's stock kernel with an initramfs
# of the init, its configuration (written by BUILD/mkconfig) and the
# modules it needs for QEMU's virtio-pci 9p and overlayfs; the host's / is
# the read-only 9p root and a temporary directory is shared writable.
#
#   tests/init/run.sh BUILD   (BUILD/init/microrun-init, BUILD/mkconfig,
#                             BUILD/port_probe)
#
# QEMU has no exit-status port, so the init says on the console what it
# would have written there ("status KIND:VALUE lost", KIND and VALUE as in
# devices/status_port.h) and powers off; the cases check that line, the
# program's output, and what reached the host. Prints "ok N - ..." or
# "not ok N - ..." per case, then "N passed, N failed[, N skipped]".
# Without qemu-system-x86_64 or Debian's kernel every case is skipped.
# Each boot is bounded (MICRORUN_INIT_CASE_LIMIT, 150 s: 20 s here when
# the machine is otherwise idle).
set -u -o pipefail

if [ $# -ne 1 ]; then
	echo "usage: $0 BUILD" >&2
	exit 2
fi
BUILD=$1
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/realkernel/kernel.sh
. "$here/../realkernel/kernel.sh"
# shellcheck source=tests/e2e/outer.sh
. "$here/../e2e/outer.sh"
LIMIT=${MICRORUN_INIT_CASE_LIMIT:-150}
# run in the guest, whose root is the host's: at its absolute path
PROBE=$(cd "$BUILD" 2>/dev/null && pwd)/port_probe
# QEMU's 9p is virtio-pci; the 9p client and overlayfs are modules in
# Debian's kernel. Dependencies come first (outer.sh's stage_module).
MODULES=(virtio_pci 9pnet_virtio 9p overlay)

TMP=$(mktemp -d "${TMPDIR:-/tmp}/microrun-init.XXXXXX") || exit 1
trap 'rm -rf "$TMP"' EXIT

# stage_modules KVER KROOT: $TMP/base/microrun/modules/NN-name.ko, and
# MODPATHS, their paths inside the initramfs in load order.
stage_modules() {
	local kver=$1 kroot=$2 path name nstaged=0
	local stage=$TMP/base moddir=$kroot/lib/modules/$kver index=$TMP/index
	local -A staged=()
	mkdir -p "$stage/modules" || return 1
	find "$moddir/kernel" -name '*.ko*' | while IFS= read -r path; do
		name=${path##*/}
		name=${name%%.ko*}
		printf '%s %s\n' "${name//-/_}" "$path"
	done >"$index"
	for name in "${MODULES[@]}"; do
		stage_module "$name" || return 1
	done
	mkdir -p "$stage/microrun"
	mv "$stage/modules" "$stage/microrun/modules"
	MODPATHS=()
	for path in "$stage"/microrun/modules/*.ko; do
		MODPATHS+=("/microrun/modules/${path##*/}")
	done
}

# boot D MKCONFIG-ARGS...: the init and the staged modules, with the
# configuration from mkconfig (its -m options for the modules given
# first), booted once; the console in D/console.
boot() {
	local d=$1 mods=() m
	shift
	for m in "${MODPATHS[@]}"; do
		mods+=(-m "$m")
	done
	rm -rf "$d/stage"
	cp -a "$TMP/base" "$d/stage" &&
		cp "$BUILD/init/microrun-init" "$d/stage/init" &&
		"$BUILD/mkconfig" "$d/stage/microrun/config" "${mods[@]}" "$@" ||
		{ fail "cannot build the initramfs"; return; }
	[ -z "${CORRUPT-}" ] || truncate -s -1 "$d/stage/microrun/config"
	(cd "$d/stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet) >"$d/initrd" ||
		{ fail "cpio failed"; return; }
	timeout -k 5 "$LIMIT" qemu-system-x86_64 -accel tcg -m 1G \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$MRK_BZIMAGE" -initrd "$d/initrd" \
		-append 'console=ttyS0 quiet panic=-1 tsc=reliable' \
		-chardev "file,id=con,path=$(qemu_escape "$d/console")" -serial chardev:con \
		-virtfs local,path=/,mount_tag=root,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$(qemu_escape "$SHARE"),mount_tag=rw0,security_model=none" \
		</dev/null >"$d/qemu.log" 2>&1
	local st=$?
	[ "$st" = 0 ] || fail "qemu exited $st (124: no poweroff within ${LIMIT}s)"
}

fail() {
	why+=("$*")
}

# the console has this exact line
has_line() {
	tr -d '\r' <"$D/console" | grep -qxF -e "$1" || fail "console lacks the line: $1"
}

# the console has a line starting so (strerror's text is libc's)
has_line_starting() {
	local line
	while IFS= read -r line; do
		[[ ${line%$'\r'} != "$1"* ]] || return 0
	done <"$D/console"
	fail "console lacks a line starting: $1"
}

status_is() {
	has_line "microrun-init: no microrun exit-status port at 0x604: powering off, status $1 lost"
}

# --- the cases --------------------------------------------------------------

t_program() {
	local script='echo "argv: $0 $1"; echo "cwd: $(pwd)"; echo "host: $(hostname)";
echo "env: FOO=$FOO HOME=$HOME"; echo "pid1: $(cat /proc/1/comm)";
echo x >/etc/microrun-vanish && echo "wrote /etc";
echo kept >"$1/out"; mount | grep -c " on /tmp type tmpfs" | sed "s/^/tmpfs: /";
exit 42'
	boot "$D" -C /usr/share -H guesty -e 'FOO=bar baz' -e HOME=/root -e PATH=/usr/bin:/bin \
		-s "rw0:$SHARE" -- /bin/sh -c "$script" one "$SHARE"
	has_line "argv: one $SHARE"
	has_line "cwd: /usr/share"
	has_line "host: guesty"
	has_line "env: FOO=bar baz HOME=/root"
	has_line "pid1: init"
	has_line "wrote /etc"
	has_line "tmpfs: 1"
	status_is 0:42
	[ ! -e /etc/microrun-vanish ] || fail "a write to the overlay reached the host's /etc"
	[ "$(cat "$SHARE/out" 2>/dev/null)" = kept ] ||
		fail "the write to the shared directory did not reach the host"
}

t_signal() {
	boot "$D" -e PATH=/bin -- sh -c 'kill -TERM $$'
	status_is 1:15
}

# a zombie the program leaves (its child, orphaned) does not stop the init
# from reporting the program's own status
t_orphan() {
	boot "$D" -e PATH=/bin -- sh -c '(sleep 1; exit 9) & echo started; exit 3'
	has_line started
	status_is 0:3
}

# the init forwards a SIGTERM it receives (here from the program itself)
# to the program's process group
t_forward() {
	boot "$D" -e PATH=/bin -- sh -c 'trap "echo got TERM; exit 7" TERM; sleep 60 & kill -TERM 1; wait'
	has_line "got TERM"
	status_is 0:7
}

t_not_found() {
	boot "$D" -e PATH=/bin -- no-such-program
	has_line "microrun-init: cannot find the program no-such-program: No such file or directory"
	status_is 2:9
}

t_missing_module() {
	boot "$D" -m /microrun/modules/missing.ko -- /bin/true
	has_line "microrun-init: cannot open module /microrun/modules/missing.ko: No such file or directory"
	status_is 2:3
}

t_corrupt_config() {
	CORRUPT=1 boot "$D" -- /bin/true
	has_line "microrun-init: /microrun/config is malformed: truncated: a section's count is missing"
	status_is 2:1
}

# make_profile DIR GUEST-SCRIPT: a profile whose guest step is the script
# (executable), with an empty files/ tree to fill
make_profile() {
	mkdir -p "$1/files" && printf '#!/bin/sh\n%s\n' "$2" >"$1/guest" && chmod 755 "$1/guest"
}

# Two profiles under $D, which lies in the host's /tmp: the guest has a
# /tmp of its own, so each is seen through its bind from the host's root.
# Their files/ are placed before either script runs, the scripts run in
# order with the program's cwd and environment, MICRORUN_PROFILE, stdin on
# /dev/null, and the program sees what they did.
t_profiles() {
	make_profile "$D/one" 'echo "one: $MICRORUN_PROFILE $MICRORUN_PROFILE_DIR $(pwd) FOO=$FOO"
echo "one stdin: $(readlink /proc/self/fd/0)"
echo "one sees: $(cat /etc/microrun-two)"
echo ran >/run/one-ran' &&
		make_profile "$D/two" 'echo "two: $MICRORUN_PROFILE $(cat /run/one-ran)"' &&
		mkdir -p "$D/one/files/etc" && printf 'secret\n' >"$D/one/files/etc/microrun-one" &&
		chmod 600 "$D/one/files/etc/microrun-one" &&
		mkdir -p "$D/two/files/etc" "$D/two/files/tmp/deep" &&
		printf 'from two\n' >"$D/two/files/etc/microrun-two" &&
		ln -s /etc/microrun-one "$D/two/files/tmp/deep/link" ||
		{ fail "cannot make the profiles"; return; }
	boot "$D" -C /usr -e FOO=bar -e PATH=/usr/bin:/bin -p "one:$D/one:guest+files" \
		-p "empty:$D/none:" -p "two:$D/two:guest+files" -- \
		/bin/sh -c 'echo "prog: $(stat -c %a /etc/microrun-one) $(cat /tmp/deep/link) $(stat -c %a /tmp)"; ls /run/one-ran'
	has_line "one: one $D/one /usr FOO=bar"
	has_line "one stdin: /dev/null"
	has_line "one sees: from two"
	has_line "two: two ran"
	has_line "prog: 600 secret 1777"
	has_line "/run/one-ran"
	status_is 0:0
	[ ! -e /etc/microrun-one ] || fail "a profile's file reached the host's /etc"
}

# The second profile's guest step fails: the run ends there with kind 3
# (HOW 0, exited; profile 1; its status 3), the program never runs.
t_profile_fails() {
	make_profile "$D/ok" 'echo first ran' && make_profile "$D/bad" 'echo bad ran; exit 3' ||
		{ fail "cannot make the profiles"; return; }
	boot "$D" -e PATH=/bin -p "ok:$D/ok:guest" -p "bad:$D/bad:guest" -- /bin/echo program ran
	has_line "first ran"
	has_line "bad ran"
	has_line "microrun-init: profile 'bad': $D/bad/guest exited with status 3"
	status_is 3:0:1:3
	! tr -d '\r' <"$D/console" | grep -qx "program ran" || fail "the program ran after a failed guest step"
}

# A guest script without its x bit: HOW 2 (not started), errno EACCES (13).
t_profile_not_executable() {
	make_profile "$D/p" 'echo should not run' && chmod 644 "$D/p/guest" ||
		{ fail "cannot make the profile"; return; }
	boot "$D" -e PATH=/bin -p "p:$D/p:guest" -- /bin/true
	has_line "microrun-init: profile 'p': cannot run $D/p/guest: Permission denied"
	status_is 3:2:0:13
}

# A FIFO in files/: refused, naming it; HOW 3 (files), EOPNOTSUPP (95).
t_profile_special_file() {
	mkdir -p "$D/p/files/etc" && mkfifo "$D/p/files/etc/fifo" ||
		{ fail "cannot make the profile"; return; }
	boot "$D" -e PATH=/bin -p "p:$D/p:files" -- /bin/true
	has_line_starting "microrun-init: profile 'p': cannot place $D/p/files/etc/fifo as /etc/fifo: a special file (FIFO, socket or device): only regular files, directories and symlinks are placed: "
	status_is 3:3:0:95
}

# PID 1 holds the exit-status port (ioperm), which fork and execve pass
# on: neither a profile's guest step nor the program has it (the probe's
# inl faults; with the access it reads what QEMU has at 0x604). Both are
# root and could ask for it again: what the init guarantees is that
# nothing it starts inherits it.
t_port_access() {
	# In the profile's directory, which the guest sees wherever it is: a
	# checkout under /tmp is hidden there by the guest's own /tmp.
	local probe=$D/p/port_probe
	make_profile "$D/p" "$(printf %q "$probe") profile" || { fail "cannot make the profile"; return; }
	cp "$PROBE" "$probe" || { fail "cannot copy $PROBE"; return; }
	boot "$D" -e PATH=/bin -p "p:$D/p:guest" -- "$probe" program
	has_line "profile: no access to port 0x604"
	has_line "program: no access to port 0x604"
	status_is 0:0
}

# shellcheck source=tests/lib/cases.sh
. "$here/../lib/cases.sh"
add "argv, cwd, hostname, env, overlay writes vanish, --rw write kept, exit 42" t_program
add "the program killed by SIGTERM: status 1:15" t_signal
add "an orphan left behind: the program's own status 0:3" t_orphan
add "SIGTERM sent to the init reaches the program's trap: status 0:7" t_forward
add "program not found: step 9 (microrun exits 127)" t_not_found
add "a module file missing: step 3 (microrun exits 120)" t_missing_module
add "a truncated configuration: step 1 (microrun exits 120)" t_corrupt_config
add "profiles: files/ placed, guest steps in order, seen by the program" t_profiles
add "profiles: a failing guest step ends the run: status 3:0:1:3 (microrun exits 119)" t_profile_fails
add "profiles: a guest step without x bit: status 3:2:0:13" t_profile_not_executable
add "profiles: a FIFO in files/ is refused, named: status 3:3:0:95" t_profile_special_file
add "neither a profile's guest step nor the program inherits the init's port access" t_port_access

skip=""
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip="no qemu-system-x86_64 (install qemu-system-x86)"
elif [ ! -x "$BUILD/init/microrun-init" ] || [ ! -x "$BUILD/mkconfig" ] ||
	[ ! -x "$BUILD/port_probe" ]; then
	skip="$BUILD/init/microrun-init, $BUILD/mkconfig or $BUILD/port_probe missing (make check-init)"
elif ! mrk_get_kernel; then
	skip=$MRK_SKIP_REASON
elif ! stage_modules "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}"; then
	skip="cannot stage the modules ${MODULES[*]}"
fi

# each case shares a directory of its own with the guest
case_setup() {
	SHARE=$D/share
	mkdir -p "$SHARE"
}

case_evidence() {
	echo "#   console:"
	tail -n 30 "$D/console" 2>/dev/null | cat -v | sed 's/^/#     /'
}

cases_run
