/* SPDX-License-Identifier: GPL-2.0-only */
/* CLI internals shared by main.c, options.c, output.c and the unit tests. */
#ifndef SKBDROP_CLI_H
#define SKBDROP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/tpformat.h>
#include "skbdrop_abi.h"

enum cli_output { CLI_OUT_TEXT, CLI_OUT_JSON };
enum cli_transport { CLI_TRANSPORT_PERF, CLI_TRANSPORT_RINGBUF };
enum cli_wakeup { CLI_WAKEUP_BYTES, CLI_WAKEUP_EVENTS, CLI_WAKEUP_NONE };

/* Ring memory when --pages is not given: this budget split over the CPUs,
 * from 1 to 8 MiB each (8 MiB per CPU on a 2-CPU host: ~100k events, about
 * 100 ms of a reader stall at 1 M drops/s per CPU). */
#define CLI_RING_BUDGET (64u << 20)
#define CLI_RING_MIN (1u << 20)
#define CLI_RING_MAX (8u << 20)
#define CLI_DEFAULT_WATERMARK (64 << 10) /* wake the reader every 64 KiB */
#define CLI_POLL_MS 100                 /* a lone drop shows within this */
#define CLI_STACK_IDS 16384             /* stack map entries with --stack (8 MiB) */

struct cli_opts {
	enum cli_output output;
	double duration;          /* seconds; 0: until stopped */
	unsigned long long count; /* 0: unlimited */
	unsigned int pid;         /* 0: any */
	const char *reasons;      /* -r list, validated against the kernel later */
	const char *exclude_reasons;
	const char *btf_path;     /* --btf: kernel BTF file instead of /sys/kernel/btf/vmlinux */
	unsigned int pages;       /* 0: cli_default_pages() */
	enum cli_transport transport;
	enum cli_wakeup wakeup;
	unsigned long long wakeup_arg; /* bytes or events */
	unsigned int poll_ms;
	unsigned int snaplen;     /* packet bytes to capture, 0..SKBD_SNAPLEN_MAX */
	const char *devices;      /* -i list */
	const char *exclude_devices;
	const char *netns;        /* --netns NAME|INODE|PATH */
	unsigned long long max_rate; /* 0: unlimited */
	bool verbose;             /* -v: status every second */
	double summary;           /* --summary interval in seconds; 0: stream events */
	__u32 by;                 /* --by: SKBD_AGG_* */
	bool by_given;
	const char *prom_file;    /* --prom-file */
	char filter[4096];        /* the filter expression ("" none) */
	bool stack;               /* -s: kernel stacks */
	bool list_reasons;
	bool count_only;
	bool no_output;
	bool help;
	bool version;
};

/* Default pages per CPU (a power of two) for nr_cpus CPUs. */
unsigned int cli_default_pages(int nr_cpus, long page_size);

/* Parse argv. Returns 0, or -EINVAL after writing one line to err. */
int cli_parse_args(int argc, char **argv, struct cli_opts *o, char *err, size_t err_size);
void cli_usage(FILE *f);

/* Which reasons to report: verdicts[code] for codes < SKBD_REASON_SLOTS and
 * the default for the rest. Returns 0, or -EINVAL with a one-line message
 * naming the unknown reason and listing the valid ones (malloc'd in *err). */
struct cli_reason_plan {
	__u32 verdicts[SKBD_REASON_SLOTS];
	__u32 other;          /* verdict for codes without a slot */
	size_t nr_skip_slots; /* how many slots are SKBD_VERDICT_SKIP */
};
int cli_plan_reasons(const struct skbd_tpformat *fmt, const char *include, const char *exclude,
		     struct cli_reason_plan *plan, char **err);

/* Per-second time text, reason names by code and symbolized locations, so a
 * streamed event costs no gmtime, no symbol search and no printf. */
