#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the bench needs, from Debian's archive only. Idempotent.
#
#   scripts/deps.sh          install what is missing
#   scripts/deps.sh --check  exit 1 (with a message) when something is missing
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/scripts/base-version.sh"

PKGS="gcc-aarch64-linux-gnu libc6-dev-arm64-cross linux-source-$BASE_SERIES flex bison bc libelf-dev
libssl-dev cpio make git python3 python3-ply python3-git xz-utils rsync curl
ca-certificates
clang llvm libclang-rt-14-dev sparse device-tree-compiler gnuplot-nox
libglib2.0-dev pkg-config qemu-efi-aarch64"
BACKPORTS_PKGS="qemu-system-arm"
QEMU_MIN_MAJOR=10
BUSYBOX_DIR=$top/build/busybox

missing_pkgs() {
	local p
	for p in $PKGS $BACKPORTS_PKGS; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed' || echo "$p"
	done
}

qemu_major() {
	qemu-system-aarch64 --version 2>/dev/null |
		sed -n 's/^QEMU emulator version \([0-9]*\)\..*/\1/p'
}

check() {
	local miss
	miss=$(missing_pkgs | tr '\n' ' ')
	if [ -n "$miss" ]; then
		echo "deps: missing packages: $miss" >&2
		return 1
	fi
	if [ "$(qemu_major)" -lt "$QEMU_MIN_MAJOR" ] 2>/dev/null ||
	   [ -z "$(qemu_major)" ]; then
		echo "deps: QEMU $QEMU_MIN_MAJOR or newer is needed (bookworm-backports)" >&2
		return 1
	fi
	if [ ! -x "$BUSYBOX_DIR/bin/busybox" ]; then
		echo "deps: arm64 busybox is not unpacked in $BUSYBOX_DIR" >&2
		return 1
	fi
}

die() {
	echo "deps: $*" >&2
	exit 1
}

# The first "URIs:" line of the system's Debian sources, so that the arm64
# busybox comes from the same mirror apt uses.
debian_mirror() {
	local uri
	uri=$(grep -hs '^URIs:' /etc/apt/sources.list.d/debian.sources |
	      awk '{print $2}' | grep -v security | head -n1)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 !~ /security/ {print $2; exit}' \
			       /etc/apt/sources.list 2>/dev/null)
	echo "${uri:-http://deb.debian.org/debian}"
}

add_backports() {
	local f=/etc/apt/sources.list.d/bookworm-backports.sources
	grep -rqs 'bookworm-backports' /etc/apt/sources.list /etc/apt/sources.list.d/ &&
		return 0
	cat > "$f" <<SRC
Types: deb
URIs: $(debian_mirror)
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
	apt_updated=
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	apt-get update -q || die "apt-get update failed; check the Debian mirror in /etc/apt/sources.list.d"
	apt_updated=1
}

# An arm64 busybox for the guest: fetch the busybox-static .deb for arm64
# straight from the archive and unpack it, without enabling multiarch.
install_busybox() {
	local mirror file tmp
	[ -x "$BUSYBOX_DIR/bin/busybox" ] && return 0
	mirror=$(debian_mirror)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	curl -fsSL -o "$tmp/Packages.xz" \
		"$mirror/dists/bookworm/main/binary-arm64/Packages.xz" ||
		die "cannot fetch the arm64 package index from $mirror"
	xz -d "$tmp/Packages.xz"
	file=$(awk '/^Package: busybox-static$/ {p=1} p && /^Filename:/ {print $2; exit}' \
		   "$tmp/Packages")
	[ -n "$file" ] || die "busybox-static is not in the arm64 index of $mirror"
	curl -fsSL -o "$tmp/bb.deb" "$mirror/$file" ||
		die "cannot fetch $mirror/$file"
	mkdir -p "$tmp/x" "$BUSYBOX_DIR/bin"
	dpkg-deb -x "$tmp/bb.deb" "$tmp/x"
	cp "$tmp/x/bin/busybox" "$BUSYBOX_DIR/bin/busybox"
	echo "$file" > "$BUSYBOX_DIR/SOURCE"
}

if [ "${1:-}" = "--check" ]; then
	check
	exit
fi

if check 2>/dev/null; then
	echo "deps: all present"
	exit 0
fi
[ "$(id -u)" = 0 ] || die "installing packages needs root; run 'sudo make deps'"

export DEBIAN_FRONTEND=noninteractive
add_backports
miss=$(missing_pkgs | tr '\n' ' ')
if [ -n "$miss" ] || [ "$(qemu_major || echo 0)" -lt "$QEMU_MIN_MAJOR" ]; then
	apt_update
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $PKGS ||
		die "apt-get install failed for: $PKGS"
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends -t bookworm-backports \
		$BACKPORTS_PKGS || die "cannot install QEMU from bookworm-backports"
fi
command -v curl >/dev/null || die "curl is missing"
install_busybox
check || die "dependencies still missing after install (see above)"
echo "deps: all present"
