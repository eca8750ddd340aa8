// SPDX-License-Identifier: GPL-2.0-only
/* The run's plumbing between the monitor and the output: the places the
 * options name, the names side, the output buffer, the stderr reports and
 * the --summary loop. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <skbdrop/log.h>
#include <skbdrop/netns.h>
#include <skbdrop/monitor.h>
#include <skbdrop/names.h>
#include <skbdrop/netns.h>
#include <skbdrop/output.h>
#include "cli.h"

void cli_error(struct cli_log *l, const char *fmt, ...)
{
	va_list ap;

	fputs("skbdrop: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (l->last[0])
		fprintf(stderr, " (%s)", l->last);
	fputc('\n', stderr);
	l->last[0] = '\0';
}

double cli_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int cli_resolve_places(struct cli_run *r, struct cli_setup *s)
{
	const struct cli_opts *o = r->o;
	const char *list = o->devices ? o->devices : o->exclude_devices;
	char msg[512], *copy, *save = NULL, *name;
	__u32 self = 0;
	struct stat st;

	if (stat("/proc/self/ns/net", &st) == 0)
		self = (__u32)st.st_ino;
	if (o->netns && skbd_netns__parse(o->netns, &s->netns, s->netns_path, sizeof(s->netns_path), msg, sizeof(msg))) {
		cli_error(r->log, "%s", msg);
		return 1;
	}
	if (!list)
		return 0;
	if (s->netns && s->netns != self && !s->netns_path[0]) {
		cli_error(r->log, "--netns %s: no path to this namespace to look up device names in", o->netns);
		return 1;
	}
	copy = strdup(list);
	if (!copy) {
		cli_error(r->log, "out of memory");
		return 1;
	}
	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		__u32 ifx = 0;
		int err = skbd_netns__ifindex(s->netns && s->netns != self ? s->netns_path : NULL, name, &ifx);

		if (err) {
			cli_error(r->log, "%s %s: %s%s%s", o->devices ? "--device" : "--exclude-device", name,
				  err == -ENODEV ? "no such device" : strerror(-err), s->netns ? " in netns " : "",
				  s->netns ? o->netns : "");
			free(copy);
			return 1;
		}
		if (s->nr_devs == SKBD_DROP_DEVICES_MAX) {
			cli_error(r->log, "more than %d devices", SKBD_DROP_DEVICES_MAX);
			free(copy);
			return 1;
		}
		s->devs[s->nr_devs++] = (struct skbd_dev_sel){ .netns = s->netns ? s->netns : self, .ifindex = ifx };
	}
	free(copy);
	return 0;
}

int cli_list_reasons(const struct skbd_tpformat *fmt, bool json)
{
	if (json) {
		char buf[256];

		printf("[");
		for (size_t i = 0; i < fmt->nr_reasons; i++) {
			struct skbd_sbuf b = { .buf = buf, .size = sizeof(buf) };

			skbd_put_json_str(&b, fmt->reasons[i].name); /* names fit: 64 bytes at most */
			printf("%s{\"code\":%u,\"name\":%.*s}", i ? "," : "", fmt->reasons[i].code, (int)b.len, buf);
		}
		printf("]\n");
	} else if (!fmt->nr_reasons) {
		printf("# this kernel's kfree_skb tracepoint has no drop reasons (added in 5.17)\n");
	} else {
		for (size_t i = 0; i < fmt->nr_reasons; i++)
			printf("%u\t%s\n", fmt->reasons[i].code, fmt->reasons[i].name);
	}
	return fflush(stdout) ? 1 : 0;
}

/* ---- names and output ---- */

static int read_stack(void *ctx, __s32 id, __u64 *ips, size_t max)
{
	return skbd_monitor__stack(ctx, id, ips, max);
}

static __s64 mono_to_real(void)
{
	struct timespec m1, rt, m2;

	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	return (__s64)rt.tv_sec * 1000000000 + rt.tv_nsec -
	       (((__s64)m1.tv_sec * 1000000000 + m1.tv_nsec) + ((__s64)m2.tv_sec * 1000000000 + m2.tv_nsec)) / 2;
}

