/*
 * virtio_net.c: virtio network device on a TAP (see virtio_net.h).
 *
 * Transmit runs in the vCPU thread that notifies: each chain is one frame
 * (virtio_net_hdr + packet) written to the TAP as it stands, since the TAP
 * speaks the same header. Receive runs in a thread of its own, polling the
 * TAP and an eventfd the guest's rx notifications kick: a frame is read
 * once into a buffer, then copied into as many receive chains as it needs
 * (mergeable buffers), and the guest is interrupted once per batch. When
 * the guest has no receive buffers the frame waits, and the TAP queues
 * (or drops) what follows, as a full NIC ring would.
 */
#include "vmx/devices/virtio_net.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common/log.h"
#include "common/thread.h"
#include "vmx/backends/tap.h"
#include "vmx/devices/virtio_pci.h"

#define VIRTIO_ID_NET		1
#define VIRTIO_NET_F_CSUM	0
#define VIRTIO_NET_F_GUEST_CSUM 1
#define VIRTIO_NET_F_MAC	5
#define VIRTIO_NET_F_GUEST_TSO4 7
#define VIRTIO_NET_F_GUEST_TSO6 8
#define VIRTIO_NET_F_GUEST_ECN	9
#define VIRTIO_NET_F_HOST_TSO4	11
#define VIRTIO_NET_F_HOST_TSO6	12
#define VIRTIO_NET_F_HOST_ECN	13
#define VIRTIO_NET_F_MRG_RXBUF	15
#define VIRTIO_NET_F_STATUS	16
#define VIRTIO_NET_S_LINK_UP	1
#define RXQ			0
#define TXQ			1
#define QUEUE_SIZE		256
#define CONFIG_BYTES		10
#define HDR_NUM_BUFFERS_OFF	10
#define LOG_DROPS_MAX		10
#define PAUSE_POLL_MS		100 /* paused: how often the I/O thread looks */

struct virtio_net {
	struct virtio_pci *vn_vp;
	struct vm *vn_vm;
	struct tap *vn_tap;
	int vn_kick_fd; /* eventfd: frames to send, rx buffers added, stop */
	int vn_stop;	/* under the VM lock */
	pthread_t vn_thread; /* the I/O thread: both queues and the TAP */
	int vn_thread_live;
	uint8_t vn_config[CONFIG_BYTES];
	int vn_mrg_rxbuf;
	/* receive side, used by the I/O thread only */
	uint8_t vn_rx_frame[VIRTIO_NET_FRAME_MAX_BYTES];
	size_t vn_rx_len; /* a frame waiting for buffers, 0: none */
	struct virtq_chain vn_rx_chain;
	struct virtq_chain vn_rx_first; /* holds the header: num_buffers */
	uint16_t vn_rx_heads[VIRTQ_SIZE_MAX];
	uint32_t vn_rx_lens[VIRTQ_SIZE_MAX];
	/* transmit side, used by the I/O thread under the VM lock */
	struct virtq_chain vn_tx_chain;
	struct iovec vn_tx_iov[VIRTQ_SEGS_MAX];
	/* counters */
	uint64_t vn_rx_frames, vn_tx_frames, vn_rx_dropped, vn_tx_dropped;
	uint64_t vn_kicks; /* the guest's notifies (each one an exit) */
};

static void net_log_drop(struct virtio_net *n, const char *what, int err)
{
	uint64_t drops = n->vn_rx_dropped + n->vn_tx_dropped;

	if (drops <= LOG_DROPS_MAX)
		log_info("virtio-net %s: %s dropped: %s%s", n->vn_tap->tp_name,
			 what, strerror(err),
			 drops == LOG_DROPS_MAX ? " (further drops counted, "
						  "not logged)"
						: "");
}

/*
 * May the I/O thread move frames on queue vq now? Not while stopping,
 * without a live driver or an enabled queue, or while the VM is paused
 * (its memory must not change). Under the VM lock.
 */
