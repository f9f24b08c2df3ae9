"""The appliance under test: build/basalt.img booted in QEMU as a server
would boot it (BIOS, GRUB, a boot bank), with an empty second disk for
the datastore, user networking with 443 and 80 forwarded to loopback,
the console (ttyS0) in a file and the support shell on ttyS1.

    app = Appliance(workdir, image)
    app.boot()                       # until init says "basalt: ready"
    app.https_port                   # 127.0.0.1:<port> -> 443
    app.shell("busybox pidof hostd") # output of a command, as root
    app.wait_exit(120)               # QEMU's exit status
    app.close()

The image is copied (sparse) so the build's stays pristine; into the
copy go an answer file (root's password, as an installer would write it)
and the boot option basalt.shell=ttyS1, both through mtools, without
root.
"""
import os
import re
import socket
import subprocess
import time

BOOT_PART_OFFSET = 2 * 1024 * 1024  # image/build.py: after bios-boot
PASSWORD = "Appliance-pw-1"
READY = "basalt: ready"
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")


class ApplianceError(Exception):
    pass


def free_port(addr="127.0.0.1"):
    s = socket.socket()
    s.bind((addr, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Appliance:
    def __init__(self, workdir, image, datastore_gb=4, memory_mb=2048,
                 cpus=2, netdevs=()):
        """netdevs: QEMU -netdev values (without id) for NICs after the
        first, e.g. a tagged_lan.TaggedLan's."""
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        if not os.path.exists(image):
            raise ApplianceError(f"{image} is missing: run `make image`")
        self.image = os.path.join(self.dir, "basalt.img")
        subprocess.run(["cp", "--sparse=always", image, self.image],
                       check=True)
        self.datastore = os.path.join(self.dir, "disk2.img")
        with open(self.datastore, "wb") as f:
            f.truncate(datastore_gb << 30)
        self.memory_mb, self.cpus = memory_mb, cpus
        self.netdevs = list(netdevs)
        self.console_path = os.path.join(self.dir, "console.log")
        self.shell_sock = os.path.join(self.dir, "ttyS1.sock")
        self.console_sock = os.path.join(self.dir, "ttyS0.sock")
        self.monitor_sock = os.path.join(self.dir, "monitor.sock")
        self.https_port = free_port()
        self.http_port = free_port()
        self.proc = None
        self.sock = None
        self.buf = b""
        self.ready_seconds = None
        self._prepare()

    def _mtools(self, *args, data=None):
        r = subprocess.run(list(args), input=data, capture_output=True)
        if r.returncode != 0:
            raise ApplianceError(f"{args[0]}: {r.stderr.decode()}")
        return r.stdout

    def _prepare(self):
        part = f"{self.image}@@{BOOT_PART_OFFSET}"
        answers = os.path.join(self.dir, "basalt.cfg")
        with open(answers, "w") as f:
            f.write(f"# first boot answers\nrootpw={PASSWORD}\n")
        self._mtools("mcopy", "-o", "-i", part, answers, "::/basalt.cfg")
        cfg = self._mtools("mtype", "-i", part, "::/grub/grub.cfg").decode()
        cfg = cfg.replace("loglevel=3", "loglevel=3 basalt.shell=ttyS1")
        path = os.path.join(self.dir, "grub.cfg")
        with open(path, "w") as f:
            f.write(cfg)
        self._mtools("mcopy", "-o", "-i", part, path, "::/grub/grub.cfg")

    def boot(self, timeout=300, ready=True, reboot_exits=True):
        """Start QEMU; with ready, wait for init's "basalt: ready". A
        reboot ends QEMU unless reboot_exits is False (then the machine
        resets and keeps its memory, as a warm reboot does)."""
        accel = os.environ.get("BASALT_APPLIANCE_ACCEL", "tcg,thread=multi")
        fwd = (f"hostfwd=tcp:127.0.0.1:{self.https_port}-:443,"
               f"hostfwd=tcp:127.0.0.1:{self.http_port}-:80")
        cmd = ["qemu-system-x86_64", "-accel", accel, "-cpu", "max",
               "-smp", str(self.cpus), "-m", str(self.memory_mb),
               "-nodefaults", "-no-user-config", "-display", "none",
               "-drive", f"file={self.image},format=raw,if=virtio",
               "-drive", f"file={self.datastore},format=raw,if=virtio",
               "-netdev", f"user,id=n0,{fwd}",
               "-device", "virtio-net-pci,netdev=n0,romfile=",
               # The console: a socket a test may join (the DCUI's
               # keys), everything it shows also kept in console.log.
               "-chardev", f"socket,id=con,path={self.console_sock},"
                           f"server=on,wait=off,logfile={self.console_path}",
               "-serial", "chardev:con",
               "-chardev", f"socket,id=sh,path={self.shell_sock},"
                           "server=on,wait=off",
               "-serial", "chardev:sh",
               # QEMU's monitor: keys typed on the emulated keyboard.
               "-monitor", f"unix:{self.monitor_sock},server=on,wait=off"]
        for i, nd in enumerate(self.netdevs, 1):
            cmd += ["-netdev", f"{nd},id=n{i}",
                    "-device", f"virtio-net-pci,netdev=n{i},romfile="]
        if reboot_exits:
            cmd.append("-no-reboot")
        if os.path.exists(self.console_path):  # an earlier boot's
            os.unlink(self.console_path)
        self.qemu_log = open(os.path.join(self.dir, "qemu.log"), "wb")
        start = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL,
                                     stdout=self.qemu_log,
                                     stderr=subprocess.STDOUT)
        if ready:
            self.wait_console(READY, timeout)
            self.ready_seconds = time.monotonic() - start
        return self

    def console(self):
        try:
            with open(self.console_path, "rb") as f:
                return f.read().decode(errors="replace")
        except FileNotFoundError:
            return ""

    def wait_console(self, pattern, timeout=60, after=0):
        """Wait until the console (from offset after) matches pattern."""
        rx = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            m = rx.search(self.console()[after:])
            if m:
                return m
            if self.proc.poll() is not None:
                raise ApplianceError(
                    f"QEMU exited ({self.proc.returncode}) before "
                    f"{pattern!r}:\n{self.console()[-3000:]}")
            if time.monotonic() > deadline:
                raise ApplianceError(
                    f"no {pattern!r} on the console in {timeout} s:\n"
                    f"{self.console()[-3000:]}")
            time.sleep(0.2)

    # -- the support shell on ttyS1 ------------------------------------
    def _recv(self):
        try:
            d = self.sock.recv(65536)
            if d:
                self.buf += d
        except socket.timeout:
            pass

    def _login(self, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(self.shell_sock)
        self.sock.settimeout(0.3)
        self.buf = b""
        deadline = time.monotonic() + timeout
        poked = False
        while time.monotonic() < deadline:
            self._recv()
            # ash's line editing asks the terminal where its cursor is
            # (ESC [ 6 n): escape sequences are no part of a prompt.
            seen = ANSI.sub(b"", self.buf)
            if seen.endswith(b"login: "):
                self.buf = b""
                self.sock.sendall(b"root\n")
            elif seen.endswith(b"Password: "):
                self.buf = b""
                self.sock.sendall(PASSWORD.encode() + b"\n")
            elif seen.rstrip().endswith(b"#"):
                self.buf = b""
                return
            elif not poked and time.monotonic() > deadline - timeout + 2:
                self.sock.sendall(b"\n")  # a prompt printed before we came
                poked = True
        raise ApplianceError(f"no shell on ttyS1: {self.buf[-500:]!r}")

    def shell(self, command, timeout=60):
        """Run command in the support shell; its output (stdout and
        stderr) and exit status."""
        if self.sock is None:
            self._login()
        self.buf = b""
        # The end marker is split in the command so its echo never
        # matches.
        self.sock.sendall(command.encode() +
                          b' 2>&1; echo "__E""ND__ $?"\n')
        end = re.compile(rb"__END__ (\d+)\r?\n")
        deadline = time.monotonic() + timeout
        while not end.search(self.buf):
            if time.monotonic() > deadline:
                raise ApplianceError(f"{command!r}: no end in {timeout} s:"
                                     f" {self.buf[-500:]!r}")
            self._recv()
        m = end.search(self.buf)
        out = self.buf[:m.start()]
        self.buf = self.buf[m.end():]
        # The output starts after the terminal's echo of the command.
        echo = out.rfind(b'"__E""ND__ $?"')
        if echo >= 0:
            nl = out.find(b"\n", echo)
            out = out[nl + 1:] if nl >= 0 else b""
        return ANSI.sub(b"", out).decode(errors="replace").replace(
            "\r", ""), int(m.group(1))

    def sendkeys(self, *keys):
        """Keys on the machine's keyboard (tty1), in QEMU's names
        ("f2", "ret", "shift-a"), through its monitor."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as m:
            m.connect(self.monitor_sock)
            m.settimeout(5)
            for k in keys:
                m.sendall(f"sendkey {k}\n".encode())
                time.sleep(0.15)
            m.sendall(b"info name\n")  # answered once the keys are in
            got = b""
            while b"(qemu)" not in got.split(b"info name", 1)[-1]:
                got += m.recv(4096)

    def tty1(self):
        """What tty1's screen shows (/dev/vcs1), as lines."""
        size, _ = self.shell("busybox stty -F /dev/tty1 size")
        cols = int(size.split()[1])
        out, status = self.shell("cat /dev/vcs1; echo")
        if status != 0:
            raise ApplianceError(f"/dev/vcs1: {out}")
        text = out.rstrip("\n")
        return [text[i:i + cols] for i in range(0, len(text), cols)]

    def dcui(self, tmp):
        """The console on the serial line, in a tmux pane of 80x25 (a
        dcui.Console), its screen drawn afresh (Ctrl-L)."""
        from dcui import Console
        bridge = os.path.join(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__))), "tools", "serial_bridge.py")
        c = Console(tmp, ["/usr/bin/python3", bridge, self.console_sock])
        time.sleep(1)
        c.keys("C-l")
        return c

    def wait_exit(self, timeout):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise ApplianceError(f"QEMU still runs after {timeout} s:\n"
                                 f"{self.console()[-2000:]}")

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
        for f in (self.image, self.datastore):
            if os.path.exists(f):
                os.unlink(f)
