#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# nspawn-overlay create and remove without systemd (--no-reload), and the terminal output
# conventions: colors, NO_COLOR, the pager and --json=pretty. Configs and images live in a
# temporary directory; a pseudo-terminal comes from script(1).
#
# Usage: test-create-remove.sh BUILD_DIR

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
cli=$build/src/cli/nspawn-overlay

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"

work=$(mktemp -d /tmp/nspawn-overlay-create.XXXXXX)
trap 'rm -rf "$work"' EXIT

export NSPAWN_OVERLAY_CONFIG_PATH=$work/etc:$work/lib
images=$work/images
base=$images/default-ns-1
mkdir -p "$work/lib" "$base/etc"
printf 'base file\n' >"$base/etc/base-file"

# Run CMD with a pseudo-terminal as stdin and stdout, feeding it INPUT.
on_terminal() {
	local input=$1
	shift

	printf '%s' "$input" | script --quiet --return --command "$(printf '%q ' "$@")" /dev/null
}

# Run CMD and fail if its output contains an escape sequence.
no_escape_in() {
	local output

	output=$("$@") || return 1
	! grep -q $'\e' <<<"$output"
}

# --- create ---

check "create writes a config" strace -f -o "$work/trace" -e trace=rename,renameat,renameat2 \
	"$cli" create web1 --base=default-ns-1 "ImageDirectory=$images" Network=host Bind=/srv/a:/srv/b --no-reload
check_contains "the config is renamed into place, not written in place" \
	"renameat2\(AT_FDCWD, \"$work/etc/\.web1\.conf\.[A-Za-z0-9]{6}\", AT_FDCWD, \"$work/etc/web1\.conf\", RENAME_NOREPLACE\) = 0" \
	cat "$work/trace"
check_output "no temporary file is left" "web1.conf" ls -A "$work/etc"
check_output "the config is readable by all and writable by root" "644" stat -c '%a' "$work/etc/web1.conf"
check_contains "Base= goes into [Overlay]" '^\[Overlay\]$' cat "$work/etc/web1.conf"
check_output "the keys land in their sections, in order" \
	"$(printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n\n[Container]\nNetwork=host\nBind=/srv/a:/srv/b' "$images")" \
	sed -n '/^\[/,$p' "$work/etc/web1.conf"
check "the mount point exists, so machinectl finds the image" test -d "$images/web1"
check "the new config passes verify" "$cli" verify web1
check_contains "list shows the new container" '^web1 +default-ns-1 ' "$cli" list --no-legend

check_fails_with "create refuses an existing name" 'Container "web1" already exists: .*/etc/web1.conf' \
	"$cli" create web1 --base=default-ns-1 --no-reload
printf '[Overlay]\nBase=default-ns-1\n' >"$work/lib/vendor.conf"
check_fails_with "create refuses a name configured in a later directory" 'Container "vendor" already exists: .*/lib/vendor.conf' \
	"$cli" create vendor --base=default-ns-1 --no-reload
ln -s /dev/null "$work/etc/masked.conf"
check_fails_with "create refuses a masked name" 'Container "masked" already exists' \
	"$cli" create masked --base=default-ns-1 --no-reload
rm "$work/etc/masked.conf"

check_fails_with "create rejects \"_\" and suggests a valid name" \
	'Invalid container name "web_2": only letters, digits, "-" and "." are allowed. Try "web-2"' \
	"$cli" create web_2 --base=default-ns-1 --no-reload
check_fails_with "create rejects a leading dash" 'Invalid container name "-web"' \
	"$cli" create -- -web --base=default-ns-1 --no-reload
check_fails_with "create rejects a name of 65 characters" 'Invalid container name' \
	"$cli" create "$(printf 'a%.0s' {1..65})" --base=default-ns-1 --no-reload
check_fails_with "create needs --base" 'Missing --base=BASE' "$cli" create web2 --no-reload
check_fails_with "create rejects an unknown key and lists the known ones" 'Unknown key "Colour". Known keys: Base, ' \
	"$cli" create web2 --base=default-ns-1 Colour=red --no-reload
