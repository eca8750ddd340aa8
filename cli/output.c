// SPDX-License-Identifier: GPL-2.0-only
/* Event formatting: the tcpdump-like text line and the NDJSON object. Pure
 * functions over a buffer, so they are unit-tested and cost no syscalls. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <time.h>
#include <skbdrop/sbuf.h>
#include <skbdrop/packet.h>
#include "cli.h"

const char *cli_ethertype_name(__u16 proto)
{
	return skbd_pkt__ethertype_name(proto); /* one table, in the decoder */
}

/* The NUL is written once, by finish(): appends only copy (skbd_put_*). */

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

static void put_hex(struct skbd_sbuf *b, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[18];
	int i = sizeof(tmp);

	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	tmp[--i] = 'x';
	tmp[--i] = '0';
	skbd_put_mem(b, tmp + i, sizeof(tmp) - (size_t)i);
}

static size_t finish(struct skbd_sbuf *b)
{
	if (!b->size)
		return b->len; /* nothing written: the length needed, as snprintf */
	if (b->len >= b->size) {
		b->buf[b->size - 1] = '\0';
		return b->size - 1;
	}
	b->buf[b->len] = '\0';
	return b->len;
}

/* comm is at most 16 bytes and may lack a NUL */
static void copy_comm(const struct skbd_event *ev, char out[17], bool printable)
{
	size_t i;

	for (i = 0; i < sizeof(ev->comm) && ev->comm[i]; i++) {
		unsigned char ch = (unsigned char)ev->comm[i];

		out[i] = printable && (ch < 0x20 || ch >= 0x7f) ? '?' : (char)ch;
	}
	out[i] = '\0';
}

/* UTC calendar date of a day count since 1970-01-01 (proleptic Gregorian,
 * eras of 400 years). Our own arithmetic: a static glibc's gmtime_r calls
 * tzset(), which opens /etc/localtime, and we promise to read only /proc
 * and /sys. */
void cli_civil_from_days(long long days, int *y, int *m, int *d)
{
	long long z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	long long doe = z - era * 146097;                                   /* [0, 146096] */
	long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);           /* [0, 365] */
	long long mp = (5 * doy + 2) / 153;                                 /* [0, 11], March first */

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* Wall time of a kernel stamp: the date/time text of its second and the ns. */
static void event_time(const struct cli_fmt_ctx *c, __u64 ts, struct cli_time_text *tmp,
		       const struct cli_time_text **tc, long *nsec)
{
	struct cli_time_text *fc = c->cache ? &c->cache->t : tmp;
	__s64 real = (__s64)ts + c->mono_to_real_ns;
	__s64 sec;
	int y, mo, d, hh, mm, ss;

	if (real < 0)
		real = 0;
	sec = real / 1000000000;
	*nsec = (long)(real % 1000000000);
	*tc = fc;
	if (fc != tmp && fc->sec == sec)
		return;
	cli_civil_from_days(sec / 86400, &y, &mo, &d);
	hh = (int)(sec % 86400 / 3600);
	mm = (int)(sec % 3600 / 60);
	ss = (int)(sec % 60);
	snprintf(fc->date, sizeof(fc->date), "%04d-%02d-%02dT%02d:%02d:%02d", y % 10000, mo, d, hh, mm, ss);
	snprintf(fc->hms, sizeof(fc->hms), "%02d:%02d:%02d", hh, mm, ss);
	fc->sec = sec;
}

static const char *reason_name(const struct cli_fmt_ctx *c, const struct skbd_event *ev)
{
	struct cli_fmt_cache *fc = c->cache;

	if (!c->has_reason || !c->fmt)
		return NULL;
	if (!fc || ev->reason >= SKBD_REASON_SLOTS)
		return skbd_tpformat__reason_name(c->fmt, ev->reason);
	if (!fc->reasons_built) {
		for (__u32 i = 0; i < SKBD_REASON_SLOTS; i++)
			fc->reason[i] = skbd_tpformat__reason_name(c->fmt, i);
		fc->reasons_built = true;
	}
	return fc->reason[ev->reason];
}

