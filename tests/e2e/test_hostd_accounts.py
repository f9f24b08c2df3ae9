"""The host's accounts as files (issue 5, first steps): passwd, shadow and
group in their standard formats under the config root, the system's own
users and groups made on first start, root's hash one that Python's crypt
verifies, and a host from before these files keeping root's password."""
import os
import warnings

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import crypt  # deprecated in 3.11, still the stdlib's crypt(3)

import pytest

from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import vim, vmodl  # noqa: E402


def read(h, name):
    with open(os.path.join(h.root, "etc", "basalt", name)) as f:
        return [line.split(":") for line in f.read().splitlines()]


def test_first_start_makes_standard_files(hostd):
    passwd = {f[0]: f for f in read(hostd, "passwd")}
    shadow = {f[0]: f for f in read(hostd, "shadow")}
    group = {f[0]: f for f in read(hostd, "group")}
    assert all(len(f) == 7 for f in passwd.values())
    assert all(len(f) == 9 for f in shadow.values())
    assert all(len(f) == 4 for f in group.values())
    assert passwd["root"][2:4] == ["0", "0"]
    assert {"dcui", "vpxuser"} <= set(passwd)
    assert {"root", "users", "localadmin"} <= set(group)
    # The system users cannot log in: no hash, no shell.
    for name in ("dcui", "vpxuser"):
        assert shadow[name][1] == "*"
        assert passwd[name][6] == "/sbin/nologin"
    root_hash = shadow["root"][1]
    assert root_hash.startswith("$y$")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert crypt.crypt(hostd.password, root_hash) == root_hash
    mode = os.stat(os.path.join(hostd.root, "etc", "basalt",
                                "shadow")).st_mode
    assert mode & 0o077 == 0
    # System users are refused at the API's door, like any wrong login.
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="dcui", password="")
    # A restart changes nothing.
    before = [read(hostd, n) for n in ("passwd", "shadow", "group")]
    hostd.stop()
    hostd.start()
    assert [read(hostd, n) for n in ("passwd", "shadow", "group")] == before


def test_a_host_with_only_roots_shadow_line_keeps_its_password(hostd_bin,
                                                               tmp_path):
    conf = tmp_path / "root" / "etc" / "basalt"
    conf.mkdir(parents=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        old = crypt.crypt("old-password", crypt.mksalt(crypt.METHOD_SHA512))
    (conf / "shadow").write_text(f"root:{old}:20000:0:99999:7:::\n")
    h = Hostd(hostd_bin, tmp_path / "root", password=None)
    try:
        assert "root password" not in h.startup_output
        h.connect(password="old-password")
        assert (conf / "passwd").exists() and (conf / "group").exists()
    finally:
        h.stop()


def test_a_broken_passwd_file_stops_hostd_with_the_line(hostd_bin,
                                                        tmp_path):
    conf = tmp_path / "root" / "etc" / "basalt"
    conf.mkdir(parents=True)
    (conf / "passwd").write_text("root:x:0:0:root:/:/bin/sh\nBad Line\n")
    with pytest.raises(AssertionError, match="passwd:2: expected 7 fields"):
        Hostd(hostd_bin, tmp_path / "root")
    assert (conf / "passwd").read_text() == \
        "root:x:0:0:root:/:/bin/sh\nBad Line\n"


def spec(name, password=None, description=None):
    return vim.host.LocalAccountManager.AccountSpecification(
        id=name, password=password, description=description)


def shadow_hash(h, name):
    return {f[0]: f[1] for f in read(h, "shadow")}[name]


def verifies(password, hashed):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return crypt.crypt(password, hashed) == hashed


def test_users_through_the_api(hostd):
    si = hostd.connect()
    am = si.content.accountManager
    assert am._moId == "ha-localacctmgr"
    am.CreateUser(spec("bob", "Blue-sKy-41a", "Bob Builder"))
    passwd = {f[0]: f for f in read(hostd, "passwd")}
    assert passwd["bob"][4] == "Bob Builder"
    assert int(passwd["bob"][2]) >= 1000
    assert verifies("Blue-sKy-41a", shadow_hash(hostd, "bob"))
    hostd.connect(user="bob", password="Blue-sKy-41a")
    with pytest.raises(vim.fault.AlreadyExists):
        am.CreateUser(spec("bob", "Other-pAss-9x"))
    for bad in ("Bob", "9x", "a:b", "x" * 33):
        with pytest.raises(vmodl.fault.InvalidArgument):
            am.CreateUser(spec(bad, "pw"))
    for system in ("root", "dcui", "vpxuser"):
        with pytest.raises(vmodl.fault.InvalidArgument):
            am.RemoveUser(system)
        with pytest.raises(vmodl.fault.InvalidArgument):
            am.UpdateUser(spec(system, "new"))
    # A new password: the old one stops working.
    am.UpdateUser(spec("bob", "Blue-sKy-42a"))
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="bob", password="Blue-sKy-41a")
    hostd.connect(user="bob", password="Blue-sKy-42a")
    am.UpdateUser(spec("bob", description="Robert"))
    assert {f[0]: f for f in read(hostd, "passwd")}["bob"][4] == "Robert"
    assert verifies("Blue-sKy-42a", shadow_hash(hostd, "bob"))
    # No password given: the account cannot log in.
    am.CreateUser(spec("carol"))
    assert shadow_hash(hostd, "carol") == "!"
    am.RemoveUser("bob")
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="bob", password="Blue-sKy-42a")
    with pytest.raises(vim.fault.UserNotFound):
        am.RemoveUser("bob")
    log = hostd.stop()
    assert "Blue-sKy" not in log
    hostd.start()


