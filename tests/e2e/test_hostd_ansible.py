"""Ansible's community.vmware modules (Debian's ansible package carries
the collection; they run on Debian's pyVmomi) against hosted hostd over
HTTPS, as a user's playbook would (issue 4).

Debian 12 pairs community.vmware 3.7.0 with pyVmomi 6.7.1, which lacks
VmomiSupport.VmomiJSONEncoder: every module that gathers a VM's facts
(vmware_guest_info, vmware_guest, vmware_guest_powerstate) stops there,
on the client, before it sends a request that changes anything, against
any server. Those tests check that this is the only thing in the way
(hostd answered every call before it) and, once Debian's pyVmomi has the
encoder, that the modules work in full."""
import json
import os
import shutil
import socket
import subprocess

import pytest

from test_hostd_vms import register

pytest.importorskip("pyVmomi")
from pyVmomi import VmomiSupport  # noqa: E402

HAS_JSON_ENCODER = hasattr(VmomiSupport, "VmomiJSONEncoder")
COLLECTION = ("/usr/lib/python3/dist-packages/ansible_collections/"
              "community/vmware")


@pytest.fixture(autouse=True)
def ansible_there():
    if shutil.which("ansible-playbook") is None or \
            not os.path.isdir(COLLECTION):
        pytest.fail("ansible with community.vmware is missing: run "
                    "`make deps-test`")


def playbook(h, tmp_path, tasks):
    """Run tasks (a list of (module, args)) against h; the results of
    the tasks, in order, as the json callback reports them."""
    lines = ["- hosts: localhost", "  gather_facts: false", "  tasks:"]
    for module, args in tasks:
        lines.append(f"    - community.vmware.{module}:")
        for k, v in dict(hostname=h.addr, port=h.https_port,
                         username="root", password=h.password,
                         validate_certs=False, **args).items():
            lines.append(f"        {k}: {json.dumps(v)}")
        lines.append("      ignore_errors: true")
    book = tmp_path / "play.yml"
    book.write_text("\n".join(lines) + "\n")
    env = dict(os.environ, ANSIBLE_STDOUT_CALLBACK="json",
               ANSIBLE_LOCALHOST_WARNING="false",
               ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_PYTHON_INTERPRETER="/usr/bin/python3",
               ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-local"),
               ANSIBLE_REMOTE_TEMP=str(tmp_path / "ansible-remote"),
               ANSIBLE_NOCOLOR="1")
    r = subprocess.run(["ansible-playbook", str(book)], env=env,
                       capture_output=True, text=True, timeout=300)
    assert r.stdout.lstrip().startswith("{"), r.stdout + r.stderr
    out = json.loads(r.stdout)
    return [t["hosts"]["localhost"] for t in out["plays"][0]["tasks"]]


def add_vm(h, name="web", cpus=2, mem=64):
    d = os.path.join(h.root, "vmfs", "volumes", "datastore1", name)
    os.makedirs(d)
    with open(os.path.join(d, f"{name}.vmx"), "w") as f:
        f.write(f'displayName = "{name}"\nnumvcpus = "{cpus}"\n'
                f'memsize = "{mem}"\n')
    return register(h.connect(), f"[datastore1] {name}/{name}.vmx")


def cpu_threads():
    return os.cpu_count()


def test_vmware_host_facts(hostd, tmp_path):
    facts = playbook(hostd, tmp_path, [("vmware_host_facts", {})])[0]
    assert not facts.get("failed"), facts
    f = facts["ansible_facts"]
    assert f["ansible_hostname"] == socket.gethostname()
    assert f["ansible_distribution"] == "Basalt"
    assert f["ansible_host_connection_state"] == "connected"
    assert f["ansible_processor_vcpus"] == cpu_threads()
    with open("/proc/meminfo") as m:
        total_kb = int(m.readline().split()[1])
    assert f["ansible_memtotal_mb"] == total_kb // 1024
    assert [d["name"] for d in f["ansible_datastore"]] == ["datastore1"]
    assert f["ansible_in_maintenance_mode"] is False


def test_vmware_vm_info_lists_vms(hostd, tmp_path):
    add_vm(hostd, "web")
    add_vm(hostd, "db", cpus=1)
    r = playbook(hostd, tmp_path, [("vmware_vm_info", {})])[0]
    assert not r.get("failed"), r
    vms = {v["guest_name"]: v for v in r["virtual_machines"]}
    assert sorted(vms) == ["db", "web"]
    assert vms["web"]["power_state"] == "poweredOff"
    assert vms["web"]["folder"] == "/ha-datacenter/vm"
    assert vms["web"]["esxi_hostname"] == socket.gethostname()
    assert vms["web"]["guest_fullname"] == "Other Linux (64-bit)"


