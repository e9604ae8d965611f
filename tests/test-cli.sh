#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The nspawn-overlay verbs that need no running systemd: fstab, list, status, verify,
# check-base, prepare and the usage errors, on configs and directories made here.
#
# Usage: test-cli.sh BUILD_DIR

set -euo pipefail

# prepare mounts the lower layers under /run/nspawn-overlay-runtime. A private mount namespace
# with its own /run keeps those mounts off the host, and they end with the namespace.
if [[ -z ${NSPAWN_OVERLAY_TEST_NAMESPACE:-} ]]; then
	export NSPAWN_OVERLAY_TEST_NAMESPACE=1
	exec unshare --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run && exec bash "$0" "$@"' "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
cli=$build/src/cli/nspawn-overlay

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"

work=$(mktemp -d /tmp/nspawn-overlay-cli.XXXXXX)
trap 'rm -rf "$work"' EXIT

export NSPAWN_OVERLAY_CONFIG_PATH=$work/etc:$work/lib
mkdir -p "$work/etc" "$work/lib" "$work/images/default-ns-1/etc"

printf '[Overlay]\nBase=default-ns-1\nImageDirectory=/var/lib/container\n' >"$work/etc/child-apache.conf"

check_output "fstab prints the seed's line with the pinned options" \
	"overlay /var/lib/container/child-apache overlay noauto,x-systemd.automount,lowerdir=/var/lib/container/default-ns-1,upperdir=/var/lib/container/child-apache_up,workdir=/var/lib/container/child-apache_work,redirect_dir=off,index=off,xino=off,metacopy=off 0 0" \
	"$cli" fstab child-apache

printf '[Overlay]\nBase=/srv/my base\nDirectory=/srv/kids/a b\nAutomount=no\n' >"$work/etc/spaced.conf"
check_output "fstab escapes spaces as octal and omits the automount when disabled" \
	'overlay /srv/kids/a\040b overlay noauto,lowerdir=/srv/my\040base,upperdir=/var/lib/machines/spaced_up,workdir=/var/lib/machines/spaced_work,redirect_dir=off,index=off,xino=off,metacopy=off 0 0' \
	"$cli" fstab spaced
rm "$work/etc/spaced.conf"

check_fails_with "fstab of an unknown container fails and names it" 'No container "nosuch"' "$cli" fstab nosuch

check_fails_with "check-base refuses a base with children and names them" \
	'Refusing to boot default-ns-1: it is the base image of child-apache' "$cli" check-base default-ns-1
check "check-base accepts an image without children" "$cli" check-base unrelated

printf '[Overlay]\nBase=default-ns-1\n' >"$work/etc/child_apache.conf"
check_fails "verify fails on an invalid machine name" "$cli" verify child_apache
status=0
output=$("$cli" verify 2>&1) || status=$?
check "verify exits 1 when a container has an error" test "$status" -eq 1
check_contains "verify suggests child-apache" 'Rename the file to child-apache.conf' printf '%s\n' "$output"
check_contains "verify reports the missing base" 'Base image /var/lib/container/default-ns-1 is not accessible' printf '%s\n' "$output"
rm "$work/etc/child_apache.conf"

# A child whose base exists: verify passes, prepare creates the layers.
base=$work/images/default-ns-1
chown 1234:5678 "$base"
chmod 0751 "$base"
printf 'abc\n' >"$base/etc/machine-id"
printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n' "$work/images" >"$work/etc/child-apache.conf"
check "verify passes for a valid child" "$cli" verify child-apache
check_contains "verify warns that the base carries a machine ID" 'carries a machine ID' "$cli" verify child-apache
: >"$base/etc/machine-id"

runtime=/run/nspawn-overlay-runtime/child-apache
check "prepare creates the layers" "$cli" prepare child-apache
check_contains "prepare picks an idmapped base on a root-owned base" '^MODE=idmap$' cat "$runtime/user-namespace"
shift=$(sed -n 's/^UID_SHIFT=//p' "$runtime/user-namespace")
check "the child's UID range is a multiple of 65536 above 524288" test "$((shift % 65536))" -eq 0 -a "$shift" -ge 524288
check_output "upper root has the base root's owner shifted into the range, and its mode" \
	"$((shift + 1234)):$((shift + 5678)) 751" stat -c '%u:%g %a' "$work/images/child-apache_up"
check_output "work directory is root-owned with mode 0700" "0:0 700" stat -c '%u:%g %a' "$work/images/child-apache_work"
check_output "the lower layer is mounted idmapped and read-only" "$((shift + 1234))" stat -c '%u' "$runtime/lower0"
check_contains "the lower mount is read-only" '\bro\b' findmnt -n -o OPTIONS "$runtime/lower0"
check_contains "the environment file carries a machine ID" '^NSPAWN_OVERLAY_MACHINE_ID=[0-9a-f]{32}$' cat "$runtime/environment"
machine_id=$(cat "$runtime/environment")
check "prepare is idempotent" "$cli" prepare child-apache
check_output "the machine ID is stable" "$machine_id" cat "$runtime/environment"
check_output "the UID range is stable" "$shift" sed -n 's/^UID_SHIFT=//p' "$runtime/user-namespace"
check_contains "status shows the recorded user namespace" "User NS: idmap, UID range $shift" "$cli" status child-apache
check_contains "status --json has the UID range" "\"uid_shift\":$shift" "$cli" status child-apache --json
check "release unmounts the lower layers" "$cli" release child-apache
check "release removes the mount points" test ! -e "$runtime/lower0"
check_output "the base is untouched" "1234:5678 751" stat -c '%u:%g %a' "$base"

printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n' "$work/images" >"$work/etc/second.conf"
check "a second child prepares" "$cli" prepare second
second_shift=$(sed -n 's/^UID_SHIFT=//p' /run/nspawn-overlay-runtime/second/user-namespace)
check "two children get different UID ranges" test "$second_shift" -ne "$shift"
check "two children get different machine IDs" test "$(cat /run/nspawn-overlay-runtime/second/environment)" != "$machine_id"
"$cli" release second

printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n[Container]\nPrivateUsers=no\n' "$work/images" >"$work/etc/plain.conf"
check "a child without user namespace prepares" "$cli" prepare plain
check_output "its upper root copies the base root's owner and mode" "1234:5678 751" stat -c '%u:%g %a' "$work/images/plain_up"
check "it mounts no lower layer" test ! -e /run/nspawn-overlay-runtime/plain/lower0
printf 'x\n' >"$work/images/plain_up/file"
printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n' "$work/images" >"$work/etc/plain.conf"
check_fails_with "switching a used upper layer to a user namespace is refused" \
	'Upper layer .*/plain_up is owned by UID 1234, but container plain now runs in UID range' "$cli" prepare plain
rm "$work/etc/plain.conf" "$work/etc/second.conf"

# The fallback for file systems without idmapped mounts: a base shifted once, its range shared.
shifted=$work/images/shifted
mkdir -p "$shifted"
cp -a --reflink=auto "$(readlink -f /usr/bin/true)" "$shifted/true"
printf '[Overlay]\nBase=shifted\nImageDirectory=%s\n' "$work/images" >"$work/etc/sharer.conf"
check_fails_with "shift-base rejects a range that is not a multiple of 65536" 'Invalid UID range "100000"' \
	"$cli" shift-base shifted 100000
chown 1048576:1048576 "$shifted"
check "shift-base accepts a base already in the requested range" "$cli" shift-base shifted 1048576
check_fails_with "shift-base refuses a base shifted to another range" 'already shifted to UID range 1048576, not 2097152' \
	"$cli" shift-base shifted 2097152
check "a child of a shifted base prepares" "$cli" prepare sharer
check_contains "it shares the base's range" '^MODE=shared$' cat /run/nspawn-overlay-runtime/sharer/user-namespace
check_output "its upper root is owned in the base's range" "1048576:1048576" stat -c '%u:%g' "$work/images/sharer_up"
check_output "its lower layer is not remapped" "1048576" stat -c '%u' /run/nspawn-overlay-runtime/sharer/lower0
"$cli" release sharer
printf '[Overlay]\nBase=shifted\nImageDirectory=%s\n[Container]\nPrivateUsers=idmap\n' "$work/images" >"$work/etc/sharer.conf"
check_fails_with "PrivateUsers=idmap refuses a shifted base" 'PrivateUsers=idmap needs bases owned by root' "$cli" prepare sharer
rm "$work/etc/sharer.conf"

ln -s /tmp "$work/images/child-apache"
check_fails_with "prepare refuses a mount point that is a symlink" "Directory=$work/images/child-apache is a symlink" \
	"$cli" prepare child-apache
rm "$work/images/child-apache"

check_output "list prints a table with a footer" "2" sh -c "'$cli' list | grep -c -e '^NAME' -e '1 container listed.'"
check_contains "list shows the child's base and mount state" "^child-apache +default-ns-1 .* unmounted" "$cli" list
check_output "list --no-legend prints only the rows" "1" sh -c "'$cli' list --no-legend | wc -l"
check_contains "list --json is an array with the machine state" '^\[\{"name":"child-apache",.*"mount":"unmounted","machine":"(unknown|stopped)"' "$cli" list --json
check_contains "status shows the generated ExecStart" 'ExecStart: systemd-nspawn .*--machine=child-apache' "$cli" status child-apache
check_contains "status --json has the unit names" '"mount_unit":"' "$cli" status child-apache --json

status=0; "$cli" >/dev/null 2>&1 || status=$?
check "a missing verb is a usage error (2)" test "$status" -eq 2
status=0; "$cli" frobnicate >/dev/null 2>&1 || status=$?
check "an unknown verb is a usage error (2)" test "$status" -eq 2
status=0; "$cli" status >/dev/null 2>&1 || status=$?
check "a missing argument is a usage error (2)" test "$status" -eq 2
for verb in list status fstab verify check-base prepare; do
	check_contains "$verb --help prints its synopsis" "^nspawn-overlay $verb" "$cli" "$verb" --help
done

examples=$(cd "$here/../conf" && pwd)
check "the example configs in conf/ generate without errors" env NSPAWN_OVERLAY_CONFIG_PATH="$examples" \
	SYSTEMD_LOG_TARGET=console "$build/generators/nspawn-overlay-generator" "$(mktemp -d "$work/examples.XXXXXX")"

check_summary
