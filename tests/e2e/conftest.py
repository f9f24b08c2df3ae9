"""Fixtures for the end-to-end tier (docs/testing.md, tier 3)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tests"))

from testbed.testbed import Testbed  # noqa: E402

BUILD = os.environ.get("BASALT_BUILD_DIR",
                       os.path.join(ROOT, "build", "release"))


def built(relpath):
    path = os.path.join(BUILD, relpath)
    if not os.path.exists(path):
        pytest.fail(f"{path} is missing: run `make build` first")
    return path


@pytest.fixture(scope="session")
def vmx_bin():
    return built("src/vmx/vmx")


@pytest.fixture(scope="session")
def hello_guest():
    return built("tests/guest/hello.guest")


def kvm_unusable_reason():
    try:
        fd = os.open("/dev/kvm", os.O_RDWR)
    except OSError as e:
        return f"/dev/kvm not usable ({e.strerror}): this test runs a guest"
    os.close(fd)
    return None


@pytest.fixture
def need_kvm():
    why = kvm_unusable_reason()
    if why:
        pytest.skip(why)


@pytest.fixture
def testbed(tmp_path):
    """A fresh, not yet booted L1 machine; add files, then boot()."""
    tb = Testbed(tmp_path / "testbed")
    yield tb
    tb.close()


@pytest.fixture(scope="session")
def tcpblast_bin():
    return built("tests/tools/tcpblast")


@pytest.fixture(scope="session")
def vmxctl_bin():
    return built("src/cli/vmxctl")


@pytest.fixture(scope="session")
def control_guest():
    """A tiny guest that runs until the ACPI power button is pressed."""
    return built("tests/guest/control.guest")


def pytest_pyfunc_call(pyfuncitem):
    """Run a test once more when its L1 was lost under it (L1Lost: QEMU
    died or L1 stopped answering, the emulated bed's own failure in
    docs/testing.md). The bed boots afresh with the same files; the test
    starts over from the beginning, so nothing it did before the loss is
    trusted. Only that failure is retried, and only once: an assertion
    failure, or a second loss, fails the test as usual."""
    from testbed.testbed import L1Lost
    args = {name: pyfuncitem.funcargs[name]
            for name in pyfuncitem._fixtureinfo.argnames}
    try:
        pyfuncitem.obj(**args)
    except L1Lost as e:
        print(f"L1 lost; running {pyfuncitem.name} once more on a fresh "
              f"L1:\n{e}")
        pyfuncitem.obj(**args)
    return True


ASAN_BUILD = os.environ.get("BASALT_ASAN_DIR",
                            os.path.join(ROOT, "build", "asan"))


@pytest.fixture(scope="session")
def hostd_bin():
    """hostd as the tests on this machine run it: the sanitizer build
    when there is one (`make test` makes both), so that every API test
    is also a check for memory errors and undefined behaviour (Hostd.stop
    fails a test whose hostd reported any)."""
    asan = os.path.join(ASAN_BUILD, "src/hostd/hostd")
    return asan if os.path.exists(asan) else built("src/hostd/hostd")


@pytest.fixture
def hostd(hostd_bin, tmp_path):
    """A hosted hostd of the test's own (tests/e2e/hostd.py), stopped
    after it: the test fails unless hostd then exits cleanly."""
    from hostd import Hostd
    h = Hostd(hostd_bin, tmp_path / "root")
    yield h
    h.stop()


@pytest.fixture(scope="session")
def rhttpproxy_bin():
    """rhttpproxy, the sanitizer build when there is one (as hostd)."""
    asan = os.path.join(ASAN_BUILD, "src/rhttpproxy/rhttpproxy")
    return asan if os.path.exists(asan) else built(
        "src/rhttpproxy/rhttpproxy")


@pytest.fixture(scope="session")
def syslogd_bin():
    """syslogd, the sanitizer build when there is one (as hostd)."""
    asan = os.path.join(ASAN_BUILD, "src/syslogd/syslogd")
    return asan if os.path.exists(asan) else built("src/syslogd/syslogd")


@pytest.fixture
def proxy(hostd, rhttpproxy_bin):
    """rhttpproxy in front of the test's hostd (tests/e2e/rhttpproxy.py);
    the test fails unless it then exits cleanly."""
    from rhttpproxy import Proxy
    p = Proxy(rhttpproxy_bin, hostd)
    yield p
    p.stop()


GOPATH = "/usr/share/gocode"
SOURCE = os.path.join(ROOT, "tests", "tools", "govc_smoke")


@pytest.fixture(scope="session")
def govc_smoke():
    """tests/tools/govc_smoke, built against Debian's govmomi."""
    if not os.path.isdir(os.path.join(GOPATH, "src/github.com/vmware/"
                                      "govmomi")):
        pytest.fail("govmomi is missing: run `make deps-test`")
    out = os.path.join(BUILD, "tests", "tools", "govc_smoke")
    env = dict(os.environ, GO111MODULE="off", GOPATH=GOPATH,
               GOCACHE=os.path.join(BUILD, "go-cache"), GOFLAGS="")
    r = subprocess.run(["go", "build", "-o", out, "."], cwd=SOURCE,
                       env=env, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out
