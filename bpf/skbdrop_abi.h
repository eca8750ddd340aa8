/* SPDX-License-Identifier: GPL-2.0-only */
/* The one contract between the BPF program and user space: the event record,
 * the map-definition struct, map names and statistics slots. Fixed-width
 * fields with explicit padding only; user space asserts the sizes. */
#ifndef SKBDROP_ABI_H
#define SKBDROP_ABI_H

#include <linux/types.h>

/* Legacy "maps" section entry, read by our own ELF loader (not libbpf's). */
struct skbd_map_def {
	__u32 type;
	__u32 key_size;
	__u32 value_size;
	__u32 max_entries; /* 0 for the perf event array: the loader sets it */
	__u32 map_flags;
};

#define SKBD_MAP_EVENTS "events"   /* PERF_EVENT_ARRAY, one perf ring per CPU */
#define SKBD_MAP_CONFIG "config"   /* ARRAY[1] of struct skbd_config; programs only read it (BPF_F_RDONLY_PROG),
				    * frozen before they load: the verifier knows its values */
#define SKBD_MAP_HOOKLOC "hookloc" /* ARRAY[1] of __u64: the listen-overflow hook's location (tcp_conn_request's
				    * address), set once kallsyms is read, after the programs load */
#define SKBD_MAP_REASONS "reasons" /* ARRAY[SKBD_REASON_SLOTS] of __u32 verdict */
#define SKBD_MAP_SUBREASONS "subreasons" /* HASH __u32 code -> __u32 verdict: codes past the slots */
#define SKBD_SUBREASONS_MAX 1024
#define SKBD_MAP_STATS "stats"     /* PERCPU_ARRAY[SKBD_STAT_MAX] of __u64 */
#define SKBD_MAP_RINGBUF "ringbuf" /* RINGBUF (5.8+), size set by the loader */
#define SKBD_MAP_DEVICES "devices" /* HASH struct skbd_dev_key -> __u32 (1): -i / --exclude-device */
#define SKBD_MAP_RATE "rate"       /* PERCPU_ARRAY[1] of struct skbd_rate: --max-rate state */

#define SKBD_MAP_OWNERS "owners" /* HASH __u64 socket inode -> __u8: --owner PID's sockets */
#define SKBD_OWNERS_MAX 65536
#define SKBD_MAP_AGG "agg"         /* PERCPU_HASH struct skbd_agg_key -> __u64: --summary counts */

#define SKBD_DEVICES_MAX 256
#define SKBD_AGG_MAX 4096          /* --summary keys; more are counted in SKBD_STAT_AGG_OTHER */

/* --summary: which fields make a row (config.agg_fields); unselected fields are 0 in the key. */
#define SKBD_AGG_REASON 0x1
#define SKBD_AGG_LOCATION 0x2
#define SKBD_AGG_DEV 0x4   /* ifindex (with netns: a device is only named within its namespace) */
#define SKBD_AGG_NETNS 0x8
#define SKBD_AGG_COMM 0x10
#define SKBD_AGG_OWNER 0x20     /* the socket's inode */
#define SKBD_AGG_CONTAINER 0x40 /* the socket's cgroup */

struct skbd_agg_key {
	__u64 location;
	__u32 reason;
	__u32 ifindex;
	__u32 netns;
	__u32 pad;
	char comm[16];
	__u64 sk_ino;       /* SKBD_AGG_OWNER: the socket's inode (0: none) */
	__u64 sk_cgroup_id; /* SKBD_AGG_CONTAINER: the socket's cgroup (0: none) */
};

/* In front of the agg map, per CPU: SKBD_AGGCACHE_SLOTS slots, each taken
 * for good by the first key that hashes there (count 0: free) and counted
 * in place by that CPU alone; a key whose slot is another's goes to the agg
 * map. The reader maps the array (BPF_F_MMAPABLE) and adds both. Slot of
 * CPU c, hash h: c * SKBD_AGGCACHE_SLOTS + h. */
#define SKBD_MAP_AGGCACHE "aggcache" /* ARRAY, mmapable, CPUs x SKBD_AGGCACHE_SLOTS of struct skbd_agg_slot */
#define SKBD_AGGCACHE_SLOTS 256
struct skbd_agg_slot {
	struct skbd_agg_key key;
	__u64 count; /* written last when the slot is taken (an atomic add: the key is visible first) */
};

