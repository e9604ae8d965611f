#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The prune, diff and restore verbs on a configured child: refusals while it is mounted or
# locked, usage errors, the reports, and --older-than-base with restore.
#
# Usage: prune-cli.sh BUILD_DIR
set -euo pipefail

# The lock directory is on /run: a private /run keeps the test's locks off the host.
if [[ -z ${NSPAWN_OVERLAY_TEST_NAMESPACE:-} ]]; then
	export NSPAWN_OVERLAY_TEST_NAMESPACE=1
	exec unshare --mount --propagation private -- sh -c 'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && exec bash "$0" "$@"' "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
cli=$build/src/cli/nspawn-overlay

# shellcheck source=../lib/assert.sh
. "$here/../lib/assert.sh"

work=$(mktemp -d /tmp/nspawn-overlay-prune-cli.XXXXXX)
trap 'umount -q "$work/images/kid" 2>/dev/null || true; rm -rf "$work"' EXIT

export NSPAWN_OVERLAY_CONFIG_PATH=$work/etc
images=$work/images
base=$images/base
mkdir -p "$work/etc" "$base/etc" "$base/usr/bin" "$images/kid_up" "$images/kid_work" "$images/kid"
printf 'one\n' >"$base/etc/hostname"
printf 'v1\n' >"$base/usr/bin/tool"
printf 'keep\n' >"$base/etc/motd"
touch -d @1000000000 "$base/etc/hostname" "$base/usr/bin/tool" "$base/etc/motd"
printf '[Overlay]\nBase=base\nImageDirectory=%s\nAutomount=no\n[Container]\nPrivateUsers=no\n' "$images" >"$work/etc/kid.conf"

mount_kid() {
	mount -t overlay overlay -o "lowerdir=$base,upperdir=$images/kid_up,workdir=$images/kid_work" "$images/kid"
}

mount_kid
chown 0:0 "$images/kid/etc/hostname"          # an identical copy-up
printf 'mine\n' >"$images/kid/usr/bin/tool"     # a changed file
chmod 600 "$images/kid/etc/motd"                # a metadata-only change
rm "$images/kid/etc/hostname"; printf 'one\n' >"$images/kid/etc/hostname"; touch -d @1000000000 "$images/kid/etc/hostname"

check_fails_with "prune refuses a mounted child and says how to stop it" \
	"Refusing to prune kid: its overlay is mounted on $images/kid.*machinectl poweroff kid" "$cli" prune kid
check_fails_with "restore refuses a mounted child" "Refusing to restore kid: its overlay is mounted" "$cli" restore kid
check "diff works on a mounted child" "$cli" diff kid
umount "$images/kid"

status=0
"$cli" prune >/dev/null 2>&1 || status=$?
check "prune without a child is a usage error (exit 2)" test "$status" -eq 2
status=0
"$cli" prune kid --upper=/tmp >/dev/null 2>&1 || status=$?
check "prune with a name and --upper is a usage error (exit 2)" test "$status" -eq 2
check_fails_with "prune of an unknown child names it" 'No container "nosuch"' "$cli" prune nosuch
check_contains "prune --help describes --older-than-base" 'older-than-base' "$cli" prune --help

check_contains "diff lists the changed file" '^modified +/usr/bin/tool \(size, mtime\)$' "$cli" diff kid
check_contains "diff lists the metadata-only change" '^metadata +/etc/motd \(mode\)$' "$cli" diff kid
check_contains "diff --json counts the modified entries" '"modified":1' "$cli" diff kid --json

# The lock is taken without waiting: a second prune fails at once.
mkdir -p /run/nspawn-overlay-runtime/locks
flock -o /run/nspawn-overlay-runtime/locks/kid.lock sleep 30 >/dev/null 2>&1 &
locker=$!
for _ in $(seq 50); do [[ -e /run/nspawn-overlay-runtime/locks/kid.lock ]] && break; sleep 0.1; done
check_fails_with "prune refuses while another holds the child's lock" 'a prune, restore or update of it is running' "$cli" prune kid
kill "$locker"
wait "$locker" 2>/dev/null || true

check_contains "prune --dry-run reports one identical file" '^Would prune 1 of ' "$cli" prune kid --dry-run
check "the dry run removed nothing" test -f "$images/kid_up/etc/hostname"
check_contains "prune --json reports the identical file as pruned" '"path":"/etc/hostname","action":"pruned"' "$cli" prune kid --json
check "the identical file is gone from the upper layer" test ! -e "$images/kid_up/etc/hostname"
check "the changed file stays" test -f "$images/kid_up/usr/bin/tool"

# --older-than-base with a change record naming the changed tool.
printf 'usr/bin/tool\n' >"$work/changes"
backup=$images/backup-test
check_contains "prune --older-than-base moves the file the base changed" '^  /usr/bin/tool$' \
	"$cli" prune kid --older-than-base --changes="$work/changes" --backup="$backup"
check "the moved file left the upper layer" test ! -e "$images/kid_up/usr/bin/tool"
check_output "the backup holds it at its relative path" "mine" cat "$backup/files/usr/bin/tool"
check_contains "the backup has a report" '"action":"moved"' cat "$backup/report.json"
check "the metadata-only change is not in the change record and stays" test -f "$images/kid_up/etc/motd"
check_contains "restore puts the file back" '^Restored 1 files of kid' "$cli" restore kid --backup="$backup"
check_output "the restored file has the child's content" "mine" cat "$images/kid_up/usr/bin/tool"
check "restore removes the emptied backup" test ! -e "$backup"

# Without a change record a newer base file counts as changed.
touch -d @2000000000 "$base/usr/bin/tool"
check_contains "prune --older-than-base falls back to mtimes" 'judged by mtime' \
	"$cli" prune kid --older-than-base --changes="$work/no-such-record" --backup="$backup"
check "the older child file was moved" test -f "$backup/files/usr/bin/tool"

check_summary
