# shellcheck shell=bash
# A throwaway test host: a copy of the cached host image, with the built product
# installed, booted with a real systemd in systemd-nspawn. The machine running the tests
# does not need systemd as PID 1. Source this file, then:
#
#   testhost_start [--no-install]   copy, install, boot and wait (registers cleanup)
#   testhost_run CMD...             run CMD inside the test host as root
#   testhost_write PATH             write stdin to PATH inside the test host
#   testhost_reboot                 `systemctl reboot` inside, then boot the same root again
#   testhost_stop                   power off, clean up; also runs on EXIT
#
# The test host runs with --private-network (so it has no network at all) and
# --capability=all; without both, nested `systemd-nspawn --network-veth` fails with
# "Operation not permitted" on systemd 252.
#
# Environment:
#   BUILD_DIR                  meson build directory configured with --prefix=/usr
#                              (default: build/ in the repository's top directory)
#   TESTHOST_BOOT_TIMEOUT      seconds to wait for the test host to boot (default 120)
#   TESTHOST_STOP_TIMEOUT      seconds to wait for it to power off (default 60)
#   TESTHOST_KEEP              if set to 1, leave the stopped test host's directory for
#                              inspection instead of removing it
#
# Set after testhost_start: TESTHOST_DIR (temporary directory), TESTHOST_ROOT (its root
# file system), TESTHOST_MACHINE (machine name), TESTHOST_NSPAWN_PID, TESTHOST_INIT_PID,
# TESTHOST_CONSOLE (file with the console output of every boot).

TESTHOST_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TESTHOST_REPO_TOP=$(cd "$TESTHOST_LIB_DIR/../.." && pwd)

# shellcheck source=tests/lib/images.sh
source "$TESTHOST_LIB_DIR/images.sh"

BUILD_DIR=${BUILD_DIR:-$TESTHOST_REPO_TOP/build}
TESTHOST_BOOT_TIMEOUT=${TESTHOST_BOOT_TIMEOUT:-120}
TESTHOST_STOP_TIMEOUT=${TESTHOST_STOP_TIMEOUT:-60}
TESTHOST_KEEP=${TESTHOST_KEEP:-0}

# Where the test host keeps bases and children (machinectl searches /var/lib/container
# as well as /var/lib/machines), and the base that tests overlay children on.
TESTHOST_IMAGE_DIR=/var/lib/container
TESTHOST_BASE_NAME=default-ns-1

TESTHOST_DIR=
TESTHOST_ROOT=
TESTHOST_MACHINE=
TESTHOST_NSPAWN_PID=
TESTHOST_INIT_PID=
TESTHOST_CONSOLE=
TESTHOST_NSPAWN_STATUS=
TESTHOST_INIT_START_TIME=

# Exit status of systemd-nspawn when the container's init asked for a reboot.
TESTHOST_REBOOT_STATUS=133

testhost_log() {
	printf 'testhost: %s\n' "$*" >&2
}

# Print the seconds since START, an earlier $EPOCHREALTIME, with one decimal.
testhost_elapsed() {
	local start=$1 now=$EPOCHREALTIME

	awk -v start="$start" -v now="$now" 'BEGIN { printf "%.1f\n", now - start }'
}

testhost_die() {
	printf 'testhost: error: %s\n' "$*" >&2
	return 1
}

# Check that BUILD_DIR is a configured meson build directory with prefix /usr, so the
# installed paths match those systemd searches inside the test host.
testhost_check_build_dir() {
	local prefix

	if [[ ! -f $BUILD_DIR/build.ninja ]]; then
		testhost_die "no meson build directory at '$BUILD_DIR'; run: meson setup '$BUILD_DIR' --prefix=/usr && ninja -C '$BUILD_DIR' (or set BUILD_DIR)"
		return 1
	fi

	prefix=$(meson introspect "$BUILD_DIR" --buildoptions |
		python3 -c 'import json, sys; print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "prefix"))') ||
		{
			testhost_die "could not read the prefix of '$BUILD_DIR' with meson introspect"
			return 1
		}

	if [[ $prefix != /usr ]]; then
		testhost_die "'$BUILD_DIR' is configured with prefix '$prefix', expected '/usr'; run: meson configure '$BUILD_DIR' --prefix=/usr"
		return 1
	fi
}

