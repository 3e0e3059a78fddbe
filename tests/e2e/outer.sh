# shellcheck shell=bash
# The outer VM of the e2e suite, a QEMU-TCG machine whose emulated AMD SVM
# gives a real, complete /dev/kvm inside (shared/docs/kvm-here.md, section
# 2), and the initramfs images the suite boots. Sourced, after
# tests/realkernel/kernel.sh, by run.sh and tests/bench/e2e-compare.sh.
#
#   choose_mode                    sets MODE (direct: the host's KVM can
#                                  boot Linux; nested: the outer VM; skip)
#                                  and WHY; MICRORUN_E2E_MODE forces one
#   nested_missing                 what the outer VM needs and lacks
#   hidden_in_outer_vm PATH        whether the outer VM hides PATH
#   outer_initramfs KVER KROOT     the outer VM's initramfs (prints its path)
#   outer_initrd KVER KROOT OUT    OUT: that initramfs with the job read
#                                  from stdin, a script the outer VM runs
#   guest_initramfs KVER KROOT     the one cases.sh gives microrun's guests
#   outer_start KERNEL INITRD DIR LIMIT
#                                  starts QEMU in the background (OUTER_PID);
#                                  results on DIR/results, console DIR/console
#   outer_follow IDLE HEARTBEAT HANDLER
#                                  HANDLER for each line of the results until
#                                  their end, or the VM is silent or hung
#                                  (STALLED)
#   outer_watch DIR IDLE HANDLER   outer_follow on DIR/results, DIR/heartbeat
#
# Each initramfs holds a static busybox, modules taken from the kernel
# package KROOT (dependencies first), and an init script: outer-init, or
# guest-init. They are cached next to the unpacked kernel, as
# e2e-NAME-<hash>.cpio.gz, where <hash> covers this file and the init
# script: a change to either builds a new one. Each appears by rename(2) once
# complete. Needs busybox-static, cpio, gzip, sha256sum; qemu-system-x86 to
# boot.

OUTER_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# What the initramfs need beyond the kernel's built-ins; modules named here
# are loaded after the modules they depend on. The guest's ext4 needs
# crc32c for the metadata checksums of a file system made by mke2fs -t ext4.
OUTER_MODULES=(virtio_pci 9pnet_virtio 9p kvm_amd)
GUEST_MODULES=(virtio_mmio virtio_blk virtio_console ext4 crc32c_generic 9pnet_virtio 9p)

# Guest RAM and CPUs of the outer VM: an inner -m 4G guest touches far less
# than 4 GiB, and -c 2 needs a second CPU to show both coming up in parallel.
OUTER_MEM=3G
OUTER_CPUS=2

# Sets MODE to direct, nested or skip, and WHY to the reason.
# shellcheck disable=SC2034 # read by the scripts that source this
choose_mode() {
	local kvm_problem=''
	if ! grep -qwE 'vmx|svm' /proc/cpuinfo 2>/dev/null; then
		kvm_problem="no vmx/svm in /proc/cpuinfo: /dev/kvm, if any, emulates guest code"
	elif ! (exec 3<>/dev/kvm) 2>/dev/null; then
		kvm_problem="/dev/kvm cannot be opened read-write by $(id -un)"
	fi
	case ${MICRORUN_E2E_MODE:-} in
	direct) MODE=direct WHY="MICRORUN_E2E_MODE=direct" ;;
	nested) MODE=nested WHY="MICRORUN_E2E_MODE=nested" ;;
	'')
		if [[ -z $kvm_problem ]]; then
			MODE=direct WHY="the host has real KVM"
		elif command -v qemu-system-x86_64 >/dev/null; then
			MODE=nested WHY=$kvm_problem
		else
			MODE=skip
			WHY="$kvm_problem, and there is no qemu-system-x86_64 (Debian: qemu-system-x86) for the nested setup"
		fi
		;;
	*)
		echo "$0: MICRORUN_E2E_MODE must be direct or nested" >&2
		exit 2
		;;
	esac
}

