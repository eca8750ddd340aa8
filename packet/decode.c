// SPDX-License-Identifier: GPL-2.0-only
/* Decoder of the packet slice a drop event carries (Ethernet + 802.1Q/802.1ad,
 * ARP, IPv4, IPv6 + extension headers, TCP, UDP, ICMP, ICMPv6) into a model
 * (struct skbd_pkt); its text and JSON writers are output/packet.c.
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
 *   is 0, net_off is SKBD_DROP_OFF_NONE or net_off > caplen.
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

 */
#include <string.h>
#include <skbdrop/packet.h>
#include <skbdrop/drop.h>

#define ETH_HLEN 14
#define VLAN_HLEN 4
#define ETH_P_IP 0x0800
#define ETH_P_ARP 0x0806
#define ETH_P_IPV6 0x86dd
#define ETH_P_8021Q 0x8100
#define ETH_P_8021AD 0x88a8
#define IP6_MAX_EXT 8 /* extension headers walked before giving up */

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

__u16 skbd_pkt__net_proto(const struct skbd_pkt *p)
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
	if (net == SKBD_DROP_OFF_NONE || net > caplen)
		return;
	switch (skbd_pkt__net_proto(out)) {
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

void skbd_pkt__decode_drop(const struct skbd_drop *d, struct skbd_pkt *out)
{
	struct skbd_pkt_in in = {
		.data = d->data,
		.caplen = d->caplen <= SKBD_DROP_SNAPLEN_MAX ? d->caplen : SKBD_DROP_SNAPLEN_MAX,
		.net_off = d->net_off,
		.has_mac = !!(d->flags & SKBD_DROP_HAS_MAC),
		.ethertype = d->protocol,
		.sk_state = d->sk_state,
	};

	skbd_pkt__decode(&in, out);
}
