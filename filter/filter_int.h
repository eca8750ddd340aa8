/* SPDX-License-Identifier: GPL-2.0-only */
/* Between the files of filter/: the libpcap side (pcap.c) hands classic
 * programs to the eBPF side (filter.c). No libpcap or eBPF type appears here:
 * both name their instruction struct bpf_insn. */
#ifndef SKBD_FILTER_INT_H
#define SKBD_FILTER_INT_H

#include <stdbool.h>
#include <stddef.h>

/* Bytes of one classic instruction {u16 code; u8 jt, jf; u32 k}: libpcap's
 * struct bpf_insn and struct skbd_cbpf_insn; each side asserts its own. */
#define FILTER_CBPF_INSN_SIZE 8

/* Compile expr with libpcap for DLT_RAW (raw) or DLT_EN10MB. Returns 0 and
 * *insns, a malloc'd copy of the *cnt instructions (the caller frees);
 * -EINVAL with libpcap's message in err; -ENOMEM. */
int skbd_filter_pcap_compile(const char *expr, bool raw, void **insns, size_t *cnt, char *err,
			     size_t err_size);

#endif
