// SPDX-License-Identifier: GPL-2.0-only
/* Decoder of the packet slice a drop event carries (Ethernet + 802.1Q/802.1ad,
 * ARP, IPv4, IPv6 + extension headers, TCP, UDP, ICMP, ICMPv6) and its two
 * renderings: a tcpdump-like line and the JSON value of "layers".
 *
 * Decoding rules
 * - Every read is checked against caplen. A layer whose fixed header is cut is
 *   present with status TRUNCATED and no fields filled; the one exception is an
 *   IPv4/IPv6 header whose fixed part was captured but whose options or
 *   extension headers were cut (ipv4_partial/ipv6_partial: fields valid).
 * - A layer above a complete one is present, and TRUNCATED, even with zero
 *   bytes captured: caplen ending right after the IPv4 header of a TCP packet
 *   reports "[|tcp]". The network header counts as cut in the same way when
 *   net_off == caplen (with caplen > 0); nothing at all is decoded when caplen
 *   is 0, net_off is SKBD_OFF_NONE or net_off > caplen.
 * - Link layer: only with has_mac and net_off 14, 18 or 22 (Ethernet with 0, 1
 *   or 2 VLAN tags, each tag's TPID 0x8100 or 0x88a8 when captured); any other
 *   net_off skips it. ether.type is the type after the tags; when skb->protocol
 *   is itself a VLAN TPID it is the inner type that picks the network layer.
 * - Fragment offsets (IPv4 and IPv6) are in BYTES (the header field times 8):
 *   ipv4.frag_offset, ip6frag.offset, JSON "frag_offset"/"fragment.offset" and
 *   the text "frag off N" all use bytes. A fragment with a non-zero offset has
 *   no transport layer.
 * - ICMP/ICMPv6 need their 4-byte common header (type, code, checksum), TCP 20
 *   bytes (options are not decoded), UDP 8, ARP 28 (8 to detect malformed).
 *
 * Text forms (no newline; "vlan N " is prepended per VLAN tag):
 *   udp SRC.SPORT > DST.DPORT                tcp SRC.SPORT > DST.DPORT [S.]
 *   icmp SRC > DST echo request              icmp6 SRC > DST neighbor solicitation
 *   ip SRC > DST proto 47                    ip6 SRC > DST next-header 47
 *   ip SRC > DST frag off 1480 proto 17      ip6 SRC > DST frag off 1448 next-header 17
 *   ip SRC > DST [|udp]                      ip SRC > DST [malformed tcp: doff 3 < 5]
 *   ip SRC > DST [|ip]  (options/extension headers cut)
 *   IPv4 [|ip]  IPv6 [|ip6]  ARP [|arp]  IPv4 [|ether]  (header cut)
 *   IPv4 [malformed: ihl 3 < 5]   ARP [malformed: hlen not 6]
 *   arp who-has TPA tell SPA   arp reply SPA is-at SHA   arp op N
 *   IPv4 / IPv6 / ARP / LLDP / 0x88b5  (nothing above the link layer decoded)
 * TCP flags in tcpdump's letters and order: F S R P . U E W, "[none]" if 0.
 * IPv6 addresses are formatted like glibc's inet_ntop().
 *
 * JSON: {"ether":{"src","dst","type":"0x0800"[,"vlan":[100,200]]},
 *   "arp":{"operation":"request"|"reply"|N,"sender_mac","sender_ip","target_mac","target_ip"},
 *   "ipv4":{"src","dst","ttl","protocol","id","len","flags":"DF|MF","frag_offset"},
 *   "ipv6":{"src","dst","hop_limit","next_header","flow_label","len"[,"protocol"]
 *           [,"fragment":{"offset","id","more"}]},
 *   "tcp":{"sport","dport","seq","ack","flags":"SYN|ACK","window"[,"state"]},
 *   "udp":{"sport","dport","len"}, "icmp":{"type","code"}, "icmp6":{"type","code"}}
 * A cut layer is {"truncated":true}, a partial IPv4/IPv6 one its fields plus
 * "truncated":true, a malformed one {"malformed":"why"}. ipv6 "protocol" is the
 * upper-layer protocol after the extension headers (absent when they were cut).
 *
 * The formatters allocate nothing and call no printf: this runs per event. */
#include <string.h>
#include <skbdrop/sbuf.h>
#include <skbdrop/packet.h>
#include "skbdrop_abi.h"

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define IP6_MAX_EXT 8 /* extension headers walked before giving up */

#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

/* ---- malformed reasons: static strings, numbers spelled out by table ---- */

#define WHY_V4(n) "version " #n " in an IPv4 packet"
#define WHY_V6(n) "version " #n " in an IPv6 packet"
#define WHY_16(m) { m(0), m(1), m(2), m(3), m(4), m(5), m(6), m(7), m(8), m(9), \
		    m(10), m(11), m(12), m(13), m(14), m(15) }
static const char *const why_v4[16] = WHY_16(WHY_V4);
static const char *const why_v6[16] = WHY_16(WHY_V6);
static const char *const why_ihl[5] = { "ihl 0 < 5", "ihl 1 < 5", "ihl 2 < 5", "ihl 3 < 5",
					"ihl 4 < 5" };
