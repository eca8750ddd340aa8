// SPDX-License-Identifier: GPL-2.0-only
/* The curated list of the kernel's drop counters and the parsers of the
 * files and netlink messages that carry them. Pure code over bytes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <linux/gen_stats.h>
#include <skbdrop/counters.h>

#define Y SKBD_TRACED_YES
#define S SKBD_TRACED_SOME
#define N SKBD_TRACED_NO

const struct skbd_counter_def skbd_counter_defs[] = {
	/* /proc/net/snmp */
	{ "IpInHdrErrors", "IPv4 packets with a bad header", Y, NULL },
	{ "IpInAddrErrors", "IPv4 packets for an address that is not ours (forwarding off)", Y, NULL },
	{ "IpInUnknownProtos", "IPv4 packets for a protocol nobody handles", Y, NULL },
	{ "IpInDiscards", "IPv4 packets discarded on input without an error (e.g. no memory)", S,
	  "some input discards free the packet with consume_skb" },
	{ "IpOutDiscards", "IPv4 packets discarded on output without an error", Y, NULL },
	{ "IpOutNoRoutes", "IPv4 packets with no route out", S, "a locally generated packet without a route never becomes an skb" },
	{ "IpReasmFails", "IPv4 reassembly failures (counted per failure, not per fragment)", S,
	  "counts failures; the fragments are dropped one by one" },
	{ "IpFragFails", "IPv4 packets that needed fragmenting but could not be (DF set)", Y, NULL },
	{ "IcmpInErrors", "ICMP messages with errors", Y, NULL },
	{ "IcmpOutErrors", "ICMP messages not sent", N, "ICMP errors not sent (rate limits) are never built" },
	{ "IcmpInCsumErrors", "ICMP messages with a bad checksum", Y, NULL },
	{ "TcpInErrs", "TCP segments received in error (bad checksum, bad header)", Y, NULL },
	{ "TcpInCsumErrors", "TCP segments with a bad checksum", Y, NULL },
	{ "UdpNoPorts", "UDP datagrams to a port with no socket", Y, NULL },
	{ "UdpInErrors", "UDP datagrams not delivered (includes RcvbufErrors, InCsumErrors)", Y, NULL },
	{ "UdpRcvbufErrors", "UDP datagrams dropped on a full socket receive buffer", Y, NULL },
	{ "UdpSndbufErrors", "UDP datagrams not sent: no send buffer, or dropped on the way out (ENOBUFS)", S,
	  "a full send buffer builds no skb; drops on the way out (a qdisc) are traced as those" },
	{ "UdpInCsumErrors", "UDP datagrams with a bad checksum", Y, NULL },
	{ "UdpMemErrors", "UDP datagrams dropped for the protocol's memory limit", Y, NULL },
	{ "UdpLiteInErrors", "UDP-Lite datagrams not delivered", Y, NULL },
	/* /proc/net/netstat */
	{ "TcpExtListenOverflows", "connections dropped because a listener's accept queue was full", S,
	  "SYNs dropped on a full accept queue are freed with consume_skb, not kfree_skb (final ACKs are traced)" },
	{ "TcpExtListenDrops", "segments dropped at a listener for any reason (includes ListenOverflows)", S,
	  "as ListenOverflows: the SYN path uses consume_skb" },
	{ "TcpExtTCPReqQFullDrop", "SYNs dropped on a full SYN queue without syncookies", N,
	  "freed with consume_skb" },
	{ "TcpExtTCPBacklogDrop", "segments dropped on a full socket backlog (socket owned by user)", Y, NULL },
	{ "TcpExtPFMemallocDrop", "segments dropped: pfmemalloc skb for a socket without SOCK_MEMALLOC", Y, NULL },
	{ "TcpExtTCPMinTTLDrop", "segments below the socket's IP_MINTTL", Y, NULL },
	{ "TcpExtTCPDeferAcceptDrop", "final ACKs without data dropped by TCP_DEFER_ACCEPT", N,
	  "the ACK is consumed, the handshake waits" },
	{ "TcpExtTCPRcvQDrop", "segments dropped: the receive queue was over its memory", Y, NULL },
	{ "TcpExtTCPZeroWindowDrop", "segments dropped: the receive window was zero", Y, NULL },
	{ "TcpExtTCPOFODrop", "out-of-order segments dropped for lack of memory", Y, NULL },
	{ "TcpExtPAWSEstab", "segments rejected by the timestamp check (PAWS)", Y, NULL },
	{ "TcpExtTCPMD5NotFound", "segments with an MD5 option the socket does not expect", Y, NULL },
	{ "TcpExtTCPMD5Unexpected", "segments without the MD5 option the socket expects", Y, NULL },
	{ "TcpExtTCPMD5Failure", "segments with a wrong MD5 signature", Y, NULL },
	{ "TcpExtOutOfWindowIcmps", "ICMP errors for a TCP sequence outside the window", Y, NULL },
	{ "TcpExtLockDroppedIcmps", "ICMP errors dropped because the socket was locked", Y, NULL },
	{ "IpExtInNoRoutes", "IPv4 packets with no route (input)", Y, NULL },
	{ "IpExtInTruncatedPkts", "IPv4 packets shorter than their header says", Y, NULL },
	{ "IpExtInCsumErrors", "IPv4 headers with a bad checksum", Y, NULL },
	/* /proc/net/snmp6 */
	{ "Ip6InHdrErrors", "IPv6 packets with a bad header", Y, NULL },
	{ "Ip6InAddrErrors", "IPv6 packets for an address that is not ours", Y, NULL },
	{ "Ip6InUnknownProtos", "IPv6 packets for a protocol nobody handles", Y, NULL },
	{ "Ip6InTruncatedPkts", "IPv6 packets shorter than their header says", Y, NULL },
	{ "Ip6InDiscards", "IPv6 packets discarded on input", S, "some input discards use consume_skb" },
	{ "Ip6OutDiscards", "IPv6 packets discarded on output", Y, NULL },
	{ "Ip6OutNoRoutes", "IPv6 packets with no route out", S, "a locally generated packet without a route never becomes an skb" },
	{ "Ip6InNoRoutes", "IPv6 packets with no route (input)", Y, NULL },
	{ "Ip6ReasmFails", "IPv6 reassembly failures", S, "counts failures; the fragments are dropped one by one" },
	{ "Ip6FragFails", "IPv6 packets that could not be fragmented", Y, NULL },
	{ "Icmp6InErrors", "ICMPv6 messages with errors", Y, NULL },
	{ "Icmp6OutErrors", "ICMPv6 messages not sent", N, "never built" },
	{ "Udp6NoPorts", "UDP/IPv6 datagrams to a port with no socket", Y, NULL },
	{ "Udp6InErrors", "UDP/IPv6 datagrams not delivered", Y, NULL },
	{ "Udp6RcvbufErrors", "UDP/IPv6 datagrams dropped on a full receive buffer", Y, NULL },
	{ "Udp6SndbufErrors", "UDP/IPv6 datagrams not sent: no send buffer, or dropped on the way out (ENOBUFS)", S,
	  "a full send buffer builds no skb; drops on the way out (a qdisc) are traced as those" },
	{ "Udp6InCsumErrors", "UDP/IPv6 datagrams with a bad checksum", Y, NULL },
	{ "Udp6MemErrors", "UDP/IPv6 datagrams dropped for the protocol's memory limit", Y, NULL },
	/* devices (IFLA_STATS64), as "IFNAME field" */
	{ "rx_dropped", "packets the device's driver or the stack dropped on receive", S,
	  "drivers count some without an skb (no buffer)" },
	{ "tx_dropped", "packets dropped on transmit (e.g. no queue, device down)", S, "drivers count some without an skb" },
	{ "rx_missed_errors", "packets the NIC missed: no receive descriptor free", N, "never reached memory: no skb" },
	{ "rx_fifo_errors", "NIC receive FIFO overruns", N, "no skb" },
	{ "rx_over_errors", "NIC receive ring overflows", N, "no skb" },
	{ "rx_crc_errors", "frames with a bad CRC", N, "dropped by the NIC" },
	{ "rx_nohandler", "packets for a device with no protocol handler (e.g. an inactive bond slave)", Y, NULL },
	{ "tx_fifo_errors", "NIC transmit FIFO errors", N, "no skb" },
	/* per-CPU backlog */
	{ "softnet_dropped", "packets dropped because a CPU's input backlog queue was full (netdev_max_backlog)", Y,
	  NULL },
	/* qdiscs, as "qdisc IFNAME KIND HANDLE drops" */
	{ "drops", "packets a qdisc dropped (queue limit, policer, AQM)", Y, NULL },
	{ NULL, NULL, Y, NULL },
};

