// SPDX-License-Identifier: GPL-2.0-only
/* Command-line parsing and the reason filter plan. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/http.h>
#include "cli.h"

void cli_usage(FILE *f)
{
	fprintf(f,
		"Usage: skbdrop [OPTIONS] [FILTER EXPRESSION]\n"
		"Show every packet the kernel drops (skb:kfree_skb): drop reason, kernel function,\n"
		"packet headers, device and network namespace, the context (the task on the CPU)\n"
		"and the owner of the packet's socket (process, uid, cgroup, container). Runs as root\n"
		"(CAP_BPF+CAP_PERFMON or CAP_SYS_ADMIN). A FILTER EXPRESSION in tcpdump's syntax\n"
		"(pcap-filter(7)), e.g. 'tcp port 443', selects drops by their captured headers;\n"
		"it is compiled with libpcap and runs in the kernel.\n"
		"\n"
		"Output:\n"
		"  -o, --output FORMAT      text (default) or json (one object per line)\n"
		"      --count-only         count events, decode and print nothing (bench mode)\n"
		"      --no-output          decode and format every event, write nothing (bench mode)\n"
		"      --summary [SEC]      count drops in the kernel and show a table every SEC\n"
		"                           seconds (default 1), sorted by rate; redrawn in place\n"
		"                           on a terminal, one block per interval otherwise, one\n"
		"                           JSON object per interval with -o json\n"
		"      --by FIELD[,...]     summary rows by: reason, location, dev, netns, comm\n"
		"                           (the context's), owner (the socket's process),\n"
		"                           container (the socket's cgroup) (default\n"
		"                           reason,location,dev,netns)\n"
		"      --prom-file PATH     with --summary: write Prometheus counters to PATH\n"
		"                           (atomically, every interval) for node_exporter\n"
		"      --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics\n"
		"                           (e.g. 127.0.0.1:9542; :PORT is every address) while\n"
		"                           streaming or with --summary: drops counted in the\n"
		"                           kernel, lost, filtered, rate-limited, benign, the\n"
		"                           kernel's drop counters\n"
		"      --metrics-labels FIELD[,...]\n"
		"                           labels of skbdrop_drops_total (and of the OTLP Sum),\n"
		"                           from the --by fields (default reason: a few dozen\n"
		"                           series per host)\n"
		"      --otlp URL           push drops as OpenTelemetry log records to URL/v1/logs\n"
		"                           and the counters as cumulative Sums to URL/v1/metrics\n"
		"                           (OTLP/HTTP JSON; URL http://HOST:PORT[/PATH], numeric\n"
		"                           HOST or localhost; a collector that is down is counted,\n"
		"                           never waited for)\n"
		"  -w FILE                  write the dropped packets to FILE as pcapng (- for stdout),\n"
		"                           each with its reason, location and owner as comment and\n"
		"                           its JSON event in a custom option; nothing on stdout\n"
		"  -C SIZE                  with -w: a new file past SIZE millions of bytes (or\n"
		"                           Nk, Nm, Ng): FILE, FILE1, FILE2, ...\n"
		"  -W N                     with -C: at most N files, FILE0..FILE(N-1), reused in turn\n"
		"  -s, --stack              add the kernel stack of every drop (tcpdump's -s is --snaplen)\n"
		"      --sock-state         text lines also show the owner socket's receive queue\n"
		"                           (rcvq BYTES/RCVBUF), accept queue (acceptq LEN/BACKLOG)\n"
		"                           and TCP windows (rwnd, swnd, wscale SND/RCV); JSON always has them\n"
		"      --snaplen N          packet bytes to capture and decode, 0 to %d (default %d)\n"
		"Stop:\n"
		"  -d, --duration SEC       stop after SEC seconds (decimals allowed)\n"
		"  -c, --count N            stop after N events\n"
		"Filters (applied in the kernel):\n"
		"  -p, --pid PID            only drops in the context of process PID (the task\n"
		"                           on the CPU, often not the socket's owner: see --owner)\n"
		"      --owner PID          only drops on sockets process PID holds (listed from\n"
		"                           /proc/PID/fd every 100 ms and matched in the kernel)\n"
		"  -r, --reason NAME[,...]  only these drop reasons (names as --list-reasons prints them)\n"
		"      --exclude-reason NAME[,...]\n"
		"                           not these reasons; NOT_DROPPED_YET and CONSUMED are\n"
		"                           excluded unless named in --reason\n"
		"  -i, --device NAME[,...]  only drops on these devices (names in --netns, else ours)\n"
		"      --exclude-device NAME[,...]\n"
		"                           not on these devices\n"
		"      --netns NAME|INODE|PATH\n"
		"                           only drops in this network namespace (/run/netns/NAME,\n"
		"                           an inode number, or a path such as /proc/PID/ns/net)\n"
		"      --max-rate N         at most N events per second per CPU; the rest are\n"
		"                           counted as rate-limited\n"
		"Benign frees (not drops of data in flight; counted per rule, shown at exit):\n"
		"      --all                stream them too, marked with their rule\n"
		"      --ignore RULE[,...]  treat these rules' frees as drops: teardown (a closing\n"
		"                           socket's queues), purge (a queue purged whole), neigh\n"
		"                           (packets for a neighbour that never answered),\n"
		"                           tx-completion (a NIC driver freeing what it sent)\n"
		"      --no-default-rules   no rule: every free is a drop\n"
		"Other:\n"
		"      --pages N            ring size in pages per CPU, a power of two (default: 64 MiB\n"
		"                           over the CPUs, 1 to 8 MiB each); the ring buffer transport\n"
		"                           uses one ring of N pages x CPUs (rounded up to a power of two)\n"
		"      --transport KIND     perf (per-CPU perf rings, default) or ringbuf (one BPF ring\n"
		"                           buffer, Linux 5.8+)\n"
		"      --wakeup POLICY      when the kernel wakes the reader: bytes:N (N bytes pending,\n"
		"                           default: a quarter of a ring), events:N (every N events),\n"
		"                           or none (never; the reader polls every --poll-ms)\n"
		"      --poll-ms N          longest wait before the rings are read anyway (default %d)\n"
		"      --batch N            perf: records written to the ring together, 1 to 16 (default\n"
		"                           16; 1 with --wakeup events:N); fewer where a ring is small,\n"
		"                           1 before Linux 5.10. A record waits at most --poll-ms + 10 ms\n"
		"  -Z, --relinquish-privileges USER\n"
		"                           once tracing, run as USER (default: nobody when\n"
		"                           started as root; -Z root keeps root), keeping only\n"
		"                           CAP_BPF, CAP_SYS_ADMIN, CAP_SYS_PTRACE,\n"
		"                           CAP_DAC_READ_SEARCH and CAP_SYSLOG, with no_new_privs\n"
		"      --btf FILE           kernel BTF to lay out struct sk_buff etc. (default:\n"
		"                           /sys/kernel/btf/vmlinux); without BTF, packet context\n"
		"                           (len, device, netns, headers) is not reported\n"
		"      --list-reasons       print the running kernel's drop reasons and exit\n"
		"  -v, --verbose            a status line on stderr every second: delivered, lost,\n"
		"                           filtered, rate-limited; at start, how kernel fields\n"
		"                           are read (bpf_rdonly_cast loads, 6.2+, or probe reads)\n"
		"  -h, --help               this help\n"
		"  -V, --version            version\n"
		"\n"
		"At start one line 'skbdrop: tracing ...' goes to stderr; at exit (duration, count,\n"
		"SIGINT, SIGTERM) a summary: events delivered, lost, filtered, rate-limited, and\n"
		"counts per reason.\n"
		"Exit status: 0 ok, 1 runtime error, 2 usage error.\n",
		SKBD_DROP_SNAPLEN_MAX, SKBD_DROP_SNAPLEN_DEFAULT, CLI_POLL_MS);
}

static int fail(char *err, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

unsigned int cli_default_pages(int nr_cpus, long page_size)
{
	unsigned long long per_cpu = CLI_RING_BUDGET / (unsigned int)(nr_cpus > 0 ? nr_cpus : 1);
	unsigned int pages = 1;

	if (per_cpu < CLI_RING_MIN)
		per_cpu = CLI_RING_MIN;
	if (per_cpu > CLI_RING_MAX)
		per_cpu = CLI_RING_MAX;
	if (page_size <= 0)
		page_size = 4096;
	while ((unsigned long long)pages * 2 * (unsigned long)page_size <= per_cpu)
		pages *= 2;
	return pages;
}

static int parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	if (!s || *s < '0' || *s > '9') /* strtoull would skip spaces and take a sign: " -5" */
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

