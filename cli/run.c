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
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/log.h>
#include <skbdrop/monitor.h>
#include <skbdrop/netdev.h>
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
	if (o->netns && cli_netns_parse(o->netns, &s->netns, s->netns_path, sizeof(s->netns_path), msg, sizeof(msg))) {
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
		int err = cli_ifindex_in(s->netns && s->netns != self ? s->netns_path : NULL, name, &ifx);

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
		printf("[");
		for (size_t i = 0; i < fmt->nr_reasons; i++)
			printf("%s{\"code\":%u,\"name\":\"%s\"}", i ? "," : "", fmt->reasons[i].code,
			       fmt->reasons[i].name);
		printf("]\n");
	} else if (!fmt->nr_reasons) {
		printf("# this kernel's kfree_skb tracepoint has no drop reasons (added in 5.17)\n");
	} else {
		for (size_t i = 0; i < fmt->nr_reasons; i++)
			printf("%u\t%s\n", fmt->reasons[i].code, fmt->reasons[i].name);
	}
	return fflush(stdout) ? 1 : 0;
}

/* ---- names (interim: the resolver callbacks of the formatters) ---- */

/* Kernel stacks by id: the map never rewrites an id's stack (no
 * BPF_F_REUSE_STACKID), so each id is read from the map once. */
struct cli_stack_cache {
	__u64 *ips[CLI_STACK_IDS]; /* NULL: not read yet */
	__u8 depth[CLI_STACK_IDS];
	__u64 buf[SKBD_DROP_STACK_DEPTH];
};

static int res_dev_name(void *ctx, __u32 netns, __u32 ifindex, __u64 ts_ns, char name[16])
{
	struct cli_run *r = ctx;

	return r->nd ? skbd_netdev__ifname_at(r->nd, netns, ifindex, ts_ns, name) : -ENOENT;
}

static const char *res_netns_name(void *ctx, __u32 netns)
{
	struct cli_run *r = ctx;

	return r->nd ? skbd_netdev__netns_name(r->nd, netns) : NULL;
}

static const char *res_cgroup_path(void *ctx, __u64 id)
{
	struct cli_run *r = ctx;

	return r->cg ? cli_cgroups__path(r->cg, id) : NULL;
}

static int res_stack(void *ctx, __s32 id, const __u64 **ips)
{
	struct cli_run *r = ctx;
	struct cli_stack_cache *sc = r->sc;
	__u32 key = (__u32)id;
	int n;

	if (!sc || id < 0 || key >= CLI_STACK_IDS)
		return -ENOENT;
	if (!sc->ips[key]) {
		n = skbd_monitor__stack(r->mon, id, sc->buf, SKBD_DROP_STACK_DEPTH);
		if (n < 0)
			return n;
		sc->ips[key] = malloc(n ? (size_t)n * sizeof(__u64) : 1);
		if (!sc->ips[key])
			return -ENOMEM;
		memcpy(sc->ips[key], sc->buf, (size_t)n * sizeof(__u64));
		sc->depth[key] = (__u8)n;
	}
	*ips = sc->ips[key];
	return sc->depth[key];
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
	r->ocap = CLI_OUT_BUF;
	r->obuf = malloc(r->ocap);
	if (r->o->stack)
		r->sc = calloc(1, sizeof(*r->sc));
	if (!r->obuf || (r->o->stack && !r->sc)) {
		cli_error(r->log, "out of memory");
		return 1;
	}
	r->fc.fmt = skbd_monitor__format(r->mon);
	r->fc.has_reason = skbd_monitor__has_reason(r->mon);
	r->fc.mono_to_real_ns = mono_to_real();
	r->fc.cache = &r->cache;
	r->cache.t.sec = -1;
	r->fc.stacks = r->o->stack;
	r->res = (struct cli_resolver){ .ctx = r, .dev_name = res_dev_name, .netns_name = res_netns_name,
					.cgroup_path = res_cgroup_path, .stack = res_stack };
	r->fc.res = &r->res;
	/* stdio carries only the --summary tables, flushed per table (events
	 * bypass it: cli_flush); fully buffered even on a terminal */
	setvbuf(stdout, NULL, _IOFBF, 0);
	return 0;
}