def test_groups_and_the_user_directory(hostd):
    si = hostd.connect()
    am = si.content.accountManager
    ud = si.content.userDirectory
    am.CreateUser(spec("bob", "pw-Tree-1x"))
    am.CreateUser(spec("eve", "pw-Rock-2x"))
    am.CreateGroup(spec("ops"))
    with pytest.raises(vim.fault.AlreadyExists):
        am.CreateGroup(spec("ops"))
    am.AssignUserToGroup("bob", "ops")
    with pytest.raises(vim.fault.AlreadyExists):
        am.AssignUserToGroup("bob", "ops")
    with pytest.raises(vim.fault.UserNotFound):
        am.AssignUserToGroup("nobody", "ops")
    with pytest.raises(vim.fault.UserNotFound):
        am.AssignUserToGroup("bob", "nogroup")
    assert {f[0]: f[3] for f in read(hostd, "group")}["ops"] == "bob"

    def find(**kw):
        args = dict(domain=None, searchStr="", exactMatch=False,
                    findUsers=True, findGroups=True)
        args.update(kw)
        return sorted((r.principal, r.group)
                      for r in ud.RetrieveUserGroups(**args))

    assert find(belongsToGroup="ops", findGroups=False) == [("bob", False)]
    assert find(belongsToUser="bob", findUsers=False) == \
        [("ops", True), ("users", True)]
    assert find(searchStr="ev", findGroups=False) == [("eve", False)]
    assert find(searchStr="bo", exactMatch=True) == []
    am.UnassignUserFromGroup("bob", "ops")
    assert find(belongsToGroup="ops", findGroups=False) == []
    with pytest.raises(vmodl.fault.InvalidArgument):
        am.RemoveGroup("users")
    am.RemoveGroup("ops")
    with pytest.raises(vim.fault.UserNotFound):
        am.RemoveGroup("ops")


