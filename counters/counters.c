// SPDX-License-Identifier: GPL-2.0-only
/* Snapshots of the kernel's drop counters per network namespace: the
 * /proc/net files as the namespace shows them (read by a helper thread that
 * entered it, through /proc/thread-self/net), the device and qdisc stats over
 * a NETLINK_ROUTE socket opened inside it, and, for our own namespace, the
 * global per-CPU softnet drops. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <libmnl/libmnl.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <skbdrop/counters.h>
#include <skbdrop/fileio.h>
#include <skbdrop/log.h>
#include <skbdrop/netns.h>

#define PROC_FILE_MAX (1u << 20)
#define NL_WAIT_MS 500
#define IFNAMES_MAX 1024

struct ns_counters {
	__u32 ino;
	struct skbd_counter_snap first, last;
};

struct skbd_counters {
	__u32 own;
	struct ns_counters *ns;
	size_t n, cap;
	__u32 *inos; /* the watched namespaces, for skbd_counters__netns */
};

/* ---- one snapshot, inside the namespace ---- */

struct ifname_ent {
	__u32 ifindex;
	char name[17];
};

struct snap_job {
	struct skbd_counter_snap *out;
	bool softnet;
	struct ifname_ent names[IFNAMES_MAX];
	size_t nr_names;
	int err;
};

static void read_proc(struct snap_job *job, const char *path,
		      int (*parse)(const char *, size_t, struct skbd_counter_snap *, char *, size_t))
{
	char *text = NULL, err[128];
	size_t len = 0;
	int e = skbd_read_file(path, PROC_FILE_MAX, &text, &len);

	if (e) {
		if (e != -ENOENT) /* snmp6 without IPv6 */
			skbd_log(SKBD_LOG_DEBUG, "counters: %s: %s", path, strerror(-e));
		return;
	}
	e = parse(text, len, job->out, err, sizeof(err));
	if (e == -ENOMEM)
		job->err = e;
	else if (e)
		skbd_log(SKBD_LOG_WARN, "warning: %s: %s", path, err);
	free(text);
}

static const char *job_ifname(void *ctx, __u32 ifindex)
{
	struct snap_job *job = ctx;

	for (size_t i = 0; i < job->nr_names; i++)
		if (job->names[i].ifindex == ifindex)
			return job->names[i].name;
	return NULL;
}

struct dump_ctx {
	struct snap_job *job;
	int type;
};

static int on_dump_msg(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *d = data;
	int err;

	if (d->type == RTM_GETLINK) {
		const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
		struct nlattr *a;

		if (mnl_nlmsg_get_payload_len(nlh) < sizeof(*ifi))
			return MNL_CB_ERROR;
		mnl_attr_for_each(a, nlh, sizeof(*ifi)) {
			if (mnl_attr_get_type(a) == IFLA_IFNAME && mnl_attr_validate(a, MNL_TYPE_NUL_STRING) == 0 &&
			    d->job->nr_names < IFNAMES_MAX) {
				struct ifname_ent *e = &d->job->names[d->job->nr_names++];

				e->ifindex = (__u32)ifi->ifi_index;
				snprintf(e->name, sizeof(e->name), "%s", mnl_attr_get_str(a));
			}
		}
		err = skbd_counters__parse_link(nlh, nlh->nlmsg_len, d->job->out);
	} else {
		err = skbd_counters__parse_qdisc(nlh, nlh->nlmsg_len, job_ifname, d->job, d->job->out);
	}
	if (err == -ENOMEM)
		d->job->err = err;
	return err == -ENOMEM ? MNL_CB_ERROR : MNL_CB_OK;
}

/* One dump (RTM_GETLINK or RTM_GETQDISC) through nl. 0 or -errno. */
static int dump(struct mnl_socket *nl, struct snap_job *job, int type)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct dump_ctx d = { job, type };
	unsigned int seq = (unsigned int)time(NULL) ^ (unsigned int)type;
	struct pollfd pfd = { .fd = mnl_socket_get_fd(nl), .events = POLLIN };
	int ret;

	nlh->nlmsg_type = (__u16)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	if (type == RTM_GETLINK)
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct ifinfomsg));
	else
		mnl_nlmsg_put_extra_header(nlh, sizeof(struct tcmsg));
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (poll(&pfd, 1, NL_WAIT_MS) <= 0)
			return -ETIMEDOUT;
		n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(nl), on_dump_msg, &d);
		if (ret == MNL_CB_ERROR)
			return job->err ? job->err : -errno;
		if (ret == MNL_CB_STOP)
			return 0;
	}
}

