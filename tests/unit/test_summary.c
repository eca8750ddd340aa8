// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for output/summary.c and output/summary_write.c: --by parsing,
 * totals and rates over snapshots, row order, and the exact text table, JSON
 * line and Prometheus file (written atomically), shown with names the test
 * resolves as the names layer would. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/output.h>
#include <skbdrop/otlp.h>
#include "testutil.h"

#define FORMAT_618 SKBD_FIXTURES "/tracepoint-formats/kfree_skb-6.18.44.format"
#define KSYMS_BASIC SKBD_FIXTURES "/kallsyms/basic.txt"

/* 2024-05-01T12:00:00Z at CLOCK_MONOTONIC 0 */
#define MONO_TO_REAL 1714564800000000000LL

#define NS_BLUE 4026532000u  /* named "blue", holds veth1 (ifindex 7) */
#define NS_ANON 4026532001u  /* no name, no device names */
#define NS_WEIRD 4026532002u /* a name with every byte that needs care */
#define WEIRD_NAME "we\"ird\\\nns\xff\xc3\xa9"

#define LOC_FUNC_A 0xffffffff81001234ULL /* func_a+0x234 */
#define LOC_NFT 0xffffffffc0a01010ULL    /* nft_do_chain+0x10 [nf_tables] */
#define LOC_NONE 0x1000ULL               /* below every symbol */

static int fake_dev(__u32 netns, __u32 ifindex, char name[16])
{
	if (netns == NS_BLUE && ifindex == 7) {
		strcpy(name, "veth1");
		return 0;
	}
	if (netns == NS_WEIRD && ifindex == 9) {
		strcpy(name, "q\"\\x");
		return 0;
	}
	return -ENODEV;
}

static const char *fake_netns(__u32 netns)
{
	if (netns == NS_BLUE)
		return "blue";
	if (netns == NS_WEIRD)
		return WEIRD_NAME;
	return NULL;
}

struct env {
	struct skbd_tpformat *fmt;
	struct skbd_ksyms *ks;
	struct skbd_fmt_ctx ctx;
	struct skbd_summary_head head;
};

static void env_init(struct env *e)
{
	size_t len;
	char *text = tu_load_file(FORMAT_618, &len);

	memset(e, 0, sizeof(*e));
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL_FATAL(skbd_tpformat__parse(text, len, &e->fmt), 0);
	free(text);
	e->ks = tu_load_ksyms(KSYMS_BASIC);
	e->ctx = (struct skbd_fmt_ctx){ .fmt = e->fmt, .mono_to_real_ns = MONO_TO_REAL, .has_reason = true };
	e->head = (struct skbd_summary_head){ .kernel_release = "6.18.44", .elapsed = 10, .counted = 94, .lost = 1, .filtered = 2, .rate_limited = 3, .counters = NULL, .nr_counters = 0, .benign = 0 };
}

static void env_fini(struct env *e)
{
	skbd_tpformat__free(e->fmt);
	skbd_ksyms__free(e->ks);
}

static struct skbd_drop_key key(__u32 reason, __u64 loc, __u32 ifindex, __u32 netns, const char *comm)
{
	struct skbd_drop_key k;

	memset(&k, 0, sizeof(k));
	k.reason = reason;
	k.location = loc;
	k.ifindex = ifindex;
	k.netns = netns;
	if (comm)
		strncpy(k.comm, comm, sizeof(k.comm));
	return k;
}

static struct skbd_summary *new_summary(__u32 by)
{
	struct skbd_summary *s = NULL;

	CU_ASSERT_EQUAL_FATAL(skbd_summary__new(by, 0, &s), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s);
	return s;
}

/* What the caller hands a writer: the sorted rows and their names, made
 * here as the names layer would (the location from ks, device and netns
 * names from the fakes). Free with view_free. */
static void view_of(const struct skbd_summary *s, const struct env *e, struct skbd_summary_view *v)
{
	struct skbd_summary_row *rows = NULL;
	struct skbd_key_names *names;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(skbd_summary__sorted(s, &rows, &n), 0);
	names = calloc(n ? n : 1, sizeof(*names));
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	for (size_t i = 0; i < n; i++) {
		const struct skbd_drop_key *k = rows[i].key;
		const char *ns;

		if (!k)
			continue;
		skbd_ksyms__format(e->ks, k->location, names[i].location, sizeof(names[i].location));
		if (k->ifindex && k->netns && fake_dev(k->netns, k->ifindex, names[i].dev))
			names[i].dev[0] = '\0';
		if (k->netns && (ns = fake_netns(k->netns)))
			snprintf(names[i].netns, sizeof(names[i].netns), "%s", ns);
	}
	*v = (struct skbd_summary_view){ rows, names, n, &e->head };
}

static void view_free(struct skbd_summary_view *v)
{
	free((void *)v->rows);
	free((void *)v->names);
}

/* The output of a writer as a malloc'd string. */
static char *text_of(const struct skbd_summary *s, const struct env *e, bool tty, unsigned int max_rows)
{
	struct skbd_summary_view v;
	struct skbd_sbuf b;

	view_of(s, e, &v);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_text(s, &e->ctx, &v, tty, max_rows, &b), 0);
	skbd_sbuf__finish(&b);
	view_free(&v);
	return b.buf;
}

static char *json_of(const struct skbd_summary *s, const struct env *e)
{
	struct skbd_summary_view v;
	struct skbd_sbuf b;

	view_of(s, e, &v);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_json(s, &e->ctx, &v, &b), 0);
	skbd_sbuf__finish(&b);
	view_free(&v);
	return b.buf;
}

static int write_prom(const struct skbd_summary *s, const struct env *e, const char *path)
{
	struct skbd_summary_view v;
	int err;

	view_of(s, e, &v);
	err = skbd_summary__write_prom(s, &e->ctx, &v, path);
	view_free(&v);
	return err;
}

static bool same(const char *got, const char *want)
{
	if (got && !strcmp(got, want))
		return true;
	fprintf(stderr, "\n--- got:\n%s\n--- want:\n%s\n---\n", got ? got : "(null)", want);
	return false;
}

static void expect_text(const struct skbd_summary *s, const struct env *e, bool tty, unsigned int max_rows,
			const char *want)
{
	char *got = text_of(s, e, tty, max_rows);

	CU_ASSERT_TRUE(same(got, want));
	free(got);
}

/* Run jq -e -r with filter over text; true when it succeeds and prints want
 * (NULL: any output). Without jq, true. */
static bool jq_says(const char *text, const char *filter, const char *want)
{
	return tu_jq_says(text, "-e", filter, want);
}

/* ---- --by ------------------------------------------------------------ */

