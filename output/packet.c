// SPDX-License-Identifier: GPL-2.0-only
/* The packet decoder's two writers (the decoder is packet/decode.c): a
 * tcpdump-like line and the JSON value of "layers".
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
 * The writers allocate nothing and call no printf: this runs per event. */
#include <skbdrop/output.h>

/* TCP header flags, in tcpdump's order */
#define TCPF_FIN 0x01
#define TCPF_SYN 0x02
#define TCPF_RST 0x04
#define TCPF_PSH 0x08
#define TCPF_ACK 0x10
#define TCPF_URG 0x20
#define TCPF_ECE 0x40
#define TCPF_CWR 0x80

static const char hexdig[] = "0123456789abcdef";

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
		w[i] = (__u16)(a[2 * i] << 8 | a[2 * i + 1]);
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
		skbd_put_hex(o, w[i]);
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
		put_ethertype_name(&o, skbd_pkt__net_proto(p));
	}
	return skbd_sbuf__finish(&o);
}

/* ---- JSON -------------------------------------------------------------- */

/* Member name with its quotes and colon; keys are plain ASCII literals. */
#define put_key(o, k) skbd_put_lit((o), "\"" k "\":")

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
		skbd_put_json_str(o, st->why ? st->why : "");
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
	if (p->sk_state != SKBD_DROP_SK_NONE) {
		skbd_put_lit(o, ",\"state\":");
		state = skbd_pkt__tcp_state_name(p->sk_state);
		if (state)
			skbd_put_json_str(o, state);
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
	return skbd_sbuf__finish(&o);
}
