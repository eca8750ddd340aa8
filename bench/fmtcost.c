// SPDX-License-Identifier: GPL-2.0-only
/* The reader's formatting cost, without the kernel: formats one recorded-like
 * event (an nft drop of a UDP datagram on loopback, as the bench makes them)
 * N times as text and as JSON, through the same cache the tool uses, and
 * prints ns per event. The names it is shown with (location, device,
 * namespace, cgroup) are resolved once, as the names layer's cache hits
 * give them: formatting alone is measured. Symbols: the running kernel's
 * /proc/kallsyms (root shows addresses; else all are 0).
 * Usage: fmtcost [N]     prints: fmtcost: text|json N ns/event, B bytes/event */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/output.h>
#include <skbdrop/tpformat.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* The bench's drop: Ethernet (loopback: zero MACs), IPv4, UDP 55527 > 9, 16 bytes of payload. */
static void bench_event(struct skbd_drop *ev)
{
	static const unsigned char pkt[] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x08, 0x00,
		0x45, 0, 0, 44, 0xdb, 0x85, 0x40, 0, 64, 17, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1,
		0xd8, 0xe7, 0, 9, 0, 24, 0, 0,
		's', 'k', 'b', 'd', 'r', 'o', 'p', '-', 'b', 'e', 'n', 'c', 'h', 0, 0, 0,
	};

	memset(ev, 0, sizeof(*ev));
	ev->ts_ns = 16680652872527ULL;
	ev->skbaddr = 0xffff88810a7ca900ULL;
	ev->pid = ev->tid = 5799;
	ev->reason = 12; /* NETFILTER_DROP on 6.18 */
	ev->protocol = 0x0800;
	ev->flags = SKBD_DROP_HAS_REASON | SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_MAC | SKBD_DROP_HAS_CGROUP;
	memcpy(ev->comm, "dropgen", 8);
	ev->len = 44;
	ev->ifindex = 1;
	ev->netns = 4026532177u;
	ev->caplen = sizeof(pkt);
	ev->net_off = 14;
	ev->trans_off = 34;
	ev->sk_state = SKBD_DROP_SK_NONE;
	ev->pkt_len = sizeof(pkt);
	memcpy(ev->data, pkt, sizeof(pkt));
}

int main(int argc, char **argv)
{
	static char fmt_text[] =
		"name: kfree_skb\nID: 1\nformat:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
		"\tfield:enum skb_drop_reason reason;\toffset:16;\tsize:4;\tsigned:0;\n"
		"\nprint fmt: \"%d\", __print_symbolic(REC->reason, { 12, \"NETFILTER_DROP\" })\n";
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	struct skbd_tpformat *fmt = NULL;
	struct skbd_ksyms *ks = NULL;
	struct skbd_fmt_cache *cache;
	struct skbd_drop_names nm = { .dev = "lo", .netns = "skbdbench12345", .cgroup = "/" };
	struct skbd_drop ev;
	unsigned long long loc = 0xffffffff81000000ULL;
	static char buf[SKBD_LINE_MAX];
	FILE *kf;

	if (n <= 0 || skbd_tpformat__parse(fmt_text, sizeof(fmt_text) - 1, &fmt)) {
		fprintf(stderr, "usage: fmtcost [N > 0]\n");
		return 2;
	}
	kf = fopen("/proc/kallsyms", "re");
	if (kf) {
		unsigned long long a;
		char type, name[256];

		/* a symbol the kernel has, so the location is a name as in the tool */
		while (fscanf(kf, "%llx %c %255s%*[^\n]", &a, &type, name) == 3)
			if (!strcmp(name, "nft_do_chain"))
				loc = a + 0x3e8;
		rewind(kf);
		if (skbd_ksyms__new(kf, &ks))
			ks = NULL;
		fclose(kf);
	}
	skbd_ksyms__format(ks, loc, nm.location, sizeof(nm.location));
	cache = calloc(1, sizeof(*cache));
	if (!cache)
		return 1;
	for (int json = 0; json < 2; json++) {
		struct skbd_fmt_ctx c = { .fmt = fmt, .has_reason = true, .cache = cache };
		unsigned long long bytes = 0;
		double t0;

		memset(cache, 0, sizeof(*cache));
		cache->t.sec = -1;
		bench_event(&ev);
		ev.location = loc;
		t0 = now();
		for (long i = 0; i < n; i++) {
			ev.ts_ns += 1013;    /* a new time every event, a new second now and then */
			ev.data[19] = (unsigned char)i; /* the IP id */
			bytes += json ? skbd_fmt__json(&c, &ev, &nm, buf, sizeof(buf)) :
					skbd_fmt__text(&c, &ev, &nm, buf, sizeof(buf));
		}
		printf("fmtcost: %s %.0f ns/event, %llu bytes/event\n", json ? "json" : "text",
		       (now() - t0) * 1e9 / (double)n, bytes / (unsigned long long)n);
	}
	free(cache);
	skbd_ksyms__free(ks);
	skbd_tpformat__free(fmt);
	return 0;
}