void cli_open_names(struct cli_run *r)
{
	FILE *kf;
	int err;

	if (!r->o->count_only) {
		err = skbd_netdev__new(&r->nd);
		if (err) {
			fprintf(stderr, "skbdrop: warning: device names unavailable: %s\n", strerror(-err));
			r->nd = NULL;
		}
		if (cli_cgroups__new(&r->cg))
			r->cg = NULL;
	}
	kf = fopen("/proc/kallsyms", "re");
	if (!kf || skbd_ksyms__new(kf, &r->ks)) {
		fprintf(stderr, "skbdrop: warning: cannot read /proc/kallsyms: locations are raw addresses\n");
		r->ks = NULL;
	} else if (skbd_ksyms__restricted(r->ks)) {
		fprintf(stderr, "skbdrop: warning: /proc/kallsyms addresses are hidden (kptr_restrict): locations are raw addresses\n");
	}
	if (kf)
		fclose(kf);
	r->fc.ks = r->ks;
}

void cli_close(struct cli_run *r)
{
	free(r->obuf);
	skbd_netdev__free(r->nd);
	cli_cgroups__free(r->cg);
	skbd_ksyms__free(r->ks);
	if (r->sc) {
		for (size_t i = 0; i < CLI_STACK_IDS; i++)
			free(r->sc->ips[i]);
		free(r->sc);
	}
}

void cli_batch_start(struct cli_run *r)
{
	if (r->nd) /* notifications apply even without events, so a deleted
		      namespace is not kept alive by our socket */
		skbd_netdev__refresh(r->nd);
}

/* ---- output ---- */

int cli_flush(struct cli_run *r)
{
	size_t off = 0;

	while (off < r->olen) {
		ssize_t w = write(STDOUT_FILENO, r->obuf + off, r->olen - off);

		if (w < 0 && errno == EINTR && !*r->stop)
			continue;
		/* stopped (SIGINT/SIGTERM) while the reader of stdout does not read:
		 * a write cut short by the signal is not tried again */
		if (w >= 0 && (size_t)w < r->olen - off && *r->stop) {
			w = -1;
			errno = EINTR;
		}
		if (w < 0) {
			r->write_err = errno;
			r->olen = 0;
			return -1;
		}
		off += (size_t)w;
	}
	r->olen = 0;
	return 0;
}

int cli_emit(struct cli_run *r, const struct skbd_drop *d)
{
	/* the public record is the ABI's, field for field (the monitor asserts it) */
	const struct skbd_event *ev = (const struct skbd_event *)(const void *)d;
	size_t n;

	/* room for the longest line: formatted in place */
	if (r->ocap - r->olen < CLI_LINE_MAX && cli_flush(r))
		return -1;
	if (r->o->output == CLI_OUT_JSON)
		n = cli_format_json(&r->fc, ev, r->obuf + r->olen, CLI_LINE_MAX);
	else
		n = cli_format_text(&r->fc, ev, r->obuf + r->olen, CLI_LINE_MAX);
	if (!r->o->no_output) /* --no-output: formatted, then dropped */
		r->olen += n;
	return 0;
}

/* ---- stderr reports ---- */

static unsigned long long lost_of(const struct cli_run *r, const struct skbd_monitor_stats *st)
{
	return r->lost > st->output_fail ? r->lost : st->output_fail;
}

void cli_print_status(struct cli_run *r)
{
	struct skbd_monitor_stats st;

	skbd_monitor__stats(r->mon, &st);
	fprintf(stderr, "skbdrop: status: %llu delivered, %llu lost, %llu filtered, %llu rate-limited\n",
		r->delivered, lost_of(r, &st), (unsigned long long)st.filtered, (unsigned long long)st.rate_limited);
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
		fprintf(stderr, "skbdrop: %llu events delivered, %llu lost (perf ring full: %llu records lost, %llu kernel output failures), %llu filtered in kernel, %llu rate-limited\n",
			r->delivered, lost_of(r, &st), r->lost, (unsigned long long)st.output_fail,
			(unsigned long long)st.filtered, (unsigned long long)st.rate_limited);
	if (o->stack)
		fprintf(stderr, "skbdrop: %llu stacks could not be recorded (stack map full or bucket collision)\n",
			(unsigned long long)st.stack_fail);
	if (st.misses)
		fprintf(stderr, "skbdrop: %llu drops missed: the kernel did not run the program for them (another BPF program was running on that CPU)\n",
			(unsigned long long)st.misses);
	if (o->wakeup == CLI_WAKEUP_NONE)
		snprintf(wk, sizeof(wk), "none");
	else
		snprintf(wk, sizeof(wk), "%s:%llu", o->wakeup == CLI_WAKEUP_BYTES ? "bytes" : "events", o->wakeup_arg);
	fprintf(stderr, "skbdrop: transport %s, wakeup %s, %llu wakeups, %llu polls\n",
		o->transport == CLI_TRANSPORT_RINGBUF ? "ringbuf" : "perf", wk, (unsigned long long)st.wakeups,
		(unsigned long long)st.polls);
	if (o->count_only) {
		fprintf(stderr, "skbdrop: per-reason counts not collected with --count-only\n");
		return;
	}
	if (!r->delivered)
		return;
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
}

