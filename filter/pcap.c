// SPDX-License-Identifier: GPL-2.0-only
/* The one file that includes libpcap: compile a tcpdump expression to classic
 * BPF on a "dead" handle (no capture device is ever opened). */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "filter_int.h"

_Static_assert(sizeof(struct bpf_insn) == FILTER_CBPF_INSN_SIZE, "cBPF instruction size");
_Static_assert(offsetof(struct bpf_insn, code) == 0 && offsetof(struct bpf_insn, jt) == 2 &&
		       offsetof(struct bpf_insn, jf) == 3 && offsetof(struct bpf_insn, k) == 4,
	       "cBPF instruction layout");

/* The largest snaplen libpcap knows: "ret #262144" for a match. */
#define PCAP_SNAPLEN 262144

int skbd_filter_pcap_compile(const char *expr, bool raw, void **insns, size_t *cnt, char *err,
			     size_t err_size)
{
	struct bpf_program prog;
	void *copy = NULL;
	pcap_t *p;
	int ret;

	p = pcap_open_dead(raw ? DLT_RAW : DLT_EN10MB, PCAP_SNAPLEN);
	if (!p) {
		if (err && err_size)
			snprintf(err, err_size, "pcap_open_dead failed");
		return -ENOMEM;
	}
	memset(&prog, 0, sizeof(prog));
	if (pcap_compile(p, &prog, expr, 1, PCAP_NETMASK_UNKNOWN) != 0) {
		if (err && err_size)
			snprintf(err, err_size, "%s", pcap_geterr(p));
		ret = -EINVAL;
		goto close_pcap;
	}
	if (prog.bf_len) {
		copy = malloc((size_t)prog.bf_len * FILTER_CBPF_INSN_SIZE);
		if (!copy) {
			ret = -ENOMEM;
			goto free_code;
		}
		memcpy(copy, prog.bf_insns, (size_t)prog.bf_len * FILTER_CBPF_INSN_SIZE);
	}
	*insns = copy;
	*cnt = prog.bf_len;
	ret = 0;
free_code:
	pcap_freecode(&prog);
close_pcap:
	pcap_close(p);
	return ret;
}
