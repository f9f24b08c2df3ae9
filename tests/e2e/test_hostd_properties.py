"""hostd's PropertyCollector as pyVmomi drives it: attribute access,
traversal specs over the inventory, continuation tokens and the faults
for bad specs (issue 4)."""
import os
import socket
import threading
import time

import pytest

from hostd import Hostd

pytest.importorskip("pyVmomi")
from pyVmomi import vim, vmodl  # noqa: E402

PC = vmodl.query.PropertyCollector


@pytest.fixture
def si(hostd_bin, tmp_path):
    h = Hostd(hostd_bin, tmp_path / "root")
    yield h.connect()
    h.stop()


def test_attribute_access_walks_the_fixed_inventory(si):
    content = si.content  # RetrievePropertiesEx on ServiceInstance.content
    assert content.about.apiType == "HostAgent"
    root = content.rootFolder
    assert root.name == "ha-folder-root"
    assert root.parent is None
    assert "Datacenter" in root.childType
    dc = root.childEntity[0]
    assert isinstance(dc, vim.Datacenter) and dc._moId == "ha-datacenter"
    assert dc.name == "ha-datacenter"
    assert dc.parent._moId == "ha-folder-root"
    assert dc.vmFolder._moId == "ha-folder-vm"
    assert dc.vmFolder.name == "vm"
    assert dc.hostFolder.parent == dc
    assert dc.overallStatus == "green"
    session = content.sessionManager.currentSession
    assert session.userName == "root" and len(session.key) == 32


def traversal_spec():
    """The usual recursive walk: folders into their children, the
    datacenter into its four folders."""
    folder = PC.TraversalSpec(name="folder", type=vim.Folder,
                              path="childEntity", skip=False)
    dc = PC.TraversalSpec(name="dc", type=vim.Datacenter, path="vmFolder",
                          skip=False)
    dc2 = PC.TraversalSpec(name="dc2", type=vim.Datacenter,
                           path="hostFolder", skip=False)
    again = [PC.SelectionSpec(name="folder"), PC.SelectionSpec(name="dc"),
             PC.SelectionSpec(name="dc2")]
    folder.selectSet = again
    dc.selectSet = again
    dc2.selectSet = again
    return [folder, dc, dc2]


# What traversal_spec() reaches from the root folder: the folders, the
# datacenter, and the compute resource, named after the host.
EVERY_NAME = sorted(["ha-datacenter", "ha-folder-root", "host", "vm",
                     socket.gethostname()])


def test_traversal_reaches_every_folder_once(si):
    pc = si.content.propertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=si.content.rootFolder, skip=False,
                                 selectSet=traversal_spec())],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])])
    result = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    names = sorted(o.propSet[0].val for o in result.objects)
    assert names == EVERY_NAME
    assert result.token is None
    # The older call that govmomi uses: the same objects.
    old = pc.RetrieveProperties([spec])
    assert sorted(o.propSet[0].val for o in old) == names


def test_skip_and_type_filtering(si):
    pc = si.content.propertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=si.content.rootFolder, skip=True,
                                 selectSet=traversal_spec())],
        propSet=[PC.PropertySpec(type=vim.Folder, all=True)])
    objs = pc.RetrieveProperties([spec])
    ids = sorted(o.obj._moId for o in objs)
    assert ids == ["ha-folder-host", "ha-folder-vm"]  # root skipped
    props = {p.name for p in objs[0].propSet}
    assert {"name", "parent", "childType"} <= props


def test_max_objects_gives_a_token_to_continue(si):
    pc = si.content.propertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=si.content.rootFolder, skip=False,
                                 selectSet=traversal_spec())],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])])
    first = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=3))
    assert len(first.objects) == 3 and first.token
    rest = pc.ContinueRetrievePropertiesEx(first.token)
    assert len(rest.objects) == 2 and rest.token is None
    ids = {o.obj._moId for o in first.objects + rest.objects}
    assert len(ids) == 5
    with pytest.raises(vmodl.fault.InvalidArgument):
        pc.ContinueRetrievePropertiesEx(first.token)  # used up
    again = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions(maxObjects=1))
    pc.CancelRetrievePropertiesEx(again.token)
    with pytest.raises(vmodl.fault.InvalidArgument):
        pc.ContinueRetrievePropertiesEx(again.token)


