#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Hostile config values, one per case, given through a drop-in so that odd bytes reach the
# loader as written. Each is either rejected with its message, or escaped. An escaped value must
# appear where it belongs, every generated unit must pass systemd-analyze verify with no output,
# and each unit must have exactly the directives of the same kind of unit for a plain config.
#
# Usage: test-hostile-values.sh BUILD_DIR

set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)

# shellcheck source=lib/assert.sh
. "$here/lib/assert.sh"
# shellcheck source=lib/verify-units.sh
. "$here/lib/verify-units.sh"

work=$(mktemp -d /tmp/nspawn-overlay-hostile.XXXXXX)
trap 'rm -rf "$work"' EXIT

generate() {
	local config=$1 out=$2
	mkdir -p "$out"
	SYSTEMD_LOG_TARGET=console NSPAWN_OVERLAY_CONFIG_PATH=$config \
		"$build/generators/nspawn-overlay-generator" "$out"
}

# directive_set DIR: for every generated file, its kind (the name with the container's name
# and path replaced) and its sorted "Section.Key" lines, duplicates kept.
directive_set() {
	local dir=$1 file kind
	(cd "$dir" && find . -type f | sort) | while read -r file; do
		kind=$(printf '%s' "$file" | sed -E 's/@[^.]+\.service\.d/@NAME.service.d/; s#^\./[^/]*\.(mount|automount)$#./PATH.\1#')
		awk -v kind="$kind" '
			/^\[/ { section = $0; next }
			/^#/ || /^$/ { next }
			{ sub(/=.*/, ""); print kind " " section "." $0 }
		' "$dir/$file" | sort
	done | sort
}

# The directives of a plain config are the reference for every escaped case.
plain='[Overlay]\nBase=debian\nIdleTimeoutSec=5min\n[Container]\nBind=/srv/a\nBindReadOnly=/srv/b\nEnvironment=A=b\n'
mkdir -p "$work/plain/config"
# shellcheck disable=SC2059
printf "$plain" >"$work/plain/config/victim.conf"
generate "$work/plain/config" "$work/plain/out" 2>"$work/plain/stderr"
directive_set "$work/plain/out" >"$work/plain/directives"
check_contains "plain config has an ExecStart= override" "systemd-nspawn@NAME.service.d/50-nspawn-overlay.conf \[Service\].ExecStart" cat "$work/plain/directives"
check_contains "plain config has a mount with Options=" "PATH.mount \[Mount\].Options" cat "$work/plain/directives"

long_value=$(printf 'a%.0s' {1..200})
long_dir=srv/x$(printf -- '-%.0s' {1..62})
# "srv-x", 61 escaped dashes of 4 bytes and ".mount" make 255 bytes, but ".automount" 259.
long_automount_dir=srv/x$(printf -- '-%.0s' {1..61})

# name ||| drop-in text (printf format) ||| reject:REGEX on stderr, or escape:REGEX on the units
cases=(
	"newline-key ||| [Container]\nEnvironment=A=b\nExecStart=/bin/evil\n ||| reject:victim.conf.d/50-hostile.conf:3: Unknown key \"ExecStart\" in section \[Container\], ignoring"
	"carriage-return ||| [Container]\nBind=/srv/a\rExecStart=/bin/evil\n ||| reject:Invalid value for Bind=: \"/srv/a\\\\x0dExecStart=/bin/evil\"\. Control characters"
	"vertical-tab ||| [Container]\nEnvironment=A=b\vc\n ||| reject:Invalid value for Environment=: \"A=b\\\\x0bc\"\. Control characters"
	"specifier-n ||| [Container]\nBind=/srv/%%n\n ||| escape:--bind=/srv/%%n( |$)"
	"double-percent ||| [Overlay]\nDirectory=/srv/%%%%x\n ||| escape:^Where=/srv/%%%%x$"
	"section-in-value ||| [Container]\nEnvironment=X=[Service]\n ||| escape:--setenv=X=\[Service\]( |$)"
	"exec-in-value ||| [Container]\nEnvironment=X=ExecStart=/bin/sh\n ||| escape:--setenv=X=ExecStart=/bin/sh( |$)"
	"long-line ||| [Container]\nEnvironment=X=$long_value\n ||| reject:50-hostile.conf:2: Line is 214 bytes long, but at most 197 are supported"
	"long-unit-name ||| [Overlay]\nDirectory=/$long_dir\n ||| reject:Directory=/$long_dir gives a( mount| automount)? unit name longer than 255 characters"
	"long-automount-name ||| [Overlay]\nDirectory=/$long_automount_dir\n ||| reject:Directory=/$long_automount_dir gives an automount unit name longer than 255 characters\. Use a shorter path, or set Automount=no"
	"comma-in-upper ||| [Overlay]\nUpper=/srv/a,b\n ||| reject:Upper= path \"/srv/a,b\" contains a comma"
	"comma-in-base ||| [Overlay]\nBase=/srv/base,ro\n ||| reject:Base= path \"/srv/base,ro\" contains a comma"
	"space-in-directory ||| [Overlay]\nDirectory=/srv/my child\n ||| escape:^RequiresMountsFor=\"/srv/my child\"$"
	"space-in-upper ||| [Overlay]\nUpper=/srv/my up\n ||| escape:upperdir=/srv/my up,"
	"space-in-bind ||| [Container]\nBind=/srv/my dir\n ||| escape:\"--bind=/srv/my dir\""
	"double-quote-in-bind ||| [Container]\nBind=/srv/a\"b\n ||| escape:\"--bind=/srv/a\\\\\"b\""
	"double-quote-in-upper ||| [Overlay]\nUpper=/srv/a\"b\n ||| reject:Upper= path \"/srv/a\"b\" contains a comma or a double quote"
	"single-quote ||| [Container]\nBind=/srv/it's\n ||| escape:\"--bind=/srv/it's\""
	"backslash-in-bind ||| [Container]\nBind=/srv/a\\\\b\n ||| escape:\"--bind=/srv/a\\\\\\\\b\""
	"backslash-in-directory ||| [Overlay]\nDirectory=/srv/a\\\\b\n ||| escape:^Where=/srv/a\\\\b$"
	"trailing-backslash ||| [Overlay]\nDirectory=/srv/x\\\\\n ||| reject:may not end in a backslash"
	"dollar-var ||| [Container]\nEnvironment=X=\$HOME\n ||| escape:--setenv=X=\\\$\\\$HOME( |$)"
	"dollar-brace ||| [Container]\nEnvironment=X=\${PATH}\n ||| escape:--setenv=X=\\\$\\\$\{PATH\}( |$)"
	"semicolon-in-bind ||| [Container]\nBind=/srv/a;b\n ||| escape:\"--bind=/srv/a;b\""
	"inline-comment ||| [Container]\nBind=/srv/a ;rest\n ||| escape:--bind=/srv/a( |$)"
	"invalid-utf8 ||| [Container]\nEnvironment=X=\x80\xff\xfe\n ||| reject:Invalid value for Environment=: \"X=\\\\x80\\\\xff\\\\xfe\"\. The value is not valid UTF-8"
	"utf8-junk ||| [Container]\nEnvironment=X=\xc3\xa9\xe2\x82\xac\xf0\x9f\x90\xa7~^|\n ||| escape:--setenv=X=é€🐧~\^\|"
	"ascii-junk ||| [Container]\nBind=/srv/!#&()*+<>?@^\`{|}~\n ||| escape:--bind=/srv/!#&\(\)\*\+<>\?@\^\`\{\|\}~"
	"control-in-base ||| [Overlay]\nBase=deb\x1bian\n ||| reject:Invalid value for Base=: \"deb\\\\x1bian\"\. Control characters"
)

for entry in "${cases[@]}"; do
	name=${entry%% ||| *}
	rest=${entry#* ||| }
	text=${rest%% ||| *}
	expect=${rest#* ||| }
	case_dir=$work/$name
	mkdir -p "$case_dir/config/victim.conf.d"
	# shellcheck disable=SC2059
	printf "$plain" >"$case_dir/config/victim.conf"
	# shellcheck disable=SC2059
	printf "$text" >"$case_dir/config/victim.conf.d/50-hostile.conf"

	status=0
	generate "$case_dir/config" "$case_dir/out" 2>"$case_dir/stderr" || status=$?

	case $expect in
	reject:*)
		pattern=${expect#reject:}
		check_contains "$name: rejected with its message" "$pattern" cat "$case_dir/stderr"
		if grep -q "Unknown key" <<<"$pattern"; then
			check "$name: units are still written" test -d "$case_dir/out/systemd-nspawn@victim.service.d"
		else
			check "$name: generator exits with 1" test "$status" -eq 1
			check "$name: no units for the rejected config" test ! -e "$case_dir/out/systemd-nspawn@victim.service.d"
		fi
		;;
	escape:*)
		pattern=${expect#escape:}
		check "$name: generator exits with 0" test "$status" -eq 0
		check_output "$name: generator prints nothing" "" cat "$case_dir/stderr"
		check_contains "$name: value escaped in place" "$pattern" sh -c 'find "$1" -type f -exec cat {} +' sh "$case_dir/out"
		verify_output=$(verify_generated_units "$case_dir/out" "$build/units" "$build/src/cli/nspawn-overlay")
		check_output "$name: systemd-analyze verify prints nothing" "" printf '%s' "$verify_output"
		directive_set "$case_dir/out" >"$case_dir/directives"
		check "$name: same directives as a plain config" diff -u "$work/plain/directives" "$case_dir/directives"
		;;
	esac

	# Whatever the outcome, no unit may carry a directive that a plain config does not produce.
	if [[ -d $case_dir/out ]]; then
		directive_set "$case_dir/out" | awk '{ print $2 }' | sort -u >"$case_dir/keys"
		awk '{ print $2 }' "$work/plain/directives" | sort -u >"$work/plain/keys"
		check "$name: no directive beyond the plain config's" sh -c 'comm -13 "$1" "$2" | (! grep .)' sh "$work/plain/keys" "$case_dir/keys"
	fi
done

check_summary
