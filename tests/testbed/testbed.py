"""The nested test bed: a Linux "L1" machine under QEMU's emulation (TCG,
-cpu max, which offers AMD-V), with KVM loaded, in which Basalt's binaries
run real guests ("L2"). See docs/testing.md and ../shared/docs/testbed.md.

    tb = Testbed(workdir)
    tb.add_file("build/release/src/vmx/vmx", "/bin/vmx")
    tb.add_program("/usr/bin/qemu-system-x86_64")   # with its libraries
    port = tb.forward_port(443)                      # host 127.0.0.1:port
    tb.boot()
    r = tb.run("vmx --kernel /guest.elf")            # r.status, r.output
    tb.close()

Everything comes from Debian packages (linux-image-cloud-amd64,
busybox-static, qemu-system-x86). The base initramfs is cached under
build/testbed/ keyed by its inputs, so a second run starts at once.
"""
import base64
import glob
import hashlib
import lzma
import os
import re
import shutil
import socket
import subprocess
import time

import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(ROOT, "image"))
import cpio  # noqa: E402  (image/cpio.py, shared with the image builder)

CACHE = os.path.join(ROOT, "build", "testbed")

# Modules loaded in L1, dependencies first (resolved from modules.dep).
L1_MODULES = ["kvm-amd", "kvm-intel", "virtio_pci", "virtio_net",
              "virtio_blk", "tun", "bridge"]
BOOT_TIMEOUT_S = 120
# What QEMU in L1 loads for -M microvm (qboot, the option ROMs) and -M pc
# (SeaBIOS, its VGA BIOS); NICs are given romfile= (no PXE ROM).
QEMU_FIRMWARE = ["bios-microvm.bin", "qboot.rom", "linuxboot_dma.bin",
                 "pvh.bin", "kvmvapic.bin", "bios-256k.bin",
                 "vgabios-stdvga.bin", "linuxboot.bin"]
# The first KVM VM in a fresh L1 now and then locks up a CPU of the
# emulated L1 (docs/testing.md); tests/tools/kvmwarm takes that first
# creation under this kill timeout, and a bed that fails it boots again.
KVM_WARMUP_TIMEOUT_S = 30
BUILD = os.environ.get("BASALT_BUILD_DIR",
                       os.environ.get("BASALT_RELEASE_DIR",
                                      os.path.join(ROOT, "build", "release")))


class TestbedError(Exception):
    pass


class L1Lost(TestbedError):
    """L1 stopped answering or QEMU died under a command: the emulated
    bed's own failure (docs/testing.md, "Open"), not the command's. The
    bed is closed; its next run() boots it afresh with the same files.
    The e2e conftest runs a test that hits this once more."""


class Result:
    def __init__(self, status, output):
        self.status, self.output = status, output

    def __repr__(self):
        return f"Result(status={self.status}, output={self.output!r})"


def find_kernel():
    """Newest Debian cloud kernel: (version, vmlinuz path)."""
    found = sorted(glob.glob("/boot/vmlinuz-*-cloud-amd64"))
    if not found:
        raise TestbedError("no /boot/vmlinuz-*-cloud-amd64: install "
                           "linux-image-cloud-amd64 (make deps-test)")
    path = found[-1]
    return os.path.basename(path)[len("vmlinuz-"):], path


def _module_paths(version, names, root="/"):
    """Module files for names and their dependencies, dependencies first;
    root is where the kernel's /lib/modules is (generic_kernel())."""
    moddir = os.path.join(root, f"lib/modules/{version}")
    deps = {}
    with open(os.path.join(moddir, "modules.dep")) as f:
        for line in f:
            mod, _, rest = line.partition(":")
            deps[mod] = rest.split()
    by_name = {}
    for mod in deps:
        base = os.path.basename(mod).split(".ko")[0].replace("-", "_")
        by_name[base] = mod
    order = []

    def visit(mod):
        if mod in order:
            return
        # modules.dep lists all (transitive) deps, deepest last.
        for d in reversed(deps.get(mod, [])):
            visit(d)
        order.append(mod)

    for n in names:
        mod = by_name.get(n.replace("-", "_"))
        if mod is None:
            raise TestbedError(f"module {n} not in {moddir}/modules.dep")
        visit(mod)
    return moddir, order


