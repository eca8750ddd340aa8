// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the BPF ring buffer reader: skbd_bpf_ring__consume on synthetic
 * in-memory rings (busy, discarded, wrapped, malformed records), and as root
 * a real BPF_MAP_TYPE_RINGBUF mapped, polled and freed. */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <linux/bpf.h>
#include <skbdrop/loader.h>
#include <skbdrop/ringbuf.h>
#include "testutil.h"

#define RB_SIZE 256u
#define RB_MASK (RB_SIZE - 1)
#define HDR_SZ 8u
#define BUSY (1u << 31)
#define DISCARD (1u << 30)
#define MAX_SEEN 16

/* A data area as the kernel maps it: size bytes, then the same bytes again,
 * so a record that crosses the end reads on contiguously. */
struct fake_rb {
	__u8 *data; /* 2 * RB_SIZE, malloc'd to the byte (an overread is an ASan error) */
	__u64 prod;
};

/* What the callback saw. */
struct seen {
	int n;
	int stop_at; /* return nonzero for this record (1-based); 0: never */
	int cpu[MAX_SEEN];
	__u32 size[MAX_SEEN];
	__u8 bytes[MAX_SEEN][RB_SIZE];
};

static int on_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	struct seen *s = ctx;

	CU_ASSERT_FATAL(s->n < MAX_SEEN);
	CU_ASSERT_FATAL(size <= RB_SIZE);
	s->cpu[s->n] = cpu;
	s->size[s->n] = size;
	memcpy(s->bytes[s->n], data, size);
	s->n++;
	return s->stop_at && s->n == s->stop_at;
}

/* Write len bytes at free-running position pos, in both copies. */
static void rb_put(struct fake_rb *r, __u64 pos, const void *buf, size_t len)
{
	const __u8 *b = buf;

	for (size_t i = 0; i < len; i++) {
		size_t k = (size_t)((pos + i) & RB_MASK);

		r->data[k] = b[i];
		r->data[k + RB_SIZE] = b[i];
	}
}

static void rb_start(struct fake_rb *r, __u64 pos)
{
	r->data = malloc(2 * RB_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->data);
	memset(r->data, 0xee, 2 * RB_SIZE);
	r->prod = pos;
}

static void rb_end(struct fake_rb *r)
{
	free(r->data);
	r->data = NULL;
}

static __u64 rb_total(__u32 len)
{
	return ((__u64)len + HDR_SZ + 7) & ~7ull;
}

/* Append a record of len payload bytes (flags: BUSY/DISCARD) whose bytes are
 * seed, seed + 1, ...; returns its position. */
static __u64 rb_record(struct fake_rb *r, __u32 len, __u32 flags, __u8 seed)
{
	__u32 hdr[2] = { len | flags, 0 };
	__u8 payload[RB_SIZE];
	__u64 at = r->prod;

	CU_ASSERT_FATAL(len <= RB_SIZE - HDR_SZ);
	for (__u32 i = 0; i < len; i++)
		payload[i] = (__u8)(seed + i);
	rb_put(r, at, hdr, sizeof(hdr));
	rb_put(r, at + HDR_SZ, payload, len);
	r->prod += rb_total(len);
	return at;
}

/* Set the header word of the record at pos (commit, discard, corrupt). */
static void rb_set_len(struct fake_rb *r, __u64 pos, __u32 word)
{
	rb_put(r, pos, &word, sizeof(word));
}

/* Record i of s has len bytes seed, seed + 1, ... and cpu -1. */
static void expect_payload(const struct seen *s, int i, __u32 len, __u8 seed)
{
	bool same = true;

	CU_ASSERT_FATAL(i < s->n);
	CU_ASSERT_EQUAL(s->cpu[i], -1);
	CU_ASSERT_EQUAL(s->size[i], len);
	for (__u32 b = 0; b < len && b < s->size[i]; b++)
		same = same && s->bytes[i][b] == (__u8)(seed + b);
	CU_ASSERT(same);
}

static int parse(struct fake_rb *r, __u64 *cons, struct seen *s)
{
	return skbd_bpf_ring__consume(r->data, RB_MASK, r->prod, cons, on_sample, s);
}

/* A producer more than a ring ahead (a bad position) is refused at once,
 * not walked as ~2^37 empty records */
