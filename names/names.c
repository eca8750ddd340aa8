// SPDX-License-Identifier: GPL-2.0-only
/* The names layer: symbols, devices, namespaces, cgroups and stacks of a drop
 * resolved in one call before it is formatted (see names.h). The stack cache
 * keeps each id's addresses as read once from the map; their text comes from
 * the symbol cache into a buffer the caller borrows until the next call. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/log.h>
#include <skbdrop/names.h>
#include <skbdrop/netdev.h>
#include "names_int.h"

#define STACKS_MIN_SLOTS 256u
#define STACKS_MAX 65536u /* ids cached; past this a stack is read each time */

/* A stack read from the map: the kernel never rewrites an id's stack (no
 * BPF_F_REUSE_STACKID: another stack in a taken bucket fails with -EEXIST),
 * so each id is read once. */
struct stack_ent {
	__s32 id;      /* -1: free slot */
	__u32 nr;
	__u64 *ips;
};

struct key_pin {
	__u64 ino; /* 0: free */
	__u64 key;
};

#define PINS_MAX 1048576u

struct skbd_names {
	struct skbd_names_opts opts;
	struct skbd_syms *syms;
	struct skbd_netdev *nd;      /* NULL: no device or netns names */
	struct skbd_cgroups *cg;     /* NULL: no cgroup paths */
	struct skbd_owners *owners;  /* NULL: no socket owners */
	struct skbd_diag *diag;      /* NULL: no lookups by address */
	struct skbd_drop completed;  /* skbd_names__complete's copy */
	char owner_cgroup[4096];     /* the owner's cgroup path, copied: the context's lookup may walk anew */
	struct key_pin *pins;        /* --by owner: each inode's row, fixed at first sight */
	size_t pin_cap, nr_pins;
	struct stack_ent *stacks;    /* open addressing, at most half full */
	__u32 stack_mask, nr_stacks;
	__u64 ips[SKBD_DROP_STACK_DEPTH];
	const char *frame[SKBD_DROP_STACK_DEPTH];
	char frame_text[SKBD_DROP_STACK_DEPTH][SKBD_NAME_LOC];
};

static __u32 stack_home(__s32 id, __u32 mask)
{
	return (__u32)(((__u64)(__u32)id * 0x9e3779b97f4a7c15ULL) >> 32) & mask;
}

static struct stack_ent *stack_find(const struct skbd_names *n, __s32 id)
{
	for (__u32 i = stack_home(id, n->stack_mask);; i = (i + 1) & n->stack_mask) {
		if (n->stacks[i].id == id)
			return &n->stacks[i];
		if (n->stacks[i].id < 0)
			return NULL;
	}
}

static int stacks_alloc(struct stack_ent **tab, __u32 slots)
{
	*tab = malloc(slots * sizeof(**tab));
	if (!*tab)
		return -ENOMEM;
	for (__u32 i = 0; i < slots; i++)
		(*tab)[i] = (struct stack_ent){ .id = -1 };
	return 0;
}

/* Room for one more entry: 0, or -ENOMEM / -ENOSPC (then not cached) */
static int stacks_reserve(struct skbd_names *n)
{
	__u32 slots = n->stack_mask + 1, nslots = slots * 2;
	struct stack_ent *tab;

	if ((n->nr_stacks + 1) * 2 <= slots)
		return 0;
	if (n->nr_stacks >= STACKS_MAX)
		return -ENOSPC;
	if (stacks_alloc(&tab, nslots))
		return -ENOMEM;
	for (__u32 i = 0; i < slots; i++) {
		__u32 j;

		if (n->stacks[i].id < 0)
			continue;
		for (j = stack_home(n->stacks[i].id, nslots - 1); tab[j].id >= 0; j = (j + 1) & (nslots - 1))
			;
		tab[j] = n->stacks[i];
	}
	free(n->stacks);
	n->stacks = tab;
	n->stack_mask = nslots - 1;
	return 0;
}

/* The addresses of stack id: read from the map on its first use, then from
 * the cache. Frames end at the first 0 address. The count, or -errno. */
