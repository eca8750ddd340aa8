// SPDX-License-Identifier: GPL-2.0-only
/* The filter object: a tcpdump expression compiled by libpcap for Ethernet
 * and for raw IP captures, and its eBPF translation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <skbdrop/filter.h>
#include <skbdrop/log.h>
#include "filter_int.h"

_Static_assert(sizeof(struct skbd_cbpf_insn) == FILTER_CBPF_INSN_SIZE, "cBPF instruction size");
_Static_assert(offsetof(struct skbd_cbpf_insn, jt) == 2 && offsetof(struct skbd_cbpf_insn, jf) == 3 &&
		       offsetof(struct skbd_cbpf_insn, k) == 4,
	       "cBPF instruction layout");

struct skbd_filter {
	struct skbd_cbpf_insn *cbpf[2]; /* Ethernet, raw */
	size_t n_cbpf[2];
	struct bpf_insn *insns;
	size_t cnt;
	struct bpf_insn *spliced; /* the same, to splice into the caller */
	size_t spliced_cnt;
};

/* The offset into the socket-filter metadata (SKF_AD_OFF + n) a program
 * reads, or -1. libpcap uses it for "inbound", "outbound" and "ifindex"
 * (BPF_ABS loads); bpf_filter() and so the translation treat it as out of
 * the packet: the filter would silently never match. */
static long metadata_load(const struct skbd_cbpf_insn *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (BPF_CLASS(p[i].code) == BPF_LD && BPF_MODE(p[i].code) == BPF_ABS &&
		    p[i].k >= (__u32)SKF_AD_OFF && p[i].k < (__u32)SKF_AD_OFF + SKF_AD_MAX)
			return (long)(p[i].k - (__u32)SKF_AD_OFF);
	}
	return -1;
}

int skbd_filter__new(const char *expr, struct skbd_filter **out, char *err, size_t err_size)
{
	struct skbd_filter *f;
	char why[256]; /* PCAP_ERRBUF_SIZE */
	void *insns = NULL;
	size_t n = 0;
	long meta;
	int ret;

	if (err && err_size)
		err[0] = '\0';
	if (!expr || !out)
		return -EINVAL;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	ret = skbd_filter_pcap_compile(expr, false, &insns, &n, err, err_size);
	if (ret)
		goto free_filter;
	f->cbpf[0] = insns;
	f->n_cbpf[0] = n;
	insns = NULL;
	n = 0;
	ret = skbd_filter_pcap_compile(expr, true, &insns, &n, why, sizeof(why));
	if (ret == -ENOMEM)
		goto free_filter;
	if (ret)
		skbd_log(SKBD_LOG_DEBUG, "filter: '%s' has no raw IP form (%s): packets without an Ethernet header never match",
			 expr, why);
	f->cbpf[1] = insns;
	f->n_cbpf[1] = n;

	for (int i = 0; i < 2; i++) {
		meta = metadata_load(f->cbpf[i], f->n_cbpf[i]);
		if (meta >= 0) {
			if (err && err_size)
				snprintf(err, err_size, "reads socket-filter metadata (%s), which a drop record does not carry",
					 meta == SKF_AD_PKTTYPE	 ? "the packet type: inbound, outbound"
					 : meta == SKF_AD_IFINDEX ? "the interface index: ifindex"
								  : "SKF_AD_OFF + n");
			ret = -EINVAL;
			goto free_filter;
		}
	}
	ret = skbd_filter__translate(f->cbpf[0], f->n_cbpf[0], f->cbpf[1], f->n_cbpf[1], &f->insns, &f->cnt,
				     err, err_size);
	if (!ret)
		ret = skbd_filter__translate_spliced(f->cbpf[0], f->n_cbpf[0], f->cbpf[1], f->n_cbpf[1], &f->spliced,
						     &f->spliced_cnt, err, err_size);
	if (ret)
		goto free_filter;
	*out = f;
	return 0;
free_filter:
	skbd_filter__free(f);
	return ret;
}

void skbd_filter__free(struct skbd_filter *f)
{
	if (!f)
		return;
	free(f->cbpf[0]);
	free(f->cbpf[1]);
	free(f->insns);
	free(f->spliced);
	free(f);
}

const struct bpf_insn *skbd_filter__insns(const struct skbd_filter *f, size_t *cnt)
{
	*cnt = f->cnt;
	return f->insns;
}

const struct bpf_insn *skbd_filter__insns_spliced(const struct skbd_filter *f, size_t *cnt)
{
	*cnt = f->spliced_cnt;
	return f->spliced;
}

const struct skbd_cbpf_insn *skbd_filter__cbpf(const struct skbd_filter *f, int raw, size_t *cnt)
{
	int i = raw ? 1 : 0;

	*cnt = f->n_cbpf[i];
	return f->cbpf[i];
}