static void test_parse_by(void)
{
	char err[256];
	__u32 m = 0;

	CU_ASSERT_EQUAL(skbd_summary__parse_by("reason", &m, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m, SKBD_BY_REASON);
	CU_ASSERT_EQUAL(skbd_summary__parse_by("reason,location,dev,netns,comm", &m, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m, SKBD_BY_REASON | SKBD_BY_LOCATION | SKBD_BY_DEV | SKBD_BY_NETNS | SKBD_BY_COMM);
	CU_ASSERT_EQUAL(skbd_summary__parse_by("device,comm,device", &m, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(m, SKBD_BY_DEV | SKBD_BY_COMM);
	CU_ASSERT_EQUAL(SKBD_SUMMARY_BY_DEFAULT, SKBD_BY_REASON | SKBD_BY_LOCATION | SKBD_BY_DEV | SKBD_BY_NETNS);
}

static void test_parse_by_errors(void)
{
	static const char *const bad[] = { "", ",", "reason,", ",reason", "reason,,dev", "Reason", "dev ", "pid",
					   "reasons", "re" };
	char err[256];
	__u32 m;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = 0x5a5a;
		err[0] = '\0';
		CU_ASSERT_EQUAL(skbd_summary__parse_by(bad[i], &m, err, sizeof(err)), -EINVAL);
		CU_ASSERT_EQUAL(m, 0x5a5a); /* untouched */
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "--by: "));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "reason, location, dev (device), netns, comm, owner, container"));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	}
	skbd_summary__parse_by("reason,pid", &m, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "--by: unknown field 'pid'; fields: reason, location, dev (device), netns, comm, owner, container");
	skbd_summary__parse_by("", &m, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "--by: empty list; fields: reason, location, dev (device), netns, comm, owner, container");
	skbd_summary__parse_by("dev,,comm", &m, err, sizeof(err));
	CU_ASSERT_STRING_EQUAL(err, "--by: empty field in 'dev,,comm'; fields: reason, location, dev (device), netns, comm, owner, container");
	/* a short buffer is cut, not overrun */
	CU_ASSERT_EQUAL(skbd_summary__parse_by("nope", &m, err, 8), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--by: u");
}

static void test_new_free(void)
{
	struct skbd_summary *s = (struct skbd_summary *)&s; /* not overwritten on failure */

	CU_ASSERT_EQUAL(skbd_summary__new(0x80, 0, &s), -EINVAL);
	CU_ASSERT_PTR_EQUAL(s, (struct skbd_summary *)&s);
	skbd_summary__free(NULL);
	s = new_summary(0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 0);
	CU_ASSERT_EQUAL(skbd_summary__counted(s), 0);
	CU_ASSERT_EQUAL(skbd_summary__update(s, NULL, NULL, 0, 0, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__rate(s), 0);
	skbd_summary__free(s);
}

/* ---- the small table -------------------------------------------------- */

/* Three keys at t=5, then at t=10: a has grown by 20, b not at all, c by 5,
 * and 4 drops went to the other row. */
static struct skbd_summary *two_snapshots(__u32 by)
{
	struct skbd_drop_key k[3] = {
		key(3, LOC_FUNC_A, 7, NS_BLUE, "sender"),
		key(2, LOC_NFT, 8, NS_ANON, "ksoftirqd/0"),
		key(9999, LOC_NONE, 0, 0, ""),
	};
	__u64 t1[3] = { 50, 12, 3 }, t2[3] = { 70, 12, 8 };
	struct skbd_summary *s = new_summary(by);

	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t1, 3, 0, 5), 0);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t2, 3, 4, 10), 0);
	return s;
}

static void test_text_table(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_SUMMARY_BY_DEFAULT);
	struct env e;

	env_init(&e);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 3);
	CU_ASSERT_EQUAL(skbd_summary__counted(s), 94);
	CU_ASSERT_DOUBLE_EQUAL(skbd_summary__rate(s), 29.0 / 5, 1e-9);
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:10Z  kernel 6.18.44  elapsed 10s  interval 5.0s\n"
		    "drops 5.8/s  counted 94  lost 1  filtered 2  rate-limited 3  benign 0\n"
		    "\n"
		    "RATE/s  TOTAL  REASON         LOCATION                       DEVICE     NETNS\n"
		    "   4.0     70  NO_SOCKET      func_a+0x234                   veth1      blue\n"
		    "   1.0      8  reason#9999    0x0000000000001000             -          -\n"
		    "   0.8      4  (other: aggregation map full)\n"
		    "   0.0     12  NOT_SPECIFIED  nft_do_chain+0x10 [nf_tables]  ifindex 8  4026532001\n"
		    "\n");
	/* a terminal: home + clear first, no blank line last */
	expect_text(s, &e, true, 0,
		    "\033[H\033[2J"
		    "skbdrop summary 2024-05-01T12:00:10Z  kernel 6.18.44  elapsed 10s  interval 5.0s\n"
		    "drops 5.8/s  counted 94  lost 1  filtered 2  rate-limited 3  benign 0\n"
		    "\n"
		    "RATE/s  TOTAL  REASON         LOCATION                       DEVICE     NETNS\n"
		    "   4.0     70  NO_SOCKET      func_a+0x234                   veth1      blue\n"
		    "   1.0      8  reason#9999    0x0000000000001000             -          -\n"
		    "   0.8      4  (other: aggregation map full)\n"
		    "   0.0     12  NOT_SPECIFIED  nft_do_chain+0x10 [nf_tables]  ifindex 8  4026532001\n");
	skbd_summary__free(s);

	/* other columns: reason and comm only (keys a/b/c stay apart by reason) */
	s = two_snapshots(SKBD_BY_REASON | SKBD_BY_COMM);
	e.head = (struct skbd_summary_head){ .kernel_release = NULL, .elapsed = 65.9, .counted = 94, .lost = 0, .filtered = 0, .rate_limited = 0, .counters = NULL, .nr_counters = 0, .benign = 0 };
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:10Z  elapsed 1m05s  interval 5.0s\n"
		    "drops 5.8/s  counted 94  lost 0  filtered 0  rate-limited 0  benign 0\n"
		    "\n"
		    "RATE/s  TOTAL  REASON         COMM\n"
		    "   4.0     70  NO_SOCKET      sender\n"
		    "   1.0      8  reason#9999    -\n"
		    "   0.8      4  (other: aggregation map full)\n"
		    "   0.0     12  NOT_SPECIFIED  ksoftirqd/0\n"
		    "\n");
	skbd_summary__free(s);
	env_fini(&e);
}

/* no --by field: one row of everything; a kernel without reasons */
static void test_text_no_columns(void)
{
	struct skbd_drop_key k = key(0, 0, 0, 0, NULL);
	__u64 t = 1234567;
	struct skbd_summary *s = new_summary(0);
	struct env e;

	env_init(&e);
	e.head = (struct skbd_summary_head){ .kernel_release = "5.10.0", .elapsed = 7322, .counted = 1234567, .lost = 0, .filtered = 0, .rate_limited = 0, .counters = NULL, .nr_counters = 0, .benign = 0 };
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k, &t, 1, 0, 4), 0); /* first: over now - start */
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:04Z  kernel 5.10.0  elapsed 2h02m02s  interval 4.0s\n"
		    "drops 308641.8/s  counted 1234567  lost 0  filtered 0  rate-limited 0  benign 0\n"
		    "\n"
		    "  RATE/s    TOTAL\n"
		    "308641.8  1234567\n"
		    "\n");
	skbd_summary__free(s);

	s = new_summary(SKBD_BY_REASON);
	e.ctx.has_reason = false;
	e.head.elapsed = 2 * 86400 + 61;
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k, &t, 1, 0, 4), 0);
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:04Z  kernel 5.10.0  elapsed 2d00h01m01s  interval 4.0s\n"
		    "drops 308641.8/s  counted 1234567  lost 0  filtered 0  rate-limited 0  benign 0\n"
		    "\n"
		    "  RATE/s    TOTAL  REASON\n"
		    "308641.8  1234567  -\n"
		    "\n");
	skbd_summary__free(s);
	env_fini(&e);
}

/* Rates: per interval, the first one from start; a key missing from a
 * snapshot keeps its total; a smaller total is a restart. */
