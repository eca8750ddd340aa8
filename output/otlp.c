// SPDX-License-Identifier: GPL-2.0-only
/* --otlp: drops as OTLP/HTTP JSON log records, batched and queued for one
 * non-blocking client (http/client.c). The JSON follows the OTLP encoding:
 * lowerCamelCase keys, 64-bit integers as decimal strings, enums as numbers.
 * Attribute names are OpenTelemetry's semantic conventions where one exists
 * (source.address, destination.port, network.transport, network.type,
 * network.interface.name, process.pid, process.executable.name,
 * process.user.id, container.id) and skbdrop.* otherwise. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <arpa/inet.h>
#include <skbdrop/http.h>
#include <skbdrop/otlp.h>
#include <skbdrop/packet.h>
#include "internal.h"

#define SEVERITY_INFO 9
#define SEVERITY_WARN 13

struct batch {
	struct skbd_sbuf body;
	size_t records;
	bool metrics;
	unsigned int attempts;
	__u64 first_ms, next_ms;
};

struct skbd_otlp {
	struct skbd_otlp_opts o;
	char *strings;                /* the option strings, copied */
	struct skbd_fmt_ctx ctx;
	struct skbd_fmt_cache cache;
	char path[256];               /* the URL's path prefix */
	struct skbd_httpc *client;
	struct batch open;            /* records being added */
	__u64 open_ms;                /* when the open batch got its first record */
	struct batch queue[SKBD_OTLP_QUEUE];
	size_t q_head, q_len;
	struct batch metrics;         /* the newest metrics body (records 0: none) */
	bool have_metrics;
	struct batch *inflight;       /* the batch being sent, or NULL */
	struct skbd_otlp_stats st;
};

/* ---- encoding ---- */

void out_otlp_u64_str(struct skbd_sbuf *b, __u64 v)
{
	skbd_put_char(b, '"');
	skbd_put_u64(b, v);
	skbd_put_char(b, '"');
}

static void attr_head(struct skbd_sbuf *b, bool *first, const char *key)
{
	if (!*first)
		skbd_put_char(b, ',');
	*first = false;
	skbd_put_lit(b, "{\"key\":\"");
	skbd_put_str(b, key); /* our keys: nothing to escape */
	skbd_put_lit(b, "\",\"value\":{");
}

void out_otlp_attr_str(struct skbd_sbuf *b, bool *first, const char *key, const char *v)
{
	attr_head(b, first, key);
	skbd_put_lit(b, "\"stringValue\":");
	skbd_put_json_str(b, v);
	skbd_put_lit(b, "}}");
}

static void attr_mem(struct skbd_sbuf *b, bool *first, const char *key, const char *v, size_t n)
{
	attr_head(b, first, key);
	skbd_put_lit(b, "\"stringValue\":");
	skbd_put_json_mem(b, v, n);
	skbd_put_lit(b, "}}");
}

void out_otlp_attr_int(struct skbd_sbuf *b, bool *first, const char *key, __u64 v)
{
	attr_head(b, first, key);
	skbd_put_lit(b, "\"intValue\":");
	out_otlp_u64_str(b, v);
	skbd_put_lit(b, "}}");
}

void out_otlp_put_resource(struct skbd_sbuf *b, const struct skbd_otlp_opts *o)
{
	bool first = true;

	skbd_put_lit(b, "{\"resource\":{\"attributes\":[");
	out_otlp_attr_str(b, &first, "service.name", "skbdrop");
	if (o->version)
		out_otlp_attr_str(b, &first, "service.version", o->version);
	if (o->host_name)
		out_otlp_attr_str(b, &first, "host.name", o->host_name);
	out_otlp_attr_str(b, &first, "os.type", "linux");
	if (o->kernel_release)
		out_otlp_attr_str(b, &first, "os.version", o->kernel_release);
	skbd_put_lit(b, "]},");
}

void out_otlp_put_scope(struct skbd_sbuf *b, const struct skbd_otlp_opts *o)
{
	skbd_put_lit(b, "{\"scope\":{\"name\":\"skbdrop\"");
	if (o->version) {
		skbd_put_lit(b, ",\"version\":");
		skbd_put_json_str(b, o->version);
	}
	skbd_put_lit(b, "},");
}