# Make the temporary directory under /var/tmp, on the disk, because /tmp may be a
# tmpfs in memory and the copied images take about 500 MB. Copy the host image into it.
testhost_prepare_root() {
	TESTHOST_DIR=$(mktemp -d /var/tmp/nspawn-overlay-testhost.XXXXXX)
	TESTHOST_ROOT=$TESTHOST_DIR/root
	TESTHOST_CONSOLE=$TESTHOST_DIR/console.log
	TESTHOST_MACHINE=testhost-$$

	images_copy host "$TESTHOST_ROOT" || return 1

	# A machine id of its own, stable across testhost_reboot.
	tr -d '-' </proc/sys/kernel/random/uuid >"$TESTHOST_ROOT/etc/machine-id"
}

testhost_install_product() {
	# With TESTHOST_DEB set, the product comes from that Debian package, installed with apt-get
	# the way an administrator would. The host image has every dependency, so no network is needed.
	if [[ -n ${TESTHOST_DEB:-} ]]; then
		cp -- "$TESTHOST_DEB" "$TESTHOST_ROOT/tmp/"
		if ! chroot "$TESTHOST_ROOT" env DEBIAN_FRONTEND=noninteractive \
			apt-get install -y "/tmp/$(basename "$TESTHOST_DEB")" >"$TESTHOST_DIR/apt.log" 2>&1; then
			cat "$TESTHOST_DIR/apt.log" >&2
			testhost_die "apt-get install of '$TESTHOST_DEB' into the test host failed"
			return 1
		fi
		rm -f -- "$TESTHOST_ROOT/tmp/$(basename "$TESTHOST_DEB")"
		return 0
	fi

	testhost_check_build_dir || return 1

	if ! meson install -C "$BUILD_DIR" --destdir "$TESTHOST_ROOT" --no-rebuild --quiet; then
		testhost_die "meson install into '$TESTHOST_ROOT' failed; run 'ninja -C $BUILD_DIR' and fix the build first"
		return 1
	fi
}

# Copy the base image into the test host's image directory.
testhost_add_base() {
	mkdir -p "$TESTHOST_ROOT$TESTHOST_IMAGE_DIR"
	images_copy base "$TESTHOST_ROOT$TESTHOST_IMAGE_DIR/$TESTHOST_BASE_NAME"
}

# Start systemd-nspawn in the background and set TESTHOST_NSPAWN_PID.
testhost_launch() {
	printf '\n==== boot at %s ====\n' "$(date -Is)" >>"$TESTHOST_CONSOLE"

	# setsid puts nspawn in a session of its own, so a Ctrl-C at the terminal reaches
	# only this script, whose EXIT trap then powers the test host off cleanly. In a
	# script without job control setsid does not fork, so $! is nspawn's PID.
	setsid systemd-nspawn \
		--directory="$TESTHOST_ROOT" \
		--boot \
		--register=no \
		--keep-unit \
		--private-network \
		--capability=all \
		--console=read-only \
		--machine="$TESTHOST_MACHINE" \
		</dev/null >>"$TESTHOST_CONSOLE" 2>&1 &
	TESTHOST_NSPAWN_PID=$!
	TESTHOST_INIT_PID=
}

testhost_nspawn_alive() {
	[[ -n $TESTHOST_NSPAWN_PID ]] && kill -0 "$TESTHOST_NSPAWN_PID" 2>/dev/null
}

testhost_show_console() {
	testhost_log "last lines of the console log $TESTHOST_CONSOLE:"
	tail -n 30 "$TESTHOST_CONSOLE" >&2 || true
}

# Print the PID of the test host's init: the child of systemd-nspawn that runs
# systemd. nspawn's own helper child exists only during setup.
testhost_find_init() {
	local pid comm

	while read -r pid comm; do
		if [[ $comm == systemd ]]; then
			printf '%s\n' "$pid"
			return 0
		fi
	done < <(ps -o pid=,comm= --ppid "$TESTHOST_NSPAWN_PID" 2>/dev/null)

	return 1
}

