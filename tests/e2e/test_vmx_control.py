"""The control socket as its users drive it, through vmxctl: status,
pause and resume, hard power-off and reset with their exit statuses on a
tiny guest (local /dev/kvm), and an ACPI shutdown request that makes
Debian's kernel power itself off (nested test bed)."""
import os
import subprocess
import time

import pytest

import l2guest


def start_vmx(vmx_bin, guest, sock, user="0"):
    # As root, vmx would become nobody and could not remove its socket
    # from a test directory only root may write: stay uid 0 (still
    # without capabilities) unless a test asks otherwise.
    p = subprocess.Popen([vmx_bin, "--kernel", guest, "--control", sock,
                          "--name", "ctl-test", "-v", "--user", user],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         text=True)
    for _ in range(200):
        if os.path.exists(sock):
            return p
        time.sleep(0.01)
    p.kill()
    raise AssertionError("vmx never created its control socket")


def ctl(vmxctl_bin, sock, cmd):
    return subprocess.run([vmxctl_bin, sock, cmd], capture_output=True,
                          text=True, timeout=30)


def test_status_pause_resume_poweroff(need_kvm, vmx_bin, vmxctl_bin,
                                      control_guest, tmp_path):
    sock = str(tmp_path / "vm.sock")
    p = start_vmx(vmx_bin, control_guest, sock)
    try:
        r = ctl(vmxctl_bin, sock, "status")
        assert r.returncode == 0, r.stderr
        assert "name: ctl-test\nstate: running\nvcpus: 1\n" in r.stdout
        assert ctl(vmxctl_bin, sock, "pause").returncode == 0
        assert "state: paused" in ctl(vmxctl_bin, sock, "status").stdout
        assert ctl(vmxctl_bin, sock, "resume").returncode == 0
        assert "state: running" in ctl(vmxctl_bin, sock, "status").stdout
        waiter = subprocess.Popen([vmxctl_bin, sock, "wait"],
                                  stdout=subprocess.PIPE, text=True)
        time.sleep(0.2)
        assert ctl(vmxctl_bin, sock, "poweroff").returncode == 0
        out, err = p.communicate(timeout=30)
        assert p.returncode == 0, err
        assert "guest stopped: requested (powered off by a control " \
               "client)" in err
        w, _ = waiter.communicate(timeout=30)
        assert w == ("stopped: requested (powered off by a control "
                     "client), vmx exit status 0\n")
        assert not os.path.exists(sock)
    finally:
        p.kill()


def proc_status(pid):
    with open(f"/proc/{pid}/status") as f:
        return dict(line.split(":\t", 1) for line in f.read().splitlines()
                    if ":\t" in line)


def test_running_vmx_is_unprivileged_and_filtered(need_kvm, vmx_bin,
                                                  control_guest, tmp_path):
    os.chmod(tmp_path, 0o777)  # let nobody remove its socket
    sock = str(tmp_path / "vm.sock")
    leak = os.open("/dev/null", os.O_RDONLY)  # inheritable
    os.set_inheritable(leak, True)
    try:
        p = subprocess.Popen([vmx_bin, "--kernel", control_guest,
                              "--control", sock, "--user", "65534:65534"],
                             pass_fds=(leak,), stderr=subprocess.PIPE,
                             text=True)
    finally:
        os.close(leak)
    for _ in range(300):
        if os.path.exists(sock):
            break
        time.sleep(0.01)
    try:
        time.sleep(0.3)
        st = proc_status(p.pid)
        assert st["NoNewPrivs"].strip() == "1"
        assert st["Seccomp"].strip() == "2"  # filter mode
        assert st["CapEff"].strip() == "0000000000000000"
        assert st["CapPrm"].strip() == "0000000000000000"
        if os.geteuid() == 0:
            assert st["Uid"].split() == ["65534"] * 4
            assert st["Gid"].split() == ["65534"] * 4
            assert st["Groups"].strip() == ""
        # Only the descriptors it needs: no inherited strays.
        targets = [os.readlink(f"/proc/{p.pid}/fd/{fd}")
                   for fd in os.listdir(f"/proc/{p.pid}/fd") if int(fd) > 2]
        assert "/dev/null" not in targets, targets
        assert "/dev/kvm" in targets
    finally:
        p.terminate()
        p.communicate(timeout=30)
    assert p.returncode == 0


def test_reset_ends_vmx_with_status_3(need_kvm, vmx_bin, vmxctl_bin,
                                      control_guest, tmp_path):
    sock = str(tmp_path / "vm.sock")
    p = start_vmx(vmx_bin, control_guest, sock)
    try:
        assert ctl(vmxctl_bin, sock, "reset").returncode == 0
        _, err = p.communicate(timeout=30)
        assert p.returncode == 3
        assert "reset by a control client" in err
    finally:
        p.kill()


def test_sigterm_powers_off_cleanly(need_kvm, vmx_bin, control_guest,
                                    tmp_path):
    sock = str(tmp_path / "vm.sock")
    p = start_vmx(vmx_bin, control_guest, sock)
    p.terminate()
    _, err = p.communicate(timeout=30)
    assert p.returncode == 0, err
    assert "guest stopped: requested (Terminated)" in err
    assert not os.path.exists(sock)


