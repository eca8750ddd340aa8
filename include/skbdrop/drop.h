/* SPDX-License-Identifier: GPL-2.0-only */
/* One drop as the library hands it out (the monitor copies each kernel record
 * into this; nothing outside loader/ and the monitor sees the BPF ABI), and
 * the key of a --summary row. Plain data, host byte order. */
#ifndef SKBDROP_DROP_H
#define SKBDROP_DROP_H

#include <linux/types.h>

#define SKBD_DROP_SNAPLEN_MAX 256   /* packet bytes a drop can carry */
#define SKBD_DROP_SNAPLEN_DEFAULT 128
#define SKBD_DROP_OFF_NONE 0xffff   /* net_off/trans_off: header not set or not captured */
#define SKBD_DROP_SK_NONE 0xff      /* sk_state: the skb has no socket */
#define SKBD_DROP_STACK_DEPTH 64    /* frames of a kernel stack */
#define SKBD_DROP_REASON_SLOTS 1024 /* reasons below this are filtered one by one in the kernel */
#define SKBD_DROP_DEVICES_MAX 256   /* -i / --exclude-device entries */
#define SKBD_DROP_KEYS_MAX 4096     /* --summary rows the kernel keeps; more count in "other" */

/* struct skbd_drop.flags */
#define SKBD_DROP_HAS_REASON 0x1
#define SKBD_DROP_HAS_CTX 0x2    /* len/ifindex/netns were read (kernel BTF known) */
#define SKBD_DROP_HAS_MAC 0x4    /* data[] starts at the MAC header (else at the network header) */
#define SKBD_DROP_HAS_STACK 0x8  /* stack_id is meaningful (--stack) */
#define SKBD_DROP_HAS_CGROUP 0x10 /* cgroup_id was read */

struct skbd_drop {
	__u64 ts_ns;     /* CLOCK_MONOTONIC */
	__u64 skbaddr;
	__u64 location;  /* kernel text address that dropped the skb */
	__u32 pid;       /* context task: tgid */
	__u32 tid;
	__u32 reason;    /* raw enum skb_drop_reason; 0 when the kernel has none */
	__u32 cpu;
	__u16 protocol;  /* ethertype, host byte order */
	__u16 flags;     /* SKBD_DROP_HAS_* */
	__s32 stack_id;  /* id for skbd_monitor__stack(), or -errno (SKBD_DROP_HAS_STACK) */
	char comm[16];   /* context task; may lack a NUL */
	__u32 len;       /* skb->len */
	__u32 ifindex;   /* 0 without a device */
	__u32 netns;     /* inode of the device's (else the socket's) netns; 0 unknown */
	__u16 caplen;    /* bytes in data[], never more than SKBD_DROP_SNAPLEN_MAX */
	__u16 net_off;   /* offset of the network header in data[], or SKBD_DROP_OFF_NONE */
	__u64 cgroup_id; /* cgroup v2 id of the context task (SKBD_DROP_HAS_CGROUP) */
	__u16 trans_off; /* offset of the transport header in data[], or SKBD_DROP_OFF_NONE */
	__u8 sk_state;   /* the socket's state (TCP_ESTABLISHED = 1, ...) or SKBD_DROP_SK_NONE */
	__u8 pad;
	__u32 pkt_len;   /* bytes of the whole packet from data[0] on; 0 if not captured */
	__u8 data[SKBD_DROP_SNAPLEN_MAX];
};

/* --summary: which fields make a row (the others are 0 in the key) */
#define SKBD_BY_REASON 0x1
#define SKBD_BY_LOCATION 0x2
#define SKBD_BY_DEV 0x4   /* ifindex (with netns: a device is only named within its namespace) */
#define SKBD_BY_NETNS 0x8
#define SKBD_BY_COMM 0x10
#define SKBD_BY_ALL 0x1f

struct skbd_drop_key {
	__u64 location;
	__u32 reason;
	__u32 ifindex;
	__u32 netns;
	__u32 pad;
	char comm[16];   /* may lack a NUL */
};

#endif
