"""rhttpproxy (issue 6) in front of a hosted hostd, with curl, openssl,
Python's requests and pyVmomi: port 80's page and redirect, TLS versions,
the API through 443, strict HTTP, traversal refused, idle and slow
clients, the certificate reloaded on SIGHUP."""
import hashlib
import os
import re
import signal
import socket
import ssl
import subprocess
import time

import pytest

pytest.importorskip("pyVmomi")
import requests  # noqa: E402
import urllib3  # noqa: E402

urllib3.disable_warnings()


def test_port_80_has_a_welcome_page_and_redirects_the_rest(proxy):
    base = f"http://{proxy.addr}:{proxy.http_port}"
    r = requests.get(base + "/", allow_redirects=False, timeout=30)
    assert r.status_code == 200 and socket.gethostname() in r.text
    assert f"https://{socket.gethostname()}:{proxy.https_port}/ui/" in r.text
    r = requests.get(base + "/sdk/x?dcPath=ha-datacenter&a=%20b",
                     allow_redirects=False, timeout=30)
    assert r.status_code == 301
    assert r.headers["Location"] == (
        f"https://{proxy.addr}:{proxy.https_port}"
        "/sdk/x?dcPath=ha-datacenter&a=%20b")
    # curl follows it to the API over TLS.
    out = subprocess.run(
        ["curl", "-sSk", "-L", "-o", "/dev/null", "-w", "%{http_code} "
         "%{url_effective}", f"{base}/sdk/vimServiceVersions.xml"],
        capture_output=True, text=True, timeout=60)
    assert out.stdout == (f"200 https://{proxy.addr}:{proxy.https_port}"
                          "/sdk/vimServiceVersions.xml"), out.stderr


@pytest.mark.parametrize("version,ok", [("-tls1", False), ("-tls1_1", False),
                                        ("-tls1_2", True),
                                        ("-tls1_3", True)])
def test_tls_versions(proxy, version, ok):
    r = subprocess.run(
        ["openssl", "s_client", "-connect",
         f"{proxy.addr}:{proxy.https_port}", version, "-brief"],
        input="", capture_output=True, text=True, timeout=30)
    text = r.stdout + r.stderr
    if ok:
        assert "Protocol version:" in text and "Ciphersuite:" in text, text
        assert re.search(r"Ciphersuite: \S*(GCM|CHACHA20)", text), text
    else:
        assert "Ciphersuite:" not in text, text


def test_pyvmomi_session_through_443(proxy):
    si = proxy.connect()
    assert si.content.about.apiType == "HostAgent"
    session = si.content.sessionManager.currentSession
    assert session.userName == "root"
    # hostd sees the client's address, not the proxy's socket.
    assert session.ipAddress.startswith("127.")
    vm_folder = si.content.rootFolder.childEntity[0].vmFolder
    assert vm_folder.childEntity == []
    # The cookie is Secure: the client came over TLS.
    r = requests.post(f"https://{proxy.addr}:{proxy.https_port}/sdk",
                      verify=False, timeout=30,
                      headers={"Content-Type": "text/xml",
                               "SOAPAction": "urn:vim25/6.7.1"},
                      data=LOGIN.format(proxy.hostd.password))
    assert r.status_code == 200 and "Secure" in r.headers["Set-Cookie"]


LOGIN = ('<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv='
         '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
         '<Login xmlns="urn:vim25"><_this type="SessionManager">'
         'ha-sessionmgr</_this><userName>root</userName><password>{}'
         '</password></Login></soapenv:Body></soapenv:Envelope>')


def test_a_chunked_request_reaches_hostd(proxy):
    body = ('<?xml version="1.0"?><soapenv:Envelope xmlns:soapenv='
            '"http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
            '<RetrieveServiceContent xmlns="urn:vim25"><_this type='
            '"ServiceInstance">ServiceInstance</_this>'
            '</RetrieveServiceContent></soapenv:Body></soapenv:Envelope>')
    chunks = (body[i:i + 50].encode() for i in range(0, len(body), 50))
    r = requests.post(f"https://{proxy.addr}:{proxy.https_port}/sdk",
                      verify=False, timeout=30, data=chunks,
                      headers={"Content-Type": "text/xml"})
    assert r.status_code == 200 and "<apiType>HostAgent</apiType>" in r.text


