"""vmx as a user runs it: the demonstration guest on the local /dev/kvm,
and clear one-line errors with distinct exit statuses for bad input."""
import os
import subprocess

import pytest


def run(args, **kw):
    return subprocess.run(args, capture_output=True, text=True, timeout=60,
                          **kw)


def test_demo_guest_runs_and_powers_off(need_kvm, vmx_bin, hello_guest):
    r = run([vmx_bin, "--kernel", hello_guest, "--memory", "64", "-v"])
    assert r.returncode == 0, r.stderr
    assert "Basalt vmx demo guest: 64-bit long mode, running." in r.stdout
    # The guest measures its RAM by probing: it must see what we gave it.
    assert "memory:       64 MiB" in r.stdout
    assert "Goodbye." in r.stdout
    assert "guest stopped: poweroff (ACPI S5)" in r.stderr


def test_console_to_file(need_kvm, vmx_bin, hello_guest, tmp_path):
    log = tmp_path / "console.log"
    r = run([vmx_bin, "--kernel", hello_guest, "--console", str(log)])
    assert r.returncode == 0, r.stderr
    assert r.stdout == ""
    assert "Goodbye." in log.read_text()


def test_help_and_version(vmx_bin):
    r = run([vmx_bin, "--help"])
    assert r.returncode == 0
    assert r.stdout.startswith("usage: vmx [--check]")
    assert "\n       vmx --kernel FILE" in r.stdout
    assert "Exit status: 0 the guest powered off" in r.stdout
    r = run([vmx_bin, "--version"])
    assert r.returncode == 0 and r.stdout.startswith("vmx (Basalt) ")


@pytest.mark.parametrize("args,message", [
    ([], "vmx: a VM.vmx file or --kernel FILE is required"),
    (["--kernel"], "vmx: --kernel: expected a value after it"),
    (["--kernel", "x", "--memory", "lots"],
     "vmx: --memory 'lots': expected a number of MiB"),
    (["--kernel", "x", "--bogus"], "vmx: unknown option '--bogus'"),
])
def test_bad_command_line_is_usage_error(vmx_bin, args, message):
    r = run([vmx_bin] + args)
    assert r.returncode == 2
    assert r.stderr.splitlines()[0] == message
    assert r.stdout == ""


def test_missing_kernel_file_is_one_line_error(vmx_bin, tmp_path):
    missing = tmp_path / "nope.elf"
    r = run([vmx_bin, "--kernel", str(missing)])
    if "/dev/kvm" in r.stderr:
        pytest.skip("KVM unavailable, so the kernel is never read")
    assert r.returncode == 1
    assert r.stderr == f"vmx: {missing}: cannot open: No such file or directory\n"


def test_not_an_elf_is_refused(need_kvm, vmx_bin, tmp_path):
    bogus = tmp_path / "bogus.bin"
    bogus.write_bytes(b"MZ this is not a kernel" * 10)
    r = run([vmx_bin, "--kernel", str(bogus)])
    assert r.returncode == 1
    assert r.stderr.count("\n") == 1
    assert "not a kernel vmx can boot (expected a Linux bzImage" in r.stderr


def test_corrupt_elf_is_refused(need_kvm, vmx_bin, hello_guest, tmp_path):
    data = bytearray(open(hello_guest, "rb").read())
    data[0x18:0x20] = (0x10).to_bytes(8, "little")  # entry below 1 MiB
    bad = tmp_path / "bad.elf"
    bad.write_bytes(bytes(data))
    r = run([vmx_bin, "--kernel", str(bad)])
    assert r.returncode == 1
    assert "entry point 0x10 is not inside an executable segment" in r.stderr


def test_unwritable_console_is_refused(vmx_bin, hello_guest, tmp_path):
    target = tmp_path / "no-such-dir" / "console.log"
    r = run([vmx_bin, "--kernel", hello_guest, "--console", str(target)])
    assert r.returncode == 1
    assert r.stderr.startswith(f"vmx: --console {target}: No such file")
    assert not os.path.exists(target)


def test_disk_in_use_by_another_vmx_is_refused(need_kvm, vmx_bin,
                                                hello_guest, tmp_path):
    import fcntl
    img = tmp_path / "disk.img"
    img.write_bytes(b"\0" * 1024 * 1024)
    with open(img, "rb+") as f:
        fcntl.flock(f, fcntl.LOCK_EX)  # what a running vmx holds
        r = run([vmx_bin, "--kernel", hello_guest, "--disk", str(img)])
    assert r.returncode == 1
    assert r.stderr == (f"vmx: disk {img} is in use by another process "
                        "(locked)\n")
    # Unlocked, the same disk is fine (read-only takes a shared lock).
    r = run([vmx_bin, "--kernel", hello_guest, "--disk", f"{img},ro"])
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize("spec,message", [
    ("", "vmx: --disk '': expected FILE[,ro][,serial=ID]"),
    ("a.img,rw", "vmx: --disk 'a.img,rw': unknown option 'rw'"),
    ("a.img,serial=" + "x" * 21, "vmx: --disk 'a.img,serial=x"),
])
def test_bad_disk_option_is_usage_error(vmx_bin, spec, message):
    r = run([vmx_bin, "--kernel", "k", "--disk", spec])
    assert r.returncode == 2
    assert r.stderr.splitlines()[0].startswith(message)


def test_missing_disk_is_one_line_error(need_kvm, vmx_bin, hello_guest,
                                        tmp_path):
    r = run([vmx_bin, "--kernel", hello_guest, "--disk",
             str(tmp_path / "none.img")])
    assert r.returncode == 1
    assert r.stderr == (f"vmx: disk {tmp_path}/none.img: No such file or "
                        "directory\n")
