"""VMs in hostd's inventory as pyVmomi sees them: register a .vmx
folder, read its configuration through the API, list it, unregister it;
bad paths are the faults clients expect (issue 4)."""
import os
import subprocess
import time

import pytest

from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVim.task import WaitForTask  # noqa: E402
from pyVmomi import vim, vmodl  # noqa: E402

VMX = """displayName = "web"
numvcpus = "2"
memsize = "256"
guestOS = "debian11-64"
uuid.bios = "56 4d 12 34 56 78 9a bc-de f0 12 34 56 78 9a bc"
basalt.kernel = "/boot/vmlinuz"
basalt.cmdline = "console=ttyS0"
scsi0.present = "TRUE"
scsi0:0.fileName = "disk.img"
ethernet0.present = "TRUE"
ethernet0.networkName = "br0"
ethernet0.address = "00:50:56:01:02:03"
serial0.present = "TRUE"
serial0.fileType = "file"
serial0.fileName = "console.log"
"""


@pytest.fixture
def host(hostd):
    return hostd


def make_vm(host, name="web", text=VMX):
    d = os.path.join(host.root, "vmfs", "volumes", "datastore1", name)
    os.makedirs(d)
    with open(os.path.join(d, f"{name}.vmx"), "w") as f:
        f.write(text)
    with open(os.path.join(d, "disk.img"), "wb") as f:
        f.truncate(8 << 20)
    return f"[datastore1] {name}/{name}.vmx"


def register(si, path):
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.RegisterVM_Task(path=path, asTemplate=False,
                                       pool=pool)
    WaitForTask(task)
    return task.info.result


def test_register_read_list_unregister(host):
    si = host.connect()
    vm = register(si, make_vm(host))
    assert isinstance(vm, vim.VirtualMachine) and vm._moId == "1"
    assert vm.name == "web"
    cfg = vm.config
    assert cfg.hardware.numCPU == 2 and cfg.hardware.memoryMB == 256
    assert cfg.guestId == "debian11-64"
    assert cfg.uuid == "564d1234-5678-9abc-def0-123456789abc"
    assert cfg.files.vmPathName == "[datastore1] web/web.vmx"
    disks = [d for d in cfg.hardware.device
             if isinstance(d, vim.vm.device.VirtualDisk)]
    assert len(disks) == 1
    assert disks[0].backing.fileName == "[datastore1] web/disk.img"
    assert disks[0].capacityInKB == 8192
    nics = [d for d in cfg.hardware.device
            if isinstance(d, vim.vm.device.VirtualEthernetCard)]
    assert nics[0].backing.deviceName == "br0"
    assert nics[0].macAddress == "00:50:56:01:02:03"
    serial = [d for d in cfg.hardware.device
              if isinstance(d, vim.vm.device.VirtualSerialPort)]
    assert serial[0].backing.fileName == "console.log"
    extra = {o.key: o.value for o in cfg.extraConfig}
    assert extra["basalt.kernel"] == "/boot/vmlinuz"
    assert vm.runtime.powerState == "poweredOff"
    assert vm.summary.config.numCpu == 2
    assert vm.summary.config.vmPathName == "[datastore1] web/web.vmx"
    assert vm.summary.runtime.powerState == "poweredOff"
    assert vm.parent._moId == "ha-folder-vm"
    assert vm.resourcePool._moId == "ha-root-pool"
    assert vm.datastore[0].name == "datastore1"
    # Listed where clients look.
    content = si.content
    view = content.viewManager.CreateContainerView(
        content.rootFolder, [vim.VirtualMachine], True)
    assert view.view == [vm]
    host_obj = content.rootFolder.childEntity[0].hostFolder.childEntity[0]\
        .host[0]
    assert host_obj.vm == [vm]
    tasks = content.taskManager.recentTask
    assert tasks[-1].info.descriptionId == "Folder.registerVm"
    assert tasks[-1].info.state == "success"
    assert tasks[-1].info.result == vm
    assert tasks[-1].info.entity._moId == "ha-folder-vm"
    assert tasks[-1].info.reason.userName == "root"
    # Kept across a restart of hostd.
    host.stop()
    host.start()
    si = host.connect()
    vm = vim.VirtualMachine("1", si._stub)
    assert vm.name == "web"
    vm.UnregisterVM()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vm.UnregisterVM()
    assert os.path.exists(os.path.join(host.root, "vmfs", "volumes",
                                       "datastore1", "web", "web.vmx"))
    view = si.content.viewManager.CreateContainerView(
        si.content.rootFolder, [vim.VirtualMachine], True)
    assert view.view == []
    # A new registration gets a new id: ids are not reused.
    assert register(si, "[datastore1] web/web.vmx")._moId == "2"