struct skbd_dev_key {
	__u32 netns;   /* inode */
	__u32 ifindex;
};

/* --max-rate: events written in the current one-second window, per CPU */
struct skbd_rate {
	__u64 window_start_ns;
	__u64 count;
};

/* Streaming through the perf rings, records are gathered per CPU and written
 * several to a perf sample: one perf output costs several times what making
 * the record does. Element CPU of the batch map (an ARRAY of possible CPUs,
 * BPF_F_MMAPABLE) is that CPU's batch. The tracepoint program makes its record
 * in place, in slot count, and writes the batch (count * config.stride bytes,
 * one sample) once count reaches limit. The reader, which maps the array, has
 * the flush program run on a CPU whose batch holds records (BPF_PROG_TEST_RUN
 * with BPF_F_TEST_RUN_ON_CPU, 5.10+) at every poll and before it stops.
 * owner keeps the two apart on one CPU: the flush runs in an interrupt when
 * asked for another CPU, and lets a batch be while the tracepoint program is
 * in it (it answers 1: ask again); asked for its own CPU it runs in process
 * context, where a softirq may run the tracepoint program inside it, which
 * then makes its record in slot count (past what the flush writes) and
 * writes it alone. A sample holds size / stride records (one when shorter
 * than stride). SKBD_BATCH_MAX is a power of two. */
#define SKBD_MAP_BATCH "batch"
#define SKBD_PROG_FLUSH "skbd_flush"
#define SKBD_BATCH_MAX 16
#define SKBD_BATCH_BYTES 8192 /* a power of two past SKBD_BATCH_MAX * SKBD_EVENT_MAX: offsets are masked with it */
#define SKBD_EVENT_MAX (SKBD_EVENT_HDR + SKBD_SNAPLEN_MAX)
enum skbd_batch_owner {
	SKBD_BATCH_FREE = 0,
	SKBD_BATCH_TP = 1,    /* the tracepoint program is making a record in it (a bit: inside a flush, 3) */
	SKBD_BATCH_FLUSH = 2, /* the flush program is writing it */
};
struct skbd_batch_head {
	__u32 owner; /* enum skbd_batch_owner */
	__u32 count; /* records held */
	__u32 limit; /* the reader's, before attach: write at this many (0, 1: every record) */
	__u32 pad;
};

/* Programs: one per transport; the loader loads only the one in use. */
#define SKBD_PROG_PERF "skbd_kfree_skb"
#define SKBD_PROG_RINGBUF "skbd_kfree_rb"
#define SKBD_PROG_HOOK_PERF "skbd_listen_overflow"    /* fentry/tcp_conn_request: where trampolines exist */
#define SKBD_PROG_HOOK_RINGBUF "skbd_listen_overflow_rb"
#define SKBD_HOOK_FUNC "tcp_conn_request"

/* Name of the struct the program uses for the tracepoint record. Its field
 * offsets are placeholders: the loader rewrites every access from the running
 * kernel's tracefs format file (see README, "Design"). */
#define SKBD_TP_STRUCT "skbd_tp_kfree_skb"
/* 7.x: qdisc:qdisc_drop names the specific qdisc reason of a drop that
 * reaches kfree_skb as plain QDISC_DROP; its record, laid out from its format */
#define SKBD_TP_QDISC_STRUCT "skbd_tp_qdisc_drop"
#define SKBD_PROG_QDISC "skbd_qdisc_drop"
#define SKBD_MAP_QDISC_REASONS "qdisc_reasons" /* LRU_HASH skbaddr -> reason */

/* Reasons below this have a slot in the reasons map; larger codes (subsystem
 * reasons, 6.4+, upper 16 bits set) take config.reason_default. */
#define SKBD_REASON_SLOTS 1024

/* Zero (an untouched slot) means report. */
enum skbd_verdict {
	SKBD_VERDICT_REPORT = 0,
	SKBD_VERDICT_SKIP = 1,
	SKBD_VERDICT_BENIGN = 16, /* + rule: a benign free (counted per rule; reported only with SKBD_CFG_ALL) */
};