void skbd_otlp__put_logs_head(struct skbd_sbuf *b, const struct skbd_otlp_opts *o)
{
	skbd_put_lit(b, "{\"resourceLogs\":[");
	out_otlp_put_resource(b, o);
	skbd_put_lit(b, "\"scopeLogs\":[");
	out_otlp_put_scope(b, o);
	skbd_put_lit(b, "\"logRecords\":[");
}

void skbd_otlp__put_logs_tail(struct skbd_sbuf *b)
{
	skbd_put_lit(b, "]}]}]}");
}

static void put_addr(struct skbd_sbuf *b, bool *first, const char *key, int fam, const void *a)
{
	char s[INET6_ADDRSTRLEN];

	if (inet_ntop(fam, a, s, sizeof(s)))
		out_otlp_attr_str(b, first, key, s);
}

void skbd_otlp__put_log(struct skbd_sbuf *b, const struct skbd_fmt_ctx *c, const struct skbd_drop *d,
			const struct skbd_drop_names *nm)
{
	const char *reason = out_reason_name(c, d->reason);
	struct skbd_pkt p;
	char pkt[SKBD_PKT_TEXT_MAX];
	bool first = true;
	__u64 ts = d->ts_ns + (__u64)c->mono_to_real_ns; /* (wraps, as the clocks' sum would) */
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	skbd_pkt__decode_drop(d, &p);
	skbd_pkt__format_text(&p, pkt, sizeof(pkt));
	skbd_put_lit(b, "{\"timeUnixNano\":");
	out_otlp_u64_str(b, ts);
	skbd_put_lit(b, ",\"observedTimeUnixNano\":");
	out_otlp_u64_str(b, (__u64)now.tv_sec * 1000000000ull + (__u64)now.tv_nsec);
	if (d->flags & SKBD_DROP_BENIGN)
		skbd_put_lit(b, ",\"severityNumber\":9,\"severityText\":\"INFO\"");
	else
		skbd_put_lit(b, ",\"severityNumber\":13,\"severityText\":\"WARN\"");
	{
		/* the body: what a text line says first */
		struct skbd_sbuf t;
		char text[SKBD_NAME_LOC + SKBD_PKT_TEXT_MAX + 96];

		t = (struct skbd_sbuf){ .buf = text, .size = sizeof(text) };
		out_put_reason_text(&t, c, d->reason);
		skbd_put_char(&t, ' ');
		skbd_put_str(&t, nm->location);
		if (pkt[0]) {
			skbd_put_char(&t, ' ');
			skbd_put_str(&t, pkt);
		}
		skbd_sbuf__finish(&t);
		skbd_put_lit(b, ",\"body\":{\"stringValue\":");
		skbd_put_json_str(b, text);
		skbd_put_lit(b, "}");
	}
	skbd_put_lit(b, ",\"attributes\":[");
	if (reason)
		out_otlp_attr_str(b, &first, "skbdrop.reason", reason);
	if (c->has_reason || reason)
		out_otlp_attr_int(b, &first, "skbdrop.reason_code", d->reason);
	out_otlp_attr_str(b, &first, "skbdrop.location", nm->location);
	if (p.have_ipv4 && (p.ipv4_st.status == SKBD_PKT_OK || p.ipv4_partial)) {
		out_otlp_attr_str(b, &first, "network.type", "ipv4");
		put_addr(b, &first, "source.address", AF_INET, p.ipv4.src);
		put_addr(b, &first, "destination.address", AF_INET, p.ipv4.dst);
	} else if (p.have_ipv6 && (p.ipv6_st.status == SKBD_PKT_OK || p.ipv6_partial)) {
		out_otlp_attr_str(b, &first, "network.type", "ipv6");
		put_addr(b, &first, "source.address", AF_INET6, p.ipv6.src);
		put_addr(b, &first, "destination.address", AF_INET6, p.ipv6.dst);
	}
	if (p.have_tcp && p.tcp_st.status == SKBD_PKT_OK) {
		out_otlp_attr_str(b, &first, "network.transport", "tcp");
		out_otlp_attr_int(b, &first, "source.port", p.tcp.sport);
		out_otlp_attr_int(b, &first, "destination.port", p.tcp.dport);
	} else if (p.have_udp && p.udp_st.status == SKBD_PKT_OK) {
		out_otlp_attr_str(b, &first, "network.transport", "udp");
		out_otlp_attr_int(b, &first, "source.port", p.udp.sport);
		out_otlp_attr_int(b, &first, "destination.port", p.udp.dport);
	} else if (p.have_icmp || p.have_icmp6) {
		out_otlp_attr_str(b, &first, "skbdrop.protocol", p.have_icmp ? "icmp" : "icmpv6");
	}
	if (pkt[0])
		out_otlp_attr_str(b, &first, "skbdrop.packet", pkt);
	if (d->flags & SKBD_DROP_HAS_CTX) {
		out_otlp_attr_int(b, &first, "skbdrop.len", d->len);
		if (d->ifindex)
			out_otlp_attr_int(b, &first, "skbdrop.ifindex", d->ifindex);
		if (nm->dev[0])
			out_otlp_attr_str(b, &first, "network.interface.name", nm->dev);
		if (d->netns)
			out_otlp_attr_int(b, &first, "skbdrop.netns", d->netns);
		if (nm->netns[0])
			out_otlp_attr_str(b, &first, "skbdrop.netns_name", nm->netns);
	}
	/* the process whose socket it was: the owner; the task that ran is the context */
	if ((d->flags & SKBD_DROP_HAS_OWNER) && nm->owner.known) {
		out_otlp_attr_int(b, &first, "process.pid", nm->owner.pid);
		attr_mem(b, &first, "process.executable.name", nm->owner.comm, strnlen(nm->owner.comm, sizeof(nm->owner.comm)));
	}
	if ((d->flags & SKBD_DROP_HAS_OWNER) && (d->sk_flags & SKBD_SK_UID))
		out_otlp_attr_int(b, &first, "process.user.id", d->sk_uid);
	if ((d->flags & SKBD_DROP_HAS_OWNER) && nm->owner.container[0])
		out_otlp_attr_str(b, &first, "container.id", nm->owner.container);
	out_otlp_attr_int(b, &first, "skbdrop.context.pid", d->pid);
	out_otlp_attr_int(b, &first, "skbdrop.context.tid", d->tid);
	attr_mem(b, &first, "skbdrop.context.comm", d->comm, strnlen(d->comm, sizeof(d->comm)));
	out_otlp_attr_int(b, &first, "skbdrop.cpu", d->cpu);
	if ((d->flags & SKBD_DROP_BENIGN) && d->benign_rule < SKBD_DROP_BENIGN_RULES &&
	    skbd_benign_rules[d->benign_rule].name)
		out_otlp_attr_str(b, &first, "skbdrop.benign", skbd_benign_rules[d->benign_rule].name);
	skbd_put_lit(b, "]}");
}

