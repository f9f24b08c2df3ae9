#!/bin/sh
# Install the Debian packages a make target needs, only when some are missing.
# Silent when everything is there; idempotent; uses sudo when not root.
# Usage: scripts/deps.sh GROUP...   (groups: build test fuzz image)
set -eu

pkgs_build="gcc make meson ninja-build pkg-config libseccomp-dev libmicrohttpd-dev libexpat1-dev libcrypt-dev libgnutls28-dev libncurses-dev"
# test: the tiers' runners and the nested test bed (docs/testing.md)
pkgs_test="python3 python3-pytest tmux python3-pyvmomi python3-requests curl openssl ansible golang-go golang-github-vmware-govmomi-dev clang-format qemu-system-x86 qemu-system-data linux-image-cloud-amd64 busybox-static e2fsprogs rsyslog rsyslog-gnutls"
pkgs_fuzz="clang libclang-rt-14-dev"
# image: make image and make run (image/build.py, scripts/run-image.sh)
pkgs_image="python3 grub-pc-bin grub-common mtools dosfstools fdisk e2fsprogs zstd busybox-static qemu-system-x86 qemu-system-data ncurses-base"

want=""
for group in "$@"; do
	case "$group" in
	build) want="$want $pkgs_build" ;;
	test) want="$want $pkgs_build $pkgs_test $pkgs_image" ;;
	image) want="$want $pkgs_build $pkgs_image" ;;
	fuzz) want="$want $pkgs_build $pkgs_fuzz" ;;
	all) want="$want $pkgs_build $pkgs_test $pkgs_fuzz $pkgs_image" ;;
	*) echo "deps.sh: unknown group '$group' (expected build, test, fuzz, image or all)" >&2; exit 2 ;;
	esac
done

missing=""
for p in $want; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$status" in
	*" installed") ;;
	*) case " $missing " in *" $p "*) ;; *) missing="$missing $p" ;; esac ;;
	esac
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
	sudo=""
elif command -v sudo >/dev/null 2>&1; then
	sudo="sudo"
else
	echo "deps.sh: missing packages:$missing; run as root or install sudo" >&2
	exit 1
fi

echo "deps.sh: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
