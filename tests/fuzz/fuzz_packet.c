// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the packet decoder on a captured slice, and both of its
 * writers (text summary, JSON layers). Input: flags (1 byte: has_mac, and
 * whether the network header is at 14 or at the offset byte), offset (1),
 * ethertype (2), socket state (1), then the captured bytes (at most the
 * BPF program's 256). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/drop.h>
#include <skbdrop/output.h>
#include <skbdrop/packet.h>
#include "fuzz_util.h"

/* The writers' length contract: what they say, NUL-terminated, within the
 * bound of output.h for a buffer that big. */
static void check(size_t (*fmt)(const struct skbd_pkt *, char *, size_t), const struct skbd_pkt *p,
		  size_t max, size_t small, const char *who)
{
	char *buf = malloc(max), *cut = malloc(small);
	size_t len;

	if (!buf || !cut)
		abort();
	len = fmt(p, buf, max);
	if (len >= max || strlen(buf) != len)
		fuzz_fail(who);
	/* a short buffer: the same length, the text cut to fit */
	if (fmt(p, cut, small) != len || strlen(cut) != (len < small ? len : small - 1) ||
	    memcmp(cut, buf, strlen(cut)))
		fuzz_fail(who);
	free(cut);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	__u8 flags = fuzz_u8(&in), off = fuzz_u8(&in);
	struct skbd_pkt_in pi = { 0 };
	struct skbd_pkt p;
	__u8 *copy;
	size_t small;

	pi.has_mac = flags & 1;
	pi.net_off = (flags & 2) ? 14 : (flags & 4) ? SKBD_DROP_OFF_NONE : off;
	pi.ethertype = (__u16)(fuzz_u8(&in) << 8);
	pi.ethertype |= fuzz_u8(&in);
	pi.sk_state = fuzz_u8(&in);
	pi.caplen = in.n < SKBD_DROP_SNAPLEN_MAX ? in.n : SKBD_DROP_SNAPLEN_MAX;
	/* exactly caplen bytes, so that a read past them is seen */
	copy = malloc(pi.caplen ? pi.caplen : 1);
	if (!copy)
		abort();
	memcpy(copy, in.p, pi.caplen);
	pi.data = pi.caplen || (flags & 8) ? copy : NULL;
	skbd_pkt__decode(&pi, &p);
	small = off % 64 + 1;
	check(skbd_pkt__format_text, &p, SKBD_PKT_TEXT_MAX, small, "packet text");
	check(skbd_pkt__format_json, &p, SKBD_PKT_JSON_MAX, small, "packet json");
	skbd_pkt__net_proto(&p);
	skbd_pkt__ethertype_name(pi.ethertype);
	skbd_pkt__tcp_state_name(pi.sk_state);
	free(copy);
	return 0;
}
