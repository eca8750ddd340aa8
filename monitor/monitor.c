// SPDX-License-Identifier: GPL-2.0-only
/* The kernel side as one object: the tracepoint format and kernel BTF at
 * open; the embedded BPF object laid out for this kernel (CO-RE), sized,
 * loaded and configured at load; the perf rings or the ring buffer and the
 * tracepoint attach; statistics, summary counts and stacks read back. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <skbdrop/bpfobj.h>
#include <skbdrop/btf.h>
#include <skbdrop/fileio.h>
#include <skbdrop/filter.h>
#include <skbdrop/job.h>
#include <skbdrop/loader.h>
#include <skbdrop/log.h>
#include <skbdrop/monitor.h>
#include <skbdrop/perfbuf.h>
#include <skbdrop/ringbuf.h>
#include "skbdrop_abi.h"

/* The public drop record and summary key are the ABI's, field for field:
 * a record is copied as it is. */
_Static_assert(sizeof(struct skbd_drop) == sizeof(struct skbd_event), "drop = event");
_Static_assert(offsetof(struct skbd_drop, data) == SKBD_EVENT_HDR, "event header is 160 bytes");
_Static_assert(offsetof(struct skbd_drop, pkt_len) == offsetof(struct skbd_event, pkt_len), "drop = event");
_Static_assert(offsetof(struct skbd_drop, cgroup_id) == offsetof(struct skbd_event, cgroup_id), "drop = event");
_Static_assert(offsetof(struct skbd_drop, stack_id) == offsetof(struct skbd_event, stack_id), "drop = event");
_Static_assert(offsetof(struct skbd_drop, caplen) == offsetof(struct skbd_event, caplen), "drop = event");
_Static_assert(offsetof(struct skbd_drop, sk_ino) == offsetof(struct skbd_event, sk_ino) &&
		       offsetof(struct skbd_drop, sk_rcvbuf) == offsetof(struct skbd_event, sk_rcvbuf) &&
		       offsetof(struct skbd_drop, sk_flags) == offsetof(struct skbd_event, sk_flags) &&
		       offsetof(struct skbd_drop, netns_cookie) == offsetof(struct skbd_event, netns_cookie),
	       "drop = event");
_Static_assert(SKBD_SK_SRC_RX_SK == SKBD_SKSRC_RX_SK && SKBD_SK_UID == SKBD_SKF_UID &&
		       SKBD_SK_CGROUP == SKBD_SKF_CGROUP && SKBD_SK_QUEUE == SKBD_SKF_QUEUE &&
		       SKBD_SK_LISTEN == SKBD_SKF_LISTEN && SKBD_SK_TCPWIN == SKBD_SKF_TCPWIN &&
		       SKBD_SK_WSCALE == SKBD_SKF_WSCALE && SKBD_SK_REQ == SKBD_SKF_REQ &&
		       SKBD_SK_SRC_SKB_SK == SKBD_SKSRC_SKB_SK,
	       "owner flags");
_Static_assert(sizeof(struct skbd_event) == SKBD_EVENT_HDR + SKBD_SNAPLEN_MAX, "no tail padding");
_Static_assert(SKBD_DROP_SNAPLEN_MAX == SKBD_SNAPLEN_MAX && SKBD_DROP_OFF_NONE == SKBD_OFF_NONE &&
		       SKBD_DROP_SK_NONE == SKBD_SK_NONE && SKBD_DROP_STACK_DEPTH == SKBD_STACK_DEPTH &&
		       SKBD_DROP_REASON_SLOTS == SKBD_REASON_SLOTS && SKBD_DROP_DEVICES_MAX == SKBD_DEVICES_MAX &&
		       SKBD_DROP_KEYS_MAX == SKBD_AGG_MAX && SKBD_DROP_OWNER_SOCKETS == SKBD_OWNERS_MAX &&
		       SKBD_DROP_SUBREASONS == SKBD_SUBREASONS_MAX,
	       "limits");
_Static_assert(SKBD_DROP_HAS_REASON == SKBD_EV_HAS_REASON && SKBD_DROP_HAS_CTX == SKBD_EV_HAS_CTX &&
		       SKBD_DROP_HAS_MAC == SKBD_EV_HAS_MAC && SKBD_DROP_HAS_STACK == SKBD_EV_HAS_STACK &&
		       SKBD_DROP_HAS_CGROUP == SKBD_EV_HAS_CGROUP && SKBD_DROP_HAS_OWNER == SKBD_EV_HAS_OWNER,
	       "flags");
_Static_assert(sizeof(struct skbd_drop_key) == sizeof(struct skbd_agg_key) &&
		       offsetof(struct skbd_drop_key, comm) == offsetof(struct skbd_agg_key, comm) &&
		       offsetof(struct skbd_drop_key, netns) == offsetof(struct skbd_agg_key, netns) &&
		       offsetof(struct skbd_drop_key, sk_ino) == offsetof(struct skbd_agg_key, sk_ino) &&
		       offsetof(struct skbd_drop_key, sk_cgroup_id) == offsetof(struct skbd_agg_key, sk_cgroup_id),
	       "key = agg key");
_Static_assert(SKBD_BY_REASON == SKBD_AGG_REASON && SKBD_BY_LOCATION == SKBD_AGG_LOCATION &&
		       SKBD_BY_DEV == SKBD_AGG_DEV && SKBD_BY_NETNS == SKBD_AGG_NETNS && SKBD_BY_COMM == SKBD_AGG_COMM &&
		       SKBD_BY_OWNER == SKBD_AGG_OWNER && SKBD_BY_CONTAINER == SKBD_AGG_CONTAINER,
	       "by");
_Static_assert(sizeof(struct skbd_config) == 136, "config is 136 bytes");
_Static_assert(SKBD_BATCH_MAX * SKBD_EVENT_MAX <= SKBD_BATCH_BYTES && !(SKBD_BATCH_MAX & (SKBD_BATCH_MAX - 1)) &&
		       !(SKBD_BATCH_BYTES & (SKBD_BATCH_BYTES - 1)),
	       "batch offsets masked without changing them");
_Static_assert(SKBD_DROP_BENIGN_RULES == SKBD_BENIGN_RULES && SKBD_DROP_BENIGN_LOCS == SKBD_BENIGN_LOCS &&
		       SKBD_DROP_BENIGN == SKBD_EV_BENIGN,
	       "benign");

static const char *const teardown_reasons[] = { "SOCKET_CLOSE", "TCP_CLOSE", "QUEUE_PURGE", NULL };
static const char *const teardown_functions[] = { "udp_destruct_common", "udp_destruct_sock", NULL };
static const char *const no_names[] = { NULL };
static const char *const purge_functions[] = { "skb_rbtree_purge", "skb_queue_purge", "skb_queue_purge_reason", NULL };
static const char *const neigh_functions[] = { "neigh_invalidate", NULL };
/* NIC drivers that free transmitted packets with dev_kfree_skb_any (a kfree_skb) */
static const char *const txc_functions[] = { "*_clean_tx_irq", "*_clean_tx_ring", NULL };

const struct skbd_benign_rule skbd_benign_rules[SKBD_DROP_BENIGN_RULES + 1] = {
	{ "teardown", "a socket's queues freed as it closes (data its owner will not read)", teardown_reasons,
	  teardown_functions },
	{ "purge", "a queue purged whole (a TCP out-of-order queue on close, a socket's or device's queue)", no_names,
	  purge_functions },
	{ "neigh", "packets queued for a neighbour that never answered, freed when its entry fails", no_names,
	  neigh_functions },
	{ "tx-completion", "packets a NIC sent, freed by its driver's transmit-completion handler", no_names,
	  txc_functions },
	{ NULL, NULL, NULL, NULL },
};
_Static_assert(sizeof(struct skbd_map_def) == 20, "map def is 20 bytes");

#define BTF_MAX (256u << 20)
#define VMLINUX_BTF "/sys/kernel/btf/vmlinux"

struct skbd_monitor {
	struct skbd_monitor_opts opts;
	struct skbd_tpformat *fmt;
	struct skbd_tpformat *qfmt; /* qdisc:qdisc_drop's, where it has a reason field (7.x); else NULL */
	int qdisc_prog;             /* its program, -1: not loaded */
	int qdisc_fd;               /* its attach, -1: none */
	struct skbd_btf *btf;       /* NULL: no kernel structs */
	void *btf_map;              /* the kernel's BTF, mapped (btf reads it); NULL: not mapped */
	size_t btf_map_size;
	bool btf_released; /* the kernel's BTF was there, and freed once the programs were loaded */
	int btf_err;
	bool no_tracefs;            /* reasons_only: names from BTF, nothing else */
	int nr_cpus;
	struct skbd_obj *obj;
	struct skbd_obj *next_obj;  /* opened by skbd_monitor__open, for load to take */
	int next_obj_err;           /* or why it could not be */
	int prog;                   /* index of the loaded program */
	struct skbd_monitor_config cfg;
	size_t ring_bytes, rb_size;
	int perf_fd;                /* the attach; -1 when detached */
	int tp_fd;                  /* kfree_skb's perf event, opened ahead of attach; -1: none */
	struct skbd_perfbuf *pb;    /* exactly one of pb/rb while streaming */
	struct skbd_ringbuf *rb;
	skbd_drop_fn on_drop;
	skbd_lost_fn on_lost;
	void *ctx;
	struct skbd_drop drop;      /* the record being handed out */
	__u64 *percpu;              /* one per-CPU lookup's values */
	struct skbd_drop_key *keys; /* read_keys: the last snapshot */
	__u64 *totals;
	size_t nr_keys, cap_keys;
	/* the aggcache slots, mapped (NULL: not used); two copies per read */
	struct skbd_agg_slot *aggcache, *agg_copy[2];
	size_t aggcache_size, aggcache_slots;
	__u32 *key_index; /* add_cached_keys: open addressing, index + 1 into keys (0: empty) */
	size_t key_index_cap; /* a power of two, at least twice the keys it may hold */
	__u64 *owner_set;           /* the owners map's inodes, sorted */
	size_t nr_owner_set;
	/* perf streaming: the CPUs' batches (struct skbd_batch), mapped; the flush program */
	int flush_prog;             /* -1: none */
	void *batches;
	size_t batches_size, batch_elem;
	__u32 batch;                /* records per sample at most (after attach; 1: none gathered) */
	__u32 stride;               /* a batch slot's size */
	int hook_prog;              /* the listen-overflow hook's program, -1: none */
	int hook_fd;                /* its link; -1: not attached */
	char hook_err[160];         /* why not */
	char err[512];
};

