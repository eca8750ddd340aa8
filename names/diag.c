// SPDX-License-Identifier: GPL-2.0-only
/* The owner of a drop whose socket the kernel did not hand us: before 6.11
 * the tracepoint has no rx_sk, and on the receive path skb->sk is mostly
 * unset (a full UDP buffer, a full accept queue over loopback). The socket the
 * packet was going to is found afterwards by its addresses with sock_diag
 * (an exact inet_diag request: the kernel runs its own socket lookup for
 * them), inside the drop's namespace. Answers (found or not) are kept for a
 * second per address pair, so a flood costs one request per pair a second. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <skbdrop/log.h>
#include <skbdrop/netns.h>
#include <skbdrop/packet.h>
#include "names_int.h"

#define DIAG_NS_MAX 16      /* namespaces with an open socket */
#define DIAG_CACHE 512      /* answers kept, by address pair */
#define DIAG_TTL 1.0        /* seconds an answer is kept */
#define DIAG_WAIT_MS 200    /* the longest wait for a reply */
#define DIAG_NS_SEARCH 64   /* namespaces searched for a drop whose namespace is unknown */
#ifndef INET_DIAG_CGROUP_ID
#define INET_DIAG_CGROUP_ID 21 /* 5.8+ */
#endif

struct diag_ns {
	__u32 inode;            /* 0: free */
	struct mnl_socket *nl;  /* NULL: it could not be opened (not tried again) */
	double used;
};

struct diag_key {
	__u32 netns;
	__u8 family, proto;
	__u16 lport, rport;
	__u8 laddr[16], raddr[16];
};

struct diag_ans {
	struct diag_key key;
	double when;            /* < 0: free */
	bool found;
	__u8 state;
	__u32 uid, rqueue, wqueue, rmem, rcvbuf;
	__u64 ino, cgroup;
	bool have_mem, have_cgroup;
	__u32 netns;            /* where it was found */
	bool req;               /* the listener of a handshake in progress */
};

struct skbd_diag {
	__u32 own_netns;
	struct diag_ns ns[DIAG_NS_MAX];
	struct diag_ans cache[DIAG_CACHE];
	unsigned int seq;
	unsigned long requests;
	__u32 all[DIAG_NS_SEARCH]; /* every namespace, for drops without one */
	size_t nr_all;
	double all_when;           /* < 0: never listed */
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int skbd_diag__new(struct skbd_diag **out)
{
	struct skbd_diag *dg = calloc(1, sizeof(*dg));

	if (!dg)
		return -ENOMEM;
	for (size_t i = 0; i < DIAG_CACHE; i++)
		dg->cache[i].when = -1;
	dg->all_when = -1;
	if (skbd_netns__inode("/proc/self/ns/net", &dg->own_netns))
		dg->own_netns = 0;
	*out = dg;
	return 0;
}

void skbd_diag__free(struct skbd_diag *dg)
{
	if (!dg)
		return;
	for (size_t i = 0; i < DIAG_NS_MAX; i++)
		if (dg->ns[i].nl)
			mnl_socket_close(dg->ns[i].nl);
	free(dg);
}

unsigned long skbd_diag__requests(const struct skbd_diag *dg)
{
	return dg->requests;
}

static int open_socket(void *arg)
{
	struct mnl_socket **nl = arg;

	*nl = mnl_socket_open2(NETLINK_SOCK_DIAG, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!*nl)
		return -errno;
	if (mnl_socket_bind(*nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int err = -errno;

		mnl_socket_close(*nl);
		*nl = NULL;
		return err;
	}
	return 0;
}

/* The diag socket of namespace inode (ours when it is ours), opened once. */
static struct mnl_socket *ns_socket(struct skbd_diag *dg, __u32 inode, double now)
{
	struct diag_ns *e = NULL, *victim = &dg->ns[0];
	char path[256] = "";
	int err;

	for (size_t i = 0; i < DIAG_NS_MAX; i++) {
		if (dg->ns[i].inode == inode) {
			dg->ns[i].used = now;
			return dg->ns[i].nl;
		}
		if (!dg->ns[i].inode && !e)
			e = &dg->ns[i];
		if (dg->ns[i].used < victim->used)
			victim = &dg->ns[i];
	}
	if (!e) { /* the least recently used one goes */
		if (victim->nl)
			mnl_socket_close(victim->nl);
		e = victim;
	}
	memset(e, 0, sizeof(*e));
	e->inode = inode;
	e->used = now;
	if (inode != dg->own_netns && skbd_netns__find(inode, path, sizeof(path))) {
		skbd_log(SKBD_LOG_DEBUG, "diag: netns %u: no path to it", inode);
		return NULL;
	}
	err = skbd_netns__run(path, inode == dg->own_netns ? 0 : inode, open_socket, &e->nl);
	if (err)
		skbd_log(SKBD_LOG_DEBUG, "diag: netns %u: no sock_diag socket: %s", inode, strerror(-err));
	return e->nl;
}

struct diag_reply {
	struct diag_ans *ans;
	int err;
	bool done;
};

static int parse_attrs(const struct nlattr *attr, void *data)
{
	struct diag_ans *a = data;
	__u16 len = mnl_attr_get_payload_len(attr);

	switch (mnl_attr_get_type(attr)) {
	case INET_DIAG_SKMEMINFO:
		if (len >= (SK_MEMINFO_RCVBUF + 1) * sizeof(__u32)) {
			const __u32 *m = mnl_attr_get_payload(attr);

			a->rmem = m[SK_MEMINFO_RMEM_ALLOC];
			a->rcvbuf = m[SK_MEMINFO_RCVBUF];
			a->have_mem = true;
		}
		break;
	case INET_DIAG_CGROUP_ID:
		if (len >= sizeof(__u64)) {
			memcpy(&a->cgroup, mnl_attr_get_payload(attr), sizeof(__u64));
			a->have_cgroup = true;
		}
		break;
	default:
		break;
	}
	return MNL_CB_OK;
}

static int on_msg(const struct nlmsghdr *nlh, void *data)
{
	struct diag_reply *r = data;
	const struct inet_diag_msg *m;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*m))
		return MNL_CB_ERROR;
	m = mnl_nlmsg_get_payload(nlh);
	r->ans->found = true;
	r->ans->state = m->idiag_state;
	r->ans->uid = m->idiag_uid;
	r->ans->ino = m->idiag_inode;
	r->ans->rqueue = m->idiag_rqueue;
	r->ans->wqueue = m->idiag_wqueue;
	r->done = true;
	return mnl_attr_parse(nlh, sizeof(*m), parse_attrs, r->ans) < 0 ? MNL_CB_ERROR : MNL_CB_STOP;
}

