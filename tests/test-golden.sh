#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Golden test of the generator. It runs the generator on tests/golden/CASE/config and compares
# every written file and symlink, byte for byte, with tests/golden/CASE/expected. Then it checks
# that systemd-analyze verify prints nothing for every generated unit and drop-in.
#
# Usage: test-golden.sh BUILD_DIR CASE [--update]
#   --update rewrites expected/ from the current output, for reviewing with git diff.

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
case_name=$2
update=${3:-}
case_dir=$here/golden/$case_name

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"
# shellcheck source=lib/verify-units.sh
. "$here/lib/verify-units.sh"

work=$(mktemp -d /tmp/nspawn-overlay-golden.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Configs live at a fixed path in the output, so the golden files do not depend on where the
# repository is checked out.
mkdir -p "$work/out"
cp -a "$case_dir/config" "$work/config"
status=0
SYSTEMD_LOG_TARGET=console NSPAWN_OVERLAY_CONFIG_PATH="$work/config" \
	"$build/generators/nspawn-overlay-generator" "$work/out" 2>"$work/stderr" || status=$?

find "$work/out" "$work/stderr" -type f -print0 | xargs -0 sed -i "s|$work/config|/etc/nspawn-overlay|g"
echo "$status" >"$work/exit-status"

if [[ $update == --update ]]; then
	rm -rf "$case_dir/expected"
	cp -a "$work/out" "$case_dir/expected"
	cp "$work/stderr" "$case_dir/expected-stderr"
	cp "$work/exit-status" "$case_dir/expected-exit-status"
	echo "updated $case_dir"
	exit 0
fi

check "generated files match $case_name/expected" diff -r --no-dereference "$case_dir/expected" "$work/out"
check "generator messages match $case_name/expected-stderr" diff -u "$case_dir/expected-stderr" "$work/stderr"
check "generator exit status matches" diff -u "$case_dir/expected-exit-status" "$work/exit-status"

verify_output=$(verify_generated_units "$work/out" "$build/units" "$build/src/cli/nspawn-overlay")
check_output "systemd-analyze verify prints nothing for $case_name" "" printf '%s' "$verify_output"

if [[ -x $case_dir/extra-checks ]]; then
	# shellcheck source=/dev/null
	. "$case_dir/extra-checks"
fi

check_summary
