"""basalt-update over a root of its own (the appliance's paths under a
folder): a signed bundle is written into the other bank and marked to
boot next; a refused one changes nothing; a running system on trial
takes no other update. test_appliance_update.py does the same on the
appliance with its reboots."""
import hashlib
import os
import subprocess

import pytest

from conftest import ASAN_BUILD, built

ENV_HEAD = b"# GRUB Environment Block\n"


def tool():
    asan = os.path.join(ASAN_BUILD, "src/update/basalt-update")
    return asan if os.path.exists(asan) else built("src/update/basalt-update")


def grubenv(path, **vars):
    body = ENV_HEAD + b"".join(f"{k}={v}\n".encode()
                               for k, v in vars.items())
    path.write_bytes(body + b"#" * (1024 - len(body)))


def read_env(path):
    data = path.read_bytes()
    assert len(data) == 1024 and data.startswith(ENV_HEAD)
    out = {}
    for line in data[len(ENV_HEAD):].split(b"\n"):
        if b"=" in line and not line.startswith(b"#"):
            k, v = line.decode().split("=", 1)
            out[k] = v
    return out


@pytest.fixture
def host(tmp_path):
    """A root like the appliance's: bank 1 runs, bank 2 is the other."""
    root = tmp_path / "root"
    for d in ("var/run/basalt", "bootbank", "altbootbank/state",
              "bootpart/grub", "usr/share/basalt"):
        os.makedirs(root / d)
    (root / "var/run/basalt/boot.status").write_text("bank=1\ntrial=0\n")
    (root / "altbootbank/old-file").write_text("old")
    (root / "altbootbank/state/state-3.bst").write_text("kept")
    grubenv(root / "bootpart/grub/grubenv", bank="1")
    key = tmp_path / "signing.pem"
    r = subprocess.run([tool(), "keygen", str(key),
                        str(root / "usr/share/basalt/update-key.pem")])
    assert r.returncode == 0
    return root, key


def bundle(tmp_path, key, version="2.0.0"):
    bank = tmp_path / f"bank-{version}"
    os.makedirs(bank)
    files = {"vmlinuz": b"kernel " * 100, "basalt.zst": b"initrd " * 200,
             "bankenv": b"# GRUB Environment Block\n"}
    lines = ["product=Basalt", f"version={version}", "build=t1",
             "kernel=k1"]
    for name, data in sorted(files.items()):
        (bank / name).write_bytes(data)
        lines.append(f"file={name} {len(data)} "
                     f"{hashlib.sha256(data).hexdigest()}")
    (bank / "manifest").write_text("\n".join(lines) + "\n")
    out = tmp_path / f"{version}.bub"
    r = subprocess.run([tool(), "pack", "--key", str(key), "--dir",
                        str(bank), "--out", str(out)], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    return out, files


def run(root, *args):
    return subprocess.run([tool(), *args, "--root", str(root)],
                          capture_output=True, text=True)


def test_apply_writes_the_other_bank_and_marks_it(host, tmp_path):
    root, key = host
    path, files = bundle(tmp_path, key)
    r = run(root, "apply", str(path))
    assert r.returncode == 0, r.stderr
    alt = root / "altbootbank"
    for name, data in files.items():
        assert (alt / name).read_bytes() == data
    assert "version=2.0.0" in (alt / "manifest").read_text()
    assert not (alt / "old-file").exists()
    assert (alt / "state/state-3.bst").read_text() == "kept"
    env = read_env(root / "bootpart/grub/grubenv")
    assert env == {"bank": "1", "try_bank": "2", "try_left": "1",
                   "try_version": "2.0.0"}
    st = run(root, "status")
    assert "next:    boot bank 2 (Basalt 2.0.0), tries left 1" in st.stdout


def test_a_refused_bundle_changes_nothing(host, tmp_path):
    root, key = host
    path, _ = bundle(tmp_path, key)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 1
    bad = tmp_path / "bad.bub"
    bad.write_bytes(bytes(data))
    before = sorted(os.listdir(root / "altbootbank"))
    env = (root / "bootpart/grub/grubenv").read_bytes()
    r = run(root, "apply", str(bad))
    assert r.returncode == 3 and "refused" in r.stderr, r.stderr
    assert sorted(os.listdir(root / "altbootbank")) == before
    assert (root / "bootpart/grub/grubenv").read_bytes() == env
    # Not a bundle at all; and a truncated one.
    (tmp_path / "junk.bub").write_bytes(b"BUPDATE1" + b"\0" * 100)
    assert run(root, "apply", str(tmp_path / "junk.bub")).returncode == 3
    (tmp_path / "cut.bub").write_bytes(path.read_bytes()[:-10])
    assert run(root, "apply", str(tmp_path / "cut.bub")).returncode == 3
    assert (root / "bootpart/grub/grubenv").read_bytes() == env


def test_no_update_while_the_running_system_is_on_trial(host, tmp_path):
    root, key = host
    grubenv(root / "bootpart/grub/grubenv", bank="2", try_bank="1",
            try_left="0", try_version="1.5")
    path, _ = bundle(tmp_path, key)
    r = run(root, "apply", str(path))
    assert r.returncode == 1 and "on trial" in r.stderr, r.stderr
    assert (root / "altbootbank/old-file").exists()
    assert read_env(root / "bootpart/grub/grubenv")["try_bank"] == "1"
