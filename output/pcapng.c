// SPDX-License-Identifier: GPL-2.0-only
/* -w: the dropped packets as pcapng (draft-ietf-opsawg-pcapng), for
 * Wireshark and tshark. The blocks are built in a growing buffer and leave
 * through the one write loop, like every other output. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skbdrop/output.h>
#include "internal.h"

#define BT_SHB 0x0A0D0D0Au
#define BT_IDB 0x00000001u
#define BT_EPB 0x00000006u
#define BT_ISB 0x00000005u
#define BYTE_ORDER_MAGIC 0x1A2B3C4Du

#define OPT_END 0
#define OPT_COMMENT 1
#define OPT_CUSTOM_UTF8 2988 /* a UTF-8 string behind an enterprise number; may be copied */
#define SHB_USERAPPL 4
#define IF_NAME 2
#define IF_DESCRIPTION 3
#define IF_TSRESOL 9
#define EPB_DROPCOUNT 4
#define ISB_ENDTIME 3
#define ISB_IFDROP 5
#define ISB_USRDELIV 8

#define SLL2_LEN 20
#define ARPHRD_NONE 0xfffe
#define IFACES_MAX 4096 /* per file; past them, drops go to interface 0's block */
#define PCAP_BUF (256 * 1024)

struct iface {
	__u32 netns, ifindex;
	__u16 linktype;
};

struct skbd_pcapng {
	struct skbd_pcapng_opts o;
	char *path;                   /* the base path (o.path points here) */
	struct skbd_fmt_ctx ctx;
	struct skbd_fmt_cache cache;
	int fd;
	bool own_fd;                  /* a file (not stdout): closed on rotation */
	unsigned long long file_no;   /* of the file being written */
	unsigned long long file_bytes, file_packets;
	unsigned long long packets, lost;  /* of the whole capture */
	__u64 last_ts;                     /* the last packet's stamp (wall ns) */
	bool finished;                     /* the last file's statistics block is written */
	struct iface *ifaces;
	size_t nr_ifaces;
	struct skbd_sbuf buf;
	int err;                      /* sticky */
	char json[SKBD_LINE_MAX];
};

static void put_u16(struct skbd_sbuf *b, __u16 v)
{
	skbd_put_mem(b, (const char *)&v, 2);
}

static void put_u32(struct skbd_sbuf *b, __u32 v)
{
	skbd_put_mem(b, (const char *)&v, 4);
}

static void put_pad(struct skbd_sbuf *b, size_t n)
{
	static const char zero[4];

	skbd_put_mem(b, zero, (4 - n % 4) % 4);
}

static void put_opt(struct skbd_sbuf *b, __u16 code, const void *v, size_t n)
{
	if (n > 0xffff)
		n = 0xffff; /* (never: our values are bounded well below) */
	put_u16(b, code);
	put_u16(b, (__u16)n);
	if (n)
		skbd_put_mem(b, v, n);
	put_pad(b, n);
}

/* The block's total length, at its start and (now) at its end. */
static void block_end(struct skbd_sbuf *b, size_t start)
{
	__u32 total = (__u32)(b->len - start + 4);

	if (!b->oom)
		memcpy(b->buf + start + 4, &total, 4);
	put_u32(b, total);
}

static size_t block_start(struct skbd_sbuf *b, __u32 type)
{
	size_t start = b->len;

	put_u32(b, type);
	put_u32(b, 0); /* total length, filled by block_end */
	return start;
}

void skbd_pcapng__put_shb(struct skbd_sbuf *b, const char *app)
{
	size_t s = block_start(b, BT_SHB);

	put_u32(b, BYTE_ORDER_MAGIC);
	put_u16(b, 1); /* major */
	put_u16(b, 0); /* minor */
	put_u32(b, 0xffffffffu); /* section length: not given */
	put_u32(b, 0xffffffffu);
	if (app && *app)
		put_opt(b, SHB_USERAPPL, app, strlen(app));
	put_opt(b, OPT_END, NULL, 0);
	block_end(b, s);
}

void skbd_pcapng__put_idb(struct skbd_sbuf *b, __u16 linktype, __u32 snaplen, const char *name, const char *desc)
{
	size_t s = block_start(b, BT_IDB);
	__u8 tsresol = 9; /* nanoseconds */

	put_u16(b, linktype);
	put_u16(b, 0);
	put_u32(b, snaplen);
	if (name && *name)
		put_opt(b, IF_NAME, name, strlen(name));
	if (desc && *desc)
		put_opt(b, IF_DESCRIPTION, desc, strlen(desc));
	put_opt(b, IF_TSRESOL, &tsresol, 1);
	put_opt(b, OPT_END, NULL, 0);
	block_end(b, s);
}

