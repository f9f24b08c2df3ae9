"""Issue 5's security defaults, through pyVmomi against a hosted hostd:
root's blank password on a fresh host and the console socket that alone
logs in until it is set; the password rules; idle sessions ending;
sessions listed and terminated; HasPrivilegeOnEntities; what a user may
not read left out of listings; and the audit trail in syslog."""
import os
import re
import socket
import time

import pytest

from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import VmomiSupport, vim, vmodl  # noqa: E402

from test_hostd_accounts import perm, read, register_vm, spec  # noqa: E402

GOOD = "Green-fIeld-7q"


def option(si, key, value):
    om = si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0].configManager.advancedOption
    om.UpdateOptions([vim.option.OptionValue(key=key, value=value)])


def test_fresh_host_has_a_blank_root_that_only_the_console_uses(hostd_bin,
                                                                tmp_path):
    h = Hostd(hostd_bin, tmp_path / "root", password=None)
    try:
        shadow = {f[0]: f[1] for f in read(h, "shadow")}
        assert shadow["root"] == ""
        # Over the network: refused whatever the password, saying why.
        for pw in ("", "anything"):
            with pytest.raises(vim.fault.InvalidLogin) as ei:
                h.connect(password=pw)
            assert "root password is not set" in ei.value.msg
            assert "console" in ei.value.msg
        # The console socket: root with the blank password.
        si = h.console()
        am = si.content.accountManager
        with pytest.raises(vmodl.fault.InvalidArgument) as ei:
            am.UpdateUser(spec("root", "short"))
        assert "password rules" in ei.value.msg
        assert {f[0]: f[1] for f in read(h, "shadow")}["root"] == ""
        am.UpdateUser(spec("root", "Tree-pAss-9x"))
        assert read(h, "shadow")[0][1].startswith("$y$")
        # Set: the network logs in, the blank one is gone everywhere.
        h.connect(password="Tree-pAss-9x")
        with pytest.raises(vim.fault.InvalidLogin):
            h.console()
        h.console(password="Tree-pAss-9x")
        # localadmin: the console without the root password; others
        # not at all.
        am.CreateUser(spec("ops", GOOD))
        with pytest.raises(vim.fault.InvalidLogin) as ei:
            h.console("ops", GOOD)
        assert "localadmin" in ei.value.msg
        am.AssignUserToGroup("ops", "localadmin")
        ops = h.console("ops", GOOD)
        option(ops, "Annotations.WelcomeMessage", "from the console")
        # The same user over the network has only its permissions.
        net = h.connect(user="ops", password=GOOD)
        with pytest.raises(vim.fault.NoPermission):
            option(net, "Annotations.WelcomeMessage", "from afar")
        # A network session's cookie is no console session, and the
        # other way round.
        assert os.stat(os.path.join(h.root, "var", "run", "basalt",
                                    "console.sock")).st_mode & 0o077 == 0
    finally:
        h.stop()


def test_passwords_follow_the_quality_rules(hostd):
    si = hostd.connect()
    am = si.content.accountManager
    for weak, why in (("abc", "not allowed"), ("abcdefghij", "not allowed"),
                      ("Ab1-x", "needs at least 7"),
                      ("bob-Tree-9x", "user name")):
        with pytest.raises(vmodl.fault.InvalidArgument) as ei:
            am.CreateUser(spec("bob", weak))
        assert why in ei.value.msg and weak not in ei.value.msg
        assert ei.value.invalidProperty == "password"
    assert "bob" not in {f[0] for f in read(hostd, "passwd")}
    am.CreateUser(spec("bob", GOOD))
    with pytest.raises(vmodl.fault.InvalidArgument):
        am.UpdateUser(spec("bob", "weak"))
    hostd.connect(user="bob", password=GOOD)  # unchanged
    # The rules are the host's setting, in pam_passwdqc's syntax.
    with pytest.raises(vmodl.fault.InvalidArgument) as ei:
        option(si, "Security.PasswordQualityControl", "min=1,2,3,4,5")
    assert "must not grow" in ei.value.msg
    option(si, "Security.PasswordQualityControl",
           "retry=3 min=disabled,disabled,disabled,disabled,5")
    am.UpdateUser(spec("bob", "aB1-x"))
    with pytest.raises(vmodl.fault.InvalidArgument):
        am.UpdateUser(spec("bob", "Long-enough-but-three"))
    hostd.connect(user="bob", password="aB1-x")