static const char *const why_doff[5] = { "doff 0 < 5", "doff 1 < 5", "doff 2 < 5", "doff 3 < 5",
					 "doff 4 < 5" };

/* ---- decoding ---------------------------------------------------------- */

static inline __u16 rd16(const __u8 *p)
{
	return (__u16)(p[0] << 8 | p[1]);
}

static inline __u32 rd32(const __u8 *p)
{
	return (__u32)p[0] << 24 | (__u32)p[1] << 16 | (__u32)p[2] << 8 | p[3];
}

static inline bool is_vlan_tpid(__u16 type)
{
	return type == ETH_P_8021Q || type == ETH_P_8021AD;
}

static void set_truncated(struct skbd_pkt_l *l)
{
	l->status = SKBD_PKT_TRUNCATED;
}

static void set_malformed(struct skbd_pkt_l *l, const char *why)
{
	l->status = SKBD_PKT_MALFORMED;
	l->why = why;
}

/* Whether the link layer is Ethernet (net_off 14, 18, 22 with VLAN TPIDs
 * where captured), and if so decode it. A cut header is TRUNCATED. */
static bool decode_ether(const __u8 *d, size_t caplen, size_t net_off, struct skbd_pkt *p)
{
	size_t tags, i;

	if (net_off != ETH_HLEN && net_off != ETH_HLEN + VLAN_HLEN && net_off != ETH_HLEN + 2 * VLAN_HLEN)
		return false;
	tags = (net_off - ETH_HLEN) / VLAN_HLEN;
	for (i = 0; i < tags; i++) {
		size_t off = 12 + i * VLAN_HLEN;

		if (caplen < off + 2)
			break; /* cannot check: trust net_off, the layer is cut anyway */
		if (!is_vlan_tpid(rd16(d + off)))
			return false;
	}
	p->have_ether = true;
	if (caplen < net_off) {
		set_truncated(&p->ether_st);
		return true;
	}
	memcpy(p->ether.dst, d, 6);
	memcpy(p->ether.src, d + 6, 6);
	for (i = 0; i < tags; i++)
		p->ether.vlan[i] = rd16(d + 14 + i * VLAN_HLEN) & 0x0fff;
	p->ether.nr_vlan = (__u8)tags;
	p->ether.type = rd16(d + net_off - 2);
	return true;
}

static void decode_tcp(const __u8 *d, size_t len, struct skbd_pkt *p)
{
	p->have_tcp = true;
	if (len < 20) {
		set_truncated(&p->tcp_st);
		return;
	}
	if (d[12] >> 4 < 5) {
		set_malformed(&p->tcp_st, why_doff[d[12] >> 4]);
		return;
	}
	p->tcp.sport = rd16(d);
	p->tcp.dport = rd16(d + 2);
	p->tcp.seq = rd32(d + 4);
	p->tcp.ack = rd32(d + 8);
	p->tcp.flags = d[13];
	p->tcp.window = rd16(d + 14);
}

static void decode_udp(const __u8 *d, size_t len, struct skbd_pkt *p)
{
	p->have_udp = true;
	if (len < 8) {
		set_truncated(&p->udp_st);
		return;
	}
	p->udp.sport = rd16(d);
	p->udp.dport = rd16(d + 2);
	p->udp.len = rd16(d + 4);
}

static void decode_icmp(const __u8 *d, size_t len, bool *have, struct skbd_pkt_l *st,
			struct skbd_pkt *p)
{
	*have = true;
	if (len < 4) {
		set_truncated(st);
		return;
	}
	p->icmp.type = d[0];
	p->icmp.code = d[1];
}

/* The transport layer at d (len bytes captured, possibly 0) for IP protocol
 * proto; v6 selects ICMPv6 for 58 instead of ICMP for 1. */
static void decode_transport(const __u8 *d, size_t len, __u8 proto, bool v6, struct skbd_pkt *p)
{
	switch (proto) {
	case 6:
		decode_tcp(d, len, p);
		break;
	case 17:
		decode_udp(d, len, p);
		break;
	case 1:
		if (!v6)
			decode_icmp(d, len, &p->have_icmp, &p->icmp_st, p);
		break;
	case 58:
		if (v6)
			decode_icmp(d, len, &p->have_icmp6, &p->icmp6_st, p);
		break;
	}
}