static int stack_ips(struct skbd_names *n, __s32 id, const __u64 **ips)
{
	struct stack_ent *e = stack_find(n, id);
	int nr;
	__u32 i, j;

	if (e) {
		*ips = e->ips;
		return (int)e->nr;
	}
	nr = n->opts.stack_read(n->opts.stack_ctx, id, n->ips, SKBD_DROP_STACK_DEPTH);
	if (nr < 0)
		return nr;
	for (i = 0; i < (__u32)nr && i < SKBD_DROP_STACK_DEPTH && n->ips[i]; i++)
		;
	*ips = n->ips;
	if (stacks_reserve(n))
		return (int)i; /* uncached: read again next time */
	for (j = stack_home(id, n->stack_mask); n->stacks[j].id >= 0; j = (j + 1) & n->stack_mask)
		;
	e = &n->stacks[j];
	e->ips = malloc(i ? i * sizeof(__u64) : 1);
	if (!e->ips)
		return (int)i;
	memcpy(e->ips, n->ips, i * sizeof(__u64));
	e->nr = i;
	e->id = id;
	n->nr_stacks++;
	*ips = e->ips;
	return (int)i;
}

/* src into dst of size bytes, cut if longer: no printf per drop */
static void put_text(char *dst, size_t size, const char *src)
{
	size_t len = strnlen(src, size - 1);

	memcpy(dst, src, len);
	dst[len] = '\0';
}

/* The frames of a drop with SKBD_DROP_HAS_STACK: their count, or -errno */
static int stack_frames(struct skbd_names *n, __s32 id)
{
	const __u64 *ips = NULL;
	int nr;

	if (id < 0)
		return id; /* the kernel's own error: no stack was stored */
	if (!n->opts.stack_read || !n->stacks)
		return -ENOENT;
	nr = stack_ips(n, id, &ips);
	for (int i = 0; i < nr; i++) {
		put_text(n->frame_text[i], SKBD_NAME_LOC, skbd_syms__text(n->syms, ips[i]));
		n->frame[i] = n->frame_text[i];
	}
	return nr;
}

/* The name of the device at ifindex in netns (at ts_ns; 0: now) into dev,
 * "" when it cannot be named */
static void dev_name(struct skbd_names *n, __u32 netns, __u64 cookie, __u32 ifindex, __u64 ts_ns,
		     char dev[SKBD_NAME_DEV])
{
	char name[16];

	dev[0] = '\0';
	if (!n->nd || !ifindex || !netns)
		return;
	if (skbd_netdev__ifname_at(n->nd, netns, ifindex, ts_ns, cookie, name) == 0)
		put_text(dev, SKBD_NAME_DEV, name);
}

static void netns_name(struct skbd_names *n, __u32 netns, char out[SKBD_NAME_NETNS])
{
	const char *name = n->nd && netns ? skbd_netdev__netns_name(n->nd, netns) : NULL;

	put_text(out, SKBD_NAME_NETNS, name ? name : "");
}

int skbd_names__function(struct skbd_names *n, const char *name, __u64 *start, __u64 *end)
{
	return skbd_syms__range(n->syms, name, start, end);
}

int skbd_names__functions(struct skbd_names *n, const char *pattern,
			  void (*fn)(void *ctx, const char *name, __u64 start, __u64 end), void *ctx)
{
	return skbd_syms__each(n->syms, pattern, fn, ctx);
}

void skbd_names__netns(struct skbd_names *n, __u32 ino, char out[SKBD_NAME_NETNS])
{
	netns_name(n, ino, out);
}

void skbd_names__symbol(struct skbd_names *n, __u64 addr, char *buf, size_t size)
{
	if (size)
		put_text(buf, size, skbd_syms__text(n->syms, addr));
}

