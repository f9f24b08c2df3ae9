#!/bin/busybox sh
# PID 1 of the L1 test-bed machine (tests/testbed/testbed.py): mount the
# basics, load KVM and virtio modules, bring up user-mode networking, then
# serve commands from the host on the second serial port for ever.
/bin/busybox mkdir -p /proc /sys /dev /tmp /run /bin /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
echo "testbed: loading modules"
for m in $(cat /etc/testbed/modules); do
	# Load only the KVM vendor module this (emulated) CPU supports.
	case "$m" in
	kvm-amd.ko) grep -qw svm /proc/cpuinfo || continue ;;
	kvm-intel.ko) grep -qw vmx /proc/cpuinfo || continue ;;
	esac
	insmod "/lib/modules/testbed/$m" 2>/dev/null ||
		echo "testbed: insmod $m failed"
done
if [ -e /sys/class/net/eth0 ]; then
	ip link set lo up
	ip link set eth0 up
	ip addr add 10.0.2.15/24 dev eth0
	ip route add default via 10.0.2.2
fi
[ -c /dev/kvm ] && echo "testbed: /dev/kvm ready" || echo "testbed: no /dev/kvm"
echo "TESTBED-READY"
while true; do
	sh /etc/testbed/agent.sh </dev/ttyS1 >/dev/ttyS1 2>&1
	echo "testbed: agent exited, restarting"
	sleep 1
done