void skbd_pcapng__put_isb(struct skbd_sbuf *b, __u32 iface, __u64 ts, __u64 lost, __u64 delivered)
{
	size_t s = block_start(b, BT_ISB);
	__u32 t[2] = { (__u32)(ts >> 32), (__u32)ts };

	put_u32(b, iface);
	put_u32(b, t[0]);
	put_u32(b, t[1]);
	put_opt(b, ISB_ENDTIME, t, 8);
	put_opt(b, ISB_IFDROP, &lost, 8);
	put_opt(b, ISB_USRDELIV, &delivered, 8);
	put_opt(b, OPT_COMMENT, "skbdrop: isb_ifdrop is the events lost (ring full) since the capture began",
		strlen("skbdrop: isb_ifdrop is the events lost (ring full) since the capture began"));
	put_opt(b, OPT_END, NULL, 0);
	block_end(b, s);
}

/* A file ends with the capture's statistics so far, on its first interface. */
static void put_stats(struct skbd_pcapng *p)
{
	if (p->nr_ifaces)
		skbd_pcapng__put_isb(&p->buf, 0, p->last_ts, p->lost, p->packets);
}

void skbd_pcapng__finish(struct skbd_pcapng *p, __u64 lost)
{
	if (!p || p->finished)
		return;
	p->lost += lost;
	put_stats(p);
	p->finished = true;
}

void skbd_pcapng__stats(const struct skbd_pcapng *p, struct skbd_pcapng_stats *st)
{
	*st = (struct skbd_pcapng_stats){ p->packets, p->lost, p->file_no + 1 };
}

static bool ether_off(__u16 off)
{
	return off == 14 || off == 18 || off == 22;
}

__u16 skbd_pcapng__frame(const struct skbd_drop *d, __u8 hdr[SLL2_LEN], const __u8 **data, __u32 *hdr_len,
			 __u32 *caplen, __u32 *origlen)
{
	__u32 cap = d->caplen <= SKBD_DROP_SNAPLEN_MAX ? d->caplen : SKBD_DROP_SNAPLEN_MAX, off = 0;
	__u32 whole = d->pkt_len >= cap ? d->pkt_len : cap;

	if ((d->flags & SKBD_DROP_HAS_MAC) && ether_off(d->net_off) && d->net_off <= cap) {
		*data = d->data;
		*hdr_len = 0;
		*caplen = cap;
		*origlen = whole;
		return SKBD_LINKTYPE_ETHERNET;
	}
	/* from the network header on, behind a cooked header */
	if (d->net_off != SKBD_DROP_OFF_NONE && d->net_off <= cap)
		off = d->net_off;
	memset(hdr, 0, SLL2_LEN);
	hdr[0] = (__u8)(d->protocol >> 8); /* protocol type, network order */
	hdr[1] = (__u8)d->protocol;
	hdr[4] = (__u8)(d->ifindex >> 24); /* interface index, network order */
	hdr[5] = (__u8)(d->ifindex >> 16);
	hdr[6] = (__u8)(d->ifindex >> 8);
	hdr[7] = (__u8)d->ifindex;
	hdr[8] = (__u8)(ARPHRD_NONE >> 8); /* no link-layer header known */
	hdr[9] = (__u8)(ARPHRD_NONE & 0xff);
	/* packet type 0 (to us), address length 0 */
	*data = d->data + off;
	*hdr_len = SLL2_LEN;
	*caplen = cap - off;
	*origlen = SLL2_LEN + whole - off;
	return SKBD_LINKTYPE_LINUX_SLL2;
}

void skbd_pcapng__file_name(const struct skbd_pcapng_opts *o, unsigned long long n, char *buf, size_t size)
{
	if (o->rotate_files) {
		int digits = 1;

		for (unsigned long long m = o->rotate_files - 1; m >= 10; m /= 10)
			digits++;
		snprintf(buf, size, "%s%0*llu", o->path, digits, n % o->rotate_files);
	} else if (o->rotate_bytes && n) {
		snprintf(buf, size, "%s%llu", o->path, n);
	} else {
		snprintf(buf, size, "%s", o->path);
	}
}

