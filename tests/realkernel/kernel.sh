# shellcheck shell=bash
# Makes Debian's stock 6.1 kernel available to the tests, the demo and the
# benchmark. Source this file, then call:
#
#   if mrk_get_kernel; then
#       ... "$MRK_BZIMAGE" (Debian's vmlinuz), "$MRK_VMLINUX" (the ELF inside),
#       ... "$MRK_VERSION" (e.g. 6.1.0-56-amd64)
#   else
#       echo "skipped: $MRK_SKIP_REASON"
#   fi
#
# Everything is cached outside the repository, in
# ${MICRORUN_CACHE:-$HOME/.cache/microrun-tests}:
#
#   linux-image-<kver>_<version>_amd64.deb   the package, as downloaded
#   <kver>/root/                             dpkg-deb -x of it (boot/, lib/modules/)
#   <kver>/vmlinux                           the ELF extracted from the bzImage
#
# Each of these appears only by rename(2) once complete, so an interrupted
# download or unpack never leaves something that a later run would trust.
# Progress goes to stderr, prefixed "kernel.sh:".
#
# Needs: apt-cache/apt-get/dpkg-deb (only when the cache is cold), od, head,
# tail, flock, and the decompressor of the payload (xz-utils for Debian).

# shellcheck disable=SC2034 # set here, read by the scripts that source this
{
	MRK_BZIMAGE='' MRK_VMLINUX='' MRK_VERSION='' MRK_SKIP_REASON=''
}

mrk_log() {
	printf 'kernel.sh: %s\n' "$*" >&2
}

# Fails with a reason the caller prints as "skipped: ...".
mrk_fail() {
	MRK_SKIP_REASON=$*
	return 1
}

mrk_cache_dir() {
	printf '%s\n' "${MICRORUN_CACHE:-$HOME/.cache/microrun-tests}"
}

# The package linux-image-amd64 currently points at, e.g.
# linux-image-6.1.0-56-amd64. Empty output when apt does not know it (no
# apt, or "apt-get update" never ran).
mrk_current_package() {
	command -v apt-cache >/dev/null 2>&1 || return 0
	apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-image-6\.1\.0-[0-9][0-9]*-amd64\)$/\1/p' |
		sort -V | tail -n 1
}

# Newest kernel already in the cache, as its kver: used when apt cannot
# tell us the current one or cannot download it (offline machine).
mrk_newest_cached_kver() {
	local cache=$1 path name best=
	for path in "$cache"/*/root/boot "$cache"/linux-image-6.1.0-*-amd64_*.deb; do
		[[ -e $path ]] || continue
		case $path in
		*/root/boot) name=${path%/root/boot}; name=${name##*/} ;;
		*) name=${path##*/linux-image-}; name=${name%%_*} ;;
		esac
		best=$(printf '%s\n%s\n' "$best" "$name" | sed '/^$/d' | sort -V | tail -n 1)
	done
	printf '%s\n' "$best"
}

# The SHA256 apt's index gives for package $1 at version $2; empty if none.
mrk_apt_sha256() {
	command -v apt-cache >/dev/null 2>&1 || return 0
	apt-cache show "$1" 2>/dev/null | awk -v want="$2" '
		BEGIN { RS = ""; FS = "\n" }
		{
			ver = ""; sum = ""
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Version: /) ver = substr($i, 10)
				if ($i ~ /^SHA256: /) sum = substr($i, 9)
			}
			if (ver == want && sum != "") { print sum; exit }
		}'
}

# Checks a .deb before it is trusted: it must be a readable Debian archive,
# and its SHA256 must be the one in apt's (signed) index when apt has one.
mrk_verify_deb() {
	local deb=$1 pkg ver want got
	dpkg-deb --info "$deb" >/dev/null 2>&1 ||
		{ mrk_log "$deb: not a valid .deb (dpkg-deb --info failed)"; return 1; }
	pkg=$(dpkg-deb --field "$deb" Package) || return 1
	ver=$(dpkg-deb --field "$deb" Version) || return 1
	want=$(mrk_apt_sha256 "$pkg" "$ver")
	if [[ -z $want ]]; then
		mrk_log "apt has no SHA256 for $pkg $ver: checked with dpkg-deb only"
		return 0
	fi
	got=$(sha256sum "$deb") || return 1
	got=${got%% *}
	if [[ $got != "$want" ]]; then
		mrk_log "$deb: SHA256 $got, but apt says $want"
		return 1
	fi
}

