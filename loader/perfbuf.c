// SPDX-License-Identifier: GPL-2.0-only
/* Per-CPU PERF_COUNT_SW_BPF_OUTPUT rings behind one epoll fd, the pure parser
 * of the perf mmap data area, and the sysfs CPU list parser. */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/perf_event.h>
#include <skbdrop/fileio.h>
#include <skbdrop/log.h>
#include <skbdrop/perfbuf.h>

#define CPU_POSSIBLE_PATH "/sys/devices/system/cpu/possible"
#define CPU_ONLINE_PATH "/sys/devices/system/cpu/online"

/* ---- the record parser ---- */

/* PERF_RECORD_SAMPLE with sample_type == PERF_SAMPLE_RAW: header, then u32 size. */
#define SAMPLE_MIN_SIZE (sizeof(struct perf_event_header) + sizeof(__u32))
/* PERF_RECORD_LOST: header, u64 id, u64 lost (then sample_id, which we never ask for). */
#define LOST_MIN_SIZE (sizeof(struct perf_event_header) + 2 * sizeof(__u64))

int skbd_perf_ring__consume(const void *data, __u64 data_size, __u64 head, __u64 *tail,
			    void *scratch, size_t scratch_size, int cpu,
			    skbd_perfbuf_sample_fn sample_fn, skbd_perfbuf_lost_fn lost_fn, void *ctx)
{
	const __u8 *base = data;
	__u64 mask = data_size - 1;
	int cnt = 0;

	if (!data || !tail || data_size < sizeof(struct perf_event_header) || (data_size & mask))
		return -EINVAL;
	/* The kernel never has more than data_size bytes pending, and every
	 * record is 8-aligned; anything else means the counters are corrupt.
	 * An 8-aligned tail in an area whose size is a multiple of 8 also
	 * means a header never straddles the end. */
	if (head - *tail > data_size || (*tail & 7))
		return -EBADMSG;

	while (*tail != head) {
		__u64 avail = head - *tail;
		__u64 off = *tail & mask;
		struct perf_event_header hdr;
		const __u8 *rec;
		__u32 raw_size;
		__u64 lost;
		int stop = 0;

		if (avail < sizeof(hdr))
			return -EBADMSG;
		/* memcpy: the caller's buffer need not be 8-aligned */
		memcpy(&hdr, base + off, sizeof(hdr));
		/* Checked for every record, not just those that wrap, so that a
		 * too-small scratch fails the same way wherever the record sits. */
		if (hdr.size < sizeof(hdr) || (hdr.size & 7) || hdr.size > avail ||
		    hdr.size > scratch_size)
			return -EBADMSG;

		if (off + hdr.size > data_size) {
			size_t first = (size_t)(data_size - off);

			memcpy(scratch, base + off, first);
			memcpy((__u8 *)scratch + first, base, hdr.size - first);
			rec = scratch;
		} else {
			rec = base + off;
		}

		switch (hdr.type) {
		case PERF_RECORD_SAMPLE:
			if (hdr.size < SAMPLE_MIN_SIZE)
				return -EBADMSG;
			memcpy(&raw_size, rec + sizeof(hdr), sizeof(raw_size));
			/* raw_size includes the kernel's padding, if any */
			if ((__u64)raw_size > hdr.size - SAMPLE_MIN_SIZE)
				return -EBADMSG;
			cnt++;
			if (sample_fn)
				stop = sample_fn(ctx, cpu, rec + SAMPLE_MIN_SIZE, raw_size);
			break;
		case PERF_RECORD_LOST:
			if (hdr.size < LOST_MIN_SIZE)
				return -EBADMSG;
			memcpy(&lost, rec + sizeof(hdr) + sizeof(__u64), sizeof(lost));
			cnt++;
			if (lost_fn)
				stop = lost_fn(ctx, cpu, lost);
			break;
		default:
			/* throttle/unthrottle and anything newer: not ours */
			break;
		}
		*tail += hdr.size;
		if (stop < 0)
			return -ECANCELED;
		if (stop)
			return -EINTR;
	}
	return cnt;
}

/* ---- CPU lists ---- */

/* One decimal CPU number: digits only (no sign, no space), at most INT_MAX - 1. */
static int parse_cpu(const char **p, int *out)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v >= INT_MAX)
			return -EINVAL;
		s++;
	}
	*out = (int)v;
	*p = s;
	return 0;
}

/* Walk "a-b,c\n"; mark mask (if given), report the highest CPU (-1 if none).
 * Returns the CPUs marked (with mask) or listed (without), or -EINVAL. */