# What the nested tests load from Debian's generic kernel, which has
# virtio, ext4 and the rest as modules (the cloud kernel builds some in).
GENERIC_MODULE_FILES = [
    "drivers/virtio/*", "drivers/block/virtio_blk.ko",
    "drivers/net/virtio_net.ko", "drivers/net/net_failover.ko",
    "net/core/failover.ko", "drivers/char/hw_random/virtio-rng.ko",
    "drivers/acpi/button.ko", "drivers/input/evdev.ko", "fs/ext4/*",
    "fs/jbd2/*", "fs/mbcache.ko", "lib/crc16.ko",
    "crypto/crc32c_generic.ko"]


def generic_kernel():
    """Debian's generic kernel of the cloud kernel's version
    (linux-image-<version>-amd64): (version, vmlinuz, root of its
    /lib/modules). Its package is downloaded once and only the kernel and
    GENERIC_MODULE_FILES are unpacked into build/testbed/ (installing it
    would pull in 400 MB of modules); depmod indexes them there."""
    cloud, _ = find_kernel()
    version = cloud.replace("-cloud-amd64", "-amd64")
    root = os.path.join(CACHE, f"linux-{version}")
    vmlinuz = os.path.join(root, "boot", f"vmlinuz-{version}")
    if os.path.exists(os.path.join(root, "lib/modules", version,
                                   "modules.dep")):
        return version, vmlinuz, root
    tmp = root + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    pkg = f"linux-image-{version}"
    r = subprocess.run(["apt-get", "-o", "APT::Sandbox::User=root",
                        "download", pkg], cwd=tmp, capture_output=True,
                       text=True)
    debs = glob.glob(os.path.join(tmp, "*.deb"))
    if r.returncode != 0 or len(debs) != 1:
        raise TestbedError(f"cannot download {pkg} (Debian's generic "
                           f"kernel, for the nested tests): "
                           f"{r.stderr.strip()[-500:]}")
    wanted = [f"./boot/vmlinuz-{version}",
              f"./lib/modules/{version}/modules.*"] + \
        [f"./lib/modules/{version}/kernel/{f}" for f in GENERIC_MODULE_FILES]
    dpkg = subprocess.Popen(["dpkg-deb", "--fsys-tarfile", debs[0]],
                            stdout=subprocess.PIPE)
    tar = subprocess.run(["tar", "-x", "-C", tmp, "--wildcards"] + wanted,
                         stdin=dpkg.stdout, capture_output=True, text=True)
    dpkg.stdout.close()
    if dpkg.wait() != 0 or tar.returncode != 0:
        raise TestbedError(f"cannot unpack {debs[0]}: {tar.stderr[-500:]}")
    os.unlink(debs[0])
    subprocess.run(["/sbin/depmod", "-b", tmp, version], check=True)
    os.replace(tmp, root)
    return version, vmlinuz, root


def _read_module(path):
    with open(path, "rb") as f:
        data = f.read()
    return lzma.decompress(data) if path.endswith(".xz") else data


def _libraries(binary):
    """Absolute paths of the shared libraries ldd lists for binary."""
    out = subprocess.run(["ldd", binary], capture_output=True, text=True)
    libs = []
    for line in out.stdout.splitlines():
        m = re.search(r"(/\S+) \(0x", line)
        if m:
            libs.append(m.group(1))
    return libs


