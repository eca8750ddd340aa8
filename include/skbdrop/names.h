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
#define SKBD_NAME_CONTAINER 65 /* 64 hex digits */
#define SKBD_NAME_POD 37       /* a Kubernetes pod UID */
#define SKBD_NAME_CGROUP 256   /* a --summary row's cgroup path (cut) */

/* The owner of a drop's socket (struct skbd_drop's sk_* fields), named. */
struct skbd_owner_names {
	bool known;          /* a process was found holding the socket (now, or the last one before it let go) */
	__u32 pid;           /* with known */
	char comm[17];       /* with known; NUL-terminated, bytes as the kernel has them */
	const char *cgroup;  /* the socket's cgroup path; NULL: unknown. Owned by the names
			      * object, valid until its next call */
	char container[SKBD_NAME_CONTAINER]; /* the id in the cgroup path (docker, containerd,
					      * CRI-O, podman, Kubernetes); "": none */
	char pod[SKBD_NAME_POD];             /* a Kubernetes pod slice's UID; "": none */
};

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
	struct skbd_owner_names owner; /* with SKBD_DROP_HAS_OWNER and opts.owners */
};

/* What a --summary row is shown with: as above, without time (a row spans
 * the run: its device is the one there now), cgroup or stack. */
struct skbd_key_names {
	char location[SKBD_NAME_LOC];
	char dev[SKBD_NAME_DEV];
	char netns[SKBD_NAME_NETNS];
	/* SKBD_BY_OWNER (a key passed through skbd_names__owner_key): owner_pid 0
	 * when the socket's process is unknown (then owner_ino is the socket) */
	__u32 owner_pid;
	char owner_comm[17];
	__u64 owner_ino;
	/* SKBD_BY_CONTAINER: the socket cgroup's path ("" unknown) and container id ("" none) */
	char cgroup[SKBD_NAME_CGROUP];
	char container[SKBD_NAME_CONTAINER];
};

/* What the last /proc scans for socket owners cost (bench, -v). */
struct skbd_owner_scan_stats {
	unsigned long scans;
	size_t last_procs, last_fds; /* processes and fds the last scan read */
	double last_seconds;         /* its duration */
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
	bool owners;               /* socket owners: processes from /proc, cgroup paths, containers */
	/* with owners, on kernels whose tracepoint has no rx_sk (before 6.11):
	 * find the socket of a drop that carries none by its packet's addresses
	 * (skbd_names__complete), except drops with reason skip_reason */
	bool owner_lookup;
	__u32 owner_lookup_skip_reason; /* e.g. NO_SOCKET's code; ~0u: none */
	const char *proc_path;     /* NULL: /proc (tests give a fake tree) */
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

/* d, or (opts.owner_lookup, d without an owner) a copy owned by n, valid
 * until the next call, with the owner sock_diag found. May block (a netlink
 * round trip in d's namespace, at most one per address pair a second). */
const struct skbd_drop *skbd_names__complete(struct skbd_names *n, const struct skbd_drop *d);

/* Resolve everything d is shown with into *out. May block (see above). */
void skbd_names__drop(struct skbd_names *n, const struct skbd_drop *d, struct skbd_drop_names *out);

/* The same for a --summary row. */
void skbd_names__key(struct skbd_names *n, const struct skbd_drop_key *k, struct skbd_key_names *out);

/* --summary --by owner: a row's socket inode as its owner. The kernel counts
 * per socket; rows of one process are summed when their keys' sk_ino is
 * replaced by this: (1 << 63) | pid when the process is known, else the
 * inode. skbd_names__key reads either. May scan /proc (see owner.c). */
__u64 skbd_names__owner_key(struct skbd_names *n, __u64 ino);

/* The container id and Kubernetes pod UID a cgroup path names ("" each when
 * none): the innermost "docker-ID.scope", "cri-containerd-ID.scope",
 * "crio-ID.scope", "libpod-ID.scope", "containerd-ID.scope" or bare 64-hex
 * component; "kubepods-...-podUID.slice" or "podUID". Pure. */
void skbd_names__container(const char *path, char id[SKBD_NAME_CONTAINER], char pod[SKBD_NAME_POD]);

/* The sockets process pid holds now (its /proc/PID/fd): fn(ctx, inode) for
 * each. proc NULL: /proc. 0, or -errno when the process cannot be read. */
int skbd_names__pid_sockets(const char *proc, __u32 pid, void (*fn)(void *ctx, __u64 ino), void *ctx);

/* NULL without opts.owners. */
const struct skbd_owner_scan_stats *skbd_names__owner_stats(const struct skbd_names *n);

/* [start, end) of a vmlinux function's text (kallsyms): 0, or -ENOENT. */
int skbd_names__function(struct skbd_names *n, const char *name, __u64 *start, __u64 *end);
/* Each function a pattern names (see skbd_ksyms__each: "name" in vmlinux, or
 * "*suffix" anywhere): fn(ctx, name, start, end). 0, or -ENOENT. */
int skbd_names__functions(struct skbd_names *n, const char *pattern,
			  void (*fn)(void *ctx, const char *name, __u64 start, __u64 end), void *ctx);

/* The /run/netns name of namespace ino ("" when it has none). */
void skbd_names__netns(struct skbd_names *n, __u32 ino, char out[SKBD_NAME_NETNS]);

/* The symbol text of a kernel address alone ("0x<hex>" when unknown). */
void skbd_names__symbol(struct skbd_names *n, __u64 addr, char *buf, size_t size);

#endif