int cli_open_output(struct cli_run *r)
{
	struct skbd_out_opts oo = { .json = r->o->output == CLI_OUT_JSON, .discard = r->o->no_output, .stop = r->stop };

	r->fc.fmt = skbd_monitor__format(r->mon);
	r->fc.has_reason = skbd_monitor__has_reason(r->mon);
	r->fc.mono_to_real_ns = mono_to_real();
	r->fc.stacks = r->o->stack;
	r->fc.sock_state = r->o->sock_state;
	if (r->o->write_file) {
		struct skbd_pcapng_opts po = { .path = r->o->write_file, .rotate_bytes = r->o->rotate_bytes,
					       .rotate_files = r->o->rotate_files, .app = r->app, .stop = r->stop,
					       .snaplen = r->o->snaplen, .uid = r->file_uid, .gid = r->file_gid };
		char first[PATH_MAX];
		int err = skbd_pcapng__new(&r->fc, &po, &r->pcap);

		if (err) {
			skbd_pcapng__file_name(&po, 0, first, sizeof(first));
			cli_error(r->log, "-w %s: %s", first, strerror(-err));
			return 1;
		}
		return 0;
	}
	if (!r->o->summary && skbd_out__new(STDOUT_FILENO, &r->fc, &oo, &r->out)) {
		cli_error(r->log, "out of memory");
		return 1;
	}
	return 0;
}

struct benign_locs {
	struct skbd_benign_loc *v;
	size_t n;
	__u32 rule;
};

static void add_benign_loc(void *ctx, const char *name, __u64 start, __u64 end)
{
	struct benign_locs *b = ctx;

	if (b->n < SKBD_DROP_BENIGN_LOCS)
		b->v[b->n++] = (struct skbd_benign_loc){ start, end, b->rule };
}

void cli_open_names(struct cli_run *r)
{
	long no_socket = skbd_tpformat__reason_code(skbd_monitor__format(r->mon), "NO_SOCKET");

	struct skbd_names_opts no = {
		.symbols = !r->o->count_only,
		.devices = !r->o->count_only,
		.cgroups = !r->o->count_only && !r->o->summary,
		.owners = !r->o->count_only && (!r->o->summary || (r->o->by & (SKBD_BY_OWNER | SKBD_BY_CONTAINER))),
		/* before 6.11 the receive path's socket is found by address, after the drop */
		.owner_lookup = !r->o->summary && !skbd_monitor__has_rx_sk(r->mon),
		.owner_lookup_skip_reason = no_socket < 0 ? ~0u : (__u32)no_socket,
		.stack_read = r->o->stack ? read_stack : NULL,
		.stack_ctx = r->mon,
	};

	if (skbd_names__new(&no, &r->names)) {
		fprintf(stderr, "skbdrop: warning: names unavailable: out of memory\n");
		return;
	}
	/* the benign rules' functions, now that kallsyms is read */
	{
		struct skbd_benign_loc locs[SKBD_DROP_BENIGN_LOCS];
		size_t n = 0;

		struct benign_locs bl = { locs, 0, 0 };

		for (__u32 k = 0; skbd_benign_rules[k].name; k++) {
			if (!(r->o->benign & (1u << k)))
				continue;
			bl.rule = k;
			for (const char *const *f = skbd_benign_rules[k].functions; *f; f++)
				skbd_names__functions(r->names, *f, add_benign_loc, &bl);
		}
		n = bl.n;
		__u64 hs, he;

		/* the listen-overflow hook's location */
		if (!skbd_monitor__hook(r->mon)) {
			int e = skbd_names__function(r->names, "tcp_conn_request", &hs, &he);

			if (!e)
				e = skbd_monitor__set_hook_location(r->mon, hs);
			if (!e && r->o->verbose)
				fprintf(stderr, "skbdrop: the listen-overflow hook's events are located at tcp_conn_request\n");
			if (e)
				fprintf(stderr, "skbdrop: warning: the listen-overflow hook's events have no location (tcp_conn_request: %s)\n",
					strerror(-e));
		}
		if (n && skbd_monitor__benign_functions(r->mon, locs, n))
			fprintf(stderr, "skbdrop: warning: benign rules by function not in force: %s\n",
				skbd_monitor__errmsg(r->mon));
		else if (r->o->verbose)
			fprintf(stderr, "skbdrop: kallsyms read: benign rules by function in force (%zu function ranges)\n", n);
	}
}

void cli_close(struct cli_run *r)
{
	skbd_pcapng__free(r->pcap); /* (flushed by the run: an error here was said there) */
	skbd_out__free(r->out);
	skbd_names__free(r->names);
	skbd_counters__free(r->counters);
	free(r->owner_inos);
	free(r->owned);
	cli_metrics_close(r);
}

