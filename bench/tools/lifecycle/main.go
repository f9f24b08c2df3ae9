// lifecycle: the VM lifecycle benchmark's driver, run inside the nested
// test bed's L1 (bench/lifecycle.py). Each round takes one tiny guest
// through define, power on up to its first console output, power off and
// undefine, once through hostd and once through libvirt, each operation a
// command of its own as a user's script runs them: this binary itself
// (govmomi, as govc does: it logs in once and keeps the session for the
// next commands, in a session cache) for hostd, virsh for libvirt (root
// on libvirtd's Unix socket, no password). It prints one line per
// operation: "<side> <op> <seconds>".
//
// Usage:
//
//	lifecycle vim URL login
//	lifecycle vim URL create NAME KERNEL INITRD CMDLINE MEM_MB
//	lifecycle vim URL on|off|destroy NAME
//	lifecycle bench ROUNDS URL KERNEL INITRD CMDLINE MEM_MB
//	lifecycle time COMMAND ARGS...   (one command's wall time)
package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"time"

	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session/cache"
	"github.com/vmware/govmomi/vim25"
	"github.com/vmware/govmomi/vim25/types"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "lifecycle: %s: %v\n", what, err)
	os.Exit(1)
}

// vim runs one operation through hostd, from login to logout.
func vim(args []string) {
	if len(args) < 2 || (args[1] != "login" && len(args) < 3) {
		fail("usage", fmt.Errorf("vim URL OP NAME ..."))
	}
	u, err := url.Parse(args[0])
	if err != nil {
		fail("url", err)
	}
	ctx := context.Background()
	// govc's way: a session kept between commands, checked and reused.
	s := &cache.Session{URL: u, Insecure: true,
		DirSOAP: "/tmp/lifecycle-sessions"}
	c := new(vim25.Client)
	if err := s.Login(ctx, c, nil); err != nil {
		fail("login", err)
	}
	if args[1] == "login" {
		return // the session is kept for the next commands
	}
	finder := find.NewFinder(c, true)
	dc, err := finder.DefaultDatacenter(ctx)
	if err != nil {
		fail("datacenter", err)
	}
	finder.SetDatacenter(dc)
	op, name := args[1], args[2]
	var task *object.Task
	if op == "create" {
		if len(args) != 7 {
			fail("usage", fmt.Errorf("create NAME KERNEL INITRD CMDLINE MEM_MB"))
		}
		mem, _ := strconv.Atoi(args[6])
		folders, err := dc.Folders(ctx)
		if err != nil {
			fail("folders", err)
		}
		pool, err := finder.DefaultResourcePool(ctx)
		if err != nil {
			fail("pool", err)
		}
		serial := &types.VirtualSerialPort{
			VirtualDevice: types.VirtualDevice{
				Key: -1,
				Backing: &types.VirtualSerialPortFileBackingInfo{
					VirtualDeviceFileBackingInfo: types.VirtualDeviceFileBackingInfo{
						FileName: "console.log"}}}}
		spec := types.VirtualMachineConfigSpec{
			Name: name, NumCPUs: 1, MemoryMB: int64(mem),
			GuestId: "otherLinux64Guest",
			Files:   &types.VirtualMachineFileInfo{VmPathName: "[datastore1]"},
			DeviceChange: []types.BaseVirtualDeviceConfigSpec{
				&types.VirtualDeviceConfigSpec{
					Operation: types.VirtualDeviceConfigSpecOperationAdd,
					Device:    serial}},
			ExtraConfig: []types.BaseOptionValue{
				&types.OptionValue{Key: "basalt.kernel", Value: args[3]},
				&types.OptionValue{Key: "basalt.initrd", Value: args[4]},
				&types.OptionValue{Key: "basalt.cmdline", Value: args[5]}},
		}
		task, err = folders.VmFolder.CreateVM(ctx, spec, pool, nil)
		if err != nil {
			fail("create", err)
		}
	} else {
		vm, err := finder.VirtualMachine(ctx, name)
		if err != nil {
			fail("find", err)
		}
		switch op {
		case "on":
			task, err = vm.PowerOn(ctx)
		case "off":
			task, err = vm.PowerOff(ctx)
		case "destroy":
			task, err = vm.Destroy(ctx)
		default:
			fail("usage", fmt.Errorf("unknown operation %s", op))
		}
		if err != nil {
			fail(op, err)
		}
	}
	if err := task.Wait(ctx); err != nil {
		fail(op+" task", err)
	}
}