static void test_rates(void)
{
	struct skbd_drop_key k[2] = { key(3, LOC_FUNC_A, 0, 0, NULL), key(2, LOC_FUNC_A, 0, 0, NULL) };
	__u64 t[2] = { 10, 0 };
	struct skbd_summary *s = NULL;
	struct env e;
	char *j;

	env_init(&e);
	CU_ASSERT_EQUAL_FATAL(skbd_summary__new(SKBD_BY_REASON, 100, &s), 0);
	/* before any snapshot: no rows, nothing to divide */
	j = json_of(s, &e);
	CU_ASSERT_TRUE(same(j, "{\"time\":\"2024-05-01T12:01:40.000Z\",\"elapsed\":10.000,\"interval\":0.000,"
			       "\"kernel\":\"6.18.44\",\"rate\":0.000,\"counted\":94,\"lost\":1,\"filtered\":2,"
			       "\"rate_limited\":3,\"benign\":0,\"rows\":[],\"counters\":[]}\n"));
	free(j);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 1, 0, 104), 0);
	CU_ASSERT_DOUBLE_EQUAL(skbd_summary__rate(s), 2.5, 1e-9);
	t[0] = 16;
	t[1] = 1;
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 2, 0, 106.5), 0);
	j = json_of(s, &e);
	CU_ASSERT_TRUE(same(j, "{\"time\":\"2024-05-01T12:01:46.500Z\",\"elapsed\":10.000,\"interval\":2.500,"
			       "\"kernel\":\"6.18.44\",\"rate\":2.800,\"counted\":94,\"lost\":1,\"filtered\":2,"
			       "\"rate_limited\":3,\"benign\":0,\"rows\":["
			       "{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"total\":16,\"rate\":2.400},"
			       "{\"reason\":\"NOT_SPECIFIED\",\"reason_code\":2,\"total\":1,\"rate\":0.400}],\"counters\":[]}\n"));
	free(j);
	/* the first key is missing: same total, rate 0 */
	t[1] = 3;
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k[1], &t[1], 1, 0, 107.5), 0);
	CU_ASSERT_EQUAL(skbd_summary__counted(s), 19);
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"rows\":[{\"reason\":\"NOT_SPECIFIED\",\"reason_code\":2,\"total\":3,"
					 "\"rate\":2.000},{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"total\":16,\"rate\":0.000}]"));
	free(j);
	/* counts restarted (16 -> 5): all 5 are new */
	t[0] = 5;
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 2, 0, 108.5), 0);
	CU_ASSERT_DOUBLE_EQUAL(skbd_summary__rate(s), 5.0, 1e-9);
	CU_ASSERT_EQUAL(skbd_summary__counted(s), 8);
	/* a clock that did not move (or went back): rates 0, never inf or nan */
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 2, 7, 108.5), 0);
	CU_ASSERT_EQUAL(skbd_summary__rate(s), 0);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 2, 9, 50), 0);
	CU_ASSERT_EQUAL(skbd_summary__rate(s), 0);
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"interval\":0.000,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "{\"other\":true,\"total\":9,\"rate\":0.000}"));
	CU_ASSERT_TRUE(jq_says(j, ".rows | length", "3\n"));
	free(j);
	skbd_summary__free(s);
	env_fini(&e);
}

/* numbers JSON cannot hold (inf, nan) print as 0; huge ones in full */
static void test_extreme_numbers(void)
{
	struct skbd_drop_key k = key(3, 0, 0, 0, NULL);
	__u64 t = 0;
	struct skbd_summary *s = new_summary(SKBD_BY_REASON);
	struct env e;
	char *j;

	env_init(&e);
	e.head.elapsed = 0.0 / 0.0;
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k, &t, 1, 0, 1), 0);
	t = 10000000000000000000ULL;
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k, &t, 1, 0, 1 + 1e-9), 0);
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"elapsed\":0.000,"));
	CU_ASSERT_TRUE(jq_says(j, ".rows[0].rate > 1e27", "true\n"));
	free(j);
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k, &t, 1, 0, 1.0 / 0.0), 0);
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"interval\":0.000,"));
	CU_ASSERT_TRUE(jq_says(j, ".rows[0].rate", "0\n"));
	free(j);
	skbd_summary__free(s);
	env_fini(&e);
}

/* Fields --by does not select, and comm bytes after the NUL, do not split
 * a row: such keys are added up. */
static void test_merge_unselected(void)
{
	struct skbd_drop_key k[4] = {
		key(3, LOC_FUNC_A, 7, NS_BLUE, "a"),
		key(3, LOC_NFT, 8, NS_BLUE, "b"),
		key(3, LOC_FUNC_A, 7, NS_ANON, "a"),
		key(2, LOC_FUNC_A, 7, NS_BLUE, "a"),
	};
	__u64 t[4] = { 1, 2, 4, 8 };
	struct skbd_summary *s = new_summary(SKBD_BY_REASON);
	struct env e;
	char *j;

	env_init(&e);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 4, 0, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 2);
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"rows\":[{\"reason\":\"NOT_SPECIFIED\",\"reason_code\":2,\"total\":8,\"rate\":8.000},"
					 "{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"total\":7,\"rate\":7.000}]"));
	free(j);
	skbd_summary__free(s);

	/* comm: garbage after the NUL is not part of the name */
	s = new_summary(SKBD_BY_COMM);
	memcpy(k[1].comm, "a\0xyz", 6);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 2, 0, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 1);
	CU_ASSERT_EQUAL(skbd_summary__counted(s), 3);
	skbd_summary__free(s);

	/* --by dev keeps the netns (to name the device) but shows no NETNS */
	s = new_summary(SKBD_BY_DEV);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 4, 0, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 3); /* veth1 (1 + 8), ifindex 8, ifindex 7 in NS_ANON */
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:01Z  kernel 6.18.44  elapsed 10s  interval 1.0s\n"
		    "drops 15.0/s  counted 94  lost 1  filtered 2  rate-limited 3  benign 0\n"
		    "\n"
		    "RATE/s  TOTAL  DEVICE\n"
		    "   9.0      9  veth1\n"
		    "   4.0      4  ifindex 7\n"
		    "   2.0      2  ifindex 8\n"
		    "\n");
	skbd_summary__free(s);
	env_fini(&e);
}

/* ---- order ------------------------------------------------------------ */

static void test_sort_ties(void)
{
	/* same rate: the larger total first; same rate and total: key order
	 * (reason, location, ifindex, netns, comm); the other row after the
	 * keys it ties with */
	struct skbd_drop_key k[6] = {
		key(3, LOC_NFT, 0, 0, "z"),    key(3, LOC_FUNC_A, 0, 0, "z"), key(2, LOC_NFT, 0, 0, "z"),
		key(3, LOC_FUNC_A, 0, 0, "y"), key(5, LOC_FUNC_A, 0, 0, "a"), key(4, LOC_FUNC_A, 0, 0, "a"),
	};
	__u64 t1[6] = { 0, 0, 0, 0, 3, 0 }, t2[6] = { 10, 10, 10, 10, 13, 12 };
	struct skbd_summary *s = new_summary(SKBD_BY_REASON | SKBD_BY_LOCATION | SKBD_BY_COMM);
	struct env e;

	env_init(&e);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t1, 6, 2, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t2, 6, 12, 2), 0);
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:02Z  kernel 6.18.44  elapsed 10s  interval 1.0s\n"
		    "drops 72.0/s  counted 94  lost 1  filtered 2  rate-limited 3  benign 0\n"
		    "\n"
		    "RATE/s  TOTAL  REASON         LOCATION                       COMM\n"
		    "  12.0     12  SOCKET_CLOSE   func_a+0x234                   a\n"
		    "  10.0     13  SOCKET_FILTER  func_a+0x234                   a\n"
		    "  10.0     12  (other: aggregation map full)\n"
		    "  10.0     10  NOT_SPECIFIED  nft_do_chain+0x10 [nf_tables]  z\n"
		    "  10.0     10  NO_SOCKET      func_a+0x234                   y\n"
		    "  10.0     10  NO_SOCKET      func_a+0x234                   z\n"
		    "  10.0     10  NO_SOCKET      nft_do_chain+0x10 [nf_tables]  z\n"
		    "\n");
	skbd_summary__free(s);
	env_fini(&e);
}

