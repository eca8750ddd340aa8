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
static __u64 (*bpf_get_current_task)(void) = (void *)BPF_FUNC_get_current_task;

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
	__u64 net_cookie; /* atomic64_t before 5.14, the same 8 bytes */
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
	__u16 skc_num;
} __attribute__((preserve_access_index));

struct kernfs_node___skbd {
	__u64 id;
} __attribute__((preserve_access_index));

struct cgroup___skbd {
	struct kernfs_node___skbd *kn;
} __attribute__((preserve_access_index));

/* 5.15 (and the stable kernels it was backported to) made this a plain
 * pointer; before, a union whose val holds the pointer unless bit 0 or 1 is set */
struct sock_cgroup_data___skbd {
	struct cgroup___skbd *cgroup;
	__u64 val;
} __attribute__((preserve_access_index));

struct atomic_t___skbd {
	int counter;
} __attribute__((preserve_access_index));

struct sock_backlog___skbd {
	struct atomic_t___skbd rmem_alloc;
} __attribute__((preserve_access_index));

struct inode___skbd {
	unsigned long i_ino;
} __attribute__((preserve_access_index));

struct socket___skbd {
	short type;
} __attribute__((preserve_access_index));

/* a struct socket lives in one of these: its inode beside it */
struct socket_alloc___skbd {
	struct socket___skbd socket;
	struct inode___skbd vfs_inode;
} __attribute__((preserve_access_index));

struct sock___skbd {
	struct sock_common___skbd __sk_common;
	struct socket___skbd *sk_socket;
	unsigned long sk_ino; /* 6.18+: the inode number kept in the sock */
	struct {
		unsigned int val;
	} sk_uid;
	__u16 sk_protocol;
	int sk_rcvbuf;
	struct sock_backlog___skbd sk_backlog;
	__u32 sk_ack_backlog;
	__u32 sk_max_ack_backlog;
	struct sock_cgroup_data___skbd sk_cgrp_data;
} __attribute__((preserve_access_index));

/* a handshake in progress (TCP_NEW_SYN_RECV): not a full socket */
struct request_sock___skbd {
	struct sock___skbd *rsk_listener;
} __attribute__((preserve_access_index));

struct tcp_options_received___skbd {
	__u16 wscale_ok : 1, snd_wscale : 4, rcv_wscale : 4;
} __attribute__((preserve_access_index));

struct tcp_sock___skbd {
	__u32 rcv_wnd;
	__u32 snd_wnd;
	struct tcp_options_received___skbd rx_opt;
} __attribute__((preserve_access_index));

/* what SKBD_IN_CAST_MEM points to: bytes, no type */
struct skbd_untyped;

/* a task's cgroups: the one of the default (v2) hierarchy */
struct css_set___skbd {
	struct cgroup___skbd *dfl_cgrp;
} __attribute__((preserve_access_index));

struct task_struct___skbd {
	int pid;  /* the thread's */
	int tgid; /* the process's */
	struct css_set___skbd *cgroups;
	char comm[16];
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
	__u16 protocol;
} __attribute__((preserve_access_index));

#define FIELD_BYTE_OFFSET 0 /* enum bpf_field_info_kind */
#define FIELD_BYTE_SIZE 1
#define FIELD_EXISTS 2
#define FIELD_LSHIFT_U64 4
#define FIELD_RSHIFT_U64 5

/* qdisc:qdisc_drop (7.x): the record's skbaddr and reason, laid out from its format */
struct skbd_tp_qdisc_drop {
	__u8 placeholder_pad[1024];
	__u64 skbaddr;
	__u32 reason;
} __attribute__((preserve_access_index));

/* 7.x: the specific qdisc reason of an skb about to be freed as QDISC_DROP */
struct skbd_map_def SEC("maps") qdisc_reasons = {
	.type = BPF_MAP_TYPE_LRU_HASH,
	.key_size = sizeof(__u64),
	.value_size = sizeof(__u32),
	.max_entries = 4096,
};

struct skbd_map_def SEC("maps") events = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = 0,
};

/* written and frozen before the programs load: the verifier reads its
 * values, so it checks only the branches this configuration takes (and the
 * kernel removes the others) */
struct skbd_map_def SEC("maps") config = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_config),
	.max_entries = 1,
	.map_flags = BPF_F_RDONLY_PROG,
};

struct skbd_map_def SEC("maps") hookloc = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

struct skbd_map_def SEC("maps") reasons = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = SKBD_REASON_SLOTS,
};

/* benign frees by location (the loader fills it from kallsyms) */
struct skbd_map_def SEC("maps") benign_locs = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_benign_locs),
	.max_entries = 1,
};

/* verdicts of codes past the slots (subsystem reasons, 6.4+); others take reason_default */
struct skbd_map_def SEC("maps") subreasons = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
	.max_entries = SKBD_SUBREASONS_MAX,
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

/* --owner PID: the inodes of that process's sockets (user space keeps it current) */
struct skbd_map_def SEC("maps") owners = {
	.type = BPF_MAP_TYPE_HASH,
	.key_size = sizeof(__u64),
	.value_size = sizeof(__u8),
	.max_entries = SKBD_OWNERS_MAX,
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

struct skbd_map_def SEC("maps") aggcache = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_agg_slot),
	.max_entries = SKBD_AGGCACHE_SLOTS, /* the loader: times the CPUs */
	.map_flags = BPF_F_MMAPABLE,
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
	/* 0: the tracepoint programs (the kernel runs one at a time on a CPU);
	 * 1: the fentry program, which can run inside one of them (a softirq
	 * on the way out of an interrupt) and must not write over its record */
	.max_entries = 2,
};

/* Streaming through the perf rings: each CPU's records, written several to
 * a sample (struct skbd_batch); the loader gives it one element per CPU */
struct skbd_map_def SEC("maps") batch = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(struct skbd_batch),
	.max_entries = 1,
	.map_flags = BPF_F_MMAPABLE,
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
 * bpf_rdonly_cast kfunc (6.2+), the loader makes the casts below calls of it
 * (which the verifier turns into a move): the address becomes a BTF-typed
 * (untrusted) pointer, and each field is one plain load the kernel guards
 * against faults (a fault reads 0). Else they are "r0 = 0" and every field
 * costs a bpf_probe_read_kernel call (which also reads 0 on a fault). The
 * reading code is written once, for both: DIRECT is a constant in each
 * inlined copy. */
#define RD(direct, dst, src)                                                   \
	do {                                                                   \
		if (direct)                                                    \
			(dst) = (src);                                         \
		else                                                           \
			bpf_probe_read_kernel(&(dst), sizeof(dst), &(src));    \
	} while (0)

