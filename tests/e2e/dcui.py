"""The console (src/dcui) under test: a hosted host run the way `make
hosted` runs it (scripts/hosted.sh: hostd --supervised and rhttpproxy,
restarted together on request), and the DCUI in a tmux pane of 80x25
driven with send-keys and read with capture-pane, as a person at the
console would."""
import os
import signal
import subprocess
import time

from conftest import ASAN_BUILD, BUILD, ROOT
from hostd import free_port

HOSTED_SH = os.path.join(ROOT, "scripts", "hosted.sh")


def build_dir():
    """The sanitizer build when there is one (as hostd_bin)."""
    return ASAN_BUILD if os.path.exists(
        os.path.join(ASAN_BUILD, "src/hostd/hostd")) else BUILD


class Hosted:
    """scripts/hosted.sh on a root of its own."""

    def __init__(self, tmp, password=None, addr="127.0.0.6", netns=None):
        """netns: shell commands that set up a network namespace of the
        host's own (hostd manages its interface mgmt0 there), reached
        then through hostd's Unix socket only."""
        self.root = str(tmp / "root")
        self.addr = addr
        self.hostd_port = free_port(addr)
        self.http_port = free_port(addr)
        self.https_port = free_port(addr)
        self.out_path = str(tmp / "hosted.out")
        env = dict(os.environ)
        env.pop("BASALT_ROOT_PASSWORD", None)
        if password is not None:
            env["BASALT_ROOT_PASSWORD"] = password
        self.password = password
        self.netns = netns
        self.out = open(self.out_path, "ab")
        argv = [HOSTED_SH, build_dir(), self.root, addr,
                str(self.hostd_port), str(self.http_port),
                str(self.https_port)]
        if netns is not None:
            env["BASALT_MANAGE_NETWORK"] = "mgmt0"
            argv = ["unshare", "--net", "sh", "-ec",
                    netns + '\nexec "$@"', "netns"] + argv
        self.proc = subprocess.Popen(
            argv, stdout=self.out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True)
        self.wait_ready()

    def in_netns(self, *argv):
        """argv run in the host's network namespace: its output."""
        r = subprocess.run(["nsenter", "-t", str(self.hostd_pid()), "-n",
                            *argv], capture_output=True, text=True,
                           timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def connect_unix(self, user="root", password=None):
        """pyVmomi over hostd's Unix socket (any network namespace)."""
        from pyVmomi import SoapStubAdapter, VmomiSupport, vim
        stub = SoapStubAdapter(
            sock=os.path.join(self.root, "var/run/basalt/hostd.sock"),
            version=VmomiSupport.newestVersions.Get("vim"))
        si = vim.ServiceInstance("ServiceInstance", stub)
        si.RetrieveContent().sessionManager.Login(
            user, self.password if password is None else password)
        return si

    def log(self):
        with open(self.out_path, "rb") as f:
            return f.read().decode(errors="replace")

    def wait_ready(self, timeout=60, after_pid=None):
        """Until hostd answers on the proxy's port (a new hostd when
        after_pid is the old one's)."""
        import socket
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, self.log()
            pid = self.hostd_pid()
            sock = os.path.join(self.root, "var/run/basalt/hostd.sock")
            if pid and pid != after_pid and self.netns is not None:
                if os.path.exists(sock):
                    return pid
            elif pid and pid != after_pid:
                try:
                    with socket.create_connection(
                            (self.addr, self.https_port), timeout=2):
                        return pid
                except OSError:
                    pass
            assert time.monotonic() < deadline, self.log()
            time.sleep(0.2)

    def hostd_pid(self):
        r = subprocess.run(["pgrep", "-f", f"hostd --root {self.root} "],
                           capture_output=True, text=True)
        pids = r.stdout.split()
        return int(pids[0]) if len(pids) == 1 else None

    def connect(self, user="root", password=None):
        import ssl
        from pyVim.connect import SmartConnect
        return SmartConnect(host=self.addr, port=self.https_port, user=user,
                            pwd=self.password if password is None
                            else password,
                            sslContext=ssl._create_unverified_context())

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.out.close()


class Console:
    """The DCUI in a tmux pane (a tmux server of its own)."""

    def __init__(self, tmp, argv, cols=80, lines=25):
        self.sock = str(tmp / "tmux.sock")
        self.tmux("new-session", "-d", "-x", str(cols), "-y", str(lines),
                  " ".join(argv))
        # tmux >= 3.3 sizes windows by its clients: none here, so fix it.
        self.tmux("set-option", "-g", "window-size", "manual")
        self.resize(cols, lines)

    def tmux(self, *args):
        r = subprocess.run(["tmux", "-S", self.sock, *args],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout

    def resize(self, cols, lines):
        self.tmux("resize-window", "-x", str(cols), "-y", str(lines))

    def screen(self):
        return self.tmux("capture-pane", "-p")

    def keys(self, *keys):
        for k in keys:
            self.tmux("send-keys", k)
            time.sleep(0.15)

    def type(self, text):
        self.tmux("send-keys", "-l", text)
        time.sleep(0.15)

    def wait(self, text, timeout=30):
        """Until the screen shows text; the screen."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if text in s:
                return s
            assert time.monotonic() < deadline, \
                f"{text!r} never showed; the screen:\n{s}"
            time.sleep(0.2)

    def to_idle(self, timeout=60):
        """Back to the idle screen from wherever the console was left:
        Enter on a message, Esc out of forms and menus (a logout)."""
        deadline = time.monotonic() + timeout
        while True:
            s = self.screen()
            if "To manage this host" in s:
                return s
            assert time.monotonic() < deadline, s
            if "<Enter> OK" in s and "<Esc>" not in s:
                self.keys("Enter")
            else:
                self.keys("Escape")
            time.sleep(1.5)     # Esc waits 1 s for a sequence's rest

    def login(self, password, user=None):
        """F2 and the login dialog; the screen after it."""
        self.keys("F2")
        self.wait("Authentication Required")
        # The form starts at the password (the name says root).
        if user is not None:
            self.keys("Up", "C-u")
            self.type(user)
            self.keys("Down")
        self.keys("C-u")
        self.type(password)
        self.keys("Enter")

    def open_item(self, name):
        """In the System Customization menu: select name, Enter."""
        deadline = time.monotonic() + 30
        while True:     # the menu itself, no dialog over it
            s = self.screen()
            lines = [ln for ln in s.splitlines()[2:] if ln[:38].strip()]
            names = [ln[:38].strip(" x") for ln in lines]
            found = [i for i, n in enumerate(names) if n.startswith(name)]
            if "System Customization" in s and found:
                index = found[0]
                break
            assert time.monotonic() < deadline, s
            time.sleep(0.2)
        self.keys("Home")
        for _ in range(index):
            self.keys("Down")
        self.keys("Enter")

    def troubleshooting(self, choice, timeout=30):
        """Troubleshooting Options, then its line choice (0: the support
        shell, 1: its timeout, 2: restart management agents)."""
        self.open_item("Troubleshooting Options")
        self.wait("Support shell:", timeout)
        for _ in range(choice):
            self.keys("Down")
        self.keys("Enter")

    def close(self):
        subprocess.run(["tmux", "-S", self.sock, "kill-server"],
                       capture_output=True)
