#!/usr/bin/python3
"""Measure the numbers docs/performance.md reports, print them as a table.

Timings live here, never in pass/fail tests. Each figure is the median of
REPEAT runs on this machine; conditions are printed with the results.

Port-I/O exits and start-up, on this machine's /dev/kvm, vmx against QEMU
from Debian, both booting the same flat bzImage (bench/pio_bz.S):
start-up is exec to the guest's first output byte (its first instruction
after the entry), the exit round trip is the difference of whole runs
with 200,000 exits and with none, divided by 200,000.
"""
import os
import platform
import statistics
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.environ.get("BASALT_RELEASE_DIR",
                       os.path.join(ROOT, "build", "release"))
VMX = os.path.join(BUILD, "src", "vmx", "vmx")
REPEAT = int(os.environ.get("BENCH_REPEAT", "7"))
PIO_EXITS = 200000
# -cpu host minus arch-capabilities: some nested KVMs refuse that MSR.
QEMU = ["qemu-system-x86_64", "-enable-kvm", "-cpu",
        "host,-arch-capabilities", "-m", "16", "-nodefaults",
        "-no-user-config", "-display", "none", "-serial", "stdio",
        "-device", "isa-debug-exit,iobase=0xf4,iosize=1"]
MONITORS = {
    # name: (argv before the kernel file, exit status of a clean end)
    "vmx": ([VMX, "--memory", "16", "--kernel"], 0),
    # isa-debug-exit ends QEMU with status (0 << 1) | 1.
    "qemu -M microvm": (QEMU + ["-M", "microvm", "-kernel"], 1),
    "qemu -M pc": (QEMU + ["-M", "pc", "-kernel"], 1),
}


def run_once(argv, ok_status):
    """(seconds to the guest's first byte, seconds to the monitor's exit)"""
    t = time.perf_counter()
    p = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    first = p.stdout.read(1)
    t_first = time.perf_counter() - t
    _, err = p.communicate()
    t_end = time.perf_counter() - t
    if first != b"!" or p.returncode != ok_status:
        sys.exit(f"bench: {' '.join(argv)}: status {p.returncode}, first "
                 f"byte {first!r}: {err.decode(errors='replace').strip()}")
    return t_first, t_end


def measure(g0, gn):
    """Every monitor in turn, REPEAT rounds, so that drifts of this
    (nested, shared) machine touch all alike. Per monitor: medians of
    start-up, of the empty run, and of the per-exit cost of each round."""
    runs = {name: [] for name in MONITORS}
    for _ in range(REPEAT):
        for name, (argv, ok) in MONITORS.items():
            start, base = run_once(argv + [g0], ok)
            _, full = run_once(argv + [gn], ok)
            runs[name].append((start, base, (full - base) / PIO_EXITS))
    return {name: tuple(statistics.median(r[i] for r in rows)
                        for i in range(3))
            for name, rows in runs.items()}


def main():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        sys.exit(f"bench: /dev/kvm not usable ({e.strerror})")
    g0 = os.path.join(BUILD, "bench", "pio_bz_0.bin")
    gn = os.path.join(BUILD, "bench", f"pio_bz_{PIO_EXITS}.bin")
    rows = measure(g0, gn)
    print(f"# {platform.node()} {platform.machine()} "
          f"kernel {platform.release()}, {os.cpu_count()} cpus, "
          f"median of {REPEAT}")
    print("| monitor | exec to first guest instruction | exec to exit, "
          f"empty guest | port-I/O exit round trip ({PIO_EXITS} exits) |")
    print("| --- | --- | --- | --- |")
    v = rows["vmx"]
    for name, (start, base, per_exit) in rows.items():
        r_start = r_exit = ""
        if name != "vmx":
            r_start = f" (vmx : QEMU {v[0] / start:.2f})"
            r_exit = f" (vmx : QEMU {v[2] / per_exit:.2f})"
        print(f"| {name} | {start * 1000:.1f} ms{r_start} | "
              f"{base * 1000:.1f} ms | {per_exit * 1e6:.2f} µs{r_exit} |")

if __name__ == "__main__":
    main()