enum { OPT_EXCLUDE = 256, OPT_PAGES, OPT_LIST, OPT_COUNT_ONLY, OPT_NO_OUTPUT, OPT_TRANSPORT, OPT_WAKEUP,
       OPT_POLL_MS, OPT_BTF, OPT_SNAPLEN, OPT_EXCLUDE_DEVICE, OPT_NETNS, OPT_MAX_RATE,
       OPT_SUMMARY, OPT_BY, OPT_PROM, OPT_OWNER, OPT_SOCK_STATE, OPT_ALL, OPT_IGNORE, OPT_NO_RULES, OPT_USER,
       OPT_METRICS, OPT_METRICS_LABELS, OPT_OTLP, OPT_BATCH };

static int parse_wakeup(const char *s, struct cli_opts *o)
{
	unsigned long long v;

	if (!strcmp(s, "none")) {
		o->wakeup = CLI_WAKEUP_NONE;
		o->wakeup_arg = 0;
		return 0;
	}
	if (!strncmp(s, "bytes:", 6) && !parse_ull(s + 6, 1ULL << 30, &v) && v) {
		o->wakeup = CLI_WAKEUP_BYTES;
	} else if (!strncmp(s, "events:", 7) && !parse_ull(s + 7, 1ULL << 30, &v) && v) {
		o->wakeup = CLI_WAKEUP_EVENTS;
	} else {
		return -EINVAL;
	}
	o->wakeup_arg = v;
	return 0;
}

