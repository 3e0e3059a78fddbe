# shellcheck shell=bash
# The e2e suite's out-of-tree kernel modules (hello_mod/: microrun_hello_base
# and microrun_hello_dep, which needs the base), built on the host against
# Debian's headers for the kernel the suite boots, for the cases of the
# `modules` profile. Sourced, after tests/realkernel/kernel.sh, by run.sh.
#
#   test_modules KVER     prints the directory holding the built .ko files
#
# Cached beside the unpacked kernel, in $(mrk_cache_dir)/KVER/:
#
#   headers/                 linux-headers-KVER, linux-headers-<abi>-common
#                            and linux-kbuild-<major.minor>, each at the
#                            version of the cached linux-image .deb,
#                            unpacked together (dpkg-deb -x)
#   test-modules-<hash>/     the .ko files; <hash> covers hello_mod/ and
#                            this file: a change to either builds anew
#
# Each appears by rename(2) once complete. The .debs are cached beside the
# kernel's, checked against apt's index (mrk_fetch_deb).
#
# The packages point at each other through /usr/src: the headers' Makefile
# is one line, "include /usr/src/linux-headers-<abi>-common/Makefile", an
# absolute path that does not exist here; it is rewritten to the relative
# "include ../linux-headers-<abi>-common/Makefile" (make -C runs in that
# directory, and kbuild takes its source tree from the included Makefile's
# real path). The packages' other links inside usr/src (scripts, tools ->
# ../../lib/linux-kbuild-*) are relative already; the absolute
# lib/modules/KVER/{build,source} links are not used.
#
# Needs: make, the compiler Debian built the kernel with (the headers name
# it: gcc-12 for 6.1), and the libraries linux-kbuild's tools link against
# (libelf1, libssl3, zlib1g); apt-get and dpkg-deb while the cache is cold.

TM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

tm_log() {
	printf 'test-modules.sh: %s\n' "$*" >&2
}

# The version of the cached linux-image package of kver $2 in cache $1.
tm_kernel_version() {
	local deb
	for deb in "$1/linux-image-$2_"*.deb; do
		[[ -e $deb ]] || continue
		dpkg-deb --field "$deb" Version
		return
	done
	tm_log "no linux-image-$2 .deb in $1: cannot tell which headers match it"
	return 1
}

# Unpacks the headers of kver $2 into $1/$2/headers unless already there.
tm_headers() {
	local cache=$1 kver=$2 ver abi=${2%-*} series pkg deb tmp makefile
	[[ -d $cache/$kver/headers ]] && return 0
	ver=$(tm_kernel_version "$cache" "$kver") || return 1
	series=$(printf '%s\n' "$kver" | cut -d. -f1,2)
	tmp=$(mktemp -d "$cache/.headers.XXXXXX") || return 1
	for pkg in "linux-headers-$kver" "linux-headers-$abi-common" "linux-kbuild-$series"; do
		if ! deb=$(mrk_fetch_deb "$cache" "$pkg" "$ver") || ! dpkg-deb -x "$deb" "$tmp"; then
			tm_log "could not get $pkg $ver"
			rm -rf "$tmp"
			return 1
		fi
	done
	makefile=$tmp/usr/src/linux-headers-$kver/Makefile
	if ! grep -qx "include /usr/src/linux-headers-$abi-common/Makefile" "$makefile"; then
		tm_log "$makefile does not include the -common headers as expected:"
		sed 's/^/test-modules.sh:   /' "$makefile" >&2
		rm -rf "$tmp"
		return 1
	fi
	if ! sed -i "s|^include /usr/src/|include ../|" "$makefile" ||
		! mv "$tmp" "$cache/$kver/headers"; then
		rm -rf "$tmp"
		return 1
	fi
}

# The first 16 hex digits of the SHA-256 of hello_mod/ and this file.
tm_hash() {
	local sum
	sum=$(cd "$TM_HERE" && export LC_ALL=C && cat test-modules.sh hello_mod/* | sha256sum) || return 1
	printf '%s\n' "${sum:0:16}"
}

# Builds hello_mod/ against the headers in $1 into the new directory $2:
# in a copy, so that the repository gets no build products.
tm_build() {
	local headers=$1 out=$2 cc
	cc=$(sed -n 's/^CC = .*)\(gcc-[0-9]*\)$/\1/p' "$headers/.kernelvariables")
	if [[ -n $cc ]] && ! command -v "$cc" >/dev/null; then
		tm_log "Debian built this kernel with $cc, which is not installed (Debian: package $cc)"
		return 1
	fi
	mkdir -p "$out/src" && cp "$TM_HERE"/hello_mod/* "$out/src/" || return 1
	if ! make -C "$headers" M="$out/src" modules >"$out/log" 2>&1; then
		tm_log "make modules against $headers failed:"
		tail -n 20 "$out/log" | sed 's/^/test-modules.sh:   /' >&2
		return 1
	fi
	mv "$out"/src/*.ko "$out/" && rm -rf "$out/src" "$out/log"
}

test_modules_locked() {
	local cache=$1 kver=$2 hash out tmp
	hash=$(tm_hash) || return 1
	out=$cache/$kver/test-modules-$hash
	if [[ ! -d $out ]]; then
		tm_headers "$cache" "$kver" || return 1
		tm_log "building hello_mod/ against the headers of $kver into $out"
		tmp=$(mktemp -d "$cache/$kver/.test-modules.XXXXXX") || return 1
		if ! tm_build "$cache/$kver/headers/usr/src/linux-headers-$kver" "$tmp" ||
			! mv "$tmp" "$out"; then
			rm -rf "$tmp"
			return 1
		fi
	fi
	# Other versions unused for two days go (another checkout may be using
	# its own right now), as outer.sh's initramfs images do.
	touch "$out"
	find "$cache/$kver" -maxdepth 1 -name 'test-modules-*' ! -name "${out##*/}" -mtime +1 \
		-exec rm -rf {} +
	printf '%s\n' "$out"
}

test_modules() {
	local cache lockfd status
	cache=$(mrk_cache_dir)
	# The kernel cache's lock: one preparer at a time.
	exec {lockfd}>"$cache/.lock" || return 1
	if ! flock -w 1200 "$lockfd"; then
		exec {lockfd}>&-
		tm_log "timed out waiting for the lock on $cache"
		return 1
	fi
	test_modules_locked "$cache" "$1"
	status=$?
	exec {lockfd}>&-
	return "$status"
}
