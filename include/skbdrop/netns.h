/* SPDX-License-Identifier: GPL-2.0-only */
/* Network namespace files: the one search for a way into a namespace by its
 * inode (/run/netns, then /proc/PID/ns/net), work done inside a namespace by
 * a short-lived helper thread (the caller's thread never changes namespace),
 * and the --netns / --device arguments built on them. */
#ifndef SKBDROP_NETNS_H
#define SKBDROP_NETNS_H

#include <stddef.h>
#include <linux/types.h>

/* Runs inside the namespace: 0 or -errno (passed back by skbd_netns__run). */
typedef int (*skbd_netns_fn)(void *arg);

/* The inode of the network namespace file at path: 0 and *ino, -EINVAL when
 * it is not a namespace file (another filesystem than ours) or a namespace
 * of another type (/proc/PID/ns/mnt), -errno of stat/open. */
int skbd_netns__inode(const char *path, __u32 *ino);

/* A path to the network namespace with inode ino: /run/netns/<name>, else
 * /proc/<pid>/ns/net of a process in it (a bounded scan). 0 with the path in
 * path, or -ENOENT with path "". */
int skbd_netns__find(__u32 ino, char *path, size_t size);

/* The inodes of every network namespace reachable through /run/netns or a
 * process (bounded scans), each once, at most max. Their count. */
int skbd_netns__list(__u32 *inos, size_t max);

/* fn(arg) in a helper thread that has entered the namespace at path (NULL or
 * "": ours, fn runs in the caller's thread), so the caller never changes
 * namespace. ino: when not 0, the file opened must be that namespace (a
 * /proc/<pid> path can change hands between a search and the open), else
 * -ESTALE. Returns what fn returns, or -errno of open, pthread_create or
 * setns. Objects fn creates (a socket) stay in that namespace. */
int skbd_netns__run(const char *path, __u32 ino, skbd_netns_fn fn, void *arg);

/* --netns NAME|INODE|PATH -> inode, and a path to it in path ("" for an
 * inode nothing points to). A name "123" under /run/netns wins over inode
 * 123. 0 and *ino, or -errno with a one-line message in err ("--netns SPEC:
 * ...") and path "". */
int skbd_netns__parse(const char *spec, __u32 *ino, char *path, size_t size, char *err, size_t err_size);

/* The ifindex of device name inside the namespace at nspath (NULL or "":
 * ours). 0 and *ifindex, -ENODEV (no such device), -ENAMETOOLONG, -errno. */
int skbd_netns__ifindex(const char *nspath, const char *name, __u32 *ifindex);

#endif