#undef Y
#undef S
#undef N

const struct skbd_counter_def *skbd_counter__def(const char *name)
{
	const char *field = strrchr(name, ' ');

	if (field) /* "IFNAME rx_dropped", "qdisc ... drops" */
		name = field + 1;
	for (const struct skbd_counter_def *d = skbd_counter_defs; d->name; d++)
		if (!strcmp(d->name, name))
			return d;
	return NULL;
}

void skbd_counter_snap__free(struct skbd_counter_snap *s)
{
	free(s->v);
	*s = (struct skbd_counter_snap){ 0 };
}

int skbd_counter_snap__add(struct skbd_counter_snap *s, const char *name, __u64 value)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		struct skbd_counter_val *v;

		if (cap > 1u << 20)
			return -ENOMEM;
		v = realloc(s->v, cap * sizeof(*v));
		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	snprintf(s->v[s->n].name, sizeof(s->v[s->n].name), "%s", name);
	s->v[s->n].value = value;
	s->n++;
	return 0;
}

bool skbd_counter_snap__get(const struct skbd_counter_snap *s, const char *name, __u64 *value)
{
	for (size_t i = 0; i < s->n; i++) {
		if (!strcmp(s->v[i].name, name)) {
			*value = s->v[i].value;
			return true;
		}
	}
	return false;
}