static int queue_ready(struct virtio_net *n, const struct virtq *vq)
{
	return !n->vn_stop && virtio_pci_live(n->vn_vp) && vq->vq_enabled &&
	       !vm_is_paused(n->vn_vm);
}

/* ---- transmit ---- */

/*
 * Send up to a batch of the guest's frames to the TAP, on the I/O thread
 * (the vCPU that kicked is back in the guest meanwhile, and queues more
 * without kicking while we trail behind: event index). Returns 1 when a
 * full batch went and more may wait.
 */
static int tx_batch(struct virtio_net *n)
{
	struct virtq *vq;
	struct err e = {0};
	int rc, sent = 0, more = 0;

	vm_lock(n->vn_vm);
	vq = virtio_pci_queue(n->vn_vp, TXQ);
	if (!queue_ready(n, vq))
		goto out;
	while ((rc = virtq_pop(vq, &n->vn_tx_chain, &e)) > 0) {
		struct virtq_chain *ch = &n->vn_tx_chain;
		ssize_t w;
		if (ch->vc_read_bytes < TAP_VNET_HDR_BYTES ||
		    ch->vc_read_bytes > VIRTIO_NET_FRAME_MAX_BYTES) {
			virtio_pci_needs_reset(n->vn_vp,
					       "transmit frame of a bad size");
			goto out;
		}
		for (unsigned i = 0; i < ch->vc_nread; i++) {
			n->vn_tx_iov[i].iov_base = ch->vc_seg[i].vs_ptr;
			n->vn_tx_iov[i].iov_len = ch->vc_seg[i].vs_len;
		}
		do {
			w = writev(n->vn_tap->tp_fd, n->vn_tx_iov,
				   (int)ch->vc_nread);
		} while (w < 0 && errno == EINTR);
		if (w < 0) {
			/* The TAP's queue is full or the frame is bad: a
			 * NIC drops it too. */
			n->vn_tx_dropped++;
			net_log_drop(n, "transmit", errno);
		} else {
			n->vn_tx_frames++;
		}
		virtq_push(vq, ch->vc_head, 0);
		if (++sent == VIRTIO_NET_TX_BATCH) {
			more = 1;
			break;
		}
	}
	if (rc < 0) {
		virtio_pci_needs_reset(n->vn_vp, err_msg(&e));
		goto out;
	}
	if (sent > 0)
		virtio_pci_queue_done(n->vn_vp, TXQ);
out:
	vm_unlock(n->vn_vm);
	return more;
}

/* Both queues' notifies go straight to the I/O thread, through KVM. */
static int virtio_net_queue_eventfd(void *dev, unsigned q)
{
	struct virtio_net *n = dev;

	(void)q;
	return n->vn_kick_fd;
}

/* A vCPU kicked a queue (a notify KVM did not match): wake the I/O
 * thread and go back to the guest. */
static void virtio_net_notify(void *dev, unsigned q)
{
	struct virtio_net *n = dev;
	uint64_t one = 1;

	(void)q; /* the thread looks at both queues */
	if (write(n->vn_kick_fd, &one, sizeof(one)) < 0) {
		/* Only when the counter is full: a wake-up is pending. */
		log_debug("virtio-net: kick: %s", strerror(errno));
	}
}

/* ---- receive ---- */

/* Copy the chain's fixed part and its segments in use. */
static void chain_save(struct virtq_chain *dst, const struct virtq_chain *src)
{
	unsigned nseg = src->vc_nread + src->vc_nwrite;

	memcpy(dst, src, offsetof(struct virtq_chain, vc_seg));
	memcpy(dst->vc_seg, src->vc_seg, sizeof(src->vc_seg[0]) * nseg);
}

/*
 * Copy the waiting frame into receive chains. Returns 1 when delivered
 * (or dropped as undeliverable), 0 when the guest has no buffers yet, -1
 * when the device is broken.
 */
