/* SPDX-License-Identifier: GPL-2.0-only */
/* The reference the filter tests (and the cbpf fuzz target) compare against:
 * libpcap's own bpf_filter(), in a file of its own because <pcap/bpf.h> and
 * <linux/bpf.h> both define struct bpf_insn. */
#ifndef SKBD_FILTER_REF_H
#define SKBD_FILTER_REF_H

#include <stdbool.h>
#include <stddef.h>

struct skbd_cbpf_insn;
struct skbd_event;

/* libpcap's bpf_filter(prog, pkt, wirelen, buflen): its return value. */
unsigned int tu_pcap_filter(const struct skbd_cbpf_insn *prog, const unsigned char *pkt,
			    unsigned int wirelen, unsigned int buflen);

/* libpcap's bpf_validate(): true when it would run prog (n instructions). */
bool tu_pcap_validate(const struct skbd_cbpf_insn *prog, size_t n);

/* What the translated subprogram must answer for ev: the contract of
 * filter.h, evaluated with bpf_filter() on eth / raw (either may be NULL). */
bool tu_filter_expected(const struct skbd_event *ev, const struct skbd_cbpf_insn *eth,
			const struct skbd_cbpf_insn *raw);

#endif