/* A placeholder the loader rewrites in place (SKBD_INLINE_CALL + slot): no
 * call is left in the program, and none of its cost. */
#define INLINE_FLAG(slot)                                                                          \
	({                                                                                         \
		__u64 v_;                                                                          \
		asm volatile("call %[helper]\n\t%[v] = r0" : [v] "=r"(v_) : [helper] "i"(SKBD_INLINE_CALL + (slot)) \
			     : "r0");                                                              \
		v_;                                                                                \
	})

/* The casts: the address as a BTF pointer to the type where the loader
 * gives the slot (r2 = the slot, then the call; the loader makes r2 the
 * type's BTF id), else 0. r1-r5 are a call's scratch registers. */
#define BTF_CAST(fn, type, slot)                                                                  \
	static __attribute__((always_inline)) struct type *fn(__u64 addr)                         \
	{                                                                                         \
		struct type *p_;                                                                  \
												  \
		asm volatile("r1 = %[a]\n\tr2 = %[s]\n\tcall %[helper]\n\t%[p] = r0"                     \
			     : [p] "=r"(p_)                                                       \
			     : [a] "r"(addr), [s] "i"(slot), [helper] "i"(SKBD_INLINE_CALL + (slot))  \
			     : "r0", "r1", "r2", "r3", "r4", "r5", "memory");                     \
		return p_;                                                                        \
	}

/* 1 where the loader gives the casts (and this slot "r0 = 1"), else 0:
 * which way the program reads kernel memory, as a constant the verifier
 * follows (it checks only the way this kernel reads). */
#define skbd_direct_reads() INLINE_FLAG(SKBD_IN_DIRECT)
/* 1 where the packet's bytes can be loaded the same way (a cast to void, 6.17+) */
#define skbd_direct_packet() INLINE_FLAG(SKBD_IN_PKT_DIRECT)

BTF_CAST(skbd_btf_skb, sk_buff___skbd, SKBD_IN_CAST_SKB)
BTF_CAST(skbd_btf_sock, sock___skbd, SKBD_IN_CAST_SOCK)
BTF_CAST(skbd_btf_req, request_sock___skbd, SKBD_IN_CAST_REQ)
BTF_CAST(skbd_btf_tcp, tcp_sock___skbd, SKBD_IN_CAST_TCP)
BTF_CAST(skbd_btf_socket, socket_alloc___skbd, SKBD_IN_CAST_SOCKET)
BTF_CAST(skbd_btf_task, task_struct___skbd, SKBD_IN_CAST_TASK)
BTF_CAST(skbd_btf_mem, skbd_untyped, SKBD_IN_CAST_MEM)

/* A bitfield: the storage unit the loader names (offset, size), shifted. A
 * probe read either way (the unit may straddle members of the cast type). */
#define RD_BITS(dst, base, field)                                                                   \
	do {                                                                                       \
		__u64 v_ = 0;                                                                      \
		bpf_probe_read_kernel(&v_, __builtin_preserve_field_info(field, FIELD_BYTE_SIZE),  \
				      (char *)(base) + __builtin_preserve_field_info(field, FIELD_BYTE_OFFSET)); \
		v_ <<= __builtin_preserve_field_info(field, FIELD_LSHIFT_U64);                    \
		v_ >>= __builtin_preserve_field_info(field, FIELD_RSHIFT_U64);                    \
		(dst) = v_;                                                                        \
	} while (0)

/* The caplen bytes at src into the record (copy_packet's): 8 a load,
 * unrolled, a compare per word; the last word keeps only the packet's bytes
 * (when the length is a multiple of 8, the word past them is written 0).
 * Apart from read_packet, after the paths through it join: the length is
 * read back from the record, a value the verifier knows only to be at most
 * the snap length (a constant to it), so it walks this once, not once for
 * every way the packet's offsets were bounded. Every index is a constant. */
static __attribute__((always_inline)) void copy_packet(struct skbd_event *ev, const __u64 *src, __u64 snaplen)
{
	__u64 *dst = (__u64 *)ev->data, keep;
	__u32 len = *(volatile __u16 *)&ev->caplen;

	if (len > snaplen) { /* never: for the verifier */
		ev->caplen = 0;
		return;
	}
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	keep = (1ULL << ((len & 7) * 8)) - 1;
#else
	keep = (len & 7) ? ~0ULL << ((8 - (len & 7)) * 8) : 0;
#endif
#define W(k)                                                                     \
	do {                                                                     \
		if ((k) * 8 + 8 > len) {                                         \
			dst[k] = src[k] & keep;                                  \
			return;                                                  \
		}                                                                \
		dst[k] = src[k];                                                 \
	} while (0)
#define W8(k) W(k); W(k + 1); W(k + 2); W(k + 3); W(k + 4); W(k + 5); W(k + 6); W(k + 7)
	W8(0); W8(8); W8(16); W8(24);
#undef W8
#undef W
	_Static_assert(SKBD_SNAPLEN_MAX == 32 * 8, "the copy above is 32 words");
}

/* Find up to snaplen bytes of the linear data, from the MAC header when one
 * is set just before the network header, else from the network header, and
 * fill the record's packet fields. The bytes: copied here with
 * bpf_probe_read_kernel, or, where they can be loaded (direct), returned as
 * untrusted memory for copy_packet (0: none to copy). */