static int rx_deliver(struct virtio_net *n, struct virtq *vq)
{
	size_t off = 0, len = n->vn_rx_len;
	uint16_t nbufs = 0;
	struct err e = {0};
	uint8_t nb[2];
	int rc;

	while (off < len) {
		struct virtq_chain *ch = &n->vn_rx_chain;
		uint64_t put;
		int more_needed = nbufs > 0 && !n->vn_mrg_rxbuf;
		rc = more_needed ? 1 : virtq_pop(vq, ch, &e);
		if (rc < 0) {
			virtio_pci_needs_reset(n->vn_vp, err_msg(&e));
			return -1;
		}
		if (rc == 0) {
			/* Out of buffers half way: wait for more. */
			virtq_unpop(vq, nbufs);
			return 0;
		}
		if (more_needed || nbufs >= vq->vq_size) {
			/* Larger than every buffer the guest posts: it can
			 * never be delivered. */
			virtq_unpop(vq, nbufs);
			n->vn_rx_dropped++;
			net_log_drop(n,
				     "receive (frame larger than the "
				     "guest's buffers)",
				     EMSGSIZE);
			return 1;
		}
		if (ch->vc_write_bytes <
		    (nbufs == 0 ? TAP_VNET_HDR_BYTES : 1)) {
			virtio_pci_needs_reset(n->vn_vp,
					       "receive buffer too small");
			return -1;
		}
		put = virtq_chain_write(ch, 0, n->vn_rx_frame + off, len - off);
		if (nbufs == 0)
			chain_save(&n->vn_rx_first, ch);
		n->vn_rx_heads[nbufs] = ch->vc_head;
		n->vn_rx_lens[nbufs] = (uint32_t)put;
		nbufs++;
		off += put;
	}
	/* num_buffers (le16) sits in the header, in the first buffer. */
	nb[0] = (uint8_t)nbufs;
	nb[1] = (uint8_t)(nbufs >> 8);
	(void)virtq_chain_write(&n->vn_rx_first, HDR_NUM_BUFFERS_OFF, nb, 2);
	for (uint16_t i = 0; i < nbufs; i++)
		virtq_push(vq, n->vn_rx_heads[i], n->vn_rx_lens[i]);
	n->vn_rx_frames++;
	return 1;
}

/*
 * Move frames from the TAP to the guest until the TAP is empty, the guest
 * has no buffers, or a batch is done. Returns 1 if the TAP may have more
 * and buffers remain, 0 to wait for a kick or the TAP.
 */
static int rx_batch(struct virtio_net *n, int *want_tap)
{
	struct virtq *vq;
	int delivered = 0, more = 0, rc;

	vm_lock(n->vn_vm);
	vq = virtio_pci_queue(n->vn_vp, RXQ);
	*want_tap = 1;
	if (!queue_ready(n, vq)) {
		/* Frames wait in the TAP (which drops when full), as on a
		 * NIC whose driver is not loaded. */
		*want_tap = 0;
		goto out;
	}
	for (int i = 0; i < VIRTIO_NET_RX_BATCH; i++) {
		if (n->vn_rx_len == 0) {
			ssize_t r = read(n->vn_tap->tp_fd, n->vn_rx_frame,
					 sizeof(n->vn_rx_frame));
			if (r < 0 && errno == EINTR)
				continue;
			if (r <= 0)
				break; /* EAGAIN: empty */
			if ((size_t)r < TAP_VNET_HDR_BYTES)
				continue;
			n->vn_rx_len = (size_t)r;
		}
		rc = rx_deliver(n, vq);
		if (rc < 0) {
			*want_tap = 0;
			goto out;
		}
		if (rc == 0) {
			*want_tap = 0; /* wait for the guest's kick */
			break;
		}
		n->vn_rx_len = 0;
		delivered++;
		if (i == VIRTIO_NET_RX_BATCH - 1)
			more = 1;
	}
out:
	if (delivered > 0)
		virtio_pci_queue_done(n->vn_vp, RXQ);
	vm_unlock(n->vn_vm);
	return more;
}

