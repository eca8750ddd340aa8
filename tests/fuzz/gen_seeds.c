// SPDX-License-Identifier: GPL-2.0-only
/* Writes the hand-built binary seeds of the fuzz corpus (tests/fuzz/corpus/
 * TARGET/gen-*): packets, drop records in perf and BPF ring buffers, cBPF
 * programs libpcap compiled with a packet, --summary snapshots. The corpus
 * is committed; this is how its binary part was made (make fuzz-seeds). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/perf_event.h>
#include <skbdrop/drop.h>
#include <skbdrop/filter.h>
#include "skbdrop_abi.h"

static const char *out_dir;

struct blob {
	unsigned char b[1 << 16];
	size_t n;
};

static void put(struct blob *b, const void *p, size_t n)
{
	if (b->n + n > sizeof(b->b)) {
		fprintf(stderr, "gen_seeds: blob too big\n");
		exit(1);
	}
	memcpy(b->b + b->n, p, n);
	b->n += n;
}

static void put_u8(struct blob *b, unsigned int v)
{
	unsigned char c = (unsigned char)v;

	put(b, &c, 1);
}

static void put_u32(struct blob *b, __u32 v)
{
	put(b, &v, 4); /* little-endian, as the targets read */
}

static void put_u64(struct blob *b, __u64 v)
{
	put(b, &v, 8);
}

static void save(const char *target, const char *name, const struct blob *b)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s/gen-%s", out_dir, target, name);
	f = fopen(path, "wb");
	if (!f || fwrite(b->b, 1, b->n, f) != b->n || fclose(f)) {
		fprintf(stderr, "gen_seeds: %s: %s\n", path, strerror(errno));
		exit(1);
	}
}

/* ---- packets ---- */

struct frame {
	const char *name;
	unsigned char b[128];
	size_t n, net_off;
	__u16 ethertype;
};

static void eth(struct frame *f, __u16 type, int vlan)
{
	static const unsigned char macs[12] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1 };

	memcpy(f->b, macs, 12);
	f->n = 12;
	if (vlan) {
		f->b[f->n++] = 0x81;
		f->b[f->n++] = 0x00;
		f->b[f->n++] = 0x00;
		f->b[f->n++] = 0x64;
	}
	f->b[f->n++] = (unsigned char)(type >> 8);
	f->b[f->n++] = (unsigned char)type;
	f->net_off = f->n;
	f->ethertype = vlan ? 0x8100 : type;
}