def test_parallel_clients_leave_consistent_files(hostd):
    import threading
    errors = []

    def worker(n):
        try:
            am = hostd.connect().content.accountManager
            for k in range(3):
                am.CreateUser(spec(f"u{n}x{k}", f"Pw-{n}-{k}-aBcd"))
            am.RemoveUser(f"u{n}x1")
        except Exception as e:  # reported below
            errors.append(repr(e))

    threads = [threading.Thread(target=worker, args=(n,))
               for n in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not errors, errors
    expect = {f"u{n}x{k}" for n in range(20) for k in (0, 2)}
    users = {f[0] for f in read(hostd, "passwd")}
    assert expect <= users and not any(
        f"u{n}x1" in users for n in range(20))
    shadow = {f[0]: f[1] for f in read(hostd, "shadow")}
    assert set(shadow) == users
    assert verifies("Pw-7-2-aBcd", shadow["u7x2"])
    uids = [f[2] for f in read(hostd, "passwd")]
    assert len(uids) == len(set(uids))


def test_roles_and_permissions_are_kept(hostd):
    si = hostd.connect()
    auth = si.content.authorizationManager
    assert auth._moId == "ha-authmgr"
    roles = {r.name: r for r in auth.roleList}
    assert {roles[n].roleId for n in
            ("NoAccess", "Anonymous", "View", "ReadOnly", "Admin")} == \
        {-5, -4, -3, -2, -1}
    assert "System.Read" in roles["ReadOnly"].privilege
    assert "VirtualMachine.Interact.PowerOn" in roles["Admin"].privilege
    privs = {p.privId for p in auth.privilegeList}
    assert {"System.View", "Datastore.FileManagement",
            "VirtualMachine.Interact.PowerOn"} <= privs
    power = auth.AddAuthorizationRole(
        "power", ["VirtualMachine.Interact.PowerOn",
                  "VirtualMachine.Interact.PowerOff"])
    assert power >= 10
    with pytest.raises(vim.fault.AlreadyExists):
        auth.AddAuthorizationRole("power", [])
    with pytest.raises(vim.fault.AlreadyExists):
        auth.AddAuthorizationRole("Admin", [])
    with pytest.raises(vmodl.fault.InvalidArgument):
        auth.AddAuthorizationRole("bad", ["No.Such.Privilege"])
    si.content.accountManager.CreateUser(spec("bob", "pw-Tree-1x"))
    dc = si.content.rootFolder.childEntity[0]
    host = dc.hostFolder.childEntity[0].host[0]
    auth.SetEntityPermissions(host, [vim.AuthorizationManager.Permission(
        principal="bob", group=False, roleId=power, propagate=True)])
    with pytest.raises(vim.fault.UserNotFound):
        auth.SetEntityPermissions(host, [
            vim.AuthorizationManager.Permission(
                principal="nobody", group=False, roleId=power,
                propagate=True)])
    got = auth.RetrieveEntityPermissions(host, False)
    assert [(p.principal, p.roleId, p.propagate) for p in got] == \
        [("bob", power, True)]
    everything = {(p.entity._moId, p.principal, p.roleId)
                  for p in auth.RetrieveAllPermissions()}
    assert ("ha-folder-root", "root", -1) in everything
    assert len(auth.RetrieveRolePermissions(power)) == 1
    # Kept across a restart, in the config root.
    hostd.stop()
    hostd.start()
    si = hostd.connect()
    auth = si.content.authorizationManager
    assert "power" in {r.name for r in auth.roleList}
    assert len(auth.RetrieveRolePermissions(power)) == 1
    auth.UpdateAuthorizationRole(power, "operator",
                                 ["VirtualMachine.Interact.PowerOn"])
    r = [r for r in auth.roleList if r.roleId == power][0]
    assert r.name == "operator"
    assert "VirtualMachine.Interact.PowerOff" not in r.privilege
    with pytest.raises(vim.fault.RemoveFailed):
        auth.RemoveAuthorizationRole(power, True)
    with pytest.raises(vmodl.fault.InvalidArgument):
        auth.RemoveAuthorizationRole(-1, False)
    auth.RemoveAuthorizationRole(power, False)
    assert auth.RetrieveRolePermissions(power) == []
    assert power not in {r.roleId for r in auth.roleList}
    with pytest.raises(vim.fault.NotFound):
        auth.RemoveEntityPermission(host, "bob", False)


def register_vm(h, si, name):
    d = os.path.join(h.root, "vmfs", "volumes", "datastore1", name)
    os.makedirs(d)
    with open(os.path.join(d, f"{name}.vmx"), "w") as f:
        f.write(f'displayName = "{name}"\nmemsize = "64"\n')
    from test_hostd_vms import register
    return register(si, f"[datastore1] {name}/{name}.vmx")


def perm(principal, role, group=False, propagate=True):
    return vim.AuthorizationManager.Permission(
        principal=principal, group=group, roleId=role, propagate=propagate)


def test_permissions_decide_what_a_user_may_do(hostd):
    si = hostd.connect()
    am, auth = si.content.accountManager, si.content.authorizationManager
    root = si.content.rootFolder
    vm1, vm2 = register_vm(hostd, si, "one"), register_vm(hostd, si, "two")
    for name in ("ro", "op", "pw"):
        am.CreateUser(spec(name, "Green-fIeld-7q"))
    am.CreateGroup(spec("vm1admins"))
    am.AssignUserToGroup("op", "vm1admins")
    power = auth.AddAuthorizationRole(
        "power", ["VirtualMachine.Interact.PowerOn",
                  "VirtualMachine.Interact.PowerOff"])
    auth.SetEntityPermissions(root, [perm("ro", -2), perm("op", -2),
                                     perm("pw", power)])
    auth.SetEntityPermissions(vm1, [perm("vm1admins", -1, group=True)])

    def as_user(name):
        s = hostd.connect(user=name, password="Green-fIeld-7q")
        return s, {v.name: v for v in
                   s.content.rootFolder.childEntity[0].vmFolder.childEntity}

    # ReadOnly: lists VMs, may not power one on.
    s, vms = as_user("ro")
    assert sorted(vms) == ["one", "two"]
    with pytest.raises(vim.fault.NoPermission) as ei:
        vms["one"].PowerOnVM_Task()
    assert ei.value.privilegeId == "VirtualMachine.Interact.PowerOn"
    with pytest.raises(vim.fault.NoPermission):
        s.content.accountManager.CreateUser(spec("sneaky", "x"))
    # A group with Admin on one VM: that VM, no other. (Without KVM the
    # power-on itself fails later, as a task: past the check.)
    s, vms = as_user("op")
    vms["one"].PowerOnVM_Task()
    with pytest.raises(vim.fault.NoPermission):
        vms["two"].PowerOnVM_Task()
    with pytest.raises(vim.fault.NoPermission):
        vms["two"].Destroy_Task()
    # A custom role with power privileges only.
    s, vms = as_user("pw")
    vms["two"].PowerOnVM_Task()
    with pytest.raises(vim.fault.NoPermission) as ei:
        vms["two"].ReconfigVM_Task(vim.vm.ConfigSpec(numCPUs=2))
    assert ei.value.privilegeId == "VirtualMachine.Config.Settings"
    # NoAccess on a VM takes it away again.
    auth.SetEntityPermissions(vm2, [perm("pw", -5)])
    with pytest.raises(vim.fault.NoPermission):
        vms["two"].PowerOnVM_Task()
    assert vm1 is not None


def test_failed_logins_lock_the_account_for_a_while(hostd):
    import time
    from pyVmomi import VmomiSupport
    si = hostd.connect()
    si.content.accountManager.CreateUser(spec("lock", "Right-pAss-1x"))
    om = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0].configManager.advancedOption
    # The defaults are 5 failures and 900 s; a short lock for the test.
    assert {o.key: o.value for o in om.QueryOptions("Security.")}[
        "Security.AccountLockFailures"] == 5
    om.UpdateOptions([vim.option.OptionValue(
        key="Security.AccountUnlockTime",
        value=VmomiSupport.vmodlTypes["long"](3))])
    # Four failures, then a success: the count starts again.
    for _ in range(4):
        with pytest.raises(vim.fault.InvalidLogin):
            hostd.connect(user="lock", password="wrong")
    hostd.connect(user="lock", password="Right-pAss-1x")
    for _ in range(5):
        with pytest.raises(vim.fault.InvalidLogin):
            hostd.connect(user="lock", password="wrong")
    locked_at = time.monotonic()
    # Locked: the right password is refused too; others are not.
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="lock", password="Right-pAss-1x")
    hostd.connect()
    while time.monotonic() - locked_at < 3.5:
        time.sleep(0.2)
    hostd.connect(user="lock", password="Right-pAss-1x")
    log = hostd.stop()
    assert "account 'lock' locked after 5 failed logins" in log
    assert "Right-pass" not in log and "wrong" not in log
    hostd.start()
