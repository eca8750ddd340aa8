// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for packet/decode.c and its writers (output/packet.c), which
 * show what was decoded: crafted packets of every layer with their
 * exact text and JSON forms, every truncation point, malformed headers, cut
 * output buffers and a random-bytes fuzz loop. Packet buffers are malloc'd
 * with exactly caplen bytes so an overread is an ASan error. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <CUnit/CUnit.h>
#include <skbdrop/drop.h>
#include <skbdrop/output.h>
#include <skbdrop/packet.h>
#include "testutil.h"

#define NONE SKBD_DROP_OFF_NONE
#define NOSK SKBD_DROP_SK_NONE

/* ---- packet builders: each writes one header at b, returns its length --- */

static size_t eth(__u8 *b, __u16 type)
{
	static const __u8 macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	memcpy(b, macs, 12);
	b[12] = (__u8)(type >> 8);
	b[13] = (__u8)type;
	return 14;
}

/* a VLAN tag: TPID, then TCI with vid, then the inner type */
static size_t vlan(__u8 *b, __u16 tpid, __u16 vid, __u16 inner)
{
	b[-2] = (__u8)(tpid >> 8);
	b[-1] = (__u8)tpid;
	b[0] = (__u8)(0x20 | vid >> 8); /* PCP 1: must not show in the vid */
	b[1] = (__u8)vid;
	b[2] = (__u8)(inner >> 8);
	b[3] = (__u8)inner;
	return 4;
}

/* 10.0.0.1 > 10.0.0.2, id 7238, ttl 64; frag is the raw flags+offset field */
static size_t ip4(__u8 *b, __u8 proto, __u16 tot, __u16 frag)
{
	const __u8 h[20] = { 0x45, 0, (__u8)(tot >> 8), (__u8)tot, 0x1c, 0x46, (__u8)(frag >> 8),
			     (__u8)frag, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };

	memcpy(b, h, 20);
	return 20;
}

/* 2001:db8::1 > 2001:db8::2, flow label 0x12345, hop limit 64 */
static size_t ip6(__u8 *b, __u8 nh, __u16 plen)
{
	memset(b, 0, 40);
	b[0] = 0x60;
	b[1] = 0x01;
	b[2] = 0x23;
	b[3] = 0x45;
	b[4] = (__u8)(plen >> 8);
	b[5] = (__u8)plen;
	b[6] = nh;
	b[7] = 64;
	for (int i = 8; i < 40; i += 16) {
		b[i] = 0x20;
		b[i + 1] = 0x01;
		b[i + 2] = 0x0d;
		b[i + 3] = 0xb8;
		b[i + 15] = (__u8)(i == 8 ? 1 : 2);
	}
	return 40;
}

/* seq 16909060, ack 84281096, window 65535, no options */
static size_t tcp(__u8 *b, __u16 sport, __u16 dport, __u8 flags)
{
	const __u8 h[20] = { (__u8)(sport >> 8), (__u8)sport, (__u8)(dport >> 8), (__u8)dport, 1, 2, 3, 4,
			     5, 6, 7, 8, 0x50, flags, 0xff, 0xff, 0, 0, 0, 0 };

	memcpy(b, h, 20);
	return 20;
}

static size_t udp(__u8 *b, __u16 sport, __u16 dport, __u16 len)
{
	const __u8 h[8] = { (__u8)(sport >> 8), (__u8)sport, (__u8)(dport >> 8), (__u8)dport,
			    (__u8)(len >> 8), (__u8)len, 0, 0 };

	memcpy(b, h, 8);
	return 8;
}

static size_t icmp(__u8 *b, __u8 type, __u8 code)
{
	const __u8 h[8] = { type, code, 0, 0, 0, 1, 0, 1 };

	memcpy(b, h, 8);
	return 8;
}

/* Ethernet/IPv4 ARP from 02:00:00:00:00:01 10.0.0.1 about 10.0.0.2 */
static size_t arp(__u8 *b, __u16 op, const __u8 tha[6])
{
	const __u8 h[28] = { 0, 1, 8, 0, 6, 4, (__u8)(op >> 8), (__u8)op, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
			     tha[0], tha[1], tha[2], tha[3], tha[4], tha[5], 10, 0, 0, 2 };

	memcpy(b, h, 28);
	return 28;
}

/* an IPv6 extension header of 8 * (1 + units) bytes */
static size_t ext6(__u8 *b, __u8 nh, __u8 units)
{
	memset(b, 0, 8 * (1 + (size_t)units));
	b[0] = nh;
	b[1] = units;
	return 8 * (1 + (size_t)units);
}

static size_t frag6(__u8 *b, __u8 nh, __u16 off_bytes, bool mf, __u32 id)
{
	__u16 f = (__u16)(off_bytes | mf);
	const __u8 h[8] = { nh, 0, (__u8)(f >> 8), (__u8)f, (__u8)(id >> 24), (__u8)(id >> 16),
			    (__u8)(id >> 8), (__u8)id };

	memcpy(b, h, 8);
	return 8;
}

/* ---- decode and compare ------------------------------------------------ */

/* Decode caplen bytes of pkt from an exactly-sized heap copy. */
static void decode(const __u8 *pkt, size_t caplen, size_t net_off, bool has_mac, __u16 type,
		   __u8 sk_state, struct skbd_pkt *out)
{
	__u8 *copy = malloc(caplen ? caplen : 1);
	struct skbd_pkt_in in = { .data = caplen ? copy : NULL, .caplen = caplen, .net_off = net_off,
				  .has_mac = has_mac, .ethertype = type, .sk_state = sk_state };

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	if (caplen)
		memcpy(copy, pkt, caplen);
	memset(out, 0xa5, sizeof(*out)); /* decode must zero it */
	skbd_pkt__decode(&in, out);
	free(copy);
}

static bool same(const char *what, const char *got, size_t n, const char *want)
{
	if (!strcmp(got, want) && n == strlen(want))
		return true;
	fprintf(stderr, "\n  %s:\n    got  %s (%zu)\n    want %s\n", what, got, n, want);
	return false;
}