def test_second_vmx_on_a_live_socket_is_refused(need_kvm, vmx_bin,
                                                control_guest, tmp_path):
    sock = str(tmp_path / "vm.sock")
    p = start_vmx(vmx_bin, control_guest, sock)
    try:
        r = subprocess.run([vmx_bin, "--kernel", control_guest,
                            "--control", sock], capture_output=True,
                           text=True, timeout=30)
        assert r.returncode == 1
        assert r.stderr == (f"vmx: control socket {sock} is in use by "
                            "another vmx\n")
    finally:
        p.terminate()
        p.communicate(timeout=30)


def test_garbage_on_the_socket_does_not_hurt_the_vm(need_kvm, vmx_bin,
                                                    vmxctl_bin,
                                                    control_guest,
                                                    tmp_path):
    import socket
    sock = str(tmp_path / "vm.sock")
    p = start_vmx(vmx_bin, control_guest, sock)
    try:
        for junk in (b"\xff" * 64, b"GET / HTTP/1.0\r\n\r\n",
                     (1).to_bytes(4, "little") + (10 ** 6).to_bytes(4,
                                                                   "little")
                     + b"\0" * 8):
            s = socket.socket(socket.AF_UNIX)
            s.connect(sock)
            s.sendall(junk)
            s.settimeout(5)
            try:
                s.recv(100)  # vmx closes the connection
            except OSError:
                pass
            s.close()
        r = ctl(vmxctl_bin, sock, "status")
        assert r.returncode == 0 and "state: running" in r.stdout
    finally:
        p.terminate()
        p.communicate(timeout=30)


@pytest.fixture(scope="module")
def l1(tmp_path_factory, vmx_bin, vmxctl_bin):
    from testbed.testbed import Testbed
    tb = Testbed(tmp_path_factory.mktemp("l1-control"))
    tb.add_program(vmx_bin, "/bin/vmx")
    tb.add_program(vmxctl_bin, "/bin/vmxctl")
    tb.add_file(tb.kernel, "/l2/vmlinuz")
    tb.add_bytes(l2guest.initramfs(), "/l2/initrd")
    tb.boot()
    yield tb
    tb.close()


# A guest that prints nothing for this long has stopped dead: Debian's
# boot to the marker takes 10-30 s in the bed and prints all along.
STALL_S = 60
VMX_STATE = ("for t in /proc/$(pidof vmx)/task/*; do "
             "echo $(cat $t/comm) $(cut -d' ' -f3 $t/stat) $(cat $t/wchan); "
             "done")


def start_guest_waiting_for_button(l1):
    """Start vmx in the background and wait for the guest's marker.
    Returns (True, console) once it shows, (False, diagnostics) when the
    guest stopped dead: the open nested-bed fault of l2guest.open_fault,
    which vmx in the foreground would meet as a timeout. vmx is then
    killed. A vmx that exits fails the test at once."""
    l1.run("rm -f /tmp/con.log /tmp/vmx.status /tmp/vm.sock; "
           "(vmx -v --kernel /l2/vmlinuz --initrd /l2/initrd --memory 256 "
           "--control /tmp/vm.sock --console /tmp/con.log "
           "--cmdline 'console=ttyS0 panic=-1 basalt.action=button' "
           "> /tmp/vmx.log 2>&1; echo $? > /tmp/vmx.status) &", check=True)
    last, since = None, time.monotonic()
    while True:
        con = l1.run("cat /tmp/con.log 2>/dev/null").output
        if "L2-WAITING-FOR-BUTTON" in con:
            return True, con
        ended = l1.run("test -e /tmp/vmx.status && cat /tmp/vmx.log")
        assert ended.status != 0, f"vmx ended early:\n{ended.output}\n{con}"
        if con != last:
            last, since = con, time.monotonic()
        elif time.monotonic() - since > STALL_S:
            state = l1.run(VMX_STATE).output
            l1.run("kill -9 $(pidof vmx); "
                   "while [ ! -e /tmp/vmx.status ]; do sleep 0.2; done",
                   timeout=30)
            return False, (f"{con[-1500:]}\n--- vmx threads ---\n{state}"
                           f"--- L1 console ---\n{l1.console_tail(15)}")
        time.sleep(2)


def test_acpi_shutdown_request_powers_the_guest_off(l1):
    waiting, out = start_guest_waiting_for_button(l1)
    if not waiting:
        print(f"guest stopped dead; running it once more:\n{out}")
        waiting, out = start_guest_waiting_for_button(l1)
    assert waiting, out
    r = l1.run("vmxctl /tmp/vm.sock shutdown && vmxctl /tmp/vm.sock wait",
               timeout=120)
    assert r.status == 0, r.output
    assert "stopped: poweroff (ACPI S5), vmx exit status 0" in r.output
    assert "L2-POWER-BUTTON" in l1.run("cat /tmp/con.log").output
    assert l1.run("cat /tmp/vmx.status").output.strip() == "0"