static int fail(char *err, size_t err_size, const char *what, size_t line)
{
	if (err && err_size)
		snprintf(err, err_size, "line %zu: %s", line, what);
	return -EINVAL;
}

/* The next line of text[*pos..len): its start and length (without '\n'). */
static bool next_line(const char *text, size_t len, size_t *pos, const char **line, size_t *n)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = text + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*n = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *n + (nl ? 1 : 0);
	return true;
}

/* The next space-separated word of [*p, end): its start and length; false at the end. */
static bool next_word(const char **p, const char *end, const char **w, size_t *n)
{
	while (*p < end && (**p == ' ' || **p == '\t'))
		(*p)++;
	if (*p >= end)
		return false;
	*w = *p;
	while (*p < end && **p != ' ' && **p != '\t')
		(*p)++;
	*n = (size_t)(*p - *w);
	return true;
}

/* A decimal value (as the kernel prints them; a few are negative, e.g.
 * TcpMaxConn -1: those are no drop counters and read as not a number). */
static bool parse_u64(const char *w, size_t n, __u64 *v)
{
	__u64 x = 0;

	if (!n || n > 20)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (w[i] < '0' || w[i] > '9' || x > (~0ULL - 9) / 10)
			return false;
		x = x * 10 + (__u64)(w[i] - '0');
	}
	*v = x;
	return true;
}

static int add_if_curated(struct skbd_counter_snap *out, const char *name, __u64 v)
{
	return skbd_counter__def(name) ? skbd_counter_snap__add(out, name, v) : 0;
}