/* Text and JSON forms of one packet; NULL skips a form. */
static bool check(const __u8 *pkt, size_t caplen, size_t net_off, bool has_mac, __u16 type,
		  __u8 sk_state, const char *text, const char *json)
{
	struct skbd_pkt p;
	char buf[2048];
	bool ok = true;
	size_t n;

	decode(pkt, caplen, net_off, has_mac, type, sk_state, &p);
	if (text) {
		n = skbd_pkt__format_text(&p, buf, sizeof(buf));
		ok &= same("text", buf, n, text);
	}
	if (json) {
		n = skbd_pkt__format_json(&p, buf, sizeof(buf));
		ok &= same("json", buf, n, json);
	}
	return ok;
}

#define CHECK(...) CU_ASSERT(check(__VA_ARGS__))

#define ETHER_JSON "\"ether\":{\"src\":\"02:00:00:00:00:01\",\"dst\":\"02:00:00:00:00:02\",\"type\":"
#define IP4_JSON(proto, len, flags, off)                                                           \
	"\"ipv4\":{\"src\":\"10.0.0.1\",\"dst\":\"10.0.0.2\",\"ttl\":64,\"protocol\":" #proto       \
	",\"id\":7238,\"len\":" #len ",\"flags\":\"" flags "\",\"frag_offset\":" #off
#define IP6_JSON(nh, len)                                                                          \
	"\"ipv6\":{\"src\":\"2001:db8::1\",\"dst\":\"2001:db8::2\",\"hop_limit\":64,\"next_header\":" \
	#nh ",\"flow_label\":74565,\"len\":" #len

/* ---- layers ------------------------------------------------------------ */

static void test_udp4(void)
{
	__u8 b[64];
	size_t n = eth(b, 0x0800);

	n += ip4(b + n, 17, 32, 0x4000);
	n += udp(b + n, 40000, 9, 12);
	memcpy(b + n, "abcd", 4);
	n += 4;
	CHECK(b, n, 14, true, 0x0800, NOSK, "udp 10.0.0.1.40000 > 10.0.0.2.9",
	      "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(17, 32, "DF", 0) "},"
	      "\"udp\":{\"sport\":40000,\"dport\":9,\"len\":12}}");
	/* without the MAC header: data starts at the network header */
	CHECK(b + 14, n - 14, 0, false, 0x0800, NOSK, "udp 10.0.0.1.40000 > 10.0.0.2.9",
	      "{" IP4_JSON(17, 32, "DF", 0) "},\"udp\":{\"sport\":40000,\"dport\":9,\"len\":12}}");
	/* a MAC header that is not Ethernet (net_off 16): skipped */
	memmove(b + 2, b, n);
	CHECK(b, n + 2, 16, true, 0x0800, NOSK, "udp 10.0.0.1.40000 > 10.0.0.2.9",
	      "{" IP4_JSON(17, 32, "DF", 0) "},\"udp\":{\"sport\":40000,\"dport\":9,\"len\":12}}");
}

static void test_udp6(void)
{
	__u8 b[64];
	size_t n = ip6(b, 17, 8);

	n += udp(b + n, 40000, 9, 8);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "udp 2001:db8::1.40000 > 2001:db8::2.9",
	      "{" IP6_JSON(17, 8) ",\"protocol\":17},\"udp\":{\"sport\":40000,\"dport\":9,\"len\":8}}");
}

static void test_tcp(void)
{
	static const struct { __u8 flags; const char *text, *json; } cases[] = {
		{ 0x02, "[S]", "SYN" },
		{ 0x12, "[S.]", "SYN|ACK" },
		{ 0x10, "[.]", "ACK" },
		{ 0x18, "[P.]", "PSH|ACK" },
		{ 0x19, "[FP.]", "FIN|PSH|ACK" },
		{ 0x04, "[R]", "RST" },
		{ 0xc2, "[SEW]", "SYN|ECE|CWR" },
		{ 0x52, "[S.E]", "SYN|ACK|ECE" },
		{ 0x30, "[.U]", "ACK|URG" },
		{ 0xff, "[FSRP.UEW]", "FIN|SYN|RST|PSH|ACK|URG|ECE|CWR" },
		{ 0x00, "[none]", "" },
	};
	char text[128], json[512];
	__u8 b[64];
	size_t n = eth(b, 0x0800);

	n += ip4(b + n, 6, 40, 0x4000);
	n += tcp(b + n, 40000, 80, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b[14 + 20 + 13] = cases[i].flags;
		snprintf(text, sizeof(text), "tcp 10.0.0.1.40000 > 10.0.0.2.80 %s", cases[i].text);
		snprintf(json, sizeof(json),
			 "{" IP4_JSON(6, 40, "DF", 0) "},\"tcp\":{\"sport\":40000,\"dport\":80,"
			 "\"seq\":16909060,\"ack\":84281096,\"flags\":\"%s\",\"window\":65535}}",
			 cases[i].json);
		CHECK(b + 14, n - 14, 0, false, 0x0800, NOSK, text, json);
	}
	/* the socket's state, by name or number */
	b[14 + 20 + 13] = 0x02;
	CHECK(b, n, 14, true, 0x0800, 10, NULL,
	      "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(6, 40, "DF", 0) "},\"tcp\":{\"sport\":40000,"
	      "\"dport\":80,\"seq\":16909060,\"ack\":84281096,\"flags\":\"SYN\",\"window\":65535,"
	      "\"state\":\"LISTEN\"}}");
	CHECK(b + 14, n - 14, 0, false, 0x0800, 99, "tcp 10.0.0.1.40000 > 10.0.0.2.80 [S]",
	      "{" IP4_JSON(6, 40, "DF", 0) "},\"tcp\":{\"sport\":40000,"
	      "\"dport\":80,\"seq\":16909060,\"ack\":84281096,\"flags\":\"SYN\",\"window\":65535,"
	      "\"state\":99}}");
	/* over IPv6 */
	n = ip6(b, 6, 20);
	n += tcp(b + n, 443, 5, 0x12);
	CHECK(b, n, 0, false, 0x86dd, 1, "tcp 2001:db8::1.443 > 2001:db8::2.5 [S.]",
	      "{" IP6_JSON(6, 20) ",\"protocol\":6},\"tcp\":{\"sport\":443,\"dport\":5,"
	      "\"seq\":16909060,\"ack\":84281096,\"flags\":\"SYN|ACK\",\"window\":65535,"
	      "\"state\":\"ESTABLISHED\"}}");
}

