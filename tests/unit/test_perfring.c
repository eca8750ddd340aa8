// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the perf ring parser on synthetic in-memory rings (wrapped,
 * LOST, malformed records), the CPU list parser, and a root-only smoke test. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <linux/perf_event.h>
#include <skbdrop/loader.h>
#include <skbdrop/perfbuf.h>
#include "testutil.h"

#define RING_SIZE 256
#define TEST_CPU 3

/* A synthetic data area and its kernel-side head counter. */
struct fake_ring {
	__u8 data[RING_SIZE];
	__u64 head;
};

/* Write len bytes at free-running position pos, wrapping at the end. */
static void ring_put(struct fake_ring *r, __u64 pos, const void *buf, size_t len)
{
	const __u8 *b = buf;

	for (size_t i = 0; i < len; i++)
		r->data[(pos + i) & (RING_SIZE - 1)] = b[i];
}

static void ring_start(struct fake_ring *r, __u64 pos)
{
	memset(r->data, 0xee, sizeof(r->data));
	r->head = pos;
}

/* Append a record with the given header size; payload may be shorter. */
static __u64 ring_record(struct fake_ring *r, __u32 type, __u16 size, const void *payload,
			 size_t payload_len)
{
	struct perf_event_header hdr = { .type = type, .misc = 0, .size = size };
	__u64 at = r->head;

	ring_put(r, at, &hdr, sizeof(hdr));
	ring_put(r, at + sizeof(hdr), payload, payload_len);
	r->head += size;
	return at;
}

/* Append a PERF_RECORD_SAMPLE of raw bytes, padded to 8 like the kernel;
 * raw_size reports len (pad_in_size: also the padding, as the kernel does). */
static __u64 ring_sample(struct fake_ring *r, const void *raw, __u32 len, bool pad_in_size)
{
	__u8 payload[RING_SIZE];
	__u16 size = (__u16)((sizeof(struct perf_event_header) + 4 + len + 7) & ~7u);
	__u32 raw_size = pad_in_size ? size - 12u : len;

	memset(payload, 0, sizeof(payload));
	memcpy(payload, &raw_size, 4);
	memcpy(payload + 4, raw, len);
	return ring_record(r, PERF_RECORD_SAMPLE, size, payload, size - 8u);
}

static __u64 ring_lost(struct fake_ring *r, __u64 id, __u64 lost)
{
	__u64 payload[2] = { id, lost };

	return ring_record(r, PERF_RECORD_LOST, 24, payload, sizeof(payload));
}

/* What the callbacks saw. */
struct seen {
	int n;
	char order[32]; /* 'S' sample, 'L' lost */
	int cpu[32];
	__u32 size[32];
	__u8 bytes[32][RING_SIZE];
	__u64 lost[32];
	int stop_at; /* stop after this many callbacks (0: never) */
};

static int seen_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	struct seen *s = ctx;

	CU_ASSERT_FATAL(s->n < 31);
	CU_ASSERT_FATAL(size <= RING_SIZE);
	s->order[s->n] = 'S';
	s->cpu[s->n] = cpu;
	s->size[s->n] = size;
	memcpy(s->bytes[s->n], data, size);
	s->n++;
	return s->stop_at && s->n >= s->stop_at;
}

static int seen_lost(void *ctx, int cpu, __u64 lost)
{
	struct seen *s = ctx;

	CU_ASSERT_FATAL(s->n < 31);
	s->order[s->n] = 'L';
	s->cpu[s->n] = cpu;
	s->lost[s->n] = lost;
	s->n++;
	return s->stop_at && s->n >= s->stop_at;
}

static int consume(struct fake_ring *r, __u64 *tail, struct seen *s, size_t scratch_size)
{
	static __u8 scratch[2 * RING_SIZE];

	memset(scratch, 0, sizeof(scratch));
	return skbd_perf_ring__consume(r->data, RING_SIZE, r->head, tail, scratch, scratch_size,
				       TEST_CPU, seen_sample, seen_lost, s);
}

/* Fill buf with a recognisable pattern. */
static void pattern(__u8 *buf, size_t len, __u8 seed)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (__u8)(seed + i * 7);
}

