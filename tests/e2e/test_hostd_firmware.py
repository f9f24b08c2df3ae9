"""HostFirmwareSystem (issue 8) against hosted hostd, with pyVmomi and
plain HTTP the way the reference's clients call it (Ansible's
vmware_cfg_backup: the backup URL fetched without credentials, the
bundle PUT with HTTP Basic, maintenance mode entered first). A restore
waits in the boot bank's slot for the next boot; here `stated --restore`
plays the boot over a fresh /etc/basalt, as init does on the appliance's
in-memory root."""
import base64
import hashlib
import http.client
import os
import re
import shutil
import subprocess
import time

import pytest

from conftest import ASAN_BUILD, built
from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import vim, vmodl  # noqa: E402


def wait(task, timeout=60):
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        assert time.monotonic() < deadline, task.info
        time.sleep(0.05)
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def stated_bin():
    asan = os.path.join(ASAN_BUILD, "src/stated/stated")
    return asan if os.path.exists(asan) else built("src/stated/stated")


def host_of(si):
    return si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]


def request(h, method, path, body=None, user=None, password=None):
    c = http.client.HTTPConnection(h.addr, h.port, timeout=30)
    headers = {}
    if user is not None:
        cred = base64.b64encode(f"{user}:{password}".encode()).decode()
        headers["Authorization"] = "Basic " + cred
    c.request(method, path, body=body, headers=headers)
    r = c.getresponse()
    out = (r.status, r.read())
    c.close()
    return out


def backup(h, si):
    fw = host_of(si).configManager.firmwareSystem
    url = fw.BackupFirmwareConfiguration()
    m = re.fullmatch(r"https://\*(/downloads/[0-9a-f]{32}/configBundle-"
                     r"[^/]+\.tgz)", url)
    assert m, url
    status, data = request(h, "GET", m.group(1))     # no credentials
    assert status == 200
    return m.group(1), data


def upload(h, data, user="root", password=None):
    status, _ = request(h, "PUT", "/tmp/configBundle.tgz", data, user,
                     password or h.password)
    return status


def boot(h):
    """What the appliance's boot does with the slot: /etc/basalt starts
    empty and stated restores into it."""
    h.stop()
    etc = os.path.join(h.root, "etc", "basalt")
    shutil.rmtree(etc)
    r = subprocess.run([stated_bin(), "--restore", "--root", h.root],
                       capture_output=True, text=True)
    return r


def etc_files(root):
    out = {}
    etc = os.path.join(root, "etc", "basalt")
    for d, _, files in os.walk(etc):
        for f in files:
            if f.startswith(".") or f.endswith((".new", ".tmp")):
                continue
            with open(os.path.join(d, f), "rb") as fh:
                out[os.path.relpath(os.path.join(d, f), etc)] = fh.read()
    return out


def configure(si):
    """A user, a syslog target: what the issue changes."""
    am = si.content.accountManager
    am.CreateUser(vim.host.LocalAccountManager.AccountSpecification(
        id="alice", password="Ax-secret-4321", description="Alice"))
    si.content.authorizationManager.SetEntityPermissions(
        si.content.rootFolder, [vim.AuthorizationManager.Permission(
            principal="alice", group=False, roleId=-1, propagate=True)])
    host_of(si).configManager.advancedOption.UpdateOptions(
        [vim.option.OptionValue(key="Syslog.global.logHost",
                                value="tcp://192.0.2.7:514")])


@pytest.fixture
def a_and_b(hostd_bin, tmp_path):
    """Host A configured (a user, a syslog target) and its backup, A
    stopped; host B fresh and running: (a, b, bundle)."""
    for d in ("a", "b"):
        os.makedirs(tmp_path / d)
    a = Hostd(hostd_bin, tmp_path / "a" / "root", addr="127.0.0.2")
    b = Hostd(hostd_bin, tmp_path / "b" / "root", addr="127.0.0.3",
              password="b-password-1")
    try:
        sa = a.connect()
        configure(sa)
        _, bundle = backup(a, sa)
        a.stop()
        yield a, b, bundle
    finally:
        a.stop()
        b.stop()


