// SPDX-License-Identifier: GPL-2.0-only
/* Source of a small ELF seed of the fuzz corpus (make fuzz-seeds): what the
 * loader reads in bpf/skbdrop.bpf.c (maps in "maps", a tracepoint program, a
 * .text subprogram called and replaceable, CO-RE field relocations of the
 * record and of a flavored kernel struct, field-exists checks, a license)
 * in a few KiB instead of 200, so that mutations run fast. */
#include <linux/bpf.h>
#include "skbdrop_abi.h"

#define SEC(name) __attribute__((section(name), used))

static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *)BPF_FUNC_map_lookup_elem;
static long (*bpf_perf_event_output)(void *ctx, void *map, __u64 flags, void *data,
				     __u64 size) = (void *)BPF_FUNC_perf_event_output;
static long (*bpf_probe_read_kernel)(void *dst, __u32 size, const void *src) = (void *)BPF_FUNC_probe_read_kernel;

struct skbd_tp_kfree_skb {
	__u8 placeholder_pad[1024];
	__u64 skbaddr;
	__u64 location;
	__u16 protocol;
	__u32 reason;
} __attribute__((preserve_access_index));

struct sk_buff___skbd {
	unsigned int len;
	__u8 pkt_type : 3;
	__u16 network_header;
} __attribute__((preserve_access_index));

struct skbd_map_def SEC("maps") events = {
	.type = BPF_MAP_TYPE_PERF_EVENT_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u32),
};

struct skbd_map_def SEC("maps") config = {
	.type = BPF_MAP_TYPE_ARRAY,
	.key_size = sizeof(__u32),
	.value_size = sizeof(__u64),
	.max_entries = 1,
};

__attribute__((noinline)) int skbd_filter(struct skbd_event *ev)
{
	return ev->caplen > 14;
}

SEC("tracepoint/skb/kfree_skb")
int skbd_kfree_skb(struct skbd_tp_kfree_skb *ctx)
{
	struct sk_buff___skbd *skb = (void *)ctx->skbaddr;
	struct skbd_event ev = { 0 };
	__u32 key = 0;
	__u64 *cfg = bpf_map_lookup_elem(&config, &key);

	if (!cfg)
		return 0;
	ev.location = ctx->location;
	ev.protocol = ctx->protocol;
	if (__builtin_preserve_field_info(ctx->reason, 2 /* FIELD_EXISTS */))
		ev.reason = ctx->reason;
	bpf_probe_read_kernel(&ev.len, sizeof(ev.len), &skb->len);
	ev.sk_state = (__u8)__builtin_preserve_field_info(skb->pkt_type, 1 /* BYTE_SIZE */);
	bpf_probe_read_kernel(&ev.net_off, sizeof(ev.net_off), &skb->network_header);
	if (!skbd_filter(&ev))
		return 0;
	bpf_perf_event_output(ctx, &events, BPF_F_CURRENT_CPU, &ev, SKBD_EVENT_HDR);
	return 0;
}

char _license[] SEC("license") = "GPL";