static void test_icmp(void)
{
	static const struct { __u8 type, code; const char *name; } cases[] = {
		{ 8, 0, "echo request" },
		{ 0, 0, "echo reply" },
		{ 3, 0, "unreachable net" },
		{ 3, 1, "unreachable host" },
		{ 3, 2, "unreachable proto" },
		{ 3, 3, "unreachable port" },
		{ 3, 4, "unreachable frag-needed" },
		{ 3, 13, "type 3 code 13" },
		{ 11, 0, "time exceeded" },
		{ 11, 1, "time exceeded reassembly" },
		{ 5, 1, "redirect" },
		{ 12, 0, "parameter problem" },
		{ 8, 1, "type 8 code 1" },
		{ 255, 255, "type 255 code 255" },
	};
	char text[128], json[512];
	__u8 b[64];
	size_t n = ip4(b, 1, 28, 0);

	n += icmp(b + n, 0, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b[20] = cases[i].type;
		b[21] = cases[i].code;
		snprintf(text, sizeof(text), "icmp 10.0.0.1 > 10.0.0.2 %s", cases[i].name);
		snprintf(json, sizeof(json),
			 "{" IP4_JSON(1, 28, "", 0) "},\"icmp\":{\"type\":%u,\"code\":%u}}",
			 cases[i].type, cases[i].code);
		CHECK(b, n, 0, false, 0x0800, NOSK, text, json);
	}
	/* the 4-byte common header is enough */
	CHECK(b, 24, 0, false, 0x0800, NOSK, "icmp 10.0.0.1 > 10.0.0.2 type 255 code 255", NULL);
	CHECK(b, 23, 0, false, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 [|icmp]",
	      "{" IP4_JSON(1, 28, "", 0) "},\"icmp\":{\"truncated\":true}}");
	/* ICMP number in IPv6 is not ICMP */
	n = ip6(b, 1, 8);
	n += icmp(b + n, 8, 0);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 next-header 1",
	      "{" IP6_JSON(1, 8) ",\"protocol\":1}}");
}

static void test_icmp6(void)
{
	static const struct { __u8 type, code; const char *name; } cases[] = {
		{ 128, 0, "echo request" },
		{ 129, 0, "echo reply" },
		{ 1, 0, "unreachable no-route" },
		{ 1, 1, "unreachable admin-prohibited" },
		{ 1, 3, "unreachable address" },
		{ 1, 4, "unreachable port" },
		{ 1, 9, "type 1 code 9" },
		{ 2, 0, "packet too big" },
		{ 3, 0, "time exceeded" },
		{ 3, 1, "time exceeded reassembly" },
		{ 4, 0, "parameter problem" },
		{ 130, 0, "mld query" },
		{ 131, 0, "mld report" },
		{ 132, 0, "mld done" },
		{ 143, 0, "mld2 report" },
		{ 133, 0, "router solicitation" },
		{ 134, 0, "router advertisement" },
		{ 135, 0, "neighbor solicitation" },
		{ 136, 0, "neighbor advertisement" },
		{ 137, 0, "redirect" },
		{ 135, 1, "type 135 code 1" },
		{ 200, 7, "type 200 code 7" },
	};
	char text[128], json[512];
	__u8 b[64];
	size_t n = ip6(b, 58, 8);

	n += icmp(b + n, 0, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		b[40] = cases[i].type;
		b[41] = cases[i].code;
		snprintf(text, sizeof(text), "icmp6 2001:db8::1 > 2001:db8::2 %s", cases[i].name);
		snprintf(json, sizeof(json),
			 "{" IP6_JSON(58, 8) ",\"protocol\":58},\"icmp6\":{\"type\":%u,\"code\":%u}}",
			 cases[i].type, cases[i].code);
		CHECK(b, n, 0, false, 0x86dd, NOSK, text, json);
	}
	/* ICMPv6's number in IPv4 is just a protocol */
	n = ip4(b, 58, 28, 0);
	n += icmp(b + n, 128, 0);
	CHECK(b, n, 0, false, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 proto 58", NULL);
}

static void test_other_proto(void)
{
	__u8 b[64] = { 0 };
	size_t n = ip4(b, 47, 24, 0);

	CHECK(b, n + 4, 0, false, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 proto 47",
	      "{" IP4_JSON(47, 24, "", 0) "}}");
	n = ip6(b, 47, 4);
	CHECK(b, n + 4, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 next-header 47",
	      "{" IP6_JSON(47, 4) ",\"protocol\":47}}");
	/* no next header: nothing follows, nothing is cut */
	n = ip6(b, 59, 0);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 next-header 59", NULL);
}

static void test_ipv4_fragments(void)
{
	__u8 b[64];
	size_t n = eth(b, 0x0800);

	/* the first fragment carries the UDP header */
	n += ip4(b + n, 17, 1500, 0x2000);
	n += udp(b + n, 5000, 53, 3000);
	CHECK(b, n, 14, true, 0x0800, NOSK, "udp 10.0.0.1.5000 > 10.0.0.2.53",
	      "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(17, 1500, "MF", 0) "},"
	      "\"udp\":{\"sport\":5000,\"dport\":53,\"len\":3000}}");
	/* the next ones do not: offset 185 * 8 = 1480 bytes */
	b[14 + 6] = 0x20;
	b[14 + 7] = 185;
	CHECK(b, n, 14, true, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 frag off 1480 proto 17",
	      "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(17, 1500, "MF", 1480) "}}");
	/* the last one, with DF (odd but possible), and the largest offset */
	b[14 + 6] = 0x5f;
	b[14 + 7] = 0xff;
	CHECK(b, n, 14, true, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 frag off 65528 proto 17",
	      "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(17, 1500, "DF", 65528) "}}");
	b[14 + 6] = 0x60;
	b[14 + 7] = 0x01;
	CHECK(b, n, 14, true, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 frag off 8 proto 17",
	      "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(17, 1500, "DF|MF", 8) "}}");
}

