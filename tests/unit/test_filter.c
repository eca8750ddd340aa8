// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for filter/: libpcap's errors and our refusals, the translator's
 * checks and the shape of what it emits, and (root) a differential test: a
 * corpus of expressions and hand-written classic programs, translated and run
 * in the kernel (an XDP program calling the subprogram, BPF_PROG_TEST_RUN) on
 * hundreds of crafted and random drop records, against libpcap's bpf_filter()
 * on the same bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netdb.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <linux/filter.h>
#include <skbdrop/filter.h>
#include <skbdrop/loader.h>
#include "skbdrop_abi.h"
#include "filter_ref.h"
#include "testutil.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define CB(c, kk) { .code = (c), .k = (kk) }
#define CJ(c, kk, t, f) { .code = (c), .jt = (t), .jf = (f), .k = (kk) }

/* ---- the corpus ---- */

static const char *const corpus[] = {
	/* hosts and nets */
	"host 10.0.0.1", "src host 10.0.0.2", "dst host 192.168.1.10", "ip host 8.8.8.8",
	"host 2001:db8::1", "src host 2001:db8::2", "dst host fe80::1", "net 10.0.0.0/8",
	"net 192.168.0.0/16", "src net 10.1.0.0 mask 255.255.0.0", "dst net 2001:db8::/32",
	"net 172.16.0.0/12", "ip src 10.0.0.1 or ip6 src 2001:db8::1", "arp host 10.0.0.2",
	/* ports */
	"port 80", "port 53", "src port 443", "dst port 22", "portrange 6000-6010",
	"src portrange 1-1024", "tcp dst portrange 6000-6005", "udp port 5353", "port http",
	"tcp[0:2] > 1023", "tcp[2:2] == 80 or udp[2:2] == 53",
	/* protocols */
	"tcp", "udp", "icmp", "icmp6", "ip", "ip6", "arp", "sctp", "ip proto 47", "ip6 proto 17",
	"ip6 and udp", "ip6 and tcp port 443", "icmp[icmptype] == icmp-echo",
	"icmp6[icmp6type] == icmp6-echo", "ip6[6] == 17", "ip6 multicast", "ip multicast",
	/* tcp flags */
	"tcp[tcpflags] & tcp-syn != 0", "tcp[tcpflags] & (tcp-syn|tcp-ack) == tcp-syn", "tcp[13] == 2",
	"tcp[tcpflags] & tcp-rst != 0", "tcp[12] >> 4 > 5",
	/* combinations */
	"not icmp", "not ip", "tcp or udp", "tcp and port 80", "udp and not port 53",
	"host 10.0.0.1 and (port 80 or port 443)", "not (tcp or udp or icmp)",
	"ip and ip[6:2] & 0x1fff = 0 and tcp", "ip[6:2] & 0x1fff != 0", "ip[6] & 0x20 != 0",
	"(ip and src net 10.0.0.0/8) or (ip6 and dst net ff00::/8)",
	/* lengths and byte tests */
	"len > 100", "len <= 80", "greater 64", "less 60", "ip[8] < 5", "ip[8] == 64", "ip[0] & 0xf > 5",
	"udp[8:2] == 0x1234", "ip[2:2] > 100", "udp[4:2] > 20", "ip[9] == 17 and ip[2:2] < 60",
	"ip[100] == 0", "ip[250:4] == 0", "ether[255] == 0", "ether[253:4] = 0", "ip[300] = 1",
	"tcp[20:4] = 0", "ether[0] & 1 != 0", "ether[12:2] == 0x800", "link[0] == 2",
	/* arithmetic: every ALU operation, X forms included */
	"len % 3 == 1", "len ^ 5 > 100", "len * 2 > 300", "len / 4 < 20", "len - 20 > 60",
	"ip[0] << 2 > 100", "ip[0] >> 4 == 4", "len + ip[0] > 200", "len & 7 == 0", "len | 1 == 61",
	"len / ip[8] > 1", "len % ip[8] == 0", "2 << ip[8] > 10", "0x80000000 >> ip[8] == 1",
	"ip[8] * ip[9] > 1000", "len - ip[8] < 20", "ip[8] ^ ip[9] == 70", "ip[8] & ip[9] != 0",
	"ip[8] | ip[9] > 200", "ip[8] + ip[9] > 70", "ip[0] > ip[8]", "len >= ip[2:2]",
	"ip[1] = ip[8] - 64", "0xffffffff + len == len - 1", "len + 0xfffffffe > 5",
	/* link layer */
	"ether host 02:00:00:00:00:01", "ether src 02:00:00:00:00:02", "ether dst ff:ff:ff:ff:ff:ff",
	"ether broadcast", "ether multicast", "ether proto 0x0806", "ether proto 0x86dd", "vlan",
	"vlan 10", "vlan and ip", "vlan 20 and udp", "vlan and vlan", "vlan and tcp port 80",
	/* long ones */
	"(host 10.0.0.1 and port 80) or (host 10.0.0.2 and port 443) or (host 10.1.2.3 and port 53) or "
	"(host 192.168.1.10 and port 22) or (host 8.8.8.8 and udp port 53) or (host 2001:db8::1 and port 80) or "
	"(host 2001:db8::2 and tcp port 443) or (net 224.0.0.0/4 and udp) or (host 172.16.5.4 and icmp) or "
	"(dst host fe80::1 and icmp6) or (src host 10.0.0.2 and portrange 6000-6010) or (arp and ether src 02:00:00:00:00:01)",
	"port 1 or port 2 or port 3 or port 4 or port 5 or port 6 or port 7 or port 8 or port 9 or port 10 or "
	"port 11 or port 12 or port 13 or port 14 or port 15 or port 16 or port 17 or port 18 or port 19 or port 20 or "
	"port 21 or port 22 or port 23 or port 24 or port 25 or port 26 or port 27 or port 28 or port 29 or port 30 or "
	"port 53 or port 80 or port 443 or port 1023 or port 1024 or port 5353 or port 6000 or port 8080",
	"not (ip[8] < 2 or ip[8] > 128) and (ip[1] == 0 or ip[9] == 6) and (len > 60 or ip[6] & 0x40 != 0) and "
	"(ip[12] == 10 or ip[16] == 10 or ip[12] == 192) and not (udp and udp[8:2] == 0x1234)",
};

/* Expressions that need /etc/services (netbase), which a build host may lack. */
static bool needs_services(const char *expr)
{
	return strstr(expr, "http") || strstr(expr, "domain");
}

static bool have_services(void)
{
	return getservbyname("http", "tcp") != NULL;
}

/* Hand-written classic programs for what libpcap rarely emits. */
struct cprog {
	const char *name;
	struct skbd_cbpf_insn insns[16];
	size_t n;
};

#define PROG(nm, ...)                                                                            \
	{ .name = nm, .insns = { __VA_ARGS__ },                                                  \
	  .n = sizeof((struct skbd_cbpf_insn[]){ __VA_ARGS__ }) / sizeof(struct skbd_cbpf_insn) }

