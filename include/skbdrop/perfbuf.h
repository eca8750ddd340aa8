/* SPDX-License-Identifier: GPL-2.0-only */
/* Per-CPU perf rings (PERF_COUNT_SW_BPF_OUTPUT) behind one epoll fd, and the
 * pure record parser they use. */
#ifndef SKBDROP_PERFBUF_H
#define SKBDROP_PERFBUF_H

#include <stddef.h>
#include <stdbool.h>
#include <linux/types.h>
#include <skbdrop/sys.h> /* enum skbd_cb_ret */

/* Return SKBD_CB_OK to go on, SKBD_CB_STOP to stop consuming, SKBD_CB_ERROR
 * to stop with an error (either way the record counts as read). */
typedef int (*skbd_perfbuf_sample_fn)(void *ctx, int cpu, const void *data, __u32 size);
typedef int (*skbd_perfbuf_lost_fn)(void *ctx, int cpu, __u64 lost);

/* Consume the records between *tail and head in a ring data area of
 * data_size bytes (a power of two); head/tail are the free-running counters
 * of struct perf_event_mmap_page. A record that wraps around the end is
 * copied into scratch (scratch_size bytes) first. PERF_RECORD_SAMPLE gives
 * the raw payload to sample_fn; PERF_RECORD_LOST gives its count to lost_fn;
 * other types are skipped. *tail advances past every record handed out.
 * Returns:
 *   >= 0: records consumed (all of them);
 *   -EINTR: a callback returned SKBD_CB_STOP (*tail is past that record);
 *   -ECANCELED: a callback returned SKBD_CB_ERROR (*tail is past that record);
 *   -EBADMSG: a malformed record (size 0, not 8-aligned, beyond head, larger
 *             than scratch, raw size past the record); *tail is left at it. */
int skbd_perf_ring__consume(const void *data, __u64 data_size, __u64 head, __u64 *tail,
			    void *scratch, size_t scratch_size, int cpu,
			    skbd_perfbuf_sample_fn sample_fn, skbd_perfbuf_lost_fn lost_fn, void *ctx);

struct skbd_perfbuf;

struct skbd_perfbuf_opts {
	size_t pages;           /* data pages per CPU, a power of two */
	size_t watermark_bytes; /* wake the reader when this many bytes are pending */
	__u32 wakeup_events;    /* if nonzero: wake every this many records instead */
};

struct skbd_perfbuf_stats {
	__u64 wakeups; /* epoll_wait returns with at least one ready ring */
	__u64 polls;   /* epoll_wait calls */
	__u64 samples;
	__u64 lost;    /* sum of PERF_RECORD_LOST counts */
};

/* Open one PERF_COUNT_SW_BPF_OUTPUT event and ring per online CPU, store the
 * fds in the PERF_EVENT_ARRAY map_fd (index = CPU), add them to one epoll set.
 * Returns 0 and *out, or negative errno (message names the CPU and call). */
int skbd_perfbuf__open(int map_fd, const struct skbd_perfbuf_opts *opts,
		      skbd_perfbuf_sample_fn sample_fn, skbd_perfbuf_lost_fn lost_fn, void *ctx,
		      struct skbd_perfbuf **out);
void skbd_perfbuf__close(struct skbd_perfbuf *pb);

/* Wait up to timeout_ms for a watermark wakeup, then drain every ring (ready
 * or not, so a lone record is seen within one timeout). Returns records
 * consumed, -EINTR if a callback stopped or a signal interrupted,
 * -ECANCELED if a callback failed, other -errno. */
int skbd_perfbuf__poll(struct skbd_perfbuf *pb, int timeout_ms);
/* Drain every ring without waiting. Same returns. */
int skbd_perfbuf__consume(struct skbd_perfbuf *pb);
int skbd_perfbuf__epoll_fd(const struct skbd_perfbuf *pb);
void skbd_perfbuf__stats(const struct skbd_perfbuf *pb, struct skbd_perfbuf_stats *st);

/* Parse a sysfs CPU list ("0-3,5\n") into mask[0..max). Returns the number of
 * CPUs set, or -EINVAL (malformed, or a CPU >= max). */
int skbd_parse_cpulist(const char *s, bool *mask, int max);
/* Number of possible CPUs (/sys/devices/system/cpu/possible: highest + 1). */
int skbd_cpus_possible(void);

#endif
