/* SPDX-License-Identifier: GPL-2.0-only */
/* The names layer: one resolver for everything a drop is shown with —
 * kernel symbols, devices, network namespaces, cgroups, stacks (and, later,
 * socket owners) — behind one namespace search. Every lookup that may block
 * (netlink round trips, a cgroupfs walk, a re-read of /proc/kallsyms, a
 * stack map read) happens in skbd_names__drop / __key / __refresh, which the
 * event loop calls before formatting; formatters get the answers as plain
 * data (struct skbd_drop_names) and never call back. Not thread-safe. */
#ifndef SKBDROP_NAMES_H
#define SKBDROP_NAMES_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <skbdrop/drop.h>

#define SKBD_NAME_LOC 192   /* "func+0xoff [module]" or "0x<hex>" */
#define SKBD_NAME_DEV 16    /* IFNAMSIZ */
#define SKBD_NAME_NETNS 256 /* a /run/netns entry (NAME_MAX) */

/* What one drop is shown with. Strings are "" when unknown. */
struct skbd_drop_names {
	char location[SKBD_NAME_LOC]; /* always set ("0x<hex>" unresolved) */
	char dev[SKBD_NAME_DEV];      /* "": print the ifindex */
	char netns[SKBD_NAME_NETNS];  /* "": print the inode */
	const char *cgroup;           /* path under the cgroup2 root; NULL: unknown. Owned by the
				       * names object, valid until its next call */
	/* with SKBD_DROP_HAS_STACK: >= 0 frames symbolized in frames[] (owned by
	 * the names object, valid until its next call), or -errno why there is
	 * no stack (-EEXIST collision, -ENOMEM map full, -EFAULT not walked,
	 * -ENOENT not in the map) */
	int nr_frames;
	const char *const *frames;
};

/* What a --summary row is shown with: as above, without time (a row spans
 * the run: its device is the one there now), cgroup or stack. */
struct skbd_key_names {
	char location[SKBD_NAME_LOC];
	char dev[SKBD_NAME_DEV];
	char netns[SKBD_NAME_NETNS];
};

/* Reads a stack by id for the names layer (the monitor's stack map):
 * fills ips (up to max frames) and returns the count, or -errno. */
typedef int (*skbd_stack_read_fn)(void *ctx, __s32 id, __u64 *ips, size_t max);

struct skbd_names_opts {
	bool symbols;      /* read /proc/kallsyms */
	bool devices;      /* netlink device names, /run/netns names */
	bool cgroups;      /* cgroup2 paths */
	skbd_stack_read_fn stack_read; /* NULL: no stacks */
	void *stack_ctx;
	const char *kallsyms_path; /* NULL: /proc/kallsyms (tests give fixtures) */
	const char *modules_path;  /* NULL: /proc/modules, or none with a kallsyms_path */
};

struct skbd_names;

/* Opens what opts asks for; a part that cannot be had (no cgroup2 mount,
 * kallsyms unreadable) is logged as a warning once and left out: its names
 * read as unknown. 0 and *out, or -ENOMEM. */
int skbd_names__new(const struct skbd_names_opts *opts, struct skbd_names **out);
void skbd_names__free(struct skbd_names *n);

/* Apply what changed since the last call (link notifications, namespaces
 * gone) without blocking on the kernel. Call between poll batches. */
void skbd_names__refresh(struct skbd_names *n);

/* Resolve everything d is shown with into *out. May block (see above). */
void skbd_names__drop(struct skbd_names *n, const struct skbd_drop *d, struct skbd_drop_names *out);

/* The same for a --summary row. */
void skbd_names__key(struct skbd_names *n, const struct skbd_drop_key *k, struct skbd_key_names *out);

/* The symbol text of a kernel address alone ("0x<hex>" when unknown). */
void skbd_names__symbol(struct skbd_names *n, __u64 addr, char *buf, size_t size);

#endif
