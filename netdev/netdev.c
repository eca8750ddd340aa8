// SPDX-License-Identifier: GPL-2.0-only
/* ifindex + netns inode -> device name: one rtnetlink socket per namespace,
 * created inside it by a short-lived helper thread (skbd_netns__run), one
 * RTM_GETLINK dump, then RTMGRP_LINK notifications keep the cache current.
 * netns inode -> name from /run/netns. The only code that includes libmnl. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <skbdrop/log.h>
#include <skbdrop/netdev.h>
#include <skbdrop/netns.h>

#define NAME_SIZE	16	/* IFNAMSIZ: the API's char name[16] */
#define NEG_TTL_MS	1000	/* "no such device" / "namespace unreachable" is asked again after this */
#define NEG_MAX_MS	60000	/* the longest wait for an unreachable namespace (backoff) */
#define SCAN_GAP_MS	1000	/* a miss rescans /run/netns at most this often */
#define NAMES_STALE_MS	10000	/* refresh rescans /run/netns when its table is older */
#define ALIVE_GAP_MS	2000	/* refresh checks that other namespaces still exist this often */
#define REPLY_WAIT_MS	500	/* a request's answer is waited for this long, in all */
#define LINK_MIN_SLOTS	64u
#define LINK_MAX_SLOTS	(1u << 17) /* half full at most: 65536 (netns, ifindex) entries, 4 MiB */
#define NS_SLOTS	512u	/* namespaces: at most NS_MAX, so the table is half full at most */
#define NS_MAX		256u
#define NAMES_MAX	4096u	/* /run/netns entries taken */
#define RX_BUF		32768	/* rtnetlink datagrams are smaller; a cut one counts as lost */
#define DRAIN_MAX	256	/* datagrams read per socket per refresh */
#define DISCARD_MAX	4096	/* datagrams thrown away before a dump */
#define DUMP_TRIES	3
/* "/proc/<pid>/ns/net" or "/run/netns/<name>", name up to NAME_MAX */
#define NS_PATH_SIZE	(sizeof("/proc/") + NAME_MAX + sizeof("/ns/net"))

/* A device, or the knowledge that there is none with that ifindex. */
struct link_ent {
	__u32 netns;		/* 0: free slot */
	__u32 ifindex;
	__u64 absent_until;	/* 0: a device; else (ms) until when "no such device" holds */
	__u64 born_ns;		/* CLOCK_MONOTONIC after which this device appeared, known from a
				   notification (0: it existed when we first asked) */
	__u64 absent_since_ns;	/* when its DELLINK was applied */
	char name[NAME_SIZE];
};

/* A namespace: its socket once opened, or why it could not be. Entries are
 * allocated one by one so a pointer survives moves in the slot table. */
struct ns_ent {
	__u32 inode;
	struct mnl_socket *nl;	/* NULL until opened */
	__u32 portid;
	__u32 seq;
	bool need_dump;		/* cache incomplete (new socket, lost notifications) */
	bool warned;		/* a failure to open was logged as a warning once */
	int err;		/* last failure, answered without a syscall until retry_ms */
	__u64 retry_ms;
	__u64 backoff_ms;	/* the wait before the next try after a repeated failure */
	__u64 alive_ms;		/* last check that the namespace still exists */
	__u64 synced_ns;	/* when its notifications were last all read (0: never) */
	__u64 cookie;		/* the namespace's cookie (SO_NETNS_COOKIE, 5.14+), 0 unknown */
	char path[NS_PATH_SIZE]; /* how we entered it ("" for our own) */
};

struct name_ent {
	__u32 inode;
	char *name;
};

/* /run/netns as read once, sorted by inode. */
struct name_tab {
	struct name_ent *ents;
	size_t cnt;
};

struct skbd_netdev {
	__u32 self;			/* our netns inode */
	dev_t nsfs_dev;			/* st_dev of namespace files */
	struct link_ent *links;		/* open addressing, linear probing */
	__u32 link_mask;		/* slots - 1 */
	__u32 link_cnt;
	struct ns_ent *ns[NS_SLOTS];	/* open addressing by inode */
	__u32 ns_cnt;
	__u32 ns_hand;			/* eviction clock */
	struct name_tab names;
	struct name_tab names_old;	/* kept one rescan longer: callers may hold its strings */
	bool names_scanned;
	__u64 names_ms;
	__u64 alive_ms;
	__u64 applying_since_ns;	/* the messages being applied were sent after this */
	char *rx;			/* RX_BUF bytes, one receive buffer for every socket */
};

/* What a walk over received messages looks for, and found. */
struct walk {
	bool awaiting;		/* an answer to (seq, portid) is expected */
	bool any;		/* parse(): every ERROR/DONE is an answer */
	__u32 seq;
	__u32 portid;		/* of our socket: ERRORs for it echo our requests */
	__u32 ifindex;		/* of a single-device request; 0 for a dump */
	bool done;
	bool intr;		/* NLM_F_DUMP_INTR on the answer */
	int err;
	int applied;		/* RTM_NEWLINK/DELLINK applied */
};

