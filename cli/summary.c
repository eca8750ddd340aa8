// SPDX-License-Identifier: GPL-2.0-only
/* --summary: per-key drop totals read from the kernel's "agg" map, turned
 * into rates and written as a text table, one JSON line or a Prometheus
 * textfile. Pure apart from write_prom's file replace; unit-tested. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

_Static_assert(sizeof(struct skbd_agg_key) == 40, "struct skbd_agg_key is part of the BPF ABI");

#define ALL_FIELDS (SKBD_AGG_REASON | SKBD_AGG_LOCATION | SKBD_AGG_DEV | SKBD_AGG_NETNS | SKBD_AGG_COMM)

/* Longest cell of a text column; longer values end in "...". Devices are at
 * most 15 bytes, "ifindex 4294967295" 18; comm 15. */
#define CELL_MAX 48

struct row {
	struct skbd_agg_key key; /* normalized: see norm_key(); first, so a key pointer is its row */
	char dev[16];            /* the device's name once known: a row keeps its labels (the
				    Prometheus series of a counter must not change under it) */
	__u64 total;             /* at the last snapshot */
	__u64 delta;             /* since the snapshot before */
	__u64 acc;               /* this snapshot's sum while updating */
	__u64 gen;               /* snapshot that last listed the key */
};

struct cli_summary {
	__u32 by;
	double start, prev_now, now; /* prev_now: start before the first update */
	__u64 gen;                   /* snapshots taken */
	struct row *rows;
	size_t nr, cap;
	__u32 *index;                /* open addressing: row index + 1, 0 empty */
	size_t index_cap;            /* a power of two, > 2 * nr */
	__u64 other_total, other_delta;
};

/* ---- a growing output buffer: all or nothing, never a cut line --------- */

struct dbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