/* "func+0xoff [mod]" of an address, through the cache when there is one. */
static void put_location(const struct cli_fmt_ctx *c, __u64 addr, struct skbd_sbuf *b)
{
	struct cli_fmt_cache *fc = c->cache;
	char loc[192];
	bool may_change;
	size_t slot;
	int n;

	if (!fc) {
		skbd_ksyms__symbolize(c->ks, addr, loc, sizeof(loc), NULL);
		skbd_put_str(b, loc);
		return;
	}
	slot = (size_t)((addr ^ (addr >> 7) ^ (addr >> 17)) % CLI_LOC_CACHE);
	if (!fc->loc[slot].valid || fc->loc[slot].addr != addr) {
		n = skbd_ksyms__symbolize(c->ks, addr, loc, sizeof(loc), &may_change);
		/* too long to cache, or hex that a re-read may resolve later */
		if (n < 0 || (size_t)n >= sizeof(fc->loc[slot].text) || may_change) {
			skbd_put_str(b, loc);
			return;
		}
		memcpy(fc->loc[slot].text, loc, (size_t)n + 1);
		fc->loc[slot].len = (unsigned char)n;
		fc->loc[slot].addr = addr;
		fc->loc[slot].valid = true;
	}
	skbd_put_mem(b, fc->loc[slot].text, fc->loc[slot].len);
}

static void decode_packet(const struct skbd_event *ev, struct skbd_pkt *pkt)
{
	struct skbd_pkt_in in = {
		.data = ev->data,
		.caplen = ev->caplen <= SKBD_SNAPLEN_MAX ? ev->caplen : SKBD_SNAPLEN_MAX,
		.net_off = ev->net_off,
		.has_mac = !!(ev->flags & SKBD_EV_HAS_MAC),
		.ethertype = ev->protocol,
		.sk_state = ev->sk_state,
	};

	skbd_pkt__decode(&in, pkt);
}

/* 0 and the name of the event's device, or -errno */
static int dev_name(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char name[16])
{
	if (!ev->ifindex || !ev->netns || !c->res || !c->res->dev_name)
		return -ENOENT;
	return c->res->dev_name(c->res->ctx, ev->netns, ev->ifindex, ev->ts_ns, name);
}

static const char *netns_name(const struct cli_fmt_ctx *c, const struct skbd_event *ev)
{
	if (!ev->netns || !c->res || !c->res->netns_name)
		return NULL;
	return c->res->netns_name(c->res->ctx, ev->netns);
}

/* a name from the system (device, namespace) in a text line: bytes outside
 * printable ASCII as '?', like comm, so a name cannot forge lines or send
 * terminal escapes */
static void put_printable(struct skbd_sbuf *b, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		skbd_put_char(b, ch < 0x20 || ch >= 0x7f ? '?' : (char)ch);
	}
}

