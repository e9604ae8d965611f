#!/usr/bin/env bash
# The Debian package in a booted test host. This builds the .deb with dpkg-buildpackage,
# installs it into a fresh test host with "apt-get install ./FILE.deb" and runs the core
# end-to-end scenario on it. The host image carries every runtime dependency, so no network
# is needed.
# Run as root; needs dpkg-buildpackage and debhelper (tools/install-deps installs them).
set -euo pipefail

E2E_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
work=$(mktemp -d /tmp/nspawn-overlay-deb-e2e.XXXXXX)
trap 'rm -rf "$work"' EXIT

if ! KEEP_DEB=$work bash "$E2E_DIR/../test-package-deb.sh" "$E2E_DIR/../.." >"$work/package.log" 2>&1; then
	cat "$work/package.log"
	echo "building the package failed"
	exit 1
fi

deb=$(find "$work" -maxdepth 1 -name 'nspawn-overlay_*.deb' | head -n 1)
if [[ -z $deb ]]; then
	cat "$work/package.log"
	echo "the package build left no nspawn-overlay_*.deb"
	exit 1
fi

echo "running the core scenario on $(basename "$deb")"
TESTHOST_DEB=$deb bash "$E2E_DIR/core.sh"
