/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel's own drop counters beside the traced drops: a curated list
 * from /proc/net/snmp, /proc/net/netstat and /proc/net/snmp6 (read inside
 * each network namespace), the devices' IFLA_STATS64 drop fields and the
 * qdiscs' drop counts over netlink, and the per-CPU softnet drops. Snapshots
 * per namespace; what moved since the first one. */
#ifndef SKBDROP_COUNTERS_H
#define SKBDROP_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

/* Whether a counter's drops can also show up as skb:kfree_skb events. */
enum skbd_traced {
	SKBD_TRACED_YES,  /* each one is an event */
	SKBD_TRACED_SOME, /* some paths are events, others not (see the note) */
	SKBD_TRACED_NO,   /* never an event (no skb, or freed with consume_skb) */
};

/* One counter of the curated list. */
struct skbd_counter_def {
	const char *name;    /* as nstat spells it: TcpExtListenOverflows, UdpRcvbufErrors, Ip6InDiscards;
			      * device fields "rx_dropped", ...; "softnet_dropped"; qdisc "drops" */
	const char *meaning;
	enum skbd_traced traced;
	const char *note;    /* for SOME/NO: which drops are not events here */
};

/* The curated list, NULL-terminated by name. */
extern const struct skbd_counter_def skbd_counter_defs[];
/* The definition of name (a device or qdisc counter by its field), or NULL. */
const struct skbd_counter_def *skbd_counter__def(const char *name);

/* Values read at one moment. Names: the counter's, prefixed for devices
 * ("DEV rx_dropped") and qdiscs ("qdisc DEV KIND HANDLE drops"). */
struct skbd_counter_val {
	char name[96];
	__u64 value;
};

struct skbd_counter_snap {
	struct skbd_counter_val *v;
	size_t n, cap;
};

void skbd_counter_snap__free(struct skbd_counter_snap *s);
/* Append (name, value); -ENOMEM. */
int skbd_counter_snap__add(struct skbd_counter_snap *s, const char *name, __u64 value);
/* The value of name: true and *value, or false. */
bool skbd_counter_snap__get(const struct skbd_counter_snap *s, const char *name, __u64 *value);

/* Parsers of outside bytes (never crash on any input; counters not in the
 * list are skipped). Each returns 0, -EINVAL on text that is not of its
 * format (one line saying where in err), -ENOMEM. */
/* /proc/net/snmp and /proc/net/netstat: pairs of "Prefix: Name ..." and
 * "Prefix: value ..." lines; names become PrefixName (TcpExtListenOverflows). */
int skbd_counters__parse_pairs(const char *text, size_t len, struct skbd_counter_snap *out, char *err,
			       size_t err_size);
/* /proc/net/snmp6: "Name value" lines. */
int skbd_counters__parse_snmp6(const char *text, size_t len, struct skbd_counter_snap *out, char *err,
			       size_t err_size);
/* /proc/net/softnet_stat: one line of hex columns per CPU; the second
 * (dropped: the backlog queue was full) summed as softnet_dropped. */
int skbd_counters__parse_softnet(const char *text, size_t len, struct skbd_counter_snap *out, char *err,
				 size_t err_size);
/* One RTM_NEWLINK message (netlink bytes, len of them): its IFLA_STATS64 drop
 * fields as "IFNAME field". 0 (also for a message without stats), -EINVAL. */
int skbd_counters__parse_link(const void *msg, size_t len, struct skbd_counter_snap *out);
/* One RTM_NEWQDISC message: TCA_STATS2/TCA_STATS_QUEUE drops as "qdisc
 * IFNAME KIND MAJ:MIN drops" (ifname from names, a callback's answer; NULL:
 * "ifindex N"). 0, -EINVAL. */
typedef const char *(*skbd_ifname_fn)(void *ctx, __u32 ifindex);
int skbd_counters__parse_qdisc(const void *msg, size_t len, skbd_ifname_fn ifname, void *ctx,
			       struct skbd_counter_snap *out);

/* ---- namespaces ---------------------------------------------------------- */

struct skbd_counters;

/* proc: the procfs root for the per-CPU softnet file (NULL: /proc). */
int skbd_counters__new(struct skbd_counters **out);
void skbd_counters__free(struct skbd_counters *c);
/* Take namespace ino's first snapshot now (0: ours). A namespace given again
 * is kept as it is. 0, -ENOENT (no way into it), -errno. */
int skbd_counters__watch(struct skbd_counters *c, __u32 ino);
/* A new snapshot of namespace ino (0: ours), which must be watched (one that
 * cannot be read any more keeps its last one). 0, -ENOENT (not watched), -errno. */
int skbd_counters__read(struct skbd_counters *c, __u32 ino);

/* What moved in one namespace between its first and last snapshots. */
struct skbd_counter_delta {
	const char *name;
	__u64 delta;
	const struct skbd_counter_def *def;
};

/* The watched namespaces' inodes (*n of them; valid until the next watch). */
const __u32 *skbd_counters__netns(const struct skbd_counters *c, size_t *n);
/* Counters of namespace ino that moved, in the list's order (devices and
 * qdiscs after): *out malloc'd (caller frees), *n entries; names point into
 * c (valid until its next read). 0, -ENOENT (not watched), -ENOMEM. */
int skbd_counters__moved(const struct skbd_counters *c, __u32 ino, struct skbd_counter_delta **out, size_t *n);

#endif
