"""Datastore files through the API, with pyVmomi: FileManager
MakeDirectory and DeleteDatastoreFile_Task, VirtualDiskManager
CreateVirtualDisk_Task (raw disks, thin or preallocated) and the
HostDatastoreBrowser searches (issue 4)."""
import os
import time

import pytest


pytest.importorskip("pyVmomi")
from pyVmomi import vim, vmodl  # noqa: E402


def ds_dir(h, *rel):
    return os.path.join(h.root, "vmfs", "volumes", "datastore1", *rel)


def wait(task, timeout=60):
    deadline = time.monotonic() + timeout
    while task.info.state not in ("success", "error"):
        assert time.monotonic() < deadline, task.info
        time.sleep(0.05)
    if task.info.state == "error":
        raise task.info.error
    return task.info.result


def dc_of(si):
    return si.content.rootFolder.childEntity[0]


def test_make_directory_and_delete(hostd):
    si = hostd.connect()
    fm = si.content.fileManager
    assert fm._moId == "ha-nfc-file-manager"
    fm.MakeDirectory("[datastore1] a", dc_of(si))
    assert os.path.isdir(ds_dir(hostd, "a"))
    with pytest.raises(vim.fault.FileAlreadyExists) as ei:
        fm.MakeDirectory("[datastore1] a")
    assert ei.value.file == "[datastore1] a"
    with pytest.raises(vim.fault.FileNotFound):
        fm.MakeDirectory("[datastore1] x/y/z")
    assert not os.path.exists(ds_dir(hostd, "x"))
    fm.MakeDirectory("[datastore1] x/y/z", createParentDirectories=True)
    assert os.path.isdir(ds_dir(hostd, "x", "y", "z"))
    with open(ds_dir(hostd, "x", "y", "file.txt"), "w") as f:
        f.write("data")
    # A folder goes with everything in it.
    wait(fm.DeleteDatastoreFile_Task("[datastore1] x", dc_of(si)))
    assert not os.path.exists(ds_dir(hostd, "x"))
    with pytest.raises(vim.fault.FileNotFound) as ei:
        wait(fm.DeleteDatastoreFile_Task("[datastore1] x"))
    assert ei.value.file == "[datastore1] x"


def test_paths_outside_a_datastore_are_refused(hostd, tmp_path):
    si = hostd.connect()
    fm = si.content.fileManager
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "precious").write_text("keep")
    os.symlink(str(outside), ds_dir(hostd, "link"))
    for bad in ("[datastore1] ../../x", "[nosuch] a", "datastore1/a",
                "[datastore1] link/new", "[datastore1] link/precious"):
        with pytest.raises(vim.fault.InvalidDatastorePath):
            fm.MakeDirectory(bad)
        with pytest.raises(vim.fault.InvalidDatastorePath):
            fm.DeleteDatastoreFile_Task(bad)
    assert sorted(os.listdir(outside)) == ["precious"]
    # The datastore's own top folder stays.
    with pytest.raises(vim.fault.InvalidDatastorePath):
        wait(fm.DeleteDatastoreFile_Task("[datastore1]"))
    assert os.path.isdir(ds_dir(hostd))


def test_create_virtual_disk_thin_and_preallocated(hostd):
    si = hostd.connect()
    vdm = si.content.virtualDiskManager
    assert vdm._moId == "ha-vdiskmanager"
    si.content.fileManager.MakeDirectory("[datastore1] disks")
    spec = vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
        diskType="thin", adapterType="lsiLogic", capacityKb=1024 * 1024)
    name = wait(vdm.CreateVirtualDisk_Task("[datastore1] disks/a.img",
                                           dc_of(si), spec))
    assert name == "[datastore1] disks/a.img"
    st = os.stat(ds_dir(hostd, "disks", "a.img"))
    assert st.st_size == 1 << 30
    assert st.st_blocks * 512 < 1 << 20, "a thin disk takes no space"
    spec.diskType = "preallocated"
    spec.capacityKb = 4096
    wait(vdm.CreateVirtualDisk_Task("[datastore1] disks/b.img", None, spec))
    st = os.stat(ds_dir(hostd, "disks", "b.img"))
    assert st.st_size == 4 << 20 and st.st_blocks * 512 >= 4 << 20
    with pytest.raises(vim.fault.FileAlreadyExists):
        wait(vdm.CreateVirtualDisk_Task("[datastore1] disks/b.img", None,
                                        spec))
    assert os.stat(ds_dir(hostd, "disks", "b.img")).st_size == 4 << 20
    with pytest.raises(vim.fault.FileNotFound):
        wait(vdm.CreateVirtualDisk_Task("[datastore1] nodir/c.img", None,
                                        spec))
    for bad in (dict(capacityKb=0), dict(capacityKb=-5)):
        with pytest.raises(vmodl.fault.InvalidArgument):
            vdm.CreateVirtualDisk_Task(
                "[datastore1] disks/d.img", None,
                vim.VirtualDiskManager.FileBackedVirtualDiskSpec(
                    diskType="thin", adapterType="lsiLogic", **bad))
    with pytest.raises(vmodl.fault.InvalidArgument):
        vdm.CreateVirtualDisk_Task("[datastore1] disks/d.vmdk", None, spec)
    spec.diskType = "sparseMonolithic"
    with pytest.raises(vmodl.fault.NotSupported):
        vdm.CreateVirtualDisk_Task("[datastore1] disks/d.img", None, spec)
    assert sorted(os.listdir(ds_dir(hostd, "disks"))) == ["a.img", "b.img"]