/* CLOCK_MONOTONIC_COARSE is read in the vDSO: no syscall, ms resolution
 * is enough for 1 s rate limits and a 500 ms wait. */
static __u64 now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
	return (__u64)ts.tv_sec * 1000 + (__u64)ts.tv_nsec / 1000000;
}

static __u32 mix(__u64 k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdULL;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ULL;
	k ^= k >> 33;
	return (__u32)k;
}

static __u32 link_home(const struct skbd_netdev *nd, __u32 netns, __u32 ifindex)
{
	return mix((__u64)netns << 32 | ifindex) & nd->link_mask;
}

/* The table is at most half full, so probing ends at a free slot. */
static struct link_ent *link_find(const struct skbd_netdev *nd, __u32 netns, __u32 ifindex)
{
	__u32 i = link_home(nd, netns, ifindex);

	for (;; i = (i + 1) & nd->link_mask) {
		struct link_ent *e = &nd->links[i];

		if (!e->netns)
			return NULL;
		if (e->netns == netns && e->ifindex == ifindex)
			return e;
	}
}

static void link_clear(struct skbd_netdev *nd)
{
	memset(nd->links, 0, ((size_t)nd->link_mask + 1) * sizeof(*nd->links));
	nd->link_cnt = 0;
}

/* Rehash into slots slots, leaving out namespace drop (0: keep all). Without
 * memory the whole cache is dropped instead: it refills on demand. */
static void link_rebuild(struct skbd_netdev *nd, __u32 slots, __u32 drop)
{
	struct link_ent *old = nd->links, *tab;
	__u32 old_slots = nd->link_mask + 1;

	tab = calloc(slots, sizeof(*tab));
	if (!tab) {
		skbd_log(SKBD_LOG_DEBUG, "netdev: no memory to rehash the device cache, flushed");
		link_clear(nd);
		return;
	}
	nd->links = tab;
	nd->link_mask = slots - 1;
	nd->link_cnt = 0;
	for (__u32 i = 0; i < old_slots; i++) {
		struct link_ent *e = &old[i];
		__u32 j;

		if (!e->netns || e->netns == drop)
			continue;
		for (j = link_home(nd, e->netns, e->ifindex); tab[j].netns; j = (j + 1) & nd->link_mask)
			;
		tab[j] = *e;
		nd->link_cnt++;
	}
	free(old);
}

static void link_flush_ns(struct skbd_netdev *nd, __u32 netns)
{
	link_rebuild(nd, nd->link_mask + 1, netns);
}

/* The entry of (netns, ifindex), added if missing; never fails: a full
 * cache (LINK_MAX_SLOTS / 2 entries) is flushed first. */
static struct link_ent *link_put(struct skbd_netdev *nd, __u32 netns, __u32 ifindex)
{
	struct link_ent *e = link_find(nd, netns, ifindex);
	__u32 i;

	if (e)
		return e;
	if ((nd->link_cnt + 1) * 2 > nd->link_mask + 1) {
		if (nd->link_mask + 1 < LINK_MAX_SLOTS) {
			link_rebuild(nd, (nd->link_mask + 1) * 2, 0);
		} else {
			skbd_log(SKBD_LOG_DEBUG, "netdev: device cache full (%u entries), flushed", nd->link_cnt);
			link_clear(nd);
		}
	}
	for (i = link_home(nd, netns, ifindex); nd->links[i].netns; i = (i + 1) & nd->link_mask)
		;
	e = &nd->links[i];
	memset(e, 0, sizeof(*e));
	e->netns = netns;
	e->ifindex = ifindex;
	nd->link_cnt++;
	return e;
}

static __u64 mono_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000000000ULL + (__u64)t.tv_nsec;
}

/* notification: the message is one (seq 0), not an answer to our dump or
 * query. A device it announces that was gone or unknown is new: it appeared
 * after the last time this namespace's notifications were all read, so drops
 * from before then were not its drops (an ifindex can be reused). If the old
 * device went away in this same batch, only drops from now on are its. */
static void link_set_name(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, const char *name, bool notification)
{
	struct link_ent *old = link_find(nd, netns, ifindex);
	bool is_new = notification && (!old || old->absent_until);
	bool replaced = is_new && old && old->absent_since_ns >= nd->applying_since_ns;
	struct link_ent *e = link_put(nd, netns, ifindex);

	if (is_new)
		e->born_ns = replaced ? mono_ns() : nd->applying_since_ns;
	e->absent_until = 0;
	memset(e->name, 0, sizeof(e->name));
	memcpy(e->name, name, strnlen(name, NAME_SIZE - 1));
}

static void link_set_absent(struct skbd_netdev *nd, __u32 netns, __u32 ifindex)
{
	struct link_ent *e = link_put(nd, netns, ifindex);

	memset(e->name, 0, sizeof(e->name));
	e->absent_until = now_ms() + NEG_TTL_MS;
	e->born_ns = 0;
	e->absent_since_ns = mono_ns();
}

