#!/usr/bin/python3
"""Debian's kernel in the nested test bed, vmx against QEMU from Debian,
side by side in the same L1 (docs/performance.md):

  boot  first init output and power-off: vmx, QEMU -M microvm,rtc=on and
        -M pc; same kernel and initramfs (tests/e2e/l2guest.py), 1 vCPU,
        256 MiB, timed on L1's clock from the monitor's start
  mem   PSS of an idle 128 MiB VM booted to its init, minus the guest
        RAM the guest touched (the RSS of the guest RAM mapping)
  blk   virtio-blk on a raw image in L1's tmpfs, measured in the guest by
        bench/blkbench (O_DIRECT, one request at a time)
  net   virtio-net on a TAP in an L1 bridge, guest to L1 over TCP,
        measured by tests/tools/tcpblast (QEMU: vhost off, as vmx); each
        round also prints how idle L1's CPUs were during the transfer
        and the guest's receive and transmit interrupts
  phases  where a boot's time goes: each console line of a vmx and a
        QEMU microvm boot stamped on L1's clock (bench/tsline), and the
        stamps of a few milestones printed side by side (not in "all")

QEMU gets virtio-pci devices in modern mode (disable-legacy=on), like
vmx's; microvm has no PCI bus without pcie=on, so the I/O rounds compare
with -M microvm,rtc=on,pcie=on.

Usage: bench/nested.py [ROUNDS] [PART,...]   (default 3 rounds of boot,
mem, blk and net; prints medians). The emulated L1 now and then dies under this load
(docs/testing.md): a round it kills is reported and skipped.
"""
import os
import statistics
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests"))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))

from testbed.testbed import Testbed, TestbedError  # noqa: E402

import l2guest  # noqa: E402

BUILD = os.environ.get("BASALT_RELEASE_DIR",
                       os.path.join(ROOT, "build", "release"))
CMDLINE = "console=ttyS0 panic=-1 basalt.action={action}"
# BASALT_BENCH_NET_MIB: shorter transfers are dominated by TCP slow
# start and TCG translating the guest's send path for the first time.
NET_BYTES = int(os.environ.get("BASALT_BENCH_NET_MIB", "128")) << 20
# L1's per-CPU counters when the receiver accepts and after the last byte.
NET_RECV = ("pkill tcpblast; rm -f /tmp/stat.*; "
            "(TCPBLAST_AT_START=\"grep '^cpu[0-9]' /proc/stat > /tmp/stat.a\" "
            "TCPBLAST_AT_END=\"grep '^cpu[0-9]' /proc/stat > /tmp/stat.b\" "
            "tcpblast recv 5001 > /tmp/blast.log 2>&1) &")
BLK_IMAGE_MIB = 64
BLK_RUNS = [("seqread", 32), ("seqwrite", 32), ("randread", 4),
            ("randwrite", 4)]
ACTIONS = {
    "blk": "".join(f"blkbench /dev/vda {mode} {mib}\n"
                   for mode, mib in BLK_RUNS),
    "net": ("ip link set eth0 up\n"
            "ip addr add 10.0.3.2/24 dev eth0\n"
            "ping -c 1 -W 5 10.0.3.1 >/dev/null\n"
            f"tcpblast send 10.0.3.1 5001 {NET_BYTES}\n"
            "grep PCI-MSI /proc/interrupts\n"),
}
QEMU = ("qemu-system-x86_64 -enable-kvm -cpu host,-arch-capabilities "
        "-nodefaults -no-user-config -display none -serial stdio "
        "-no-reboot -kernel /l2/vmlinuz -initrd /l2/initrd ")
VMX = "vmx --kernel /l2/vmlinuz --initrd /l2/initrd "
QEMU_BLK = ("-drive file=/tmp/disk.img,if=none,id=d0,format=raw "
            "-device virtio-blk-pci,drive=d0,disable-legacy=on ")
QEMU_NET = ("-netdev tap,id=n0,ifname=tap1,script=/bin/qemu-ifup,"
            "downscript=no,"
            "vhost=off -device virtio-net-pci,netdev=n0,"
            "disable-legacy=on,romfile= ")
BOOT = {
    "vmx": VMX,
    "qemu microvm,rtc=on": QEMU + "-M microvm,rtc=on ",
    "qemu pc": QEMU + "-M pc ",
}
IO = {
    "vmx": {"blk": VMX + "--disk /tmp/disk.img ",
            "net": VMX + "--net tap0,bridge=br0 "},
    "qemu microvm,rtc=on,pcie=on": {
        "blk": QEMU + "-M microvm,rtc=on,pcie=on " + QEMU_BLK,
        "net": QEMU + "-M microvm,rtc=on,pcie=on " + QEMU_NET},
}
# L1 uptime (10 ms resolution) when the command starts, at the READY
# line, and at the end; the guest's own lines are passed through.
TIMED = ("t0=$(cut -d' ' -f1 /proc/uptime); {cmd} 2>&1 | while read -r l; "
         "do case \"$l\" in *L2-BASALT-READY*) echo READY=$(cut -d' ' -f1 "
         "/proc/uptime);; *) echo \"$l\";; esac; done; echo T0=$t0 "
         "END=$(cut -d' ' -f1 /proc/uptime)")