#define SKBD_BENIGN_RULES 8
#define SKBD_BENIGN_LOCS 8
#define SKBD_MAP_BENIGN_LOCS "benign_locs" /* ARRAY[1] of struct skbd_benign_locs */

/* Benign frees by where they happen: [start, end) of kernel text -> rule */
struct skbd_benign_locs {
	__u64 start[SKBD_BENIGN_LOCS];
	__u64 end[SKBD_BENIGN_LOCS];
	__u32 rule[SKBD_BENIGN_LOCS];
	__u32 n;
	__u32 pad;
};

/* When the ring buffer program wakes the reader (the perf rings take their
 * policy from perf_event_attr instead). */
enum skbd_rb_wakeup {
	SKBD_RB_WAKEUP_ADAPTIVE = 0, /* the kernel's default: when the reader caught up */
	SKBD_RB_WAKEUP_BYTES = 1,    /* when at least wakeup_arg bytes are pending */
	SKBD_RB_WAKEUP_EVENTS = 2,   /* every wakeup_arg records (per CPU) */
	SKBD_RB_WAKEUP_NONE = 3,     /* never: the reader polls on a timer */
};

#define SKBD_DEV_INLINE 8 /* -i / --exclude-device lists this short are kept in the config */

struct skbd_config {
	__u32 filter_tgid;    /* 0: any process */
	__u32 reason_default; /* enum skbd_verdict for reasons without a slot */
	__u32 flags;          /* SKBD_CFG_* */
	__u32 rb_wakeup;      /* enum skbd_rb_wakeup */
	__u64 rb_wakeup_arg;
	__u32 snaplen;        /* packet bytes to copy, 0..SKBD_SNAPLEN_MAX */
	__u32 filter_netns;   /* 0: any namespace; else only drops in the netns with this inode */
	__u32 dev_mode;       /* enum skbd_dev_mode */
	__u32 qdisc_generic;  /* 7.x: QDISC_DROP's code, whose specific reason qdisc:qdisc_drop gave; 0: none */
	__u64 max_rate;       /* 0: unlimited; else events per second per CPU */
	__u32 agg_fields;     /* SKBD_AGG_*: with SKBD_CFG_SUMMARY or SKBD_CFG_COUNT, the key fields */
	__u32 hook_reason;    /* the reason the listen-overflow hook reports (TCP_LISTEN_OVERFLOW) */
	__u32 nr_dev_keys;    /* dev_mode with at most SKBD_DEV_INLINE devices: they are here, 0: in the devices map */
	__u64 dev_keys[SKBD_DEV_INLINE]; /* netns << 32 | ifindex: compared in place, cheaper than a hash lookup */
	__u32 stride;         /* a batch's slot: SKBD_EVENT_HDR + snaplen rounded up to 8 (see struct skbd_batch) */
	__u32 pad2;
};

enum skbd_dev_mode {
	SKBD_DEV_ANY = 0,
	SKBD_DEV_ONLY = 1,   /* only drops on a device in the devices map */
	SKBD_DEV_EXCEPT = 2, /* not those */
};


#define SKBD_CFG_STACK 0x1  /* record the kernel stack */
#define SKBD_CFG_FILTER 0x2 /* run the packet filter (the loader provides its body) */
#define SKBD_CFG_SUMMARY 0x4 /* count in the agg map instead of writing records */
#define SKBD_CFG_OWNER 0x8   /* only drops whose socket inode is in the owners map */
#define SKBD_CFG_ALL 0x10    /* report benign frees too (--all) */
#define SKBD_CFG_COUNT 0x20  /* streaming: also count in the agg map (--metrics) */
#define SKBD_CFG_AGGCACHE 0x40 /* count in the aggcache slots first (the reader maps them) */

/* The subprogram whose body the loader replaces with the packet filter. */
#define SKBD_FILTER_FUNC "skbd_filter"
/* Placeholder calls the loader rewrites (skbd_obj__set_inline): a call of
 * helper number SKBD_INLINE_CALL + slot; a slot not given: "r0 = 0". */
