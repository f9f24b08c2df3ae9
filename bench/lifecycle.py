#!/usr/bin/python3
"""The VM lifecycle through hostd and through libvirt + QEMU, side by side
in the nested test bed's L1 (docs/performance.md): define, power on up to
the guest's first console output, power off, undefine; the same Debian
kernel and initramfs (tests/e2e/l2guest.py), 1 vCPU, 256 MiB. Each
operation is one command, as a user's script runs them: govmomi (the
library govc is built on; bench/tools/lifecycle) against hostd, keeping
its session between commands as govc does, and virsh against libvirtd
(root on its Unix socket). Both run in L1, the clients too; rounds take
turns.

Usage: bench/lifecycle.py [ROUNDS]   (default 5; prints medians)
Needs what `make deps-test` installs, and libvirt-daemon,
libvirt-daemon-driver-qemu and libvirt-clients (installed here when
missing).
"""
import glob
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from testbed.testbed import Testbed  # noqa: E402

import l2guest  # noqa: E402

BUILD = os.environ.get("BASALT_RELEASE_DIR",
                       os.path.join(ROOT, "build", "release"))
LIBVIRT_PKGS = ["libvirt-daemon", "libvirt-daemon-driver-qemu",
                "libvirt-clients"]
CMDLINE = "console=ttyS0 panic=-1 basalt.action=button"
MEM_MB = 256
API = "http://root:bench-password@127.0.0.2:8307/sdk"
QEMU_CONF = ('user = "root"\ngroup = "root"\ncgroup_controllers = [ ]\n'
             'security_driver = "none"\nremember_owner = 0\n'
             # no virtlogd: QEMU's output goes to a file directly
             'stdio_handler = "file"\n')
# libvirt's QEMU driver looks its default user up before it reads
# qemu.conf.
PASSWD = ("root:x:0:0:root:/root:/bin/sh\n"
          "libvirt-qemu:x:64055:107::/var/lib/libvirt:/bin/false\n")
GROUP = "root:x:0:\nkvm:x:107:\nlibvirt-qemu:x:64055:\n"


def ensure_libvirt():
    missing = [p for p in LIBVIRT_PKGS if not subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True,
        text=True).stdout.endswith(" installed")]
    if missing:
        print("installing", " ".join(missing), flush=True)
        subprocess.run(["apt-get", "install", "-y", "-qq",
                        "--no-install-recommends"] + missing, check=True,
                       env=dict(os.environ,
                                DEBIAN_FRONTEND="noninteractive"))


def build_driver():
    out = os.path.join(ROOT, "build", "bench", "lifecycle")
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode",
               GOCACHE=os.path.join(ROOT, "build", "go-cache"),
               CGO_ENABLED="0", GOFLAGS="")
    subprocess.run(["go", "build", "-o", out, "."], check=True, env=env,
                   cwd=os.path.join(ROOT, "bench", "tools", "lifecycle"))
    return out


def bed(driver):
    work = os.path.join(ROOT, "build", "bench", "l1-lifecycle")
    os.makedirs(work, exist_ok=True)
    tb = Testbed(work)
    tb.add_program(os.path.join(BUILD, "src", "vmx", "vmx"), "/bin/vmx")
    tb.add_program(os.path.join(BUILD, "src", "hostd", "hostd"),
                   "/bin/hostd")
    tb.add_file(driver, "/bin/lifecycle", 0o755)
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(), "/l2/initrd")
    tb.add_qemu()
    # libvirt probes QEMU with accel=kvm:tcg, which loads TCG's module.
    for so in glob.glob("/usr/lib/x86_64-linux-gnu/qemu/accel-*.so"):
        tb.add_program(so)
    tb.add_program("/usr/sbin/libvirtd")
    tb.add_program("/usr/bin/virsh")
    for so in glob.glob("/usr/lib/x86_64-linux-gnu/libvirt/"
                        "connection-driver/libvirt_driver_qemu.so"):
        tb.add_program(so)
    for f in glob.glob("/usr/share/libvirt/cpu_map/*.xml"):
        tb.add_file(f, f)
    tb.add_bytes(QEMU_CONF, "/etc/libvirt/qemu.conf")
    tb.add_bytes(PASSWD, "/etc/passwd")
    tb.add_bytes(GROUP, "/etc/group")
    return tb


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    ensure_libvirt()
    driver = build_driver()
    tb = bed(driver)
    try:
        tb.boot()
        # libvirtd makes its socket in /run, virsh looks in /var/run.
        tb.run("mkdir -p /run /var/lib/libvirt/qemu /var/cache/libvirt "
               "/var/log/libvirt && { [ -e /var/run ] || "
               "ln -s /run /var/run; } && "
               "(libvirtd > /tmp/libvirtd.log 2>&1 &) && "
               "(BASALT_ROOT_PASSWORD=bench-password hostd --root /root/run "
               "--address 127.0.0.2 --port 8307 --vmx /bin/vmx "
               "> /tmp/hostd.log 2>&1 &)", check=True)
        # libvirtd probes QEMU once (slow under TCG) before it answers.
        r = tb.run("for i in $(seq 150); do virsh version >/dev/null 2>&1 "
                   "&& exit 0; sleep 1; done; tail -20 /tmp/libvirtd.log; "
                   "exit 1", timeout=400)
        assert r.status == 0, f"status {r.status}: {r.output}"
        r = tb.run(f"lifecycle bench {rounds} {API} /l2/vmlinuz /l2/initrd "
                   f"'{CMDLINE}' {MEM_MB}", timeout=120 * rounds + 300)
        if r.status != 0:
            print(r.output)
            print(tb.run("tail -20 /tmp/hostd.log; tail -20 "
                         "/tmp/libvirtd.log").output)
            sys.exit(1)
    finally:
        tb.close()
    times = {}
    for line in r.output.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0] in ("basalt", "libvirt"):
            times.setdefault((parts[0], parts[1]), []).append(
                float(parts[2]))
    print(f"VM lifecycle in the nested bed, {rounds} rounds, medians "
          "(seconds; one command per operation, client in L1)")
    print(f"{'':12s} {'hostd':>9s} {'libvirt':>9s} {'ratio':>7s}")
    total = {"basalt": [], "libvirt": []}
    for op in ("define", "on", "off", "undefine"):
        b = statistics.median(times[("basalt", op)])
        lv = statistics.median(times[("libvirt", op)])
        print(f"{op:12s} {b:9.3f} {lv:9.3f} {lv / b:6.2f}x")
    for side in total:
        per_round = [sum(times[(side, op)][i] for op in
                         ("define", "on", "off", "undefine"))
                     for i in range(rounds)]
        total[side] = statistics.median(per_round)
    print(f"{'cycle':12s} {total['basalt']:9.3f} {total['libvirt']:9.3f} "
          f"{total['libvirt'] / total['basalt']:6.2f}x")
    print(f"cycles/min   {60 / total['basalt']:9.1f} "
          f"{60 / total['libvirt']:9.1f}")
    print(f"(hostd's one login before the rounds, kept as govc keeps it: "
          f"{times[('basalt', 'login')][0]:.3f} s)")


if __name__ == "__main__":
    main()