static __attribute__((always_inline)) const __u64 *read_packet(struct sk_buff___skbd *skb, struct skbd_event *ev,
								__u64 snaplen, int direct)
{
	const __u64 *src = 0;
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
		return 0;
	RD(direct, head, skb->head);
	RD(direct, tail, skb->tail);
	RD(direct, nh, skb->network_header);
	RD(direct, mac, skb->mac_header);
	if (__builtin_preserve_field_info(skb->transport_header, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(skb->transport_header, FIELD_BYTE_SIZE) == 2)
		RD(direct, th, skb->transport_header);
	if (!head || !nh) /* 0: the network header was never set */
		return 0;
	start = nh;
	if (mac != 0xffff && mac < nh && nh - mac <= 32) {
		start = mac;
		ev->flags |= SKBD_EV_HAS_MAC;
	}
	if (tail <= start)
		return 0;
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
	if (direct && skbd_direct_packet()) {
		src = (const __u64 *)skbd_btf_mem((__u64)(head + start));
		if (!src)
			return 0;
	} else if (bpf_probe_read_kernel(ev->data, n, head + start) < 0) {
		return 0;
	}
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
	return src;
}

#define SK_TCP_LISTEN 10
#define SK_TCP_TIME_WAIT 6
#define SK_TCP_NEW_SYN_RECV 12
#define SK_IPPROTO_TCP 6

/* The socket's cgroup v2 id (what bpf_sk_cgroup_id() answers): 0 unknown. */
static __attribute__((always_inline)) __u64 sock_cgroup_id(struct sock___skbd *sk, int direct)
{
	struct cgroup___skbd *cg = 0;
	struct kernfs_node___skbd *kn = 0;
	__u64 id = 0, v = 0;

	if (__builtin_preserve_field_info(sk->sk_cgrp_data.cgroup, FIELD_EXISTS)) {
		RD(direct, cg, sk->sk_cgrp_data.cgroup);
	} else if (__builtin_preserve_field_info(sk->sk_cgrp_data.val, FIELD_EXISTS)) {
		RD(direct, v, sk->sk_cgrp_data.val);
		if (!v || (v & 3))
			return 1; /* no pointer kept: the root cgroup (as the kernel reads it) */
		cg = (struct cgroup___skbd *)v;
		direct = 0; /* a number, not a typed pointer */
	}
	if (!cg || !__builtin_preserve_field_info(cg->kn, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(kn->id, FIELD_EXISTS) ||
	    __builtin_preserve_field_info(kn->id, FIELD_BYTE_SIZE) != 8)
		return 0;
	RD(direct, kn, cg->kn);
	if (kn)
		RD(direct, id, kn->id);
	return id;
}

/* The owner of a full socket: inode, uid, cgroup, namespace, port, and the
 * queue and window numbers that explain its drops. */
static __attribute__((always_inline)) void read_owner(struct sock___skbd *sk, struct skbd_event *ev, __u8 state,
						       int direct)
{
	struct socket___skbd *sock = 0;
	struct net___skbd *net = 0;
	__u16 proto = 0;

	ev->flags |= SKBD_EV_HAS_OWNER;
	if (__builtin_preserve_field_info(sk->sk_ino, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(sk->sk_ino, FIELD_BYTE_SIZE) == 8) {
		RD(direct, ev->sk_ino, sk->sk_ino);
	} else if (__builtin_preserve_field_info(sk->sk_socket, FIELD_EXISTS)) {
		RD(direct, sock, sk->sk_socket);
		if (sock) {
			struct socket_alloc___skbd *sa = direct ? skbd_btf_socket((__u64)sock) :
								    (struct socket_alloc___skbd *)sock;

			if (sa && __builtin_preserve_field_info(sa->vfs_inode.i_ino, FIELD_EXISTS) &&
			    __builtin_preserve_field_info(sa->vfs_inode.i_ino, FIELD_BYTE_SIZE) == 8)
				RD(direct, ev->sk_ino, sa->vfs_inode.i_ino);
		}
	}
	if (__builtin_preserve_field_info(sk->sk_uid.val, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(sk->sk_uid.val, FIELD_BYTE_SIZE) == 4) {
		RD(direct, ev->sk_uid, sk->sk_uid.val);
		ev->sk_flags |= SKBD_SKF_UID;
	}
	ev->sk_cgroup_id = sock_cgroup_id(sk, direct);
	if (ev->sk_cgroup_id)
		ev->sk_flags |= SKBD_SKF_CGROUP;
	if (__builtin_preserve_field_info(sk->__sk_common.skc_net.net, FIELD_EXISTS))
		RD(direct, net, sk->__sk_common.skc_net.net);
	if (net && __builtin_preserve_field_info(net->ns.inum, FIELD_EXISTS))
		RD(direct, ev->sk_netns, net->ns.inum);
	if (__builtin_preserve_field_info(sk->__sk_common.skc_num, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(sk->__sk_common.skc_num, FIELD_BYTE_SIZE) == 2)
		RD(direct, ev->sk_lport, sk->__sk_common.skc_num);
	if (__builtin_preserve_field_info(sk->sk_protocol, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(sk->sk_protocol, FIELD_BYTE_SIZE) == 2) {
		RD(direct, proto, sk->sk_protocol);
		ev->sk_proto = (__u8)proto;
	}
	if (__builtin_preserve_field_info(sk->sk_rcvbuf, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(sk->sk_backlog.rmem_alloc.counter, FIELD_EXISTS)) {
		RD(direct, ev->sk_rcvbuf, sk->sk_rcvbuf);
		RD(direct, ev->sk_rmem, sk->sk_backlog.rmem_alloc.counter);
		ev->sk_flags |= SKBD_SKF_QUEUE;
	}
	if (state == SK_TCP_LISTEN && __builtin_preserve_field_info(sk->sk_ack_backlog, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(sk->sk_ack_backlog, FIELD_BYTE_SIZE) == 4 &&
	    __builtin_preserve_field_info(sk->sk_max_ack_backlog, FIELD_BYTE_SIZE) == 4) {
		RD(direct, ev->sk_ack_backlog, sk->sk_ack_backlog);
		RD(direct, ev->sk_max_ack_backlog, sk->sk_max_ack_backlog);
		ev->sk_flags |= SKBD_SKF_LISTEN;
	} else if (proto == SK_IPPROTO_TCP && state != SK_TCP_LISTEN) {
		struct tcp_sock___skbd *tp = direct ? skbd_btf_tcp((__u64)sk) : (struct tcp_sock___skbd *)sk;
		__u8 ok = 0, snd = 0, rcv = 0;

		if (!tp || !__builtin_preserve_field_info(tp->rcv_wnd, FIELD_EXISTS) ||
		    !__builtin_preserve_field_info(tp->snd_wnd, FIELD_EXISTS))
			return;
		RD(direct, ev->tcp_rcv_wnd, tp->rcv_wnd);
		RD(direct, ev->tcp_snd_wnd, tp->snd_wnd);
		ev->sk_flags |= SKBD_SKF_TCPWIN;
		if (!__builtin_preserve_field_info(tp->rx_opt.wscale_ok, FIELD_EXISTS) ||
		    !__builtin_preserve_field_info(tp->rx_opt.snd_wscale, FIELD_EXISTS) ||
		    !__builtin_preserve_field_info(tp->rx_opt.rcv_wscale, FIELD_EXISTS))
			return;
		RD_BITS(ok, tp, tp->rx_opt.wscale_ok);
		RD_BITS(snd, tp, tp->rx_opt.snd_wscale);
		RD_BITS(rcv, tp, tp->rx_opt.rcv_wscale);
		if (ok) {
			ev->tcp_wscale = (__u8)((snd & 0xf) << 4 | (rcv & 0xf));
			ev->sk_flags |= SKBD_SKF_WSCALE;
		}
	}
}

/* The socket the skb belongs to (6.11+: the receiving socket the tracepoint
 * names, else skb->sk): its state, and with want_owner its owner. A request
 * socket stands for its listener; a timewait socket has no owner. */
static __attribute__((always_inline)) void read_sock(__u64 rx_sk, __u8 rx_src, struct sk_buff___skbd *skb,
						      struct skbd_event *ev, int want_owner, int direct)
{
	struct sock___skbd *sk = 0;
	unsigned char state = 0;
	__u8 src = rx_src;

	if (!__builtin_preserve_field_info(sk->__sk_common.skc_state, FIELD_EXISTS))
		return;
	if (rx_sk)
		sk = direct ? skbd_btf_sock(rx_sk) : (struct sock___skbd *)rx_sk;
	if (!sk && __builtin_preserve_field_info(skb->sk, FIELD_EXISTS)) {
		RD(direct, sk, skb->sk);
		src = SKBD_SKSRC_SKB_SK;
	}
	if (!sk)
		return;
	RD(direct, state, sk->__sk_common.skc_state);
	if (!state) /* no TCP state is 0: a failed read (0 both ways) is "no socket" */
		return;
	ev->sk_state = state;
	if (!want_owner || state == SK_TCP_TIME_WAIT)
		return;
	if (state == SK_TCP_NEW_SYN_RECV) {
		struct request_sock___skbd *req = direct ? skbd_btf_req((__u64)sk) : (struct request_sock___skbd *)sk;

		if (!req || !__builtin_preserve_field_info(req->rsk_listener, FIELD_EXISTS))
			return;
		sk = 0;
		RD(direct, sk, req->rsk_listener);
		if (!sk)
			return;
		state = 0;
		RD(direct, state, sk->__sk_common.skc_state);
		if (state != SK_TCP_LISTEN)
			return;
		ev->sk_flags |= SKBD_SKF_REQ;
	}
	ev->sk_src = src;
	read_owner(sk, ev, state, direct);
}

/* The kernel's BTF names skb->len and skb->dev: the context can be read
 * (without kernel BTF the loader marks the fields absent, and every block
 * behind this test is dead). */
#define CTX_KNOWN(skb) \
	(__builtin_preserve_field_info((skb)->len, FIELD_EXISTS) && \
	 __builtin_preserve_field_info((skb)->dev, FIELD_EXISTS))

/* Where the skb was: len, ifindex and netns (the device's, else the
 * socket's), and which namespace beyond doubt (the reader names devices in
 * the one with this cookie, not in a newer one that got the inode). Without
 * kernel BTF the loader marks these fields absent and the block is dead.
 * lean (summary counting): only what keys and filters need. The cookie is
 * read here, not after the filters, so that no path keeps the namespace
 * apart from the others (null or not) for the verifier to walk twice. */
static __attribute__((always_inline)) void read_place(struct sk_buff___skbd *skb, struct skbd_event *ev, int lean,
						       int direct)
{
	struct net_device___skbd *dev = 0;
	struct sock___skbd *sk = 0;
	struct net___skbd *net = 0;

	if (!CTX_KNOWN(skb))
		return;
	ev->flags |= SKBD_EV_HAS_CTX;
	if (!lean)
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
	if (!lean && net && __builtin_preserve_field_info(net->net_cookie, FIELD_EXISTS))
		RD(direct, ev->netns_cookie, net->net_cookie);
}

/* The rest of the context, for drops the place filters kept: the socket
 * (and owner). */
static __attribute__((always_inline)) void read_sock_ctx(__u64 rx_sk, __u8 rx_src, struct sk_buff___skbd *skb,
							  struct skbd_event *ev, int want_owner, int direct)
{
	if (!CTX_KNOWN(skb))
		return;
	read_sock(rx_sk, rx_src, skb, ev, want_owner, direct);
}

/* The task's command name into the record: two loads (kernel BTF, 6.2+).
 * 0 when the field is not where the program can read it. */
static __attribute__((always_inline)) int task_comm(const struct task_struct___skbd *t, struct skbd_event *ev)
{
	const __u64 *c;
	__u64 off, *to = (__u64 *)ev->comm;

	if (!t || !__builtin_preserve_field_info(t->comm, FIELD_EXISTS) ||
	    __builtin_preserve_field_info(t->comm, FIELD_BYTE_SIZE) != 16)
		return 0;
	/* the offset in a register: a relocated load must be of the field's
	 * own size (16), and these are two of 8 */
	off = __builtin_preserve_field_info(t->comm, FIELD_BYTE_OFFSET);
	asm volatile("" : "+r"(off));
	c = (const __u64 *)((const char *)t + off);
	to[0] = c[0];
	to[1] = c[1];
	return 1;
}

/* The context's command name: with kernel BTF (6.2+), two loads from the
 * task; else the helper. */
static __attribute__((always_inline)) void read_comm(struct skbd_event *ev)
{
	if (!task_comm(skbd_btf_task(bpf_get_current_task()), ev))
		bpf_get_current_comm(ev->comm, sizeof(ev->comm));
}

/* One more drop in this CPU's cache slot for key: 1, or 0 when the slot
 * holds another key (the agg map counts it then). Only this CPU writes its
 * slots, and runs of the program do not nest on a CPU. */
static __attribute__((always_inline)) int agg_cached(const struct skbd_agg_key *key)
{
	const __u64 *k = (const __u64 *)key;
	struct skbd_agg_slot *s;
	__u64 h = 0, *sk;
	__u32 idx;

	for (int i = 0; i < (int)(sizeof(*key) / 8); i++)
		h = (h ^ k[i]) * 0x9e3779b97f4a7c15ULL;
	idx = bpf_get_smp_processor_id() * SKBD_AGGCACHE_SLOTS + (__u32)(h >> 56);
	s = bpf_map_lookup_elem(&aggcache, &idx);
	if (!s)
		return 0;
	sk = (__u64 *)&s->key;
	if (s->count) {
		for (int i = 0; i < (int)(sizeof(*key) / 8); i++)
			if (sk[i] != k[i])
				return 0;
		s->count += 1;
		return 1;
	}
	for (int i = 0; i < (int)(sizeof(*key) / 8); i++)
		sk[i] = k[i];
	/* the count last, by an atomic (ordered) add: a reader that sees it
	 * non-zero sees the whole key */
	__sync_fetch_and_add(&s->count, 1);
	return 1;
}

/* --summary: one more drop for the event's key; a full map counts in "other".
 * nests: the caller may run inside another run on this CPU (fentry inside a
 * tracepoint program): not the slots (one writer each) and atomic adds. */
static __attribute__((always_inline)) void aggregate(const struct skbd_config *cfg, const struct skbd_event *ev,
						     int nests)
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
	if (f & SKBD_AGG_OWNER)
		key.sk_ino = ev->sk_ino;
	if (f & SKBD_AGG_CONTAINER)
		key.sk_cgroup_id = ev->sk_cgroup_id;
	if (!nests && (cfg->flags & SKBD_CFG_AGGCACHE) && agg_cached(&key))
		return;
	v = bpf_map_lookup_elem(&agg, &key);
	if (v) {
		if (nests)
			__sync_fetch_and_add(v, 1);
		else
			*v += 1; /* this CPU's slot: no other writer */
		return;
	}
	if (bpf_map_update_elem(&agg, &key, &one, BPF_NOEXIST) == 0)
		return;
	v = bpf_map_lookup_elem(&agg, &key); /* another CPU added it meanwhile */
	if (v)
		__sync_fetch_and_add(v, 1); /* (rare: the atomic costs nothing here) */
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

/* The rule of a benign free by its location, or -1. */
static __attribute__((always_inline)) int benign_at(__u64 loc)
{
	__u32 zero = 0;
	struct skbd_benign_locs *b = bpf_map_lookup_elem(&benign_locs, &zero);

	if (!b)
		return -1;
	for (__u32 i = 0; i < SKBD_BENIGN_LOCS; i++) {
		if (i >= b->n)
			break;
		if (loc >= b->start[i] && loc < b->end[i])
			return (int)b->rule[i];
	}
	return -1;
}

/* The packet filter (a tcpdump expression). The loader replaces this body
 * with the expression translated to eBPF (filter/): r1 = the event, r2 = its
 * packet bytes (its data[], or the packet itself), r0 = 1 to report. The asm
 * keeps clang from inlining it or folding the result. */
static __attribute__((noinline)) int skbd_filter(struct skbd_event *ev, const void *bytes)
{
	int ok = 1;

	asm volatile("" : "+r"(ok) : "r"(ev), "r"(bytes) : "memory");
	return ok;
}

/* What a hook knows of one drop. */
struct drop_in {
	__u64 skbaddr, location, sk;
	__u32 reason;
	__u16 protocol;   /* host order */
	__u8 has_reason;
	__u8 sk_src;      /* what sk is: SKBD_SKSRC_RX_SK (the tracepoint's), SKBD_SKSRC_HOOK */
	__u16 ev_flags;   /* added to the record's flags */
};

/* Is the device listed (-i / --exclude-device)? A short list is compared
 * in place, a long one looked up in the devices map. */
static __attribute__((always_inline)) int dev_listed(const struct skbd_config *cfg, const struct skbd_event *ev)
{
	struct skbd_dev_key key = { .netns = ev->netns, .ifindex = ev->ifindex };
	__u64 k = (__u64)ev->netns << 32 | ev->ifindex;

	if (!cfg->nr_dev_keys)
		return bpf_map_lookup_elem(&devices, &key) != 0;
	for (__u32 i = 0; i < SKBD_DEV_INLINE; i++) {
		if (i >= cfg->nr_dev_keys)
			break;
		if (cfg->dev_keys[i] == k)
			return 1;
	}
	return 0;
}

static __attribute__((always_inline)) void clear_packet(struct skbd_event *ev)
{
	ev->caplen = 0;
	ev->net_off = SKBD_OFF_NONE;
	ev->trans_off = SKBD_OFF_NONE;
	ev->pkt_len = 0;
}

static __attribute__((always_inline)) void clear_sock(struct skbd_event *ev)
{
	ev->sk_state = SKBD_SK_NONE;
	ev->sk_src = SKBD_SKSRC_NONE;
	ev->sk_flags = 0;
	ev->sk_uid = 0;
	ev->sk_netns = 0;
	ev->sk_lport = 0;
	ev->sk_proto = 0;
	ev->sk_rmem = 0;
	ev->sk_rcvbuf = 0;
	ev->sk_ack_backlog = 0;
	ev->sk_max_ack_backlog = 0;
	ev->tcp_rcv_wnd = 0;
	ev->tcp_snd_wnd = 0;
	ev->tcp_wscale = 0;
}

/* The packet's bytes and the packet filter: 1 to go on. Where the bytes
 * are loads (src), the filter runs on the packet itself and only a drop it
 * keeps copies them; without a packet (src 0) it would see no bytes: 0. */
static __attribute__((always_inline)) int packet_ok(struct skbd_config *cfg, struct skbd_event *ev,
						     struct sk_buff___skbd *skb, int direct)
{
	const __u64 *src = 0;

	clear_packet(ev);
	if (cfg->snaplen && CTX_KNOWN(skb))
		src = read_packet(skb, ev, cfg->snaplen, direct);
	if (direct && skbd_direct_packet()) {
		if ((cfg->flags & SKBD_CFG_FILTER) && (!src || !skbd_filter(ev, src)))
			return 0;
		if (src)
			copy_packet(ev, src, cfg->snaplen);
		return 1;
	}
	return !(cfg->flags & SKBD_CFG_FILTER) || skbd_filter(ev, ev->data);
}

/* The socket and, with --owner, the owner filter: 1 to go on. */
static __attribute__((always_inline)) int sock_ok(const struct drop_in *in, struct skbd_config *cfg,
						   struct skbd_event *ev, struct sk_buff___skbd *skb, int want_owner,
						   int direct)
{
	clear_sock(ev);
	read_sock_ctx(in->sk, in->sk_src, skb, ev, want_owner, direct);
	return !(cfg->flags & SKBD_CFG_OWNER) || (ev->sk_ino && bpf_map_lookup_elem(&owners, &ev->sk_ino));
}

/* The context of the skb and the filters on it, cheapest first: where it
 * was (namespace and device filters), then its bytes (packet filter), then
 * its socket (owner filter). Each part clears the record's fields it may
 * leave unwritten. 1 to go on, 0 when a filter refused the drop. Written
 * once for both ways of reading: DIRECT is a constant in each copy. */
static __attribute__((always_inline)) int gather(const struct drop_in *in, struct skbd_config *cfg,
						  struct skbd_event *ev, struct sk_buff___skbd *skb, int lean,
						  int want_owner, int direct)
{
	read_place(skb, ev, lean, direct);
	if (cfg->filter_netns && ev->netns != cfg->filter_netns)
		return 0;
	if (cfg->dev_mode != SKBD_DEV_ANY && dev_listed(cfg, ev) != (cfg->dev_mode == SKBD_DEV_ONLY))
		return 0;
	/* one call site each: every one is inlined twice (direct or not) */
	if (!lean && !packet_ok(cfg, ev, skb, direct))
		return 0;
	if (lean && !want_owner) /* summary counting without a packet filter or owner keys */
		return 1;
	return sock_ok(in, cfg, ev, skb, want_owner, direct);
}

/* The context's process, thread, cgroup v2 id and command, with kernel BTF
 * (6.2+) from the current task with plain loads: what the helpers answer
 * (bpf_get_current_pid_tgid, _cgroup_id, _comm), for one helper call instead
 * of three (a call and its return cost here). 0 when a field is not where the
 * program can read it (the caller asks the helpers then). */
static __attribute__((always_inline)) int read_current(struct skbd_event *ev)
{
	struct task_struct___skbd *t = skbd_btf_task(bpf_get_current_task());
	struct css_set___skbd *cs = 0;
	struct cgroup___skbd *cg = 0;
	struct kernfs_node___skbd *kn = 0;

	if (!t || !__builtin_preserve_field_info(t->pid, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(t->tgid, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(t->cgroups, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(cs->dfl_cgrp, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(cg->kn, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(kn->id, FIELD_EXISTS) ||
	    __builtin_preserve_field_info(kn->id, FIELD_BYTE_SIZE) != 8 || !task_comm(t, ev))
		return 0;
	ev->pid = (__u32)t->tgid;
	ev->tid = (__u32)t->pid;
	cs = t->cgroups;
	if (cs)
		cg = cs->dfl_cgrp;
	if (cg)
		kn = cg->kn;
	ev->cgroup_id = kn ? kn->id : 0;
	return 1;
}

/* What a record carries that no filter reads, written once a drop is
 * reported (the context's pid and task, its cgroup and command, the CPU).
 * comm: the command is still to read. */
static __attribute__((always_inline)) void fill_record(struct skbd_event *ev, const struct drop_in *in, __u64 pid_tgid,
							int comm)
{
	ev->skbaddr = in->skbaddr;
	ev->protocol = in->protocol;
	ev->cpu = bpf_get_smp_processor_id();
	ev->flags |= SKBD_EV_HAS_CGROUP;
	ev->stack_id = 0;
	ev->pad = 0;
	ev->pad3 = 0;
	if (skbd_direct_reads() && comm && read_current(ev))
		return;
	if (!pid_tgid)
		pid_tgid = bpf_get_current_pid_tgid();
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->cgroup_id = bpf_get_current_cgroup_id();
	if (comm)
		read_comm(ev);
}

/* Filter and fill one event: the cheap filters first, and the reads only a
 * reported drop needs (clock, CPU, cgroup, command, stack) after all of
 * them. Returns the record's length, or 0 when the drop was filtered or
 * only counted. */
static __attribute__((always_inline)) __u32 make_event(void *ctx, const struct drop_in *in, struct skbd_config *cfg,
							struct skbd_event *ev, int nests)
{
	__u32 reason = 0, verdict, len;
	int rule;
	__u64 pid_tgid = 0;
	__u16 flags = 0;
	__u32 summary = cfg->flags & SKBD_CFG_SUMMARY;
	/* summary counting without a packet filter: nothing but the keys */
	int lean = summary && !(cfg->flags & SKBD_CFG_FILTER);
	/* the socket's owner: for every record, an owner filter, owner keys */
	int want_owner = !summary || (cfg->flags & SKBD_CFG_OWNER) ||
			 (cfg->agg_fields & (SKBD_AGG_OWNER | SKBD_AGG_CONTAINER));
	__u32 *slot;

	/* the reason: one array slot, the cheapest filter */
	if (in->has_reason) {
		reason = in->reason;
		flags = SKBD_EV_HAS_REASON;
	}
	verdict = cfg->reason_default;
	/* one map per call site, so the kernel inlines the array's lookup
	 * (a code past the array's slots finds nothing there) */
	slot = bpf_map_lookup_elem(&reasons, &reason);
	if (!slot && reason >= SKBD_REASON_SLOTS)
		slot = bpf_map_lookup_elem(&subreasons, &reason);
	if (slot)
		verdict = *slot;
	if (verdict != SKBD_VERDICT_REPORT && verdict < SKBD_VERDICT_BENIGN)
		goto filtered;
	if (cfg->filter_tgid) {
		pid_tgid = bpf_get_current_pid_tgid();
		if ((__u32)(pid_tgid >> 32) != cfg->filter_tgid)
			goto filtered;
	}

	/* the scratch record is reused: every field is written before it is
	 * read (here what keys and filters read; gather's parts clear theirs;
	 * fill_record the rest) */
	ev->flags = flags | in->ev_flags;
	ev->location = in->location;
	ev->reason = reason;
	ev->len = 0;
	ev->ifindex = 0;
	ev->netns = 0;
	ev->netns_cookie = 0;
	ev->sk_ino = 0;
	ev->sk_cgroup_id = 0;
	ev->benign_rule = 0;
	ev->ts_ns = 0;
	/* summary counting needs the context only for its keys and filters */
	if (!summary || cfg->filter_netns || cfg->dev_mode != SKBD_DEV_ANY || (cfg->flags & SKBD_CFG_FILTER) ||
	    want_owner || (cfg->agg_fields & (SKBD_AGG_DEV | SKBD_AGG_NETNS))) {
		int ok = 1;

		/* a constant the verifier sees: it checks only the way this
		 * kernel reads (11,400 instructions verified on 6.18, not 14,600) */
		if (skbd_direct_reads()) {
			struct sk_buff___skbd *bskb = skbd_btf_skb(in->skbaddr);

			if (bskb) { /* 0 only for a 0 address, which no drop has */
				ok = gather(in, cfg, ev, bskb, lean, want_owner, 1);
			} else {
				clear_packet(ev);
				clear_sock(ev);
			}
		} else {
			ok = gather(in, cfg, ev, (struct sk_buff___skbd *)in->skbaddr, lean, want_owner, 0);
		}
		if (!ok)
			goto filtered;
	}
	/* last of the filters: a benign free is counted by its rule, and reported only with --all */
	rule = verdict >= SKBD_VERDICT_BENIGN ? (int)(verdict - SKBD_VERDICT_BENIGN) : benign_at(ev->location);
	if (rule >= 0 && rule < SKBD_BENIGN_RULES) {
		count(SKBD_STAT_BENIGN + (__u32)rule);
		if (!(cfg->flags & SKBD_CFG_ALL))
			return 0;
		ev->flags |= SKBD_EV_BENIGN;
		ev->benign_rule = (__u8)rule;
	}
	if (cfg->agg_fields & SKBD_AGG_COMM)
		read_comm(ev);
	if (summary || (cfg->flags & SKBD_CFG_COUNT)) {
		aggregate(cfg, ev, nests);
		if (summary)
			return 0;
	}
	/* a record will be written (unless over the rate): what only records carry */
	ev->ts_ns = bpf_ktime_get_ns();
	if (cfg->max_rate && over_rate(cfg->max_rate, ev->ts_ns))
		return 0;
	fill_record(ev, in, pid_tgid, !(cfg->agg_fields & SKBD_AGG_COMM));
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
static long (*bpf_map_delete_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_delete_elem;

/* The tracepoint's record as a drop. */
static __attribute__((always_inline)) void tp_drop(struct skbd_tp_kfree_skb *ctx, struct skbd_config *cfg,
						    struct drop_in *in)
{
	in->skbaddr = ctx->skbaddr;
	in->location = ctx->location;
	in->protocol = ctx->protocol; /* the tracepoint stores ntohs(skb->protocol) */
	in->reason = 0;
	in->has_reason = 0;
	if (__builtin_preserve_field_info(ctx->reason, FIELD_EXISTS)) {
		in->reason = ctx->reason;
		in->has_reason = 1;
	}
	in->sk = 0; /* 6.11+: the receiving socket */
	if (__builtin_preserve_field_info(ctx->rx_sk, FIELD_EXISTS))
		in->sk = ctx->rx_sk;
	in->sk_src = SKBD_SKSRC_RX_SK;
	in->ev_flags = 0;
	/* 7.x: plain QDISC_DROP, whose specific reason qdisc:qdisc_drop recorded */
	if (cfg->qdisc_generic && in->has_reason && in->reason == cfg->qdisc_generic) {
		__u64 skb = in->skbaddr;
		__u32 *r = bpf_map_lookup_elem(&qdisc_reasons, &skb);

		if (r) {
			in->reason = *r;
			bpf_map_delete_elem(&qdisc_reasons, &skb);
		}
	}
}

/* 7.x: remember the specific reason of an skb a qdisc drops; kfree_skb
 * frees it (as QDISC_DROP) a moment later, on this CPU. */
SEC("tracepoint/qdisc/qdisc_drop")
int skbd_qdisc_drop(struct skbd_tp_qdisc_drop *ctx)
{
	__u64 skb;
	__u32 r;

	if (!__builtin_preserve_field_info(ctx->reason, FIELD_EXISTS) ||
	    !__builtin_preserve_field_info(ctx->skbaddr, FIELD_EXISTS))
		return 0;
	skb = ctx->skbaddr;
	r = ctx->reason;
	if (r)
		bpf_map_update_elem(&qdisc_reasons, &skb, &r, BPF_ANY);
	return 0;
}

/* Records written or lost, n at a time. Atomic: the programs that write
 * records can run inside one another on a CPU (the flush and the fentry
 * program inside the tracepoint program, or it inside the flush). */
static __attribute__((always_inline)) void count_out(long err, __u32 n)
{
	__u32 slot = err < 0 ? SKBD_STAT_OUTPUT_FAIL : SKBD_STAT_EMITTED;
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		__sync_fetch_and_add(v, n);
}

static __attribute__((always_inline)) void perf_out(void *ctx, void *rec, __u32 size)
{
	count_out(bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, rec, size), 1);
}

/* A batch's slot size, bounded for the verifier (a constant where the config is frozen). */
static __attribute__((always_inline)) __u32 batch_stride(const struct skbd_config *cfg)
{
	__u32 stride = cfg->stride;

	return stride > SKBD_EVENT_MAX ? SKBD_EVENT_MAX : stride < SKBD_EVENT_HDR ? SKBD_EVENT_HDR : stride;
}

/* A batch's byte offset or length, n slots: masked for the verifiers before
 * 6.x, which do not bound a product (the mask changes no value: n <=
 * SKBD_BATCH_MAX slots of at most SKBD_EVENT_MAX bytes are below it). */
static __attribute__((always_inline)) __u64 batch_bytes(const struct skbd_config *cfg, __u32 n)
{
	__u64 v = (__u64)n * batch_stride(cfg);

	asm volatile("" : "+r"(v)); /* the compiler must not drop the mask */
	return v & (SKBD_BATCH_BYTES - 1);
}

/* Write the batch's records as one sample and empty it. */
static __attribute__((always_inline)) void batch_out(void *ctx, const struct skbd_config *cfg, struct skbd_batch *b)
{
	__u32 n = b->head.count;

	if (n > SKBD_BATCH_MAX) /* for the verifier; the programs never count past it */
		n = SKBD_BATCH_MAX;
	if (n)
		count_out(bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, b->data, batch_bytes(cfg, n)), n);
	b->head.count = 0;
}

#define barrier() asm volatile("" : : : "memory")

SEC("tracepoint/skb/kfree_skb")
int skbd_kfree_skb(struct skbd_tp_kfree_skb *ctx)
{
	struct skbd_config *cfg;
	struct skbd_event *ev;
	struct skbd_batch *b = 0;
	struct drop_in in;
	__u32 zero = 0, size, cpu, slot = 0, prev = 0;

	count(SKBD_STAT_SEEN);
	cfg = bpf_map_lookup_elem(&config, &zero);
	if (!cfg)
		return 0;
	tp_drop(ctx, cfg, &in);
	if (cfg->flags & SKBD_CFG_SUMMARY) { /* counted, no record */
		ev = bpf_map_lookup_elem(&scratch, &zero);
	} else {
		cpu = bpf_get_smp_processor_id();
		b = bpf_map_lookup_elem(&batch, &cpu);
		if (!b)
			return 0;
		/* no branch on the owner before the record is made: one state
		 * for the verifier to walk make_event with, not two */
		prev = b->head.owner;
		b->head.owner = prev | SKBD_BATCH_TP;
		barrier();
		slot = b->head.count & (SKBD_BATCH_MAX - 1); /* below limit <= SKBD_BATCH_MAX */
		ev = (struct skbd_event *)(b->data + batch_bytes(cfg, slot));
	}
	if (!ev)
		return 0;
	size = make_event(ctx, &in, cfg, ev, 0);
	if (!b)
		return 0;
	if (size && size <= SKBD_EVENT_MAX) {
		if (prev != SKBD_BATCH_FREE) {
			/* inside a flush, which writes slots [0, count): this record,
			 * in slot count, goes alone */
			perf_out(ctx, ev, size);
		} else {
			b->head.count = slot + 1;
			if (slot + 1 >= b->head.limit)
				batch_out(ctx, cfg, b);
		}
	}
	barrier();
	b->head.owner = prev;
	return 0;
}

/* Run by the reader on a CPU (BPF_PROG_TEST_RUN): write that CPU's batch.
 * Returns 1 when the tracepoint program is in it (ask again), else 0. */
SEC("raw_tp/skbd_flush")
int skbd_flush(void *ctx)
{
	struct skbd_config *cfg;
	struct skbd_batch *b;
	__u32 zero = 0, cpu = bpf_get_smp_processor_id();

	cfg = bpf_map_lookup_elem(&config, &zero);
	b = bpf_map_lookup_elem(&batch, &cpu);
	if (!cfg || !b)
		return 0;
	if (b->head.owner != SKBD_BATCH_FREE)
		return 1;
	if (!b->head.count)
		return 0;
	b->head.owner = SKBD_BATCH_FLUSH;
	barrier();
	batch_out(ctx, cfg, b);
	barrier();
	b->head.owner = SKBD_BATCH_FREE;
	return 0;
}

/* Transport 2: one BPF ring buffer (5.8+); the wakeup policy is applied here. */
static __attribute__((always_inline)) void rb_out(struct skbd_config *cfg, struct skbd_event *ev, __u32 size)
{
	__u32 slot = SKBD_STAT_EMITTED;
	__u64 flags = 0, *emitted;

	switch (cfg->rb_wakeup) {
	case SKBD_RB_WAKEUP_BYTES: {
		/* wake once, when this record makes the pending bytes cross the
		 * mark: every record past it would queue the wakeup again while
		 * the reader is on its way (the poll timeout covers a reader that
		 * drained the ring just before the crossing was seen) */
		__u64 pending = bpf_ringbuf_query(&ringbuf, BPF_RB_AVAIL_DATA);

		flags = pending < cfg->rb_wakeup_arg && pending + size + 8 >= cfg->rb_wakeup_arg ?
				BPF_RB_FORCE_WAKEUP : BPF_RB_NO_WAKEUP;
		break;
	}
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
	count_out(bpf_ringbuf_output(&ringbuf, ev, size, flags), 1);
}

/* kfree_skb as above, its events through the ring buffer (rb_out). */
SEC("tracepoint/skb/kfree_skb/ringbuf")
int skbd_kfree_rb(struct skbd_tp_kfree_skb *ctx)
{
	struct skbd_config *cfg;
	struct skbd_event *ev;
	struct drop_in in;
	__u32 zero = 0, size;

	count(SKBD_STAT_SEEN);
	cfg = bpf_map_lookup_elem(&config, &zero);
	ev = bpf_map_lookup_elem(&scratch, &zero);
	if (!cfg || !ev)
		return 0;
	tp_drop(ctx, cfg, &in);
	size = make_event(ctx, &in, cfg, ev, 0);
	if (!size || size > sizeof(*ev))
		return 0;
	rb_out(cfg, ev, size);
	return 0;
}

/* SYNs dropped on a full accept queue never reach kfree_skb (tcp_conn_request
 * counts LISTENOVERFLOWS and the caller frees the SYN with consume_skb). Where
 * the kernel has BPF trampolines, this runs at tcp_conn_request's entry and
 * reports the SYN when the kernel's own test will drop it: the listener's
 * accept queue is full (sk_acceptq_is_full: sk_ack_backlog > sk_max_ack_backlog).
 * Arguments: (rsk_ops, af_ops, sk, skb). Offsets as everywhere: from BTF. */
static __attribute__((always_inline)) int listen_overflow(__u64 *ctx, struct skbd_config *cfg, struct drop_in *in)
{
	struct sock___skbd *sk = (struct sock___skbd *)ctx[2];
	struct sk_buff___skbd *skb = (struct sk_buff___skbd *)ctx[3];
	__u32 backlog = 0, max = 0, zero = 0;
	__u16 proto = 0;
	__u64 *loc;

	if (!__builtin_preserve_field_info(sk->sk_ack_backlog, FIELD_EXISTS) ||
	    __builtin_preserve_field_info(sk->sk_ack_backlog, FIELD_BYTE_SIZE) != 4 ||
	    __builtin_preserve_field_info(sk->sk_max_ack_backlog, FIELD_BYTE_SIZE) != 4)
		return 0;
	bpf_probe_read_kernel(&backlog, sizeof(backlog), &sk->sk_ack_backlog);
	bpf_probe_read_kernel(&max, sizeof(max), &sk->sk_max_ack_backlog);
	if (backlog <= max)
		return 0;
	if (__builtin_preserve_field_info(skb->protocol, FIELD_EXISTS) &&
	    __builtin_preserve_field_info(skb->protocol, FIELD_BYTE_SIZE) == 2)
		bpf_probe_read_kernel(&proto, sizeof(proto), &skb->protocol);
	in->skbaddr = (__u64)skb;
	loc = bpf_map_lookup_elem(&hookloc, &zero);
	in->location = loc ? *loc : 0;
	in->protocol = (__u16)(proto >> 8 | proto << 8); /* skb->protocol is big-endian */
	in->reason = cfg->hook_reason;
	in->has_reason = 1;
	in->sk = (__u64)sk;
	in->sk_src = SKBD_SKSRC_HOOK;
	in->ev_flags = SKBD_EV_HOOK;
	return 1;
}

SEC("fentry/tcp_conn_request")
int skbd_listen_overflow(__u64 *ctx)
{
	struct skbd_config *cfg;
	struct skbd_event *ev;
	struct drop_in in;
	__u32 zero = 0, one = 1, size;

	cfg = bpf_map_lookup_elem(&config, &zero);
	ev = bpf_map_lookup_elem(&scratch, &one);
	if (!cfg || !ev || !listen_overflow(ctx, cfg, &in))
		return 0;
	count(SKBD_STAT_SEEN); /* a drop the tracepoint never sees: seen here */
	size = make_event(ctx, &in, cfg, ev, 1);
	if (!size || size > sizeof(*ev))
		return 0;
	perf_out(ctx, ev, size);
	return 0;
}

SEC("fentry/tcp_conn_request/ringbuf")
int skbd_listen_overflow_rb(__u64 *ctx)
{
	struct skbd_config *cfg;
	struct skbd_event *ev;
	struct drop_in in;
	__u32 zero = 0, one = 1, size;

	cfg = bpf_map_lookup_elem(&config, &zero);
	ev = bpf_map_lookup_elem(&scratch, &one);
	if (!cfg || !ev || !listen_overflow(ctx, cfg, &in))
		return 0;
	count(SKBD_STAT_SEEN);
	size = make_event(ctx, &in, cfg, ev, 1);
	if (!size || size > sizeof(*ev))
		return 0;
	rb_out(cfg, ev, size);
	return 0;
}

char _license[] SEC("license") = "GPL";
