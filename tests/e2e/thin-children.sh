#!/usr/bin/env bash
# Thin children in a booted test host: with the default PrivateUsers=, two children of one
# base each run in a private, non-overlapping UID range through idmapped lower layers, copy
# nothing up on boot, get their own stable machine IDs and leave the base untouched. A base
# shifted once with `nspawn-overlay shift-base` runs its children in its shared range and still
# boots on its own with `systemd-nspawn -D BASE --private-users=yes`.
# Run as root after building; BUILD_DIR selects the build directory.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/testhost.sh
source "$E2E_DIR/../lib/testhost.sh"
# shellcheck source=tests/lib/assert.sh
source "$E2E_DIR/../lib/assert.sh"

BASE=$TESTHOST_BASE_NAME
IMAGE_DIR=$TESTHOST_IMAGE_DIR
CHILD_BOOT_TIMEOUT=90

# Upper-layer limit after first boot and poweroff. The journal is most of what a child writes;
# a child chowned into its range would copy the whole base (over 250 MiB) up.
UPPER_LIMIT_MIB=16

write_child_config() {
	local name=$1 base=$2

	testhost_write "/etc/nspawn-overlay/$name.conf" <<-EOF
		[Overlay]
		Base=$base
		ImageDirectory=$IMAGE_DIR
	EOF
}

guest_booted() {
	local state

	state=$(testhost_run timeout 20 systemctl --machine="$1" is-system-running --wait 2>&1) || true
	[[ $state == running || $state == degraded ]] || { printf 'guest %s is "%s"\n' "$1" "$state"; return 1; }
}

start_child() {
	testhost_run systemctl start "systemd-nspawn@$1.service"
}

guest_run() {
	local name=$1
	shift
	testhost_run timeout 30 systemd-run --quiet --wait --pipe --machine="$name" -- "$@"
}

# "FIRST_HOST_UID COUNT" of the guest's PID 1, in the test host's IDs.
host_range_of() {
	guest_run "$1" cat /proc/1/uid_map | awk '{ print $2, $3 }'
}

uid_map_not_identity() {
	local map

	map=$(guest_run "$1" cat /proc/1/uid_map) || return 1
	read -r inside outside count <<<"$map"
	if [[ $inside == 0 && $outside == 0 ]]; then
		printf 'guest %s runs with the identity map: %s\n' "$1" "$map"
		return 1
	fi
	printf 'uid_map of %s: %s\n' "$1" "$map"
}

ranges_disjoint() {
	local a b start_a count_a start_b count_b

	a=$(host_range_of "$1") || return 1
	b=$(host_range_of "$2") || return 1
	read -r start_a count_a <<<"$a"
	read -r start_b count_b <<<"$b"
	if ((start_a < start_b + count_b && start_b < start_a + count_a)); then
		printf 'ranges overlap: %s has %s+%s, %s has %s+%s\n' "$1" "$start_a" "$count_a" "$2" "$start_b" "$count_b"
		return 1
	fi
}

machine_id_of() {
	guest_run "$1" cat /etc/machine-id
}

upper_size_mib() {
	testhost_run du --summarize --block-size=1M "$IMAGE_DIR/$1_up" | cut -f1
}

upper_within_limit() {
	local size

	size=$(upper_size_mib "$1") || return 1
	printf 'upper layer of %s: %s MiB\n' "$1" "$size"
	((size <= UPPER_LIMIT_MIB))
}

# Owner, mode, size and content of every file of the base, as one checksum.
base_manifest() {
	testhost_run sh -c "cd '$IMAGE_DIR/$1' && find . -xdev -printf '%U:%G %m %s %y %l %p\n' | sort | md5sum && \
		find . -xdev -type f -print0 | sort -z | xargs -0 cat | md5sum"
}

# Mount points (field 5 of mountinfo) under the prepare unit's runtime directory.
runtime_mounts() {
	testhost_run awk '$5 ~ "^/run/nspawn-overlay-runtime/" { print $5 }' /proc/self/mountinfo
}

no_runtime_mounts() {
	local mounts

	mounts=$(runtime_mounts) || return 1
	if [[ -n $mounts ]]; then
		printf 'still mounted:\n%s\n' "$mounts"
		return 1
	fi
}

trap testhost_stop EXIT
testhost_start

testhost_run sh -c ": >'$IMAGE_DIR/$BASE/etc/machine-id'"
manifest_before=$(base_manifest "$BASE")

write_child_config thin-a "$BASE"
write_child_config thin-b "$BASE"
check "daemon-reload" testhost_run systemctl daemon-reload

check "start thin-a" start_child thin-a
check "start thin-b" start_child thin-b
check_eventually "$CHILD_BOOT_TIMEOUT" "thin-a boots" guest_booted thin-a
check_eventually "$CHILD_BOOT_TIMEOUT" "thin-b boots" guest_booted thin-b