static void put_mem(struct dbuf *b, const void *s, size_t n)
{
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *p;

		while (cap < b->len + n + 1)
			cap *= 2;
		p = realloc(b->p, cap);
		if (!p) {
			b->oom = true;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void put_str(struct dbuf *b, const char *s)
{
	put_mem(b, s, strlen(s));
}

static void put_char(struct dbuf *b, char ch)
{
	put_mem(b, &ch, 1);
}

static void put_u64(struct dbuf *b, unsigned long long v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%llu", v);

	put_mem(b, tmp, (size_t)n);
}

static void put_spaces(struct dbuf *b, size_t n)
{
	while (n--)
		put_char(b, ' ');
}

/* Non-finite or negative values (a clock going backwards) print as 0. */
static double sane(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

static void fmt_double(char *buf, size_t size, double v, int decimals)
{
	snprintf(buf, size, "%.*f", decimals, sane(v));
}

/* Room for any finite double in %f (DBL_MAX has 309 digits): a number is
 * never cut. */
#define NUM_MAX 352

static void put_double(struct dbuf *b, double v, int decimals)
{
	char tmp[NUM_MAX];

	fmt_double(tmp, sizeof(tmp), v, decimals);
	put_str(b, tmp);
}

/* ---- rows ------------------------------------------------------------- */

/* Only the selected fields and the bytes of comm up to its NUL count: the
 * BPF side zeroes the others, but a row must not split on what we never
 * show. The netns stays with --by dev: a device is named within its netns. */
static void norm_key(__u32 by, const struct skbd_agg_key *in, struct skbd_agg_key *out)
{
	memset(out, 0, sizeof(*out));
	if (by & SKBD_AGG_REASON)
		out->reason = in->reason;
	if (by & SKBD_AGG_LOCATION)
		out->location = in->location;
	if (by & SKBD_AGG_DEV)
		out->ifindex = in->ifindex;
	if (by & (SKBD_AGG_DEV | SKBD_AGG_NETNS))
		out->netns = in->netns;
	if (by & SKBD_AGG_COMM)
		for (size_t i = 0; i < sizeof(in->comm) && in->comm[i]; i++)
			out->comm[i] = in->comm[i];
}

static size_t hash_key(const struct skbd_agg_key *k)
{
	const unsigned char *p = (const unsigned char *)k;
	__u64 h = 0xcbf29ce484222325ULL; /* FNV-1a */

	for (size_t i = 0; i < sizeof(*k); i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return (size_t)(h ^ (h >> 29));
}

/* The row of a normalized key, or NULL; *slot: where it is or would go. */
static struct row *find_row(const struct cli_summary *s, const struct skbd_agg_key *k, size_t *slot)
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
static int reserve_rows(struct cli_summary *s, size_t want)
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

int cli_summary__new(__u32 by, double start, struct cli_summary **out)
{
	struct cli_summary *s;

	if (by & ~(__u32)ALL_FIELDS)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->by = by;
	s->start = s->prev_now = s->now = start;
	s->index_cap = 128;
	s->index = calloc(s->index_cap, sizeof(*s->index));
	if (!s->index) {
		cli_summary__free(s);
		return -ENOMEM;
	}
	*out = s;
	return 0;
}

void cli_summary__free(struct cli_summary *s)
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

int cli_summary__update(struct cli_summary *s, const struct skbd_agg_key *keys, const __u64 *totals, size_t n,
			__u64 other_total, double now)
{
	struct skbd_agg_key k;
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

size_t cli_summary__nr_rows(const struct cli_summary *s)
{
	return s->nr;
}

__u64 cli_summary__counted(const struct cli_summary *s)
{
	__u64 sum = s->other_total;

	for (size_t i = 0; i < s->nr; i++)
		sum += s->rows[i].total;
	return sum;
}

static double interval(const struct cli_summary *s)
{
	return sane(s->now - s->prev_now);
}

static double rate_of(const struct cli_summary *s, __u64 delta)
{
	double iv = interval(s);

	return iv > 0 ? (double)delta / iv : 0;
}

double cli_summary__rate(const struct cli_summary *s)
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
	{ "reason", SKBD_AGG_REASON }, { "location", SKBD_AGG_LOCATION }, { "dev", SKBD_AGG_DEV },
	{ "device", SKBD_AGG_DEV },    { "netns", SKBD_AGG_NETNS },       { "comm", SKBD_AGG_COMM },
};

#define BY_VALID "reason, location, dev (device), netns, comm"

int cli_summary__parse_by(const char *list, __u32 *mask, char *err, size_t err_size)
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

/* ---- cells: what a row shows in each column ----------------------------- */

enum col { COL_REASON, COL_LOCATION, COL_DEV, COL_NETNS, COL_COMM, NR_COLS };

static const struct {
	const char *title;
	__u32 bit;
} cols[NR_COLS] = {
	[COL_REASON] = { "REASON", SKBD_AGG_REASON }, [COL_LOCATION] = { "LOCATION", SKBD_AGG_LOCATION },
	[COL_DEV] = { "DEVICE", SKBD_AGG_DEV },       [COL_NETNS] = { "NETNS", SKBD_AGG_NETNS },
	[COL_COMM] = { "COMM", SKBD_AGG_COMM },
};

static const char *reason_name(const struct cli_fmt_ctx *c, __u32 code)
{
	return c->has_reason && c->fmt ? skbd_tpformat__reason_name(c->fmt, code) : NULL;
}

/* 0 and the device's name, or -errno. The first name found stays the row's
 * (k is the first member of its row: the memo lives there). */
static int dev_name(const struct cli_fmt_ctx *c, const struct skbd_agg_key *k, char name[16])
{
	struct row *r = (struct row *)(uintptr_t)k;
	int err;

	if (r->dev[0]) {
		memcpy(name, r->dev, 16);
		return 0;
	}
	if (!k->ifindex || !k->netns || !c->res || !c->res->dev_name)
		return -ENOENT;
	err = c->res->dev_name(c->res->ctx, k->netns, k->ifindex, 0, name); /* the device now: a summary row spans time */
	name[15] = '\0';
	if (!err && name[0])
		memcpy(r->dev, name, 16);
	return err;
}

static const char *netns_name(const struct cli_fmt_ctx *c, const struct skbd_agg_key *k)
{
	if (!k->netns || !c->res || !c->res->netns_name)
		return NULL;
	return c->res->netns_name(c->res->ctx, k->netns);
}

/* The full text of a cell, raw bytes and all (names come from the system).
 * Symbol names are at most 512 bytes (KSYM_NAME_LEN), module names 56. */
#define CELL_BUF 1024
static void cell_text(const struct cli_fmt_ctx *c, const struct skbd_agg_key *k, enum col col, char out[CELL_BUF])
{
	const char *name;
	char dev[16];

	switch (col) {
	case COL_REASON:
		name = reason_name(c, k->reason);
		if (name)
			snprintf(out, CELL_BUF, "%s", name);
		else if (c->has_reason)
			snprintf(out, CELL_BUF, "reason#%u", k->reason);
		else
			snprintf(out, CELL_BUF, "-");
		break;
	case COL_LOCATION:
		skbd_ksyms__format(c->ks, k->location, out, CELL_BUF);
		break;
	case COL_DEV:
		if (!k->ifindex)
			snprintf(out, CELL_BUF, "-");
		else if (dev_name(c, k, dev) == 0)
			snprintf(out, CELL_BUF, "%s", dev);
		else
			snprintf(out, CELL_BUF, "ifindex %u", k->ifindex);
		break;
	case COL_NETNS:
		name = netns_name(c, k);
		if (name)
			snprintf(out, CELL_BUF, "%s", name);
		else if (k->netns)
			snprintf(out, CELL_BUF, "%u", k->netns);
		else
			snprintf(out, CELL_BUF, "-");
		break;
	case COL_COMM:
		memcpy(out, k->comm, sizeof(k->comm));
		out[sizeof(k->comm)] = '\0';
		if (!out[0])
			snprintf(out, CELL_BUF, "-");
		break;
	default:
		out[0] = '\0';
	}
}

/* ---- the order of rows ---------------------------------------------- */

/* A shown row: a key's row, or the "other" row (r == NULL). */
struct shown {
	const struct row *r;
	__u64 delta, total;
};

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
static int cmp_shown(const void *pa, const void *pb)
{
	const struct shown *a = pa, *b = pb;
	const struct skbd_agg_key *ka, *kb;
	int d;

	if ((d = cmp_u64_desc(a->delta, b->delta)) || (d = cmp_u64_desc(a->total, b->total)))
		return d;
	if (!a->r || !b->r)
		return !a->r - !b->r;
	ka = &a->r->key;
	kb = &b->r->key;
	if ((d = cmp_u64(ka->reason, kb->reason)) || (d = cmp_u64(ka->location, kb->location)) ||
	    (d = cmp_u64(ka->ifindex, kb->ifindex)) || (d = cmp_u64(ka->netns, kb->netns)))
		return d;
	return memcmp(ka->comm, kb->comm, sizeof(ka->comm));
}

/* Every row plus the other row, sorted; NULL when out of memory. */
static struct shown *sorted_rows(const struct cli_summary *s, size_t *nr)
{
	struct shown *v = malloc((s->nr + 1) * sizeof(*v));
	size_t n = 0;

	if (!v)
		return NULL;
	for (size_t i = 0; i < s->nr; i++)
		v[n++] = (struct shown){ &s->rows[i], s->rows[i].delta, s->rows[i].total };
	if (s->other_total)
		v[n++] = (struct shown){ NULL, s->other_delta, s->other_total };
	qsort(v, n, sizeof(*v), cmp_shown);
	*nr = n;
	return v;
}

/* ---- time ------------------------------------------------------------- */

/* "2024-05-01T12:01:05.250Z" (millis) or "2024-05-01T12:01:05Z" */
static void wall_time(const struct cli_fmt_ctx *c, double now, bool millis, char *buf, size_t size)
{
	double ns = sane(now) * 1e9;
	__s64 real = (ns < 1e18 ? (__s64)ns : (__s64)1e18) + c->mono_to_real_ns; /* no overflow */
	__s64 sec;
	int y, mo, d;

	if (real < 0)
		real = 0;
	sec = real / 1000000000;
	cli_civil_from_days(sec / 86400, &y, &mo, &d);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d", y % 10000, mo, d, (int)(sec % 86400 / 3600),
		 (int)(sec % 3600 / 60), (int)(sec % 60));
	if (millis)
		snprintf(buf + strlen(buf), size - strlen(buf), ".%03dZ", (int)(real % 1000000000 / 1000000));
	else
		snprintf(buf + strlen(buf), size - strlen(buf), "Z");
}

/* "5s", "1m05s", "2h00m07s", "3d01h00m00s" */
static void fmt_elapsed(double t, char *buf, size_t size)
{
	double v = sane(t);
	unsigned long long s = v < 1e15 ? (unsigned long long)v : 1000000000000000ULL;
	unsigned long long d = s / 86400;
	unsigned int h = (unsigned int)(s % 86400 / 3600), m = (unsigned int)(s % 3600 / 60), sec = (unsigned int)(s % 60);

	if (d)
		snprintf(buf, size, "%llud%02uh%02um%02us", d, h, m, sec);
	else if (h)
		snprintf(buf, size, "%uh%02um%02us", h, m, sec);
	else if (m)
		snprintf(buf, size, "%um%02us", m, sec);
	else
		snprintf(buf, size, "%us", sec);
}

/* ---- text -------------------------------------------------------------- */

#define OTHER_LABEL "(other: aggregation map full)"

/* Printable ASCII only (a name may hold any byte); cut to CELL_MAX. */
static void text_cell(char *s)
{
	size_t n = 0;

	for (; s[n]; n++)
		if ((unsigned char)s[n] < 0x20 || (unsigned char)s[n] >= 0x7f)
			s[n] = '?';
	if (n > CELL_MAX)
		memcpy(s + CELL_MAX - 3, "...", 4);
}

static void text_head(const struct cli_summary *s, const struct cli_fmt_ctx *c, const struct cli_summary_head *h,
		      struct dbuf *b)
{
	char tmp[64];

	wall_time(c, s->now, false, tmp, sizeof(tmp));
	put_str(b, "skbdrop summary ");
	put_str(b, tmp);
	if (h->kernel_release) {
		put_str(b, "  kernel ");
		put_str(b, h->kernel_release);
	}
	fmt_elapsed(h->elapsed, tmp, sizeof(tmp));
	put_str(b, "  elapsed ");
	put_str(b, tmp);
	put_str(b, "  interval ");
	put_double(b, interval(s), 1);
	put_str(b, "s\ndrops ");
	put_double(b, cli_summary__rate(s), 1);
	put_str(b, "/s  counted ");
	put_u64(b, h->counted);
	put_str(b, "  lost ");
	put_u64(b, h->lost);
	put_str(b, "  filtered ");
	put_u64(b, h->filtered);
	put_str(b, "  rate-limited ");
	put_u64(b, h->rate_limited);
	put_str(b, "\n\n");
}

static void put_left(struct dbuf *b, const char *s, size_t width, bool last)
{
	put_str(b, s);
	if (!last)
		put_spaces(b, width - strlen(s));
}

static void put_right(struct dbuf *b, const char *s, size_t width)
{
	put_spaces(b, width - strlen(s));
	put_str(b, s);
}

#define RATE_TITLE "RATE/s"
#define TOTAL_TITLE "TOTAL"

static int format_table(const struct cli_summary *s, const struct cli_fmt_ctx *c, const struct cli_summary_head *h,
			bool tty, unsigned int max_rows, struct dbuf *b)
{
	char (*cells)[NR_COLS][CELL_MAX + 1] = NULL, num[2][NUM_MAX], cell[CELL_BUF];
	size_t nr, show, width[NR_COLS + 2], ncols = 0;
	enum col used[NR_COLS];
	struct shown *v;

	for (int i = 0; i < NR_COLS; i++)
		if (s->by & cols[i].bit)
			used[ncols++] = (enum col)i;
	v = sorted_rows(s, &nr);
	if (!v)
		return -ENOMEM;
	show = nr;
	if (max_rows && nr > max_rows)
		show = max_rows - 1; /* the last line says how many more */
	if (show) {
		cells = malloc(show * sizeof(*cells));
		if (!cells) {
			free(v);
			return -ENOMEM;
		}
	}
	width[0] = strlen(RATE_TITLE);
	width[1] = strlen(TOTAL_TITLE);
	for (size_t j = 0; j < ncols; j++)
		width[j + 2] = strlen(cols[used[j]].title);
	for (size_t i = 0; i < show; i++) {
		fmt_double(num[0], sizeof(num[0]), rate_of(s, v[i].delta), 1);
		snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)v[i].total);
		for (int j = 0; j < 2; j++)
			if (strlen(num[j]) > width[j])
				width[j] = strlen(num[j]);
		if (!v[i].r)
			continue; /* the other label spans the key columns */
		for (size_t j = 0; j < ncols; j++) {
			cell_text(c, &v[i].r->key, used[j], cell);
			text_cell(cell);
			memcpy(cells[i][j], cell, strlen(cell) + 1);
			if (strlen(cells[i][j]) > width[j + 2])
				width[j + 2] = strlen(cells[i][j]);
		}
	}

	if (tty)
		put_str(b, "\033[H\033[2J");
	text_head(s, c, h, b);
	put_right(b, RATE_TITLE, width[0]);
	put_str(b, "  ");
	put_right(b, TOTAL_TITLE, width[1]);
	for (size_t j = 0; j < ncols; j++) {
		put_str(b, "  ");
		put_left(b, cols[used[j]].title, width[j + 2], j + 1 == ncols);
	}
	put_char(b, '\n');
	for (size_t i = 0; i < show; i++) {
		fmt_double(num[0], sizeof(num[0]), rate_of(s, v[i].delta), 1);
		snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)v[i].total);
		put_right(b, num[0], width[0]);
		put_str(b, "  ");
		put_right(b, num[1], width[1]);
		if (!v[i].r) {
			put_str(b, "  " OTHER_LABEL);
		} else {
			for (size_t j = 0; j < ncols; j++) {
				put_str(b, "  ");
				put_left(b, cells[i][j], width[j + 2], j + 1 == ncols);
			}
		}
		put_char(b, '\n');
	}
	if (show < nr) {
		put_str(b, "... ");
		put_u64(b, nr - show);
		put_str(b, " more rows\n"); /* at least 2: one would fit in this line */
	}
	if (!tty)
		put_char(b, '\n');
	free(cells);
	free(v);
	return 0;
}

