#!/usr/bin/env bash
# Side-by-side benchmark (`make bench-e2e`): Debian's stock bzImage under
# microrun and under QEMU's microvm machine, on the same real KVM, with the
# same memory and CPU count, doing the same three pieces of work: booting
# to the root-mount panic (no initramfs, no disk), and running `true` and
# `echo first-output` from the host's root over virtio-9p. Prints
# figures, judges nothing.
#
#   tests/bench/e2e-compare.sh MICRORUN
#
# Each VMM does each work BENCH_RUNS times (default 5), the two taking
# turns, after one uncounted warm-up round. Per boot, linetime.c stamps
# each line of the VMM's stdout and gives wait4()'s rusage; the table has
# the median (min-max) of the boots that did their work, and the ratio of
# the medians, microrun/QEMU:
#   - the panic: time from fork to the kernel's first line ("Linux
#     version", printed by earlyprintk), to "Kernel panic - not syncing:
#     VFS", to the VMM's exit (microrun resets through the i8042, QEMU
#     through the ACPI reset register: microvm has no i8042, and reboot=k
#     would poll for one);
#   - a program: time from fork to `echo`'s line on stdout and to the
#     VMM's exit after it, and to the exit for `true` (status 0);
#   - peak RSS and CPU time (user + system, guest time included) of the
#     VMM, for the panic and for `true`;
#   - microrun's VM exits by kind, as its -v reports them (those that reach
#     microrun), for the panic and for `true`;
#   - then one more boot of each to the panic, untimed, with a histogram
#     on KVM's kvm_exit tracepoint: every exit from the guest by its
#     hardware reason, for both VMMs alike (only where tracefs is
#     writable: in the outer VM).
#
# A program's run. microrun: `microrun -v --modules KROOT -a quiet --
# PROGRAM`, its built-in init. QEMU: the same kernel and the same command
# line (quiet, and microrun's panic=-1 console=ttyS0 pci=off; reboot=a
# for reboot=k), and equivalent devices on microvm's virtio-mmio: a
# virtio-9p export of / (`-fsdev local,readonly=on`, security_model=none,
# multidevs=remap) and a virtio-serial device with two ports named as
# microrun's for the program's stdout (QEMU's stdout) and stderr. QEMU has no microrun init,
# so it gets an initramfs (qemu-init, built by tests/e2e/outer.sh with a
# static busybox) that does the init's steps in sh: the same modules,
# dependencies first, in the same order; the same 9p options and overlay
# on tmpfs; chroot; the program; poweroff -f. What differs, and why:
#   - QEMU's initramfs holds the modules and busybox (about 1 MiB more to
#     load and unpack); microrun packs its init and the modules straight
#     into guest memory;
#   - the init is sh, forking busybox applets for each step (microrun's
#     is one C program): more guest work for QEMU;
#   - the program is init's arguments on QEMU's kernel command line
#     (after "--"); microrun passes it in the initramfs, with the host's
#     environment and current directory, QEMU's with PATH alone;
#   - chroot instead of moving the new root onto / (busybox's switch_root
#     would exec a new init, which cannot power off after the program);
#   - the end: microrun's init reports the status on its exit-status port
#     and microrun exits; QEMU's init powers off through ACPI (S5), which
#     QEMU turns into its exit;
#   - microvm's ACPI tables list all its virtio-mmio transports, which the
#     kernel probes, populated or not; microrun lists only its devices;
#   - with -v, microrun copies the (quiet) kernel log to stderr; QEMU
#     writes it to a file.
# The panic boots have no 9p export or disk under either VMM.
#
# Where the host has no vmx/svm, it all runs in the e2e suite's outer VM
# (tests/e2e/outer.sh: QEMU-TCG with an emulated AMD SVM): a KVM nested in
# an emulator, where exits cost far more than on hardware. There the VMMs,
# their libraries, QEMU's firmware and initramfs, the kernel and the
# modules microrun packs are first copied to RAM and bind-mounted over
# their paths: the outer VM's 9p root has no page cache, and every exec
# would read them anew. (The programs run in the guests, and their
# libraries, are read through it by both VMMs.)
#
# Bounded: each boot by BENCH_E2E_LIMIT (seconds, default 90; a boot that
# takes longer is killed and left out), the outer VM by the sum of those.
# Environment: BENCH_RUNS, BENCH_E2E_LIMIT, MICRORUN_E2E_MODE=direct|nested
# (as for tests/e2e/run.sh), MICRORUN_TEST_KEEP=1 keeps the raw figures;
# BENCH_E2E_NESTED=1 is set for the inner part in the outer VM.
#
# The part on the real KVM is this script run as
#   e2e-compare.sh --inner MICRORUN BZIMAGE LINETIME QEMU_INITRD
# which prints raw figures ("run ...", "exits ...", "trace ...", "note ...").
# Sourced (tests/bench/phases.sh), it defines its functions and runs nothing.
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
# What each boot does, in turn; the line that marks its end.
WORKS=(panic true echo)
declare -A MARK_RE=([panic]=$PANIC_RE [true]='' [echo]=' first-output')
# A program's run: both kernels quiet, as microrun makes it without -v
# (with -v it would not); the rest is microrun's defaults.
PROGRAM_CMDLINE='panic=-1 console=ttyS0 pci=off quiet'
# The modules microrun's init loads (src/program.c, without virtio_blk),
# for QEMU's initramfs.
PROGRAM_MODULES=(virtio_mmio virtio_console 9pnet_virtio 9p overlay)