static void test_ipv4_options(void)
{
	__u8 b[64];
	size_t n = ip4(b, 17, 40, 0);

	b[0] = 0x47; /* 8 bytes of options */
	memset(b + n, 1, 8); /* NOPs */
	n += 8;
	n += udp(b + n, 1, 2, 12);
	CHECK(b, n, 0, false, 0x0800, NOSK, "udp 10.0.0.1.1 > 10.0.0.2.2", NULL);
	/* options cut: the fixed header's fields stay */
	CHECK(b, 27, 0, false, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 [|ip]",
	      "{" IP4_JSON(17, 40, "", 0) ",\"truncated\":true}}");
	CHECK(b, 28, 0, false, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 [|udp]",
	      "{" IP4_JSON(17, 40, "", 0) "},\"udp\":{\"truncated\":true}}");
}

static void test_ipv6_ext(void)
{
	__u8 b[256];
	size_t n = ip6(b, 0, 0), frag_at;

	/* hop-by-hop, routing, destination options, AH, then TCP */
	n += ext6(b + n, 43, 0);
	n += ext6(b + n, 60, 2);
	n += ext6(b + n, 51, 1);
	b[n] = 6; /* AH: 4-byte units minus 2: 4 = 24 bytes */
	b[n + 1] = 4;
	memset(b + n + 2, 0, 22);
	n += 24;
	n += tcp(b + n, 1234, 22, 0x10);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "tcp 2001:db8::1.1234 > 2001:db8::2.22 [.]",
	      "{" IP6_JSON(0, 0) ",\"protocol\":6},\"tcp\":{\"sport\":1234,\"dport\":22,"
	      "\"seq\":16909060,\"ack\":84281096,\"flags\":\"ACK\",\"window\":65535}}");
	/* cut inside the chain: the fixed header's fields stay, no protocol */
	CHECK(b, 41, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 [|ip6]",
	      "{" IP6_JSON(0, 0) ",\"truncated\":true}}");
	/* cut inside AH's body: its next header is known, TCP is not captured */
	CHECK(b, n - 21, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 [|tcp]",
	      "{" IP6_JSON(0, 0) ",\"protocol\":6},\"tcp\":{\"truncated\":true}}");

	/* fragments: the first has UDP, later ones do not */
	n = ip6(b, 44, 16);
	frag_at = n;
	n += frag6(b + n, 17, 0, true, 0x12345678);
	n += udp(b + n, 4000, 53, 3000);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "udp 2001:db8::1.4000 > 2001:db8::2.53",
	      "{" IP6_JSON(44, 16) ",\"protocol\":17,\"fragment\":{\"offset\":0,\"id\":305419896,"
	      "\"more\":true}},\"udp\":{\"sport\":4000,\"dport\":53,\"len\":3000}}");
	frag6(b + frag_at, 17, 1448, false, 7);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 frag off 1448 next-header 17",
	      "{" IP6_JSON(44, 16) ",\"protocol\":17,\"fragment\":{\"offset\":1448,\"id\":7,"
	      "\"more\":false}}}");
	/* a fragment header cut */
	CHECK(b, frag_at + 7, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 [|ip6]", NULL);

	/* more than 8 extension headers: give up, report where it stopped */
	n = ip6(b, 60, 0);
	for (int i = 0; i < 10; i++)
		n += ext6(b + n, 60, 0);
	n += udp(b + n, 1, 2, 8);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 next-header 60",
	      "{" IP6_JSON(60, 0) ",\"protocol\":60}}");
	/* exactly 8 is fine */
	n = ip6(b, 60, 0);
	for (int i = 0; i < 8; i++)
		n += ext6(b + n, i < 7 ? 60 : 17, 0);
	n += udp(b + n, 1, 2, 8);
	CHECK(b, n, 0, false, 0x86dd, NOSK, "udp 2001:db8::1.1 > 2001:db8::2.2", NULL);
	/* an extension header whose length points past the capture */
	n = ip6(b, 0, 0);
	n += ext6(b + n, 17, 0);
	b[n - 7] = 200;
	CHECK(b, n, 0, false, 0x86dd, NOSK, "ip6 2001:db8::1 > 2001:db8::2 [|udp]", NULL);
}

static void test_arp(void)
{
	static const __u8 zero[6], mac3[6] = { 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff };
	__u8 b[64];
	size_t n = eth(b, 0x0806);

	n += arp(b + n, 1, zero);
	CHECK(b, n, 14, true, 0x0806, NOSK, "arp who-has 10.0.0.2 tell 10.0.0.1",
	      "{" ETHER_JSON "\"0x0806\"},\"arp\":{\"operation\":\"request\","
	      "\"sender_mac\":\"02:00:00:00:00:01\",\"sender_ip\":\"10.0.0.1\","
	      "\"target_mac\":\"00:00:00:00:00:00\",\"target_ip\":\"10.0.0.2\"}}");
	/* a reply from aa:bb:cc:dd:ee:ff 10.0.0.2 */
	n = arp(b, 2, mac3);
	memcpy(b + 8, mac3, 6);
	b[17] = 2;
	b[27] = 1;
	memset(b + 18, 0x11, 6);
	CHECK(b, n, 0, false, 0x0806, NOSK, "arp reply 10.0.0.2 is-at aa:bb:cc:dd:ee:ff",
	      "{\"arp\":{\"operation\":\"reply\",\"sender_mac\":\"aa:bb:cc:dd:ee:ff\","
	      "\"sender_ip\":\"10.0.0.2\",\"target_mac\":\"11:11:11:11:11:11\","
	      "\"target_ip\":\"10.0.0.1\"}}");
	b[7] = 3;
	CHECK(b, n, 0, false, 0x0806, NOSK, "arp op 3",
	      "{\"arp\":{\"operation\":3,\"sender_mac\":\"aa:bb:cc:dd:ee:ff\","
	      "\"sender_ip\":\"10.0.0.2\",\"target_mac\":\"11:11:11:11:11:11\","
	      "\"target_ip\":\"10.0.0.1\"}}");
	CHECK(b, 27, 0, false, 0x0806, NOSK, "ARP [|arp]", "{\"arp\":{\"truncated\":true}}");
	CHECK(b, 7, 0, false, 0x0806, NOSK, "ARP [|arp]", "{\"arp\":{\"truncated\":true}}");
}

