#!/usr/bin/env bash
# Check, without the product, the recipe the product automates. Inside a booted test
# host, an overlayfs child of the base is mounted by a plain .mount unit. It must boot
# with `machinectl start`, run commands through `machinectl shell` and stop with
# `machinectl poweroff`.
# Run as root: tests/e2e/harness-smoke.sh
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/testhost.sh
source "$E2E_DIR/../lib/testhost.sh"
# shellcheck source=tests/lib/assert.sh
source "$E2E_DIR/../lib/assert.sh"

CHILD=smoke
CHILD_DIR=/var/lib/machines/$CHILD
UPPER=$TESTHOST_IMAGE_DIR/${CHILD}_up
WORK=$TESTHOST_IMAGE_DIR/${CHILD}_work
BASE=$TESTHOST_IMAGE_DIR/$TESTHOST_BASE_NAME

# Features that must stay off so that the base may be changed while no child is
# mounted. The kernel allows such offline changes only when index, metacopy and
# redirect_dir are off and xino is not on (ovl_allow_offline_changes() in
# fs/overlayfs/overlayfs.h).
PINNED_OPTIONS=redirect_dir=off,index=off,xino=off,metacopy=off

# Write a mount unit for the child and an nspawn drop-in without -U, because the
# stock unit's -U chowns the whole tree on first boot and so copies every file up.
write_child_units() {
	testhost_run mkdir -p "$UPPER" "$WORK" "$CHILD_DIR"

	testhost_write /etc/systemd/system/var-lib-machines-smoke.mount <<-EOF
		[Unit]
		Description=Overlay root of the smoke test child

		[Mount]
		What=overlay
		Where=$CHILD_DIR
		Type=overlay
		Options=lowerdir=$BASE,upperdir=$UPPER,workdir=$WORK,$PINNED_OPTIONS
	EOF

	testhost_write "/etc/systemd/system/systemd-nspawn@$CHILD.service.d/overlay.conf" <<-'EOF'
		[Service]
		ExecStart=
		ExecStart=systemd-nspawn --quiet --keep-unit --boot --link-journal=try-guest --network-veth --private-users=no --settings=override --machine=%i
	EOF

	testhost_run systemctl daemon-reload
}

machine_state() {
	testhost_run machinectl show "$CHILD" --property=State --value
}

# Print the guest's system state; fails while its bus is not reachable yet.
guest_system_state() {
	testhost_run timeout 20 systemctl --machine="$CHILD" is-system-running --wait
}

guest_booted() {
	local state
	state=$(guest_system_state) || true
	[[ $state == running || $state == degraded ]]
}

# Check that `machinectl login` shows a "login: " prompt on a pseudo-terminal within
# 10 s. script(1) supplies the terminal; stdin is /dev/null, so the session ends by
# itself.
login_prompt_shown() {
	local screen

	screen=$(testhost_run timeout 10 script --quiet --return --command "machinectl login $CHILD" /dev/null \
		</dev/null 2>&1) || true
	if ! grep -q 'login: ' <<<"$screen"; then
		printf 'no "login: " prompt; the terminal showed:\n%s\n' "$screen"
		return 1
	fi
}

machine_absent() {
	! testhost_run machinectl show "$CHILD" >/dev/null 2>&1
}

service_inactive() {
	! testhost_run systemctl is-active --quiet "systemd-nspawn@$CHILD.service"
}

overlay_options() {
	testhost_run findmnt --noheadings --output OPTIONS --mountpoint "$CHILD_DIR"
}

overlay_features_off() {
	local options
	options=$(overlay_options) || return 1

	if grep -Eo '(redirect_dir=(on|follow|nofollow)|index=on|metacopy=on|xino=(on|auto))' <<<"$options"; then
		printf 'mount options: %s\n' "$options"
		return 1
	fi
}

main() {
	local started

	testhost_start --no-install

	check "test host finished booting" testhost_run systemctl is-system-running
	check "base image is in the test host" testhost_run test -x "$BASE/usr/lib/systemd/systemd"

	write_child_units

	check "overlay mount unit starts" testhost_run systemctl start var-lib-machines-smoke.mount
	check_output "child directory is an overlay" overlay \
		testhost_run findmnt --noheadings --output FSTYPE --mountpoint "$CHILD_DIR"
	check_contains "overlay has the base as lowerdir" "lowerdir=$BASE(,|$)" overlay_options
	check_contains "overlay has the upper dir" "upperdir=$UPPER(,|$)" overlay_options
	check_contains "overlay has the work dir" "workdir=$WORK(,|$)" overlay_options
	# overlayfs lists in /proc/self/mountinfo only the features that differ from the
	# kernel's defaults, so the pinned options are checked in the mount request and as
	# not turned on in the mount table.
	check_contains "mount unit pins the features off" "^Options=.*,$PINNED_OPTIONS\$" \
		testhost_run systemctl cat var-lib-machines-smoke.mount
	check "mount table shows no pinned feature on" overlay_features_off

	started=$EPOCHREALTIME
	check "machinectl start smoke" testhost_run machinectl start "$CHILD"
	check_eventually 90 "child reports running state" guest_booted
	testhost_log "nested child booted in $(testhost_elapsed "$started") s"
	check_output "machined lists the child as running" running machine_state
	check_output "child system state is running" running guest_system_state

	check "machinectl shell runs /bin/true" \
		testhost_run timeout 30 machinectl shell "$CHILD" /bin/true
	check_contains "machinectl shell output reaches the caller" '^ok' \
		testhost_run timeout 30 machinectl shell "$CHILD" /bin/sh -c 'echo ok'

	check_eventually 30 "machinectl login shows a login prompt" login_prompt_shown

	check "child writes land in the upper dir" \
		testhost_run timeout 30 machinectl shell "$CHILD" /bin/sh -c 'echo smoke >/root/smoke-marker'
	check_output "upper dir has the written file" smoke \
		testhost_run cat "$UPPER/root/smoke-marker"
	check "base stays untouched by the child" \
		testhost_run test ! -e "$BASE/root/smoke-marker"
	check_output "base keeps an empty machine id" 0 \
		testhost_run stat --format=%s "$BASE/etc/machine-id"

	check "machinectl poweroff smoke" testhost_run machinectl poweroff "$CHILD"
	check_eventually 60 "child is gone after poweroff" machine_absent
	check_eventually 30 "nspawn service is inactive" service_inactive

	check "overlay unmounts" testhost_run systemctl stop var-lib-machines-smoke.mount
	check "test host is still running" testhost_run systemctl is-system-running

	testhost_stop
	check "test host directory is removed" test ! -e "${TESTHOST_ROOT%/root}"

	check_summary
}

main "$@"
