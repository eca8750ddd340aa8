// SPDX-License-Identifier: GPL-2.0-only
/* --summary, the writers: the model's sorted rows, shown with the names the
 * caller resolved, as a text table, one JSON line or a Prometheus textfile
 * (replaced atomically). Each builds its whole text in a growing buffer. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skbdrop/otlp.h>
#include "internal.h"

/* Longest cell of a text column; longer values end in "...". Devices are at
 * most 15 bytes, "ifindex 4294967295" 18; comm 15. */
#define CELL_MAX 48

/* Room for any finite double in %f (DBL_MAX has 309 digits): a number is
 * never cut. */
#define NUM_MAX 352

/* Non-finite or negative values (a clock going backwards) print as 0. */
static double sane(double v)
{
	return isfinite(v) && v > 0 ? v : 0;
}

static void fmt_double(char *buf, size_t size, double v, int decimals)
{
	snprintf(buf, size, "%.*f", decimals, sane(v));
}

static void put_double(struct skbd_sbuf *b, double v, int decimals)
{
	char tmp[NUM_MAX];

	fmt_double(tmp, sizeof(tmp), v, decimals);
	skbd_put_str(b, tmp);
}

static void put_spaces(struct skbd_sbuf *b, size_t n)
{
	while (n--)
		skbd_put_char(b, ' ');
}

/* ---- cells: what a row shows in each column ----------------------------- */

enum col { COL_REASON, COL_LOCATION, COL_DEV, COL_NETNS, COL_COMM, COL_OWNER, COL_CONTAINER, NR_COLS };

static const struct {
	const char *title;
	__u32 bit;
} cols[NR_COLS] = {
	[COL_REASON] = { "REASON", SKBD_BY_REASON }, [COL_LOCATION] = { "LOCATION", SKBD_BY_LOCATION },
	[COL_DEV] = { "DEVICE", SKBD_BY_DEV },       [COL_NETNS] = { "NETNS", SKBD_BY_NETNS },
	[COL_COMM] = { "COMM", SKBD_BY_COMM },       [COL_OWNER] = { "OWNER", SKBD_BY_OWNER },
	[COL_CONTAINER] = { "CONTAINER", SKBD_BY_CONTAINER },
};

/* The full text of a cell, raw bytes and all (names come from the system). */
#define CELL_BUF 512
static void cell_text(const struct skbd_fmt_ctx *c, const struct skbd_drop_key *k, const struct skbd_key_names *nm,
		      enum col col, char out[CELL_BUF])
{
	struct skbd_sbuf cb;

	switch (col) {
	case COL_REASON:
		cb = (struct skbd_sbuf){ .buf = out, .size = CELL_BUF };
		out_put_reason_text(&cb, c, k->reason);
		skbd_sbuf__finish(&cb);
		break;
	case COL_LOCATION:
		snprintf(out, CELL_BUF, "%.*s", (int)sizeof(nm->location), nm->location);
		break;
	case COL_DEV:
		if (!k->ifindex)
			snprintf(out, CELL_BUF, "-");
		else if (nm->dev[0])
			snprintf(out, CELL_BUF, "%.*s", (int)sizeof(nm->dev), nm->dev);
		else
			snprintf(out, CELL_BUF, "ifindex %u", k->ifindex);
		break;
	case COL_NETNS:
		if (k->netns && nm->netns[0])
			snprintf(out, CELL_BUF, "%.*s", (int)sizeof(nm->netns), nm->netns);
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
	case COL_OWNER: /* "comm[pid]", "socket:[inode]" (process unknown), "-" (no socket) */
		if (nm->owner_pid)
			snprintf(out, CELL_BUF, "%.16s[%u]", nm->owner_comm, nm->owner_pid);
		else if (nm->owner_ino)
			snprintf(out, CELL_BUF, "socket:[%llu]", (unsigned long long)nm->owner_ino);
		else
			snprintf(out, CELL_BUF, "-");
		break;
	case COL_CONTAINER: /* the short container id, else the cgroup path */
		if (nm->container[0])
			snprintf(out, CELL_BUF, "%.12s", nm->container);
		else if (nm->cgroup[0])
			snprintf(out, CELL_BUF, "%.*s", (int)sizeof(nm->cgroup), nm->cgroup);
		else if (k->sk_cgroup_id)
			snprintf(out, CELL_BUF, "cgroup %llu", (unsigned long long)k->sk_cgroup_id);
		else
			snprintf(out, CELL_BUF, "-");
		break;
	default:
		out[0] = '\0';
	}
}

