/* SPDX-License-Identifier: GPL-2.0-only */
/* ifindex + network namespace -> device name, and netns inode -> name under
 * /run/netns. The only code that includes libmnl. One NETLINK_ROUTE socket
 * per namespace, opened inside it (by a short-lived helper thread that
 * setns()es; the caller's thread never changes namespace), subscribed to
 * RTMGRP_LINK so the per-(netns, ifindex) cache follows renames and
 * deletions. Not thread-safe: one caller at a time. */
#ifndef SKBDROP_NETDEV_H
#define SKBDROP_NETDEV_H

#include <stddef.h>
#include <stdbool.h>
#include <linux/types.h>

struct skbd_netdev;

/* Notes our own netns inode; opens sockets lazily. 0 or -errno. */
int skbd_netdev__open(struct skbd_netdev **out);
void skbd_netdev__close(struct skbd_netdev *nd);

/* Inode of the namespace the process runs in. */
__u32 skbd_netdev__self_netns(const struct skbd_netdev *nd);

/* Name of device ifindex in the netns with inode netns (IFNAMSIZ buffer).
 * 0: found. -ENODEV: no such device there now (e.g. deleted). -ENOENT: the
 * namespace cannot be found or entered (gone, or no path to it). Other
 * -errno: netlink failure. A cache hit costs no syscall. */
int skbd_netdev__ifname(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, char name[16]);

/* The same for a drop at when_ns (CLOCK_MONOTONIC, as bpf_ktime_get_ns) in
 * the namespace whose cookie is cookie: -ENODEV also when the device now at
 * that ifindex was announced after when_ns (an ifindex reused by a new device
 * is never named for an older drop), and when the namespace now at that inode
 * has another cookie (the drop's namespace is gone and a new one got its
 * inode). when_ns 0, cookie 0 (unknown: before 5.14): no such check. */
int skbd_netdev__ifname_at(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, __u64 when_ns, __u64 cookie,
			   char name[16]);

/* false when the namespace now at inode netns is known (its socket is open)
 * and has another cookie than cookie: the drop's namespace is gone and a new
 * one got its inode. true otherwise. */
bool skbd_netdev__same_netns(struct skbd_netdev *nd, __u32 netns, __u64 cookie);

/* "blue" when /run/netns/blue is the namespace with that inode; NULL when it
 * has no name there. Misses rescan /run/netns at most once a second. The
 * string belongs to nd and stays valid until the second rescan after this
 * call (rescans are at least 1 s apart): copy it to keep it longer. */
const char *skbd_netdev__netns_name(struct skbd_netdev *nd, __u32 netns);

/* Apply pending link notifications of every open socket (non-blocking). Call
 * once before formatting each batch of events. Every few seconds it also
 * closes the socket of a namespace nothing else leads to any more (our socket
 * would keep it, and its devices, alive) and rescans /run/netns. */
void skbd_netdev__refresh(struct skbd_netdev *nd);

/* Apply a buffer of rtnetlink messages, as read from a NETLINK_ROUTE socket,
 * to the device cache of namespace netns: RTM_NEWLINK adds or renames,
 * RTM_DELLINK (and an NLMSG_ERROR -ENODEV answering an RTM_GETLINK, which
 * echoes the ifindex asked for) makes the device "absent" for 1 s or until an
 * RTM_NEWLINK. Only AF_UNSPEC link messages count (bridge port messages are
 * skipped); NLMSG_DONE and other types are skipped. No syscall except the
 * clock: for tests and fuzzers. buf must be 4-byte aligned. Returns the number
 * of NEWLINK/DELLINK messages applied; -EBADMSG for malformed bytes (a cut
 * message or attribute, a NEWLINK without a NUL-terminated IFLA_IFNAME of 1-15
 * bytes), messages before the bad one staying applied; otherwise the first
 * error an NLMSG_ERROR or NLMSG_DONE carries; -EINVAL for bad arguments. */
int skbd_netdev__parse(struct skbd_netdev *nd, __u32 netns, const void *buf, size_t len);

#endif