# Wait until the test host's systemd reports the end of the boot (running or
# degraded). Sets TESTHOST_INIT_PID.
testhost_wait_booted() {
	local deadline state started=$EPOCHREALTIME

	deadline=$((SECONDS + TESTHOST_BOOT_TIMEOUT))

	until TESTHOST_INIT_PID=$(testhost_find_init) &&
		TESTHOST_INIT_START_TIME=$(testhost_process_start_time "$TESTHOST_INIT_PID"); do
		if ! testhost_nspawn_alive; then
			testhost_show_console
			testhost_die "systemd-nspawn exited before the test host's systemd started"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			testhost_show_console
			testhost_die "no systemd inside the test host after $TESTHOST_BOOT_TIMEOUT s"
			return 1
		fi
		sleep 0.2
	done

	# is-system-running fails at once while the manager's bus is not up yet, so it
	# is retried until it can wait for the end of the boot itself.
	while :; do
		state=$(timeout 10 nsenter -t "$TESTHOST_INIT_PID" -a \
			systemctl is-system-running --wait 2>/dev/null) || true
		case $state in
		running | degraded) break ;;
		esac

		if ! testhost_nspawn_alive; then
			testhost_show_console
			testhost_die "systemd-nspawn exited while the test host was booting"
			return 1
		fi
		if ((SECONDS >= deadline)); then
			testhost_show_console
			testhost_die "the test host did not finish booting within $TESTHOST_BOOT_TIMEOUT s (state '$state')"
			return 1
		fi
		sleep 0.5
	done

	testhost_log "booted in $(testhost_elapsed "$started") s, state '$state' (machine $TESTHOST_MACHINE, nspawn PID $TESTHOST_NSPAWN_PID, init PID $TESTHOST_INIT_PID)"
	if [[ $state == degraded ]]; then
		testhost_log "failed units inside the test host:"
		testhost_run systemctl --no-pager --failed >&2 || true
	fi
}

# Copy the images, install the product (unless --no-install), boot and wait. Registers
# testhost_stop as the EXIT trap, so the test host is cleaned up on failure too.
testhost_start() {
	local install=1 started

	case ${1:-} in
	--no-install) install=0 ;;
	'') ;;
	*)
		testhost_die "unknown option '$1' to testhost_start; expected --no-install"
		return 1
		;;
	esac

	images_require_root || return 1
	trap testhost_stop EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM

	started=$EPOCHREALTIME
	testhost_prepare_root || return 1
	if [[ $install -eq 1 ]]; then
		testhost_install_product || return 1
	fi
	testhost_add_base || return 1
	testhost_log "prepared $TESTHOST_ROOT in $(testhost_elapsed "$started") s"

	testhost_launch
	testhost_wait_booted
}

# Run CMD inside the test host, in all of its init's namespaces, with a clean
# environment. Stdin, stdout and stderr and the exit status are CMD's.
testhost_run() {
	if [[ -z $TESTHOST_INIT_PID ]]; then
		testhost_die "the test host is not running; call testhost_start first"
		return 1
	fi

	nsenter -t "$TESTHOST_INIT_PID" -a -- \
		env -i \
		PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		HOME=/root \
		LANG=C.UTF-8 \
		TERM="${TERM:-dumb}" \
		SYSTEMD_PAGER= \
		"$@"
}

# Write stdin to PATH inside the test host, creating its parent directories.
testhost_write() {
	# shellcheck disable=SC2016 # $1 is expanded by the inner shell.
	testhost_run sh -c 'mkdir -p "$(dirname "$1")" && cat >"$1"' sh "$1"
}

# Wait up to TIMEOUT seconds for nspawn to exit and store its exit status in
# TESTHOST_NSPAWN_STATUS. Must run in the shell that started nspawn, not in a
# subshell such as $(...), because only that shell can collect the status.
testhost_wait_nspawn_exit() {
	local timeout=$1 deadline

	deadline=$((SECONDS + timeout))
	while testhost_nspawn_alive; do
		if ((SECONDS >= deadline)); then
			return 1
		fi
		sleep 0.2
	done

	TESTHOST_NSPAWN_STATUS=0
	wait "$TESTHOST_NSPAWN_PID" || TESTHOST_NSPAWN_STATUS=$?
}