/* ---- the exporter ---- */

int skbd_otlp__new(const struct skbd_fmt_ctx *c, const struct skbd_otlp_opts *o, struct skbd_otlp **out, char *err,
		   size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct skbd_otlp *x;
	const char *host_start, *host_end;
	char host[80];
	int e;

	x = calloc(1, sizeof(*x));
	if (!x)
		return -ENOMEM;
	e = skbd_http__parse_url(o->url, &ss, &len, x->path, sizeof(x->path), err, err_size);
	if (e) {
		free(x);
		return e;
	}
	x->o = *o;
	if (!x->o.batch_ms)
		x->o.batch_ms = SKBD_OTLP_BATCH_MS;
	x->ctx = *c;
	x->ctx.cache = &x->cache;
	x->cache.t.sec = -1;
	/* the Host header: the URL's authority */
	host_start = o->url + 7;
	host_end = strchr(host_start, '/');
	snprintf(host, sizeof(host), "%.*s", (int)(host_end ? (size_t)(host_end - host_start) : strlen(host_start)),
		 host_start);
	{
		size_t n1 = o->version ? strlen(o->version) + 1 : 0, n2 = o->host_name ? strlen(o->host_name) + 1 : 0,
		       n3 = o->kernel_release ? strlen(o->kernel_release) + 1 : 0;
		char *p = x->strings = malloc(n1 + n2 + n3 + 1);

		if (!p) {
			free(x);
			return -ENOMEM;
		}
		if (n1)
			x->o.version = memcpy(p, o->version, n1), p += n1;
		if (n2)
			x->o.host_name = memcpy(p, o->host_name, n2), p += n2;
		if (n3)
			x->o.kernel_release = memcpy(p, o->kernel_release, n3);
		x->o.url = NULL; /* the caller's: not kept */
	}
	if (skbd_httpc__new(&ss, len, host, &x->client)) {
		skbd_otlp__free(x);
		return -ENOMEM;
	}
	*out = x;
	return 0;
}