/* Write a finished buffer in one go, and flush: a reader never sees half a
 * table or half a line from us. */
static int emit(struct dbuf *b, FILE *out)
{
	int err = 0;

	if (b->oom)
		err = -ENOMEM;
	else if (fwrite(b->p, 1, b->len, out) != b->len || fflush(out))
		err = errno ? -errno : -EIO;
	free(b->p);
	return err;
}

int cli_summary__write_text(const struct cli_summary *s, const struct cli_fmt_ctx *c,
			    const struct cli_summary_head *h, bool tty, unsigned int max_rows, FILE *out)
{
	struct dbuf b = { 0 };
	int err = format_table(s, c, h, tty, max_rows, &b);

	if (err) {
		free(b.p);
		return err;
	}
	errno = 0;
	return emit(&b, out);
}

/* ---- JSON -------------------------------------------------------------- */

/* Raw bytes, not necessarily UTF-8: anything outside printable ASCII as
 * \u00XX, like the event lines in output.c. */
static void put_json_string(struct dbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put_char(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };

		if (ch == '"' || ch == '\\') {
			put_char(b, '\\');
			put_char(b, (char)ch);
		} else if (ch < 0x20 || ch >= 0x7f) {
			put_mem(b, esc, sizeof(esc));
		} else {
			put_char(b, (char)ch);
		}
	}
	put_char(b, '"');
}