static void owner_add(void *ctx, __u64 ino)
{
	struct cli_run *r = ctx;

	if (r->nr_owner_inos == r->cap_owner_inos) {
		size_t cap = r->cap_owner_inos ? 2 * r->cap_owner_inos : 256;
		__u64 *v = realloc(r->owner_inos, cap * sizeof(*v));

		if (!v)
			return; /* this round lists fewer: the next one tries again */
		r->owner_inos = v;
		r->cap_owner_inos = cap;
	}
	r->owner_inos[r->nr_owner_inos++] = ino;
}

int cli_owner_refresh(struct cli_run *r)
{
	size_t n;
	int err;

	r->owner_next = cli_now() + CLI_OWNER_REFRESH_MS / 1000.0;
	r->nr_owner_inos = 0;
	err = skbd_names__pid_sockets(NULL, r->o->owner, owner_add, r);
	if (err) {
		/* gone after the start: its sockets stay in the set (their last drops still count) */
		if (r->log->live)
			return 0;
		cli_error(r->log, "--owner %u: %s", r->o->owner, err == -ENOENT ? "no such process" : strerror(-err));
		return 1;
	}
	n = r->nr_owner_inos;
	if (n > SKBD_DROP_OWNER_SOCKETS) {
		if (!r->owner_full)
			fprintf(stderr, "skbdrop: warning: --owner %u holds %zu sockets: only the first %d are followed\n",
				r->o->owner, n, SKBD_DROP_OWNER_SOCKETS);
		r->owner_full = true;
		n = SKBD_DROP_OWNER_SOCKETS;
	}
	err = skbd_monitor__owner_sockets(r->mon, r->owner_inos, n);
	if (err && !r->log->live) {
		cli_error(r->log, "%s", skbd_monitor__errmsg(r->mon));
		return 1;
	}
	return 0;
}

/* ---- the kernel's drop counters ---- */

#define CLI_COUNTERS_WATCH 64 /* namespaces given a first snapshot at start */

void cli_open_counters(struct cli_run *r)
{
	__u32 all[CLI_COUNTERS_WATCH];
	int n, err;

	if (skbd_counters__new(&r->counters)) {
		fprintf(stderr, "skbdrop: warning: kernel counters unavailable: out of memory\n");
		return;
	}
	if (r->netns_filter) {
		err = skbd_counters__watch(r->counters, r->netns_filter);
		if (err)
			fprintf(stderr, "skbdrop: warning: kernel counters of netns %u unavailable: %s\n", r->netns_filter,
				strerror(-err));
		return;
	}
	/* ours first, then every namespace we can reach: a drop may come from any */
	err = skbd_counters__watch(r->counters, 0);
	if (err)
		fprintf(stderr, "skbdrop: warning: kernel counters unavailable: %s\n", strerror(-err));
	n = skbd_netns__list(all, CLI_COUNTERS_WATCH);
	for (int i = 0; i < n; i++)
		skbd_counters__watch(r->counters, all[i]); /* one gone meanwhile is no loss */
}

void cli_seen_netns(struct cli_run *r, __u32 ino)
{
	if (!ino || (r->nr_seen_ns && r->seen_ns[r->nr_seen_ns - 1] == ino))
		return;
	for (size_t i = 0; i < r->nr_seen_ns; i++)
		if (r->seen_ns[i] == ino)
			return;
	if (r->nr_seen_ns < CLI_SEEN_NS)
		r->seen_ns[r->nr_seen_ns++] = ino;
}

void cli_counters_free(struct skbd_counters_view *views, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(views[i].d);
	free(views);
}