static int walk_cpulist(const char *s, bool *mask, int max, int *highest)
{
	const char *p = s;
	long cnt = 0;
	int hi = -1;

	if (!s || max < 0)
		return -EINVAL;
	if (mask)
		memset(mask, 0, (size_t)max * sizeof(*mask));
	/* sysfs writes an empty list as "\n" (e.g. .../cpu/offline) */
	if (!strcmp(s, "") || !strcmp(s, "\n")) {
		*highest = -1;
		return 0;
	}
	for (;;) {
		int lo, up;

		if (parse_cpu(&p, &lo))
			return -EINVAL;
		up = lo;
		if (*p == '-') {
			p++;
			if (parse_cpu(&p, &up))
				return -EINVAL;
		}
		if (up < lo || up >= max)
			return -EINVAL;
		if (mask) {
			for (int c = lo; c <= up; c++) {
				cnt += !mask[c];
				mask[c] = true;
			}
		} else {
			cnt += (long)up - lo + 1;
		}
		if (up > hi)
			hi = up;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == '\n')
			p++;
		if (*p != '\0')
			return -EINVAL;
		break;
	}
	*highest = hi;
	return cnt > INT_MAX ? INT_MAX : (int)cnt;
}

int skbd_parse_cpulist(const char *s, bool *mask, int max)
{
	int hi;

	if (!mask && max > 0)
		return -EINVAL;
	return walk_cpulist(s, mask, max, &hi);
}

/* A sysfs CPU list, whole, as a string. */
static int read_text(const char *path, char **out)
{
	size_t len;
	int err = skbd_read_file(path, 1 << 16, out, &len);

	if (err)
		skbd_log(SKBD_LOG_WARN, "perfbuf: %s: %s", path, strerror(-err));
	return err;
}

int skbd_cpus_possible(void)
{
	char *text = NULL;
	int err, hi;

	err = read_text(CPU_POSSIBLE_PATH, &text);
	if (err)
		return err;
	err = walk_cpulist(text, NULL, INT_MAX, &hi);
	free(text);
	if (err < 0 || hi < 0) {
		skbd_log(SKBD_LOG_WARN, "perfbuf: %s: malformed CPU list", CPU_POSSIBLE_PATH);
		return -EINVAL;
	}
	return hi + 1;
}

/* ---- the per-CPU rings ---- */

struct perf_ring {
	int cpu;
	int fd;
	void *base;      /* meta page + data area, or NULL */
	bool bad_logged; /* a malformed record was reported once */
};

struct skbd_perfbuf {
	int epoll_fd;
	size_t page_size;
	size_t mmap_size;
	__u64 data_size;
	void *scratch; /* for wrapped records: see scratch_size */
	size_t scratch_size;
	struct perf_ring *rings;
	int ring_cnt;
	struct epoll_event *events;
	skbd_perfbuf_sample_fn sample_fn;
	skbd_perfbuf_lost_fn lost_fn;
	void *ctx;
	struct skbd_perfbuf_stats stats;
	__u64 delivered; /* samples + LOST records handed out, for return values */
	/* the ring being read: its meta page and the parser's tail, so that the
	 * space already read is given back while a long drain goes on */
	struct perf_event_mmap_page *cur_meta;
	const __u64 *cur_tail;
	unsigned int since_release;
};

/* Every RELEASE_EVERY records, give the kernel back what was read before
 * the current one (the parser moves its tail past a record only after the
 * callback): a drain of megabytes no longer holds all of them until its end. */
#define RELEASE_EVERY 64
static void release_read(struct skbd_perfbuf *pb)
{
	if (!pb->cur_meta || ++pb->since_release < RELEASE_EVERY)
		return;
	pb->since_release = 0;
	__atomic_store_n(&pb->cur_meta->data_tail, *pb->cur_tail, __ATOMIC_RELEASE);
}

/* Count around the user's callbacks so stats hold even when they stop. */
static int on_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	struct skbd_perfbuf *pb = ctx;

	pb->stats.samples++;
	pb->delivered++;
	release_read(pb);
	return pb->sample_fn ? pb->sample_fn(pb->ctx, cpu, data, size) : 0;
}

static int on_lost(void *ctx, int cpu, __u64 lost)
{
	struct skbd_perfbuf *pb = ctx;

	pb->stats.lost += lost;
	pb->delivered++;
	release_read(pb);
	return pb->lost_fn ? pb->lost_fn(pb->ctx, cpu, lost) : 0;
}

void skbd_perfbuf__close(struct skbd_perfbuf *pb)
{
	if (!pb)
		return;
	for (int i = 0; pb->rings && i < pb->ring_cnt; i++) {
		struct perf_ring *r = &pb->rings[i];

		if (r->base)
			munmap(r->base, pb->mmap_size);
		/* closing the last reference also drops it from the epoll set */
		if (r->fd >= 0)
			close(r->fd);
	}
	if (pb->epoll_fd >= 0)
		close(pb->epoll_fd);
	free(pb->rings);
	free(pb->events);
	free(pb->scratch);
	free(pb);
}