static void *virtio_net_thread(void *arg)
{
	struct virtio_net *n = arg;
	int want_tap = 1;

	for (;;) {
		struct pollfd pfd[2] = {
			{.fd = n->vn_kick_fd, .events = POLLIN},
			{.fd = n->vn_tap->tp_fd, .events = POLLIN},
		};
		int stop;
		/* Paused: nothing wakes this thread at resume, so look
		 * again now and then. */
		int wait_ms = vm_is_paused(n->vn_vm) ? PAUSE_POLL_MS : -1;
		if (poll(pfd, want_tap ? 2 : 1, wait_ms) < 0 && errno != EINTR)
			break;
		if (pfd[0].revents & POLLIN) {
			uint64_t v;
			if (read(n->vn_kick_fd, &v, sizeof(v)) < 0)
				v = 0; /* already drained */
			n->vn_kicks += v;
		}
		vm_lock(n->vn_vm);
		stop = n->vn_stop;
		vm_unlock(n->vn_vm);
		if (stop)
			break;
		/* Take turns, so a busy direction does not starve the
		 * other (the acks of a bulk send come back on rx). */
		for (int busy = 1; busy;) {
			busy = tx_batch(n);
			busy |= rx_batch(n, &want_tap);
		}
	}
	return NULL;
}

static int virtio_net_features_ok(void *dev, uint64_t f)
{
	struct virtio_net *n = dev;
	unsigned off = 0;

	if (f & (1ULL << VIRTIO_NET_F_GUEST_CSUM))
		off |= TAP_OFFLOAD_CSUM;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO4))
		off |= TAP_OFFLOAD_TSO4;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_TSO6))
		off |= TAP_OFFLOAD_TSO6;
	if (f & (1ULL << VIRTIO_NET_F_GUEST_ECN))
		off |= TAP_OFFLOAD_ECN;
	/* TSO without checksum offload is not a valid combination. */
	if (!(off & TAP_OFFLOAD_CSUM))
		off = 0;
	n->vn_mrg_rxbuf = (f >> VIRTIO_NET_F_MRG_RXBUF) & 1;
	if (tap_set_offload(n->vn_tap, off) < 0) {
		log_warnx("virtio-net %s: cannot set offloads 0x%x",
			  n->vn_tap->tp_name, off);
		return -1;
	}
	return 0;
}

static void virtio_net_reset(void *dev)
{
	struct virtio_net *n = dev;

	n->vn_rx_len = 0; /* a frame half delivered is dropped */
	n->vn_mrg_rxbuf = 0;
}

static const struct virtio_dev_ops virtio_net_ops = {
	.vd_name = "virtio-net",
	.vd_device_id = VIRTIO_ID_NET,
	.vd_pci_class = 0x020000, /* Ethernet controller */
	.vd_nqueues = 2,
	.vd_queue_size = QUEUE_SIZE,
	.vd_features =
		1ULL << VIRTIO_NET_F_CSUM | 1ULL << VIRTIO_NET_F_GUEST_CSUM |
		1ULL << VIRTIO_NET_F_MAC | 1ULL << VIRTIO_NET_F_GUEST_TSO4 |
		1ULL << VIRTIO_NET_F_GUEST_TSO6 |
		1ULL << VIRTIO_NET_F_GUEST_ECN |
		1ULL << VIRTIO_NET_F_HOST_TSO4 |
		1ULL << VIRTIO_NET_F_HOST_TSO6 | 1ULL << VIRTIO_NET_F_HOST_ECN |
		1ULL << VIRTIO_NET_F_MRG_RXBUF | 1ULL << VIRTIO_NET_F_STATUS,
	.vd_config_bytes = CONFIG_BYTES,
	.vd_queue_notify = virtio_net_notify,
	.vd_queue_eventfd = virtio_net_queue_eventfd,
	.vd_features_ok = virtio_net_features_ok,
	.vd_reset = virtio_net_reset,
};

