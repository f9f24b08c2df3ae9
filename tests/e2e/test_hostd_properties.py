"""hostd's PropertyCollector as pyVmomi drives it: attribute access,
traversal specs over the inventory, continuation tokens and the faults
for bad specs (issue 4)."""
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


def test_traversal_reaches_every_folder_once(si):
    pc = si.content.propertyCollector
    spec = PC.FilterSpec(
        objectSet=[PC.ObjectSpec(obj=si.content.rootFolder, skip=False,
                                 selectSet=traversal_spec())],
        propSet=[PC.PropertySpec(type=vim.ManagedEntity, pathSet=["name"])])
    result = pc.RetrievePropertiesEx([spec], PC.RetrieveOptions())
    names = sorted(o.propSet[0].val for o in result.objects)
    assert names == ["ha-datacenter", "ha-folder-root", "host", "vm"]
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
    assert len(rest.objects) == 1 and rest.token is None
    names = {o.propSet[0].val for o in first.objects + rest.objects}
    assert len(names) == 4
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