static void ipv4(struct frame *f, unsigned char proto, size_t l4_len)
{
	unsigned char h[20] = { 0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	__u16 len = htons((__u16)(20 + l4_len));

	memcpy(h + 2, &len, 2);
	memcpy(f->b + f->n, h, 20);
	f->n += 20;
}

static void ipv6(struct frame *f, unsigned char next, size_t l4_len)
{
	unsigned char h[40] = { 0x60, 0, 0, 0, 0, (unsigned char)l4_len, next, 64 };

	h[8] = 0x20, h[9] = 0x01, h[10] = 0x0d, h[11] = 0xb8, h[23] = 1;
	h[24] = 0x20, h[25] = 0x01, h[26] = 0x0d, h[27] = 0xb8, h[39] = 2;
	memcpy(f->b + f->n, h, 40);
	f->n += 40;
}

static void l4(struct frame *f, const unsigned char *h, size_t n)
{
	memcpy(f->b + f->n, h, n);
	f->n += n;
}

static const unsigned char tcp_syn[20] = { 0x9c, 0x40, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xff, 0xff };
static const unsigned char udp_dns[8] = { 0x9c, 0x40, 0, 53, 0, 8, 0, 0 };
static const unsigned char icmp_echo[8] = { 8, 0, 0, 0, 0, 1, 0, 1 };
static const unsigned char icmp6_ns[8] = { 135, 0, 0, 0, 0, 0, 0, 0 };
static const unsigned char frag6[8] = { 17, 0, 0, 9, 0, 0, 0, 42 }; /* offset 1 (8 bytes), MF */
static const unsigned char arp_req[28] = { 0, 1, 8, 0, 6, 4, 0, 1, 2, 0, 0, 0, 0, 1, 10, 0, 0, 1,
					   0, 0, 0, 0, 0, 0, 10, 0, 0, 2 };

static size_t make_frames(struct frame *fr)
{
	size_t n = 0;

	fr[n].name = "eth-ipv4-tcp-syn";
	eth(&fr[n], 0x0800, 0), ipv4(&fr[n], 6, 20), l4(&fr[n], tcp_syn, 20), n++;
	fr[n].name = "eth-vlan-ipv6-udp";
	eth(&fr[n], 0x86dd, 1), ipv6(&fr[n], 17, 8), l4(&fr[n], udp_dns, 8), n++;
	fr[n].name = "eth-ipv4-icmp";
	eth(&fr[n], 0x0800, 0), ipv4(&fr[n], 1, 8), l4(&fr[n], icmp_echo, 8), n++;
	fr[n].name = "eth-ipv6-frag-icmp6";
	eth(&fr[n], 0x86dd, 0), ipv6(&fr[n], 44, 16), l4(&fr[n], frag6, 8), l4(&fr[n], icmp6_ns, 8), n++;
	fr[n].name = "eth-arp";
	eth(&fr[n], 0x0806, 0), l4(&fr[n], arp_req, 28), n++;
	fr[n].name = "raw-ipv4-udp"; /* no MAC header: the network header first */
	fr[n].n = 0, fr[n].net_off = 0, fr[n].ethertype = 0x0800;
	ipv4(&fr[n], 17, 8), l4(&fr[n], udp_dns, 8), n++;
	return n;
}

static void gen_packets(const struct frame *fr, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct blob b = { .n = 0 };
		int mac = fr[i].net_off != 0;
		char name[64];

		put_u8(&b, mac ? 1 : 0);   /* flags: has_mac; the offset byte gives net_off */
		put_u8(&b, (unsigned int)fr[i].net_off);
		put_u8(&b, fr[i].ethertype >> 8);
		put_u8(&b, fr[i].ethertype & 0xff);
		put_u8(&b, 1);            /* TCP_ESTABLISHED */
		put(&b, fr[i].b, fr[i].n);
		save("packet", fr[i].name, &b);
		/* the same cut short */
		b.n -= fr[i].n / 3;
		snprintf(name, sizeof(name), "cut-%s", fr[i].name);
		save("packet", name, &b);
	}
}

/* ---- drop records ---- */

static size_t make_event(const struct frame *f, struct skbd_event *ev, unsigned int flags)
{
	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = 123456789012ull;
	ev->skbaddr = 0xffff888012345600ull;
	ev->location = 0xffffffff81a0b0c0ull;
	ev->pid = ev->tid = 4242;
	ev->reason = 3;
	ev->cpu = 1;
	ev->protocol = f->ethertype;
	ev->flags = (__u16)flags;
	ev->stack_id = 7;
	memcpy(ev->comm, "nginx: worker", 13);
	ev->len = (__u32)f->n;
	ev->ifindex = 2;
	ev->netns = 4026531840u;
	ev->caplen = (__u16)f->n;
	ev->net_off = (__u16)f->net_off;
	ev->cgroup_id = 1234;
	ev->trans_off = (__u16)(f->net_off + 20);
	ev->sk_state = 10;
	ev->pkt_len = (__u32)f->n + 1000;
	ev->sk_ino = 99999;
	ev->sk_cgroup_id = 5678;
	ev->sk_uid = 33;
	ev->sk_netns = 4026531840u;
	ev->sk_rmem = 212992;
	ev->sk_rcvbuf = 212992;
	ev->sk_ack_backlog = 129;
	ev->sk_max_ack_backlog = 128;
	ev->sk_lport = 80;
	ev->sk_src = 2;
	ev->sk_proto = 6;
	ev->sk_flags = 0x1f;
	memcpy(ev->data, f->b, f->n);
	return SKBD_EVENT_HDR + f->n;
}