def test_idle_sessions_end(hostd):
    si = hostd.connect()
    option(si, "UserVars.HostClientSessionTimeout",
           VmomiSupport.vmodlTypes["long"](2))
    idle, busy = hostd.connect(), hostd.connect()
    for _ in range(6):
        time.sleep(0.5)
        busy.CurrentTime()
        si.CurrentTime()
    with pytest.raises(vim.fault.NotAuthenticated):
        idle.content.sessionManager.currentSession
    assert busy.content.sessionManager.currentSession is not None
    # A session waiting for updates longer than the timeout is busy,
    # not idle.
    waiter = hostd.connect()
    pc = waiter.content.propertyCollector
    spec = vmodl.query.PropertyCollector.FilterSpec(
        objectSet=[vmodl.query.PropertyCollector.ObjectSpec(
            obj=waiter.content.rootFolder)],
        propSet=[vmodl.query.PropertyCollector.PropertySpec(
            type=vim.Folder, pathSet=["name"])])
    pc.CreateFilter(spec, True)
    first = pc.WaitForUpdatesEx("", vmodl.query.PropertyCollector
                                .WaitOptions(maxWaitSeconds=0))
    started = time.monotonic()
    assert pc.WaitForUpdatesEx(first.version, vmodl.query.PropertyCollector
                               .WaitOptions(maxWaitSeconds=4)) is None
    assert time.monotonic() - started >= 3.5
    assert waiter.content.sessionManager.currentSession is not None
    log = hostd.stop()
    assert re.search(r"session of root ended after \d+ s idle", log)
    hostd.start()


def test_sessions_are_listed_and_terminated(hostd):
    si = hostd.connect()
    sm = si.content.sessionManager
    si.content.accountManager.CreateUser(spec("ro", GOOD))
    si.content.authorizationManager.SetEntityPermissions(
        si.content.rootFolder, [perm("ro", -2)])
    other = hostd.connect()
    ro = hostd.connect(user="ro", password=GOOD)
    mine = sm.currentSession.key
    listed = {s.key: s for s in sm.sessionList}
    assert len(listed) == 3 and mine in listed
    assert listed[mine].userName == "root"
    assert listed[mine].ipAddress.startswith("127.")
    # Without Sessions.TerminateSession: one's own session only.
    ro_sm = ro.content.sessionManager
    assert [s.userName for s in ro_sm.sessionList] == ["ro"]
    with pytest.raises(vim.fault.NoPermission):
        ro_sm.TerminateSession([mine])
    with pytest.raises(vim.fault.NotFound):
        sm.TerminateSession(["0" * 32])
    with pytest.raises(vmodl.fault.InvalidArgument):
        sm.TerminateSession([mine])
    other_key = other.content.sessionManager.currentSession.key
    sm.TerminateSession([other_key])
    with pytest.raises(vim.fault.NotAuthenticated):
        other.CurrentTime()
    assert other_key not in {s.key for s in sm.sessionList}
    si.CurrentTime()