static const struct cprog handmade[] = {
	PROG("lsh by X (X from the packet, often >= 32)", CB(BPF_LD | BPF_B | BPF_ABS, 0),
	     CB(BPF_MISC | BPF_TAX, 0), CB(BPF_LD | BPF_W | BPF_LEN, 0), CB(BPF_ALU | BPF_LSH | BPF_X, 0),
	     CB(BPF_RET | BPF_A, 0)),
	PROG("lsh/rsh X", CB(BPF_LD | BPF_B | BPF_ABS, 1), CB(BPF_MISC | BPF_TAX, 0),
	     CB(BPF_LD | BPF_W | BPF_LEN, 0), CB(BPF_ALU | BPF_LSH | BPF_X, 0), CB(BPF_ST, 3),
	     CB(BPF_LD | BPF_IMM, 0xdeadbeef), CB(BPF_ALU | BPF_RSH | BPF_X, 0), CB(BPF_LDX | BPF_MEM, 3),
	     CB(BPF_ALU | BPF_OR | BPF_X, 0), CJ(BPF_JMP | BPF_JSET | BPF_K, 0x00f00000, 0, 1),
	     CB(BPF_RET | BPF_K, 1), CB(BPF_RET | BPF_A, 0)),
	PROG("div/mod X (X == 0 returns 0)", CB(BPF_LD | BPF_B | BPF_ABS, 2), CB(BPF_MISC | BPF_TAX, 0),
	     CB(BPF_LD | BPF_H | BPF_ABS, 4), CB(BPF_ALU | BPF_DIV | BPF_X, 0), CB(BPF_ST, 0),
	     CB(BPF_LD | BPF_H | BPF_ABS, 6), CB(BPF_ALU | BPF_MOD | BPF_X, 0), CB(BPF_LDX | BPF_MEM, 0),
	     CB(BPF_ALU | BPF_ADD | BPF_X, 0), CJ(BPF_JMP | BPF_JGT | BPF_K, 20, 0, 1),
	     CB(BPF_RET | BPF_K, 7), CB(BPF_RET | BPF_K, 0)),
	PROG("neg, 32-bit constants", CB(BPF_LD | BPF_B | BPF_ABS, 0), CB(BPF_ALU | BPF_NEG, 0),
	     CJ(BPF_JMP | BPF_JGT | BPF_K, 0xffffff80u, 0, 2), CB(BPF_ALU | BPF_ADD | BPF_K, 0xffffffffu),
	     CJ(BPF_JMP | BPF_JGE | BPF_K, 0xffffff00u, 1, 0), CB(BPF_RET | BPF_K, 0),
	     CB(BPF_RET | BPF_K, 0xffffffffu)),
	PROG("compare with X", CB(BPF_LD | BPF_B | BPF_ABS, 3), CB(BPF_MISC | BPF_TAX, 0),
	     CB(BPF_LD | BPF_B | BPF_ABS, 5), CJ(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 2),
	     CJ(BPF_JMP | BPF_JSET | BPF_X, 0, 3, 4), CB(BPF_RET | BPF_K, 0),
	     CJ(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 1), CJ(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0),
	     CB(BPF_RET | BPF_A, 0), CB(BPF_RET | BPF_K, 0)),
	PROG("indirect loads: X huge, X + k at the edge", CB(BPF_LD | BPF_W | BPF_ABS, 0),
	     CB(BPF_MISC | BPF_TAX, 0), CB(BPF_LD | BPF_B | BPF_IND, 3), CB(BPF_LDX | BPF_IMM, 0xfffffff0u),
	     CB(BPF_LD | BPF_W | BPF_IND, 0x14), CB(BPF_RET | BPF_K, 1)),
	PROG("indirect loads near caplen", CB(BPF_LD | BPF_W | BPF_LEN, 0), CB(BPF_ALU | BPF_SUB | BPF_K, 60),
	     CB(BPF_MISC | BPF_TAX, 0), CB(BPF_LD | BPF_H | BPF_IND, 58), CB(BPF_LD | BPF_W | BPF_IND, 56),
	     CB(BPF_LD | BPF_B | BPF_IND, 59), CB(BPF_RET | BPF_K, 1)),
	PROG("absolute loads at 252..255", CB(BPF_LD | BPF_B | BPF_ABS, 255), CB(BPF_LD | BPF_H | BPF_ABS, 254),
	     CB(BPF_LD | BPF_W | BPF_ABS, 252), CB(BPF_RET | BPF_A, 0)),
	PROG("absolute load at 253 (never fits)", CB(BPF_LD | BPF_W | BPF_ABS, 253), CB(BPF_RET | BPF_K, 1)),
	PROG("metadata load (SKF_AD_OFF + 4)", CB(BPF_LD | BPF_H | BPF_ABS, (__u32)SKF_AD_OFF + 4),
	     CB(BPF_RET | BPF_K, 1)),
	PROG("msh and lengths", CB(BPF_LDX | BPF_MSH | BPF_B, 14), CB(BPF_LD | BPF_W | BPF_LEN, 0),
	     CB(BPF_ALU | BPF_SUB | BPF_X, 0), CB(BPF_LDX | BPF_W | BPF_LEN, 0),
	     CB(BPF_ALU | BPF_XOR | BPF_X, 0), CB(BPF_ALU | BPF_AND | BPF_K, 0xff),
	     CB(BPF_ALU | BPF_MUL | BPF_K, 3), CB(BPF_ALU | BPF_MOD | BPF_K, 7), CJ(BPF_JMP | BPF_JEQ | BPF_K, 2, 0, 1),
	     CB(BPF_RET | BPF_K, 1), CB(BPF_LDX | BPF_MSH | BPF_B, 255), CB(BPF_MISC | BPF_TXA, 0),
	     CB(BPF_RET | BPF_A, 0)),
	PROG("scratch words stored on every path before read", CB(BPF_LD | BPF_B | BPF_ABS, 0),
	     CJ(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 2), CB(BPF_ST, 15), CJ(BPF_JMP | BPF_JA, 1, 0, 0),
	     CB(BPF_STX, 15), CB(BPF_LDX | BPF_MEM, 15), CB(BPF_MISC | BPF_TXA, 0), CB(BPF_RET | BPF_A, 0)),
	PROG("ja, jt == jf, unreachable code", CJ(BPF_JMP | BPF_JA, 2, 0, 0), CB(BPF_RET | BPF_K, 0),
	     CB(0xff, 0) /* never runs: still refused */, CB(BPF_LD | BPF_B | BPF_ABS, 9),
	     CJ(BPF_JMP | BPF_JEQ | BPF_K, 6, 1, 1), CB(BPF_RET | BPF_K, 0), CB(BPF_RET | BPF_A, 0)),
	PROG("ja over dead code", CJ(BPF_JMP | BPF_JA, 2, 0, 0), CB(BPF_RET | BPF_K, 0), CB(BPF_RET | BPF_K, 0),
	     CB(BPF_LD | BPF_B | BPF_ABS, 9), CJ(BPF_JMP | BPF_JEQ | BPF_K, 6, 1, 1), CB(BPF_RET | BPF_K, 0),
	     CB(BPF_RET | BPF_A, 0)),
	PROG("after a load that never fits", CB(BPF_LD | BPF_B | BPF_ABS, 1000), CJ(BPF_JMP | BPF_JEQ | BPF_K, 1, 0, 1),
	     CB(BPF_RET | BPF_K, 1), CB(BPF_RET | BPF_K, 0)),
	PROG("accept all", CB(BPF_RET | BPF_K, 262144)),
	PROG("reject all", CB(BPF_RET | BPF_K, 0)),
};

