// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: rtnetlink replies. The first byte picks the reader: a
 * link's IFLA_STATS64 counters, a qdisc's drops, or the device cache's
 * parser of link dumps and notifications (several messages in a row). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/counters.h>
#include <skbdrop/netdev.h>
#include "fuzz_util.h"

static const char *ifname_of(void *ctx, __u32 ifindex)
{
	return ifindex == 1 ? "lo" : ifindex == 2 ? "eth\x01\xff" : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skbd_counter_snap snap = { 0 };
	struct fuzz_in in = { data, size };
	struct skbd_netdev *nd;
	__u8 which = fuzz_u8(&in) % 3;
	/* netlink buffers are 4-byte aligned; malloc'd to the byte, so that
	 * AddressSanitizer sees a read past the end */
	void *buf = malloc(in.n ? in.n : 1);

	if (!buf)
		abort();
	memcpy(buf, in.p, in.n);
	if (which == 0) {
		skbd_counters__parse_link(buf, in.n, &snap);
	} else if (which == 1) {
		skbd_counters__parse_qdisc(buf, in.n, ifname_of, NULL, &snap);
		skbd_counters__parse_qdisc(buf, in.n, NULL, NULL, &snap);
	} else {
		if (skbd_netdev__open(&nd))
			abort();
		skbd_netdev__parse(nd, 0x7fff0001u, buf, in.n);
		skbd_netdev__close(nd);
	}
	for (size_t i = 0; i < snap.n; i++)
		if (strnlen(snap.v[i].name, sizeof(snap.v[i].name)) == sizeof(snap.v[i].name))
			fuzz_fail("counter name not terminated");
	skbd_counter_snap__free(&snap);
	free(buf);
	return 0;
}
