// SPDX-License-Identifier: GPL-2.0-only
/* skbdrop: options, then the event loop. One drop goes one way: the monitor
 * hands it out, the names layer resolves what it is shown with, output
 * formats and writes it. At exit, delivered/lost/per-reason counts. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sched.h>
#include <sys/utsname.h>
#include <skbdrop/netns.h>
#include <skbdrop/filter.h>
#include <skbdrop/log.h>
#include <skbdrop/monitor.h>
#include <skbdrop/sys.h>
#include "cli.h"

/* The CLI's one mutable global: the stop flag, set from signal handlers. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Library messages: during setup the last warning is kept and folded into
 * the one error line; once tracing, warnings print as they come. A verifier
 * log is the diagnosis itself: always printed. */
static void cli_log(void *ctx, enum skbd_log_level level, const char *msg)
{
	/* the rings are set up on a thread of their own while the programs load */
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	struct cli_log *l = ctx;

	pthread_mutex_lock(&lock);
	if (level == SKBD_LOG_VERIFIER || (level == SKBD_LOG_WARN && l->live))
		fprintf(stderr, "skbdrop: %s\n", msg);
	else if (level == SKBD_LOG_WARN)
		snprintf(l->last, sizeof(l->last), "%s", msg);
	pthread_mutex_unlock(&lock);
}

static int on_drop(void *ctx, const struct skbd_drop *d)
{
	struct cli_run *r = ctx;

	r->delivered++;
	if (r->o->count_only)
		goto counted;
	if (d->reason < SKBD_DROP_REASON_SLOTS)
		r->by_reason[d->reason]++;
	else
		r->by_reason_other++;
	if (cli_emit(r, d))
		return SKBD_CB_ERROR;
counted:
	if (r->o->count && r->delivered >= r->o->count)
		return SKBD_CB_STOP;
	return SKBD_CB_OK;
}

static int on_lost(void *ctx, int cpu, __u64 lost)
{
	struct cli_run *r = ctx;

	r->lost += lost; /* (-w's drop counts come from the failed outputs: cli_flush) */
	return SKBD_CB_OK;
}

/* The options as the monitor takes them. */
static void monitor_config(const struct cli_opts *o, const struct cli_setup *s, struct skbd_monitor_config *c)
{
	memset(c, 0, sizeof(*c));
	c->pid = o->pid;
	c->reasons = &s->plan;
	c->filter = s->filter;
	c->filter_expr = o->filter;
	c->netns = s->netns;
	c->devs = s->devs;
	c->nr_devs = s->nr_devs;
	c->devs_except = o->exclude_devices != NULL;
	c->snaplen = o->snaplen;
	c->max_rate = o->max_rate;
	c->stack = o->stack;
	c->summary = o->summary > 0;
	c->count = (o->metrics || o->otlp) && !c->summary; /* streaming: the counters are the kernel's */
	c->by = c->summary ? o->by : o->metrics_labels;
	c->owner_filter = o->owner != 0;
	c->benign = o->benign;
	c->all = o->all;
	/* with --summary no records: the ring buffer would be memory for nothing */
	c->transport = o->transport == CLI_TRANSPORT_RINGBUF && !o->summary ? SKBD_TRANSPORT_RINGBUF : SKBD_TRANSPORT_PERF;
	c->wakeup = o->wakeup == CLI_WAKEUP_EVENTS ? SKBD_WAKEUP_EVENTS :
		    o->wakeup == CLI_WAKEUP_NONE   ? SKBD_WAKEUP_NONE :
						     SKBD_WAKEUP_BYTES;
	c->wakeup_arg = o->wakeup_arg;
	c->pages = o->pages;
	c->batch = o->batch;
	c->stack_ids = CLI_STACK_IDS;
}