def test_vmware_guest_info_and_guest(hostd, tmp_path):
    add_vm(hostd, "web")
    info, guest = playbook(hostd, tmp_path, [
        ("vmware_guest_info", {"datacenter": "ha-datacenter",
                               "name": "web"}),
        ("vmware_guest", {"datacenter": "ha-datacenter", "name": "web",
                          "state": "poweredoff"}),
    ])
    if not HAS_JSON_ENCODER:
        # The client's own limit (see above), hit after hostd answered
        # every property the module read up to there.
        assert info.get("failed"), info
        assert "VmomiJSONEncoder" in info["msg"], info
        assert guest.get("failed"), guest
        assert "VmomiJSONEncoder" in (guest.get("module_stderr", "") +
                                      guest.get("msg", "")), guest
        after = hostd.stop().split("RegisterVM_Task")[-1]
        assert after.count("api: RetrievePropertiesEx") >= 10, after
        assert "fault" not in after, after
        hostd.start()
        return
    assert not info.get("failed"), info
    i = info["instance"]
    assert i["hw_name"] == "web"
    assert i["hw_processor_count"] == 2
    assert i["hw_memtotal_mb"] == 64
    assert i["hw_power_status"] == "poweredOff"
    assert not guest.get("failed"), guest
    assert guest["changed"] is False


def test_accounts_roles_and_permissions_modules(hostd, tmp_path):
    """vmware_local_user_manager, vmware_local_role_manager,
    vmware_object_role_permission and their _info modules (issue 5): a
    playbook makes a user, a role and a permission on a VM, runs again
    without changes, and the user then has exactly that."""
    vm = add_vm(hostd, "web")
    tasks = [
        ("vmware_local_user_manager", dict(
            local_user_name="deploy", local_user_password="Ship-it-nOw-7q",
            local_user_description="CI deploys")),
        ("vmware_local_role_manager", dict(
            local_role_name="vm-power", local_privilege_ids=[
                "VirtualMachine.Interact.PowerOn",
                "VirtualMachine.Interact.PowerOff"])),
        ("vmware_object_role_permission", dict(
            role="vm-power", principal="deploy", object_name="web",
            object_type="VirtualMachine")),
        ("vmware_local_user_info", {}),
        ("vmware_local_role_info", {}),
        # (With a principal the module wants pyVmomi's JSON encoder,
        # which Debian's lacks: see above.)
        ("vmware_object_role_permission_info", dict(
            object_name="web", object_type="VirtualMachine")),
        # A weak password: the module fails with the host's reason.
        ("vmware_local_user_manager", dict(
            local_user_name="weak", local_user_password="abc")),
    ]
    first = playbook(hostd, tmp_path, tasks)
    for r in first[:6]:
        assert not r.get("failed"), r.get("msg")
    assert [r.get("changed") for r in first[:3]] == [True, True, True]
    users = {u["user_name"]: u for u in first[3]["local_user_info"]}
    assert users["deploy"]["description"] == "CI deploys"
    roles = {r["role_name"]: r for r in first[4]["local_role_info"]}
    assert {"VirtualMachine.Interact.PowerOff",
            "VirtualMachine.Interact.PowerOn"} <= set(
        roles["vm-power"]["privileges"])
    perms = first[5]["permission_info"]
    assert [(p["principal"], p["role_name"]) for p in perms] == \
        [("deploy", "vm-power")], perms
    assert first[6].get("failed") and "password rules" in first[6]["msg"]
    # Again: nothing to change.
    again = playbook(hostd, tmp_path, tasks[1:3])
    assert [r.get("changed") for r in again] == [False, False], again
    # And the user has exactly that.
    from pyVmomi import vim
    s = hostd.connect(user="deploy", password="Ship-it-nOw-7q")
    mine = vim.VirtualMachine(vm._moId, s._stub)
    with pytest.raises(vim.fault.InvalidPowerState):
        mine.PowerOffVM_Task()  # past the privilege check: the VM is off
    with pytest.raises(vim.fault.NoPermission):
        mine.ReconfigVM_Task(vim.vm.ConfigSpec(numCPUs=1))
