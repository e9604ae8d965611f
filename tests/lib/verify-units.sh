# shellcheck shell=bash
# verify_generated_units OUT_DIR UNITS_DIR CLI_BINARY: run systemd-analyze verify on every unit
# and every unit with a drop-in in OUT_DIR, the way systemd would load them, and print its
# output. Prints nothing when all units are clean.
#
# The generated units call $bindir/nspawn-overlay, and verify rejects a command that does not
# exist. So verify runs in a private mount namespace in which an overlay adds CLI_BINARY to
# /usr/bin; the host's /usr/bin stays untouched and the mount ends with the namespace.

verify_generated_units() {
	local out=$1 units=$2 cli=$3 bin_dir names=() unit

	bin_dir=$(mktemp -d /tmp/nspawn-overlay-verify-bin.XXXXXX)
	cp "$cli" "$bin_dir/nspawn-overlay"

	for unit in "$out"/*.mount "$out"/*.automount; do
		[[ -e $unit ]] && names+=("$unit")
	done
	for unit in "$out"/*.service.d; do
		[[ -d $unit ]] || continue
		unit=${unit##*/}
		names+=("${unit%.d}")
	done

	if ((${#names[@]} > 0)); then
		SYSTEMD_UNIT_PATH="$out:$units:" unshare --mount --propagation private -- sh -c '
			mount -t overlay overlay -o "lowerdir=$1:/usr/bin" /usr/bin || exit 1
			shift
			systemd-analyze verify --man=no "$@"
		' sh "$bin_dir" "${names[@]}" 2>&1
	fi

	rm -rf "$bin_dir"
}