const struct skbd_drop *skbd_names__complete(struct skbd_names *n, const struct skbd_drop *d)
{
	size_t len;

	if (!n->diag || (d->flags & SKBD_DROP_HAS_OWNER) || !(d->flags & SKBD_DROP_HAS_CTX) ||
	    ((d->flags & SKBD_DROP_HAS_REASON) && d->reason == n->opts.owner_lookup_skip_reason))
		return d;
	len = offsetof(struct skbd_drop, data) + (d->caplen <= SKBD_DROP_SNAPLEN_MAX ? d->caplen : 0);
	memcpy(&n->completed, d, len);
	return skbd_diag__lookup(n->diag, &n->completed) ? &n->completed : d;
}

/* The socket owner's process, cgroup and container. */
static void owner_names(struct skbd_names *n, const struct skbd_drop *d, struct skbd_owner_names *o)
{
	char comm[16];
	const char *path;

	o->known = false;
	o->cgroup = NULL;
	o->container[0] = '\0';
	o->pod[0] = '\0';
	if (!n->owners || !(d->flags & SKBD_DROP_HAS_OWNER))
		return;
	if (d->sk_ino && skbd_owners__lookup(n->owners, d->sk_ino, &o->pid, comm)) {
		o->known = true;
		memcpy(o->comm, comm, sizeof(comm));
		o->comm[sizeof(comm)] = '\0';
	}
	if (!n->cg || !(d->sk_flags & SKBD_SK_CGROUP))
		return;
	path = skbd_cgroups__path(n->cg, d->sk_cgroup_id);
	if (!path)
		return;
	put_text(n->owner_cgroup, sizeof(n->owner_cgroup), path);
	o->cgroup = n->owner_cgroup;
	skbd_names__container(path, o->container, o->pod);
}

void skbd_names__drop(struct skbd_names *n, const struct skbd_drop *d, struct skbd_drop_names *out)
{
	skbd_names__symbol(n, d->location, out->location, sizeof(out->location));
	dev_name(n, d->netns, d->netns_cookie, d->ifindex, d->ts_ns, out->dev);
	netns_name(n, d->netns, out->netns);
	/* a name /run/netns gives a successor that got the inode is not the drop's */
	if (d->netns_cookie && n->nd && !skbd_netdev__same_netns(n->nd, d->netns, d->netns_cookie))
		out->netns[0] = '\0';
	owner_names(n, d, &out->owner); /* first: its cgroup path is copied */
	out->cgroup = n->cg && (d->flags & SKBD_DROP_HAS_CGROUP) ? skbd_cgroups__path(n->cg, d->cgroup_id) : NULL;
	out->nr_frames = 0;
	out->frames = n->frame;
	if (d->flags & SKBD_DROP_HAS_STACK)
		out->nr_frames = stack_frames(n, d->stack_id);
}

void skbd_names__key(struct skbd_names *n, const struct skbd_drop_key *k, struct skbd_key_names *out)
{
	skbd_names__symbol(n, k->location, out->location, sizeof(out->location));
	dev_name(n, k->netns, 0, k->ifindex, 0, out->dev); /* the device now: a row spans the run */
	netns_name(n, k->netns, out->netns);
	out->owner_pid = 0;
	out->owner_comm[0] = '\0';
	out->owner_ino = 0;
	if (k->sk_ino >> 63) {
		char comm[16];

		out->owner_pid = (__u32)k->sk_ino;
		if (n->owners && skbd_owners__comm(n->owners, out->owner_pid, comm)) {
			memcpy(out->owner_comm, comm, sizeof(comm));
			out->owner_comm[sizeof(comm)] = '\0';
		}
	} else {
		out->owner_ino = k->sk_ino;
	}
	out->cgroup[0] = '\0';
	out->container[0] = '\0';
	if (n->cg && k->sk_cgroup_id) {
		const char *path = skbd_cgroups__path(n->cg, k->sk_cgroup_id);
		char pod[SKBD_NAME_POD];

		if (path) {
			put_text(out->cgroup, sizeof(out->cgroup), path);
			skbd_names__container(path, out->container, pod);
		}
	}
}

static size_t pin_home(__u64 ino, size_t cap)
{
	return (size_t)((ino * 0x9e3779b97f4a7c15ULL) >> 24) & (cap - 1);
}