/* the order does not depend on the order of the map's keys */
static void test_sort_deterministic(void)
{
	enum { N = 300 };
	struct skbd_drop_key *k = calloc(N, sizeof(*k)), *r = calloc(N, sizeof(*r));
	__u64 *t = calloc(N, sizeof(*t)), *rt = calloc(N, sizeof(*rt));
	struct skbd_summary *a = new_summary(SKBD_SUMMARY_BY_DEFAULT), *b = new_summary(SKBD_SUMMARY_BY_DEFAULT);
	__u32 seed = 7;
	char *ta, *tb;
	struct env e;

	env_init(&e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k && r && t && rt);
	for (size_t i = 0; i < N; i++) {
		k[i] = key(tu_rand(&seed) % 4, LOC_FUNC_A + i % 7, tu_rand(&seed) % 3, NS_ANON, NULL);
		k[i].location += i * 64; /* unique */
		t[i] = tu_rand(&seed) % 5;
		r[N - 1 - i] = k[i];
		rt[N - 1 - i] = t[i];
	}
	CU_ASSERT_EQUAL(skbd_summary__update(a, k, t, N, 0, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__update(b, r, rt, N, 0, 1), 0);
	ta = text_of(a, &e, false, 0);
	tb = text_of(b, &e, false, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ta);
	CU_ASSERT_PTR_NOT_NULL_FATAL(tb);
	CU_ASSERT_STRING_EQUAL(ta, tb);
	free(ta);
	free(tb);
	skbd_summary__free(a);
	skbd_summary__free(b);
	free(k);
	free(r);
	free(t);
	free(rt);
	env_fini(&e);
}

/* ---- max_rows ---------------------------------------------------------- */

static void test_max_rows(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON);
	static const char head[] = "skbdrop summary 2024-05-01T12:00:10Z  kernel 6.18.44  elapsed 10s  interval 5.0s\n"
				   "drops 5.8/s  counted 94  lost 1  filtered 2  rate-limited 3  benign 0\n"
				   "\n";
	char want[1024];
	struct env e;

	env_init(&e);
	/* four rows (the other row is one of them) fit in 4 lines or more; with
	 * fewer, the last line counts the rest (never "1 more": that line would
	 * have shown the row) */
	snprintf(want, sizeof(want),
		 "%sRATE/s  TOTAL  REASON\n"
		 "   4.0     70  NO_SOCKET\n"
		 "   1.0      8  reason#9999\n"
		 "   0.8      4  (other: aggregation map full)\n"
		 "   0.0     12  NOT_SPECIFIED\n\n",
		 head);
	expect_text(s, &e, false, 4, want);
	expect_text(s, &e, false, 100, want);
	/* widths come from the rows shown */
	snprintf(want, sizeof(want),
		 "%sRATE/s  TOTAL  REASON\n"
		 "   4.0     70  NO_SOCKET\n"
		 "   1.0      8  reason#9999\n"
		 "... 2 more rows\n\n",
		 head);
	expect_text(s, &e, false, 3, want);
	snprintf(want, sizeof(want),
		 "%sRATE/s  TOTAL  REASON\n"
		 "   4.0     70  NO_SOCKET\n"
		 "   1.0      8  reason#9999\n"
		 "... 2 more rows\n",
		 head);
	memmove(want + 7, want, strlen(want) + 1); /* a terminal: home + clear first, no blank line last */
	memcpy(want, "\033[H\033[2J", 7);
	expect_text(s, &e, true, 3, want);
	snprintf(want, sizeof(want), "\033[H\033[2J%sRATE/s  TOTAL  REASON\n... 4 more rows\n", head);
	expect_text(s, &e, true, 1, want);
	skbd_summary__free(s);
	env_fini(&e);
}

/* ---- JSON -------------------------------------------------------------- */

static void test_json(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_SUMMARY_BY_DEFAULT | SKBD_BY_COMM);
	struct env e;
	char *j;

	env_init(&e);
	j = json_of(s, &e);
	CU_ASSERT_TRUE(same(
		j, "{\"time\":\"2024-05-01T12:00:10.000Z\",\"elapsed\":10.000,\"interval\":5.000,\"kernel\":\"6.18.44\","
		   "\"rate\":5.800,\"counted\":94,\"lost\":1,\"filtered\":2,\"rate_limited\":3,\"benign\":0,\"rows\":["
		   "{\"reason\":\"NO_SOCKET\",\"reason_code\":3,\"location\":\"func_a+0x234\","
		   "\"location_addr\":\"0xffffffff81001234\",\"dev\":\"veth1\",\"ifindex\":7,\"netns\":4026532000,"
		   "\"netns_name\":\"blue\",\"comm\":\"sender\",\"total\":70,\"rate\":4.000},"
		   "{\"reason\":null,\"reason_code\":9999,\"location\":\"0x0000000000001000\","
		   "\"location_addr\":\"0x1000\",\"dev\":null,\"ifindex\":0,\"netns\":null,\"netns_name\":null,"
		   "\"comm\":\"\",\"total\":8,\"rate\":1.000},"
		   "{\"other\":true,\"total\":4,\"rate\":0.800},"
		   "{\"reason\":\"NOT_SPECIFIED\",\"reason_code\":2,\"location\":\"nft_do_chain+0x10 [nf_tables]\","
		   "\"location_addr\":\"0xffffffffc0a01010\",\"dev\":null,\"ifindex\":8,\"netns\":4026532001,"
		   "\"netns_name\":null,\"comm\":\"ksoftirqd/0\",\"total\":12,\"rate\":0.000}],\"counters\":[]}\n"));
	CU_ASSERT_TRUE(jq_says(j, ".rows[0].dev + \" \" + (.rows[2].other|tostring)", "veth1 true\n"));
	free(j);
	skbd_summary__free(s);

	/* a kernel without reasons: null, not "-"; location alone */
	s = two_snapshots(SKBD_BY_REASON);
	e.ctx.has_reason = false;
	e.head.kernel_release = NULL;
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"kernel\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"rows\":[{\"reason\":null,\"reason_code\":null,\"total\":70,\"rate\":4.000},"));
	CU_ASSERT_TRUE(jq_says(j, ".rows | length", "4\n"));
	free(j);
	skbd_summary__free(s);
	env_fini(&e);
}

