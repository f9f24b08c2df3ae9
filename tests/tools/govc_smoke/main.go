// govc_smoke: a small VI API client built against Debian's govmomi (the
// library govc and Terraform use), for hostd's end-to-end tests. It logs
// in, lists the VMs through a container view, and with -poweron NAME
// finds that VM by its inventory path and powers it on, waiting for the
// task as govmomi's own tools do. With -accounts it walks issue 5's API
// as govc's host.account, role, permissions and session commands do.
package main

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"

	"github.com/vmware/govmomi"
	"github.com/vmware/govmomi/find"
	"github.com/vmware/govmomi/object"
	"github.com/vmware/govmomi/session"
	"github.com/vmware/govmomi/view"
	"github.com/vmware/govmomi/vim25/methods"
	"github.com/vmware/govmomi/vim25/mo"
	"github.com/vmware/govmomi/vim25/types"
)

func fail(what string, err error) {
	fmt.Fprintf(os.Stderr, "govc_smoke: %s: %v\n", what, err)
	os.Exit(1)
}

func main() {
	poweron := flag.String("poweron", "", "power this VM on")
	accounts := flag.Bool("accounts", false, "users, roles, permissions, sessions")
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
	if *accounts {
		accountsWalk(ctx, c, u)
	}
	if err := c.Logout(ctx); err != nil {
		fail("logout", err)
	}
}

// accountsWalk: a user, a role with one privilege, a permission on the
// root folder; what the user may do, its session listed and ended; all
// of it removed again. Each step prints one line the test reads.
func accountsWalk(ctx context.Context, c *govmomi.Client, u *url.URL) {
	sc := c.ServiceContent
	am := object.NewHostAccountManager(c.Client, *sc.AccountManager)
	err := am.Create(ctx, &types.HostAccountSpec{Id: "gouser",
		Password: "Go-wAlks-42x", Description: "from govmomi"})
	if err != nil {
		fail("create user", err)
	}
	res, err := methods.RetrieveUserGroups(ctx, c.Client,
		&types.RetrieveUserGroups{This: *sc.UserDirectory,
			SearchStr: "gouser", ExactMatch: true, FindUsers: true})
	if err != nil {
		fail("user groups", err)
	}
	for _, r := range res.Returnval {
		if p, ok := r.(*types.PosixUserSearchResult); ok {
			fmt.Printf("user %s %q id>=1000:%v\n", p.Principal,
				p.FullName, p.Id >= 1000)
		}
	}
	auth := object.NewAuthorizationManager(c.Client)
	id, err := auth.AddRole(ctx, "goRole",
		[]string{"VirtualMachine.Interact.PowerOn"})
	if err != nil {
		fail("add role", err)
	}
	err = auth.SetEntityPermissions(ctx, sc.RootFolder, []types.Permission{{
		Principal: "gouser", RoleId: id, Propagate: true}})
	if err != nil {
		fail("set permission", err)
	}
	perms, err := auth.RetrieveAllPermissions(ctx)
	if err != nil {
		fail("permissions", err)
	}
	for _, p := range perms {
		if p.Principal == "gouser" {
			fmt.Printf("permission %s %s role=%v\n", p.Principal,
				p.Entity.Value, p.RoleId == id)
		}
	}
	has, err := auth.HasUserPrivilegeOnEntities(ctx,
		[]types.ManagedObjectReference{sc.RootFolder}, "gouser",
		[]string{"VirtualMachine.Interact.PowerOn",
			"VirtualMachine.Config.Settings"})
	if err != nil {
		fail("has privilege", err)
	}
	for _, a := range has[0].PrivAvailability {
		fmt.Printf("has %s %v\n", a.PrivId, a.IsGranted)
	}
	// The user logs in on a client of its own.
	uu := *u
	uu.User = url.UserPassword("gouser", "Go-wAlks-42x")
	other, err := govmomi.NewClient(ctx, &uu, true)
	if err != nil {
		fail("user login", err)
	}
	mine, err := other.SessionManager.UserSession(ctx)
	if err != nil {
		fail("user session", err)
	}
	var sm mo.SessionManager
	err = c.RetrieveOne(ctx, *sc.SessionManager, []string{"sessionList"}, &sm)
	if err != nil {
		fail("session list", err)
	}
	for _, s := range sm.SessionList {
		if s.Key == mine.Key {
			fmt.Printf("session %s listed\n", s.UserName)
		}
	}
	err = session.NewManager(c.Client).TerminateSession(ctx,
		[]string{mine.Key})
	if err != nil {
		fail("terminate", err)
	}
	// govmomi answers a NotAuthenticated session as none, no error.
	gone, err := other.SessionManager.UserSession(ctx)
	fmt.Printf("terminated %v\n", err != nil || gone == nil)
	if err := auth.RemoveRole(ctx, id, false); err != nil {
		fail("remove role", err)
	}
	if err := am.Remove(ctx, "gouser"); err != nil {
		fail("remove user", err)
	}
	fmt.Println("accounts done")
}
