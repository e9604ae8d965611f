#!/usr/bin/env bash
# Base updates in a booted test host. A base has two children: one enabled and running, one
# stopped. Each wrote files of its own. One contains an unchanged copy-up of a base file (from
# a chmod to the same mode), the other its own version of a file the update changes. Checks:
# `nspawn-overlay update` with a shell command, and with apt-get against a local file:
# repository of .deb files built here, because the test host has no network. Also a failing
# command, SIGKILL of update at random moments, and rollback.
# Run as root after building; BUILD_DIR selects the build directory.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/testhost.sh
source "$E2E_DIR/../lib/testhost.sh"
# shellcheck source=tests/lib/assert.sh
source "$E2E_DIR/../lib/assert.sh"

BASE=$TESTHOST_BASE_NAME
IMAGE_DIR=$TESTHOST_IMAGE_DIR
BASE_DIR=$IMAGE_DIR/$BASE
RUN=child-run
STOP=child-stop
CHILD_BOOT_TIMEOUT=90
WORK=$(mktemp -d /tmp/nspawn-overlay-update-test.XXXXXX)

cleanup() {
	testhost_stop
	rm -rf "$WORK"
}
trap cleanup EXIT

# A package whose only file records its version.
build_deb() {
	local version=$1 root=$WORK/pkg-$1

	mkdir -p "$root/DEBIAN" "$root/usr/share/nso-hello"
	printf '%s\n' "$version" >"$root/usr/share/nso-hello/version"
	cat >"$root/DEBIAN/control" <<-EOF
		Package: nso-hello
		Version: $version
		Architecture: all
		Maintainer: nspawn-overlay tests <root@localhost>
		Description: test package of the nspawn-overlay update test
	EOF
	dpkg-deb --root-owner-group --build "$root" "$WORK/nso-hello_${version}_all.deb" >/dev/null
}

# A flat repository of one .deb, for "deb [trusted=yes] file:DIR ./".
make_repo() {
	local dir=$1 deb=$2

	mkdir -p "$dir"
	cp "$deb" "$dir/"
	(cd "$dir" && dpkg-scanpackages --multiversion . /dev/null 2>/dev/null >Packages)
}

guest_booted() {
	local state

	state=$(testhost_run timeout 20 systemctl --machine="$1" is-system-running --wait 2>&1) || true
	[[ $state == running || $state == degraded ]] || { printf 'guest %s is "%s"\n' "$1" "$state"; return 1; }
}

guest_run() {
	local name=$1
	shift
	testhost_run timeout 30 systemd-run --quiet --wait --pipe --machine="$name" -- "$@"
}

service_state() {
	testhost_run systemctl is-active "systemd-nspawn@$1.service" || true
}

invocation_of() {
	testhost_run systemctl show "systemd-nspawn@$1.service" --property=InvocationID --value
}

machine_gone() {
	! testhost_run machinectl show "$1" >/dev/null 2>&1
}

# Owner, mode, size and content of every file of the base, excluding paths given as arguments.
base_manifest() {
	local exclude=()
	local path
	for path in "$@"; do
		exclude+=(-not -path "./$path")
	done
	testhost_run sh -c 'cd "$1" && shift && find . -xdev "$@" -printf "%U:%G %m %s %y %l %p\n" | sort | md5sum &&
		find . -xdev -type f "$@" -print0 | sort -z | xargs -0 cat | md5sum' sh "$BASE_DIR" "${exclude[@]}"
}

boots_and_stops() {
	testhost_run systemctl start "systemd-nspawn@$1.service" || return 1
	local deadline=$((SECONDS + CHILD_BOOT_TIMEOUT))
	until guest_booted "$1" >/dev/null; do
		((SECONDS < deadline)) || { guest_booted "$1"; return 1; }
		sleep 0.5
	done
	testhost_run machinectl poweroff "$1"
	deadline=$((SECONDS + 60))
	until machine_gone "$1"; do
		((SECONDS < deadline)) || return 1
		sleep 0.3
	done
}

testhost_start

# The base gets two repositories: nso-hello 1.0 in the first, 2.0 in the second.
build_deb 1.0
build_deb 2.0
make_repo "$WORK/repo1" "$WORK/nso-hello_1.0_all.deb"
make_repo "$WORK/repo2" "$WORK/nso-hello_2.0_all.deb"
tar -C "$WORK" -cf - repo1 repo2 | testhost_run sh -c "mkdir -p '$BASE_DIR/var/local' && tar -C '$BASE_DIR/var/local' -xf -"
testhost_run sh -c "printf 'v1\n' >'$BASE_DIR/etc/base-release' && : >'$BASE_DIR/etc/machine-id'"

for name in "$RUN" "$STOP"; do
	testhost_write "/etc/nspawn-overlay/$name.conf" <<-EOF
		[Overlay]
		Base=$BASE
		ImageDirectory=$IMAGE_DIR
	EOF