/* device and netns names, and comm, may hold any byte */
static void test_json_escaping(void)
{
	struct skbd_drop_key k = key(3, LOC_FUNC_A, 9, NS_WEIRD, "a\"b\\c\td\x01\xfe");
	__u64 t = 1;
	struct skbd_summary *s = new_summary(SKBD_BY_DEV | SKBD_BY_NETNS | SKBD_BY_COMM);
	struct env e;
	char *j, *txt;

	env_init(&e);
	e.head.kernel_release = "6.1.0-\"x\"";
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k, &t, 1, 0, 1), 0);
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"kernel\":\"6.1.0-\\\"x\\\"\","));
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"dev\":\"q\\\"\\\\x\",\"ifindex\":9,\"netns\":4026532002,"
					 "\"netns_name\":\"we\\\"ird\\\\\\u000ans\\u00ff\xc3\xa9\","
					 "\"comm\":\"a\\\"b\\\\c\\u0009d\\u0001\\u00fe\""));
	CU_ASSERT_TRUE(jq_says(j, ".rows[0].dev", "q\"\\x\n"));
	free(j);
	/* text: printable ASCII only */
	txt = text_of(s, &e, false, 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(txt, "\n   1.0      1  q\"\\x    we\"ird\\?ns???  a\"b\\c?d??\n"));
	free(txt);
	skbd_summary__free(s);
	env_fini(&e);
}

/* ---- long names, many rows ----------------------------------------- */

/* a kallsyms table made on the spot */
static struct skbd_ksyms *ksyms_of(const char *text)
{
	struct skbd_ksyms *ks = NULL;
	FILE *f = fmemopen((void *)text, strlen(text), "r");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new(f, &ks), 0);
	fclose(f);
	return ks;
}

static void test_long_location(void)
{
	static const char syms[] = "ffffffff81000000 T a_function_with_a_name_far_longer_than_any_column_should_be\n"
				   "ffffffff81100000 T short_fn\n";
	struct skbd_drop_key k[2] = { key(0, 0xffffffff81000010ULL, 0, 0, NULL), key(0, 0xffffffff81100001ULL, 0, 0, NULL) };
	__u64 t[2] = { 2, 1 };
	struct skbd_summary *s = new_summary(SKBD_BY_LOCATION);
	struct env e;
	char *j;

	env_init(&e);
	skbd_ksyms__free(e.ks);
	e.ks = ksyms_of(syms);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 2, 0, 1), 0);
	/* 48 characters at most, the cut shown */
	expect_text(s, &e, false, 0,
		    "skbdrop summary 2024-05-01T12:00:01Z  kernel 6.18.44  elapsed 10s  interval 1.0s\n"
		    "drops 3.0/s  counted 94  lost 1  filtered 2  rate-limited 3  benign 0\n"
		    "\n"
		    "RATE/s  TOTAL  LOCATION\n"
		    "   2.0      2  a_function_with_a_name_far_longer_than_any_co...\n"
		    "   1.0      1  short_fn+0x1\n"
		    "\n");
	/* JSON keeps it whole */
	j = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL(strstr(j, "\"location\":\"a_function_with_a_name_far_longer_than_any_column_should_be+0x10\""));
	free(j);
	skbd_summary__free(s);
	env_fini(&e);
}

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

/* a full map (4096 keys) and then some, plus the other row */
static void test_many_rows(void)
{
	enum { N = SKBD_DROP_KEYS_MAX + 1 };
	struct skbd_drop_key *k = calloc(N, sizeof(*k));
	__u64 *t = calloc(N, sizeof(*t));
	struct skbd_summary *s = new_summary(SKBD_SUMMARY_BY_DEFAULT);
	char path[] = "/tmp/skbd_test_summary_XXXXXX", file[PATH_MAX], *out, want[64];
	struct env e;
	size_t len;

	env_init(&e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(k && t);
	for (size_t i = 0; i < N; i++) {
		k[i] = key((__u32)(i % 200), LOC_FUNC_A + i, (__u32)(i % 5), NS_BLUE, NULL);
		t[i] = i;
	}
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, N, 99, 2), 0);
	/* 4097 * 4096 / 2 + 4096 (the i % 3 added below) + 100 */
	for (size_t i = 0; i < N; i++)
		t[i] += i % 3;
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, N, 100, 3), 0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), N);

	out = text_of(s, &e, false, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(count_lines(out), SKBD_SUMMARY_HEAD_LINES + N + 1 + 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "   1.0    100  (other: aggregation map full)\n"));
	free(out);
	out = text_of(s, &e, true, 20);
	CU_ASSERT_EQUAL(count_lines(out), SKBD_SUMMARY_HEAD_LINES + 20);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "\n... 4079 more rows\n"));
	free(out);

	out = json_of(s, &e);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	CU_ASSERT_EQUAL(count_lines(out), 1);
	snprintf(want, sizeof(want), "%d\n", N + 1);
	CU_ASSERT_TRUE(jq_says(out, ".rows | length", want));
	CU_ASSERT_TRUE(jq_says(out, "[.rows[].total] | add", "8394852\n"));
	free(out);

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(path));
	snprintf(file, sizeof(file), "%s/skbdrop.prom", path);
	CU_ASSERT_EQUAL(write_prom(s, &e, file), 0);
	out = tu_load_file(file, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(out);
	{
		size_t lines = 0;

		for (size_t i = 0; i < len; i++)
			lines += out[i] == '\n';
		/* 2 + N + 1 (other) for the drops, 3 per counter, 3 for elapsed */
		CU_ASSERT_EQUAL(lines, 2 + N + 1 + 3 * 4 + 3);
	}
	free(out);
	unlink(file);
	rmdir(path);
	skbd_summary__free(s);
	free(k);
	free(t);
	env_fini(&e);
}

/* ---- Prometheus --------------------------------------------------------- */

static const char prom_tail[] =
	"# HELP skbdrop_events_lost_total Drop events that could not be reported (ring buffer full).\n"
	"# TYPE skbdrop_events_lost_total counter\n"
	"skbdrop_events_lost_total 0\n"
	"# HELP skbdrop_drops_missed_total Drops the kernel ran no program for (another BPF program was running on that CPU).\n"
	"# TYPE skbdrop_drops_missed_total counter\n"
	"skbdrop_drops_missed_total 0\n"
	"# HELP skbdrop_events_filtered_total Drops discarded by the pid, reason and packet filters.\n"
	"# TYPE skbdrop_events_filtered_total counter\n"
	"skbdrop_events_filtered_total 2\n"
	"# HELP skbdrop_events_rate_limited_total Drops over --max-rate, not reported.\n"
	"# TYPE skbdrop_events_rate_limited_total counter\n"
	"skbdrop_events_rate_limited_total 3\n"
	"# HELP skbdrop_elapsed_seconds Seconds since skbdrop started counting.\n"
	"# TYPE skbdrop_elapsed_seconds gauge\n"
	"skbdrop_elapsed_seconds 10.000\n";

#define PROM_HEAD                                                                                                   \
	"# HELP skbdrop_drops_total Packets the kernel dropped (past skbdrop's filters), counted in the kernel.\n" \
	"# TYPE skbdrop_drops_total counter\n"

struct tmpdir {
	char dir[64];
	char file[PATH_MAX];
};

static void tmpdir_make(struct tmpdir *d)
{
	snprintf(d->dir, sizeof(d->dir), "/tmp/skbd_test_summary_XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(d->dir));
	snprintf(d->file, sizeof(d->file), "%s/skbdrop.prom", d->dir);
}

/* entries of the directory other than . and .. */
static int dir_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int n = 0;

	if (!d)
		return -1;
	while ((de = readdir(d)))
		n += strcmp(de->d_name, ".") && strcmp(de->d_name, "..");
	closedir(d);
	return n;
}

