// SPDX-License-Identifier: GPL-2.0-only
/* --metrics: the HTTP server and what a scrape reads. A scrape reads the
 * kernel's per-key totals (counted in the kernel whether streaming or not,
 * so a drop the ring had no room for is still counted), the run's counters
 * and the kernel's own drop counters, and writes them in the Prometheus text
 * format. It runs between poll batches, like every other lookup. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <skbdrop/http.h>
#include <skbdrop/otlp.h>
#include <skbdrop/monitor.h>
#include <skbdrop/output.h>
#include "cli.h"

/* Read the kernel's counts now into m->so (rows, names and head). The
 * kernel's own counters are read again only when fresh is asked for or
 * CLI_METRICS_COUNTERS_SEC passed: reading them enters every namespace drops
 * were seen in (up to CLI_SEEN_NS), work a scraper asking every second need
 * not cause each time. 0 or -errno. */
static int snapshot(struct cli_run *r, bool fresh)
{
	struct cli_metrics *m = &r->metrics;
	const struct cli_opts *o = r->o;
	struct skbd_monitor_stats st;
	const struct skbd_drop_key *keys;
	const __u64 *totals;
	size_t n;
	double now;
	int err;

	err = cli_read_keys(r, o->summary ? o->by : o->metrics_labels, &keys, &totals, &n);
	if (err)
		return err;
	skbd_monitor__stats(r->mon, &st);
	now = cli_now();
	err = skbd_summary__update(m->sum, keys, totals, n, st.agg_other, now);
	if (!err)
		err = cli_summary_view(r, m->sum, &m->so);
	if (err)
		return err;
	if (fresh || !m->kc_at || now - m->kc_at >= CLI_METRICS_COUNTERS_SEC) {
		cli_counters_free(m->kc, m->nr_kc);
		if (cli_counters_now(r, &m->kc, &m->nr_kc)) {
			m->kc = NULL;
			m->nr_kc = 0;
		}
		m->kc_at = now;
	}
	m->so.head = (struct skbd_summary_head){
		.kernel_release = r->release,
		.elapsed = now - m->start,
		.counted = skbd_summary__counted(m->sum),
		.lost = o->summary ? 0 : cli_lost(r, &st),
		.filtered = st.filtered,
		.rate_limited = st.rate_limited,
		.counters = m->kc,
		.nr_counters = m->nr_kc,
		.labels = o->metrics_labels,
		.streaming = !o->summary,
		.delivered = r->delivered,
		.missed = st.misses,
		.benign_rules = st.benign,
		.version = r->version,
		.transport = o->summary ? "summary" : o->transport == CLI_TRANSPORT_RINGBUF ? "ringbuf" : "perf",
	};
	for (int k = 0; k < SKBD_DROP_BENIGN_RULES && !o->all; k++)
		m->so.head.benign += st.benign[k];
	if (r->otlp) {
		skbd_otlp__stats(r->otlp, &m->otlp_st);
		m->so.head.otlp = &m->otlp_st;
	}
	m->so.view.head = &m->so.head;
	return 0;
}

static int render(void *ctx, struct skbd_sbuf *body)
{
	struct cli_run *r = ctx;
	int err = snapshot(r, false);

	if (!err)
		err = skbd_summary__format_prom(r->metrics.sum, &r->fc, &r->metrics.so.view, body);
	return err;
}

static __u64 wall_ns(double mono, const struct cli_run *r)
{
	return (__u64)(mono * 1e9) + (__u64)r->fc.mono_to_real_ns;
}

void cli_otlp_push_metrics(struct cli_run *r, bool last)
{
	struct skbd_sbuf b;

	if (!r->otlp)
		return;
	r->otlp_metrics_next = cli_now() + (r->o->summary ? r->o->summary : CLI_OTLP_METRICS_SEC);
	skbd_sbuf__grow_init(&b);
	if (!snapshot(r, last) &&
	    !skbd_summary__format_otlp(r->metrics.sum, &r->fc, &r->metrics.so.view, &r->otlp_opts,
				       wall_ns(r->metrics.start, r), wall_ns(cli_now(), r), &b))
		skbd_otlp__metrics(r->otlp, b.buf, b.len);
	skbd_sbuf__release(&b);
}

int cli_metrics_open(struct cli_run *r)
{
	const struct cli_opts *o = r->o;
	struct cli_metrics *m = &r->metrics;
	struct skbd_http_opts ho = {
		.path = "/metrics",
		.content_type = "text/plain; version=0.0.4; charset=utf-8",
		.render = render,
		.ctx = r,
	};
	char err[256];
	int e;

	if (!o->metrics && !o->otlp)
		return 0;
	m->start = cli_now();
	if (skbd_summary__new(o->summary ? o->by : o->metrics_labels, m->start, &m->sum)) {
		cli_error(r->log, "out of memory");
		return 1;
	}
	if (o->otlp) {
		char host[256] = "";

		gethostname(host, sizeof(host) - 1);
		r->otlp_opts = (struct skbd_otlp_opts){ .url = o->otlp, .version = r->version, .host_name = host,
							.kernel_release = r->release };
		e = skbd_otlp__new(&r->fc, &r->otlp_opts, &r->otlp, err, sizeof(err));
		r->otlp_opts.url = NULL; /* (copied where needed) */
		r->otlp_opts.host_name = NULL;
		if (e) {
			r->log->last[0] = '\0';
			cli_error(r->log, "%s", e == -EINVAL ? err : strerror(-e));
			return 1;
		}
		r->otlp_metrics_next = m->start + (o->summary ? o->summary : CLI_OTLP_METRICS_SEC);
		if (!o->metrics)
			return 0;
	}
	e = skbd_http__open(o->metrics, &ho, &m->http, err, sizeof(err));
	if (e) {
		r->log->last[0] = '\0';
		cli_error(r->log, "%s%s", err, e == -EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "");
		return 1;
	}
	return 0;
}

void cli_metrics_close(struct cli_run *r)
{
	struct cli_metrics *m = &r->metrics;

	skbd_otlp__free(r->otlp);
	r->otlp = NULL;
	skbd_http__close(m->http);
	skbd_summary__free(m->sum);
	cli_counters_free(m->kc, m->nr_kc);
	free(m->so.rows);
	free(m->so.names);
	memset(m, 0, sizeof(*m));
}

void cli_metrics_serve(struct cli_run *r)
{
	int err;

	if (!r->metrics.http)
		return;
	err = skbd_http__serve(r->metrics.http);
	if (err) /* the listening socket failed: not expected; said once a round */
		fprintf(stderr, "skbdrop: warning: --metrics: %s\n", strerror(-err));
}

void cli_otlp_finish(struct cli_run *r)
{
	struct skbd_otlp_stats st;

	if (!r->otlp)
		return;
	cli_otlp_push_metrics(r, true); /* the final counts */
	skbd_otlp__drain(r->otlp, CLI_OTLP_DRAIN_MS);
	skbd_otlp__stats(r->otlp, &st);
	fprintf(stderr, "skbdrop: otlp: %llu log records, %llu sent, %llu dropped (queue full), %llu rejected, %llu failed (no answer or retried too long); %llu requests, %llu retries, %llu metrics sent, last status %d\n",
		st.records, st.sent, st.dropped, st.rejected, st.failed, st.requests, st.retries, st.metrics_sent,
		st.last_status);
}

int cli_metrics_fd(const struct cli_run *r)
{
	return r->metrics.http ? skbd_http__fd(r->metrics.http) : -1;
}