static int open_file(struct skbd_pcapng *p)
{
	char name[4096];

	p->nr_ifaces = 0;
	p->file_bytes = 0;
	p->file_packets = 0;
	if (!strcmp(p->o.path, "-")) {
		p->fd = STDOUT_FILENO;
		p->own_fd = false;
	} else {
		skbd_pcapng__file_name(&p->o, p->file_no, name, sizeof(name));
		p->fd = open(name, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (p->fd < 0)
			return -errno;
		p->own_fd = true;
		/* created before privileges are dropped: the user we become owns
		 * it (so -W can truncate it again); after, a no-op */
		if ((p->o.uid >= 0 || p->o.gid >= 0) && fchown(p->fd, (uid_t)p->o.uid, (gid_t)p->o.gid))
			return -errno;
	}
	skbd_pcapng__put_shb(&p->buf, p->o.app);
	return p->buf.oom ? -ENOMEM : 0;
}

int skbd_pcapng__flush(struct skbd_pcapng *p)
{
	int err;

	if (p->err)
		return p->err;
	if (p->buf.oom) {
		p->err = -ENOMEM;
		return p->err;
	}
	err = skbd_write_all(p->fd, p->buf.buf, p->buf.len, p->o.stop);
	p->file_bytes += p->buf.len;
	p->buf.len = 0;
	if (err)
		p->err = err;
	return err;
}

static int rotate(struct skbd_pcapng *p)
{
	int err;

	put_stats(p);
	err = skbd_pcapng__flush(p);

	if (err)
		return err;
	if (p->own_fd && close(p->fd)) {
		p->fd = -1;
		return p->err = -errno;
	}
	p->fd = -1;
	p->file_no++;
	err = open_file(p);
	if (err)
		p->err = err;
	return err;
}

int skbd_pcapng__new(const struct skbd_fmt_ctx *c, const struct skbd_pcapng_opts *o, struct skbd_pcapng **out)
{
	struct skbd_pcapng *p;
	int err;

	if (!c || !o || !o->path || !*o->path)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	p->o = *o;
	p->path = strdup(o->path);
	if (!p->path) {
		free(p);
		return -ENOMEM;
	}
	p->o.path = p->path;
	p->ctx = *c;
	p->ctx.stacks = false; /* the JSON option holds the event, not its frames */
	p->ctx.cache = &p->cache;
	p->cache.t.sec = -1;
	p->fd = -1;
	skbd_sbuf__grow_init(&p->buf);
	if (skbd_sbuf__reserve(&p->buf, PCAP_BUF)) {
		skbd_pcapng__free(p);
		return -ENOMEM;
	}
	err = open_file(p);
	if (err) {
		skbd_pcapng__free(p);
		return err;
	}
	*out = p;
	return 0;
}

int skbd_pcapng__free(struct skbd_pcapng *p)
{
	int err;

	if (!p)
		return 0;
	if (p->fd >= 0 && !p->err && !p->finished)
		put_stats(p);
	err = p->fd >= 0 ? skbd_pcapng__flush(p) : p->err;
	if (p->own_fd && p->fd >= 0 && close(p->fd) && !err)
		err = -errno;
	skbd_sbuf__release(&p->buf);
	free(p->ifaces);
	free(p->path);
	free(p);
	return err;
}

/* The interface id of (netns, ifindex, linktype) in this file: its block
 * is written first when new. */
static __u32 iface_id(struct skbd_pcapng *p, const struct skbd_drop *d, const struct skbd_drop_names *nm,
		      __u16 linktype)
{
	char name[64], desc[SKBD_NAME_NETNS + 64];
	struct iface *v;

	for (size_t i = p->nr_ifaces; i-- > 0;)
		if (p->ifaces[i].ifindex == d->ifindex && p->ifaces[i].netns == d->netns &&
		    p->ifaces[i].linktype == linktype)
			return (__u32)i;
	if (p->nr_ifaces == IFACES_MAX)
		return 0;
	v = realloc(p->ifaces, (p->nr_ifaces + 1) * sizeof(*v));
	if (!v)
		return 0; /* (a block of the first interface, mislabelled, beats none) */
	p->ifaces = v;
	v[p->nr_ifaces] = (struct iface){ d->netns, d->ifindex, linktype };
	if (nm->dev[0])
		snprintf(name, sizeof(name), "%s", nm->dev);
	else if (d->ifindex)
		snprintf(name, sizeof(name), "ifindex %u", d->ifindex);
	else
		snprintf(name, sizeof(name), "none");
	if (nm->netns[0])
		snprintf(desc, sizeof(desc), "netns %s (%u), ifindex %u", nm->netns, d->netns, d->ifindex);
	else
		snprintf(desc, sizeof(desc), "netns %u, ifindex %u", d->netns, d->ifindex);
	skbd_pcapng__put_idb(&p->buf, linktype, p->o.snaplen + (linktype == SKBD_LINKTYPE_LINUX_SLL2 ? SLL2_LEN : 0),
			     name, desc);
	return (__u32)p->nr_ifaces++;
}

/* "reason=R location=L owner=COMM[PID]" (owner=- without one) */
static void put_comment(struct skbd_pcapng *p, const struct skbd_drop *d, const struct skbd_drop_names *nm,
			struct skbd_sbuf *b)
{
	skbd_put_lit(b, "reason=");
	out_put_reason_text(b, &p->ctx, d->reason);
	skbd_put_lit(b, " location=");
	skbd_put_str(b, nm->location);
	skbd_put_lit(b, " owner=");
	if ((d->flags & SKBD_DROP_HAS_OWNER) && nm->owner.known) {
		skbd_put_mem(b, nm->owner.comm, strnlen(nm->owner.comm, sizeof(nm->owner.comm)));
		skbd_put_char(b, '[');
		skbd_put_u64(b, nm->owner.pid);
		skbd_put_char(b, ']');
	} else if ((d->flags & SKBD_DROP_HAS_OWNER) && (d->sk_flags & SKBD_SK_UID)) {
		skbd_put_lit(b, "uid:");
		skbd_put_u64(b, d->sk_uid);
	} else {
		skbd_put_char(b, '-');
	}
	if (d->flags & SKBD_DROP_BENIGN) {
		skbd_put_lit(b, " benign=");
		skbd_put_str(b, skbd_benign_rules[d->benign_rule < SKBD_DROP_BENIGN_RULES ? d->benign_rule : 0].name ?: "?");
	}
}

int skbd_pcapng__event(struct skbd_pcapng *p, const struct skbd_drop *d, const struct skbd_drop_names *nm, __u64 lost)
{
	__u8 hdr[SLL2_LEN];
	const __u8 *data;
	__u32 hdr_len, caplen, origlen, id, pen = SKBD_PCAPNG_PEN;
	__u16 linktype = skbd_pcapng__frame(d, hdr, &data, &hdr_len, &caplen, &origlen);
	char comment[SKBD_NAME_LOC + 256];
	struct skbd_sbuf cb = { .buf = comment, .size = sizeof(comment) };
	size_t json_len, s, need;
	__u64 ts;
	int err;

	if (p->err)
		return p->err;
	json_len = skbd_fmt__json(&p->ctx, d, nm, p->json, sizeof(p->json));
	if (json_len && p->json[json_len - 1] == '\n')
		json_len--;
	if (json_len > 0xffff - 4)
		json_len = 0; /* (never: events fit in SKBD_LINE_MAX) */
	put_comment(p, d, nm, &cb);
	skbd_sbuf__finish(&cb);
	/* a new file before a block that would pass the size, unless it is the first */
	need = 28 + hdr_len + caplen + 4 + strlen(comment) + 8 + json_len + 12 + 16 + 4 + 200;
	if (p->o.rotate_bytes && p->file_packets && p->file_bytes + p->buf.len + need > p->o.rotate_bytes &&
	    (err = rotate(p)))
		return err;
	if (p->buf.len > PCAP_BUF - need && (err = skbd_pcapng__flush(p)))
		return err;
	id = iface_id(p, d, nm, linktype);
	ts = d->ts_ns + (__u64)p->ctx.mono_to_real_ns; /* (wraps, as the clocks' sum would) */
	s = block_start(&p->buf, BT_EPB);
	put_u32(&p->buf, id);
	put_u32(&p->buf, (__u32)(ts >> 32));
	put_u32(&p->buf, (__u32)ts);
	put_u32(&p->buf, hdr_len + caplen);
	put_u32(&p->buf, origlen);
	skbd_put_mem(&p->buf, (const char *)hdr, hdr_len);
	skbd_put_mem(&p->buf, (const char *)data, caplen);
	put_pad(&p->buf, hdr_len + caplen);
	put_opt(&p->buf, OPT_COMMENT, comment, strlen(comment));
	if (json_len) {
		put_u16(&p->buf, OPT_CUSTOM_UTF8);
		put_u16(&p->buf, (__u16)(4 + json_len));
		put_u32(&p->buf, pen);
		skbd_put_mem(&p->buf, p->json, json_len);
		put_pad(&p->buf, 4 + json_len);
	}
	if (lost)
		put_opt(&p->buf, EPB_DROPCOUNT, &lost, 8);
	put_opt(&p->buf, OPT_END, NULL, 0);
	block_end(&p->buf, s);
	p->file_packets++;
	p->packets++;
	p->lost += lost;
	p->last_ts = ts;
	if (p->buf.oom)
		return p->err = -ENOMEM;
	return 0;
}