TRAVERSALS = [
    "/folder/../etc/passwd", "/folder/%2e%2e/etc/passwd",
    "/folder/%2E%2e%2fetc%2fpasswd", "/folder/.%2e/x", "/folder/a/../../x",
    "/folder/a%00b", "/folder//etc/passwd", "/folder/a%5c..%5cb",
    "/host/../etc/shadow", "/sdk/./x", "/folder/a%zzb",
]


@pytest.mark.parametrize("target", TRAVERSALS)
def test_traversal_is_refused(proxy, target):
    status, _ = proxy.raw(f"GET {target}?dsName=datastore1 HTTP/1.1\r\n"
                          f"Host: x\r\n\r\n".encode())
    assert status == "HTTP/1.1 400 Bad Request", target
    log = proxy.stop()
    assert "refused path" in log
    proxy.start()


BAD = [
    (b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400),
    (b"GET / HTTP/1.1\nHost: x\r\n\r\n", 400),
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Transfer-Encoding: chunked\r\n\r\n", 400),
    (b"POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
     b"Content-Length: 6\r\n\r\n", 400),
    (b"POST /sdk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n",
     501),
    (b"POST /sdk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
     b"zz\r\n", 400),
    (b"BREW / HTTP/1.1\r\nHost: x\r\n\r\n", 501),
    (b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    (b"GET http://evil/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(
        b"X-%d: y\r\n" % i for i in range(80)) + b"\r\n", 431),
    (b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 40000 + b"\r\n\r\n", 431),
    (b"\x16\x03\x01\x00\xa5\x01\x00\x00", 400),
    # Bodies past their route's limit: /sdk 8 MiB, the proxy's own
    # pages and /host none.
    (b"POST /sdk HTTP/1.1\r\nHost: x\r\nContent-Length: 9000000\r\n\r\n",
     413),
    (b"POST /sdk HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
     b"\r\n800001\r\n" + b"x" * 0x800001 + b"\r\n0\r\n\r\n", 413),
    (b"PUT /host/passwd HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\n"
     b"hello", 413),
]


def test_malformed_requests_get_a_clear_status_and_change_nothing(proxy):
    for data, status in BAD:
        line, everything = proxy.raw(data, tls=data[:1] != b"\x16")
        assert line.startswith(f"HTTP/1.1 {status} "), (data[:60], line)
        assert b"Connection: close" in everything
    # Still serving, and hostd saw none of it.
    assert proxy.connect().content.about.apiType == "HostAgent"


def test_idle_connections_do_not_stop_others(proxy):
    idle = []
    try:
        for port in (proxy.https_port, proxy.http_port):
            for _ in range(100):
                idle.append(socket.create_connection((proxy.addr, port),
                                                     timeout=30))
        r = requests.get(f"https://{proxy.addr}:{proxy.https_port}/",
                         verify=False, timeout=30)
        assert r.status_code == 200
        assert proxy.connect().content.about.apiType == "HostAgent"
    finally:
        for s in idle:
            s.close()


def test_one_client_is_capped_others_are_served(proxy):
    held = []
    try:
        # 256 from one address are taken; the next is refused at once.
        def from_addr(a):
            s = socket.socket()
            s.bind((a, 0))
            s.settimeout(30)
            s.connect((proxy.addr, proxy.http_port))
            return s
        for _ in range(256):
            held.append(from_addr("127.0.0.8"))
        with from_addr("127.0.0.8") as s:
            assert s.recv(100).startswith(b"HTTP/1.1 503 ")
        # Another address is still served.
        with from_addr("127.0.0.9") as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
            assert s.recv(100).startswith(b"HTTP/1.1 200 ")
    finally:
        for s in held:
            s.close()


def test_a_head_that_never_ends_is_cut_off(proxy):
    with socket.create_connection((proxy.addr, proxy.http_port),
                                  timeout=30) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        started = time.monotonic()
        s.settimeout(1)
        data = b""
        # A byte a second (slow-loris) does not keep the head alive.
        while not data and time.monotonic() - started < 25:
            try:
                data = s.recv(1000)
            except socket.timeout:
                s.sendall(b"X")
    assert data.startswith(b"HTTP/1.1 408 ")
    assert time.monotonic() - started < 20