static void set_err(struct skbd_monitor *mon, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void set_err(struct skbd_monitor *mon, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(mon->err, sizeof(mon->err), fmt, ap);
	va_end(ap);
}

const char *skbd_monitor__errmsg(const struct skbd_monitor *mon)
{
	return mon ? mon->err : "";
}

/* ---- open: the tracepoint format and the kernel's BTF ---- */

/* The direct reads' casts (offer_direct_reads): the program's placeholder,
 * the kernel struct it casts to. */
static const struct {
	__u32 slot;
	const char *type;
} casts[] = { { SKBD_IN_CAST_SKB, "sk_buff" },	       { SKBD_IN_CAST_SOCK, "sock" },
	      { SKBD_IN_CAST_REQ, "request_sock" },    { SKBD_IN_CAST_TCP, "tcp_sock" },
	      { SKBD_IN_CAST_SOCKET, "socket_alloc" }, { SKBD_IN_CAST_TASK, "task_struct" } };
enum { NR_CASTS = sizeof(casts) / sizeof(casts[0]) };
#define KFUNC_CAST "bpf_rdonly_cast"
#define BPF_FEATURES "bpf_features" /* the verifier's features (6.17+) */
#define MAX_RELOC_STRUCTS 64 /* more are still found, through the BTF's full index */

/* A job while the kernel's BTF is read (about 1.5 ms here): the embedded
 * BPF object is opened (0.6 ms; the structs its field relocations name are
 * then among the names looked up in the BTF), and kfree_skb's perf event,
 * which attach only has to hang the program off (opening it registers the
 * tracepoint's probe: 0.3 ms). Run here if its thread is late. */
struct obj_job {
	struct skbd_job job;
	__u32 tp_id; /* the tracepoint whose event to open; 0: none */
	struct skbd_obj *obj;
	int err;
	int tp_fd;
};

static void obj_job_run(void *arg)
{
	struct obj_job *j = arg;

	j->err = skbd_obj__open_mem(skbd_bpf_object, (size_t)(skbd_bpf_object_end - skbd_bpf_object), &j->obj);
	/* a failure here is attach's to report, when it opens the event itself */
	j->tp_fd = j->tp_id ? skbd_tracepoint__open(j->tp_id) : -1;
}

/* Its results taken once: the job is then done (skbd_job__finish: no-op). */
static void obj_job_join(struct skbd_monitor *mon, struct obj_job *j)
{
	if (!j->job.pending)
		return;
	skbd_job__finish(&j->job);
	mon->next_obj = j->obj;
	mon->next_obj_err = j->err;
	mon->tp_fd = j->tp_fd;
}

/* Every name the monitor will ask the kernel's BTF for, found in one pass
 * over its types (not an index of all 126,000 names of 6.18's), with the
 * enums whose name says drop_reason (subsys_reasons). A failure (no memory)
 * leaves the lookups as they were: each name found on its own. */
static void find_btf_names(struct skbd_monitor *mon)
{
	const char *names[5 + NR_CASTS + MAX_RELOC_STRUCTS] = { "skb_drop_reason", "skb_drop_reason_subsys",
								KFUNC_CAST, SKBD_HOOK_FUNC, BPF_FEATURES };
	size_t n = 5;

	for (size_t i = 0; i < NR_CASTS; i++)
		names[n++] = casts[i].type;
	if (mon->next_obj) { /* the kernel's structs (resolve_field): not the tracepoints' records */
		size_t nr = skbd_obj__field_structs(mon->next_obj, names + n, MAX_RELOC_STRUCTS), kept = 0;

		for (size_t i = 0; i < nr; i++)
			if (strstr(names[n + i], "___skbd"))
				names[n + kept++] = names[n + i];
		n += kept;
	}
	if (skbd_btf__find_names(mon->btf, names, n, "drop_reason"))
		skbd_log(SKBD_LOG_DEBUG, "monitor: BTF names looked up one by one (out of memory)");
}

static int read_format(struct skbd_monitor *mon)
{
	char dir[PATH_MAX], *text = NULL;
	int mounted = 0, err;
	size_t len = 0;

	if (mon->opts.format_text)
		return skbd_tpformat__parse(mon->opts.format_text, mon->opts.format_len, &mon->fmt) ?
			       (set_err(mon, "cannot parse the kfree_skb tracepoint format"), -EINVAL) : 0;
	err = skbd_tracefs__find(dir, sizeof(dir), &mounted);
	if (err) {
		set_err(mon, "tracefs is not mounted and could not be mounted at /sys/kernel/tracing: %s",
			strerror(-err));
		return err;
	}
	err = skbd_tracefs__read_format(dir, "skb", "kfree_skb", &text, &len);
	if (!err) { /* 7.x: qdisc:qdisc_drop names a qdisc drop's specific reason (optional) */
		char *qtext = NULL;
		size_t qlen = 0;

		if (!skbd_tracefs__read_format(dir, "qdisc", "qdisc_drop", &qtext, &qlen) &&
		    skbd_tpformat__parse(qtext, qlen, &mon->qfmt))
			mon->qfmt = NULL;
		free(qtext);
	}
	if (mounted)
		skbd_tracefs__unmount(dir); /* read once; leave the host as it was */
	if (err == -ENOENT) {
		set_err(mon, "this kernel has no skb:kfree_skb tracepoint (%s/events/skb/kfree_skb)", dir);
		return err;
	}
	if (err) {
		set_err(mon, "reading %s/events/skb/kfree_skb/format: %s", dir, strerror(-err));
		return err;
	}
	err = skbd_tpformat__parse(text, len, &mon->fmt);
	free(text);
	if (err)
		set_err(mon, "cannot parse the kfree_skb tracepoint format");
	return err;
}

/* Parse a BTF file through mmap (sysfs allows it for vmlinux on newer
 * kernels: one call instead of ~1,400 4 KiB reads). The kernel's BTF keeps
 * its mapping (keep): that is the kernel's own memory, so its 5 MB count in
 * no one's RSS; the monitor unmaps it when it closes (0.1 ms better spent
 * after start-up than when the programs are loaded). A user's file is copied
 * (it could shrink under a mapping). -ENODEV when the file cannot be mapped,
 * so the caller reads it instead. */
static int map_btf(struct skbd_monitor *mon, const char *path, bool keep, struct skbd_btf **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	struct stat st;
	void *m;

	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return -ENODEV;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -ENODEV;
	if (keep) {
		err = skbd_btf__new_view(m, (size_t)st.st_size, out);
		if (!err) {
			mon->btf_map = m;
			mon->btf_map_size = (size_t)st.st_size;
			return 0;
		}
		munmap(m, (size_t)st.st_size);
		return err;
	}
	err = skbd_btf__new(m, (size_t)st.st_size, out);
	munmap(m, (size_t)st.st_size);
	return err;
}

/* The kernel's BTF: --btf FILE (an error if unusable) or the running
 * kernel's (only noted in btf_err if missing: the tool still runs). */
static int read_btf(struct skbd_monitor *mon)
{
	const char *path = mon->opts.btf_path ? mon->opts.btf_path : VMLINUX_BTF;
	char *data = NULL;
	size_t len = 0;
	int err;

	if (mon->opts.no_btf) {
		mon->btf_err = -ENOENT;
		return 0;
	}
	if (mon->opts.btf_data) {
		err = skbd_btf__new(mon->opts.btf_data, mon->opts.btf_size, &mon->btf);
	} else {
		err = map_btf(mon, path, !mon->opts.btf_path, &mon->btf);
		if (err == -ENODEV) { /* no mmap: read it (sysfs hands out 4 KiB per read) */
			err = skbd_read_file(path, BTF_MAX, &data, &len);
			if (!err)
				err = skbd_btf__new_owned(data, len, &mon->btf); /* no copy of a few MiB */
		}
	}
	if (!err)
		return 0;
	mon->btf = NULL;
	if (mon->opts.btf_path) {
		set_err(mon, "--btf %s: %s", path, err == -EINVAL ? "not valid BTF" : strerror(-err));
		return err;
	}
	mon->btf_err = err;
	return 0;
}

/* Without tracefs (no privileges), the kernel's reason names still come
 * from BTF: enum skb_drop_reason, whose SKB_DROP_REASON_X the tracepoint
 * prints as X. A format with reasons and no fields: enough to check names. */
static int reasons_from_btf(struct skbd_monitor *mon)
{
	static const char prefix[] = "SKB_DROP_REASON_";
	int id = mon->btf ? skbd_btf__find_by_name_kind(mon->btf, "skb_drop_reason", BTF_KIND_ENUM) : -ENOENT;
	const struct btf_type *t = id > 0 ? skbd_btf__type(mon->btf, (__u32)id) : NULL;
	const struct btf_enum *e;
	__u32 vlen;

	if (!t)
		return -ENOENT;
	vlen = BTF_INFO_VLEN(t->info);
	e = (const struct btf_enum *)(t + 1);
	mon->fmt = calloc(1, sizeof(*mon->fmt));
	if (!mon->fmt || !(mon->fmt->reasons = calloc(vlen ? vlen : 1, sizeof(*mon->fmt->reasons))))
		return -ENOMEM;
	snprintf(mon->fmt->name, sizeof(mon->fmt->name), "kfree_skb");
	for (__u32 i = 0; i < vlen; i++) {
		const char *name = skbd_btf__str(mon->btf, e[i].name_off);
		struct skbd_reason *r = &mon->fmt->reasons[mon->fmt->nr_reasons];

		if (!name || strncmp(name, prefix, sizeof(prefix) - 1) || e[i].val < 0 ||
		    strlen(name) - (sizeof(prefix) - 1) >= sizeof(r->name))
			continue; /* SKB_DROP_REASON_MAX and the like stay out too: see below */
		r->code = (__u32)e[i].val;
		snprintf(r->name, sizeof(r->name), "%s", name + sizeof(prefix) - 1);
		if (strcmp(r->name, "MAX"))
			mon->fmt->nr_reasons++;
	}
	return 0;
}

/* Since 6.4 a reason's upper 16 bits may name a subsystem (enum
 * skb_drop_reason_subsys: mac80211, openvswitch, qdisc on 7.x), whose own enum
 * (enum *_drop_reason) names the codes; the tracepoint's format knows only the
 * core ones. Every such enum of the kernel's BTF whose values all carry one
 * subsystem's id adds its names (sentinels left out). Module BTF (mac80211 or
 * openvswitch built as modules) is not read. 0 or -ENOMEM. */
static bool sentinel(const char *name)
{
	size_t n = strlen(name);

	return !strncmp(name, "__", 2) || (n > 4 && (!strcmp(name + n - 4, "_MAX") || !strcmp(name + n - 4, "_NUM")));
}

/* Room for the appends below: the table's size rounded up to 64 entries. */
static int grow_reasons(struct skbd_tpformat *fmt)
{
	size_t cap = (fmt->nr_reasons + 63) / 64 * 64;
	struct skbd_reason *v = realloc(fmt->reasons, (cap ? cap : 64) * sizeof(*v));

	if (!v)
		return -ENOMEM;
	fmt->reasons = v;
	return 0;
}

/* Enumerator k of an ENUM or ENUM64 type: its value and its name. */
static __u64 enum_val(const struct btf_type *t, __u32 k)
{
	if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM)
		return (__u64)(__u32)((const struct btf_enum *)(t + 1))[k].val;
	{
		const __u32 *e = (const __u32 *)(t + 1) + 3 * k; /* btf_enum64: name_off, val_lo32, val_hi32 */

		return (__u64)e[2] << 32 | e[1];
	}
}

