// SPDX-License-Identifier: GPL-2.0-only
/* skb:kfree_skb tracepoint program: filter by pid and reason in the kernel,
 * then write one struct skbd_event (header + packet slice) per drop to the
 * CPU's perf ring or the BPF ring buffer. */
#include <linux/bpf.h>
#include "skbdrop_abi.h"

#define SEC(name) __attribute__((section(name), used))

/* Helpers by number: no libbpf headers. */
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_map_update_elem)(void *map, const void *key, const void *value, __u64 flags) =
	(void *)BPF_FUNC_map_update_elem;
static __u64 (*bpf_ktime_get_ns)(void) = (void *)BPF_FUNC_ktime_get_ns;
static __u32 (*bpf_get_smp_processor_id)(void) = (void *)BPF_FUNC_get_smp_processor_id;
static __u64 (*bpf_get_current_pid_tgid)(void) = (void *)BPF_FUNC_get_current_pid_tgid;
static long (*bpf_get_current_comm)(void *buf, __u32 size) = (void *)BPF_FUNC_get_current_comm;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data,
				     __u64 size) = (void *)BPF_FUNC_perf_event_output;
static long (*bpf_ringbuf_output)(void *map, void *data, __u64 size, __u64 flags) = (void *)BPF_FUNC_ringbuf_output;
static __u64 (*bpf_ringbuf_query)(void *map, __u64 flags) = (void *)BPF_FUNC_ringbuf_query;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)BPF_FUNC_probe_read_kernel;
static long (*bpf_get_stackid)(void *ctx, void *map, __u64 flags) = (void *)BPF_FUNC_get_stackid;
static __u64 (*bpf_get_current_cgroup_id)(void) = (void *)BPF_FUNC_get_current_cgroup_id;

/* The tracepoint record. The offsets clang computes here are placeholders:
 * every access carries a CO-RE field relocation (preserve_access_index) that
 * the loader resolves by field name against the running kernel's tracefs
 * format (5.10: no reason; 6.11+: rx_sk inserted, protocol and reason move). */
struct skbd_tp_kfree_skb {
	__u8 placeholder_pad[1024]; /* never read: makes the compiled (placeholder)
				       offsets unlike any real one, so an access
				       left unrelocated would fail, not read a
				       plausible field */
	__u64 skbaddr;
	__u64 location;
	__u64 rx_sk;
	__u16 protocol;
	__u32 reason;
} __attribute__((preserve_access_index));

/* Kernel structs, laid out by the loader from the running kernel's BTF (the
 * "___skbd" flavor suffix is ignored when looking the name up). Only the
 * fields named here are used; their offsets here are placeholders. */
struct ns_common___skbd {
	unsigned int inum;
} __attribute__((preserve_access_index));

struct net___skbd {
	struct ns_common___skbd ns;
} __attribute__((preserve_access_index));

struct possible_net_t___skbd {
	struct net___skbd *net;
} __attribute__((preserve_access_index));

struct net_device___skbd {
	int ifindex;
	struct possible_net_t___skbd nd_net;
} __attribute__((preserve_access_index));

struct sock_common___skbd {
	struct possible_net_t___skbd skc_net;
	unsigned char skc_state;
} __attribute__((preserve_access_index));

struct sock___skbd {
	struct sock_common___skbd __sk_common;
} __attribute__((preserve_access_index));

/* head + the header offsets locate the linear packet data; on 64-bit
 * kernels tail is an offset from head too (sk_buff_data_t is unsigned int) */
struct sk_buff___skbd {
	struct net_device___skbd *dev;
	struct sock___skbd *sk;
	unsigned int len;
	unsigned char *head;
	unsigned char *data;
	unsigned int tail;
	__u16 mac_header;
	__u16 network_header;
	__u16 transport_header;
} __attribute__((preserve_access_index));

#define FIELD_BYTE_SIZE 1 /* enum bpf_field_info_kind BPF_FIELD_BYTE_SIZE */
#define FIELD_EXISTS 2    /* enum bpf_field_info_kind BPF_FIELD_EXISTS */

struct skbd_map_def SEC("maps") events = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 0,
};

struct skbd_map_def SEC("maps") config = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_config),
	.max_entries = 1,
};

struct skbd_map_def SEC("maps") reasons = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = SKBD_REASON_SLOTS,
};

struct skbd_map_def SEC("maps") ringbuf = {
	.type = BPF_MAP_TYPE_RINGBUF,
	.key_size = 0,
	.value_size = 0,
	.max_entries = 0, /* set by the loader: a power-of-two multiple of the page size */
};