#define SKBD_INLINE_CALL 0x7ffe0000u
#define SKBD_INLINE_MAX 16
enum skbd_inline_slot {
	/* r0 = 1 where the casts are given (the kernel has bpf_rdonly_cast, 6.2+):
	 * kernel memory is read with plain guarded loads, not bpf_probe_read_kernel */
	SKBD_IN_DIRECT = 0,
	/* r0 = 1 where SKBD_IN_CAST_MEM is given (6.17+: a cast to void) */
	SKBD_IN_PKT_DIRECT = 1,
	/* the casts: r1 = an address, "r2 = slot" before the call (the loader
	 * makes it the type's BTF id); r0 = the address as an untrusted BTF
	 * pointer to the kernel's struct */
	SKBD_IN_CAST_SKB = 2,	 /* struct sk_buff */
	SKBD_IN_CAST_SOCK = 3,	 /* struct sock */
	SKBD_IN_CAST_REQ = 4,	 /* struct request_sock */
	SKBD_IN_CAST_TCP = 5,	 /* struct tcp_sock */
	SKBD_IN_CAST_SOCKET = 6, /* struct socket_alloc */
	SKBD_IN_CAST_TASK = 7,	 /* struct task_struct (the current task's comm) */
	SKBD_IN_CAST_MEM = 8,	 /* untrusted read-only memory, any offset (the packet) */
};

enum skbd_stat {
	SKBD_STAT_SEEN = 0,        /* program runs */
	SKBD_STAT_FILTERED = 1,    /* discarded by pid/reason filters */
	SKBD_STAT_OUTPUT_FAIL = 2, /* perf/ring buffer output failed (ring full) */
	SKBD_STAT_EMITTED = 3,     /* records written to the ring */
	SKBD_STAT_STACK_FAIL = 4,  /* bpf_get_stackid() failed (collision: -EEXIST) */
	SKBD_STAT_RATE_LIMITED = 5, /* matched, but over --max-rate */
	SKBD_STAT_AGG_OTHER = 6,   /* --summary: counted, but the agg map was full */
	SKBD_STAT_BENIGN = 7,      /* + rule: benign frees that passed the filters */
	SKBD_STAT_MAX = 7 + SKBD_BENIGN_RULES,
};

#define SKBD_EV_HAS_REASON 0x1
#define SKBD_EV_HAS_CTX 0x2   /* len/ifindex/netns were read (kernel BTF known) */
#define SKBD_EV_HAS_MAC 0x4   /* data[] starts at the MAC header (else at the network header) */
#define SKBD_EV_HAS_STACK 0x8 /* stack_id is meaningful (--stack) */
#define SKBD_EV_HAS_CGROUP 0x10 /* cgroup_id was read */
#define SKBD_EV_HAS_OWNER 0x20 /* the sk_* owner fields are set */
#define SKBD_EV_BENIGN 0x40    /* a benign free (with SKBD_CFG_ALL): its rule in benign_rule */
#define SKBD_EV_HOOK 0x80      /* reported by the listen-overflow hook (fentry), not the tracepoint */

#define SKBD_SNAPLEN_DEFAULT 128
#define SKBD_SNAPLEN_MAX 256
#define SKBD_OFF_NONE 0xffff  /* net_off/trans_off: header not set or not captured */
#define SKBD_SK_NONE 0xff     /* sk_state: the skb has no socket */

/* Stack-trace map: kernel stacks of up to this many frames. */
#define SKBD_MAP_STACKS "stacks" /* STACK_TRACE, entries set by the loader */
#define SKBD_STACK_DEPTH 64

/* One drop: a fixed 96-byte header and caplen bytes of packet. The record
 * written to the ring is SKBD_EVENT_HDR + caplen bytes long. */