static __u32 enum_name_off(const struct btf_type *t, __u32 k)
{
	return BTF_INFO_KIND(t->info) == BTF_KIND_ENUM ? ((const struct btf_enum *)(t + 1))[k].name_off :
							  *((const __u32 *)(t + 1) + 3 * k);
}

/* Name code in the format's table (grown in steps of 64). 0 or -ENOMEM. */
static int add_reason(struct skbd_tpformat *fmt, __u32 code, const char *name)
{
	struct skbd_reason *r;

	if (strlen(name) >= sizeof(r->name) || skbd_tpformat__reason_name(fmt, code))
		return 0;
	if (fmt->nr_reasons % 64 == 0) {
		r = realloc(fmt->reasons, (fmt->nr_reasons + 64) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		fmt->reasons = r;
	}
	r = &fmt->reasons[fmt->nr_reasons++];
	r->code = code;
	snprintf(r->name, sizeof(r->name), "%s", name);
	return 0;
}

struct module_enums {
	struct skbd_tpformat *fmt;
	const bool *subsys;
	int err;
};

static void module_enum(void *ctx, const char *enum_name, const char *name, __u64 v)
{
	struct module_enums *m = ctx;
	__u64 vs = v >> 16;

	if (!strstr(enum_name, "drop_reason") || !strncmp(enum_name, "skb_drop_reason", 15) || !vs || vs >= 256 ||
	    v > UINT32_MAX || !m->subsys[vs] || sentinel(name))
		return;
	if (add_reason(m->fmt, (__u32)v, name))
		m->err = -ENOMEM;
}

/* The subsystems built as modules (mac80211, openvswitch) name their reasons
 * in the module's own BTF, present while the module is loaded. */
static int module_reasons(struct skbd_monitor *mon, const bool subsys[256])
{
	static const char *const mods[] = { "mac80211", "openvswitch" };
	struct module_enums m = { mon->fmt, subsys, 0 };

	for (size_t i = 0; i < sizeof(mods) / sizeof(mods[0]); i++) {
		char path[64], *data = NULL;
		size_t len = 0;

		snprintf(path, sizeof(path), "/sys/kernel/btf/%s", mods[i]);
		if (skbd_read_file(path, 16u << 20, &data, &len))
			continue; /* not loaded */
		if (skbd_btf__split_enums(mon->btf, data, len, module_enum, &m) == -EINVAL)
			skbd_log(SKBD_LOG_WARN, "warning: %s: not valid BTF: its drop reasons are not named", path);
		free(data);
	}
	return m.err;
}

static int subsys_reasons(struct skbd_monitor *mon)
{
	int sid = skbd_btf__find_by_name_kind(mon->btf, "skb_drop_reason_subsys", BTF_KIND_ENUM);
	const struct btf_type *st = sid > 0 ? skbd_btf__type(mon->btf, (__u32)sid) : NULL;
	__u32 nr_types = skbd_btf__nr_types(mon->btf);
	const __u32 *enums = NULL;
	size_t nr_enums = 0;
	bool subsys[256] = { false };

	if (!st)
		return sid == -ENOMEM ? sid : 0;
	for (__u32 i = 0; i < BTF_INFO_VLEN(st->info); i++) {
		const struct btf_enum *e = (const struct btf_enum *)(st + 1) + i;
		const char *name = skbd_btf__str(mon->btf, e->name_off);

		if (name && e->val > 0 && e->val < 256 && !strstr(name, "_NUM"))
			subsys[e->val] = true;
	}
	/* the enums named *drop_reason* (find_btf_names listed them), else every type */
	if (skbd_btf__found_enums(mon->btf, &enums, &nr_enums))
		enums = NULL;
	for (__u32 i = enums ? 0 : 1; enums ? i < nr_enums : i < nr_types; i++) {
		const struct btf_type *t = skbd_btf__type(mon->btf, enums ? enums[i] : i);
		__u32 vlen, kind, s = 0, k, nr = 0;
		const char *tname;

		if (!t)
			continue;
		kind = BTF_INFO_KIND(t->info);
		if ((kind != BTF_KIND_ENUM && kind != 19 /* ENUM64 */) || !(vlen = BTF_INFO_VLEN(t->info)))
			continue;
		/* enum mac80211_drop_reason, ovs_drop_reason, qdisc_drop_reason (not skb_drop_reason*) */
		tname = skbd_btf__str(mon->btf, t->name_off);
		if (!tname || !strstr(tname, "drop_reason") || !strncmp(tname, "skb_drop_reason", 15))
			continue;
		/* every value past the core range carries one subsystem's id (a
		 * value below it, such as an UNSPEC 0, is left out) */
		for (k = 0; k < vlen; k++) {
			__u64 v = enum_val(t, k);
			__u32 vs = (__u32)(v >> 16);

			if (!vs)
				continue;
			if (v > UINT32_MAX || vs >= 256 || !subsys[vs] || (s && vs != s))
				break;
			s = vs;
			nr++;
		}
		if (k < vlen || !nr)
			continue;
		for (k = 0; k < vlen; k++) {
			const char *name = skbd_btf__str(mon->btf, enum_name_off(t, k));
			__u64 v = enum_val(t, k);
			struct skbd_reason *r;

			if (!(v >> 16) || !name || sentinel(name) || strlen(name) >= sizeof(r->name) ||
			    skbd_tpformat__reason_name(mon->fmt, (__u32)v))
				continue;
			if (mon->fmt->nr_reasons % 64 == 0) {
				struct skbd_reason *nv = realloc(mon->fmt->reasons,
								 (mon->fmt->nr_reasons + 64) * sizeof(*nv));

				if (!nv)
					return -ENOMEM;
				mon->fmt->reasons = nv;
			}
			r = &mon->fmt->reasons[mon->fmt->nr_reasons++];
			r->code = (__u32)v;
			snprintf(r->name, sizeof(r->name), "%s", name);
		}
	}
	return mon->opts.btf_path ? 0 : module_reasons(mon, subsys); /* (--btf: another kernel's; its modules unknown) */
}

/* A kernel without TCP_LISTEN_OVERFLOW (before 6.4) still gets the hook's
 * events by that name: our own code, named in the table. */
static int hook_reason_name(struct skbd_monitor *mon)
{
	struct skbd_reason *r;

	if (skbd_tpformat__reason_code(mon->fmt, "TCP_LISTEN_OVERFLOW") >= 0)
		return 0;
	if (mon->fmt->nr_reasons % 64 == 0) {
		r = realloc(mon->fmt->reasons, (mon->fmt->nr_reasons + 64) * sizeof(*r));
		if (!r)
			return -ENOMEM;
		mon->fmt->reasons = r;
	}
	r = &mon->fmt->reasons[mon->fmt->nr_reasons++];
	r->code = SKBD_DROP_REASON_LISTEN_OVERFLOW;
	snprintf(r->name, sizeof(r->name), "TCP_LISTEN_OVERFLOW");
	return 0;
}

int skbd_monitor__open(const struct skbd_monitor_opts *opts, struct skbd_monitor **out, char *err, size_t err_size)
{
	struct skbd_monitor *mon = calloc(1, sizeof(*mon));
	struct obj_job job = { .tp_fd = -1 };
	int ret;

	if (!mon) {
		snprintf(err, err_size, "out of memory");
		return -ENOMEM;
	}
	if (opts)
		mon->opts = *opts;
	mon->perf_fd = -1;
	mon->tp_fd = -1;
	mon->prog = -1;
	mon->hook_prog = -1;
	mon->hook_fd = -1;
	mon->qdisc_prog = -1;
	mon->flush_prog = -1;
	mon->batch = 1;
	mon->qdisc_fd = -1;
	ret = read_format(mon);
	if (!ret && !mon->opts.reasons_only) { /* (reasons_only: never loaded) */
		/* the tracepoint's event: the real kernel's (not a test's format or fake bpf(2)) */
		job.tp_id = !mon->opts.sys && !mon->opts.format_text ? mon->fmt->id : 0;
		skbd_job__start(&job.job, obj_job_run, &job);
	}
	if (!ret || mon->opts.reasons_only) {
		int fret = ret;

		ret = read_btf(mon);
		obj_job_join(mon, &job);
		if (!ret && mon->btf)
			find_btf_names(mon);
		if (!ret && fret) {
			mon->fmt = NULL; /* a failed parse leaves none */
			ret = reasons_from_btf(mon) ? fret : 0;
			if (!ret)
				mon->no_tracefs = true;
		}
	}
	obj_job_join(mon, &job); /* (when it did not get as far as the BTF) */
	/* (the format's reason table is only grown: a realloc to a multiple of 64) */
	if (!ret && mon->btf && mon->fmt && mon->fmt->nr_reasons && grow_reasons(mon->fmt) == 0 &&
	    (subsys_reasons(mon) == -ENOMEM || hook_reason_name(mon) == -ENOMEM)) {
		set_err(mon, "out of memory");
		ret = -ENOMEM;
	}
	if (!ret) {
		mon->nr_cpus = mon->opts.nr_cpus > 0 ? mon->opts.nr_cpus : skbd_cpus_possible();
		if (mon->nr_cpus <= 0) {
			set_err(mon, "cannot read /sys/devices/system/cpu/possible: %s",
				strerror(mon->nr_cpus ? -mon->nr_cpus : EINVAL));
			ret = mon->nr_cpus ? mon->nr_cpus : -EINVAL;
		}
	}
	if (!ret) {
		mon->percpu = calloc((size_t)mon->nr_cpus, sizeof(__u64));
		if (!mon->percpu) {
			set_err(mon, "out of memory");
			ret = -ENOMEM;
		}
	}
	if (ret) {
		snprintf(err, err_size, "%s", mon->err);
		skbd_monitor__close(mon);
		return ret;
	}
	*out = mon;
	return 0;
}

void skbd_monitor__close(struct skbd_monitor *mon)
{
	if (!mon)
		return;
	skbd_monitor__detach(mon);
	skbd_ringbuf__close(mon->rb);
	skbd_perfbuf__close(mon->pb);
	skbd_obj__close(mon->obj);
	skbd_obj__close(mon->next_obj);
	if (mon->tp_fd >= 0)
		close(mon->tp_fd);
	skbd_tpformat__free(mon->fmt);
	skbd_tpformat__free(mon->qfmt);
	skbd_btf__free(mon->btf);
	if (mon->btf_map)
		munmap(mon->btf_map, mon->btf_map_size);
	free(mon->percpu);
	if (mon->aggcache)
		munmap(mon->aggcache, mon->aggcache_size);
	if (mon->batches)
		munmap(mon->batches, mon->batches_size);
	free(mon->agg_copy[0]);
	free(mon->agg_copy[1]);
	free(mon->keys);
	free(mon->totals);
	free(mon->key_index);
	free(mon->owner_set);
	free(mon);
}

const struct skbd_tpformat *skbd_monitor__format(const struct skbd_monitor *mon)
{
	return mon->fmt;
}

int skbd_monitor__btf_error(const struct skbd_monitor *mon)
{
	return mon->btf_err;
}

bool skbd_monitor__has_btf(const struct skbd_monitor *mon)
{
	return mon->btf != NULL || mon->btf_released;
}

bool skbd_monitor__has_reason(const struct skbd_monitor *mon)
{
	return skbd_tpformat__field(mon->fmt, "reason") != NULL;
}

bool skbd_monitor__has_rx_sk(const struct skbd_monitor *mon)
{
	return skbd_tpformat__field(mon->fmt, "rx_sk") != NULL;
}

int skbd_monitor__nr_cpus(const struct skbd_monitor *mon)
{
	return mon->nr_cpus;
}

/* ---- load ---- */

/* A bitfield's loading unit: its storage type's size, aligned, doubled until
 * the bits fit (at most 8 bytes), and the shifts that extract it from a
 * little-endian u64. -EINVAL for one no 8-byte load holds. */
static int bitfield_loc(const struct skbd_btf_field *bf, struct skbd_field_loc *out)
{
	__u32 size = bf->size, off;

	if (!size || size > 8 || (size & (size - 1)) || !bf->bit_size || bf->bit_size > 64)
		return -EINVAL;
	off = bf->bit_offset / 8 / size * size;
	while (bf->bit_offset + bf->bit_size - off * 8 > size * 8) {
		if (size >= 8)
			return -EINVAL;
		size *= 2;
		off = bf->bit_offset / 8 / size * size;
	}
	out->bitfield = true;
	out->offset = off;
	out->size = size;
	out->lshift = 64 - (bf->bit_offset + bf->bit_size - off * 8);
	out->rshift = 64 - bf->bit_size;
	return 0;
}

/* The tracepoint struct is laid out from the format file; kernel structs
 * (sk_buff___skbd, ...) from the kernel's BTF, or marked absent without it. */
static int resolve_field(void *ctx, const char *struct_name, const char *field, struct skbd_field_loc *out)
{
	const struct skbd_monitor *mon = ctx;
	const struct skbd_tp_field *f;
	struct skbd_btf_field bf;
	int err;

	memset(out, 0, sizeof(*out));
	if (!strcmp(struct_name, SKBD_TP_QDISC_STRUCT)) {
		f = mon->qfmt ? skbd_tpformat__field(mon->qfmt, field) : NULL;
		out->exists = f != NULL;
		out->offset = f ? f->offset : 0;
		out->size = f ? f->size : 0;
		return 0;
	}
	if (!strcmp(struct_name, SKBD_TP_STRUCT)) {
		f = skbd_tpformat__field(mon->fmt, field);
		out->exists = f != NULL;
		out->offset = f ? f->offset : 0;
		out->size = f ? f->size : 0;
		return 0;
	}
	if (!strstr(struct_name, "___skbd"))
		return -ENOENT; /* not one of ours: a bug, not a kernel difference */
	if (!mon->btf)
		return 0;
	err = skbd_btf__field(mon->btf, struct_name, field, &bf);
	if (err == -ENOENT)
		return 0; /* this kernel lacks it: the program skips it */
	if (err)
		return err;
	out->exists = true;
	out->offset = bf.offset;
	out->size = bf.size;
	if (bf.is_bitfield)
		return bitfield_loc(&bf, out);
	return 0;
}

/* Does the kernel's BTF name enumerator NAME of enum ENUM_NAME (a feature
 * the verifier announces, enum bpf_features)? */
static bool btf_has_enumerator(const struct skbd_btf *btf, const char *enum_name, const char *name)
{
	int id = skbd_btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	const struct btf_type *t = id > 0 ? skbd_btf__type(btf, (__u32)id) : NULL;

	for (__u32 i = 0; t && i < BTF_INFO_VLEN(t->info); i++) {
		const char *n = skbd_btf__str(btf, enum_name_off(t, i));

		if (n && !strcmp(n, name))
			return true;
	}
	return false;
}

/* Direct reads of kernel memory: where the running kernel has the
 * bpf_rdonly_cast kfunc (6.2+), the program's cast placeholders become calls
 * of it (which the verifier turns into a move), and each field the program
 * reads is one guarded load instead of a bpf_probe_read_kernel call. Where it
 * also casts to void (6.17+: enum bpf_features says so), the packet's bytes
 * are read that way too. Only with the kernel's own BTF (not --btf): the kfunc
 * and type ids are the running kernel's. If the kernel refuses the program,
 * the loader falls back to the probe reads. 0 or -ENOMEM. */
static int offer_direct_reads(struct skbd_monitor *mon)
{
	const struct bpf_insn one = { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 };
	int kfunc, type[NR_CASTS], err;

	if (!mon->btf || mon->opts.btf_path || mon->opts.probe_reads)
		return 0;
	kfunc = skbd_btf__find_by_name_kind(mon->btf, KFUNC_CAST, BTF_KIND_FUNC);
	if (kfunc <= 0)
		return kfunc == -ENOMEM ? kfunc : 0;
	for (size_t i = 0; i < NR_CASTS; i++) { /* all casts or none: never half of the fields one way */
		type[i] = skbd_btf__find_by_name_kind(mon->btf, casts[i].type, BTF_KIND_STRUCT);
		if (type[i] <= 0)
			return type[i] == -ENOMEM ? type[i] : 0;
	}
	for (size_t i = 0; i <= NR_CASTS; i++) {
		bool mem = i == NR_CASTS; /* last: to void (type id 0), where the kernel can */
		/* r1: the address; r2: the type; r0: the same address as a BTF pointer */
		const struct bpf_insn cast[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = mem ? 0 : type[i] },
			{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = kfunc },
		};

		if (mem && !btf_has_enumerator(mon->btf, BPF_FEATURES, "BPF_FEAT_RDONLY_CAST_TO_VOID"))
			break;
		err = skbd_obj__set_inline(mon->obj, mem ? SKBD_IN_CAST_MEM : casts[i].slot, cast, 2, true);
		if (err)
			return err;
	}
	/* the program's switches: the casts (always given here), the packet's (6.17+) */
	err = skbd_obj__set_inline(mon->obj, SKBD_IN_DIRECT, &one, 1, true);
	if (!err && skbd_obj__inline_used(mon->obj, SKBD_IN_CAST_MEM))
		err = skbd_obj__set_inline(mon->obj, SKBD_IN_PKT_DIRECT, &one, 1, true);
	return err;
}

