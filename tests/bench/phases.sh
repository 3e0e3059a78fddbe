#!/usr/bin/env bash
# Where the time of a run of `true` goes (`make bench-phases`): Debian's
# stock bzImage and one built with boot/microrun.config
# (tests/bench/build-kernel.sh, built once and cached: the first run takes
# an hour or more on two cores), each under `microrun --timing` and under
# QEMU's microvm on the same KVM, 512 MiB and one vCPU. Prints figures,
# judges nothing.
#
#   tests/bench/phases.sh MICRORUN
#
# microrun: `microrun --timing -m 512M -c 1 -k BZIMAGE [--modules KROOT]
# -a quiet -- true` (Debian's kernel needs its modules; the other has
# everything built in). --timing gives the phases, from the start of
# microrun's main(): the first KVM_RUN (the VMM's set-up done, the
# kernel's first instruction), the first exit microrun handles, then from
# the built-in init through the exit-status port: its first action, the
# root mounted, the program's process just before execve, the program
# reaped; then the VM's end (the status report) and microrun's return
# from main(); the exits by kind with the time microrun spent handling
# them, the device threads' busy time, and the VMM share: set-up + exit
# handling + device threads + what follows the VM's end, of the whole.
# linetime.c gives the time from fork to exit, which adds the dynamic
# loader's start and the process's teardown (counted as the VMM's in the
# table's last share row).
#
# The floor: bare_kvm.c --timing, once a round, the time the kernel's KVM
# alone takes to make a VM with one vCPU ready to run and to tear it down
# (no devices, no memory to speak of): what any VMM pays of the set-up and
# teardown rows, and its share of microrun's main -> exit.
#
# QEMU: e2e-compare.sh's run of a program (the same kernel and command
# line, the 9p root, its busybox initramfs tests/bench/qemu-init, with
# Debian's modules for Debian's kernel and none for the other, which
# gets it uncompressed: it has no decompressors for an initramfs); only
# its time from fork to exit, as QEMU reports no phases.
#
# Each of the four does BENCH_RUNS boots (default 5), in turns, after one
# uncounted warm-up round; the table has medians. Where the host has no
# vmx/svm it all runs in the e2e suite's outer VM, as e2e-compare.sh does
# (see there: a KVM nested in QEMU-TCG, where guest code and exits are
# about a hundred times slower than on hardware, so that the shares mean
# more than the times). Environment as for e2e-compare.sh.
#
# The part on the real KVM is this script run as
#   phases.sh --inner MICRORUN LINETIME BARE_KVM DEBIAN_BZIMAGE DEBIAN_QINITRD MY_BZIMAGE MY_QINITRD
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/bench/e2e-compare.sh
. "$here/e2e-compare.sh"

# The kernels and how they boot: the third is the second with acpi=off
# (the virtio devices then on the command line, no DSDT), under microrun
# alone.
KERNELS=(debian microrun.config acpi-off)
TIMING_MARKS=(prepared vm-built confined first-run first-exit init-start root-mounted program-start program-exit vm-end exit)

# microrun_true KERNEL N: one boot of `true` under microrun --timing, its
# "run" and "exits" lines (e2e-compare.sh's boot: the accesses to no
# device) and the timing figures ("timing" and "xtime" lines), each
# prefixed with "kernel KERNEL".
microrun_true() {
	local k=$1 n=$2 opts=() append=quiet err
	case $k in
	debian) opts=(--modules "${bz%/boot/*}") ;;
	acpi-off) append='quiet acpi=off' ;;
	esac
	boot microrun true "$n" "$microrun" --timing -m "$MEM" -c 1 -k "$bz" "${opts[@]}" \
		-a "$append" -- true | sed "s/^/kernel $k /"
	err=$itmp/microrun-true-$n.err
	sed -nE "s/^microrun: timing: ([a-z-]+) ([0-9.]+) ms.*/kernel $k timing $n \\1 \\2/p
		s/^microrun: timing: (exit-handling|device-threads) ([0-9.]+) ms$/kernel $k timing $n \\1 \\2/p
		s/^microrun: exits: ([a-z-]+) ([0-9]+), handled in ([0-9.]+) ms$/kernel $k xtime $n \\1 \\2 \\3/p" "$err"
}

qemu_true() {
	command_for qemu true "$2"
	boot qemu true "$2" "${cmd[@]}" | sed "s/^/kernel $1 /"
}