static void batch_free(struct batch *b)
{
	skbd_sbuf__release(&b->body);
	memset(b, 0, sizeof(*b));
}

void skbd_otlp__free(struct skbd_otlp *x)
{
	if (!x)
		return;
	skbd_httpc__free(x->client);
	batch_free(&x->open);
	batch_free(&x->metrics);
	for (size_t i = 0; i < SKBD_OTLP_QUEUE; i++)
		batch_free(&x->queue[i]);
	free(x->strings);
	free(x);
}

/* The open batch's records counted as dropped, the batch freed. */
static void drop_open(struct skbd_otlp *x)
{
	x->st.dropped += x->open.records;
	batch_free(&x->open);
}

/* The open batch into the queue (or counted as dropped when it is full). */
static void seal(struct skbd_otlp *x)
{
	struct batch *slot;

	if (!x->open.records)
		return;
	if (x->q_len == SKBD_OTLP_QUEUE) {
		drop_open(x);
		return;
	}
	skbd_otlp__put_logs_tail(&x->open.body);
	if (x->open.body.oom) {
		drop_open(x);
		return;
	}
	slot = &x->queue[(x->q_head + x->q_len) % SKBD_OTLP_QUEUE];
	*slot = x->open;
	memset(&x->open, 0, sizeof(x->open));
	x->q_len++;
}

int skbd_otlp__event(struct skbd_otlp *x, const struct skbd_drop *d, const struct skbd_drop_names *nm)
{
	x->st.records++;
	if (!x->open.records) {
		skbd_sbuf__grow_init(&x->open.body);
		skbd_otlp__put_logs_head(&x->open.body, &x->o);
		x->open_ms = skbd_http__now_ms();
	} else {
		skbd_put_char(&x->open.body, ',');
	}
	skbd_otlp__put_log(&x->open.body, &x->ctx, d, nm);
	x->open.records++;
	if (x->open.body.oom) {
		drop_open(x);
		return -ENOMEM;
	}
	if (x->open.records >= SKBD_OTLP_BATCH_RECORDS || x->open.body.len >= SKBD_OTLP_BATCH_BYTES)
		seal(x);
	return 0;
}

void skbd_otlp__metrics(struct skbd_otlp *x, const char *body, size_t len)
{
	if (x->inflight == &x->metrics) /* being sent: the next one waits for its answer */
		return;
	batch_free(&x->metrics);
	skbd_sbuf__grow_init(&x->metrics.body);
	skbd_put_mem(&x->metrics.body, body, len);
	x->metrics.metrics = true;
	x->have_metrics = !x->metrics.body.oom;
}

int skbd_otlp__fd(const struct skbd_otlp *x)
{
	return x ? skbd_httpc__fd(x->client) : -1;
}

short skbd_otlp__events(const struct skbd_otlp *x)
{
	return x ? skbd_httpc__events(x->client) : 0;
}

static void done_with(struct skbd_otlp *x, struct batch *b)
{
	if (b == &x->metrics) {
		batch_free(&x->metrics);
		x->have_metrics = false;
	} else {
		batch_free(b);
		x->q_head = (x->q_head + 1) % SKBD_OTLP_QUEUE;
		x->q_len--;
	}
	x->inflight = NULL;
}