# Prints the path of a verified .deb of package $2 (at version $3 if
# given) in cache $1, downloading it first unless the cache already holds a
# good one.
mrk_fetch_deb() {
	local cache=$1 pkg=$2 ver=${3-} tmp deb found=
	for deb in "$cache/${pkg}_${ver:-*}_"*.deb; do
		[[ -e $deb ]] || continue
		if mrk_verify_deb "$deb"; then
			printf '%s\n' "$deb"
			return 0
		fi
		# Only verified files are renamed into the cache, but a file may
		# have been damaged since, or put there by hand: fetch it anew.
		mrk_log "removing the bad cached $deb"
		rm -f "$deb"
	done
	command -v apt-get >/dev/null 2>&1 || { mrk_log "no apt-get"; return 1; }
	tmp=$(mktemp -d "$cache/.download.XXXXXX") || return 1
	mrk_log "downloading $pkg${ver:+ $ver} into $cache"
	# apt-get download writes into the current directory. As root apt warns
	# that it downloads unsandboxed (the _apt user cannot write to a 0700
	# temp dir): harmless, so its output is shown only on failure.
	if ! (cd "$tmp" && timeout 900 apt-get download "$pkg${ver:+=$ver}") >"$tmp/log" 2>&1; then
		mrk_log "apt-get download $pkg${ver:+=$ver} failed:"
		sed 's/^/kernel.sh:   /' "$tmp/log" >&2
		rm -rf "$tmp"
		return 1
	fi
	for deb in "$tmp"/*.deb; do
		[[ -e $deb ]] || continue
		if mrk_verify_deb "$deb"; then
			mv -f "$deb" "$cache/" && found=$cache/${deb##*/}
		fi
	done
	rm -rf "$tmp"
	[[ -n $found ]] || { mrk_log "no valid .deb for $pkg was downloaded"; return 1; }
	printf '%s\n' "$found"
}

# Unpacks .deb $2 into $1/$3/root unless already there.
mrk_unpack() {
	local cache=$1 deb=$2 kver=$3 tmp
	[[ -d $cache/$kver/root/boot ]] && return 0
	mkdir -p "$cache/$kver" || return 1
	tmp=$(mktemp -d "$cache/.unpack.XXXXXX") || return 1
	mrk_log "unpacking ${deb##*/}"
	if ! dpkg-deb -x "$deb" "$tmp"; then
		rm -rf "$tmp"
		return 1
	fi
	mv "$tmp" "$cache/$kver/root"
}

# Unsigned little-endian integer of $3 bytes at offset $2 of file $1.
mrk_read_uint() {
	local v
	v=$(od -An -t "u$3" --endian=little -j "$2" -N "$3" "$1") || return 1
	v=${v//[[:space:]]/}
	[[ -n $v ]] || return 1
	printf '%s\n' "$v"
}

# Hex string of $3 bytes at offset $2 of file $1, e.g. "fd377a585a00".
mrk_hex_bytes() {
	od -An -t x1 -j "$2" -N "$3" "$1" | tr -d ' \n'
}

# The decompressor for a payload, from its magic bytes; fails (with the
# format named) if the host has no tool for it.
mrk_decompressor() {
	local magic=$1 fmt tool
	case $magic in
	fd377a585a00*) fmt=xz tool="xz -dc" ;;
	1f8b*) fmt=gzip tool="gzip -dc" ;;
	28b52ffd*) fmt=zstd tool="zstd -dcq" ;;
	02214c18*) fmt=lz4 tool="lz4 -dc" ;;
	425a68*) fmt=bzip2 tool="bzip2 -dc" ;;
	5d0000*) fmt=lzma tool="xz --format=lzma -dc" ;;
	894c5a4f*) mrk_log "payload is LZO: not supported here"; return 1 ;;
	*) mrk_log "payload magic $magic is no format known here"; return 1 ;;
	esac
	if ! command -v "${tool%% *}" >/dev/null 2>&1; then
		mrk_log "payload is $fmt, but ${tool%% *} is not installed"
		return 1
	fi
	printf '%s\n' "$tool"
}

# Checks that $1 is an ELF64 little-endian x86-64 executable, reading the
# identification bytes and e_type/e_machine directly (file(1) may be absent).
mrk_is_elf64_x86_64() {
	[[ $(mrk_hex_bytes "$1" 0 6) == 7f454c460201 ]] &&
		[[ $(mrk_read_uint "$1" 16 2) == 2 ]] &&   # e_type: ET_EXEC
		[[ $(mrk_read_uint "$1" 18 2) == 62 ]]     # e_machine: EM_X86_64
}

