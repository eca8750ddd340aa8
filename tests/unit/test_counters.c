// SPDX-License-Identifier: GPL-2.0-only
/* The kernel counter parsers on this host's files and on broken text, the
 * netlink link and qdisc messages built as the kernel lays them out, and a
 * live snapshot of our own namespace. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/gen_stats.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <CUnit/CUnit.h>
#include <skbdrop/counters.h>
#include "testutil.h"

#define DIR SKBD_FIXTURES "/counters/"

static struct skbd_counter_snap parse_file(const char *file,
					   int (*parse)(const char *, size_t, struct skbd_counter_snap *, char *, size_t))
{
	struct skbd_counter_snap s = { 0 };
	char err[128] = "";
	size_t len;
	char *text = tu_load_file(file, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL(parse(text, len, &s, err, sizeof(err)), 0);
	free(text);
	return s;
}

/* The value of Prefix:Name in a snmp/netstat file, read independently: the
 * header line's word index, then the same word of the next line. */
static __u64 value_in(const char *file, const char *prefix, const char *name)
{
	char line[4096], vals[4096];
	FILE *f = fopen(file, "r");
	__u64 v = ~0ULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f) && fgets(vals, sizeof(vals), f)) {
		char *sh, *sv, *h = strtok_r(line, " \n", &sh), *w;
		int idx = 0;

		strtok_r(vals, " \n", &sv);
		if (strcmp(h, prefix))
			continue;
		while ((w = strtok_r(NULL, " \n", &sh))) {
			char *x = strtok_r(NULL, " \n", &sv);

			idx++;
			if (x && !strcmp(w, name))
				v = strtoull(x, NULL, 10);
		}
	}
	fclose(f);
	return v;
}

static void test_pairs_fixture(void)
{
	struct skbd_counter_snap s = parse_file(DIR "snmp-6.18", skbd_counters__parse_pairs);
	__u64 v = 0;

	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "UdpNoPorts", &v));
	CU_ASSERT_EQUAL(v, value_in(DIR "snmp-6.18", "Udp:", "NoPorts"));
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "IpInDiscards", &v));
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "TcpInErrs", &v));
	CU_ASSERT_FALSE(skbd_counter_snap__get(&s, "UdpInDatagrams", &v)); /* not a drop counter */
	CU_ASSERT_FALSE(skbd_counter_snap__get(&s, "TcpMaxConn", &v));
	skbd_counter_snap__free(&s);
	s = parse_file(DIR "netstat-6.18", skbd_counters__parse_pairs);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "TcpExtListenOverflows", &v));
	CU_ASSERT_EQUAL(v, value_in(DIR "netstat-6.18", "TcpExt:", "ListenOverflows"));
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "IpExtInNoRoutes", &v));
	skbd_counter_snap__free(&s);
	s = parse_file(DIR "snmp6-6.18", skbd_counters__parse_snmp6);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "Udp6NoPorts", &v));
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "Ip6InDiscards", &v));
	skbd_counter_snap__free(&s);
	s = parse_file(DIR "softnet_stat-6.18", skbd_counters__parse_softnet);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "softnet_dropped", &v));
	skbd_counter_snap__free(&s);
}

/* The files of every kernel of the matrix (tests/kmatrix KMATRIX_DUMP=1) */
static void test_matrix_files(void)
{
	static const char *const vers[] = { "5.10", "6.1", "6.12.95", "6.12.117", "6.18", "7.2" };
	static const struct {
		const char *file, *must;
		int (*parse)(const char *, size_t, struct skbd_counter_snap *, char *, size_t);
	} files[] = {
		{ "snmp", "UdpNoPorts", skbd_counters__parse_pairs },
		{ "netstat", "TcpExtListenOverflows", skbd_counters__parse_pairs },
		{ "snmp6", "Udp6NoPorts", skbd_counters__parse_snmp6 },
		{ "softnet_stat", "softnet_dropped", skbd_counters__parse_softnet },
	};

	for (size_t v = 0; v < sizeof(vers) / sizeof(vers[0]); v++) {
		for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
			char path[256];
			struct skbd_counter_snap sn;
			__u64 x = 0;

			snprintf(path, sizeof(path), DIR "%s-%s", files[f].file, vers[v]);
			sn = parse_file(path, files[f].parse);
			if (!skbd_counter_snap__get(&sn, files[f].must, &x))
				fprintf(stderr, "\n%s: no %s\n", path, files[f].must);
			CU_ASSERT_TRUE(skbd_counter_snap__get(&sn, files[f].must, &x));
			skbd_counter_snap__free(&sn);
		}
	}
}