static int open_ring(struct skbd_perfbuf *pb, int map_fd, struct perf_ring *r, __u32 watermark,
		     __u32 wakeup_events)
{
	struct perf_event_attr attr;
	struct epoll_event ev;
	__u32 key = (__u32)r->cpu, val;
	void *base;
	int fd, err;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_SOFTWARE;
	attr.size = sizeof(attr);
	attr.config = PERF_COUNT_SW_BPF_OUTPUT;
	attr.sample_type = PERF_SAMPLE_RAW;
	attr.sample_period = 1;
	if (wakeup_events) { /* one wakeup every N records */
		attr.wakeup_events = wakeup_events;
	} else {
		attr.watermark = 1;
		attr.wakeup_watermark = watermark;
	}

	fd = skbd_perf_event_open(&attr, -1, r->cpu, -1, 0);
	if (fd < 0) {
		skbd_log(SKBD_LOG_WARN, "perfbuf: cpu %d: perf_event_open: %s", r->cpu, strerror(-fd));
		return fd;
	}
	r->fd = fd;

	base = mmap(NULL, pb->mmap_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "perfbuf: cpu %d: mmap: %s", r->cpu, strerror(-err));
		return err;
	}
	r->base = base;

	val = (__u32)fd;
	err = skbd_bpf_map_update_elem(NULL, map_fd, &key, &val, BPF_ANY);
	if (err) {
		skbd_log(SKBD_LOG_WARN, "perfbuf: cpu %d: map update: %s", r->cpu, strerror(-err));
		return err;
	}

	memset(&ev, 0, sizeof(ev));
	ev.events = EPOLLIN;
	ev.data.ptr = r;
	if (epoll_ctl(pb->epoll_fd, EPOLL_CTL_ADD, fd, &ev)) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "perfbuf: cpu %d: epoll_ctl: %s", r->cpu, strerror(-err));
		return err;
	}

	/* BPF_OUTPUT events start enabled (attr.disabled = 0); say so anyway */
	if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0)) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "perfbuf: cpu %d: enable: %s", r->cpu, strerror(-err));
		return err;
	}
	return 0;
}

/* Pick the wakeup watermark: the caller's, kept below the ring size. */
static __u32 pick_watermark(size_t want, __u64 data_size)
{
	__u64 wm = want ? want : data_size / 4;

	/* records are 8-aligned, so pending bytes reach data_size - 8 at most */
	if (wm >= data_size)
		wm = data_size - 8;
	if (wm > UINT32_MAX)
		wm = UINT32_MAX;
	return (__u32)wm;
}

int skbd_perfbuf__open(int map_fd, const struct skbd_perfbuf_opts *opts,
		      skbd_perfbuf_sample_fn sample_fn, skbd_perfbuf_lost_fn lost_fn, void *ctx,
		      struct skbd_perfbuf **out)
{
	struct skbd_perfbuf *pb;
	bool *online = NULL;
	char *text = NULL;
	long page_size;
	int possible, n, err;
	__u32 watermark;

	if (!opts || !out || !opts->pages || (opts->pages & (opts->pages - 1)))
		return -EINVAL;
	page_size = sysconf(_SC_PAGESIZE);
	if (page_size <= 0)
		return -EINVAL;
	if (opts->pages > SIZE_MAX / (size_t)page_size - 1)
		return -EINVAL;

	pb = calloc(1, sizeof(*pb));
	if (!pb)
		return -ENOMEM;
	pb->epoll_fd = -1;
	pb->page_size = (size_t)page_size;
	pb->data_size = (__u64)opts->pages * (size_t)page_size;
	pb->mmap_size = (opts->pages + 1) * (size_t)page_size;
	pb->sample_fn = sample_fn;
	pb->lost_fn = lost_fn;
	pb->ctx = ctx;
	watermark = pick_watermark(opts->watermark_bytes, pb->data_size);

	/* No record is larger than its ring, nor than the u16 header size. */
	pb->scratch_size = pb->data_size < 65536 ? (size_t)pb->data_size : 65536;
	pb->scratch = malloc(pb->scratch_size);
	if (!pb->scratch) {
		err = -ENOMEM;
		goto err_free;
	}

