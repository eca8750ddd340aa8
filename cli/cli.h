/* SPDX-License-Identifier: GPL-2.0-only */
/* CLI internals shared by main.c, options.c and the unit tests. */
#ifndef SKBDROP_CLI_H
#define SKBDROP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <linux/types.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/output.h>
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

/* --by is parsed here but belongs to the --summary model (output.h). */
#define CLI_SUMMARY_BY_DEFAULT SKBD_SUMMARY_BY_DEFAULT
static inline int cli_summary__parse_by(const char *list, __u32 *mask, char *err, size_t err_size)
{
	return skbd_summary__parse_by(list, mask, err, err_size);
}

#endif
