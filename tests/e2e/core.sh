#!/usr/bin/env bash
# Check the product's main workflow in a booted test host. Two children of one base
# are declared in /etc/nspawn-overlay. The checks cover the generated units,
# machinectl start, shell, login, poweroff and reboot, and the guard that keeps the
# base from booting. An enabled child must come back after the test host reboots.
# Run as root after building: meson setup build --prefix=/usr && ninja -C build
# then tests/e2e/core.sh (BUILD_DIR selects another build directory).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/testhost.sh
source "$E2E_DIR/../lib/testhost.sh"
# shellcheck source=tests/lib/assert.sh
source "$E2E_DIR/../lib/assert.sh"

BASE=$TESTHOST_BASE_NAME
IMAGE_DIR=$TESTHOST_IMAGE_DIR
APACHE=child-apache
WEB=child-web

# Unit names as `systemd-escape --path` makes them ("-" in a path becomes "\x2d").
APACHE_MOUNT='var-lib-container-child\x2dapache.mount'
APACHE_AUTOMOUNT='var-lib-container-child\x2dapache.automount'
WEB_MOUNT='var-lib-container-child\x2dweb.mount'

# Where systemd puts what generators write for a normal boot.
GENERATOR_DIR=/run/systemd/generator

# A file put into the base before any child mounts it, to recognize the base in a
# child's merged view.
BASE_MARKER=/etc/nspawn-overlay-e2e-marker
BASE_MARKER_CONTENT="base marker $$"

# How long a nested child may take to boot. Seen here: about 2 s.
CHILD_BOOT_TIMEOUT=90

write_child_config() {
	local name=$1

	testhost_write "/etc/nspawn-overlay/$name.conf" <<-EOF
		[Overlay]
		Base=$BASE
		ImageDirectory=$IMAGE_DIR
	EOF
}

machine_property() {
	local name=$1 property=$2

	testhost_run machinectl show "$name" --property="$property" --value
}

# Print the guest's system state; fails while its bus is not reachable yet.
guest_system_state() {
	testhost_run timeout 20 systemctl --machine="$1" is-system-running --wait
}

guest_booted() {
	local state

	state=$(guest_system_state "$1") || true
	if [[ $state != running && $state != degraded ]]; then
		printf 'guest %s is in state "%s"\n' "$1" "$state"
		return 1
	fi
}

# Wait up to TIMEOUT seconds for the guest NAME to finish booting. Gives up at once
# when its nspawn service failed or is not even starting, so a broken start costs no
# full timeout.
wait_guest_booted() {
	local name=$1 timeout=$2 deadline service_state

	deadline=$((SECONDS + timeout))
	until guest_booted "$name" >/dev/null; do
		service_state=$(testhost_run systemctl is-active "systemd-nspawn@$name.service") || true
		if [[ $service_state != active && $service_state != activating && $service_state != reloading ]]; then
			printf 'systemd-nspawn@%s.service is "%s":\n' "$name" "$service_state"
			testhost_run systemctl --no-pager --lines=15 status "systemd-nspawn@$name.service"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			printf 'guest %s did not finish booting within %s s\n' "$name" "$timeout"
			return 1
		fi
		sleep 0.5
	done
}

machine_absent() {
	if testhost_run machinectl show "$1" >/dev/null 2>&1; then
		printf 'machine %s is still registered\n' "$1"
		return 1
	fi
}

unit_inactive() {
	! testhost_run systemctl is-active --quiet "$1"
}

mount_fstype() {
	testhost_run findmnt --noheadings --output FSTYPE --mountpoint "$1"
}

mount_options() {
	testhost_run findmnt --noheadings --output OPTIONS --mountpoint "$1"
}