static int parse_text(const char *text, int which, struct skbd_counter_snap *s, char *err, size_t n)
{
	switch (which) {
	case 0: return skbd_counters__parse_pairs(text, strlen(text), s, err, n);
	case 1: return skbd_counters__parse_snmp6(text, strlen(text), s, err, n);
	default: return skbd_counters__parse_softnet(text, strlen(text), s, err, n);
	}
}

static void test_parse_broken(void)
{
	static const struct {
		int which;
		const char *text;
		int ret;
		const char *err;
	} cases[] = {
		{ 0, "", 0, "" },
		{ 0, "Udp: NoPorts InErrors\n", -EINVAL, "line 1: a header line without its values" },
		{ 0, "Udp: NoPorts\nTcp: 5\n", -EINVAL, "line 2: the values' prefix differs from the header's" },
		{ 0, "Udp: NoPorts InErrors\nUdp: 5\n", -EINVAL, "line 2: fewer values than names" },
		{ 0, ": NoPorts\n: 5\n", -EINVAL, "line 2: the values' prefix differs from the header's" },
		{ 0, "Udp: NoPorts InErrors\nUdp: x -1\n", 0, "" }, /* not numbers: skipped */
		{ 0, "Udp: NoPorts\nUdp: 99999999999999999999999\n", 0, "" },
		{ 0, "Udp:  NoPorts   RcvbufErrors\nUdp:\t7 8", 0, "" }, /* spacing; no final newline */
		{ 1, "Udp6NoPorts\n", -EINVAL, "line 1: a name without a value" },
		{ 1, "Udp6NoPorts 4\n\n  \nIp6InDiscards 2", 0, "" },
		{ 2, "0000000a\n", -EINVAL, "line 1: fewer than 2 columns" },
		{ 2, "0000000a 0000000z\n", -EINVAL, "line 1: not a hex column" },
		{ 2, "0000000a 0000000f\n00000001 00000010 00000000\n", 0, "" },
		{ 2, "1 11111111111111111\n", -EINVAL, "line 1: fewer than 2 columns" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct skbd_counter_snap s = { 0 };
		char err[128] = "";
		int ret = parse_text(cases[i].text, cases[i].which, &s, err, sizeof(err));

		if (ret != cases[i].ret || strcmp(err, cases[i].err))
			fprintf(stderr, "\ncase %zu: ret %d err '%s'\n", i, ret, err);
		CU_ASSERT_EQUAL(ret, cases[i].ret);
		CU_ASSERT_STRING_EQUAL(err, cases[i].err);
		skbd_counter_snap__free(&s);
	}
	/* the values that parse */
	{
		struct skbd_counter_snap s = { 0 };
		__u64 v = 0;
		char err[64];

		CU_ASSERT_EQUAL(parse_text("Udp:  NoPorts   RcvbufErrors\nUdp:\t7 8", 0, &s, err, sizeof(err)), 0);
		CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "UdpRcvbufErrors", &v) && v == 8);
		skbd_counter_snap__free(&s);
		CU_ASSERT_EQUAL(parse_text("0000000a 0000000f\n00000001 00000010 00000000\n", 2, &s, err, sizeof(err)), 0);
		CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "softnet_dropped", &v) && v == 31);
		skbd_counter_snap__free(&s);
	}
}

/* ---- netlink, laid out as the kernel sends it ---- */

struct msg {
	char buf[1024];
	size_t len;
};

static void msg_init(struct msg *m, __u16 type, const void *hdr, size_t hlen)
{
	struct nlmsghdr *nlh = (struct nlmsghdr *)m->buf;

	memset(m, 0, sizeof(*m));
	nlh->nlmsg_type = type;
	memcpy(m->buf + NLMSG_HDRLEN, hdr, hlen);
	m->len = NLMSG_HDRLEN + NLMSG_ALIGN(hlen);
	nlh->nlmsg_len = (__u32)m->len;
}

static struct rtattr *msg_attr(struct msg *m, __u16 type, const void *data, size_t n)
{
	struct rtattr *a = (struct rtattr *)(m->buf + m->len);

	a->rta_type = type;
	a->rta_len = (unsigned short)RTA_LENGTH(n);
	if (data)
		memcpy(RTA_DATA(a), data, n);
	m->len += RTA_ALIGN(a->rta_len);
	((struct nlmsghdr *)m->buf)->nlmsg_len = (__u32)m->len;
	return a;
}

