/* SPDX-License-Identifier: GPL-2.0-only */
/* CLI internals shared by main.c, options.c, run.c and the unit tests. The
 * CLI sees only include/skbdrop/. */
#ifndef SKBDROP_CLI_H
#define SKBDROP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <linux/types.h>
#include <skbdrop/counters.h>
#include <skbdrop/job.h>
#include <skbdrop/monitor.h>
#include <skbdrop/names.h>
#include <skbdrop/output.h>
#include <skbdrop/otlp.h>
#include <skbdrop/priv.h>
#include <skbdrop/tpformat.h>

enum cli_output { CLI_OUT_TEXT, CLI_OUT_JSON };
enum cli_transport { CLI_TRANSPORT_PERF, CLI_TRANSPORT_RINGBUF };
enum cli_wakeup { CLI_WAKEUP_BYTES, CLI_WAKEUP_EVENTS, CLI_WAKEUP_NONE };

/* Ring memory when --pages is not given: this budget split over the CPUs,
 * from 1 to 8 MiB each (8 MiB per CPU on a 2-CPU host: ~100k events, about
 * 100 ms of a reader stall at 1 M drops/s per CPU). */
#define CLI_RING_BUDGET (64u << 20)
#define CLI_RING_MIN (1u << 20)
#define CLI_RING_MAX (8u << 20)
#define CLI_POLL_MS 100                 /* a lone drop shows within this */
#define CLI_STACK_IDS 16384             /* stack map entries with --stack (8 MiB) */
#define CLI_OWNER_REFRESH_MS 100        /* --owner: how often its sockets are listed again */
#define CLI_SEEN_NS 64                  /* namespaces whose kernel counters are reported */
#define CLI_METRICS_LABELS_DEFAULT SKBD_BY_REASON /* a few dozen series per host at most */
#define CLI_OTLP_METRICS_SEC 10 /* --otlp while streaming: counters pushed this often (and at exit) */
#define CLI_OTLP_DRAIN_MS 1000  /* --otlp at exit: what is queued is sent for at most this long */
#define CLI_METRICS_COUNTERS_SEC 5 /* --metrics, --otlp: the kernel's counters read again at most this often */

