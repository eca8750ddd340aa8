/* SPDX-License-Identifier: GPL-2.0-only */
/* The reference the filter tests compare against: libpcap's own bpf_filter(),
 * in a file of its own because <pcap/bpf.h> and <linux/bpf.h> both define
 * struct bpf_insn. */
#ifndef SKBD_FILTER_REF_H
#define SKBD_FILTER_REF_H

struct skbd_cbpf_insn;

/* libpcap's bpf_filter(prog, pkt, wirelen, buflen): its return value. */
unsigned int tu_pcap_filter(const struct skbd_cbpf_insn *prog, const unsigned char *pkt,
			    unsigned int wirelen, unsigned int buflen);

#endif
