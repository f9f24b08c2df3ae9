#!/usr/bin/python3
"""rhttpproxy beside nginx (docs/performance.md), both from this tree's
release build and Debian's packages, on the same machine, the same host
key and certificate, TLS 1.2/1.3 only, each with one worker per CPU:

- requests per second for the small welcome page (wrk, keep-alive);
- throughput of a 1 GiB download over TLS: rhttpproxy's /folder (hostd
  reads the datastore file; HTTP Basic on the one request) against
  nginx serving the same file from disk (curl, median of ROUNDS);
- rhttpproxy's resident memory idle and with 1,000 TLS connections open.

Usage: bench/proxy.py [ROUNDS] [SECONDS]   (default 3 rounds, 10 s wrk)
Installs nginx and wrk (Debian) when missing; needs no KVM.
"""
import os
import re
import resource
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
BUILD = os.environ.get("BASALT_RELEASE_DIR",
                       os.path.join(ROOT, "build", "release"))

from hostd import Hostd, free_port  # noqa: E402

ADDR = "127.0.0.4"
PASSWORD = "Bench-pAss-1x"
NGINX_CONF = """worker_processes {workers};
pid {dir}/nginx.pid;
error_log {dir}/nginx-error.log;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  keepalive_requests 1000000;
  server {{
    listen {addr}:{port} ssl;
    ssl_certificate {crt};
    ssl_certificate_key {key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE+AESGCM:ECDHE+CHACHA20;
    root {dir}/www;
    location / {{ default_type text/html; }}
  }}
}}
"""


def need(*tools):
    missing = [t for t in tools if shutil.which(t) is None and
               not os.path.exists(f"/usr/sbin/{t}")]
    if missing:
        pkgs = {"nginx": "nginx", "wrk": "wrk"}
        subprocess.run(["apt-get", "install", "-y", "-qq",
                        "--no-install-recommends"] +
                       [pkgs[t] for t in missing], check=True,
                       env=dict(os.environ,
                                DEBIAN_FRONTEND="noninteractive"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))


def wrk(url, seconds):
    out = subprocess.run(["wrk", "-t2", "-c64", f"-d{seconds}s", url],
                         capture_output=True, text=True, check=True).stdout
    # Every answer a 200: an error page would count as fast as a page.
    assert "Non-2xx" not in out, out
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def download(url, auth=None):
    cmd = ["curl", "-sk", "-o", "/dev/null", "-w",
           "%{http_code} %{size_download} %{speed_download}"]
    if auth:
        cmd += ["-u", auth]
    code, size, speed = subprocess.run(cmd + [url], capture_output=True,
                                       text=True, check=True).stdout.split()
    assert code == "200" and int(size) == 1 << 30, (url, code, size)
    return float(speed)


def main():
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    need("nginx", "wrk")
    resource.setrlimit(resource.RLIMIT_NOFILE, (8192, 8192))
    work = tempfile.mkdtemp(prefix="basalt-bench-proxy-")
    os.chmod(work, 0o755)  # nginx's workers run as www-data
    h = Hostd(os.path.join(BUILD, "src/hostd/hostd"),
              os.path.join(work, "root"), password=PASSWORD, addr=ADDR)
    px_port, ng_port = free_port(ADDR), free_port(ADDR)
    px = subprocess.Popen(
        [os.path.join(BUILD, "src/rhttpproxy/rhttpproxy"), "--root",
         h.root, "--address", ADDR, "--http-port", "0", "--https-port",
         str(px_port)], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
        text=True)
    assert px.stdout.readline().strip() == "rhttpproxy: ready"
    ssl_dir = os.path.join(h.root, "etc", "basalt", "ssl")
    www = os.path.join(work, "www")
    os.makedirs(www)
    ds = os.path.join(h.root, "vmfs", "volumes", "datastore1")
    with open(os.path.join(ds, "big.bin"), "wb") as f:
        for _ in range(1024):
            f.write(os.urandom(1 << 20))
    os.link(os.path.join(ds, "big.bin"), os.path.join(www, "big.bin"))
    page = subprocess.run(["curl", "-sk", f"https://{ADDR}:{px_port}/"],
                          capture_output=True, check=True).stdout
    with open(os.path.join(www, "index.html"), "wb") as f:
        f.write(page)
    with open(os.path.join(work, "nginx.conf"), "w") as f:
        f.write(NGINX_CONF.format(workers=os.cpu_count(), dir=work,
                                  addr=ADDR, port=ng_port,
                                  crt=os.path.join(ssl_dir, "rui.crt"),
                                  key=os.path.join(ssl_dir, "rui.key")))
    subprocess.run(["nginx", "-c", os.path.join(work, "nginx.conf"), "-p",
                    work], check=True)
    try:
        rps_px, rps_ng, dl_px, dl_ng = [], [], [], []
        for _ in range(rounds):
            rps_px.append(wrk(f"https://{ADDR}:{px_port}/", seconds))
            rps_ng.append(wrk(f"https://{ADDR}:{ng_port}/", seconds))
            dl_px.append(download(
                f"https://{ADDR}:{px_port}/folder/big.bin?dcPath="
                "ha-datacenter&dsName=datastore1", f"root:{PASSWORD}"))
            dl_ng.append(download(f"https://{ADDR}:{ng_port}/big.bin"))
        idle = rss_kib(px.pid)
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        conns = []
        # From four addresses: one client may hold 256 (proxy.h).
        for i in range(1000):
            raw = socket.socket()
            raw.bind((f"127.0.1.{1 + i // 250}", 0))
            raw.settimeout(30)
            raw.connect((ADDR, px_port))
            conns.append(ctx.wrap_socket(raw))
        time.sleep(1)
        held = rss_kib(px.pid)
        for c in conns:
            c.close()
        med = statistics.median
        print(f"rhttpproxy vs nginx {subprocess.run(['nginx', '-v'], capture_output=True, text=True).stderr.strip()}, "
              f"{os.cpu_count()} CPUs, median of {rounds}")
        print(f"welcome page, wrk -t2 -c64 -d{seconds}s: rhttpproxy "
              f"{med(rps_px):.0f} req/s, nginx {med(rps_ng):.0f} req/s "
              f"= {med(rps_px) / med(rps_ng):.2f}x  "
              f"(each: {[round(x) for x in rps_px]} vs "
              f"{[round(x) for x in rps_ng]})")
        print(f"1 GiB download over TLS: rhttpproxy /folder "
              f"{med(dl_px) / 1e6:.0f} MB/s, nginx "
              f"{med(dl_ng) / 1e6:.0f} MB/s = "
              f"{med(dl_px) / med(dl_ng):.2f}x  (each: "
              f"{[round(x / 1e6) for x in dl_px]} vs "
              f"{[round(x / 1e6) for x in dl_ng]})")
        print(f"rhttpproxy RSS: idle after the runs {idle / 1024:.1f} MiB, "
              f"with 1000 TLS connections open {held / 1024:.1f} MiB")
    finally:
        subprocess.run(["nginx", "-c", os.path.join(work, "nginx.conf"),
                        "-p", work, "-s", "stop"])
        px.terminate()
        px.wait(timeout=30)
        h.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
