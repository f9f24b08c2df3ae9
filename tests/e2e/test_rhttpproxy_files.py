"""Datastore files over HTTPS through rhttpproxy (issue 6): /folder with
HTTP Basic or the API's session cookie, 1 GiB up and down intact, an
aborted upload leaving nothing, Range, DELETE, listings, privileges and
traversal (symbolic links out included), and /host for administrators."""
import hashlib
import os
import time

import pytest

pytest.importorskip("pyVmomi")
import requests  # noqa: E402
import urllib3  # noqa: E402
from pyVmomi import vim  # noqa: E402

urllib3.disable_warnings()

Q = {"dcPath": "ha-datacenter", "dsName": "datastore1"}
GOOD = "Green-fIeld-7q"


def url(proxy, path):
    return f"https://{proxy.addr}:{proxy.https_port}{path}"


def ds_dir(proxy):
    return os.path.join(proxy.hostd.root, "vmfs", "volumes", "datastore1")


def root_auth(proxy):
    return ("root", proxy.hostd.password)


def test_one_gib_up_and_down_intact(proxy, tmp_path):
    src = tmp_path / "big.bin"
    want = hashlib.sha256()
    with open(src, "wb") as f:
        for _ in range(1024):
            block = os.urandom(1 << 20)
            want.update(block)
            f.write(block)
    with open(src, "rb") as f:
        r = requests.put(url(proxy, "/folder/isos/big.iso"), params=Q,
                         data=f, auth=root_auth(proxy), verify=False,
                         timeout=600)
    assert r.status_code == 201, r.text
    src.unlink()
    got = hashlib.sha256()
    with requests.get(url(proxy, "/folder/isos/big.iso"), params=Q,
                      auth=root_auth(proxy), verify=False, stream=True,
                      timeout=600) as r:
        assert r.status_code == 200
        assert r.headers["Content-Length"] == str(1 << 30)
        for chunk in r.iter_content(1 << 20):
            got.update(chunk)
    assert got.hexdigest() == want.hexdigest()
    assert os.listdir(os.path.join(ds_dir(proxy), "isos")) == ["big.iso"]


def test_an_aborted_upload_leaves_nothing(proxy):
    import base64
    cred = base64.b64encode(f"root:{proxy.hostd.password}".encode())
    s = proxy.tls()
    s.sendall(b"PUT /folder/cut.bin?dcPath=ha-datacenter&dsName=datastore1"
              b" HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + cred +
              b"\r\nContent-Length: 10485760\r\n\r\n" + b"x" * (1 << 20))
    time.sleep(1)
    s.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if not os.listdir(ds_dir(proxy)):
            break
        time.sleep(0.2)
    assert os.listdir(ds_dir(proxy)) == []
    # A finished one replaces the old file whole (200), atomically.
    for body, status in ((b"one", 201), (b"second", 200)):
        r = requests.put(url(proxy, "/folder/cut.bin"), params=Q, data=body,
                         auth=root_auth(proxy), verify=False, timeout=60)
        assert r.status_code == status
    with open(os.path.join(ds_dir(proxy), "cut.bin"), "rb") as f:
        assert f.read() == b"second"


def test_range_head_delete_and_listing(proxy):
    auth = root_auth(proxy)
    body = bytes(range(256)) * 10
    assert requests.put(url(proxy, "/folder/vm one/a <b>.bin"), params=Q,
                        data=body, auth=auth, verify=False,
                        timeout=60).status_code == 201
    r = requests.get(url(proxy, "/folder/vm one/a <b>.bin"), params=Q,
                     auth=auth, verify=False, timeout=60,
                     headers={"Range": "bytes=100-199"})
    assert r.status_code == 206 and r.content == body[100:200]
    assert r.headers["Content-Range"] == f"bytes 100-199/{len(body)}"
    r = requests.get(url(proxy, "/folder/vm one/a <b>.bin"), params=Q,
                     auth=auth, verify=False, timeout=60,
                     headers={"Range": "bytes=99999-"})
    assert r.status_code == 416
    r = requests.head(url(proxy, "/folder/vm one/a <b>.bin"), params=Q,
                      auth=auth, verify=False, timeout=60)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(len(body))
    r = requests.get(url(proxy, "/folder/vm one/"), params=Q, auth=auth,
                     verify=False, timeout=60)
    assert r.status_code == 200 and "a &lt;b&gt;.bin" in r.text
    assert "<b>" not in r.text
    r = requests.get(url(proxy, "/folder"), params={"dcPath":
                                                   "ha-datacenter"},
                     auth=auth, verify=False, timeout=60)
    assert "datastore1" in r.text
    assert requests.delete(url(proxy, "/folder/vm one"), params=Q, auth=auth,
                           verify=False, timeout=60).status_code == 405
    assert requests.delete(url(proxy, "/folder/vm one/a <b>.bin"), params=Q,
                           auth=auth, verify=False,
                           timeout=60).status_code == 204
    assert requests.delete(url(proxy, "/folder/vm one/a <b>.bin"), params=Q,
                           auth=auth, verify=False,
                           timeout=60).status_code == 404
    assert requests.get(url(proxy, "/folder/nope"), params=Q, auth=auth,
                        verify=False, timeout=60).status_code == 404
    assert requests.get(url(proxy, "/folder/x"), params={
        "dcPath": "ha-datacenter", "dsName": "nostore"}, auth=auth,
        verify=False, timeout=60).status_code == 404


