#!/usr/bin/python3
"""Measure the numbers docs/performance.md reports, print them as a table.

Timings live here, never in pass/fail tests. Each figure is the median of
REPEAT runs on this machine; conditions are printed with the results.
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


def wall(args):
    t = time.perf_counter()
    r = subprocess.run(args, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t
    if r.returncode != 0:
        sys.exit(f"bench: {' '.join(args)} failed: {r.stderr.strip()}")
    return took


def median_wall(args):
    return statistics.median(wall(args) for _ in range(REPEAT))


def main():
    try:
        os.close(os.open("/dev/kvm", os.O_RDWR))
    except OSError as e:
        sys.exit(f"bench: /dev/kvm not usable ({e.strerror})")
    g0 = os.path.join(BUILD, "bench", "pio_exit_0.guest")
    gn = os.path.join(BUILD, "bench", f"pio_exit_{PIO_EXITS}.guest")
    base = median_wall([VMX, "--kernel", g0, "--memory", "16"])
    full = median_wall([VMX, "--kernel", gn, "--memory", "16"])
    per_exit_us = (full - base) / PIO_EXITS * 1e6
    print(f"# {platform.node()} {platform.machine()} "
          f"kernel {platform.release()}, {os.cpu_count()} cpus, "
          f"median of {REPEAT}")
    print("| measure | vmx |")
    print("| --- | --- |")
    print(f"| exec to guest power-off, empty guest, 16 MiB | "
          f"{base * 1000:.1f} ms |")
    print(f"| port-I/O exit round trip ({PIO_EXITS} exits) | "
          f"{per_exit_us:.2f} µs |")


if __name__ == "__main__":
    main()