static void expect_file(const char *path, const char *want)
{
	size_t len = 0;
	char *got = tu_load_file(path, &len), *z = got ? strndup(got, len) : NULL;

	CU_ASSERT_TRUE(same(z, want));
	free(got);
	free(z);
}

static void test_prom(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_SUMMARY_BY_DEFAULT);
	struct tmpdir d;
	char want[4096];
	struct env e;

	env_init(&e);
	tmpdir_make(&d);
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	snprintf(want, sizeof(want),
		 PROM_HEAD
		 "skbdrop_drops_total{reason=\"NOT_SPECIFIED\",location=\"nft_do_chain+0x10 [nf_tables]\",dev=\"ifindex 8\",netns=\"4026532001\"} 12\n"
		 "skbdrop_drops_total{reason=\"NO_SOCKET\",location=\"func_a+0x234\",dev=\"veth1\",netns=\"blue\"} 70\n"
		 "skbdrop_drops_total{reason=\"reason#9999\",location=\"0x0000000000001000\",dev=\"-\",netns=\"-\"} 8\n"
		 "skbdrop_drops_total{other=\"true\"} 4\n"
		 "%s",
		 prom_tail);
	expect_file(d.file, want);
	CU_ASSERT_EQUAL(dir_entries(d.dir), 1);
	unlink(d.file);
	rmdir(d.dir);
	skbd_summary__free(s);

	/* no fields: one series without labels; comm */
	s = two_snapshots(0);
	tmpdir_make(&d);
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	snprintf(want, sizeof(want), PROM_HEAD "skbdrop_drops_total 90\nskbdrop_drops_total{other=\"true\"} 4\n%s",
		 prom_tail);
	expect_file(d.file, want);
	skbd_summary__free(s);
	s = two_snapshots(SKBD_BY_COMM);
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	snprintf(want, sizeof(want),
		 PROM_HEAD "skbdrop_drops_total{comm=\"-\"} 8\n"
			   "skbdrop_drops_total{comm=\"ksoftirqd/0\"} 12\n"
			   "skbdrop_drops_total{comm=\"sender\"} 70\n"
			   "skbdrop_drops_total{other=\"true\"} 4\n%s",
		 prom_tail);
	expect_file(d.file, want);
	unlink(d.file);
	rmdir(d.dir);
	skbd_summary__free(s);
	env_fini(&e);
}

/* --metrics: labels a subset of the key (rows that read the same summed),
 * the streaming counters, benign rules and the build info */
static void test_prom_metrics(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON | SKBD_BY_DEV | SKBD_BY_NETNS);
	const __u64 benign[SKBD_DROP_BENIGN_RULES] = { 11, 12, 13, 14 };
	struct skbd_drop_key k2 = key(3, LOC_FUNC_A, 8, NS_ANON, "x"); /* NO_SOCKET on another device */
	__u64 t2 = 5;
	struct tmpdir d;
	char want[8192];
	struct env e;

	env_init(&e);
	tmpdir_make(&d);
	CU_ASSERT_EQUAL(skbd_summary__update(s, &k2, &t2, 1, 4, 11), 0);
	e.head.labels = SKBD_BY_REASON;
	e.head.streaming = true;
	e.head.delivered = 5;
	e.head.lost = 6;
	e.head.missed = 7;
	e.head.benign_rules = benign;
	e.head.version = "v1\"";
	e.head.transport = "perf";
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	snprintf(want, sizeof(want),
		 PROM_HEAD
		 "skbdrop_drops_total{reason=\"NOT_SPECIFIED\"} 12\n"
		 "skbdrop_drops_total{reason=\"NO_SOCKET\"} 75\n"
		 "skbdrop_drops_total{reason=\"reason#9999\"} 8\n"
		 "skbdrop_drops_total{other=\"true\"} 4\n"
		 "# HELP skbdrop_events_delivered_total Drop events read from the kernel.\n"
		 "# TYPE skbdrop_events_delivered_total counter\n"
		 "skbdrop_events_delivered_total 5\n"
		 "# HELP skbdrop_events_lost_total Drop events that could not be reported (ring buffer full).\n"
		 "# TYPE skbdrop_events_lost_total counter\n"
		 "skbdrop_events_lost_total 6\n"
		 "# HELP skbdrop_drops_missed_total Drops the kernel ran no program for (another BPF program was running on that CPU).\n"
		 "# TYPE skbdrop_drops_missed_total counter\n"
		 "skbdrop_drops_missed_total 7\n"
		 "# HELP skbdrop_events_filtered_total Drops discarded by the pid, reason and packet filters.\n"
		 "# TYPE skbdrop_events_filtered_total counter\n"
		 "skbdrop_events_filtered_total 2\n"
		 "# HELP skbdrop_events_rate_limited_total Drops over --max-rate, not reported.\n"
		 "# TYPE skbdrop_events_rate_limited_total counter\n"
		 "skbdrop_events_rate_limited_total 3\n"
		 "# HELP skbdrop_benign_total Frees that are not drops of data in flight, by rule (--ignore).\n"
		 "# TYPE skbdrop_benign_total counter\n"
		 "skbdrop_benign_total{rule=\"teardown\"} 11\n"
		 "skbdrop_benign_total{rule=\"purge\"} 12\n"
		 "skbdrop_benign_total{rule=\"neigh\"} 13\n"
		 "skbdrop_benign_total{rule=\"tx-completion\"} 14\n"
		 "# HELP skbdrop_build_info skbdrop's version, the kernel it runs on and its transport.\n"
		 "# TYPE skbdrop_build_info gauge\n"
		 "skbdrop_build_info{version=\"v1\\\"\",kernel=\"6.18.44\",transport=\"perf\"} 1\n"
		 "# HELP skbdrop_elapsed_seconds Seconds since skbdrop started counting.\n"
		 "# TYPE skbdrop_elapsed_seconds gauge\n"
		 "skbdrop_elapsed_seconds 10.000\n");
	expect_file(d.file, want);
	unlink(d.file);
	rmdir(d.dir);
	skbd_summary__free(s);
	env_fini(&e);
}

/* --otlp's records by outcome, on the Prometheus side */
static void test_prom_otlp(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON);
	struct skbd_otlp_stats os = { .sent = 70, .dropped = 1, .rejected = 20, .failed = 3 };
	struct skbd_summary_view v;
	struct skbd_sbuf b;
	struct env e;
	char *z;

	env_init(&e);
	e.head.otlp = &os;
	view_of(s, &e, &v);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_prom(s, &e.ctx, &v, &b), 0);
	z = strndup(b.buf, b.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT_PTR_NOT_NULL(strstr(z, "\n# TYPE skbdrop_otlp_records_total counter\n"
					  "skbdrop_otlp_records_total{outcome=\"sent\"} 70\n"
					  "skbdrop_otlp_records_total{outcome=\"dropped\"} 1\n"
					  "skbdrop_otlp_records_total{outcome=\"rejected\"} 20\n"
					  "skbdrop_otlp_records_total{outcome=\"failed\"} 3\n"));
	free(z);
	skbd_sbuf__release(&b);
	view_free(&v);
	skbd_summary__free(s);
	env_fini(&e);
}

/* --otlp: the rows as data points of one cumulative Sum, labels merged like
 * Prometheus's, and the run's counters as Sums of their own */
