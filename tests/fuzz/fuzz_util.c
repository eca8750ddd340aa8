// SPDX-License-Identifier: GPL-2.0-only
/* Helpers of the libFuzzer targets (see fuzz_util.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/drop.h>
#include <skbdrop/log.h>
#include <skbdrop/monitor.h>
#include <skbdrop/names.h>
#include <skbdrop/output.h>
#include <skbdrop/sys.h>
#include <skbdrop/tpformat.h>
#include "fuzz_util.h"

__u8 fuzz_u8(struct fuzz_in *in)
{
	__u8 v = 0;

	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

__u32 fuzz_u32(struct fuzz_in *in)
{
	__u32 v = 0;

	for (int i = 0; i < 4; i++)
		v |= (__u32)fuzz_u8(in) << (8 * i);
	return v;
}

__u64 fuzz_u64(struct fuzz_in *in)
{
	__u64 lo = fuzz_u32(in);

	return lo | (__u64)fuzz_u32(in) << 32;
}

static void no_log(void *ctx, enum skbd_log_level level, const char *msg)
{
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	skbd_set_log(no_log, NULL);
	return 0;
}

FILE *fuzz_stream(const void *p, size_t n)
{
	/* glibc's fmemopen refuses a size of 0: an empty input is an empty file */
	FILE *f = n ? fmemopen((void *)p, n, "r") : fopen("/dev/null", "r");

	if (!f) {
		perror("fuzz: stream");
		abort();
	}
	return f;
}

void fuzz_fail(const char *what)
{
	fprintf(stderr, "fuzz: oracle failed: %s\n", what);
	abort();
}

/* Enough of a real format for reason names, the unnamed code 1 included. */
static const char reasons_text[] =
	"name: kfree_skb\nID: 1\nformat:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:void * location;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned short protocol;\toffset:24;\tsize:2;\tsigned:0;\n"
	"\tfield:enum skb_drop_reason reason;\toffset:28;\tsize:4;\tsigned:0;\n\n"
	"print fmt: \"skbaddr=%p reason: %s\", REC->skbaddr, __print_symbolic(REC->reason, "
	"{ 2, \"NOT_SPECIFIED\" }, { 3, \"NO_SOCKET\" }, { 6, \"SOCKET_RCVBUFF\" }, "
	"{ 0x30001, \"QDISC_DROP\" }, { 0xfffe0001, \"TCP_LISTEN_OVERFLOW\" })\n";

const struct skbd_tpformat *fuzz_reasons(void)
{
	static struct skbd_tpformat *fmt;

	if (!fmt && skbd_tpformat__parse(reasons_text, sizeof(reasons_text) - 1, &fmt))
		fuzz_fail("the built-in format does not parse");
	return fmt;
}

/* One formatter's answer must be what it says it wrote, NUL-terminated. */
static void check_len(const char *buf, size_t len, size_t size, const char *who)
{
	if (len >= size || strlen(buf) != len)
		fuzz_fail(who);
}

static void fill_names(const struct skbd_drop *d, __u32 knobs, struct skbd_drop_names *nm)
{
	static const char *const frames[] = { "tcp_v4_rcv+0x1c", "ip_local_deliver_finish+0x8a [nf]",
					      "0xffffffffc0001000" };
	static const char *const cgroups[] = { "/system.slice/x.service",
					       "/kubepods.slice/kubepods-pod0a1b.slice/cri-containerd-ab12.scope" };

	memset(nm, 0, sizeof(*nm));
	snprintf(nm->location, sizeof(nm->location), (knobs & 1) ? "kfree_skb_reason+0x%llx" : "0x%llx",
		 (unsigned long long)d->location);
	/* names the kernel hands out are bytes, not text: take some from the input */
	if (knobs & 2)
		memcpy(nm->dev, d->comm, sizeof(nm->dev) - 1);
	if (knobs & 4)
		snprintf(nm->netns, sizeof(nm->netns), "%.16s", d->comm);
	nm->cgroup = (knobs & 8) ? cgroups[(knobs >> 4) & 1] : NULL;
	nm->nr_frames = (knobs & 0x20) ? (int)((knobs >> 6) % 4) : -ENOENT;
	nm->frames = nm->nr_frames > 0 ? frames : NULL;
	nm->owner.known = knobs & 0x100;
	nm->owner.pid = d->pid;
	memcpy(nm->owner.comm, d->comm, sizeof(d->comm));
	nm->owner.cgroup = (knobs & 0x200) ? cgroups[1] : NULL;
	if (knobs & 0x400)
		snprintf(nm->owner.container, sizeof(nm->owner.container), "ab12");
}

