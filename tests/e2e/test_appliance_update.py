"""Software updates of the appliance (issue 8): an update bundle is
handed to the host through the VI API (HostPatchManager
InstallHostPatchV2_Task, the bundle on a datastore), written into the
boot bank that is not running and booted next, once. A bundle with a
bad signature is refused before anything is written; a new version
boots and stays (healthy once its agents have run); a version whose
system does not come up (its initramfs has no init: the kernel panics)
is left by itself: GRUB boots the previous bank and init says so.

The bundles are made here from the image's own (build/basalt-<v>.bub)
with the build's signing key (build/keys), as a release would make
them with its own."""
import gzip
import hashlib
import io
import os
import re
import ssl
import subprocess
import sys
import time

import pytest
import requests
import urllib3

from appliance import PASSWORD, Appliance
from conftest import ROOT, built

pytest.importorskip("pyVmomi")
from pyVim.connect import Disconnect, SmartConnect  # noqa: E402
from pyVmomi import vim  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "image"))
import cpio  # noqa: E402

urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
BUILD = os.path.join(ROOT, "build")
IMAGE = os.environ.get("BASALT_IMAGE", os.path.join(BUILD, "basalt.img"))
KEY = os.path.join(BUILD, "keys", "update-signing.pem")
BOOT_TIMEOUT_S = 300


def image_bundle():
    with open(os.path.join(ROOT, "meson.build")) as f:
        version = re.search(r"version: '([^']+)'", f.read()).group(1)
    return os.path.join(BUILD, f"basalt-{version}.bub"), version


def unpack(bundle, out):
    """The bank's files and manifest from a bundle (docs/formats/
    update.md)."""
    with open(bundle, "rb") as f:
        data = f.read()
    assert data[:8] == b"BUPDATE1"
    mlen = int.from_bytes(data[8:12], "little")
    manifest = data[12:12 + mlen].decode()
    at = 12 + mlen
    os.makedirs(out, exist_ok=True)
    for name, size in re.findall(r"^file=(\S+) (\d+) ", manifest, re.M):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data[at:at + int(size)])
        at += int(size)
    return manifest


def pack(bank, manifest, version, out):
    """A bundle of bank's files with a new version, its manifest's sizes
    and checksums made anew, signed with the build's key."""
    subprocess.run(["grub-editenv", os.path.join(bank, "bankenv"), "set",
                    f"version={version}"], check=True)
    lines = [l for l in manifest.splitlines() if not l.startswith("file=")]
    lines = [f"version={version}" if l.startswith("version=") else l
             for l in lines]
    for name in sorted(os.listdir(bank)):
        if name == "manifest":
            continue
        with open(os.path.join(bank, name), "rb") as f:
            data = f.read()
        lines.append(f"file={name} {len(data)} "
                     f"{hashlib.sha256(data).hexdigest()}")
    with open(os.path.join(bank, "manifest"), "w") as f:
        f.write("\n".join(lines) + "\n")
    r = subprocess.run([built("src/update/basalt-update"), "pack", "--key",
                        KEY, "--dir", bank, "--out", out],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def no_init_initramfs():
    """An initramfs whose /init cannot run: the kernel panics."""
    buf = io.BytesIO()
    w = cpio.CpioWriter(buf)
    w.file("init", b"not a program\n", 0o755)
    w.close()
    return gzip.compress(buf.getvalue())


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    a = Appliance(tmp_path_factory.mktemp("appliance-update"), IMAGE)
    try:
        # Reboots happen in place (QEMU goes on, as a server does, and
        # its memory survives for pstore).
        a.boot(BOOT_TIMEOUT_S, reboot_exits=False)
        yield a
    finally:
        print("--- appliance console (last lines)\n" +
              "\n".join(a.console().splitlines()[-40:]))
        a.close()


def connect(app):
    return SmartConnect(host="127.0.0.1", port=app.https_port, user="root",
                        pwd=PASSWORD,
                        sslContext=ssl._create_unverified_context())


def wait_task(task, timeout=300):
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        assert time.monotonic() < deadline, f"task still {task.info.state}"
        time.sleep(1)
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def host_of(si):
    return si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0]


