"""The nested test bed works end to end (docs/testing.md, tier 3):

- L1 (Debian's cloud kernel under QEMU TCG with -cpu max) boots and its
  /dev/kvm runs a KVM program: Basalt's own vmx with the demo guest;
- QEMU inside L1 boots the same Debian kernel as an L2 guest (the
  reference the VMM is measured against), and the L2 console is checked;
- the fixture's own promises: files in, commands with status and output,
  forwarded TCP ports, timeouts that report and recover, a lost L1
  that is reported and booted again.
"""
import io
import time
import urllib.request

import pytest

from testbed.testbed import cpio  # image/cpio.py

L2_MARKER = "L2-BASALT-OK"


def l2_initramfs():
    """busybox-only initramfs: print a marker with facts, then power off."""
    buf = io.BytesIO()
    w = cpio.CpioWriter(buf)
    with open("/bin/busybox", "rb") as f:
        w.file("bin/busybox", f.read(), 0o755)
    w.file("init", (
        "#!/bin/busybox sh\n"
        "/bin/busybox mkdir -p /proc\n"
        "/bin/busybox mount -t proc proc /proc\n"
        f'echo "{L2_MARKER} kernel=$(/bin/busybox uname -r) '
        'cpus=$(/bin/busybox nproc)"\n'
        "/bin/busybox poweroff -f\n").encode(), 0o755)
    w.close()
    return buf.getvalue()


@pytest.fixture(scope="module")
def l1(tmp_path_factory, vmx_bin, hello_guest):
    """One L1 machine shared by this module's tests (boot once)."""
    from testbed.testbed import Testbed
    tb = Testbed(tmp_path_factory.mktemp("l1"))
    tb.add_program(vmx_bin, "/bin/vmx")  # with the libraries it links
    tb.add_file(hello_guest, "/guests/hello.elf")
    tb.add_bytes("served from L1\n", "/www/index.html")
    tb.http_port = tb.forward_port(8080)
    tb.boot()
    print(f"L1 booted in {tb.boot_seconds:.1f}s")
    yield tb
    tb.close()


def test_l1_has_working_kvm(l1):
    r = l1.run("grep -cw svm /proc/cpuinfo; test -c /dev/kvm && echo kvm-ok")
    assert r.status == 0, r.output
    assert int(r.output.split()[0]) >= 1
    assert "kvm-ok" in r.output
    assert "testbed: /dev/kvm ready" in l1.console()


def test_vmx_runs_a_guest_inside_l1(l1):
    r = l1.run("vmx --kernel /guests/hello.elf -v", timeout=120)
    assert r.status == 0, r.output
    assert "Basalt vmx demo guest: 64-bit long mode, running." in r.output
    assert "guest stopped: poweroff (ACPI S5)" in r.output


L2_QEMU = ("qemu-system-x86_64 -M microvm,rtc=on -enable-kvm -cpu host "
           "-m 256 -smp 2 -nodefaults -no-user-config -display none "
           "-serial stdio -no-reboot -kernel /l2/vmlinuz "
           "-initrd /l2/initramfs.cpio -append 'console=ttyS0 panic=-1'")
# Normal: 15-20 s. A hang of the emulated L1 (seen about once in a dozen
# runs, inside QEMU's TCG emulation of nested SVM, not in Basalt code) is
# cut short here; the conftest runs the test once more (docs/testing.md).
L2_TIMEOUT_S = 90


def boot_l2_once(tmp_path_factory):
    from testbed.testbed import Testbed
    tb = Testbed(tmp_path_factory.mktemp("l2"))
    tb.add_qemu()
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2_initramfs(), "/l2/initramfs.cpio")
    try:
        tb.boot()
        start = time.monotonic()
        r = tb.run(L2_QEMU, timeout=L2_TIMEOUT_S)
        print(f"L1 boot {tb.boot_seconds:.1f}s, L2 boot to power-off: "
              f"{time.monotonic() - start:.1f}s")
        return tb.version, r
    finally:
        tb.close()


def test_debian_kernel_boots_as_l2_under_qemu_in_l1(tmp_path_factory):
    version, r = boot_l2_once(tmp_path_factory)
    assert r.status == 0, r.output[-3000:]
    marker = [ln for ln in r.output.splitlines() if L2_MARKER in ln]
    assert marker, r.output[-3000:]
    assert f"kernel={version}" in marker[0]
    assert "cpus=2" in marker[0]
    assert "Power down" in r.output


def test_commands_report_status_and_output(l1):
    r = l1.run("echo out; echo err >&2; exit 7")
    assert r.status == 7
    assert r.output == "out\nerr\n"
    big = l1.run("head -c 300000 /dev/zero | tr '\\0' x")
    assert big.status == 0 and big.output == "x" * 300000


def test_forwarded_port_reaches_l1(l1):
    l1.run("httpd -p 8080 -h /www", check=True)
    url = f"http://127.0.0.1:{l1.http_port}/index.html"
    deadline = time.monotonic() + 30
    while True:
        try:
            body = urllib.request.urlopen(url, timeout=10).read()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    assert body == b"served from L1\n"


def test_timeout_kills_command_and_agent_recovers(l1):
    # The child (sleep 101, like a vmx under the script's sh) must go
    # too; a background job of a command that ended in time stays.
    l1.run("sleep 103 >/dev/null 2>&1 &", check=True)
    r = l1.run("echo started; sleep 101; sleep 102", timeout=2)
    assert r.status == 137
    assert r.output == "started\n"
    assert l1.run("echo alive").output == "alive\n"
    left = l1.run("ps -o args | grep '^sleep 10[123]'").output
    assert left.split("\n")[0] == "sleep 103", left
    assert "sleep 101" not in left


def test_failure_message_carries_console_tail(l1):
    from testbed.testbed import TestbedError
    with pytest.raises(TestbedError) as e:
        l1.wait_console("this never appears", timeout=0.5)
    assert "last L1 console lines" in str(e.value)
    assert "TESTBED-READY" in str(e.value)


def test_lost_l1_is_reported_then_booted_again_with_its_files(testbed):
    from testbed.testbed import L1Lost
    testbed.add_bytes("kept\n", "/etc/kept")
    testbed.boot()
    testbed.run("echo changed > /etc/kept", check=True)
    # A kernel panic in L1 (QEMU runs with -no-reboot, so it exits).
    with pytest.raises(L1Lost) as e:
        testbed.run("echo c > /proc/sysrq-trigger; sleep 60", timeout=30)
    assert "last L1 console lines" in str(e.value)
    assert testbed.lost == 1
    assert "sysrq" in open(testbed.console_path + ".lost-1").read().lower()
    # The next command boots a fresh L1 from the same files.
    assert testbed.run("cat /etc/kept").output == "kept\n"