static void test_empty(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u64 tail;

	ring_start(&r, 0);
	tail = 0;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 0);
	CU_ASSERT_EQUAL(tail, 0);

	ring_start(&r, 1000 * RING_SIZE + 40);
	tail = r.head;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 0);
	CU_ASSERT_EQUAL(tail, 1000 * RING_SIZE + 40);
	CU_ASSERT_EQUAL(s.n, 0);
}

static void test_samples_in_order(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[4], b[13], c[40];
	__u64 tail;

	pattern(a, sizeof(a), 1);
	pattern(b, sizeof(b), 50);
	pattern(c, sizeof(c), 100);
	ring_start(&r, 64);
	tail = r.head;
	ring_sample(&r, a, sizeof(a), false);  /* 16 bytes, no padding */
	ring_sample(&r, b, sizeof(b), false);  /* 25 -> 32 */
	ring_sample(&r, c, sizeof(c), true);   /* 52 -> 56, raw_size 44 */

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 3);
	CU_ASSERT_EQUAL(tail, r.head);
	CU_ASSERT_EQUAL(tail, 64 + 16 + 32 + 56);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_NSTRING_EQUAL(s.order, "SSS", 3);
	CU_ASSERT_EQUAL(s.cpu[0], TEST_CPU);
	CU_ASSERT_EQUAL(s.cpu[2], TEST_CPU);
	CU_ASSERT_EQUAL(s.size[0], 4);
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(s.size[1], 13);
	CU_ASSERT_EQUAL(memcmp(s.bytes[1], b, sizeof(b)), 0);
	/* raw_size includes the kernel's padding: the zero tail is delivered */
	CU_ASSERT_EQUAL(s.size[2], 44);
	CU_ASSERT_EQUAL(memcmp(s.bytes[2], c, sizeof(c)), 0);
	CU_ASSERT_EQUAL(s.bytes[2][40], 0);
	CU_ASSERT_EQUAL(s.bytes[2][43], 0);
}

static void test_wrap(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[20], b[60], c[8];
	__u64 tail, start = 777ull * RING_SIZE + 208;

	pattern(a, sizeof(a), 3);
	pattern(b, sizeof(b), 90);
	pattern(c, sizeof(c), 200);
	ring_start(&r, start);
	tail = start;
	ring_sample(&r, a, sizeof(a), false); /* 32 bytes: 208..240 */
	ring_sample(&r, b, sizeof(b), false); /* 72 bytes: 240..256 + 0..56, body splits */
	ring_sample(&r, c, sizeof(c), false); /* 24 bytes at 56 */
	CU_ASSERT_EQUAL((start + 32) & (RING_SIZE - 1), 240);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 3);
	CU_ASSERT_EQUAL(tail, start + 32 + 72 + 24);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_EQUAL(s.size[0], sizeof(a));
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(s.size[1], sizeof(b));
	CU_ASSERT_EQUAL(memcmp(s.bytes[1], b, sizeof(b)), 0);
	CU_ASSERT_EQUAL(s.size[2], sizeof(c));
	CU_ASSERT_EQUAL(memcmp(s.bytes[2], c, sizeof(c)), 0);
}

/* The header sits in the last 8 bytes; raw_size and body are at the start. */
static void test_wrap_after_header(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[30];
	__u64 tail, start = 5ull * RING_SIZE + RING_SIZE - 8;

	pattern(a, sizeof(a), 17);
	ring_start(&r, start);
	tail = start;
	ring_sample(&r, a, sizeof(a), false);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 1);
	CU_ASSERT_EQUAL(tail, r.head);
	CU_ASSERT_EQUAL(s.size[0], sizeof(a));
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, sizeof(a)), 0);
}

/* The u64 counters themselves wrap through zero. */
static void test_counter_overflow(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[28], b[4];
	__u64 tail, start = UINT64_MAX - 15; /* 16 bytes before 2^64 */

	pattern(a, sizeof(a), 33);
	pattern(b, sizeof(b), 44);
	ring_start(&r, start);
	tail = start;
	ring_sample(&r, a, sizeof(a), false); /* 40 bytes across both ends */
	ring_sample(&r, b, sizeof(b), false);
	CU_ASSERT(r.head < start);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 2);
	CU_ASSERT_EQUAL(tail, r.head);
	CU_ASSERT_EQUAL(tail, 40); /* 2^64 + 40 */
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(memcmp(s.bytes[1], b, sizeof(b)), 0);
}

