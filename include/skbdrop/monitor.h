/* SPDX-License-Identifier: GPL-2.0-only */
/* The kernel side as one object: open (the kfree_skb tracepoint format, the
 * kernel's BTF, the embedded BPF object), load (CO-RE layout, the direct-read
 * offer, map sizes, filters, summary keys, rate, wakeups), attach, poll
 * (drops and lost counts through callbacks), read statistics, summary counts
 * and stacks, close. With loader/, the only code that knows the BPF ABI. */
#ifndef SKBDROP_MONITOR_H
#define SKBDROP_MONITOR_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <skbdrop/drop.h>
#include <skbdrop/sys.h>
#include <skbdrop/tpformat.h>

struct skbd_monitor;
struct skbd_filter;

struct skbd_monitor_opts {
	const char *btf_path;    /* --btf FILE (an error if unusable); NULL: the running kernel's (a warning if missing) */
	bool probe_reads;        /* never offer bpf_rdonly_cast loads (SKBDROP_PROBE_READ=1) */
	/* when tracefs cannot be read (no privileges), take the reason names
	 * from BTF's enum skb_drop_reason: the monitor then only names reasons
	 * (skbd_monitor__format has no fields; load fails with -EPERM) */
	bool reasons_only;
	bool no_hook;            /* do not load the listen-overflow hook */
	/* seams for tests; zero: the real kernel */
	const struct skbd_sys *sys;       /* bpf(2) */
	const char *format_text;          /* the tracepoint's format file instead of tracefs */
	size_t format_len;
	const void *btf_data;             /* kernel BTF bytes instead of a file */
	size_t btf_size;
	bool no_btf;                      /* as if the kernel had no BTF */
	int nr_cpus;                      /* 0: /sys/devices/system/cpu/possible */
};

/* Read the tracepoint format (mounting tracefs for the read if needed, and
 * unmounting it again) and the kernel's BTF. No privileges needed beyond
 * reading tracefs. 0 and *out, or -errno with one line in err. */
int skbd_monitor__open(const struct skbd_monitor_opts *opts, struct skbd_monitor **out, char *err, size_t err_size);
/* Detach, unmap, close everything. Accepts NULL. */
void skbd_monitor__close(struct skbd_monitor *mon);

/* The tracepoint's format: field layout and the kernel's reason names. */
const struct skbd_tpformat *skbd_monitor__format(const struct skbd_monitor *mon);
/* The kernel's BTF could not be read (only without --btf): why (-errno), or 0. */
int skbd_monitor__btf_error(const struct skbd_monitor *mon);
bool skbd_monitor__has_btf(const struct skbd_monitor *mon);
bool skbd_monitor__has_reason(const struct skbd_monitor *mon); /* 5.17+ */
/* The tracepoint names the receiving socket (rx_sk, 6.11+): without it a
 * drop on the receive path mostly carries no socket (skb->sk unset). */
bool skbd_monitor__has_rx_sk(const struct skbd_monitor *mon);
int skbd_monitor__nr_cpus(const struct skbd_monitor *mon);

/* The last failure of load/attach/poll/read as one line ("" none). */
const char *skbd_monitor__errmsg(const struct skbd_monitor *mon);

enum skbd_transport { SKBD_TRANSPORT_PERF, SKBD_TRANSPORT_RINGBUF };
enum skbd_wakeup { SKBD_WAKEUP_BYTES, SKBD_WAKEUP_EVENTS, SKBD_WAKEUP_NONE };

/* Which reasons are reported: skip[code] for codes below the slot count,
 * skip_other for the rest. */
struct skbd_reason_plan {
	bool skip[SKBD_DROP_REASON_SLOTS];
	bool skip_other;
	size_t nr_skip_slots;
	/* codes past the slots (subsystem reasons) with their own verdict */
	struct {
		__u32 code;
		bool skip;
	} sub[SKBD_DROP_SUBREASONS];
	size_t nr_sub;
};

struct skbd_dev_sel {
	__u32 netns;   /* inode */
	__u32 ifindex;
};

/* [start, end) of a function's text -> rule */
struct skbd_benign_loc {
	__u64 start, end;
	__u32 rule;
};