def test_backup_is_the_hosts_configuration_once_downloadable(hostd):
    si = hostd.connect()
    path, data = backup(hostd, si)
    assert data.startswith(b"BSTATE2\n")
    assert hashlib.sha256(data[:-32]).digest() == data[-32:]
    assert b"passwd" in data and b"shadow" in data
    # Another token, a path outside: nothing.
    assert request(hostd, "GET", "/downloads/" + "0" * 32 +
                "/configBundle-x.tgz")[0] == 404
    assert request(hostd, "GET", path.rsplit("/", 1)[0] + "/../../x")[0] in \
        (400, 404)
    assert request(hostd, "PUT", path, b"x", "root", hostd.password)[0] == 405
    # The upload URL, and who may upload.
    fw = host_of(si).configManager.firmwareSystem
    assert fw.QueryFirmwareConfigUploadURL() == \
        "https://*/tmp/configBundle.tgz"
    assert request(hostd, "PUT", "/tmp/configBundle.tgz", data)[0] == 401
    assert upload(hostd, data, "root", "wrong") == 401
    si.content.accountManager.CreateUser(
        vim.host.LocalAccountManager.AccountSpecification(
            id="bob", password="Rw-secret-9876"))
    si.content.authorizationManager.SetEntityPermissions(
        si.content.rootFolder, [vim.AuthorizationManager.Permission(
            principal="bob", group=False, roleId=-2, propagate=True)])
    assert upload(hostd, data, "bob", "Rw-secret-9876") == 403
    bob = hostd.connect("bob", "Rw-secret-9876")
    with pytest.raises(vim.fault.NoPermission):
        host_of(bob).configManager.firmwareSystem \
            .BackupFirmwareConfiguration()
    assert upload(hostd, data) in (200, 201)
    # Over the limit: refused on its head, before the body comes.
    import socket
    cred = base64.b64encode(f"root:{hostd.password}".encode()).decode()
    with socket.create_connection((hostd.addr, hostd.port)) as s:
        s.sendall(f"PUT /tmp/configBundle.tgz HTTP/1.1\r\nHost: x\r\n"
                  f"Authorization: Basic {cred}\r\nContent-Length: "
                  f"{(16 << 20) + 1}\r\n\r\n".encode())
        assert s.recv(100).startswith(b"HTTP/1.1 413")


def test_restore_on_a_second_host_makes_it_the_same_host(a_and_b):
    a, b, bundle = a_and_b
    sb = b.connect()
    fw = host_of(sb).configManager.firmwareSystem
    assert upload(b, bundle) in (200, 201)
    # Outside maintenance mode: refused, nothing pending.
    with pytest.raises(vim.fault.InvalidState):
        fw.RestoreFirmwareConfiguration(force=False)
    slot = os.path.join(b.root, "bootbank", "state")
    assert not os.path.exists(os.path.join(slot, "pending.bst"))
    host = host_of(sb)
    wait(host.EnterMaintenanceMode_Task(timeout=0))
    assert host.runtime.inMaintenanceMode is True
    fw.RestoreFirmwareConfiguration(force=False)
    assert os.path.exists(os.path.join(slot, "pending.bst"))
    # Running, B is still B until it boots.
    assert "alice" not in open(os.path.join(b.root, "etc", "basalt",
                                            "passwd")).read()
    r = boot(b)
    assert r.returncode == 0, r.stderr
    assert "applied the configuration restored before this boot" in \
        r.stderr, r.stderr
    assert not os.path.exists(os.path.join(slot, "pending.bst"))
    assert etc_files(b.root) == etc_files(a.root)
    b.password = a.password
    b.start(env_password=False)
    sb = b.connect("alice", "Ax-secret-4321")
    host = host_of(sb)
    assert host.runtime.inMaintenanceMode is False
    opts = host.configManager.advancedOption.QueryOptions(
        "Syslog.global.logHost")
    assert opts[0].value == "tcp://192.0.2.7:514"
    b.connect()          # root's password is A's