int virtio_net_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3],
		   &v[4], &v[5], &tail) != 6 ||
	    strlen(s) != 17)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	/* A multicast address cannot be a NIC's own. */
	return (mac[0] & 1) ? -EINVAL : 0;
}

static void virtio_net_free(void *p)
{
	struct virtio_net *n = p;
	uint64_t one = 1;

	if (n->vn_thread_live) {
		vm_lock(n->vn_vm);
		n->vn_stop = 1;
		vm_unlock(n->vn_vm);
		if (write(n->vn_kick_fd, &one, sizeof(one)) < 0)
			log_warn("virtio-net: cannot stop the I/O thread");
		pthread_join(n->vn_thread, NULL);
		log_debug("virtio-net %s: %llu frames sent, %llu received, "
			  "%llu notifies",
			  n->vn_tap->tp_name,
			  (unsigned long long)n->vn_tx_frames,
			  (unsigned long long)n->vn_rx_frames,
			  (unsigned long long)n->vn_kicks);
	}
	if (n->vn_kick_fd >= 0)
		close(n->vn_kick_fd);
	tap_close(n->vn_tap);
	free(n);
}

int virtio_net_create(struct pci_bus *bus, const struct virtio_net_config *cfg,
		      struct err *e)
{
	struct virtio_net *n;
	int rc;

	n = calloc(1, sizeof(*n));
	if (n == NULL)
		return err_set(e, -ENOMEM, "virtio-net: out of memory");
	n->vn_vm = pci_bus_vm(bus);
	n->vn_kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (n->vn_kick_fd < 0) {
		rc = err_set(e, -errno, "eventfd: %s", strerror(errno));
		goto fail;
	}
	rc = tap_open(&n->vn_tap, cfg->vnc_tap, cfg->vnc_bridge, e);
	if (rc < 0)
		goto fail;
	if (cfg->vnc_mac_set) {
		memcpy(n->vn_config, cfg->vnc_mac, 6);
	} else {
		/* Locally administered, unicast, random. */
		if (getrandom(n->vn_config, 6, 0) != 6) {
			rc = err_set(e, -EIO, "getrandom failed");
			goto fail;
		}
		n->vn_config[0] = (uint8_t)((n->vn_config[0] & 0xfe) | 0x02);
	}
	n->vn_config[6] = VIRTIO_NET_S_LINK_UP;
	rc = virtio_pci_create(bus, &virtio_net_ops, n, n->vn_config, &n->vn_vp,
			       e);
	if (rc < 0)
		goto fail;
	/*
	 * Owned after the transport, so freed before it: the I/O thread is
	 * stopped before the queues it uses go away.
	 */
	rc = vm_own(n->vn_vm, n, virtio_net_free, e);
	if (rc < 0)
		goto fail;
	if (thread_start(&n->vn_thread, THREAD_STACK_BYTES, virtio_net_thread,
			 n) != 0)
		return err_set(e, -EAGAIN,
			       "virtio-net: cannot start the I/O thread");
	pthread_setname_np(n->vn_thread, "net-io");
	n->vn_thread_live = 1;
	log_info("virtio-net on tap %s%s%s, MAC "
		 "%02x:%02x:%02x:%02x:%02x:%02x",
		 n->vn_tap->tp_name, cfg->vnc_bridge ? " in bridge " : "",
		 cfg->vnc_bridge ? cfg->vnc_bridge : "", n->vn_config[0],
		 n->vn_config[1], n->vn_config[2], n->vn_config[3],
		 n->vn_config[4], n->vn_config[5]);
	return 0;
fail:
	virtio_net_free(n);
	return rc;
}
