"""vmx --check on .vmx files: each tests/vmxconf/NAME.vmx is read and its
normalized form, or its one-line error, is compared with NAME.vmx.ok
(@DIR@ stands for the file's directory), as vmd's regress/config does."""
import glob
import os
import subprocess

import pytest

CASES = os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "vmxconf")


@pytest.mark.parametrize("vmx", sorted(glob.glob(os.path.join(CASES,
                                                              "*.vmx"))),
                         ids=lambda p: os.path.basename(p))
def test_check_output_matches_golden_file(vmx_bin, vmx):
    with open(vmx + ".ok") as f:
        want = f.read().replace("@DIR@", CASES)
    r = subprocess.run([vmx_bin, "--check", vmx], capture_output=True,
                       text=True, timeout=30)
    if want.startswith("vmx: "):
        assert r.returncode == 1
        assert r.stderr == want and r.stdout == ""
    else:
        assert r.returncode == 0, r.stderr
        assert r.stdout == want


def test_config_and_direct_options_do_not_mix(vmx_bin):
    r = subprocess.run([vmx_bin, os.path.join(CASES, "minimal.vmx"),
                        "--memory", "64"], capture_output=True, text=True)
    assert r.returncode == 2
    assert r.stderr.startswith("vmx: --memory: the VM is described by ")


def test_vm_runs_from_a_vmx_file_and_logs_beside_it(need_kvm, vmx_bin,
                                                    control_guest,
                                                    vmxctl_bin, tmp_path):
    """A .vmx with a relative kernel path runs from any directory; the
    log goes to vmware.log beside it, older logs rotate."""
    import shutil
    import time
    shutil.copy(control_guest, tmp_path / "guest.elf")
    (tmp_path / "disk.img").write_bytes(b"\0" * (1 << 20))
    (tmp_path / "vm.vmx").write_text(
        'displayName = "tiny"\nbasalt.kernel = "guest.elf"\n'
        'memsize = "32"\nscsi0:0.fileName = "disk.img"\n'
        'serial0.present = "TRUE"\nserial0.fileType = "file"\n'
        'serial0.fileName = "serial.log"\n')
    (tmp_path / "vmware.log").write_text("previous run\n")
    sock = str(tmp_path / "ctl.sock")
    p = subprocess.Popen([vmx_bin, "--control", sock, "vm.vmx"],
                         cwd=tmp_path, stderr=subprocess.PIPE, text=True)
    try:
        for _ in range(300):
            if os.path.exists(sock):
                break
            time.sleep(0.01)
        r = subprocess.run([vmxctl_bin, sock, "status"],
                           capture_output=True, text=True, timeout=30)
        assert "name: tiny\n" in r.stdout
        assert "memory_mib: 32\n" in r.stdout
        assert subprocess.run([vmxctl_bin, sock, "poweroff"],
                              timeout=30).returncode == 0
        p.wait(timeout=30)
    finally:
        p.kill()
    assert p.returncode == 0
    log = (tmp_path / "vmware.log").read_text()
    assert "starting vm.vmx" in log
    assert "guest stopped: requested" in log
    assert (tmp_path / "vmware-1.log").read_text() == "previous run\n"