# What the outer VM needs on top of QEMU; empty if all is there.
nested_missing() {
	local tool missing=()
	command -v qemu-system-x86_64 >/dev/null || missing+=(qemu-system-x86)
	find_static_busybox >/dev/null || missing+=(busybox-static)
	for tool in cpio gzip sha256sum timeout tail; do
		command -v "$tool" >/dev/null || missing+=("$tool")
	done
	((${#missing[@]} == 0)) || printf 'not installed: %s\n' "${missing[*]}"
}

# The outer VM replaces these with its own file systems: what lives there on
# the host is not visible to the job.
hidden_in_outer_vm() {
	case $1 in
	/proc/* | /sys/* | /dev/* | /run/*) return 0 ;;
	esac
	return 1
}

outer_log() {
	printf 'outer.sh: %s\n' "$*" >&2
}

# The first 16 hex digits of the SHA-256 of this file and init script $1.
initramfs_hash() {
	local sum
	sum=$(cat "$OUTER_HERE/outer.sh" "$1" | sha256sum) || return 1
	printf '%s\n' "${sum:0:16}"
}

# Whether ELF file $1 is statically linked: it has no PT_INTERP program
# header. Read with od (via kernel.sh's mrk_read_uint): file(1) may be absent.
is_static_elf() {
	local elf=$1 phoff phentsize phnum i
	[[ $(mrk_hex_bytes "$elf" 0 5) == 7f454c4602 ]] || return 1 # ELF64
	phoff=$(mrk_read_uint "$elf" 32 8) || return 1
	phentsize=$(mrk_read_uint "$elf" 54 2) || return 1
	phnum=$(mrk_read_uint "$elf" 56 2) || return 1
	for ((i = 0; i < phnum; i++)); do
		[[ $(mrk_read_uint "$elf" $((phoff + i * phentsize)) 4) == 3 ]] && return 1
	done
	return 0
}

# A static busybox: busybox-static's, not the dynamically linked one of the
# "busybox" package (the initramfs has no libc).
find_static_busybox() {
	local bb
	for bb in /bin/busybox /usr/bin/busybox; do
		if [[ -x $bb ]] && is_static_elf "$bb"; then
			printf '%s\n' "$bb"
			return 0
		fi
	done
	return 1
}

# Field $2 of module $1's .modinfo ("depends", "name"): its entries are
# NUL-terminated "key=value" strings, so no modinfo(8) is needed.
modinfo_field() {
	tr '\0' '\n' <"$1" | sed -n "s/^$2=//p" | head -n 1
}

# Copies module $1 (an uncompressed file, whichever way the package has it)
# to $2.
copy_module() {
	case $1 in
	*.ko) cp "$1" "$2" ;;
	*.ko.xz) xz -dc "$1" >"$2" ;;
	*.ko.zst) zstd -dcq "$1" >"$2" ;;
	*.ko.gz) gzip -dc "$1" >"$2" ;;
	*) return 1 ;;
	esac
}

# stage_module NAME: puts module NAME into $stage/modules after everything it
# depends on, with a name that sorts in load order. Built-in modules and
# modules already staged are skipped. Uses $moddir, $index (lines "name
# path"), the associative array staged and the counter nstaged.
stage_module() {
	local name=${1//-/_} path tmp deps dep
	[[ -n ${staged[$name]-} ]] && return 0
	staged[$name]=1
	if grep -q "/${name//_/[-_]}\.ko\$" "$moddir/modules.builtin" 2>/dev/null; then
		return 0
	fi
	path=$(sed -n "s/^$name //p" "$index" | head -n 1)
	[[ -n $path ]] || { outer_log "module $name is neither built in nor in $moddir"; return 1; }
	tmp=$stage/modules/$name.tmp
	copy_module "$path" "$tmp" || { outer_log "cannot read $path"; return 1; }
	deps=$(modinfo_field "$tmp" depends)
	for dep in ${deps//,/ }; do
		stage_module "$dep" || return 1
	done
	nstaged=$((nstaged + 1))
	mv "$tmp" "$(printf '%s/modules/%02d-%s.ko' "$stage" "$nstaged" "$name")"
}

# build_initramfs KVER KROOT OUT INIT MODULE...: builds into OUT an
# initramfs with INIT as /init and MODULE... from the kernel package KROOT.
build_initramfs() {
	local kver=$1 kroot=$2 out=$3 init=$4 busybox applet name
	local stage moddir=$kroot/lib/modules/$kver index nstaged=0
	shift 4
	local -A staged=()
	busybox=$(find_static_busybox) ||
		{ outer_log "no statically linked busybox (install busybox-static)"; return 1; }
	stage=$(mktemp -d "${out%/*}/.e2e-stage.XXXXXX") || return 1
	index=$stage/index
	(
		set -e
		mkdir -p "$stage"/{bin,dev,proc,sys,host,modules,e2e}
		cp "$busybox" "$stage/bin/busybox"
		for applet in $("$busybox" --list); do
			[[ $applet == busybox ]] || ln -s busybox "$stage/bin/$applet"
		done
		cp "$init" "$stage/init"
		chmod 755 "$stage/init"
		# "name path" for every module file of the package
		find "$moddir/kernel" -name '*.ko*' | while IFS= read -r path; do
			name=${path##*/}
			name=${name%%.ko*}
			printf '%s %s\n' "${name//-/_}" "$path"
		done >"$index"
	) || { rm -rf "$stage"; return 1; }
	for name in "$@"; do
		stage_module "$name" || { rm -rf "$stage"; return 1; }
	done
	rm -f "$index"
	outer_log "initramfs: busybox and modules $(cd "$stage/modules" && echo *)"
	if ! (cd "$stage" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$out.tmp.$$"; then
		rm -rf "$stage" "$out.tmp.$$"
		return 1
	fi
	rm -rf "$stage"
	mv -f "$out.tmp.$$" "$out"
}

# cached_initramfs KVER KROOT NAME INIT MODULE...: prints the path of
# initramfs NAME for kernel KVER unpacked at KROOT, building it first if the
# cache does not hold it yet.
cached_initramfs() {
	local kver=$1 kroot=$2 name=$3 init=$4 hash out
	shift 4
	hash=$(initramfs_hash "$init") || return 1
	out=${kroot%/root}/e2e-$name-$hash.cpio.gz
	if [[ ! -s $out ]]; then
		outer_log "building the $name initramfs $out"
		build_initramfs "$kver" "$kroot" "$out" "$init" "$@" || return 1
	fi
	# Other versions' unused for two days go: not sooner, as another
	# checkout's run may be using its own right now.
	touch "$out"
	find "${out%/*}" -maxdepth 1 -name "e2e-$name-*.cpio.gz" ! -name "${out##*/}" -mtime +1 -delete
	printf '%s\n' "$out"
}

outer_initramfs() {
	cached_initramfs "$1" "$2" outer "$OUTER_HERE/outer-init" "${OUTER_MODULES[@]}"
}

# The job rides as a second archive behind the cached one, as /e2e/job.
outer_initrd() {
	local base dir=$3.job status
	base=$(outer_initramfs "$1" "$2") || return 1
	mkdir -p "$dir/e2e" && cat >"$dir/e2e/job" || return 1
	{ cat "$base" && (cd "$dir" && printf 'e2e/job\n' | cpio -o -H newc -R 0:0 --quiet) | gzip -1; } >"$3"
	status=$?
	rm -rf "$dir"
	return "$status"
}

guest_initramfs() {
	cached_initramfs "$1" "$2" guest "$OUTER_HERE/guest-init" "${GUEST_MODULES[@]}"
}

# QEMU's option syntax doubles commas inside values.
qemu_escape() {
	printf '%s\n' "${1//,/,,}"
}

# Seconds without a beat on DIR/heartbeat that make the outer VM hung (it
# beats every 5 s; see outer-init).
HEARTBEAT_LIMIT=60
BEAT_SIZE=0 BEAT_AT=0

# heartbeat_stopped FILE: whether FILE, the outer VM's heartbeat port, has
# had beats and then none for HEARTBEAT_LIMIT s (state in BEAT_SIZE and
# BEAT_AT, which a new outer VM's watcher resets to 0 and $SECONDS).
heartbeat_stopped() {
	local size
	size=$(stat -c %s "$1" 2>/dev/null) || return 1
	if ((size != BEAT_SIZE)); then
		BEAT_SIZE=$size BEAT_AT=$SECONDS
		return 1
	fi
	((size > 0 && SECONDS - BEAT_AT >= HEARTBEAT_LIMIT))
}

# outer_follow IDLE HEARTBEAT HANDLER: HANDLER LINE for each line on stdin
# (a carriage return at its end taken off), up to its end or until HANDLER
# returns non-zero (STALLED=''), until nothing came for IDLE seconds
# (STALLED=silent), or until the file HEARTBEAT, if not empty, stopped
# growing (STALLED=wedged).
#
# It reads with a timeout of one second, keeping what a timed-out read got
# for the next: bash reaps its exited children only between reads, not
# during a timed one, and a reader's tail --pid ends only once timeout(1)
# has been reaped.
# shellcheck disable=SC2034 # STALLED: read by the callers
outer_follow() {
	local idle=$1 beat=$2 handler=$3 line part='' rc quiet=0
	STALLED='' BEAT_SIZE=0 BEAT_AT=$SECONDS
	while :; do
		IFS= read -r -t 1 line
		rc=$?
		if ((rc > 128)); then
			[[ -z $line ]] || quiet=0
			part+=$line
			if [[ -n $beat ]] && heartbeat_stopped "$beat"; then
				STALLED=wedged
				return
			fi
			((++quiet < idle)) && continue
			STALLED=silent
			return
		fi
		quiet=0 line=$part$line part=''
		if ((rc == 0)); then
			"$handler" "${line%$'\r'}" || return 0
			continue
		fi
		[[ -z $line ]] || "$handler" "${line%$'\r'}"
		return 0
	done
}

# outer_watch DIR IDLE HANDLER: outer_follow on the results of the outer VM
# outer_start started with DIR, watching DIR/heartbeat. The reader, tail,
# ends once timeout(1), and with it QEMU, has ended.
outer_watch() {
	local fd
	exec {fd}< <(exec tail -n +1 -f --pid="$OUTER_PID" "$1/results")
	outer_follow "$2" "$1/heartbeat" "$3" <&"$fd"
	exec {fd}<&-
}

# outer_start KERNEL INITRD DIR LIMIT: boots the outer VM in the background,
# ended by timeout(1) after LIMIT seconds (SIGKILL 10 s later if need be).
# Sets OUTER_PID (timeout's pid). Writes DIR/console (ttyS0: the outer
# kernel and init), DIR/results (ttyS1: the job's output), DIR/heartbeat
# (ttyS2: a line every 5 s while the outer kernel's timers fire) and
# DIR/qemu.log (QEMU's own messages) and DIR/out/kallsyms (the outer
# kernel's code symbols, over the writable 9p export e2eout of DIR/out);
# QEMU's monitor listens on DIR/monitor (outer-cpus.py).
outer_start() {
	local kernel=$1 initrd=$2 dir=$3 limit=$4
	: >"$dir/results"
	: >"$dir/heartbeat"
	mkdir -p "$dir/out"
	# -nodefaults: no NIC (no iPXE ROM needed), no VGA; only the serial
	# ports, the monitor socket and the 9p devices given here. The host's
	# root is exported read-only: the VM cannot change anything on the
	# host but DIR/out.
	# tsc=reliable: the outer kernel finds a TCG machine's TSCs
	# unsynchronized and would fall back to the HPET as its clocksource,
	# every read of which is an emulated MMIO access.
	timeout -k 10 "$limit" qemu-system-x86_64 \
		-accel tcg -cpu qemu64,+svm,+npt -m "$OUTER_MEM" -smp "$OUTER_CPUS" \
		-nodefaults -no-user-config -display none -no-reboot \
		-kernel "$kernel" -initrd "$initrd" \
		-append 'console=ttyS0 quiet panic=-1 tsc=reliable' \
		-chardev "file,id=console,path=$(qemu_escape "$dir/console")" \
		-serial chardev:console \
		-chardev "file,id=results,append=on,path=$(qemu_escape "$dir/results")" \
		-serial chardev:results \
		-chardev "file,id=beat,append=on,path=$(qemu_escape "$dir/heartbeat")" \
		-serial chardev:beat \
		-monitor "unix:$(qemu_escape "$dir/monitor"),server=on,wait=off" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$(qemu_escape "$dir/out"),mount_tag=e2eout,security_model=none" \
		</dev/null >"$dir/qemu.log" 2>&1 &
	# shellcheck disable=SC2034 # read by run.sh
	OUTER_PID=$!
}