done
check "daemon-reload" testhost_run systemctl daemon-reload
check "enable --now $RUN" testhost_run systemctl enable --now "systemd-nspawn@$RUN.service"
check "start $STOP" testhost_run systemctl start "systemd-nspawn@$STOP.service"
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN boots" guest_booted "$RUN"
check_eventually "$CHILD_BOOT_TIMEOUT" "$STOP boots" guest_booted "$STOP"

check "$RUN writes a file of its own" guest_run "$RUN" sh -c 'echo run-data >/root/mine'
check "$STOP writes a file of its own" guest_run "$STOP" sh -c 'echo stop-data >/root/mine'
check "$RUN copies up a base file without changing it" guest_run "$RUN" sh -c 'chmod "$(stat -c %a /etc/hostname)" /etc/hostname'
check "$STOP changes a file the update will change" guest_run "$STOP" sh -c 'echo stop-own >/etc/base-release'
check "$RUN holds the copy-up" testhost_run test -e "$IMAGE_DIR/${RUN}_up/etc/hostname"
check "poweroff $STOP" testhost_run machinectl poweroff "$STOP"
check_eventually 60 "$STOP stops" machine_gone "$STOP"
run_invocation=$(invocation_of "$RUN")

update_output=$WORK/update.out
status=0
testhost_run nspawn-overlay update "$BASE" -- sh -c 'echo v2 >/etc/base-release' >"$update_output" 2>&1 || status=$?
check "update runs a shell command" test "$status" -eq 0
check_output "the base has v2" "v2" testhost_run cat "$BASE_DIR/etc/base-release"
check_output "the base's machine ID stays empty" "0" testhost_run stat -c %s "$BASE_DIR/etc/machine-id"
check_contains "the report names $STOP's own version of /etc/base-release" "^  /etc/base-release$" cat "$update_output"
check_contains "the report names $STOP" "Child $STOP keeps its own version" cat "$update_output"
check "the unchanged copy-up is gone from $RUN" testhost_run test ! -e "$IMAGE_DIR/${RUN}_up/etc/hostname"
check_output "$RUN's own file is intact" "run-data" testhost_run cat "$IMAGE_DIR/${RUN}_up/root/mine"
check_output "$STOP's own file is intact" "stop-data" testhost_run cat "$IMAGE_DIR/${STOP}_up/root/mine"
check_output "$STOP keeps its changed file" "stop-own" testhost_run cat "$IMAGE_DIR/${STOP}_up/etc/base-release"
check_output "$RUN runs again" "active" service_state "$RUN"
check "$RUN was restarted" test "$(invocation_of "$RUN")" != "$run_invocation"
check_output "$STOP is still stopped" "inactive" service_state "$STOP"
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN boots after the update" guest_booted "$RUN"
check_output "$RUN sees v2" "v2" guest_run "$RUN" cat /etc/base-release
check_contains "the change record lists /etc/base-release" '^etc/base-release$' \
	testhost_run sh -c 'cat /var/lib/nspawn-overlay/changes/*.changes'
check_contains "the journal has the switch with the base's name" "Switched $BASE_DIR" \
	testhost_run journalctl --no-pager -o cat "NSPAWN_OVERLAY_BASE=$BASE_DIR"
check_contains "the journal has the prune of $RUN" "Pruned .* from child $RUN" \
	testhost_run journalctl --no-pager -o cat "NSPAWN_OVERLAY_CHILD=$RUN"

apt_install="apt-get -o Dir::Etc::sourcelist=/etc/apt/sources.list.d/nso.list -o Dir::Etc::sourceparts=- -o APT::Get::List-Cleanup=0"
check "update installs a package with apt-get" testhost_run nspawn-overlay update "$BASE" -- sh -c \
	"echo 'deb [trusted=yes] file:/var/local/repo1 ./' >/etc/apt/sources.list.d/nso.list && $apt_install update && $apt_install install -y nso-hello"
check "update upgrades it from a second repository" testhost_run nspawn-overlay update "$BASE" -- sh -c \
	"echo 'deb [trusted=yes] file:/var/local/repo2 ./' >/etc/apt/sources.list.d/nso.list && $apt_install update && $apt_install -y upgrade"
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN boots after the apt updates" guest_booted "$RUN"
check_output "$RUN sees nso-hello 2.0" "2.0" guest_run "$RUN" cat /usr/share/nso-hello/version
check_output "$RUN's dpkg knows nso-hello 2.0" "2.0" guest_run "$RUN" dpkg-query -W -f '$${Version}' nso-hello
check "$STOP boots on the updated base" boots_and_stops "$STOP"

# A failing command leaves the base exactly as it was. systemd-run expands ${…} itself, so
# the dpkg-query format above doubles the "$".
manifest=$(base_manifest)
run_invocation=$(invocation_of "$RUN")
status=0
testhost_run nspawn-overlay update "$BASE" -- sh -c 'echo broken >/etc/base-release; exit 7' >/dev/null 2>&1 || status=$?
check_output "a failing command's exit status is returned" "7" echo "$status"
check_output "the base is unchanged after the failed command" "$manifest" base_manifest
check_output "$RUN runs again after the failed update" "active" service_state "$RUN"
check "$RUN was restarted after the failed update" test "$(invocation_of "$RUN")" != "$run_invocation"
check_output "$STOP stays stopped after the failed update" "inactive" service_state "$STOP"