static void test_vlan(void)
{
	__u8 b[96];
	size_t n = eth(b, 0x8100);

	n += vlan(b + n, 0x8100, 100, 0x0800);
	n += ip4(b + n, 17, 28, 0);
	n += udp(b + n, 1, 2, 8);
	/* skb->protocol is the inner type (tag in the skb, or already popped)... */
	CHECK(b, n, 18, true, 0x0800, NOSK, "vlan 100 udp 10.0.0.1.1 > 10.0.0.2.2",
	      "{" ETHER_JSON "\"0x0800\",\"vlan\":[100]}," IP4_JSON(17, 28, "", 0) "},"
	      "\"udp\":{\"sport\":1,\"dport\":2,\"len\":8}}");
	/* ...or the TPID itself: the inner type picks the network layer */
	CHECK(b, n, 18, true, 0x8100, NOSK, "vlan 100 udp 10.0.0.1.1 > 10.0.0.2.2", NULL);
	/* the tag cut */
	CHECK(b, 16, 18, true, 0x0800, NOSK, "IPv4 [|ether]", "{\"ether\":{\"truncated\":true}}");
	/* net_off 18 without a TPID at 12: not Ethernet, the link layer is skipped */
	b[12] = 0x08;
	b[13] = 0x00;
	CHECK(b, n, 18, true, 0x0800, NOSK, "udp 10.0.0.1.1 > 10.0.0.2.2",
	      "{" IP4_JSON(17, 28, "", 0) "},\"udp\":{\"sport\":1,\"dport\":2,\"len\":8}}");

	/* QinQ: 802.1ad outer 4095, 802.1Q inner 7 */
	n = eth(b, 0x88a8);
	n += vlan(b + n, 0x88a8, 4095, 0x8100);
	n += vlan(b + n, 0x8100, 7, 0x86dd);
	n += ip6(b + n, 17, 8);
	n += udp(b + n, 1, 2, 8);
	CHECK(b, n, 22, true, 0x88a8, NOSK, "vlan 4095 vlan 7 udp 2001:db8::1.1 > 2001:db8::2.2",
	      "{" ETHER_JSON "\"0x86dd\",\"vlan\":[4095,7]}," IP6_JSON(17, 8) ",\"protocol\":17},"
	      "\"udp\":{\"sport\":1,\"dport\":2,\"len\":8}}");
	/* only the network header missing */
	CHECK(b, 22, 22, true, 0x86dd, NOSK, "vlan 4095 vlan 7 IPv6 [|ip6]",
	      "{" ETHER_JSON "\"0x86dd\",\"vlan\":[4095,7]},\"ipv6\":{\"truncated\":true}}");
	/* a frame with a TPID but net_off 14: Ethernet, the tag not decoded */
	CHECK(b, n, 14, true, 0x88a8, NOSK, "802.1ad", "{" ETHER_JSON "\"0x88a8\"}}");
}

static void test_nothing(void)
{
	static const __u8 b[64];

	CHECK(b, 0, 14, true, 0x0800, NOSK, "IPv4", "{}");
	CHECK(b, 0, 0, false, 0x86dd, NOSK, "IPv6", "{}");
	CHECK(b, 0, 0, false, 0x0806, NOSK, "ARP", "{}");
	CHECK(b, 0, 0, false, 0x88b5, NOSK, "0x88b5", "{}");
	CHECK(b, 0, 0, false, 0x0000, NOSK, "0x0000", "{}");
	CHECK(b, 0, 0, false, 0x88cc, NOSK, "LLDP", "{}");
	/* no network header */
	CHECK(b, 64, NONE, false, 0x0800, NOSK, "IPv4", "{}");
	CHECK(b, 64, NONE, true, 0x86dd, NOSK, "IPv6", "{}");
	/* network header beyond the capture */
	CHECK(b, 10, 16, true, 0x0800, NOSK, "IPv4", "{}");
	/* an ethertype without a decoder, after Ethernet */
	CHECK(b, 64, 14, true, 0x88cc, NOSK, "LLDP",
	      "{\"ether\":{\"src\":\"00:00:00:00:00:00\",\"dst\":\"00:00:00:00:00:00\","
	      "\"type\":\"0x0000\"}}");
	/* NULL data with a length is nothing */
	{
		struct skbd_pkt_in in = { .data = NULL, .caplen = 40, .net_off = 0, .ethertype = 0x0800,
					  .sk_state = NOSK };
		struct skbd_pkt p;
		char buf[64];

		skbd_pkt__decode(&in, &p);
		CU_ASSERT_FALSE(p.captured);
		CU_ASSERT_EQUAL(skbd_pkt__format_json(&p, buf, sizeof(buf)), 2);
		CU_ASSERT_STRING_EQUAL(buf, "{}");
	}
}

