#!/bin/sh
# Builds a kernel from Debian's linux-source-6.1 with boot/microrun.config
# merged onto tinyconfig, once: the build is cached in
# ~/.cache/microrun-tests/linux-source/build, stamped with a hash of the
# fragment and the source package, and reused while both are unchanged;
# after a change of either it is configured anew and rebuilt there,
# incrementally (kbuild recompiles what the changed options touch).
# Prints the bzImage's path on stdout; progress goes to stderr.
#
# Fails when a value of the fragment did not survive olddefconfig (a
# symbol that does not exist, or whose dependencies are not met), naming it.
#
# Environment: MICRORUN_KERNEL_JOBS (default 2), MICRORUN_TEST_CACHE.
set -eu

here=$(cd "$(dirname "$0")/../.." && pwd)
fragment=$here/boot/microrun.config
cache=${MICRORUN_TEST_CACHE:-$HOME/.cache/microrun-tests}/linux-source
package=linux-source-6.1
jobs=${MICRORUN_KERNEL_JOBS:-2}

say() { echo "build-kernel: $*" >&2; }

fetch_source() {
	src=$cache/$package
	[ -f "$src/Makefile" ] && return
	mkdir -p "$cache"
	( cd "$cache" && ls ${package}_*.deb >/dev/null 2>&1 || apt-get download $package >&2 ) ||
		{ say "cannot download $package (apt-get download $package)"; exit 1; }
	say "unpacking $package"
	rm -rf "$cache/pkg"
	dpkg-deb -x "$cache"/${package}_*.deb "$cache/pkg"
	tar -C "$cache" -xf "$cache/pkg/usr/src/$package.tar.xz"
	rm -rf "$cache/pkg"
}

# Every CONFIG_X=v (or =n) line of the fragment, as .config spells it.
expected_lines() {
	sed -n 's/^\(CONFIG_[A-Za-z0-9_]*\)=n$/# \1 is not set/p; /^CONFIG_.*=[^n]/p; /^CONFIG_.*=$/p' "$fragment"
}

check_config() {
	missing=$(expected_lines | while IFS= read -r line; do
		grep -qxF "$line" "$1" || echo "$line"
	done)
	[ -z "$missing" ] && return
	say "values of $fragment not taken by olddefconfig (missing symbol or unmet dependency):"
	echo "$missing" | sed 's/^/  /' >&2
	exit 1
}

# What building Linux takes beyond gcc and make (Debian's package names).
check_tools() {
	missing=
	for t in flex bison bc; do
		command -v $t >/dev/null || missing="$missing $t"
	done
	[ -e /usr/include/libelf.h ] || missing="$missing libelf-dev"
	[ -e /usr/include/openssl/opensslv.h ] || missing="$missing libssl-dev"
	[ -z "$missing" ] && return
	say "building Linux needs:$missing (apt-get install -y$missing)"
	exit 1
}

check_tools
fetch_source
hash=$( (cat "$fragment"; basename "$cache"/${package}_*.deb) | sha256sum | cut -c1-12)
out=$cache/build
image=$out/arch/x86/boot/bzImage
if [ -f "$out/built-$hash" ] && [ -f "$image" ]; then
	echo "$image"
	exit 0
fi
mkdir -p "$out"
rm -f "$out"/built-*
say "configuring in $out"
make -s -C "$src" O="$out" tinyconfig >&2
(cd "$src" && scripts/kconfig/merge_config.sh -m -O "$out" "$out/.config" "$fragment") >"$out/merge.log" 2>&1 ||
	{ cat "$out/merge.log" >&2; exit 1; }
make -s -C "$src" O="$out" olddefconfig >&2
check_config "$out/.config"
say "building bzImage with $jobs jobs (log: $out/build.log)"
nice -n 19 make -C "$src" O="$out" -j"$jobs" bzImage >"$out/build.log" 2>&1 ||
	{ tail -20 "$out/build.log" >&2; say "build failed: $out/build.log"; exit 1; }
touch "$out/built-$hash"
echo "$image"
