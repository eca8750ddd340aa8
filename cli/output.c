// SPDX-License-Identifier: GPL-2.0-only
/* Event formatting: the tcpdump-like text line and the NDJSON object. Pure
 * functions over a buffer, so they are unit-tested and cost no syscalls. */
#include <inttypes.h>
#include <stdarg.h>
#include <string.h>
#include <time.h>
#include "cli.h"

const char *cli_ethertype_name(__u16 proto)
{
	switch (proto) {
	case 0x0800: return "IPv4";
	case 0x86dd: return "IPv6";
	case 0x0806: return "ARP";
	case 0x8035: return "RARP";
	case 0x8100: return "802.1Q";
	case 0x88a8: return "802.1ad";
	case 0x8847: return "MPLS";
	case 0x8848: return "MPLS-mcast";
	case 0x88cc: return "LLDP";
	case 0x8863: return "PPPoE-disc";
	case 0x8864: return "PPPoE";
	case 0x88e5: return "MACsec";
	case 0x8906: return "FCoE";
	case 0x894f: return "NSH";
	case 0x0004: return "802.2";  /* ETH_P_802_2 */
	case 0x0003: return "ALL";    /* ETH_P_ALL: packet sockets */
	case 0x0019: return "CAN";
	case 0x000d: return "CANFD";
	default: return NULL;
	}
}

/* A bounded appender: keeps writing into buf, counts what would be needed. */
struct sbuf {
	char *buf;
	size_t size, len;
};

static void put(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct sbuf *b, const char *fmt, ...)
{
	size_t room = b->len < b->size ? b->size - b->len : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? b->buf + b->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		b->len += (size_t)n;
}

static size_t finish(struct sbuf *b)
{
	if (b->size && b->len >= b->size)
		return b->size - 1;
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

static void split_time(const struct cli_fmt_ctx *c, __u64 ts, struct tm *tm, long *nsec)
{
	__s64 real = (__s64)ts + c->mono_to_real_ns;
	time_t sec;

	if (real < 0)
		real = 0;
	sec = (time_t)(real / 1000000000);
	*nsec = (long)(real % 1000000000);
	/* UTC: a static binary must not read /etc/localtime */
	gmtime_r(&sec, tm);
}

static const char *reason_name(const struct cli_fmt_ctx *c, const struct skbd_event *ev)
{
	if (!c->has_reason || !c->fmt)
		return NULL;
	return skbd_tpformat__reason_name(c->fmt, ev->reason);
}

size_t cli_format_text(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size)
{
	struct sbuf b = { buf, size, 0 };
	const char *rname = reason_name(c, ev), *pname = cli_ethertype_name(ev->protocol);
	char comm[17], loc[192];
	struct tm tm;
	long nsec;

	split_time(c, ev->ts_ns, &tm, &nsec);
	copy_comm(ev, comm, true);
	skbd_ksyms__format(c->ks, ev->location, loc, sizeof(loc));
	put(&b, "%02d:%02d:%02d.%06ld cpu %u %s[%u/%u] ", tm.tm_hour, tm.tm_min, tm.tm_sec, nsec / 1000,
	    ev->cpu, comm, ev->pid, ev->tid);
	if (rname)
		put(&b, "%s", rname);
	else if (c->has_reason)
		put(&b, "reason#%u", ev->reason);
	else
		put(&b, "-");
	put(&b, " %s ", loc);
	if (pname)
		put(&b, "%s\n", pname);
	else
		put(&b, "0x%04x\n", ev->protocol);
	return finish(&b);
}

static void put_char(struct sbuf *b, char ch)
{
	if (b->len + 1 < b->size)
		b->buf[b->len] = ch;
	b->len++;
	if (b->size)
		b->buf[b->len < b->size ? b->len : b->size - 1] = '\0';
}

static void put_json_string(struct sbuf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";

	put_char(b, '"');
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\') {
			put_char(b, '\\');
			put_char(b, (char)ch);
		} else if (ch < 0x20 || ch >= 0x7f) { /* raw bytes, not necessarily UTF-8 */
			put(b, "\\u00%c%c", hex[ch >> 4], hex[ch & 15]);
		} else {
			put_char(b, (char)ch);
		}
	}
	put_char(b, '"');
}

size_t cli_format_json(const struct cli_fmt_ctx *c, const struct skbd_event *ev, char *buf, size_t size)
{
	struct sbuf b = { buf, size, 0 };
	const char *rname = reason_name(c, ev), *pname = cli_ethertype_name(ev->protocol);
	char comm[17], loc[192];
	struct tm tm;
	long nsec;

	split_time(c, ev->ts_ns, &tm, &nsec);
	copy_comm(ev, comm, false);
	skbd_ksyms__format(c->ks, ev->location, loc, sizeof(loc));
	put(&b, "{\"time\":\"%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ\",\"ts_ns\":%llu,\"cpu\":%u,\"pid\":%u,\"tid\":%u,\"comm\":",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, nsec,
	    (unsigned long long)ev->ts_ns, ev->cpu, ev->pid, ev->tid);
	put_json_string(&b, comm);
	put(&b, ",\"reason\":");
	if (rname)
		put_json_string(&b, rname);
	else
		put(&b, "null");
	if (c->has_reason)
		put(&b, ",\"reason_code\":%u", ev->reason);
	else
		put(&b, ",\"reason_code\":null");
	put(&b, ",\"location\":");
	put_json_string(&b, loc);
	put(&b, ",\"location_addr\":\"0x%llx\",\"protocol\":", (unsigned long long)ev->location);
	if (pname)
		put_json_string(&b, pname);
	else
		put(&b, "%u", ev->protocol);
	put(&b, ",\"skbaddr\":\"0x%llx\"}\n", (unsigned long long)ev->skbaddr);
	return finish(&b);
}