def test_bad_registrations_are_faults(host):
    si = host.connect()
    path = make_vm(host)
    register(si, path)
    with pytest.raises(vim.fault.AlreadyExists):
        register(si, path)
    for bad in ("web/web.vmx", "[datastore1", "[datastore1] ../../x.vmx",
                "[nosuchds] web/web.vmx"):
        with pytest.raises(vim.fault.InvalidDatastorePath):
            register(si, bad)
    with pytest.raises(vim.fault.FileNotFound):
        register(si, "[datastore1] web/missing.vmx")
    broken = make_vm(host, "broken", 'displayName = "no end quote\n')
    with pytest.raises(vmodl.fault.InvalidArgument) as e:
        register(si, broken)
    assert "broken.vmx:1" in e.value.msg
    # Nothing half done: only the first VM is there.
    view = si.content.viewManager.CreateContainerView(
        si.content.rootFolder, [vim.VirtualMachine], True)
    assert [v.name for v in view.view] == ["web"]


def test_power_on_failure_is_a_task_error_and_the_vm_stays_off(host):
    """vmx refuses this VM (its kernel is missing): the task ends in
    error with vmx's own words, and the VM is poweredOff again."""
    si = host.connect()
    vm = register(si, make_vm(host, "nokernel", VMX.replace(
        "/boot/vmlinuz", "/nonexistent/vmlinuz")))
    task = vm.PowerOnVM_Task()
    with pytest.raises(vmodl.fault.SystemError) as e:
        WaitForTask(task)
    assert "could not start" in e.value.msg
    assert task.info.state == "error"
    assert vm.runtime.powerState == "poweredOff"
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.PowerOffVM_Task()
    with pytest.raises(vim.fault.InvalidPowerState):
        vm.ShutdownGuest()
    with pytest.raises(vmodl.fault.NotSupported):
        vm.SuspendVM_Task()


def create_spec(name, kernel, disk_kb=65536, nic=True):
    dev = vim.vm.device
    disk = dev.VirtualDisk(
        key=-101, controllerKey=-100, unitNumber=0, capacityInKB=disk_kb,
        backing=dev.VirtualDisk.FlatVer2BackingInfo(
            fileName="", diskMode="persistent", thinProvisioned=True))
    nic = dev.VirtualVmxnet3(
        key=-102, addressType="manual", macAddress="00:50:56:0a:0b:0c",
        backing=dev.VirtualEthernetCard.NetworkBackingInfo(
            deviceName="br0"))
    serial = dev.VirtualSerialPort(
        key=-103, yieldOnPoll=True,
        backing=dev.VirtualSerialPort.FileBackingInfo(
            fileName="console.log"))
    ctl = dev.ParaVirtualSCSIController(key=-100, busNumber=0,
                                        sharedBus="noSharing")
    changes = [dev.VirtualDeviceSpec(operation="add", device=ctl),
               dev.VirtualDeviceSpec(operation="add", fileOperation="create",
                                     device=disk),
               dev.VirtualDeviceSpec(operation="add", device=serial)]
    if nic:
        # On host bridge br0, which a VM that is to run needs to exist.
        changes.append(dev.VirtualDeviceSpec(operation="add", device=nic))
    return vim.vm.ConfigSpec(
        name=name, guestId="otherLinux64Guest", numCPUs=1, memoryMB=128,
        files=vim.vm.FileInfo(vmPathName="[datastore1]"),
        deviceChange=changes,
        extraConfig=[vim.option.OptionValue(key="basalt.kernel",
                                            value=kernel)])


