// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the cBPF -> eBPF translator on classic programs, and
 * the translation's verdict against libpcap's bpf_filter() on a drop record
 * taken from the input. Input: flags (1 byte: bit 0 SKBD_EV_HAS_MAC, bits
 * 1-2 the network offset 14/18/22 or the next byte, bit 3 a caplen past the
 * snap length, bit 4 a wire length past 64 KiB), offset (1), wire length
 * (2), Ethernet and raw instruction counts (1 each), the instructions (8
 * bytes each, Ethernet first), then the captured bytes (at most 256). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/filter.h>
#include "skbdrop_abi.h"
#include "filter_ref.h"
#include "ebpf_run.h"
#include "fuzz_util.h"

/* The classic programs, malloc'd to the byte (a read past one is seen), or
 * NULL for an empty one, as a caller passes "no program". */
static struct skbd_cbpf_insn *take_prog(struct fuzz_in *in, size_t n)
{
	struct skbd_cbpf_insn *p;

	if (!n)
		return NULL;
	p = calloc(n, sizeof(*p));
	if (!p)
		abort();
	for (size_t i = 0; i < n; i++) {
		p[i].code = (__u16)fuzz_u8(in);
		p[i].code |= (__u16)(fuzz_u8(in) << 8);
		p[i].jt = fuzz_u8(in);
		p[i].jf = fuzz_u8(in);
		p[i].k = fuzz_u32(in);
	}
	return p;
}

/* What libpcap would refuse to run, the translator must refuse too: it
 * claims to take only what bpf_filter() would run. */
static void check_valid(const struct skbd_cbpf_insn *p, size_t n, const char *who)
{
	if (p && !tu_pcap_validate(p, n))
		fuzz_fail(who);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const __u16 mac_offs[] = { 14, 18, 22 };
	static struct skbd_event ev;
	struct fuzz_in in = { data, size };
	__u8 flags = fuzz_u8(&in), off = fuzz_u8(&in);
	__u16 wire = (__u16)fuzz_u8(&in);
	struct skbd_cbpf_insn *eth, *raw;
	static const __u64 keep[4] = { 0x6666666666666666ULL, 0x7777, 0x8888, 0x9999999999999999ULL };
	struct bpf_insn *prog = NULL, *spliced = NULL;
	size_t n_eth, n_raw, cnt, scnt;
	char err[256];
	__u64 ret, want;
	int rc;

	wire |= (__u16)(fuzz_u8(&in) << 8);
	n_eth = fuzz_u8(&in);
	n_raw = fuzz_u8(&in);
	eth = take_prog(&in, n_eth);
	raw = take_prog(&in, n_raw);
	rc = skbd_filter__translate(eth, n_eth, raw, n_raw, &prog, &cnt, err, sizeof(err));
	if (rc)
		goto out;
	check_valid(eth, n_eth, "the translator took an Ethernet program bpf_validate() refuses");
	check_valid(raw, n_raw, "the translator took a raw program bpf_validate() refuses");

	memset(&ev, 0, sizeof(ev));
	ev.flags = (flags & 1) ? SKBD_EV_HAS_MAC : 0;
	ev.net_off = ((flags >> 1) & 3) < 3 ? mac_offs[(flags >> 1) & 3] : off;
	ev.pkt_len = wire | ((flags & 0x10) ? 0xffff0000u : 0);
	ev.caplen = (__u16)(in.n < SKBD_SNAPLEN_MAX ? in.n : SKBD_SNAPLEN_MAX);
	memcpy(ev.data, in.p, ev.caplen);
	if (flags & 8)
		ev.caplen = SKBD_SNAPLEN_MAX + 1 + off;
	if (ebpf_run(prog, cnt, &ev, sizeof(ev), SKBD_EVENT_HDR, SKBD_FILTER_STACK, NULL, &ret)) /* r2: its data[] */
		fuzz_fail("the translation does not run (the verifier would refuse it)");
	want = tu_filter_expected(&ev, eth, raw);
	if (ret != want)
		fuzz_fail("the translation and bpf_filter() disagree");
	/* the form spliced into a program: the same verdict, the caller's r6-r9 kept */
	if (skbd_filter__translate_spliced(eth, n_eth, raw, n_raw, &spliced, &scnt, err, sizeof(err)))
		fuzz_fail("the subprogram translated, the spliced form did not");
	if (ebpf_run(spliced, scnt, &ev, sizeof(ev), SKBD_EVENT_HDR, 512, keep, &ret))
		fuzz_fail("the spliced translation does not run, or does not keep r6-r9");
	if (ret != want)
		fuzz_fail("the spliced translation and bpf_filter() disagree");
out:
	free(spliced);
	free(prog);
	free(raw);
	free(eth);
	return 0;
}
