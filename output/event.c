// SPDX-License-Identifier: GPL-2.0-only
/* Event formatting: the tcpdump-like text line and the NDJSON object of one
 * drop, shown with the names the caller resolved. Pure functions over a
 * buffer, so they are unit-tested and cost no syscalls. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "internal.h"

/* exactly width digits, zero-padded */
static void put_fixed(struct skbd_sbuf *b, unsigned long v, int width)
{
	char tmp[20];

	for (int i = width - 1; i >= 0; i--) {
		tmp[i] = (char)('0' + v % 10);
		v /= 10;
	}
	skbd_put_mem(b, tmp, (size_t)width);
}

/* comm is at most 16 bytes and may lack a NUL */
static void copy_comm(const struct skbd_drop *ev, char out[17], bool printable)
{
	size_t i;

	for (i = 0; i < sizeof(ev->comm) && ev->comm[i]; i++) {
		unsigned char ch = (unsigned char)ev->comm[i];

		out[i] = printable && (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	out[i] = '\0';
}

/* Wall time of a kernel stamp: the date/time text of its second (the
 * cache's, or tmp's) and the ns. */
static const struct skbd_time_text *event_time(const struct skbd_fmt_ctx *c, __u64 ts, struct skbd_time_text *tmp,
					       long *nsec)
{
	struct skbd_time_text *t = c->cache ? &c->cache->t : tmp;

	if (t == tmp)
		tmp->sec = -1;
	*nsec = skbd_time_text__set(t, c->mono_to_real_ns, ts);
	return t;
}

/* a name from the system (device, namespace) in a text line: bytes outside
 * printable ASCII as '?', like comm, so a name cannot forge lines or send
 * terminal escapes */
static void put_printable_mem(struct skbd_sbuf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];

		skbd_put_char(b, ch < 0x20 || ch >= 0x7f ? '?' : (char)ch);
	}
}

/* " dev NAME" (or " ifindex N" when it cannot be named) " netns NAME|INODE" */
static void put_device_text(const struct skbd_drop *ev, const struct skbd_drop_names *nm, struct skbd_sbuf *b)
{
	if (ev->ifindex) {
		if (nm->dev[0]) {
			skbd_put_lit(b, " dev ");
			put_printable_mem(b, nm->dev, strnlen(nm->dev, sizeof(nm->dev)));
		} else {
			skbd_put_lit(b, " ifindex ");
			skbd_put_u64(b, ev->ifindex);
		}
	}
	if (ev->netns) {
		skbd_put_lit(b, " netns ");
		if (nm->netns[0])
			put_printable_mem(b, nm->netns, strnlen(nm->netns, sizeof(nm->netns)));
		else
			skbd_put_u64(b, ev->netns);
	}
}

/* " owner COMM[PID]" (" owner uid N" when no process is known); with
 * c->sock_state the socket numbers that explain its drops */
static void put_owner_text(const struct skbd_fmt_ctx *c, const struct skbd_drop *ev, const struct skbd_drop_names *nm,
			   struct skbd_sbuf *b)
{
	const struct skbd_owner_names *o = &nm->owner;

	if (!(ev->flags & SKBD_DROP_HAS_OWNER))
		return;
	if (o->known) {
		skbd_put_lit(b, " owner ");
		put_printable_mem(b, o->comm, strnlen(o->comm, sizeof(o->comm)));
		skbd_put_char(b, '[');
		skbd_put_u64(b, o->pid);
		skbd_put_char(b, ']');
	} else if (ev->sk_flags & SKBD_SK_UID) {
		skbd_put_lit(b, " owner uid ");
		skbd_put_u64(b, ev->sk_uid);
	}
	if (!c->sock_state)
		return;
	if (ev->sk_flags & SKBD_SK_QUEUE) {
		skbd_put_lit(b, " rcvq ");
		skbd_put_u64(b, ev->sk_rmem);
		skbd_put_char(b, '/');
		skbd_put_u64(b, ev->sk_rcvbuf);
	}
	if (ev->sk_flags & SKBD_SK_LISTEN) {
		skbd_put_lit(b, " acceptq ");
		skbd_put_u64(b, ev->sk_ack_backlog);
		skbd_put_char(b, '/');
		skbd_put_u64(b, ev->sk_max_ack_backlog);
	}
	if (ev->sk_flags & SKBD_SK_TCPWIN) {
		skbd_put_lit(b, " rwnd ");
		skbd_put_u64(b, ev->tcp_rcv_wnd);
		skbd_put_lit(b, " swnd ");
		skbd_put_u64(b, ev->tcp_snd_wnd);
		if (ev->sk_flags & SKBD_SK_WSCALE) {
			skbd_put_lit(b, " wscale ");
			skbd_put_u64(b, ev->tcp_wscale >> 4);
			skbd_put_char(b, '/');
			skbd_put_u64(b, ev->tcp_wscale & 0xf);
		} else {
			skbd_put_lit(b, " wscale off");
		}
	}
}