def make_tree(h):
    os.makedirs(ds_dir(h, "web", "sub"))
    for rel, size in (("web/web.vmx", 10), ("web/web.img", 2048),
                      ("web/vmware.log", 5), ("web/notes.txt", 1),
                      ("web/sub/deep.iso", 3), ("top.vmx", 1)):
        with open(ds_dir(h, *rel.split("/")), "wb") as f:
            f.write(b"x" * size)


def test_search_one_folder_with_queries_patterns_and_details(hostd):
    make_tree(hostd)
    si = hostd.connect()
    ds = dc_of(si).datastore[0]
    browser = ds.browser
    assert browser._moId == "ha-host-datastorebrowser"
    assert si.content.rootFolder.childEntity[0].hostFolder.childEntity[0] \
        .host[0].datastoreBrowser._moId == browser._moId
    spec = vim.host.DatastoreBrowser.SearchSpec(
        details=vim.host.DatastoreBrowser.FileInfo.Details(
            fileType=True, fileSize=True, modification=True),
        matchPattern=["*"])
    r = wait(browser.SearchDatastore_Task("[datastore1] web", spec))
    assert r.folderPath == "[datastore1] web"
    assert r.datastore == ds
    got = {f.path: type(f).__name__.split(".")[-1] for f in r.file}
    assert got == {"web.vmx": "VmConfigInfo", "web.img": "VmDiskInfo",
                   "vmware.log": "VmLogInfo", "notes.txt": "FileInfo",
                   "sub": "FolderInfo"}, got
    sizes = {f.path: f.fileSize for f in r.file}
    assert sizes["web.img"] == 2048
    assert all(f.modification.year >= 2026 for f in r.file)
    # Queries pick kinds; patterns pick names.
    spec = vim.host.DatastoreBrowser.SearchSpec(
        query=[vim.host.DatastoreBrowser.VmConfigQuery(),
               vim.host.DatastoreBrowser.VmDiskQuery()])
    r = wait(browser.SearchDatastore_Task("[datastore1] web", spec))
    assert sorted(f.path for f in r.file) == ["web.img", "web.vmx"]
    spec = vim.host.DatastoreBrowser.SearchSpec(matchPattern=["*.LOG"],
                                                searchCaseInsensitive=True)
    r = wait(browser.SearchDatastore_Task("[datastore1] web", spec))
    assert [f.path for f in r.file] == ["vmware.log"]
    with pytest.raises(vim.fault.FileNotFound):
        wait(browser.SearchDatastore_Task("[datastore1] nope", spec))
    with pytest.raises(vim.fault.InvalidDatastorePath):
        browser.SearchDatastore_Task("[datastore1] ../..", spec)


def test_search_subfolders(hostd):
    make_tree(hostd)
    si = hostd.connect()
    browser = dc_of(si).datastore[0].browser
    spec = vim.host.DatastoreBrowser.SearchSpec(
        query=[vim.host.DatastoreBrowser.VmConfigQuery(),
               vim.host.DatastoreBrowser.IsoImageQuery()],
        details=vim.host.DatastoreBrowser.FileInfo.Details(fileType=True))
    results = wait(browser.SearchDatastoreSubFolders_Task("[datastore1]",
                                                          spec))
    found = {r.folderPath: sorted(f.path for f in r.file) for r in results}
    assert found == {"[datastore1]": ["top.vmx"],
                     "[datastore1] web": ["web.vmx"],
                     "[datastore1] web/sub": ["deep.iso"]}, found
