#!/usr/bin/env bash
# Boots Debian's stock kernel under microrun for you to watch (`make demo`).
#
#   tests/realkernel/demo.sh MICRORUN
#
# On a host with vmx/svm: Debian's bzImage, which boots until it panics for
# want of a root file system ("VFS: Unable to mount root fs", exit 123).
# Without them (guest code emulated, see shared/docs/kvm-here.md): the ELF
# vmlinux inside it, which prints its early boot log and then stops at an
# instruction the emulator lacks (exit 121); the bzImage would spend minutes
# in its XZ decompressor first.
#
# The guest's output streams straight to the terminal. Exits 0 when microrun
# ends the way described above, otherwise with microrun's status.
set -u

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/realkernel/kernel.sh
. "$here/kernel.sh"

# Long enough for either boot; short enough that a hung guest ends by itself.
DEMO_TIMEOUT=${MICRORUN_DEMO_TIMEOUT:-300}
APPEND='earlyprintk=serial,ttyS0,115200'

note() {
	printf 'demo: %s\n' "$*" >&2
}

has_hw_virt() {
	grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null
}

main() {
	local microrun kernel expect why status
	if (($# != 1)); then
		echo "usage: $0 MICRORUN" >&2
		exit 2
	fi
	microrun=$1
	[[ -x $microrun ]] || { note "$microrun: not found or not executable (run make)"; exit 1; }
	mrk_get_kernel || { note "cannot get Debian's kernel: $MRK_SKIP_REASON"; exit 1; }

	if has_hw_virt; then
		kernel=$MRK_BZIMAGE expect=123
		why="booting Debian's $MRK_VERSION bzImage; with no root file system it ends in the 'VFS: Unable to mount root fs' panic (exit 123)"
	else
		kernel=$MRK_VMLINUX expect=121
		why="no vmx/svm here, so KVM emulates guest code (slow, incomplete): booting the ELF vmlinux, which prints its early boot log within about a minute and then stops at an instruction the emulator lacks (exit 121)"
	fi
	note "$why"
	note "running: $microrun -k $kernel -m 256M -a '$APPEND' --timeout $DEMO_TIMEOUT"

	"$microrun" -k "$kernel" -m 256M -a "$APPEND" --timeout "$DEMO_TIMEOUT"
	status=$?
	if ((status == expect)); then
		note "microrun exited with $status, as expected"
		exit 0
	fi
	note "microrun exited with $status; expected $expect"
	exit "$status"
}

main "$@"