static void decode_ipv4(const __u8 *d, size_t len, struct skbd_pkt *p)
{
	size_t hlen;
	__u16 frag;

	p->have_ipv4 = true;
	if (len < 1) {
		set_truncated(&p->ipv4_st);
		return;
	}
	/* the first byte decides what this is, even when the rest is cut */
	if (d[0] >> 4 != 4) {
		set_malformed(&p->ipv4_st, why_v4[d[0] >> 4]);
		return;
	}
	if ((d[0] & 15) < 5) {
		set_malformed(&p->ipv4_st, why_ihl[d[0] & 15]);
		return;
	}
	if (len < 20) {
		set_truncated(&p->ipv4_st);
		return;
	}
	hlen = (size_t)(d[0] & 15) * 4;
	p->ipv4.len = rd16(d + 2);
	p->ipv4.id = rd16(d + 4);
	frag = rd16(d + 6);
	p->ipv4.df = !!(frag & 0x4000);
	p->ipv4.mf = !!(frag & 0x2000);
	p->ipv4.frag_offset = (__u16)((frag & 0x1fff) << 3); /* bytes: at most 65528 */
	p->ipv4.ttl = d[8];
	p->ipv4.protocol = d[9];
	memcpy(p->ipv4.src, d + 12, 4);
	memcpy(p->ipv4.dst, d + 16, 4);
	p->l4_proto = d[9];
	if (len < hlen) { /* options cut */
		set_truncated(&p->ipv4_st);
		p->ipv4_partial = true;
		return;
	}
	if (p->ipv4.frag_offset)
		return;
	decode_transport(d + hlen, len - hlen, d[9], false, p);
}

/* Walk at most IP6_MAX_EXT extension headers from off 40; returns false when
 * one is cut (no transport then), else sets *proto and *off. */
static bool walk_ip6_ext(const __u8 *d, size_t len, __u8 *proto, size_t *off, struct skbd_pkt *p)
{
	__u8 nh = *proto;
	size_t o = *off;

	for (int i = 0; i < IP6_MAX_EXT; i++) {
		switch (nh) {
		case 0:  /* hop-by-hop options */
		case 43: /* routing */
		case 60: /* destination options */
			if (len < o + 2)
				return false;
			nh = d[o];
			o += ((size_t)d[o + 1] + 1) * 8;
			break;
		case 51: /* AH: length in 4-byte units, minus 2 */
			if (len < o + 2)
				return false;
			nh = d[o];
			o += ((size_t)d[o + 1] + 2) * 4;
			break;
		case 44: /* fragment: fixed 8 bytes */
			if (len < o + 8)
				return false;
			nh = d[o];
			p->ip6frag.present = true;
			p->ip6frag.offset = rd16(d + o + 2) & 0xfff8; /* units of 8 bytes << 3 */
			p->ip6frag.mf = d[o + 3] & 1;
			p->ip6frag.id = rd32(d + o + 4);
			o += 8;
			break;
		default:
			goto done;
		}
	}
done:
	*proto = nh;
	*off = o;
	return true;
}

static void decode_ipv6(const __u8 *d, size_t len, struct skbd_pkt *p)
{
	size_t off = 40;
	__u8 nh;

	p->have_ipv6 = true;
	if (len < 1) {
		set_truncated(&p->ipv6_st);
		return;
	}
	if (d[0] >> 4 != 6) {
		set_malformed(&p->ipv6_st, why_v6[d[0] >> 4]);
		return;
	}
	if (len < 40) {
		set_truncated(&p->ipv6_st);
		return;
	}
	p->ipv6.flow_label = rd32(d) & 0xfffff;
	p->ipv6.len = rd16(d + 4);
	p->ipv6.next_header = d[6];
	p->ipv6.hop_limit = d[7];
	memcpy(p->ipv6.src, d + 8, 16);
	memcpy(p->ipv6.dst, d + 24, 16);
	nh = d[6];
	if (!walk_ip6_ext(d, len, &nh, &off, p)) {
		set_truncated(&p->ipv6_st);
		p->ipv6_partial = true;
		return;
	}
	p->l4_proto = nh;
	if (p->ip6frag.present && p->ip6frag.offset)
		return;
	/* an extension header's length may point past caplen: transport cut */
	decode_transport(d + (off < len ? off : len), off < len ? len - off : 0, nh, true, p);
}

static void decode_arp(const __u8 *d, size_t len, struct skbd_pkt *p)
{
	p->have_arp = true;
	if (len < 8) {
		set_truncated(&p->arp_st);
		return;
	}
	/* only Ethernet/IPv4 ARP has the 28-byte layout decoded below */
	if (rd16(d) != 1)
		set_malformed(&p->arp_st, "htype not Ethernet");
	else if (rd16(d + 2) != ETH_P_IP)
		set_malformed(&p->arp_st, "ptype not IPv4");
	else if (d[4] != 6)
		set_malformed(&p->arp_st, "hlen not 6");
	else if (d[5] != 4)
		set_malformed(&p->arp_st, "plen not 4");
	else if (len < 28)
		set_truncated(&p->arp_st);
	if (p->arp_st.status != SKBD_PKT_OK)
		return;
	p->arp.op = rd16(d + 6);
	memcpy(p->arp.sha, d + 8, 6);
	memcpy(p->arp.spa, d + 14, 4);
	memcpy(p->arp.tha, d + 18, 6);
	memcpy(p->arp.tpa, d + 24, 4);
}

/* The ethertype that names the network layer. */
static __u16 net_proto(const struct skbd_pkt *p)
{
	if (p->have_ether && p->ether_st.status == SKBD_PKT_OK && p->ether.nr_vlan &&
	    is_vlan_tpid(p->ethertype))
		return p->ether.type;
	return p->ethertype;
}