/* Runs inside the namespace (skbd_netns__run). */
static int snapshot_here(void *arg)
{
	struct snap_job *job = arg;
	struct mnl_socket *nl;
	int err;

	read_proc(job, "/proc/thread-self/net/snmp", skbd_counters__parse_pairs);
	read_proc(job, "/proc/thread-self/net/netstat", skbd_counters__parse_pairs);
	read_proc(job, "/proc/thread-self/net/snmp6", skbd_counters__parse_snmp6);
	if (job->softnet)
		read_proc(job, "/proc/net/softnet_stat", skbd_counters__parse_softnet);
	nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC | SOCK_NONBLOCK);
	if (!nl || mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		skbd_log(SKBD_LOG_DEBUG, "counters: netlink: %s", strerror(errno));
		if (nl)
			mnl_socket_close(nl);
		return job->err;
	}
	err = dump(nl, job, RTM_GETLINK);
	if (!err)
		err = dump(nl, job, RTM_GETQDISC);
	if (err && err != -ENOMEM)
		skbd_log(SKBD_LOG_DEBUG, "counters: netlink dump: %s", strerror(-err));
	mnl_socket_close(nl);
	return job->err;
}

static int snapshot(const struct skbd_counters *c, __u32 ino, struct skbd_counter_snap *out)
{
	struct snap_job *job = calloc(1, sizeof(*job));
	char path[256] = "";
	int err;

	if (!job)
		return -ENOMEM;
	job->out = out;
	job->softnet = ino == c->own; /* per CPU, for the whole host: shown once */
	if (ino != c->own && skbd_netns__find(ino, path, sizeof(path))) {
		free(job);
		return -ENOENT;
	}
	err = skbd_netns__run(path, ino == c->own ? 0 : ino, snapshot_here, job);
	free(job);
	return err;
}

/* ---- the set ---- */

int skbd_counters__new(struct skbd_counters **out)
{
	struct skbd_counters *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	if (skbd_netns__inode("/proc/self/ns/net", &c->own))
		c->own = 0;
	*out = c;
	return 0;
}

void skbd_counters__free(struct skbd_counters *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		skbd_counter_snap__free(&c->ns[i].first);
		skbd_counter_snap__free(&c->ns[i].last);
	}
	free(c->ns);
	free(c->inos);
	free(c);
}

static struct ns_counters *find_ns(const struct skbd_counters *c, __u32 ino)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->ns[i].ino == ino)
			return &c->ns[i];
	return NULL;
}

int skbd_counters__watch(struct skbd_counters *c, __u32 ino)
{
	struct skbd_counter_snap s = { 0 };
	struct ns_counters *e;
	int err;

	if (!ino)
		ino = c->own;
	if (find_ns(c, ino))
		return 0;
	if (c->n == c->cap) {
		size_t cap = c->cap ? 2 * c->cap : 8;
		struct ns_counters *v = realloc(c->ns, cap * sizeof(*v));
		__u32 *inos;

		if (!v)
			return -ENOMEM;
		c->ns = v;
		inos = realloc(c->inos, cap * sizeof(*inos));
		if (!inos)
			return -ENOMEM;
		c->inos = inos;
		c->cap = cap;
	}
	err = snapshot(c, ino, &s);
	if (err) {
		skbd_counter_snap__free(&s);
		return err;
	}
	e = &c->ns[c->n];
	e->ino = ino;
	e->first = s;
	e->last = (struct skbd_counter_snap){ 0 };
	c->inos[c->n++] = ino;
	return 0;
}

int skbd_counters__read(struct skbd_counters *c, __u32 ino)
{
	struct ns_counters *e = find_ns(c, ino ? ino : c->own);
	struct skbd_counter_snap s = { 0 };
	int err;

	if (!e)
		return -ENOENT;
	err = snapshot(c, e->ino, &s);
	if (err) {
		skbd_counter_snap__free(&s); /* gone: its last snapshot stays */
		return err;
	}
	skbd_counter_snap__free(&e->last);
	e->last = s;
	return 0;
}

const __u32 *skbd_counters__netns(const struct skbd_counters *c, size_t *n)
{
	*n = c->n;
	return c->inos;
}

int skbd_counters__moved(const struct skbd_counters *c, __u32 ino, struct skbd_counter_delta **out, size_t *n)
{
	const struct ns_counters *e = find_ns(c, ino ? ino : c->own);
	struct skbd_counter_delta *v;
	size_t k = 0;

	*out = NULL;
	*n = 0;
	if (!e)
		return -ENOENT;
	if (!e->last.n)
		return 0;
	v = calloc(e->last.n, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < e->last.n; i++) {
		const struct skbd_counter_val *cur = &e->last.v[i];
		__u64 before = 0;

		/* a counter that went down was reset (a device re-created): all of it is new;
		 * one missing from the first snapshot (a new device) counts from 0 */
		if (skbd_counter_snap__get(&e->first, cur->name, &before) && cur->value < before)
			before = 0;
		if (cur->value == before)
			continue;
		v[k].name = cur->name;
		v[k].delta = cur->value - before;
		v[k].def = skbd_counter__def(cur->name);
		k++;
	}
	*out = v;
	*n = k;
	return 0;
}
