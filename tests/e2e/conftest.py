"""Fixtures for the end-to-end tier (docs/testing.md, tier 3)."""
import os
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
