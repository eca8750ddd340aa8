// SPDX-License-Identifier: GPL-2.0-only
/* libpcap's bpf_filter() for the filter tests (see filter_ref.h). */
#include <limits.h>
#include <stddef.h>
#include <pcap/pcap.h>
#include "skbdrop_abi.h"
#include "filter_ref.h"

/* struct skbd_cbpf_insn has this layout; filter/ asserts its side */
_Static_assert(sizeof(struct bpf_insn) == 8 && offsetof(struct bpf_insn, k) == 4, "cBPF layout");

unsigned int tu_pcap_filter(const struct skbd_cbpf_insn *prog, const unsigned char *pkt,
			    unsigned int wirelen, unsigned int buflen)
{
	return bpf_filter((const struct bpf_insn *)(const void *)prog, pkt, wirelen, buflen);
}

bool tu_pcap_validate(const struct skbd_cbpf_insn *prog, size_t n)
{
	return n <= INT_MAX && bpf_validate((const struct bpf_insn *)(const void *)prog, (int)n);
}

bool tu_filter_expected(const struct skbd_event *ev, const struct skbd_cbpf_insn *eth,
			const struct skbd_cbpf_insn *raw)
{
	unsigned int caplen = ev->caplen, net = ev->net_off, wire;

	if (caplen > SKBD_SNAPLEN_MAX)
		return false;
	wire = ev->pkt_len > caplen ? ev->pkt_len : caplen;
	if ((ev->flags & SKBD_EV_HAS_MAC) && (net == 14 || net == 18 || net == 22))
		return eth && tu_pcap_filter(eth, ev->data, wire, caplen) != 0;
	if (net != SKBD_OFF_NONE && net < caplen)
		return raw && tu_pcap_filter(raw, ev->data + net, wire - net, caplen - net) != 0;
	return false;
}