def test_a_bad_or_foreign_bundle_is_refused_and_nothing_changes(hostd):
    si = hostd.connect()
    host = host_of(si)
    fw = host.configManager.firmwareSystem
    _, good = backup(hostd, si)
    wait(host.EnterMaintenanceMode_Task(timeout=0))
    slot = os.path.join(hostd.root, "bootbank", "state")
    # Nothing uploaded yet.
    with pytest.raises(vim.fault.FileNotFound):
        fw.RestoreFirmwareConfiguration(force=False)
    # One byte changed: its checksum fails.
    bad = bytearray(good)
    bad[len(bad) // 2] ^= 1
    assert upload(hostd, bytes(bad)) in (200, 201)
    with pytest.raises(vim.fault.InvalidBundle):
        fw.RestoreFirmwareConfiguration(force=True)
    assert upload(hostd, b"not a bundle at all") in (200, 201)
    with pytest.raises(vim.fault.InvalidBundle):
        fw.RestoreFirmwareConfiguration(force=True)
    # Another version of Basalt wrote it: only with force.
    n = good[20]
    foreign = good[:21] + b"9.9.9"[:n].ljust(n, b"9") + good[21 + n:-32]
    foreign += hashlib.sha256(foreign).digest()
    assert upload(hostd, foreign) in (200, 201)
    with pytest.raises(vim.fault.MismatchedBundle):
        fw.RestoreFirmwareConfiguration(force=False)
    assert not os.path.exists(os.path.join(slot, "pending.bst"))
    fw.RestoreFirmwareConfiguration(force=True)
    assert os.path.exists(os.path.join(slot, "pending.bst"))


def test_maintenance_mode_and_factory_defaults(hostd):
    si = hostd.connect()
    host = host_of(si)
    fw = host.configManager.firmwareSystem
    configure(si)
    with pytest.raises(vim.fault.InvalidState):
        fw.ResetFirmwareToFactoryDefaults()
    wait(host.EnterMaintenanceMode_Task(timeout=0))
    # Kept across a restart of hostd.
    hostd.stop()
    hostd.start()
    si = hostd.connect()
    host = host_of(si)
    assert host.summary.runtime.inMaintenanceMode is True
    fw = host.configManager.firmwareSystem
    fw.ResetFirmwareToFactoryDefaults()
    r = boot(hostd)
    assert r.returncode == 0, r.stderr
    assert "(0 files" in r.stderr, r.stderr
    assert etc_files(hostd.root) == {}
    hostd.start()            # defaults: root's password from the env
    si = hostd.connect()
    assert host_of(si).runtime.inMaintenanceMode is False
    assert not [u for u in si.content.userDirectory.RetrieveUserGroups(
        None, "alice", None, None, True, True, False)]
    wait(host_of(si).ExitMaintenanceMode_Task(timeout=0))


def test_a_restore_keeps_what_the_operator_asks_to_keep(a_and_b):
    """UserVars.ConfigRestoreKeep on the receiving host: its own
    certificate and accounts stay, the rest comes from the bundle."""
    a, b, bundle = a_and_b
    sb = b.connect()
    opts = host_of(sb).configManager.advancedOption
    for bad in ("../x", "/etc/shadow", "ssl,,passwd", "a b"):
        with pytest.raises(vmodl.fault.InvalidArgument):
            opts.UpdateOptions([vim.option.OptionValue(
                key="UserVars.ConfigRestoreKeep", value=bad)])
    opts.UpdateOptions([vim.option.OptionValue(
        key="UserVars.ConfigRestoreKeep",
        value="ssl,passwd,shadow,group")])
    etc_b = os.path.join(b.root, "etc", "basalt")
    own = {f: open(os.path.join(etc_b, f), "rb").read()
           for f in ("passwd", "shadow", "ssl/rui.crt", "ssl/rui.key")}
    assert upload(b, bundle) in (200, 201)
    wait(host_of(sb).EnterMaintenanceMode_Task(timeout=0))
    host_of(sb).configManager.firmwareSystem \
        .RestoreFirmwareConfiguration(force=False)
    r = boot(b)
    assert r.returncode == 0, r.stderr
    for f, data in own.items():
        assert open(os.path.join(etc_b, f), "rb").read() == data, f
    etc_a = os.path.join(a.root, "etc", "basalt")
    assert open(os.path.join(etc_b, "advanced.conf")).read() == \
        open(os.path.join(etc_a, "advanced.conf")).read()
    b.start(env_password=False)
    sb = b.connect()                 # B's own root password
    assert host_of(sb).configManager.advancedOption.QueryOptions(
        "Syslog.global.logHost")[0].value == "tcp://192.0.2.7:514"
    with pytest.raises(vim.fault.InvalidLogin):
        b.connect("alice", "Ax-secret-4321")


def test_a_failed_update_is_an_event(hostd_bin, tmp_path):
    """init's boot.status after a fallback becomes an event, once."""
    os.makedirs(tmp_path / "h")
    run = tmp_path / "h" / "root" / "var" / "run" / "basalt"
    os.makedirs(run)
    (run / "boot.status").write_text(
        "bank=2\nversion=0.1.0\ntrial=0\nfallback=the update in boot "
        "bank 1 (Basalt 9) did not come up healthy; boot bank 2 runs "
        "again\n")
    h = Hostd(hostd_bin, tmp_path / "h" / "root")
    try:
        si = h.connect()
        events = si.content.eventManager.QueryEvents(
            vim.event.EventFilterSpec())
        failed = [ev for ev in events
                  if isinstance(ev, vim.event.GeneralHostErrorEvent)]
        assert len(failed) == 1, [e.fullFormattedMessage for e in events]
        assert failed[0].message.startswith("Update failed: the update in "
                                            "boot bank 1 (Basalt 9)")
        h.stop()
        h.start()
        events = h.connect().content.eventManager.QueryEvents(
            vim.event.EventFilterSpec())
        assert not [ev for ev in events
                    if isinstance(ev, vim.event.GeneralHostErrorEvent)]
    finally:
        h.stop()