check "thin-a has a user namespace" uid_map_not_identity thin-a
check "thin-b has a user namespace" uid_map_not_identity thin-b
check "the two UID ranges do not overlap" ranges_disjoint thin-a thin-b
check_contains "status says thin-a uses idmapped lower layers" 'User NS: idmap, UID range [0-9]+' \
	testhost_run nspawn-overlay status thin-a
check "no idmapped mount stays visible while children run" no_runtime_mounts

id_a=$(machine_id_of thin-a || true)
id_b=$(machine_id_of thin-b || true)
host_id=$(testhost_run cat /etc/machine-id)
check "thin-a has a machine ID" test -n "$id_a"
check "the children's machine IDs differ" test "$id_a" != "$id_b"
check "a child's machine ID is not the host's" test "$id_a" != "$host_id"
check_output "the base still has an empty machine ID" "0" testhost_run stat -c %s "$IMAGE_DIR/$BASE/etc/machine-id"

check "root in thin-a writes a file" guest_run thin-a sh -c 'echo secret-a >/root/only-in-a'
check_contains "the guest sees its file owned by root" '^0:0$' guest_run thin-a stat -c %u:%g /root/only-in-a
range_a=$(host_range_of thin-a | cut -d' ' -f1)
check_output "the host sees it owned in thin-a's range" "$range_a:$range_a" \
	testhost_run stat -c %u:%g "$IMAGE_DIR/thin-a_up/root/only-in-a"
check_fails "thin-b does not see thin-a's file" guest_run thin-b test -e /root/only-in-a
check_fails "the base does not get thin-a's file" testhost_run test -e "$IMAGE_DIR/$BASE/root/only-in-a"

check "reboot thin-a" testhost_run machinectl reboot thin-a
sleep 2
check_eventually "$CHILD_BOOT_TIMEOUT" "thin-a boots again" guest_booted thin-a
check_output "thin-a keeps its machine ID across a reboot" "$id_a" machine_id_of thin-a

check "poweroff thin-a" testhost_run machinectl poweroff thin-a
check "poweroff thin-b" testhost_run machinectl poweroff thin-b
check_eventually 60 "thin-a stops" sh -c "! $(declare -f testhost_run); TESTHOST_INIT_PID=$TESTHOST_INIT_PID testhost_run machinectl show thin-a >/dev/null 2>&1"
check_eventually 60 "thin-b stops" sh -c "! $(declare -f testhost_run); TESTHOST_INIT_PID=$TESTHOST_INIT_PID testhost_run machinectl show thin-b >/dev/null 2>&1"
check "thin-a's upper layer is small after boot and poweroff" upper_within_limit thin-a
check "thin-b's upper layer is small after boot and poweroff" upper_within_limit thin-b
check "no idmapped mount is left after the children stop" no_runtime_mounts
check_output "the base is unchanged (owners, modes, contents)" "$manifest_before" base_manifest "$BASE"

# The fallback: a base shifted once into a range that its children share.
testhost_run cp -a "$IMAGE_DIR/$BASE" "$IMAGE_DIR/shifted-base"
write_child_config shared-a shifted-base
check "daemon-reload with a child of a second base" testhost_run systemctl daemon-reload
check "shift-base shifts the second base" testhost_run nspawn-overlay shift-base shifted-base 1048576
check "shift-base is idempotent" testhost_run nspawn-overlay shift-base shifted-base 1048576
check_fails_with "shift-base rejects another range" 'already shifted to UID range 1048576' \
	testhost_run nspawn-overlay shift-base shifted-base 2097152
check_output "the shifted base is owned in its range" "1048576:1048576" \
	testhost_run stat -c %u:%g "$IMAGE_DIR/shifted-base/etc/passwd"
check "start shared-a" start_child shared-a
check_eventually "$CHILD_BOOT_TIMEOUT" "shared-a boots" guest_booted shared-a
check_output "shared-a runs in the base's range" "1048576 65536" host_range_of shared-a
check_contains "status says shared-a shares the base's range" 'User NS: shared, UID range 1048576' \
	testhost_run nspawn-overlay status shared-a
check "poweroff shared-a" testhost_run machinectl poweroff shared-a
check_eventually 60 "shared-a stops" sh -c "! $(declare -f testhost_run); TESTHOST_INIT_PID=$TESTHOST_INIT_PID testhost_run machinectl show shared-a >/dev/null 2>&1"
check_eventually 30 "shared-a's mount can be stopped" testhost_run systemctl stop 'var-lib-container-shared\x2da.mount'
check_contains "the shifted base still runs directly with --private-users=yes" '^uid=0\(root\) gid=0\(root\)' \
	testhost_run systemd-nspawn --quiet --register=no --console=pipe -D "$IMAGE_DIR/shifted-base" --private-users=yes /usr/bin/id

check_summary
