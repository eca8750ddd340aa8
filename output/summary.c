// SPDX-License-Identifier: GPL-2.0-only
/* --summary, the model: per-key drop totals of the kernel's aggregation
 * turned into rows with rates, and their order. Pure memory: no names, no
 * I/O (the writers are summary_write.c). */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/output.h>

struct row {
	struct skbd_drop_key key; /* normalized: see norm_key() */
	__u64 total;             /* at the last snapshot */
	__u64 delta;             /* since the snapshot before */
	__u64 acc;               /* this snapshot's sum while updating */
	__u64 gen;               /* snapshot that last listed the key */
};

struct skbd_summary {
	__u32 by;
	double start, prev_now, now; /* prev_now: start before the first update */
	__u64 gen;                   /* snapshots taken */
	struct row *rows;
	size_t nr, cap;
	__u32 *index;                /* open addressing: row index + 1, 0 empty */
	size_t index_cap;            /* a power of two, > 2 * nr */
	__u64 other_total, other_delta;
};

/* Non-finite or negative values (a clock going backwards) print as 0. */
static double sane(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

/* ---- rows ------------------------------------------------------------- */

/* Only the selected fields and the bytes of comm up to its NUL count: the
 * BPF side zeroes the others, but a row must not split on what we never
 * show. The netns stays with --by dev: a device is named within its netns. */
static void norm_key(__u32 by, const struct skbd_drop_key *in, struct skbd_drop_key *out)
{
	memset(out, 0, sizeof(*out));
	if (by & SKBD_BY_REASON)
		out->reason = in->reason;
	if (by & SKBD_BY_LOCATION)
		out->location = in->location;
	if (by & SKBD_BY_DEV)
		out->ifindex = in->ifindex;
	if (by & (SKBD_BY_DEV | SKBD_BY_NETNS))
		out->netns = in->netns;
	if (by & SKBD_BY_COMM)
		for (size_t i = 0; i < sizeof(in->comm) && in->comm[i]; i++)
			out->comm[i] = in->comm[i];
	if (by & SKBD_BY_OWNER)
		out->sk_ino = in->sk_ino;
	if (by & SKBD_BY_CONTAINER)
		out->sk_cgroup_id = in->sk_cgroup_id;
}

static size_t hash_key(const struct skbd_drop_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 29));
}

/* The row of a normalized key, or NULL; *slot: where it is or would go. */
static struct row *find_row(const struct skbd_summary *s, const struct skbd_drop_key *k, size_t *slot)
{
	size_t mask = s->index_cap - 1, i = hash_key(k) & mask;

	for (; s->index[i]; i = (i + 1) & mask)
		if (!memcmp(&s->rows[s->index[i] - 1].key, k, sizeof(*k)))
			break;
	*slot = i;
	return s->index[i] ? &s->rows[s->index[i] - 1] : NULL;
}

/* Room for want rows in both the array and the index, so that an update
 * either fails before changing anything or cannot fail. */
static int reserve_rows(struct skbd_summary *s, size_t want)
{
	size_t icap = s->index_cap;

	if (want > UINT32_MAX - 1 || want > SIZE_MAX / 4 / sizeof(struct row))
		return -ENOMEM;
	if (want > s->cap) {
		size_t cap = s->cap ? s->cap : 64;
		struct row *rows;

		while (cap < want)
			cap *= 2;
		rows = realloc(s->rows, cap * sizeof(*rows));
		if (!rows)
			return -ENOMEM;
		s->rows = rows;
		s->cap = cap;
	}
	while (icap <= 2 * want)
		icap *= 2;
	if (icap != s->index_cap) {
		__u32 *index = calloc(icap, sizeof(*index));
		__u32 *old = s->index;
		size_t slot;

		if (!index)
			return -ENOMEM;
		s->index = index;
		s->index_cap = icap;
		for (size_t r = 0; r < s->nr; r++) {
			find_row(s, &s->rows[r].key, &slot);
			s->index[slot] = (__u32)(r + 1);
		}
		free(old);
	}
	return 0;
}

