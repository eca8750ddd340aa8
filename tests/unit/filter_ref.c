// SPDX-License-Identifier: GPL-2.0-only
/* libpcap's bpf_filter() for the filter tests (see filter_ref.h). */
#include <stddef.h>
#include <pcap/pcap.h>
#include "filter_ref.h"

/* struct skbd_cbpf_insn has this layout; filter/ asserts its side */
_Static_assert(sizeof(struct bpf_insn) == 8 && offsetof(struct bpf_insn, k) == 4, "cBPF layout");

unsigned int tu_pcap_filter(const struct skbd_cbpf_insn *prog, const unsigned char *pkt,
			    unsigned int wirelen, unsigned int buflen)
{
	return bpf_filter((const struct bpf_insn *)(const void *)prog, pkt, wirelen, buflen);
}
