/* SPDX-License-Identifier: GPL-2.0-only */
/* ifindex + network namespace -> device name, and netns inode -> name under
 * /run/netns. The only code that includes libmnl. One NETLINK_ROUTE socket
 * per namespace, opened inside it (by a short-lived helper thread that
 * setns()es; the caller's thread never changes namespace), subscribed to
 * RTMGRP_LINK so the per-(netns, ifindex) cache follows renames and
 * deletions. */
#ifndef SKBDROP_NETDEV_H
#define SKBDROP_NETDEV_H

#include <stddef.h>
#include <linux/types.h>

struct skbd_netdev;

/* Notes our own netns inode; opens sockets lazily. 0 or -errno. */
int skbd_netdev__new(struct skbd_netdev **out);
void skbd_netdev__free(struct skbd_netdev *nd);

/* Inode of the namespace the process runs in. */
__u32 skbd_netdev__self_netns(const struct skbd_netdev *nd);

/* Name of device ifindex in the netns with inode netns (IFNAMSIZ buffer).
 * 0: found. -ENODEV: no such device there now (e.g. deleted). -ENOENT: the
 * namespace cannot be found or entered (gone, or no path to it). Other
 * -errno: netlink failure. A cache hit costs no syscall. */
int skbd_netdev__ifname(struct skbd_netdev *nd, __u32 netns, __u32 ifindex, char name[16]);

/* "blue" when /run/netns/blue is the namespace with that inode; NULL when it
 * has no name there. Misses rescan /run/netns at most once a second. */
const char *skbd_netdev__netns_name(struct skbd_netdev *nd, __u32 netns);

/* Apply pending link notifications of every open socket (non-blocking). Call
 * once before formatting each batch of events. */
void skbd_netdev__refresh(struct skbd_netdev *nd);

#endif