/* ---- helpers ---- */

/* The subprogram keeps the contract in filter.h: registers r0-r9 (r10 only
 * as the stack base), stack within SKBD_FILTER_STACK, no calls, no map
 * references or legacy loads, no store into the event, forward jumps inside
 * the program, every instruction reachable (5.10 refuses dead code), and no
 * path off the end. why says what broke. */
static bool shape_ok(const struct bpf_insn *in, size_t cnt, char *why, size_t size)
{
	bool *reach = calloc(cnt + 1, sizeof(*reach));
	bool ok = false;

	if (!reach || cnt == 0 || cnt > SKBD_FILTER_MAX_INSNS) {
		snprintf(why, size, "%zu instructions", cnt);
		goto out;
	}
	reach[0] = true;
	for (size_t i = 0; i < cnt; i++) {
		const struct bpf_insn *x = &in[i];
		__u8 cls = BPF_CLASS(x->code), op = BPF_OP(x->code);
		unsigned int sz = BPF_SIZE(x->code) == BPF_DW ? 8 : BPF_SIZE(x->code) == BPF_W ? 4
				: BPF_SIZE(x->code) == BPF_H ? 2 : 1;
		long to;

		if (x->dst_reg > BPF_REG_10 || x->src_reg > BPF_REG_10) {
			snprintf(why, size, "insn %zu: register", i);
			goto out;
		}
		if (cls == BPF_LD) {
			snprintf(why, size, "insn %zu: BPF_LD class", i);
			goto out;
		}
		if ((cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX) && x->dst_reg == BPF_REG_10) {
			snprintf(why, size, "insn %zu: writes r10", i);
			goto out;
		}
		if (cls == BPF_ST || cls == BPF_STX) {
			if (x->dst_reg != BPF_REG_10 || x->off < -SKBD_FILTER_STACK || x->off + (int)sz > 0) {
				snprintf(why, size, "insn %zu: store outside the scratch area", i);
				goto out;
			}
		}
		if (cls == BPF_LDX && x->src_reg == BPF_REG_10 &&
		    (x->off < -SKBD_FILTER_STACK || x->off + (int)sz > 0)) {
			snprintf(why, size, "insn %zu: stack read outside the scratch area", i);
			goto out;
		}
		if (cls != BPF_JMP && cls != BPF_JMP32) {
			if (i + 1 == cnt) {
				snprintf(why, size, "insn %zu: falls off the end", i);
				goto out;
			}
			reach[i + 1] |= reach[i];
			continue;
		}
		if (op == BPF_CALL) {
			snprintf(why, size, "insn %zu: call", i);
			goto out;
		}
		if (op == BPF_EXIT)
			continue;
		to = (long)i + 1 + x->off;
		if (x->off < 0 || to >= (long)cnt) {
			snprintf(why, size, "insn %zu: jump to %ld", i, to);
			goto out;
		}
		reach[to] |= reach[i];
		if (op != BPF_JA) {
			if (i + 1 == cnt) {
				snprintf(why, size, "insn %zu: falls off the end", i);
				goto out;
			}
			reach[i + 1] |= reach[i];
		}
	}
	for (size_t i = 0; i < cnt; i++) {
		if (!reach[i]) {
			snprintf(why, size, "insn %zu: unreachable", i);
			goto out;
		}
	}
	ok = true;
out:
	free(reach);
	return ok;
}

static void assert_shape(const char *what, const struct bpf_insn *in, size_t cnt)
{
	char why[128] = "";

	if (!shape_ok(in, cnt, why, sizeof(why)))
		fprintf(stderr, "\n  %s: %s\n", what, why);
	CU_ASSERT(shape_ok(in, cnt, why, sizeof(why)));
}

static bool has(const char *s, const char *sub)
{
	return s && strstr(s, sub);
}

/* ---- libpcap's side ---- */