static void put_json_row(const struct cli_summary *s, const struct cli_fmt_ctx *c, const struct shown *v,
			 struct dbuf *b)
{
	const struct skbd_agg_key *k = v->r ? &v->r->key : NULL;
	char cell[CELL_BUF], dev[16];
	const char *name;

	put_char(b, '{');
	if (!k) {
		put_str(b, "\"other\":true,");
	} else {
		if (s->by & SKBD_AGG_REASON) {
			name = reason_name(c, k->reason);
			put_str(b, "\"reason\":");
			if (name)
				put_json_string(b, name);
			else
				put_str(b, "null");
			put_str(b, ",\"reason_code\":");
			if (c->has_reason)
				put_u64(b, k->reason);
			else
				put_str(b, "null");
			put_char(b, ',');
		}
		if (s->by & SKBD_AGG_LOCATION) {
			cell_text(c, k, COL_LOCATION, cell);
			put_str(b, "\"location\":");
			put_json_string(b, cell);
			snprintf(cell, sizeof(cell), "0x%llx", (unsigned long long)k->location);
			put_str(b, ",\"location_addr\":");
			put_json_string(b, cell);
			put_char(b, ',');
		}
		if (s->by & SKBD_AGG_DEV) {
			put_str(b, "\"dev\":");
			if (k->ifindex && dev_name(c, k, dev) == 0)
				put_json_string(b, dev);
			else
				put_str(b, "null");
			put_str(b, ",\"ifindex\":");
			put_u64(b, k->ifindex);
			put_char(b, ',');
		}
		if (s->by & SKBD_AGG_NETNS) {
			name = netns_name(c, k);
			put_str(b, "\"netns\":");
			if (k->netns)
				put_u64(b, k->netns);
			else
				put_str(b, "null");
			put_str(b, ",\"netns_name\":");
			if (name)
				put_json_string(b, name);
			else
				put_str(b, "null");
			put_char(b, ',');
		}
		if (s->by & SKBD_AGG_COMM) {
			memcpy(cell, k->comm, sizeof(k->comm));
			cell[sizeof(k->comm)] = '\0';
			put_str(b, "\"comm\":");
			put_json_string(b, cell);
			put_char(b, ',');
		}
	}
	put_str(b, "\"total\":");
	put_u64(b, v->total);
	put_str(b, ",\"rate\":");
	put_double(b, rate_of(s, v->delta), 3);
	put_char(b, '}');
}