static void test_malformed(void)
{
	static const __u8 mac[6];
	__u8 b[64];
	size_t n = ip4(b, 6, 40, 0);

	n += tcp(b + n, 1, 2, 0x02);
	b[0] = 0x65;
	CHECK(b, n, 0, false, 0x0800, NOSK, "IPv4 [malformed: version 6 in an IPv4 packet]",
	      "{\"ipv4\":{\"malformed\":\"version 6 in an IPv4 packet\"}}");
	/* the first byte decides, even when the rest is cut */
	CHECK(b, 1, 0, false, 0x0800, NOSK, "IPv4 [malformed: version 6 in an IPv4 packet]", NULL);
	b[0] = 0xf5;
	CHECK(b, n, 0, false, 0x0800, NOSK, "IPv4 [malformed: version 15 in an IPv4 packet]", NULL);
	b[0] = 0x43;
	CHECK(b, n, 0, false, 0x0800, NOSK, "IPv4 [malformed: ihl 3 < 5]",
	      "{\"ipv4\":{\"malformed\":\"ihl 3 < 5\"}}");
	b[0] = 0x40;
	CHECK(b, n, 0, false, 0x0800, NOSK, "IPv4 [malformed: ihl 0 < 5]", NULL);
	b[0] = 0x45;
	b[32] = 0x30;
	CHECK(b, n, 0, false, 0x0800, NOSK, "ip 10.0.0.1 > 10.0.0.2 [malformed tcp: doff 3 < 5]",
	      "{" IP4_JSON(6, 40, "", 0) "},\"tcp\":{\"malformed\":\"doff 3 < 5\"}}");

	n = ip6(b, 17, 8);
	n += udp(b + n, 1, 2, 8);
	b[0] = 0x45;
	CHECK(b, n, 0, false, 0x86dd, NOSK, "IPv6 [malformed: version 4 in an IPv6 packet]",
	      "{\"ipv6\":{\"malformed\":\"version 4 in an IPv6 packet\"}}");

	n = arp(b, 1, mac);
	b[4] = 8;
	CHECK(b, n, 0, false, 0x0806, NOSK, "ARP [malformed: hlen not 6]",
	      "{\"arp\":{\"malformed\":\"hlen not 6\"}}");
	b[4] = 6;
	b[5] = 16;
	CHECK(b, n, 0, false, 0x0806, NOSK, "ARP [malformed: plen not 4]", NULL);
	b[5] = 4;
	b[1] = 6; /* IEEE 802 */
	CHECK(b, n, 0, false, 0x0806, NOSK, "ARP [malformed: htype not Ethernet]", NULL);
	b[1] = 1;
	b[2] = 0x86;
	b[3] = 0xdd;
	/* malformed is known from the first 8 bytes */
	CHECK(b, 8, 0, false, 0x0806, NOSK, "ARP [malformed: ptype not IPv4]", NULL);
}

/* ---- every truncation point --------------------------------------------- */

static void test_truncate_tcp4(void)
{
	__u8 b[64];
	size_t n = eth(b, 0x0800);

	n += ip4(b + n, 6, 40, 0x4000);
	n += tcp(b + n, 40000, 80, 0x12);
	CU_ASSERT_EQUAL_FATAL(n, 54);
	for (size_t cap = 0; cap <= n; cap++) {
		struct skbd_pkt p;
		const char *text, *json;

		decode(b, cap, 14, true, 0x0800, 1, &p);
		CU_ASSERT_EQUAL(p.captured, cap > 0);
		/* a layer absent stays OK (zeroed); a present one is cut until complete */
		CU_ASSERT_EQUAL(p.have_ether, cap > 0);
		CU_ASSERT_EQUAL(p.ether_st.status, cap && cap < 14 ? SKBD_PKT_TRUNCATED : SKBD_PKT_OK);
		CU_ASSERT_EQUAL(p.have_ipv4, cap >= 14);
		CU_ASSERT_EQUAL(p.ipv4_st.status, cap >= 14 && cap < 34 ? SKBD_PKT_TRUNCATED : SKBD_PKT_OK);
		CU_ASSERT_EQUAL(p.have_tcp, cap >= 34);
		CU_ASSERT_EQUAL(p.tcp_st.status, cap >= 34 && cap < 54 ? SKBD_PKT_TRUNCATED : SKBD_PKT_OK);
		CU_ASSERT_EQUAL(p.ethertype, 0x0800);
		CU_ASSERT_EQUAL(p.sk_state, 1);
		CU_ASSERT_FALSE(p.have_udp || p.have_icmp || p.have_icmp6 || p.have_ipv6 || p.have_arp);
		CU_ASSERT_FALSE(p.ipv4_partial);
		if (cap == 0) {
			text = "IPv4";
			json = "{}";
		} else if (cap < 14) {
			text = "IPv4 [|ether]";
			json = "{\"ether\":{\"truncated\":true}}";
		} else if (cap < 34) {
			text = "IPv4 [|ip]";
			json = "{" ETHER_JSON "\"0x0800\"},\"ipv4\":{\"truncated\":true}}";
		} else if (cap < 54) {
			text = "ip 10.0.0.1 > 10.0.0.2 [|tcp]";
			json = "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(6, 40, "DF", 0) "},"
			       "\"tcp\":{\"truncated\":true}}";
		} else {
			text = "tcp 10.0.0.1.40000 > 10.0.0.2.80 [S.]";
			json = "{" ETHER_JSON "\"0x0800\"}," IP4_JSON(6, 40, "DF", 0) "},"
			       "\"tcp\":{\"sport\":40000,\"dport\":80,\"seq\":16909060,\"ack\":84281096,"
			       "\"flags\":\"SYN|ACK\",\"window\":65535,\"state\":\"ESTABLISHED\"}}";
		}
		CHECK(b, cap, 14, true, 0x0800, 1, text, json);
	}
}

/* The same for IPv6 + UDP and for ARP, without the MAC header. */
static void test_truncate_udp6_arp(void)
{
	static const __u8 zero[6];
	__u8 b[64];
	size_t n = ip6(b, 17, 8);

	n += udp(b + n, 1, 2, 8);
	for (size_t cap = 0; cap <= n; cap++) {
		const char *text = cap == 0 ? "IPv6"
				   : cap < 40 ? "IPv6 [|ip6]"
				   : cap < 48 ? "ip6 2001:db8::1 > 2001:db8::2 [|udp]"
					      : "udp 2001:db8::1.1 > 2001:db8::2.2";

		CHECK(b, cap, 0, false, 0x86dd, NOSK, text, NULL);
	}
	n = arp(b, 1, zero);
	for (size_t cap = 0; cap <= n; cap++) {
		const char *text = cap == 0 ? "ARP" : cap < 28 ? "ARP [|arp]" : "arp who-has 10.0.0.2 tell 10.0.0.1";

		CHECK(b, cap, 0, false, 0x0806, NOSK, text, NULL);
	}
}

/* ---- output buffers ---------------------------------------------------- */

