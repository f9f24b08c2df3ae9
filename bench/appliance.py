#!/usr/bin/python3
"""The appliance's figures for docs/performance.md: build/basalt.img
booted ROUNDS times under emulation (TCG, -cpu max, as make run and the
e2e test boot it): seconds from QEMU's start to init's "basalt: ready"
(first boot, which formats the datastore, and a second boot of the same
disks), the kernel's own uptime at ready, and the resident memory of the
host's agents together on the idle host (init, the DHCP client, hostd,
rhttpproxy; the support shell left out).

Usage: bench/appliance.py [ROUNDS]   (default 3; make image first)
"""
import os
import re
import statistics
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
from appliance import Appliance  # noqa: E402

IMAGE = os.path.join(ROOT, "build", "basalt.img")
# Each agent by the start of its command line.
AGENTS = {"init": "/init", "udhcpc": "/bin/busybox udhcpc",
          "hostd": "/bin/hostd", "rhttpproxy": "/bin/rhttpproxy"}


def rss_kib(app):
    out, _ = app.shell("for p in /proc/[0-9]*; do "
                       "echo \"$(busybox awk '/^VmRSS/ {print $2}' "
                       "$p/status) $(busybox tr '\\0' ' ' < $p/cmdline)\"; "
                       "done")
    total, each = 0, {}
    for line in out.splitlines():
        parts = line.split(None, 1)
        if len(parts) != 2 or not parts[0].isdigit():
            continue
        cmd = parts[1].strip()
        for name, prefix in AGENTS.items():
            if cmd == prefix or (name != "init" and cmd.startswith(prefix)):
                each[name] = each.get(name, 0) + int(parts[0])
                total += int(parts[0])
    return total, each


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    first, again, kernel, rss = [], [], [], []
    for r in range(rounds):
        with tempfile.TemporaryDirectory() as d:
            app = Appliance(d, IMAGE)
            try:
                app.boot()
                first.append(app.ready_seconds)
                m = re.search(r"ready, ([\d.]+) s after the kernel",
                              app.console())
                kernel.append(float(m.group(1)))
                total, each = rss_kib(app)
                rss.append(total)
                print(f"round {r + 1}: first boot ready in "
                      f"{app.ready_seconds:.1f} s (kernel {m.group(1)} s); "
                      f"agents {total / 1024:.1f} MiB {each}")
                app.shell("kill -USR2 1")
                app.wait_exit(240)
                app.proc = None
                app.boot()  # the same disks: not a first boot
                again.append(app.ready_seconds)
                print(f"round {r + 1}: second boot ready in "
                      f"{app.ready_seconds:.1f} s")
            finally:
                app.close()
    med = statistics.median
    print(f"median of {rounds}: first boot {med(first):.1f} s to ready "
          f"(kernel to ready {med(kernel):.1f} s), later boots "
          f"{med(again):.1f} s; agents' resident memory idle "
          f"{med(rss) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
