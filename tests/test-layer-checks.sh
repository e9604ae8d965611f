#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The pre-mount checks of "nspawn-overlay verify" (the prepare unit runs the same checks), one
# broken layout per case, each asserting the message that names the key, the path and the fix.
# The layouts are built from tmpfs, ramfs, bind, overlay and loop mounts inside a private mount
# namespace, so nothing outside it changes and the mounts end with the script.
#
# Usage: test-layer-checks.sh BUILD_DIR

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)

if [[ ${NSPAWN_OVERLAY_IN_NAMESPACE:-} != 1 ]]; then
	if [[ $(id -u) != 0 ]]; then
		echo "test-layer-checks.sh: needs root for mounts in a private namespace, skipping." >&2
		exit 77
	fi
	exec env NSPAWN_OVERLAY_IN_NAMESPACE=1 unshare --mount --propagation private -- "$0" "$@"
fi

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"

root=$(mktemp -d /tmp/nspawn-overlay-layer-checks.XXXXXX)
trap 'umount -R "$root" 2>/dev/null; rm -rf "$root"' EXIT
mount -t tmpfs tmpfs "$root"
mkdir -p "$root/config" "$root/base/etc" "$root/machines"
touch "$root/base/etc/machine-id"

# write_config NAME [KEY=VALUE...]: an [Overlay] section with Base= the test base, the mount
# point under $root/machines, and the given keys.
write_config() {
	local name=$1
	shift
	{
		printf '[Overlay]\nBase=%s\nImageDirectory=%s\n' "$root/base" "$root/machines"
		printf '%s\n' "$@"
	} >"$root/config/$name.conf"
}

verify() {
	NSPAWN_OVERLAY_CONFIG_PATH=$root/config "$build/src/cli/nspawn-overlay" verify "$@"
}

# A layout with nothing wrong passes: the checks do not reject tmpfs.
mkdir -p "$root/layers/good_up" "$root/layers/good_work"
write_config good "Upper=$root/layers/good_up" "Work=$root/layers/good_work"
check "good layout passes verify" verify good

# Upper and work on one filesystem but under two mounts: st_dev is equal, the mount IDs are not.
mkdir -p "$root/split/up" "$root/split/bound/work"
mount --bind "$root/split/bound" "$root/split/bound"
write_config split-mount "Upper=$root/split/up" "Work=$root/split/bound/work"
check_fails_with "upper and work on two mounts" \
	"split-mount.conf: Upper=$root/split/up and Work=$root/split/bound/work are on different mounts .*Move Work= next to Upper=" \
	verify split-mount

# The work dir does not exist yet: the mount it will be created on is compared.
write_config split-missing "Upper=$root/split/up2" "Work=$root/split/bound/work2"
mkdir -p "$root/split/up2"
check_fails_with "missing work dir on another mount" \
	"split-missing.conf: Upper=$root/split/up2 and Work=$root/split/bound/work2 are on different mounts" \
	verify split-missing

# An upper layer on an overlayfs.
mkdir -p "$root/ovl/lower" "$root/ovl/upper" "$root/ovl/work" "$root/ovl/merged"
mount -t overlay overlay -o "lowerdir=$root/ovl/lower,upperdir=$root/ovl/upper,workdir=$root/ovl/work" "$root/ovl/merged"
mkdir -p "$root/ovl/merged/up" "$root/ovl/merged/work"
write_config on-overlay "Upper=$root/ovl/merged/up" "Work=$root/ovl/merged/work"
check_fails_with "upper on an overlayfs" \
	"on-overlay.conf: Upper=$root/ovl/merged/up is on an overlayfs, which cannot be an upper layer.*Put it on a regular filesystem" \
	verify on-overlay

# ramfs has no extended attributes at all.
mkdir -p "$root/ram"
mount -t ramfs ramfs "$root/ram"
mkdir -p "$root/ram/up" "$root/ram/work"
write_config on-ramfs "Upper=$root/ram/up" "Work=$root/ram/work"
check_fails_with "upper without trusted xattrs" \
	"on-ramfs.conf: Upper=$root/ram/up is on a filesystem without trusted\\.\\* extended attributes.*add userxattr to Options=" \
	verify on-ramfs
mkdir -p "$root/ram/user-up" "$root/ram/user-work"
write_config on-ramfs-user "Upper=$root/ram/user-up" "Work=$root/ram/user-work" "Options=userxattr"
check_fails_with "upper without user xattrs" \
	"on-ramfs-user.conf: Upper=$root/ram/user-up is on a filesystem without user\\.\\* extended attributes.*Put Upper= and Work= on ext4" \
	verify on-ramfs-user

# ext4 without the filetype feature reports DT_UNKNOWN for every directory entry.
truncate -s 32M "$root/no-dtype.img"
if mkfs.ext4 -q -O ^filetype "$root/no-dtype.img" 2>/dev/null &&
	mkdir -p "$root/no-dtype" && mount -o loop "$root/no-dtype.img" "$root/no-dtype" 2>/dev/null; then
	mkdir -p "$root/no-dtype/up" "$root/no-dtype/work"
	write_config no-dtype "Upper=$root/no-dtype/up" "Work=$root/no-dtype/work"
	check_fails_with "upper without d_type" \
		"no-dtype.conf: Upper=$root/no-dtype/up is on a filesystem that reports no file types in directory entries \\(d_type\\).*ext4 \\(with the filetype feature\\)" \
		verify no-dtype
else
	echo "SKIP: upper without d_type (no mkfs.ext4 or loop device here)"
fi

# Missing base, and a base that is a file.
write_config no-base
sed -i "s|^Base=.*|Base=$root/missing|" "$root/config/no-base.conf"
check_fails_with "missing base" \
	"no-base.conf: Base image $root/missing is not accessible: No such file or directory\\. Create or restore it, or correct Base=" \
	verify no-base
touch "$root/base-file"
write_config file-base
sed -i "s|^Base=.*|Base=$root/base-file|" "$root/config/file-base.conf"
check_fails_with "base that is a file" \
	"file-base.conf: Base image $root/base-file is not a directory\\. Base= must name a directory tree" \
	verify file-base

# A mount point that is a symlink.
mkdir -p "$root/real-dir"
ln -s "$root/real-dir" "$root/machines/linked"
write_config linked "Directory=$root/machines/linked" "Upper=$root/layers/linked_up" "Work=$root/layers/linked_work"
check_fails_with "mount point that is a symlink" \
	"linked.conf: Directory=$root/machines/linked is a symlink, and systemd does not mount over symlinks\\. Set Directory= to the real path" \
	verify linked

# Upper and work inside the base through a symlink, which the config's path checks cannot see.
ln -s "$root/base" "$root/into-base"
mkdir -p "$root/base/up"
write_config in-base "Upper=$root/into-base/up" "Work=$root/into-base/work"
check_fails_with "upper inside the base through a symlink" \
	"in-base.conf: Upper=$root/into-base/up resolves to $root/base/up, which overlaps Base=$root/base .*Move Upper= out of the base" \
	verify in-base
check_contains "work inside the base through a symlink" \
	"in-base.conf: Work=$root/into-base/work resolves to $root/base, which overlaps Base=$root/base" \
	printf '%s\n' "$CHECK_OUTPUT"

check_summary