static void test_pcap_errors(void)
{
	static const struct { const char *expr, *msg; } bad[] = {
		{ "foo bar", "syntax error" },
		{ "tcp port", "syntax error" },
		{ "ip broadcast", "netmask not known" },
		{ "port 99999", "port" },
		{ "len / 0 > 1", "division by zero" },
		{ "len << 33 > 0", "shift" },
		{ "net 10.0.0.1/33", "mask length" },
		{ "net 10.0.0.1/8", "non-network bits" },
		{ "ether host 1:2:3", "bogus ethernet address" },
		{ "ip6 host 10.0.0.1", "'ip6' modifier" },
	};
	struct skbd_filter *f = NULL;
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		strcpy(err, "untouched");
		CU_ASSERT_EQUAL(skbd_filter__new(bad[i].expr, &f, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NULL(f);
		CU_ASSERT(has(err, bad[i].msg));
		CU_ASSERT(err[0] != '\0' && strcmp(err, "untouched"));
	}
	CU_ASSERT_EQUAL(skbd_filter__new(NULL, &f, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(skbd_filter__new("tcp", NULL, err, sizeof(err)), -EINVAL);
	/* err is optional */
	CU_ASSERT_EQUAL(skbd_filter__new("foo bar", &f, NULL, 0), -EINVAL);
	CU_ASSERT_PTR_NULL(f);
	skbd_filter__free(NULL);
}

static void test_refused(void)
{
	static const struct { const char *expr, *msg; } bad[] = {
		{ "inbound", "metadata" },
		{ "outbound and tcp", "metadata" },
		{ "ifindex 3", "metadata" },
		{ "ip protochain 6", "backward jump" },
		{ "ip6 protochain 17", "backward jump" },
	};
	struct skbd_filter *f = NULL;
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(skbd_filter__new(bad[i].expr, &f, err, sizeof(err)), -EINVAL);
		CU_ASSERT_PTR_NULL(f);
		if (!has(err, bad[i].msg))
			fprintf(stderr, "\n  '%s': %s\n", bad[i].expr, err);
		CU_ASSERT(has(err, bad[i].msg));
	}
}

/* Link-layer primitives have no raw IP form: only the Ethernet program. */
static void test_programs(void)
{
	static const struct { const char *expr; bool raw; } exprs[] = {
		{ "tcp port 80", true }, { "vlan", false }, { "ether host 02:00:00:00:00:01", false },
		{ "ip6 and udp", true }, { "", true }, { "port http", true },
	};
	bool services = have_services();
	const struct skbd_cbpf_insn *eth, *raw;
	const struct bpf_insn *insns;
	struct skbd_filter *f;
	size_t n_eth, n_raw, cnt;
	char err[256];

	if (!services)
		fprintf(stderr, "\n  no /etc/services: port names not tested\n");
	for (size_t i = 0; i < ARRAY_LEN(exprs); i++) {
		if (!services && needs_services(exprs[i].expr))
			continue;
		f = NULL;
		err[0] = '\0';
		CU_ASSERT_EQUAL_FATAL(skbd_filter__new(exprs[i].expr, &f, err, sizeof(err)), 0);
		CU_ASSERT_STRING_EQUAL(err, "");
		eth = skbd_filter__cbpf(f, 0, &n_eth);
		raw = skbd_filter__cbpf(f, 1, &n_raw);
		CU_ASSERT_PTR_NOT_NULL(eth);
		CU_ASSERT(n_eth > 0);
		CU_ASSERT_EQUAL(raw != NULL, exprs[i].raw);
		CU_ASSERT_EQUAL(n_raw > 0, exprs[i].raw);
		insns = skbd_filter__insns(f, &cnt);
		CU_ASSERT_PTR_NOT_NULL(insns);
		assert_shape(exprs[i].expr, insns, cnt);
		skbd_filter__free(f);
	}
}

/* ---- the translator ---- */

static int translate(const struct skbd_cbpf_insn *p, size_t n, char *err, size_t err_size)
{
	struct bpf_insn *out = NULL;
	size_t cnt = 0;
	int ret = skbd_filter__translate(p, n, NULL, 0, &out, &cnt, err, err_size);

	if (ret == 0)
		assert_shape("translate", out, cnt);
	else
		CU_ASSERT_PTR_NULL(out);
	free(out);
	return ret;
}

static void test_translate_errors(void)
{
	static const struct { struct cprog p; const char *msg; } bad[] = {
		{ PROG("ret X", CB(BPF_RET | BPF_X, 0)), "opcode 0x0e" },
		{ PROG("ldx abs", CB(BPF_LDX | BPF_W | BPF_ABS, 0), CB(BPF_RET | BPF_A, 0)), "opcode 0x21" },
		{ PROG("ld h imm", CB(BPF_LD | BPF_H | BPF_IMM, 0), CB(BPF_RET | BPF_A, 0)), "opcode 0x08" },
		{ PROG("ldx msh h", CB(BPF_LDX | BPF_MSH | BPF_H, 0), CB(BPF_RET | BPF_A, 0)), "opcode" },
		{ PROG("misc", CB(BPF_MISC | 0x10, 0), CB(BPF_RET | BPF_A, 0)), "opcode 0x17" },
		{ PROG("jmp X ja", CB(BPF_JMP | BPF_JA | BPF_X, 0), CB(BPF_RET | BPF_A, 0)), "opcode" },
		{ PROG("alu 0xd0", CB(BPF_ALU | 0xd0, 0), CB(BPF_RET | BPF_A, 0)), "opcode" },
		{ PROG("M[16]", CB(BPF_ST, 16), CB(BPF_RET | BPF_A, 0)), "M[16]" },
		{ PROG("ldx M[99]", CB(BPF_LDX | BPF_MEM, 99), CB(BPF_RET | BPF_A, 0)), "M[99]" },
		{ PROG("div 0", CB(BPF_ALU | BPF_DIV | BPF_K, 0), CB(BPF_RET | BPF_A, 0)), "division" },
		{ PROG("mod 0", CB(BPF_ALU | BPF_MOD | BPF_K, 0), CB(BPF_RET | BPF_A, 0)), "division" },
		{ PROG("lsh 32", CB(BPF_ALU | BPF_LSH | BPF_K, 32), CB(BPF_RET | BPF_A, 0)), "shift by 32" },
		{ PROG("rsh 40", CB(BPF_ALU | BPF_RSH | BPF_K, 40), CB(BPF_RET | BPF_A, 0)), "shift by 40" },
		{ PROG("jeq past end", CJ(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), CB(BPF_RET | BPF_A, 0)), "past the end" },
		{ PROG("ja past end", CJ(BPF_JMP | BPF_JA, 1, 0, 0), CB(BPF_RET | BPF_A, 0)), "past the end" },
		{ PROG("ja back", CB(BPF_RET | BPF_A, 0), CJ(BPF_JMP | BPF_JA, 0xfffffffeu, 0, 0),
		       CB(BPF_RET | BPF_A, 0)), "backward" },
		{ PROG("no ret", CB(BPF_LD | BPF_IMM, 1)), "off the end" },
		{ PROG("last not ret", CB(BPF_RET | BPF_A, 0), CB(BPF_LD | BPF_IMM, 1)), "off the end" },
		{ PROG("dead bad opcode", CB(BPF_RET | BPF_A, 0), CB(0xff, 0), CB(BPF_RET | BPF_A, 0)), "opcode 0xff" },
		/* bpf_filter() would read what the memory held; the kernel's classic checker refuses it */
		{ PROG("scratch read before any store", CB(BPF_LD | BPF_MEM, 15), CB(BPF_RET | BPF_A, 0)),
		  "reads scratch word M[15] before it is stored" },
		{ PROG("scratch stored on one path only", CB(BPF_LD | BPF_B | BPF_ABS, 0),
		       CJ(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 1), CB(BPF_ST, 3), CB(BPF_LDX | BPF_MEM, 3),
		       CB(BPF_MISC | BPF_TXA, 0), CB(BPF_RET | BPF_A, 0)),
		  "instruction 3 reads scratch word M[3] before it is stored" },
	};
	struct skbd_cbpf_insn one = CB(BPF_RET | BPF_K, 1);
	struct bpf_insn *out = NULL;
	size_t cnt = 0;
	char err[256];

	for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(translate(bad[i].p.insns, bad[i].p.n, err, sizeof(err)), -EINVAL);
		if (!has(err, bad[i].msg))
			fprintf(stderr, "\n  %s: '%s'\n", bad[i].p.name, err);
		CU_ASSERT(has(err, bad[i].msg));
		CU_ASSERT(has(err, "Ethernet program"));
	}
	/* the raw slot names itself */
	err[0] = '\0';
	CU_ASSERT_EQUAL(skbd_filter__translate(&one, 1, bad[0].p.insns, 1, &out, &cnt, err, sizeof(err)), -EINVAL);
	CU_ASSERT(has(err, "raw program"));
	/* pointer and count must agree */
	CU_ASSERT_EQUAL(skbd_filter__translate(NULL, 1, NULL, 0, &out, &cnt, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(skbd_filter__translate(&one, 0, NULL, 0, &out, &cnt, NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(skbd_filter__translate(&one, 1, NULL, 0, NULL, &cnt, NULL, 0), -EINVAL);
	CU_ASSERT_PTR_NULL(out);
}

static void test_translate_limits(void)
{
	size_t n = SKBD_FILTER_MAX_CBPF + 1;
	struct skbd_cbpf_insn *p = calloc(n, sizeof(*p));
	struct bpf_insn *out = NULL;
	size_t cnt = 0;
	char err[256];

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	/* 4095 immediate loads and a return: fits */
	for (size_t i = 0; i < n; i++)
		p[i] = (struct skbd_cbpf_insn)CB(BPF_LD | BPF_IMM, (__u32)i);
	p[SKBD_FILTER_MAX_CBPF - 1] = (struct skbd_cbpf_insn)CB(BPF_RET | BPF_A, 0);
	CU_ASSERT_EQUAL(translate(p, SKBD_FILTER_MAX_CBPF, err, sizeof(err)), 0);
	/* one more classic instruction */
	p[SKBD_FILTER_MAX_CBPF - 1] = (struct skbd_cbpf_insn)CB(BPF_LD | BPF_IMM, 0);
	p[SKBD_FILTER_MAX_CBPF] = (struct skbd_cbpf_insn)CB(BPF_RET | BPF_A, 0);
	err[0] = '\0';
	CU_ASSERT_EQUAL(translate(p, n, err, sizeof(err)), -E2BIG);
	CU_ASSERT(has(err, "4097 instructions"));
	/* 4095 indirect loads: about 9 eBPF instructions each */
	for (size_t i = 0; i + 1 < SKBD_FILTER_MAX_CBPF; i++)
		p[i] = (struct skbd_cbpf_insn)CB(BPF_LD | BPF_W | BPF_IND, 1);
	p[SKBD_FILTER_MAX_CBPF - 1] = (struct skbd_cbpf_insn)CB(BPF_RET | BPF_A, 0);
	err[0] = '\0';
	CU_ASSERT_EQUAL(translate(p, SKBD_FILTER_MAX_CBPF, err, sizeof(err)), -E2BIG);
	CU_ASSERT(has(err, "eBPF translation"));
	/* a quarter as many, in both slots: fits */
	CU_ASSERT_EQUAL(skbd_filter__translate(p + 3072, 1024, p + 3072, 1024, &out, &cnt, err, sizeof(err)), 0);
	if (out) {
		CU_ASSERT(cnt > 2 * 1023 * 9 && cnt <= SKBD_FILTER_MAX_INSNS);
		assert_shape("2 x 1024 indirect loads", out, cnt);
	}
	free(out);
	free(p);
}

/* Programs missing, the hand-written ones and the corpus: all well formed. */
static void test_translate_shape(void)
{
	struct bpf_insn *out = NULL;
	struct skbd_filter *f;
	size_t cnt = 0;
	char err[256];
	int ret;

	CU_ASSERT_EQUAL(skbd_filter__translate(NULL, 0, NULL, 0, &out, &cnt, err, sizeof(err)), 0);
	assert_shape("no program", out, cnt);
	free(out);
	for (size_t i = 0; i < ARRAY_LEN(handmade); i++) {
		const struct cprog *p = &handmade[i];

		ret = skbd_filter__translate(p->insns, p->n, p->insns, p->n, &out, &cnt, err, sizeof(err));
		if (p->insns[2].code == 0xff) { /* dead code is still checked */
			CU_ASSERT_EQUAL(ret, -EINVAL);
			continue;
		}
		if (ret)
			fprintf(stderr, "\n  %s: %s\n", p->name, err);
		CU_ASSERT_EQUAL(ret, 0);
		if (!ret)
			assert_shape(p->name, out, cnt);
		free(out);
	}
	for (size_t i = 0; i < ARRAY_LEN(corpus); i++) {
		const struct bpf_insn *insns;

		if (!have_services() && needs_services(corpus[i]))
			continue;
		f = NULL;
		ret = skbd_filter__new(corpus[i], &f, err, sizeof(err));
		if (ret)
			fprintf(stderr, "\n  '%s': %s\n", corpus[i], err);
		CU_ASSERT_EQUAL(ret, 0);
		if (ret)
			continue;
		insns = skbd_filter__insns(f, &cnt);
		assert_shape(corpus[i], insns, cnt);
		skbd_filter__free(f);
	}
}

/* ---- drop records ---- */

static const __u8 macs[][6] = {
	{ 2, 0, 0, 0, 0, 1 }, { 2, 0, 0, 0, 0, 2 }, { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 1, 0, 0x5e, 0, 0, 0xfb }, { 0x33, 0x33, 0, 0, 0, 1 }, { 0, 0x11, 0x22, 0x33, 0x44, 0x55 },
};
static const __u8 ip4s[][4] = {
	{ 10, 0, 0, 1 }, { 10, 0, 0, 2 }, { 10, 1, 2, 3 }, { 192, 168, 1, 10 }, { 192, 168, 2, 1 },
	{ 8, 8, 8, 8 }, { 224, 0, 0, 251 }, { 255, 255, 255, 255 }, { 127, 0, 0, 1 }, { 172, 16, 5, 4 },
};
static const __u8 ip6s[][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 }, { 0x20, 0x01, 0x0d, 0xb8, [15] = 2 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 5 }, { 0xfe, 0x80, [15] = 1 }, { 0xff, 0x02, [15] = 1 },
	{ 0xff, 0x02, [15] = 0xfb }, { [15] = 1 },
};
static const __u16 ports[] = { 80, 443, 53, 22, 8080, 1234, 6000, 6005, 6010, 5353, 123, 1023, 1024 };
static const __u8 tcp_flags[] = { 0x02, 0x12, 0x10, 0x11, 0x04, 0x18, 0x14, 0x00, 0xff };
static const __u8 ttls[] = { 64, 1, 0, 4, 128, 255, 17, 31 };
static const __u16 vids[] = { 10, 20, 4095, 1 };

static __u32 rnd(__u32 *seed, __u32 n)
{
	return tu_rand(seed) % n;
}

static void put16(__u8 *b, __u32 v)
{
	b[0] = (__u8)(v >> 8);
	b[1] = (__u8)v;
}

static void fill_random(__u8 *b, size_t n, __u32 *seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (__u8)tu_rand(seed);
}

/* An L4 header and payload for IP protocol proto at b; its length. */
static size_t put_l4(__u8 *b, __u8 proto, bool v6, __u32 *seed)
{
	static const __u32 pay_max[] = { 120, 120, 240, 100 };
	__u32 pick = rnd(seed, 4);
	size_t len, pay = (pick == 3 ? 200 : 0) + rnd(seed, pay_max[pick]);

	switch (proto) {
	case 6: {
		__u8 doff = (__u8)(rnd(seed, 4) ? 5 : 5 + rnd(seed, 4));

		len = (size_t)doff * 4;
		fill_random(b, len, seed);
		put16(b, rnd(seed, 5) ? ports[rnd(seed, ARRAY_LEN(ports))] : tu_rand(seed));
		put16(b + 2, rnd(seed, 5) ? ports[rnd(seed, ARRAY_LEN(ports))] : tu_rand(seed));
		b[12] = (__u8)(doff << 4);
		b[13] = tcp_flags[rnd(seed, ARRAY_LEN(tcp_flags))];
		break;
	}
	case 17:
		len = 8;
		put16(b, ports[rnd(seed, ARRAY_LEN(ports))]);
		put16(b + 2, rnd(seed, 4) ? ports[rnd(seed, ARRAY_LEN(ports))] : tu_rand(seed));
		put16(b + 4, (__u32)(8 + pay));
		put16(b + 6, tu_rand(seed));
		break;
	case 1:
	case 58:
		len = 8;
		fill_random(b, len, seed);
		b[0] = v6 ? (__u8[]){ 128, 128, 129, 135, 136, 1 }[rnd(seed, 6)] : (__u8[]){ 8, 8, 0, 3, 11, 5 }[rnd(seed, 6)];
		b[1] = (__u8)rnd(seed, 3);
		break;
	default:
		len = 0;
		break;
	}
	/* zero payloads too, for the byte tests that look far in */
	if (rnd(seed, 3))
		fill_random(b + len, pay, seed);
	else
		memset(b + len, 0, pay);
	if (proto == 17 && pay >= 2 && rnd(seed, 2))
		put16(b + len, 0x1234);
	return len + pay;
}

/* An Ethernet frame (maybe VLAN-tagged) at b; its length and, in *net_off,
 * where its network header starts. */
static size_t gen_frame(__u8 *b, size_t *net_off, __u32 *seed)
{
	static const __u8 protos[] = { 6, 17, 1, 6, 17, 47, 132, 2 };
	unsigned int kind = rnd(seed, 10), tags = rnd(seed, 3) == 0 ? 1 + rnd(seed, 2) : 0;
	size_t off, len;
	__u8 proto;

	memcpy(b, macs[rnd(seed, ARRAY_LEN(macs))], 6);
	memcpy(b + 6, macs[rnd(seed, ARRAY_LEN(macs))], 6);
	off = 12;
	for (unsigned int t = 0; t < tags; t++) {
		put16(b + off, tags == 2 && t == 0 ? 0x88a8 : 0x8100);
		put16(b + off + 2, 0x2000 | vids[rnd(seed, ARRAY_LEN(vids))]);
		off += 4;
	}
	*net_off = off + 2;
	if (kind <= 4) { /* IPv4 */
		size_t ihl = rnd(seed, 5) ? 5 : 5 + rnd(seed, 4), frag = 0;
		__u8 *ip = b + off + 2;

		put16(b + off, 0x0800);
		fill_random(ip, ihl * 4, seed);
		ip[0] = (__u8)(0x40 | ihl);
		if (rnd(seed, 2))
			ip[1] = 0;
		memset(ip + 20, 1, ihl * 4 - 20);
		switch (rnd(seed, 6)) {
		case 0: frag = 0x2000; break;          /* MF */
		case 1: frag = 0x2000 | rnd(seed, 200); break;
		case 2: frag = 0x4000; break;          /* DF */
		default: break;
		}
		put16(ip + 6, (__u32)frag);
		ip[8] = ttls[rnd(seed, ARRAY_LEN(ttls))];
		proto = protos[rnd(seed, ARRAY_LEN(protos))];
		ip[9] = proto;
		memcpy(ip + 12, ip4s[rnd(seed, ARRAY_LEN(ip4s))], 4);
		memcpy(ip + 16, ip4s[rnd(seed, ARRAY_LEN(ip4s))], 4);
		len = ihl * 4 + put_l4(ip + ihl * 4, proto, false, seed);
		put16(ip + 2, (__u32)len);
		return *net_off + len;
	}
	if (kind <= 7) { /* IPv6, sometimes with a hop-by-hop header */
		__u8 *ip = b + off + 2, *l4 = ip + 40;

		put16(b + off, 0x86dd);
		fill_random(ip, 8, seed);
		ip[0] = 0x60;
		proto = (__u8[]){ 6, 17, 58, 6, 17, 59 }[rnd(seed, 6)];
		ip[6] = proto;
		ip[7] = ttls[rnd(seed, ARRAY_LEN(ttls))];
		memcpy(ip + 8, ip6s[rnd(seed, ARRAY_LEN(ip6s))], 16);
		memcpy(ip + 24, ip6s[rnd(seed, ARRAY_LEN(ip6s))], 16);
		if (rnd(seed, 5) == 0) {
			ip[6] = 0;
			memset(l4, 0, 8);
			l4[0] = proto;
			l4[2] = 1; /* PadN */
			l4[3] = 4;
			l4 += 8;
		}
		len = (size_t)(l4 - ip - 40) + put_l4(l4, proto, true, seed);
		put16(ip + 4, (__u32)len);
		return *net_off + 40 + len;
	}
	if (kind == 8) { /* ARP */
		__u8 *a = b + off + 2;

		put16(b + off, 0x0806);
		put16(a, 1);
		put16(a + 2, 0x0800);
		a[4] = 6;
		a[5] = 4;
		put16(a + 6, 1 + rnd(seed, 2));
		memcpy(a + 8, macs[rnd(seed, ARRAY_LEN(macs))], 6);
		memcpy(a + 14, ip4s[rnd(seed, ARRAY_LEN(ip4s))], 4);
		memcpy(a + 18, macs[rnd(seed, ARRAY_LEN(macs))], 6);
		memcpy(a + 24, ip4s[rnd(seed, ARRAY_LEN(ip4s))], 4);
		len = 28 + (rnd(seed, 2) ? 18 : 0);
		memset(a + 28, 0, 18);
		return *net_off + len;
	}
	/* anything */
	put16(b + off, (__u32[]){ 0x0800, 0x86dd, 0x0806, 0x8035, 0x88cc, tu_rand(seed) }[rnd(seed, 6)]);
	len = rnd(seed, 300);
	fill_random(b + off + 2, len, seed);
	return *net_off + len;
}

/* A record of frame: from its MAC header (has_mac) or its network header,
 * whole or cut, with the packet's full length known or not. */
static void frame_event(struct skbd_event *ev, const __u8 *frame, size_t len, size_t net_off, bool has_mac,
			__u32 *seed)
{
	const __u8 *from = has_mac ? frame : frame + net_off;
	size_t n = has_mac ? len : len - net_off, cap = n < SKBD_SNAPLEN_MAX ? n : SKBD_SNAPLEN_MAX;

	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = tu_rand(seed);
	ev->pid = tu_rand(seed);
	ev->flags = (__u16)((has_mac ? SKBD_EV_HAS_MAC : 0) | (tu_rand(seed) & (SKBD_EV_HAS_REASON | SKBD_EV_HAS_CTX)));
	ev->net_off = (__u16)(has_mac ? net_off : 0);
	ev->trans_off = SKBD_OFF_NONE;
	switch (rnd(seed, 8)) {
	case 0: /* cut anywhere, length known */
		cap = rnd(seed, (__u32)cap + 1);
		ev->pkt_len = (__u32)n;
		break;
	case 1: /* cut anywhere, length unknown */
		cap = rnd(seed, (__u32)cap + 1);
		break;
	case 2: /* a paged tail beyond what was captured */
		ev->pkt_len = (__u32)(n + rnd(seed, 2000));
		break;
	case 3:
		break;
	default:
		ev->pkt_len = (__u32)n;
		break;
	}
	ev->caplen = (__u16)cap;
	memcpy(ev->data, from, cap);
	/* bytes past caplen must not matter */
	fill_random(ev->data + cap, SKBD_SNAPLEN_MAX - cap, seed);
}

/* Records that take the unusual paths: the program choice, no network
 * header, inconsistent or extreme lengths. */
static void odd_event(struct skbd_event *ev, const __u8 *frame, size_t len, size_t net_off, unsigned int which,
		      __u32 *seed)
{
	static const __u16 offs[] = { 14, 18, 22, 0, 16, 34, SKBD_OFF_NONE, 255, 256 };

	frame_event(ev, frame, len, net_off, true, seed);
	switch (which % 10) {
	case 0: /* header not set */
		ev->net_off = SKBD_OFF_NONE;
		break;
	case 1: /* no MAC header flag although data starts with one */
		ev->flags &= (__u16)~SKBD_EV_HAS_MAC;
		ev->net_off = (__u16)net_off;
		break;
	case 2: /* some other link header */
		ev->net_off = (__u16)(rnd(seed, 2) ? 16 : 2);
		break;
	case 3: /* network header at or past the end of the capture */
		ev->net_off = (__u16)(ev->caplen + rnd(seed, 3));
		break;
	case 4: /* caplen 0 */
		ev->caplen = 0;
		break;
	case 5: /* caplen impossible */
		ev->caplen = (__u16)(SKBD_SNAPLEN_MAX + 1 + rnd(seed, 1000));
		break;
	case 6: /* pkt_len smaller than caplen: ignored */
		ev->pkt_len = rnd(seed, ev->caplen + 1u);
		break;
	case 7: /* pkt_len huge */
		ev->pkt_len = 0xffffffffu - rnd(seed, 3);
		break;
	default: /* all random */
		fill_random(ev->data, SKBD_SNAPLEN_MAX, seed);
		ev->caplen = (__u16)rnd(seed, SKBD_SNAPLEN_MAX + 1);
		ev->net_off = offs[rnd(seed, ARRAY_LEN(offs))];
		ev->flags = (__u16)tu_rand(seed);
		ev->pkt_len = rnd(seed, 2) ? 0 : tu_rand(seed) % 4000;
		break;
	}
}

#define N_FRAMES 400
#define N_ODD 80
#define N_EVENTS (2 * N_FRAMES + N_ODD)

static struct skbd_event *make_events(void)
{
	struct skbd_event *evs = calloc(N_EVENTS, sizeof(*evs));
	__u32 seed = 0x5eedf11e;
	__u8 frame[1024];
	size_t n = 0, len, net_off;

	if (!evs)
		return NULL;
	for (unsigned int i = 0; i < N_FRAMES; i++) {
		len = gen_frame(frame, &net_off, &seed);
		frame_event(&evs[n++], frame, len, net_off, true, &seed);
		if (len > net_off)
			frame_event(&evs[n++], frame, len, net_off, false, &seed);
		else
			odd_event(&evs[n++], frame, len, net_off, i, &seed);
	}
	for (unsigned int i = 0; n < N_EVENTS; i++) {
		len = gen_frame(frame, &net_off, &seed);
		odd_event(&evs[n++], frame, len, net_off, i, &seed);
	}
	return evs;
}

/* ---- the kernel harness ---- */

struct harness {
	int map_fd;
	char *log;
	size_t log_size;
};

/* A spliced body in the harness: r6-r9 set before it, checked after (3 when
 * one changed); its exit falls through to the checks. */
#define KEEP_REGS 4
static const __s32 kept[KEEP_REGS] = { 0x6666, 0x7777, 0x8888, 0x9999 };

/* An XDP program: look up the event in the map, call the subprogram on it
 * (spliced: run the body in place), return what it returned (2 if the lookup
 * failed). fd or -errno. */
static int load_harness(const struct harness *h, const struct bpf_insn *sub, size_t n, bool spliced)
{
	const struct bpf_insn head[] = {
		{ .code = BPF_ST | BPF_MEM | BPF_W, .dst_reg = BPF_REG_10, .off = -4, .imm = 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_10 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = -4 },
		{ .code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = h->map_fd },
		{ 0 },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_map_lookup_elem },
		{ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = BPF_REG_0, .off = 2, .imm = 0 },
		{ .code = BPF_ALU | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 2 },
		{ .code = BPF_JMP | BPF_EXIT },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_1, .src_reg = BPF_REG_0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_0 },
		{ .code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_2, .imm = SKBD_EVENT_HDR }, /* its bytes */
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_CALL, .imm = 1 }, /* the next but one */
		{ .code = BPF_JMP | BPF_EXIT },
	};
	size_t total = ARRAY_LEN(head) + n + (spliced ? 3 * KEEP_REGS + 1 : 0), at;
	struct bpf_insn *prog = calloc(total, sizeof(*prog));
	int fd;

	if (!prog)
		return -ENOMEM;
	memcpy(prog, head, sizeof(head));
	at = ARRAY_LEN(head);
	if (spliced) {
		at -= 2; /* no call, no exit after it */
		for (int r = 0; r < KEEP_REGS; r++)
			prog[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K,
						       .dst_reg = (__u8)(BPF_REG_6 + r), .imm = kept[r] };
	}
	memcpy(prog + at, sub, n * sizeof(*sub));
	at += n;
	if (spliced) {
		prog[at - 1] = (struct bpf_insn){ .code = BPF_JMP | BPF_JA }; /* its exit: on to the checks */
		for (int r = 0; r < KEEP_REGS; r++)
			prog[at++] = (struct bpf_insn){ .code = BPF_JMP | BPF_JNE | BPF_K, .dst_reg = (__u8)(BPF_REG_6 + r),
						       .off = (__s16)(KEEP_REGS - r), .imm = kept[r] };
		prog[at++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
		prog[at++] = (struct bpf_insn){ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 3 };
		prog[at++] = (struct bpf_insn){ .code = BPF_JMP | BPF_EXIT };
	}
	total = at;
	fd = skbd_bpf_prog_load(NULL, BPF_PROG_TYPE_XDP, "skbd_filter_t", prog, total, "GPL", 0, NULL, 0);
	if (fd < 0) {
		int again = skbd_bpf_prog_load(NULL, BPF_PROG_TYPE_XDP, "skbd_filter_t", prog, total, "GPL", 1, h->log,
					       h->log_size);
		size_t l = strlen(h->log);

		fprintf(stderr, "\n  load: %s; verifier log (tail):\n%s\n", strerror(-fd),
			h->log + (l > 3000 ? l - 3000 : 0));
		if (again >= 0)
			close(again);
	}
	free(prog);
	return fd;
}

static void print_event(const struct skbd_event *ev)
{
	fprintf(stderr, "    flags 0x%x net_off %u caplen %u pkt_len %u data", ev->flags, ev->net_off, ev->caplen,
		ev->pkt_len);
	for (unsigned int i = 0; i < ev->caplen && i < SKBD_SNAPLEN_MAX; i++)
		fprintf(stderr, "%s%02x", i % 32 ? "" : "\n     ", ev->data[i]);
	fprintf(stderr, "\n");
}

struct tally {
	size_t programs, runs, mismatches, matched, failures;
	size_t trivial; /* programs that gave the same answer on every record */
};

/* Run sub on every record, compare with bpf_filter() on eth/raw. */
static void differential(const struct harness *h, const char *name, const struct bpf_insn *sub, size_t n,
			 bool spliced, const struct skbd_cbpf_insn *eth, const struct skbd_cbpf_insn *raw,
			 const struct skbd_event *evs, struct tally *t)
{
	size_t shown = 0, yes = 0;
	__u8 pkt[64] = { 0 };
	__u32 key = 0, retval;
	int fd, err;

	fd = load_harness(h, sub, n, spliced);
	if (fd < 0) {
		fprintf(stderr, "  '%s': the verifier refused the translation\n", name);
		t->failures++;
		CU_FAIL("load");
		return;
	}
	t->programs++;
	for (size_t i = 0; i < N_EVENTS; i++) {
		bool want = tu_filter_expected(&evs[i], eth, raw);

		err = skbd_bpf_map_update_elem(NULL, h->map_fd, &key, &evs[i], BPF_ANY);
		if (!err) {
			retval = 0xdead;
			err = skbd_bpf_prog_test_run(NULL, fd, pkt, sizeof(pkt), &retval);
		}
		if (err) {
			fprintf(stderr, "\n  '%s': record %zu: %s\n", name, i, strerror(-err));
			t->failures++;
			break;
		}
		t->runs++;
		yes += want;
		if (retval == (__u32)want)
			continue;
		t->mismatches++;
		if (shown++ < 3) {
			fprintf(stderr, "\n  MISMATCH '%s', record %zu: kernel %u, bpf_filter %u\n", name, i, retval,
				want);
			print_event(&evs[i]);
		}
	}
	t->matched += yes;
	if (yes == 0 || yes == N_EVENTS)
		t->trivial++;
	close(fd);
}

static void test_differential(void)
{
	struct harness h = { .map_fd = -1, .log_size = 1 << 22 };
	struct skbd_event *evs;
	struct tally t = { 0 };
	struct bpf_insn *out;
	size_t cnt;
	char err[256];

	if (geteuid() != 0) {
		tu_skip("not root: the differential runs programs in the kernel");
		return;
	}
	h.map_fd = skbd_bpf_map_create(NULL, BPF_MAP_TYPE_ARRAY, "skbd_filter_t", 4, sizeof(struct skbd_event), 1, 0);
	if (h.map_fd < 0) {
		char why[96];

		snprintf(why, sizeof(why), "no BPF map: %s", strerror(-h.map_fd));
		tu_skip(why);
		return;
	}
	h.log = malloc(h.log_size);
	evs = make_events();
	CU_ASSERT_PTR_NOT_NULL(h.log);
	CU_ASSERT_PTR_NOT_NULL(evs);
	if (!h.log || !evs)
		goto out;

	for (size_t i = 0; i < ARRAY_LEN(corpus); i++) {
		const struct skbd_cbpf_insn *eth, *raw;
		const struct bpf_insn *insns;
		struct skbd_filter *f = NULL;
		size_t n_eth, n_raw;

		if (!have_services() && needs_services(corpus[i]))
			continue;
		if (skbd_filter__new(corpus[i], &f, err, sizeof(err))) {
			fprintf(stderr, "\n  '%s': %s\n", corpus[i], err);
			t.failures++;
			continue;
		}
		eth = skbd_filter__cbpf(f, 0, &n_eth);
		raw = skbd_filter__cbpf(f, 1, &n_raw);
		insns = skbd_filter__insns(f, &cnt);
		differential(&h, corpus[i], insns, cnt, false, eth, raw, evs, &t);
		insns = skbd_filter__insns_spliced(f, &cnt);
		differential(&h, corpus[i], insns, cnt, true, eth, raw, evs, &t);
		skbd_filter__free(f);
	}
	for (size_t i = 0; i < ARRAY_LEN(handmade); i++) {
		const struct cprog *p = &handmade[i];

		out = NULL;
		if (skbd_filter__translate(p->insns, p->n, p->insns, p->n, &out, &cnt, err, sizeof(err)))
			continue; /* refused: test_translate_shape checks which */
		differential(&h, p->name, out, cnt, false, p->insns, p->insns, evs, &t);
		free(out);
		out = NULL;
		if (skbd_filter__translate_spliced(p->insns, p->n, p->insns, p->n, &out, &cnt, err, sizeof(err)) == 0)
			differential(&h, p->name, out, cnt, true, p->insns, p->insns, evs, &t);
		else
			t.failures++; /* the subprogram translated: so must the body */
		free(out);
	}
	/* no program at all */
	out = NULL;
	CU_ASSERT_EQUAL(skbd_filter__translate(NULL, 0, NULL, 0, &out, &cnt, err, sizeof(err)), 0);
	if (out)
		differential(&h, "(none)", out, cnt, false, NULL, NULL, evs, &t);
	free(out);

	fprintf(stderr,
		"\n  filter differential: %zu programs x %d records = %zu kernel runs, %zu mismatches, %zu failures; %zu matches, %zu programs constant over the records\n",
		t.programs, N_EVENTS, t.runs, t.mismatches, t.failures, t.matched, t.trivial);
	CU_ASSERT_EQUAL(t.mismatches, 0);
	CU_ASSERT_EQUAL(t.failures, 0);
	CU_ASSERT_EQUAL(t.runs, t.programs * N_EVENTS);
	CU_ASSERT(t.programs >= 60 + ARRAY_LEN(handmade));
out:
	free(evs);
	free(h.log);
	close(h.map_fd);
}

CU_TestInfo skbd_tests_filter[] = {
	{ "libpcap errors reach err", test_pcap_errors },
	{ "metadata and loops are refused", test_refused },
	{ "link-layer primitives: Ethernet program only", test_programs },
	{ "translator refuses what bpf_filter() would not run", test_translate_errors },
	{ "translator size limits", test_translate_limits },
	{ "translations are verifier-shaped", test_translate_shape },
	{ "differential: kernel vs bpf_filter()", test_differential },
	CU_TEST_INFO_NULL,
};