static void test_otlp_metrics(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON | SKBD_BY_DEV | SKBD_BY_NETNS);
	struct skbd_otlp_opts o = { .version = "v1" };
	struct skbd_summary_view v;
	struct skbd_sbuf b;
	struct env e;
	char *z;

	env_init(&e);
	e.head.labels = SKBD_BY_REASON;
	e.head.streaming = true;
	e.head.delivered = 5;
	view_of(s, &e, &v);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_otlp(s, &e.ctx, &v, &o, 1000, 2000, &b), 0);
	z = strndup(b.buf, b.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT(tu_jq_says(z, "-c",
			     ".resourceMetrics[0].scopeMetrics[0].metrics[0] | [.name, .unit, .sum.aggregationTemporality, .sum.isMonotonic, "
			     "(.sum.dataPoints[] | [(.attributes[0] | .key + \"=\" + .value.stringValue), .startTimeUnixNano, .timeUnixNano, .asInt])]",
			     "[\"skbdrop.drops\",\"{packet}\",2,true,[\"skbdrop.reason=NOT_SPECIFIED\",\"1000\",\"2000\",\"12\"],"
			     "[\"skbdrop.reason=NO_SOCKET\",\"1000\",\"2000\",\"70\"],[\"skbdrop.reason=reason#9999\",\"1000\",\"2000\",\"8\"],"
			     "[\"skbdrop.other=true\",\"1000\",\"2000\",\"4\"]]\n"));
	CU_ASSERT(tu_jq_says(z, "-c", "[.resourceMetrics[0].scopeMetrics[0].metrics[1:][] | .name + \"=\" + .sum.dataPoints[0].asInt]",
			     "[\"skbdrop.events.delivered=5\",\"skbdrop.events.lost=1\",\"skbdrop.drops.missed=0\","
			     "\"skbdrop.events.filtered=2\",\"skbdrop.events.rate_limited=3\"]\n"));
	free(z);
	skbd_sbuf__release(&b);
	view_free(&v);
	skbd_summary__free(s);
	env_fini(&e);
}

/* label values: \\, \" and \n escaped, bytes that are not UTF-8 as '?';
 * rows that read the same are one series */
static void test_prom_labels(void)
{
	struct skbd_drop_key k[4] = {
		key(3, LOC_FUNC_A, 9, NS_WEIRD, NULL),
		key(3, LOC_FUNC_A, 1, NS_ANON, NULL), /* "ifindex 1" */
		key(3, LOC_FUNC_A, 1, NS_ANON + 7, NULL),
		key(3, LOC_FUNC_A, 1, 0, NULL),
	};
	__u64 t[4] = { 1, 2, 4, 8 };
	struct skbd_summary *s = new_summary(SKBD_BY_DEV);
	struct tmpdir d;
	char want[4096];
	struct env e;

	env_init(&e);
	tmpdir_make(&d);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 4, 0, 1), 0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 4);
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	snprintf(want, sizeof(want),
		 PROM_HEAD "skbdrop_drops_total{dev=\"ifindex 1\"} 14\n"
			   "skbdrop_drops_total{dev=\"q\\\"\\\\x\"} 1\n%s",
		 prom_tail);
	expect_file(d.file, want);
	skbd_summary__free(s);

	s = new_summary(SKBD_BY_NETNS);
	CU_ASSERT_EQUAL(skbd_summary__update(s, k, t, 1, 0, 1), 0);
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	/* "\xff" is not UTF-8, "\xc3\xa9" (é) is */
	snprintf(want, sizeof(want), PROM_HEAD "skbdrop_drops_total{netns=\"we\\\"ird\\\\\\nns?\xc3\xa9\"} 1\n%s",
		 prom_tail);
	expect_file(d.file, want);
	unlink(d.file);
	rmdir(d.dir);
	skbd_summary__free(s);
	env_fini(&e);
}

static void test_prom_atomic(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON);
	struct tmpdir d;
	struct stat st1, st2;
	char sub[PATH_MAX], buf[64];
	struct env e;
	int fd;

	env_init(&e);
	tmpdir_make(&d);
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	CU_ASSERT_EQUAL_FATAL(stat(d.file, &st1), 0);
	/* a reader that opened the old file keeps reading the old file whole */
	fd = open(d.file, O_RDONLY | O_CLOEXEC);
	CU_ASSERT_FATAL(fd >= 0);
	e.head.missed = 777;
	CU_ASSERT_EQUAL(write_prom(s, &e, d.file), 0);
	CU_ASSERT_EQUAL_FATAL(stat(d.file, &st2), 0);
	CU_ASSERT_NOT_EQUAL(st1.st_ino, st2.st_ino); /* replaced by rename, not rewritten */
	CU_ASSERT_EQUAL(pread(fd, buf, 13, 0), 13);
	CU_ASSERT_EQUAL(memcmp(buf, "# HELP skbdro", 13), 0);
	close(fd);
	{
		size_t len;
		char *text = tu_load_file(d.file, &len), *z = text ? strndup(text, len) : NULL;

		CU_ASSERT_PTR_NOT_NULL(z && strstr(z, "\nskbdrop_drops_missed_total 777\n"));
		free(text);
		free(z);
	}
	CU_ASSERT_EQUAL(dir_entries(d.dir), 1); /* no .tmp left */
	CU_ASSERT_EQUAL(st2.st_mode & 0777 & ~0644, 0);

	/* failures leave nothing behind: a directory in the way (rename fails) */
	snprintf(sub, sizeof(sub), "%s/dir.prom", d.dir);
	CU_ASSERT_EQUAL_FATAL(mkdir(sub, 0755), 0);
	CU_ASSERT_EQUAL(write_prom(s, &e, sub), -EISDIR);
	CU_ASSERT_EQUAL(dir_entries(d.dir), 2);
	rmdir(sub);
	/* a directory that does not exist */
	snprintf(sub, sizeof(sub), "%s/none/x.prom", d.dir);
	CU_ASSERT_EQUAL(write_prom(s, &e, sub), -ENOENT);
	CU_ASSERT_EQUAL(dir_entries(d.dir), 1);
	/* a path too long for the temporary name */
	{
		char *lng = malloc(PATH_MAX + 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(lng);
		memset(lng, 'a', PATH_MAX);
		lng[PATH_MAX] = '\0';
		CU_ASSERT_EQUAL(write_prom(s, &e, lng), -ENAMETOOLONG);
		free(lng);
	}
	unlink(d.file);
	rmdir(d.dir);
	skbd_summary__free(s);
	env_fini(&e);
}

/* a full disk: an error, not a silent short write */
static void test_write_errors(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON);
	int fd = open("/dev/full", O_WRONLY | O_CLOEXEC);
	char *t;
	struct env e;

	env_init(&e);
	if (fd >= 0) {
		t = text_of(s, &e, false, 0);
		CU_ASSERT_EQUAL(skbd_write_all(fd, t, strlen(t), NULL), -ENOSPC);
		free(t);
		t = json_of(s, &e);
		CU_ASSERT_EQUAL(skbd_write_all(fd, t, strlen(t), NULL), -ENOSPC);
		free(t);
		close(fd);
	}
	skbd_summary__free(s);
	env_fini(&e);
}


/* --by owner,container: rows of one process summed (the caller gave their
 * sockets one key), shown as COMM[PID], an unknown process as its socket,
 * the container by its short id, else the cgroup path */