/* The summary's key: the prefix of struct skbd_agg_key that holds the --by
 * fields (the default keys: 24 of 56 bytes), so the kernel hashes and
 * compares no more than that on every drop. */
static __u32 agg_key_size(__u32 by)
{
	if (by & SKBD_AGG_CONTAINER)
		return sizeof(struct skbd_agg_key);
	if (by & SKBD_AGG_OWNER)
		return offsetof(struct skbd_agg_key, sk_cgroup_id);
	if (by & SKBD_AGG_COMM)
		return offsetof(struct skbd_agg_key, sk_ino);
	return offsetof(struct skbd_agg_key, comm);
}

/* Records go through the perf rings (and so through the batches). */
static bool streams_perf(const struct skbd_monitor_config *cfg)
{
	return !cfg->summary && cfg->transport == SKBD_TRANSPORT_PERF;
}

/* Map sizes: the perf array per CPU, the stack map, one ring buffer holding
 * as much as the per-CPU rings would; the summary's key. */
static int size_maps(struct skbd_monitor *mon, const struct skbd_monitor_config *cfg)
{
	long page_size = sysconf(_SC_PAGESIZE);
	int err;

	mon->ring_bytes = cfg->pages * (size_t)page_size; /* per CPU, perf transport */
	mon->stride = SKBD_EVENT_HDR + ((cfg->snaplen + 7) & ~7u); /* records stay 8-aligned in a batch */
	mon->rb_size = mon->ring_bytes;
	for (int c = 1; c < mon->nr_cpus && mon->rb_size < (1u << 30); c <<= 1)
		mon->rb_size <<= 1;
	/* the default wakeup: a quarter of a ring (each wakeup is an interrupt
	 * on the dropping CPU; the reader also reads every poll) */
	if (cfg->wakeup == SKBD_WAKEUP_BYTES && !cfg->wakeup_arg)
		mon->cfg.wakeup_arg = (cfg->transport == SKBD_TRANSPORT_RINGBUF ? mon->rb_size : mon->ring_bytes) / 4;
	err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_EVENTS, (__u32)mon->nr_cpus);
	if (!err && streams_perf(cfg)) /* one batch per CPU */
		err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_BATCH, (__u32)mon->nr_cpus);
	if (!err && cfg->stack)
		err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_STACKS, cfg->stack_ids);
	if (!err)
		err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_RINGBUF, (__u32)mon->rb_size);
	if (!err)
		err = skbd_obj__set_key_size(mon->obj, SKBD_MAP_AGG, agg_key_size(cfg->summary || cfg->count ? cfg->by : 0));
	/* hash maps are preallocated: one entry for those this run never
	 * fills (65,536 owners and 4,096 keys per CPU take milliseconds to make) */
	if (!err && !cfg->owner_filter)
		err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_OWNERS, 1);
	if (!err && !cfg->summary && !cfg->count)
		err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_AGG, 1);
	if (!err)
		err = skbd_obj__set_max_entries(mon->obj, SKBD_MAP_AGGCACHE,
						cfg->summary || cfg->count ? (__u32)mon->nr_cpus * SKBD_AGGCACHE_SLOTS : 1);
	return err;
}

/* Which programs: one per transport, the other not loaded; the same for the
 * listen-overflow hook, which is optional (loaded where the kernel's BTF has
 * its function; attached, where trampolines exist, by skbd_monitor__attach). */