static void test_lost_mixed(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[8], b[12];
	__u64 tail;

	pattern(a, sizeof(a), 5);
	pattern(b, sizeof(b), 6);
	ring_start(&r, 3ull * RING_SIZE + 232);
	tail = r.head;
	ring_sample(&r, a, sizeof(a), false);
	ring_lost(&r, 42, 17); /* 24 bytes at offset 0 after the sample */
	ring_sample(&r, b, sizeof(b), false);
	ring_lost(&r, 42, 1);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 4);
	CU_ASSERT_EQUAL(tail, r.head);
	CU_ASSERT_NSTRING_EQUAL(s.order, "SLSL", 4);
	CU_ASSERT_EQUAL(s.lost[1], 17);
	CU_ASSERT_EQUAL(s.cpu[1], TEST_CPU);
	CU_ASSERT_EQUAL(s.lost[3], 1);
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, sizeof(a)), 0);
	CU_ASSERT_EQUAL(memcmp(s.bytes[2], b, sizeof(b)), 0);
}

/* A LOST record whose body wraps: id and count are read from scratch. */
static void test_lost_wrapped(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u64 tail;

	ring_start(&r, 9ull * RING_SIZE + 240);
	tail = r.head;
	ring_lost(&r, 7, 0x1122334455667788ull);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 1);
	CU_ASSERT_EQUAL(s.lost[0], 0x1122334455667788ull);
}

static void test_unknown_skipped(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[4] = { 1, 2, 3, 4 }, b[4] = { 5, 6, 7, 8 }, junk[32];
	__u64 tail;

	memset(junk, 0xab, sizeof(junk));
	ring_start(&r, 0);
	tail = 0;
	ring_sample(&r, a, sizeof(a), false);
	ring_record(&r, PERF_RECORD_THROTTLE, 24, junk, 16);
	ring_record(&r, 0x7777, 40, junk, 32);
	ring_sample(&r, b, sizeof(b), false);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 2);
	CU_ASSERT_EQUAL(tail, r.head);
	CU_ASSERT_EQUAL(s.n, 2);
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, 4), 0);
	CU_ASSERT_EQUAL(memcmp(s.bytes[1], b, 4), 0);
}

static void test_callback_stop(void)
{
	struct fake_ring r;
	struct seen s = { .stop_at = 2 };
	__u8 a[4] = { 1 }, b[4] = { 2 }, c[4] = { 3 };
	__u64 tail, second;

	ring_start(&r, 2ull * RING_SIZE);
	tail = r.head;
	ring_sample(&r, a, sizeof(a), false);
	second = ring_sample(&r, b, sizeof(b), false);
	ring_sample(&r, c, sizeof(c), false);

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), -EINTR);
	CU_ASSERT_EQUAL(tail, second + 16); /* past the record that stopped */
	CU_ASSERT_EQUAL(s.n, 2);

	/* the next call resumes with the third record */
	s.stop_at = 0;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), 1);
	CU_ASSERT_EQUAL(tail, r.head);
	CU_ASSERT_EQUAL(s.n, 3);
	CU_ASSERT_EQUAL(s.bytes[2][0], 3);

	/* a LOST callback can stop too */
	ring_lost(&r, 1, 2);
	ring_sample(&r, a, sizeof(a), false);
	s.stop_at = 4;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), -EINTR);
	CU_ASSERT_EQUAL(tail, r.head - 16);
	CU_ASSERT_EQUAL(s.order[3], 'L');
}

static void test_null_callbacks(void)
{
	struct fake_ring r;
	__u8 scratch[RING_SIZE];
	__u8 a[4] = { 0 };
	__u64 tail;

	ring_start(&r, 200);
	tail = r.head;
	ring_sample(&r, a, sizeof(a), false);
	ring_lost(&r, 1, 3);
	ring_sample(&r, a, sizeof(a), false);
	CU_ASSERT_EQUAL(skbd_perf_ring__consume(r.data, RING_SIZE, r.head, &tail, scratch,
						sizeof(scratch), 0, NULL, NULL, NULL), 3);
	CU_ASSERT_EQUAL(tail, r.head);
}