/* One exact request: 0 (found or not, in *a), or -errno of the conversation. */
static int request(struct skbd_diag *dg, struct mnl_socket *nl, const struct diag_key *k, bool swap,
		   struct diag_ans *a)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	struct diag_reply r = { .ans = a };
	size_t alen = k->family == AF_INET ? 4 : 16;
	const __u8 *src = swap ? k->raddr : k->laddr, *dst = swap ? k->laddr : k->raddr;
	unsigned int seq = ++dg->seq;
	struct pollfd pfd;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = k->family;
	req->sdiag_protocol = k->proto;
	req->idiag_ext = 1 << (INET_DIAG_SKMEMINFO - 1);
	req->idiag_states = ~0u;
	req->id.idiag_sport = htons(swap ? k->rport : k->lport);
	req->id.idiag_dport = htons(swap ? k->lport : k->rport);
	memcpy(req->id.idiag_src, src, alen);
	memcpy(req->id.idiag_dst, dst, alen);
	req->id.idiag_cookie[0] = INET_DIAG_NOCOOKIE;
	req->id.idiag_cookie[1] = INET_DIAG_NOCOOKIE;
	dg->requests++;
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	pfd = (struct pollfd){ .fd = mnl_socket_get_fd(nl), .events = POLLIN };
	while (!r.done) {
		ssize_t n;
		int ret;

		if (poll(&pfd, 1, DIAG_WAIT_MS) <= 0)
			return -ETIMEDOUT;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return errno == EAGAIN ? 0 : -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), on_msg, &r);
		if (ret == MNL_CB_ERROR) /* the kernel's answer: ENOENT when no socket matches */
			return errno == ENOENT ? 0 : -errno;
		if (ret == MNL_CB_STOP)
			break;
	}
	return 0;
}

static size_t key_slot(const struct diag_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	__u64 h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (size_t)(h % DIAG_CACHE);
}

/* The addresses of the local socket a received packet was for. */
static bool key_of(const struct skbd_drop *d, struct diag_key *k)
{
	struct skbd_pkt p;

	skbd_pkt__decode_drop(d, &p);
	memset(k, 0, sizeof(*k));
	k->netns = d->netns;
	if (p.have_tcp && p.tcp_st.status == SKBD_PKT_OK) {
		k->proto = IPPROTO_TCP;
		k->lport = p.tcp.dport;
		k->rport = p.tcp.sport;
	} else if (p.have_udp && p.udp_st.status == SKBD_PKT_OK) {
		k->proto = IPPROTO_UDP;
		k->lport = p.udp.dport;
		k->rport = p.udp.sport;
	} else {
		return false;
	}
	if (p.have_ipv4) {
		k->family = AF_INET;
		memcpy(k->laddr, p.ipv4.dst, 4);
		memcpy(k->raddr, p.ipv4.src, 4);
	} else if (p.have_ipv6) {
		k->family = AF_INET6;
		memcpy(k->laddr, p.ipv6.dst, 16);
		memcpy(k->raddr, p.ipv6.src, 16);
	} else {
		return false;
	}
	return k->lport != 0;
}

