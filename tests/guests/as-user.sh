#!/bin/bash
# tests/guests/as-user.sh MICRORUN GUESTDIR
#
# The whole tiny-guest suite (tests/guests/run.sh) as an unprivileged user
# whose only way to /dev/kvm is a group, as a user in the `kvm` group has
# it (issue 7: microrun needs no root). Started as root, it changes nothing
# on the host: in a private mount namespace (unshare -m) it makes a device
# node with /dev/kvm's numbers on a tmpfs of its own, root:GID 0660, and
# binds it over /dev/kvm there; then it runs run.sh as nobody (uid 65534)
# with GID as a supplementary group (setpriv). GID is the kvm group's, or
# an unused one where there is none; no user or group is created. The
# mounts go with the namespace. MICRORUN, the guests and the scripts are
# copied into a directory nobody owns, which is its TMPDIR too.
#
# Passes when run.sh passes with nothing skipped but the cases that need
# root (they say so). Not root, or no setpriv/unshare: prints why and
# counts as skipped (exit 0).
set -u

USER_ID=65534
# run.sh's reason for each case that needs root; any other skip fails
ROOT_SKIP='needs root'

skip() {
	echo "# skipping the tiny-guest suite as a non-root user: $*"
	echo "0 passed, 0 failed, 1 skipped"
	exit 0
}

# --- inside the namespace (the script again, as root) -----------------------

# node_over_kvm DIR GID: a copy of /dev/kvm's node, root:GID 0660, on a
# tmpfs at DIR (the namespace's own), bound over /dev/kvm
node_over_kvm() {
	local major minor
	major=$((0x$(stat -c %t /dev/kvm)))
	minor=$((0x$(stat -c %T /dev/kvm)))
	mount -t tmpfs -o mode=0755,size=64k microrun-test "$1" &&
		mknod -m 0660 "$1/kvm" c "$major" "$minor" &&
		chown "0:$2" "$1/kvm" &&
		mount --bind "$1/kvm" /dev/kvm
}

if [ "${1-}" = --inside ]; then
	# --inside WORKDIR GID: the rest runs in the private namespace
	W=$2 GID=$3
	node_over_kvm "$W/dev" "$GID" || exit 1
	as_user() {
		setpriv --reuid="$USER_ID" --regid="$USER_ID" --groups="$GID" \
			env -i PATH="$PATH" HOME="$W/home" TMPDIR="$W/home" "$@"
	}
	if ! as_user sh -c 'exec 3<>/dev/kvm' 2>"$W/home/open-err"; then
		echo "not ok - uid $USER_ID in group $GID cannot open the /dev/kvm node made for it: $(cat "$W/home/open-err")"
		exit 1
	fi
	cd "$W/home" || exit 1
	as_user tests/guests/run.sh ./microrun ./guests
	exit
fi

# --- outside: checks, copies, the namespace ---------------------------------

if [ $# -ne 2 ]; then
	echo "usage: $0 MICRORUN GUESTDIR" >&2
	exit 2
fi
MR=$1
G=$2
[ "$(id -u)" = 0 ] || skip "needs root (to make the user's /dev/kvm in a mount namespace)"
for tool in setpriv unshare mknod; do
	command -v "$tool" >/dev/null || skip "no $tool (util-linux, coreutils)"
done
[ -c /dev/kvm ] || skip "/dev/kvm does not exist (no KVM on this host)"

# The kvm group's id, else one that names no group.
kvm_gid() {
	local gid
	gid=$(getent group kvm | cut -d: -f3)
	[ -z "$gid" ] || { echo "$gid"; return; }
	for gid in $(seq 64999 -1 60000); do
		getent group "$gid" >/dev/null || { echo "$gid"; return; }
	done
}
GID=$(kvm_gid)
[ -n "$GID" ] || skip "no free group id between 60000 and 64999"

W=$(mktemp -d "${TMPDIR:-/tmp}/microrun-as-user.XXXXXX") || exit 1
trap 'rm -rf "$W"' EXIT
HERE=$(dirname "$0")
mkdir -p "$W/dev" "$W/home/tests/guests" "$W/home/tests/lib" &&
	cp "$MR" "$W/home/microrun" &&
	cp -r "$G" "$W/home/guests" &&
	cp "$HERE/run.sh" "$W/home/tests/guests/" &&
	cp "$HERE/../lib/cases.sh" "$W/home/tests/lib/" &&
	chown -R "$USER_ID:$USER_ID" "$W/home" &&
	chmod 0755 "$W" || exit 1

echo "# tests/guests/run.sh as uid $USER_ID, group $GID for a /dev/kvm node root:$GID 0660"
unshare -m --propagation private "$0" --inside "$W" "$GID" | tee "$W/log"
st=${PIPESTATUS[0]}
[ "$st" = 0 ] || { echo "# as uid $USER_ID: the suite failed (status $st)"; exit 1; }
others=$(grep ' # SKIP ' "$W/log" | grep -v " # SKIP $ROOT_SKIP")
if [ -n "$others" ]; then
	echo "# as uid $USER_ID: cases skipped that must run without root:"
	printf '%s\n' "$others" | sed 's/^/#   /'
	exit 1
fi