struct skbd_map_def SEC("maps") devices = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(struct skbd_dev_key),
	.value_size = sizeof(__u32),
	.max_entries = SKBD_DEVICES_MAX,
};

struct skbd_map_def SEC("maps") rate = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_rate),
	.max_entries = 1,
};

/* --summary: counts per key, per CPU (exact without atomics) */
struct skbd_map_def SEC("maps") agg = {
	.type = BPF_MAP_TYPE_PERCPU_HASH,
	.key_size = sizeof(struct skbd_agg_key),
	.value_size = sizeof(__u64),
	.max_entries = SKBD_AGG_MAX,
};

/* Kernel stacks for --stack; the loader sizes it (1 entry without --stack). */
struct skbd_map_def SEC("maps") stacks = {
	.type = BPF_MAP_TYPE_STACK_TRACE,
	.key_size = sizeof(__u32),
	.value_size = SKBD_STACK_DEPTH * sizeof(__u64),
	.max_entries = 1,
};

/* One event under construction per CPU: too large for the BPF stack with
 * the packet slice, and map memory needs no zeroing for the verifier. */
struct skbd_map_def SEC("maps") scratch = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_event),
	.max_entries = 1,
};

struct skbd_map_def SEC("maps") stats = {
	.type = BPF_MAP_TYPE_PERCPU_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = SKBD_STAT_MAX,
};

static __attribute__((always_inline)) void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		*v += 1; /* per-CPU slot: no atomics needed */
}

/* Kernel memory is read in one of two ways. Where the kernel has the
 * bpf_rdonly_cast kfunc (6.2+), the loader gives skbd_btf_skb/skbd_btf_sock a
 * body that casts the address to a BTF-typed (untrusted) pointer: each field is
 * then one plain load the kernel guards against faults (a fault reads 0). Else
 * they return 0 and every field costs a bpf_probe_read_kernel call (which also
 * reads 0 on a fault). The reading code is written once, for both: DIRECT is a
 * constant in each inlined copy. */
#define RD(direct, dst, src)                                                   \
	do {                                                                   \
		if (direct)                                                    \
			(dst) = (src);                                         \
		else                                                           \
			bpf_probe_read_kernel(&(dst), sizeof(dst), &(src));    \
	} while (0)

static __attribute__((noinline)) struct sk_buff___skbd *skbd_btf_skb(__u64 addr)
{
	__u64 p = 0;

	asm volatile("" : "+r"(p) : "r"(addr) : "memory");
	return (struct sk_buff___skbd *)p;
}

static __attribute__((noinline)) struct sock___skbd *skbd_btf_sock(__u64 addr)
{
	__u64 p = 0;

	asm volatile("" : "+r"(p) : "r"(addr) : "memory");
	return (struct sock___skbd *)p;
}

/* Copy up to snaplen bytes of the linear data, from the MAC header when one
 * is set just before the network header, else from the network header. */