int cli_summary__write_json(const struct cli_summary *s, const struct cli_fmt_ctx *c,
			    const struct cli_summary_head *h, FILE *out)
{
	struct dbuf b = { 0 };
	struct shown *v;
	char tmp[64];
	size_t nr;

	v = sorted_rows(s, &nr);
	if (!v)
		return -ENOMEM;
	wall_time(c, s->now, true, tmp, sizeof(tmp));
	put_str(&b, "{\"time\":\"");
	put_str(&b, tmp);
	put_str(&b, "\",\"elapsed\":");
	put_double(&b, h->elapsed, 3);
	put_str(&b, ",\"interval\":");
	put_double(&b, interval(s), 3);
	put_str(&b, ",\"kernel\":");
	if (h->kernel_release)
		put_json_string(&b, h->kernel_release);
	else
		put_str(&b, "null");
	put_str(&b, ",\"rate\":");
	put_double(&b, cli_summary__rate(s), 3);
	put_str(&b, ",\"counted\":");
	put_u64(&b, h->counted);
	put_str(&b, ",\"lost\":");
	put_u64(&b, h->lost);
	put_str(&b, ",\"filtered\":");
	put_u64(&b, h->filtered);
	put_str(&b, ",\"rate_limited\":");
	put_u64(&b, h->rate_limited);
	put_str(&b, ",\"rows\":[");
	for (size_t i = 0; i < nr; i++) {
		if (i)
			put_char(&b, ',');
		put_json_row(s, c, &v[i], &b);
	}
	put_str(&b, "]}\n");
	free(v);
	errno = 0;
	return emit(&b, out);
}