static int choose_prog(struct skbd_monitor *mon, enum skbd_transport t)
{
	int perf = skbd_obj__find_prog(mon->obj, SKBD_PROG_PERF), rb = skbd_obj__find_prog(mon->obj, SKBD_PROG_RINGBUF);
	int hperf = skbd_obj__find_prog(mon->obj, SKBD_PROG_HOOK_PERF);
	int hrb = skbd_obj__find_prog(mon->obj, SKBD_PROG_HOOK_RINGBUF);
	int qp = skbd_obj__find_prog(mon->obj, SKBD_PROG_QDISC);
	int fp = skbd_obj__find_prog(mon->obj, SKBD_PROG_FLUSH);
	bool qdisc = mon->qfmt && skbd_tpformat__field(mon->qfmt, "reason") &&
		     skbd_tpformat__field(mon->qfmt, "skbaddr") && skbd_tpformat__reason_code(mon->fmt, "QDISC_DROP") >= 0;
	int func = mon->btf && !mon->opts.btf_path && !mon->opts.no_hook ?
			   skbd_btf__find_by_name_kind(mon->btf, SKBD_HOOK_FUNC, BTF_KIND_FUNC) : -ENOENT;
	int err;

	if (perf < 0 || rb < 0 || hperf < 0 || hrb < 0 || qp < 0 || fp < 0)
		return -ENOENT;
	/* the flush program: where records are gathered (optional: without
	 * it, each record is written at once) */
	if (skbd_obj__set_autoload(mon->obj, fp, streams_perf(&mon->cfg)) || skbd_obj__set_optional(mon->obj, fp, true))
		return -EINVAL;
	mon->flush_prog = streams_perf(&mon->cfg) ? fp : -1;
	if (skbd_obj__set_autoload(mon->obj, qp, qdisc) || skbd_obj__set_optional(mon->obj, qp, true))
		return -EINVAL;
	/* without that program nothing writes its map (and the config turns its
	 * lookup off): one entry, not 4,096 preallocated (0.2 ms to make) */
	if (!qdisc && skbd_obj__set_max_entries(mon->obj, SKBD_MAP_QDISC_REASONS, 1))
		return -ENOENT;
	mon->qdisc_prog = qdisc ? qp : -1;
	err = skbd_obj__set_autoload(mon->obj, perf, t == SKBD_TRANSPORT_PERF);
	if (!err)
		err = skbd_obj__set_autoload(mon->obj, rb, t == SKBD_TRANSPORT_RINGBUF);
	mon->prog = t == SKBD_TRANSPORT_RINGBUF ? rb : perf;
	mon->hook_prog = t == SKBD_TRANSPORT_RINGBUF ? hrb : hperf;
	if (!err)
		err = skbd_obj__set_autoload(mon->obj, hperf, func > 0 && t == SKBD_TRANSPORT_PERF);
	if (!err)
		err = skbd_obj__set_autoload(mon->obj, hrb, func > 0 && t == SKBD_TRANSPORT_RINGBUF);
	if (!err && func > 0) {
		skbd_obj__set_optional(mon->obj, hperf, true);
		skbd_obj__set_optional(mon->obj, hrb, true);
		skbd_obj__set_attach_btf_id(mon->obj, hperf, (__u32)func);
		skbd_obj__set_attach_btf_id(mon->obj, hrb, (__u32)func);
	} else if (!err) {
		mon->hook_prog = -1;
		snprintf(mon->hook_err, sizeof(mon->hook_err), "%s", func == -ENOMEM ? "out of memory" :
			 !mon->btf || mon->opts.btf_path ? "it needs the running kernel's own BTF" :
			 mon->opts.no_hook ? "turned off" : "the kernel has no " SKBD_HOOK_FUNC);
	}
	return err == -ENOMEM || func == -ENOMEM ? -ENOMEM : err;
}

static __u32 rb_wakeup(enum skbd_wakeup w)
{
	switch (w) {
	case SKBD_WAKEUP_EVENTS:
		return SKBD_RB_WAKEUP_EVENTS;
	case SKBD_WAKEUP_NONE:
		return SKBD_RB_WAKEUP_NONE;
	case SKBD_WAKEUP_BYTES:
	default:
		return SKBD_RB_WAKEUP_BYTES;
	}
}

static int map_fd(struct skbd_monitor *mon, const char *name)
{
	return skbd_obj__map_fd(mon->obj, name);
}

/* The reason the listen-overflow hook reports: the kernel's TCP_LISTEN_OVERFLOW,
 * or where it has none (before 6.4, and 5.10 has no reasons at all) our own
 * code past the kernel's range, named the same in the format's table. */
static __u32 hook_reason(struct skbd_monitor *mon)
{
	long code = skbd_tpformat__reason_code(mon->fmt, "TCP_LISTEN_OVERFLOW");

	return code >= 0 ? (__u32)code : SKBD_DROP_REASON_LISTEN_OVERFLOW;
}

/* Map bytes of an mmapable array map (BPF_F_MMAPABLE), rounded up to pages:
 * the mapping (its size in *size), or NULL and -errno in *err. */
static void *map_array(int fd, size_t bytes, int prot, size_t *size, int *err)
{
	long page = sysconf(_SC_PAGESIZE);
	void *m;

	if (fd < 0 || page <= 0) {
		*err = fd < 0 ? fd : -EINVAL;
		return NULL;
	}
	*size = (bytes + (size_t)page - 1) / (size_t)page * (size_t)page;
	m = mmap(NULL, *size, prot, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED) {
		*err = -errno;
		return NULL;
	}
	*err = 0;
	return m;
}

/* Map the aggcache slots for reading (summary counting, --metrics): 0, or
 * -errno when they cannot be, and then the program does not use them. */
static int map_aggcache(struct skbd_monitor *mon)
{
	size_t slots = (size_t)mon->nr_cpus * SKBD_AGGCACHE_SLOTS, size = 0;
	int err;
	void *m = map_array(map_fd(mon, SKBD_MAP_AGGCACHE), slots * sizeof(struct skbd_agg_slot), PROT_READ, &size, &err);

	if (!m)
		return err;
	mon->agg_copy[0] = malloc(slots * sizeof(struct skbd_agg_slot));
	mon->agg_copy[1] = malloc(slots * sizeof(struct skbd_agg_slot));
	if (!mon->agg_copy[0] || !mon->agg_copy[1]) {
		munmap(m, size);
		return -ENOMEM;
	}
	mon->aggcache = m;
	mon->aggcache_size = size;
	mon->aggcache_slots = slots;
	return 0;
}

/* The configuration maps: devices, reason verdicts, then the config that
 * the program reads first. */
static int configure_maps(struct skbd_monitor *mon, const struct skbd_monitor_config *c)
{
	const struct skbd_sys *sys = mon->opts.sys;
	struct skbd_config cfg = {
		.filter_tgid = c->pid,
		.reason_default = c->reasons && c->reasons->skip_other ? SKBD_VERDICT_SKIP : SKBD_VERDICT_REPORT,
		.flags = (c->stack ? SKBD_CFG_STACK : 0) | (c->filter ? SKBD_CFG_FILTER : 0) |
			 (c->summary ? SKBD_CFG_SUMMARY : 0) | (c->owner_filter ? SKBD_CFG_OWNER : 0) |
			 (c->all ? SKBD_CFG_ALL : 0) | (c->count && !c->summary ? SKBD_CFG_COUNT : 0),
		/* counting needs packet bytes only for the filter */
		.snaplen = c->summary && !c->filter ? 0 : c->snaplen,
		.filter_netns = c->netns,
		.dev_mode = !c->nr_devs ? SKBD_DEV_ANY : c->devs_except ? SKBD_DEV_EXCEPT : SKBD_DEV_ONLY,
		.max_rate = c->max_rate,
		.agg_fields = c->summary || c->count ? c->by : 0,
		/* the ring buffer program applies the wakeup policy itself */
		.rb_wakeup = rb_wakeup(c->wakeup),
		.rb_wakeup_arg = mon->cfg.wakeup_arg,
		.hook_reason = hook_reason(mon),
		.qdisc_generic = mon->qdisc_prog >= 0 ? (__u32)skbd_tpformat__reason_code(mon->fmt, "QDISC_DROP") : 0,
		.stride = mon->stride,
	};
	int dfd = map_fd(mon, SKBD_MAP_DEVICES), cfd = map_fd(mon, SKBD_MAP_CONFIG), rfd = map_fd(mon, SKBD_MAP_REASONS);
	__u32 one = 1, zero = 0, skip = SKBD_VERDICT_SKIP;
	int err;

	if (cfd < 0 || rfd < 0)
		return cfd < 0 ? cfd : rfd;
	if ((c->summary || c->count) && mon->nr_cpus > 0) {
		err = map_aggcache(mon);
		if (!err)
			cfg.flags |= SKBD_CFG_AGGCACHE;
		else if (err == -ENOMEM)
			return err;
		else
			skbd_log(SKBD_LOG_DEBUG, "monitor: the summary's per-CPU slots cannot be mapped (%s): the hash map counts every drop",
				 strerror(-err));
	}
	if (c->nr_devs <= SKBD_DEV_INLINE) {
		cfg.nr_dev_keys = (__u32)c->nr_devs;
		for (size_t i = 0; i < c->nr_devs; i++)
			cfg.dev_keys[i] = (__u64)c->devs[i].netns << 32 | c->devs[i].ifindex;
	}
	for (size_t i = 0; i < c->nr_devs; i++) {
		struct skbd_dev_key k = { .netns = c->devs[i].netns, .ifindex = c->devs[i].ifindex };

		err = dfd < 0 ? dfd : skbd_bpf_map_update_elem(sys, dfd, &k, &one, BPF_ANY);
		if (err)
			return err;
	}
	/* untouched slots already mean "report": write only the others */
	for (__u32 code = 0; c->reasons && code < SKBD_REASON_SLOTS; code++) {
		if (!c->reasons->skip[code])
			continue;
		err = skbd_bpf_map_update_elem(sys, rfd, &code, &skip, BPF_ANY);
		if (err)
			return err;
	}
	/* benign rules by reason: where the filters report the reason (and --reason did not name it) */
	for (__u32 rule = 0; skbd_benign_rules[rule].name && rule < SKBD_BENIGN_RULES; rule++) {
		if (!(c->benign & (1u << rule)))
			continue;
		for (const char *const *rn = skbd_benign_rules[rule].reasons; *rn; rn++) {
			long code = skbd_tpformat__reason_code(mon->fmt, *rn);
			__u32 v = SKBD_VERDICT_BENIGN + rule, k;

			if (code < 0 || code >= SKBD_REASON_SLOTS)
				continue;
			if (c->reasons && (c->reasons->skip[code] || c->reasons->skip_other))
				continue; /* filtered out, or named in --reason: not set apart */
			k = (__u32)code;
			err = skbd_bpf_map_update_elem(sys, rfd, &k, &v, BPF_ANY);
			if (err)
				return err;
		}
	}
	for (size_t i = 0; c->reasons && i < c->reasons->nr_sub && i < SKBD_SUBREASONS_MAX; i++) {
		__u32 v = c->reasons->sub[i].skip ? SKBD_VERDICT_SKIP : SKBD_VERDICT_REPORT;
		int sfd = map_fd(mon, SKBD_MAP_SUBREASONS);

		err = sfd < 0 ? sfd : skbd_bpf_map_update_elem(sys, sfd, &c->reasons->sub[i].code, &v, BPF_ANY);
		if (err)
			return err;
	}
	err = skbd_bpf_map_update_elem(sys, cfd, &zero, &cfg, BPF_ANY);
	if (err)
		return err;
	/* the programs load next and only read it: frozen, its values are
	 * constants to the verifier (5.2+; refused, they are read as before) */
	err = skbd_bpf_map_freeze(sys, cfd);
	if (err)
		skbd_log(SKBD_LOG_DEBUG, "monitor: the config map cannot be frozen (%s): the verifier checks every branch",
			 strerror(-err));
	return 0;
}