int skbd_counters__parse_pairs(const char *text, size_t len, struct skbd_counter_snap *out, char *err,
			       size_t err_size)
{
	size_t pos = 0, lineno = 0;
	const char *h, *v;
	size_t hn, vn;

	while (next_line(text, len, &pos, &h, &hn)) {
		const char *hp, *vp, *hend = h + hn, *vend, *colon, *hw, *vw;
		size_t plen, hwn, vwn;
		int err2;

		lineno++;
		if (!hn)
			continue;
		if (!next_line(text, len, &pos, &v, &vn))
			return fail(err, err_size, "a header line without its values", lineno);
		lineno++;
		colon = memchr(h, ':', hn);
		if (!colon || colon == h || vn < (size_t)(colon - h) + 1 || memcmp(h, v, (size_t)(colon - h) + 1))
			return fail(err, err_size, "the values' prefix differs from the header's", lineno);
		plen = (size_t)(colon - h);
		if (plen > 31)
			return fail(err, err_size, "prefix too long", lineno);
		hp = colon + 1;
		vp = v + plen + 1;
		vend = v + vn;
		while (next_word(&hp, hend, &hw, &hwn)) {
			char name[96];
			__u64 val;

			if (!next_word(&vp, vend, &vw, &vwn))
				return fail(err, err_size, "fewer values than names", lineno);
			if (hwn > 63 || !parse_u64(vw, vwn, &val))
				continue;
			snprintf(name, sizeof(name), "%.*s%.*s", (int)plen, h, (int)hwn, hw);
			err2 = add_if_curated(out, name, val);
			if (err2)
				return err2;
		}
	}
	return 0;
}

int skbd_counters__parse_snmp6(const char *text, size_t len, struct skbd_counter_snap *out, char *err,
			       size_t err_size)
{
	size_t pos = 0, lineno = 0, n;
	const char *line;

	while (next_line(text, len, &pos, &line, &n)) {
		const char *p = line, *end = line + n, *w, *vw;
		size_t wn, vwn;
		char name[96];
		__u64 val;
		int e;

		lineno++;
		if (!next_word(&p, end, &w, &wn))
			continue;
		if (!next_word(&p, end, &vw, &vwn))
			return fail(err, err_size, "a name without a value", lineno);
		if (wn > 63 || !parse_u64(vw, vwn, &val))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)wn, w);
		e = add_if_curated(out, name, val);
		if (e)
			return e;
	}
	return 0;
}

int skbd_counters__parse_softnet(const char *text, size_t len, struct skbd_counter_snap *out, char *err,
				 size_t err_size)
{
	size_t pos = 0, lineno = 0, n;
	const char *line;
	__u64 sum = 0;

	while (next_line(text, len, &pos, &line, &n)) {
		const char *p = line, *end = line + n, *w;
		size_t wn;
		__u64 v = 0;

		lineno++;
		if (!next_word(&p, end, &w, &wn))
			continue;
		if (!next_word(&p, end, &w, &wn) || wn > 16)
			return fail(err, err_size, "fewer than 2 columns", lineno);
		for (size_t i = 0; i < wn; i++) {
			char c = w[i];
			int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;

			if (d < 0)
				return fail(err, err_size, "not a hex column", lineno);
			v = v << 4 | (__u64)d;
		}
		sum += v;
	}
	return skbd_counter_snap__add(out, "softnet_dropped", sum);
}

/* ---- netlink ------------------------------------------------------------ */

/* The attributes of a message after its fixed header, checked one by one. */
static const struct rtattr *next_attr(const char **p, const char *end)
{
	const struct rtattr *a;

	if ((size_t)(end - *p) < sizeof(struct rtattr))
		return NULL;
	a = (const struct rtattr *)*p;
	if (a->rta_len < sizeof(*a) || a->rta_len > (size_t)(end - *p))
		return NULL;
	*p += RTA_ALIGN(a->rta_len) < (size_t)(end - *p) ? RTA_ALIGN(a->rta_len) : (size_t)(end - *p);
	return a;
}