/* 0 and the name, -ENODEV for a fresh "no such device", 1 when the cache
 * does not know (missing or expired). */
static int link_answer(const struct skbd_netdev *nd, __u32 netns, __u32 ifindex, char name[NAME_SIZE])
{
	const struct link_ent *e = link_find(nd, netns, ifindex);

	if (!e)
		return 1;
	if (!e->absent_until) {
		memcpy(name, e->name, NAME_SIZE);
		return 0;
	}
	return now_ms() < e->absent_until ? -ENODEV : 1;
}

/* ---- messages ---- */

static bool is_answer(const struct walk *w, const struct nlmsghdr *nlh)
{
	return w->any || (w->awaiting && nlh->nlmsg_seq == w->seq && nlh->nlmsg_pid == w->portid);
}

/* RTM_NEWLINK / RTM_DELLINK. Returns 1 if applied, 0 if not for us, -EBADMSG. */
static int apply_link(struct skbd_netdev *nd, __u32 netns, const struct nlmsghdr *nlh)
{
	const struct ifinfomsg *ifi;
	const char *name = NULL;
	size_t off, len = nlh->nlmsg_len;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
		return -EBADMSG;
	ifi = mnl_nlmsg_get_payload(nlh);
	if (ifi->ifi_index <= 0)
		return -EBADMSG;
	/* The bridge reports port events with family AF_BRIDGE in the same
	 * message types (a port leaving its bridge is an RTM_DELLINK for a
	 * device that stays): only AF_UNSPEC messages are about the device. */
	if (ifi->ifi_family != AF_UNSPEC)
		return 0;
	if (nlh->nlmsg_type == RTM_DELLINK) {
		link_set_absent(nd, netns, (__u32)ifi->ifi_index);
		return 1;
	}
	/* Walk by offsets inside nlmsg_len (not the aligned tail libmnl's
	 * iterators use): a last message without padding is not over-read. */
	for (off = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(*ifi)); off < len;) {
		const struct nlattr *attr = (const struct nlattr *)((const char *)nlh + off);

		if (!mnl_attr_ok(attr, (int)(len - off)))
			return -EBADMSG;
		if (mnl_attr_get_type(attr) == IFLA_IFNAME) {
			if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
				return -EBADMSG;
			name = mnl_attr_get_str(attr);
			if (!name[0] || strlen(name) >= NAME_SIZE)
				return -EBADMSG;
		}
		off += MNL_ALIGN(attr->nla_len);
	}
	if (!name)
		return -EBADMSG;
	link_set_name(nd, netns, (__u32)ifi->ifi_index, name, nlh->nlmsg_seq == 0 && nlh->nlmsg_pid == 0);
	return 1;
}

static int apply_error(struct skbd_netdev *nd, __u32 netns, const struct nlmsghdr *nlh, struct walk *w)
{
	const struct nlmsgerr *e;
	bool answer = is_answer(w, nlh);

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*e))
		return -EBADMSG;
	e = mnl_nlmsg_get_payload(nlh);
	if (e->error > 0 || e->error < -4095)
		return -EBADMSG;
	if (e->error == -ENODEV && (w->any || nlh->nlmsg_pid == w->portid)) {
		__u32 ifindex = answer ? w->ifindex : 0;

		/* Without NETLINK_CAP_ACK the kernel echoes our request: an older
		 * answer, or a recorded one, still names the device asked for. */
		if (!ifindex && mnl_nlmsg_get_payload_len(nlh) >= sizeof(*e) + sizeof(struct ifinfomsg) &&
		    e->msg.nlmsg_type == RTM_GETLINK) {
			const struct ifinfomsg *ifi = (const void *)(e + 1);

			if (ifi->ifi_index > 0)
				ifindex = (__u32)ifi->ifi_index;
		}
		if (ifindex)
			link_set_absent(nd, netns, ifindex);
	}
	if (answer) {
		w->done = true;
		if (!w->err)
			w->err = e->error;
	}
	return 0;
}

static int apply_msg(struct skbd_netdev *nd, __u32 netns, const struct nlmsghdr *nlh, struct walk *w)
{
	int ret;

	if (is_answer(w, nlh) && (nlh->nlmsg_flags & NLM_F_DUMP_INTR))
		w->intr = true;
	switch (nlh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		ret = apply_link(nd, netns, nlh);
		if (ret < 0)
			return ret;
		w->applied += ret;
		/* the answer to a single-device request is one non-multipart NEWLINK */
		if (nlh->nlmsg_type == RTM_NEWLINK && !(nlh->nlmsg_flags & NLM_F_MULTI) && is_answer(w, nlh))
			w->done = true;
		return 0;
	case NLMSG_ERROR:
		return apply_error(nd, netns, nlh, w);
	case NLMSG_DONE:
		if (is_answer(w, nlh)) {
			/* the dump's own error, if any, follows the header */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int)) {
				int err;

				memcpy(&err, mnl_nlmsg_get_payload(nlh), sizeof(err));
				if (err < 0 && err >= -4095 && !w->err)
					w->err = err;
			}
			w->done = true;
		}
		return 0;
	default:
		return 0; /* NOOP, OVERRUN, other rtnetlink types */
	}
}