/* ---- time ------------------------------------------------------------- */

/* "2024-05-01T12:01:05.250Z" (millis) or "2024-05-01T12:01:05Z" */
static void wall_time(const struct skbd_fmt_ctx *c, double now, bool millis, char *buf, size_t size)
{
	double ns = sane(now) * 1e9;
	struct skbd_time_text t = { .sec = -1 };
	long nsec = skbd_time_text__set(&t, c->mono_to_real_ns, ns < 1e18 ? (__u64)ns : (__u64)1e18); /* no overflow */

	if (millis)
		snprintf(buf, size, "%s.%03dZ", t.date, (int)(nsec / 1000000));
	else
		snprintf(buf, size, "%sZ", t.date);
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

static void text_head(const struct skbd_summary *s, const struct skbd_fmt_ctx *c, const struct skbd_summary_head *h,
		      struct skbd_sbuf *b)
{
	char tmp[64];

	wall_time(c, skbd_summary__now(s), false, tmp, sizeof(tmp));
	skbd_put_str(b, "skbdrop summary ");
	skbd_put_str(b, tmp);
	if (h->kernel_release) {
		skbd_put_str(b, "  kernel ");
		skbd_put_str(b, h->kernel_release);
	}
	fmt_elapsed(h->elapsed, tmp, sizeof(tmp));
	skbd_put_str(b, "  elapsed ");
	skbd_put_str(b, tmp);
	skbd_put_str(b, "  interval ");
	put_double(b, skbd_summary__interval(s), 1);
	skbd_put_str(b, "s\ndrops ");
	put_double(b, skbd_summary__rate(s), 1);
	skbd_put_str(b, "/s  counted ");
	skbd_put_u64(b, h->counted);
	skbd_put_str(b, "  lost ");
	skbd_put_u64(b, h->lost);
	skbd_put_str(b, "  filtered ");
	skbd_put_u64(b, h->filtered);
	skbd_put_str(b, "  rate-limited ");
	skbd_put_u64(b, h->rate_limited);
	skbd_put_str(b, "  benign ");
	skbd_put_u64(b, h->benign);
	skbd_put_str(b, "\n\n");
}

static void put_left(struct skbd_sbuf *b, const char *s, size_t width, bool last)
{
	skbd_put_str(b, s);
	if (!last)
		put_spaces(b, width - strlen(s));
}

static void put_right(struct skbd_sbuf *b, const char *s, size_t width)
{
	put_spaces(b, width - strlen(s));
	skbd_put_str(b, s);
}

#define RATE_TITLE "RATE/s"
#define TOTAL_TITLE "TOTAL"

int skbd_summary__format_text(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *sv, bool tty, unsigned int max_rows,
			      struct skbd_sbuf *b)
{
	char (*cells)[NR_COLS][CELL_MAX + 1] = NULL, num[2][NUM_MAX], cell[CELL_BUF];
	const struct skbd_summary_row *v = sv->rows;
	size_t nr = sv->n, show, width[NR_COLS + 2], ncols = 0;
	__u32 by = skbd_summary__by(s);
	enum col used[NR_COLS];

	for (int i = 0; i < NR_COLS; i++)
		if (by & cols[i].bit)
			used[ncols++] = (enum col)i;
	show = nr;
	if (max_rows && nr > max_rows)
		show = max_rows - 1; /* the last line says how many more */
	if (show) {
		cells = malloc(show * sizeof(*cells));
		if (!cells)
			return -ENOMEM;
	}
	width[0] = strlen(RATE_TITLE);
	width[1] = strlen(TOTAL_TITLE);
	for (size_t j = 0; j < ncols; j++)
		width[j + 2] = strlen(cols[used[j]].title);
	for (size_t i = 0; i < show; i++) {
		fmt_double(num[0], sizeof(num[0]), v[i].rate, 1);
		snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)v[i].total);
		for (int j = 0; j < 2; j++)
			if (strlen(num[j]) > width[j])
				width[j] = strlen(num[j]);
		if (!v[i].key)
			continue; /* the other label spans the key columns */
		for (size_t j = 0; j < ncols; j++) {
			cell_text(c, v[i].key, &sv->names[i], used[j], cell);
			text_cell(cell);
			memcpy(cells[i][j], cell, strlen(cell) + 1);
			if (strlen(cells[i][j]) > width[j + 2])
				width[j + 2] = strlen(cells[i][j]);
		}
	}

	if (tty)
		skbd_put_str(b, "\033[H\033[2J");
	text_head(s, c, sv->head, b);
	put_right(b, RATE_TITLE, width[0]);
	skbd_put_str(b, "  ");
	put_right(b, TOTAL_TITLE, width[1]);
	for (size_t j = 0; j < ncols; j++) {
		skbd_put_str(b, "  ");
		put_left(b, cols[used[j]].title, width[j + 2], j + 1 == ncols);
	}
	skbd_put_char(b, '\n');
	for (size_t i = 0; i < show; i++) {
		fmt_double(num[0], sizeof(num[0]), v[i].rate, 1);
		snprintf(num[1], sizeof(num[1]), "%llu", (unsigned long long)v[i].total);
		put_right(b, num[0], width[0]);
		skbd_put_str(b, "  ");
		put_right(b, num[1], width[1]);
		if (!v[i].key) {
			skbd_put_str(b, "  " OTHER_LABEL);
		} else {
			for (size_t j = 0; j < ncols; j++) {
				skbd_put_str(b, "  ");
				put_left(b, cells[i][j], width[j + 2], j + 1 == ncols);
			}
		}
		skbd_put_char(b, '\n');
	}
	if (show < nr) {
		skbd_put_str(b, "... ");
		skbd_put_u64(b, nr - show);
		skbd_put_str(b, " more rows\n"); /* at least 2: one would fit in this line */
	}
	if (sv->head->nr_counters) {
		skbd_put_char(b, '\n');
		skbd_counters__format_text(sv->head->counters, sv->head->nr_counters, "", b);
	}
	if (!tty)
		skbd_put_char(b, '\n');
	free(cells);
	return b->oom ? -ENOMEM : 0;
}

