#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The manual pages render without warnings, nspawn-overlay(1) lists the same options as the
# --help of each verb, and the bash completion parses and completes verbs, options and names.
#
# Usage: test-docs.sh BUILD_DIR SOURCE_DIR

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
source_dir=$(cd "$2" && pwd)
cli=$build/src/cli/nspawn-overlay

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"

work=$(mktemp -d /tmp/nspawn-overlay-docs.XXXXXX)
trap 'rm -rf "$work"' EXIT

# --- manual pages ---

# Print man's warnings about PAGE; groff reports problems on stderr, the page goes to stdout.
man_warnings() {
	MANWIDTH=80 man -l --warnings "$1" 2>&1 >/dev/null
}

if [[ -f $build/man/nspawn-overlay.1 ]]; then
	for page in nspawn-overlay.1 nspawn-overlay.conf.5 nspawn-overlay-generator.8; do
		check "$page is built" test -s "$build/man/$page"
		check_output "$page renders without warnings" "" man_warnings "$build/man/$page"
		check_contains "$page has a NAME section" '^NAME$' env MANWIDTH=80 man -l "$build/man/$page"
	done
	check_contains "nspawn-overlay.conf(5) states the line limit" 'Lines longer than 197 bytes are errors' \
		env MANWIDTH=200 man -l "$build/man/nspawn-overlay.conf.5"
else
	printf 'SKIP: manual pages (scdoc was not found when %s was configured)\n' "$build"
fi

check "help and manual list the same options" python3 "$here/compare-help-man.py" "$cli" "$source_dir/man/nspawn-overlay.1.scd"

# --- bash completion ---

completion=$source_dir/completions/nspawn-overlay.bash
check "completion script parses" bash -n "$completion"

export NSPAWN_OVERLAY_CONFIG_PATH=$work/etc
mkdir -p "$work/etc" "$work/images/default-ns-1"
printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n' "$work/images" >"$work/etc/web1.conf"
printf '[Overlay]\nBase=default-ns-1\nImageDirectory=%s\n' "$work/images" >"$work/etc/web2.conf"

# Print the completions of the command line given as words; the last word is completed.
complete_words() {
	PATH=$(dirname "$cli"):$PATH bash -c '
		. "$1"
		shift
		COMP_WORDS=("$@")
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
		COMP_LINE="$*"
		COMP_POINT=${#COMP_LINE}
		_nspawn_overlay
		printf "%s\n" "${COMPREPLY[@]}"
	' bash "$completion" "$@"
}

check_output "st completes to status" "status" complete_words nspawn-overlay st
check_output "cr completes to create" "create" complete_words nspawn-overlay cr
check_output "remove completes container names" "$(printf 'web1\nweb2')" complete_words nspawn-overlay remove web
check_output "status completes container names" "web2" complete_words nspawn-overlay status web2
check_output "create --b completes --base=" "--base=" complete_words nspawn-overlay create --b
check_output "create --base= completes base names" "default-ns-1" complete_words nspawn-overlay create --base = def
check_output "remove --p completes --purge" "--purge" complete_words nspawn-overlay remove web1 --p
check_output "--json= completes its modes" "$(printf 'short\npretty')" complete_words nspawn-overlay list --json =
check_output "update completes base names" "default-ns-1" complete_words nspawn-overlay update def
check_output "list takes no names" "" complete_words nspawn-overlay list web

# --- zsh completion ---

zsh_completion=$source_dir/completions/_nspawn-overlay
if command -v zsh >/dev/null; then
	check "zsh completion script parses" zsh -n "$zsh_completion"
else
	check_report_fail "zsh completion script parses" "zsh is missing; tools/install-deps installs it"
fi
# Every verb of the command, and no other, is offered with a summary.
help_verbs=$("$cli" --help | sed -n '/^Verbs:/,/^$/p' | awk '/^  [a-z]/ { print $1 }' | sort)
zsh_verbs=$(sed -n "/verbs=(/,/^\t)/p" "$zsh_completion" | sed -n "s/^\t\t'\([a-z-]*\):.*/\1/p" | sort)
check_output "zsh completion offers exactly the verbs of --help" "$help_verbs" printf '%s\n' "$zsh_verbs"

check_summary
