#!/usr/bin/env bash
# Side-by-side benchmark (`make bench-e2e`): Debian's stock bzImage booted
# to its root-mount panic under microrun and under QEMU's microvm machine,
# on the same real KVM, with the same memory, CPU count and kernel command
# line. Prints figures, judges nothing.
#
#   tests/bench/e2e-compare.sh MICRORUN
#
# Each VMM boots the kernel BENCH_RUNS times (default 5), the two taking
# turns, after one uncounted warm-up boot each. Per boot, linetime.c stamps
# each console line and gives wait4()'s rusage; the table has the median
# (min-max) of the boots that reached the panic, and the ratio of the
# medians, microrun/QEMU:
#   - time from fork to the kernel's first line ("Linux version", printed
#     by earlyprintk), to "Kernel panic - not syncing: VFS", to the VMM's
#     exit (microrun resets through the i8042, QEMU through the ACPI reset
#     register: microvm has no i8042, and reboot=k would poll for one);
#   - peak RSS and CPU time (user + system, guest time included) of the VMM;
#   - microrun's VM exits by kind, as its -v reports them (those that reach
#     microrun);
#   - then one more boot of each, untimed, with a histogram on KVM's
#     kvm_exit tracepoint: every exit from the guest by its hardware reason,
#     for both VMMs alike (only where tracefs is writable: in the outer VM).
# Rows for what microrun cannot do yet (a 9p root, running a program) say
# "n/a" with the feature; neither VMM gets a 9p root or a disk meanwhile.
#
# Where the host has no vmx/svm, it all runs in the e2e suite's outer VM
# (tests/e2e/outer.sh: QEMU-TCG with an emulated AMD SVM): a KVM nested in
# an emulator, where exits cost far more than on hardware. There the VMMs,
# their libraries, QEMU's firmware and the kernel are first copied to RAM
# and bind-mounted over their paths: the outer VM's 9p root has no page
# cache, and every exec would read them anew.
#
# Bounded: each boot by BENCH_E2E_LIMIT (seconds, default 90; a boot that
# takes longer is killed and left out), the outer VM by the sum of those.
# Environment: BENCH_RUNS, BENCH_E2E_LIMIT, MICRORUN_E2E_MODE=direct|nested
# (as for tests/e2e/run.sh), MICRORUN_TEST_KEEP=1 keeps the raw figures;
# BENCH_E2E_NESTED=1 is set for the inner part in the outer VM.
#
# The part on the real KVM is this script run as
#   e2e-compare.sh --inner MICRORUN BZIMAGE LINETIME
# which prints raw figures ("run ...", "exits ...", "trace ...", "note ...").
set -u -o pipefail

here=$(cd "$(dirname "$0")" && pwd)

RUNS=${BENCH_RUNS:-5}
LIMIT=${BENCH_E2E_LIMIT:-90}
MEM=512M
# microrun's defaults spelled out, so that it adds nothing; QEMU gets the
# same but for the reset method.
CMDLINE='panic=-1 console=ttyS0 pci=off earlyprintk=serial,ttyS0,115200'
# microvm as close to microrun's machine as its options go: no PIT and no
# PIC (microrun has neither), a CMOS RTC, the 16550 at 0x3f8, ACPI tables,
# one I/O APIC, no option ROMs. Its irqchip is split, as microrun's.
QEMU_MACHINE=microvm,pit=off,pic=off,rtc=on,isa-serial=on,acpi=on,ioapic2=off,x-option-roms=off
PANIC_RE='Kernel panic - not syncing: VFS'

# --- the part on the real KVM --------------------------------------------

