#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Prune and diff on an upper layer a guest prepared to lead them out of the layer: symlinks in
# place of base directories, pointing at host directories whose files match the base's.
#
# Usage: prune-hostile.sh BUILD_DIR
set -euo pipefail

if [[ -z ${NSPAWN_OVERLAY_TEST_NAMESPACE:-} ]]; then
	export NSPAWN_OVERLAY_TEST_NAMESPACE=1
	# prune keeps its journal and locks under /var/lib/nspawn-overlay and /run; fresh tmpfs
	# mounts there keep them off the host and end with the namespace.
	exec unshare --mount --propagation private -- sh -c \
		'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && exec bash "$0" "$@"' "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
cli=$build/src/cli/nspawn-overlay

# shellcheck source=../lib/assert.sh
. "$here/../lib/assert.sh"

work=$(mktemp -d /tmp/nspawn-overlay-prune-hostile.XXXXXX)
trap 'umount -q "$work/merged" 2>/dev/null || true; rm -rf "$work"' EXIT

lower=$work/lower upper=$work/upper host=$work/host
mkdir -p "$lower/etc/ssl" "$lower/var/lib" "$upper/etc" "$upper/var" "$host/ssl" "$host/lib" "$work/work" "$work/merged"
for name in a b c; do
	printf 'secret %s\n' "$name" >"$lower/etc/ssl/$name"
	printf 'state %s\n' "$name" >"$lower/var/lib/$name"
done
touch -d @1000000000 "$lower/etc/ssl"/* "$lower/var/lib"/*

# The host's files match the base's in every respect prune compares.
cp -a "$lower/etc/ssl/." "$host/ssl/"
cp -a "$lower/var/lib/." "$host/lib/"
cp -a "$lower/etc/ssl/a" "$lower/etc/a"
cp -a "$lower/etc/a" "$host/a"

# The guest's upper: a symlink in place of a directory, one in place of a file, and a symlink
# as a middle component ("var" is a symlink, so "var/lib" leads to the host).
ln -s "$host/ssl" "$upper/etc/ssl"
ln -s "$host/a" "$upper/etc/a"
rmdir "$upper/var"
ln -s "$host" "$upper/var"

check "prune of the hostile upper succeeds" "$cli" prune --lower="$lower" --upper="$upper" --work="$work/work"
for name in a b c; do
	check "the host file ssl/$name is untouched" test -f "$host/ssl/$name"
	check "the host file lib/$name is untouched" test -f "$host/lib/$name"
done
check "the host file a is untouched" test -f "$host/a"
check "the symlink replacing a directory is kept" test -L "$upper/etc/ssl"
check "the symlink replacing a path component is kept" test -L "$upper/var"
check_contains "diff reports the symlink over a directory as modified" '^modified +/etc/ssl \(type' \
	"$cli" diff --lower="$lower" --upper="$upper"
check_contains "diff reports the symlink over a file as modified" '^modified +/etc/a \(type' \
	"$cli" diff --lower="$lower" --upper="$upper"

# A symlink in a lower layer is not followed either: an identical upper file next to it stays
# compared as a file, and the symlink's target directory is never read.
mkdir -p "$work/lower2" "$work/upper2"
ln -s "$host/ssl" "$work/lower2/ssl"
cp -a "$host/ssl" "$work/upper2/ssl"
check "prune with a symlink in the lower layer succeeds" "$cli" prune --lower="$work/lower2" --upper="$work/upper2"
check "an upper directory over a lower symlink is kept" test -f "$work/upper2/ssl/a"
check "the lower symlink's target is untouched" test -f "$host/ssl/a"

# A directory the guest cannot have made: a mount point inside the upper layer is not entered.
mkdir -p "$upper/mnt" "$lower/mnt"
mount -t tmpfs tmpfs "$upper/mnt"
cp -a "$lower/etc/ssl/a" "$upper/mnt/a"
check "prune with a mount point in the upper layer succeeds" "$cli" prune --lower="$lower" --upper="$upper"
check "prune does not enter a mount point in the upper layer" test -f "$upper/mnt/a"
umount "$upper/mnt"

# The upper's root is never removed, even when everything in it goes.
mkdir -p "$work/lower3" "$work/upper3"
cp -a "$lower/etc" "$work/lower3/"
cp -a "$lower/etc" "$work/upper3/"
touch -r "$work/lower3" "$work/upper3"
check "prune of a fully identical upper succeeds" "$cli" prune --lower="$work/lower3" --upper="$work/upper3"
check "the upper's root stays" test -d "$work/upper3"
check_output "the upper is empty after pruning identical copies" "" ls -A "$work/upper3"

check_summary