enum bad_kind {
	BAD_SIZE0,
	BAD_SIZE12,
	BAD_BEYOND_HEAD,
	BAD_RAW_SIZE,
	BAD_SAMPLE_NO_RAW,
	BAD_LOST_SHORT,
	BAD_SCRATCH,
	BAD_HEAD_TORN,
};

/* One good sample, then the bad record: the good one is delivered and *tail
 * stops at the bad one. Also run with the bad record wrapping. */
static void check_bad(enum bad_kind kind, __u64 start, const char *what)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 a[4] = { 9, 8, 7, 6 }, payload[64];
	size_t scratch_size = RING_SIZE;
	__u32 raw_size;
	__u64 tail, bad;

	memset(payload, 0, sizeof(payload));
	ring_start(&r, start);
	tail = r.head;
	ring_sample(&r, a, sizeof(a), false);
	bad = r.head;
	switch (kind) {
	case BAD_SIZE0:
		ring_record(&r, PERF_RECORD_SAMPLE, 0, payload, 8);
		r.head += 16; /* something pending after it */
		break;
	case BAD_SIZE12:
		ring_record(&r, PERF_RECORD_SAMPLE, 12, payload, 8);
		r.head += 4;
		break;
	case BAD_BEYOND_HEAD:
		ring_sample(&r, payload, 20, false); /* 32 bytes */
		r.head -= 8;
		break;
	case BAD_RAW_SIZE:
		raw_size = 21; /* 4 + 21 > 24 bytes of payload */
		memcpy(payload, &raw_size, 4);
		ring_record(&r, PERF_RECORD_SAMPLE, 32, payload, 24);
		break;
	case BAD_SAMPLE_NO_RAW:
		ring_record(&r, PERF_RECORD_SAMPLE, 8, payload, 0);
		break;
	case BAD_LOST_SHORT:
		ring_record(&r, PERF_RECORD_LOST, 16, payload, 8);
		break;
	case BAD_SCRATCH:
		ring_sample(&r, payload, 60, false); /* 72 bytes */
		scratch_size = 64;
		break;
	case BAD_HEAD_TORN:
		r.head += 4; /* fewer than 8 bytes left for a header */
		break;
	}

	CU_ASSERT_EQUAL(consume(&r, &tail, &s, scratch_size), -EBADMSG);
	CU_ASSERT_EQUAL(tail, bad);
	CU_ASSERT_EQUAL(s.n, 1);
	CU_ASSERT_EQUAL(memcmp(s.bytes[0], a, sizeof(a)), 0);
	if (tail != bad || s.n != 1)
		fprintf(stderr, "\n  bad record case '%s' at %llu\n", what,
			(unsigned long long)start);

	/* no progress on retry: the same answer, nothing more delivered */
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, scratch_size), -EBADMSG);
	CU_ASSERT_EQUAL(tail, bad);
	CU_ASSERT_EQUAL(s.n, 1);
}