# boot VMM N CMD...: one boot under linetime: its "run" line, and for
# microrun its "exits" lines.
boot() {
	local vmm=$1 n=$2 d=$itmp/$1-$2 sum marks
	shift 2
	sum=$("$LINETIME" "$d.out" timeout -s KILL "$LIMIT" "$@" </dev/null 2>"$d.err") ||
		{ echo "note $vmm boot $n: linetime failed: $(tail -n 2 "$d.err")"; return; }
	marks=$(awk -v re="$PANIC_RE" '
		!f && /Linux version/ { f = $1 }
		!p && $0 ~ re { p = $1 }
		END { print (f == "" ? "-" : f), (p == "" ? "-" : p) }' "$d.out")
	# run VMM N FIRST PANIC EXIT STATUS MAXRSS_KIB USER SYS
	echo "run $vmm $n $marks $sum"
	if [[ $marks == *' -' ]]; then
		echo "note $vmm boot $n: no \"$PANIC_RE\"; last lines:"
		tail -n 4 "$d.out" "$d.err" | tr -d '\r' | sed 's/^/note   | /'
	fi
	[[ $vmm == microrun ]] || return 0
	sed -nE "s/^microrun: exits: ([a-z-]+) ([0-9]+)$/exits $n \\1 \\2/p
		s/^microrun: exits: unhandled port I\\/O ([0-9]+), unhandled MMIO ([0-9]+)$/exits $n io-to-no-device \\1\\nexits $n mmio-to-no-device \\2/p" "$d.err"
}

# ram_copies FILE...: each file copied to tmpfs and bind-mounted over
# itself (the outer VM's mounts are its own).
ram_copies() {
	local f n=0
	mkdir -p "$itmp/ram"
	for f in $(realpath -e "$@" | sort -u); do
		n=$((n + 1))
		cp "$f" "$itmp/ram/$n" && mount --bind "$itmp/ram/$n" "$f" && BOUND+=("$f")
	done
	echo "note ${#BOUND[@]} of $n files (the VMMs, their libraries, QEMU's firmware, the kernel) in RAM"
}

# The shared libraries program $1 loads, the dynamic loader included.
libraries() {
	ldd "$1" | awk '$3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }'
}

# trace VMM CMD...: "trace VMM REASON COUNT" for the exits of one boot,
# from a histogram on kvm_exit, counted in the kernel.
trace() {
	local vmm=$1 trig=/sys/kernel/tracing/events/kvm/kvm_exit/trigger hist='hist:keys=exit_reason:size=512'
	shift
	echo "$hist" >>"$trig" || { echo "note cannot set a histogram in $trig"; return; }
	"$LINETIME" "$itmp/trace.out" timeout -s KILL "$LIMIT" "$@" </dev/null >/dev/null 2>&1
	sed -nE "s/^\\{ exit_reason: *([0-9]+) *\\} hitcount: *([0-9]+)/trace $vmm \\1 \\2/p" "${trig%trigger}hist"
	echo "!$hist" >>"$trig"
}

inner() {
	local microrun=$1 bz=$2 qemu n f
	LINETIME=$3 BOUND=()
	itmp=$(mktemp -d) || exit 1
	trap 'for f in "${BOUND[@]}"; do umount "$f"; done; rm -rf "$itmp"' EXIT
	echo "note the VMMs ran on $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), kernel $(uname -r), transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
	qemu=$(command -v qemu-system-x86_64)
	# shellcheck disable=SC2046 # paths without blanks, one a line
	[[ -z ${BENCH_E2E_NESTED-} ]] || ram_copies "$microrun" "$qemu" "$bz" \
		/usr/share/qemu/bios-microvm.bin $(libraries "$microrun") $(libraries "$qemu")
	local mr=("$microrun" -v -m "$MEM" -c 1 -k "$bz" -a "$CMDLINE reboot=k")
	local qm=("$qemu" -M "$QEMU_MACHINE" -enable-kvm -cpu host -m "$MEM" -smp 1
		-nodefaults -no-user-config -nographic -serial stdio -no-reboot
		-kernel "$bz" -append "$CMDLINE reboot=a")
	echo "note microrun: ${mr[*]}"
	echo "note QEMU: ${qm[*]}"
	for ((n = 0; n <= RUNS; n++)); do
		boot microrun "$n" "${mr[@]}"
		boot qemu "$n" "${qm[@]}"
	done
	for f in microrun qemu; do
		echo "note $f: the kernel's $(grep -m 1 -o 'Command line: .*' "$itmp/$f-0.out" | tr -d '\r')"
	done
	# Only in the outer VM: its tracing is its own to change.
	[[ -n ${BENCH_E2E_NESTED-} ]] || return 0
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	grep -qw svm /proc/cpuinfo && echo "note svm"
	trace microrun "${mr[@]}"
	trace qemu "${qm[@]}"
}

# --- the table -----------------------------------------------------------

# The raw figures on stdin; the notes and the table on stdout.
table() {
	awk -v runs="$RUNS" '
	function sort(a, n,   i, j, t) {
		for (i = 2; i <= n; i++)
			for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
	}
	# "median (min-max)" of the figures of VMM v, metric m; MED the median
	function cell(v, m, fmt,   n, i, a) {
		n = cnt[v, m]; MED = ""
		if (!n) return "-"
		for (i = 1; i <= n; i++) a[i] = val[v, m, i]
		sort(a, n)
		MED = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
		return sprintf(fmt " (" fmt "-" fmt ")", MED, a[1], a[n])
	}
	function ratio(a, b) { return a != "" && b != "" && b != 0 ? sprintf("%.2f", a / b) : "-" }
	function row(title, m, fmt,   a, ma) {
		a = cell("microrun", m, fmt); ma = MED
		printf W, title, a, cell("qemu", m, fmt), ratio(ma, MED)
	}
	function add(v, m, x) { val[v, m, ++cnt[v, m]] = x }
	# AMD SVM exit codes (APM vol. 2, appendix C)
	function reason(r) {
		if (!svm) return "reason " r
		if (r in svmname) return svmname[r]
		if (r < 32) return "cr" r % 16 (r < 16 ? "-read" : "-write")
		if (r < 64) return "dr" r % 16 (r < 48 ? "-read" : "-write")
		if (r < 96) return "exception " r - 64
		return "reason " r
	}
	BEGIN {
		W = "%-40s %-24s %-24s %s\n"
		split("96 intr 97 nmi 98 smi 99 init 100 vintr 101 cr0-sel-write 114 cpuid 119 pause 120 hlt 123 io 124 msr 127 shutdown 137 wbinvd 141 xsetbv 1024 npf", t)
		for (i = 1; i in t; i += 2) svmname[t[i]] = t[i + 1]
	}
	$1 == "note" && $2 == "svm" { svm = 1; next }
	$1 == "note" { sub(/^note /, "# "); print; next }
	$1 == "run" {
		# run VMM N FIRST PANIC EXIT STATUS MAXRSS_KIB USER SYS
		v = $2; status[v] = status[v] " " $7
		if ($3 == 0 || $5 == "-") next
		ok[v]++; good[v, $3] = 1
		if ($4 != "-") add(v, "first", $4)
		add(v, "panic", $5); add(v, "exit", $6)
		add(v, "rss", $8 / 1024); add(v, "cpu", $9 + $10)
		next
	}
	$1 == "exits" { exits[$2, $3] = $4; kinds[$3] = 1; next }
	$1 == "trace" { tr[$2, $3] += $4; trsum[$2] += $4; keys[$3] = 1; traced = 1; next }
	END {
		for (v in status)
			printf "# %s: %d of %d counted boots reached the panic; exit statuses (warm-up first):%s\n", \
				v, ok[v], runs, status[v]
		printf "\n" W, "median (min-max) of " runs " boots", "microrun", "QEMU microvm", "microrun/QEMU"
		row("fork -> first line (Linux version), s", "first", "%.2f")
		row("fork -> root-mount panic, s", "panic", "%.2f")
		row("fork -> exit after the panic, s", "exit", "%.2f")
		printf W, "9p root -> a program'"'"'s first output", "n/a (9p, run a program)", "n/a", "-"
		printf W, "fork -> exit for `true`", "n/a (run a program)", "n/a", "-"
		row("peak RSS, MiB", "rss", "%.1f")
		row("host CPU time (user+sys), s", "cpu", "%.2f")
		n = 0
		for (k in kinds) order[++n] = k
		sort(order, n)
		for (i = 1; i <= n; i++) {
			for (r = 1; r <= runs; r++)
				if (("microrun", r) in good) add("microrun", "x" order[i], exits[r, order[i]] + 0)
			printf W, "microrun -v exits: " order[i], cell("microrun", "x" order[i], "%d"), "-", "-"
		}
		if (!traced) exit
		printf "%s\n", "# one more boot each, untimed: all exits, from KVM'"'"'s kvm_exit tracepoint"
		printf W, "exits (kvm_exit), all", trsum["microrun"] + 0, trsum["qemu"] + 0, ratio(trsum["microrun"], trsum["qemu"])
		n = 0
		for (k in keys) rs[++n] = k + 0
		sort(rs, n)
		for (i = 1; i <= n; i++)
			printf W, "  " reason(rs[i]), tr["microrun", rs[i]] + 0, tr["qemu", rs[i]] + 0, \
				ratio(tr["microrun", rs[i]], tr["qemu", rs[i]])
	}'
}

# --- the outer part --------------------------------------------------------

OUTER_PID='' tmp=''

cleanup() {
	# timeout(1) passes SIGTERM on to QEMU, SIGKILL 10 s later
	[[ -z $OUTER_PID ]] || { kill -TERM "$OUTER_PID"; wait "$OUTER_PID"; }
	[[ -z $tmp || -n ${MICRORUN_TEST_KEEP-} ]] || rm -rf "$tmp"
}

# The inner part in the outer VM, its figures into $tmp/results.
run_nested() {
	local path st limit=$(((RUNS + 2) * 2 * (LIMIT + 5) + 180)) start=$SECONDS
	for path in "$MICRORUN" "$here" "$MRK_BZIMAGE" "$tmp"; do
		! hidden_in_outer_vm "$path" ||
			{ echo "# $path is where the outer VM has its own /proc, /sys, /dev or /run: no figures"; return; }
	done
	printf 'export BENCH_RUNS=%q BENCH_E2E_LIMIT=%q BENCH_E2E_NESTED=1\nexec %q --inner %q %q %q\n' \
		"$RUNS" "$LIMIT" "$here/e2e-compare.sh" "$MICRORUN" "$MRK_BZIMAGE" "$tmp/linetime" |
		outer_initrd "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}" "$tmp/initrd" ||
		{ echo "# could not build the outer VM's initramfs: no figures"; return; }
	echo "# outer VM: QEMU-TCG -cpu qemu64,+svm,+npt, $OUTER_CPUS vCPUs, $OUTER_MEM; at most $limit s" >&2
	outer_start "$MRK_BZIMAGE" "$tmp/initrd" "$tmp" "$limit"
	follow_outer $((LIMIT + 120))
	# The job has ended, or the outer VM went silent: its power-off has
	# been seen to hang, and so has the outer VM itself.
	kill -TERM "$OUTER_PID"
	wait "$OUTER_PID"
	st=$?
	OUTER_PID=''
	echo "# outer VM: ended after $((SECONDS - start)) s, QEMU exit status $st"
	grep -q '^e2e-outer: done' "$tmp/results" ||
		{ echo "# the outer VM did not finish the job; its console ends:"; tail -n 5 "$tmp/console" | sed 's/^/#   | /'; }
}

# Progress on stderr, one line a boot, until the job's end marker, or
# until nothing came for $1 seconds (a boot reports within LIMIT).
follow_outer() {
	local fd line vmm n panic st
	exec {fd}< <(exec tail -n +1 -f --pid="$OUTER_PID" "$tmp/results")
	while :; do
		IFS= read -r -t "$1" -u "$fd" line
		st=$?
		((st == 0)) || break
		case $line in
		'e2e-outer: '*) break ;;
		'run '*)
			read -r _ vmm n _ panic _ <<<"$line"
			echo "# boot $n under $vmm: the panic line at $panic s" >&2
			;;
		esac
	done
	((st <= 128)) || echo "# nothing from the outer VM for $1 s: stopped it"
	exec {fd}<&-
}

