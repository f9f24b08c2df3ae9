"""stated, the host's state keeper (issue 8), run as a daemon over a
folder of its own: changes are saved as generations within its quiet
time, bursts coalesce, writers' temporaries do not count, a stop saves
what is pending, and what it saved restores the same files."""
import os
import re
import signal
import subprocess
import time

import pytest

from conftest import ASAN_BUILD, built

QUIET_MS = 300
MAX_DELAY_MS = 1500


@pytest.fixture(scope="session")
def stated_bin():
    asan = os.path.join(ASAN_BUILD, "src/stated/stated")
    return asan if os.path.exists(asan) else built("src/stated/stated")


class Stated:
    def __init__(self, binary, root):
        self.bin, self.root = binary, str(root)
        self.etc = os.path.join(self.root, "etc", "basalt")
        self.slot = os.path.join(self.root, "slot")
        os.makedirs(self.etc, exist_ok=True)
        self.log_path = os.path.join(self.root, "stated.log")
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [self.bin, "--daemon", "--root", self.root, "--slot", self.slot,
             "--quiet-ms", str(QUIET_MS), "--max-delay-ms",
             str(MAX_DELAY_MS)], stdout=self.log, stderr=self.log)
        self.wait_log("watching")

    def text(self):
        with open(self.log_path, errors="replace") as f:
            return f.read()

    def wait_log(self, pattern, count=1, timeout=10):
        end = time.time() + timeout
        while time.time() < end:
            if len(re.findall(pattern, self.text())) >= count:
                return
            time.sleep(0.05)
        raise AssertionError(f"no {pattern!r} x{count} in:\n{self.text()}")

    def saves(self):
        return re.findall(r"saved state generation (\d+)", self.text())

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            assert self.proc.wait(10) == 0, self.text()
            self.proc = None
            self.log.close()
        assert "ERROR: AddressSanitizer" not in self.text()
        assert "runtime error" not in self.text()

    def write(self, rel, data, atomic=True):
        path = os.path.join(self.etc, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = path + ".tmp" if atomic else path
        with open(tmp, "w") as f:
            f.write(data)
        if atomic:
            os.rename(tmp, path)

    def run(self, *args):
        return subprocess.run([self.bin, *args, "--root", self.root,
                               "--slot", self.slot], capture_output=True,
                              text=True)


@pytest.fixture
def stated(stated_bin, tmp_path):
    s = Stated(stated_bin, tmp_path / "host")
    yield s
    if s.proc is not None:
        s.stop()


def restored(s, where):
    """The newest generation restored into a fresh root: {rel: text}."""
    r = subprocess.run([s.bin, "--restore", "--root", str(where), "--slot",
                        s.slot], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    out = {}
    etc = os.path.join(str(where), "etc", "basalt")
    for d, _, files in os.walk(etc):
        for f in files:
            with open(os.path.join(d, f)) as fh:
                out[os.path.relpath(os.path.join(d, f), etc)] = fh.read()
    return out


def test_changes_are_saved_coalesced_and_restored(stated, tmp_path):
    stated.write("hostd.conf", "a = \"1\"\n")
    stated.start()
    stated.wait_log(r"saved state generation 1 ")   # what was there
    # A burst of writes across files and a new folder: one generation.
    for i in range(20):
        stated.write("passwd", f"root:x:0:0::/:/bin/sh\nu{i}:x:{1000 + i}:"
                     f"1000::/:/bin/sh\n")
        stated.write("ssl/rui.key", f"key {i}\n")
    stated.wait_log(r"saved state generation 2 ")
    time.sleep(QUIET_MS * 3 / 1000)
    assert stated.saves() == ["1", "2"], stated.text()
    got = restored(stated, tmp_path / "r1")
    assert got == {"hostd.conf": "a = \"1\"\n",
                   "passwd": "root:x:0:0::/:/bin/sh\nu19:x:1019:1000::/:"
                             "/bin/sh\n",
                   "ssl/rui.key": "key 19\n"}
    # Writers' temporaries and locks are not state: nothing is saved.
    stated.write("inventory.new", "x", atomic=False)
    stated.write(".lock", "", atomic=False)
    time.sleep(QUIET_MS * 4 / 1000)
    assert stated.saves() == ["1", "2"], stated.text()
    # A file removed is a change; only two generations stay on disk.
    os.unlink(os.path.join(stated.etc, "hostd.conf"))
    stated.wait_log(r"saved state generation 3 ")
    assert sorted(os.listdir(stated.slot)) == ["state-2.bst", "state-3.bst"]
    assert "hostd.conf" not in restored(stated, tmp_path / "r2")


def test_a_steady_stream_is_saved_within_the_longest_delay(stated):
    stated.start()
    stated.wait_log(r"saved state generation 1 ")
    start = time.time()
    # Changes closer together than the quiet time, for longer than the
    # longest delay: a save must still come.
    while time.time() - start < MAX_DELAY_MS * 2 / 1000:
        stated.write("advanced.conf", f"x = \"{time.time()}\"\n")
        time.sleep(QUIET_MS / 3000)
    assert len(stated.saves()) >= 2, stated.text()


def test_stopping_saves_what_is_pending(stated, tmp_path):
    stated.start()
    stated.wait_log(r"saved state generation 1 ")
    stated.write("shadow", "root:$y$x:1::::::\n")
    time.sleep(0.05)      # seen, but well inside the quiet time
    stated.stop()
    assert stated.saves() == ["1", "2"], stated.text()
    assert restored(stated, tmp_path / "r")["shadow"] == "root:$y$x:1::::::\n"
    # --save after it: nothing changed, nothing written.
    r = stated.run("--save")
    assert r.returncode == 0 and "nothing changed since generation 2" in \
        r.stderr, r.stderr
    assert stated.run("--show").stdout.startswith("generation 2\n")


def test_the_interval_comes_from_the_advanced_option(stated):
    stated.write("advanced.conf",
                 'UserVars.StateSaveInterval = "120"\n')
    stated.start()
    assert "comparing every 120 s" in stated.text()
    stated.write("advanced.conf", 'UserVars.StateSaveInterval = "5"\n')
    stated.wait_log(r"not 60\.\.86400 seconds")
    stated.write("advanced.conf", 'UserVars.StateSaveInterval = "900"\n')
    stated.wait_log(r"comparing every 900 s")


def test_restore_refuses_a_damaged_newest_and_says_so(stated, tmp_path):
    stated.write("a", "one\n")
    stated.start()
    stated.wait_log(r"saved state generation 1 ")
    stated.write("a", "two\n")
    stated.wait_log(r"saved state generation 2 ")
    stated.stop()
    path = os.path.join(stated.slot, "state-2.bst")
    with open(path, "r+b") as f:
        f.seek(40)
        b = f.read(1)
        f.seek(40)
        f.write(bytes([b[0] ^ 1]))
    r = subprocess.run([stated.bin, "--restore", "--root",
                        str(tmp_path / "r"), "--slot", stated.slot],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "1 newer state generation(s)" in r.stderr, r.stderr
    assert "restored state generation 1 " in r.stderr, r.stderr
    with open(tmp_path / "r" / "etc" / "basalt" / "a") as f:
        assert f.read() == "one\n"
    # An empty slot: defaults, loudly, exit 3.
    r = subprocess.run([stated.bin, "--restore", "--root",
                        str(tmp_path / "r3"), "--slot",
                        str(tmp_path / "none")], capture_output=True,
                       text=True)
    assert r.returncode == 3 and "NO SAVED STATE" in r.stderr, r.stderr
