"""govmomi (Debian's golang-github-vmware-govmomi-dev, the library govc
and Terraform use) against hostd: a small Go client logs in over plain
HTTP, lists the VMs through a container view, finds one by inventory path
and powers it on through a task (issue 4)."""
import os
import subprocess

import pytest

from conftest import kvm_unusable_reason
from hostd import Hostd
from test_hostd_vms import register

pytest.importorskip("pyVmomi")

def test_govmomi_lists_finds_and_powers_on(hostd_bin, tmp_path, govc_smoke,
                                           control_guest):
    h = Hostd(hostd_bin, tmp_path / "root")
    try:
        d = os.path.join(h.root, "vmfs", "volumes", "datastore1", "ctl")
        os.makedirs(d)
        with open(os.path.join(d, "ctl.vmx"), "w") as f:
            f.write(f'displayName = "ctl"\nnumvcpus = "1"\nmemsize = "128"\n'
                    f'basalt.kernel = "{control_guest}"\n')
        si = h.connect()
        vm = register(si, "[datastore1] ctl/ctl.vmx")
        url = f"http://root:{h.password}@{h.addr}:{h.port}/sdk"
        r = subprocess.run([govc_smoke, "-poweron", "ctl", url],
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stderr
        lines = r.stdout.splitlines()
        assert lines[0] == "about HostAgent 6.7.1"
        assert "vm 1 ctl poweredOff 1" in lines
        power = [ln for ln in lines if ln.startswith("poweron ")][0]
        assert power.startswith("poweron /ha-datacenter/vm/ctl ")
        if kvm_unusable_reason() is None:
            assert power.endswith("err=<nil> state=poweredOn"), power
            assert vm.runtime.powerState == "poweredOn"
            vm.PowerOffVM_Task()
        else:
            # No KVM here: the task fails with vmx's own reason, and
            # govmomi reports it as the task's error.
            assert "/dev/kvm" in power and power.endswith(
                "state=poweredOff"), power
    finally:
        h.stop()


def test_govmomi_users_roles_permissions_sessions(hostd, govc_smoke):
    """Issue 5 through govmomi's types: HostAccountManager, UserDirectory
    (PosixUserSearchResult), AuthorizationManager (roles, permissions,
    HasUserPrivilegeOnEntities), sessionList and TerminateSession."""
    url = f"http://root:{hostd.password}@{hostd.addr}:{hostd.port}/sdk"
    r = subprocess.run([govc_smoke, "-accounts", url], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    for want in ('user gouser "from govmomi" id>=1000:true',
                 "permission gouser ha-folder-root role=true",
                 "has VirtualMachine.Interact.PowerOn true",
                 "has VirtualMachine.Config.Settings false",
                 "session gouser listed", "terminated true",
                 "accounts done"):
        assert want in lines, r.stdout
    passwd = open(os.path.join(hostd.root, "etc", "basalt",
                               "passwd")).read()
    assert "gouser" not in passwd