void fuzz_format_drop(const struct skbd_drop *d, __u32 knobs, __s64 mono_to_real_ns)
{
	struct skbd_fmt_cache *cache = calloc(1, sizeof(*cache));
	static char buf[SKBD_LINE_MAX];
	struct skbd_drop_names nm;
	struct skbd_fmt_ctx c = {
		.fmt = (knobs & 0x800) ? NULL : fuzz_reasons(),
		.mono_to_real_ns = mono_to_real_ns,
		.has_reason = knobs & 0x1000,
		.stacks = knobs & 0x2000,
		.sock_state = knobs & 0x4000,
	};
	size_t small = (knobs >> 16) % 512 + 1, len;

	if (!cache)
		abort();
	fill_names(d, knobs, &nm);
	len = skbd_fmt__text(&c, d, &nm, buf, sizeof(buf));
	check_len(buf, len, sizeof(buf), "text length");
	len = skbd_fmt__json(&c, d, &nm, buf, sizeof(buf));
	check_len(buf, len, sizeof(buf), "json length");
	/* a short buffer: clamped, never overrun */
	len = skbd_fmt__json(&c, d, &nm, buf, small);
	check_len(buf, len, small, "json length (short buffer)");
	len = skbd_fmt__text(&c, d, &nm, buf, small);
	check_len(buf, len, small, "text length (short buffer)");
	/* through a cache, twice: the second one reuses what the first built */
	cache->t.sec = -1;
	c.cache = cache;
	for (int i = 0; i < 2; i++) {
		len = skbd_fmt__json(&c, d, &nm, buf, sizeof(buf));
		check_len(buf, len, sizeof(buf), "json length (cached)");
		len = skbd_fmt__text(&c, d, &nm, buf, sizeof(buf));
		check_len(buf, len, sizeof(buf), "text length (cached)");
	}
	free(cache);
}

int fuzz_on_record(void *ctx, int cpu, const void *data, __u32 size)
{
	struct fuzz_rec_ctx *rc = ctx;
	/* a perf sample of a batch: size / stride records, as the monitor splits it */
	__u32 each, n = skbd_monitor__sample_records(size, rc->stride, &each);

	/* every record converted, the first few formatted: formatting a ring
	 * full of records would cost more than it finds */
	for (__u32 i = 0; i < n; i++) {
		if ((__u64)i * each + each > size)
			fuzz_fail("a sample's records past its size");
		if (!skbd_monitor__record_to_drop((const char *)data + (size_t)i * each, each, &rc->d) && rc->samples < 4 && i < 2)
			fuzz_format_drop(&rc->d, rc->knobs, rc->mono_to_real_ns);
	}
	return ++rc->samples == rc->stop_at ? SKBD_CB_STOP : SKBD_CB_OK;
}

__u64 fuzz_ring_input(struct fuzz_in *in, struct fuzz_rec_ctx *rc, __u64 *pos, __u64 *lead)
{
	__u64 ring = 8;

	rc->knobs = fuzz_u32(in);
	rc->mono_to_real_ns = (__s64)fuzz_u64(in);
	rc->stop_at = (rc->knobs >> 24) & 7;
	*pos = fuzz_u64(in);
	*lead = fuzz_u32(in);
	while (ring * 2 <= in->n && ring < (1u << 20))
		ring *= 2;
	*lead %= 2 * ring + 1;
	return ring;
}