void skbd_pkt__decode(const struct skbd_pkt_in *in, struct skbd_pkt *out)
{
	const __u8 *d = in->data;
	size_t caplen = d ? in->caplen : 0, net = in->net_off;

	memset(out, 0, sizeof(*out));
	out->sk_state = in->sk_state;
	out->ethertype = in->ethertype;
	if (!caplen)
		return;
	out->captured = true;
	if (in->has_mac && decode_ether(d, caplen, net, out) && out->ether_st.status != SKBD_PKT_OK)
		return;
	if (net == SKBD_OFF_NONE || net > caplen)
		return;
	switch (net_proto(out)) {
	case ETH_P_IP:
		decode_ipv4(d + net, caplen - net, out);
		break;
	case ETH_P_IPV6:
		decode_ipv6(d + net, caplen - net, out);
		break;
	case ETH_P_ARP:
		decode_arp(d + net, caplen - net, out);
		break;
	}
}

const char *skbd_pkt__tcp_state_name(__u8 state)
{
	/* include/net/tcp_states.h; BOUND_INACTIVE is 6.8+ */
	static const char *const names[] = {
		[1] = "ESTABLISHED", [2] = "SYN_SENT",   [3] = "SYN_RECV",      [4] = "FIN_WAIT1",
		[5] = "FIN_WAIT2",   [6] = "TIME_WAIT",  [7] = "CLOSE",         [8] = "CLOSE_WAIT",
		[9] = "LAST_ACK",    [10] = "LISTEN",    [11] = "CLOSING",      [12] = "NEW_SYN_RECV",
		[13] = "BOUND_INACTIVE",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : NULL;
}

/* ---- output ------------------------------------------------------------ */

static const char hexdig[] = "0123456789abcdef";

/* lowercase hex without leading zeros */
static void put_hex16(struct skbd_sbuf *o, __u16 v)
{
	char tmp[4];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = hexdig[v & 15];
		v >>= 4;
	} while (v);
	skbd_put_mem(o, tmp + i, sizeof(tmp) - i);
}

static size_t finish(struct skbd_sbuf *o)
{
	if (o->size)
		o->buf[o->len < o->size ? o->len : o->size - 1] = '\0';
	return o->len;
}

static void put_ip4(struct skbd_sbuf *o, const __u8 a[4])
{
	char tmp[15];
	size_t n = 0;

	for (int i = 0; i < 4; i++) {
		unsigned int v = a[i];

		if (i)
			tmp[n++] = '.';
		if (v >= 100) {
			tmp[n++] = (char)('0' + v / 100);
			v %= 100;
			tmp[n++] = skbd_digit_pairs[2 * v];
			tmp[n++] = skbd_digit_pairs[2 * v + 1];
		} else if (v >= 10) {
			tmp[n++] = skbd_digit_pairs[2 * v];
			tmp[n++] = skbd_digit_pairs[2 * v + 1];
		} else {
			tmp[n++] = (char)('0' + v);
		}
	}
	skbd_put_mem(o, tmp, n);
}

/* Like glibc's inet_ntop(): the longest run of two or more zero groups (the
 * first of equal ones) becomes "::"; ::ffff:a.b.c.d and ::a.b.c.d keep the
 * embedded IPv4 address in dotted form. */
static void put_ip6(struct skbd_sbuf *o, const __u8 a[16])
{
	int best = -1, best_len = 0, cur = -1, cur_len = 0;
	__u16 w[8];

	for (int i = 0; i < 8; i++) {
		w[i] = rd16(a + 2 * i);
		if (!w[i]) {
			if (cur < 0) {
				cur = i;
				cur_len = 0;
			}
			if (++cur_len > best_len) {
				best = cur;
				best_len = cur_len;
			}
		} else {
			cur = -1;
		}
	}
	if (best_len < 2)
		best = -1;
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			skbd_put_char(o, ':');
			if (best + best_len == 8)
				skbd_put_char(o, ':');
			i += best_len - 1;
			continue;
		}
		if (i)
			skbd_put_char(o, ':');
		if (i == 6 && best == 0 && (best_len == 6 || (best_len == 5 && w[5] == 0xffff))) {
			put_ip4(o, a + 12);
			return;
		}
		put_hex16(o, w[i]);
	}
}

static void put_mac(struct skbd_sbuf *o, const __u8 m[6])
{
	char tmp[17];

	for (int i = 0; i < 6; i++) {
		tmp[i * 3] = hexdig[m[i] >> 4];
		tmp[i * 3 + 1] = hexdig[m[i] & 15];
		if (i < 5)
			tmp[i * 3 + 2] = ':';
	}
	skbd_put_mem(o, tmp, sizeof(tmp));
}

/* "0x" and exactly four hex digits */
static void put_type(struct skbd_sbuf *o, __u16 t)
{
	char tmp[6] = { '0', 'x', hexdig[t >> 12], hexdig[(t >> 8) & 15], hexdig[(t >> 4) & 15],
			hexdig[t & 15] };

	skbd_put_mem(o, tmp, sizeof(tmp));
}