static int pins_grow(struct skbd_names *n)
{
	size_t cap = n->pin_cap ? 2 * n->pin_cap : 256;
	struct key_pin *t = calloc(cap, sizeof(*t));

	if (!t)
		return -ENOMEM;
	for (size_t i = 0; i < n->pin_cap; i++) {
		size_t j;

		if (!n->pins[i].ino)
			continue;
		for (j = pin_home(n->pins[i].ino, cap); t[j].ino; j = (j + 1) & (cap - 1))
			;
		t[j] = n->pins[i];
	}
	free(n->pins);
	n->pins = t;
	n->pin_cap = cap;
	return 0;
}

/* A row's counts must stay in one row for the run (its total is a counter):
 * the first answer for an inode is kept. */
__u64 skbd_names__owner_key(struct skbd_names *n, __u64 ino)
{
	char comm[16];
	__u64 key = ino;
	__u32 pid;
	size_t j;

	if (!n->owners || !ino)
		return ino;
	for (j = n->pin_cap ? pin_home(ino, n->pin_cap) : 0; n->pin_cap && n->pins[j].ino;
	     j = (j + 1) & (n->pin_cap - 1))
		if (n->pins[j].ino == ino)
			return n->pins[j].key;
	if (skbd_owners__lookup(n->owners, ino, &pid, comm))
		key = 1ULL << 63 | pid;
	if (n->nr_pins >= PINS_MAX || ((n->nr_pins + 1) * 2 > n->pin_cap && pins_grow(n)))
		return key;
	for (j = pin_home(ino, n->pin_cap); n->pins[j].ino; j = (j + 1) & (n->pin_cap - 1))
		;
	n->pins[j] = (struct key_pin){ .ino = ino, .key = key };
	n->nr_pins++;
	return key;
}

const struct skbd_owner_scan_stats *skbd_names__owner_stats(const struct skbd_names *n)
{
	return n->owners ? skbd_owners__stats(n->owners) : NULL;
}

void skbd_names__refresh(struct skbd_names *n)
{
	if (n)
		skbd_netdev__refresh(n->nd);
}

int skbd_names__new(const struct skbd_names_opts *opts, struct skbd_names **out)
{
	struct skbd_names *n;
	int err;

	if (!opts)
		return -EINVAL;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->opts = *opts;
	/* a fixture kallsyms without its modules file: no module ranges (not ours) */
	err = skbd_syms__new(opts->kallsyms_path,
			     opts->modules_path ? opts->modules_path : opts->kallsyms_path ? "/dev/null" : NULL,
			     opts->symbols, &n->syms);
	if (err)
		goto err_free;
	if (opts->stack_read) {
		err = stacks_alloc(&n->stacks, STACKS_MIN_SLOTS);
		if (err)
			goto err_free;
		n->stack_mask = STACKS_MIN_SLOTS - 1;
	}
	if (opts->cgroups || opts->owners) {
		err = skbd_cgroups__new(&n->cg);
		if (err)
			goto err_free;
	}
	if (opts->owners) {
		err = skbd_owners__new(opts->proc_path, &n->owners);
		if (err)
			goto err_free;
	}
	if (opts->owners && opts->owner_lookup) {
		err = skbd_diag__new(&n->diag);
		if (err)
			goto err_free;
	}
	if (opts->devices) {
		err = skbd_netdev__open(&n->nd);
		if (err == -ENOMEM)
			goto err_free;
		if (err) {
			skbd_log(SKBD_LOG_WARN, "warning: device names unavailable: %s", strerror(-err));
			n->nd = NULL;
		}
	}
	*out = n;
	return 0;

err_free:
	skbd_names__free(n);
	return err;
}

void skbd_names__free(struct skbd_names *n)
{
	if (!n)
		return;
	for (__u32 i = 0; n->stacks && i <= n->stack_mask; i++)
		free(n->stacks[i].ips);
	free(n->stacks);
	skbd_netdev__close(n->nd);
	skbd_cgroups__free(n->cg);
	skbd_owners__free(n->owners);
	skbd_diag__free(n->diag);
	free(n->pins);
	skbd_syms__free(n->syms);
	free(n);
}