int skbd_counters__parse_link(const void *msg, size_t len, struct skbd_counter_snap *out)
{
	const struct nlmsghdr *nlh = msg;
	const char *p, *end;
	const struct rtattr *a;
	char ifname[17] = "";
	struct rtnl_link_stats64 st;
	bool have = false;
	struct {
		const char *name;
		size_t off;
	} fields[] = {
		{ "rx_dropped", offsetof(struct rtnl_link_stats64, rx_dropped) },
		{ "tx_dropped", offsetof(struct rtnl_link_stats64, tx_dropped) },
		{ "rx_missed_errors", offsetof(struct rtnl_link_stats64, rx_missed_errors) },
		{ "rx_fifo_errors", offsetof(struct rtnl_link_stats64, rx_fifo_errors) },
		{ "rx_over_errors", offsetof(struct rtnl_link_stats64, rx_over_errors) },
		{ "rx_crc_errors", offsetof(struct rtnl_link_stats64, rx_crc_errors) },
		{ "rx_nohandler", offsetof(struct rtnl_link_stats64, rx_nohandler) },
		{ "tx_fifo_errors", offsetof(struct rtnl_link_stats64, tx_fifo_errors) },
	};

	if (len < NLMSG_HDRLEN + sizeof(struct ifinfomsg) || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(struct ifinfomsg) ||
	    nlh->nlmsg_len > len)
		return -EINVAL;
	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	memset(&st, 0, sizeof(st));
	p = (const char *)msg + NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(struct ifinfomsg));
	end = (const char *)msg + nlh->nlmsg_len;
	while (p < end && (a = next_attr(&p, end))) {
		size_t n = a->rta_len - sizeof(*a);

		if (a->rta_type == IFLA_IFNAME && n > 0) {
			size_t l = strnlen(RTA_DATA(a), n);

			if (l > 16)
				l = 16;
			memcpy(ifname, RTA_DATA(a), l);
			ifname[l] = '\0';
		} else if (a->rta_type == IFLA_STATS64) {
			/* older kernels send a shorter struct: the fields it has */
			memcpy(&st, RTA_DATA(a), n < sizeof(st) ? n : sizeof(st));
			have = true;
		}
	}
	if (!have || !ifname[0])
		return 0;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		char name[96];
		__u64 v;
		int err;

		memcpy(&v, (const char *)&st + fields[i].off, sizeof(v));
		snprintf(name, sizeof(name), "%s %s", ifname, fields[i].name);
		err = skbd_counter_snap__add(out, name, v);
		if (err)
			return err;
	}
	return 0;
}

int skbd_counters__parse_qdisc(const void *msg, size_t len, skbd_ifname_fn ifname, void *ctx,
			       struct skbd_counter_snap *out)
{
	const struct nlmsghdr *nlh = msg;
	const struct tcmsg *tcm;
	const char *p, *end, *dev;
	const struct rtattr *a;
	char kind[32] = "", name[96], devbuf[32];
	__u64 drops = 0;
	bool have = false;

	if (len < NLMSG_HDRLEN + sizeof(*tcm) || nlh->nlmsg_len < NLMSG_HDRLEN + sizeof(*tcm) || nlh->nlmsg_len > len)
		return -EINVAL;
	if (nlh->nlmsg_type != RTM_NEWQDISC)
		return 0;
	tcm = (const struct tcmsg *)((const char *)msg + NLMSG_HDRLEN);
	p = (const char *)tcm + NLMSG_ALIGN(sizeof(*tcm));
	end = (const char *)msg + nlh->nlmsg_len;
	while (p < end && (a = next_attr(&p, end))) {
		size_t n = a->rta_len - sizeof(*a);

		if (a->rta_type == TCA_KIND && n > 0) {
			size_t l = strnlen(RTA_DATA(a), n);

			if (l >= sizeof(kind))
				l = sizeof(kind) - 1;
			memcpy(kind, RTA_DATA(a), l);
			kind[l] = '\0';
		} else if (a->rta_type == TCA_STATS2) {
			const char *q = RTA_DATA(a), *qend = q + n;
			const struct rtattr *b;

			while (q < qend && (b = next_attr(&q, qend))) {
				if (b->rta_type == TCA_STATS_QUEUE && b->rta_len - sizeof(*b) >= sizeof(struct gnet_stats_queue)) {
					struct gnet_stats_queue gq;

					memcpy(&gq, RTA_DATA(b), sizeof(gq));
					drops = gq.drops;
					have = true;
				}
			}
		}
	}
	if (!have || !kind[0])
		return 0;
	dev = ifname ? ifname(ctx, (__u32)tcm->tcm_ifindex) : NULL;
	if (!dev) {
		snprintf(devbuf, sizeof(devbuf), "ifindex %d", tcm->tcm_ifindex);
		dev = devbuf;
	}
	snprintf(name, sizeof(name), "qdisc %s %s %x:%x drops", dev, kind, tcm->tcm_handle >> 16,
		 tcm->tcm_handle & 0xffff);
	return skbd_counter_snap__add(out, name, drops);
}