def test_has_privilege_on_entities(hostd):
    si = hostd.connect()
    auth = si.content.authorizationManager
    vm = register_vm(hostd, si, "one")
    si.content.accountManager.CreateUser(spec("ro", GOOD))
    auth.SetEntityPermissions(si.content.rootFolder, [perm("ro", -2)])
    ro = hostd.connect(user="ro", password=GOOD)
    ro_key = ro.content.sessionManager.currentSession.key
    privs = ["System.Read", "VirtualMachine.Interact.PowerOn"]
    ro_auth = ro.content.authorizationManager
    got = ro_auth.HasPrivilegeOnEntities([vm], ro_key, privs)
    assert got[0].entity._moId == vm._moId
    assert [(a.privId, a.isGranted) for a in got[0].privAvailability] == \
        [("System.Read", True), ("VirtualMachine.Interact.PowerOn", False)]
    # The admin asks about the user's session, or by its name.
    got = auth.HasPrivilegeOnEntities([vm, si.content.rootFolder], ro_key,
                                      privs)
    assert [[a.isGranted for a in e.privAvailability] for e in got] == \
        [[True, False], [True, False]]
    got = auth.HasUserPrivilegeOnEntities([vm], "root", privs)
    assert [a.isGranted for a in got[0].privAvailability] == [True, True]
    # FetchUserPrivilegeOnEntities: every privilege id, per entity.
    got = auth.FetchUserPrivilegeOnEntities([vm], "ro")
    assert got[0].entity._moId == vm._moId
    assert set(got[0].privileges) == {"System.Anonymous", "System.View",
                                      "System.Read"}
    with pytest.raises(vim.fault.NoPermission):
        ro_auth.FetchUserPrivilegeOnEntities([vm], "root")
    # The user may not ask about root's session.
    with pytest.raises(vim.fault.NoPermission):
        ro_auth.HasPrivilegeOnEntities(
            [vm], si.content.sessionManager.currentSession.key, privs)
    with pytest.raises(vmodl.fault.InvalidArgument):
        auth.HasPrivilegeOnEntities([vm], ro_key, ["No.Such.Privilege"])


def test_what_a_user_may_not_read_is_left_out(hostd):
    si = hostd.connect()
    auth = si.content.authorizationManager
    one, two = register_vm(hostd, si, "one"), register_vm(hostd, si, "two")
    am = si.content.accountManager
    for name in ("solo", "none"):
        am.CreateUser(spec(name, GOOD))
    # solo: Admin on VM one, nothing anywhere else; none: NoAccess.
    auth.SetEntityPermissions(one, [perm("solo", -1)])
    auth.SetEntityPermissions(si.content.rootFolder, [perm("none", -5)])
    for name, want in (("solo", ["one"]), ("none", []), ("root",
                                                        ["one", "two"])):
        s = hostd.connect(user=name,
                          password=GOOD if name != "root" else None)
        view = s.content.viewManager.CreateContainerView(
            s.content.rootFolder, [vim.VirtualMachine], True)
        assert sorted(v.name for v in view.view) == want, name
        found = s.content.searchIndex.FindByInventoryPath(
            "ha-datacenter/vm/two")
        assert (found is not None) == (name == "root"), name
    # The host's settings are the host's to show.
    s = hostd.connect(user="none", password=GOOD)
    om = vim.option.OptionManager("ha-adv-options", s._stub)
    with pytest.raises(vim.fault.NoPermission):
        om.QueryOptions("Security.")
    with pytest.raises(vim.fault.NoPermission):
        om.setting
    s = hostd.connect(user="solo", password=GOOD)
    vm = vim.VirtualMachine(two._moId, s._stub)
    with pytest.raises(vim.fault.NoPermission) as ei:
        vm.name
    assert ei.value.privilegeId == "System.Read"
    assert vim.VirtualMachine(one._moId, s._stub).name == "one"
    # Permissions too: only those on what the user may read.
    seen = {(p.entity._moId, p.principal) for p in
            s.content.authorizationManager.RetrieveAllPermissions()}
    assert seen == {(one._moId, "solo")}, seen