/* The answer to the batch in flight. */
static void judge(struct skbd_otlp *x, const struct skbd_httpc_result *r, __u64 now)
{
	struct batch *b = x->inflight;
	bool retry = r->err || r->status == 429 || r->status == 502 || r->status == 503 || r->status == 504;

	x->st.last_status = r->status;
	if (!retry) {
		if (r->status >= 200 && r->status < 300) {
			if (b->metrics)
				x->st.metrics_sent++;
			else
				x->st.sent += b->records;
		} else if (b->metrics) {
			x->st.metrics_failed++;
		} else {
			x->st.rejected += b->records; /* 400, 413, and every other final answer */
		}
		done_with(x, b);
		return;
	}
	if (now - b->first_ms >= SKBD_OTLP_GIVE_UP_MS) {
		if (b->metrics)
			x->st.metrics_failed++;
		else
			x->st.failed += b->records;
		done_with(x, b);
		return;
	}
	{
		__u64 wait = SKBD_OTLP_BACKOFF_MS << (b->attempts - 1 < 5 ? b->attempts - 1 : 5);

		if (r->retry_after >= 0)
			wait = (__u64)r->retry_after * 1000;
		if (wait > SKBD_OTLP_BACKOFF_MAX_MS)
			wait = SKBD_OTLP_BACKOFF_MAX_MS;
		b->next_ms = now + wait;
	}
	x->st.retries++;
	x->inflight = NULL;
}

void skbd_otlp__step(struct skbd_otlp *x)
{
	struct skbd_httpc_result r;
	enum skbd_httpc_state s;
	__u64 now = skbd_http__now_ms();

	if (x->open.records && now - x->open_ms >= x->o.batch_ms)
		seal(x);
	if (x->inflight) {
		s = skbd_httpc__step(x->client, &r);
		if (s == SKBD_HTTPC_BUSY)
			return;
		if (s == SKBD_HTTPC_DONE || s == SKBD_HTTPC_FAILED)
			judge(x, &r, now);
	}
	if (!x->inflight) {
		struct batch *b = NULL;
		char path[300];

		if (x->q_len && x->queue[x->q_head].next_ms <= now)
			b = &x->queue[x->q_head];
		else if (x->have_metrics && x->metrics.next_ms <= now)
			b = &x->metrics;
		if (!b)
			return;
		snprintf(path, sizeof(path), "%s%s", x->path, b->metrics ? "/v1/metrics" : "/v1/logs");
		if (skbd_httpc__post(x->client, path, "application/json", b->body.buf, b->body.len))
			return; /* out of memory: the next step tries again */
		if (!b->attempts++)
			b->first_ms = now;
		x->st.requests++;
		x->inflight = b;
		s = skbd_httpc__step(x->client, &r);
		if (s == SKBD_HTTPC_DONE || s == SKBD_HTTPC_FAILED)
			judge(x, &r, now);
	}
}

void skbd_otlp__drain(struct skbd_otlp *x, int timeout_ms)
{
	__u64 end = skbd_http__now_ms() + (__u64)timeout_ms;

	seal(x);
	while ((x->q_len || x->inflight || x->have_metrics) && skbd_http__now_ms() < end) {
		struct pollfd p = { .fd = skbd_otlp__fd(x), .events = skbd_otlp__events(x) };
		__u64 left = end - skbd_http__now_ms();

		if (p.fd >= 0)
			poll(&p, 1, left < 50 ? (int)left : 50);
		else {
			/* a retry not due before the end: give up now */
			__u64 due = x->q_len ? x->queue[x->q_head].next_ms : x->metrics.next_ms;

			if (due >= end)
				break;
			if (due > skbd_http__now_ms())
				poll(NULL, 0, 20);
		}
		skbd_otlp__step(x);
	}
	/* left unsent */
	for (size_t i = 0; i < x->q_len; i++)
		x->st.failed += x->queue[(x->q_head + i) % SKBD_OTLP_QUEUE].records;
}

void skbd_otlp__stats(const struct skbd_otlp *x, struct skbd_otlp_stats *st)
{
	*st = x->st;
}