struct skbd_monitor_config {
	__u32 pid;                   /* 0: any */
	const struct skbd_reason_plan *reasons; /* NULL: every reason */
	const struct skbd_filter *filter;       /* packet filter, or NULL */
	const char *filter_expr;                /* its expression, for messages */
	__u32 netns;                 /* 0: any */
	const struct skbd_dev_sel *devs;
	size_t nr_devs;
	bool devs_except;            /* devs are excluded, not selected */
	__u32 snaplen;               /* 0..SKBD_DROP_SNAPLEN_MAX */
	unsigned long long max_rate; /* per second per CPU, 0: unlimited */
	bool stack;
	bool summary;                /* count per key in the kernel instead of streaming */
	__u32 by;                    /* SKBD_BY_* with summary, or with count */
	bool count;                  /* streaming: also count per key (by) in the kernel (--metrics) */
	bool owner_filter;           /* only drops on sockets given to skbd_monitor__owner_sockets */
	__u32 benign;                /* mask of skbd_benign_rules in force (their reasons; functions later) */
	bool all;                    /* report benign frees too (flagged SKBD_DROP_BENIGN) */
	enum skbd_transport transport;
	enum skbd_wakeup wakeup;
	unsigned long long wakeup_arg; /* bytes or events; bytes 0: a quarter of a ring */
	size_t pages;                /* per-CPU ring pages (perf); the ring buffer gets as much in all */
	__u32 stack_ids;             /* stack map entries with stack */
	__u32 batch;                 /* perf: records per sample, 1..SKBD_MONITOR_BATCH_MAX; 0: the default
				      * (SKBD_MONITOR_BATCH_MAX; 1 with wakeup SKBD_WAKEUP_EVENTS). Fewer where a ring
				      * is small (a sample at most an eighth of it), 1 where the kernel cannot flush
				      * (before 5.10) */
};

#define SKBD_MONITOR_BATCH_MAX 16

/* Lay the program out for this kernel, raise RLIMIT_MEMLOCK (kernels before
 * 5.11 charge BPF memory to it), create the maps, load the program of the
 * chosen transport, write the configuration maps. 0 or -errno
 * (skbd_monitor__errmsg says what failed). */
int skbd_monitor__load(struct skbd_monitor *mon, const struct skbd_monitor_config *cfg);
/* After load: kernel fields are read with bpf_rdonly_cast loads (else probe reads). */
bool skbd_monitor__direct_reads(const struct skbd_monitor *mon);
/* After load: are the packet's bytes read with loads too (6.17+: a cast to
 * void), not with bpf_probe_read_kernel? */
bool skbd_monitor__direct_packet(const struct skbd_monitor *mon);

/* Callbacks return SKBD_CB_OK to go on, SKBD_CB_STOP to stop after this
 * record, SKBD_CB_ERROR to stop with an error (poll returns -ECANCELED). */
typedef int (*skbd_drop_fn)(void *ctx, const struct skbd_drop *d);
typedef int (*skbd_lost_fn)(void *ctx, int cpu, __u64 lost);

/* Records in a perf sample of size bytes whose batch slots are stride bytes
 * (skbd_monitor__stride; 0: one record, as a ring buffer's): record i is
 * *each bytes at i * *each. A sample shorter than a slot is one record of
 * size bytes (never 0 records). */
__u32 skbd_monitor__sample_records(__u32 size, __u32 stride, __u32 *each);
/* After load: the slot size of the perf samples' batches. */
__u32 skbd_monitor__stride(const struct skbd_monitor *mon);
/* After attach: records per perf sample at most (1: each drop written at
 * once, as with the ring buffer). With more than one, a lost sample is
 * several drops: losses are counted by the kernel's failed outputs
 * (skbd_monitor_stats.output_fail), not by the rings' LOST records. */
__u32 skbd_monitor__batch(const struct skbd_monitor *mon);
/* After load: the wakeup policy's argument in force (bytes 0 made a quarter of a ring). */
unsigned long long skbd_monitor__wakeup_arg(const struct skbd_monitor *mon);