static void test_netlink_link(void)
{
	struct ifinfomsg ifi = { .ifi_index = 3 };
	struct rtnl_link_stats64 st = { .rx_dropped = 5, .tx_dropped = 6, .rx_missed_errors = 7, .rx_nohandler = 9 };
	struct skbd_counter_snap s = { 0 };
	struct msg m;
	__u64 v = 0;

	msg_init(&m, RTM_NEWLINK, &ifi, sizeof(ifi));
	msg_attr(&m, IFLA_IFNAME, "eth0", 5);
	msg_attr(&m, IFLA_STATS64, &st, sizeof(st));
	CU_ASSERT_EQUAL(skbd_counters__parse_link(m.buf, m.len, &s), 0);
	CU_ASSERT_EQUAL(s.n, 8);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "eth0 rx_dropped", &v) && v == 5);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "eth0 rx_missed_errors", &v) && v == 7);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "eth0 rx_nohandler", &v) && v == 9);
	CU_ASSERT_PTR_NOT_NULL(skbd_counter__def("eth0 rx_missed_errors"));
	CU_ASSERT_EQUAL(skbd_counter__def("eth0 rx_missed_errors")->traced, SKBD_TRACED_NO);
	skbd_counter_snap__free(&s);

	/* an older kernel's shorter stats: the fields it has; no stats: nothing */
	msg_init(&m, RTM_NEWLINK, &ifi, sizeof(ifi));
	msg_attr(&m, IFLA_IFNAME, "eth1", 5);
	msg_attr(&m, IFLA_STATS64, &st, offsetof(struct rtnl_link_stats64, rx_nohandler));
	CU_ASSERT_EQUAL(skbd_counters__parse_link(m.buf, m.len, &s), 0);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "eth1 rx_dropped", &v) && v == 5);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "eth1 rx_nohandler", &v) && v == 0);
	skbd_counter_snap__free(&s);
	msg_init(&m, RTM_NEWLINK, &ifi, sizeof(ifi));
	msg_attr(&m, IFLA_IFNAME, "eth2", 5);
	CU_ASSERT_EQUAL(skbd_counters__parse_link(m.buf, m.len, &s), 0);
	CU_ASSERT_EQUAL(s.n, 0);

	/* broken: short, a length past the buffer, an attribute running off the end */
	CU_ASSERT_EQUAL(skbd_counters__parse_link(m.buf, NLMSG_HDRLEN, &s), -EINVAL);
	CU_ASSERT_EQUAL(skbd_counters__parse_link(m.buf, m.len - 1, &s), -EINVAL);
	msg_init(&m, RTM_NEWLINK, &ifi, sizeof(ifi));
	msg_attr(&m, IFLA_IFNAME, "eth3", 5)->rta_len = 500;
	CU_ASSERT_EQUAL(skbd_counters__parse_link(m.buf, m.len, &s), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	skbd_counter_snap__free(&s);
}

static const char *fake_ifname(void *ctx, __u32 ifindex)
{
	return ifindex == 3 ? "eth0" : NULL;
}