def response(s):
    """One whole response from s (Content-Length framed): head, body."""
    data = b""
    while b"\r\n\r\n" not in data:
        data += s.recv(65536)
    head, body = data.split(b"\r\n\r\n", 1)
    n = int(re.search(rb"Content-Length: (\d+)", head).group(1))
    while len(body) < n:
        body += s.recv(65536)
    return head, body


def self_signed(key, crt, cn):
    """A P-256 key and a certificate for it, signed by itself."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
         "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
         f"/CN={cn}", "-keyout", str(key), "-out", str(crt)],
        check=True, capture_output=True, timeout=60)


def signed_by_test_ca(tmp_path, csr, days):
    """csr signed by a CA made for the test (tmp_path/ca.crt): the
    certificate, PEM."""
    (tmp_path / "req.pem").write_text(csr)
    self_signed(tmp_path / "ca.key", tmp_path / "ca.crt", "Test CA")
    subprocess.run(["openssl", "x509", "-req", "-in", "req.pem", "-CA",
                    "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                    "-days", str(days), "-out", "host.crt"], cwd=tmp_path,
                   check=True, capture_output=True, timeout=60)
    return (tmp_path / "host.crt").read_text()


def cert_digest(proxy):
    with proxy.tls() as s:
        return hashlib.sha256(s.getpeercert(binary_form=True)).hexdigest()


def test_sighup_loads_a_new_certificate_without_dropping_connections(proxy):
    old = cert_digest(proxy)
    kept = proxy.tls()
    kept.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response(kept)[0].startswith(b"HTTP/1.1 200 ")
    ssl_dir = os.path.join(proxy.hostd.root, "etc", "basalt", "ssl")
    self_signed(os.path.join(ssl_dir, "rui.key"),
                os.path.join(ssl_dir, "rui.crt"), "replaced")
    proxy.proc.send_signal(signal.SIGHUP)
    deadline = time.monotonic() + 10
    while cert_digest(proxy) == old and time.monotonic() < deadline:
        time.sleep(0.1)
    assert cert_digest(proxy) != old
    # The connection made before goes on with the old certificate.
    kept.sendall(b"GET /ui/ HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response(kept)[0].startswith(b"HTTP/1.1 200 ")
    assert hashlib.sha256(kept.getpeercert(binary_form=True)).hexdigest() \
        == old
    kept.close()
    # A broken pair: the one in use stays, and says why.
    with open(os.path.join(ssl_dir, "rui.key"), "w") as f:
        f.write("not a key\n")
    now = cert_digest(proxy)
    proxy.proc.send_signal(signal.SIGHUP)
    time.sleep(1)
    assert cert_digest(proxy) == now
    log = proxy.stop()
    assert "the old key and certificate stay" in log
    self_signed(os.path.join(ssl_dir, "rui.key"),
                os.path.join(ssl_dir, "rui.crt"), "again")
    proxy.start()


def test_keep_alive_and_pipelining(proxy):
    with proxy.tls() as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"HEAD /ui/ HTTP/1.1\r\nHost: x\r\n\r\n"
                  b"GET /nothing HTTP/1.1\r\nHost: x\r\n"
                  b"Connection: close\r\n\r\n")
        data = b""
        s.settimeout(30)
        while chunk := s.recv(65536):
            data += chunk
    statuses = re.findall(rb"HTTP/1.1 (\d+) ", data)
    assert statuses == [b"200", b"200", b"404"]


def test_the_certificate_is_replaced_through_the_api(proxy, tmp_path):
    """HostCertificateManager: a signing request, a CA signs it, the
    certificate installed; the proxy serves it to new connections at
    once, the old connection keeps the old one."""
    from pyVmomi import vim, vmodl
    si = proxy.connect()
    host = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]
    cm = host.configManager.certificateManager
    info = cm.certificateInfo
    assert info.status == "good" and info.subject == info.issuer
    old = cert_digest(proxy)
    kept = proxy.tls()
    csr = cm.GenerateCertificateSigningRequestByDn("CN=esx-test,O=Example")
    assert csr.startswith("-----BEGIN NEW CERTIFICATE REQUEST-----") or \
        csr.startswith("-----BEGIN CERTIFICATE REQUEST-----")
    host_crt = signed_by_test_ca(tmp_path, csr, 20)
    # Garbage, and a certificate for a key the host does not have.
    with pytest.raises(vmodl.fault.InvalidArgument):
        cm.InstallServerCertificate("not a certificate")
    with pytest.raises(vmodl.fault.InvalidArgument) as ei:
        cm.InstallServerCertificate((tmp_path / "ca.crt").read_text())
    assert "none of the host's keys" in ei.value.msg
    assert cert_digest(proxy) == old
    cm.InstallServerCertificate(host_crt)
    deadline = time.monotonic() + 10
    while cert_digest(proxy) == old and time.monotonic() < deadline:
        time.sleep(0.1)
    with proxy.tls() as s:
        der = s.getpeercert(binary_form=True)
    want = ssl.PEM_cert_to_DER_cert(host_crt)
    assert der == want
    info = cm.certificateInfo
    assert "CN=Test CA" in info.issuer and "CN=esx-test" in info.subject
    assert info.status == "expiring"  # 20 days left
    kept.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert response(kept)[0].startswith(b"HTTP/1.1 200 ")
    kept.close()
    # A user without Certificate.Manage may not.
    am = si.content.accountManager
    am.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
        id="ro", password="Green-fIeld-7q"))
    si.content.authorizationManager.SetEntityPermissions(
        si.content.rootFolder, [vim.AuthorizationManager.Permission(
            principal="ro", group=False, roleId=-2, propagate=True)])
    ro = proxy.connect(user="ro", password="Green-fIeld-7q")
    with pytest.raises(vim.fault.NoPermission):
        vim.host.CertificateManager("ha-certificate-manager", ro._stub) \
            .GenerateCertificateSigningRequest(False)


def test_the_proxy_runs_confined(hostd_bin, tmp_path):
    """The release build, as the appliance runs it: from root it becomes
    --user nobody (its group on the key's folder and, set up here as the
    image will, on hostd's socket folder), with no_new_privs, seccomp and
    Landlock; it still serves TLS, relays the API and files, and loads a
    new certificate."""
    from hostd import Hostd
    from rhttpproxy import Proxy
    from conftest import built
    binary = built("src/rhttpproxy/rhttpproxy")
    root = tmp_path / "root"
    run = root / "var" / "run" / "basalt"
    run.mkdir(parents=True)
    as_root = os.geteuid() == 0
    if as_root:
        # The image's set-up: hostd's sockets in a folder of the proxy's
        # group, so the socket is the proxy's to connect to; and folders
        # above the config the proxy can pass through, as /etc is.
        os.chown(run, 0, 65534)
        os.chmod(run, 0o2750)
        d = str(root)
        while d != "/":
            os.chmod(d, os.stat(d).st_mode | 0o111)
            d = os.path.dirname(d)
    h = Hostd(hostd_bin, root)
    p = Proxy(binary, h, args=["--user", "nobody"] if as_root else [])
    try:
        with open(f"/proc/{p.proc.pid}/status") as f:
            status = f.read()
        assert re.search(r"Seccomp:\s+2", status), status
        assert re.search(r"NoNewPrivs:\s+1", status), status
        if as_root:
            assert re.search(r"Uid:\s+65534\s", status), status
            assert re.search(r"CapEff:\s+0+\n", status), status
        si = p.connect()
        assert si.content.about.apiType == "HostAgent"
        r = requests.put(f"https://{p.addr}:{p.https_port}/folder/x.txt",
                         params={"dcPath": "ha-datacenter",
                                 "dsName": "datastore1"}, data=b"ok",
                         auth=("root", h.password), verify=False,
                         timeout=60)
        assert r.status_code == 201
        old = cert_digest(p)
        ssl_dir = root / "etc" / "basalt" / "ssl"
        host = si.content.rootFolder.childEntity[0].hostFolder \
            .childEntity[0].host[0]
        cm = host.configManager.certificateManager
        cm.InstallServerCertificate(signed_by_test_ca(
            tmp_path, cm.GenerateCertificateSigningRequest(False), 30))
        deadline = time.monotonic() + 10
        while cert_digest(p) == old and time.monotonic() < deadline:
            time.sleep(0.1)
        assert cert_digest(p) != old
        assert oct(os.stat(ssl_dir / "rui.key").st_mode & 0o777) == "0o640"
    finally:
        log = p.stop()
        h.stop()
    assert "loaded again" in log