def test_who_may_do_what(proxy):
    si = proxy.connect()
    am, auth = si.content.accountManager, si.content.authorizationManager
    ds = si.content.rootFolder.childEntity[0].datastore[0]
    spec = vim.host.LocalAccountManager.AccountSpecification
    for name in ("ro", "browser", "writer"):
        am.CreateUser(spec(id=name, password=GOOD))
    browse = auth.AddAuthorizationRole("browse", ["Datastore.Browse"])
    manage = auth.AddAuthorizationRole("manage", [
        "Datastore.Browse", "Datastore.FileManagement"])
    perm = vim.AuthorizationManager.Permission
    auth.SetEntityPermissions(si.content.rootFolder, [
        perm(principal="ro", group=False, roleId=-2, propagate=True)])
    auth.SetEntityPermissions(ds, [
        perm(principal="browser", group=False, roleId=browse,
             propagate=False),
        perm(principal="writer", group=False, roleId=manage,
             propagate=False)])
    target = url(proxy, "/folder/f.txt")

    def put(user):
        return requests.put(target, params=Q, data=b"hi", verify=False,
                            auth=user and (user, GOOD), timeout=60)

    def get(user):
        return requests.get(target, params=Q, verify=False,
                            auth=user and (user, GOOD), timeout=60)

    r = put(None)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Basic")
    assert put("ro").status_code == 403
    assert put("browser").status_code == 403
    assert put("writer").status_code == 201
    assert get("ro").status_code == 403
    assert get("browser").status_code == 200
    r = requests.get(target, params=Q, verify=False, auth=("writer", "no"),
                     timeout=60)
    assert r.status_code == 401
    # The API's session cookie works as well (pyVmomi's, through 443).
    cookie = si._stub.cookie.split(";")[0]
    r = requests.get(target, params=Q, verify=False, timeout=60,
                     headers={"Cookie": cookie})
    assert r.status_code == 200 and r.content == b"hi"
    # /host: administrators only, never the shadow file.
    host = url(proxy, "/host/passwd")
    assert requests.get(host, auth=root_auth(proxy), verify=False,
                        timeout=60).text.startswith("root:x:0:0:")
    assert requests.get(host, auth=("writer", GOOD), verify=False,
                        timeout=60).status_code == 403
    assert requests.get(url(proxy, "/host/shadow"), auth=root_auth(proxy),
                        verify=False, timeout=60).status_code == 404
    r = requests.get(url(proxy, "/host"), auth=root_auth(proxy),
                     verify=False, timeout=60)
    assert "passwd" in r.text and "shadow" not in r.text
    log = proxy.hostd.stop()
    assert GOOD not in log and "audit: writer" in log
    proxy.hostd.start()


def test_nothing_outside_the_datastore(proxy):
    auth = root_auth(proxy)
    os.symlink("/etc", os.path.join(ds_dir(proxy), "etc-link"))
    r = requests.get(url(proxy, "/folder/etc-link/hostname"), params=Q,
                     auth=auth, verify=False, timeout=60)
    assert r.status_code == 403
    r = requests.put(url(proxy, "/folder/etc-link/planted"), params=Q,
                     data=b"x", auth=auth, verify=False, timeout=60)
    assert r.status_code == 403 and not os.path.exists("/etc/planted")
    # Straight to hostd's socket, past the proxy: still refused there.
    import http.client
    import socket

    class Unix(http.client.HTTPConnection):
        def connect(self):
            self.sock = socket.socket(socket.AF_UNIX)
            self.sock.connect(os.path.join(proxy.hostd.root, "var", "run",
                                           "basalt", "hostd.sock"))
    import base64
    cred = base64.b64encode(f"root:{proxy.hostd.password}".encode())
    for path in ("/folder/../../etc/passwd", "/folder/%2e%2e/x",
                 "/folder/etc-link/hostname"):
        c = Unix("localhost")
        c.request("GET", path + "?dcPath=ha-datacenter&dsName=datastore1",
                  headers={"Authorization": "Basic " + cred.decode()})
        assert c.getresponse().status in (400, 403, 404), path
        c.close()


def test_a_stalled_upload_is_cut_off(hostd, rhttpproxy_bin):
    """A body that stops coming has --body-timeout (60 s by default; 4 s
    here) for its next byte, however long hostd would wait: the
    connection ends and nothing is kept."""
    from rhttpproxy import Proxy
    proxy = Proxy(rhttpproxy_bin, hostd, ["--body-timeout", "4"])
    try:
        stalled_upload_is_cut_off(proxy)
    finally:
        proxy.stop()


def stalled_upload_is_cut_off(proxy):
    import base64
    cred = base64.b64encode(f"root:{proxy.hostd.password}".encode())
    s = proxy.tls()
    s.sendall(b"PUT /folder/slow.bin?dcPath=ha-datacenter&dsName=datastore1"
              b" HTTP/1.1\r\nHost: x\r\nAuthorization: Basic " + cred +
              b"\r\nContent-Length: 1000\r\n\r\n" + b"x" * 10)
    started = time.monotonic()
    s.settimeout(120)
    try:
        while s.recv(1000):
            pass
    except (ConnectionResetError, OSError):
        pass
    waited = time.monotonic() - started
    s.close()
    assert 3.5 < waited < 30, waited
    deadline = time.monotonic() + 20
    while os.listdir(ds_dir(proxy)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert os.listdir(ds_dir(proxy)) == []