static const unsigned int ev_flags[] = {
	SKBD_EV_HAS_REASON | SKBD_EV_HAS_CTX | SKBD_EV_HAS_MAC,
	SKBD_EV_HAS_REASON | SKBD_EV_HAS_CTX | SKBD_EV_HAS_MAC | SKBD_EV_HAS_STACK | SKBD_EV_HAS_CGROUP |
		SKBD_EV_HAS_OWNER,
	SKBD_EV_HAS_CTX,
};

/* The ring targets' front (see fuzz_ring_input). */
static void ring_head(struct blob *b, __u32 knobs, __u64 pos, __u32 lead)
{
	put_u32(b, knobs);
	put_u64(b, 1700000000ull * 1000000000ull); /* mono_to_real_ns */
	put_u64(b, pos);
	put_u32(b, lead);
}

/* Ring bytes: records laid out from offset start of a ring of ring bytes. */
static void ring_bytes(struct blob *b, const unsigned char *recs, size_t n, size_t ring, size_t start)
{
	unsigned char area[8192] = { 0 };

	for (size_t i = 0; i < n; i++)
		area[(start + i) % ring] = recs[i];
	put(b, area, ring);
}

static size_t perf_sample(unsigned char *p, const struct skbd_event *ev, size_t len)
{
	struct perf_event_header h = { .type = PERF_RECORD_SAMPLE };
	size_t size = (sizeof(h) + 4 + len + 7) & ~7ul;
	__u32 raw = (__u32)(size - sizeof(h) - 4); /* the kernel's padding included */

	h.size = (__u16)size;
	memset(p, 0, size);
	memcpy(p, &h, sizeof(h));
	memcpy(p + sizeof(h), &raw, 4);
	memcpy(p + sizeof(h) + 4, ev, len);
	return size;
}

static size_t perf_lost(unsigned char *p, __u64 lost)
{
	struct perf_event_header h = { .type = PERF_RECORD_LOST, .size = 24 };
	__u64 id = 1;

	memcpy(p, &h, sizeof(h));
	memcpy(p + 8, &id, 8);
	memcpy(p + 16, &lost, 8);
	return 24;
}

static size_t rb_record(unsigned char *p, const struct skbd_event *ev, size_t len, __u32 bits)
{
	__u32 hdr[2] = { (__u32)len | bits, 0 };
	size_t size = (8 + len + 7) & ~7ul;

	memset(p, 0, size);
	memcpy(p, hdr, 8);
	memcpy(p + 8, ev, len);
	return size;
}

static void gen_records(const struct frame *fr, size_t nf)
{
	static const __u32 knobs[] = { 0x00001007, 0x0000372f, 0x03006fff };
	unsigned char recs[8192];
	struct skbd_event ev;

	for (size_t k = 0; k < 3; k++) {
		size_t n = 0, rn = 0, len;
		unsigned char rrecs[8192];
		struct blob b = { .n = 0 };
		char name[32];

		for (size_t i = 0; i < nf && n < 3000; i++) {
			len = make_event(&fr[(i + k) % nf], &ev, ev_flags[(i + k) % 3]);
			n += perf_sample(recs + n, &ev, len);
			rn += rb_record(rrecs + rn, &ev, len, i == 2 ? 1u << 30 : 0); /* one discarded */
		}
		n += perf_lost(recs + n, 17);
		/* perf: k == 1 starts near the end of the ring, so that records wrap */
		ring_head(&b, knobs[k], k == 1 ? 4096 - 40 : 0, (__u32)n);
		ring_bytes(&b, recs, n, 4096, k == 1 ? 4096 - 40 : 0);
		snprintf(name, sizeof(name), "ring-%zu", k);
		save("perfring", name, &b);
		b.n = 0;
		ring_head(&b, knobs[k], k == 1 ? 4096 - 40 : 0, (__u32)rn);
		ring_bytes(&b, rrecs, rn, 4096, k == 1 ? 4096 - 40 : 0);
		save("ringbuf", name, &b);
	}
}