int cli_parse_args(int argc, char **argv, struct cli_opts *o, char *err, size_t err_size)
{
	static const struct option longopts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "duration", required_argument, NULL, 'd' },
		{ "count", required_argument, NULL, 'c' },
		{ "pid", required_argument, NULL, 'p' },
		{ "reason", required_argument, NULL, 'r' },
		{ "exclude-reason", required_argument, NULL, OPT_EXCLUDE },
		{ "pages", required_argument, NULL, OPT_PAGES },
		{ "list-reasons", no_argument, NULL, OPT_LIST },
		{ "count-only", no_argument, NULL, OPT_COUNT_ONLY },
		{ "no-output", no_argument, NULL, OPT_NO_OUTPUT },
		{ "transport", required_argument, NULL, OPT_TRANSPORT },
		{ "wakeup", required_argument, NULL, OPT_WAKEUP },
		{ "poll-ms", required_argument, NULL, OPT_POLL_MS },
		{ "batch", required_argument, NULL, OPT_BATCH },
		{ "btf", required_argument, NULL, OPT_BTF },
		{ "stack", no_argument, NULL, 's' },
		{ "snaplen", required_argument, NULL, OPT_SNAPLEN },
		{ "device", required_argument, NULL, 'i' },
		{ "exclude-device", required_argument, NULL, OPT_EXCLUDE_DEVICE },
		{ "netns", required_argument, NULL, OPT_NETNS },
		{ "max-rate", required_argument, NULL, OPT_MAX_RATE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "summary", optional_argument, NULL, OPT_SUMMARY },
		{ "by", required_argument, NULL, OPT_BY },
		{ "prom-file", required_argument, NULL, OPT_PROM },
		{ "metrics", required_argument, NULL, OPT_METRICS },
		{ "metrics-labels", required_argument, NULL, OPT_METRICS_LABELS },
		{ "otlp", required_argument, NULL, OPT_OTLP },
		{ "owner", required_argument, NULL, OPT_OWNER },
		{ "sock-state", no_argument, NULL, OPT_SOCK_STATE },
		{ "all", no_argument, NULL, OPT_ALL },
		{ "ignore", required_argument, NULL, OPT_IGNORE },
		{ "no-default-rules", no_argument, NULL, OPT_NO_RULES },
		{ "relinquish-privileges", required_argument, NULL, 'Z' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	char *end;
	int c;

	memset(o, 0, sizeof(*o));
	o->wakeup = CLI_WAKEUP_BYTES;
	o->wakeup_arg = 0; /* bytes: a quarter of a ring (the monitor's default) */
	o->poll_ms = CLI_POLL_MS;
	o->snaplen = SKBD_DROP_SNAPLEN_DEFAULT;
	o->benign = SKBD_BENIGN_DEFAULT;
	o->by = SKBD_SUMMARY_BY_DEFAULT;
	o->metrics_labels = CLI_METRICS_LABELS_DEFAULT;
	optind = 0; /* glibc: 0 (not 1) also drops getopt's hidden cluster state from a previous parse */
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:d:c:p:r:si:vhVZ:w:C:W:", longopts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!strcmp(optarg, "text"))
				o->output = CLI_OUT_TEXT;
			else if (!strcmp(optarg, "json"))
				o->output = CLI_OUT_JSON;
			else
				return fail(err, err_size, "--output: '%s' is not text or json", optarg);
			break;
		case 'd':
			errno = 0;
			o->duration = strtod(optarg, &end);
			if (errno || end == optarg || *end || !isfinite(o->duration) || o->duration <= 0 ||
			    o->duration > 1e9)
				return fail(err, err_size, "--duration: '%s' is not a positive number of seconds", optarg);
			break;
		case 'c':
			if (parse_ull(optarg, ~0ULL, &o->count) || !o->count)
				return fail(err, err_size, "--count: '%s' is not a positive integer", optarg);
			break;
		case 'p':
			if (parse_ull(optarg, 0x7fffffff, &v) || !v)
				return fail(err, err_size, "--pid: '%s' is not a process id", optarg);
			o->pid = (unsigned int)v;
			break;
		case OPT_OWNER:
			if (parse_ull(optarg, 0x7fffffff, &v) || !v)
				return fail(err, err_size, "--owner: '%s' is not a process id", optarg);
			o->owner = (unsigned int)v;
			break;
		case OPT_SOCK_STATE:
			o->sock_state = true;
			break;
		case OPT_ALL:
			o->all = true;
			break;
		case OPT_NO_RULES:
			o->benign = 0;
			break;
		case OPT_IGNORE: {
			char *copy = strdup(optarg), *save = NULL, *w;
			size_t names = 0;

			if (!copy)
				return fail(err, err_size, "out of memory");
			for (w = strtok_r(copy, ",", &save); w; w = strtok_r(NULL, ",", &save), names++) {
				__u32 k;

				for (k = 0; skbd_benign_rules[k].name && strcmp(skbd_benign_rules[k].name, w); k++)
					;
				if (!skbd_benign_rules[k].name) {
					int rc = fail(err, err_size, "--ignore: unknown rule '%.64s'; rules: teardown, purge, neigh, tx-completion", w);

					free(copy);
					return rc;
				}
				o->benign &= ~(1u << k);
			}
			free(copy);
			if (!names)
				return fail(err, err_size, "--ignore: empty list");
			break;
		}
		case 'r':
			o->reasons = optarg;
			break;
		case OPT_EXCLUDE:
			o->exclude_reasons = optarg;
			break;
		case OPT_PAGES:
			if (parse_ull(optarg, 1 << 20, &v) || !v || (v & (v - 1)))
				return fail(err, err_size, "--pages: '%s' is not a power of two between 1 and 1048576", optarg);
			o->pages = (unsigned int)v;
			break;
		case OPT_TRANSPORT:
			if (!strcmp(optarg, "perf"))
				o->transport = CLI_TRANSPORT_PERF;
			else if (!strcmp(optarg, "ringbuf"))
				o->transport = CLI_TRANSPORT_RINGBUF;
			else
				return fail(err, err_size, "--transport: '%s' is not perf or ringbuf", optarg);
			break;
		case OPT_WAKEUP:
			if (parse_wakeup(optarg, o))
				return fail(err, err_size, "--wakeup: '%s' is not bytes:N, events:N or none (N from 1 to 2^30)", optarg);
			break;
		case OPT_BATCH:
			if (parse_ull(optarg, SKBD_MONITOR_BATCH_MAX, &v) || !v)
				return fail(err, err_size, "--batch: '%s' is not between 1 and %d", optarg, SKBD_MONITOR_BATCH_MAX);
			o->batch = (unsigned int)v;
			break;
		case OPT_POLL_MS:
			if (parse_ull(optarg, 60000, &v) || !v)
				return fail(err, err_size, "--poll-ms: '%s' is not between 1 and 60000", optarg);
			o->poll_ms = (unsigned int)v;
			break;
		case OPT_BTF:
			if (!*optarg)
				return fail(err, err_size, "--btf: empty file name");
			o->btf_path = optarg;
			break;
		case OPT_SNAPLEN:
			if (parse_ull(optarg, SKBD_DROP_SNAPLEN_MAX, &v))
				return fail(err, err_size, "--snaplen: '%s' is not between 0 and %d", optarg, SKBD_DROP_SNAPLEN_MAX);
			o->snaplen = (unsigned int)v;
			break;
		case 's':
			o->stack = true;
			break;
		case 'w':
			if (!*optarg)
				return fail(err, err_size, "-w: empty file name");
			o->write_file = optarg;
			break;
		case 'C': {
			/* tcpdump's: millions of bytes, or k/m/g (KiB, MiB, GiB) */
			unsigned long long mult = 1000000;
			char num[32];
			size_t n = strlen(optarg);

			if (n && n < sizeof(num) && strchr("kKmMgG", optarg[n - 1])) {
				mult = optarg[n - 1] == 'k' || optarg[n - 1] == 'K' ? 1024ULL :
				       optarg[n - 1] == 'm' || optarg[n - 1] == 'M' ? 1024ULL * 1024 : 1024ULL * 1024 * 1024;
				n--;
			}
			if (n >= sizeof(num))
				return fail(err, err_size, "-C: '%s' is not a file size", optarg);
			memcpy(num, optarg, n);
			num[n] = '\0';
			if (parse_ull(num, (1ULL << 50) / mult, &v) || !v)
				return fail(err, err_size, "-C: '%s' is not a file size (millions of bytes, or a number with k, m or g)",
					    optarg);
			o->rotate_bytes = v * mult;
			o->rotate_bytes_arg = optarg;
			break;
		}
		case 'W':
			if (parse_ull(optarg, 1000000, &v) || !v)
				return fail(err, err_size, "-W: '%s' is not a number of files", optarg);
			o->rotate_files = (unsigned int)v;
			o->rotate_files_arg = optarg;
			break;
		case 'i':
			if (!*optarg || optarg[strspn(optarg, ",")] == '\0')
				return fail(err, err_size, "--device: empty list");
			o->devices = optarg;
			break;
		case OPT_EXCLUDE_DEVICE:
			if (!*optarg || optarg[strspn(optarg, ",")] == '\0')
				return fail(err, err_size, "--exclude-device: empty list");
			o->exclude_devices = optarg;
			break;
		case OPT_NETNS:
			if (!*optarg)
				return fail(err, err_size, "--netns: empty name");
			o->netns = optarg;
			break;
		case OPT_MAX_RATE:
			if (parse_ull(optarg, 1ULL << 40, &v) || !v)
				return fail(err, err_size, "--max-rate: '%s' is not a positive number of events per second", optarg);
			o->max_rate = v;
			break;
		case 'v':
			o->verbose = true;
			break;
		case OPT_SUMMARY: {
			/* "--summary 5" as well as "--summary=5": a number right after it
			 * is its interval (a filter expression never starts with a digit
			 * that parses whole as a number of seconds) */
			const char *a = optarg;

			if (!a && optind < argc && ((argv[optind][0] >= '0' && argv[optind][0] <= '9') || argv[optind][0] == '.') &&
			    argv[optind][strspn(argv[optind], "0123456789.")] == '\0') {
				errno = 0;
				strtod(argv[optind], &end);
				if (!errno && !*end)
					a = argv[optind++];
			}
			o->summary = 1;
			if (a) {
				errno = 0;
				o->summary = strtod(a, &end);
				if (errno || end == a || *end || a[strspn(a, "0123456789.")] || !isfinite(o->summary) ||
				    o->summary < 0.1 ||
				    o->summary > 86400)
					return fail(err, err_size, "--summary: '%s' is not a number of seconds from 0.1 to 86400", a);
			}
			break;
		}
		case OPT_BY:
			if (skbd_summary__parse_by(optarg, &o->by, err, err_size))
				return -EINVAL;
			o->by_given = true;
			break;
		case 'Z':
			if (!*optarg)
				return fail(err, err_size, "-Z: empty user name");
			o->user = optarg;
			break;
		case OPT_METRICS: {
			struct sockaddr_storage ss;
			socklen_t sl;

			if (skbd_http__parse_addr(optarg, &ss, &sl, err, err_size))
				return -EINVAL;
			o->metrics = optarg;
			break;
		}
		case OPT_OTLP: {
			struct sockaddr_storage ss;
			socklen_t sl;
			char path[256];

			if (skbd_http__parse_url(optarg, &ss, &sl, path, sizeof(path), err, err_size))
				return -EINVAL;
			o->otlp = optarg;
			break;
		}
		case OPT_METRICS_LABELS:
			if (skbd_summary__parse_by(optarg, &o->metrics_labels, err, err_size)) {
				char why[256];

				snprintf(why, sizeof(why), "%s", strncmp(err, "--by: ", 6) ? err : err + 6);
				return fail(err, err_size, "--metrics-labels: %s", why);
			}
			o->metrics_labels_given = true;
			o->metrics_labels_arg = optarg;
			break;
		case OPT_PROM:
			if (!*optarg)
				return fail(err, err_size, "--prom-file: empty file name");
			o->prom_file = optarg;
			break;
		case OPT_LIST:
			o->list_reasons = true;
			break;
		case OPT_COUNT_ONLY:
			o->count_only = true;
			break;
		case OPT_NO_OUTPUT:
			o->no_output = true;
			break;
		case 'h':
			o->help = true;
			break;
		case 'V':
			o->version = true;
			break;
		case ':':
			return fail(err, err_size, "option '%s' needs an argument", argv[optind - 1]);
		default:
			/* optopt 0: an unknown long option; a known option's code: a long
			 * option given "=value" it does not take (long options are never
			 * clustered, so argv[optind - 1] is the one); else an unknown letter */
			if (!optopt)
				return fail(err, err_size, "unknown option '%s'", argv[optind - 1]);
			if (optopt >= 256 || strchr("odcprsivhVwCW", optopt))
				return fail(err, err_size, "option '%.*s' takes no argument",
					    (int)strcspn(argv[optind - 1], "="), argv[optind - 1]);
			if (optopt > ' ' && optopt < 0x7f)
				return fail(err, err_size, "unknown option '-%c'", optopt);
			return fail(err, err_size, "unknown option");
		}
	}
	if (optind < argc) { /* a filter expression, words joined like tcpdump does */
		size_t len = 0;

		for (int i = optind; i < argc; i++)
			len += strlen(argv[i]) + 1;
		if (len > sizeof(o->filter)) /* sizeof includes the NUL */
			return fail(err, err_size, "filter expression longer than %zu bytes", sizeof(o->filter) - 1);
		for (int i = optind; i < argc; i++) {
			if (i > optind)
				strcat(o->filter, " ");
			strcat(o->filter, argv[i]);
		}
	}
	if (o->devices && o->exclude_devices)
		return fail(err, err_size, "--device and --exclude-device exclude each other");
	if (o->filter[0] && !o->snaplen)
		return fail(err, err_size, "a filter expression needs the packet's bytes: --snaplen must not be 0");
	if (o->devices && !strcmp(o->devices, "any")) /* tcpdump's -i any: every device */
		o->devices = NULL;
	if (o->batch && (o->summary || o->transport != CLI_TRANSPORT_PERF))
		return fail(err, err_size, "--batch %u: records are gathered only when streamed through the perf rings (not with %s)",
			    o->batch, o->summary ? "--summary" : "--transport ringbuf");
	if (!o->summary && (o->by_given || o->prom_file))
		return fail(err, err_size, "%s needs --summary", o->prom_file ? "--prom-file" : "--by");
	if ((o->rotate_bytes || o->rotate_files) && !o->write_file)
		return fail(err, err_size, "%s %s needs -w FILE", o->rotate_bytes ? "-C" : "-W",
			    o->rotate_bytes ? o->rotate_bytes_arg : o->rotate_files_arg);
	if (o->rotate_files && !o->rotate_bytes)
		return fail(err, err_size, "-W %s needs -C (files are rotated by size)", o->rotate_files_arg);
	if (o->write_file && o->rotate_bytes && !strcmp(o->write_file, "-"))
		return fail(err, err_size, "-C rotates files: it does not go with -w -");
	if (o->write_file && (o->summary || o->output == CLI_OUT_JSON || o->count_only || o->no_output))
		return fail(err, err_size, "-w %s writes the packets as pcapng: it takes no %s", o->write_file,
			    o->summary ? "--summary" : o->output == CLI_OUT_JSON ? "-o (each packet carries its JSON)" :
			    o->count_only ? "--count-only" : "--no-output");
	if (o->metrics_labels_given && !o->metrics && !o->otlp)
		return fail(err, err_size, "--metrics-labels %s needs --metrics or --otlp", o->metrics_labels_arg);
	if (o->summary && (o->metrics || o->otlp) && (o->metrics_labels & ~o->by)) {
		char names[128];

		skbd_summary__by_names(o->metrics_labels & ~o->by, names, sizeof(names));
		return fail(err, err_size, "--metrics-labels: %s not among the --by fields the kernel counts by", names);
	}
	if (o->summary && (o->stack || o->max_rate || o->count_only || o->no_output || o->count))
		return fail(err, err_size, "--summary counts every drop in the kernel: it takes no %s",
			    o->stack ? "--stack" : o->max_rate ? "--max-rate" : o->count ? "--count" :
			    o->count_only ? "--count-only" : "--no-output");
	if (o->summary && o->sock_state)
		return fail(err, err_size, "--sock-state shows socket numbers on event lines: it does not go with --summary");
	if (o->count_only && o->no_output)
		return fail(err, err_size, "--count-only and --no-output exclude each other");
	return 0;
}

