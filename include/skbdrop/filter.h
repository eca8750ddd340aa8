/* SPDX-License-Identifier: GPL-2.0-only */
/* Packet filters: a tcpdump expression, compiled by libpcap to classic BPF,
 * translated to one eBPF subprogram that the drop program calls with the
 * event record it built. filter/pcap.c is the only file that includes libpcap. */
#ifndef SKBDROP_FILTER_H
#define SKBDROP_FILTER_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/bpf.h>

/* One classic BPF instruction: the layout of libpcap's struct bpf_insn and of
 * the kernel's struct sock_filter (whose names clash with <linux/bpf.h>). */
struct skbd_cbpf_insn {
	__u16 code;
	__u8 jt;
	__u8 jf;
	__u32 k;
};

#define SKBD_FILTER_MAX_CBPF 4096   /* classic instructions per program */
#define SKBD_FILTER_MAX_INSNS 32768 /* eBPF instructions of the subprogram */
#define SKBD_FILTER_STACK 64        /* stack bytes the subprogram uses (M[0..15]) */
/* The spliced body's stack: the 96 bytes below r10 - 416 (M[], then r6-r9) */
#define SKBD_FILTER_SPLICE_TOP (-416)

/* The subprogram, called with r1 = struct skbd_event * (a map value of
 * sizeof(struct skbd_event) bytes) and r2 = its packet bytes: the event's
 * data[] (r1 + SKBD_EVENT_HDR), or read-only memory holding the same caplen
 * bytes (the packet itself, as untrusted memory: filtered before it is copied),
 * returns r0 = 1 when the packet matches, else 0. It reads no byte of r2's past
 * caplen, uses r0-r9 and SKBD_FILTER_STACK bytes below its r10, calls no
 * helpers, refers to no map and jumps only forward. Which bytes it runs on:
 *  - flags has SKBD_EV_HAS_MAC and net_off is 14, 18 or 22: the Ethernet
 *    program over data[0 .. caplen), wire length max(pkt_len, caplen);
 *  - else net_off < caplen: the raw (IPv4/IPv6) program over
 *    data[net_off .. caplen), wire length max(pkt_len, caplen) - net_off;
 *  - else (no network header captured), or caplen > SKBD_SNAPLEN_MAX, or the
 *    program for the case is missing: 0.
 * Within a program, libpcap's bpf_filter() semantics: a load past the captured
 * bytes, or a division by X == 0, ends the program with 0; "ret" gives 1 when
 * its value is not 0. */
struct skbd_filter;

/* Compile expr (tcpdump syntax) with libpcap for DLT_EN10MB and for DLT_RAW
 * (snaplen 262144, optimized, netmask unknown) and translate both. The
 * Ethernet compile must succeed; when only the raw one fails (link-layer
 * primitives: "ether host ...", "vlan"), packets without an Ethernet header
 * never match. Primitives that read Linux socket metadata ("inbound",
 * "outbound", "ifindex") are refused: a drop record has none of it.
 * Returns 0 and *out; -EINVAL (libpcap's message, or why the translation
 * failed, in err), -E2BIG (too long), -ENOMEM. err may be NULL. */
int skbd_filter__new(const char *expr, struct skbd_filter **out, char *err, size_t err_size);
/* Accepts NULL. */
void skbd_filter__free(struct skbd_filter *f);
/* The subprogram (owned by f), *cnt instructions. */
const struct bpf_insn *skbd_filter__insns(const struct skbd_filter *f, size_t *cnt);
/* The same as a body to splice (skbd_filter__translate_spliced), owned by f. */
const struct bpf_insn *skbd_filter__insns_spliced(const struct skbd_filter *f, size_t *cnt);
/* The classic programs libpcap produced, owned by f: raw = 0 for the Ethernet
 * one, 1 for the raw one (NULL and *cnt = 0 when that compile failed). */
const struct skbd_cbpf_insn *skbd_filter__cbpf(const struct skbd_filter *f, int raw, size_t *cnt);

/* The translator alone. Either program may be NULL (it never matches; its
 * count must then be 0). Returns 0 and *out (malloc'd, the caller frees) with
 * *cnt instructions; -EINVAL for a program bpf_filter() would not run
 * (unknown opcode, jump out of the program or backward, scratch index > 15,
 * division by constant 0, constant shift >= 32, a path off the end), -E2BIG
 * for more than SKBD_FILTER_MAX_CBPF instructions in or SKBD_FILTER_MAX_INSNS
 * out, -ENOMEM. On failure err (may be NULL) says why. */
int skbd_filter__translate(const struct skbd_cbpf_insn *ether, size_t n_ether,
			   const struct skbd_cbpf_insn *raw, size_t n_raw,
			   struct bpf_insn **out, size_t *cnt, char *err, size_t err_size);
/* The same program as a body to splice into a caller's code (no call): r1
 * and r0 as above; it keeps the caller's r6-r9 (saved and given back), uses
 * the stack only below r10 + SKBD_FILTER_SPLICE_TOP, and its last
 * instruction is its only exit, which the caller makes a jump back. */
int skbd_filter__translate_spliced(const struct skbd_cbpf_insn *ether, size_t n_ether,
				   const struct skbd_cbpf_insn *raw, size_t n_raw,
				   struct bpf_insn **out, size_t *cnt, char *err, size_t err_size);

#endif