#define CLI_LOC_CACHE 256
struct cli_time_text {
	__s64 sec;            /* second of date[]/hms[]; -1: none yet */
	char date[64];        /* "YYYY-MM-DDTHH:MM:SS" (room for any int) */
	char hms[40];         /* "HH:MM:SS" */
};

struct cli_fmt_cache {
	struct cli_time_text t;
	bool reasons_built;
	const char *reason[SKBD_REASON_SLOTS];
	struct {
		__u64 addr;
		bool valid;
		unsigned char len;
		char text[182];
	} loc[CLI_LOC_CACHE];
	/* JSON: the members from "cpu" to "protocol" of the last event, reused
	 * while the fields they show repeat (a burst from one flow) */
	struct {
		bool valid;
		__u32 cpu, pid, tid, reason;
		__u64 location;
		__u16 protocol;
		char comm[16];
		unsigned short len;
		char text[496];
	} ident;
};

/* Lookups the formatters make through the caller (netlink, cgroupfs, the
 * stack map), so output.c stays pure and unit-testable. Any may be NULL. */
struct cli_resolver {
	void *ctx;
	/* 0 with the name of the device that dropped at ts_ns (0: any time), or
	 * -errno (-ENODEV: gone or replaced since, -ENOENT: netns unreachable) */
	int (*dev_name)(void *ctx, __u32 netns, __u32 ifindex, __u64 ts_ns, char name[16]);
	/* the netns's name under /run/netns, or NULL */
	const char *(*netns_name)(void *ctx, __u32 netns);
	/* the cgroup's path relative to the cgroup2 root ("/system.slice/x"), or NULL */
	const char *(*cgroup_path)(void *ctx, __u64 id);
	/* frames of stack id (*ips valid until the next call), or -errno */
	int (*stack)(void *ctx, __s32 id, const __u64 **ips);
};

struct cli_fmt_ctx {
	const struct skbd_tpformat *fmt;
	struct skbd_ksyms *ks;         /* symbolize may re-read it (a module loaded since) */
	__s64 mono_to_real_ns; /* add to a CLOCK_MONOTONIC stamp to get wall time */
	bool has_reason;       /* the kernel's record has a reason field */
	struct cli_fmt_cache *cache; /* optional (NULL: compute every time); t.sec = -1 initially */
	const struct cli_resolver *res; /* optional */
	bool stacks;           /* --stack: print the stack (or why it is missing) */
};

/* cgroup v2 id -> path relative to the cgroup2 mount (cli/cgroup.c). */
struct cli_cgroups;
int cli_cgroups__new(struct cli_cgroups **out);
void cli_cgroups__free(struct cli_cgroups *cg);
/* NULL when unknown (no cgroup2 mount, or not found even after a fresh walk;
 * walks at most once a second). */
const char *cli_cgroups__path(struct cli_cgroups *cg, __u64 id);

/* --netns NAME|INODE|PATH -> inode, and a path to it when one is found ("" for
 * an inode nothing points to). 0, or -errno with a one-line message. */
int cli_netns_parse(const char *spec, __u32 *ino, char *path, size_t size, char *err, size_t err_size);
/* The ifindex of device name inside the namespace at nspath (NULL or "": ours). */
int cli_ifindex_in(const char *nspath, const char *name, __u32 *ifindex);

/* Room for any formatted event: header, decoded layers and 64 stack frames. */
#define CLI_LINE_MAX 16384
#define CLI_OUT_BUF (256 * 1024) /* events formatted, not yet written: see out_flush */

/* Format one event as a text line (plus indented stack lines with --stack) /
 * an NDJSON object, with '\n'. ev->caplen must not exceed the bytes the
 * record carried (the reader checks). Return the length (truncated to
 * size - 1 like snprintf if buf is short). */
size_t cli_format_text(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size);
size_t cli_format_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size);
/* UTC calendar date of a day count since 1970-01-01: our own arithmetic, as a
 * static glibc's gmtime_r opens /etc/localtime. */