# Check that the child's merged view shows the marker file put into the base before
# the first mount, and that the file is not copied into the upper layer. The check
# works whether the lowerdir is the base itself or an idmapped mount of it.
base_marker_visible() {
	local name=$1 content

	content=$(testhost_run cat "$IMAGE_DIR/$name$BASE_MARKER") || return 1
	if [[ $content != "$BASE_MARKER_CONTENT" ]]; then
		printf '%s in %s contains "%s", expected "%s"\n' "$BASE_MARKER" "$name" "$content" "$BASE_MARKER_CONTENT"
		return 1
	fi
	if testhost_run test -e "$IMAGE_DIR/${name}_up$BASE_MARKER"; then
		printf '%s was copied up into %s\n' "$BASE_MARKER" "$IMAGE_DIR/${name}_up"
		return 1
	fi
}

unit_property() {
	local unit=$1 property=$2

	testhost_run systemctl show "$unit" --property="$property" --value
}

# Print what `machinectl login NAME` shows on a pseudo-terminal within 10 s. script(1)
# supplies the terminal; stdin is /dev/null, so the session ends by itself.
login_screen() {
	testhost_run timeout 10 script --quiet --return --command "machinectl login $1" /dev/null \
		</dev/null 2>&1 || true
}

login_prompt_shown() {
	local screen

	screen=$(login_screen "$1")
	if ! grep -q 'login: ' <<<"$screen"; then
		printf 'no "login: " prompt; the terminal showed:\n%s\n' "$screen"
		return 1
	fi
}

# Upper-layer size in MiB. A child that was chowned into a user namespace range on
# first boot copies the whole base up (281 MiB for a 274 MiB base with stock -U).
upper_size_mib() {
	testhost_run du --summarize --block-size=1M "$IMAGE_DIR/$1_up" | cut -f1
}

upper_is_small() {
	local size

	size=$(upper_size_mib "$1") || return 1
	if ((size >= 64)); then
		printf 'upper layer of %s holds %s MiB after boot, expected under 64 MiB (no copy-up of the base)\n' "$1" "$size"
		return 1
	fi
}

machine_running() {
	local state

	state=$(machine_property "$1" State 2>&1) || true
	if [[ $state != running ]]; then
		printf 'machine %s is in state "%s"\n' "$1" "$state"
		return 1
	fi
}

system_running() {
	local state

	state=$(testhost_run systemctl is-system-running) || true
	if [[ $state != running ]]; then
		printf 'test host is "%s", expected "running"; failed units:\n' "$state"
		testhost_run systemctl --no-pager --failed
		return 1
	fi
}

machine_restarted() {
	local name=$1 old_leader=$2 leader

	guest_booted "$name" || return 1
	leader=$(machine_property "$name" Leader) || return 1
	if [[ $leader == "$old_leader" ]]; then
		printf 'machine %s still has leader PID %s\n' "$name" "$leader"
		return 1
	fi
}

# Stop the base if the guard failed to keep it from booting, so the checks after it
# run against a stopped base.
stop_base_if_running() {
	if testhost_run machinectl show "$BASE" >/dev/null 2>&1; then
		testhost_log "the base $BASE was booted; stopping it"
		testhost_run machinectl terminate "$BASE" || true
	fi
}

check_installed() {
	check "generator is installed" \
		testhost_run test -x /usr/lib/systemd/system-generators/nspawn-overlay-generator
	check "nspawn-overlay --help works" testhost_run nspawn-overlay --help
}

check_generated_units() {
	check "mount unit is generated" \
		testhost_run test -f "$GENERATOR_DIR/$APACHE_MOUNT"
	check "automount unit is generated" \
		testhost_run test -f "$GENERATOR_DIR/$APACHE_AUTOMOUNT"
	check_output "mount unit is loaded" loaded unit_property "$APACHE_MOUNT" LoadState
	check_output "mount unit names its config" "/etc/nspawn-overlay/$APACHE.conf" \
		unit_property "$APACHE_MOUNT" SourcePath
	check_contains "nspawn service has a generated drop-in" "$GENERATOR_DIR/systemd-nspawn@$APACHE.service.d/" \
		unit_property "systemd-nspawn@$APACHE.service" DropInPaths

	local option
	for option in redirect_dir=off index=off xino=off metacopy=off; do
		check_contains "mount unit pins $option" "^Options=.*(^|[=,])$option(,|\$)" \
			testhost_run systemctl cat "$APACHE_MOUNT"
	done
}