static int open_rings(struct skbd_monitor *mon);

/* The rings are made while the verifier checks the programs: the kernel
 * allocates and clears their pages (16 MiB in all by default: about 3 ms
 * here, as long as the verifier takes) on another CPU meanwhile. */
struct ring_job {
	struct skbd_job job;
	struct skbd_monitor *mon;
	int err;
};

static void ring_job_run(void *arg)
{
	struct ring_job *j = arg;

	j->err = open_rings(j->mon);
}

int skbd_monitor__load(struct skbd_monitor *mon, const struct skbd_monitor_config *cfg)
{
	int err;

	if (mon->obj || mon->no_tracefs) {
		set_err(mon, mon->obj ? "the monitor is loaded already" : "no tracepoint format: only reason names");
		return mon->obj ? -EBUSY : -EPERM;
	}
	if (!mon->btf && (cfg->filter || cfg->netns || cfg->nr_devs || cfg->owner_filter ||
			  ((cfg->summary || cfg->count) && (cfg->by & (SKBD_BY_OWNER | SKBD_BY_CONTAINER))))) {
		set_err(mon, "a filter expression, --netns, --device, --owner and owner/container keys (--by, --metrics-labels) need the kernel's BTF (packet context): give one with --btf FILE");
		return -EOPNOTSUPP;
	}
	if (cfg->nr_devs > SKBD_DEVICES_MAX || cfg->snaplen > SKBD_SNAPLEN_MAX || !cfg->pages) {
		set_err(mon, "bad configuration (devices, snaplen or ring pages)");
		return -EINVAL;
	}
	mon->cfg = *cfg;
	mon->cfg.reasons = NULL; /* the caller's memory: used here only */
	mon->cfg.filter = NULL;
	mon->cfg.filter_expr = NULL;
	mon->cfg.devs = NULL;
	if (mon->next_obj || mon->next_obj_err) { /* opened with the monitor */
		mon->obj = mon->next_obj;
		err = mon->next_obj_err;
		mon->next_obj = NULL;
		mon->next_obj_err = 0;
	} else {
		err = skbd_obj__open_mem(skbd_bpf_object, (size_t)(skbd_bpf_object_end - skbd_bpf_object), &mon->obj);
	}
	if (err) {
		set_err(mon, "embedded BPF object is malformed");
		return err;
	}
	skbd_obj__set_sys(mon->obj, mon->opts.sys);
	if (cfg->filter) {
		size_t n = 0;
		const struct bpf_insn *fi = skbd_filter__insns(cfg->filter, &n);

		err = skbd_obj__set_func(mon->obj, SKBD_FILTER_FUNC, fi, n);
		if (!err) { /* and where the programs' stack allows, in place of each call */
			fi = skbd_filter__insns_spliced(cfg->filter, &n);
			err = skbd_obj__set_func_spliced(mon->obj, SKBD_FILTER_FUNC, fi, n, SKBD_FILTER_SPLICE_TOP);
		}
		if (err) {
			set_err(mon, "embedded BPF object has no filter function: %s", strerror(-err));
			return err;
		}
	}
	err = offer_direct_reads(mon);
	if (err) {
		set_err(mon, "out of memory");
		return err;
	}
	err = skbd_obj__resolve_fields(mon->obj, resolve_field, mon);
	if (err) {
		set_err(mon, "cannot lay out the BPF program for this kernel's kfree_skb record");
		return err;
	}
	err = size_maps(mon, cfg);
	if (!err)
		err = choose_prog(mon, cfg->transport);
	if (err) {
		set_err(mon, "embedded BPF object lacks its programs or maps: %s", strerror(-err));
		return err;
	}
	if (cfg->transport == SKBD_TRANSPORT_RINGBUF) {
		/* ask the kernel, not an error message: before 5.8 the map type is unknown */
		int probe = skbd_bpf_map_create(mon->opts.sys, BPF_MAP_TYPE_RINGBUF, NULL, 0, 0,
						(__u32)sysconf(_SC_PAGESIZE), 0);

		if (probe == -EINVAL) {
			set_err(mon, "the ringbuf transport needs Linux 5.8 or newer (BPF_MAP_TYPE_RINGBUF): use --transport perf");
			return probe;
		}
		if (probe >= 0)
			close(probe);
	}
	if (!mon->opts.sys)
		skbd_raise_memlock(); /* before 5.11 BPF memory is charged to RLIMIT_MEMLOCK */
	/* maps first, then what they hold (the config frozen), then the
	 * programs, which the verifier checks against that config */
	err = skbd_obj__create_maps(mon->obj);
	if (!err) {
		err = configure_maps(mon, cfg);
		if (err) {
			set_err(mon, "configuring BPF maps: %s", strerror(-err));
			return err;
		}
		/* streaming only: --summary writes no records; through a fake
		 * bpf(2) (tests) they are left to skbd_monitor__attach */
		if (!cfg->summary && !mon->opts.sys) {
			struct ring_job job = { .mon = mon };
			int perr;

			skbd_job__start(&job.job, ring_job_run, &job);
			perr = skbd_obj__load_progs(mon->obj);
			skbd_job__finish(&job.job);
			if (job.err && !perr)
				return job.err; /* its message is set */
			err = perr;
		} else {
			err = skbd_obj__load_progs(mon->obj);
		}
	}
	if (err) {
		__u32 entries = 0;
		const char *map = skbd_obj__failed_map(mon->obj, &entries);

		if (map && err == -ENOMEM)
			set_err(mon, "creating BPF map '%s' (%u entries): %s: the kernel, or this memory cgroup's limit, could not give it%s",
				map, entries, strerror(-err),
				!strcmp(map, SKBD_MAP_RINGBUF) ? ": a smaller --pages needs less" :
				!strcmp(map, SKBD_MAP_STACKS) ? ": try without --stack" : "");
		else if (map && err == -EPERM)
			set_err(mon, "creating BPF map '%s': %s: run as root with CAP_BPF, or CAP_SYS_ADMIN; before 5.11 the locked-memory limit (ulimit -l) also says this",
				map, strerror(-err));
		else if (map)
			set_err(mon, "creating BPF map '%s' (%u entries): %s", map, entries, strerror(-err));
		else if (err == -EPERM)
			set_err(mon, "the kernel refused to load BPF (EPERM): run as root with CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN");
		else if (cfg->filter)
			set_err(mon, "loading the BPF program with filter '%s' failed: %s",
				cfg->filter_expr ? cfg->filter_expr : "", strerror(-err));
		else
			set_err(mon, "loading the BPF program failed: %s", strerror(-err));
		return err;
	}
	/* the programs are laid out: the BTF's type table (half a megabyte for
	 * a kernel's) is not needed any more (its mapping goes at close) */
	if (mon->btf) {
		skbd_btf__free(mon->btf);
		mon->btf = NULL;
		mon->btf_released = true;
	}
	return 0;
}

bool skbd_monitor__direct_reads(const struct skbd_monitor *mon)
{
	return mon->obj && skbd_obj__inline_used(mon->obj, SKBD_IN_DIRECT);
}

bool skbd_monitor__direct_packet(const struct skbd_monitor *mon)
{
	return mon->obj && skbd_obj__inline_used(mon->obj, SKBD_IN_PKT_DIRECT);
}

/* ---- attach and poll ---- */

int skbd_monitor__record_to_drop(const void *data, __u32 size, struct skbd_drop *d)
{
	if (size < SKBD_EVENT_HDR) /* raw size may include padding, never less */
		return -EBADMSG;
	memcpy(d, data, SKBD_EVENT_HDR);
	if (d->caplen > size - SKBD_EVENT_HDR || d->caplen > SKBD_SNAPLEN_MAX)
		d->caplen = 0; /* never trust a length the record does not carry */
	memcpy(d->data, (const char *)data + SKBD_EVENT_HDR, d->caplen);
	return 0;
}

__u32 skbd_monitor__sample_records(__u32 size, __u32 stride, __u32 *each)
{
	__u32 n = stride ? size / stride : 1;

	*each = n > 1 ? stride : size;
	return n ? n : 1;
}

__u32 skbd_monitor__stride(const struct skbd_monitor *mon)
{
	return mon->stride;
}

__u32 skbd_monitor__batch(const struct skbd_monitor *mon)
{
	return mon->batch;
}

unsigned long long skbd_monitor__wakeup_arg(const struct skbd_monitor *mon)
{
	return mon->cfg.wakeup_arg;
}

/* A ring buffer record, or a perf sample of one or more records. */
static int on_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	struct skbd_monitor *mon = ctx;
	__u32 each, n = skbd_monitor__sample_records(size, mon->pb ? mon->stride : 0, &each);

	for (__u32 i = 0; i < n; i++) {
		int ret;

		if (skbd_monitor__record_to_drop((const char *)data + (size_t)i * each, each, &mon->drop))
			continue;
		ret = mon->on_drop ? mon->on_drop(mon->ctx, &mon->drop) : SKBD_CB_OK;
		if (ret != SKBD_CB_OK)
			return ret;
	}
	return SKBD_CB_OK;
}

static int on_lost(void *ctx, int cpu, __u64 lost)
{
	struct skbd_monitor *mon = ctx;

	return mon->on_lost ? mon->on_lost(mon->ctx, cpu, lost) : SKBD_CB_OK;
}

