#!/usr/bin/env bash
# Values with spaces, "$", "%", quotes, backslashes and colons survive the generated
# ExecStart= in a booted test host. The guest gets exactly the environment variable and bind
# mount that its config asked for, so systemd reads our quoting back to the intended arguments.
# Run as root after building; BUILD_DIR selects the build directory.
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/lib/testhost.sh
source "$E2E_DIR/../lib/testhost.sh"
# shellcheck source=tests/lib/assert.sh
source "$E2E_DIR/../lib/assert.sh"

NAME=odd-values
# A bind path in systemd-nspawn's --bind= syntax: "\\" is a backslash, "\:" a colon.
SOURCE='/srv/data dir %i $HOME "q" back\slash:colon'
SOURCE_ESCAPED='/srv/data dir %i $HOME "q" back\\slash\:colon'
VALUE='hello $USER, 100% "done" \n %n'

guest_booted() {
	local state

	state=$(testhost_run timeout 20 systemctl --machine="$NAME" is-system-running --wait 2>&1) || true
	[[ $state == running || $state == degraded ]] || { printf 'guest is "%s"\n' "$state"; return 1; }
}

# The value of GREETING in the environment of the guest's PID 1.
guest_greeting() {
	testhost_run sh -c "tr '\\0' '\\n' </proc/\$(machinectl show $NAME -p Leader --value)/environ" |
		sed -n 's/^GREETING=//p'
}

trap testhost_stop EXIT
testhost_start

testhost_run mkdir -p "$SOURCE"
testhost_run sh -c 'echo bound >"$1/marker"' sh "$SOURCE"
testhost_write "/etc/nspawn-overlay/$NAME.conf" <<CONF
[Overlay]
Base=$TESTHOST_BASE_NAME
ImageDirectory=$TESTHOST_IMAGE_DIR
[Container]
Bind=$SOURCE_ESCAPED:/data
Environment=GREETING=$VALUE
CONF

check "daemon-reload" testhost_run systemctl daemon-reload
check "the child starts" testhost_run systemctl start "systemd-nspawn@$NAME.service"
if [[ $CHECK_LAST_PASSED -eq 0 ]]; then
	testhost_run journalctl --no-pager -n 30 -u "systemd-nspawn@$NAME.service" || true
fi
check_eventually 30 "the child boots" guest_booted
check_output "PID 1 gets the environment value unchanged" "$VALUE" guest_greeting
check_output "the bind mount's source is the odd path" "bound" \
	testhost_run timeout 30 systemd-run --quiet --wait --pipe --machine="$NAME" -- cat /data/marker

check_summary