def test_bad_specs_are_faults(si):
    pc = si.content.propertyCollector
    root = si.content.rootFolder
    bad_path = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=root)],
        propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["noSuchThing"])])
    with pytest.raises(vmodl.query.InvalidProperty):
        pc.RetrievePropertiesEx([bad_path], PC.RetrieveOptions())
    gone = vim.Folder("ha-folder-nothing", si._stub)
    missing = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=gone)],
        propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["name"])])
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        pc.RetrievePropertiesEx([missing], PC.RetrieveOptions())
    unknown_name = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=root, selectSet=[
            PC.SelectionSpec(name="nowhere")])],
        propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["name"])])
    with pytest.raises(vmodl.fault.InvalidArgument):
        pc.RetrievePropertiesEx([unknown_name], PC.RetrieveOptions())


def test_cycles_in_a_spec_end(si):
    """parent and childEntity lead round in circles: every object once."""
    pc = si.content.propertyCollector
    up = PC.TraversalSpec(name="up", type=vim.ManagedEntity, path="parent")
    down = PC.TraversalSpec(name="down", type=vim.Folder, path="childEntity")
    dcdown = PC.TraversalSpec(name="dcdown", type=vim.Datacenter,
                              path="vmFolder")
    for t in (up, down, dcdown):
        t.selectSet = [PC.SelectionSpec(name=n)
                       for n in ("up", "down", "dcdown")]
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=vim.Folder("ha-folder-vm", si._stub),
                                 selectSet=[up, down, dcdown])],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])])
    objs = pc.RetrieveProperties([spec])
    ids = [o.obj._moId for o in objs]
    assert sorted(ids) == ["ha-datacenter", "ha-folder-root", "ha-folder-vm"]


def name_filter(si, pc):
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=si.content.rootFolder, skip=False,
                                 selectSet=traversal_spec())],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])])
    return pc.CreateFilter(spec, partialUpdates=True)


def test_first_wait_reports_everything_then_only_changes(si):
    pc = si.content.propertyCollector
    f = name_filter(si, pc)
    first = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
    assert first.version
    sets = first.filterSet
    assert len(sets) == 1 and sets[0].filter == f
    kinds = {o.kind for o in sets[0].objectSet}
    assert kinds == {"enter"}
    names = sorted(o.changeSet[0].val for o in sets[0].objectSet)
    assert names == EVERY_NAME
    assert all(o.changeSet[0].op == "assign" for o in sets[0].objectSet)
    # Nothing changed since: a poll has no update, a wait times out.
    assert pc.WaitForUpdatesEx(first.version,
                               PC.WaitOptions(maxWaitSeconds=0)) is None
    assert pc.CheckForUpdates(first.version) is None
    t0 = time.monotonic()
    assert pc.WaitForUpdatesEx(first.version,
                               PC.WaitOptions(maxWaitSeconds=1)) is None
    assert time.monotonic() - t0 >= 0.9
    # The older call (pyVim's WaitForTask) from the start again.
    again = pc.WaitForUpdates(None)
    assert len(again.filterSet[0].objectSet) == 5
    f.DestroyPropertyFilter()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        f.DestroyPropertyFilter()


def test_cancel_ends_a_blocked_wait(si):
    pc = si.content.propertyCollector
    name_filter(si, pc)
    version = pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))\
        .version
    outcome = {}

    def wait():
        try:
            outcome["r"] = pc.WaitForUpdatesEx(
                version, PC.WaitOptions(maxWaitSeconds=60))
        except Exception as e:  # noqa: BLE001 (the fault is the result)
            outcome["e"] = e
    t = threading.Thread(target=wait)
    t0 = time.monotonic()
    t.start()
    time.sleep(0.5)
    # Other calls go on meanwhile on other connections.
    assert si.content.rootFolder.name == "ha-folder-root"
    pc.CancelWaitForUpdates()
    t.join(30)
    assert not t.is_alive()
    assert isinstance(outcome.get("e"), vmodl.fault.RequestCanceled)
    assert time.monotonic() - t0 < 30


