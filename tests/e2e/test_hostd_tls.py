"""hosted mode's HTTPS (until the proxy of issue 6 owns TLS): the host's
key and self-signed certificate made on first start and kept, TLS 1.2 and
1.3 only, and the real clients over it (issue 4)."""
import hashlib
import os
import socket
import ssl
import subprocess

import pytest

from hostd import Hostd
from test_hostd_vms import register

pytest.importorskip("pyVmomi")


def server_cert(h, **ctx_args):
    """The DER certificate the server presents, and the TLS version."""
    ctx = ssl._create_unverified_context()
    for k, v in ctx_args.items():
        setattr(ctx, k, v)
    with socket.create_connection((h.addr, h.https_port), timeout=30) as s:
        with ctx.wrap_socket(s) as t:
            return t.getpeercert(binary_form=True), t.version()


def colon_hex(digest):
    return ":".join(f"{b:02X}" for b in digest)


def test_certificate_is_made_once_logged_and_kept(hostd):
    ssl_dir = os.path.join(hostd.root, "etc", "basalt", "ssl")
    key = os.path.join(ssl_dir, "rui.key")
    assert os.stat(key).st_mode & 0o077 == 0, "the key is readable by others"
    der, version = server_cert(hostd)
    assert version in ("TLSv1.2", "TLSv1.3")
    with open(os.path.join(ssl_dir, "rui.crt")) as f:
        assert ssl.PEM_cert_to_DER_cert(f.read()) == der
    # Subject alternative names: the host name and the address served.
    text = subprocess.run(["openssl", "x509", "-inform", "DER", "-noout",
                           "-text"], input=der, capture_output=True,
                          check=True).stdout.decode()
    san = text.split("Subject Alternative Name:")[1].splitlines()[1]
    assert f"DNS:{socket.gethostname()}" in san
    assert "IP Address:127.0.0.1" in san
    log = hostd.stop()
    sha1 = colon_hex(hashlib.sha1(der).digest())
    sha256 = colon_hex(hashlib.sha256(der).digest())
    assert f"SHA-1 thumbprint {sha1}, SHA-256 {sha256}" in log
    assert "made a TLS key and self-signed certificate" in log
    # A restart keeps the same key and certificate.
    hostd.start()
    assert server_cert(hostd)[0] == der
    log = hostd.stop()
    assert "made a TLS key" not in log
    assert sha256 in log
    hostd.start()


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_tls_below_1_2_is_refused(hostd):
    with pytest.raises(ssl.SSLError):
        # The client would offer TLS 1.0 and 1.1 (SECLEVEL=0 lets it).
        ctx = {"maximum_version": ssl.TLSVersion.TLSv1_1,
               "minimum_version": ssl.TLSVersion.TLSv1}
        c = ssl._create_unverified_context()
        c.set_ciphers("DEFAULT:@SECLEVEL=0")
        for k, v in ctx.items():
            setattr(c, k, v)
        with socket.create_connection((hostd.addr, hostd.https_port),
                                      timeout=30) as s:
            with c.wrap_socket(s):
                pass
    _, version = server_cert(hostd, maximum_version=ssl.TLSVersion.TLSv1_2)
    assert version == "TLSv1.2"


def test_pyvmomi_over_https_gets_a_secure_cookie(hostd):
    si = hostd.connect(tls=True)
    assert si.content.about.apiType == "HostAgent"
    # The session works across calls (the cookie came back over TLS).
    assert si.content.sessionManager.currentSession.userName == "root"
    cookie = si._stub.cookie
    assert "Secure" in cookie, cookie
    # Plain HTTP gets no Secure cookie: clients would never send it back.
    plain = hostd.connect()
    assert "Secure" not in plain._stub.cookie


def test_a_bad_certificate_stops_hostd_with_a_clear_error(hostd_bin,
                                                          tmp_path):
    ssl_dir = tmp_path / "root" / "etc" / "basalt" / "ssl"
    ssl_dir.mkdir(parents=True)
    (ssl_dir / "rui.crt").write_text("not a certificate\n")
    (ssl_dir / "rui.key").write_text("not a key\n")
    with pytest.raises(AssertionError, match="rui.crt: not a PEM "
                       "certificate"):
        Hostd(hostd_bin, tmp_path / "root")
    # The administrator's files are left as they were.
    assert (ssl_dir / "rui.crt").read_text() == "not a certificate\n"


def test_govmomi_over_https(hostd, govc_smoke):
    d = os.path.join(hostd.root, "vmfs", "volumes", "datastore1", "web")
    os.makedirs(d)
    with open(os.path.join(d, "web.vmx"), "w") as f:
        f.write('displayName = "web"\nnumvcpus = "2"\nmemsize = "64"\n')
    register(hostd.connect(tls=True), "[datastore1] web/web.vmx")
    url = (f"https://root:{hostd.password}@{hostd.addr}:{hostd.https_port}"
           "/sdk")
    r = subprocess.run([govc_smoke, url], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.splitlines() == ["about HostAgent 6.7.1",
                                     "vm 1 web poweredOff 2"]
