#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Build the Debian package with dpkg-buildpackage from a copy of the source tree and check
# that it contains the same files as "meson install --destdir". dpkg-buildpackage writes the
# .deb next to the source directory, so the copy keeps the repository clean.
#
# Usage: test-package-deb.sh SOURCE_DIR
# Set KEEP_DEB=DIR to copy the built .deb into DIR (the test host installs it from there).

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$1" && pwd)

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"

if ! command -v dpkg-buildpackage >/dev/null || ! dpkg-query -W -f='${Status}' debhelper 2>/dev/null | grep -q 'ok installed'; then
	printf 'SKIP: dpkg-buildpackage or debhelper is missing (tools/install-deps installs them)\n'
	exit 77
fi

work=$(mktemp -d /tmp/nspawn-overlay-deb.XXXXXX)
trap 'rm -rf "$work"' EXIT

# Copy the tracked and not ignored files, as a release tarball would contain them, without build dirs.
mkdir "$work/src"
git -C "$source_dir" ls-files -z --cached --others --exclude-standard |
	(cd "$source_dir" && xargs -0 cp --parents -t "$work/src" 2>/dev/null) || true

started=$SECONDS
# nocheck: the suites run in their own tests; here only the package's contents count.
check "dpkg-buildpackage builds the package" \
	bash -c "cd '$work/src' && DEB_BUILD_OPTIONS=nocheck dpkg-buildpackage -us -uc -b"
printf 'dpkg-buildpackage took %s s\n' "$((SECONDS - started))"
deb=$(find "$work" -maxdepth 1 -name 'nspawn-overlay_*.deb' | head -n 1)
check "the .deb exists" test -n "$deb"

# List the regular files and symlinks of the package, without the .gz that dh_compress adds
# to manual pages and without the files every Debian package carries.
deb_files() {
	dpkg-deb -c "$deb" | awk '$1 !~ /^d/ { sub(/^\./, "", $6); print $6 }' |
		sed -E 's#^(/usr/share/man/.*)\.gz$#\1#' |
		grep -v -E '^/usr/share/doc/nspawn-overlay/(changelog\.gz|changelog\.Debian\.gz|copyright)$' | sort
}

# The same options as debian/rules.
meson setup "$work/build" "$work/src" --prefix=/usr -Dman=enabled -Dzshcompletiondir=/usr/share/zsh/vendor-completions >/dev/null
meson compile -C "$work/build" >/dev/null
meson install -C "$work/build" --destdir "$work/dest" --quiet --no-rebuild

install_files() {
	(cd "$work/dest" && find . ! -type d | sed 's/^\.//' | sort)
}

check_output "the package has the files meson installs" "$(install_files)" deb_files
check_contains "the package has the manual page of the command" '^/usr/share/man/man1/nspawn-overlay\.1$' deb_files
check_contains "the package has the bash completion" '/bash-completion/completions/nspawn-overlay$' deb_files
check_contains "the package has the zsh completion" '^/usr/share/zsh/vendor-completions/_nspawn-overlay$' deb_files

if [[ -n ${KEEP_DEB:-} && -n $deb ]]; then
	mkdir -p "$KEEP_DEB"
	cp "$deb" "$KEEP_DEB/"
fi

check_summary