static void test_malformed(void)
{
	static const struct { enum bad_kind kind; const char *what; } cases[] = {
		{ BAD_SIZE0, "size 0" },
		{ BAD_SIZE12, "size 12" },
		{ BAD_BEYOND_HEAD, "beyond head" },
		{ BAD_RAW_SIZE, "raw_size too big" },
		{ BAD_SAMPLE_NO_RAW, "sample without raw_size" },
		{ BAD_LOST_SHORT, "short LOST" },
		{ BAD_SCRATCH, "larger than scratch" },
		{ BAD_HEAD_TORN, "head inside a header" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		check_bad(cases[i].kind, 64, cases[i].what);
		/* bad record starting at offset 240: it wraps */
		check_bad(cases[i].kind, 11ull * RING_SIZE + 224, cases[i].what);
	}
}

static void test_bad_counters(void)
{
	struct fake_ring r;
	struct seen s = { 0 };
	__u8 scratch[RING_SIZE];
	__u64 tail;

	memset(scratch, 0, sizeof(scratch));
	ring_start(&r, 1000);
	/* more pending than the area holds */
	tail = 1000 - RING_SIZE - 8;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), -EBADMSG);
	CU_ASSERT_EQUAL(tail, 1000 - RING_SIZE - 8);
	/* tail ahead of head */
	tail = 1008;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), -EBADMSG);
	/* tail not 8-aligned */
	ring_sample(&r, scratch, 4, false);
	tail = 1004;
	CU_ASSERT_EQUAL(consume(&r, &tail, &s, RING_SIZE), -EBADMSG);
	CU_ASSERT_EQUAL(s.n, 0);
	/* data_size not a power of two, or NULL arguments */
	tail = 1000;
	CU_ASSERT_EQUAL(skbd_perf_ring__consume(r.data, 192, r.head, &tail, scratch, sizeof(scratch),
						0, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(skbd_perf_ring__consume(r.data, 0, r.head, &tail, scratch, sizeof(scratch),
						0, NULL, NULL, NULL), -EINVAL);
	CU_ASSERT_EQUAL(skbd_perf_ring__consume(r.data, RING_SIZE, r.head, NULL, scratch,
						sizeof(scratch), 0, NULL, NULL, NULL), -EINVAL);
}

static void test_cpulist(void)
{
	static const struct {
		const char *s;
		int max;
		int want;
		const char *mask; /* expected mask as '0'/'1', NULL on error */
	} cases[] = {
		{ "0", 4, 1, "1000" },
		{ "0\n", 4, 1, "1000" },
		{ "0-1\n", 4, 2, "1100" },
		{ "0-3,5,7-8", 10, 7, "1111010110" },
		{ "2,0", 4, 2, "1010" },
		{ "1,1,0-1", 4, 2, "1100" },
		{ "3-3", 4, 1, "0001" },
		{ "", 4, 0, "0000" },
		{ "\n", 4, 0, "0000" },
		{ "007", 8, 1, "00000001" },
		{ "3-1", 4, -EINVAL, NULL },
		{ "4", 4, -EINVAL, NULL },
		{ "0-4", 4, -EINVAL, NULL },
		{ "0", 0, -EINVAL, NULL },
		{ "abc", 4, -EINVAL, NULL },
		{ "0,", 4, -EINVAL, NULL },
		{ ",0", 4, -EINVAL, NULL },
		{ "0,,1", 4, -EINVAL, NULL },
		{ "0-", 4, -EINVAL, NULL },
		{ "-1", 4, -EINVAL, NULL },
		{ " 0", 4, -EINVAL, NULL },
		{ "0 ", 4, -EINVAL, NULL },
		{ "+1", 4, -EINVAL, NULL },
		{ "0\n\n", 4, -EINVAL, NULL },
		{ "0\n1", 4, -EINVAL, NULL },
		{ "0-3:2", 4, -EINVAL, NULL },
		{ "0x1", 4, -EINVAL, NULL },
		{ "99999999999999999999", 4, -EINVAL, NULL },
	};
	bool mask[16];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = skbd_parse_cpulist(cases[i].s, mask, cases[i].max);

		CU_ASSERT_EQUAL(got, cases[i].want);
		if (got != cases[i].want)
			fprintf(stderr, "\n  cpulist \"%s\" max %d: got %d want %d\n", cases[i].s,
				cases[i].max, got, cases[i].want);
		if (!cases[i].mask || got != cases[i].want)
			continue;
		for (int c = 0; c < cases[i].max; c++)
			CU_ASSERT_EQUAL(mask[c], cases[i].mask[c] == '1');
	}
	CU_ASSERT_EQUAL(skbd_parse_cpulist(NULL, mask, 4), -EINVAL);
}

static void test_cpus_possible(void)
{
	long conf = sysconf(_SC_NPROCESSORS_CONF);
	int n = skbd_cpus_possible();

	CU_ASSERT(n >= 1);
	if (conf > 0)
		CU_ASSERT(n >= conf);
}

