#!/bin/sh
# make run: boot build/basalt.img in QEMU as a server would boot it.
# The boot disk is a copy (build/run/boot.img, replaced when the image is
# newer, so a rebuilt image boots fresh); the datastore disk
# (build/run/disk2.img, 16 GiB sparse) is kept across runs.
# Usage: scripts/run-image.sh BUILD_DIR HTTPS_PORT HTTP_PORT
set -eu
build=$1 https_port=$2 http_port=$3
dir="$build/run"
mkdir -p "$dir"
if [ ! -e "$dir/boot.img" ] || [ "$build/basalt.img" -nt "$dir/boot.img" ]; then
	cp --sparse=always "$build/basalt.img" "$dir/boot.img"
	if [ -n "${ROOT_PASSWORD:-}" ]; then
		# The first boot's answer file (init reads it once, then removes it).
		printf 'rootpw=%s\n' "$ROOT_PASSWORD" > "$dir/basalt.cfg"
		mcopy -o -i "$dir/boot.img@@2097152" "$dir/basalt.cfg" ::/basalt.cfg
		rm -f "$dir/basalt.cfg"
	fi
fi
[ -e "$dir/disk2.img" ] || truncate -s 16G "$dir/disk2.img"

# Hardware acceleration only where KVM is the real thing (kvm_intel or
# kvm_amd); a nested, software-assisted /dev/kvm cannot run Linux
# (../shared/docs/testbed.md): emulate then, with -cpu max, whose AMD-V
# lets the host's own VMs run.
if [ -w /dev/kvm ] && { [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; }; then
	accel="-accel kvm -cpu host"
	how="KVM"
else
	accel="-accel tcg,thread=multi -cpu max"
	how="emulation (TCG, -cpu max); about half a minute to ready"
fi
echo "==> booting $build/basalt.img in QEMU with $how"
echo "    the host's web and API ports: https://localhost:$https_port/ (443), http://localhost:$http_port/ (80)"
echo "    pyVmomi: SmartConnect(host='localhost', port=$https_port, user='root', pwd=..., sslContext=ssl._create_unverified_context())"
echo "    root's password is blank on first boot unless ROOT_PASSWORD=... was given"
echo "    datastore disk: $dir/disk2.img; quit QEMU with Ctrl-A X"
# shellcheck disable=SC2086
exec qemu-system-x86_64 $accel -smp 2 -m 4096 -display none -no-reboot \
	-drive "file=$dir/boot.img,format=raw,if=virtio" \
	-drive "file=$dir/disk2.img,format=raw,if=virtio" \
	-netdev "user,id=n0,hostfwd=tcp::$https_port-:443,hostfwd=tcp::$http_port-:80" \
	-device virtio-net-pci,netdev=n0 \
	-serial mon:stdio