def test_create_reconfigure_destroy(host, hello_guest, vmx_bin):
    import subprocess
    si = host.connect()
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(create_spec("acc-1", hello_guest),
                                     pool)
    WaitForTask(task)
    vm = task.info.result
    vmdir = os.path.join(host.root, "vmfs", "volumes", "datastore1",
                         "acc-1")
    vmx = os.path.join(vmdir, "acc-1.vmx")
    assert vm.config.files.vmPathName == "[datastore1] acc-1/acc-1.vmx"
    disk = [d for d in vm.config.hardware.device
            if isinstance(d, vim.vm.device.VirtualDisk)][0]
    assert disk.backing.fileName == "[datastore1] acc-1/acc-1.img"
    assert disk.capacityInKB == 65536
    img = os.path.join(vmdir, "acc-1.img")
    assert os.stat(img).st_size == 64 << 20
    assert os.stat(img).st_blocks == 0  # thin: nothing allocated
    nic = [d for d in vm.config.hardware.device
           if isinstance(d, vim.vm.device.VirtualEthernetCard)][0]
    assert nic.macAddress == "00:50:56:0a:0b:0c"
    assert nic.backing.deviceName == "br0"
    # vmx itself accepts what hostd wrote.
    r = subprocess.run([vmx_bin, "--check", vmx], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    # Reconfigure CPUs and memory (off), and a bad value changes nothing.
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(numCPUs=2,
                                                     memoryMB=256)))
    assert vm.config.hardware.numCPU == 2
    assert vm.config.hardware.memoryMB == 256
    before = open(vmx).read()
    for bad in (vim.vm.ConfigSpec(memoryMB=257),
                vim.vm.ConfigSpec(numCPUs=65),
                vim.vm.ConfigSpec(name="a/b")):
        with pytest.raises(vmodl.fault.InvalidArgument):
            vm.ReconfigVM_Task(bad)
    assert open(vmx).read() == before
    r = subprocess.run([vmx_bin, "--check", vmx], capture_output=True,
                       text=True)
    assert r.returncode == 0, r.stderr
    assert 'numvcpus = "2"' in r.stdout and 'memsize = "256"' in r.stdout
    # The same name again is refused, and leaves nothing behind.
    with pytest.raises(vim.fault.FileAlreadyExists):
        WaitForTask(dc.vmFolder.CreateVM_Task(
            create_spec("acc-1", hello_guest), pool))
    # Destroy: unregistered, files gone.
    WaitForTask(vm.Destroy_Task())
    assert not os.path.exists(vmdir)
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        vm.Destroy_Task()
    # Each step is an event, about that VM, by root, in order.
    em = si.content.eventManager
    events = em.QueryEvents(vim.event.EventFilterSpec(
        entity=vim.event.EventFilterSpec.ByEntity(entity=vm,
                                                  recursion="self")))
    assert [type(e).__name__.split(".")[-1] for e in events] == [
        "VmCreatedEvent", "VmReconfiguredEvent", "VmRemovedEvent"]
    assert all(e.vm.vm._moId == vm._moId and e.userName == "root"
               for e in events)
    assert events[0].vm.name == "acc-1"
    assert events[0].chainId == task.info.eventChainId
    logins = em.QueryEvents(vim.event.EventFilterSpec(
        eventTypeId=["UserLoginSessionEvent"]))
    assert logins[-1].userName == "root"
    assert logins[-1].ipAddress == "127.0.0.1"
    assert em.latestEvent.key == events[-1].key
    assert len(em.QueryEvents(vim.event.EventFilterSpec(maxCount=2))) == 2


def test_create_with_bad_specs_writes_nothing(host, hello_guest):
    si = host.connect()
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    ds_dir = os.path.join(host.root, "vmfs", "volumes", "datastore1")
    for spec, fault in (
            (vim.vm.ConfigSpec(name="x", memoryMB=3, files=vim.vm.FileInfo(
                vmPathName="[datastore1]")), vmodl.fault.InvalidArgument),
            (vim.vm.ConfigSpec(name="x", files=vim.vm.FileInfo(
                vmPathName="[nosuch]")), vim.fault.InvalidDatastorePath),
            (vim.vm.ConfigSpec(files=vim.vm.FileInfo(
                vmPathName="[datastore1]")), vmodl.fault.InvalidArgument)):
        with pytest.raises(fault):
            WaitForTask(dc.vmFolder.CreateVM_Task(spec, pool))
    nodisk = create_spec("y", hello_guest)
    nodisk.deviceChange[1].device.capacityInKB = 0  # the disk
    with pytest.raises(vmodl.fault.InvalidArgument):
        WaitForTask(dc.vmFolder.CreateVM_Task(nodisk, pool))
    assert os.listdir(ds_dir) == []


