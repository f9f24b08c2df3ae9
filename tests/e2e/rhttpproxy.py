"""Run rhttpproxy for a test, in front of a hosted hostd (tests/e2e/
hostd.py) of the same root, on free ports of the same loopback address."""
import os
import socket
import ssl
import subprocess
import time

from hostd import free_port, stop_cleanly


class Proxy:
    def __init__(self, binary, hostd, args=()):
        self.binary, self.hostd = binary, hostd
        self.addr = hostd.addr
        self.http_port = free_port(self.addr)
        self.https_port = free_port(self.addr)
        self.args = list(args)
        self.proc = None
        self.start()

    def start(self):
        self.log_path = os.path.join(os.path.dirname(self.hostd.root),
                                     "rhttpproxy.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "--root", self.hostd.root, "--address",
             self.addr, "--http-port", str(self.http_port),
             "--https-port", str(self.https_port), "-v"] + self.args,
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("rhttpproxy ended: "
                                     + open(self.log_path).read())
            if line.strip() == "rhttpproxy: ready":
                return
        raise AssertionError("rhttpproxy never said it was ready")

    def stop(self):
        """SIGTERM; it must end cleanly (status 0: under the sanitizers
        also no leak or error report). Returns its log."""
        if self.proc is None:
            return ""
        proc, self.proc = self.proc, None
        return stop_cleanly(proc, self.log, self.log_path, "rhttpproxy")

    def tls(self, **kw):
        """A TLS socket to the proxy (certificate not checked)."""
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        for k, v in kw.items():
            setattr(ctx, k, v)
        raw = socket.create_connection((self.addr, self.https_port),
                                       timeout=30)
        return ctx.wrap_socket(raw)

    def raw(self, data, tls=True, timeout=30):
        """Send data, read until the proxy closes: (status line, all)."""
        s = self.tls() if tls else socket.create_connection(
            (self.addr, self.http_port), timeout=timeout)
        s.settimeout(timeout)
        with s:
            s.sendall(data)
            out = b""
            try:
                while chunk := s.recv(65536):
                    out += chunk
            except (ConnectionResetError, ssl.SSLError):
                pass
        return out.split(b"\r\n", 1)[0].decode("latin-1"), out

    def connect(self, user="root", password=None):
        """pyVmomi through the proxy's HTTPS port."""
        from pyVim.connect import SmartConnect
        return SmartConnect(host=self.addr, port=self.https_port, user=user,
                            pwd=password or self.hostd.password,
                            sslContext=ssl._create_unverified_context())
