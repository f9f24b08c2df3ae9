#!/usr/bin/python3
"""hostd with many VMs registered (docs/performance.md): the latency of
the usual VM listing (RetrievePropertiesEx over a container view of every
VM: name, power state, CPUs, memory, the whole summary) and hostd's
memory (RSS, PSS, and USS: the pages hostd alone has, its heap, stacks
and written data, what another VM's worth of hostd would cost) idle and
after the listings.

Usage: bench/hostd.py [VMS] [ROUNDS]   (default 100 VMs, 20 rounds)
Needs no KVM: the VMs stay off.
"""
import os
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
BUILD = os.environ.get("BASALT_RELEASE_DIR",
                       os.path.join(ROOT, "build", "release"))

from hostd import Hostd  # noqa: E402

from pyVim.task import WaitForTask  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

PC = vmodl.query.PropertyCollector


def memory(pid):
    rss = pss = uss = 0
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith(("Private_Clean:", "Private_Dirty:")):
                uss += int(line.split()[1])
    return rss, pss, uss


def main():
    nvms = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    with tempfile.TemporaryDirectory() as tmp:
        h = Hostd(os.path.join(BUILD, "src", "hostd", "hostd"),
                  os.path.join(tmp, "root"), addr="127.0.0.5")
        try:
            idle = memory(h.proc.pid)
            si = h.connect()
            dc = si.content.rootFolder.childEntity[0]
            ds = os.path.join(h.root, "vmfs", "volumes", "datastore1")
            for i in range(nvms):
                d = os.path.join(ds, f"vm{i}")
                os.mkdir(d)
                with open(os.path.join(d, f"vm{i}.vmx"), "w") as f:
                    f.write(f'displayName = "vm{i}"\nnumvcpus = "2"\n'
                            f'memsize = "512"\nbasalt.kernel = "/k"\n')
                WaitForTask(dc.vmFolder.RegisterVM_Task(
                    path=f"[datastore1] vm{i}/vm{i}.vmx", asTemplate=False))
            view = si.content.viewManager.CreateContainerView(
                si.content.rootFolder, [vim.VirtualMachine], True)
            pc = si.content.propertyCollector
            results = {}
            for label, paths in (
                    ("4 properties", ["name", "runtime.powerState",
                                      "config.hardware.numCPU",
                                      "config.hardware.memoryMB"]),
                    ("summary", ["summary"])):
                spec = PC.FilterSpec(
                    objectSet=[PC.ObjectSpec(obj=view, skip=True, selectSet=[
                        PC.TraversalSpec(type=vim.ContainerView,
                                         path="view")])],
                    propSet=[PC.PropertySpec(type=vim.VirtualMachine,
                                             pathSet=paths)])
                times = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    r = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions())
                    objs = list(r.objects)
                    while r.token:
                        r = pc.ContinueRetrievePropertiesEx(r.token)
                        objs += r.objects
                    times.append(time.perf_counter() - t0)
                    assert len(objs) == nvms
                results[label] = statistics.median(times)
            busy = memory(h.proc.pid)
        finally:
            h.stop()
    print(f"hostd, {nvms} VMs registered, median of {rounds} "
          f"(client: pyVmomi, same machine)")
    for label, t in results.items():
        print(f"RetrievePropertiesEx over a view, {label}: {t * 1000:.1f} ms")
    for label, m in (("idle", idle),
                     (f"{nvms} VMs, after the listings", busy)):
        print(f"memory {label}: RSS {m[0] / 1024:.1f} MiB, PSS "
              f"{m[1] / 1024:.1f} MiB, USS {m[2] / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