const char *skbd_pkt__ethertype_name(__u16 t)
{
	switch (t) {
	case 0x0800: return "IPv4";
	case 0x86dd: return "IPv6";
	case 0x0806: return "ARP";
	case 0x8035: return "RARP";
	case 0x8100: return "802.1Q";
	case 0x88a8: return "802.1ad";
	case 0x8847: return "MPLS";
	case 0x8848: return "MPLS-mcast";
	case 0x88cc: return "LLDP";
	case 0x8863: return "PPPoE-disc";
	case 0x8864: return "PPPoE";
	case 0x88e5: return "MACsec";
	case 0x8906: return "FCoE";
	case 0x894f: return "NSH";
	case 0x0004: return "802.2";
	case 0x0003: return "ALL";
	case 0x0019: return "CAN";
	case 0x000d: return "CANFD";
	default: return NULL;
	}
}

static void put_ethertype_name(struct skbd_sbuf *o, __u16 t)
{
	const char *name = skbd_pkt__ethertype_name(t);

	if (name)
		skbd_put_str(o, name);
	else
		put_type(o, t);
}

static const char *icmp_name(__u8 type, __u8 code)
{
	static const char *const unreach[] = { "unreachable net", "unreachable host",
					       "unreachable proto", "unreachable port",
					       "unreachable frag-needed" };

	switch (type) {
	case 0: return code ? NULL : "echo reply";
	case 8: return code ? NULL : "echo request";
	case 3: return code < 5 ? unreach[code] : NULL;
	case 11: return code == 0 ? "time exceeded" : code == 1 ? "time exceeded reassembly" : NULL;
	case 5: return code < 4 ? "redirect" : NULL;
	case 12: return code ? NULL : "parameter problem";
	default: return NULL;
	}
}

static const char *icmp6_name(__u8 type, __u8 code)
{
	static const char *const unreach[] = { "unreachable no-route", "unreachable admin-prohibited",
					       "unreachable beyond-scope", "unreachable address",
					       "unreachable port" };

	if (type == 1)
		return code < 5 ? unreach[code] : NULL;
	if (type == 3)
		return code == 0 ? "time exceeded" : code == 1 ? "time exceeded reassembly" : NULL;
	if (code)
		return NULL;
	switch (type) {
	case 2: return "packet too big";
	case 4: return "parameter problem";
	case 128: return "echo request";
	case 129: return "echo reply";
	case 130: return "mld query";
	case 131: return "mld report";
	case 132: return "mld done";
	case 133: return "router solicitation";
	case 134: return "router advertisement";
	case 135: return "neighbor solicitation";
	case 136: return "neighbor advertisement";
	case 137: return "redirect";
	case 143: return "mld2 report";
	default: return NULL;
	}
}

/* ---- text -------------------------------------------------------------- */

static void put_addr(struct skbd_sbuf *o, const struct skbd_pkt *p, bool src)
{
	if (p->have_ipv4)
		put_ip4(o, src ? p->ipv4.src : p->ipv4.dst);
	else
		put_ip6(o, src ? p->ipv6.src : p->ipv6.dst);
}

/* "SRC.SPORT > DST.DPORT" or, without ports, "SRC > DST" */
static void put_flow(struct skbd_sbuf *o, const struct skbd_pkt *p, bool ports, __u16 sport, __u16 dport)
{
	put_addr(o, p, true);
	if (ports) {
		skbd_put_char(o, '.');
		skbd_put_u64(o, sport);
	}
	skbd_put_lit(o, " > ");
	put_addr(o, p, false);
	if (ports) {
		skbd_put_char(o, '.');
		skbd_put_u64(o, dport);
	}
}

static void put_tcp_letters(struct skbd_sbuf *o, __u16 flags)
{
	/* tcpdump's order */
	static const struct { __u8 bit; char c; } letters[] = {
		{ TCPF_FIN, 'F' }, { TCPF_SYN, 'S' }, { TCPF_RST, 'R' }, { TCPF_PSH, 'P' },
		{ TCPF_ACK, '.' }, { TCPF_URG, 'U' }, { TCPF_ECE, 'E' }, { TCPF_CWR, 'W' },
	};

	skbd_put_char(o, '[');
	if (!(flags & 0xff))
		skbd_put_lit(o, "none");
	for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++)
		if (flags & letters[i].bit)
			skbd_put_char(o, letters[i].c);
	skbd_put_char(o, ']');
}

/* The status of the transport layer and its name, or NULL when there is none. */
static const char *transport(const struct skbd_pkt *p, const struct skbd_pkt_l **st)
{
	if (p->have_tcp) {
		*st = &p->tcp_st;
		return "tcp";
	}
	if (p->have_udp) {
		*st = &p->udp_st;
		return "udp";
	}
	if (p->have_icmp) {
		*st = &p->icmp_st;
		return "icmp";
	}
	if (p->have_icmp6) {
		*st = &p->icmp6_st;
		return "icmp6";
	}
	*st = NULL;
	return NULL;
}

