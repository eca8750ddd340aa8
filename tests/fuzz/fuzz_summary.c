// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: --summary's model fed with what the kernel's
 * aggregation map holds (keys and per-CPU sums are bytes the kernel wrote),
 * over several snapshots, and its three writers (text, JSON, Prometheus).
 * Input: the --by mask (1 byte), writer knobs (1), then snapshots: key count
 * (1), that many keys (struct skbd_drop_key, then a u64 total each), the
 * other total (8) and the seconds since the last one (1, in quarters). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/output.h>
#include "fuzz_util.h"

#define SNAPSHOTS_MAX 3
#define KEYS_MAX 16

/* Names as the CLI's names layer makes them, some from the key's bytes. */
static void name_rows(const struct skbd_summary_row *rows, size_t n, struct skbd_key_names *names)
{
	for (size_t i = 0; i < n; i++) {
		const struct skbd_drop_key *k = rows[i].key;
		struct skbd_key_names *nm = &names[i];

		memset(nm, 0, sizeof(*nm));
		if (!k)
			continue;
		snprintf(nm->location, sizeof(nm->location), "0x%llx", (unsigned long long)k->location);
		if (k->ifindex & 1)
			memcpy(nm->dev, k->comm, sizeof(nm->dev) - 1);
		if (k->netns & 1)
			memcpy(nm->netns, k->comm, sizeof(k->comm));
		nm->owner_pid = (__u32)k->sk_ino;
		memcpy(nm->owner_comm, k->comm, sizeof(k->comm));
		nm->owner_ino = k->sk_ino;
		if (k->sk_cgroup_id & 1)
			memcpy(nm->cgroup, k->comm, sizeof(k->comm));
		if (k->sk_cgroup_id & 2)
			snprintf(nm->container, sizeof(nm->container), "%016llx", (unsigned long long)k->sk_cgroup_id);
	}
}

static void write_all(const struct skbd_summary *s, __u8 knobs)
{
	struct skbd_fmt_ctx c = { .fmt = (knobs & 1) ? fuzz_reasons() : NULL, .has_reason = knobs & 2,
				  .mono_to_real_ns = 1700000000ll * 1000000000ll };
	struct skbd_summary_head head = { .kernel_release = (knobs & 4) ? "6.18.44" : NULL, .elapsed = 10,
					  .counted = 94, .lost = 1, .filtered = 2, .benign = knobs };
	struct skbd_summary_row *rows;
	struct skbd_key_names *names;
	struct skbd_summary_view v;
	struct skbd_sbuf b;
	size_t n;

	if (skbd_summary__sorted(s, &rows, &n))
		abort();
	names = calloc(n ? n : 1, sizeof(*names));
	if (!names)
		abort();
	name_rows(rows, n, names);
	v = (struct skbd_summary_view){ rows, names, n, &head };
	skbd_sbuf__grow_init(&b);
	if (skbd_summary__format_text(s, &c, &v, knobs & 8, (knobs >> 4) % 4, &b) ||
	    skbd_summary__format_json(s, &c, &v, &b) || skbd_summary__format_prom(s, &c, &v, &b))
		abort(); /* only -ENOMEM */
	skbd_sbuf__release(&b);
	free(names);
	free(rows);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct skbd_drop_key keys[KEYS_MAX];
	static __u64 totals[KEYS_MAX];
	struct fuzz_in in = { data, size };
	__u32 by = fuzz_u8(&in) & SKBD_BY_ALL;
	__u8 knobs = fuzz_u8(&in);
	struct skbd_summary *s;
	double now = 100;

	if (skbd_summary__new(by, 99, &s))
		return 0; /* an empty mask */
	for (int snap = 0; snap < SNAPSHOTS_MAX && in.n; snap++) {
		size_t n = fuzz_u8(&in) % (KEYS_MAX + 1);

		for (size_t i = 0; i < n; i++) {
			size_t take = in.n < sizeof(keys[i]) ? in.n : sizeof(keys[i]);

			memset(&keys[i], 0, sizeof(keys[i]));
			memcpy(&keys[i], in.p, take);
			in.p += take;
			in.n -= take;
			totals[i] = fuzz_u64(&in);
		}
		__u64 other = fuzz_u64(&in);
		now += fuzz_u8(&in) / 4.0;
		if (skbd_summary__update(s, keys, totals, n, other, now))
			abort();
		skbd_summary__nr_rows(s);
		skbd_summary__counted(s);
		skbd_summary__rate(s);
		write_all(s, knobs);
	}
	skbd_summary__free(s);
	return 0;
}