/* One record as the kernel wrote it to a ring (size bytes: a perf sample's
 * raw payload or a ring buffer record) into *d: what the rings' callbacks do
 * before on_drop, public for the fuzzers. A caplen the record does not carry
 * reads as 0. 0, or -EBADMSG (shorter than the record header; d unchanged). */
int skbd_monitor__record_to_drop(const void *data, __u32 size, struct skbd_drop *d);

/* Open the rings (streaming only) and attach to skb:kfree_skb. 0 or -errno. */
int skbd_monitor__attach(struct skbd_monitor *mon, skbd_drop_fn on_drop, skbd_lost_fn on_lost, void *ctx);
/* Stop the program; the rings keep what they hold for a last consume. */
void skbd_monitor__detach(struct skbd_monitor *mon);

/* Wait up to timeout_ms, then hand out what the rings hold, and the records
 * the CPUs' batches hold (see skbd_monitor__batch). Records handed out
 * (>= 0), -EINTR (a signal or SKBD_CB_STOP), -ECANCELED (SKBD_CB_ERROR),
 * other -errno. */
int skbd_monitor__poll(struct skbd_monitor *mon, int timeout_ms);
/* Hand out what the rings and batches hold without waiting (after detach:
 * everything the program wrote). Same returns. */
int skbd_monitor__consume(struct skbd_monitor *mon);
/* The rings' epoll fd, readable when the kernel woke the reader: for a
 * caller polling other fds too (then skbd_monitor__poll(mon, 0)).
 * -EINVAL before attach. */
int skbd_monitor__fd(const struct skbd_monitor *mon);

struct skbd_monitor_stats {
	__u64 seen;          /* program runs */
	__u64 filtered;      /* discarded by pid/reason/packet/device/netns filters */
	__u64 output_fail;   /* ring full: records the kernel could not write */
	__u64 emitted;       /* records written */
	__u64 stack_fail;    /* stacks not recorded */
	__u64 rate_limited;
	__u64 agg_other;     /* --summary: counted beyond the key table */
	__u64 misses;        /* drops the kernel ran no program for (5.12+) */
	__u64 benign[SKBD_DROP_BENIGN_RULES]; /* benign frees per rule (past the filters) */
	/* the reader */
	__u64 ring_lost;     /* perf: sum of PERF_RECORD_LOST */
	__u64 wakeups, polls, samples;
};
/* Totals since load, summed over CPUs. 0 or -errno. */
int skbd_monitor__stats(struct skbd_monitor *mon, struct skbd_monitor_stats *st);

/* --summary counts: every key with its total since load (summed over
 * CPUs). *keys and *totals are owned by mon, valid until the next call; *n
 * keys. 0 or -errno. */
int skbd_monitor__read_keys(struct skbd_monitor *mon, const struct skbd_drop_key **keys, const __u64 **totals,
			    size_t *n);

/* The function ranges of the benign rules in force (found in kallsyms by the
 * caller; at most SKBD_DROP_BENIGN_LOCS). Until this is called, frees there
 * count as drops. 0 or -errno. */
int skbd_monitor__benign_functions(struct skbd_monitor *mon, const struct skbd_benign_loc *locs, size_t n);

/* The listen-overflow hook (fentry/tcp_conn_request: SYNs dropped on a full
 * accept queue, which never reach kfree_skb): NULL when attached, else why
 * not (no BPF trampolines, no such function, --btf FILE). After attach. */
const char *skbd_monitor__hook(const struct skbd_monitor *mon);
/* The address the hook's events give as their location (tcp_conn_request's,
 * from kallsyms); 0 until set. 0 or -errno. */
int skbd_monitor__set_hook_location(struct skbd_monitor *mon, __u64 addr);

/* With owner_filter: the socket inodes whose drops are reported, replacing
 * the set given before (at most SKBD_DROP_OWNER_SOCKETS). 0 or -errno. */
int skbd_monitor__owner_sockets(struct skbd_monitor *mon, const __u64 *inos, size_t n);

/* The frames of stack id (up to max), or -errno. */
int skbd_monitor__stack(struct skbd_monitor *mon, __s32 id, __u64 *ips, size_t max);

#endif