/* ---- Prometheus ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF), 0 if there is none. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c0 = s[0];
	size_t n;
	unsigned char lo = 0x80, hi = 0xbf;

	if (c0 < 0x80)
		return 1;
	if (c0 >= 0xc2 && c0 <= 0xdf)
		n = 2;
	else if (c0 >= 0xe0 && c0 <= 0xef)
		n = 3;
	else if (c0 >= 0xf0 && c0 <= 0xf4)
		n = 4;
	else
		return 0;
	if (c0 == 0xe0)
		lo = 0xa0;
	else if (c0 == 0xed)
		hi = 0x9f;
	else if (c0 == 0xf0)
		lo = 0x90;
	else if (c0 == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* A label value: \\, \" and \n escaped as the exposition format wants;
 * Prometheus rejects a value that is not UTF-8, so stray bytes become '?'. */
static void put_prom_value(struct dbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	put_char(b, '"');
	while (*p) {
		size_t n = utf8_len(p);

		if (!n) {
			put_char(b, '?');
			p++;
		} else if (*p == '\\' || *p == '"') {
			put_char(b, '\\');
			put_char(b, (char)*p++);
		} else if (*p == '\n') {
			put_str(b, "\\n");
			p++;
		} else {
			put_mem(b, p, n);
			p += n;
		}
	}
	put_char(b, '"');
}

static const char *const prom_label[NR_COLS] = {
	[COL_REASON] = "reason", [COL_LOCATION] = "location", [COL_DEV] = "device",
	[COL_NETNS] = "netns",   [COL_COMM] = "comm",
};

struct prom_series {
	size_t off; /* of the label text in the labels buffer */
	__u64 total;
};

static int cmp_series(const void *pa, const void *pb, void *base)
{
	const struct prom_series *a = pa, *b = pb;

	return strcmp((const char *)base + a->off, (const char *)base + b->off);
}

/* Rows whose labels read the same (two devices both named "lo" in netns
 * that --by does not split, say) are one series: Prometheus rejects a
 * scrape with a duplicate series. Their sum is still a counter (rows are
 * never removed). */
