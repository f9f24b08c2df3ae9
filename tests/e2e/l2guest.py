"""A small Linux userland for L2 guests: busybox and one init script.

The init mounts the basics, prints one line of facts, then does what the
kernel command line asks with basalt.action= (poweroff, reboot, or wait
for the ACPI power button). Every test boots the same Debian kernel with
this initramfs, so a guest's behaviour is chosen at boot, not rebuilt.
"""
import io

from testbed import cpio

MARKER = "L2-BASALT-READY"

INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /bin /sbin /usr/bin /usr/sbin /etc/acpi
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
action=poweroff
for arg in $(cat /proc/cmdline); do
	case "$arg" in basalt.action=*) action="${arg#basalt.action=}" ;; esac
done
mem_kb=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
echo "MARKER nproc=$(nproc) mem_kb=$mem_kb epoch=$(date +%s) action=$action"
case "$action" in
reboot) reboot -f ;;
button)
	# busybox acpid runs /etc/acpi/<event> for the power button's
	# input event; a real distribution's logind does the same.
	printf '#!/bin/sh\necho L2-POWER-BUTTON\npoweroff -f\n' >/etc/acpi/PWRF
	chmod +x /etc/acpi/PWRF
	modprobe button 2>/dev/null
	acpid -d -c /etc/acpi 2>&1 &
	echo L2-WAITING-FOR-BUTTON
	while true; do sleep 1; done ;;
*) poweroff -f ;;
esac
""".replace("MARKER", MARKER)


def initramfs():
    buf = io.BytesIO()
    w = cpio.CpioWriter(buf)
    with open("/bin/busybox", "rb") as f:
        w.file("bin/busybox", f.read(), 0o755)
    w.file("init", INIT.encode(), 0o755)
    w.close()
    return buf.getvalue()


def facts(output):
    """The marker line's key=value pairs, or None if it never printed."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            return dict(kv.split("=", 1) for kv in line.split()[1:])
    return None