	possible = skbd_cpus_possible();
	if (possible < 0) {
		err = possible;
		goto err_free;
	}
	online = calloc((size_t)possible, sizeof(*online));
	if (!online) {
		err = -ENOMEM;
		goto err_free;
	}
	err = read_text(CPU_ONLINE_PATH, &text);
	if (err)
		goto err_online;
	n = skbd_parse_cpulist(text, online, possible);
	free(text);
	if (n <= 0) {
		skbd_log(SKBD_LOG_WARN, "perfbuf: %s: malformed or empty CPU list", CPU_ONLINE_PATH);
		err = n < 0 ? n : -ENODEV;
		goto err_online;
	}

	pb->rings = calloc((size_t)n, sizeof(*pb->rings));
	pb->events = calloc((size_t)n, sizeof(*pb->events));
	if (!pb->rings || !pb->events) {
		err = -ENOMEM;
		goto err_online;
	}

	pb->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (pb->epoll_fd < 0) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "perfbuf: epoll_create1: %s", strerror(-err));
		goto err_online;
	}

	/* Offline CPUs get no ring; the map index stays the real CPU number. */
	for (int cpu = 0; cpu < possible; cpu++) {
		struct perf_ring *r;

		if (!online[cpu])
			continue;
		r = &pb->rings[pb->ring_cnt++];
		r->cpu = cpu;
		r->fd = -1;
		err = open_ring(pb, map_fd, r, watermark, opts->wakeup_events);
		if (err)
			goto err_online;
	}

	free(online);
	*out = pb;
	return 0;

err_online:
	free(online);
err_free:
	skbd_perfbuf__close(pb);
	return err;
}

/* Hand out everything between data_tail and data_head. Returns 0, -EINTR
 * or -ECANCELED (a callback stopped). */
static int read_ring(struct skbd_perfbuf *pb, struct perf_ring *r)
{
	struct perf_event_mmap_page *meta = r->base;
	const __u8 *data = (const __u8 *)r->base + pb->page_size;
	/* acquire: the record bytes are read only after the head that covers them */
	__u64 head = __atomic_load_n(&meta->data_head, __ATOMIC_ACQUIRE);
	__u64 tail = meta->data_tail; /* only we write it */
	int err;

	pb->cur_meta = meta;
	pb->cur_tail = &tail;
	pb->since_release = 0;
	err = skbd_perf_ring__consume(data, pb->data_size, head, &tail, pb->scratch,
				      pb->scratch_size, r->cpu, on_sample, on_lost, pb);
	pb->cur_meta = NULL;
	pb->cur_tail = NULL;
	if (err == -EBADMSG) {
		/* Skip the rest rather than stop at the bad record forever. */
		if (!r->bad_logged)
			skbd_log(SKBD_LOG_WARN,
				 "perfbuf: cpu %d: malformed record at offset %llu, dropping %llu bytes",
				 r->cpu, (unsigned long long)(tail & (pb->data_size - 1)),
				 (unsigned long long)(head - tail));
		r->bad_logged = true;
		tail = head;
	}
	/* release: the kernel may overwrite the bytes only after we are done */
	__atomic_store_n(&meta->data_tail, tail, __ATOMIC_RELEASE);
	return err == -EINTR || err == -ECANCELED ? err : 0;
}

static int drain_rings(struct skbd_perfbuf *pb)
{
	__u64 before = pb->delivered;

	for (int i = 0; i < pb->ring_cnt; i++) {
		int err = read_ring(pb, &pb->rings[i]);

		if (err)
			return err;
	}
	return pb->delivered - before > INT_MAX ? INT_MAX : (int)(pb->delivered - before);
}

int skbd_perfbuf__poll(struct skbd_perfbuf *pb, int timeout_ms)
{
	int n, err;

	if (!pb)
		return -EINVAL;
	pb->stats.polls++;
	n = epoll_wait(pb->epoll_fd, pb->events, pb->ring_cnt, timeout_ms);
	if (n < 0) {
		err = -errno;
		if (err != -EINTR)
			skbd_log(SKBD_LOG_WARN, "perfbuf: epoll_wait: %s", strerror(-err));
		return err;
	}
	if (n > 0)
		pb->stats.wakeups++;
	/* Drain every ring, not only the ready ones: a record below the
	 * watermark raises no wakeup but must still be seen this round. */
	return drain_rings(pb);
}

int skbd_perfbuf__consume(struct skbd_perfbuf *pb)
{
	if (!pb)
		return -EINVAL;
	return drain_rings(pb);
}

int skbd_perfbuf__epoll_fd(const struct skbd_perfbuf *pb)
{
	return pb ? pb->epoll_fd : -EINVAL;
}

void skbd_perfbuf__stats(const struct skbd_perfbuf *pb, struct skbd_perfbuf_stats *st)
{
	if (!st)
		return;
	if (!pb) {
		memset(st, 0, sizeof(*st));
		return;
	}
	*st = pb->stats;
}