/* ---- JSON -------------------------------------------------------------- */

static void put_json_row(__u32 by, const struct skbd_fmt_ctx *c, const struct skbd_summary_row *v,
			 const struct skbd_key_names *nm, struct skbd_sbuf *b)
{
	const struct skbd_drop_key *k = v->key;
	skbd_put_char(b, '{');
	if (!k) {
		skbd_put_str(b, "\"other\":true,");
	} else {
		if (by & SKBD_BY_REASON) {
			out_put_reason_json(b, c, k->reason);
			skbd_put_char(b, ',');
		}
		if (by & SKBD_BY_LOCATION) {
			skbd_put_str(b, "\"location\":");
			skbd_put_json_mem(b, nm->location, strnlen(nm->location, sizeof(nm->location)));
			skbd_put_str(b, ",\"location_addr\":\"0x");
			skbd_put_hex(b, k->location);
			skbd_put_char(b, '"');
			skbd_put_char(b, ',');
		}
		if (by & SKBD_BY_DEV) {
			skbd_put_str(b, "\"dev\":");
			if (k->ifindex && nm->dev[0])
				skbd_put_json_mem(b, nm->dev, strnlen(nm->dev, sizeof(nm->dev)));
			else
				skbd_put_str(b, "null");
			skbd_put_str(b, ",\"ifindex\":");
			skbd_put_u64(b, k->ifindex);
			skbd_put_char(b, ',');
		}
		if (by & SKBD_BY_NETNS) {
			skbd_put_str(b, "\"netns\":");
			if (k->netns)
				skbd_put_u64(b, k->netns);
			else
				skbd_put_str(b, "null");
			skbd_put_str(b, ",\"netns_name\":");
			if (k->netns && nm->netns[0])
				skbd_put_json_mem(b, nm->netns, strnlen(nm->netns, sizeof(nm->netns)));
			else
				skbd_put_str(b, "null");
			skbd_put_char(b, ',');
		}
		if (by & SKBD_BY_COMM) {
			skbd_put_str(b, "\"comm\":");
			skbd_put_json_mem(b, k->comm, strnlen(k->comm, sizeof(k->comm)));
			skbd_put_char(b, ',');
		}
		if (by & SKBD_BY_OWNER) {
			skbd_put_str(b, "\"owner\":");
			if (nm->owner_pid) {
				skbd_put_str(b, "{\"pid\":");
				skbd_put_u64(b, nm->owner_pid);
				skbd_put_str(b, ",\"comm\":");
				if (nm->owner_comm[0])
					skbd_put_json_str(b, nm->owner_comm);
				else
					skbd_put_str(b, "null");
				skbd_put_str(b, ",\"inode\":null}");
			} else if (nm->owner_ino) {
				skbd_put_str(b, "{\"pid\":null,\"comm\":null,\"inode\":");
				skbd_put_u64(b, nm->owner_ino);
				skbd_put_char(b, '}');
			} else {
				skbd_put_str(b, "null");
			}
			skbd_put_char(b, ',');
		}
		if (by & SKBD_BY_CONTAINER) {
			skbd_put_str(b, "\"container\":");
			if (nm->container[0])
				skbd_put_json_str(b, nm->container);
			else
				skbd_put_str(b, "null");
			skbd_put_str(b, ",\"cgroup\":");
			if (nm->cgroup[0])
				skbd_put_json_str(b, nm->cgroup);
			else
				skbd_put_str(b, "null");
			skbd_put_str(b, ",\"cgroup_id\":");
			skbd_put_u64(b, k->sk_cgroup_id);
			skbd_put_char(b, ',');
		}
	}
	skbd_put_str(b, "\"total\":");
	skbd_put_u64(b, v->total);
	skbd_put_str(b, ",\"rate\":");
	put_double(b, v->rate, 3);
	skbd_put_char(b, '}');
}