# SIGKILL at random moments: the base is the old or the new version, never a mix.
for round in 1 2 3 4 5; do
	before=$(testhost_run cat "$BASE_DIR/etc/killtest" 2>/dev/null || echo absent)
	rest=$(base_manifest etc/killtest)
	delay=$(awk -v seed="$RANDOM" 'BEGIN { srand(seed); printf "%.2f", rand() * 2.5 }')
	testhost_run nspawn-overlay update "$BASE" -- sh -c "sleep 0.5; echo round-$round >/etc/killtest" >/dev/null 2>&1 &
	update_pid=$!
	sleep "$delay"
	# The update runs inside the test host; kill it there by the PID of its process.
	testhost_run sh -c 'for p in $(pgrep -x nspawn-overlay); do grep -q update /proc/$p/cmdline && kill -KILL $p; done' || true
	wait "$update_pid" || true
	sleep 1
	after=$(testhost_run cat "$BASE_DIR/etc/killtest" 2>/dev/null || echo absent)
	check "round $round (killed after ${delay}s): /etc/killtest is old or new" test "$after" = "$before" -o "$after" = "round-$round"
	check_output "round $round: nothing else in the base changed" "$rest" base_manifest etc/killtest
	check "round $round: $STOP still mounts and boots" boots_and_stops "$STOP"
done
check "an update after the killed ones works" testhost_run nspawn-overlay update "$BASE" -- sh -c 'echo v3 >/etc/base-release'
check_output "the base has v3" "v3" testhost_run cat "$BASE_DIR/etc/base-release"
check "no update state is left" testhost_run sh -c '! ls /var/lib/nspawn-overlay/updates/*.state 2>/dev/null'
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN runs after the update that follows the kills" guest_booted "$RUN"

# prune of a running child: refused, unless asked to stop it first.
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN runs before the prune" guest_booted "$RUN"
check "$RUN copies up another unchanged file" guest_run "$RUN" sh -c 'chmod "$(stat -c %a /etc/issue)" /etc/issue'
check_fails_with "prune refuses a running child" "Refusing to prune $RUN" testhost_run nspawn-overlay prune "$RUN"
run_invocation=$(invocation_of "$RUN")
check "prune --stop prunes a running child" testhost_run nspawn-overlay prune "$RUN" --stop
check "the unchanged copy-up is pruned" testhost_run test ! -e "$IMAGE_DIR/${RUN}_up/etc/issue"
check_output "$RUN runs again after prune --stop" "active" service_state "$RUN"
check "$RUN was restarted by prune --stop" test "$(invocation_of "$RUN")" != "$run_invocation"
check_contains "the journal has the prune of $RUN" "Pruned .* from $RUN" \
	testhost_run journalctl --no-pager -o cat "NSPAWN_OVERLAY_CHILD=$RUN"

check "rollback" testhost_run nspawn-overlay rollback "$BASE"
check_output "the base is back to the version before" "v2" testhost_run cat "$BASE_DIR/etc/base-release"
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN boots on the rolled-back base" guest_booted "$RUN"
if [[ $CHECK_LAST_PASSED -eq 0 ]]; then
	testhost_run systemctl --no-pager status "systemd-nspawn@$RUN.service" "nspawn-overlay-prepare@$RUN.service" || true
	testhost_run journalctl --no-pager -n 40 || true
fi
check_output "$RUN sees the rolled-back file" "v2" guest_run "$RUN" cat /etc/base-release
check "$STOP boots on the rolled-back base" boots_and_stops "$STOP"

# A kill while the update stops a running child: the state file names the child before the stop
# begins, so the next update starts it again.
check_eventually "$CHILD_BOOT_TIMEOUT" "$RUN runs before the kill during its stop" guest_booted "$RUN"
testhost_run nspawn-overlay update "$BASE" -- true >/dev/null 2>&1 &
update_pid=$!
deadline=$((SECONDS + 30))
while [[ $(service_state "$RUN") == active ]] && ((SECONDS < deadline)); do
	sleep 0.05
done
testhost_run sh -c 'for p in $(pgrep -x nspawn-overlay); do grep -q update /proc/$p/cmdline && kill -KILL $p; done' || true
wait "$update_pid" || true
check_contains "the killed update left $RUN in its state file" "STOPPED=.*$RUN" \
	testhost_run sh -c 'cat /var/lib/nspawn-overlay/updates/*.state'
check "the next update finishes" testhost_run nspawn-overlay update "$BASE" -- true
check_output "$RUN runs again after the next update" "active" service_state "$RUN"
check "the next update removed the state file" testhost_run sh -c '! ls /var/lib/nspawn-overlay/updates/*.state 2>/dev/null'

check "the test host is not degraded" test "$(testhost_run systemctl is-system-running)" = running

check_summary