check_fails_with "create rejects an argument without =" 'expected KEY=VALUE' \
	"$cli" create web2 --base=default-ns-1 Network --no-reload
check_fails_with "create rejects a value that would become a comment" '" ;" would start a comment' \
	"$cli" create web2 --base=default-ns-1 "Environment=A=b ;c" --no-reload
check_fails_with "create rejects a line break in a value" 'contains a control character' \
	"$cli" create web2 --base=default-ns-1 "$(printf 'Environment=A=b\nBase=/')" --no-reload
check_fails_with "create rejects --start without a reload" '--no-reload cannot be combined with --start' \
	"$cli" create web2 --base=default-ns-1 --start --no-reload

check_fails_with "create reports an invalid value with file and line" \
	'/etc/web2.conf:[0-9]+: Invalid value for Network=: "bogus"' \
	"$cli" create web2 --base=default-ns-1 "ImageDirectory=$images" Network=bogus --no-reload
check "an invalid config is removed again" test ! -e "$work/etc/web2.conf"
check_fails_with "create reports a missing base" 'Base image .*/images/nosuch is not accessible' \
	"$cli" create web2 --base=nosuch "ImageDirectory=$images" --no-reload
check "a config with a missing base is removed again" test ! -e "$work/etc/web2.conf"
check_fails_with "create reports an upper layer shared with another container" 'conflicts with another container' \
	"$cli" create web2 --base=default-ns-1 "ImageDirectory=$images" "Upper=$images/web1_up" --no-reload
check "a conflicting config is removed again" test ! -e "$work/etc/web2.conf"
mkdir -p "$images/plain"
touch "$images/plain/file"
check_fails_with "create refuses a mount point that would hide files" 'Directory .*/images/plain already exists and is not empty' \
	"$cli" create plain --base=default-ns-1 "ImageDirectory=$images" --no-reload
rm -r "$images/plain"

mkdir -p "$images/layer2"
check "create accepts a base given as a path and a stack" \
	"$cli" create stack --base="$images/layer2" --base="$base" "ImageDirectory=$images" Automount=no --no-reload
check_contains "the first base is written first" "^Base=$images/layer2$" sed -n '/^Base=/{p;q}' "$work/etc/stack.conf"
check_contains "the second base follows" "^Base=$base$" sed -n '/^Base=/{n;p}' "$work/etc/stack.conf"

# --- remove ---

mkdir -p "$images/web1_up/etc/deep/er" "$images/web1_work/work" "$work/etc/web1.conf.d"
printf 'child file\n' >"$images/web1_up/etc/deep/er/file"
ln -s "$base" "$images/web1_up/link-to-base"
ln -s /etc "$images/web1_up/etc/deep/link-to-host-etc"
printf '[Container]\nBoot=yes\n' >"$work/etc/web1.conf.d/10-boot.conf"

check_fails_with "remove --purge without a terminal needs --yes" 'stdin is not a terminal. Pass --yes' \
	"$cli" remove web1 --purge --no-reload </dev/null
check "a refused purge leaves the config" test -f "$work/etc/web1.conf"
check "a refused purge leaves the upper layer" test -f "$images/web1_up/etc/deep/er/file"

if script --version >/dev/null 2>&1; then
	check_fails_with "remove --purge on a terminal asks and stops on no" 'Not removing web1: not confirmed' \
		on_terminal $'n\n' "$cli" remove web1 --purge --no-reload
	check "an unconfirmed purge leaves the config" test -f "$work/etc/web1.conf"
fi

check "remove --purge --yes removes the container" "$cli" remove web1 --purge --yes --no-reload
check "the config is gone" test ! -e "$work/etc/web1.conf"
check "the drop-in directory is gone" test ! -e "$work/etc/web1.conf.d"
check "the upper layer is gone" test ! -e "$images/web1_up"
check "the work directory is gone" test ! -e "$images/web1_work"
check "the mount point is gone" test ! -e "$images/web1"
check_output "the base is intact" "base file" cat "$base/etc/base-file"
check "symlinks in the upper layer were not followed" test -d /etc -a -f "$base/etc/base-file"
check_fails_with "remove of a missing container names it" 'No container "web1"' "$cli" remove web1 --no-reload