/* " dev NAME" (or " ifindex N" when it cannot be named) " netns NAME|INODE" */
static void put_device_text(const struct cli_fmt_ctx *c, const struct skbd_event *ev, struct skbd_sbuf *b)
{
	const char *ns = netns_name(c, ev);
	char name[16];

	if (ev->ifindex) {
		if (dev_name(c, ev, name) == 0) {
			name[15] = '\0';
			skbd_put_lit(b, " dev ");
			put_printable(b, name);
		} else {
			skbd_put_lit(b, " ifindex ");
			skbd_put_u64(b, ev->ifindex);
		}
	}
	if (ev->netns) {
		skbd_put_lit(b, " netns ");
		if (ns)
			put_printable(b, ns);
		else
			skbd_put_u64(b, ev->netns);
	}
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

static int event_stack(const struct cli_fmt_ctx *c, const struct skbd_event *ev, const __u64 **ips)
{
	if (ev->stack_id < 0)
		return ev->stack_id;
	if (!c->res || !c->res->stack)
		return -ENOENT;
	return c->res->stack(c->res->ctx, ev->stack_id, ips);
}

static void put_stack_text(const struct cli_fmt_ctx *c, const struct skbd_event *ev, struct skbd_sbuf *b)
{
	const __u64 *ips = NULL;
	int n = event_stack(c, ev, &ips);

	if (n < 0) {
		skbd_put_lit(b, "    [");
		skbd_put_str(b, stack_error(n));
		skbd_put_lit(b, "]\n");
		return;
	}
	for (int i = 0; i < n; i++) {
		skbd_put_lit(b, "    ");
		put_location(c, ips[i], b);
		skbd_put_char(b, '\n');
	}
}

size_t cli_format_text(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size)
{
	struct skbd_sbuf b = { buf, size, 0 };
	const char *rname = reason_name(c, ev), *pname = cli_ethertype_name(ev->protocol);
	const struct cli_time_text *tc;
	struct cli_time_text tmp;
	struct skbd_pkt pkt_tmp;
	char comm[17];
	long nsec;

	event_time(c, ev->ts_ns, &tmp, &tc, &nsec);
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
	if (rname) {
		skbd_put_str(&b, rname);
	} else if (c->has_reason) {
		skbd_put_lit(&b, "reason#");
		skbd_put_u64(&b, ev->reason);
	} else {
		skbd_put_char(&b, '-');
	}
	skbd_put_char(&b, ' ');
	put_location(c, ev->location, &b);
	skbd_put_char(&b, ' ');
	if (ev->flags & SKBD_EV_HAS_CTX) {
		char pkt[512];
		size_t n;

		decode_packet(ev, &pkt_tmp);
		n = skbd_pkt__format_text(&pkt_tmp, pkt, sizeof(pkt));
		skbd_put_mem(&b, pkt, n < sizeof(pkt) ? n : sizeof(pkt) - 1);
		skbd_put_lit(&b, " len ");
		skbd_put_u64(&b, ev->len);
		put_device_text(c, ev, &b);
	} else if (pname) {
		skbd_put_str(&b, pname);
	} else {
		char p[8];

		snprintf(p, sizeof(p), "0x%04x", ev->protocol);
		skbd_put_str(&b, p);
	}
	skbd_put_char(&b, '\n');
	if (c->stacks && (ev->flags & SKBD_EV_HAS_STACK))
		put_stack_text(c, ev, &b);
	return finish(&b);
}

static void put_json_string(struct skbd_sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *run = s;

	skbd_put_char(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };

		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\')
			continue;
		skbd_put_mem(b, run, (size_t)(s - run));
		run = s + 1;
		if (ch == '"' || ch == '\\') {
			skbd_put_char(b, '\\');
			skbd_put_char(b, (char)ch);
		} else { /* raw bytes, not necessarily UTF-8 */
			skbd_put_mem(b, esc, sizeof(esc));
		}
	}
	skbd_put_mem(b, run, (size_t)(s - run));
	skbd_put_char(b, '"');
}

static void put_cgroup_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, struct skbd_sbuf *b)
{
	const char *path = NULL;

	if ((ev->flags & SKBD_EV_HAS_CGROUP) && c->res && c->res->cgroup_path)
		path = c->res->cgroup_path(c->res->ctx, ev->cgroup_id);
	skbd_put_lit(b, ",\"cgroup\":");
	if (path)
		put_json_string(b, path);
	else
		skbd_put_lit(b, "null");
}

static void put_stack_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, struct skbd_sbuf *b)
{
	const __u64 *ips = NULL;
	int n = event_stack(c, ev, &ips);

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
		skbd_put_char(b, '"');
		put_location(c, ips[i], b); /* symbol and module names need no escaping */
		skbd_put_char(b, '"');
	}
	skbd_put_char(b, ']');
}

/* ,"cpu":..,"pid":..,"tid":..,"comm":..,"reason":..,"reason_code":..,
 * "location":..,"location_addr":..,"protocol":.. of ev: from the cache while
 * the fields it shows are those of the last event formatted. */