phases_inner() {
	local microrun=$1 bare=$3 k n qemu bz qinitrd itmp cmd
	# PHASES_TMP global: the EXIT trap runs after this function has returned.
	LINETIME=$2 BOUND=()
	declare -A kbz=([debian]=$4 [microrun.config]=$6 [acpi-off]=$6)
	declare -A kinitrd=([debian]=$5 [microrun.config]=$7 [acpi-off]=$7)
	PHASES_TMP=$(mktemp -d) || exit 1
	trap 'for f in "${BOUND[@]}"; do umount "$f"; done; rm -rf "$PHASES_TMP"' EXIT
	itmp=$PHASES_TMP
	echo "note the VMMs ran on $(nproc) CPUs, kernel $(uname -r)"
	qemu=$(command -v qemu-system-x86_64)
	# shellcheck disable=SC2046 # paths without blanks, one a line
	[[ -z ${BENCH_E2E_NESTED-} ]] || ram_copies "$microrun" "$qemu" "$4" "$6" "$5" "$7" \
		/usr/share/qemu/bios-microvm.bin $(libraries "$microrun") $(libraries "$qemu") \
		$(module_files "$4" "$5")
	for n in $(rounds); do
		"$bare" --timing | sed "s/^/floor $n /"
		for k in "${KERNELS[@]}"; do
			bz=${kbz[$k]} qinitrd=${kinitrd[$k]} itmp=$PHASES_TMP/$k
			mkdir -p "$itmp"
			local qm=("$qemu" -M "$QEMU_MACHINE" -enable-kvm -cpu host -m "$MEM" -smp 1
				-nodefaults -no-user-config -no-reboot -kernel "$bz")
			microrun_true "$k" "$n"
			[[ $k == acpi-off ]] || qemu_true "$k" "$n"
		done
		echo "round $n done"
	done
}