# The loader rejects an Upper= that names a base directly; a symlink hides it from that check.
ln -s "$base" "$images/evil_up"
printf '[Overlay]\nBase=layer2\nImageDirectory=%s\nUpper=%s/evil_up\n' "$images" "$images" >"$work/etc/evil.conf"
check_fails_with "remove --purge refuses an upper layer that is a base" 'Refusing to delete Upper=.*/evil_up: it is or contains base image .*/default-ns-1 of container stack' \
	"$cli" remove evil --purge --yes --no-reload
check "the refused purge leaves the base" test -f "$base/etc/base-file"
check "the refused purge leaves the config" test -f "$work/etc/evil.conf"
rm "$images/evil_up"
ln -s "$images" "$work/evil_work"
printf '[Overlay]\nBase=layer2\nImageDirectory=%s\nWork=%s/evil_work\n' "$images" "$work" >"$work/etc/evil.conf"
check_fails_with "remove --purge refuses a work directory that contains a base" 'Refusing to delete Work=.*/evil_work: it is or contains base image' \
	"$cli" remove evil --purge --yes --no-reload
rm "$work/etc/evil.conf" "$work/evil_work"

check_fails_with "remove refuses a config outside the first directory" 'only configs in .*/etc are removed. Mask it instead' \
	"$cli" remove vendor --no-reload
check "remove without --purge keeps the upper layer" bash -c \
	"'$cli' create keep --base=default-ns-1 'ImageDirectory=$images' --no-reload && mkdir -p '$images/keep_up/x' &&
	 '$cli' remove keep --no-reload && test -d '$images/keep_up/x'"
check "remove without --purge removes the config" test ! -e "$work/etc/keep.conf"

# --- output conventions ---

check_contains "--json=pretty indents" '^    "name": "stack",$' "$cli" list --json=pretty
check_output "--json=short prints one line" "1" bash -c "'$cli' list --json=short | wc -l"
check_fails_with "--json rejects an unknown mode" 'Invalid --json= mode "long"' "$cli" list --json=long

printf '[Overlay]\n' >"$work/etc/broken.conf"
if script --version >/dev/null 2>&1; then
	check_contains "list colors an invalid config red on a terminal" $'\e\\[0;31minvalid' \
		on_terminal '' env -u NO_COLOR NSPAWN_OVERLAY_PAGER=cat "$cli" list
	check "NO_COLOR turns colors off" no_escape_in on_terminal '' env NO_COLOR=1 NSPAWN_OVERLAY_PAGER=cat "$cli" list
	check_contains "the pager gets the output on a terminal" '^PAGED: NAME' \
		on_terminal '' env NSPAWN_OVERLAY_PAGER='sed s/^/PAGED:\ /' "$cli" list
	check_contains "the pager gets LESS=FRXMK" '^FRXMK' \
		on_terminal '' env -u LESS -u SYSTEMD_LESS NSPAWN_OVERLAY_PAGER='printenv LESS; cat >/dev/null' "$cli" list
	check_contains "--no-pager prints directly" '^NAME' \
		on_terminal '' env NSPAWN_OVERLAY_PAGER='sed s/^/PAGED:\ /' "$cli" list --no-pager
	check_contains "an empty SYSTEMD_PAGER turns the pager off" '^NAME' \
		on_terminal '' env -u NSPAWN_OVERLAY_PAGER SYSTEMD_PAGER= PAGER='sed s/^/PAGED:\ /' "$cli" list
fi
check_contains "no pager when stdout is not a terminal" '^broken +- +[^ ]+ +invalid ' \
	env NSPAWN_OVERLAY_PAGER='sed s/^/PAGED:\ /' "$cli" list
check "no colors when stdout is not a terminal" no_escape_in env -u NO_COLOR "$cli" list
rm "$work/etc/broken.conf"

check_summary