static void test_producer_too_far(void)
{
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons = 0;

	memset(&r, 0, sizeof(r));
	r.prod = 1ULL << 40;
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(s.n, 0);
	CU_ASSERT_EQUAL(cons, 0);
	r.prod = RB_MASK + 2; /* one past a full ring */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
}

static void test_in_order(void)
{
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons = 0;

	rb_start(&r, 0);
	rb_record(&r, 5, 0, 0x10);  /* 16 bytes with header and padding */
	rb_record(&r, 16, 0, 0x40); /* 24: no padding */
	rb_record(&r, 64, 0, 0x80); /* the event's size */
	rb_record(&r, 1, 0, 0xf0);
	CU_ASSERT_EQUAL(r.prod, 16 + 24 + 72 + 16);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 4);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 4);
	expect_payload(&s, 0, 5, 0x10);
	expect_payload(&s, 1, 16, 0x40);
	expect_payload(&s, 2, 64, 0x80);
	expect_payload(&s, 3, 1, 0xf0);

	/* nothing new: nothing delivered, cons stays */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 0);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 4);

	/* one more appended: only that one */
	rb_record(&r, 8, 0, 0x33);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 1);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 5);
	expect_payload(&s, 4, 8, 0x33);
	rb_end(&r);
}

static void test_empty(void)
{
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons = 1000;

	rb_start(&r, 1000);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 0);
	CU_ASSERT_EQUAL(cons, 1000);
	CU_ASSERT_EQUAL(s.n, 0);
	rb_end(&r);
}

/* A record the kernel has reserved but not committed stops the reader; the
 * ones before it are delivered, and it is read once committed. */
static void test_busy(void)
{
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons = 0, busy;

	rb_start(&r, 0);
	rb_record(&r, 12, 0, 0x01);
	rb_record(&r, 20, 0, 0x21);
	busy = rb_record(&r, 30, BUSY, 0x41);
	rb_record(&r, 40, 0, 0x61); /* committed, but after the busy one */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 2);
	CU_ASSERT_EQUAL(cons, busy);
	CU_ASSERT_EQUAL(s.n, 2);
	expect_payload(&s, 0, 12, 0x01);
	expect_payload(&s, 1, 20, 0x21);

	/* still busy: nothing, cons stays at it */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 0);
	CU_ASSERT_EQUAL(cons, busy);

	/* busy and discarded at once is still busy */
	rb_set_len(&r, busy, 30 | BUSY | DISCARD);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 0);
	CU_ASSERT_EQUAL(cons, busy);
	CU_ASSERT_EQUAL(s.n, 2);

	/* committed: it and the one after it */
	rb_set_len(&r, busy, 30);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 2);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 4);
	expect_payload(&s, 2, 30, 0x41);
	expect_payload(&s, 3, 40, 0x61);
	rb_end(&r);
}

/* Discarded records are not delivered, but consumed. */
static void test_discard(void)
{
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons = 0;

	rb_start(&r, 0);
	rb_record(&r, 10, 0, 0x11);
	rb_record(&r, 50, DISCARD, 0x22);
	rb_record(&r, 3, DISCARD, 0x33);
	rb_record(&r, 7, 0, 0x44);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 2);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 2);
	expect_payload(&s, 0, 10, 0x11);
	expect_payload(&s, 1, 7, 0x44);

	/* only discarded ones: 0 delivered, yet cons moves past them */
	rb_record(&r, 24, DISCARD, 0x55);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 0);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 2);
	rb_end(&r);
}

/* The callback asks to stop: -EINTR, cons past that record, the rest later. */
static void test_stop(void)
{
	struct fake_rb r;
	struct seen s = { .stop_at = 2 };
	__u64 cons = 0, third;

	rb_start(&r, 0);
	rb_record(&r, 16, 0, 0x01);
	rb_record(&r, 17, 0, 0x02);
	third = rb_record(&r, 18, 0, 0x03);
	rb_record(&r, 19, 0, 0x04);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EINTR);
	CU_ASSERT_EQUAL(cons, third);
	CU_ASSERT_EQUAL(s.n, 2);
	expect_payload(&s, 1, 17, 0x02);

	s.stop_at = 0;
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 2);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 4);
	expect_payload(&s, 2, 18, 0x03);
	expect_payload(&s, 3, 19, 0x04);

	/* stopping at the last record: cons at prod */
	s.stop_at = 5;
	rb_record(&r, 9, 0, 0x05);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EINTR);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.n, 5);
	rb_end(&r);
}

