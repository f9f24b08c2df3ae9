/*
 * admit.c: the caps on connections, in all and per client address, so
 * that one client holding many connections open leaves room for the
 * others (the event loop serves them all; the caps bound the memory).
 */
#include <stdint.h>
#include <string.h>

#include "rhttpproxy/proxy.h"

#define SLOTS 8192 /* open addressing; more than PROXY_CONNS_MAX */

static struct {
	unsigned char addr[16];
	unsigned count;
} slots[SLOTS];

static size_t hash(const unsigned char *a)
{
	uint64_t h = 1469598103934665603ull;

	for (int i = 0; i < 16; i++)
		h = (h ^ a[i]) * 1099511628211ull;
	return (size_t)(h % SLOTS);
}

/* addr's slot, or the first free one on its probe path. */
static size_t find(const unsigned char *a)
{
	size_t i = hash(a);

	while (slots[i].count != 0 && memcmp(slots[i].addr, a, 16) != 0)
		i = (i + 1) % SLOTS;
	return i;
}

int proxy_conn_admit(struct proxy *px, const unsigned char *addr)
{
	size_t i;
	int ok = 0;

	pthread_mutex_lock(&px->px_lock);
	i = find(addr);
	if (px->px_conns >= PROXY_CONNS_MAX ||
	    slots[i].count >= PROXY_CONNS_PER_CLIENT_MAX) {
		ok = -1;
	} else {
		memcpy(slots[i].addr, addr, 16);
		slots[i].count++;
		px->px_conns++;
	}
	pthread_mutex_unlock(&px->px_lock);
	return ok;
}

void proxy_conn_release(struct proxy *px, const unsigned char *addr)
{
	size_t i, j;

	pthread_mutex_lock(&px->px_lock);
	i = find(addr);
	if (slots[i].count > 0) {
		px->px_conns--;
		if (--slots[i].count == 0) {
			/* Close the gap: move later entries of the probe
			 * run back (deletion without tombstones). */
			j = i;
			for (;;) {
				size_t k;
				j = (j + 1) % SLOTS;
				if (slots[j].count == 0)
					break;
				k = hash(slots[j].addr);
				if ((j > i && (k <= i || k > j)) ||
				    (j < i && (k <= i && k > j))) {
					slots[i] = slots[j];
					slots[j].count = 0;
					i = j;
				}
			}
		}
	}
	pthread_mutex_unlock(&px->px_lock);
}