int skbd_summary__format_json(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *sv, struct skbd_sbuf *out)
{
	const struct skbd_summary_head *h = sv->head;
	struct skbd_sbuf *b = out;
	char tmp[64];
	wall_time(c, skbd_summary__now(s), true, tmp, sizeof(tmp));
	skbd_put_str(b, "{\"time\":\"");
	skbd_put_str(b, tmp);
	skbd_put_str(b, "\",\"elapsed\":");
	put_double(b, h->elapsed, 3);
	skbd_put_str(b, ",\"interval\":");
	put_double(b, skbd_summary__interval(s), 3);
	skbd_put_str(b, ",\"kernel\":");
	if (h->kernel_release)
		skbd_put_json_str(b, h->kernel_release);
	else
		skbd_put_str(b, "null");
	skbd_put_str(b, ",\"rate\":");
	put_double(b, skbd_summary__rate(s), 3);
	skbd_put_str(b, ",\"counted\":");
	skbd_put_u64(b, h->counted);
	skbd_put_str(b, ",\"lost\":");
	skbd_put_u64(b, h->lost);
	skbd_put_str(b, ",\"filtered\":");
	skbd_put_u64(b, h->filtered);
	skbd_put_str(b, ",\"rate_limited\":");
	skbd_put_u64(b, h->rate_limited);
	skbd_put_str(b, ",\"benign\":");
	skbd_put_u64(b, h->benign);
	skbd_put_str(b, ",\"rows\":[");
	for (size_t i = 0; i < sv->n; i++) {
		if (i)
			skbd_put_char(b, ',');
		put_json_row(skbd_summary__by(s), c, &sv->rows[i], &sv->names[i], b);
	}
	skbd_put_str(b, "],\"counters\":[");
	for (size_t i = 0; i < h->nr_counters; i++) {
		const struct skbd_counters_view *cv = &h->counters[i];

		if (i)
			skbd_put_char(b, ',');
		skbd_put_str(b, "{\"netns\":");
		skbd_put_u64(b, cv->netns);
		skbd_put_str(b, ",\"netns_name\":");
		if (cv->netns_name[0])
			skbd_put_json_str(b, cv->netns_name);
		else
			skbd_put_str(b, "null");
		skbd_put_str(b, ",\"moved\":{");
		for (size_t k = 0; k < cv->n; k++) {
			if (k)
				skbd_put_char(b, ',');
			skbd_put_json_str(b, cv->d[k].name);
			skbd_put_char(b, ':');
			skbd_put_u64(b, cv->d[k].delta);
		}
		skbd_put_str(b, "}}");
	}
	skbd_put_str(b, "]}\n");
	return b->oom ? -ENOMEM : 0;
}