static void put_u64_or_null(struct skbd_sbuf *b, bool known, unsigned long long v)
{
	if (known)
		skbd_put_u64(b, v);
	else
		skbd_put_lit(b, "null");
}

static void put_str_or_null(struct skbd_sbuf *b, const char *s)
{
	if (s && s[0])
		skbd_put_json_str(b, s);
	else
		skbd_put_lit(b, "null");
}

/* ,"owner":null or {"pid","comm","uid","inode","cgroup","container","pod",
 * "source","netns","port","listener","sock":{...}} */
static void put_owner_json(const struct skbd_drop *ev, const struct skbd_drop_names *nm, bool lite,
			   struct skbd_sbuf *b)
{
	const struct skbd_owner_names *o = &nm->owner;

	skbd_put_lit(b, ",\"owner\":");
	if (!(ev->flags & SKBD_DROP_HAS_OWNER)) {
		skbd_put_lit(b, "null");
		return;
	}
	skbd_put_lit(b, "{\"pid\":");
	put_u64_or_null(b, o->known, o->pid);
	skbd_put_lit(b, ",\"comm\":");
	put_str_or_null(b, o->known ? o->comm : NULL);
	skbd_put_lit(b, ",\"uid\":");
	put_u64_or_null(b, ev->sk_flags & SKBD_SK_UID, ev->sk_uid);
	skbd_put_lit(b, ",\"inode\":");
	put_u64_or_null(b, ev->sk_ino, ev->sk_ino);
	skbd_put_lit(b, ",\"cgroup\":");
	put_str_or_null(b, lite ? NULL : o->cgroup);
	skbd_put_lit(b, ",\"container\":");
	put_str_or_null(b, o->container);
	skbd_put_lit(b, ",\"pod\":");
	put_str_or_null(b, o->pod);
	skbd_put_lit(b, ",\"source\":");
	skbd_put_str(b, ev->sk_src == SKBD_SK_SRC_RX_SK ? "\"rx_sk\"" :
			ev->sk_src == SKBD_SK_SRC_LOOKUP ? "\"lookup\"" :
			ev->sk_src == SKBD_SK_SRC_HOOK ? "\"listener\"" : "\"skb->sk\"");
	skbd_put_lit(b, ",\"listener_of_request\":");
	skbd_put_str(b, ev->sk_flags & SKBD_SK_REQ ? "true" : "false");
	skbd_put_lit(b, ",\"netns\":");
	put_u64_or_null(b, ev->sk_netns, ev->sk_netns);
	skbd_put_lit(b, ",\"port\":");
	put_u64_or_null(b, ev->sk_lport, ev->sk_lport);
	skbd_put_lit(b, ",\"sock\":{");
	{
		bool first = true;
#define SEP() (first ? (void)(first = false) : skbd_put_char(b, ','))
		if (ev->sk_flags & SKBD_SK_QUEUE) {
			SEP();
			skbd_put_lit(b, "\"rcvq_bytes\":");
			skbd_put_u64(b, ev->sk_rmem);
			skbd_put_lit(b, ",\"rcvbuf\":");
			skbd_put_u64(b, ev->sk_rcvbuf);
		}
		if (ev->sk_flags & SKBD_SK_LISTEN) {
			SEP();
			skbd_put_lit(b, "\"accept_queue\":");
			skbd_put_u64(b, ev->sk_ack_backlog);
			skbd_put_lit(b, ",\"backlog\":");
			skbd_put_u64(b, ev->sk_max_ack_backlog);
		}
		if (ev->sk_flags & SKBD_SK_TCPWIN) {
			SEP();
			skbd_put_lit(b, "\"rcv_wnd\":");
			skbd_put_u64(b, ev->tcp_rcv_wnd);
			skbd_put_lit(b, ",\"snd_wnd\":");
			skbd_put_u64(b, ev->tcp_snd_wnd);
			skbd_put_lit(b, ",\"snd_wscale\":");
			put_u64_or_null(b, ev->sk_flags & SKBD_SK_WSCALE, ev->tcp_wscale >> 4);
			skbd_put_lit(b, ",\"rcv_wscale\":");
			put_u64_or_null(b, ev->sk_flags & SKBD_SK_WSCALE, ev->tcp_wscale & 0xf);
		}
#undef SEP
	}
	skbd_put_lit(b, "}}");
}