def test_power_cycle_of_a_tiny_guest_on_local_kvm(host, control_guest):
    """The issue's pyVmomi scenario on this machine's /dev/kvm: a VM made
    by CreateVM_Task powers on, the change shows through
    WaitForUpdatesEx, and it powers off (the Debian kernel version of
    this runs in the nested bed, test_hostd_nested.py)."""
    from conftest import kvm_unusable_reason
    why = kvm_unusable_reason()
    if why:
        pytest.skip(why)
    si = host.connect()
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    task = dc.vmFolder.CreateVM_Task(
        create_spec("tiny", control_guest, nic=False), pool)
    WaitForTask(task)
    vm = task.info.result
    PC = vmodl.query.PropertyCollector
    pc = si.content.propertyCollector
    pc.CreateFilter(PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vm)],
        propSet=[PC.PropertySpec(type=vim.VirtualMachine,
                                 pathSet=["runtime.powerState"])]), True)
    first = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
    assert first.filterSet[0].objectSet[0].changeSet[0].val == "poweredOff"
    WaitForTask(vm.PowerOnVM_Task())
    on = pc.WaitForUpdatesEx(first.version, PC.WaitOptions(maxWaitSeconds=30))
    assert on.filterSet[0].objectSet[0].changeSet[0].val == "poweredOn"
    WaitForTask(vm.PowerOffVM_Task())
    off = pc.WaitForUpdatesEx(on.version, PC.WaitOptions(maxWaitSeconds=30))
    assert off.filterSet[0].objectSet[0].changeSet[0].val == "poweredOff"
    WaitForTask(vm.Destroy_Task())


def test_destroying_a_vm_at_a_datastore_top_keeps_the_datastore(host):
    """A .vmx may sit at a datastore's top level: destroying that VM
    removes its files, never the datastore's directory."""
    ds = os.path.join(host.root, "vmfs", "volumes", "datastore1")
    with open(os.path.join(ds, "top.vmx"), "w") as f:
        f.write('displayName = "top"\n')
    si = host.connect()
    vm = register(si, "[datastore1] top.vmx")
    WaitForTask(vm.Destroy_Task())
    assert os.path.isdir(ds) and os.listdir(ds) == []
    assert [d.name for d in si.content.rootFolder.childEntity[0]
            .datastore] == ["datastore1"]


def test_cancel_a_power_on_that_never_comes_up(hostd_bin, tmp_path):
    # A "vmx" that starts and never answers on its control socket: the
    # power-on waits, and CancelTask ends it.
    fake = tmp_path / "slow-vmx"
    fake.write_text("#!/bin/sh\nexec sleep 300\n")
    fake.chmod(0o755)
    h = Hostd(hostd_bin, tmp_path / "root", args=["--vmx", str(fake)])
    try:
        d = os.path.join(h.root, "vmfs", "volumes", "datastore1", "slow")
        os.makedirs(d)
        with open(os.path.join(d, "slow.vmx"), "w") as f:
            f.write('displayName = "slow"\nmemsize = "64"\n')
        si = h.connect()
        vm = register(si, "[datastore1] slow/slow.vmx")
        task = vm.PowerOnVM_Task()
        assert task.info.state == "running"
        assert task.info.cancelable
        pids = subprocess.run(["pgrep", "-P", str(h.proc.pid)],
                              capture_output=True, text=True).stdout.split()
        assert pids, "the slow vmx is not running"
        task.CancelTask()
        deadline = time.monotonic() + 30
        while task.info.state == "running":
            assert time.monotonic() < deadline
            time.sleep(0.1)
        assert task.info.state == "error"
        assert task.info.cancelled
        assert type(task.info.error).__name__.endswith("RequestCanceled")
        assert vm.runtime.powerState == "poweredOff"
        for pid in pids:
            assert not os.path.exists(f"/proc/{pid}") or \
                open(f"/proc/{pid}/stat").read().split()[2] == "Z"
        # An ended task cannot be cancelled.
        with pytest.raises(vim.fault.InvalidState):
            task.CancelTask()
    finally:
        h.stop()


def devices(vm):
    return {d.key: d for d in vm.config.hardware.device}