static void test_netlink_qdisc(void)
{
	struct tcmsg tcm = { .tcm_ifindex = 3, .tcm_handle = 0x10000 };
	struct gnet_stats_queue q = { .drops = 118, .qlen = 41 };
	struct skbd_counter_snap s = { 0 };
	struct rtattr *st;
	struct msg m;
	__u64 v = 0;

	msg_init(&m, RTM_NEWQDISC, &tcm, sizeof(tcm));
	msg_attr(&m, TCA_KIND, "tbf", 4);
	st = msg_attr(&m, TCA_STATS2, NULL, 0);
	msg_attr(&m, TCA_STATS_QUEUE, &q, sizeof(q));
	st->rta_len = (unsigned short)(m.buf + m.len - (char *)st);
	CU_ASSERT_EQUAL(skbd_counters__parse_qdisc(m.buf, m.len, fake_ifname, NULL, &s), 0);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "qdisc eth0 tbf 1:0 drops", &v) && v == 118);
	tcm.tcm_ifindex = 9;
	memcpy(m.buf + NLMSG_HDRLEN, &tcm, sizeof(tcm));
	CU_ASSERT_EQUAL(skbd_counters__parse_qdisc(m.buf, m.len, fake_ifname, NULL, &s), 0);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "qdisc ifindex 9 tbf 1:0 drops", &v) && v == 118);
	CU_ASSERT_EQUAL(skbd_counter__def("qdisc eth0 tbf 1:0 drops")->traced, SKBD_TRACED_YES);
	skbd_counter_snap__free(&s);
	/* no stats, no kind, another type, broken */
	msg_init(&m, RTM_NEWQDISC, &tcm, sizeof(tcm));
	msg_attr(&m, TCA_KIND, "noqueue", 8);
	CU_ASSERT_EQUAL(skbd_counters__parse_qdisc(m.buf, m.len, NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(s.n, 0);
	msg_init(&m, RTM_NEWLINK, &tcm, sizeof(tcm));
	CU_ASSERT_EQUAL(skbd_counters__parse_qdisc(m.buf, m.len, NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL(skbd_counters__parse_qdisc(m.buf, 8, NULL, NULL, &s), -EINVAL);
	CU_ASSERT_EQUAL(s.n, 0);
	skbd_counter_snap__free(&s);
}

/* Our own namespace, live: datagrams to a closed port move UdpNoPorts by as many. */
static void test_live_own_netns(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(9), .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct skbd_counter_delta *d = NULL;
	struct skbd_counters *c;
	const __u32 *ns;
	size_t n = 0, nns;
	__u64 moved = 0;
	int fd;

	CU_ASSERT_EQUAL_FATAL(skbd_counters__new(&c), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_counters__watch(c, 0), 0);
	CU_ASSERT_EQUAL(skbd_counters__watch(c, 0), 0); /* again: kept */
	ns = skbd_counters__netns(c, &nns);
	CU_ASSERT_EQUAL(nns, 1);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(fd >= 0);
	for (int i = 0; i < 5; i++)
		sendto(fd, "x", 1, 0, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	usleep(100 * 1000);
	CU_ASSERT_EQUAL(skbd_counters__read(c, 0), 0);
	CU_ASSERT_EQUAL(skbd_counters__read(c, ns[0]), 0);
	CU_ASSERT_EQUAL(skbd_counters__moved(c, 0, &d, &n), 0);
	for (size_t i = 0; i < n; i++)
		if (!strcmp(d[i].name, "UdpNoPorts"))
			moved = d[i].delta;
	CU_ASSERT_TRUE(moved >= 5); /* the host may add its own */
	free(d);
	CU_ASSERT_EQUAL(skbd_counters__read(c, 12345), -ENOENT);
	CU_ASSERT_EQUAL(skbd_counters__moved(c, 12345, &d, &n), -ENOENT);
	skbd_counters__free(c);
	skbd_counters__free(NULL);
}


/* Replies recorded from this host's kernel (RTM_GETLINK and RTM_GETQDISC
 * dumps in a namespace with a veth whose tbf qdisc had dropped 21 packets) */
static void test_netlink_recorded(void)
{
	struct skbd_counter_snap s = { 0 };
	size_t len;
	char *msg;
	__u64 v = 0;

	msg = tu_load_file(SKBD_FIXTURES "/netlink/newlink-lo-6.18.bin", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(skbd_counters__parse_link(msg, len, &s), 0);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "lo rx_dropped", &v));
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "lo rx_missed_errors", &v));
	free(msg);
	msg = tu_load_file(SKBD_FIXTURES "/netlink/newlink-veth-6.18.bin", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(skbd_counters__parse_link(msg, len, &s), 0);
	CU_ASSERT_TRUE(skbd_counter_snap__get(&s, "rqa tx_dropped", &v));
	/* every prefix of a reply is rejected or complete, never read past */
	for (size_t n = 0; n < len; n++) {
		struct skbd_counter_snap t = { 0 };
		char *cut = malloc(n ? n : 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
		memcpy(cut, msg, n);
		skbd_counters__parse_link(cut, n, &t);
		skbd_counter_snap__free(&t);
		free(cut);
	}
	free(msg);
	skbd_counter_snap__free(&s);
	msg = tu_load_file(SKBD_FIXTURES "/netlink/newqdisc-tbf-6.18.bin", &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(msg);
	CU_ASSERT_EQUAL(skbd_counters__parse_qdisc(msg, len, NULL, NULL, &s), 0);
	CU_ASSERT_EQUAL_FATAL(s.n, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(s.v[0].name, " tbf 1:0 drops"));
	CU_ASSERT_EQUAL(s.v[0].value, 21);
	free(msg);
	skbd_counter_snap__free(&s);
}

CU_TestInfo skbd_tests_counters[] = {
	{ "parsers on this host's files", test_pairs_fixture },
	{ "parsers on every matrix kernel's files", test_matrix_files },
	{ "parsers on broken text", test_parse_broken },
	{ "netlink link stats", test_netlink_link },
	{ "netlink qdisc stats", test_netlink_qdisc },
	{ "netlink replies recorded from this kernel", test_netlink_recorded },
	{ "our namespace, live", test_live_own_netns },
	CU_TEST_INFO_NULL,
};