static void test_owner_container(void)
{
	const __u64 pidkey = 1ULL << 63 | 100;
	struct skbd_drop_key keys[4] = {
		{ .sk_ino = pidkey, .sk_cgroup_id = 50 },
		{ .sk_ino = pidkey, .sk_cgroup_id = 50, .reason = 6 }, /* reason not selected: same row */
		{ .sk_ino = 5555, .sk_cgroup_id = 60 },
		{ .sk_ino = 0, .sk_cgroup_id = 0 },
	};
	const __u64 totals[4] = { 10, 5, 7, 1 };
	struct skbd_summary *s = new_summary(SKBD_BY_OWNER | SKBD_BY_CONTAINER);
	struct skbd_summary_row *rows = NULL;
	struct skbd_key_names *names;
	struct skbd_summary_view v;
	struct skbd_sbuf b;
	struct env e;
	size_t n = 0;

	env_init(&e);
	CU_ASSERT_EQUAL(skbd_summary__update(s, keys, totals, 4, 0, 1.0), 0);
	CU_ASSERT_EQUAL(skbd_summary__nr_rows(s), 3);
	CU_ASSERT_EQUAL_FATAL(skbd_summary__sorted(s, &rows, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 3);
	CU_ASSERT_EQUAL(rows[0].total, 15);
	names = calloc(n, sizeof(*names));
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	names[0].owner_pid = 100;
	snprintf(names[0].owner_comm, sizeof(names[0].owner_comm), "nginx");
	snprintf(names[0].container, sizeof(names[0].container),
		 "3f4c0e9b2a1d8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e");
	snprintf(names[0].cgroup, sizeof(names[0].cgroup), "/system.slice/docker-3f4c.scope");
	names[1].owner_ino = 5555;
	snprintf(names[1].cgroup, sizeof(names[1].cgroup), "/system.slice/ssh.service");
	v = (struct skbd_summary_view){ rows, names, n, &e.head };

	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_text(s, &e.ctx, &v, false, 0, &b), 0);
	skbd_sbuf__finish(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "RATE/s  TOTAL  OWNER          CONTAINER\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "    15  nginx[100]     3f4c0e9b2a1d\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "     7  socket:[5555]  /system.slice/ssh.service\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "     1  -              -\n"));
	skbd_sbuf__release(&b);

	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_json(s, &e.ctx, &v, &b), 0);
	skbd_sbuf__finish(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "{\"owner\":{\"pid\":100,\"comm\":\"nginx\",\"inode\":null},"
					     "\"container\":\"3f4c0e9b2a1d8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e\","
					     "\"cgroup\":\"/system.slice/docker-3f4c.scope\",\"cgroup_id\":50,\"total\":15,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "{\"owner\":{\"pid\":null,\"comm\":null,\"inode\":5555},\"container\":null,"
					     "\"cgroup\":\"/system.slice/ssh.service\",\"cgroup_id\":60,\"total\":7,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "{\"owner\":null,\"container\":null,\"cgroup\":null,\"cgroup_id\":0,\"total\":1,"));
	CU_ASSERT_TRUE(jq_says(b.buf, ".rows | length", "3\n"));
	skbd_sbuf__release(&b);

	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_prom(s, &e.ctx, &v, &b), 0);
	skbd_sbuf__finish(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "skbdrop_drops_total{owner=\"nginx[100]\",container=\"3f4c0e9b2a1d\"} 15\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "skbdrop_drops_total{owner=\"socket:[5555]\",container=\"/system.slice/ssh.service\"} 7\n"));
	skbd_sbuf__release(&b);
	free(rows);
	free(names);
	skbd_summary__free(s);
	env_fini(&e);
}


/* The kernel's counters under the table, in JSON and as a Prometheus family */
static void test_counters_block(void)
{
	struct skbd_summary *s = two_snapshots(SKBD_BY_REASON);
	struct skbd_counter_delta d[3] = {
		{ "TcpExtListenOverflows", 891, skbd_counter__def("TcpExtListenOverflows") },
		{ "UdpNoPorts", 300, skbd_counter__def("UdpNoPorts") },
		{ "eth0 rx_missed_errors", 4, skbd_counter__def("eth0 rx_missed_errors") },
	};
	struct skbd_counters_view cv[2] = { { .netns = 4026531840u, .d = d, .n = 2 },
					    { .netns = 4026532000u, .d = d + 2, .n = 1 } };
	struct skbd_summary_view v;
	struct skbd_sbuf b;
	struct env e;

	env_init(&e);
	snprintf(cv[1].netns_name, sizeof(cv[1].netns_name), "blue");
	e.head.counters = cv;
	e.head.nr_counters = 2;
	view_of(s, &e, &v);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_text(s, &e.ctx, &v, false, 0, &b), 0);
	skbd_sbuf__finish(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "\nkernel counters (netns 4026531840): TcpExtListenOverflows 891, UdpNoPorts 300\n"
					     "kernel counters (netns blue): eth0 rx_missed_errors 4\n"
					     "not all of these are traced as events here: TcpExtListenOverflows (some: SYNs dropped"));
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "; rx_missed_errors (none: never reached memory: no skb)\n"));
	skbd_sbuf__release(&b);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_json(s, &e.ctx, &v, &b), 0);
	skbd_sbuf__finish(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, ",\"counters\":[{\"netns\":4026531840,\"netns_name\":null,\"moved\":"
					     "{\"TcpExtListenOverflows\":891,\"UdpNoPorts\":300}},{\"netns\":4026532000,"
					     "\"netns_name\":\"blue\",\"moved\":{\"eth0 rx_missed_errors\":4}}]}\n"));
	CU_ASSERT_TRUE(jq_says(b.buf, ".counters[1].moved[\"eth0 rx_missed_errors\"]", "4\n"));
	skbd_sbuf__release(&b);
	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_summary__format_prom(s, &e.ctx, &v, &b), 0);
	skbd_sbuf__finish(&b);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "# TYPE skbdrop_kernel_drops_total counter\n"
					     "skbdrop_kernel_drops_total{netns=\"4026531840\",counter=\"TcpExtListenOverflows\"} 891\n"
					     "skbdrop_kernel_drops_total{netns=\"4026531840\",counter=\"UdpNoPorts\"} 300\n"
					     "skbdrop_kernel_drops_total{netns=\"blue\",counter=\"eth0 rx_missed_errors\"} 4\n"));
	skbd_sbuf__release(&b);
	view_free(&v);
	skbd_summary__free(s);
	env_fini(&e);
}

CU_TestInfo skbd_tests_summary[] = {
	{ "kernel counters block", test_counters_block },
	{ "owner and container rows", test_owner_container },
	{ "parse --by", test_parse_by },
	{ "parse --by errors", test_parse_by_errors },
	{ "new and free", test_new_free },
	{ "text table", test_text_table },
	{ "text without columns", test_text_no_columns },
	{ "rates over snapshots", test_rates },
	{ "extreme numbers", test_extreme_numbers },
	{ "unselected fields merge", test_merge_unselected },
	{ "sort ties", test_sort_ties },
	{ "sort deterministic", test_sort_deterministic },
	{ "max rows", test_max_rows },
	{ "json", test_json },
	{ "json escaping", test_json_escaping },
	{ "long location", test_long_location },
	{ "4097 rows", test_many_rows },
	{ "prom", test_prom },
	{ "prom labels", test_prom_labels },
	{ "prom for --metrics", test_prom_metrics },
	{ "OTLP metrics", test_otlp_metrics },
	{ "prom: --otlp's outcomes", test_prom_otlp },
	{ "prom atomic replace", test_prom_atomic },
	{ "write errors", test_write_errors },
	CU_TEST_INFO_NULL,
};