static void test_new_bad_opts(void)
{
	struct skbd_perfbuf_opts opts = { .pages = 0 };
	struct skbd_perfbuf *pb = (void *)&opts;

	CU_ASSERT_EQUAL(skbd_perfbuf__open(-1, &opts, NULL, NULL, NULL, &pb), -EINVAL);
	opts.pages = 3;
	CU_ASSERT_EQUAL(skbd_perfbuf__open(-1, &opts, NULL, NULL, NULL, &pb), -EINVAL);
	CU_ASSERT_EQUAL(skbd_perfbuf__open(-1, NULL, NULL, NULL, NULL, &pb), -EINVAL);
	CU_ASSERT_PTR_EQUAL(pb, (void *)&opts); /* *out untouched on failure */
	skbd_perfbuf__close(NULL);
	CU_ASSERT_EQUAL(skbd_perfbuf__poll(NULL, 0), -EINVAL);
	CU_ASSERT_EQUAL(skbd_perfbuf__epoll_fd(NULL), -EINVAL);
}

/* Root only: real events and rings, but no program writes to them. */
static void test_perfbuf_live(void)
{
	struct skbd_perfbuf_opts opts = { .pages = 1, .watermark_bytes = 0 };
	struct skbd_perfbuf_stats st;
	struct skbd_perfbuf *pb = NULL;
	struct seen s = { 0 };
	int possible, map_fd, err;

	if (geteuid() != 0) {
		tu_skip("not root: perf rings need CAP_PERFMON");
		return;
	}
	possible = skbd_cpus_possible();
	CU_ASSERT_FATAL(possible >= 1);
	map_fd = skbd_bpf_map_create(NULL, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "t", 4, 4, (__u32)possible, 0);
	if (map_fd < 0) {
		fprintf(stderr, "\n  perfbuf live test skipped: map create: %s\n", strerror(-map_fd));
		return;
	}

	err = skbd_perfbuf__open(map_fd, &opts, seen_sample, seen_lost, &s, &pb);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT(skbd_perfbuf__epoll_fd(pb) >= 0);
	CU_ASSERT_EQUAL(skbd_perfbuf__poll(pb, 10), 0);
	CU_ASSERT_EQUAL(skbd_perfbuf__consume(pb), 0);
	skbd_perfbuf__stats(pb, &st);
	CU_ASSERT_EQUAL(st.polls, 1);
	CU_ASSERT_EQUAL(st.wakeups, 0);
	CU_ASSERT_EQUAL(st.samples, 0);
	CU_ASSERT_EQUAL(st.lost, 0);
	CU_ASSERT_EQUAL(s.n, 0);
	skbd_perfbuf__close(pb);

	/* a map too small for the CPUs fails cleanly, naming the CPU */
	if (possible > 1) {
		int small = skbd_bpf_map_create(NULL, BPF_MAP_TYPE_PERF_EVENT_ARRAY, "t", 4, 4, 1, 0);

		if (small >= 0) {
			pb = NULL;
			tu_log_quiet();
			err = skbd_perfbuf__open(small, &opts, NULL, NULL, NULL, &pb);
			tu_log_restore();
			CU_ASSERT(err < 0);
			CU_ASSERT_PTR_NULL(pb);
			close(small);
		}
	}
	close(map_fd);
}

CU_TestInfo skbd_tests_perfring[] = {
	{ "empty ring", test_empty },
	{ "samples in order", test_samples_in_order },
	{ "sample wraps the end", test_wrap },
	{ "body wraps after header", test_wrap_after_header },
	{ "u64 counter overflow", test_counter_overflow },
	{ "LOST mixed with samples", test_lost_mixed },
	{ "LOST record wraps", test_lost_wrapped },
	{ "unknown types skipped", test_unknown_skipped },
	{ "callback stop", test_callback_stop },
	{ "NULL callbacks", test_null_callbacks },
	{ "malformed records", test_malformed },
	{ "bad counters and args", test_bad_counters },
	{ "cpulist parser", test_cpulist },
	{ "cpus possible", test_cpus_possible },
	{ "perfbuf bad opts", test_new_bad_opts },
	{ "perfbuf live (root)", test_perfbuf_live },
	CU_TEST_INFO_NULL,
};