// run times one command; it must succeed.
func run(name string, args ...string) float64 {
	t0 := time.Now()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		fail(fmt.Sprintf("%s %v", name, args), fmt.Errorf("%v: %s", err, out))
	}
	return time.Since(t0).Seconds()
}

// firstOutput times a power-on command up to the first byte the guest
// writes to its console file.
func firstOutput(console string, name string, args ...string) float64 {
	t0 := time.Now()
	cmd := exec.Command(name, args...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		fail(fmt.Sprintf("%s %v", name, args), fmt.Errorf("%v: %s", err, out))
	}
	for {
		if st, err := os.Stat(console); err == nil && st.Size() > 0 {
			return time.Since(t0).Seconds()
		}
		if time.Since(t0) > 5*time.Minute {
			fail("console", fmt.Errorf("%s: no output", console))
		}
		time.Sleep(2 * time.Millisecond)
	}
}

const domainXML = `<domain type='kvm'>
  <name>%s</name>
  <memory unit='MiB'>%d</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='pc'>hvm</type>
    <kernel>%s</kernel>
    <initrd>%s</initrd>
    <cmdline>%s</cmdline>
  </os>
  <features><acpi/></features>
  <on_poweroff>destroy</on_poweroff>
  <devices>
    <serial type='file'><source path='%s'/><target port='0'/></serial>
    <memballoon model='none'/>
  </devices>
</domain>
`

func bench(args []string) {
	if len(args) != 6 {
		fail("usage", fmt.Errorf("bench ROUNDS URL KERNEL INITRD CMDLINE MEM_MB"))
	}
	rounds, _ := strconv.Atoi(args[0])
	u, kernel, initrd, cmdline := args[1], args[2], args[3], args[4]
	mem, _ := strconv.Atoi(args[5])
	self, err := os.Executable()
	if err != nil {
		fail("self", err)
	}
	vmDir := "/root/run/vmfs/volumes/datastore1/bench"
	lvConsole := "/tmp/lv-console.log"
	xml := "/tmp/lv-bench.xml"
	err = os.WriteFile(xml, []byte(fmt.Sprintf(domainXML, "bench", mem,
		kernel, initrd, cmdline, lvConsole)), 0644)
	if err != nil {
		fail("xml", err)
	}
	basalt := func() {
		fmt.Printf("basalt define %.4f\n", run(self, "vim", u, "create",
			"bench", kernel, initrd, cmdline, strconv.Itoa(mem)))
		fmt.Printf("basalt on %.4f\n", firstOutput(vmDir+"/console.log",
			self, "vim", u, "on", "bench"))
		fmt.Printf("basalt off %.4f\n", run(self, "vim", u, "off", "bench"))
		fmt.Printf("basalt undefine %.4f\n", run(self, "vim", u,
			"destroy", "bench"))
	}
	libvirt := func() {
		os.Remove(lvConsole)
		fmt.Printf("libvirt define %.4f\n", run("virsh", "define", xml))
		fmt.Printf("libvirt on %.4f\n", firstOutput(lvConsole, "virsh",
			"start", "bench"))
		fmt.Printf("libvirt off %.4f\n", run("virsh", "destroy", "bench"))
		fmt.Printf("libvirt undefine %.4f\n", run("virsh", "undefine",
			"bench"))
	}
	// One login first, as a govc user's first command, kept after.
	os.RemoveAll("/tmp/lifecycle-sessions")
	fmt.Printf("basalt login %.4f\n", run(self, "vim", u, "login"))
	for r := 0; r < rounds; r++ {
		// Taking turns, first one then the other.
		if r%2 == 0 {
			basalt()
			libvirt()
		} else {
			libvirt()
			basalt()
		}
	}
}

func main() {
	if len(os.Args) < 2 {
		fail("usage", fmt.Errorf("lifecycle vim|bench ..."))
	}
	switch os.Args[1] {
	case "vim":
		vim(os.Args[2:])
	case "bench":
		bench(os.Args[2:])
	case "time":
		// One command's wall time, for looking into a round.
		t0 := time.Now()
		err := exec.Command(os.Args[2], os.Args[3:]...).Run()
		fmt.Printf("%.1f ms (%v): %v\n",
			time.Since(t0).Seconds()*1000, err, os.Args[2:])
	default:
		fail("usage", fmt.Errorf("lifecycle vim|bench ..."))
	}
}
