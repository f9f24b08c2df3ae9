"""Run a hosted hostd for a test and talk to it with pyVmomi (Debian's,
which only /usr/bin/python3 sees: the e2e tier runs under it)."""
import http.client
import os
import socket
import subprocess
import time


def free_port(addr):
    with socket.socket() as s:
        s.bind((addr, 0))
        return s.getsockname()[1]


def stop_cleanly(proc, log, log_path, name):
    """SIGTERM proc; it must end with status 0 (under the sanitizers,
    also no leak or error report). Returns the log of this start and
    removes it, so each start reads only its own."""
    if proc.poll() is None:
        proc.terminate()
    status = proc.wait(timeout=30)
    log.close()
    with open(log_path) as f:
        out = f.read()
    os.unlink(log_path)
    assert status == 0, f"{name} ended with status {status}:\n{out}"
    return out


class Hostd:
    """hostd in the foreground on a 127.0.0.x address of its own:
    pyVmomi 6.7.1 forces a TLS context on 127.0.0.1 and localhost, which
    plain HTTP cannot take."""

    def __init__(self, binary, root, password="test-password",
                 addr="127.0.0.2", args=()):
        self.binary, self.root, self.addr = binary, str(root), addr
        self.args = list(args)
        self.password = password
        self.port = free_port(addr)
        self.https_port = free_port(addr)
        self.proc = None
        self.start()

    def start(self, env_password=True):
        env = dict(os.environ)
        env.pop("BASALT_ROOT_PASSWORD", None)
        if env_password and self.password is not None:
            env["BASALT_ROOT_PASSWORD"] = self.password
        # The log goes to a file: a pipe nobody reads would fill and
        # stop hostd at its next log line.
        self.log_path = os.path.join(os.path.dirname(self.root),
                                     "hostd.log")
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "--root", self.root, "--address", self.addr,
             "--port", str(self.port), "--https-port",
             str(self.https_port), "-v"] + self.args,
            stdout=subprocess.PIPE, stderr=self.log, text=True, env=env)
        first = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                raise AssertionError("hostd ended: " + "".join(first)
                                     + open(self.log_path).read())
            first.append(line)
            if line.strip() == "hostd: ready":
                self.startup_output = "".join(first)
                return
        raise AssertionError("hostd never said it was ready")

    def stop(self):
        """SIGTERM; hostd must end cleanly (status 0: under the
        sanitizers, also no leak or error report)."""
        if self.proc is None:
            return ""
        proc, self.proc = self.proc, None
        return stop_cleanly(proc, self.log, self.log_path, "hostd")

    def connect(self, user="root", password=None, tls=False):
        """pyVmomi's SmartConnect, over plain HTTP or (tls) HTTPS with
        the host's self-signed certificate."""
        import ssl
        from pyVim.connect import SmartConnect
        pwd = self.password if password is None else password
        if tls:
            return SmartConnect(host=self.addr, port=self.https_port,
                                user=user, pwd=pwd,
                                sslContext=ssl._create_unverified_context())
        return SmartConnect(host=self.addr, port=self.port, protocol="http",
                            user=user, pwd=pwd)

    def console(self, user="root", password=""):
        """pyVmomi on the console socket (the DCUI's way in), logged
        in."""
        from pyVmomi import SoapStubAdapter, VmomiSupport, vim
        path = os.path.join(self.root, "var", "run", "basalt",
                            "console.sock")
        stub = SoapStubAdapter(sock=path,
                               version=VmomiSupport.newestVersions.Get("vim"))
        si = vim.ServiceInstance("ServiceInstance", stub)
        si.RetrieveContent().sessionManager.Login(user, password)
        return si

    def post(self, body, headers=None):
        """A raw POST /sdk: (status, text)."""
        c = http.client.HTTPConnection(self.addr, self.port, timeout=30)
        h = {"Content-Type": "text/xml; charset=utf-8",
             "SOAPAction": "urn:vim25/6.7.1"}
        h.update(headers or {})
        c.request("POST", "/sdk", body=body, headers=h)
        r = c.getresponse()
        out = (r.status, r.read().decode("utf-8", "replace"),
               r.getheader("Set-Cookie"))
        c.close()
        return out


ENVELOPE = ('<?xml version="1.0" encoding="UTF-8"?>'
            '<soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            '<soapenv:Body>{}</soapenv:Body></soapenv:Envelope>')


def call(method, this_type, this, args=""):
    return ENVELOPE.format(f'<{method} xmlns="urn:vim25"><_this type='
                           f'"{this_type}">{this}</_this>{args}</{method}>')