def upload(app, name, path):
    with open(path, "rb") as f:
        r = requests.put(f"https://127.0.0.1:{app.https_port}/folder/{name}",
                         params={"dsName": "datastore1"}, data=f,
                         auth=("root", PASSWORD), verify=False, timeout=600)
    assert r.status_code in (200, 201), (r.status_code, r.text)


def install(app, name):
    si = connect(app)
    try:
        return wait_task(host_of(si).configManager.patchManager
                         .InstallHostPatchV2_Task(
                             bundleUrls=[f"[datastore1] {name}"]))
    finally:
        Disconnect(si)


def status(app):
    out, rc = app.shell("basalt-update status")
    assert rc == 0, out
    return out


def bank_sums(app):
    """What a refused update must not touch (short commands: the shell's
    terminal is 80 columns)."""
    a, rc = app.shell("md5sum /altbootbank/[bmv]*")
    assert rc == 0, a
    b, rc = app.shell("md5sum /bootpart/grub/grubenv")
    assert rc == 0, b
    return a + b


def reboot(app):
    """RebootHost_Task; returns the console's length before it."""
    mark = len(app.console())
    si = connect(app)
    wait_task(host_of(si).RebootHost_Task(force=True))
    app.wait_console(r"init: rebooting", 240, after=mark)
    if app.sock is not None:
        app.sock.close()
        app.sock = None
    return mark