/* ---- Prometheus ---------------------------------------------------------- */

/* A label value: \\, \" and \n escaped as the exposition format wants;
 * Prometheus rejects a value that is not UTF-8, so stray bytes become '?'. */
static void put_prom_value(struct skbd_sbuf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strlen(s);

	skbd_put_char(b, '"');
	while (*p) {
		size_t n = skbd_utf8_len(p, (size_t)(end - p));

		if (!n) {
			skbd_put_char(b, '?');
			p++;
		} else if (*p == '\\' || *p == '"') {
			skbd_put_char(b, '\\');
			skbd_put_char(b, (char)*p++);
		} else if (*p == '\n') {
			skbd_put_str(b, "\\n");
			p++;
		} else {
			skbd_put_mem(b, (const char *)p, n);
			p += n;
		}
	}
	skbd_put_char(b, '"');
}

static const char *const prom_label[NR_COLS] = {
	[COL_REASON] = "reason", [COL_LOCATION] = "location", [COL_DEV] = "dev",
	[COL_NETNS] = "netns",   [COL_COMM] = "comm",	    [COL_OWNER] = "owner",
	[COL_CONTAINER] = "container",
};

struct series {
	size_t off; /* of the label text in the labels buffer */
	__u64 total;
};

static int cmp_series(const void *pa, const void *pb, void *base)
{
	const struct series *a = pa, *b = pb;

	return strcmp((const char *)base + a->off, (const char *)base + b->off);
}

/* How a writer puts one label: name (a column) and value (its cell). */
typedef void (*put_label_fn)(struct skbd_sbuf *b, bool first, enum col col, const char *value);

/* The rows as series: each row's labels (the fields of mask) as text in
 * *labels, sorted, and rows whose labels read the same (two devices both
 * named "lo" in namespaces the mask does not split, say) summed into one:
 * a scrape with a duplicate series is rejected, and a sum of counters is a
 * counter (rows are never removed). *v and labels are the caller's to free;
 * *other is the other row's total. 0 or -ENOMEM. */
static int collect_series(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			  const struct skbd_summary_view *sv, put_label_fn put_label, struct skbd_sbuf *labels,
			  struct series **out, size_t *nout, __u64 *other)
{
	__u32 by = skbd_summary__by(s) & (sv->head->labels ? sv->head->labels : ~0u);
	char cell[CELL_BUF];
	struct series *v;
	size_t n = 0, w = 0;