int cli_counters_now(struct cli_run *r, struct skbd_counters_view **views, size_t *n)
{
	__u32 want[CLI_SEEN_NS + 1];
	size_t nw = 0, k = 0;
	struct skbd_counters_view *v;

	*views = NULL;
	*n = 0;
	if (!r->counters)
		return 0;
	if (r->netns_filter) {
		want[nw++] = r->netns_filter;
	} else {
		size_t nwatched;
		const __u32 *watched = skbd_counters__netns(r->counters, &nwatched);

		if (nwatched)
			want[nw++] = watched[0]; /* ours */
		for (size_t i = 0; i < r->nr_seen_ns; i++)
			if (!nwatched || r->seen_ns[i] != watched[0])
				want[nw++] = r->seen_ns[i];
	}
	v = calloc(nw ? nw : 1, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (size_t i = 0; i < nw; i++) {
		/* a namespace created after the start: counted from its first sight */
		if (skbd_counters__read(r->counters, want[i]) == -ENOENT && !skbd_counters__watch(r->counters, want[i]))
			continue;
		if (skbd_counters__moved(r->counters, want[i], &v[k].d, &v[k].n))
			continue;
		v[k].netns = want[i];
		if (r->names)
			skbd_names__netns(r->names, want[i], v[k].netns_name);
		k++;
	}
	*views = v;
	*n = k;
	return 0;
}

static void print_counters(struct cli_run *r)
{
	struct skbd_counters_view *v;
	struct skbd_sbuf b;
	size_t n;

	if (cli_counters_now(r, &v, &n))
		return;
	skbd_sbuf__grow_init(&b);
	if (!skbd_counters__format_text(v, n, "skbdrop: ", &b) && b.len)
		fwrite(b.buf, 1, b.len, stderr);
	skbd_sbuf__release(&b);
	cli_counters_free(v, n);
}

void cli_batch_start(struct cli_run *r)
{
	if (r->names) /* notifications apply even without events, so a deleted
			 namespace is not kept alive by our socket */
		skbd_names__refresh(r->names);
	if (r->o->owner && cli_now() >= r->owner_next)
		cli_owner_refresh(r);
}

int cli_flush(struct cli_run *r)
{
	int err = r->out ? skbd_out__flush(r->out) : 0;

	if (r->pcap) {
		/* the events lost meanwhile, given to the next packet written: the
		 * kernel's failed outputs, counted in records on both transports
		 * (a perf LOST record counts samples, several records each with
		 * --batch) */
		struct skbd_monitor_stats st;

		skbd_monitor__stats(r->mon, &st);
		if (st.output_fail > r->fail_seen)
			r->lost_pending += st.output_fail - r->fail_seen;
		r->fail_seen = st.output_fail;
		err = skbd_pcapng__flush(r->pcap);
	}

	if (err)
		r->write_err = -err;
	return err ? -1 : 0;
}

int cli_emit(struct cli_run *r, const struct skbd_drop *d)
{
	int err;

	/* everything that may block (netlink, cgroupfs, the stack map, a
	 * kallsyms re-read) happens here, before the formatter runs */
	cli_seen_netns(r, d->netns);
	if (r->names) {
		d = skbd_names__complete(r->names, d);
		cli_seen_netns(r, d->sk_netns);
		skbd_names__drop(r->names, d, &r->nm);
	}
	else
		snprintf(r->nm.location, sizeof(r->nm.location), "0x%llx", (unsigned long long)d->location);
	if (r->otlp)
		skbd_otlp__event(r->otlp, d, &r->nm); /* (a record it cannot hold is counted there) */
	if (r->pcap) {
		err = skbd_pcapng__event(r->pcap, d, &r->nm, r->lost_pending);
		r->lost_pending = 0;
	} else {
		err = skbd_out__event(r->out, d, &r->nm);
	}
	if (err)
		r->write_err = -err;
	return err ? -1 : 0;
}

/* ---- stderr reports ---- */

unsigned long long cli_lost(const struct cli_run *r, const struct skbd_monitor_stats *st)
{
	return r->lost > st->output_fail ? r->lost : st->output_fail;
}

void cli_print_status(struct cli_run *r)
{
	struct skbd_monitor_stats st;

	skbd_monitor__stats(r->mon, &st);
	fprintf(stderr, "skbdrop: status: %llu delivered, %llu lost, %llu filtered, %llu rate-limited",
		r->delivered, cli_lost(r, &st), (unsigned long long)st.filtered, (unsigned long long)st.rate_limited);
	if (r->otlp) {
		struct skbd_otlp_stats os;

		skbd_otlp__stats(r->otlp, &os);
		fprintf(stderr, "; otlp %llu sent, %llu dropped, %llu rejected, %llu failed", os.sent, os.dropped,
			os.rejected, os.failed);
	}
	fputc('\n', stderr);
}

void cli_print_exit(struct cli_run *r)
{
	const struct cli_opts *o = r->o;
	const struct skbd_tpformat *fmt = skbd_monitor__format(r->mon);
	struct skbd_monitor_stats st;
	const char *sep = "";
	char wk[48];

	skbd_monitor__stats(r->mon, &st);
	if (o->transport == CLI_TRANSPORT_RINGBUF)
		fprintf(stderr, "skbdrop: %llu events delivered, %llu lost (ring buffer full: %llu failed outputs), %llu filtered in kernel, %llu rate-limited\n",
			r->delivered, (unsigned long long)st.output_fail, (unsigned long long)st.output_fail,
			(unsigned long long)st.filtered, (unsigned long long)st.rate_limited);
	else
		fprintf(stderr, "skbdrop: %llu events delivered, %llu lost (perf ring full: %llu samples lost, %llu records in failed outputs), %llu filtered in kernel, %llu rate-limited\n",
			r->delivered, cli_lost(r, &st), r->lost, (unsigned long long)st.output_fail,
			(unsigned long long)st.filtered, (unsigned long long)st.rate_limited);
	{
		/* every drop the program ran for lands in exactly one bucket */
		unsigned long long benign = 0, acc;

		for (int k = 0; k < SKBD_DROP_BENIGN_RULES; k++)
			benign += st.benign[k];
		acc = r->delivered + cli_lost(r, &st) + st.filtered + st.rate_limited + (o->all ? 0 : benign);
		if (benign) {
			const char *bsep = " ";

			fprintf(stderr, "skbdrop: benign frees%s:", o->all ? " (streamed, with --all)" : " set apart (--all streams them)");
			for (int k = 0; k < SKBD_DROP_BENIGN_RULES && skbd_benign_rules[k].name; k++) {
				if (!st.benign[k])
					continue;
				fprintf(stderr, "%s%s %llu", bsep, skbd_benign_rules[k].name, (unsigned long long)st.benign[k]);
				bsep = ", ";
			}
			fputc('\n', stderr);
		}
		if (acc == st.seen)
			fprintf(stderr, "skbdrop: every drop accounted: %llu seen = delivered + lost + filtered%s + rate-limited%s\n",
				(unsigned long long)st.seen, o->all ? "" : " + benign",
				st.misses ? " (and the missed ones below)" : "");
		else if (acc < st.seen)
			fprintf(stderr, "skbdrop: %llu drops seen, %llu of them not read: still in the rings when skbdrop stopped%s\n",
				(unsigned long long)st.seen, (unsigned long long)st.seen - acc, o->count ? " (--count)" : "");
		else
			fprintf(stderr, "skbdrop: %llu drops seen, %llu accounted (the counts disagree)\n",
				(unsigned long long)st.seen, acc);
	}
	if (o->stack)
		fprintf(stderr, "skbdrop: %llu stacks could not be recorded (stack map full or bucket collision)\n",
			(unsigned long long)st.stack_fail);
	if (st.misses)
		fprintf(stderr, "skbdrop: %llu drops missed: the kernel did not run the program for them (another BPF program was running on that CPU)\n",
			(unsigned long long)st.misses);
	if (o->wakeup == CLI_WAKEUP_NONE)
		snprintf(wk, sizeof(wk), "none");
	else
		snprintf(wk, sizeof(wk), "%s:%llu", o->wakeup == CLI_WAKEUP_BYTES ? "bytes" : "events",
			 skbd_monitor__wakeup_arg(r->mon));
	fprintf(stderr, "skbdrop: transport %s, wakeup %s, %llu wakeups, %llu polls\n",
		o->transport == CLI_TRANSPORT_RINGBUF ? "ringbuf" : "perf", wk, (unsigned long long)st.wakeups,
		(unsigned long long)st.polls);
	if (o->count_only) {
		fprintf(stderr, "skbdrop: per-reason counts not collected with --count-only\n");
		print_counters(r);
		return;
	}
	if (!r->delivered) {
		print_counters(r);
		return;
	}
	fprintf(stderr, "skbdrop: by reason:");
	for (__u32 code = 0; code < SKBD_DROP_REASON_SLOTS; code++) {
		const char *name;

		if (!r->by_reason[code])
			continue;
		name = skbd_monitor__has_reason(r->mon) ? skbd_tpformat__reason_name(fmt, code) : "(no reason field)";
		if (name)
			fprintf(stderr, "%s %s %llu", sep, name, r->by_reason[code]);
		else
			fprintf(stderr, "%s reason#%u %llu", sep, code, r->by_reason[code]);
		sep = ",";
	}
	if (r->by_reason_other)
		fprintf(stderr, "%s other %llu", sep, r->by_reason_other);
	fputc('\n', stderr);
	print_counters(r);
}

/* ---- --summary ---- */

/* Rows that fit the terminal, 0 (all) when stdout is not one. */
static unsigned int tty_rows(bool tty)
{
	struct winsize ws;

	if (!tty || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < SKBD_SUMMARY_HEAD_LINES + 3)
		return 0;
	return ws.ws_row - SKBD_SUMMARY_HEAD_LINES - 1;
}

int cli_summary_view(struct cli_run *r, const struct skbd_summary *sum, struct cli_summary_out *so)
{
	int err;

	free(so->rows);
	so->rows = NULL;
	err = skbd_summary__sorted(sum, &so->rows, &so->view.n);
	if (err)
		return err;
	if (so->view.n > so->cap) {
		struct skbd_key_names *nn = realloc(so->names, so->view.n * sizeof(*nn));

		if (!nn)
			return -ENOMEM;
		so->names = nn;
		so->cap = so->view.n;
	}
	for (size_t i = 0; i < so->view.n; i++) {
		if (so->rows[i].key && r->names)
			skbd_names__key(r->names, so->rows[i].key, &so->names[i]);
		else
			memset(&so->names[i], 0, sizeof(so->names[i]));
	}
	so->view.rows = so->rows;
	so->view.names = so->names;
	so->view.head = &so->head;
	return 0;
}

int cli_read_keys(struct cli_run *r, __u32 by, const struct skbd_drop_key **keys, const __u64 **totals, size_t *n)
{
	int err = skbd_monitor__read_keys(r->mon, keys, totals, n);

	if (err)
		return err;
	if ((by & SKBD_BY_OWNER) && r->names && *n) {
		/* the kernel counts per socket: rows of one process are summed */
		if (*n > r->owned_cap) {
			struct skbd_drop_key *nk = realloc(r->owned, *n * sizeof(*nk));

			if (!nk)
				return -ENOMEM;
			r->owned = nk;
			r->owned_cap = *n;
		}
		for (size_t i = 0; i < *n; i++) {
			r->owned[i] = (*keys)[i];
			r->owned[i].sk_ino = skbd_names__owner_key(r->names, (*keys)[i].sk_ino);
		}
		*keys = r->owned;
	}
	for (size_t i = 0; i < *n; i++)
		cli_seen_netns(r, (*keys)[i].netns);
	return 0;
}

/* The table (or JSON line) in one write. 0 or -errno. */
static int summary_write(struct cli_run *r, const struct skbd_summary *sum, struct cli_summary_out *so, bool tty)
{
	struct skbd_sbuf b;
	int err;

	skbd_sbuf__grow_init(&b);
	err = r->o->output == CLI_OUT_JSON ? skbd_summary__format_json(sum, &r->fc, &so->view, &b) :
					     skbd_summary__format_text(sum, &r->fc, &so->view, tty, tty_rows(tty), &b);
	if (!err)
		err = skbd_write_all(STDOUT_FILENO, b.buf, b.len, r->stop);
	skbd_sbuf__release(&b);
	return err;
}

/* Every interval, read the counts and print them (and the Prometheus
 * file); at the end, the final table. */
/* --prom-file, replaced whole. 0, or 1 after the error line (which says
 * which user could not write, once -Z changed it). */
static int write_prom(struct cli_run *r, const struct skbd_summary *sum, struct cli_summary_out *so)
{
	const char *path = r->o->prom_file;
	int err;

	if (!path || !(err = skbd_summary__write_prom(sum, &r->fc, &so->view, path)))
		return 0;
	if ((err == -EACCES || err == -EPERM) && r->user)
		cli_error(r->log, "--prom-file %s: %s as user %s (give -Z a user who may write there, or -Z root)", path,
			  strerror(-err), r->user);
	else
		cli_error(r->log, "--prom-file %s: %s", path, strerror(-err));
	return 1;
}

int cli_run_summary(struct cli_run *r, const char *release)
{
	const struct cli_opts *o = r->o;
	struct skbd_summary *sum = NULL;
	struct cli_summary_out so = { .head = { .kernel_release = release } };
	struct skbd_monitor_stats st = { 0 };
	double start = cli_now(), next = start + o->summary, deadline = o->duration > 0 ? start + o->duration : 0;
	bool tty = isatty(STDOUT_FILENO), last = false;
	const struct skbd_drop_key *keys;
	struct skbd_counters_view *counters = NULL;
	size_t nr_counters = 0;
	const __u64 *totals;
	size_t n;
	int err, ret = 1;

	if (skbd_summary__new(o->by, start, &sum) || cli_summary_view(r, sum, &so)) {
		cli_error(r->log, "setting up the summary: out of memory");
		goto out;
	}
	/* the file exists from the start (and a bad path is an error now, not
	 * after the first interval) */
	if (write_prom(r, sum, &so))
		goto out;
	while (!last) {
		double now = cli_now(), until = deadline && deadline < next ? deadline : next;

		if (*r->stop || (deadline && now >= deadline)) {
			last = true;
		} else if (now < until) {
			/* at most a second at a time: link notifications are read meanwhile,
			 * so our netlink sockets never keep a deleted namespace alive */
			double nap = until - now < 1.0 ? until - now : 1.0;
			struct timespec ts = { (time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9) };

			if (cli_metrics_fd(r) >= 0 || r->otlp) { /* --metrics, --otlp: served meanwhile */
				struct pollfd p[2] = { { .fd = cli_metrics_fd(r), .events = POLLIN },
						       { .fd = skbd_otlp__fd(r->otlp), .events = skbd_otlp__events(r->otlp) } };

				poll(p, 2, nap < 0.1 ? (int)(nap * 1000) + 1 : 100); /* a signal ends it early */
				cli_metrics_serve(r);
				if (r->otlp)
					skbd_otlp__step(r->otlp);
			} else {
				nanosleep(&ts, NULL); /* a signal ends it early */
			}
			cli_batch_start(r);
			continue;
		}
		next += o->summary;
		if (next < now)
			next = now + o->summary;
		cli_batch_start(r);
		err = cli_read_keys(r, o->by, &keys, &totals, &n);
		if (err) {
			cli_error(r->log, "reading the summary counts: %s", strerror(-err));
			goto out;
		}
		cli_counters_free(counters, nr_counters);
		if (cli_counters_now(r, &counters, &nr_counters)) {
			counters = NULL;
			nr_counters = 0;
		}
		so.head.counters = counters;
		so.head.nr_counters = nr_counters;
		skbd_monitor__stats(r->mon, &st);
		now = cli_now();
		if (skbd_summary__update(sum, keys, totals, n, st.agg_other, now) || cli_summary_view(r, sum, &so)) {
			cli_error(r->log, "out of memory");
			goto out;
		}
		so.head.elapsed = now - start;
		so.head.lost = st.misses; /* drops the program never saw */
		so.head.counted = skbd_summary__counted(sum);
		so.head.filtered = st.filtered;
		so.head.benign = 0;
		for (int k = 0; k < SKBD_DROP_BENIGN_RULES && !o->all; k++)
			so.head.benign += st.benign[k];
		so.head.missed = st.misses;
		so.head.benign_rules = st.benign;
		so.head.version = r->version;
		so.head.transport = "summary";
		if (write_prom(r, sum, &so))
			goto out;
		if (r->otlp && !last) /* (the last one: at the end) */
			cli_otlp_push_metrics(r, false);
		err = summary_write(r, sum, &so, tty && !last);
		if (err == -EPIPE) { /* `| head`: the reader has what it wanted */
			ret = 0;
			goto out;
		}
		if (err == -EINTR && *r->stop) { /* stopped while stdout was not being read */
			fprintf(stderr, "skbdrop: stopped while stdout was not being read: the last table was not written whole\n");
			break;
		}
		if (err) {
			cli_error(r->log, "writing output: %s", strerror(-err));
			goto out;
		}
	}
	fprintf(stderr, "skbdrop: %llu drops counted in the kernel (%llu beyond the %d-key table, in the other row), %llu filtered in kernel, %llu missed\n",
		so.head.counted, (unsigned long long)st.agg_other, SKBD_DROP_KEYS_MAX, so.head.filtered, so.head.lost);
	cli_otlp_finish(r);
	ret = 0;
out:
	skbd_summary__free(sum);
	free(so.rows);
	free(so.names);
	cli_counters_free(counters, nr_counters);
	return ret;
}