void cli_civil_from_days(long long days, int *y, int *m, int *d);
/* "IPv4", "IPv6", "ARP", ... or NULL when unnamed. */
const char *cli_ethertype_name(__u16 proto);

/* ---- --summary (cli/summary.c) ---------------------------------------- */
/* Drop counts per key of the "agg" map: totals and rates per interval, as a
 * text table, one JSON line or a Prometheus textfile. */
#define CLI_SUMMARY_BY_DEFAULT (SKBD_AGG_REASON | SKBD_AGG_LOCATION | SKBD_AGG_DEV | SKBD_AGG_NETNS)
/* Lines of the text table that are not rows: two header lines, a blank one
 * and the column titles (plus "\033[H\033[2J" for a terminal). */
#define CLI_SUMMARY_HEAD_LINES 4

struct cli_summary;

/* --by list ("reason,location,dev,netns,comm"; "device" = "dev") -> the
 * SKBD_AGG_* mask. -EINVAL with a one-line message listing the valid names
 * on an unknown or empty name or an empty list; *mask written on success. */
int cli_summary__parse_by(const char *list, __u32 *mask, char *err, size_t err_size);

/* by: the SKBD_AGG_* columns (-EINVAL for other bits). start: when counting
 * began (CLOCK_MONOTONIC seconds): the first snapshot's rates are over
 * now - start. -ENOMEM. */
int cli_summary__new(__u32 by, double start, struct cli_summary **out);
void cli_summary__free(struct cli_summary *s);

/* One snapshot at now (monotonic seconds): the map's n keys with their totals
 * since start (summed over CPUs) and the SKBD_STAT_AGG_OTHER total. Fields
 * that by does not select are ignored (but the netns stays with dev: a device
 * is named within its netns), so are comm bytes after a NUL. Rows
 * are kept for the whole run: a key missing from a snapshot keeps its total
 * (rate 0). Rate = (total - previous total) / (now - previous now); a total
 * below the previous one counts as a restart (all of it new). 0, or -ENOMEM
 * with nothing changed. */
int cli_summary__update(struct cli_summary *s, const struct skbd_agg_key *keys, const __u64 *totals, size_t n,
			__u64 other_total, double now);
size_t cli_summary__nr_rows(const struct cli_summary *s);        /* the other row not included */
__u64 cli_summary__counted(const struct cli_summary *s);         /* all totals, other included */
double cli_summary__rate(const struct cli_summary *s);           /* drops/s over the last interval */

/* Numbers the caller knows, for the header / top-level fields. */
struct cli_summary_head {
	const char *kernel_release; /* NULL: unknown */
	double elapsed;             /* seconds since start */
	unsigned long long counted, lost, filtered, rate_limited;
};

/* Rows by rate, then total (both descending), then key; the "other" row
 * after keys that tie with it. All three write to out in one piece
 * (built in memory first) and return 0 or -errno (-ENOMEM: nothing written). */

/* Text table: header block, column titles, one line per row. max_rows (0:
 * all) limits the row lines; when rows are left out, the last of them is
 * "... N more rows". tty: start with home + clear, else end with a blank line. */
int cli_summary__write_text(const struct cli_summary *s, const struct cli_fmt_ctx *c,
			    const struct cli_summary_head *h, bool tty, unsigned int max_rows, FILE *out);
/* One JSON object on one line, rows holding only the --by fields. */
int cli_summary__write_json(const struct cli_summary *s, const struct cli_fmt_ctx *c,
			    const struct cli_summary_head *h, FILE *out);
/* Prometheus text format, replacing path atomically (path.tmp.PID in the same
 * directory, fsync, rename). 0 or -errno; a failure leaves no temporary file. */
int cli_summary__write_prom(const struct cli_summary *s, const struct cli_fmt_ctx *c,
			    const struct cli_summary_head *h, const char *path);
/* ---- end --summary ------------------------------------------------------ */

#endif
