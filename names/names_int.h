/* SPDX-License-Identifier: GPL-2.0-only */
/* Between the files of names/: the symbol text cache (symbols.c, the only
 * user of kallsyms.h) and the cgroup path table (cgroup.c). */
#ifndef SKBD_NAMES_INT_H
#define SKBD_NAMES_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <skbdrop/drop.h>

/* Kernel text address -> "func+0xoff [mod]" ("0x<hex>" when unknown),
 * through a cache of SYMS_CACHE texts hashed by address. */
struct skbd_syms;

/* path: the kallsyms file (NULL: /proc/kallsyms); load false: no table,
 * every address raw. An unreadable or restricted file is a warning and a
 * table of raw addresses. 0 and *out, or -ENOMEM. */
int skbd_syms__new(const char *path, const char *modules, bool load, struct skbd_syms **out);
void skbd_syms__free(struct skbd_syms *s);
/* The text of addr, owned by s, valid until the next call. */
const char *skbd_syms__text(struct skbd_syms *s, __u64 addr);

/* [start, end) of vmlinux function name: 0 or -ENOENT. */
int skbd_syms__range(const struct skbd_syms *s, const char *name, __u64 *start, __u64 *end);
int skbd_syms__each(const struct skbd_syms *s, const char *pattern,
		    void (*fn)(void *ctx, const char *name, __u64 start, __u64 end), void *ctx);

/* cgroup v2 id -> path relative to the cgroup2 mount. */
struct skbd_cgroups;

/* Finds the cgroup2 mount (a warning when there is none: every path is
 * unknown); walks it lazily. 0 and *out, or -ENOMEM. */
int skbd_cgroups__new(struct skbd_cgroups **out);
void skbd_cgroups__free(struct skbd_cgroups *cg);
/* "/system.slice/x", owned by cg (valid until the next call); NULL when
 * unknown (no cgroup2 mount, or not found even after a fresh walk; walks at
 * most once a second). */
const char *skbd_cgroups__path(struct skbd_cgroups *cg, __u64 id);

/* socket inode -> the process holding it (see owner.c). */
struct skbd_owners;

/* proc: the procfs root (NULL: /proc; tests give a fake tree). 0 and *out, or -ENOMEM. */
int skbd_owners__new(const char *proc, struct skbd_owners **out);
void skbd_owners__free(struct skbd_owners *o);
/* The process holding socket ino (its last known one if it let go): true and
 * pid, comm (16 bytes, may lack a NUL). A miss scans /proc again, at most once
 * a second. */
bool skbd_owners__lookup(struct skbd_owners *o, __u64 ino, __u32 *pid, char comm[16]);
/* The comm of a process seen holding a socket; false when none was seen. */
bool skbd_owners__comm(const struct skbd_owners *o, __u32 pid, char comm[16]);
const struct skbd_owner_scan_stats *skbd_owners__stats(const struct skbd_owners *o);

/* The local socket a received packet was for, found with sock_diag in the
 * drop's namespace (see diag.c). */
struct skbd_diag;

int skbd_diag__new(struct skbd_diag **out);
void skbd_diag__free(struct skbd_diag *dg);
/* d's owner from its packet's addresses: true with d's sk_* fields and
 * SKBD_DROP_HAS_OWNER set (sk_src SKBD_SK_SRC_LOOKUP), false when the packet
 * is not TCP/UDP over IP or no socket matches (answers kept a second). */
bool skbd_diag__lookup(struct skbd_diag *dg, struct skbd_drop *d);
unsigned long skbd_diag__requests(const struct skbd_diag *dg);

#endif