check_apache_started() {
	local started=$EPOCHREALTIME

	check "enable --now starts $APACHE" \
		testhost_run systemctl enable --now "systemd-nspawn@$APACHE.service"
	check "$APACHE finishes booting" wait_guest_booted "$APACHE" "$CHILD_BOOT_TIMEOUT"
	testhost_log "$APACHE booted $(testhost_elapsed "$started") s after enable --now"

	check_output "$APACHE directory is an overlay" overlay mount_fstype "$IMAGE_DIR/$APACHE"
	check "$APACHE shows the base's files" base_marker_visible "$APACHE"
	check_contains "$APACHE overlay has the default upperdir" "upperdir=$IMAGE_DIR/${APACHE}_up(,|\$)" \
		mount_options "$IMAGE_DIR/$APACHE"
	check_contains "$APACHE overlay has the default workdir" "workdir=$IMAGE_DIR/${APACHE}_work(,|\$)" \
		mount_options "$IMAGE_DIR/$APACHE"
	check_output "$APACHE mount unit is active" active unit_property "$APACHE_MOUNT" ActiveState
	# Read from the mount unit's side, because `systemctl show` quotes escaped unit
	# names in the service's lists.
	check_contains "service requires the mount unit" "(^| )systemd-nspawn@$APACHE\.service( |\$)" \
		unit_property "$APACHE_MOUNT" RequiredBy
	check_contains "service starts after the mount unit" "(^| )systemd-nspawn@$APACHE\.service( |\$)" \
		unit_property "$APACHE_MOUNT" Before

	# The output passes through a pseudo-terminal, which ends lines with "\r\n".
	check_contains "machinectl shell runs a command" $'^ok\r?$' \
		testhost_run timeout 30 machinectl --quiet shell "$APACHE" /bin/sh -c 'echo ok'
	check_eventually 30 "machinectl login shows a login prompt" login_prompt_shown "$APACHE"
	check "upper layer stays small after boot" upper_is_small "$APACHE"
}

check_web_started() {
	local started=$EPOCHREALTIME

	# machinectl start looks the image up first, and a child's directory exists only once
	# its overlay was mounted, so a child's first start goes through systemctl (or the
	# automount, where the kernel has autofs). Later machinectl starts are checked below.
	check "systemctl start $WEB" testhost_run systemctl start "systemd-nspawn@$WEB.service"
	check "$WEB finishes booting" wait_guest_booted "$WEB" "$CHILD_BOOT_TIMEOUT"
	testhost_log "$WEB booted $(testhost_elapsed "$started") s after systemctl start"

	check_output "$WEB directory is an overlay" overlay mount_fstype "$IMAGE_DIR/$WEB"
	check_output "$WEB mount unit is active" active unit_property "$WEB_MOUNT" ActiveState
	check "$APACHE runs beside $WEB" machine_running "$APACHE"
	check "$WEB runs beside $APACHE" machine_running "$WEB"
}

check_machine_ids() {
	local apache_id web_id host_id

	apache_id=$(machine_property "$APACHE" Id) || apache_id=
	web_id=$(machine_property "$WEB" Id) || web_id=
	host_id=$(testhost_run cat /etc/machine-id) || host_id=

	check "children have machine ids" test -n "$apache_id" -a -n "$web_id"
	check "children have different machine ids" test "$apache_id" != "$web_id"
	check "children's machine ids differ from the host's" \
		test "${apache_id//-/}" != "$host_id" -a "${web_id//-/}" != "$host_id"
}

check_list() {
	check_contains "nspawn-overlay list shows $APACHE" "(^|[[:space:]])$APACHE([[:space:]]|\$)" \
		testhost_run nspawn-overlay list
	check_contains "nspawn-overlay list shows $WEB" "(^|[[:space:]])$WEB([[:space:]]|\$)" \
		testhost_run nspawn-overlay list
	check_contains "nspawn-overlay list names the base" "$BASE" \
		testhost_run nspawn-overlay list
}