def test_private_collectors_as_govmomi_uses_them(si):
    pc = si.content.propertyCollector
    mine = pc.CreatePropertyCollector()
    assert mine._moId != pc._moId
    f = name_filter(si, mine)
    r = mine.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))
    assert len(r.filterSet[0].objectSet) == 5
    # The shared collector has no filters of its own here.
    assert pc.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0)) is None
    mine.DestroyPropertyCollector()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        f.DestroyPropertyFilter()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        mine.WaitForUpdatesEx("", PC.WaitOptions(maxWaitSeconds=0))


def test_container_views_list_what_is_inside(si):
    content = si.content
    vm = content.viewManager
    folders = vm.CreateContainerView(content.rootFolder, [vim.Folder], True)
    ids = sorted(o._moId for o in folders.view)
    assert ids == ["ha-folder-datastore", "ha-folder-host",
                   "ha-folder-network", "ha-folder-vm"]
    assert folders.recursive is True and folders.type == ["Folder"]
    top = vm.CreateContainerView(content.rootFolder, [], False)
    assert [o._moId for o in top.view] == ["ha-datacenter"]
    assert {v._moId for v in vm.viewList} == {folders._moId, top._moId}
    # The usual listing: an ObjectSpec on the view, skipped, traversing
    # its "view" property.
    pc = content.propertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=folders, skip=True, selectSet=[
            PC.TraversalSpec(type=vim.ContainerView, path="view")])],
        propSet=[PC.PropertySpec(type=vim.Folder, pathSet=["name"])])
    names = sorted(o.propSet[0].val
                   for o in pc.RetrievePropertiesEx(
                       [spec], PC.RetrieveOptions()).objects)
    assert names == ["datastore", "host", "network", "vm"]
    folders.DestroyView()
    with pytest.raises(vmodl.fault.ManagedObjectNotFound):
        folders.DestroyView()
    with pytest.raises(vmodl.fault.InvalidArgument):
        vm.CreateContainerView(vim.Folder("no-such-folder", si._stub),
                               [], True)


def test_host_compute_resource_pool_and_datastore(si, tmp_path):
    content = si.content
    dc = content.rootFolder.childEntity[0]
    cr = dc.hostFolder.childEntity[0]
    assert isinstance(cr, vim.ComputeResource) and cr._moId == \
        "ha-compute-res"
    host = cr.host[0]
    assert host._moId == "ha-host" and host.parent == cr
    assert cr.resourcePool._moId == "ha-root-pool"
    assert cr.resourcePool.name == "Resources"
    assert cr.resourcePool.owner == cr
    assert cr.summary.numHosts == 1
    hw = host.hardware
    threads = os.cpu_count()
    assert hw.cpuInfo.numCpuThreads == threads
    mem_kb = int(open("/proc/meminfo").read().split()[1])
    assert hw.memorySize == mem_kb * 1024
    assert hw.systemInfo.uuid
    s = host.summary
    assert s.hardware.numCpuThreads == threads
    assert s.config.product.apiType == "HostAgent"
    assert s.config.name == socket.gethostname()
    assert s.runtime.connectionState == "connected"
    assert host.runtime.powerState == "poweredOn"
    assert 0 < s.quickStats.uptime
    assert s.quickStats.overallMemoryUsage > 0
    # datastore1 is made at first start, in the host's root.
    ds = host.datastore[0]
    assert ds.name == "datastore1" and dc.datastore == [ds]
    assert dc.datastoreFolder.childEntity == [ds]
    assert ds.summary.accessible and ds.summary.capacity > 0
    assert 0 < ds.summary.freeSpace <= ds.summary.capacity
    assert ds.summary.url == f"ds:///vmfs/volumes/{ds._moId}/"
    assert isinstance(ds.info, vim.host.LocalDatastoreInfo)
    assert ds.info.path.endswith("/vmfs/volumes/datastore1")
    assert ds.host[0].key == host
    # Another directory there is another datastore, at once.
    os.mkdir(os.path.join(os.path.dirname(ds.info.path), "fast"))
    assert sorted(d.name for d in host.datastore) == ["datastore1", "fast"]