static int open_rings(struct skbd_monitor *mon)
{
	struct skbd_perfbuf_opts pbo = { .pages = mon->cfg.pages };
	int err;

	if (mon->cfg.transport == SKBD_TRANSPORT_RINGBUF) {
		err = skbd_ringbuf__open(map_fd(mon, SKBD_MAP_RINGBUF), mon->rb_size, on_sample, mon, &mon->rb);
		if (err)
			set_err(mon, "setting up the ring buffer (%zu bytes): %s", mon->rb_size, strerror(-err));
		return err;
	}
	switch (mon->cfg.wakeup) {
	case SKBD_WAKEUP_BYTES:
		pbo.watermark_bytes = (size_t)mon->cfg.wakeup_arg;
		break;
	case SKBD_WAKEUP_EVENTS:
		pbo.wakeup_events = (__u32)mon->cfg.wakeup_arg;
		break;
	case SKBD_WAKEUP_NONE:
		/* perf cannot switch wakeups off: a watermark at half the ring is a
		 * safety net that fires only when the timed poll falls behind */
		pbo.watermark_bytes = mon->ring_bytes / 2;
		break;
	}
	err = skbd_perfbuf__open(map_fd(mon, SKBD_MAP_EVENTS), &pbo, on_sample, on_lost, mon, &mon->pb);
	if (err)
		set_err(mon, "setting up per-CPU perf rings (%zu pages each): %s", mon->cfg.pages, strerror(-err));
	return err;
}

static struct skbd_batch_head *batch_head(struct skbd_monitor *mon, int cpu)
{
	return (struct skbd_batch_head *)((char *)mon->batches + (size_t)cpu * mon->batch_elem);
}

/* How many records a sample gathers: the caller's choice, at most an eighth
 * of a ring (so that a full ring still takes several), and 1 unless the
 * batches can be mapped and the kernel runs the flush program on a chosen
 * CPU (5.10+). Written to every CPU's batch before the program runs. */
static void setup_batches(struct skbd_monitor *mon)
{
	int fd = mon->obj ? map_fd(mon, SKBD_MAP_BATCH) : -1;
	int pfd = mon->flush_prog >= 0 ? skbd_obj__prog_fd(mon->obj, mon->flush_prog) : -1;
	__u32 want = mon->cfg.batch ? mon->cfg.batch : mon->cfg.wakeup == SKBD_WAKEUP_EVENTS ? 1 : SKBD_MONITOR_BATCH_MAX;
	__u32 fit = mon->stride ? (__u32)(mon->ring_bytes / 8 / mon->stride) : 1, retval = 0, limit;
	const char *why = NULL;
	void *m;
	int err;

	mon->batch = 1;
	if (!mon->pb || fd < 0 || pfd < 0)
		return; /* no perf rings, or no flush program: each record at once */
	if (want > SKBD_MONITOR_BATCH_MAX)
		want = SKBD_MONITOR_BATCH_MAX;
	limit = want < fit ? want : fit;
	if (!limit) /* a ring smaller than 8 slots */
		limit = 1;
	mon->batch_elem = (sizeof(struct skbd_batch) + 7) & ~(size_t)7;
	m = map_array(fd, (size_t)mon->nr_cpus * mon->batch_elem, PROT_READ | PROT_WRITE, &mon->batches_size, &err);
	if (!m) {
		why = "the batches cannot be mapped";
	} else {
		mon->batches = m;
		/* the flush program on this CPU, with nothing to write: can the kernel run it there? */
		int cpu = sched_getcpu();

		err = limit > 1 ? skbd_bpf_prog_run_on_cpu(mon->opts.sys, pfd, cpu > 0 ? (__u32)cpu : 0, &retval) : 0;
		if (err)
			why = "the kernel cannot run the flush program on a chosen CPU (5.10+)";
	}
	if (why) {
		skbd_log(SKBD_LOG_DEBUG, "monitor: %s (%s): every record is written at once", why, strerror(-err));
		limit = 1;
	}
	for (int c = 0; mon->batches && c < mon->nr_cpus; c++)
		batch_head(mon, c)->limit = limit;
	mon->batch = limit;
}

/* Have the flush program write the batches that hold records: every one
 * (all), or those whose first record is SKBD_BATCH_AGE_MS old (a batch
 * filling fast is left to fill). A batch the tracepoint program is in is
 * left for the next poll, or when all asked for again a few times (after
 * detach, the program may still be finishing on a CPU). Returns how many
 * batches were written. */