static int append(char **buf, size_t *len, size_t *cap, const char *s)
{
	size_t n = strlen(s);

	if (*len + n + 1 > *cap) {
		size_t ncap = (*cap + n + 1) * 2;
		char *nb = realloc(*buf, ncap);

		if (!nb)
			return -ENOMEM;
		*buf = nb;
		*cap = ncap;
	}
	memcpy(*buf + *len, s, n + 1);
	*len += n;
	return 0;
}

static char *unknown_reason_msg(const struct skbd_tpformat *fmt, const char *name)
{
	size_t len = 0, cap = 0;
	char *buf = NULL, head[160];

	snprintf(head, sizeof(head), "unknown drop reason '%.64s'; this kernel has:", name);
	if (append(&buf, &len, &cap, head))
		return NULL;
	for (size_t i = 0; i < fmt->nr_reasons; i++) {
		if (append(&buf, &len, &cap, i ? ", " : " ") || append(&buf, &len, &cap, fmt->reasons[i].name)) {
			free(buf);
			return NULL;
		}
	}
	return buf;
}

/* Walk a comma list; for each name set skip[code] = skip. */
static int apply_list(const struct skbd_tpformat *fmt, const char *opt, const char *list, bool skip,
		      struct skbd_reason_plan *plan, char **err)
{
	char *copy = strdup(list), *save = NULL, *name, msg[160];
	size_t names = 0;

