// SPDX-License-Identifier: GPL-2.0-only
/* Source of a BTF seed of the fuzz corpus (make fuzz-seeds): the shapes of
 * the kernel structs and enums the monitor looks up in vmlinux BTF, as a
 * kernel lays them out (anonymous unions, bitfields, nested structs,
 * typedefs, a kfunc's FUNC), small enough for the fuzzer to mutate. */
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;
typedef unsigned long long u64;

struct ns_common { u32 inum; };
struct net { int passive; struct ns_common ns; };
typedef struct { struct net *net; } possible_net_t;
struct net_device { char name[16]; int ifindex; possible_net_t nd_net; };
struct sock_common {
	union { u64 skc_addrpair; struct { u32 skc_daddr, skc_rcv_saddr; }; };
	union { u32 skc_hash; u16 skc_u16hashes[2]; };
	union { u32 skc_portpair; struct { u16 skc_dport, skc_num; }; };
	unsigned short skc_family;
	volatile unsigned char skc_state;
	unsigned char skc_reuse : 4, skc_reuseport : 1, skc_ipv6only : 1;
	possible_net_t skc_net;
};
typedef struct { u32 val; } kuid_t;
struct sock {
	struct sock_common __sk_common;
	int sk_rcvbuf;
	struct { int rmem_alloc; int len; } sk_backlog;
	u16 sk_type, sk_protocol;
	kuid_t sk_uid;
	const struct sock *const_sk;
	u32 sk_ack_backlog, sk_max_ack_backlog;
};
struct request_sock { struct sock_common __req_common; struct sock *rsk_listener; };
struct tcp_sock { struct sock sk; u32 rcv_wnd, snd_wnd; struct { u16 snd_wscale : 4, rcv_wscale : 4; } rx_opt; };
struct sk_buff {
	union { struct { struct sk_buff *next, *prev; union { struct net_device *dev; unsigned long dev_scratch; }; };
		int rbnode; };
	struct sock *sk;
	unsigned int len, data_len;
	u8 __pkt_type_offset[0];
	u8 pkt_type : 3, ignore_df : 1, dst_pending_confirm : 1;
	u16 protocol, transport_header, network_header, mac_header;
	unsigned char *head, *data;
};
enum skb_drop_reason_subsys { SKB_DROP_REASON_SUBSYS_CORE, SKB_DROP_REASON_SUBSYS_MAC80211_UNUSABLE,
			      SKB_DROP_REASON_SUBSYS_QDISC = 3, SKB_DROP_REASON_SUBSYS_NUM };
enum skb_drop_reason { SKB_NOT_DROPPED_YET = 0, SKB_CONSUMED, SKB_DROP_REASON_NOT_SPECIFIED,
		       SKB_DROP_REASON_NO_SOCKET, SKB_DROP_REASON_MAX };
enum qdisc_drop_reason { QDISC_DROP_UNSPEC = 0x30000, QDISC_DROP_GENERIC, QDISC_DROP_OVERLIMIT, __QDISC_DROP_MAX };

void *bpf_rdonly_cast(const void *obj, u32 btf_id);
void *bpf_rdonly_cast(const void *obj, u32 btf_id)
{
	return (void *)obj;
}

struct sk_buff skb_seed;
struct tcp_sock tcp_seed;
struct request_sock req_seed;
enum skb_drop_reason reason_seed;
enum skb_drop_reason_subsys subsys_seed;
enum qdisc_drop_reason qdisc_seed;