/* Apply every message of buf (4-byte aligned). 0 or -EBADMSG; messages
 * before a malformed one stay applied. */
static int walk_buf(struct skbd_netdev *nd, __u32 netns, const void *buf, size_t len, struct walk *w)
{
	const struct nlmsghdr *nlh = buf;
	int left = (int)len, err;

	while (left > 0) {
		/* mnl_nlmsg_ok() (libmnl 1.0.4) compares nlmsg_len as an int: a
		 * length of 2 GiB or more would pass, so check it unsigned first */
		if (left < (int)sizeof(*nlh) || nlh->nlmsg_len > (__u32)left || !mnl_nlmsg_ok(nlh, left))
			return -EBADMSG;
		err = apply_msg(nd, netns, nlh, w);
		if (err)
			return err;
		nlh = mnl_nlmsg_next(nlh, &left);
	}
	return 0;
}

int skbd_netdev__parse(struct skbd_netdev *nd, __u32 netns, const void *buf, size_t len)
{
	struct walk w = { .any = true };
	int err;

	if (!nd || !netns || (len && !buf) || len > INT_MAX || ((uintptr_t)buf & (MNL_ALIGNTO - 1)))
		return -EINVAL;
	nd->applying_since_ns = mono_ns(); /* nothing known about earlier reads */
	err = walk_buf(nd, netns, buf, len, &w);
	if (err)
		return err;
	return w.err ? w.err : w.applied;
}

/* ---- namespaces ---- */

static __u32 ns_slot(const struct skbd_netdev *nd, __u32 inode)
{
	__u32 i = mix(inode) & (NS_SLOTS - 1);

	while (nd->ns[i] && nd->ns[i]->inode != inode)
		i = (i + 1) & (NS_SLOTS - 1);
	return i;
}

static void ns_close(struct skbd_netdev *nd, struct ns_ent *ns)
{
	if (ns->nl) {
		mnl_socket_close(ns->nl);
		ns->nl = NULL;
	}
	link_flush_ns(nd, ns->inode);
}

/* Forget the namespace in slot i; backward-shift deletion keeps every
 * probe sequence unbroken without tombstones. */
static void ns_remove(struct skbd_netdev *nd, __u32 i)
{
	__u32 j = i;

	ns_close(nd, nd->ns[i]);
	free(nd->ns[i]);
	nd->ns[i] = NULL;
	nd->ns_cnt--;
	for (;;) {
		__u32 home;

		j = (j + 1) & (NS_SLOTS - 1);
		if (!nd->ns[j])
			return;
		home = mix(nd->ns[j]->inode) & (NS_SLOTS - 1);
		/* stays if its home lies cyclically in (i, j] */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		nd->ns[i] = nd->ns[j];
		nd->ns[j] = NULL;
		i = j;
	}
}

static struct ns_ent *ns_get(struct skbd_netdev *nd, __u32 inode)
{
	__u32 i = ns_slot(nd, inode);
	struct ns_ent *ns;

	if (nd->ns[i])
		return nd->ns[i];
	if (nd->ns_cnt >= NS_MAX) {
		/* evict another namespace than ours, round robin */
		for (__u32 n = 0; n < NS_SLOTS; n++) {
			__u32 v = nd->ns_hand++ & (NS_SLOTS - 1);

			if (nd->ns[v] && nd->ns[v]->inode != nd->self) {
				skbd_log(SKBD_LOG_DEBUG, "netdev: %u namespaces known, forgetting netns %u",
					 nd->ns_cnt, nd->ns[v]->inode);
				ns_remove(nd, v);
				break;
			}
		}
		i = ns_slot(nd, inode);
	}
	ns = calloc(1, sizeof(*ns));
	if (!ns)
		return NULL;
	ns->inode = inode;
	nd->ns[i] = ns;
	nd->ns_cnt++;
	return ns;
}

/* Why a namespace cannot be opened: a warning the first time, then debug
 * (it is retried every second). */