def test_reconfigure_devices_add_edit_remove(host, hello_guest):
    si = host.connect()
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    vm = WaitForTask(dc.vmFolder.CreateVM_Task(
        create_spec("devs", hello_guest, disk_kb=1024), pool)) and None
    vm = dc.vmFolder.childEntity[0]
    vmdir = os.path.join(host.root, "vmfs", "volumes", "datastore1", "devs")
    dev = vim.vm.device
    before = devices(vm)
    disk = [d for d in before.values() if isinstance(d, dev.VirtualDisk)][0]
    nic = [d for d in before.values()
           if isinstance(d, dev.VirtualEthernetCard)][0]
    serial = [d for d in before.values()
              if isinstance(d, dev.VirtualSerialPort)][0]
    # Add a disk and a NIC, grow the first disk, move the NIC to another
    # network, remove the serial port: one spec, one write.
    new_disk = dev.VirtualDisk(
        key=-1, controllerKey=disk.controllerKey, capacityInKB=2048,
        backing=dev.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent",
                                                    thinProvisioned=True))
    new_nic = dev.VirtualVmxnet3(
        key=-2, backing=dev.VirtualEthernetCard.NetworkBackingInfo(
            deviceName="br1"))
    disk.capacityInKB = 4096
    nic.backing.deviceName = "br2"
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        dev.VirtualDeviceSpec(operation="add", fileOperation="create",
                              device=new_disk),
        dev.VirtualDeviceSpec(operation="add", device=new_nic),
        dev.VirtualDeviceSpec(operation="edit", device=disk),
        dev.VirtualDeviceSpec(operation="edit", device=nic),
        dev.VirtualDeviceSpec(operation="remove", device=serial)])))
    after = devices(vm)
    disks = sorted((d.backing.fileName, d.capacityInKB) for d in
                   after.values() if isinstance(d, dev.VirtualDisk))
    assert disks == [("[datastore1] devs/devs.img", 4096),
                     ("[datastore1] devs/devs_1.img", 2048)]
    nets = sorted(d.backing.deviceName for d in after.values()
                  if isinstance(d, dev.VirtualEthernetCard))
    assert nets == ["br1", "br2"]
    assert not any(isinstance(d, dev.VirtualSerialPort)
                   for d in after.values())
    assert os.path.getsize(os.path.join(vmdir, "devs.img")) == 4 << 20
    with open(os.path.join(vmdir, "devs.vmx")) as f:
        text = f.read()
    assert "serial0" not in text
    assert 'scsi0:1.fileName = "devs_1.img"' in text
    # A disk removed with fileOperation destroy goes with its file.
    second = [d for d in after.values() if isinstance(d, dev.VirtualDisk)
              and d.backing.fileName.endswith("devs_1.img")][0]
    WaitForTask(vm.ReconfigVM_Task(vim.vm.ConfigSpec(deviceChange=[
        dev.VirtualDeviceSpec(operation="remove", fileOperation="destroy",
                              device=second)])))
    assert not os.path.exists(os.path.join(vmdir, "devs_1.img"))
    assert sorted(os.listdir(vmdir)) == ["devs.img", "devs.vmx"]


def test_bad_device_changes_change_nothing(host, hello_guest):
    si = host.connect()
    dc = si.content.rootFolder.childEntity[0]
    pool = dc.hostFolder.childEntity[0].resourcePool
    WaitForTask(dc.vmFolder.CreateVM_Task(
        create_spec("bad", hello_guest, disk_kb=2048), pool))
    vm = dc.vmFolder.childEntity[0]
    vmdir = os.path.join(host.root, "vmfs", "volumes", "datastore1", "bad")
    with open(os.path.join(vmdir, "bad.vmx")) as f:
        vmx_before = f.read()
    dev = vim.vm.device
    disk = [d for d in vm.config.hardware.device
            if isinstance(d, dev.VirtualDisk)][0]
    shrink = dev.VirtualDisk(key=disk.key, capacityInKB=1024,
                             controllerKey=disk.controllerKey,
                             backing=disk.backing)
    ghost = dev.VirtualVmxnet3(key=4999)
    extra = dev.VirtualDisk(
        key=-1, controllerKey=disk.controllerKey, capacityInKB=1024,
        backing=dev.VirtualDisk.FlatVer2BackingInfo(diskMode="persistent"))
    for changes in (
            [dev.VirtualDeviceSpec(operation="edit", device=shrink)],
            [dev.VirtualDeviceSpec(operation="remove", device=ghost)],
            # A good add with a bad edit: neither lands.
            [dev.VirtualDeviceSpec(operation="add", fileOperation="create",
                                   device=extra),
             dev.VirtualDeviceSpec(operation="edit", device=shrink)]):
        with pytest.raises(vmodl.fault.InvalidArgument):
            WaitForTask(vm.ReconfigVM_Task(
                vim.vm.ConfigSpec(deviceChange=changes)))
    with open(os.path.join(vmdir, "bad.vmx")) as f:
        assert f.read() == vmx_before
    assert sorted(os.listdir(vmdir)) == ["bad.img", "bad.vmx"]
    assert os.path.getsize(os.path.join(vmdir, "bad.img")) == 2 << 20
