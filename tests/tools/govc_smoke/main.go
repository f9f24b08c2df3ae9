// govc_smoke: a small VI API client built against Debian's govmomi (the
// library govc and Terraform use), for hostd's end-to-end tests. It logs
// in, lists the VMs through a container view, and with -poweron NAME
// finds that VM by its inventory path and powers it on, waiting for the
// task as govmomi's own tools do.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/mo"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "govc_smoke: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	poweron := flag.String("poweron", "", "power this VM on")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: govc_smoke [-poweron NAME] URL")
		os.Exit(2)
	}
	u, err := url.Parse(flag.Arg(0))
	if err != nil {
		fail("url", err)
	}
	ctx := context.Background()
	c, err := govmomi.NewClient(ctx, u, true)
	if err != nil {
		fail("login", err)
	}
	fmt.Printf("about %s %s\n", c.ServiceContent.About.ApiType,
		c.ServiceContent.About.ApiVersion)
	m := view.NewManager(c.Client)
	v, err := m.CreateContainerView(ctx, c.ServiceContent.RootFolder,
		[]string{"VirtualMachine"}, true)
	if err != nil {
		fail("view", err)
	}
	var vms []mo.VirtualMachine
	err = v.Retrieve(ctx, []string{"VirtualMachine"},
		[]string{"name", "runtime.powerState", "config.hardware.numCPU"},
		&vms)
	if err != nil {
		fail("retrieve", err)
	}
	for _, vm := range vms {
		fmt.Printf("vm %s %s %s %d\n", vm.Self.Value, vm.Name,
			vm.Runtime.PowerState, vm.Config.Hardware.NumCPU)
	}
	if *poweron != "" {
		finder := find.NewFinder(c.Client, true)
		dc, err := finder.DefaultDatacenter(ctx)
		if err != nil {
			fail("datacenter", err)
		}
		finder.SetDatacenter(dc)
		vm, err := finder.VirtualMachine(ctx, *poweron)
		if err != nil {
			fail("find", err)
		}
		task, err := vm.PowerOn(ctx)
		if err != nil {
			fail("power on", err)
		}
		err = task.Wait(ctx)
		state, perr := vm.PowerState(ctx)
		if perr != nil {
			fail("power state", perr)
		}
		fmt.Printf("poweron %s err=%v state=%s\n", vm.InventoryPath,
			err, state)
	}
	if err := c.Logout(ctx); err != nil {
		fail("logout", err)
	}
}