# Extracts the ELF vmlinux from bzImage $1 into $2 (via a temp file).
#
# The setup header gives the protected-mode code's start,
# (setup_sects + 1) * 512, and at 0x248/0x24c the payload's offset in it
# and its exact length. On x86 the kernel build appends the uncompressed
# size (u32, little endian) to every compressed payload, so the payload is
# the compressed stream plus 4 bytes: the stream is decompressed without
# them (xz rejects them as trailing garbage) and the result's size must
# equal them.
mrk_extract_vmlinux() {
	local bz=$1 out=$2 setup_sects start off len magic tool want got tmp
	[[ $(mrk_hex_bytes "$bz" 0x202 4) == 48647253 ]] ||
		{ mrk_log "$bz: no HdrS: not a bzImage"; return 1; }
	setup_sects=$(mrk_read_uint "$bz" 0x1f1 1) || return 1
	((setup_sects == 0)) && setup_sects=4 # the boot protocol's old default
	off=$(mrk_read_uint "$bz" 0x248 4) || return 1
	len=$(mrk_read_uint "$bz" 0x24c 4) || return 1
	start=$(((setup_sects + 1) * 512 + off))
	((len > 4)) || { mrk_log "$bz: payload_length $len: no payload"; return 1; }
	magic=$(mrk_hex_bytes "$bz" "$start" 6)
	tool=$(mrk_decompressor "$magic") || return 1
	want=$(mrk_read_uint "$bz" $((start + len - 4)) 4) || return 1
	tmp=$out.tmp.$$
	# dd, not tail|head: head closing early would kill tail with SIGPIPE,
	# a failure under the callers' pipefail.
	# shellcheck disable=SC2086 # $tool is a command and its options
	if ! dd if="$bz" bs=64K iflag=skip_bytes,count_bytes skip="$start" \
		count=$((len - 4)) status=none | $tool >"$tmp"; then
		mrk_log "$bz: '$tool' failed on the payload"
		rm -f "$tmp"
		return 1
	fi
	got=$(stat -c %s "$tmp")
	if ((got != want)); then
		mrk_log "$bz: decompressed $got bytes, the payload's trailer says $want"
		rm -f "$tmp"
		return 1
	fi
	if ! mrk_is_elf64_x86_64 "$tmp"; then
		mrk_log "$bz: the payload is not an ELF64 x86-64 executable"
		rm -f "$tmp"
		return 1
	fi
	mv -f "$tmp" "$out"
}

# Sets MRK_* for kver $2, extracting vmlinux if the cache lacks it.
mrk_use_kver() {
	local cache=$1 kver=$2
	MRK_VERSION=$kver
	MRK_BZIMAGE=$cache/$kver/root/boot/vmlinuz-$kver
	MRK_VMLINUX=$cache/$kver/vmlinux
	[[ -f $MRK_BZIMAGE ]] || { mrk_log "$MRK_BZIMAGE missing"; return 1; }
	if [[ ! -f $MRK_VMLINUX ]]; then
		mrk_log "extracting vmlinux from $MRK_BZIMAGE"
		mrk_extract_vmlinux "$MRK_BZIMAGE" "$MRK_VMLINUX" || return 1
	fi
}

# Makes kver $2 (package $3) present: cached .deb or download, unpack.
mrk_prepare() {
	local cache=$1 kver=$2 pkg=$3 deb
	if [[ ! -d $cache/$kver/root/boot ]]; then
		command -v dpkg-deb >/dev/null 2>&1 || { mrk_log "no dpkg-deb"; return 1; }
		deb=$(mrk_fetch_deb "$cache" "$pkg") || return 1
		mrk_unpack "$cache" "$deb" "$kver" || return 1
	fi
	mrk_use_kver "$cache" "$kver"
}

mrk_get_kernel_locked() {
	local cache=$1 pkg kver
	pkg=$(mrk_current_package)
	if [[ -n $pkg ]]; then
		mrk_prepare "$cache" "${pkg#linux-image-}" "$pkg" && return 0
		mrk_log "could not get $pkg; looking for another kernel in the cache"
	else
		mrk_log "apt-cache does not know linux-image-amd64 (no apt, or apt-get update not run); looking in the cache"
	fi
	kver=$(mrk_newest_cached_kver "$cache")
	if [[ -z $kver ]]; then
		mrk_fail "no Debian kernel: apt could not provide one and $cache holds none"
		return 1
	fi
	if [[ $pkg == "linux-image-$kver" ]]; then
		mrk_fail "could not prepare $pkg (see the kernel.sh messages above)"
		return 1
	fi
	mrk_log "using the cached kernel $kver"
	mrk_prepare "$cache" "$kver" "linux-image-$kver" ||
		mrk_fail "could not prepare the cached kernel $kver (see the kernel.sh messages above)"
}

mrk_get_kernel() {
	local cache lockfd status
	MRK_BZIMAGE='' MRK_VMLINUX='' MRK_VERSION='' MRK_SKIP_REASON=''
	cache=$(mrk_cache_dir)
	mkdir -p "$cache" 2>/dev/null || { mrk_fail "cannot create the cache $cache"; return 1; }
	# One preparer at a time: concurrent test runs share the cache.
	exec {lockfd}>"$cache/.lock" || { mrk_fail "cannot write to the cache $cache"; return 1; }
	if ! flock -w 1200 "$lockfd"; then
		exec {lockfd}>&-
		mrk_fail "timed out waiting for the lock on $cache"
		return 1
	fi
	mrk_get_kernel_locked "$cache"
	status=$?
	exec {lockfd}>&-
	if ((status != 0)); then
		[[ -n $MRK_SKIP_REASON ]] ||
			MRK_SKIP_REASON="could not prepare Debian's kernel (see the kernel.sh messages above)"
		MRK_BZIMAGE='' MRK_VMLINUX='' MRK_VERSION=''
	fi
	return "$status"
}