def test_a_bad_signature_is_refused_before_anything_is_written(
        app, tmp_path):
    bundle, _ = image_bundle()
    with open(bundle, "rb") as f:
        data = bytearray(f.read())
    data[len(data) // 2] ^= 0x40      # inside the initramfs
    bad = tmp_path / "bad.bub"
    bad.write_bytes(bytes(data))
    before = bank_sums(app)
    upload(app, "bad.bub", bad)
    with pytest.raises(vim.fault.PatchIntegrityError) as ei:
        install(app, "bad.bub")
    assert "signature does not verify" in ei.value.msg, ei.value.msg
    assert bank_sums(app) == before
    assert "next:" not in status(app)
    # Signed, but not by the image's key.
    other = tmp_path / "other"
    os.makedirs(other)
    r = subprocess.run([built("src/update/basalt-update"), "keygen",
                        str(other / "k.pem"), str(other / "p.pem")])
    assert r.returncode == 0
    bank = tmp_path / "bank-other"
    manifest = unpack(bundle, bank)
    global KEY
    saved, KEY = KEY, str(other / "k.pem")
    try:
        pack(str(bank), manifest, "9.9.9", str(tmp_path / "foreign.bub"))
    finally:
        KEY = saved
    upload(app, "foreign.bub", tmp_path / "foreign.bub")
    with pytest.raises(vim.fault.PatchIntegrityError):
        install(app, "foreign.bub")
    assert bank_sums(app) == before


def test_an_update_boots_and_stays(app, tmp_path):
    bundle, version = image_bundle()
    bank = tmp_path / "bank"
    manifest = unpack(bundle, bank)
    new = f"{version}-u2"
    upload(app, "new.bub", pack(str(bank), manifest, new,
                                str(tmp_path / "new.bub")))
    install(app, "new.bub")
    st = status(app)
    assert re.search(r"running: boot bank 1, Basalt " + re.escape(version),
                     st), st
    assert re.search(rf"next:\s+boot bank 2 \(Basalt {re.escape(new)}\)",
                     st), st
    mark = reboot(app)
    app.wait_console("basalt: ready", BOOT_TIMEOUT_S, after=mark)
    con = app.console()[mark:]
    assert f"Basalt {new} (boot bank 2)" in con      # GRUB's menu
    assert "boot bank 2 boots for the first time" in con, con[-3000:]
    app.wait_console(r"the update in boot bank 2 is healthy", 120,
                     after=mark)
    st = status(app)
    assert re.search(rf"running: boot bank 2, Basalt {re.escape(new)}",
                     st), st
    assert "default: boot bank 2" in st and "next:" not in st, st
    # The host's state came along (root's password, the datastore).
    si = connect(app)
    assert host_of(si).datastore[0].name == "datastore1"
    Disconnect(si)


def test_a_broken_update_falls_back_by_itself(app, tmp_path):
    bundle, version = image_bundle()
    bank = tmp_path / "bank"
    manifest = unpack(bundle, bank)
    with open(bank / "basalt.zst", "wb") as f:
        f.write(no_init_initramfs())
    broken = f"{version}-broken"
    upload(app, "broken.bub", pack(str(bank), manifest, broken,
                                   str(tmp_path / "broken.bub")))
    install(app, "broken.bub")
    assert f"next:    boot bank 1 (Basalt {broken})" in status(app)
    mark = reboot(app)
    # The new system's kernel finds no init and panics; panic=10
    # reboots; GRUB finds no try left and boots bank 2 again.
    app.wait_console("basalt: ready", 2 * BOOT_TIMEOUT_S, after=mark)
    con = app.console()[mark:]
    assert "Kernel panic - not syncing: No working init found" in con, \
        con[-3000:]
    assert re.search(rf"UPDATE FAILED: the update in boot bank 1 \(Basalt "
                     rf"{re.escape(broken)}\) did not come up healthy; "
                     r"boot bank 2 runs again", con), con[-3000:]
    st = status(app)
    assert re.search(r"running: boot bank 2, Basalt " +
                     re.escape(f"{version}-u2"), st), st
    assert "default: boot bank 2" in st and "next:" not in st, st
    assert "this boot: the update in boot bank 1" in st, st
    out, rc = app.shell("cat /var/run/basalt/boot.status")
    assert "fallback=the update in boot bank 1" in out, out
    # Clients see it too: an event.
    si = connect(app)
    try:
        events = si.content.eventManager.QueryEvents(
            vim.event.EventFilterSpec())
        assert any(isinstance(ev, vim.event.GeneralHostErrorEvent) and
                   "boot bank 1" in ev.message for ev in events), \
            [ev.fullFormattedMessage for ev in events]
    finally:
        Disconnect(si)


def download_core(app, name=""):
    r = requests.get(f"https://127.0.0.1:{app.https_port}/host/core/{name}",
                     auth=("root", PASSWORD), verify=False, timeout=120)
    assert r.status_code == 200, (r.status_code, name)
    return r


def test_crash_dumps_are_kept_on_the_core_partition(app):
    """An agent's core dump and the kernel's last messages before a
    crash land on the core-dump partition and can be downloaded after
    the reboot (/host/core/, administrators)."""
    out, rc = app.shell("kill -SEGV $(busybox pidof rhttpproxy)")
    assert rc == 0, out
    app.wait_console(r"rhttpproxy killed by signal 11", 60)
    app.wait_console(r"started rhttpproxy", 60,
                     after=app.console().rfind("killed by signal 11"))
    deadline = time.monotonic() + 60
    while True:
        try:
            listing = download_core(app).text
            break
        except (requests.ConnectionError, AssertionError):
            assert time.monotonic() < deadline
            time.sleep(2)
    cores = re.findall(r'href="/host/core/(rhttpproxy-\d+\.core)"', listing)
    assert cores, listing
    core = download_core(app, cores[0]).content
    # An ELF core file (ET_CORE), x86-64.
    assert core[:4] == b"\x7fELF" and core[16] == 4, core[:32]
    r = requests.get(f"https://127.0.0.1:{app.https_port}/host/core/",
                     verify=False, timeout=60)
    assert r.status_code == 401
    # A kernel crash, with a warm reboot that keeps the memory pstore
    # uses (QEMU goes on across the reset).
    mark = len(app.console())
    try:
        app.shell("echo c > /proc/sysrq-trigger", timeout=5)
    except Exception:
        pass              # the shell goes with the kernel
    app.sock = None
    m = app.wait_console(r"THE KERNEL CRASHED before this boot: ([^\n]*)",
                         BOOT_TIMEOUT_S, after=mark)
    assert "sysrq triggered crash" in m.group(1), m.group(0)
    app.wait_console("basalt: ready", BOOT_TIMEOUT_S, after=mark)
    listing = download_core(app).text
    logs = re.findall(r'href="/host/core/(kernel-[^"]+)"', listing)
    assert logs, listing
    text = download_core(app, logs[0]).text
    assert "Kernel panic - not syncing: sysrq triggered crash" in text
    # The agent's core from before is still there.
    assert cores[0] in listing
