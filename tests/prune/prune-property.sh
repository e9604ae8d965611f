#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Property test of prune against the real overlayfs, on random layers (see property.py).
#
# Usage: prune-property.sh BUILD_DIR [SEEDS]   (default 300 seeds, about a minute)
set -euo pipefail

if [[ -z ${NSPAWN_OVERLAY_TEST_NAMESPACE:-} ]]; then
	export NSPAWN_OVERLAY_TEST_NAMESPACE=1
	# prune keeps its journal and locks under /var/lib/nspawn-overlay and /run; fresh tmpfs
	# mounts there keep them off the host and end with the namespace.
	exec unshare --mount --propagation private -- sh -c \
		'mount -t tmpfs tmpfs /run && mount -t tmpfs tmpfs /var/lib && exec bash "$0" "$@"' "$0" "$@"
fi

here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "$1" && pwd)
exec python3 "$here/property.py" "$build/src/cli/nspawn-overlay" "${2:-300}"