/* Counters far above the size: the data is found at pos & mask, and a
 * record that crosses the end of the area reads on in the second copy. */
static void test_wrapped(void)
{
	const __u64 base = (1ull << 40) + 7 * RB_SIZE;
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons, crossing;
	int total = 0;

	/* go round the ring a few times with records of varied sizes */
	rb_start(&r, base + RB_SIZE - 48);
	cons = r.prod;
	for (int lap = 0; lap < 20; lap++) {
		__u32 len = 20 + (__u32)lap * 9 % 100;

		rb_record(&r, len, 0, (__u8)(lap * 13));
		CU_ASSERT_EQUAL(parse(&r, &cons, &s), 1);
		CU_ASSERT_EQUAL(cons, r.prod);
		CU_ASSERT_EQUAL_FATAL(s.n, 1);
		expect_payload(&s, 0, len, (__u8)(lap * 13));
		s.n = 0;
		total++;
	}
	CU_ASSERT_EQUAL(total, 20);
	CU_ASSERT(r.prod > base + 4 * RB_SIZE);

	/* a header at the last 8 bytes of the area, its payload at the start */
	s.n = 0;
	while ((r.prod & RB_MASK) != RB_SIZE - 8)
		rb_record(&r, 0, DISCARD, 0); /* 8 bytes each */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 0);
	CU_ASSERT_EQUAL(cons, r.prod);
	crossing = rb_record(&r, 100, 0, 0x5a);
	CU_ASSERT_EQUAL(crossing & RB_MASK, RB_SIZE - 8);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 1);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL_FATAL(s.n, 1);
	expect_payload(&s, 0, 100, 0x5a);

	/* a full ring (prod - cons == size), the middle record crossing the end */
	s.n = 0;
	CU_ASSERT_EQUAL(r.prod & RB_MASK, 104);
	rb_record(&r, 90, 0, 0x01);  /* 104..208 */
	rb_record(&r, 60, 0, 0x02);  /* 208..280: crosses */
	rb_record(&r, 70, 0, 0x03);  /* 24..104 */
	CU_ASSERT_EQUAL(r.prod - cons, RB_SIZE);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 3);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL_FATAL(s.n, 3);
	expect_payload(&s, 0, 90, 0x01);
	expect_payload(&s, 1, 60, 0x02);
	expect_payload(&s, 2, 70, 0x03);
	rb_end(&r);
}

/* Lengths that cannot be right: -EBADMSG with cons left at the record. */
static void test_malformed(void)
{
	struct fake_rb r;
	struct seen s = { 0 };
	__u64 cons = 0, bad, saved_prod;

	/* longer than the ring: len + header > size */
	rb_start(&r, 0);
	rb_record(&r, 8, 0, 0x01);
	bad = rb_record(&r, 8, 0, 0x02);
	rb_set_len(&r, bad, RB_SIZE - HDR_SZ + 1);
	r.prod = RB_SIZE; /* prod a whole ring ahead of cons: only the size check can catch it */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(cons, bad);
	CU_ASSERT_EQUAL(s.n, 1); /* the good record before it was delivered */
	expect_payload(&s, 0, 8, 0x01);

	/* exactly the ring's size is still possible in principle: not the size check */
	s.n = 0;
	rb_set_len(&r, bad, RB_SIZE - HDR_SZ);
	r.prod = bad + RB_SIZE;
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 1);
	CU_ASSERT_EQUAL(cons, r.prod);
	CU_ASSERT_EQUAL(s.size[0], RB_SIZE - HDR_SZ);

	/* the largest lengths the header can hold, with and without DISCARD */
	cons = bad;
	r.prod = bad + 2 * RB_SIZE;
	s.n = 0;
	rb_set_len(&r, bad, ~(BUSY | DISCARD));
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(cons, bad);
	rb_set_len(&r, bad, ~BUSY);
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(cons, bad);
	CU_ASSERT_EQUAL(s.n, 0);
	rb_end(&r);

	/* a record that runs past prod */
	rb_start(&r, 4096);
	cons = r.prod;
	bad = rb_record(&r, 64, 0, 0x03);
	saved_prod = r.prod;
	r.prod = bad + 16; /* prod says 16 bytes were written, the header says 72 */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(cons, bad);
	CU_ASSERT_EQUAL(s.n, 0);
	r.prod = saved_prod - 8; /* one word short */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(cons, bad);
	CU_ASSERT_EQUAL(s.n, 0);
	r.prod = saved_prod; /* the whole record: fine */
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), 1);
	CU_ASSERT_EQUAL(cons, saved_prod);
	expect_payload(&s, 0, 64, 0x03);

	/* a discarded record that runs past prod is malformed too */
	s.n = 0;
	bad = rb_record(&r, 40, DISCARD, 0x04);
	r.prod = bad + 8;
	CU_ASSERT_EQUAL(parse(&r, &cons, &s), -EBADMSG);
	CU_ASSERT_EQUAL(cons, bad);
	CU_ASSERT_EQUAL(s.n, 0);
	rb_end(&r);
}

