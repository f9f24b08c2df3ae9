"""syslogd under test and rsyslog from Debian as its collector, both on
a root of the test's own: syslogd's sockets and files there, its
settings in <root>/etc/basalt/advanced.conf; rsyslogd in the foreground
on loopback ports (UDP, TCP), writing each message it gets as one line
"host|app|severity|procid|msg"."""
import os
import socket
import subprocess
import time

from hostd import free_port, stop_cleanly


class Syslogd:
    def __init__(self, binary, root):
        self.binary, self.root = binary, str(root)
        os.makedirs(os.path.join(self.root, "etc", "basalt"),
                    exist_ok=True)
        self.sock = os.path.join(self.root, "dev", "log")
        self.stream = os.path.join(self.root, "dev", "log-stream")
        self.logdir = os.path.join(self.root, "var", "log")
        self.log_path = os.path.join(os.path.dirname(self.root),
                                     "syslogd.out")
        self.proc = None

    def settings(self, **kv):
        """advanced.conf with these Syslog.global.* keys ('_' for '.'),
        written as hostd writes it (a temporary renamed over it)."""
        path = os.path.join(self.root, "etc", "basalt", "advanced.conf")
        with open(path + ".tmp", "w") as f:
            for k, v in kv.items():
                f.write(f'Syslog.global.{k.replace("_", ".")} = "{v}"\n')
        os.replace(path + ".tmp", path)

    def start(self):
        self.log = open(self.log_path, "a")
        self.proc = subprocess.Popen(
            [self.binary, "--root", self.root, "-v"],
            stdout=subprocess.PIPE, stderr=self.log, text=True)
        line = self.proc.stdout.readline()
        assert line.strip() == "syslogd: ready", open(self.log_path).read()
        return self

    def stop(self):
        if self.proc is None:
            return ""
        proc, self.proc = self.proc, None
        return stop_cleanly(proc, self.log, self.log_path, "syslogd")

    def output(self):
        with open(self.log_path) as f:
            return f.read()

    def send(self, data):
        """One datagram to /dev/log (blocks while its queue is full)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as s:
            s.sendto(data, self.sock)

    def sender(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.connect(self.sock)
        return s

    def file(self, name):
        try:
            with open(os.path.join(self.logdir, name), errors="replace") \
                    as f:
                return f.read()
        except FileNotFoundError:
            return ""

    def wait_file(self, name, text, timeout=10):
        deadline = time.monotonic() + timeout
        while text not in self.file(name):
            assert time.monotonic() < deadline, \
                f"{text!r} not in {name}:\n{self.file(name)[-2000:]}"
            time.sleep(0.1)


CONF = """
global(workDirectory="{work}")
module(load="imudp")
module(load="imtcp")
input(type="imudp" address="127.0.0.1" port="{udp}")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
template(name="line" type="string"
         string="%hostname%|%app-name%|%syslogseverity%|%procid%|%msg%\\n")
action(type="omfile" file="{out}" template="line" flushOnTXEnd="on"
       asyncWriting="off")
"""


TLS_CONF = """
global(workDirectory="{work}"
       defaultNetstreamDriver="gtls"
       defaultNetstreamDriverCAFile="{ca}"
       defaultNetstreamDriverCertFile="{cert}"
       defaultNetstreamDriverKeyFile="{key}")
module(load="imtcp" streamDriver.name="gtls" streamDriver.mode="1"
       streamDriver.authMode="anon")
input(type="imtcp" address="127.0.0.1" port="{tcp}")
template(name="line" type="string"
         string="%hostname%|%app-name%|%syslogseverity%|%procid%|%msg%\\n")
action(type="omfile" file="{out}" template="line" flushOnTXEnd="on"
       asyncWriting="off")
"""


def make_ca(d, name):
    """A CA and a certificate it signed for 127.0.0.1 (an IP SAN):
    (ca.pem, cert.pem, key.pem) paths under d."""
    os.makedirs(d, exist_ok=True)
    ca, cakey = os.path.join(d, "ca.pem"), os.path.join(d, "ca.key")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    csr, ext = os.path.join(d, "cert.csr"), os.path.join(d, "ext.cnf")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
          "-nodes"]
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1\n")
    for cmd in (
            ["openssl", "req", "-x509", *ec, "-keyout", cakey, "-out", ca,
             "-days", "2", "-subj", f"/CN={name}"],
            ["openssl", "req", *ec, "-keyout", key, "-out", csr, "-subj",
             "/CN=127.0.0.1"],
            ["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey",
             cakey, "-CAcreateserial", "-out", cert, "-days", "2",
             "-extfile", ext]):
        subprocess.run(cmd, check=True, capture_output=True)
    return ca, cert, key


class Collector:
    """rsyslogd on 127.0.0.1: .udp_port and .tcp_port; lines(). With
    tls=(ca, cert, key) its TCP port takes TLS only."""

    def __init__(self, workdir, tls=None):
        self.dir = str(workdir)
        os.makedirs(self.dir, exist_ok=True)
        self.udp_port = free_port("127.0.0.1")
        self.tcp_port = free_port("127.0.0.1")
        self.out = os.path.join(self.dir, "received.log")
        self.conf = os.path.join(self.dir, "rsyslog.conf")
        with open(self.conf, "w") as f:
            if tls:
                f.write(TLS_CONF.format(work=self.dir, tcp=self.tcp_port,
                                        out=self.out, ca=tls[0],
                                        cert=tls[1], key=tls[2]))
            else:
                f.write(CONF.format(work=self.dir, udp=self.udp_port,
                                    tcp=self.tcp_port, out=self.out))
        self.proc = None
        self.start()

    def start(self):
        self.log = open(os.path.join(self.dir, "rsyslogd.log"), "a")
        self.proc = subprocess.Popen(
            ["rsyslogd", "-n", "-f", self.conf, "-i",
             os.path.join(self.dir, "rsyslogd.pid")],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 20
        while True:     # listening once a TCP connect works
            try:
                socket.create_connection(("127.0.0.1", self.tcp_port),
                                         timeout=1).close()
                return
            except OSError:
                assert self.proc.poll() is None and \
                    time.monotonic() < deadline, \
                    open(os.path.join(self.dir, "rsyslogd.log")).read()
                time.sleep(0.1)

    def stop(self):
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None
            self.log.close()

    def lines(self):
        try:
            with open(self.out, errors="replace") as f:
                return f.read().splitlines()
        except FileNotFoundError:
            return []

    def wait_lines(self, pred, count, timeout=30):
        """Until count received lines satisfy pred; those lines."""
        deadline = time.monotonic() + timeout
        while True:
            got = [ln for ln in self.lines() if pred(ln)]
            if len(got) >= count:
                return got
            assert time.monotonic() < deadline, \
                f"{len(got)} of {count} lines arrived:\n" + \
                "\n".join(self.lines()[-20:])
            time.sleep(0.2)