class Testbed:
    def __init__(self, workdir, memory_mb=2048, cpus=2):
        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        self.memory_mb, self.cpus = memory_mb, cpus
        self.version, self.kernel = find_kernel()
        self.files = {}      # L1 path -> (bytes, mode)
        self.forwards = {}   # guest port -> (host address, port)
        self.proc = None
        self.sock = None
        self.buf = b""
        self.seq = 0
        self.console_path = os.path.join(self.workdir, "l1-console.log")
        self.boot_seconds = None
        self.lost = 0        # L1s lost under a command so far
        self.lost_pending = False
        warm = os.path.join(BUILD, "tests", "tools", "kvmwarm")
        if not os.path.exists(warm):
            raise TestbedError(f"{warm} is missing: run `make build` first")
        self.add_file(warm, "/bin/kvmwarm", 0o755)

    # -- what goes into L1 ---------------------------------------------
    def add_bytes(self, data, dst, mode=0o644):
        if isinstance(data, str):
            data = data.encode()
        self.files[dst] = (data, mode)

    def add_file(self, src, dst, mode=None):
        """Copy host file src to L1 path dst (mode defaults to src's)."""
        src = os.path.realpath(src)
        with open(src, "rb") as f:
            data = f.read()
        self.add_bytes(data, dst, mode if mode is not None
                       else os.stat(src).st_mode & 0o777)

    def add_program(self, path, dst=None):
        """A dynamically linked program and the libraries ldd lists."""
        self.add_file(path, dst or path)
        for lib in _libraries(path):
            if lib not in self.files:
                self.add_file(lib, lib)

    def add_qemu(self):
        """QEMU itself (with its libraries) and the firmware its microvm
        and pc machines load, for QEMU as the reference L2 monitor."""
        self.add_program("/usr/bin/qemu-system-x86_64")
        for name in QEMU_FIRMWARE:
            # Debian keeps SeaBIOS in a package of its own.
            for d in ("/usr/share/qemu/", "/usr/share/seabios/"):
                if os.path.exists(d + name):
                    self.add_file(d + name, "/usr/share/qemu/" + name)
                    break
            else:
                raise TestbedError(f"QEMU firmware {name} is missing: "
                                   "install qemu-system-data (make "
                                   "deps-test)")

    def forward_port(self, guest_port, addr="127.0.0.1"):
        """Forward addr:<free port> to L1's guest_port; returns the port.
        addr is a loopback address (pyVmomi will not speak plain HTTP to
        127.0.0.1, so API tests forward from 127.0.0.2)."""
        if self.proc is not None:
            raise TestbedError("forward_port must be called before boot()")
        s = socket.socket()
        s.bind((addr, 0))
        port = s.getsockname()[1]
        s.close()
        self.forwards[guest_port] = (addr, port)
        return port

    # -- building ------------------------------------------------------
    def _base_key(self):
        h = hashlib.sha256()
        st = os.stat(self.kernel)
        h.update(f"{self.kernel}:{st.st_size}:{st.st_mtime_ns}".encode())
        st = os.stat("/bin/busybox")
        h.update(f"busybox:{st.st_size}:{st.st_mtime_ns}".encode())
        for path in (cpio.__file__, __file__,
                     os.path.join(HERE, "l1_init.sh"),
                     os.path.join(HERE, "l1_agent.sh")):
            with open(path, "rb") as f:
                h.update(f.read())
        h.update(",".join(L1_MODULES).encode())
        return h.hexdigest()[:16]

    def _base_initramfs(self):
        """busybox, init, agent and modules; cached by its inputs."""
        os.makedirs(CACHE, exist_ok=True)
        path = os.path.join(CACHE, f"l1-base-{self._base_key()}.cpio")
        if os.path.exists(path):
            return path
        moddir, mods = _module_paths(self.version, L1_MODULES)
        tmp = path + ".tmp"
        with open(tmp, "wb") as f:
            w = cpio.CpioWriter(f)
            for d in ("bin", "sbin", "usr/bin", "usr/sbin", "etc/testbed",
                      "proc", "sys", "dev", "tmp", "run", "root"):
                w.mkdir(d)
            with open("/bin/busybox", "rb") as b:
                w.file("bin/busybox", b.read(), 0o755)
            w.symlink("bin/sh", "busybox")
            for name, dst in (("l1_init.sh", "init"),
                              ("l1_agent.sh", "etc/testbed/agent.sh")):
                with open(os.path.join(HERE, name), "rb") as s:
                    w.file(dst, s.read(), 0o755)
            names = []
            for mod in mods:
                base = os.path.basename(mod).replace(".xz", "")
                w.file("lib/modules/testbed/" + base,
                       _read_module(os.path.join(moddir, mod)))
                names.append(base)
            w.file("etc/testbed/modules", ("\n".join(names) + "\n").encode())
            w.close()
        os.replace(tmp, path)
        return path

    def _initramfs(self):
        """The cached base plus an archive of the files this test added."""
        path = os.path.join(self.workdir, "l1-initramfs.cpio")
        with open(path, "wb") as out:
            with open(self._base_initramfs(), "rb") as base:
                shutil.copyfileobj(base, out)
            w = cpio.CpioWriter(out)
            for dst in sorted(self.files):
                data, mode = self.files[dst]
                w.file(dst, data, mode)
            w.close()
        return path

    # -- running -------------------------------------------------------
    def boot(self, timeout=BOOT_TIMEOUT_S, attempts=3):
        """Boot L1 until its agent answers and a first KVM VM was made.
        An L1 that goes silent while booting or locks up on that first VM
        (the emulation flakes in docs/testing.md) is booted again, up to
        attempts times; each failed attempt's console is kept beside the
        log (l1-console.log.attempt-N)."""
        for attempt in range(1, attempts + 1):
            try:
                return self._boot_once(timeout)
            except TestbedError as e:
                if attempt == attempts:
                    raise
                print(f"testbed: L1 boot attempt {attempt} failed, "
                      f"booting again:\n{e}")
                self.close()
                if os.path.exists(self.console_path):
                    os.replace(self.console_path,
                               f"{self.console_path}.attempt-{attempt}")

    def _boot_once(self, timeout):
        if shutil.which("qemu-system-x86_64") is None:
            raise TestbedError("qemu-system-x86_64 missing: install "
                               "qemu-system-x86 (make deps-test)")
        self.lost_pending = False
        initrd = self._initramfs()
        agent = os.path.join(self.workdir, "agent.sock")
        for stale in (agent, self.console_path):
            if os.path.exists(stale):
                os.unlink(stale)
        netdev = "user,id=n0"
        for gport, (haddr, hport) in sorted(self.forwards.items()):
            netdev += f",hostfwd=tcp:{haddr}:{hport}-:{gport}"
        cmd = ["qemu-system-x86_64", "-accel", os.environ.get("BASALT_TESTBED_ACCEL", "tcg,thread=multi"),
               "-cpu", "max", "-smp", str(self.cpus),
               "-m", str(self.memory_mb), "-nodefaults", "-no-user-config",
               "-display", "none", "-no-reboot",
               "-kernel", self.kernel, "-initrd", initrd,
               "-append", "console=ttyS0 panic=-1 mitigations=off loglevel="
               + os.environ.get("BASALT_TESTBED_LOGLEVEL", "4"),
               "-chardev", f"file,id=con,path={self.console_path}",
               "-serial", "chardev:con",
               "-chardev", f"socket,id=agent,path={agent},server=on,wait=off",
               "-serial", "chardev:agent",
               "-netdev", netdev, "-device", "virtio-net-pci,netdev=n0"]
        self.qemu_log = open(os.path.join(self.workdir, "qemu.log"), "wb")
        start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)
        deadline = start + timeout
        while not os.path.exists(agent):
            self._check_alive()
            if time.monotonic() > deadline:
                raise self._error("QEMU did not create its agent socket")
            time.sleep(0.05)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(agent)
        self.wait_console("TESTBED-READY", deadline - time.monotonic())
        # The agent may have printed its banner before we connected; a
        # no-op command proves it is listening.
        self.run("true", timeout=max(5, deadline - time.monotonic()))
        r = self.run("[ -c /dev/kvm ] || exit 0; kvmwarm",
                     timeout=KVM_WARMUP_TIMEOUT_S)
        if r.status != 0:
            raise self._error(f"the first KVM VM in L1 failed (status "
                              f"{r.status}): {r.output.strip()}")
        self.boot_seconds = time.monotonic() - start
        return self

    def _check_alive(self, kind=TestbedError):
        if self.proc is not None and self.proc.poll() is not None:
            raise self._error(f"QEMU exited with status "
                              f"{self.proc.returncode}", kind)

    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def console_tail(self, lines=30):
        return "\n".join(self.console().splitlines()[-lines:])

    def _error(self, what, kind=TestbedError):
        log = ""
        try:
            with open(os.path.join(self.workdir, "qemu.log"), "rb") as f:
                log = f.read().decode(errors="replace")[-2000:]
        except FileNotFoundError:
            pass
        return kind(f"{what}\n--- last L1 console lines ---\n"
                            f"{self.console_tail()}\n--- qemu ---\n{log}")

    def wait_console(self, pattern, timeout=60):
        """Wait until the L1 console matches regex pattern; return match."""
        deadline = time.monotonic() + timeout
        rx = re.compile(pattern)
        while True:
            m = rx.search(self.console())
            if m:
                return m
            self._check_alive()
            if time.monotonic() > deadline:
                raise self._error(f"timed out after {timeout:.0f}s waiting "
                                  f"for {pattern!r} on the L1 console")
            time.sleep(0.1)

    def run(self, script, timeout=60, check=False):
        """Run a shell script in L1; returns Result(status, output).

        The script is killed inside L1 after timeout seconds (status 137).
        check=True raises TestbedError on a non-zero status."""
        if self.lost_pending:
            self._reboot_after_loss()
        if self.sock is None:
            raise TestbedError("boot() first")
        try:
            return self._run(script, timeout, check)
        except L1Lost:
            self.lost += 1
            self.lost_pending = True
            self.close()
            dead = f"{self.console_path}.lost-{self.lost}"
            if os.path.exists(self.console_path):
                os.replace(self.console_path, dead)
            raise

    def _reboot_after_loss(self):
        print(f"testbed: booting L1 again after losing it (its console: "
              f"{self.console_path}.lost-{self.lost})")
        self.lost_pending = False
        self.boot()

    def _run(self, script, timeout, check):
        self.seq += 1
        rid = f"r{self.seq}"
        b64 = base64.b64encode(script.encode()).decode()
        secs = max(1, int(timeout))
        self.sock.sendall(f"{rid} {b64} {secs}\n".encode())
        deadline = time.monotonic() + timeout + 15
        end = re.compile(rb"END " + rid.encode() + rb" (\d+)\r?\n")
        while True:
            m = end.search(self.buf)
            if m:
                break
            self._check_alive(L1Lost)
            left = deadline - time.monotonic()
            if left <= 0:
                raise self._error(f"no answer from L1 within {timeout}s "
                                  f"to: {script}", L1Lost)
            self.sock.settimeout(min(left, 1.0))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise self._error("L1 agent connection closed", L1Lost)
            self.buf += chunk
        begin = self.buf.rfind(b"BEGIN " + rid.encode(), 0, m.start())
        if begin < 0:
            raise self._error(f"garbled agent answer for {rid}")
        body = self.buf[self.buf.index(b"\n", begin) + 1:m.start()]
        self.buf = self.buf[m.end():]
        output = base64.b64decode(b"".join(body.split())).decode(
            errors="replace")
        res = Result(int(m.group(1)), output)
        if check and res.status != 0:
            raise self._error(f"command failed with status {res.status}: "
                              f"{script}\n{output}")
        return res

    def close(self):
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            self.proc.wait()
            self.proc = None
        if getattr(self, "qemu_log", None):
            self.qemu_log.close()
            self.qemu_log = None