int skbd_summary__new(__u32 by, double start, struct skbd_summary **out)
{
	struct skbd_summary *s;

	if (by & ~(__u32)SKBD_BY_ALL)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->by = by;
	s->start = s->prev_now = s->now = start;
	s->index_cap = 128;
	s->index = calloc(s->index_cap, sizeof(*s->index));
	if (!s->index) {
		skbd_summary__free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void skbd_summary__free(struct skbd_summary *s)
{
	if (!s)
		return;
	free(s->rows);
	free(s->index);
	free(s);
}

/* A total below the previous one means the counts restarted (the map was
 * recreated): everything counted is new. */
static __u64 delta_of(__u64 now, __u64 before)
{
	return now >= before ? now - before : now;
}

int skbd_summary__update(struct skbd_summary *s, const struct skbd_drop_key *keys, const __u64 *totals, size_t n,
			__u64 other_total, double now)
{
	struct skbd_drop_key k;
	struct row *r;
	size_t slot;
	int err;

	if (n > SIZE_MAX - s->nr)
		return -ENOMEM;
	err = reserve_rows(s, s->nr + n);
	if (err)
		return err;
	s->gen++;
	for (size_t i = 0; i < n; i++) {
		norm_key(s->by, &keys[i], &k);
		r = find_row(s, &k, &slot);
		if (!r) {
			r = &s->rows[s->nr];
			memset(r, 0, sizeof(*r));
			r->key = k;
			s->index[slot] = (__u32)++s->nr;
		}
		if (r->gen != s->gen) {
			r->gen = s->gen;
			r->acc = 0;
		}
		r->acc += totals[i]; /* keys that differ only in what we ignore */
	}
	for (size_t i = 0; i < s->nr; i++) {
		r = &s->rows[i];
		if (r->gen != s->gen) { /* not in this snapshot: unchanged */
			r->delta = 0;
			continue;
		}
		r->delta = delta_of(r->acc, r->total);
		r->total = r->acc;
	}
	s->other_delta = delta_of(other_total, s->other_total);
	s->other_total = other_total;
	s->prev_now = s->now;
	s->now = now;
	return 0;
}

size_t skbd_summary__nr_rows(const struct skbd_summary *s)
{
	return s->nr;
}

__u64 skbd_summary__counted(const struct skbd_summary *s)
{
	__u64 sum = s->other_total;

	for (size_t i = 0; i < s->nr; i++)
		sum += s->rows[i].total;
	return sum;
}

static double interval(const struct skbd_summary *s)
{
	return sane(s->now - s->prev_now);
}

static double rate_of(const struct skbd_summary *s, __u64 delta)
{
	double iv = interval(s);

	return iv > 0 ? (double)delta / iv : 0;
}

__u32 skbd_summary__by(const struct skbd_summary *s)
{
	return s->by;
}

double skbd_summary__interval(const struct skbd_summary *s)
{
	return interval(s);
}

double skbd_summary__now(const struct skbd_summary *s)
{
	return s->now;
}

double skbd_summary__rate(const struct skbd_summary *s)
{
	__u64 sum = s->other_delta;

	for (size_t i = 0; i < s->nr; i++)
		sum += s->rows[i].delta;
	return rate_of(s, sum);
}

/* ---- --by ------------------------------------------------------------- */

static const struct {
	const char *name;
	__u32 bit;
} by_names[] = {
	{ "reason", SKBD_BY_REASON }, { "location", SKBD_BY_LOCATION }, { "dev", SKBD_BY_DEV },
	{ "device", SKBD_BY_DEV },    { "netns", SKBD_BY_NETNS },       { "comm", SKBD_BY_COMM },
	{ "owner", SKBD_BY_OWNER },   { "container", SKBD_BY_CONTAINER },
};

#define BY_VALID "reason, location, dev (device), netns, comm, owner, container"

int skbd_summary__parse_by(const char *list, __u32 *mask, char *err, size_t err_size)
{
	__u32 m = 0;
	const char *p = list;

	if (!list || !*list) {
		snprintf(err, err_size, "--by: empty list; fields: %s", BY_VALID);
		return -EINVAL;
	}
	for (;;) {
		size_t len = strcspn(p, ",");
		size_t i;

		for (i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++)
			if (strlen(by_names[i].name) == len && !strncmp(by_names[i].name, p, len))
				break;
		if (!len) {
			snprintf(err, err_size, "--by: empty field in '%s'; fields: %s", list, BY_VALID);
			return -EINVAL;
		}
		if (i == sizeof(by_names) / sizeof(by_names[0])) {
			snprintf(err, err_size, "--by: unknown field '%.*s'; fields: %s", (int)(len < 64 ? len : 64), p,
				 BY_VALID);
			return -EINVAL;
		}
		m |= by_names[i].bit;
		if (!p[len])
			break;
		p += len + 1;
	}
	*mask = m;
	return 0;
}

void skbd_summary__by_names(__u32 mask, char *buf, size_t size)
{
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (size_t i = 0; i < sizeof(by_names) / sizeof(by_names[0]); i++) {
		if (!(mask & by_names[i].bit) || !strcmp(by_names[i].name, "device"))
			continue;
		if (len < size)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? "," : "", by_names[i].name);
	}
}

/* ---- the order of rows ---------------------------------------------- */

static int cmp_u64_desc(__u64 a, __u64 b)
{
	return a < b ? 1 : a > b ? -1 : 0;
}

static int cmp_u64(__u64 a, __u64 b)
{
	return a < b ? -1 : a > b;
}

/* Rate (the delta: one interval for all rows) and total, largest first; then
 * the key in column order; the other row after keys that tie with it. */
static int cmp_rows(const void *pa, const void *pb)
{
	const struct skbd_summary_row *a = pa, *b = pb;
	const struct skbd_drop_key *ka, *kb;
	int d;

	if ((d = cmp_u64_desc(a->delta, b->delta)) || (d = cmp_u64_desc(a->total, b->total)))
		return d;
	if (!a->key || !b->key)
		return !a->key - !b->key;
	ka = a->key;
	kb = b->key;
	if ((d = cmp_u64(ka->reason, kb->reason)) || (d = cmp_u64(ka->location, kb->location)) ||
	    (d = cmp_u64(ka->ifindex, kb->ifindex)) || (d = cmp_u64(ka->netns, kb->netns)) ||
	    (d = cmp_u64(ka->sk_ino, kb->sk_ino)) || (d = cmp_u64(ka->sk_cgroup_id, kb->sk_cgroup_id)))
		return d;
	return memcmp(ka->comm, kb->comm, sizeof(ka->comm));
}

int skbd_summary__sorted(const struct skbd_summary *s, struct skbd_summary_row **rows, size_t *nr)
{
	struct skbd_summary_row *v = malloc((s->nr + 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < s->nr; i++) {
		const struct row *r = &s->rows[i];

		v[n++] = (struct skbd_summary_row){ &r->key, i, r->total, r->delta, rate_of(s, r->delta) };
	}
	if (s->other_total)
		v[n++] = (struct skbd_summary_row){ NULL, SIZE_MAX, s->other_total, s->other_delta,
						    rate_of(s, s->other_delta) };
	qsort(v, n, sizeof(*v), cmp_rows);
	*rows = v;
	*nr = n;
	return 0;
}