static const char *stack_error(int err)
{
	switch (err) {
	case -EEXIST: return "stack map bucket taken by another stack (collision)";
	case -ENOMEM: return "stack map full";
	case -EFAULT: return "stack could not be walked";
	case -ENOENT: return "stack not found in the map";
	default: return "stack unavailable";
	}
}

static void put_stack_text(const struct skbd_drop_names *nm, struct skbd_sbuf *b)
{
	int n = nm->nr_frames;

	if (n < 0) {
		skbd_put_lit(b, "    [");
		skbd_put_str(b, stack_error(n));
		skbd_put_lit(b, "]\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		skbd_put_lit(b, "    ");
		skbd_put_str(b, nm->frames[i]);
		skbd_put_char(b, '\n');
	}
}

size_t skbd_fmt__text(const struct skbd_fmt_ctx *c, const struct skbd_drop *ev, const struct skbd_drop_names *nm,
		      char *buf, size_t size)
{
	struct skbd_sbuf b = { .buf = buf, .size = size };
	const char *pname = skbd_pkt__ethertype_name(ev->protocol);
	const struct skbd_time_text *tc;
	struct skbd_time_text tmp;
	struct skbd_pkt pkt_tmp;
	char comm[17];
	long nsec;
	size_t len;

	tc = event_time(c, ev->ts_ns, &tmp, &nsec);
	copy_comm(ev, comm, true);
	skbd_put_str(&b, tc->hms);
	skbd_put_char(&b, '.');
	put_fixed(&b, (unsigned long)nsec / 1000, 6);
	skbd_put_lit(&b, " cpu ");
	skbd_put_u64(&b, ev->cpu);
	skbd_put_char(&b, ' ');
	skbd_put_str(&b, comm);
	skbd_put_char(&b, '[');
	skbd_put_u64(&b, ev->pid);
	skbd_put_char(&b, '/');
	skbd_put_u64(&b, ev->tid);
	skbd_put_lit(&b, "] ");
	out_put_reason_text(&b, c, ev->reason);
	skbd_put_char(&b, ' ');
	skbd_put_mem(&b, nm->location, strnlen(nm->location, sizeof(nm->location)));
	skbd_put_char(&b, ' ');
	if (ev->flags & SKBD_DROP_HAS_CTX) {
		char pkt[512];
		size_t n;

		skbd_pkt__decode_drop(ev, &pkt_tmp);
		n = skbd_pkt__format_text(&pkt_tmp, pkt, sizeof(pkt));
		skbd_put_mem(&b, pkt, n < sizeof(pkt) ? n : sizeof(pkt) - 1);
		skbd_put_lit(&b, " len ");
		skbd_put_u64(&b, ev->len);
		put_device_text(ev, nm, &b);
		put_owner_text(c, ev, nm, &b);
		if (ev->flags & SKBD_DROP_HOOK)
			skbd_put_lit(&b, " (SYN, fentry)");
		if ((ev->flags & SKBD_DROP_BENIGN) && ev->benign_rule < SKBD_DROP_BENIGN_RULES &&
		    skbd_benign_rules[ev->benign_rule].name) {
			skbd_put_lit(&b, " benign ");
			skbd_put_str(&b, skbd_benign_rules[ev->benign_rule].name);
		}
	} else if (pname) {
		skbd_put_str(&b, pname);
	} else {
		char p[8];

		snprintf(p, sizeof(p), "0x%04x", ev->protocol);
		skbd_put_str(&b, p);
	}
	skbd_put_char(&b, '\n');
	if (c->stacks && (ev->flags & SKBD_DROP_HAS_STACK))
		put_stack_text(nm, &b);
	len = skbd_sbuf__finish(&b);
	return size && len >= size ? size - 1 : len;
}

static void put_cgroup_json(const struct skbd_drop *ev, const struct skbd_drop_names *nm, struct skbd_sbuf *b)
{
	const char *path = ev->flags & SKBD_DROP_HAS_CGROUP ? nm->cgroup : NULL;
	skbd_put_lit(b, ",\"cgroup\":");
	if (path)
		skbd_put_json_str(b, path);
	else
		skbd_put_lit(b, "null");
}

static void put_stack_json(const struct skbd_drop_names *nm, struct skbd_sbuf *b)
{
	int n = nm->nr_frames;

	if (n < 0) {
		skbd_put_lit(b, ",\"stack\":null,\"stack_error\":\"");
		skbd_put_str(b, stack_error(n));
		skbd_put_char(b, '"');
		return;
	}
	skbd_put_lit(b, ",\"stack\":[");
	for (int i = 0; i < n; i++) {
		if (i)
			skbd_put_char(b, ',');
		skbd_put_json_str(b, nm->frames[i]);
	}
	skbd_put_char(b, ']');
}

/* ,"cpu":..,"pid":..,"tid":..,"comm":..,"reason":..,"reason_code":..,
 * "location":..,"location_addr":..,"protocol":.. of ev: from the cache while
 * the fields it shows are those of the last event formatted. */
static void put_ident_json(const struct skbd_fmt_ctx *c, const struct skbd_drop *ev, const struct skbd_drop_names *nm,
			   struct skbd_sbuf *b)
{
	struct skbd_fmt_cache *fc = c->cache;
	const char *pname;
	size_t start = b->len;
	char comm[17];

	if (fc && fc->ident.valid && fc->ident.cpu == ev->cpu && fc->ident.pid == ev->pid &&
	    fc->ident.tid == ev->tid && fc->ident.reason == ev->reason && fc->ident.protocol == ev->protocol &&
	    fc->ident.location_addr == ev->location && !memcmp(fc->ident.comm, ev->comm, sizeof(ev->comm)) &&
	    !strncmp(fc->ident.location, nm->location, sizeof(fc->ident.location))) {
		skbd_put_mem(b, fc->ident.text, fc->ident.len);
		return;
	}
	pname = skbd_pkt__ethertype_name(ev->protocol);
	copy_comm(ev, comm, false);
	skbd_put_lit(b, ",\"cpu\":");
	skbd_put_u64(b, ev->cpu);
	skbd_put_lit(b, ",\"pid\":");
	skbd_put_u64(b, ev->pid);
	skbd_put_lit(b, ",\"tid\":");
	skbd_put_u64(b, ev->tid);
	skbd_put_lit(b, ",\"comm\":");
	skbd_put_json_str(b, comm);
	skbd_put_char(b, ',');
	out_put_reason_json(b, c, ev->reason);
	skbd_put_lit(b, ",\"location\":");
	skbd_put_json_mem(b, nm->location, strnlen(nm->location, sizeof(nm->location)));
	skbd_put_lit(b, ",\"location_addr\":\"0x");
	skbd_put_hex(b, ev->location);
	skbd_put_lit(b, "\",\"protocol\":");
	if (pname) {
		skbd_put_char(b, '"');
		skbd_put_str(b, pname);
		skbd_put_char(b, '"');
	} else {
		skbd_put_u64(b, ev->protocol);
	}
	if (!fc)
		return;
	fc->ident.valid = false;
	if (b->len >= b->size || b->len - start > sizeof(fc->ident.text))
		return; /* cut short, or too long to keep */
	fc->ident.len = (unsigned short)(b->len - start);
	memcpy(fc->ident.text, b->buf + start, fc->ident.len);
	fc->ident.cpu = ev->cpu;
	fc->ident.pid = ev->pid;
	fc->ident.tid = ev->tid;
	fc->ident.reason = ev->reason;
	fc->ident.location_addr = ev->location;
	memcpy(fc->ident.location, nm->location, sizeof(fc->ident.location));
	fc->ident.protocol = ev->protocol;
	memcpy(fc->ident.comm, ev->comm, sizeof(ev->comm));
	fc->ident.valid = true;
}

static size_t format_json(const struct skbd_fmt_ctx *c, const struct skbd_drop *ev, const struct skbd_drop_names *nm,
			  char *buf, size_t size, bool lite);

/* An object that does not fit (a cgroup path of 4 KiB of escaped bytes plus
 * a deep stack) is written again without cgroup and stack, marked
 * "truncated": a line is never cut in the middle. */
size_t skbd_fmt__json(const struct skbd_fmt_ctx *c, const struct skbd_drop *ev, const struct skbd_drop_names *nm,
		      char *buf, size_t size)
{
	size_t n = format_json(c, ev, nm, buf, size, false), lite;

	if (size && n >= size) {
		lite = format_json(c, ev, nm, buf, size, true);
		if (lite < size)
			return lite;
		n = format_json(c, ev, nm, buf, size, false); /* neither fits: a prefix, as snprintf */
	}
	return size && n >= size ? size - 1 : n;
}

static size_t format_json(const struct skbd_fmt_ctx *c, const struct skbd_drop *ev, const struct skbd_drop_names *nm,
			  char *buf, size_t size, bool lite)
{
	struct skbd_sbuf b = { .buf = buf, .size = size };
	const struct skbd_time_text *tc;
	struct skbd_time_text tmp;
	long nsec;

	tc = event_time(c, ev->ts_ns, &tmp, &nsec);
	skbd_put_lit(&b, "{\"time\":\"");
	skbd_put_str(&b, tc->date);
	skbd_put_char(&b, '.');
	put_fixed(&b, (unsigned long)nsec, 9);
	skbd_put_lit(&b, "Z\",\"ts_ns\":");
	skbd_put_u64(&b, ev->ts_ns);
	put_ident_json(c, ev, nm, &b);
	if (ev->flags & SKBD_DROP_HAS_CTX) {
		struct skbd_pkt pkt;

		skbd_put_lit(&b, ",\"len\":");
		skbd_put_u64(&b, ev->len);
		skbd_put_lit(&b, ",\"ifindex\":");
		skbd_put_u64(&b, ev->ifindex);
		skbd_put_lit(&b, ",\"dev\":");
		if (ev->ifindex && nm->dev[0]) {
			skbd_put_json_mem(&b, nm->dev, strnlen(nm->dev, sizeof(nm->dev)));
		} else {
			skbd_put_lit(&b, "null");
		}
		skbd_put_lit(&b, ",\"netns\":");
		skbd_put_u64(&b, ev->netns);
		skbd_put_lit(&b, ",\"netns_name\":");
		if (nm->netns[0])
			skbd_put_json_mem(&b, nm->netns, strnlen(nm->netns, sizeof(nm->netns)));
		else
			skbd_put_lit(&b, "null");
		if (lite)
			skbd_put_lit(&b, ",\"cgroup\":null");
		else
			put_cgroup_json(ev, nm, &b);
		skbd_put_lit(&b, ",\"layers\":");
		skbd_pkt__decode_drop(ev, &pkt);
		{
			/* in place; a prefix cut short by the buffer counts its full length */
			size_t room = b.len < b.size ? b.size - b.len : 0;
			size_t n = skbd_pkt__format_json(&pkt, room ? b.buf + b.len : NULL, room);

			if (n < 2048)
				b.len += n;
			else
				skbd_put_lit(&b, "{}"); /* layers this long: never cut JSON in half */
		}
	} else {
		skbd_put_lit(&b, ",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null");
		if (lite)
			skbd_put_lit(&b, ",\"cgroup\":null");
		else
			put_cgroup_json(ev, nm, &b);
		skbd_put_lit(&b, ",\"layers\":null");
	}
	put_owner_json(ev, nm, lite, &b);
	if (ev->flags & SKBD_DROP_HOOK)
		skbd_put_lit(&b, ",\"hook\":\"fentry/tcp_conn_request\"");
	if ((ev->flags & SKBD_DROP_BENIGN) && ev->benign_rule < SKBD_DROP_BENIGN_RULES &&
	    skbd_benign_rules[ev->benign_rule].name) {
		skbd_put_lit(&b, ",\"benign\":\"");
		skbd_put_str(&b, skbd_benign_rules[ev->benign_rule].name);
		skbd_put_char(&b, '"');
	}
	if (c->stacks && (ev->flags & SKBD_DROP_HAS_STACK)) {
		if (lite)
			skbd_put_lit(&b, ",\"stack\":null,\"stack_error\":\"omitted: the event did not fit the line buffer\"");
		else
			put_stack_json(nm, &b);
	}
	if (lite)
		skbd_put_lit(&b, ",\"truncated\":true");
	skbd_put_lit(&b, ",\"skbaddr\":\"0x");
	skbd_put_hex(&b, ev->skbaddr);
	skbd_put_lit(&b, "\"}\n");
	skbd_sbuf__finish(&b);
	return b.len; /* the length needed: the caller checks it against size */
}
