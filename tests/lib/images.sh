# shellcheck shell=bash
# Debootstrap images for the end-to-end tests, built once and cached outside the
# repository. Source this file; it defines functions and sets no shell options.
#
# Two images are kept:
#   host  the test host, a Debian system that boots a real systemd inside
#         systemd-nspawn and runs the installed product and nested containers.
#   base  the root file system that children are overlaid on.
# Each is kept in a directory named after a hash of its recipe (suite, mirror, package
# list, setup steps), so changing any of them builds a new image.
#
# Environment:
#   NSPAWN_OVERLAY_IMAGE_CACHE  cache directory (default /var/cache/nspawn-overlay-tests)
#   NSPAWN_OVERLAY_MIRROR       Debian mirror for debootstrap (default: the first
#                               deb.debian.org-style URI in /etc/apt/sources.list*)
#   NSPAWN_OVERLAY_SUITE        Debian suite (default bookworm)

NSPAWN_OVERLAY_IMAGE_CACHE=${NSPAWN_OVERLAY_IMAGE_CACHE:-/var/cache/nspawn-overlay-tests}
NSPAWN_OVERLAY_SUITE=${NSPAWN_OVERLAY_SUITE:-bookworm}

# Bump when the setup steps in images_configure_* change, so cached images are rebuilt.
IMAGES_RECIPE_VERSION=1

# The test host needs machined and nspawn (systemd-container), a system bus, the
# product's runtime libraries, and the tools the tests call inside it: findmnt and
# nsenter (util-linux), script (bsdutils, essential), ps (procps), ip (iproute2).
IMAGES_HOST_PACKAGES=(
	systemd systemd-sysv dbus systemd-container iproute2
	libinih1 libmount1 libblkid1 libsystemd0
	util-linux procps
)

# A child needs systemd as init and dbus, because machined talks to the guest's system
# bus for `machinectl shell` and `machinectl login`. The login prompt comes from
# container-getty@.service (systemd), agetty (util-linux) and login (the `login`
# package), which minbase already has because both are Priority: required.
IMAGES_BASE_PACKAGES=(
	systemd systemd-sysv dbus
)

# Host commands the harness and the build need, as "command:package".
IMAGES_HOST_TOOLS=(
	debootstrap:debootstrap
	systemd-nspawn:systemd-container
	machinectl:systemd-container
	nsenter:util-linux
	flock:util-linux
	findmnt:util-linux
	script:bsdutils
	ps:procps
	timeout:coreutils
	sha256sum:coreutils
	meson:meson
	ninja:ninja-build
	pkg-config:pkg-config
	cc:gcc
)

# Development packages the build needs, checked with dpkg because they have no command.
IMAGES_HOST_BUILD_PACKAGES=(
	libinih-dev libmount-dev libsystemd-dev debian-archive-keyring
)

images_log() {
	printf 'images: %s\n' "$*" >&2
}

images_die() {
	printf 'images: error: %s\n' "$*" >&2
	return 1
}

images_require_root() {
	if [[ $(id -u) -ne 0 ]]; then
		images_die "must run as root (debootstrap, mounts and systemd-nspawn need it); rerun with sudo"
	fi
}