	if (!copy)
		return -ENOMEM;
	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		long code = skbd_tpformat__reason_code(fmt, name);

		if (code < 0) {
			*err = unknown_reason_msg(fmt, name);
			free(copy);
			return -EINVAL;
		}
		if (code >= SKBD_DROP_REASON_SLOTS) { /* a subsystem reason: its own verdict */
			size_t k;

			for (k = 0; k < plan->nr_sub && plan->sub[k].code != (__u32)code; k++)
				;
			if (k == SKBD_DROP_SUBREASONS) {
				snprintf(msg, sizeof(msg), "%s: more than %d subsystem reasons", opt, SKBD_DROP_SUBREASONS);
				*err = strdup(msg);
				free(copy);
				return -EINVAL;
			}
			plan->sub[k].code = (__u32)code;
			plan->sub[k].skip = skip;
			plan->nr_sub += k == plan->nr_sub;
			names++;
			continue;
		}
		plan->skip[code] = skip;
		names++;
	}
	free(copy);
	if (!names) { /* "-r ," would otherwise silently report nothing */
		snprintf(msg, sizeof(msg), "%s: empty list", opt);
		*err = strdup(msg);
		return -EINVAL;
	}
	return 0;
}

int cli_plan_reasons(const struct skbd_tpformat *fmt, const char *include, const char *exclude,
		     struct skbd_reason_plan *plan, char **err)
{
	static const char *const not_drops[] = { "NOT_DROPPED_YET", "CONSUMED" };
	int rc;

	*err = NULL;
	if ((include || exclude) && !fmt->nr_reasons) {
		*err = strdup("this kernel's kfree_skb tracepoint has no drop reasons (added in 5.17): --reason and --exclude-reason cannot be used");
		return -EINVAL;
	}
	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
		plan->skip[i] = include != NULL;
	plan->skip_other = include != NULL;
	plan->nr_sub = 0;
	/* non-drop frees are never reported unless asked for by name */
	if (!include) {
		for (size_t i = 0; i < sizeof(not_drops) / sizeof(not_drops[0]); i++) {
			long code = skbd_tpformat__reason_code(fmt, not_drops[i]);

			if (code >= 0 && code < SKBD_DROP_REASON_SLOTS)
				plan->skip[code] = true;
		}
	}
	if (include && (rc = apply_list(fmt, "--reason", include, false, plan, err)))
		return rc;
	if (exclude && (rc = apply_list(fmt, "--exclude-reason", exclude, true, plan, err)))
		return rc;
	plan->nr_skip_slots = 0;
	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
		plan->nr_skip_slots += plan->skip[i];
	return 0;
}