/* ---- cBPF programs ---- */

static void gen_cbpf(const struct frame *fr, size_t nf)
{
	static const char *const exprs[] = {
		"tcp port 80",
		"udp and dst port 53",
		"icmp or icmp6",
		"ip6 and ip6[6] = 44",
		"host 10.0.0.1 and not port 22",
		"vlan and tcp",
		"tcp[tcpflags] & tcp-syn != 0",
		"ip[6:2] & 0x1fff = 0 and len > 40",
		"arp",
		"ether host 02:00:00:00:00:01",
		"net 10.0.0.0/8 and (tcp or udp) and greater 60",
		"ip and ip[0] & 0xf > 5",
	};

	for (size_t i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		const struct frame *f = &fr[i % nf];
		const struct skbd_cbpf_insn *eth, *raw;
		struct skbd_filter *flt;
		struct blob b = { .n = 0 };
		size_t ne, nr;
		char err[256], name[32];

		if (skbd_filter__new(exprs[i], &flt, err, sizeof(err))) {
			fprintf(stderr, "gen_seeds: '%s': %s\n", exprs[i], err);
			exit(1);
		}
		eth = skbd_filter__cbpf(flt, 0, &ne);
		raw = skbd_filter__cbpf(flt, 1, &nr);
		if (ne > 255 || nr > 255) {
			fprintf(stderr, "gen_seeds: '%s': too long\n", exprs[i]);
			exit(1);
		}
		/* flags: HAS_MAC and net_off 14 for an Ethernet frame, else the
		 * offset byte (0: a raw IPv4 packet) */
		put_u8(&b, f->net_off ? 1 : 6);
		put_u8(&b, 0);
		put_u8(&b, (unsigned int)(f->n + 100) & 0xff);
		put_u8(&b, (unsigned int)(f->n + 100) >> 8);
		put_u8(&b, (unsigned int)ne);
		put_u8(&b, (unsigned int)nr);
		put(&b, eth, ne * sizeof(*eth));
		if (raw)
			put(&b, raw, nr * sizeof(*raw));
		put(&b, f->b, f->n);
		snprintf(name, sizeof(name), "expr-%02zu", i);
		save("cbpf", name, &b);
		skbd_filter__free(flt);
	}
}

/* ---- --summary snapshots ---- */

static void gen_summary(void)
{
	static const __u8 bys[] = { 0x0f, 0x7f, 0x13 };

	for (size_t k = 0; k < 3; k++) {
		struct blob b = { .n = 0 };
		char name[32];

		put_u8(&b, bys[k]);
		put_u8(&b, (unsigned int)(k * 0x25 + 0x07));
		for (int snap = 0; snap < 3; snap++) {
			put_u8(&b, 3);
			for (__u32 i = 0; i < 3; i++) {
				struct skbd_drop_key key = {
					.location = 0xffffffff81a0b0c0ull + i * 0x40, .reason = 2 + i, .ifindex = i + 1,
					.netns = 4026531840u + i, .sk_ino = 1000 + i, .sk_cgroup_id = 3 + i,
				};

				memcpy(key.comm, i == 1 ? "ksoftirqd/0" : "curl\xff\x01", 12);
				put(&b, &key, sizeof(key));
				put_u64(&b, (__u64)(snap + 1) * (i + 1) * 100);
			}
			put_u64(&b, (__u64)snap * 7);
			put_u8(&b, 4);
		}
		snprintf(name, sizeof(name), "snapshots-%zu", k);
		save("summary", name, &b);
	}
}

int main(int argc, char **argv)
{
	struct frame fr[8];
	size_t nf;

	if (argc != 2) {
		fprintf(stderr, "usage: gen_seeds CORPUS_DIR\n");
		return 2;
	}
	out_dir = argv[1];
	memset(fr, 0, sizeof(fr));
	nf = make_frames(fr);
	gen_packets(fr, nf);
	gen_records(fr, nf);
	gen_cbpf(fr, nf);
	gen_summary();
	return 0;
}
