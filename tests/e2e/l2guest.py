"""A small Linux userland for L2 guests: busybox and one init script.

The init mounts the basics, prints one line of facts, then does what the
kernel command line asks with basalt.action=: poweroff, reboot, button
(wait for the ACPI power button), pci (list devices), or the name of a
script a test added under /actions (run, then power off). Arguments for
scripts come as basalt.arg=VALUE. The same init serves as /init of an
initramfs and of an ext4 root file system (root=/dev/vda).
"""
import io
import os

from testbed.testbed import cpio  # image/cpio.py
from testbed.testbed import _module_paths, _read_module, find_kernel

MARKER = "L2-BASALT-READY"

INIT = r"""#!/bin/busybox sh
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt /run /bin /sbin /usr/bin /usr/sbin /etc/acpi
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Debian's cloud kernel has virtio-pci and the virtio drivers as modules.
[ -f /etc/modules-order ] && for m in $(cat /etc/modules-order); do
	insmod /lib/modules/l2/$m 2>/dev/null
done
action=poweroff
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	basalt.action=*) action="${arg#basalt.action=}" ;;
	basalt.arg=*) BASALT_ARG="${arg#basalt.arg=}" ;;
	esac
done
export BASALT_ARG
root=$(awk '$2 == "/" {print $1 " " $3}' /proc/mounts)
mem_kb=$(awk '/^MemTotal/ {print $2}' /proc/meminfo)
rng=$(cat /sys/class/misc/hw_random/rng_current 2>/dev/null)
echo "MARKER nproc=$(nproc) mem_kb=$mem_kb epoch=$(date +%s) rng=$rng action=$action root=${root%% *}"
case "$action" in
pci)
	lspci -k 2>/dev/null || for d in /sys/bus/pci/devices/*; do
		echo "$d $(cat $d/vendor) $(cat $d/device) $(cat $d/class) driver=$(basename $(readlink $d/driver) 2>/dev/null)"
	done
	cat /proc/interrupts | grep -i virtio
	echo "hwrng: $(head -c 32 /dev/hwrng | od -An -tx1 | tr -d ' \n')"
	poweroff -f ;;
reboot) reboot -f ;;
poweroff) poweroff -f ;;
button)
	# busybox acpid runs /etc/acpi/<event> for the power button's
	# input event; a real distribution's logind does the same.
	mkdir -p /etc/acpi/PWRF
	printf '#!/bin/sh\necho L2-POWER-BUTTON\nsync\npoweroff -f\n' >/etc/acpi/PWRF/00000080
	chmod +x /etc/acpi/PWRF/00000080
	acpid -d -c /etc/acpi 2>&1 &
	sleep 2 # acpid has opened the input device by then
	echo L2-WAITING-FOR-BUTTON
	while true; do sleep 1; done ;;
*)
	if [ -f "/actions/$action" ]; then
		sh "/actions/$action" 2>&1
		echo "L2-ACTION-DONE status=$?"
	else
		echo "L2-ACTION-UNKNOWN $action"
	fi
	sync
	poweroff -f ;;
esac
""".replace("MARKER", MARKER)


# ext4 and the 8250 are built into that kernel.
MODULES = ["virtio_pci", "virtio_rng", "virtio_blk", "virtio_net", "button",
           "evdev"]


def initramfs(actions=None, files=None, kernel=None):
    """cpio bytes: busybox, init, virtio modules, actions (a dict of name
    -> shell script text) and files (a dict of path in the guest -> host
    file, copied executable). kernel is (version, root of its /lib/modules,
    module names) for another kernel than the cloud one."""
    buf = io.BytesIO()
    w = cpio.CpioWriter(buf)
    with open("/bin/busybox", "rb") as f:
        w.file("bin/busybox", f.read(), 0o755)
    w.file("init", INIT.encode(), 0o755)
    for name, text in (actions or {}).items():
        w.file("actions/" + name, text.encode(), 0o755)
    for dst, src in (files or {}).items():
        with open(src, "rb") as f:
            w.file(dst.lstrip("/"), f.read(), 0o755)
    if kernel is None:
        version, _ = find_kernel()
        kernel = (version, "/", MODULES)
    moddir, order = _module_paths(kernel[0], kernel[2], kernel[1])
    names = []
    for mod in order:
        base = os.path.basename(mod).split(".ko")[0] + ".ko"
        w.file("lib/modules/l2/" + base,
               _read_module(os.path.join(moddir, mod)), 0o644)
        names.append(base)
    w.file("etc/modules-order", ("\n".join(names) + "\n").encode(), 0o644)
    w.close()
    return buf.getvalue()


def facts(output):
    """The marker line's key=value pairs, or None if it never printed."""
    for line in output.splitlines():
        if line.startswith(MARKER):
            return dict(kv.split("=", 1) for kv in line.split()[1:])
    return None


def ext4_image(path, size_mb=64, root=False, actions=None, files=None):
    """An ext4 image file at path: empty but for files (a dict of name ->
    text), or (root=True) a root file system with busybox, the same /init
    and the actions, made with mkfs.ext4 -d (no root privileges needed)."""
    import shutil
    import subprocess
    import tempfile
    with tempfile.TemporaryDirectory() as tmp:
        args = ["mkfs.ext4", "-q", "-F", "-L", "basalt-test"]
        if root:
            for d in ("bin", "proc", "sys", "dev", "tmp", "mnt", "run",
                      "etc", "actions"):
                os.makedirs(os.path.join(tmp, d), exist_ok=True)
            shutil.copy("/bin/busybox", os.path.join(tmp, "bin/busybox"))
            with open(os.path.join(tmp, "init"), "w") as f:
                f.write(INIT)
            os.chmod(os.path.join(tmp, "init"), 0o755)
            for name, text in (actions or {}).items():
                with open(os.path.join(tmp, "actions", name), "w") as f:
                    f.write(text)
        for name, text in (files or {}).items():
            with open(os.path.join(tmp, name), "w") as f:
                f.write(text)
        if root or files:
            args += ["-d", tmp]
        with open(path, "wb") as f:
            f.truncate(size_mb << 20)
        subprocess.run(args + [path], check=True,
                       env=dict(os.environ, PATH="/usr/sbin:/sbin:" +
                                os.environ.get("PATH", "")))
    return path


def debian_initrd():
    """Debian's own initramfs for the test kernel (initramfs-tools): it
    loads virtio modules and mounts root=/dev/vda like on a real system."""
    version, _ = find_kernel()
    return f"/boot/initrd.img-{version}"


TRIPLE_FAULT = "guest stopped: reset (triple fault)"
KILLED = 137  # the agent's status for a command it killed at its timeout


def open_fault(r):
    """The two ways the open nested-bed fault shows (docs/testing.md,
    "Open: triple fault in L2"): L2 triple-faults, or stops dead and is
    killed at the timeout (L1 then logs a soft lockup in vmx)."""
    return TRIPLE_FAULT in r.output or r.status == KILLED


def run(l1, cmd, timeout):
    """Run a vmx command in L1; if the open fault showed, say so and run
    it once more. It has been seen about once in twenty nested boots, at
    random points of Debian's boot; a second one in a row fails the test
    as usual."""
    r = l1.run(cmd, timeout=timeout)
    if open_fault(r):
        print(f"open nested-bed fault (status {r.status}); running once "
              f"more:\n{r.output[-1500:]}\n--- L1 console ---\n"
              f"{l1.console_tail(10)}")
        r = l1.run(cmd, timeout=timeout)
    return r