check_base_guard() {
	check_fails_with "machinectl start of the base is refused while children exist" 'refuse' \
		testhost_run machinectl start "$BASE"
	# machinectl start returns once the unit is queued, so a failure may show up only
	# after the job ran.
	sleep 2
	check "base is not running as a machine" machine_absent "$BASE"
	stop_base_if_running
	check "$APACHE still runs after the refused base start" machine_running "$APACHE"

	# The refusal happens before a job is queued, so no failed unit degrades the system.
	check_fails "the refused base leaves no failed unit" \
		testhost_run systemctl is-failed --quiet "systemd-nspawn@$BASE.service"
}

check_web_reboot() {
	local leader id_before id_after

	if ! machine_running "$WEB" >/dev/null; then
		check_report_fail "machinectl reboot $WEB" "expected $WEB to be running before the reboot; it is not, so the reboot was not tried"
		return 0
	fi

	leader=$(machine_property "$WEB" Leader) || leader=
	id_before=$(machine_property "$WEB" Id) || id_before=

	check "machinectl reboot $WEB" testhost_run machinectl reboot "$WEB"
	check_eventually "$CHILD_BOOT_TIMEOUT" "$WEB comes back with a new leader" \
		machine_restarted "$WEB" "$leader"

	id_after=$(machine_property "$WEB" Id) || id_after=
	check "$WEB keeps its machine id across reboots" test -n "$id_after" -a "$id_before" = "$id_after"
}

check_apache_poweroff() {
	check "machinectl poweroff $APACHE" testhost_run machinectl poweroff "$APACHE"
	check_eventually 60 "$APACHE is gone after poweroff" machine_absent "$APACHE"
	check_eventually 30 "$APACHE service is inactive" unit_inactive "systemd-nspawn@$APACHE.service"
	check "$WEB still runs" machine_running "$WEB"

	check "machinectl start $APACHE after its first start" testhost_run machinectl start "$APACHE"
	check "$APACHE boots from machinectl start" wait_guest_booted "$APACHE" "$CHILD_BOOT_TIMEOUT"
	check "machinectl poweroff $APACHE again" testhost_run machinectl poweroff "$APACHE"
	check_eventually 60 "$APACHE is gone after the second poweroff" machine_absent "$APACHE"
}

check_after_host_reboot() {
	local started=$EPOCHREALTIME

	if ! testhost_reboot; then
		check_report_fail "test host reboots" "expected the test host to boot again after 'systemctl reboot'"
		return 0
	fi
	check_report_pass "test host reboots"

	check "enabled $APACHE starts at boot" wait_guest_booted "$APACHE" "$CHILD_BOOT_TIMEOUT"
	testhost_log "$APACHE was up $(testhost_elapsed "$started") s after the test host reboot started"
	check_output "$APACHE directory is an overlay after reboot" overlay mount_fstype "$IMAGE_DIR/$APACHE"
	check "$WEB, not enabled, stays stopped" machine_absent "$WEB"
	check "test host is running after reboot" system_running
}

main() {
	testhost_start

	check_installed

	printf '%s\n' "$BASE_MARKER_CONTENT" | testhost_write "$IMAGE_DIR/$BASE$BASE_MARKER"
	write_child_config "$APACHE"
	write_child_config "$WEB"
	check "daemon-reload runs the generator" testhost_run systemctl daemon-reload
	check_generated_units

	check_apache_started
	check_web_started
	check_machine_ids
	check_list

	# No autofs here: the automount units must not leave the test host degraded.
	check "test host is running with both children" system_running

	check_base_guard
	check_web_reboot
	check_apache_poweroff

	check "test host is running after the child changes" system_running

	check_after_host_reboot

	testhost_stop
	check_summary
}

main "$@"
