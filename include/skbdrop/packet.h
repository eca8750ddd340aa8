/* SPDX-License-Identifier: GPL-2.0-only */
/* Decoder for the packet slice the BPF program captures: Ethernet (+802.1Q),
 * ARP, IPv4, IPv6 (+extension headers), TCP, UDP, ICMP, ICMPv6. Pure code:
 * it never reads past caplen, and reports cut or malformed headers as such.
 * Its text and JSON writers are in output.h. */
#ifndef SKBDROP_PACKET_H
#define SKBDROP_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* What the BPF program captured for one drop. */
struct skbd_pkt_in {
	const __u8 *data; /* caplen bytes (may be NULL when caplen is 0) */
	size_t caplen;
	size_t net_off;   /* offset of the network header in data, or SKBD_DROP_OFF_NONE (0xffff) */
	bool has_mac;     /* data starts at the MAC header (Ethernet when net_off == 14) */
	__u16 ethertype;  /* skb->protocol, host byte order: which network layer to expect */
	__u8 sk_state;    /* state of the skb's socket (TCP_ESTABLISHED = 1 ...), or 0xff */
};

enum skbd_pkt_status { SKBD_PKT_OK = 0, SKBD_PKT_TRUNCATED = 1, SKBD_PKT_MALFORMED = 2 };

struct skbd_pkt_l {
	enum skbd_pkt_status status; /* of this layer */
	const char *why;             /* malformed: a short static reason */
};

/* Decoded headers, host byte order. A layer absent from the packet has its
 * have_* flag false; a present one says in *_st whether it was complete.
 * The decoder may add fields; callers only read them. */
struct skbd_pkt {
	bool have_ether, have_arp, have_ipv4, have_ipv6, have_tcp, have_udp, have_icmp, have_icmp6;
	struct skbd_pkt_l ether_st, arp_st, ipv4_st, ipv6_st, tcp_st, udp_st, icmp_st, icmp6_st;
	struct { __u8 src[6], dst[6]; __u16 type; __u16 vlan[2]; __u8 nr_vlan; } ether;
	struct { __u16 op; __u8 sha[6], tha[6]; __u8 spa[4], tpa[4]; } arp;
	struct { __u8 src[4], dst[4]; __u8 ttl, protocol; __u16 id, len, frag_offset; bool df, mf; } ipv4;
	struct { __u8 src[16], dst[16]; __u8 hop_limit, next_header; __u32 flow_label; __u16 len; } ipv6;
	struct { __u16 sport, dport; __u32 seq, ack; __u16 flags, window; } tcp;
	struct { __u16 sport, dport, len; } udp;
	struct { __u8 type, code; } icmp; /* also icmp6 */
	__u8 l4_proto;   /* IP protocol / IPv6 next header of the transport layer */
	__u8 sk_state;   /* copied from the input */
	__u16 ethertype; /* copied from the input */
	bool captured;   /* any bytes at all */
	/* ipv4_st/ipv6_st TRUNCATED after the fixed header was captured (IPv4
	 * options or IPv6 extension headers cut): the ipv4/ipv6 fields are valid. */
	bool ipv4_partial, ipv6_partial;
	/* IPv6 fragment header, when ip6frag.present; offset in bytes. */
	struct { __u32 id; __u16 offset; bool present, mf; } ip6frag;
};

/* Decode in into *out. Always fills *out (zeroed first); never fails. */
void skbd_pkt__decode(const struct skbd_pkt_in *in, struct skbd_pkt *out);

struct skbd_drop;
/* The same for what a drop captured (its data, caplen, offsets, flags). */
void skbd_pkt__decode_drop(const struct skbd_drop *d, struct skbd_pkt *out);

/* The ethertype that names the network layer: the inner one after VLAN
 * tags when skb->protocol is itself a VLAN TPID. */
__u16 skbd_pkt__net_proto(const struct skbd_pkt *p);

/* "IPv4", "IPv6", "ARP", "LLDP", ... for an ethertype, NULL when unnamed. */
const char *skbd_pkt__ethertype_name(__u16 ethertype);

/* "LISTEN", "ESTABLISHED", ... for a TCP state number, NULL when unknown. */
const char *skbd_pkt__tcp_state_name(__u8 state);

#endif