static void text_ip(struct skbd_sbuf *o, const struct skbd_pkt *p, bool v6)
{
	const struct skbd_pkt_l *nst = v6 ? &p->ipv6_st : &p->ipv4_st, *tst;
	bool partial = v6 ? p->ipv6_partial : p->ipv4_partial;
	const char *tname = transport(p, &tst);

	if (nst->status == SKBD_PKT_MALFORMED || (nst->status == SKBD_PKT_TRUNCATED && !partial)) {
		skbd_put_str(o, v6 ? "IPv6" : "IPv4");
		if (nst->status == SKBD_PKT_MALFORMED) {
			skbd_put_lit(o, " [malformed: ");
			skbd_put_str(o, nst->why);
			skbd_put_char(o, ']');
		} else {
			skbd_put_str(o, v6 ? " [|ip6]" : " [|ip]");
		}
		return;
	}
	if (tname && tst->status == SKBD_PKT_OK) {
		const char *name;

		skbd_put_str(o, tname);
		skbd_put_char(o, ' ');
		if (p->have_tcp) {
			put_flow(o, p, true, p->tcp.sport, p->tcp.dport);
			skbd_put_char(o, ' ');
			put_tcp_letters(o, p->tcp.flags);
			return;
		}
		if (p->have_udp) {
			put_flow(o, p, true, p->udp.sport, p->udp.dport);
			return;
		}
		put_flow(o, p, false, 0, 0);
		skbd_put_char(o, ' ');
		name = p->have_icmp ? icmp_name(p->icmp.type, p->icmp.code)
				    : icmp6_name(p->icmp.type, p->icmp.code);
		if (name) {
			skbd_put_str(o, name);
		} else {
			skbd_put_lit(o, "type ");
			skbd_put_u64(o, p->icmp.type);
			skbd_put_lit(o, " code ");
			skbd_put_u64(o, p->icmp.code);
		}
		return;
	}
	skbd_put_str(o, v6 ? "ip6 " : "ip ");
	put_flow(o, p, false, 0, 0);
	if (partial) {
		skbd_put_str(o, v6 ? " [|ip6]" : " [|ip]");
	} else if (tname && tst->status == SKBD_PKT_TRUNCATED) {
		skbd_put_lit(o, " [|");
		skbd_put_str(o, tname);
		skbd_put_char(o, ']');
	} else if (tname) {
		skbd_put_lit(o, " [malformed ");
		skbd_put_str(o, tname);
		skbd_put_lit(o, ": ");
		skbd_put_str(o, tst->why);
		skbd_put_char(o, ']');
	} else {
		__u16 off = v6 ? p->ip6frag.offset : p->ipv4.frag_offset;

		if (off) {
			skbd_put_lit(o, " frag off ");
			skbd_put_u64(o, off);
		}
		skbd_put_str(o, v6 ? " next-header " : " proto ");
		skbd_put_u64(o, p->l4_proto);
	}
}

static void text_arp(struct skbd_sbuf *o, const struct skbd_pkt *p)
{
	if (p->arp_st.status == SKBD_PKT_TRUNCATED) {
		skbd_put_lit(o, "ARP [|arp]");
	} else if (p->arp_st.status == SKBD_PKT_MALFORMED) {
		skbd_put_lit(o, "ARP [malformed: ");
		skbd_put_str(o, p->arp_st.why);
		skbd_put_char(o, ']');
	} else if (p->arp.op == 1) {
		skbd_put_lit(o, "arp who-has ");
		put_ip4(o, p->arp.tpa);
		skbd_put_lit(o, " tell ");
		put_ip4(o, p->arp.spa);
	} else if (p->arp.op == 2) {
		skbd_put_lit(o, "arp reply ");
		put_ip4(o, p->arp.spa);
		skbd_put_lit(o, " is-at ");
		put_mac(o, p->arp.sha);
	} else {
		skbd_put_lit(o, "arp op ");
		skbd_put_u64(o, p->arp.op);
	}
}

size_t skbd_pkt__format_text(const struct skbd_pkt *p, char *buf, size_t size)
{
	struct skbd_sbuf o = { .buf = buf, .size = size };

	if (p->have_ether && p->ether_st.status == SKBD_PKT_OK) {
		for (int i = 0; i < p->ether.nr_vlan && i < 2; i++) {
			skbd_put_lit(&o, "vlan ");
			skbd_put_u64(&o, p->ether.vlan[i]);
			skbd_put_char(&o, ' ');
		}
	}
	if (p->have_ether && p->ether_st.status != SKBD_PKT_OK) {
		put_ethertype_name(&o, p->ethertype);
		skbd_put_lit(&o, " [|ether]");
	} else if (p->have_ipv4 || p->have_ipv6) {
		text_ip(&o, p, p->have_ipv6);
	} else if (p->have_arp) {
		text_arp(&o, p);
	} else {
		put_ethertype_name(&o, net_proto(p));
	}
	return finish(&o);
}

/* ---- JSON -------------------------------------------------------------- */