def test_every_change_login_and_lockout_is_audited(hostd_bin, tmp_path):
    path = str(tmp_path / "log.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sink:
        sink.bind(path)
        h = Hostd(hostd_bin, tmp_path / "root", args=["--syslog", path])
        try:
            si = h.connect()
            with pytest.raises(vim.fault.InvalidLogin):
                h.connect(password="Not-the-pAss-1")
            si.content.accountManager.CreateUser(spec("eve", GOOD))
            option(si, "Security.AccountLockFailures",
                   VmomiSupport.vmodlTypes["long"](2))
            eve = h.connect(user="eve", password=GOOD)
            with pytest.raises(vim.fault.NoPermission):
                eve.content.accountManager.CreateUser(spec("x", GOOD))
            for _ in range(2):
                with pytest.raises(vim.fault.InvalidLogin):
                    h.connect(user="eve", password="Wrong-pAss-1")
            eve.content.sessionManager.Logout()
        finally:
            log = h.stop()
        sink.settimeout(1)
        records = []
        try:
            while True:
                records.append(sink.recv(65536).decode())
        except socket.timeout:
            pass
    fields = []
    for r in records:
        m = re.match(r"<(\d+)>1 \S+Z \S+ hostd \d+ audit "
                     r"\[audit@32473 (.*?)\] (.*)$", r)
        assert m, r
        pri = int(m.group(1))
        assert pri // 8 == 10  # authpriv
        f = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(2)))
        f["severity"] = pri % 8
        fields.append(f)

    def seen(**want):
        return any(all(f.get(k) == v for k, v in want.items())
                   for f in fields)

    assert seen(user="root", op="Login", result="ok")
    assert all(f["ip"].startswith("127.") for f in fields)
    assert seen(user="root", op="Login", result="InvalidLogin", severity=4)
    assert seen(user="root", op="CreateUser",
                object="HostLocalAccountManager:ha-localacctmgr",
                result="ok")
    assert seen(user="root", op="UpdateOptions", result="ok")
    assert seen(user="eve", op="CreateUser", result="NoPermission")
    assert seen(user="eve", op="AccountLock", result="locked")
    assert seen(user="eve", op="Logout", result="ok")
    for secret in (GOOD, "Not-the-pAss-1", "Wrong-pAss-1", h.password):
        assert not any(secret in r for r in records)
        assert secret not in log
    # hostd's own log holds every record too.
    assert log.count("audit: ") >= len(records)


def test_parallel_guesses_do_not_get_past_the_lockout(hostd):
    from concurrent.futures import ThreadPoolExecutor
    si = hostd.connect()
    si.content.accountManager.CreateUser(spec("target", GOOD))

    def guess(i):
        try:
            hostd.connect(user="target", password=f"Guess-nUmber-{i}")
            return "in"
        except vim.fault.InvalidLogin:
            return "refused"

    with ThreadPoolExecutor(20) as pool:
        results = list(pool.map(guess, range(40)))
    assert results == ["refused"] * 40
    # Locked after the fifth failure: the right password is refused now.
    with pytest.raises(vim.fault.InvalidLogin):
        hostd.connect(user="target", password=GOOD)
    log = hostd.stop()
    # Exactly five passwords were tried; the rest met the lock.
    assert len(re.findall(r"login of 'target' from \S+ refused$", log,
                          re.M)) == 5
    assert "account 'target' locked after 5 failed logins" in log
    hostd.start()


def test_a_removed_account_takes_its_sessions_and_rights_along(hostd):
    si = hostd.connect()
    am, auth = si.content.accountManager, si.content.authorizationManager
    root = si.content.rootFolder
    am.CreateUser(spec("temp", GOOD))
    am.CreateGroup(spec("crew"))
    auth.SetEntityPermissions(root, [perm("temp", -1),
                                     perm("crew", -2, group=True)])
    s = hostd.connect(user="temp", password=GOOD)
    am.RemoveUser("temp")
    am.RemoveGroup("crew")
    with pytest.raises(vim.fault.NotAuthenticated):
        s.CurrentTime()
    left = {(p.principal, p.group) for p in auth.RetrieveAllPermissions()}
    assert ("temp", False) not in left and ("crew", True) not in left
    assert "temp" not in open(os.path.join(
        hostd.root, "etc", "basalt", "authorization.conf")).read()
    # A new account of the same name starts with nothing.
    am.CreateUser(spec("temp", GOOD))
    s = hostd.connect(user="temp", password=GOOD)
    with pytest.raises(vim.fault.NoPermission):
        s.content.accountManager.CreateUser(spec("other", GOOD))
    # A permission left in the file for a name no account has (an
    # administrator's edit, a failed write) is dropped when an account
    # of that name is made.
    hostd.stop()
    with open(os.path.join(hostd.root, "etc", "basalt",
                           "authorization.conf"), "a") as f:
        f.write('perm.99.entity = "Folder:ha-folder-root"\n'
                'perm.99.principal = "ghost"\nperm.99.group = "false"\n'
                'perm.99.role = "-1"\nperm.99.propagate = "true"\n')
    hostd.start()
    si = hostd.connect()
    si.content.accountManager.CreateUser(spec("ghost", GOOD))
    g = hostd.connect(user="ghost", password=GOOD)
    with pytest.raises(vim.fault.NoPermission):
        g.content.accountManager.CreateUser(spec("other", GOOD))
