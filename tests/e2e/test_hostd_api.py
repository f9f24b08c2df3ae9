"""hostd's VI API as the clients see it: version negotiation, the service
content, sessions and faults, with Debian's pyVmomi and with raw HTTP for
what no client sends on purpose (issue 4)."""
import os
import re
import socket
import urllib.request

import pytest

from hostd import Hostd, call

pyVmomi = pytest.importorskip("pyVmomi")
from pyVmomi import vim, vmodl  # noqa: E402


def test_versions_document_lists_every_version_pyvmomi_asks_for(hostd):
    url = f"http://{hostd.addr}:{hostd.port}/sdk/vimServiceVersions.xml"
    text = urllib.request.urlopen(url, timeout=30).read().decode()
    assert '<namespaces version="1.0">' in text
    assert "<name>urn:vim25</name>" in text
    versions = re.findall(r"<version>([^<]+)</version>", text)
    for v in ("6.7.1", "6.7", "6.5", "6.0", "5.5", "5.1", "5.0", "4.1",
              "4.0", "2.5u2server", "2.5u2", "2.5"):
        assert v in versions


def test_pyvmomi_connects_and_reads_about(hostd):
    si = hostd.connect()
    content = si.RetrieveContent()
    about = content.about
    assert about.apiType == "HostAgent"
    assert about.productLineId == "embeddedEsx"
    assert about.apiVersion == "6.7.1"
    assert re.fullmatch(r"[0-9a-f-]{36}", about.instanceUuid)
    assert content.rootFolder._moId == "ha-folder-root"
    assert content.propertyCollector._moId == "ha-property-collector"
    assert content.sessionManager._moId == "ha-sessionmgr"
    assert si.CurrentTime().year >= 2026
    # The same host keeps its identity across restarts.
    hostd.stop()
    hostd.start()
    again = hostd.connect().RetrieveContent().about
    assert again.instanceUuid == about.instanceUuid


def test_wrong_password_raises_invalid_login(hostd):
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(password="not-the-password")
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="nobody")
    log = hostd.stop()
    assert "login of 'root' from 127.0.0.1 refused" in log
    assert "not-the-password" not in log


def test_logout_ends_the_session(hostd):
    si = hostd.connect()
    content = si.RetrieveContent()
    content.sessionManager.Logout()
    with pytest.raises(vim.fault.NotAuthenticated):
        si.CurrentTime()


def test_session_cookie_in_every_form_clients_send(hostd):
    status, body, cookie = hostd.post(call(
        "Login", "SessionManager", "ha-sessionmgr",
        f"<userName>root</userName><password>{hostd.password}</password>"))
    assert status == 200, body
    sid = re.search(r'vmware_soap_session="([0-9a-f]+)"', cookie).group(1)
    assert "HttpOnly" in cookie and cookie.count("vmware_soap_session") == 1
    now = call("CurrentTime", "ServiceInstance", "ServiceInstance")
    for form in (f'vmware_soap_session="{sid}"',  # pyVmomi, verbatim
                 f"vmware_soap_session={sid}",  # govmomi's cookie jar
                 f'vmware_soap_session= "{sid}"; $Path=/',  # upload recipe
                 f'other=1; vmware_soap_session="{sid}"; Path=/; HttpOnly'):
        status, body, _ = hostd.post(now, {"Cookie": form})
        assert status == 200, (form, body)
        assert "<returnval>" in body
    for bad in ("", "vmware_soap_session=", "vmware_soap_session=0000",
                f"vmware_soap_sessionX={sid}"):
        status, body, _ = hostd.post(now, {"Cookie": bad})
        assert status == 500 and "NotAuthenticated" in body, bad
    status, body, _ = hostd.post(call(
        "SessionIsActive", "SessionManager", "ha-sessionmgr",
        f"<sessionID>{sid}</sessionID><userName>root</userName>"),
        {"Cookie": f"vmware_soap_session={sid}"})
    assert status == 200 and "<returnval>true</returnval>" in body


BAD_REQUESTS = [
    ("not xml at all", "malformed XML"),
    ("<a><b></a>", "malformed XML"),
    ('<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x "y">]><a>&x;</a>',
     "DTD"),
    ("<Envelope><Body/></Envelope>", "not a SOAP 1.1 envelope"),
    (call("Login", "SessionManager", "ha-sessionmgr").replace(
        'xmlns="urn:vim25"', 'xmlns="urn:other"'), "not in namespace"),
    (call("Login", "SessionManager", "ha-sessionmgr").replace(
        '<_this type="SessionManager">ha-sessionmgr</_this>', ""),
     "_this"),
]


@pytest.mark.parametrize("body,why", BAD_REQUESTS)
def test_malformed_request_is_a_fault_and_hostd_lives_on(hostd, body, why):
    status, text, _ = hostd.post(body)
    assert status == 500
    assert "<faultcode>ServerFaultCode</faultcode>" in text
    assert 'xsi:type="InvalidRequest"' in text
    assert why in text
    assert hostd.connect().RetrieveContent().about.apiType == "HostAgent"


def test_unknown_method_and_object_are_the_faults_clients_expect(hostd):
    si = hostd.connect()
    stub = si._stub
    bogus = vim.ServiceInstance("NoSuchInstance", stub)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        bogus.RetrieveContent()
    status, text, _ = hostd.post(call("FrobnicateVM_Task", "VirtualMachine",
                                      "1"))
    assert status == 500 and 'xsi:type="MethodNotFound"' in text
    assert "<method>FrobnicateVM_Task</method>" in text


def test_huge_body_is_refused_with_a_fault(hostd):
    body = call("CurrentTime", "ServiceInstance", "ServiceInstance")
    body = body.replace("<_this", "<pad>" + "x" * (5 << 20) + "</pad><_this")
    status, text, _ = hostd.post(body)
    assert status == 500 and "the limit is" in text
    assert hostd.connect().RetrieveContent().about.apiType == "HostAgent"


def test_the_root_password_from_the_environment_is_used_once(hostd_bin,
                                                            tmp_path):
    h = Hostd(hostd_bin, tmp_path / "root", password="First-pAss-1x")
    try:
        assert h.connect().RetrieveContent().about.apiType == "HostAgent"
        h.stop()
        # A later start with another one changes nothing: a password
        # once set is changed through the API or the console only.
        h.password = "Second-pAss-2x"
        h.start()
        with pytest.raises(vim.fault.InvalidLogin):
            h.connect()
        assert h.connect(password="First-pAss-1x")
        shadow = (tmp_path / "root" / "etc" / "basalt" / "shadow")
        text = shadow.read_text()
        assert text.startswith("root:$y$") and "pAss" not in text
        assert oct(shadow.stat().st_mode & 0o777) == "0o600"
    finally:
        h.stop()


def test_unix_socket_serves_the_same_api(hostd):
    path = os.path.join(hostd.root, "var", "run", "basalt", "hostd.sock")
    body = call("RetrieveServiceContent", "ServiceInstance",
                "ServiceInstance").encode()
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(30)
        s.connect(path)
        s.sendall(b"POST /sdk HTTP/1.1\r\nHost: localhost\r\n"
                  b"Content-Type: text/xml\r\nConnection: close\r\n"
                  b"Content-Length: " + str(len(body)).encode()
                  + b"\r\n\r\n" + body)
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    assert data.startswith(b"HTTP/1.1 200")
    assert b"<apiType>HostAgent</apiType>" in data