static __attribute__((always_inline)) void read_packet(struct sk_buff___skbd *skb, struct skbd_event *ev,
							__u64 snaplen, int direct)
{
	__u16 mac = 0xffff, nh = 0, th = 0xffff;
	unsigned char *head = 0, *data = 0;
	__u32 tail = 0, start;
	__u64 n;

	if (!__builtin_preserve_field_info(skb->head, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(skb->tail, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(skb->network_header, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(skb->mac_header, FIELD_EXISTS) ||
	    __builtin_preserve_field_info(skb->tail, FIELD_BYTE_SIZE) != 4 ||
	    __builtin_preserve_field_info(skb->network_header, FIELD_BYTE_SIZE) != 2 ||
	    __builtin_preserve_field_info(skb->mac_header, FIELD_BYTE_SIZE) != 2)
		return;
	RD(direct, head, skb->head);
	RD(direct, tail, skb->tail);
	RD(direct, nh, skb->network_header);
	RD(direct, mac, skb->mac_header);
	if (__builtin_preserve_field_info(skb->transport_header, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(skb->transport_header, FIELD_BYTE_SIZE) == 2)
		RD(direct, th, skb->transport_header);
	if (!head || !nh) /* 0: the network header was never set */
		return;
	start = nh;
	if (mac != 0xffff && mac < nh && nh - mac <= 32) {
		start = mac;
		ev->flags |= SKBD_EV_HAS_MAC;
	}
	if (tail <= start)
		return;
	/* 64-bit arithmetic and one register from clamp to call: the verifier
	 * must see 0 <= n <= SKBD_SNAPLEN_MAX at the helper */
	n = (__u64)tail - (__u64)start;
	if (n > snaplen)
		n = snaplen;
	asm volatile("" : "+r"(n));
	if (n > SKBD_SNAPLEN_MAX)
		n = SKBD_SNAPLEN_MAX;
	asm volatile("" : "+r"(n));
	n &= 0x1ff;
	if (bpf_probe_read_kernel(ev->data, n, head + start) < 0)
		return;
	ev->caplen = (__u16)n;
	/* the whole packet's length from start: skb->len counts from skb->data */
	if (__builtin_preserve_field_info(skb->data, FIELD_EXISTS))
		RD(direct, data, skb->data);
	if (data && data >= head + start)
		ev->pkt_len = ev->len + (__u32)(data - (head + start));
	else if (data && data < head + start && ev->len > (__u32)(head + start - data))
		ev->pkt_len = ev->len - (__u32)(head + start - data);
	ev->net_off = nh - start;
	if (th != 0xffff && th >= start && th - start < n)
		ev->trans_off = th - start;
}

/* The state of the socket the skb belongs to (6.11+: the receiving socket
 * the tracepoint names, else skb->sk). */
static __attribute__((always_inline)) void read_sock_state(__u64 rx_sk, struct sk_buff___skbd *skb,
							    struct skbd_event *ev, int direct)
{
	struct sock___skbd *sk = 0;
	unsigned char state = 0;

	if (!__builtin_preserve_field_info(sk->__sk_common.skc_state, FIELD_EXISTS))
		return;
	if (rx_sk)
		sk = direct ? skbd_btf_sock(rx_sk) : (struct sock___skbd *)rx_sk;
	if (!sk && __builtin_preserve_field_info(skb->sk, FIELD_EXISTS))
		RD(direct, sk, skb->sk);
	if (!sk)
		return;
	RD(direct, state, sk->__sk_common.skc_state);
	if (state) /* no TCP state is 0: a failed read (0 both ways) is "no socket" */
		ev->sk_state = state;
}

/* len, ifindex, netns, socket state and packet bytes of the skb. Without
 * kernel BTF the loader marks these fields absent and the block is dead. */
static __attribute__((always_inline)) void read_context(__u64 rx_sk, struct sk_buff___skbd *skb,
							 struct skbd_event *ev, __u32 snaplen, int lean, int direct)
{
	struct net_device___skbd *dev = 0;
	struct sock___skbd *sk = 0;
	struct net___skbd *net = 0;

	if (!__builtin_preserve_field_info(skb->len, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(skb->dev, FIELD_EXISTS))
		return;
	ev->flags |= SKBD_EV_HAS_CTX;
	if (!lean) /* lean (summary counting): only what keys and place filters need */
		RD(direct, ev->len, skb->len);
	RD(direct, dev, skb->dev);
	/* every deeper field is checked on its own: a kernel that lacks or
	 * moved one reports 0 for it, never a read at a wrong offset */
	if (dev) {
		if (__builtin_preserve_field_info(dev->ifindex, FIELD_EXISTS))
			RD(direct, ev->ifindex, dev->ifindex);
		if (__builtin_preserve_field_info(dev->nd_net.net, FIELD_EXISTS))
			RD(direct, net, dev->nd_net.net);
	} else if (__builtin_preserve_field_info(skb->sk, FIELD_EXISTS)) {
		/* no device (e.g. dropped on output before routing): the socket's netns */
		RD(direct, sk, skb->sk);
		if (sk && __builtin_preserve_field_info(sk->__sk_common.skc_net.net, FIELD_EXISTS))
			RD(direct, net, sk->__sk_common.skc_net.net);
	}
	if (net && __builtin_preserve_field_info(net->ns.inum, FIELD_EXISTS))
		RD(direct, ev->netns, net->ns.inum);
	if (lean)
		return;
	read_sock_state(rx_sk, skb, ev, direct);
	if (snaplen)
		read_packet(skb, ev, snaplen, direct);
}

/* --summary: one more drop for the event's key; a full map counts in "other". */
static __attribute__((always_inline)) void aggregate(const struct skbd_config *cfg, const struct skbd_event *ev)
{
	struct skbd_agg_key key = {};
	__u32 f = cfg->agg_fields;
	__u64 one = 1, *v;

	if (f & SKBD_AGG_REASON)
		key.reason = ev->reason;
	if (f & SKBD_AGG_LOCATION)
		key.location = ev->location;
	if (f & SKBD_AGG_DEV) {
		key.ifindex = ev->ifindex;
		key.netns = ev->netns;
	}
	if (f & SKBD_AGG_NETNS)
		key.netns = ev->netns;
	if (f & SKBD_AGG_COMM)
		__builtin_memcpy(key.comm, ev->comm, sizeof(key.comm));
	v = bpf_map_lookup_elem(&agg, &key);
	if (v) {
		*v += 1; /* this CPU's slot: no other writer */
		return;
	}
	if (bpf_map_update_elem(&agg, &key, &one, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(&agg, &key); /* another CPU added it meanwhile */
	if (v)
		*v += 1;
	else
		count(SKBD_STAT_AGG_OTHER);
}

/* --max-rate: at most max events in each one-second window on this CPU. */
static __attribute__((always_inline)) int over_rate(__u64 max, __u64 now)
{
	__u32 zero = 0;
	struct skbd_rate *r = bpf_map_lookup_elem(&rate, &zero);

	if (!r)
		return 0;
	if (now - r->window_start_ns >= 1000000000ULL) {
		r->window_start_ns = now;
		r->count = 0;
	}
	if (r->count >= max) {
		count(SKBD_STAT_RATE_LIMITED);
		return 1;
	}
	r->count++;
	return 0;
}

/* The packet filter (a tcpdump expression). The loader replaces this body
 * with the expression translated to eBPF (filter/): r1 = the event, r0 = 1 to
 * report. The asm keeps clang from inlining it or folding the result. */
static __attribute__((noinline)) int skbd_filter(struct skbd_event *ev)
{
	int ok = 1;

	asm volatile("" : "+r"(ok) : "r"(ev) : "memory");
	return ok;
}

/* Filter and fill one event. Returns the record's length, or 0 when the
 * drop was filtered. */
static __attribute__((always_inline)) __u32 make_event(struct skbd_tp_kfree_skb *ctx, struct skbd_config *cfg,
							struct skbd_event *ev)
{
	__u32 reason = 0, verdict, len;
	__u64 pid_tgid, skbaddr;
	__u16 flags = 0;
	__u32 summary = cfg->flags & SKBD_CFG_SUMMARY;
	/* summary counting without a packet filter: nothing but the keys */
	int lean = summary && !(cfg->flags & SKBD_CFG_FILTER);
	__u32 *slot;

	pid_tgid = !summary || cfg->filter_tgid ? bpf_get_current_pid_tgid() : 0;
	if (cfg->filter_tgid && (__u32)(pid_tgid >> 32) != cfg->filter_tgid)
		goto filtered;

	if (__builtin_preserve_field_info(ctx->reason, FIELD_EXISTS)) {
		reason = ctx->reason;
		flags = SKBD_EV_HAS_REASON;
	}
	verdict = cfg->reason_default;
	if (reason < SKBD_REASON_SLOTS) {
		slot = bpf_map_lookup_elem(&reasons, &reason);
		if (slot)
			verdict = *slot;
	}
	if (verdict != SKBD_VERDICT_REPORT)
		goto filtered;

	/* the scratch record is reused: write every header field */
	ev->flags = flags;
	ev->ts_ns = summary ? 0 : bpf_ktime_get_ns(); /* (summary: no rate limit, no record) */
	skbaddr = ctx->skbaddr;
	ev->skbaddr = skbaddr;
	ev->location = ctx->location;
	ev->protocol = ctx->protocol; /* the tracepoint stores ntohs(skb->protocol) */
	ev->reason = reason;
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->cpu = summary ? 0 : bpf_get_smp_processor_id();
	ev->stack_id = 0;
	ev->len = 0;
	ev->ifindex = 0;
	ev->netns = 0;
	ev->caplen = 0;
	ev->net_off = SKBD_OFF_NONE;
	ev->trans_off = SKBD_OFF_NONE;
	ev->sk_state = SKBD_SK_NONE;
	ev->pad = 0;
	ev->pkt_len = 0;
	if (!summary) {
		ev->cgroup_id = bpf_get_current_cgroup_id();
		ev->flags |= SKBD_EV_HAS_CGROUP;
	}
	if (!summary || (cfg->agg_fields & SKBD_AGG_COMM))
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	/* summary counting needs the context only for its keys and filters */
	if (!summary || cfg->filter_netns || cfg->dev_mode != SKBD_DEV_ANY || (cfg->flags & SKBD_CFG_FILTER) ||
	    (cfg->agg_fields & (SKBD_AGG_DEV | SKBD_AGG_NETNS))) {
		struct sk_buff___skbd *bskb = skbd_btf_skb(skbaddr);
		__u64 rx_sk = 0; /* 6.11+: the receiving socket */

		if (__builtin_preserve_field_info(ctx->rx_sk, FIELD_EXISTS))
			rx_sk = ctx->rx_sk;
		if (bskb)
			read_context(rx_sk, bskb, ev, cfg->snaplen, lean, 1);
		else
			read_context(rx_sk, (struct sk_buff___skbd *)skbaddr, ev, cfg->snaplen, lean, 0);
	}
	if (cfg->filter_netns && ev->netns != cfg->filter_netns)
		goto filtered;
	if (cfg->dev_mode != SKBD_DEV_ANY) {
		struct skbd_dev_key key = { .netns = ev->netns, .ifindex = ev->ifindex };
		int listed = bpf_map_lookup_elem(&devices, &key) != 0;

		if (listed != (cfg->dev_mode == SKBD_DEV_ONLY))
			goto filtered;
	}
	if ((cfg->flags & SKBD_CFG_FILTER) && !skbd_filter(ev))
		goto filtered;
	if (summary) {
		aggregate(cfg, ev);
		return 0;
	}
	if (cfg->max_rate && over_rate(cfg->max_rate, ev->ts_ns))
		return 0;
	/* last: only drops that will be reported take a stack map bucket */
	if (cfg->flags & SKBD_CFG_STACK) {
		ev->stack_id = bpf_get_stackid(ctx, &stacks, 0);
		ev->flags |= SKBD_EV_HAS_STACK;
		if (ev->stack_id < 0)
			count(SKBD_STAT_STACK_FAIL);
	}
	len = ev->caplen;
	if (len > SKBD_SNAPLEN_MAX) /* for the verifier: the record's bounds */
		len = SKBD_SNAPLEN_MAX;
	return SKBD_EVENT_HDR + len;

filtered:
	count(SKBD_STAT_FILTERED);
	return 0;
}

/* Transport 1 (default): per-CPU perf rings; wakeups per perf_event_attr. */
SEC("tracepoint/skb/kfree_skb")
int skbd_kfree_skb(struct skbd_tp_kfree_skb *ctx)
{
	struct skbd_config *cfg;
	struct skbd_event *ev;
	__u32 zero = 0, size;

	count(SKBD_STAT_SEEN);
	cfg = bpf_map_lookup_elem(&config, &zero);
	ev = bpf_map_lookup_elem(&scratch, &zero);
	if (!cfg || !ev)
		return 0;
	size = make_event(ctx, cfg, ev);
	if (!size || size > sizeof(*ev))
		return 0;
	if (bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, ev, size) < 0)
		count(SKBD_STAT_OUTPUT_FAIL);
	else
		count(SKBD_STAT_EMITTED);
	return 0;
}

/* Transport 2: one BPF ring buffer (5.8+); the wakeup policy is applied here. */
SEC("tracepoint/skb/kfree_skb/ringbuf")
int skbd_kfree_rb(struct skbd_tp_kfree_skb *ctx)
{
	__u32 zero = 0, slot = SKBD_STAT_EMITTED, size;
	struct skbd_config *cfg;
	struct skbd_event *ev;
	__u64 flags = 0, *emitted;

	count(SKBD_STAT_SEEN);
	cfg = bpf_map_lookup_elem(&config, &zero);
	ev = bpf_map_lookup_elem(&scratch, &zero);
	if (!cfg || !ev)
		return 0;
	size = make_event(ctx, cfg, ev);
	if (!size || size > sizeof(*ev))
		return 0;
	switch (cfg->rb_wakeup) {
	case SKBD_RB_WAKEUP_BYTES:
		flags = bpf_ringbuf_query(&ringbuf, BPF_RB_AVAIL_DATA) + size + 8 >= cfg->rb_wakeup_arg ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		break;
	case SKBD_RB_WAKEUP_EVENTS:
		emitted = bpf_map_lookup_elem(&stats, &slot);
		flags = emitted && cfg->rb_wakeup_arg && (*emitted + 1) % cfg->rb_wakeup_arg == 0 ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		break;
	case SKBD_RB_WAKEUP_NONE:
		flags = BPF_RB_NO_WAKEUP;
		break;
	default:
		break;
	}
	if (bpf_ringbuf_output(&ringbuf, ev, size, flags) < 0)
		count(SKBD_STAT_OUTPUT_FAIL);
	else
		count(SKBD_STAT_EMITTED);
	return 0;
}

char _license[] SEC("license") = "GPL";
