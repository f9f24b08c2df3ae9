#!/usr/bin/python3
"""Boot time of Debian's kernel in the nested test bed: vmx against QEMU
from Debian (-M microvm,rtc=on and -M pc), same kernel, same initramfs
(tests/e2e/l2guest.py), 1 vCPU, 256 MiB, measured in L1 from the start of
the monitor to the guest's first init output (its READY line), on L1's
clock. Also: the whole run to power-off, and vmx's memory overhead.

Usage: bench/boot_nested.py [ROUNDS]   (default 3; prints medians)
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
QEMU_DATA = ["bios-microvm.bin", "qboot.rom", "linuxboot_dma.bin",
             "pvh.bin", "kvmvapic.bin", "bios-256k.bin",
             "efi-virtio.rom", "vgabios-stdvga.bin", "linuxboot.bin"]
APPEND = "console=ttyS0 panic=-1 basalt.action=poweroff"
MONITORS = {
    "vmx": "vmx --kernel /l2/vmlinuz --initrd /l2/initrd --memory 256 "
           f"--cmdline '{APPEND}'",
    "qemu microvm,rtc=on": "qemu-system-x86_64 -M microvm,rtc=on "
           "-enable-kvm -cpu host -m 256 -nodefaults -no-user-config "
           "-display none -serial stdio -no-reboot -kernel /l2/vmlinuz "
           f"-initrd /l2/initrd -append '{APPEND}'",
    "qemu pc": "qemu-system-x86_64 -M pc -enable-kvm -cpu host -m 256 "
           "-nodefaults -no-user-config -display none -serial stdio "
           "-no-reboot -kernel /l2/vmlinuz -initrd /l2/initrd "
           f"-append '{APPEND}'",
}
# L1 uptime (10 ms resolution) when the command starts, at the READY
# line, and at the end.
TIMED = ("t0=$(cut -d' ' -f1 /proc/uptime); {cmd} 2>&1 | while read -r l; "
         "do case \"$l\" in *L2-BASALT-READY*) echo READY=$(cut -d' ' -f1 "
         "/proc/uptime);; esac; done; echo T0=$t0 END=$(cut -d' ' -f1 "
         "/proc/uptime)")


def values(out):
    return {k: float(v) for k, v in (w.split("=") for w in out.split()
                                      if "=" in w and w.split("=")[0] in
                                      ("READY", "T0", "END"))}


def boot_l1(n):
    tb = Testbed(os.path.join(ROOT, "build", f"bench-nested-{n}"))
    tb.add_program(os.path.join(BUILD, "src", "vmx", "vmx"), "/bin/vmx")
    tb.add_program("/usr/bin/qemu-system-x86_64")
    for name in QEMU_DATA:  # Debian keeps SeaBIOS in its own package
        for d in ("/usr/share/qemu/", "/usr/share/seabios/"):
            if os.path.exists(d + name):
                tb.add_file(d + name, "/usr/share/qemu/" + name)
                break
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(), "/l2/initrd")
    tb.boot()
    return tb


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    boots = 0
    tb = boot_l1(boots)
    ready = {m: [] for m in MONITORS}
    total = {m: [] for m in MONITORS}
    try:
        for _ in range(rounds):
            for name, cmd in MONITORS.items():
                try:
                    r = tb.run(TIMED.format(cmd=cmd), timeout=300)
                except TestbedError as e:
                    # The emulated L1 can die under this load
                    # (docs/testing.md): note it, boot another.
                    print(f"{name}: L1 died, skipped: {str(e)[:200]}")
                    tb.close()
                    boots += 1
                    tb = boot_l1(boots)
                    continue
                v = values(r.output)
                if "READY" not in v:
                    print(f"{name}: no READY line:\n{r.output[-2000:]}")
                    continue
                ready[name].append(v["READY"] - v["T0"])
                total[name].append(v["END"] - v["T0"])
        # Memory: PSS of an idle vmx with a 128 MiB guest, minus the
        # guest memory it touched (its RSS in the guest RAM mapping).
        mem = tb.run(
            "vmx --kernel /l2/vmlinuz --initrd /l2/initrd --memory 128 "
            "--cmdline 'console=ttyS0 basalt.action=button' "
            ">/dev/null 2>&1 & pid=$!; sleep 40; "
            "awk '/^Pss:/ {p+=$2} END {print \"PSS=\" p}' "
            "/proc/$pid/smaps; "
            "awk '/^[0-9a-f]+-/ {big=0} /^Size:/ {big=($2==131072)} "
            "big && /^Rss:/ {print \"GUEST=\" $2}' /proc/$pid/smaps; "
            "kill $pid", timeout=120).output
    finally:
        tb.close()
    print("monitor | first init output (s) | to power-off (s)")
    base = statistics.median(ready["qemu microvm,rtc=on"]) \
        if ready["qemu microvm,rtc=on"] else None
    for name in MONITORS:
        if not ready[name]:
            continue
        r = statistics.median(ready[name])
        ratio = f"  ({r / base:.2f}x microvm)" if base else ""
        print(f"{name} | {r:.2f}{ratio} | {statistics.median(total[name]):.2f}"
              f"  [{', '.join(f'{x:.2f}' for x in ready[name])}]")
    print(mem.strip())


if __name__ == "__main__":
    main()
