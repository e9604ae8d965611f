#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# One broken config among good ones, for each validation rule. The generator must log the broken
# one with its file (and line, where one line is at fault) and skip it. It still writes the good
# ones and exits with status 1, as systemd's generators do after a skipped entry.
#
# Usage: test-generator-errors.sh BUILD_DIR

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"

work=$(mktemp -d /tmp/nspawn-overlay-errors.XXXXXX)
trap 'rm -rf "$work"' EXIT

long_value=$(printf 'a%.0s' {1..190})
long_dir=$(printf -- '-%.0s' {1..62})

# name|config text (printf format)|expected message (extended regex)
cases=(
	"no-base|[Overlay]\nImageDirectory=/srv\n|no-base.conf: Base= is not set"
	"relative-upper|[Overlay]\nBase=b\nUpper=up\n|relative-upper.conf:3: Invalid value for Upper=: \"up\"\\. Expected an absolute path"
	"dotdot|[Overlay]\nBase=/srv/../etc\n|dotdot.conf:2: Invalid value for Base=.*\"\\.\\.\" is not allowed"
	"comma-base|[Overlay]\nBase=/srv/a,b\n|comma-base.conf: Base= path \"/srv/a,b\" contains a comma"
	"upper-in-dir|[Overlay]\nBase=b\nUpper=/var/lib/machines/upper-in-dir/up\n|Upper=/var/lib/machines/upper-in-dir/up and Directory=/var/lib/machines/upper-in-dir must be separate"
	"upper-in-base|[Overlay]\nBase=/srv/base\nUpper=/srv/base/up\n|Base=/srv/base and Upper=/srv/base/up must be separate"
	"work-is-upper|[Overlay]\nBase=b\nUpper=/srv/x\nWork=/srv/x\n|Upper=/srv/x and Work=/srv/x must be separate"
	"base-is-dir|[Overlay]\nBase=base-is-dir\n|Base=/var/lib/machines/base-is-dir and Directory=/var/lib/machines/base-is-dir must be separate"
	"bad-bool|[Overlay]\nBase=b\nAutomount=maybe\n|bad-bool.conf:3: Invalid value for Automount=: \"maybe\"\\. Expected a boolean"
	"bad-timeout|[Overlay]\nBase=b\nIdleTimeoutSec=soon\n|bad-timeout.conf:3: Invalid value for IdleTimeoutSec=: \"soon\""
	"bad-network|[Overlay]\nBase=b\n[Container]\nNetwork=vlan\n|bad-network.conf:4: Invalid value for Network=: \"vlan\""
	"bad-users|[Overlay]\nBase=b\n[Container]\nPrivateUsers=100000\n|bad-users.conf:4: Invalid value for PrivateUsers=: \"100000\"\\. The UID base must be a multiple of 65536"
	"bad-bind|[Overlay]\nBase=b\n[Container]\nBind=srv:/x\n|bad-bind.conf:4: Invalid value for Bind=: \"srv:/x\""
	"bad-env|[Overlay]\nBase=b\n[Container]\nEnvironment=1X=y\n|bad-env.conf:4: Invalid value for Environment=: \"1X=y\""
	"layer-option|[Overlay]\nBase=b\nOptions=upperdir=/x\n|layer-option.conf:3: Invalid value for Options=.*set with Base=, Upper= and Work="
	"long-line|[Overlay]\nBase=/srv/$long_value\n|long-line.conf:2: Line is 200 bytes long, but at most 197 are supported"
	"indented|[Overlay]\nBase=b\n  Options=ro\n|indented.conf:3: Line is indented"
	"colon|[Overlay]\nBase: b\n|colon.conf:2: Expected \"Key=Value\""
	"open-section|[Overlay\nBase=b\n|open-section.conf:1: Section header is missing its closing"
	"control-char|[Overlay]\nBase=b\nUpper=/srv/a\tb\n|control-char.conf:3: Invalid value for Upper=: \"/srv/a\\\\tb\"\\. Control characters"
	"bad-utf8|[Overlay]\nBase=b\nUpper=/srv/\xff\n|bad-utf8.conf:3: Invalid value for Upper=: \"/srv/\\\\xff\"\\. The value is not valid UTF-8"
	"trailing-backslash|[Overlay]\nBase=b\nDirectory=/srv/x\\\\\n|trailing-backslash.conf:3: .*may not end in a backslash"
	"long-unit-name|[Overlay]\nBase=b\nDirectory=/srv/x$long_dir\n|gives a mount unit name longer than 255 characters"
	"child_apache|[Overlay]\nBase=b\n|child_apache.conf: \"child_apache\" is not a valid machine name: .*Rename the file to child-apache.conf"
	"shares-upper|[Overlay]\nBase=b\nUpper=/var/lib/machines/good_up\n|shares-upper.conf: Upper=/var/lib/machines/good_up overlaps Upper=/var/lib/machines/good_up of container good"
)

for entry in "${cases[@]}"; do
	IFS='|' read -r name text pattern <<<"$entry"
	config=$work/$name/config
	out=$work/$name/out
	mkdir -p "$config" "$out"

	# shellcheck disable=SC2059
	printf "$text" >"$config/$name.conf"
	printf '[Overlay]\nBase=b\n' >"$config/good.conf"
	printf '[Overlay]\nBase=b\n' >"$config/zz-also-good.conf"

	status=0
	SYSTEMD_LOG_TARGET=console NSPAWN_OVERLAY_CONFIG_PATH=$config \
		"$build/generators/nspawn-overlay-generator" "$out" 2>"$work/$name/stderr" || status=$?

	check "$name: generator exits with 1" test "$status" -eq 1
	check_contains "$name: message names the file and the problem" "$pattern" cat -v "$work/$name/stderr"
	check_contains "$name: message says the container is skipped" "Container $name has invalid settings.*ignoring" cat "$work/$name/stderr"
	check "$name: good configs are still generated" test -f "$out/var-lib-machines-good.mount" -a -f "$out/var-lib-machines-zz\\x2dalso\\x2dgood.mount"
	check "$name: nothing is generated for the broken config" test ! -e "$out/systemd-nspawn@$name.service.d"
done

check_summary
