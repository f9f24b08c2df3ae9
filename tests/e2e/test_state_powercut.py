"""Power cuts while the host's state is being saved (issue 8).

A small machine under QEMU (Debian's cloud kernel, busybox, the real
stated) keeps its state on an ext4 file system made the way image/build.py
makes a boot bank, mounted the way init mounts /bootbank. Each boot
restores the state, then changes it in a loop (three files per version,
each written as hostd writes: a temporary renamed over it, the three
renames under the writers' lock hostd's accounts take) while
`stated --daemon` saves every change; the loop says "durable K" once the
daemon has logged the save of version K. QEMU is killed with SIGKILL at a
random moment: a power cut. The next boot must restore exactly one
version, every file of it, no older than the last one said durable and
no newer than the last one written: the old or the new state, never a
mix, never an error. TRIALS power cuts on each of two machines side by
side (the two cores).

The full appliance gets the same through the VI API in
test_appliance.py (a user added and the syslog target changed, then a
power cut); bench/powercut.py runs this file's trials against the
appliance itself."""
import hashlib
import os
import random
import re
import subprocess
import sys
import threading
import time

from conftest import ROOT, built

sys.path.insert(0, os.path.join(ROOT, "tests"))
from testbed import testbed  # noqa: E402
from testbed.testbed import cpio  # noqa: E402

TRIALS = 25          # per machine; two machines: 50 power cuts
BOOT_TIMEOUT_S = 90
CUT_WITHIN_S = 1.5   # the cut comes this long after the loop starts, at most

INIT = r"""#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in $(cat /modules); do insmod /lib/modules/$m || echo "TRIAL insmod $m"; done
i=0
while [ ! -b /dev/vda ] && [ $i -lt 200 ]; do usleep 20000; i=$((i+1)); done
mkdir -p /bank /etc/basalt /tmp
mount -t ext4 -o noatime /dev/vda /bank || echo "TRIAL mount failed"
/bin/stated --restore --root / --slot /bank/state 2>/tmp/restore.log
echo "TRIAL restore status $?"
cat /tmp/restore.log
for f in passwd advanced.conf version; do
	[ -f /etc/basalt/$f ] && echo "TRIAL file $f $(md5sum < /etc/basalt/$f | cut -c1-32)"
done
/bin/stated --daemon --root / --slot /bank/state --quiet-ms 20 --max-delay-ms 200 2>/tmp/stated.log &
i=0
while ! grep -q watching /tmp/stated.log; do
	usleep 10000; i=$((i+1))
	[ $i -eq 1000 ] && { echo "TRIAL no daemon"; cat /tmp/stated.log; }
done
k=$(cat /etc/basalt/version 2>/dev/null || echo 0)
saved=$(grep -c "saved state generation" /tmp/stated.log)
echo "TRIAL looping from $k"
while true; do
	k=$((k+1))
	{ echo "root:x:0:0::/:/bin/sh"; echo "user$k:x:$((1000+k)):1000::/:/bin/sh"; } > /etc/basalt/passwd.tmp
	echo "Syslog.global.logHost = \"tcp://10.0.0.$((k % 250 + 1)):$((1000+k))\"" > /etc/basalt/advanced.conf.tmp
	echo "$k" > /etc/basalt/version.tmp
	# One change of three files, under the writers' lock as hostd's
	# accounts take it: stated never saves half of it.
	/bin/lockrun /etc/basalt/.pwd.lock "mv /etc/basalt/passwd.tmp /etc/basalt/passwd && mv /etc/basalt/advanced.conf.tmp /etc/basalt/advanced.conf && mv /etc/basalt/version.tmp /etc/basalt/version"
	saved=$((saved+1))
	while [ $(grep -c "saved state generation" /tmp/stated.log) -lt $saved ]; do usleep 5000; done
	echo "TRIAL durable $k"
done
"""


def contents(k):
    """The files of version k, as the loop writes them."""
    return {
        "passwd": f"root:x:0:0::/:/bin/sh\nuser{k}:x:{1000 + k}:1000::/:"
                  f"/bin/sh\n",
        "advanced.conf": f'Syslog.global.logHost = "tcp://10.0.0.'
                         f'{k % 250 + 1}:{1000 + k}"\n',
        "version": f"{k}\n",
    }


def digests(k):
    return {n: hashlib.md5(t.encode()).hexdigest()
            for n, t in contents(k).items()}


def initramfs(path, stated, lockrun):
    version, _ = testbed.find_kernel()
    moddir, mods = testbed._module_paths(version, ["virtio_pci",
                                                   "virtio_blk"])
    with open(path, "wb") as f:
        w = cpio.CpioWriter(f)
        for d in ("bin", "sbin", "proc", "sys", "dev", "tmp", "etc",
                  "lib", "lib/modules", "lib64", "usr", "usr/lib"):
            w.mkdir(d)
        with open("/bin/busybox", "rb") as b:
            w.file("bin/busybox", b.read(), 0o755)
        w.file("init", INIT.encode(), 0o755)
        names = []
        for mod in mods:
            base = os.path.basename(mod).replace(".xz", "")
            w.file("lib/modules/" + base,
                   testbed._read_module(os.path.join(moddir, mod)))
            names.append(base)
        w.file("modules", ("\n".join(names) + "\n").encode())
        with open(stated, "rb") as s:
            w.file("bin/stated", s.read(), 0o755)
        with open(lockrun, "rb") as s:
            w.file("bin/lockrun", s.read(), 0o755)
        for lib in testbed._libraries(stated):
            real = os.path.realpath(lib)
            with open(real, "rb") as s:
                data = s.read()
            for d in range(1, lib.count("/")):
                w.mkdir("/".join(lib.split("/")[1:d + 1]))
            w.file(lib.lstrip("/"), data, 0o755)
        w.close()