static void test_format_sizes(void)
{
	__u8 b[64];
	size_t n = eth(b, 0x0800), full_t, full_j;
	char text[256], json[512], small[64];
	struct skbd_pkt p;

	n += ip4(b + n, 6, 40, 0x4000);
	n += tcp(b + n, 40000, 80, 0x12);
	decode(b, n, 14, true, 0x0800, 10, &p);
	full_t = skbd_pkt__format_text(&p, text, sizeof(text));
	full_j = skbd_pkt__format_json(&p, json, sizeof(json));
	CU_ASSERT_EQUAL(full_t, strlen(text));
	CU_ASSERT_EQUAL(full_j, strlen(json));
	/* size 0 writes nothing, NULL buffer included */
	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(skbd_pkt__format_text(&p, small, 0), full_t);
	CU_ASSERT_EQUAL(skbd_pkt__format_json(&p, small, 0), full_j);
	CU_ASSERT_EQUAL(small[0], 'x');
	CU_ASSERT_EQUAL(skbd_pkt__format_text(&p, NULL, 0), full_t);
	CU_ASSERT_EQUAL(skbd_pkt__format_json(&p, NULL, 0), full_j);
	/* every size up to the full one: a NUL-terminated prefix, nothing beyond */
	for (size_t size = 1; size <= full_j + 1; size++) {
		char *buf = malloc(size);

		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		CU_ASSERT_EQUAL(skbd_pkt__format_json(&p, buf, size), full_j);
		CU_ASSERT_EQUAL(strlen(buf), size - 1 < full_j ? size - 1 : full_j);
		CU_ASSERT(!strncmp(buf, json, strlen(buf)));
		if (size <= full_t + 1) {
			CU_ASSERT_EQUAL(skbd_pkt__format_text(&p, buf, size), full_t);
			CU_ASSERT_EQUAL(strlen(buf), size - 1 < full_t ? size - 1 : full_t);
			CU_ASSERT(!strncmp(buf, text, strlen(buf)));
		}
		free(buf);
	}
	memset(small, 'x', sizeof(small));
	CU_ASSERT_EQUAL(skbd_pkt__format_text(&p, small, 5), full_t);
	CU_ASSERT_STRING_EQUAL(small, "tcp ");
	CU_ASSERT_EQUAL(small[5], 'x');
}

/* Addresses formatted like inet_ntop(), zero runs in every position. */
static void test_ipv6_addresses(void)
{
	__u32 seed = 0x1f2e3d4c;
	__u8 b[40];
	int same = 0;

	for (int i = 0; i < 4000; i++) {
		char want[160], s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];
		__u32 r = tu_rand(&seed);

		ip6(b, 59, 0);
		for (int w = 0; w < 16; w++) {
			/* each 16-bit group zero half the time, else 1..4 hex digits */
			__u32 x = tu_rand(&seed);
			bool zero = (r >> (w % 16)) & 1;
			int pos = 8 + w * 2;

			b[pos] = zero ? 0 : (__u8)(x & 0xff) >> ((x >> 8) & 7);
			b[pos + 1] = zero ? 0 : (__u8)(x >> 16);
		}
		if (i == 0)
			memset(b + 8, 0, 32); /* :: */
		if (i == 1) {
			memset(b + 8, 0, 16); /* ::ffff:1.2.3.4 */
			b[18] = b[19] = 0xff;
			memcpy(b + 20, "\1\2\3\4", 4);
		}
		inet_ntop(AF_INET6, b + 8, s, sizeof(s));
		inet_ntop(AF_INET6, b + 24, d, sizeof(d));
		snprintf(want, sizeof(want), "ip6 %s > %s next-header 59", s, d);
		if (!check(b, 40, 0, false, 0x86dd, NOSK, want, NULL)) {
			CU_FAIL("an IPv6 address differs from inet_ntop()");
			break;
		}
		same++;
	}
	CU_ASSERT_EQUAL(same, 4000);
}

static void test_tcp_state_name(void)
{
	static const char *const names[] = { NULL, "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1",
					     "FIN_WAIT2", "TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK",
					     "LISTEN", "CLOSING", "NEW_SYN_RECV", "BOUND_INACTIVE" };

	for (unsigned int s = 0; s < 256; s++) {
		const char *got = skbd_pkt__tcp_state_name((__u8)s);

		if (s < sizeof(names) / sizeof(names[0]) && names[s]) {
			CU_ASSERT_PTR_NOT_NULL_FATAL(got);
			CU_ASSERT_STRING_EQUAL(got, names[s]);
		} else {
			CU_ASSERT_PTR_NULL(got);
		}
	}
}

/* ---- robustness -------------------------------------------------------- */

/* Brackets balance outside strings, strings close, no control bytes. */
static bool json_balanced(const char *s)
{
	char stack[64];
	int depth = 0;
	bool in_str = false;

	for (; *s; s++) {
		if ((unsigned char)*s < 0x20)
			return false;
		if (in_str) {
			if (*s == '\\' && s[1])
				s++;
			else if (*s == '"')
				in_str = false;
			continue;
		}
		if (*s == '"') {
			in_str = true;
		} else if (*s == '{' || *s == '[') {
			if (depth == (int)sizeof(stack))
				return false;
			stack[depth++] = *s;
		} else if (*s == '}' || *s == ']') {
			if (!depth || stack[--depth] != (*s == '}' ? '{' : '['))
				return false;
		}
	}
	return !in_str && depth == 0;
}