/* ---- --summary ---- */

/* Rows that fit the terminal, 0 (all) when stdout is not one. */
static unsigned int tty_rows(bool tty)
{
	struct winsize ws;

	if (!tty || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < CLI_SUMMARY_HEAD_LINES + 3)
		return 0;
	return ws.ws_row - CLI_SUMMARY_HEAD_LINES - 1;
}

/* Every interval, read the counts and print them (and the Prometheus
 * file); at the end, the final table. */
int cli_run_summary(struct cli_run *r, const char *release)
{
	const struct cli_opts *o = r->o;
	struct cli_summary *sum = NULL;
	struct cli_summary_head h = { .kernel_release = release };
	struct skbd_monitor_stats st = { 0 };
	double start = cli_now(), next = start + o->summary, deadline = o->duration > 0 ? start + o->duration : 0;
	bool tty = isatty(STDOUT_FILENO), last = false;
	const struct skbd_drop_key *keys;
	const __u64 *totals;
	size_t n;
	int err, ret = 1;

	if (cli_summary__new(o->by, start, &sum)) {
		cli_error(r->log, "setting up the summary: out of memory");
		goto out;
	}
	/* the file exists from the start (and a bad path is an error now, not
	 * after the first interval) */
	if (o->prom_file && (err = cli_summary__write_prom(sum, &r->fc, &h, o->prom_file))) {
		cli_error(r->log, "--prom-file %s: %s", o->prom_file, strerror(-err));
		goto out;
	}
	while (!last) {
		double now = cli_now(), until = deadline && deadline < next ? deadline : next;

		if (*r->stop || (deadline && now >= deadline)) {
			last = true;
		} else if (now < until) {
			/* at most a second at a time: link notifications are read meanwhile,
			 * so our netlink sockets never keep a deleted namespace alive */
			double nap = until - now < 1.0 ? until - now : 1.0;
			struct timespec ts = { (time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9) };

			nanosleep(&ts, NULL); /* a signal ends it early */
			cli_batch_start(r);
			continue;
		}
		next += o->summary;
		if (next < now)
			next = now + o->summary;
		cli_batch_start(r);
		err = skbd_monitor__read_keys(r->mon, &keys, &totals, &n);
		if (err) {
			cli_error(r->log, "reading the summary counts: %s", strerror(-err));
			goto out;
		}
		skbd_monitor__stats(r->mon, &st);
		now = cli_now();
		if (cli_summary__update(sum, (const struct skbd_agg_key *)(const void *)keys, totals, n, st.agg_other,
					now)) {
			cli_error(r->log, "out of memory");
			goto out;
		}
		h.elapsed = now - start;
		h.lost = st.misses; /* drops the program never saw */
		h.counted = cli_summary__counted(sum);
		h.filtered = st.filtered;
		if (o->prom_file && (err = cli_summary__write_prom(sum, &r->fc, &h, o->prom_file))) {
			cli_error(r->log, "--prom-file %s: %s", o->prom_file, strerror(-err));
			goto out;
		}
		err = o->output == CLI_OUT_JSON ? cli_summary__write_json(sum, &r->fc, &h, stdout) :
						  cli_summary__write_text(sum, &r->fc, &h, tty && !last,
									  tty_rows(tty && !last), stdout);
		if (err == -EPIPE) { /* `| head`: the reader has what it wanted */
			ret = 0;
			goto out;
		}
		if (err) {
			cli_error(r->log, "writing output: %s", strerror(-err));
			goto out;
		}
	}
	fprintf(stderr, "skbdrop: %llu drops counted in the kernel (%llu beyond the %d-key table, in the other row), %llu filtered in kernel, %llu missed\n",
		(unsigned long long)h.counted, (unsigned long long)st.agg_other, SKBD_DROP_KEYS_MAX,
		(unsigned long long)h.filtered, h.lost);
	ret = 0;
out:
	cli_summary__free(sum);
	return ret;
}
