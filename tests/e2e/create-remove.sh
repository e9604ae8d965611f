#!/usr/bin/env bash
# Check "nspawn-overlay create" and "remove" in a booted test host: create a child of the
# test host's base with --enable --start, use it through machinectl, then remove it with
# --purge and check that no unit, mount, config, layer or runtime directory is left while
# the base is intact. Each step must be in the journal under NSPAWN_OVERLAY_CHILD=.
# Run as root after building: meson setup build --prefix=/usr && ninja -C build
# then tests/e2e/create-remove.sh (BUILD_DIR selects another build directory).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/testhost.sh
source "$E2E_DIR/../lib/testhost.sh"
# shellcheck source=tests/lib/assert.sh
source "$E2E_DIR/../lib/assert.sh"

BASE=$TESTHOST_BASE_NAME
IMAGE_DIR=$TESTHOST_IMAGE_DIR
CHILD=web1
SERVICE=systemd-nspawn@$CHILD.service
# The unit name `systemd-escape --path` makes of $IMAGE_DIR/$CHILD.
MOUNT_UNIT=var-lib-container-web1.mount

# How long a nested child may take to boot. Seen here: about 2 s.
CHILD_BOOT_TIMEOUT=90

# Print the guest's system state; fails while its bus is not reachable yet.
guest_booted() {
	local state

	state=$(testhost_run timeout 20 systemctl --machine="$CHILD" is-system-running --wait) || true
	if [[ $state != running && $state != degraded ]]; then
		printf 'guest %s is in state "%s"\n' "$CHILD" "$state"
		return 1
	fi
}

# Fail if systemd still has any unit whose name contains the child's name loaded.
no_child_units() {
	local units

	units=$(testhost_run systemctl list-units --all --plain --no-legend "*$CHILD*") || return 1
	if [[ -n $units ]]; then
		printf 'units still loaded:\n%s\n' "$units"
		return 1
	fi
}

not_mounted() {
	if testhost_run findmnt --mountpoint "$1" >/dev/null; then
		printf '%s is still mounted\n' "$1"
		return 1
	fi
}

machine_unknown() {
	if testhost_run machinectl show "$CHILD" >/dev/null 2>&1; then
		printf 'machine %s is still registered\n' "$CHILD"
		return 1
	fi
}

count_base_files() {
	testhost_run find "$IMAGE_DIR/$BASE" -xdev | wc -l
}

journal_of_child() {
	testhost_run journalctl --no-pager --output=cat "NSPAWN_OVERLAY_CHILD=$CHILD"
}

testhost_start

base_files_before=$(count_base_files)

started=$EPOCHREALTIME
check "create --enable --start succeeds" \
	testhost_run nspawn-overlay create "$CHILD" --base="$BASE" "ImageDirectory=$IMAGE_DIR" --enable --start
testhost_log "create --enable --start took $(testhost_elapsed "$started") s"

check "the config is in /etc/nspawn-overlay" testhost_run test -f "/etc/nspawn-overlay/$CHILD.conf"
check_output "the service is enabled" enabled testhost_run systemctl is-enabled "$SERVICE"
check_output "the service is active" active testhost_run systemctl is-active "$SERVICE"
check_output "the child's directory is an overlay" overlay \
	testhost_run findmnt --noheadings --output FSTYPE --mountpoint "$IMAGE_DIR/$CHILD"
check_eventually "$CHILD_BOOT_TIMEOUT" "the child finishes booting" guest_booted
# The output passes through a pseudo-terminal, which ends lines with "\r\n".
check_contains "machinectl shell runs a command in the child" $'^ok\r?$' \
	testhost_run timeout 30 machinectl --quiet shell "$CHILD" /bin/sh -c 'echo ok'
check "machinectl shell runs /bin/true" testhost_run timeout 30 machinectl --quiet shell "$CHILD" /bin/true
check_contains "list shows the child running" "^$CHILD +$BASE +$IMAGE_DIR/$CHILD +mounted +running " \
	testhost_run nspawn-overlay list --no-legend
check_fails_with "create refuses the existing name" "Container \"$CHILD\" already exists" \
	testhost_run nspawn-overlay create "$CHILD" --base="$BASE"

started=$EPOCHREALTIME
check "remove --purge --yes succeeds" testhost_run nspawn-overlay remove "$CHILD" --purge --yes
testhost_log "remove --purge took $(testhost_elapsed "$started") s"

check "no unit of the child is loaded" no_child_units
check_fails_with "the service is no longer enabled" '^(disabled|not-found)?$' \
	testhost_run systemctl is-enabled "$SERVICE"
check "machined no longer knows the child" machine_unknown
check "the overlay is unmounted" not_mounted "$IMAGE_DIR/$CHILD"
check "the config is gone" testhost_run test ! -e "/etc/nspawn-overlay/$CHILD.conf"
check "the generated mount unit is gone" testhost_run test ! -e "/run/systemd/generator/$MOUNT_UNIT"
check "the mount point is gone" testhost_run test ! -e "$IMAGE_DIR/$CHILD"
check "the upper layer is gone" testhost_run test ! -e "$IMAGE_DIR/${CHILD}_up"
check "the work directory is gone" testhost_run test ! -e "$IMAGE_DIR/${CHILD}_work"
check "the runtime directory is gone" testhost_run test ! -e "/run/nspawn-overlay-runtime/$CHILD"
check "the base is intact" testhost_run test -x "$IMAGE_DIR/$BASE/usr/lib/systemd/systemd"
check_output "the base has as many files as before" "$base_files_before" count_base_files

check_contains "the journal has the creation" "^Created container $CHILD: /etc/nspawn-overlay/$CHILD.conf" journal_of_child
check_contains "the journal has the enable" "^Enabled $SERVICE\.$" journal_of_child
check_contains "the journal has the start" "^Started $SERVICE\.$" journal_of_child
check_contains "the journal has the stop of the service" "^Stopped $SERVICE\.$" journal_of_child
check_contains "the journal has the stop of the mount" "^Stopped $MOUNT_UNIT\.$" journal_of_child
check_contains "the journal has the deleted upper layer" "^Deleted upper layer $IMAGE_DIR/${CHILD}_up\.$" journal_of_child
check_contains "the journal has the removal" "^Removed container $CHILD and its layers\.$" journal_of_child
check_contains "journal entries name the base" "^ *NSPAWN_OVERLAY_BASE=$BASE$" \
	testhost_run journalctl --no-pager --output=verbose "NSPAWN_OVERLAY_CHILD=$CHILD"

testhost_stop
check_summary