static void put_ident_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, struct skbd_sbuf *b)
{
	struct cli_fmt_cache *fc = c->cache;
	const char *rname, *pname;
	size_t start = b->len;
	char comm[17];

	if (fc && fc->ident.valid && fc->ident.cpu == ev->cpu && fc->ident.pid == ev->pid &&
	    fc->ident.tid == ev->tid && fc->ident.reason == ev->reason && fc->ident.location == ev->location &&
	    fc->ident.protocol == ev->protocol && !memcmp(fc->ident.comm, ev->comm, sizeof(ev->comm))) {
		skbd_put_mem(b, fc->ident.text, fc->ident.len);
		return;
	}
	rname = reason_name(c, ev);
	pname = cli_ethertype_name(ev->protocol);
	copy_comm(ev, comm, false);
	skbd_put_lit(b, ",\"cpu\":");
	skbd_put_u64(b, ev->cpu);
	skbd_put_lit(b, ",\"pid\":");
	skbd_put_u64(b, ev->pid);
	skbd_put_lit(b, ",\"tid\":");
	skbd_put_u64(b, ev->tid);
	skbd_put_lit(b, ",\"comm\":");
	put_json_string(b, comm);
	skbd_put_lit(b, ",\"reason\":");
	if (rname)
		put_json_string(b, rname);
	else
		skbd_put_lit(b, "null");
	skbd_put_lit(b, ",\"reason_code\":");
	if (c->has_reason)
		skbd_put_u64(b, ev->reason);
	else
		skbd_put_lit(b, "null");
	skbd_put_lit(b, ",\"location\":\"");
	put_location(c, ev->location, b); /* symbol names need no JSON escaping */
	skbd_put_lit(b, "\",\"location_addr\":\"");
	put_hex(b, ev->location);
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
	fc->ident.location = ev->location;
	fc->ident.protocol = ev->protocol;
	memcpy(fc->ident.comm, ev->comm, sizeof(ev->comm));
	fc->ident.valid = true;
}

static size_t format_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size,
			  bool lite);

/* An object that does not fit (a cgroup path of 4 KiB of escaped bytes plus
 * a deep stack) is written again without cgroup and stack, marked
 * "truncated": a line is never cut in the middle. */
size_t cli_format_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size)
{
	size_t n = format_json(c, ev, buf, size, false), lite;

	if (size && n >= size) {
		lite = format_json(c, ev, buf, size, true);
		if (lite < size)
			return lite;
		n = format_json(c, ev, buf, size, false); /* neither fits: a prefix, as snprintf */
	}
	return size && n >= size ? size - 1 : n;
}

static size_t format_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size,
			  bool lite)
{
	struct skbd_sbuf b = { buf, size, 0 };
	const struct cli_time_text *tc;
	struct cli_time_text tmp;
	long nsec;

	event_time(c, ev->ts_ns, &tmp, &tc, &nsec);
	skbd_put_lit(&b, "{\"time\":\"");
	skbd_put_str(&b, tc->date);
	skbd_put_char(&b, '.');
	put_fixed(&b, (unsigned long)nsec, 9);
	skbd_put_lit(&b, "Z\",\"ts_ns\":");
	skbd_put_u64(&b, ev->ts_ns);
	put_ident_json(c, ev, &b);
	if (ev->flags & SKBD_EV_HAS_CTX) {
		const char *ns = netns_name(c, ev);
		struct skbd_pkt pkt;
		char name[16];

		skbd_put_lit(&b, ",\"len\":");
		skbd_put_u64(&b, ev->len);
		skbd_put_lit(&b, ",\"ifindex\":");
		skbd_put_u64(&b, ev->ifindex);
		skbd_put_lit(&b, ",\"dev\":");
		if (ev->ifindex && dev_name(c, ev, name) == 0) {
			name[15] = '\0';
			put_json_string(&b, name);
		} else {
			skbd_put_lit(&b, "null");
		}
		skbd_put_lit(&b, ",\"netns\":");
		skbd_put_u64(&b, ev->netns);
		skbd_put_lit(&b, ",\"netns_name\":");
		if (ns)
			put_json_string(&b, ns);
		else
			skbd_put_lit(&b, "null");
		if (lite)
			skbd_put_lit(&b, ",\"cgroup\":null");
		else
			put_cgroup_json(c, ev, &b);
		skbd_put_lit(&b, ",\"layers\":");
		decode_packet(ev, &pkt);
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
			put_cgroup_json(c, ev, &b);
		skbd_put_lit(&b, ",\"layers\":null");
	}
	if (c->stacks && (ev->flags & SKBD_EV_HAS_STACK)) {
		if (lite)
			skbd_put_lit(&b, ",\"stack\":null,\"stack_error\":\"omitted: the event did not fit the line buffer\"");
		else
			put_stack_json(c, ev, &b);
	}
	if (lite)
		skbd_put_lit(&b, ",\"truncated\":true");
	skbd_put_lit(&b, ",\"skbaddr\":\"");
	put_hex(&b, ev->skbaddr);
	skbd_put_lit(&b, "\"}\n");
	finish(&b);
	return b.len; /* the length needed: the caller checks it against size */
}