/* Stream events until stopped, then the exit report. Returns the exit status. */
static int run_stream(struct cli_run *r)
{
	const struct cli_opts *o = r->o;
	double deadline = o->duration > 0 ? cli_now() + o->duration : 0, next_status = cli_now() + 1;
	int err;

	while (!stop_signal) {
		int timeout = (int)o->poll_ms;

		if (deadline) {
			double left = deadline - cli_now();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		if (o->verbose && cli_now() >= next_status) {
			cli_print_status(r);
			next_status += 1;
		}
		cli_batch_start(r);
		if (cli_metrics_fd(r) >= 0 || r->otlp) {
			/* --metrics, --otlp: wait for the rings, a client or the
			 * collector, then serve all without waiting (at least every
			 * second: batches age, retries come due) */
			struct pollfd p[3] = { { .fd = skbd_monitor__fd(r->mon), .events = POLLIN },
					       { .fd = cli_metrics_fd(r), .events = POLLIN },
					       { .fd = skbd_otlp__fd(r->otlp), .events = skbd_otlp__events(r->otlp) } };

			poll(p, 3, timeout < 1000 ? timeout : 1000);
			err = skbd_monitor__poll(r->mon, 0);
			cli_metrics_serve(r);
			if (r->otlp) {
				if (cli_now() >= r->otlp_metrics_next)
					cli_otlp_push_metrics(r, false);
				skbd_otlp__step(r->otlp);
			}
		} else {
			err = skbd_monitor__poll(r->mon, timeout);
		}
		if (err == -ECANCELED || (o->count && r->delivered >= o->count))
			break;
		if (err < 0 && err != -EINTR) {
			cli_flush(r); /* what was read before the error */
			cli_error(r->log, "%s", skbd_monitor__errmsg(r->mon));
			return 1;
		}
		if (cli_flush(r))
			break;
	}
	/* detach first, then take what is still in the rings */
	skbd_monitor__detach(r->mon);
	if (!r->write_err && !(o->count && r->delivered >= o->count)) {
		cli_batch_start(r);
		skbd_monitor__consume(r->mon);
	}
	if (!r->write_err && r->pcap) {
		/* the events lost after the last packet: whatever the loss count
		 * (the larger of the rings' records and the kernel's failed
		 * outputs) says the packets' drop counts do not */
		struct skbd_monitor_stats st;
		struct skbd_pcapng_stats ps;
		unsigned long long total;

		skbd_monitor__stats(r->mon, &st);
		total = cli_lost(r, &st);
		skbd_pcapng__stats(r->pcap, &ps);
		skbd_pcapng__finish(r->pcap, total > ps.lost ? total - ps.lost : 0);
		r->lost_pending = 0;
	}
	if (!r->write_err)
		cli_flush(r);
	if (r->pcap && !r->write_err) {
		struct skbd_pcapng_stats ps;

		skbd_pcapng__stats(r->pcap, &ps);
		fprintf(stderr, "skbdrop: -w: %llu packets written to %s (%llu file%s), %llu lost events marked (packet drop counts, statistics block)\n",
			ps.packets, strcmp(o->write_file, "-") ? o->write_file : "stdout", ps.files, ps.files > 1 ? "s" : "",
			ps.lost);
	}
	cli_otlp_finish(r);
	if (r->write_err == EPIPE) /* `skbdrop | head`: the reader has what it wanted */
		return 0;
	if (r->write_err == EINTR && stop_signal) {
		/* stopped while the reader was not reading: the stop wins, and what
		 * the reader never got is said, not hidden */
		fprintf(stderr, "skbdrop: stopped while stdout was not being read: %llu formatted lines not written\n",
			skbd_out__unwritten(r->out));
		cli_print_exit(r);
		return 0;
	}
	if (r->write_err) {
		cli_error(r->log, "writing %s: %s", o->write_file && strcmp(o->write_file, "-") ? o->write_file : "output",
			  strerror(r->write_err));
		return 1;
	}
	cli_print_exit(r);
	return 0;
}

/* One line naming what is missing (no library detail: it would be a
 * symptom). Returns the exit status. */
static int missing_caps(struct cli_run *r, const char *missing)
{
	r->log->last[0] = '\0';
	cli_error(r->log, "missing %s (or CAP_SYS_ADMIN): run as root", missing);
	return 1;
}

/* -Z: once everything privileged is done. Returns 0, or 1 after the error
 * line. */
static int drop_privileges(struct cli_run *r, const struct cli_setup *s)
{
	__u64 eff = 0, perm;
	char err[256], caps[256];

	if (s->privs_kept && r->o->verbose)
		fprintf(stderr, "skbdrop: staying as started: no CAP_SETUID, CAP_SETGID or CAP_SETPCAP to become nobody\n");
	if (!s->drop_privs)
		return 0;
	if (skbd_priv__drop(&s->user, skbd_priv__keep_default(), err, sizeof(err))) {
		r->log->last[0] = '\0';
		cli_error(r->log, "%s", err);
		return 1;
	}
	r->user = s->user.name;
	if (r->o->verbose && !skbd_capget(&eff, &perm) && skbd_priv__caps_str(eff, caps, sizeof(caps)) >= 0)
		fprintf(stderr, "skbdrop: running as %s (uid %u, gid %u), capabilities %s, no_new_privs\n", s->user.name,
			s->user.uid, s->user.gid, caps[0] ? caps : "none");
	return 0;
}

static void counters_run(void *arg)
{
	cli_open_counters(arg);
}

/* The kernel's counters, the baseline of their deltas, are read as a job
 * (/proc and netlink in every namespace: about 1.3 ms of CPU), from as early
 * as the namespace to watch is known, while the kernel's BTF is read and the
 * programs load. */
static void start_counters(struct cli_run *r, struct cli_setup *s, __u32 netns)
{
	r->netns_filter = netns;
	skbd_job__start(&s->counters, counters_run, r);
}

/* Everything up to tracing: usage checks first, then privileges, then the
 * kernel. Returns -1 to go on, else the exit status. */
static int setup_kernel(struct cli_run *r, struct cli_setup *s, int argc, char **argv);

static int setup(struct cli_run *r, struct cli_setup *s, int argc, char **argv)
{
	int ret = setup_kernel(r, s, argc, argv);

	skbd_job__finish(&s->counters); /* on every way out */
	return ret;
}

static int setup_kernel(struct cli_run *r, struct cli_setup *s, int argc, char **argv)
{
	struct cli_opts *o = (struct cli_opts *)r->o;
	struct skbd_monitor_opts mo = { 0 };
	struct skbd_monitor_config mc;
	const char *env = getenv("SKBDROP_PROBE_READ");
	char err[512], missing[64], *plan_err = NULL;
	int caps, load_err;

	if (cli_parse_args(argc, argv, o, err, sizeof(err))) {
		fprintf(stderr, "skbdrop: %s (see skbdrop --help)\n", err);
		return 2;
	}
	if (o->help || o->version) {
		if (o->help)
			cli_usage(stdout);
		else
			printf("skbdrop %s\n", SKBD_VERSION);
		return fflush(stdout) ? 1 : 0;
	}
	/* -Z: the user is found now, an unknown one is a usage error */
	if (o->user || geteuid() == 0) {
		if (skbd_priv__user(o->user ? o->user : "nobody", NULL, &s->user, err, sizeof(err))) {
			fprintf(stderr, "skbdrop: %s (see skbdrop --help)\n", err);
			return 2;
		}
		s->drop_privs = s->user.uid != 0; /* -Z root keeps root */
	}
	if (s->drop_privs && !skbd_priv__can_change(&s->user)) {
		/* a root without CAP_SETUID, CAP_SETGID or CAP_SETPCAP (a container
		 * with them dropped) cannot change user: by default it stays as it
		 * is (-v says so); asked for with -Z, that is an error, now */
		if (o->user) {
			fprintf(stderr, "skbdrop: error: -Z %s: changing user needs CAP_SETUID, CAP_SETGID and CAP_SETPCAP\n",
				o->user);
			return 1;
		}
		s->drop_privs = false;
		s->privs_kept = true;
	}
	/* a bad expression is a usage error, found before anything else */
	if (o->filter[0] && skbd_filter__new(o->filter, &s->filter, err, sizeof(err))) {
		fprintf(stderr, "skbdrop: filter '%s': %s\n", o->filter, err);
		return 2;
	}
	caps = skbd_check_caps(missing, sizeof(missing));
	if (!caps && !o->list_reasons) {
		/* the counters' namespace now, so that they are read while the
		 * BTF is; a bad --netns is reported below, in its turn */
		__u32 ino = 0;
		char path[PATH_MAX];

		if (!o->netns || !skbd_netns__parse(o->netns, &ino, path, sizeof(path), err, sizeof(err)))
			start_counters(r, s, ino);
	}
	mo.btf_path = o->btf_path;
	mo.probe_reads = env && env[0] && strcmp(env, "0");
	/* unprivileged, reason names still come from BTF: an unknown one is a
	 * usage error for everyone */
	mo.reasons_only = caps && (o->reasons || o->exclude_reasons) && !o->list_reasons;
	if (skbd_monitor__open(&mo, &r->mon, err, sizeof(err))) {
		if (caps) /* tracefs is root-only too: name the missing capability */
			return missing_caps(r, missing);
		cli_error(r->log, "%s", err);
		return 1;
	}
	if (o->list_reasons)
		return cli_list_reasons(skbd_monitor__format(r->mon), o->output == CLI_OUT_JSON);
	if (cli_plan_reasons(skbd_monitor__format(r->mon), o->reasons, o->exclude_reasons, &s->plan, &plan_err)) {
		fprintf(stderr, "skbdrop: %s (see skbdrop --help)\n", plan_err ? plan_err : "bad reason list");
		free(plan_err);
		return 2;
	}
	if (caps)
		return missing_caps(r, missing);
	if (cli_resolve_places(r, s)) /* after the usage checks: a bad option is reported first */
		return 1;
	if (skbd_monitor__btf_error(r->mon))
		fprintf(stderr, "skbdrop: warning: no kernel BTF (/sys/kernel/btf/vmlinux: %s): packet length, device, netns and headers are not reported; give one with --btf FILE\n",
			skbd_monitor__btf_error(r->mon) == -EINVAL ? "not valid BTF" : strerror(-skbd_monitor__btf_error(r->mon)));
	r->log->last[0] = '\0';
	if (!o->pages)
		o->pages = cli_default_pages(skbd_monitor__nr_cpus(r->mon), sysconf(_SC_PAGESIZE));
	monitor_config(o, s, &mc);
	if (!s->counters.pending && !r->counters) /* (a --netns it could not parse then) */
		start_counters(r, s, s->netns);
	load_err = skbd_monitor__load(r->mon, &mc);
	skbd_job__finish(&s->counters);
	if (load_err) {
		cli_error(r->log, "%s", skbd_monitor__errmsg(r->mon));
		return 1;
	}
	if (o->owner && cli_owner_refresh(r)) /* the set is there before the first drop */
		return 1;
	r->file_uid = s->drop_privs ? (int)s->user.uid : -1;
	r->file_gid = s->drop_privs ? (int)s->user.gid : -1;
	if (cli_open_output(r))
		return 1;
	/* --metrics listens now: a port below 1024 may need privileges we drop */
	return cli_metrics_open(r) ? 1 : -1;
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct cli_log log = { .live = false };
	struct cli_run *r = calloc(1, sizeof(*r));
	struct cli_setup *s = calloc(1, sizeof(*s));
	struct sigaction sa;
	struct utsname uts;
	int ret = 1;

	skbd_set_log(cli_log, &log);
	if (!r || !s) {
		fprintf(stderr, "skbdrop: error: out of memory\n");
		free(r);
		free(s);
		return 1;
	}
	/* before anything that changes the host (a tracefs mount): a SIGINT
	 * then only sets the flag, and the mount is undone as usual */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* a closed stdout must surface as EPIPE, not kill us mid-summary */
	signal(SIGPIPE, SIG_IGN);
	r->o = &o;
	r->log = &log;
	r->version = SKBD_VERSION;
	r->app = "skbdrop " SKBD_VERSION;
	uname(&uts);
	r->release = uts.release;
	r->stop = &stop_signal;
	ret = setup(r, s, argc, argv);
	if (ret >= 0 || stop_signal) {
		ret = ret < 0 ? 0 : ret;
		goto out;
	}
	ret = 1;
	if (skbd_monitor__attach(r->mon, on_drop, on_lost, r)) {
		cli_error(&log, "%s", skbd_monitor__errmsg(r->mon));
		goto out;
	}
	fprintf(stderr, "skbdrop: tracing skb:kfree_skb on %d CPUs, kernel %s%s\n", skbd_monitor__nr_cpus(r->mon),
		uts.release, skbd_monitor__has_reason(r->mon) ? "" : " (no drop reasons before 5.17)");
	if (o.verbose && skbd_monitor__has_btf(r->mon))
		fprintf(stderr, "skbdrop: kernel fields read with %s\n",
			skbd_monitor__direct_reads(r->mon) ? "bpf_rdonly_cast loads" : "bpf_probe_read_kernel");
	if (o.verbose && skbd_monitor__has_btf(r->mon) && o.snaplen)
		fprintf(stderr, "skbdrop: packet bytes read with %s\n",
			skbd_monitor__direct_packet(r->mon) ? "bpf_rdonly_cast loads" : "bpf_probe_read_kernel");
	if (skbd_monitor__hook(r->mon))
		fprintf(stderr, "skbdrop: SYNs dropped on a full accept queue are counted (TcpExtListenOverflows), not traced: %s\n",
			skbd_monitor__hook(r->mon));
	else if (o.verbose)
		fprintf(stderr, "skbdrop: SYNs dropped on a full accept queue traced at tcp_conn_request (fentry)\n");
	if (o.verbose && !o.summary && o.transport == CLI_TRANSPORT_PERF)
		fprintf(stderr, "skbdrop: perf samples gather up to %u record%s (--batch)\n", skbd_monitor__batch(r->mon),
			skbd_monitor__batch(r->mon) > 1 ? "s" : "");
	if (!skbd_monitor__has_rx_sk(r->mon) && skbd_monitor__has_btf(r->mon) &&
	    (o.owner || (o.summary && (o.by & (SKBD_BY_OWNER | SKBD_BY_CONTAINER)))))
		fprintf(stderr, "skbdrop: note: this kernel's tracepoint does not name the receiving socket (rx_sk, 6.11+): %s\n",
			o.summary ? "--by owner/container counts drops on the receive path (full buffers, full accept queues) under no owner"
				  : "--owner misses drops on the receive path (full buffers, full accept queues); without --owner their owner is looked up by address");
	/* after the tracing line: startup is exec until tracing, and reading
	 * /proc/kallsyms alone takes the kernel 100-250 ms. The benign rules by
	 * function take effect once it is read (-v says when) */
	log.live = true;
	/* whoever waits for that line (a terminal, a supervisor, a test) was
	 * just woken, often onto this CPU (a pipe's write wakes its reader
	 * there), which the kallsyms read below then kept for up to a tick:
	 * 1-4 ms more before the line was seen, here. Let it run first. */
	sched_yield();
	cli_open_names(r);
	if (drop_privileges(r, s))
		goto out;
	ret = o.summary ? cli_run_summary(r, uts.release) : run_stream(r);
out:
	cli_close(r);
	skbd_monitor__close(r->mon);
	skbd_filter__free(s->filter);
	free(s);
	free(r);
	return ret;
}