# The raw figures on stdin; the notes and the table on stdout.
phases_table() {
	awk -v runs="$RUNS" -v marks="${TIMING_MARKS[*]}" '
	function sort(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	}
	function add(k, m, x) { val[k, m, ++cnt[k, m]] = x }
	function median(k, m,   n, i, a) {
		n = cnt[k, m]
		if (!n) return ""
		for (i = 1; i <= n; i++) a[i] = val[k, m, i]
		sort(a, n)
		return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	}
	function cell(k, m, fmt,   x) { x = median(k, m); return x == "" ? "-" : sprintf(fmt, x) }
	function row(title, m, fmt) {
		printf W, title, cell("debian", m, fmt), cell("microrun.config", m, fmt), cell("acpi-off", m, fmt)
	}
	BEGIN { W = "%-52s %-14s %-16s %-16s\n"; nm = split(marks, mark, " "); split("debian microrun.config acpi-off", kname, " ") }
	$1 == "note" { sub(/^note /, "# "); print; next }
	# floor N kvm-create MS kvm-teardown MS (round 0: the warm-up)
	$1 == "floor" {
		if ($2 > 0) for (kk = 1; kk <= 3; kk++) { add(kname[kk], "kcreate", $4); add(kname[kk], "kteardown", $6) }
		next
	}
	$1 != "kernel" { next }
	# kernel K run VMM WORK N FIRST MARK EXIT STATUS MAXRSS_KIB USER SYS
	$3 == "run" {
		k = $2; v = $4; n = $6; status[k, v] = status[k, v] " " $10
		if (n == 0 || $10 != 0 || $8 == "-") next
		good[k, v, n] = 1; add(k, v "-wall", $9 * 1000); wall[k, v, n] = $9 * 1000
		next
	}
	# kernel K timing N NAME MS; kernel K xtime N KIND COUNT MS;
	# kernel K exits true N KIND COUNT (accesses to no device)
	$3 == "timing" { t[$2, $4, $5] = $6; next }
	$3 == "xtime" { xc[$2, $4, $5] = $6; xt[$2, $4, $5] = $7; kinds[$5] = 1; next }
	$3 == "exits" { xc[$2, $5, $6] = $7; kinds[$6] = 1; nodev[$6] = 1; next }
	END {
		for (k in status) { split(k, kv, SUBSEP); printf "# %s under %s: exit statuses (warm-up first):%s\n", kv[1], kv[2], status[k] }
		nk = 0
		for (x in kinds) kind[++nk] = x
		sort(kind, nk)
		for (kk = 1; kk <= 3; kk++) {
			k = kname[kk]
			for (n = 1; n <= runs; n++) {
				if (!((k, "microrun", n) in good)) continue
				for (i = 1; i <= nm; i++) if ((k, n, mark[i]) in t) add(k, mark[i], t[k, n, mark[i]])
				setup = t[k, n, "first-run"]; after = t[k, n, "exit"] - t[k, n, "vm-end"]
				handling = t[k, n, "exit-handling"]; dev = t[k, n, "device-threads"]
				add(k, "setup", setup); add(k, "after", after)
				add(k, "handling", handling); add(k, "devices", dev)
				add(k, "guest", t[k, n, "vm-end"] - setup - handling - dev)
				vmm = setup + handling + dev + after
				add(k, "share", 100 * vmm / t[k, n, "exit"])
				w = wall[k, "microrun", n]
				# Paired: the outer VM slows down over its life, both alike.
				if ((k, "qemu", n) in wall) add(k, "ratio", w / wall[k, "qemu", n])
				add(k, "share-wall", 100 * (vmm + w - t[k, n, "exit"]) / w)
				for (i = 1; i <= nk; i++) {
					add(k, "n" kind[i], xc[k, n, kind[i]] + 0); add(k, "t" kind[i], xt[k, n, kind[i]] + 0)
				}
			}
		}
		for (kk = 1; kk <= 3; kk++) {
			k = kname[kk]
			if (cnt[k, "kcreate"] && cnt[k, "exit"])
				add(k, "kfloor", 100 * (median(k, "kcreate") + median(k, "kteardown")) / median(k, "exit"))
		}
		printf "\n" W, "`true`, median of " runs " boots, ms", "Debian 6.1", "microrun.config", "same, acpi=off"
		for (i = 1; i <= nm; i++) row("since main(): " mark[i], mark[i], "%.1f")
		row("VMM set-up (main -> first KVM_RUN)", "setup", "%.1f")
		row("exit handling in microrun (vCPU thread)", "handling", "%.1f")
		row("device threads busy (9p, console, ...)", "devices", "%.1f")
		row("after the VM'"'"'s end (teardown)", "after", "%.1f")
		row("guest (first KVM_RUN -> VM end, minus the above)", "guest", "%.1f")
		row("KVM alone (bare_kvm): a VM made ready to run", "kcreate", "%.1f")
		row("KVM alone (bare_kvm): the VM torn down", "kteardown", "%.1f")
		row("KVM alone: their share of microrun'"'"'s main -> exit, %", "kfloor", "%.2f")
		row("VMM share of main -> exit, %", "share", "%.2f")
		row("VMM share of fork -> exit (+ loader, exit), %", "share-wall", "%.2f")
		row("fork -> exit (linetime), microrun", "microrun-wall", "%.0f")
		row("fork -> exit (linetime), QEMU microvm", "qemu-wall", "%.0f")
		row("fork -> exit, microrun / QEMU, ratio per round", "ratio", "%.3f")
		for (i = 1; i <= nk; i++) {
			row("exits: " kind[i] ", count", "n" kind[i], "%d")
			if (!(kind[i] in nodev)) row("exits: " kind[i] ", handled in ms", "t" kind[i], "%.2f")
		}
	}'
}

phases_main() {
	if [[ ${1-} == --inner && $# == 8 ]]; then
		phases_inner "$2" "$3" "$4" "$5" "$6" "$7" "$8"
		return
	fi
	bench_prepare "$@" || return 0
	local mybz qinitrd myqinitrd kroot=${MRK_BZIMAGE%/boot/*}
	mybz=$("$here/build-kernel.sh") || { echo "# no figures: cannot build the microrun.config kernel"; return 0; }
	if ! qinitrd=$(cached_initramfs "$MRK_VERSION" "$kroot" bench-qemu "$here/qemu-init" \
		"${PROGRAM_MODULES[@]}") ||
		! myqinitrd=$(cached_initramfs "$MRK_VERSION" "$kroot" bench-qemu-builtin "$here/qemu-init"); then
		echo "# no figures: cannot build QEMU's initramfs (busybox-static, cpio?)"
		return 0
	fi
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/microrun-bench-phases.XXXXXX") || exit 1
	gzip -dc "$myqinitrd" >"$tmp/qemu-builtin.cpio" || exit 1
	myqinitrd=$tmp/qemu-builtin.cpio
	cc -O2 -o "$tmp/linetime" "$here/linetime.c" || exit 1
	cc -O2 -o "$tmp/bare_kvm" "$here/bare_kvm.c" || exit 1
	echo "# $(date -u '+%F %H:%M UTC'); host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "# \`true\` on Debian $MRK_VERSION's bzImage and on $mybz, $MEM, 1 vCPU, on $MODE KVM ($WHY)"
	[[ -z ${MICRORUN_TEST_KEEP-} ]] || echo "# raw figures kept in $tmp"
	local start=$SECONDS inner=("$here/phases.sh" --inner "$MICRORUN" "$tmp/linetime" "$tmp/bare_kvm" "$MRK_BZIMAGE"
		"$qinitrd" "$mybz" "$myqinitrd")
	if [[ $MODE == direct ]]; then
		"${inner[@]}" >"$tmp/results"
	else
		run_nested $((2 * ${#KERNELS[@]} - 1)) "${inner[@]}"
	fi
	phases_table <"$tmp/results"
	echo "# $((SECONDS - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

phases_main "$@"