/* ---- a real ring buffer map (root) ---- */
static int count_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_real_map(void)
{
	struct skbd_perfbuf_stats st;
	struct skbd_ringbuf *rb = NULL;
	int fd, samples = 0;

	if (geteuid() != 0) {
		tu_skip("not root: a ring buffer map needs CAP_BPF");
		return;
	}
	fd = skbd_bpf_map_create(NULL, BPF_MAP_TYPE_RINGBUF, "t", 0, 0, 65536, 0);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(skbd_ringbuf__open(fd, 65536, count_sample, &samples, &rb), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rb);
	skbd_ringbuf__stats(rb, &st);
	CU_ASSERT_EQUAL(st.polls, 0);
	CU_ASSERT_EQUAL(st.wakeups, 0);
	CU_ASSERT_EQUAL(skbd_ringbuf__poll(rb, 10), 0); /* nothing written: times out */
	skbd_ringbuf__stats(rb, &st);
	CU_ASSERT_EQUAL(st.polls, 1);
	CU_ASSERT_EQUAL(st.wakeups, 0);
	CU_ASSERT_EQUAL(st.samples, 0);
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(skbd_ringbuf__consume(rb), 0);
	skbd_ringbuf__stats(rb, &st);
	CU_ASSERT_EQUAL(st.polls, 1); /* consume does not count as a poll */
	CU_ASSERT_EQUAL(samples, 0);
	skbd_ringbuf__close(rb);
	skbd_ringbuf__close(NULL);

	/* a size the map does not have cannot be mapped */
	rb = NULL;
	tu_log_quiet();
	CU_ASSERT(skbd_ringbuf__open(fd, 131072, count_sample, &samples, &rb) < 0);
	tu_log_restore();
	CU_ASSERT_PTR_NULL(rb);
	CU_ASSERT(tu_log_seen_prefix("ringbuf:"));
	close(fd);
}

/* Sizes that are not a power-of-two multiple of the page: -EINVAL, *out untouched. */
static void check_bad_sizes(int fd)
{
	static char mark;
	const size_t page = (size_t)sysconf(_SC_PAGESIZE);
	const size_t bad[] = { 0, 3000, 3 * page, 5 * page, page / 2, page + 1 };
	struct skbd_ringbuf *sentinel = (struct skbd_ringbuf *)(void *)&mark;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct skbd_ringbuf *rb = sentinel;

		CU_ASSERT_EQUAL(skbd_ringbuf__open(fd, bad[i], count_sample, NULL, &rb), -EINVAL);
		CU_ASSERT_PTR_EQUAL(rb, sentinel);
	}
}

static void test_bad_sizes(void)
{
	int fd;

	check_bad_sizes(-1); /* refused before the fd is used */
	if (geteuid() != 0) {
		tu_skip("not root: a ring buffer map needs CAP_BPF");
		return;
	}
	fd = skbd_bpf_map_create(NULL, BPF_MAP_TYPE_RINGBUF, "t", 0, 0, 65536, 0);
	CU_ASSERT_FATAL(fd >= 0);
	check_bad_sizes(fd);
	close(fd);
}

CU_TestInfo skbd_tests_ringbuf[] = {
	{ "producer more than a ring ahead", test_producer_too_far },
	{ "records in order", test_in_order },
	{ "empty ring", test_empty },
	{ "busy record stops", test_busy },
	{ "discarded records skipped", test_discard },
	{ "callback stop", test_stop },
	{ "wrapped positions", test_wrapped },
	{ "malformed records", test_malformed },
	{ "real ring buffer map (root)", test_real_map },
	{ "invalid sizes", test_bad_sizes },
	CU_TEST_INFO_NULL,
};
