/*
 * tap.c: TAP backend (see tap.h).
 */
#include "vmx/backends/tap.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/sockios.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TUN_DEVICE "/dev/net/tun"

static int name_copy(char *dst, const char *src)
{
	size_t n = strlen(src);

	if (n == 0 || n >= IFNAMSIZ)
		return -1;
	memcpy(dst, src, n + 1);
	return 0;
}

/* Bring the interface up and, if asked, enslave it to bridge. */
static int tap_plumb(struct tap *t, const char *bridge, struct err *e)
{
	struct ifreq ifr;
	int s, rc = 0;

	s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return err_set(e, -errno, "socket: %s", strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->tp_name, IFNAMSIZ);
	if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
		rc = err_set(e, -errno, "tap %s: %s", t->tp_name,
			     strerror(errno));
		goto out;
	}
	if (!(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0) {
			rc = err_set(e, -errno,
				     "tap %s: cannot bring it up: %s",
				     t->tp_name, strerror(errno));
			goto out;
		}
	}
	if (bridge != NULL) {
		int ifindex;
		memset(&ifr, 0, sizeof(ifr));
		memcpy(ifr.ifr_name, t->tp_name, IFNAMSIZ);
		if (ioctl(s, SIOCGIFINDEX, &ifr) < 0) {
			rc = err_set(e, -errno, "tap %s: %s", t->tp_name,
				     strerror(errno));
			goto out;
		}
		ifindex = ifr.ifr_ifindex;
		memset(&ifr, 0, sizeof(ifr));
		if (name_copy(ifr.ifr_name, bridge) < 0) {
			rc = err_set(e, -EINVAL,
				     "bridge name '%s' is not a "
				     "valid interface name",
				     bridge);
			goto out;
		}
		ifr.ifr_ifindex = ifindex;
		/* EBUSY: already a port of a bridge; fine if it is this one,
		 * the admin's business otherwise. */
		if (ioctl(s, SIOCBRADDIF, &ifr) < 0 && errno != EBUSY) {
			rc = err_set(e, -errno,
				     "cannot add tap %s to bridge %s: %s",
				     t->tp_name, bridge, strerror(errno));
			goto out;
		}
	}
out:
	close(s);
	return rc;
}

int tap_open(struct tap **tp, const char *name, const char *bridge,
	     struct err *e)
{
	struct ifreq ifr;
	struct tap *t;
	int hdr = TAP_VNET_HDR_BYTES, rc;

	t = calloc(1, sizeof(*t));
	if (t == NULL)
		return err_set(e, -ENOMEM, "out of memory");
	t->tp_fd = -1;
	if (name_copy(t->tp_name, name) < 0) {
		rc = err_set(e, -EINVAL,
			     "tap name '%s': 1 to %d characters expected", name,
			     IFNAMSIZ - 1);
		goto fail;
	}
	t->tp_fd = open(TUN_DEVICE, O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (t->tp_fd < 0) {
		rc = err_set(e, -errno, "cannot open %s: %s", TUN_DEVICE,
			     strerror(errno));
		goto fail;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, t->tp_name, IFNAMSIZ);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR;
	if (ioctl(t->tp_fd, TUNSETIFF, &ifr) < 0) {
		rc = err_set(e, -errno, "tap %s: %s%s", t->tp_name,
			     strerror(errno),
			     errno == EPERM ? " (creating a tap needs "
					      "CAP_NET_ADMIN, or create it "
					      "persistent for this user)"
					    : "");
		goto fail;
	}
	if (ioctl(t->tp_fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		rc = err_set(e, -errno, "tap %s: TUNSETVNETHDRSZ: %s",
			     t->tp_name, strerror(errno));
		goto fail;
	}
	/* No offloads until the guest's features say which it takes. */
	if (tap_set_offload(t, 0) < 0) {
		rc = err_set(e, -errno, "tap %s: TUNSETOFFLOAD: %s", t->tp_name,
			     strerror(errno));
		goto fail;
	}
	rc = tap_plumb(t, bridge, e);
	if (rc < 0)
		goto fail;
	*tp = t;
	return 0;
fail:
	tap_close(t);
	return rc;
}

int tap_set_offload(struct tap *t, unsigned offloads)
{
	unsigned long f = 0;

	if (offloads & TAP_OFFLOAD_CSUM)
		f |= TUN_F_CSUM;
	if (offloads & TAP_OFFLOAD_TSO4)
		f |= TUN_F_TSO4;
	if (offloads & TAP_OFFLOAD_TSO6)
		f |= TUN_F_TSO6;
	if (offloads & TAP_OFFLOAD_ECN)
		f |= TUN_F_TSO_ECN;
	return ioctl(t->tp_fd, TUNSETOFFLOAD, f) < 0 ? -errno : 0;
}

void tap_close(struct tap *t)
{
	if (t == NULL)
		return;
	if (t->tp_fd >= 0)
		close(t->tp_fd);
	free(t);
}