# Install the host packages the tests and the build need and that are missing.
# Runs apt-get update only when something is missing.
images_install_host_packages() {
	local entry command package missing=()

	images_require_root || return 1

	for entry in "${IMAGES_HOST_TOOLS[@]}"; do
		command=${entry%%:*}
		package=${entry#*:}
		if ! command -v "$command" >/dev/null 2>&1; then
			missing+=("$package")
		fi
	done

	for package in "${IMAGES_HOST_BUILD_PACKAGES[@]}"; do
		if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
			missing+=("$package")
		fi
	done

	if [[ ${#missing[@]} -eq 0 ]]; then
		return 0
	fi

	# sort -u removes the duplicates that several commands of one package produce.
	mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
	images_log "installing missing host packages: ${missing[*]}"

	if ! apt-get update -q; then
		images_die "apt-get update failed; check /etc/apt/sources.list* and the network"
		return 1
	fi

	if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; then
		images_die "apt-get install ${missing[*]} failed; install them by hand and rerun"
		return 1
	fi
}

# Print the Debian mirror URI that apt on this host uses, so debootstrap reaches the same
# server. Deb822 "URIs:" lines and one-line "deb URI suite" entries are both read.
images_mirror() {
	local uri

	if [[ -n ${NSPAWN_OVERLAY_MIRROR:-} ]]; then
		printf '%s\n' "$NSPAWN_OVERLAY_MIRROR"
		return 0
	fi

	local file files=()
	for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.sources /etc/apt/sources.list.d/*.list; do
		[[ -f $file ]] && files+=("$file")
	done

	uri=$(cat -- "${files[@]}" /dev/null |
		sed -n -e 's/^URIs:[[:space:]]*\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]]*$/\1/p' \
			-e 's/^deb[[:space:]]\{1,\}\(\[[^]]*\][[:space:]]\{1,\}\)\{0,1\}\([^[:space:]]*\/debian\)\/\{0,1\}[[:space:]].*/\2/p' |
		head -n 1)

	printf '%s\n' "${uri:-http://deb.debian.org/debian}"
}

# Print the cache key of an image: a hash of everything that decides its contents.
images_key() {
	local name=$1
	shift

	{
		printf 'recipe %s\n' "$IMAGES_RECIPE_VERSION"
		printf 'name %s\n' "$name"
		printf 'suite %s\n' "$NSPAWN_OVERLAY_SUITE"
		printf 'mirror %s\n' "$(images_mirror)"
		printf '%s\n' "$@" | sort -u
	} | sha256sum | cut -c1-16
}

# Unmount whatever a killed debootstrap left mounted below DIR (it mounts proc and sys
# in the target), then remove DIR without crossing into another file system.
images_remove_tree() {
	local dir=$1 target

	[[ -e $dir ]] || return 0

	# Deepest mount points first, so parents are not busy.
	while read -r target; do
		umount -l -- "$target" || images_die "could not unmount '$target'; unmount it by hand and remove '$dir'"
	done < <(findmnt -rn -o TARGET | grep -F -- "$dir/" | sort -r)

	rm -rf --one-file-system -- "$dir"
}

# The host image boots as the outer container. Its machine id is written per run by
# testhost_start, so the image keeps an empty one.
images_configure_host() {
	local root=$1

	: >"$root/etc/machine-id"
	printf 'testhost\n' >"$root/etc/hostname"

	# The test host has no network (--private-network), so units that wait for it only
	# slow the boot down.
	ln -sf /dev/null "$root/etc/systemd/system/systemd-networkd-wait-online.service"

	# A plain mount point where tests put their image directories; machinectl searches
	# /var/lib/container as well as /var/lib/machines.
	mkdir -p "$root/var/lib/container" "$root/var/lib/machines"

	# Clean apt's package cache so copies of the image stay small.
	rm -f "$root"/var/cache/apt/archives/*.deb
}

# The base image is the lower layer of every child. An empty /etc/machine-id makes
# systemd 252 use the id that nspawn passes instead of one shared by all children.
# An empty file, unlike a missing one, does not count as a first boot, so
# systemd-firstboot does not prompt on the console.
images_configure_base() {
	local root=$1

	: >"$root/etc/machine-id"
	rm -f "$root/var/lib/dbus/machine-id"
	printf 'base\n' >"$root/etc/hostname"

	# `machinectl login` authenticates with a password; tests only check for the
	# prompt, so root keeps the locked password that debootstrap gives it.
	rm -f "$root"/var/cache/apt/archives/*.deb
}

# Build image NAME (host or base) if the cache has no current copy, and print its path.
# Builders hold an exclusive flock on NAME.lock in the cache. Readers that copy an
# image hold the same lock shared (images_copy), so a rebuild never deletes an image
# that is being copied.
images_ensure() {
	local name=$1 key dir packages lockfile

	images_require_root || return 1

	case $name in
	host) packages=("${IMAGES_HOST_PACKAGES[@]}") ;;
	base) packages=("${IMAGES_BASE_PACKAGES[@]}") ;;
	*)
		images_die "unknown image '$name'; expected 'host' or 'base'"
		return 1
		;;
	esac

	key=$(images_key "$name" "${packages[@]}")
	dir=$NSPAWN_OVERLAY_IMAGE_CACHE/$name-$key
	lockfile=$NSPAWN_OVERLAY_IMAGE_CACHE/$name.lock

	mkdir -p "$NSPAWN_OVERLAY_IMAGE_CACHE"

	# Fast path: a finished image is only ever renamed into place, so its presence
	# means it is complete.
	if [[ -d $dir ]]; then
		printf '%s\n' "$dir"
		return 0
	fi

	(
		exec {lock_fd}>"$lockfile"
		flock "$lock_fd"
		images_build_locked "$name" "$dir" "${packages[@]}"
	) || return 1

	printf '%s\n' "$dir"
}

# Debootstrap NAME into a temporary directory and rename it to DIR. Call only while
# holding the image's exclusive lock.
images_build_locked() {
	local name=$1 dir=$2 tmp stale started log
	shift 2

	# Another builder may have finished while this one waited for the lock.
	[[ -d $dir ]] && return 0

	# Leftovers of killed builds and superseded images of the same name.
	for stale in "$NSPAWN_OVERLAY_IMAGE_CACHE/.build-$name".* "$NSPAWN_OVERLAY_IMAGE_CACHE/$name"-*; do
		[[ -e $stale ]] || continue
		[[ $stale == *.lock ]] && continue
		images_log "removing leftover '$stale' of an earlier build"
		images_remove_tree "$stale"
	done

	tmp=$(mktemp -d "$NSPAWN_OVERLAY_IMAGE_CACHE/.build-$name.XXXXXX")
	log=$tmp.log
	started=$SECONDS
	images_log "building the $name image ($NSPAWN_OVERLAY_SUITE, $(images_mirror)); log in $log"

	local include
	include=$(IFS=,; printf '%s' "$*")
	if ! debootstrap --variant=minbase --include="$include" \
		"$NSPAWN_OVERLAY_SUITE" "$tmp/root" "$(images_mirror)" >"$log" 2>&1; then
		tail -n 20 "$log" >&2
		images_remove_tree "$tmp"
		images_die "debootstrap of the $name image failed (full log: $log); check the mirror and the package names"
		return 1
	fi

	"images_configure_$name" "$tmp/root"

	mv -T -- "$tmp/root" "$dir"
	rmdir -- "$tmp"
	rm -f -- "$log"
	images_log "built the $name image in $((SECONDS - started)) s: $dir"
}

# Copy image NAME to DEST (which must not exist) with reflinks where the file system
# has them. Holds the image's lock shared, so no rebuild removes it meanwhile.
images_copy() {
	local name=$1 dest=$2 src

	src=$(images_ensure "$name") || return 1

	(
		exec {lock_fd}>"$NSPAWN_OVERLAY_IMAGE_CACHE/$name.lock"
		flock -s "$lock_fd"
		cp -a --reflink=auto -- "$src" "$dest"
	) || images_die "copying the $name image '$src' to '$dest' failed"
}