	*other = 0;
	v = malloc((sv->n ? sv->n : 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	skbd_sbuf__grow_init(labels);
	skbd_sbuf__reserve(labels, 0);
	for (size_t i = 0; i < sv->n; i++) {
		const struct skbd_drop_key *k = sv->rows[i].key;
		bool first = true;

		if (!k) {
			*other += sv->rows[i].total;
			continue;
		}
		v[n].off = labels->len;
		v[n].total = sv->rows[i].total;
		n++;
		for (int col = 0; col < NR_COLS; col++) {
			if (!(by & cols[col].bit))
				continue;
			cell_text(c, k, &sv->names[i], (enum col)col, cell);
			put_label(labels, first, (enum col)col, cell);
			first = false;
		}
		skbd_put_mem(labels, "", 1); /* keep the NUL: strings one after another */
	}
	if (labels->oom) {
		skbd_sbuf__release(labels);
		free(v);
		return -ENOMEM;
	}
	qsort_r(v, n, sizeof(*v), cmp_series, labels->buf);
	for (size_t i = 0; i < n; i++) {
		v[w] = v[i];
		while (i + 1 < n && !strcmp(labels->buf + v[w].off, labels->buf + v[i + 1].off))
			v[w].total += v[++i].total;
		w++;
	}
	*out = v;
	*nout = w;
	return 0;
}

static void put_prom_label(struct skbd_sbuf *b, bool first, enum col col, const char *value)
{
	if (!first)
		skbd_put_char(b, ',');
	skbd_put_str(b, prom_label[col]);
	skbd_put_char(b, '=');
	put_prom_value(b, value);
}

static int put_prom_drops(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			  const struct skbd_summary_view *sv, struct skbd_sbuf *b)
{
	struct skbd_sbuf labels;
	struct series *v;
	__u64 other;
	size_t n;
	int err = collect_series(s, c, sv, put_prom_label, &labels, &v, &n, &other);

	if (err)
		return err;
	skbd_put_str(b, "# HELP skbdrop_drops_total Packets the kernel dropped (past skbdrop's filters), counted in the kernel.\n"
		   "# TYPE skbdrop_drops_total counter\n");
	for (size_t i = 0; i < n; i++) {
		const char *l = labels.buf + v[i].off;

		skbd_put_str(b, "skbdrop_drops_total");
		if (*l) {
			skbd_put_char(b, '{');
			skbd_put_str(b, l);
			skbd_put_char(b, '}');
		}
		skbd_put_char(b, ' ');
		skbd_put_u64(b, v[i].total);
		skbd_put_char(b, '\n');
	}
	if (other) {
		skbd_put_str(b, "skbdrop_drops_total{other=\"true\"} ");
		skbd_put_u64(b, other);
		skbd_put_char(b, '\n');
	}
	skbd_sbuf__release(&labels);
	free(v);
	return 0;
}

static void put_prom_counter(struct skbd_sbuf *b, const char *name, const char *help, unsigned long long v)
{
	skbd_put_str(b, "# HELP ");
	skbd_put_str(b, name);
	skbd_put_char(b, ' ');
	skbd_put_str(b, help);
	skbd_put_str(b, "\n# TYPE ");
	skbd_put_str(b, name);
	skbd_put_str(b, " counter\n");
	skbd_put_str(b, name);
	skbd_put_char(b, ' ');
	skbd_put_u64(b, v);
	skbd_put_char(b, '\n');
}

int skbd_summary__format_prom(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *sv, struct skbd_sbuf *b)
{
	const struct skbd_summary_head *h = sv->head;
	int err = put_prom_drops(s, c, sv, b);

	if (err)
		return err;
	if (h->streaming)
		put_prom_counter(b, "skbdrop_events_delivered_total", "Drop events read from the kernel.", h->delivered);
	put_prom_counter(b, "skbdrop_events_lost_total", "Drop events that could not be reported (ring buffer full).",
			 h->streaming ? h->lost : 0);
	put_prom_counter(b, "skbdrop_drops_missed_total",
			 "Drops the kernel ran no program for (another BPF program was running on that CPU).", h->missed);
	put_prom_counter(b, "skbdrop_events_filtered_total", "Drops discarded by the pid, reason and packet filters.",
			 h->filtered);
	put_prom_counter(b, "skbdrop_events_rate_limited_total", "Drops over --max-rate, not reported.",
			 h->rate_limited);
	if (h->benign_rules) {
		skbd_put_str(b, "# HELP skbdrop_benign_total Frees that are not drops of data in flight, by rule (--ignore).\n"
			   "# TYPE skbdrop_benign_total counter\n");
		for (int k = 0; k < SKBD_DROP_BENIGN_RULES && skbd_benign_rules[k].name; k++) {
			skbd_put_str(b, "skbdrop_benign_total{rule=");
			put_prom_value(b, skbd_benign_rules[k].name);
			skbd_put_str(b, "} ");
			skbd_put_u64(b, h->benign_rules[k]);
			skbd_put_char(b, '\n');
		}
	}
	if (h->otlp) {
		static const char *const outcome[] = { "sent", "dropped", "rejected", "failed" };
		const unsigned long long v[] = { h->otlp->sent, h->otlp->dropped, h->otlp->rejected, h->otlp->failed };

		skbd_put_str(b, "# HELP skbdrop_otlp_records_total Drop events handed to --otlp, by outcome (dropped: queue full).\n"
			   "# TYPE skbdrop_otlp_records_total counter\n");
		for (int k = 0; k < 4; k++) {
			skbd_put_str(b, "skbdrop_otlp_records_total{outcome=\"");
			skbd_put_str(b, outcome[k]);
			skbd_put_str(b, "\"} ");
			skbd_put_u64(b, v[k]);
			skbd_put_char(b, '\n');
		}
	}
	if (h->version) {
		skbd_put_str(b, "# HELP skbdrop_build_info skbdrop's version, the kernel it runs on and its transport.\n"
			   "# TYPE skbdrop_build_info gauge\n"
			   "skbdrop_build_info{version=");
		put_prom_value(b, h->version);
		skbd_put_str(b, ",kernel=");
		put_prom_value(b, h->kernel_release ? h->kernel_release : "");
		skbd_put_str(b, ",transport=");
		put_prom_value(b, h->transport ? h->transport : "");
		skbd_put_str(b, "} 1\n");
	}
	skbd_put_str(b, "# HELP skbdrop_elapsed_seconds Seconds since skbdrop started counting.\n"
		   "# TYPE skbdrop_elapsed_seconds gauge\n"
		   "skbdrop_elapsed_seconds ");
	put_double(b, h->elapsed, 3);
	skbd_put_char(b, '\n');
	if (h->nr_counters)
		skbd_put_str(b, "# HELP skbdrop_kernel_drops_total The kernel's own drop counters, as they moved since skbdrop started.\n"
			   "# TYPE skbdrop_kernel_drops_total counter\n");
	for (size_t i = 0; i < h->nr_counters; i++) {
		const struct skbd_counters_view *cv = &h->counters[i];
		char ns[16];

		snprintf(ns, sizeof(ns), "%u", cv->netns);
		for (size_t k = 0; k < cv->n; k++) {
			skbd_put_str(b, "skbdrop_kernel_drops_total{netns=");
			put_prom_value(b, cv->netns_name[0] ? cv->netns_name : ns);
			skbd_put_str(b, ",counter=");
			put_prom_value(b, cv->d[k].name);
			skbd_put_str(b, "} ");
			skbd_put_u64(b, cv->d[k].delta);
			skbd_put_char(b, '\n');
		}
	}
	return b->oom ? -ENOMEM : 0;
}

/* ---- OTLP metrics ---------------------------------------------------------- */

static const char *const otlp_attr[NR_COLS] = {
	[COL_REASON] = "skbdrop.reason",     [COL_LOCATION] = "skbdrop.location",
	[COL_DEV] = "network.interface.name", [COL_NETNS] = "skbdrop.netns",
	[COL_COMM] = "skbdrop.context.comm",  [COL_OWNER] = "skbdrop.owner",
	[COL_CONTAINER] = "container.id",
};

static void put_otlp_label(struct skbd_sbuf *b, bool first, enum col col, const char *value)
{
	out_otlp_attr_str(b, &first, otlp_attr[col], value);
}

static void put_point(struct skbd_sbuf *b, bool first, const char *attrs, __u64 start_ns, __u64 now_ns, __u64 v)
{
	if (!first)
		skbd_put_char(b, ',');
	skbd_put_lit(b, "{\"attributes\":[");
	skbd_put_str(b, attrs);
	skbd_put_lit(b, "],\"startTimeUnixNano\":");
	out_otlp_u64_str(b, start_ns);
	skbd_put_lit(b, ",\"timeUnixNano\":");
	out_otlp_u64_str(b, now_ns);
	skbd_put_lit(b, ",\"asInt\":");
	out_otlp_u64_str(b, v);
	skbd_put_char(b, '}');
}

static void sum_head(struct skbd_sbuf *b, bool first, const char *name, const char *unit, const char *desc)
{
	if (!first)
		skbd_put_char(b, ',');
	skbd_put_lit(b, "{\"name\":\"");
	skbd_put_str(b, name);
	skbd_put_lit(b, "\",\"unit\":\"");
	skbd_put_str(b, unit);
	skbd_put_lit(b, "\",\"description\":\"");
	skbd_put_str(b, desc);
	/* AGGREGATION_TEMPORALITY_CUMULATIVE = 2 */
	skbd_put_lit(b, "\",\"sum\":{\"aggregationTemporality\":2,\"isMonotonic\":true,\"dataPoints\":[");
}

static void one_sum(struct skbd_sbuf *b, const char *name, const char *desc, __u64 start_ns, __u64 now_ns, __u64 v)
{
	sum_head(b, false, name, "{event}", desc);
	put_point(b, true, "", start_ns, now_ns, v);
	skbd_put_lit(b, "]}}");
}

int skbd_summary__format_otlp(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *sv, const struct skbd_otlp_opts *o, __u64 start_ns,
			      __u64 now_ns, struct skbd_sbuf *b)
{
	const struct skbd_summary_head *h = sv->head;
	struct skbd_sbuf labels;
	struct series *v;
	__u64 other;
	size_t n;
	int err = collect_series(s, c, sv, put_otlp_label, &labels, &v, &n, &other);

	if (err)
		return err;
	skbd_put_lit(b, "{\"resourceMetrics\":[");
	out_otlp_put_resource(b, o);
	skbd_put_lit(b, "\"scopeMetrics\":[");
	out_otlp_put_scope(b, o);
	skbd_put_lit(b, "\"metrics\":[");
	sum_head(b, true, "skbdrop.drops", "{packet}", "Packets the kernel dropped (past skbdrop's filters), counted in the kernel.");
	for (size_t i = 0; i < n; i++)
		put_point(b, i == 0, labels.buf + v[i].off, start_ns, now_ns, v[i].total);
	if (other) {
		char attr[64];
		struct skbd_sbuf a = { .buf = attr, .size = sizeof(attr) };
		bool first = true;

		out_otlp_attr_str(&a, &first, "skbdrop.other", "true");
		skbd_sbuf__finish(&a);
		put_point(b, n == 0, attr, start_ns, now_ns, other);
	}
	skbd_put_lit(b, "]}}");
	if (h->streaming) {
		one_sum(b, "skbdrop.events.delivered", "Drop events read from the kernel.", start_ns, now_ns, h->delivered);
		one_sum(b, "skbdrop.events.lost", "Drop events that could not be reported (ring buffer full).", start_ns,
			now_ns, h->lost);
	}
	one_sum(b, "skbdrop.drops.missed", "Drops the kernel ran no program for.", start_ns, now_ns, h->missed);
	one_sum(b, "skbdrop.events.filtered", "Drops discarded by the pid, reason and packet filters.", start_ns, now_ns,
		h->filtered);
	one_sum(b, "skbdrop.events.rate_limited", "Drops over --max-rate, not reported.", start_ns, now_ns,
		h->rate_limited);
	skbd_put_lit(b, "]}]}]}");
	skbd_sbuf__release(&labels);
	free(v);
	return b->oom ? -ENOMEM : 0;
}

/* Readers (node_exporter's textfile collector) see the old file or the new
 * one, never a partial one: a temporary file in the same directory, synced,
 * renamed over path. */
int skbd_summary__write_prom(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			     const struct skbd_summary_view *sv, const char *path)
{
	struct skbd_sbuf b;
	char tmp[PATH_MAX];
	int fd, err, n;

	n = snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof(tmp))
		return -ENAMETOOLONG;
	skbd_sbuf__grow_init(&b);
	err = skbd_summary__format_prom(s, c, sv, &b);
	if (err)
		goto free_buf;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err = -errno;
		goto free_buf;
	}
	err = skbd_write_all(fd, b.buf, b.len, NULL);
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
free_buf:
	skbd_sbuf__release(&b);
	return err;
}