# PSS of the monitor and RSS of its largest mapping (the guest RAM).
MEMORY = ("{cmd} >/dev/null 2>&1 & pid=$!; sleep 60; "
          "awk '/^Pss:/ {{p+=$2}} END {{print \"PSS=\" p}}' "
          "/proc/$pid/smaps; "
          "awk '/^[0-9a-f]+-/ {{m++}} /^Size:/ {{s[m]=$2}} "
          "/^Rss:/ {{r[m]=$2}} END {{b=0; for (i in s) if (s[i]>s[b]) b=i; "
          "print \"GUEST=\" r[b]}}' /proc/$pid/smaps; kill $pid; wait")


def values(out):
    return {k: float(v) for k, v in (w.split("=", 1) for w in out.split()
                                      if "=" in w and w.split("=")[0] in
                                      ("READY", "T0", "END", "PSS",
                                       "GUEST"))}


def boot_l1(n):
    tb = Testbed(os.path.join(ROOT, "build", f"bench-nested-{n}"))
    tb.add_program(os.path.join(BUILD, "src", "vmx", "vmx"), "/bin/vmx")
    tb.add_qemu()
    tools = {"/bin/tcpblast": os.path.join(BUILD, "tests", "tools",
                                           "tcpblast"),
             "/bin/blkbench": os.path.join(BUILD, "bench", "blkbench")}
    tb.add_file(tools["/bin/tcpblast"], "/bin/tcpblast", 0o755)
    tb.add_file(os.path.join(BUILD, "bench", "tsline"), "/bin/tsline",
                0o755)
    # QEMU creates its TAP and runs this to put it in the bridge.
    tb.add_bytes("#!/bin/sh\nip link set \"$1\" up && brctl addif br0 "
                 "\"$1\"\n", "/bin/qemu-ifup", 0o755)
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(ACTIONS, tools), "/l2/initrd")
    tb.boot()
    tb.run("brctl addbr br0 && ip addr add 10.0.3.1/24 dev br0 && "
           "ip link set br0 up && "
           f"dd if=/dev/zero of=/tmp/disk.img bs=1M count={BLK_IMAGE_MIB} "
           "2>/dev/null", check=True)
    return tb


class Bed:
    """One L1 at a time; a new one when the emulation kills the last."""

    def __init__(self):
        self.boots = 0
        self.tb = boot_l1(0)

    def run(self, script, timeout):
        try:
            return self.tb.run(script, timeout=timeout)
        except TestbedError as e:
            print(f"  L1 died, round skipped: {str(e)[:300]}")
            self.tb.close()
            self.boots += 1
            self.tb = boot_l1(self.boots)
            return None

    def close(self):
        self.tb.close()


def cmd(monitor_cmd, memory, action):
    """monitor_cmd with the memory size and kernel command line, in the
    monitor's own option names."""
    mem, line = (("--memory", "--cmdline") if monitor_cmd.startswith("vmx")
                 else ("-m", "-append"))
    return (f"{monitor_cmd}{mem} {memory} {line} "
            f"'{CMDLINE.format(action=action)}'")


def med(xs):
    return statistics.median(xs) if xs else None


def part_boot(bed, rounds):
    ready = {m: [] for m in BOOT}
    total = {m: [] for m in BOOT}
    # The first L2 boot in a fresh L1 runs markedly faster than later
    # ones (seen with either monitor; the emulation's doing), so a
    # warm-up round goes first and is not counted, and each round starts
    # with the next monitor in turn.
    names = list(BOOT)
    for name in names:
        bed.run(cmd(BOOT[name], 256, "poweroff") + " >/dev/null 2>&1", 300)
    for i in range(rounds):
        for name in names[i % len(names):] + names[:i % len(names)]:
            mon = BOOT[name]
            r = bed.run(TIMED.format(cmd=cmd(mon, 256, "poweroff")), 300)
            v = values(r.output) if r else {}
            if "READY" not in v:
                print(f"  boot {name}: no READY line")
                continue
            ready[name].append(v["READY"] - v["T0"])
            total[name].append(v["END"] - v["T0"])
    print("\nmonitor | first init output (s) | to power-off (s) | runs")
    base = med(ready["qemu microvm,rtc=on"])
    for name in BOOT:
        if ready[name]:
            r = med(ready[name])
            ratio = f" ({r / base:.2f}x microvm)" if base else ""
            print(f"{name} | {r:.2f}{ratio} | {med(total[name]):.2f} | "
                  + ", ".join(f"{x:.2f}" for x in ready[name]))


def part_mem(bed, rounds):
    overhead = {}
    for name, mon in (("vmx", VMX), ("qemu microvm,rtc=on",
                                     BOOT["qemu microvm,rtc=on"])):
        for _ in range(rounds):
            r = bed.run(MEMORY.format(cmd=cmd(mon, 128, "button")), 150)
            v = values(r.output) if r else {}
            if "PSS" in v and "GUEST" in v:
                overhead.setdefault(name, []).append(
                    (v["PSS"] - v["GUEST"], v["PSS"], v["GUEST"]))
    print("\nmonitor | overhead KiB (PSS - guest RAM touched) | PSS | guest")
    for name, rows in overhead.items():
        o = med([x[0] for x in rows])
        print(f"{name} | {o:.0f} | " + "; ".join(
            f"{p:.0f} - {g:.0f}" for _, p, g in rows))