#define SKBD_BATCH_AGE_MS 10
static int flush_batches(struct skbd_monitor *mon, bool all)
{
	int pfd = mon->flush_prog >= 0 ? skbd_obj__prog_fd(mon->obj, mon->flush_prog) : -1;
	int flushed = 0;
	struct timespec now;
	__u64 now_ns;

	if (mon->batch <= 1 || !mon->batches || pfd < 0)
		return 0;
	clock_gettime(CLOCK_MONOTONIC, &now); /* bpf_ktime_get_ns()'s clock */
	now_ns = (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec;
	for (int c = 0; c < mon->nr_cpus; c++) {
		struct skbd_batch_head *h = batch_head(mon, c);
		/* the first record's time stamp: read while the CPU may write it, a hint only */
		__u64 first = __atomic_load_n((__u64 *)(h + 1), __ATOMIC_RELAXED);

		if (!all && first + SKBD_BATCH_AGE_MS * 1000000ull > now_ns)
			continue;
		for (int tries = 0; tries < (all ? 100 : 1); tries++) {
			__u32 retval = 0;

			if (!__atomic_load_n(&h->count, __ATOMIC_ACQUIRE))
				break;
			if (skbd_bpf_prog_run_on_cpu(mon->opts.sys, pfd, (__u32)c, &retval))
				break; /* offline: the kernel runs nothing there */
			if (!retval) {
				flushed++;
				break;
			}
			usleep(100); /* the tracepoint program is in it */
		}
	}
	return flushed;
}

int skbd_monitor__attach(struct skbd_monitor *mon, skbd_drop_fn on_drop, skbd_lost_fn on_lost_fn, void *ctx)
{
	int fd, err;

	if (!mon->obj || mon->perf_fd >= 0) {
		set_err(mon, "attach: %s", mon->obj ? "attached already" : "not loaded");
		return -EINVAL;
	}
	mon->on_drop = on_drop;
	mon->on_lost = on_lost_fn;
	mon->ctx = ctx;
	if (!mon->cfg.summary && !mon->pb && !mon->rb) { /* no records with --summary */
		err = open_rings(mon);
		if (err)
			return err;
	}
	setup_batches(mon);
	if (mon->tp_fd >= 0) { /* opened with the monitor */
		err = skbd_tracepoint__set_prog(mon->tp_fd, skbd_obj__prog_fd(mon->obj, mon->prog));
		fd = err ? err : mon->tp_fd;
		if (!err)
			mon->tp_fd = -1;
	} else {
		fd = skbd_tracepoint__attach(skbd_obj__prog_fd(mon->obj, mon->prog), mon->fmt->id);
	}
	if (fd < 0) {
		set_err(mon, "attaching to skb:kfree_skb: %s", strerror(-fd));
		return fd;
	}
	mon->perf_fd = fd;
	if (mon->qdisc_prog >= 0 && skbd_obj__prog_fd(mon->obj, mon->qdisc_prog) >= 0) {
		fd = skbd_tracepoint__attach(skbd_obj__prog_fd(mon->obj, mon->qdisc_prog), mon->qfmt->id);
		if (fd >= 0)
			mon->qdisc_fd = fd; /* else qdisc drops keep the generic QDISC_DROP */
	}
	if (mon->hook_prog >= 0) {
		int pfd = skbd_obj__prog_fd(mon->obj, mon->hook_prog);

		fd = pfd < 0 ? pfd : skbd_bpf_raw_tp_open(mon->opts.sys, pfd);
		if (fd >= 0)
			mon->hook_fd = fd;
		else if (pfd < 0) /* the kernel refused the fentry program */
			snprintf(mon->hook_err, sizeof(mon->hook_err), "the kernel refused an fentry program (%s): no BPF trampolines here?",
				 strerror(-skbd_obj__prog_load_error(mon->obj, mon->hook_prog)));
		else /* 524 = ENOTSUPP */
			snprintf(mon->hook_err, sizeof(mon->hook_err), "attaching at " SKBD_HOOK_FUNC ": %s",
				 fd == -524 ? "no BPF trampolines on this kernel" : strerror(-fd));
	}
	return 0;
}

void skbd_monitor__detach(struct skbd_monitor *mon)
{
	if (mon->hook_fd >= 0)
		close(mon->hook_fd);
	mon->hook_fd = -1;
	if (mon->qdisc_fd >= 0)
		close(mon->qdisc_fd);
	mon->qdisc_fd = -1;
	if (mon->perf_fd >= 0)
		close(mon->perf_fd);
	mon->perf_fd = -1;
}

const char *skbd_monitor__hook(const struct skbd_monitor *mon)
{
	return mon->hook_fd >= 0 ? NULL : mon->hook_err[0] ? mon->hook_err : "not attached";
}

int skbd_monitor__set_hook_location(struct skbd_monitor *mon, __u64 addr)
{
	int fd = mon->obj ? map_fd(mon, SKBD_MAP_HOOKLOC) : -EINVAL;
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	return skbd_bpf_map_update_elem(mon->opts.sys, fd, &zero, &addr, BPF_ANY);
}

int skbd_monitor__poll(struct skbd_monitor *mon, int timeout_ms)
{
	int err;

	if (mon->rb) {
		err = skbd_ringbuf__poll(mon->rb, timeout_ms);
	} else if (mon->pb) {
		err = skbd_perfbuf__poll(mon->pb, timeout_ms);
		/* then what the batches gathered, a poll's time at most */
		if (err >= 0 && flush_batches(mon, false)) {
			int more = skbd_perfbuf__consume(mon->pb);

			err = more < 0 ? more : err + more;
		}
	} else {
		return -EINVAL;
	}
	if (err < 0 && err != -EINTR && err != -ECANCELED)
		set_err(mon, "polling %s: %s", mon->rb ? "the ring buffer" : "perf rings", strerror(-err));
	return err;
}

int skbd_monitor__consume(struct skbd_monitor *mon)
{
	if (mon->rb)
		return skbd_ringbuf__consume(mon->rb);
	if (mon->pb) {
		int err = skbd_perfbuf__consume(mon->pb), more;

		if (err < 0 || !flush_batches(mon, true))
			return err;
		more = skbd_perfbuf__consume(mon->pb);
		return more < 0 ? more : err + more;
	}
	return -EINVAL;
}

int skbd_monitor__fd(const struct skbd_monitor *mon)
{
	if (mon->rb)
		return skbd_ringbuf__epoll_fd(mon->rb);
	return mon->pb ? skbd_perfbuf__epoll_fd(mon->pb) : -EINVAL;
}

/* ---- reads ---- */

/* One per-CPU value summed over the CPUs. */
static int read_percpu(struct skbd_monitor *mon, int fd, const void *key, __u64 *sum)
{
	int err = skbd_bpf_map_lookup_elem(mon->opts.sys, fd, key, mon->percpu);

	*sum = 0;
	if (err)
		return err;
	for (int c = 0; c < mon->nr_cpus; c++)
		*sum += mon->percpu[c];
	return 0;
}

/* Drops the kernel did not run the program for (another BPF program was
 * running on that CPU: bpf_prog_active), counted by the kernel since 5.12. */
static __u64 prog_misses(struct skbd_monitor *mon)
{
	struct bpf_prog_info info;
	int fd = skbd_obj__prog_fd(mon->obj, mon->prog);

	memset(&info, 0, sizeof(info));
	if (fd < 0 || skbd_bpf_obj_get_info(mon->opts.sys, fd, &info, sizeof(info)))
		return 0;
	return info.recursion_misses;
}

int skbd_monitor__stats(struct skbd_monitor *mon, struct skbd_monitor_stats *st)
{
	__u64 v[SKBD_STAT_MAX] = { 0 };
	struct skbd_perfbuf_stats ts = { 0 };
	int fd, err;

	memset(st, 0, sizeof(*st));
	if (!mon->obj)
		return -EINVAL;
	fd = map_fd(mon, SKBD_MAP_STATS);
	if (fd < 0)
		return fd;
	for (__u32 k = 0; k < SKBD_STAT_MAX; k++) {
		err = read_percpu(mon, fd, &k, &v[k]);
		if (err)
			return err;
	}
	st->seen = v[SKBD_STAT_SEEN];
	st->filtered = v[SKBD_STAT_FILTERED];
	st->output_fail = v[SKBD_STAT_OUTPUT_FAIL];
	st->emitted = v[SKBD_STAT_EMITTED];
	st->stack_fail = v[SKBD_STAT_STACK_FAIL];
	st->rate_limited = v[SKBD_STAT_RATE_LIMITED];
	st->agg_other = v[SKBD_STAT_AGG_OTHER];
	for (__u32 k = 0; k < SKBD_BENIGN_RULES; k++)
		st->benign[k] = v[SKBD_STAT_BENIGN + k];
	st->misses = prog_misses(mon);
	if (mon->rb)
		skbd_ringbuf__stats(mon->rb, &ts);
	else if (mon->pb)
		skbd_perfbuf__stats(mon->pb, &ts);
	st->ring_lost = ts.lost;
	st->wakeups = ts.wakeups;
	st->polls = ts.polls;
	st->samples = ts.samples;
	return 0;
}

static int grow_keys(struct skbd_monitor *mon)
{
	size_t ncap = mon->cap_keys ? mon->cap_keys * 2 : 256;
	struct skbd_drop_key *nk = realloc(mon->keys, ncap * sizeof(*nk));
	__u64 *nt;

	if (!nk)
		return -ENOMEM;
	mon->keys = nk;
	nt = realloc(mon->totals, ncap * sizeof(*nt));
	if (!nt)
		return -ENOMEM;
	mon->totals = nt;
	mon->cap_keys = ncap;
	return 0;
}

/* The owners map holds the set: new inodes added, those no longer given
 * deleted (a sorted copy of the last set finds them). */
static int cmp_ino(const void *a, const void *b)
{
	__u64 x = *(const __u64 *)a, y = *(const __u64 *)b;

	return x < y ? -1 : x > y;
}

int skbd_monitor__benign_functions(struct skbd_monitor *mon, const struct skbd_benign_loc *locs, size_t n)
{
	struct skbd_benign_locs b = { .n = 0 };
	int fd = mon->obj ? map_fd(mon, SKBD_MAP_BENIGN_LOCS) : -EINVAL;
	__u32 zero = 0;

	if (fd < 0)
		return fd;
	for (size_t i = 0; i < n && b.n < SKBD_BENIGN_LOCS; i++) {
		b.start[b.n] = locs[i].start;
		b.end[b.n] = locs[i].end;
		b.rule[b.n++] = locs[i].rule;
	}
	return skbd_bpf_map_update_elem(mon->opts.sys, fd, &zero, &b, BPF_ANY);
}

int skbd_monitor__owner_sockets(struct skbd_monitor *mon, const __u64 *inos, size_t n)
{
	const struct skbd_sys *sys = mon->opts.sys;
	int fd = mon->obj ? map_fd(mon, SKBD_MAP_OWNERS) : -EINVAL, err = 0;
	__u64 *set;
	__u8 one = 1;

	if (fd < 0)
		return fd;
	if (n > SKBD_OWNERS_MAX)
		return -E2BIG;
	set = malloc((n ? n : 1) * sizeof(*set));
	if (!set)
		return -ENOMEM;
	memcpy(set, inos, n * sizeof(*set));
	qsort(set, n, sizeof(*set), cmp_ino);
	for (size_t i = 0; i < mon->nr_owner_set; i++) {
		if (bsearch(&mon->owner_set[i], set, n, sizeof(*set), cmp_ino))
			continue;
		err = skbd_bpf_map_delete_elem(sys, fd, &mon->owner_set[i]);
		if (err && err != -ENOENT)
			goto out;
	}
	for (size_t i = 0; i < n; i++) {
		if (mon->owner_set && bsearch(&set[i], mon->owner_set, mon->nr_owner_set, sizeof(*set), cmp_ino))
			continue;
		err = skbd_bpf_map_update_elem(sys, fd, &set[i], &one, BPF_ANY);
		if (err)
			goto out;
	}
	free(mon->owner_set);
	mon->owner_set = set;
	mon->nr_owner_set = n;
	return 0;
out:
	set_err(mon, "updating the owner's sockets: %s", strerror(-err));
	free(set);
	return err;
}

static size_t key_hash(const struct skbd_drop_key *key)
{
	__u64 w[sizeof(*key) / 8], h = 0;

	memcpy(w, key, sizeof(w));
	for (size_t i = 0; i < sizeof(w) / 8; i++)
		h = (h ^ w[i]) * 0x9e3779b97f4a7c15ULL;
	return (size_t)(h >> 32 ^ h);
}

/* The key's place in key_index: where it is, or the empty entry where it
 * goes. The index is never full (twice the keys it may hold). */
static __u32 *key_place(struct skbd_monitor *mon, const struct skbd_drop_key *key)
{
	size_t mask = mon->key_index_cap - 1, i = key_hash(key) & mask;

	while (mon->key_index[i] && memcmp(&mon->keys[mon->key_index[i] - 1], key, sizeof(*key)))
		i = (i + 1) & mask;
	return &mon->key_index[i];
}

/* Add the aggcache slots' counts to the keys read from the agg map. The
 * slots are read twice: a slot is taken once for good (its key written, then
 * its count made non-zero), so a key the second copy shows the same is
 * whole; a slot seen while taken counts from the next read on. Counts only
 * grow: what a read adds never goes down in a later one. A key can be in the
 * agg map and in the slots of several CPUs: one row, found by a hash index
 * (with 4096 keys and 64 CPUs' 16,384 slots, comparing every slot with every
 * key would take 67 million comparisons per read). */
static int add_cached_keys(struct skbd_monitor *mon)
{
	const struct skbd_agg_slot *a = mon->agg_copy[0], *b = mon->agg_copy[1];
	size_t want = 16;

	if (!mon->aggcache)
		return 0;
	while (want < 2 * (mon->nr_keys + mon->aggcache_slots))
		want *= 2;
	if (want > mon->key_index_cap) {
		__u32 *ni = realloc(mon->key_index, want * sizeof(*ni));

		if (!ni)
			return -ENOMEM;
		mon->key_index = ni;
		mon->key_index_cap = want;
	}
	memset(mon->key_index, 0, mon->key_index_cap * sizeof(*mon->key_index));
	for (size_t k = 0; k < mon->nr_keys; k++)
		*key_place(mon, &mon->keys[k]) = (__u32)(k + 1); /* the agg map's keys are distinct */
	memcpy(mon->agg_copy[0], mon->aggcache, mon->aggcache_slots * sizeof(*a));
	__sync_synchronize();
	memcpy(mon->agg_copy[1], mon->aggcache, mon->aggcache_slots * sizeof(*b));
	for (size_t i = 0; i < mon->aggcache_slots; i++) {
		struct skbd_drop_key key;
		__u32 *at;
		size_t k;

		if (!a[i].count || memcmp(&a[i].key, &b[i].key, sizeof(a[i].key)))
			continue;
		memcpy(&key, &a[i].key, sizeof(key));
		at = key_place(mon, &key);
		if (*at) {
			k = *at - 1;
		} else {
			int err = mon->nr_keys == mon->cap_keys ? grow_keys(mon) : 0;

			if (err)
				return err;
			k = mon->nr_keys++;
			mon->keys[k] = key;
			mon->totals[k] = 0;
			*at = (__u32)(k + 1);
		}
		mon->totals[k] += a[i].count;
	}
	return 0;
}

int skbd_monitor__read_keys(struct skbd_monitor *mon, const struct skbd_drop_key **keys, const __u64 **totals,
			    size_t *n)
{
	/* zeroed: the kernel writes only the map's key size, a prefix */
	struct skbd_agg_key key = { 0 }, next = { 0 };
	const void *prev = NULL;
	int fd = mon->obj ? map_fd(mon, SKBD_MAP_AGG) : -EINVAL, err;

	if (fd < 0)
		return fd;
	mon->nr_keys = 0;
	/* entries are never deleted, so the walk cannot lose its place; a
	 * bounded walk all the same: a key table of its max size, twice */
	for (size_t steps = 0; steps <= 2 * SKBD_AGG_MAX; steps++) {
		__u64 sum;

		err = skbd_bpf_map_get_next_key(mon->opts.sys, fd, prev, &next);
		if (err)
			break;
		if (mon->nr_keys == mon->cap_keys && (err = grow_keys(mon)))
			return err;
		key = next;
		prev = &key;
		if (read_percpu(mon, fd, &key, &sum))
			continue; /* gone meanwhile: not expected */
		memcpy(&mon->keys[mon->nr_keys], &key, sizeof(key));
		mon->totals[mon->nr_keys++] = sum;
	}
	if (err != -ENOENT)
		return err ? err : -E2BIG;
	err = add_cached_keys(mon);
	if (err)
		return err;
	*keys = mon->keys;
	*totals = mon->totals;
	*n = mon->nr_keys;
	return 0;
}

int skbd_monitor__stack(struct skbd_monitor *mon, __s32 id, __u64 *ips, size_t max)
{
	__u64 buf[SKBD_STACK_DEPTH];
	__u32 key = (__u32)id;
	int fd = mon->obj ? map_fd(mon, SKBD_MAP_STACKS) : -ENOENT, err;
	size_t n = 0;

	if (id < 0 || fd < 0 || !mon->cfg.stack || key >= mon->cfg.stack_ids)
		return -ENOENT;
	err = skbd_bpf_map_lookup_elem(mon->opts.sys, fd, &key, buf);
	if (err)
		return err;
	while (n < SKBD_STACK_DEPTH && n < max && buf[n]) {
		ips[n] = buf[n];
		n++;
	}
	return (int)n;
}