/* The longest outputs we can think of stay under the documented bounds. */
static void test_worst_case(void)
{
	char text[1024], json[2048];
	struct skbd_pkt p;
	__u8 b[128];
	size_t n = eth(b, 0x88a8), t, j;

	n += vlan(b + n, 0x88a8, 4095, 0x8100);
	n += vlan(b + n, 0x8100, 4095, 0x86dd);
	n += ip6(b + n, 44, 65535);
	memset(b + 22 + 1, 0xff, 39); /* flow label, addresses: the longest forms */
	b[22 + 4] = b[22 + 5] = 0xff;
	b[22 + 6] = 44;
	n += frag6(b + n, 58, 0, true, 0xffffffff);
	n += icmp(b + n, 1, 1);
	decode(b, n, 22, true, 0x88a8, 0xfe, &p);
	t = skbd_pkt__format_text(&p, text, sizeof(text));
	j = skbd_pkt__format_json(&p, json, sizeof(json));
	CU_ASSERT(t < SKBD_PKT_TEXT_MAX);
	CU_ASSERT(j < SKBD_PKT_JSON_MAX);
	CU_ASSERT(json_balanced(json));
	CU_ASSERT_STRING_EQUAL(text, "vlan 4095 vlan 4095 icmp6 ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff > "
			       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff unreachable admin-prohibited");
	/* and a TCP one with every flag and a numeric state */
	b[22 + 6] = 6;
	n = 22 + 40;
	n += tcp(b + n, 65535, 65535, 0xff);
	memset(b + 22 + 40 + 4, 0xff, 8);
	decode(b, n, 22, true, 0x88a8, 0xfe, &p);
	t = skbd_pkt__format_text(&p, text, sizeof(text));
	j = skbd_pkt__format_json(&p, json, sizeof(json));
	CU_ASSERT(t < SKBD_PKT_TEXT_MAX);
	CU_ASSERT(j < SKBD_PKT_JSON_MAX);
	CU_ASSERT(json_balanced(json));
}

/* Random bytes and random corruptions of valid packets under every framing:
 * no crash (ASan), bounded lengths, balanced JSON. */
static void test_fuzz(void)
{
	static const __u16 types[] = { 0x0800, 0x86dd, 0x0806, 0x8100, 0x88a8, 0x88b5 };
	static const size_t offs[] = { 0, 14, 18, 22, 16, NONE };
	__u8 tmpl[3][SKBD_DROP_SNAPLEN_MAX], pkt[SKBD_DROP_SNAPLEN_MAX];
	size_t tlen[3], n;
	__u32 seed = 0x5eed1234;
	unsigned int bad = 0;

	/* templates: Ethernet + VLAN + IPv4 + TCP; IPv6 + ext + UDP; Ethernet + ARP */
	n = eth(tmpl[0], 0x8100);
	n += vlan(tmpl[0] + n, 0x8100, 5, 0x0800);
	n += ip4(tmpl[0] + n, 6, 40, 0);
	n += tcp(tmpl[0] + n, 1, 2, 0x12);
	tlen[0] = n;
	n = ip6(tmpl[1], 0, 0);
	n += ext6(tmpl[1] + n, 44, 0);
	n += frag6(tmpl[1] + n, 17, 0, true, 1);
	n += udp(tmpl[1] + n, 1, 2, 8);
	tlen[1] = n;
	n = eth(tmpl[2], 0x0806);
	n += arp(tmpl[2] + n, 1, tmpl[2]);
	tlen[2] = n;

	for (int i = 0; i < 20000; i++) {
		__u32 r = tu_rand(&seed);
		size_t caplen, net_off = offs[(r >> 8) % 6];
		bool has_mac = (r >> 12) & 1;
		__u16 type = types[(r >> 16) % 6];
		char text[1024], json[2048];
		struct skbd_pkt p;
		size_t t, j;

		if (r & 1) { /* pure random bytes */
			caplen = tu_rand(&seed) % (SKBD_DROP_SNAPLEN_MAX + 1);
			for (size_t k = 0; k < caplen; k++)
				pkt[k] = (__u8)tu_rand(&seed);
			if (r & 2)
				net_off = caplen ? tu_rand(&seed) % (caplen + 2) : 0;
		} else { /* a template with a few bytes changed, cut anywhere */
			int which = (int)((r >> 1) % 3), flips = (int)(tu_rand(&seed) % 4);

			memcpy(pkt, tmpl[which], tlen[which]);
			caplen = tu_rand(&seed) % (tlen[which] + 1);
			for (int k = 0; k < flips; k++)
				pkt[tu_rand(&seed) % tlen[which]] = (__u8)tu_rand(&seed);
			if (which == 0) {
				net_off = 18;
				has_mac = true;
				type = (r & 2) ? 0x0800 : 0x8100;
			} else if (which == 1) {
				net_off = 0;
				has_mac = false;
				type = 0x86dd;
			} else {
				net_off = 14;
				has_mac = true;
				type = 0x0806;
			}
		}
		decode(pkt, caplen, net_off, has_mac, type, (__u8)(r >> 24), &p);
		t = skbd_pkt__format_text(&p, text, sizeof(text));
		j = skbd_pkt__format_json(&p, json, sizeof(json));
		if (t >= SKBD_PKT_TEXT_MAX || j >= SKBD_PKT_JSON_MAX || t != strlen(text) ||
		    j != strlen(json) || !t || !json_balanced(json) || strchr(text, '\n')) {
			if (!bad++)
				fprintf(stderr, "\n  fuzz %d: %s\n  %s\n", i, text, json);
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
}

CU_TestInfo skbd_tests_packet[] = {
	{ "udp over ipv4, with and without ethernet", test_udp4 },
	{ "udp over ipv6", test_udp6 },
	{ "tcp flags, state, ipv6", test_tcp },
	{ "icmp names", test_icmp },
	{ "icmpv6 names", test_icmp6 },
	{ "other ip protocols", test_other_proto },
	{ "ipv4 fragments", test_ipv4_fragments },
	{ "ipv4 options", test_ipv4_options },
	{ "ipv6 extension headers and fragments", test_ipv6_ext },
	{ "arp", test_arp },
	{ "802.1q and 802.1ad", test_vlan },
	{ "nothing to decode", test_nothing },
	{ "malformed headers", test_malformed },
	{ "every truncation of ether+ipv4+tcp", test_truncate_tcp4 },
	{ "every truncation of ipv6+udp and arp", test_truncate_udp6_arp },
	{ "output buffer sizes", test_format_sizes },
	{ "ipv6 address text like inet_ntop", test_ipv6_addresses },
	{ "tcp state names", test_tcp_state_name },
	{ "worst-case output lengths", test_worst_case },
	{ "fuzz: random and corrupted packets", test_fuzz },
	CU_TEST_INFO_NULL,
};
