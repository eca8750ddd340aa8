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
#define SKBD_DROP_SUBREASONS 1024   /* named codes past the slots (subsystem reasons) a filter may list */
#define SKBD_DROP_BENIGN_RULES 8    /* rules for benign frees */
#define SKBD_DROP_BENIGN_LOCS 8     /* kernel functions benign rules may name */
#define SKBD_DROP_DEVICES_MAX 256   /* -i / --exclude-device entries */
#define SKBD_DROP_KEYS_MAX 4096     /* --summary rows the kernel keeps; more count in "other" */
#define SKBD_DROP_OWNER_SOCKETS 65536 /* sockets an owner filter follows */

/* struct skbd_drop.flags */
#define SKBD_DROP_HAS_REASON 0x1
#define SKBD_DROP_HAS_CTX 0x2    /* len/ifindex/netns were read (kernel BTF known) */
#define SKBD_DROP_HAS_MAC 0x4    /* data[] starts at the MAC header (else at the network header) */
#define SKBD_DROP_HAS_STACK 0x8  /* stack_id is meaningful (--stack) */
#define SKBD_DROP_HAS_CGROUP 0x10 /* cgroup_id was read */
#define SKBD_DROP_HAS_OWNER 0x20  /* the sk_* fields describe the packet's socket */
#define SKBD_DROP_BENIGN 0x40     /* a benign free (reported with --all) */
#define SKBD_DROP_HOOK 0x80       /* reported by the listen-overflow hook, not skb:kfree_skb */
/* the hook's reason where the kernel has no TCP_LISTEN_OVERFLOW (named so in the reason table) */
#define SKBD_DROP_REASON_LISTEN_OVERFLOW 0xfffe0001u

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
	/* The socket the packet belonged to, its owner (SKBD_DROP_HAS_OWNER): the
	 * tracepoint's receiving socket rx_sk (6.11+), else skb->sk; for a request
	 * socket (a handshake in progress) its listener; never a timewait socket.
	 * A part the kernel lacks is 0 (see sk_flags). */
	__u64 sk_ino;        /* inode of the socket (socket:[N] in /proc/PID/fd); 0: none (orphaned) */
	__u64 sk_cgroup_id;  /* cgroup v2 id of the socket (SKBD_SK_CGROUP) */
	__u32 sk_uid;        /* SKBD_SK_UID */
	__u32 sk_netns;      /* inode of the socket's netns; 0 unknown */
	__u32 sk_rmem;       /* receive queue bytes (SKBD_SK_QUEUE) */
	__u32 sk_rcvbuf;     /* receive buffer limit, bytes (SKBD_SK_QUEUE) */
	__u32 sk_ack_backlog;     /* accept queue length (SKBD_SK_LISTEN) */
	__u32 sk_max_ack_backlog; /* its limit, the listen() backlog (SKBD_SK_LISTEN) */
	__u32 tcp_rcv_wnd;   /* bytes (SKBD_SK_TCPWIN) */
	__u32 tcp_snd_wnd;
	__u16 sk_lport;      /* local port, host order; 0 unknown */
	__u8 sk_src;         /* SKBD_SK_SRC_* */
	__u8 sk_proto;       /* IPPROTO_*; 0 unknown */
	__u8 tcp_wscale;     /* SKBD_SK_WSCALE: send scale << 4 | receive scale */
	__u8 sk_flags;       /* SKBD_SK_* */
	__u8 benign_rule;    /* SKBD_DROP_BENIGN: the rule that names it (see monitor.h) */
	__u8 pad3;
	__u64 netns_cookie;  /* the netns's cookie, unique for the boot (an inode may be
				given to a new namespace); 0 unknown (before 5.14) */
	__u8 data[SKBD_DROP_SNAPLEN_MAX];
};

/* struct skbd_drop.sk_src: where the owner's socket came from */
#define SKBD_SK_SRC_NONE 0
#define SKBD_SK_SRC_RX_SK 1   /* the tracepoint's rx_sk (6.11+) */
#define SKBD_SK_SRC_SKB_SK 2  /* skb->sk */
#define SKBD_SK_SRC_HOOK 4    /* the listener the listen-overflow hook was called with */
#define SKBD_SK_SRC_LOOKUP 3  /* found afterwards by the packet's addresses (sock_diag; kernels before 6.11) */

/* struct skbd_drop.sk_flags: which owner parts were read */
#define SKBD_SK_UID 0x1
#define SKBD_SK_CGROUP 0x2
#define SKBD_SK_QUEUE 0x4
#define SKBD_SK_LISTEN 0x8   /* a listening socket */
#define SKBD_SK_TCPWIN 0x10
#define SKBD_SK_WSCALE 0x20  /* window scaling agreed: tcp_wscale holds the factors */
#define SKBD_SK_REQ 0x40     /* the skb's socket was a request socket: this is its listener */

/* Built-in rules for frees that are not data-plane drops: by reason (when the
 * kernel has that reason) or by the function that frees. A drop a rule names
 * is counted per rule and reported only with config.all. */
struct skbd_benign_rule {
	const char *name;
	const char *what;
	const char *const *reasons;   /* NULL-terminated */
	const char *const *functions; /* NULL-terminated; vmlinux functions (skbd_monitor__benign_functions) */
};
/* NULL-terminated by name; index = rule number (< SKBD_DROP_BENIGN_RULES).
 * Sized for every rule number a record can carry: the entries past the
 * named rules have a NULL name, so a formatter may index it with any
 * benign_rule below SKBD_DROP_BENIGN_RULES. */
extern const struct skbd_benign_rule skbd_benign_rules[SKBD_DROP_BENIGN_RULES + 1];
#define SKBD_BENIGN_DEFAULT 0xfu /* teardown, purge, neigh, tx-completion */

/* --summary: which fields make a row (the others are 0 in the key) */
#define SKBD_BY_REASON 0x1
#define SKBD_BY_LOCATION 0x2
#define SKBD_BY_DEV 0x4   /* ifindex (with netns: a device is only named within its namespace) */
#define SKBD_BY_NETNS 0x8
#define SKBD_BY_COMM 0x10
#define SKBD_BY_OWNER 0x20     /* the socket (user space shows its owning process) */
#define SKBD_BY_CONTAINER 0x40 /* the socket's cgroup (shown as its container) */
#define SKBD_BY_ALL 0x7f

struct skbd_drop_key {
	__u64 location;
	__u32 reason;
	__u32 ifindex;
	__u32 netns;
	__u32 pad;
	char comm[16];   /* may lack a NUL */
	__u64 sk_ino;       /* SKBD_BY_OWNER: the socket's inode; 0 none */
	__u64 sk_cgroup_id; /* SKBD_BY_CONTAINER: the socket's cgroup id; 0 none */
};

#endif