/* Member name with its quotes and colon; keys are plain ASCII literals. */
#define put_key(o, k) skbd_put_lit((o), "\"" k "\":")

/* The why strings are our own ASCII, but escape anyway: the output must
 * stay JSON whatever a future reason says. */
static void put_json_str(struct skbd_sbuf *o, const char *s)
{
	skbd_put_char(o, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			skbd_put_char(o, '\\');
			skbd_put_char(o, (char)c);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15] };

			skbd_put_mem(o, esc, sizeof(esc));
		} else {
			skbd_put_char(o, (char)c);
		}
	}
	skbd_put_char(o, '"');
}

static void json_ip4(struct skbd_sbuf *o, const __u8 a[4])
{
	skbd_put_char(o, '"');
	put_ip4(o, a);
	skbd_put_char(o, '"');
}

static void json_ip6(struct skbd_sbuf *o, const __u8 a[16])
{
	skbd_put_char(o, '"');
	put_ip6(o, a);
	skbd_put_char(o, '"');
}

static void json_mac(struct skbd_sbuf *o, const __u8 m[6])
{
	skbd_put_char(o, '"');
	put_mac(o, m);
	skbd_put_char(o, '"');
}

/* Opens a layer member; returns false (having written the whole value) for
 * a truncated or malformed layer whose fields are not valid. */
static bool json_open(struct skbd_sbuf *o, bool *first, const char *key, const struct skbd_pkt_l *st,
		      bool partial)
{
	if (!*first)
		skbd_put_char(o, ',');
	*first = false;
	skbd_put_char(o, '"');
	skbd_put_str(o, key);
	skbd_put_lit(o, "\":{");
	if (st->status == SKBD_PKT_MALFORMED) {
		put_key(o, "malformed");
		put_json_str(o, st->why ? st->why : "");
		skbd_put_char(o, '}');
		return false;
	}
	if (st->status == SKBD_PKT_TRUNCATED && !partial) {
		skbd_put_lit(o, "\"truncated\":true}");
		return false;
	}
	return true;
}

/* Closes a layer opened by json_open(). */
static void json_close(struct skbd_sbuf *o, const struct skbd_pkt_l *st)
{
	if (st->status == SKBD_PKT_TRUNCATED)
		skbd_put_lit(o, ",\"truncated\":true");
	skbd_put_char(o, '}');
}

static void json_ether(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first)
{
	if (!json_open(o, first, "ether", &p->ether_st, false))
		return;
	put_key(o, "src");
	json_mac(o, p->ether.src);
	skbd_put_lit(o, ",\"dst\":");
	json_mac(o, p->ether.dst);
	skbd_put_lit(o, ",\"type\":\"");
	put_type(o, p->ether.type);
	skbd_put_char(o, '"');
	if (p->ether.nr_vlan) {
		skbd_put_lit(o, ",\"vlan\":[");
		for (int i = 0; i < p->ether.nr_vlan && i < 2; i++) {
			if (i)
				skbd_put_char(o, ',');
			skbd_put_u64(o, p->ether.vlan[i]);
		}
		skbd_put_char(o, ']');
	}
	json_close(o, &p->ether_st);
}

static void json_arp(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first)
{
	if (!json_open(o, first, "arp", &p->arp_st, false))
		return;
	put_key(o, "operation");
	if (p->arp.op == 1)
		skbd_put_lit(o, "\"request\"");
	else if (p->arp.op == 2)
		skbd_put_lit(o, "\"reply\"");
	else
		skbd_put_u64(o, p->arp.op);
	skbd_put_lit(o, ",\"sender_mac\":");
	json_mac(o, p->arp.sha);
	skbd_put_lit(o, ",\"sender_ip\":");
	json_ip4(o, p->arp.spa);
	skbd_put_lit(o, ",\"target_mac\":");
	json_mac(o, p->arp.tha);
	skbd_put_lit(o, ",\"target_ip\":");
	json_ip4(o, p->arp.tpa);
	json_close(o, &p->arp_st);
}

static void json_ipv4(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first)
{
	if (!json_open(o, first, "ipv4", &p->ipv4_st, p->ipv4_partial))
		return;
	put_key(o, "src");
	json_ip4(o, p->ipv4.src);
	skbd_put_lit(o, ",\"dst\":");
	json_ip4(o, p->ipv4.dst);
	skbd_put_lit(o, ",\"ttl\":");
	skbd_put_u64(o, p->ipv4.ttl);
	skbd_put_lit(o, ",\"protocol\":");
	skbd_put_u64(o, p->ipv4.protocol);
	skbd_put_lit(o, ",\"id\":");
	skbd_put_u64(o, p->ipv4.id);
	skbd_put_lit(o, ",\"len\":");
	skbd_put_u64(o, p->ipv4.len);
	skbd_put_lit(o, ",\"flags\":\"");
	if (p->ipv4.df)
		skbd_put_lit(o, "DF");
	if (p->ipv4.df && p->ipv4.mf)
		skbd_put_char(o, '|');
	if (p->ipv4.mf)
		skbd_put_lit(o, "MF");
	skbd_put_lit(o, "\",\"frag_offset\":");
	skbd_put_u64(o, p->ipv4.frag_offset);
	json_close(o, &p->ipv4_st);
}