/* The socket for k in namespace netns: a->found and the rest. */
static void lookup_in(struct skbd_diag *dg, const struct diag_key *k, __u32 netns, double now, struct diag_ans *a)
{
	struct mnl_socket *nl = ns_socket(dg, netns, now);
	int err;

	if (!nl)
		return;
	/* inet_diag reads a UDP request's addresses the other way round ("swapped
	 * for historical reasons" in udp_diag.c), TCP's as they are. Only that
	 * order: the other one would find the peer's socket on the same host. */
	err = request(dg, nl, k, k->proto == IPPROTO_UDP, a);
	if (!err && a->found && k->proto == IPPROTO_TCP && (a->state == TCP_SYN_RECV || a->state == 12)) {
		/* a handshake in progress: its listener, found without the peer's
		 * address (no connection matches, the listening socket does) */
		struct diag_key lk = *k;

		memset(lk.raddr, 0, sizeof(lk.raddr));
		lk.rport = 0;
		a->found = false;
		err = request(dg, nl, &lk, false, a);
		a->req = a->found;
	}
	if (a->found && a->state == TCP_TIME_WAIT)
		a->found = false; /* no owner: like the kernel's own view of a timewait socket */
	if (err)
		skbd_log(SKBD_LOG_DEBUG, "diag: netns %u: %s", netns, strerror(-err));
	a->netns = netns;
}

/* A drop whose namespace is unknown (before 6.11 the receive path may have
 * no device: UDP reuses the field): every namespace is asked, and only a
 * socket exactly one of them has is named (never a guess between two). */
static void lookup_anywhere(struct skbd_diag *dg, const struct diag_key *k, double now, struct diag_ans *a)
{
	size_t matches = 0;

	if (dg->all_when < 0 || now - dg->all_when >= DIAG_TTL) {
		int n = skbd_netns__list(dg->all, DIAG_NS_SEARCH);

		dg->nr_all = n > 0 ? (size_t)n : 0;
		dg->all_when = now;
	}
	for (size_t i = 0; i < dg->nr_all; i++) {
		struct diag_ans t = { .key = a->key, .when = a->when };

		lookup_in(dg, k, dg->all[i], now, &t);
		if (t.found && ++matches == 1)
			*a = t;
	}
	if (matches > 1) {
		skbd_log(SKBD_LOG_DEBUG, "diag: %zu namespaces have a socket for port %u: none named", matches, k->lport);
		a->found = false;
	}
}

bool skbd_diag__lookup(struct skbd_diag *dg, struct skbd_drop *d)
{
	struct diag_key k;
	struct diag_ans *a;
	double now;

	if (!key_of(d, &k))
		return false;
	now = mono_now();
	a = &dg->cache[key_slot(&k)];
	if (a->when < 0 || now - a->when >= DIAG_TTL || memcmp(&a->key, &k, sizeof(k))) {
		memset(a, 0, sizeof(*a));
		a->key = k;
		a->when = now;
		if (k.netns)
			lookup_in(dg, &k, k.netns, now, a);
		else
			lookup_anywhere(dg, &k, now, a);
	}
	if (!a->found)
		return false;
	d->flags |= SKBD_DROP_HAS_OWNER;
	d->sk_src = SKBD_SK_SRC_LOOKUP;
	d->sk_ino = a->ino;
	d->sk_uid = a->uid;
	d->sk_netns = a->netns;
	d->sk_lport = k.lport;
	d->sk_proto = k.proto;
	d->sk_flags = SKBD_SK_UID | (a->req ? SKBD_SK_REQ : 0);
	if (a->have_cgroup && a->cgroup) {
		d->sk_cgroup_id = a->cgroup;
		d->sk_flags |= SKBD_SK_CGROUP;
	}
	if (a->state == 10 /* TCP_LISTEN */) {
		d->sk_ack_backlog = a->rqueue;
		d->sk_max_ack_backlog = a->wqueue;
		d->sk_flags |= SKBD_SK_LISTEN;
	} else if (a->have_mem) {
		d->sk_rmem = a->rmem;
		d->sk_rcvbuf = a->rcvbuf;
		d->sk_flags |= SKBD_SK_QUEUE;
	}
	return true;
}