# --- the part on the real KVM --------------------------------------------

# boot VMM WORK N CMD...: one boot under linetime: its "run" line, and for
# microrun its "exits" lines. The boot's mark is the time of WORK's line
# (MARK_RE), or for `true` of the exit with status 0: microrun's, or the
# one QEMU's init reports on the console, d.console.
boot() {
	local vmm=$1 work=$2 n=$3 d=$itmp/$1-$2-$3 sum marks ran=1
	shift 3
	sum=$("$LINETIME" "$d.out" timeout -s KILL "$LIMIT" "$@" </dev/null 2>"$d.err") ||
		{ echo "note $vmm $work boot $n: linetime failed: $(tail -n 2 "$d.err")"; return; }
	[[ ! -e $d.console ]] || grep -qE 'bench-init: status 0([^0-9]|$)' "$d.console" || ran=0
	marks=$(awk -v re="${MARK_RE[$work]}" -v sum="$sum" -v ran="$ran" '
		!f && /Linux version/ { f = $1 }
		re != "" && !m && $0 ~ re { m = $1 }
		END {
			split(sum, s)
			if (re == "" && s[2] == 0 && ran) m = s[1]
			print (f == "" ? "-" : f), (m == "" ? "-" : m)
		}' "$d.out")
	# run VMM WORK N FIRST MARK EXIT STATUS MAXRSS_KIB USER SYS
	echo "run $vmm $work $n $marks $sum"
	if [[ $marks == *' -' ]]; then
		echo "note $vmm $work boot $n: no \"${MARK_RE[$work]:-status 0}\"; last lines:"
		tail -n 4 "$d.out" "$d.err" "$d".console 2>/dev/null | tr -d '\r' | sed 's/^/note   | /'
	fi
	[[ $vmm == microrun ]] || return 0
	sed -nE "s/^microrun: exits: ([a-z-]+) ([0-9]+)$/exits $work $n \\1 \\2/p
		s/^microrun: exits: unhandled port I\\/O ([0-9]+), unhandled MMIO ([0-9]+)$/exits $work $n io-to-no-device \\1\\nexits $work $n mmio-to-no-device \\2/p" "$d.err"
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
	echo "note ${#BOUND[@]} of $n files (the VMMs, their libraries, QEMU's firmware, the kernel, its modules, QEMU's initramfs) in RAM"
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

# The kernel package's module files microrun reads for a program's run:
# its lists and the modules in QEMU's initramfs $2 (the same set), as
# paths under the package's module tree for kernel $1.
module_files() {
	local dir=${1%/boot/*}/lib/modules name
	dir=$(echo "$dir"/*)
	printf '%s\n' "$dir"/modules.*
	gzip -dc "$2" | cpio -t --quiet | sed -n 's|^modules/[0-9]*-\(.*\)\.ko$|\1|p' |
		while read -r name; do
			grep -E "/${name//_/[-_]}\.ko[.a-z]*\$" "$dir/modules.order" | sed "s|^|$dir/|"
		done
}

# The command line of VMM for WORK in boot N, into array cmd.
# shellcheck disable=SC2054 # commas within QEMU's option values
command_for() {
	local vmm=$1 work=$2 d=$itmp/$1-$2-$3 prog=()
	case $work in
	true) prog=(true) ;;
	echo) prog=(echo first-output) ;;
	esac
	case $vmm-$work in
	microrun-panic) cmd=("${mr[@]}" --no-shell -a "$CMDLINE reboot=k") ;;
	# only quiet: a console= of the user's would send the program's
	# stdout to the UART; microrun adds the rest of PROGRAM_CMDLINE itself
	microrun-*) cmd=("${mr[@]}" --modules "${bz%/boot/*}" -a quiet -- "${prog[@]}") ;;
	qemu-panic) cmd=("${qm[@]}" -nographic -serial stdio -append "$CMDLINE reboot=a") ;;
	# The program's stdout on QEMU's stdout, as microrun's, through a
	# file chardev: a stdio one reads stdin's EOF as the host closing the
	# port, and QEMU then drops what the guest writes. /proc/self/fd/1,
	# as the outer VM's devtmpfs has no /dev/stdout. The console and the
	# program's stderr in files.
	qemu-*) cmd=("${qm[@]}" -display none -initrd "$qinitrd" -serial "file:$d.console"
		-fsdev local,id=root,path=/,security_model=none,readonly=on,multidevs=remap
		-device virtio-9p-device,fsdev=root,mount_tag=hostroot
		-device virtio-serial-device
		-chardev file,id=out,path=/proc/self/fd/1 -device virtserialport,chardev=out,name=microrun.stdout
		-chardev "file,id=err,path=$d.stderr"
		-device virtserialport,chardev=err,name=microrun.stderr
		-append "$PROGRAM_CMDLINE reboot=a -- ${prog[*]}") ;;
	esac
}

inner() {
	local microrun=$1 bz=$2 qinitrd=$4 qemu n f work vmm cmd
	LINETIME=$3 BOUND=()
	itmp=$(mktemp -d) || exit 1
	trap 'for f in "${BOUND[@]}"; do umount "$f"; done; rm -rf "$itmp"' EXIT
	echo "note the VMMs ran on $(nproc) CPUs ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), kernel $(uname -r), transparent huge pages: $(cat /sys/kernel/mm/transparent_hugepage/enabled)"
	qemu=$(command -v qemu-system-x86_64)
	# shellcheck disable=SC2046 # paths without blanks, one a line
	[[ -z ${BENCH_E2E_NESTED-} ]] || ram_copies "$microrun" "$qemu" "$bz" \
		/usr/share/qemu/bios-microvm.bin $(libraries "$microrun") $(libraries "$qemu") \
		"$qinitrd" $(module_files "$bz" "$qinitrd")
	local mr=("$microrun" -v -m "$MEM" -c 1 -k "$bz")
	local qm=("$qemu" -M "$QEMU_MACHINE" -enable-kvm -cpu host -m "$MEM" -smp 1
		-nodefaults -no-user-config -no-reboot -kernel "$bz")
	for work in "${WORKS[@]}"; do
		for vmm in microrun qemu; do
			command_for "$vmm" "$work" 0
			echo "note $vmm, $work: ${cmd[*]}"
		done
	done
	for n in $(rounds); do
		for work in "${WORKS[@]}"; do
			for vmm in microrun qemu; do
				command_for "$vmm" "$work" "$n"
				boot "$vmm" "$work" "$n" "${cmd[@]}"
			done
		done
		echo "round $n done"
	done
	for f in microrun qemu; do
		echo "note $f: the kernel's $(grep -m 1 -o 'Command line: .*' "$itmp/$f-panic-0.out" | tr -d '\r')"
	done
	# Only in the outer VM: its tracing is its own to change.
	[[ -n ${BENCH_E2E_NESTED-} ]] || return 0
	mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
	grep -qw svm /proc/cpuinfo && echo "note svm"
	for vmm in microrun qemu; do
		command_for "$vmm" panic trace
		trace "$vmm" "${cmd[@]}"
	done
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
		W = "%-46s %-24s %-24s %s\n"
		split("96 intr 97 nmi 98 smi 99 init 100 vintr 101 cr0-sel-write 114 cpuid 119 pause 120 hlt 123 io 124 msr 127 shutdown 137 wbinvd 141 xsetbv 1024 npf", t)
		for (i = 1; i in t; i += 2) svmname[t[i]] = t[i + 1]
	}
	$1 == "note" && $2 == "svm" { svm = 1; next }
	$1 == "note" { sub(/^note /, "# "); print; next }
	$1 == "run" {
		# run VMM WORK N FIRST MARK EXIT STATUS MAXRSS_KIB USER SYS
		v = $2; w = $3; vmms[v] = 1; status[v, w] = status[v, w] " " $8
		if ($4 == 0 || $6 == "-") next
		ok[v, w]++; good[v, w, $4] = 1
		if ($5 != "-") add(v, w "first", $5)
		add(v, w "mark", $6); add(v, w "exit", $7)
		add(v, w "rss", $9 / 1024); add(v, w "cpu", $10 + $11)
		next
	}
	$1 == "exits" { exits[$2, $3, $4] = $5; kinds[$4] = 1; next }
	$1 == "trace" { tr[$2, $3] += $4; trsum[$2] += $4; keys[$3] = 1; traced = 1; next }
	# the exits microrun counted, by kind, in the counted boots of WORK w
	function exit_rows(w, title,   n, i, r, k, order) {
		for (k in kinds) order[++n] = k
		sort(order, n)
		for (i = 1; i <= n; i++) {
			for (r = 1; r <= runs; r++)
				if (("microrun", w, r) in good) add("microrun", w "x" order[i], exits[w, r, order[i]] + 0)
			printf W, title order[i], cell("microrun", w "x" order[i], "%d"), "-", "-"
		}
	}
	END {
		split("panic true echo", works)
		split("reached the panic,exited 0,printed its line", did, ",")
		for (i = 1; i <= 3; i++)
			for (v in vmms)
				printf "# %s, %s: %d of %d counted boots %s; exit statuses (warm-up first):%s\n", \
					v, works[i], ok[v, works[i]], runs, did[i], status[v, works[i]]
		printf "\n" W, "median (min-max) of " runs " boots", "microrun", "QEMU microvm", "microrun/QEMU"
		row("fork -> first line (Linux version), s", "panicfirst", "%.2f")
		row("fork -> root-mount panic, s", "panicmark", "%.2f")
		row("fork -> exit after the panic, s", "panicexit", "%.2f")
		row("fork -> `echo`'"'"'s line on stdout, s", "echomark", "%.2f")
		row("fork -> exit after `echo`, s", "echoexit", "%.2f")
		row("fork -> exit for `true`, s", "trueexit", "%.2f")
		row("peak RSS, MiB: panic", "panicrss", "%.1f")
		row("peak RSS, MiB: `true`", "truerss", "%.1f")
		row("host CPU time (user+sys), s: panic", "paniccpu", "%.2f")
		row("host CPU time (user+sys), s: `true`", "truecpu", "%.2f")
		exit_rows("panic", "microrun -v exits, panic: ")
		exit_rows("true", "microrun -v exits, `true`: ")
		if (!traced) exit
		printf "%s\n", "# one more boot each to the panic, untimed: all exits, from KVM'"'"'s kvm_exit tracepoint"
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

# The rounds an outer VM runs: the uncounted warm-up 0, then BENCH_FROM
# (default 1) to RUNS; after each, the inner part prints "round N done".
rounds() {
	echo 0
	seq "${BENCH_FROM:-1}" "$RUNS"
}

# run_nested BOOTS INNER...: the inner part, the command INNER (the
# script's --inner and its files), in the outer VM, its figures into
# $tmp/results; BOOTS boots a round bound its time. The outer VM wedges
# now and then (see tests/e2e/run.sh): when its heartbeat stops, what the
# rounds it completed reported is kept, and a fresh outer VM goes on from
# the next round, after a warm-up round of its own (at most
# OUTER_RESTARTS times).
run_nested() {
	local boots=$1 path from=1 restarts=0 last n
	shift
	for path in "$@" "$here" "$MRK_BZIMAGE" "$tmp"; do
		[[ $path == --inner ]] || ! hidden_in_outer_vm "$path" ||
			{ echo "# $path is where the outer VM has its own /proc, /sys, /dev or /run: no figures"; return; }
	done
	: >"$tmp/all-results"
	while outer_round "$from" "$boots" "$@"; do
		last=$(grep -n '^round [0-9]* done$' "$tmp/results" | tail -n 1)
		if [[ $STALLED != wedged ]] || grep -q '^e2e-outer: done' "$tmp/results"; then
			cat "$tmp/results" >>"$tmp/all-results"
			break
		fi
		n=0
		if [[ -n $last ]]; then
			head -n "${last%%:*}" "$tmp/results" >>"$tmp/all-results"
			n=${last##*round } n=${n% done}
		fi
		((n < from)) || from=$((n + 1))
		if ((from > RUNS)); then
			echo "# every round was done; what came after them is missing"
			break
		fi
		((++restarts <= OUTER_RESTARTS)) || { echo "# the outer VM hung $restarts times: given up"; break; }
		echo "# going on from round $from in a fresh outer VM ($restarts of at most $OUTER_RESTARTS)"
	done
	mv "$tmp/all-results" "$tmp/results"
}

OUTER_RESTARTS=3

# outer_round FROM BOOTS INNER...: one outer VM running the rounds from
# FROM on; STALLED set (see outer_follow) if it went silent or hung.
# Returns 1 if it could not be started.
outer_round() {
	local from=$1 boots=$2 st limit start=$SECONDS
	shift 2
	limit=$(((RUNS + 2) * boots * (LIMIT + 5) + 180))
	{
		printf 'export BENCH_RUNS=%q BENCH_E2E_LIMIT=%q BENCH_E2E_NESTED=1 BENCH_FROM=%d\nexec' \
			"$RUNS" "$LIMIT" "$from"
		printf ' %q' "$@"
		printf '\n'
	} | outer_initrd "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}" "$tmp/initrd" ||
		{ echo "# could not build the outer VM's initramfs: no figures"; return 1; }
	echo "# outer VM: QEMU-TCG -cpu qemu64,+svm,+npt, $OUTER_CPUS vCPUs, $OUTER_MEM; at most $limit s" >&2
	outer_start "$MRK_BZIMAGE" "$tmp/initrd" "$tmp" "$limit"
	# A boot reports within LIMIT seconds.
	outer_watch "$tmp" $((LIMIT + 120)) bench_line
	case $STALLED in
	wedged) echo "# no heartbeat from the outer VM for $HEARTBEAT_LIMIT s: it hung" ;;
	silent) echo "# nothing from the outer VM for $((LIMIT + 120)) s: stopped it" ;;
	esac
	# The job has ended, or the outer VM went silent or hung: its power-off
	# has been seen to hang, and so has the outer VM itself.
	kill -TERM "$OUTER_PID"
	wait "$OUTER_PID"
	st=$?
	OUTER_PID=''
	echo "# outer VM: ended after $((SECONDS - start)) s, QEMU exit status $st"
	grep -q '^e2e-outer: done' "$tmp/results" ||
		{ echo "# the outer VM did not finish the job; its console ends:"; tail -n 5 "$tmp/console" | sed 's/^/#   | /'; }
}

# bench_line LINE: a line of the job's results, shown on stderr as
# progress if it ends a boot; returns 1 at the job's end marker.
bench_line() {
	local vmm work n mark
	case $1 in
	'e2e-outer: '*) return 1 ;;
	'run '*)
		read -r _ vmm work n _ mark _ <<<"$1"
		echo "# boot $n under $vmm, $work: done at $mark s" >&2
		;;
	esac
}

# bench_prepare ARGS...: the outer part's start, for this script and
# phases.sh: MICRORUN from the one argument (usage and exit 2 otherwise),
# the mode (direct or nested KVM), Debian's kernel. Returns 1, having said
# why, when there can be no figures.
bench_prepare() {
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
	[[ $MODE == skip ]] && { echo "# no figures: $WHY"; return 1; }
	mrk_get_kernel || { echo "# no figures: $MRK_SKIP_REASON"; return 1; }
}

main() {
	if [[ ${1-} == --inner && $# == 5 ]]; then
		inner "$2" "$3" "$4" "$5"
		return
	fi
	bench_prepare "$@" || return 0
	QINITRD=$(cached_initramfs "$MRK_VERSION" "${MRK_BZIMAGE%/boot/*}" bench-qemu \
		"$here/qemu-init" "${PROGRAM_MODULES[@]}") ||
		{ echo "# no figures: cannot build QEMU's initramfs (busybox-static, cpio?)"; return 0; }
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/microrun-bench-e2e.XXXXXX") || exit 1
	cc -O2 -o "$tmp/linetime" "$here/linetime.c" || exit 1
	echo "# $(date -u '+%F %H:%M UTC'); host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
	echo "# Debian $MRK_VERSION bzImage, $MEM, 1 vCPU, to the root-mount panic and running a program on a 9p root; on $MODE KVM ($WHY)"
	[[ -z ${MICRORUN_TEST_KEEP-} ]] || echo "# raw figures kept in $tmp"
	local start=$SECONDS
	if [[ $MODE == direct ]]; then
		"$here/e2e-compare.sh" --inner "$MICRORUN" "$MRK_BZIMAGE" "$tmp/linetime" "$QINITRD" >"$tmp/results"
	else
		run_nested $((2 * ${#WORKS[@]})) "$here/e2e-compare.sh" --inner "$MICRORUN" "$MRK_BZIMAGE" \
			"$tmp/linetime" "$QINITRD"
	fi
	table <"$tmp/results"
	echo "# $((SECONDS - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
}

[[ ${BASH_SOURCE[0]} != "$0" ]] || main "$@"
