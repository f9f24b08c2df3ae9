"""The console's first screen (src/dcui, issue 7's part): on a host whose
root password is blank it shows the host and asks for a password, which
it sets through hostd's console socket, so hostd's password rules apply
and pyVmomi then logs in with it."""
import os
import subprocess
import time

from conftest import built
from hostd import Hostd


def test_console_asks_for_roots_password(hostd_bin, tmp_path):
    h = Hostd(hostd_bin, tmp_path / "root", password=None)
    try:
        p = subprocess.Popen([built("src/dcui/dcui"), "--root", h.root],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
        # Too short for the rules, then two that differ, then a good one.
        p.stdin.write(b"short\nshort\nGood-pass-91\nGood-diff-91\n"
                      b"Good-pass-91\nGood-pass-91\n")
        p.stdin.close()
        shadow = os.path.join(h.root, "etc", "basalt", "shadow")
        deadline = time.monotonic() + 30
        while open(shadow).readline().startswith("root::"):
            assert time.monotonic() < deadline, "root's password not set"
            assert p.poll() is None, p.stdout.read()
            time.sleep(0.2)
        time.sleep(0.5)
        p.kill()
        p.wait()
        out = p.stdout.read().decode()
        assert "Basalt" in out and "Root's password is not set" in out
        assert "Not set:" in out and "password rules" in out, out
        assert "The passwords differ" in out
        assert "Root's password is set" in out
        # The thumbprint of the certificate hostd made (SHA-256, 32
        # bytes as hex pairs).
        assert any(len(line.strip().split(":")) == 32
                   for line in out.splitlines()), out
        si = h.connect(password="Good-pass-91")
        assert si.content.about.productLineId
    finally:
        h.stop()