class Machine:
    def __init__(self, workdir, initrd):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.initrd = initrd
        self.disk = os.path.join(self.dir, "bank.img")
        # As image/build.py makes a bank (128 MiB there; 64 here).
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext4", "-L",
                        "bootbank1", "-m", "0", "-E", "root_owner=0:0",
                        self.disk, str(64 * 1024)], check=True,
                       capture_output=True)
        self.log = []      # what each trial saw, for the failure message

    def boot(self, n):
        console = os.path.join(self.dir, f"console-{n}.log")
        _, kernel = testbed.find_kernel()
        out = open(console, "wb")
        proc = subprocess.Popen(
            # qemu64: a plainer CPU boots a little faster under TCG.
            ["qemu-system-x86_64", "-M", "pc", "-cpu", "qemu64", "-m", "256",
             "-smp", "1", "-nographic", "-nodefaults", "-no-reboot",
             "-serial", "stdio", "-kernel", kernel, "-initrd", self.initrd,
             "-append", "console=ttyS0 quiet panic=-1",
             "-drive", f"file={self.disk},format=raw,if=virtio"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        return proc, out, console

    @staticmethod
    def read(console):
        with open(console, "rb") as f:
            return f.read().decode(errors="replace")

    def trial(self, n, rng):
        """Boot, check what was restored, cut the power while saving.
        Returns (restored version, last durable version)."""
        proc, out, console = self.boot(n)
        try:
            end = time.time() + BOOT_TIMEOUT_S
            while "TRIAL looping" not in self.read(console):
                if time.time() > end or proc.poll() is not None:
                    raise AssertionError(
                        f"trial {n}: no loop:\n{self.read(console)[-3000:]}")
                time.sleep(0.05)
            time.sleep(rng.uniform(0, CUT_WITHIN_S))
        finally:
            proc.kill()        # the power cut
            proc.wait()
            out.close()
        text = self.read(console)
        m = re.search(r"TRIAL restore status (\d+)", text)
        assert m, text[-3000:]
        status = int(m.group(1))
        files = dict(re.findall(r"TRIAL file (\S+) ([0-9a-f]{32})", text))
        start = int(re.search(r"TRIAL looping from (\d+)", text).group(1))
        durable = [int(x) for x in re.findall(r"TRIAL durable (\d+)", text)]
        assert "TRIAL mount failed" not in text, text[-3000:]
        assert "TRIAL insmod" not in text, text[-3000:]
        return status, files, start, durable, text


def run_machine(m, trials, seed, results):
    rng = random.Random(seed)
    try:
        low = high = 0   # the versions the next restore may give
        for n in range(trials):
            status, files, start, durable, text = m.trial(n, rng)
            if files:
                got = start
                ok = status == 0 and files == digests(got)
            else:
                # Nothing saved yet, or the empty state of the first
                # boot: only before anything was durable.
                got = 0
                ok = status in (0, 3) and start == 0
            ok = ok and low <= got <= high
            m.log.append((n, status, got, low, high, len(durable)))
            assert ok, (f"trial {n}: restored version {got} (status "
                        f"{status}, files {files}); expected a whole "
                        f"version in {low}..{high}:\n{text[-3000:]}")
            assert "damaged" not in text, text[-3000:]
            # What was said durable stays; the one being written when
            # the power went may have made it too.
            low = durable[-1] if durable else got
            high = low + 1
        results.append(None)
    except BaseException as e:  # reported by the main thread
        results.append(e)


def test_power_cuts_while_saving_keep_the_old_or_the_new_state(tmp_path):
    stated = built("src/stated/stated")
    initrd = str(tmp_path / "initrd.cpio")
    initramfs(initrd, stated, built("tests/tools/lockrun"))
    seed = int(os.environ.get("BASALT_POWERCUT_SEED", time.time()))
    print(f"seed {seed} (BASALT_POWERCUT_SEED to repeat)")
    machines = [Machine(tmp_path / f"m{i}", initrd) for i in range(2)]
    results = []
    threads = [threading.Thread(target=run_machine,
                                args=(m, TRIALS, seed + i, results))
               for i, m in enumerate(machines)]
    start = time.time()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in results:
        if e is not None:
            raise e
    saves = sum(entry[5] for m in machines for entry in m.log)
    print(f"{2 * TRIALS} power cuts in {time.time() - start:.0f} s, "
          f"{saves} saves said durable before them")
    for m in machines:
        assert len(m.log) == TRIALS
        # The loop ran: versions were saved across the trials.
        assert m.log[-1][2] > 0, m.log