main() {
	if [[ ${1-} == --inner && $# == 4 ]]; then
		inner "$2" "$3" "$4"
		return
	fi
	if (($# != 1)) || [[ ! -x $1 ]]; then
		echo "usage: $0 MICRORUN (an executable)" >&2
		exit 2
	fi
	MICRORUN=$(realpath "$1")
	# shellcheck source=tests/realkernel/kernel.sh
	. "$here/../realkernel/kernel.sh"
	# shellcheck source=tests/e2e/outer.sh
	. "$here/../e2e/outer.sh"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	choose_mode
	[[ $MODE != nested || -z $(nested_missing) ]] || MODE=skip WHY="$WHY; for the outer VM, $(nested_missing)"
	command -v qemu-system-x86_64 >/dev/null || MODE=skip WHY="no qemu-system-x86_64 (Debian: qemu-system-x86)"
	[[ $MODE == skip ]] && { echo "# no figures: $WHY"; return 0; }
	mrk_get_kernel || { echo "# no figures: $MRK_SKIP_REASON"; return 0; }
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/microrun-bench-e2e.XXXXXX") || exit 1
	cc -O2 -o "$tmp/linetime" "$here/linetime.c" || exit 1
	echo "# $(date -u '+%F %H:%M UTC'); host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "# Debian $MRK_VERSION bzImage, $MEM, 1 vCPU, to the root-mount panic; on $MODE KVM ($WHY)"
	[[ -z ${MICRORUN_TEST_KEEP-} ]] || echo "# raw figures kept in $tmp"
	local start=$SECONDS
	if [[ $MODE == direct ]]; then
		"$here/e2e-compare.sh" --inner "$MICRORUN" "$MRK_BZIMAGE" "$tmp/linetime" >"$tmp/results"
	else
		run_nested
	fi
	table <"$tmp/results"
	echo "# $((SECONDS - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

main "$@"