static void json_ipv6(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first)
{
	if (!json_open(o, first, "ipv6", &p->ipv6_st, p->ipv6_partial))
		return;
	put_key(o, "src");
	json_ip6(o, p->ipv6.src);
	skbd_put_lit(o, ",\"dst\":");
	json_ip6(o, p->ipv6.dst);
	skbd_put_lit(o, ",\"hop_limit\":");
	skbd_put_u64(o, p->ipv6.hop_limit);
	skbd_put_lit(o, ",\"next_header\":");
	skbd_put_u64(o, p->ipv6.next_header);
	skbd_put_lit(o, ",\"flow_label\":");
	skbd_put_u64(o, p->ipv6.flow_label);
	skbd_put_lit(o, ",\"len\":");
	skbd_put_u64(o, p->ipv6.len);
	if (!p->ipv6_partial) {
		skbd_put_lit(o, ",\"protocol\":");
		skbd_put_u64(o, p->l4_proto);
	}
	if (p->ip6frag.present) {
		skbd_put_lit(o, ",\"fragment\":{\"offset\":");
		skbd_put_u64(o, p->ip6frag.offset);
		skbd_put_lit(o, ",\"id\":");
		skbd_put_u64(o, p->ip6frag.id);
		if (p->ip6frag.mf)
			skbd_put_lit(o, ",\"more\":true}");
		else
			skbd_put_lit(o, ",\"more\":false}");
	}
	json_close(o, &p->ipv6_st);
}

static void json_tcp_flags(struct skbd_sbuf *o, __u16 flags)
{
	/* bit order */
	static const char *const names[8] = { "FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR" };
	bool any = false;

	skbd_put_char(o, '"');
	for (int i = 0; i < 8; i++) {
		if (!(flags & (1u << i)))
			continue;
		if (any)
			skbd_put_char(o, '|');
		skbd_put_mem(o, names[i], 3);
		any = true;
	}
	skbd_put_char(o, '"');
}

static void json_tcp(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first)
{
	const char *state;

	if (!json_open(o, first, "tcp", &p->tcp_st, false))
		return;
	put_key(o, "sport");
	skbd_put_u64(o, p->tcp.sport);
	skbd_put_lit(o, ",\"dport\":");
	skbd_put_u64(o, p->tcp.dport);
	skbd_put_lit(o, ",\"seq\":");
	skbd_put_u64(o, p->tcp.seq);
	skbd_put_lit(o, ",\"ack\":");
	skbd_put_u64(o, p->tcp.ack);
	skbd_put_lit(o, ",\"flags\":");
	json_tcp_flags(o, p->tcp.flags);
	skbd_put_lit(o, ",\"window\":");
	skbd_put_u64(o, p->tcp.window);
	if (p->sk_state != SKBD_SK_NONE) {
		skbd_put_lit(o, ",\"state\":");
		state = skbd_pkt__tcp_state_name(p->sk_state);
		if (state)
			put_json_str(o, state);
		else
			skbd_put_u64(o, p->sk_state);
	}
	json_close(o, &p->tcp_st);
}

static void json_udp(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first)
{
	if (!json_open(o, first, "udp", &p->udp_st, false))
		return;
	put_key(o, "sport");
	skbd_put_u64(o, p->udp.sport);
	skbd_put_lit(o, ",\"dport\":");
	skbd_put_u64(o, p->udp.dport);
	skbd_put_lit(o, ",\"len\":");
	skbd_put_u64(o, p->udp.len);
	json_close(o, &p->udp_st);
}

static void json_icmp(struct skbd_sbuf *o, const struct skbd_pkt *p, bool *first, const char *key,
		      const struct skbd_pkt_l *st)
{
	if (!json_open(o, first, key, st, false))
		return;
	put_key(o, "type");
	skbd_put_u64(o, p->icmp.type);
	skbd_put_lit(o, ",\"code\":");
	skbd_put_u64(o, p->icmp.code);
	json_close(o, st);
}

size_t skbd_pkt__format_json(const struct skbd_pkt *p, char *buf, size_t size)
{
	struct skbd_sbuf o = { .buf = buf, .size = size };
	bool first = true;

	skbd_put_char(&o, '{');
	if (p->have_ether)
		json_ether(&o, p, &first);
	if (p->have_arp)
		json_arp(&o, p, &first);
	if (p->have_ipv4)
		json_ipv4(&o, p, &first);
	if (p->have_ipv6)
		json_ipv6(&o, p, &first);
	if (p->have_tcp)
		json_tcp(&o, p, &first);
	if (p->have_udp)
		json_udp(&o, p, &first);
	if (p->have_icmp)
		json_icmp(&o, p, &first, "icmp", &p->icmp_st);
	if (p->have_icmp6)
		json_icmp(&o, p, &first, "icmp6", &p->icmp6_st);
	skbd_put_char(&o, '}');
	return finish(&o);
}
