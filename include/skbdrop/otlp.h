/* SPDX-License-Identifier: GPL-2.0-only */
/* --otlp: drops as OpenTelemetry log records, counters as cumulative Sums,
 * pushed over OTLP/HTTP with the JSON encoding (URL/v1/logs, URL/v1/metrics).
 * Records are batched by count and age; sealed batches wait in a bounded
 * queue (its overflow is counted like ring loss) for one non-blocking client.
 * Retries only on 429, 502, 503, 504 and on no answer at all, after
 * Retry-After or an exponential backoff; 400, 413 and the rest are final.
 * Nothing here ever blocks the caller. */
#ifndef SKBDROP_OTLP_H
#define SKBDROP_OTLP_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <skbdrop/drop.h>
#include <skbdrop/names.h>
#include <skbdrop/output.h>

#define SKBD_OTLP_BATCH_RECORDS 512    /* records per request, at most */
#define SKBD_OTLP_BATCH_BYTES (1 << 20) /* bytes per request body, about */
#define SKBD_OTLP_BATCH_MS 1000         /* a batch is sent at this age at the latest */
#define SKBD_OTLP_QUEUE 32              /* sealed batches waiting; beyond, a new one is dropped */
#define SKBD_OTLP_BACKOFF_MS 1000       /* first retry, doubled each time ... */
#define SKBD_OTLP_BACKOFF_MAX_MS 30000  /* ... up to this (Retry-After is honoured up to it too) */
#define SKBD_OTLP_GIVE_UP_MS 120000     /* a batch retried this long is dropped (counted as failed) */

struct skbd_otlp_opts {
	const char *url;            /* http://HOST:PORT[/PATH] */
	const char *version;        /* service.version */
	const char *host_name;      /* host.name */
	const char *kernel_release; /* os.version */
	unsigned int batch_ms;      /* 0: SKBD_OTLP_BATCH_MS */
};

struct skbd_otlp_stats {
	unsigned long long records;     /* handed in */
	unsigned long long sent;        /* accepted by the collector (2xx) */
	unsigned long long dropped;     /* queue full: never sent */
	unsigned long long rejected;    /* answered with a final error (400, 413, ...) */
	unsigned long long failed;      /* retried past SKBD_OTLP_GIVE_UP_MS, or left at exit */
	unsigned long long requests, retries;
	unsigned long long metrics_sent, metrics_failed; /* /v1/metrics requests */
	int last_status;                /* of the last answer (0: none yet) */
};

struct skbd_otlp;

/* c: reason names and the wall clock (copied). 0, or -EINVAL with one line
 * in err (a bad URL), -ENOMEM. */
int skbd_otlp__new(const struct skbd_fmt_ctx *c, const struct skbd_otlp_opts *o, struct skbd_otlp **out, char *err,
		   size_t err_size);
void skbd_otlp__free(struct skbd_otlp *x);
/* One drop into the open batch (sealed when full). 0 or -ENOMEM (the
 * record counted as dropped). */
int skbd_otlp__event(struct skbd_otlp *x, const struct skbd_drop *d, const struct skbd_drop_names *nm);
/* A /v1/metrics body to send (cumulative: a newer one replaces one not yet
 * sent). Copied. */
void skbd_otlp__metrics(struct skbd_otlp *x, const char *body, size_t len);
/* The client's socket (-1: none) and events, for the caller's poll. */
int skbd_otlp__fd(const struct skbd_otlp *x);
short skbd_otlp__events(const struct skbd_otlp *x);
/* Progress without waiting: seal an aged batch, start, advance and judge
 * requests, schedule retries. Call it after every poll batch. */
void skbd_otlp__step(struct skbd_otlp *x);
/* At exit: seal the open batch and keep sending for at most timeout_ms
 * (a collector that does not answer keeps no one waiting); what is left is
 * counted as failed. */
void skbd_otlp__drain(struct skbd_otlp *x, int timeout_ms);
void skbd_otlp__stats(const struct skbd_otlp *x, struct skbd_otlp_stats *st);

/* ---- the encoding (pure; exposed for the tests) ---- */

/* One logRecord object of the OTLP JSON encoding. */
void skbd_otlp__put_log(struct skbd_sbuf *b, const struct skbd_fmt_ctx *c, const struct skbd_drop *d,
			const struct skbd_drop_names *nm);
/* {"resourceLogs":[{"resource":...,"scopeLogs":[{"scope":...,"logRecords":[  and its end */
void skbd_otlp__put_logs_head(struct skbd_sbuf *b, const struct skbd_otlp_opts *o);
void skbd_otlp__put_logs_tail(struct skbd_sbuf *b);
/* A /v1/metrics body: the summary's rows as data points of the cumulative
 * monotonic Sum "skbdrop.drops" (attributes: the head's labels of the rows'
 * fields), and the head's lost, missed, filtered and rate-limited counts as
 * Sums of their own; start and now in wall-clock nanoseconds. */
int skbd_summary__format_otlp(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *v, const struct skbd_otlp_opts *o, __u64 start_ns,
			      __u64 now_ns, struct skbd_sbuf *out);

#endif