def l1_idle(a, b):
    """Idle share of each L1 CPU between two /proc/stat snapshots."""
    def cpus(text):
        return {w[0]: [int(x) for x in w[1:9]]
                for w in (ln.split() for ln in text.splitlines())
                if len(w) > 9 and w[0].startswith("cpu")}
    a, b = cpus(a), cpus(b)
    out = []
    for name in sorted(b):
        d = [y - x for x, y in zip(a.get(name, b[name]), b[name])]
        out.append(f"{100 * d[3] // max(sum(d), 1)}%")
    return "/".join(out)


def guest_interrupts(out):
    """The guest's virtio-net receive and transmit interrupt counts."""
    rx = tx = 0
    for ln in out.splitlines():
        w = ln.split()
        if len(w) > 2 and "PCI-MSI" in ln and w[1].isdigit():
            rx += int(w[1]) if "-input." in w[-1] else 0
            tx += int(w[1]) if "-output." in w[-1] else 0
    return rx, tx


def part_io(bed, rounds, what):
    res = {}
    names = list(IO)
    for i in range(rounds):
        # Each round starts with the next monitor in turn.
        for name in names[i % len(names):] + names[:i % len(names)]:
            if what == "net":
                bed.run(NET_RECV, 30)
            r = bed.run(cmd(IO[name][what], 256, what) + " 2>&1", 600)
            if r is None:
                continue
            out = r.output
            if what == "net":
                got = bed.run("cat /tmp/blast.log; echo @; cat /tmp/stat.a; "
                              "echo @; cat /tmp/stat.b", 30)
                out, a, b = (got.output if got else "@@").split("@")[:3]
                rx, tx = guest_interrupts(r.output)
            found = 0
            for ln in out.splitlines():
                w = ln.split()
                if what == "blk" and len(w) == 3 and \
                        w[0] in dict(BLK_RUNS):
                    res.setdefault((name, w[0]), []).append(
                        (float(w[1]), float(w[2])))
                    found += 1
                if what == "net" and len(w) == 3 and w[0] == "received" \
                        and int(w[1]) == NET_BYTES:
                    mbs = int(w[1]) / 1e6 / float(w[2])
                    res.setdefault((name, "tcp"), []).append((mbs, 0))
                    print(f"  net {name}: {mbs:.1f} MB/s, L1 CPUs idle "
                          f"{l1_idle(a, b)}, guest interrupts rx {rx} "
                          f"tx {tx}", flush=True)
                    found += 1
            if not found:
                print(f"  {what} {name}: no result:\n{out[-1500:]}")
    print(f"\n{what}: monitor | test | MB/s | IOPS | runs (MB/s)")
    for (name, test), rows in sorted(res.items(), key=lambda x: x[0][1]):
        print(f"{name} | {test} | {med([x[0] for x in rows]):.2f} | "
              f"{med([x[1] for x in rows]):.0f} | "
              + ", ".join(f"{x[0]:.2f}" for x in rows))


# Console lines that mark a boot's phases, and a short name for each.
MILESTONES = [("Linux version", "console starts"),
              ("Calibrating delay loop", "calibrate"),
              ("smpboot: Total of", "SMP up"),
              ("Switched to clocksource", "clocksource"),
              ("Run /init", "run init"),
              ("L2-BASALT-READY", "init output"),
              ("Power down", "power-off")]


def part_phases(bed, rounds):
    """Seconds from the monitor's start to each milestone, per run."""
    rows = []
    for i in range(rounds):
        for name in ("vmx", "qemu microvm,rtc=on"):
            r = bed.run(cmd(BOOT[name], 256, "poweroff") + " 2>&1 | tsline",
                        300)
            if r is None:
                continue
            at = {}
            for line in r.output.splitlines():
                for mark, short in MILESTONES:
                    if mark in line and short not in at:
                        at[short] = line[1:line.index("}")].strip()
            rows.append((name, i, at))
    print("\nmonitor | round | " + " | ".join(s for _, s in MILESTONES))
    for name, i, at in rows:
        print(f"{name} | {i} | "
              + " | ".join(at.get(s, "-") for _, s in MILESTONES))


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    parts = sys.argv[2].split(",") if len(sys.argv) > 2 else \
        ["boot", "mem", "blk", "net"]
    bed = Bed()
    try:
        for part in parts:
            if part == "boot":
                part_boot(bed, rounds)
            elif part == "mem":
                part_mem(bed, rounds)
            elif part in ("blk", "net"):
                part_io(bed, rounds, part)
            elif part == "phases":
                part_phases(bed, rounds)
            else:
                sys.exit(f"bench: unknown part {part}")
    finally:
        bed.close()


if __name__ == "__main__":
    main()