struct skbd_event {
	__u64 ts_ns;    /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 skbaddr;
	__u64 location; /* kernel text address that dropped the skb */
	__u32 pid;      /* tgid */
	__u32 tid;
	__u32 reason;   /* raw enum skb_drop_reason; 0 when the kernel has none */
	__u32 cpu;
	__u16 protocol; /* ethertype, host byte order (the tracepoint ntohs()es it) */
	__u16 flags;    /* SKBD_EV_* */
	__s32 stack_id; /* id in the stacks map, or -errno (SKBD_EV_HAS_STACK) */
	char comm[16];
	/* packet context, from struct sk_buff/net_device at offsets taken from
	 * the running kernel's BTF (SKBD_EV_HAS_CTX) */
	__u32 len;      /* skb->len */
	__u32 ifindex;  /* skb->dev->ifindex; 0 without a device */
	__u32 netns;    /* inode of the device's (else the socket's) netns; 0 unknown */
	__u16 caplen;   /* bytes of packet in data[] (linear part only) */
	__u16 net_off;  /* offset of the network header in data[], or SKBD_OFF_NONE */
	__u64 cgroup_id; /* cgroup v2 id of the current task (SKBD_EV_HAS_CGROUP) */
	__u16 trans_off; /* offset of the transport header in data[], or SKBD_OFF_NONE */
	__u8 sk_state;  /* the socket's state (TCP_ESTABLISHED = 1, ...) or SKBD_SK_NONE */
	__u8 pad;
	__u32 pkt_len;  /* bytes of the whole packet from data[0] on (linear and paged); 0 if not captured */
	/* the socket the packet belonged to (SKBD_EV_HAS_OWNER): the tracepoint's
	 * rx_sk (6.11+), else skb->sk; a request socket's listener; never a
	 * timewait socket. Each part is 0 when the kernel lacks its field. */
	__u64 sk_ino;        /* inode of the socket (socket:[N]); 0: no struct socket (orphaned) */
	__u64 sk_cgroup_id;  /* cgroup v2 id of the socket (SKBD_SKF_CGROUP) */
	__u32 sk_uid;        /* sk_uid (SKBD_SKF_UID) */
	__u32 sk_netns;      /* inode of the socket's netns */
	__u32 sk_rmem;       /* receive queue bytes (sk_rmem_alloc) (SKBD_SKF_QUEUE) */
	__u32 sk_rcvbuf;
	__u32 sk_ack_backlog; /* accept queue (SKBD_SKF_LISTEN: a listener) */
	__u32 sk_max_ack_backlog;
	__u32 tcp_rcv_wnd;   /* SKBD_SKF_TCPWIN: a TCP socket's windows, bytes */
	__u32 tcp_snd_wnd;
	__u16 sk_lport;      /* local port (skc_num), host order */
	__u8 sk_src;         /* enum skbd_sk_src */
	__u8 sk_proto;       /* sk_protocol (IPPROTO_*) */
	__u8 tcp_wscale;     /* SKBD_SKF_WSCALE: snd_wscale << 4 | rcv_wscale */
	__u8 sk_flags;       /* SKBD_SKF_* */
	__u8 benign_rule;    /* SKBD_EV_BENIGN: the rule */
	__u8 pad3;
	/* the netns's cookie (net_cookie: unique for the boot, unlike the inode,
	 * which a new namespace may get as soon as the old one is gone); 0
	 * unknown (before 5.14 it is made only when asked for) */
	__u64 netns_cookie;
	__u8 data[SKBD_SNAPLEN_MAX];
};

#define SKBD_EVENT_HDR 160u /* offsetof(struct skbd_event, data) */

struct skbd_batch {
	struct skbd_batch_head head;
	/* SKBD_BATCH_MAX slots config.stride bytes apart; room for a record past
	 * any offset below SKBD_BATCH_BYTES, as the verifier sees them */
	__u8 data[SKBD_BATCH_BYTES + SKBD_EVENT_MAX];
};

enum skbd_sk_src {
	SKBD_SKSRC_NONE = 0,
	SKBD_SKSRC_RX_SK = 1,    /* the tracepoint's rx_sk (6.11+) */
	SKBD_SKSRC_SKB_SK = 2,   /* skb->sk */
	SKBD_SKSRC_HOOK = 4,     /* the listener the listen-overflow hook was called with */
};

#define SKBD_SKF_UID 0x1
#define SKBD_SKF_CGROUP 0x2
#define SKBD_SKF_QUEUE 0x4   /* sk_rmem, sk_rcvbuf */
#define SKBD_SKF_LISTEN 0x8  /* the socket listens: sk_ack_backlog, sk_max_ack_backlog */
#define SKBD_SKF_TCPWIN 0x10 /* tcp_rcv_wnd, tcp_snd_wnd */
#define SKBD_SKF_WSCALE 0x20 /* tcp_wscale (window scaling agreed) */
#define SKBD_SKF_REQ 0x40    /* the skb's socket was a request socket: this is its listener */

#endif