static void ns_warn(struct ns_ent *ns, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ns_warn(struct ns_ent *ns, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	skbd_log(ns->warned ? SKBD_LOG_DEBUG : SKBD_LOG_WARN, "%s", msg);
	ns->warned = true;
}

static bool ns_file_is(const struct skbd_netdev *nd, const struct stat *st, __u32 inode)
{
	return st->st_ino == inode && st->st_dev == nd->nsfs_dev;
}

/* Runs in the namespace's helper thread (skbd_netns__run): a socket belongs
 * for good to the namespace it is created in. */
static int open_socket(void *arg)
{
	struct mnl_socket **nl = arg;

	*nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	return *nl ? 0 : -errno;
}

static int open_in_ns(struct ns_ent *ns, struct mnl_socket **out)
{
	struct mnl_socket *nl = NULL;
	int err;

	if (skbd_netns__find(ns->inode, ns->path, sizeof(ns->path))) {
		skbd_log(SKBD_LOG_DEBUG, "netdev: netns %u: no path to it in /run/netns or /proc", ns->inode);
		return -ENOENT;
	}
	err = skbd_netns__run(ns->path, ns->inode, open_socket, &nl);
	if (err == -ENOENT || err == -ESTALE) { /* the process left, or its pid was reused */
		skbd_log(SKBD_LOG_DEBUG, "netdev: netns %u: cannot open %s: %s", ns->inode, ns->path, strerror(-err));
		return -ENOENT;
	}
	if (err) {
		ns_warn(ns, "netdev: netns %u: cannot open a netlink socket in %s: %s", ns->inode, ns->path,
			strerror(-err));
		return -ENOENT;
	}
	*out = nl;
	return 0;
}

/* The cookie of the namespace fd's socket lives in: unique for the boot
 * (5.14+); 0 when the kernel cannot tell. */
static __u64 netns_cookie(int fd)
{
	__u64 cookie = 0;
	socklen_t len = sizeof(cookie);

#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &cookie, &len) < 0 || len != sizeof(cookie))
		return 0;
	return cookie;
}

static int ns_open(struct skbd_netdev *nd, struct ns_ent *ns)
{
	struct mnl_socket *nl;
	int err, rcvbuf = 1 << 20;

	if (ns->inode == nd->self) {
		ns->path[0] = '\0';
		nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (!nl) {
			err = -errno;
			ns_warn(ns, "netdev: cannot open a netlink socket: %s", strerror(-err));
			return err;
		}
	} else {
		err = open_in_ns(ns, &nl);
		if (err)
			return err;
	}
	/* subscribe before the dump: every change it could miss is notified */
	if (mnl_socket_bind(nl, RTMGRP_LINK, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		mnl_socket_close(nl);
		ns_warn(ns, "netdev: netns %u: cannot bind the netlink socket: %s", ns->inode, strerror(-err));
		return err;
	}
	/* room for bursts of notifications (capped by net.core.rmem_max) */
	setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	ns->nl = nl;
	ns->portid = mnl_socket_get_portid(nl);
	ns->cookie = netns_cookie(mnl_socket_get_fd(nl));
	ns->need_dump = true;
	ns->alive_ms = now_ms();
	return 0;
}

/* Notifications were lost (ENOBUFS) or unreadable: what the cache holds for
 * the namespace may be stale. Forget it; the next miss dumps again. */
static void ns_lost(struct skbd_netdev *nd, struct ns_ent *ns, const char *why)
{
	skbd_log(SKBD_LOG_DEBUG, "netdev: netns %u: %s, device cache flushed", ns->inode, why);
	link_flush_ns(nd, ns->inode);
	ns->need_dump = true;
}

/* One datagram into nd->rx: its length (0: not from the kernel, skipped),
 * -EAGAIN when none is queued, -ENOBUFS when some were lost, or -errno. */
static ssize_t ns_recv(struct skbd_netdev *nd, struct ns_ent *ns)
{
	struct sockaddr_nl sa;
	struct iovec iov = { .iov_base = nd->rx, .iov_len = RX_BUF };
	struct msghdr msg = { .msg_name = &sa, .msg_namelen = sizeof(sa), .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(mnl_socket_get_fd(ns->nl), &msg, MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (msg.msg_flags & MSG_TRUNC)
		return -ENOBUFS; /* the rest of the datagram is gone */
	if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
		return 0;
	return n;
}

static int ns_send_getlink(struct ns_ent *ns, __u32 ifindex, struct walk *w)
{
	/* header, ifinfomsg, one u32 attribute */
	__u32 buf[(MNL_NLMSG_HDRLEN + sizeof(struct ifinfomsg) + MNL_ATTR_HDRLEN + 4) / 4];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | (ifindex ? 0 : NLM_F_DUMP);
	if (++ns->seq == 0)
		ns->seq = 1;
	nlh->nlmsg_seq = ns->seq;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	ifi->ifi_index = (int)ifindex;
	/* only the name is wanted: spare the kernel the statistics */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);
	*w = (struct walk){ .awaiting = true, .seq = ns->seq, .portid = ns->portid, .ifindex = ifindex };
	if (mnl_socket_sendto(ns->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	return 0;
}

/* Read until w's answer, applying every message on the way (notifications
 * interleave with answers; NEWLINK/DELLINK are applied whatever their seq).
 * 0 or the answer's error, -ENOBUFS when notifications were lost, -ETIMEDOUT
 * at deadline_ms, -EBADMSG, -errno. */
static int ns_await(struct skbd_netdev *nd, struct ns_ent *ns, struct walk *w, __u64 deadline_ms)
{
	nd->applying_since_ns = ns->synced_ns ? ns->synced_ns : mono_ns();
	for (;;) {
		ssize_t n = ns_recv(nd, ns);
		int err;

		if (n == -EAGAIN) {
			struct pollfd pfd = { .fd = mnl_socket_get_fd(ns->nl), .events = POLLIN };
			__u64 now = now_ms();

			if (now >= deadline_ms)
				return -ETIMEDOUT;
			if (poll(&pfd, 1, (int)(deadline_ms - now)) < 0 && errno != EINTR)
				return -errno;
			continue;
		}
		if (n == -ENOBUFS) {
			ns_lost(nd, ns, "link notifications lost");
			return -ENOBUFS;
		}
		if (n < 0)
			return (int)n;
		err = walk_buf(nd, ns->inode, nd->rx, (size_t)n, w);
		if (err) {
			skbd_log(SKBD_LOG_WARN, "netdev: netns %u: malformed rtnetlink message from the kernel",
				 ns->inode);
			ns_lost(nd, ns, "malformed message");
			return err;
		}
		if (w->done)
			return w->err;
		/* a stream of notifications must not hold us past the deadline */
		if (now_ms() >= deadline_ms)
			return -ETIMEDOUT;
	}
}

/* Throw away what is queued (finishing any dump in progress). 0, or -EBUSY
 * when the queue does not run dry. */
static int ns_discard(struct skbd_netdev *nd, struct ns_ent *ns)
{
	for (int i = 0; i < DISCARD_MAX; i++) {
		ssize_t n = ns_recv(nd, ns);

		if (n == -EAGAIN)
			return 0;
		if (n < 0 && n != -ENOBUFS)
			return (int)n;
	}
	return -EBUSY;
}

/* Fill the namespace's cache from one RTM_GETLINK dump on the subscribed
 * socket. Answers and notifications interleave on it, in the order the
 * kernel produced them; NEWLINK/DELLINK are applied whatever their seq, so
 * the cache follows that order. Before the dump the queue is emptied and the
 * cache flushed: what is read afterwards is newer than any loss. A dump that
 * lost messages (ENOBUFS) or saw NLM_F_DUMP_INTR is done again. */
static int ns_dump(struct skbd_netdev *nd, struct ns_ent *ns)
{
	__u64 deadline = now_ms() + REPLY_WAIT_MS;
	struct walk w;
	int err;

	for (int tries = 1;; tries++) {
		err = ns_discard(nd, ns);
		if (err)
			return err;
		__u64 t = mono_ns();

		link_flush_ns(nd, ns->inode);
		ns->need_dump = false;
		err = ns_send_getlink(ns, 0, &w);
		if (!err)
			err = ns_await(nd, ns, &w, deadline);
		if (!err && (!w.intr || tries >= DUMP_TRIES)) {
			ns->synced_ns = t; /* the dump holds every device from before t */
			return 0; /* (an interrupted last try: notifications fill the gaps) */
		}
		ns->need_dump = true;
		if (err != -ENOBUFS && err != 0)
			return err;
		if (tries >= DUMP_TRIES)
			return -EAGAIN;
	}
}

/* Ask the kernel about one device: 0 (cached), -ENODEV (cached as absent),
 * -ENOBUFS, -ETIMEDOUT, -errno. */
static int ns_query(struct skbd_netdev *nd, struct ns_ent *ns, __u32 ifindex)
{
	struct walk w;
	int err = ns_send_getlink(ns, ifindex, &w);

	if (err)
		return err;
	return ns_await(nd, ns, &w, now_ms() + REPLY_WAIT_MS);
}

/* A namespace we cannot enter is tried again after 1 s, then 2, 4, ... up to
 * a minute: finding a way in scans /proc (a stat per process), which must not
 * run every second for every unreachable namespace. */
static int ns_fail(struct ns_ent *ns, int err)
{
	if (ns->err != err) {
		skbd_log(err == -ENOENT ? SKBD_LOG_DEBUG : SKBD_LOG_WARN, "netdev: netns %u: %s (retried in %d ms)",
			 ns->inode, strerror(-err), NEG_TTL_MS);
		ns->backoff_ms = NEG_TTL_MS;
	} else if (ns->backoff_ms < NEG_MAX_MS) {
		ns->backoff_ms *= 2;
	}
	ns->err = err;
	ns->retry_ms = now_ms() + ns->backoff_ms;
	return err;
}

static int ifname_slow(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, char name[NAME_SIZE])
{
	struct ns_ent *ns = ns_get(nd, netns);
	int err;

	if (!ns)
		return -ENOMEM;
	if (ns->err && now_ms() < ns->retry_ms)
		return ns->err;
	if (!ns->nl) {
		err = ns_open(nd, ns);
		if (err)
			return ns_fail(ns, err);
	}
	for (int tries = 0; tries < 2; tries++) {
		if (ns->need_dump) {
			err = ns_dump(nd, ns);
			if (err)
				return ns_fail(ns, err);
			/* the dump is the whole truth: a device it did not list is absent */
			if (!link_find(nd, netns, ifindex))
				link_set_absent(nd, netns, ifindex);
		} else {
			err = ns_query(nd, ns, ifindex);
			if (err == -ENOBUFS)
				continue; /* ns_lost() asked for a dump */
			if (err && err != -ENODEV)
				return ns_fail(ns, err);
		}
		ns->err = 0;
		err = link_answer(nd, netns, ifindex, name);
		return err == 1 ? -ENODEV : err;
	}
	return ns_fail(ns, -EAGAIN);
}

bool skbd_netdev__same_netns(struct skbd_netdev *nd, __u32 netns, __u64 cookie)
{
	const struct ns_ent *ns;

	if (!nd || !netns || !cookie)
		return true;
	ns = nd->ns[ns_slot(nd, netns)];
	return !(ns && ns->inode == netns && ns->nl && ns->cookie && ns->cookie != cookie);
}

int skbd_netdev__ifname_at(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, __u64 when_ns, __u64 cookie,
			   char name[16])
{
	const struct link_ent *e;
	int ret = skbd_netdev__ifname(nd, netns, ifindex, name);

	if (ret)
		return ret;
	/* the answer came from the namespace that has the inode now: the drop's
	 * only if the cookies agree */
	if (!skbd_netdev__same_netns(nd, netns, cookie)) {
		name[0] = '\0';
		return -ENODEV;
	}
	if (!when_ns)
		return 0;
	e = link_find(nd, netns, ifindex);
	if (e && e->born_ns > when_ns) { /* this device came after the drop: not its drop */
		name[0] = '\0';
		return -ENODEV;
	}
	return 0;
}

int skbd_netdev__ifname(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, char name[16])
{
	int ret;

	if (!nd || !netns)
		return -ENOENT;
	if (!ifindex || ifindex > INT_MAX)
		return -ENODEV;
	ret = link_answer(nd, netns, ifindex, name);
	if (ret <= 0)
		return ret; /* the hot path: no syscall */
	return ifname_slow(nd, netns, ifindex, name);
}

/* ---- refresh ---- */

static void ns_drain(struct skbd_netdev *nd, struct ns_ent *ns)
{
	struct walk w = { .portid = ns->portid };

	nd->applying_since_ns = ns->synced_ns ? ns->synced_ns : mono_ns();
	for (int i = 0; i < DRAIN_MAX; i++) {
		__u64 t = mono_ns();
		ssize_t n = ns_recv(nd, ns);

		if (n == -EAGAIN) {
			ns->synced_ns = t; /* everything sent before t has been applied */
			return;
		}
		if (n == -ENOBUFS) {
			/* what is still queued may predate the loss: drop it too */
			ns_discard(nd, ns);
			ns_lost(nd, ns, "link notifications lost");
			return;
		}
		if (n < 0) {
			skbd_log(SKBD_LOG_DEBUG, "netdev: netns %u: recv: %s", ns->inode, strerror((int)-n));
			return;
		}
		if (walk_buf(nd, ns->inode, nd->rx, (size_t)n, &w)) {
			skbd_log(SKBD_LOG_WARN, "netdev: netns %u: malformed rtnetlink message from the kernel",
				 ns->inode);
			ns_lost(nd, ns, "malformed message");
			return;
		}
	}
}

static void names_scan(struct skbd_netdev *nd);

/* Our socket keeps its namespace alive: once nothing else leads to the
 * namespace (no /run/netns file, no process in it), close the socket so the
 * kernel can destroy it (and its devices). */
static void ns_check_alive(struct skbd_netdev *nd, struct ns_ent *ns)
{
	struct stat st;

	if (ns->path[0] && stat(ns->path, &st) == 0 && ns_file_is(nd, &st, ns->inode))
		return;
	if (skbd_netns__find(ns->inode, ns->path, sizeof(ns->path)) == 0)
		return;
	skbd_log(SKBD_LOG_DEBUG, "netdev: netns %u: gone, socket closed", ns->inode);
	ns_close(nd, ns);
	names_scan(nd); /* its inode may be given to a new namespace: forget its name now */
	ns->err = -ENOENT;
	ns->retry_ms = now_ms() + NEG_TTL_MS;
}

void skbd_netdev__refresh(struct skbd_netdev *nd)
{
	__u64 now;
	bool check;

	if (!nd)
		return;
	now = now_ms();
	check = now - nd->alive_ms >= ALIVE_GAP_MS;
	if (check)
		nd->alive_ms = now;
	for (__u32 i = 0; i < NS_SLOTS; i++) {
		struct ns_ent *ns = nd->ns[i];

		if (!ns || !ns->nl)
			continue;
		ns_drain(nd, ns);
		if (check && ns->inode != nd->self)
			ns_check_alive(nd, ns);
	}
	if (nd->names_scanned && now - nd->names_ms >= NAMES_STALE_MS)
		names_scan(nd);
}

/* ---- /run/netns names ---- */

static void names_free(struct name_tab *t)
{
	for (size_t i = 0; i < t->cnt; i++)
		free(t->ents[i].name);
	free(t->ents);
	t->ents = NULL;
	t->cnt = 0;
}

static int name_cmp(const void *a, const void *b)
{
	const struct name_ent *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Read /run/netns into a new table; the previous one is kept one scan
 * longer, so a name handed out just before stays valid. */
static void names_scan(struct skbd_netdev *nd)
{
	struct name_tab t = { 0 };
	size_t cap = 0, out = 0;
	struct dirent *de;
	DIR *d;

	nd->names_scanned = true;
	nd->names_ms = now_ms();
	d = opendir("/run/netns");
	while (d && (de = readdir(d)) && t.cnt < NAMES_MAX) {
		char path[NS_PATH_SIZE];
		struct stat st;
		int len;

		if (de->d_name[0] == '.')
			continue;
		len = snprintf(path, sizeof(path), "/run/netns/%s", de->d_name);
		if (len < 0 || (size_t)len >= sizeof(path))
			continue;
		/* a file not (or no longer) bound to a namespace is skipped */
		if (stat(path, &st) || st.st_dev != nd->nsfs_dev || !st.st_ino || st.st_ino > UINT32_MAX)
			continue;
		if (t.cnt == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			struct name_ent *p = realloc(t.ents, ncap * sizeof(*p));

			if (!p)
				break;
			t.ents = p;
			cap = ncap;
		}
		t.ents[t.cnt].name = strndup(de->d_name, NAME_MAX);
		if (!t.ents[t.cnt].name)
			break;
		t.ents[t.cnt++].inode = (__u32)st.st_ino;
	}
	if (d)
		closedir(d);
	if (t.cnt)
		qsort(t.ents, t.cnt, sizeof(*t.ents), name_cmp);
	/* several names for one namespace: the first in byte order */
	for (size_t i = 0; i < t.cnt; i++) {
		if (out && t.ents[out - 1].inode == t.ents[i].inode)
			free(t.ents[i].name);
		else
			t.ents[out++] = t.ents[i];
	}
	t.cnt = out;
	names_free(&nd->names_old);
	nd->names_old = nd->names;
	nd->names = t;
}

static const char *names_find(const struct name_tab *t, __u32 inode)
{
	size_t lo = 0, hi = t->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ents[mid].inode == inode)
			return t->ents[mid].name;
		if (t->ents[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

const char *skbd_netdev__netns_name(struct skbd_netdev *nd, __u32 netns)
{
	const char *name;

	if (!nd || !netns)
		return NULL;
	name = names_find(&nd->names, netns);
	if (name)
		return name;
	if (nd->names_scanned && now_ms() - nd->names_ms < SCAN_GAP_MS)
		return NULL;
	names_scan(nd);
	return names_find(&nd->names, netns);
}

/* ---- object ---- */

__u32 skbd_netdev__self_netns(const struct skbd_netdev *nd)
{
	return nd ? nd->self : 0;
}

int skbd_netdev__open(struct skbd_netdev **out)
{
	struct skbd_netdev *nd;
	struct stat st;
	int err;

	nd = calloc(1, sizeof(*nd));
	if (!nd)
		return -ENOMEM;
	if (stat("/proc/self/ns/net", &st)) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "netdev: stat /proc/self/ns/net: %s", strerror(-err));
		goto err_free;
	}
	if (!st.st_ino || st.st_ino > UINT32_MAX) {
		err = -EINVAL;
		skbd_log(SKBD_LOG_WARN, "netdev: /proc/self/ns/net: unexpected inode %llu",
			 (unsigned long long)st.st_ino);
		goto err_free;
	}
	nd->self = (__u32)st.st_ino;
	nd->nsfs_dev = st.st_dev;
	nd->alive_ms = now_ms();
	nd->rx = malloc(RX_BUF);
	nd->links = calloc(LINK_MIN_SLOTS, sizeof(*nd->links));
	if (!nd->rx || !nd->links) {
		err = -ENOMEM;
		goto err_free;
	}
	nd->link_mask = LINK_MIN_SLOTS - 1;
	*out = nd;
	return 0;

err_free:
	skbd_netdev__close(nd);
	return err;
}

void skbd_netdev__close(struct skbd_netdev *nd)
{
	if (!nd)
		return;
	for (__u32 i = 0; i < NS_SLOTS; i++) {
		if (!nd->ns[i])
			continue;
		if (nd->ns[i]->nl)
			mnl_socket_close(nd->ns[i]->nl);
		free(nd->ns[i]);
	}
	names_free(&nd->names);
	names_free(&nd->names_old);
	free(nd->links);
	free(nd->rx);
	free(nd);
}