static int put_prom_drops(const struct cli_summary *s, const struct cli_fmt_ctx *c, struct dbuf *b)
{
	struct dbuf labels = { 0 };
	struct prom_series *v;
	char cell[CELL_BUF];
	size_t n = 0;

	v = malloc((s->nr ? s->nr : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	put_mem(&labels, "", 0);
	for (size_t i = 0; i < s->nr; i++) {
		bool first = true;

		v[n].off = labels.len;
		v[n].total = s->rows[i].total;
		n++;
		for (int col = 0; col < NR_COLS; col++) {
			if (!(s->by & cols[col].bit))
				continue;
			cell_text(c, &s->rows[i].key, (enum col)col, cell);
			if (!first)
				put_char(&labels, ',');
			first = false;
			put_str(&labels, prom_label[col]);
			put_char(&labels, '=');
			put_prom_value(&labels, cell);
		}
		put_mem(&labels, "", 1); /* keep the NUL: strings one after another */
	}
	if (labels.oom) {
		free(labels.p);
		free(v);
		return -ENOMEM;
	}
	qsort_r(v, n, sizeof(*v), cmp_series, labels.p);
	put_str(b, "# HELP skbdrop_drops_total Packets the kernel dropped, counted in the kernel by the --by fields.\n"
		   "# TYPE skbdrop_drops_total counter\n");
	for (size_t i = 0; i < n; i++) {
		const char *l = labels.p + v[i].off;
		__u64 total = v[i].total;

		while (i + 1 < n && !strcmp(l, labels.p + v[i + 1].off))
			total += v[++i].total;
		put_str(b, "skbdrop_drops_total");
		if (*l) {
			put_char(b, '{');
			put_str(b, l);
			put_char(b, '}');
		}
		put_char(b, ' ');
		put_u64(b, total);
		put_char(b, '\n');
	}
	if (s->other_total) {
		put_str(b, "skbdrop_drops_total{other=\"true\"} ");
		put_u64(b, s->other_total);
		put_char(b, '\n');
	}
	free(labels.p);
	free(v);
	return 0;
}

static void put_prom_counter(struct dbuf *b, const char *name, const char *help, unsigned long long v)
{
	put_str(b, "# HELP ");
	put_str(b, name);
	put_char(b, ' ');
	put_str(b, help);
	put_str(b, "\n# TYPE ");
	put_str(b, name);
	put_str(b, " counter\n");
	put_str(b, name);
	put_char(b, ' ');
	put_u64(b, v);
	put_char(b, '\n');
}

/* The whole file's text in b. */
static int format_prom(const struct cli_summary *s, const struct cli_fmt_ctx *c, const struct cli_summary_head *h,
		       struct dbuf *b)
{
	int err = put_prom_drops(s, c, b);

	if (err)
		return err;
	put_prom_counter(b, "skbdrop_events_lost_total", "Drops that could not be reported (ring buffer full).",
			 h->lost);
	put_prom_counter(b, "skbdrop_events_filtered_total", "Drops discarded by the pid, reason and packet filters.",
			 h->filtered);
	put_prom_counter(b, "skbdrop_events_rate_limited_total", "Drops over --max-rate, not reported.",
			 h->rate_limited);
	put_str(b, "# HELP skbdrop_elapsed_seconds Seconds since skbdrop started counting.\n"
		   "# TYPE skbdrop_elapsed_seconds gauge\n"
		   "skbdrop_elapsed_seconds ");
	put_double(b, h->elapsed, 3);
	put_char(b, '\n');
	return b->oom ? -ENOMEM : 0;
}

static int write_all(int fd, const char *p, size_t len)
{
	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Readers (node_exporter's textfile collector) see the old file or the new
 * one, never a partial one: a temporary file in the same directory, synced,
 * renamed over path. */
int cli_summary__write_prom(const struct cli_summary *s, const struct cli_fmt_ctx *c,
			    const struct cli_summary_head *h, const char *path)
{
	struct dbuf b = { 0 };
	char tmp[PATH_MAX];
	int fd, err, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	err = format_prom(s, c, h, &b);
	if (err)
		goto free_buf;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err = -errno;
		goto free_buf;
	}
	err = write_all(fd, b.p, b.len);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
free_buf:
	free(b.p);
	return err;
}