# Reboot the test host: `systemctl reboot` inside makes nspawn exit with status 133,
# then the same root is booted again.
testhost_reboot() {
	testhost_run systemctl reboot || true

	if ! testhost_wait_nspawn_exit "$TESTHOST_STOP_TIMEOUT"; then
		testhost_die "the test host did not shut down within $TESTHOST_STOP_TIMEOUT s after 'systemctl reboot'"
		return 1
	fi
	if [[ $TESTHOST_NSPAWN_STATUS -ne $TESTHOST_REBOOT_STATUS ]]; then
		testhost_show_console
		testhost_die "systemd-nspawn exited with status $TESTHOST_NSPAWN_STATUS after 'systemctl reboot', expected $TESTHOST_REBOOT_STATUS"
		return 1
	fi

	testhost_launch
	testhost_wait_booted
}

# Send SIGNAL to nspawn and wait up to TIMEOUT seconds for it to exit.
testhost_signal_nspawn() {
	local signal=$1 timeout=$2

	testhost_nspawn_alive || return 0
	testhost_log "sending SIG$signal to systemd-nspawn (PID $TESTHOST_NSPAWN_PID)"
	kill -s "$signal" "$TESTHOST_NSPAWN_PID" 2>/dev/null || true
	testhost_wait_nspawn_exit "$timeout"
}

# Power the test host off, forcing it if it does not stop in time, then unmount
# whatever is left below TESTHOST_DIR and remove it. Safe to call more than once.
testhost_stop() {
	local status=$?

	trap - EXIT INT TERM

	if testhost_nspawn_alive; then
		if [[ -n $TESTHOST_INIT_PID ]]; then
			testhost_run systemctl poweroff >/dev/null 2>&1 || true
		fi
		if ! testhost_wait_nspawn_exit "$TESTHOST_STOP_TIMEOUT"; then
			testhost_log "the test host did not power off within $TESTHOST_STOP_TIMEOUT s"
			testhost_signal_nspawn TERM 15 ||
				testhost_signal_nspawn KILL 10 ||
				testhost_log "systemd-nspawn (PID $TESTHOST_NSPAWN_PID) is still running; kill it by hand"
		fi
	fi

	if ! testhost_kill_orphaned_init; then
		testhost_log "not removing $TESTHOST_DIR because its container may still run"
		return "$status"
	fi

	TESTHOST_INIT_PID=
	testhost_remove_dir
	return "$status"
}

# Kill the test host's init if it outlived systemd-nspawn. It does when nspawn is
# killed with SIGKILL: the init is then reparented and keeps the container running.
# Killing a PID namespace's init kills every process in that namespace.
testhost_kill_orphaned_init() {
	local deadline

	[[ -n $TESTHOST_INIT_PID ]] || return 0
	testhost_process_is_init "$TESTHOST_INIT_PID" || return 0

	testhost_log "the test host's init (PID $TESTHOST_INIT_PID) outlived systemd-nspawn; sending SIGKILL"
	kill -s KILL "$TESTHOST_INIT_PID" 2>/dev/null || true

	deadline=$((SECONDS + 10))
	while testhost_process_is_init "$TESTHOST_INIT_PID"; do
		if ((SECONDS >= deadline)); then
			testhost_log "PID $TESTHOST_INIT_PID is still running 10 s after SIGKILL"
			return 1
		fi
		sleep 0.2
	done
}

# Print the start time of PID in clock ticks after boot (field 22 of /proc/PID/stat).
# The fields are counted after the ")" that ends the command name, which may contain
# spaces.
testhost_process_start_time() {
	local stat

	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	stat=${stat##*) }
	# shellcheck disable=SC2086 # Split into fields on purpose.
	set -- $stat
	printf '%s\n' "${20}"
}

# Check that PID is still the test host's init, by its start time, so that a PID
# reused by an unrelated process after the container ended is never signalled.
testhost_process_is_init() {
	local start_time

	start_time=$(testhost_process_start_time "$1") || return 1
	[[ $start_time == "$TESTHOST_INIT_START_TIME" ]]
}

testhost_remove_dir() {
	[[ -n $TESTHOST_DIR && -d $TESTHOST_DIR ]] || return 0

	if [[ $TESTHOST_KEEP == 1 ]]; then
		testhost_log "keeping $TESTHOST_DIR (TESTHOST_KEEP=1); remove it with: rm -rf --one-file-system '$TESTHOST_DIR'"
		return 0
	fi

	images_remove_tree "$TESTHOST_DIR" || testhost_log "could not remove '$TESTHOST_DIR'; remove it by hand"
	TESTHOST_DIR=
}
