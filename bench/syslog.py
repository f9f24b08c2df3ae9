#!/usr/bin/python3
"""syslogd beside rsyslog (docs/performance.md), both on this machine:

- messages per second from a datagram socket (/dev/log's kind) to a
  local file: N messages of about 100 bytes sent as fast as the socket
  takes them (a full socket blocks the sender, so none is lost), timed
  until the last one is in the file;
- the same to a TCP collector (an rsyslog on loopback writing a file),
  timed until the collector has the last one;
- each daemon's peak resident memory (VmHWM) in each run.

Usage: bench/syslog.py [N]   (default 200000). Needs rsyslog (make
deps-test installs it); no KVM.
"""
import os
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
BUILD = os.environ.get("BASALT_RELEASE_DIR",
                       os.path.join(ROOT, "build", "release"))

from syslog_peers import Collector, Syslogd  # noqa: E402

RSYSLOG_CONF = """
global(workDirectory="{work}")
module(load="imuxsock" sysSock.use="off")
input(type="imuxsock" socket="{sock}" rateLimit.interval="0")
template(name="line" type="string"
         string="%timegenerated:::date-rfc3339% %hostname% %app-name%: %msg%\\n")
{action}
"""
FILE_ACTION = 'action(type="omfile" file="{out}" template="line")'
FWD_ACTION = ('action(type="omfwd" target="127.0.0.1" port="{port}" '
              'protocol="tcp" tcp_framing="octet-counted" '
              'template="RSYSLOG_SyslogProtocol23Format")')


def hwm_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def lines_in(path):
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n")
    except FileNotFoundError:
        return 0


def blast(sock_path, n, done, timeout=300):
    """Send n messages; seconds until done() says all arrived."""
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.connect(sock_path)
    start = time.monotonic()
    for i in range(n):
        s.send(b"<14>Dec  2 10:00:00 bench[42]: message %08d of the "
               b"syslog benchmark, about a hundred bytes long....." % i)
    s.close()
    while not done():
        if time.monotonic() - start > timeout:
            raise RuntimeError("not all messages arrived")
        time.sleep(0.05)
    return time.monotonic() - start


def run_syslogd(tmp, n, collector=None):
    d = Syslogd(os.path.join(BUILD, "src/syslogd/syslogd"),
                os.path.join(tmp, "sd-root"))
    # One file, as rsyslog writes it (no rotation during the run).
    if collector:
        d.settings(logHost=f"tcp://127.0.0.1:{collector.tcp_port}",
                   queue_memoryMessages="1000000", defaultSize="1048576")
    else:
        d.settings(defaultSize="1048576")
    d.start()
    try:
        if collector:
            base = lines_in(collector.out)
            secs = blast(d.sock, n,
                         lambda: lines_in(collector.out) >= base + n)
        else:
            path = os.path.join(d.logdir, "syslog.log")
            secs = blast(d.sock, n, lambda: lines_in(path) >= n)
        return secs, hwm_kib(d.proc.pid)
    finally:
        d.stop()


def run_rsyslog(tmp, n, collector=None):
    work = os.path.join(tmp, "rs" + ("-fwd" if collector else ""))
    os.makedirs(work)
    sock, out = os.path.join(work, "log"), os.path.join(work, "out.log")
    action = (FWD_ACTION.format(port=collector.tcp_port) if collector
              else FILE_ACTION.format(out=out))
    conf = os.path.join(work, "rsyslog.conf")
    with open(conf, "w") as f:
        f.write(RSYSLOG_CONF.format(work=work, sock=sock, action=action))
    p = subprocess.Popen(["rsyslogd", "-n", "-f", conf, "-i",
                          os.path.join(work, "pid")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not os.path.exists(sock):
            time.sleep(0.05)
        if collector:
            base = lines_in(collector.out)
            secs = blast(sock, n, lambda: lines_in(collector.out) >= base + n)
        else:
            secs = blast(sock, n, lambda: lines_in(out) >= n)
        return secs, hwm_kib(p.pid)
    finally:
        p.terminate()
        p.wait()


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
    with tempfile.TemporaryDirectory() as tmp:
        print(f"{n} messages of about 100 bytes from a datagram socket")
        for name, fn in (("syslogd", run_syslogd), ("rsyslog", run_rsyslog)):
            secs, kib = fn(tmp, n)
            print(f"  to a file, {name}: {n / secs:,.0f} msg/s "
                  f"({secs:.2f} s), peak RSS {kib / 1024:.1f} MiB")
        c = Collector(os.path.join(tmp, "collector"))
        try:
            for name, fn in (("syslogd", run_syslogd),
                             ("rsyslog", run_rsyslog)):
                secs, kib = fn(tmp, n, c)
                print(f"  to a TCP collector, {name}: {n / secs:,.0f} "
                      f"msg/s ({secs:.2f} s), peak RSS {kib / 1024:.1f} "
                      f"MiB")
        finally:
            c.stop()


if __name__ == "__main__":
    main()
