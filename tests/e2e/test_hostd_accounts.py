"""The host's accounts as files (issue 5, first steps): passwd, shadow and
group in their standard formats under the config root, the system's own
users and groups made on first start, root's hash one that Python's crypt
verifies, and a host from before these files keeping root's password."""
import os
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # deprecated in 3.11, still the stdlib's crypt(3)

import pytest

from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import vim  # noqa: E402


def read(h, name):
    with open(os.path.join(h.root, "etc", "basalt", name)) as f:
        return [line.split(":") for line in f.read().splitlines()]


def test_first_start_makes_standard_files(hostd):
    passwd = {f[0]: f for f in read(hostd, "passwd")}
    shadow = {f[0]: f for f in read(hostd, "shadow")}
    group = {f[0]: f for f in read(hostd, "group")}
    assert all(len(f) == 7 for f in passwd.values())
    assert all(len(f) == 9 for f in shadow.values())
    assert all(len(f) == 4 for f in group.values())
    assert passwd["root"][2:4] == ["0", "0"]
    assert {"dcui", "vpxuser"} <= set(passwd)
    assert {"root", "users", "localadmin"} <= set(group)
    # The system users cannot log in: no hash, no shell.
    for name in ("dcui", "vpxuser"):
        assert shadow[name][1] == "*"
        assert passwd[name][6] == "/sbin/nologin"
    root_hash = shadow["root"][1]
    assert root_hash.startswith("$y$")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert crypt.crypt(hostd.password, root_hash) == root_hash
    mode = os.stat(os.path.join(hostd.root, "etc", "basalt",
                                "shadow")).st_mode
    assert mode & 0o077 == 0
    # System users are refused at the API's door, like any wrong login.
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="dcui", password="")
    # A restart changes nothing.
    before = [read(hostd, n) for n in ("passwd", "shadow", "group")]
    hostd.stop()
    hostd.start()
    assert [read(hostd, n) for n in ("passwd", "shadow", "group")] == before


def test_a_host_with_only_roots_shadow_line_keeps_its_password(hostd_bin,
                                                               tmp_path):
    conf = tmp_path / "root" / "etc" / "basalt"
    conf.mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = crypt.crypt("old-password", crypt.mksalt(crypt.METHOD_SHA512))
    (conf / "shadow").write_text(f"root:{old}:20000:0:99999:7:::\n")
    h = Hostd(hostd_bin, tmp_path / "root", password=None)
    try:
        assert "root password" not in h.startup_output
        h.connect(password="old-password")
        assert (conf / "passwd").exists() and (conf / "group").exists()
    finally:
        h.stop()


def test_a_broken_passwd_file_stops_hostd_with_the_line(hostd_bin,
                                                        tmp_path):
    conf = tmp_path / "root" / "etc" / "basalt"
    conf.mkdir(parents=True)
    (conf / "passwd").write_text("root:x:0:0:root:/:/bin/sh\nBad Line\n")
    with pytest.raises(AssertionError, match="passwd:2: expected 7 fields"):
        Hostd(hostd_bin, tmp_path / "root")
    assert (conf / "passwd").read_text() == \
        "root:x:0:0:root:/:/bin/sh\nBad Line\n"