struct cli_opts {
	enum cli_output output;
	double duration;          /* seconds; 0: until stopped */
	unsigned long long count; /* 0: unlimited */
	unsigned int pid;         /* 0: any */
	unsigned int owner;       /* --owner PID: 0 any */
	bool sock_state;          /* --sock-state */
	bool all;                 /* --all: stream benign frees too */
	__u32 benign;             /* benign rules in force (SKBD_BENIGN_DEFAULT minus --ignore, or none) */
	const char *reasons;      /* -r list, validated against the kernel later */
	const char *exclude_reasons;
	const char *btf_path;     /* --btf: kernel BTF file instead of /sys/kernel/btf/vmlinux */
	unsigned int pages;       /* 0: cli_default_pages() */
	enum cli_transport transport;
	enum cli_wakeup wakeup;
	unsigned long long wakeup_arg; /* bytes or events */
	unsigned int poll_ms;
	unsigned int batch;       /* --batch: records per perf sample; 0: the monitor's default */
	unsigned int snaplen;     /* packet bytes to capture, 0..SKBD_DROP_SNAPLEN_MAX */
	const char *devices;      /* -i list */
	const char *exclude_devices;
	const char *netns;        /* --netns NAME|INODE|PATH */
	unsigned long long max_rate; /* 0: unlimited */
	bool verbose;             /* -v: status every second */
	double summary;           /* --summary interval in seconds; 0: stream events */
	__u32 by;                 /* --by: SKBD_BY_* */
	bool by_given;
	const char *prom_file;    /* --prom-file */
	const char *write_file;   /* -w FILE ("-": stdout): pcapng */
	unsigned long long rotate_bytes; /* -C */
	unsigned int rotate_files;       /* -W */
	const char *rotate_bytes_arg, *rotate_files_arg; /* as given (for messages) */
	const char *metrics;      /* --metrics ADDR:PORT */
	const char *otlp;         /* --otlp URL */
	__u32 metrics_labels;     /* --metrics-labels: SKBD_BY_* */
	bool metrics_labels_given;
	const char *metrics_labels_arg;
	const char *user;         /* -Z USER; NULL: nobody when root */
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

/* Which reasons to report (-r, --exclude-reason): the plan for the monitor.
 * Returns 0, or -EINVAL with a one-line message naming the unknown reason
 * and listing the valid ones (malloc'd in *err). */
int cli_plan_reasons(const struct skbd_tpformat *fmt, const char *include, const char *exclude,
		     struct skbd_reason_plan *plan, char **err);

/* ---- the run (cli/main.c, cli/run.c) ------------------------------------ */
/* Library messages: kept during setup, folded into the next error line. */
struct cli_log {
	bool live;       /* tracing: warnings print as they come */
	char last[1024]; /* setup: the last warning */
};
/* "skbdrop: error: ..." (plus the kept library message) on stderr. */
void cli_error(struct cli_log *l, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
double cli_now(void); /* CLOCK_MONOTONIC seconds */

/* What the options resolved to before load. */
struct cli_setup {
	struct skbd_reason_plan plan;
	struct skbd_filter *filter;
	__u32 netns;                 /* --netns inode, 0: any */
	char netns_path[PATH_MAX];
	struct skbd_dev_sel devs[SKBD_DROP_DEVICES_MAX];
	size_t nr_devs;
	struct skbd_user user;       /* -Z: who to become once tracing */
	bool drop_privs;
	bool privs_kept;             /* root, but not allowed to change user (default -Z only) */
	struct skbd_job counters;    /* reading the kernel's counters (their baseline) meanwhile */
};

/* --summary: the sorted rows and their names, for the writers */
struct cli_summary_out {
	struct skbd_summary_row *rows;
	struct skbd_key_names *names;
	size_t cap;
	struct skbd_summary_head head;
	struct skbd_summary_view view;
};

/* --metrics: the server and the counts a scrape reads */
struct skbd_http;
struct skbd_summary;
struct cli_metrics {
	struct skbd_http *http;
	struct skbd_summary *sum;      /* the kernel's per-key totals, by the kernel's key */
	struct cli_summary_out so;
	double start;                  /* monotonic seconds the server started */
	struct skbd_otlp_stats otlp_st; /* --otlp's figures at the last snapshot */
	struct skbd_counters_view *kc; /* the kernel's counters at kc_at (monotonic s; 0: never read) */
	size_t nr_kc;
	double kc_at;
};

struct cli_run {
	const struct cli_opts *o;
	const char *version;           /* skbdrop's, for skbdrop_build_info */
	const char *release;           /* the kernel's */
	const char *app;               /* "skbdrop VERSION" (pcapng's shb_userappl) */
	int file_uid, file_gid;        /* -w: owner of the files (-Z's user; -1: unchanged) */
	struct cli_metrics metrics;
	struct skbd_otlp *otlp;        /* --otlp */
	struct skbd_otlp_opts otlp_opts;
	double otlp_metrics_next;      /* when the counters are pushed next */
	struct skbd_drop_key *owned;   /* keys with sockets made owners (--by owner) */
	size_t owned_cap;
	struct cli_log *log;
	volatile sig_atomic_t *stop;
	struct skbd_monitor *mon;
	struct skbd_names *names;
	struct skbd_fmt_ctx fc;
	struct skbd_out *out;          /* streaming */
	struct skbd_pcapng *pcap;      /* -w */
	__u64 lost_pending;            /* -w: events lost since the last packet written */
	__u64 fail_seen;               /* -w: the kernel's failed outputs already counted */
	struct skbd_drop_names nm;     /* the names of the drop being written */
	int write_err;                 /* errno of a failed write (EPIPE: the reader went away) */
	unsigned long long delivered, lost;
	const char *user;              /* the user -Z made us, NULL: unchanged */
	double owner_next;             /* --owner: when its sockets are listed again */
	__u64 *owner_inos;             /* --owner: the list being built */
	size_t nr_owner_inos, cap_owner_inos;
	bool owner_full;               /* --owner: more sockets than the kernel's set holds (said once) */
	struct skbd_counters *counters; /* the kernel's drop counters; NULL: none */
	__u32 netns_filter;            /* --netns inode, 0: any */
	__u32 seen_ns[CLI_SEEN_NS];    /* namespaces drops were seen in (their counters are reported) */
	size_t nr_seen_ns;
	unsigned long long by_reason[SKBD_DROP_REASON_SLOTS];
	unsigned long long by_reason_other;
};

/* --netns and -i/--exclude-device names -> inode and (netns, ifindex)
 * selections. 0, or 1 after printing one error line. */
int cli_resolve_places(struct cli_run *r, struct cli_setup *s);
/* --list-reasons. Returns the exit status. */
int cli_list_reasons(const struct skbd_tpformat *fmt, bool json);
/* The output side of a run: buffer, formatting context. 0 or 1 (error printed). */
int cli_open_output(struct cli_run *r);
/* The names side: symbols, devices, cgroups, stacks (warnings printed). */
void cli_open_names(struct cli_run *r);
void cli_close(struct cli_run *r);
/* The kernel's drop counters: every reachable namespace's first snapshot
 * (only the --netns one with --netns). Warnings printed; never fatal. */
void cli_open_counters(struct cli_run *r);
/* The namespace of a drop, for the counters report. */
void cli_seen_netns(struct cli_run *r, __u32 ino);
/* The namespaces to report (the --netns one, else ours and those seen in
 * drops), read again now: *views malloc'd with their moved counters (free
 * with cli_counters_free). */
struct skbd_counters_view;
int cli_counters_now(struct cli_run *r, struct skbd_counters_view **views, size_t *n);
void cli_counters_free(struct skbd_counters_view *views, size_t n);

/* Before each poll batch (--owner: its sockets listed again every
 * CLI_OWNER_REFRESH_MS). */
void cli_batch_start(struct cli_run *r);
/* --owner: list the process's sockets into the kernel's set now. 0, or 1
 * after one error line (the process cannot be read). */
int cli_owner_refresh(struct cli_run *r);
/* Format one drop into the output buffer (flushing when full). 0, or -1
 * with write_err set. */
int cli_emit(struct cli_run *r, const struct skbd_drop *d);
/* Write what is buffered. 0, or -1 with write_err set. */
int cli_flush(struct cli_run *r);
void cli_print_status(struct cli_run *r);
void cli_print_exit(struct cli_run *r);
/* The kernel's per-key totals, sockets summed per owner with --by owner
 * (into r->owned). 0 or -errno. */
int cli_read_keys(struct cli_run *r, __u32 by, const struct skbd_drop_key **keys, const __u64 **totals, size_t *n);
/* Sort the rows and resolve their names: a view for the writers. 0 or -ENOMEM. */
int cli_summary_view(struct cli_run *r, const struct skbd_summary *sum, struct cli_summary_out *so);
/* Lost events: ring records lost or kernel output failures, whichever says more. */
unsigned long long cli_lost(const struct cli_run *r, const struct skbd_monitor_stats *st);
/* --metrics: listen (before privileges are dropped). 0, or 1 after the error line. */
int cli_metrics_open(struct cli_run *r);
void cli_metrics_close(struct cli_run *r);
/* Serve what can be served now (never waits). */
void cli_metrics_serve(struct cli_run *r);
/* --otlp: the counters now, as the next /v1/metrics body. */
void cli_otlp_push_metrics(struct cli_run *r, bool last);
/* --otlp at exit: the last counters, what is queued sent for at most
 * CLI_OTLP_DRAIN_MS, one line of figures. */
void cli_otlp_finish(struct cli_run *r);
/* The server's epoll fd, -1 without --metrics. */
int cli_metrics_fd(const struct cli_run *r);
/* --summary: the whole run. Returns the exit status. */
int cli_run_summary(struct cli_run *r, const char *release);

#endif
