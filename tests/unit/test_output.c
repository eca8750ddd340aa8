// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for output/: the event formatters (text line, NDJSON) over
 * pre-resolved names, the JSON string writer, the write loop and the
 * streaming sink, the wall-clock text. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/output.h>
#include "testutil.h"

#define FORMAT_DIR SKBD_FIXTURES "/tracepoint-formats/"
#define KSYMS_BASIC SKBD_FIXTURES "/kallsyms/basic.txt"
#define JQ "/usr/bin/jq"

static struct skbd_tpformat *load_format(const char *file)
{
	struct skbd_tpformat *fmt = NULL;
	char path[512];
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s%s", FORMAT_DIR, file);
	text = tu_load_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL_FATAL(skbd_tpformat__parse(text, len, &fmt), 0);
	free(text);
	return fmt;
}

/* ---- skbd_fmt__text / skbd_fmt__json ------------------------------------- */

#define TS_NS 5000000000ULL
/* TS_NS + this = 1700000000.123456789 s = 2023-11-14T22:13:20.123456789Z */
#define MONO_TO_REAL (1700000000123456789LL - 5000000000LL)

/* The event lives in an exact-size heap block, so reading past comm[15]
 * is an ASan error. */
static struct skbd_drop *new_event(void)
{
	struct skbd_drop *ev = calloc(1, sizeof(*ev));

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	ev->ts_ns = TS_NS;
	ev->skbaddr = 0xffff888012345600ULL;
	ev->location = 0xffffffff81001234ULL; /* func_a+0x234 in basic.txt */
	ev->pid = 4242;
	ev->tid = 4243;
	ev->reason = 3;
	ev->cpu = 1;
	ev->protocol = 0x0800;
	ev->flags = SKBD_DROP_HAS_REASON;
	memcpy(ev->comm, "sender", 7);
	return ev;
}

/* Run jq over one line; true when it parses as a JSON value. */
static bool jq_valid(const char *line)
{
	FILE *p;

	if (!tu_have_jq())
		return true;
	fflush(stdout);
	fflush(stderr);
	p = popen(JQ " -e . >/dev/null 2>&1", "w");
	if (!p)
		return false;
	fputs(line, p);
	return pclose(p) == 0;
}

/* Run jq -r with a filter on one line and compare its output. */
static bool jq_says(const char *line, const char *filter, const char *want)
{
	return tu_jq_says(line, "", filter, want);
}

/* One formatting context; with_cache adds a fresh cache. The names a drop
 * is shown with are made here, as the names layer would: the location from
 * ks (NULL: the raw address), the rest from the fake resolver when res. */
struct fmt_env {
	struct skbd_tpformat *fmt;
	struct skbd_ksyms *ks;
	struct skbd_fmt_cache *cache;
	struct skbd_fmt_ctx ctx;
	bool res;
	char frame_text[2][SKBD_NAME_LOC];
	const char *frames[2];
};

static void names_of(struct fmt_env *e, const struct skbd_drop *ev, struct skbd_drop_names *nm);

static size_t fmt_text(struct fmt_env *e, const struct skbd_drop *ev, char *buf, size_t size)
{
	struct skbd_drop_names nm;

	names_of(e, ev, &nm);
	return skbd_fmt__text(&e->ctx, ev, &nm, buf, size);
}

static size_t fmt_json(struct fmt_env *e, const struct skbd_drop *ev, char *buf, size_t size)
{
	struct skbd_drop_names nm;

	names_of(e, ev, &nm);
	return skbd_fmt__json(&e->ctx, ev, &nm, buf, size);
}

static void env_init(struct fmt_env *e, bool with_cache)
{
	memset(e, 0, sizeof(*e));
	e->fmt = load_format("kfree_skb-6.18.44.format");
	e->ks = tu_load_ksyms(KSYMS_BASIC);
	if (with_cache) {
		e->cache = calloc(1, sizeof(*e->cache));
		CU_ASSERT_PTR_NOT_NULL_FATAL(e->cache);
		e->cache->t.sec = -1;
	}
	e->ctx = (struct skbd_fmt_ctx){
		.fmt = e->fmt, .mono_to_real_ns = MONO_TO_REAL, .has_reason = true, .cache = e->cache,
	};
}

static void env_fini(struct fmt_env *e)
{
	free(e->cache);
	skbd_ksyms__free(e->ks);
	skbd_tpformat__free(e->fmt);
}

/* The cached JSON members (cpu to protocol) follow every field they show:
 * a stream where one field at a time changes, formatted with and without
 * the cache, gives the same bytes, and each change shows. */
static void test_format_ident_cache(void)
{
	struct fmt_env cached, plain;
	struct skbd_drop *ev = NULL;
	char a[2048], b[2048], prev[2048] = "";

	env_init(&cached, true);
	env_init(&plain, false);
	ev = new_event();
	for (int step = 0; step < 16; step++) {
		switch (step % 8) {
		case 0: ev->cpu ^= 1; break;
		case 1: ev->pid++; break;
		case 2: ev->tid++; break;
		case 3: ev->reason = ev->reason == 3 ? 12 : 3; break;
		case 4: ev->location = ev->location == 0xffffffff81001234ULL ? 0xffffffff81002000ULL :
									  0xffffffff81001234ULL; break;
		case 5: ev->protocol = ev->protocol == 0x0800 ? 0x86dd : 0x0800; break;
		case 6: ev->comm[0] = ev->comm[0] == 's' ? 'S' : 's'; break;
		case 7: /* a comm of 16 bytes without a NUL, and back */
			if (ev->comm[15])
				memcpy(ev->comm, "sender\0\0\0\0\0\0\0\0\0", 16);
			else
				memcpy(ev->comm, "abcdefghijklmnop", 16);
			break;
		}
		fmt_json(&cached, ev, a, sizeof(a));
		fmt_json(&plain, ev, b, sizeof(b));
		CU_ASSERT_STRING_EQUAL(a, b);
		CU_ASSERT_STRING_NOT_EQUAL(a, prev); /* the change shows */
		/* the same event again: from the cache, still the same bytes */
		fmt_json(&cached, ev, a, sizeof(a));
		CU_ASSERT_STRING_EQUAL(a, b);
		snprintf(prev, sizeof(prev), "%s", a);
	}
	free(ev);
	env_fini(&cached);
	env_fini(&plain);
}

/* Format both ways and compare exactly; JSON also goes through jq. */
static void expect_lines(struct fmt_env *c, const struct skbd_drop *ev, const char *text, const char *json)
{
	char buf[1024];
	size_t n;

	memset(buf, 'Z', sizeof(buf));
	n = fmt_text(c, ev, buf, sizeof(buf));
	if (strcmp(buf, text))
		fprintf(stderr, "\ntext: '%s'\nwant: '%s'\n", buf, text);
	CU_ASSERT_STRING_EQUAL(buf, text);
	CU_ASSERT_EQUAL(n, strlen(text));
	CU_ASSERT_EQUAL(buf[n + 1], 'Z');

	memset(buf, 'Z', sizeof(buf));
	n = fmt_json(c, ev, buf, sizeof(buf));
	if (strcmp(buf, json))
		fprintf(stderr, "\njson: '%s'\nwant: '%s'\n", buf, json);
	CU_ASSERT_STRING_EQUAL(buf, json);
	CU_ASSERT_EQUAL(n, strlen(json));
	CU_ASSERT_EQUAL(buf[n + 1], 'Z');
	CU_ASSERT_PTR_NULL(memchr(buf, '\n', n - 1)); /* NDJSON: one line */
	CU_ASSERT_TRUE(jq_valid(buf));
}

#define JSON_HEAD "{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,\"tid\":4243"
#define TEXT_HEAD "22:13:20.123456 cpu 1 "

static void check_known(bool with_cache)
{
	struct fmt_env e;
	struct skbd_drop *ev;

	env_init(&e, with_cache);
	ev = new_event();
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* the same event again: a warm cache gives the same bytes */
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	if (tu_have_jq()) {
		char buf[1024];

		fmt_json(&e, ev, buf, sizeof(buf));
		CU_ASSERT_TRUE(jq_says(buf, ".reason_code", "3\n"));
		CU_ASSERT_TRUE(jq_says(buf, ".ts_ns", "5000000000\n"));
		CU_ASSERT_TRUE(jq_says(buf, "keys_unsorted|join(\",\")",
				       "time,ts_ns,cpu,pid,tid,comm,reason,reason_code,location,"
				       "location_addr,protocol,len,ifindex,dev,netns,netns_name,cgroup,layers,owner,skbaddr\n"));
	}

	/* next second, another reason, another symbol: nothing stale */
	ev->ts_ns += 1000000000ULL + 1000;
	ev->reason = 12;
	ev->location = 0xffffffff81002000ULL;
	ev->cpu = 0;
	expect_lines(&e, ev, "22:13:21.123457 cpu 0 sender[4242/4243] NETFILTER_DROP func_b+0x0 IPv4\n",
		     "{\"time\":\"2023-11-14T22:13:21.123457789Z\",\"ts_ns\":6000001000,\"cpu\":0,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NETFILTER_DROP\",\"reason_code\":12,"
		     "\"location\":\"func_b+0x0\",\"location_addr\":\"0xffffffff81002000\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

/* A resolver with one device (veth1, ifindex 7) in one named netns (blue),
 * one cgroup and one stack; everything else is unknown or gone. */
#define CTX_NETNS 4026532000u
static const __u64 fake_ips[] = { 0xffffffff81001234ULL, 0xffffffff81002000ULL };

static int fake_dev(__u32 netns, __u32 ifindex, char name[16])
{
	if (netns == CTX_NETNS && ifindex == 7) {
		strcpy(name, "veth1");
		return 0;
	}
	return netns == CTX_NETNS ? -ENODEV : -ENOENT;
}

static const char *fake_netns(__u32 netns)
{
	return netns == CTX_NETNS ? "blue" : NULL;
}

static const char *fake_cgroup(__u64 id)
{
	return id == 77 ? "/system.slice/x.service" : NULL;
}

static void names_of(struct fmt_env *e, const struct skbd_drop *ev, struct skbd_drop_names *nm)
{
	const char *s;

	memset(nm, 0, sizeof(*nm));
	skbd_ksyms__format(e->ks, ev->location, nm->location, sizeof(nm->location));
	if (!e->res)
		return;
	if (ev->ifindex && ev->netns && fake_dev(ev->netns, ev->ifindex, nm->dev))
		nm->dev[0] = '\0';
	if (ev->netns && (s = fake_netns(ev->netns)))
		snprintf(nm->netns, sizeof(nm->netns), "%s", s);
	if (ev->flags & SKBD_DROP_HAS_CGROUP)
		nm->cgroup = fake_cgroup(ev->cgroup_id);
	if (ev->flags & SKBD_DROP_HAS_STACK) {
		nm->nr_frames = ev->stack_id < 0 ? ev->stack_id : ev->stack_id == 5 ? 2 : -ENOENT;
		for (int i = 0; i < nm->nr_frames; i++) {
			skbd_ksyms__format(e->ks, fake_ips[i], e->frame_text[i], sizeof(e->frame_text[i]));
			e->frames[i] = e->frame_text[i];
		}
		nm->frames = e->frames;
	}
}

/* Ethernet + IPv4 + UDP 10.0.0.1:40000 > 10.0.0.2:9 with 16 bytes of payload */
static void put_udp_packet(struct skbd_drop *ev)
{
	static const __u8 pkt[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, /* ether */
		0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, /* ipv4 */
		0x9c, 0x40, 0, 9, 0, 24, 0, 0, /* udp */
		's', 'k', 'b', 'd', 'r', 'o', 'p', '-', 'e', '2', 'e', 0, 0, 0, 0, 0,
	};

	memcpy(ev->data, pkt, sizeof(pkt));
	ev->caplen = sizeof(pkt);
	ev->net_off = 14;
	ev->trans_off = 34;
	ev->flags |= SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_MAC;
}

/* the "layers" value the decoder gives for the event's packet */
static void layers_of(const struct skbd_drop *ev, char *buf, size_t size)
{
	struct skbd_pkt_in in = { ev->data, ev->caplen, ev->net_off, !!(ev->flags & SKBD_DROP_HAS_MAC), ev->protocol,
				  ev->sk_state };
	struct skbd_pkt p;

	skbd_pkt__decode(&in, &p);
	CU_ASSERT(skbd_pkt__format_json(&p, buf, size) < size);
}

/* packet context read from the kernel's structs (SKBD_DROP_HAS_CTX) */
static void test_format_context(void)
{
	struct fmt_env e;
	struct skbd_drop *ev;
	char layers[1024], json[4096];

	env_init(&e, true);
	e.res = true;
	ev = new_event();
	ev->len = 24;
	ev->ifindex = 7;
	ev->netns = CTX_NETNS;
	ev->sk_state = SKBD_DROP_SK_NONE;
	ev->flags |= SKBD_DROP_HAS_CGROUP;
	ev->cgroup_id = 77;
	put_udp_packet(ev);
	layers_of(ev, layers, sizeof(layers));
	CU_ASSERT_PTR_NOT_NULL(strstr(layers, "\"udp\":{\"sport\":40000,\"dport\":9,\"len\":24}"));
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":7,\"dev\":\"veth1\",\"netns\":%u,"
			   "\"netns_name\":\"blue\",\"cgroup\":\"/system.slice/x.service\",\"layers\":%s,"
			   "\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS, layers);
	expect_lines(&e, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 udp 10.0.0.1.40000 > 10.0.0.2.9 len 24 dev veth1 netns blue\n",
		     json);

	/* a device that is gone: its ifindex, never a name; an unnamed netns: its inode */
	ev->ifindex = 8;
	ev->netns = CTX_NETNS + 1;
	ev->cgroup_id = 78;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":8,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":%s,"
			   "\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1, layers);
	expect_lines(&e, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 udp 10.0.0.1.40000 > 10.0.0.2.9 len 24 ifindex 8 netns 4026532001\n",
		     json);

	/* no device: no dev/ifindex in text; nothing captured: the ethertype's name, layers {} */
	ev->ifindex = 0;
	ev->caplen = 0;
	ev->net_off = SKBD_DROP_OFF_NONE;
	ev->flags &= (__u16)~SKBD_DROP_HAS_CGROUP;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":0,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":{},"
			   "\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1);
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4 len 24 netns 4026532001\n", json);

	/* --stack: frames under the line / a "stack" array; a failed stack says why */
	e.ctx.stacks = true;
	ev->flags |= SKBD_DROP_HAS_STACK;
	ev->stack_id = 5;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":0,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":{},"
			   "\"owner\":null,\"stack\":[\"func_a+0x234\",\"func_b+0x0\"],\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1);
	expect_lines(&e, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4 len 24 netns 4026532001\n"
			       "    func_a+0x234\n    func_b+0x0\n",
		     json);
	ev->stack_id = -EEXIST;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":0,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":{},"
			   "\"owner\":null,\"stack\":null,\"stack_error\":\"stack map bucket taken by another stack (collision)\","
			   "\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1);
	expect_lines(&e, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4 len 24 netns 4026532001\n"
			       "    [stack map bucket taken by another stack (collision)]\n",
		     json);
	free(ev);
	env_fini(&e);
}

static void test_format_known(void)
{
	check_known(false);
}

static void test_format_known_cached(void)
{
	check_known(true);
}

static void check_reasons(bool with_cache)
{
	struct fmt_env e;
	struct skbd_drop *ev;

	env_init(&e, with_cache);
	ev = new_event();
	/* a code the table does not name */
	ev->reason = 500;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] reason#500 func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":500,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* a subsystem code beyond the slots (6.4+: upper 16 bits) */
	ev->reason = 0x30001;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] reason#196609 func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":196609,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* the last named code */
	ev->reason = 128;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] MAX func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"MAX\",\"reason_code\":128,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);

	/* a kernel without reasons (5.10): "-" and nulls, whatever ev->reason says */
	env_init(&e, with_cache);
	skbd_tpformat__free(e.fmt);
	e.fmt = load_format("kfree_skb-5.10.223.format");
	e.ctx.fmt = e.fmt;
	e.ctx.has_reason = false;
	ev = new_event();
	ev->flags = 0;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] - func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":null,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* has_reason=false even with a table that names the code */
	skbd_tpformat__free(e.fmt);
	e.fmt = load_format("kfree_skb-6.18.44.format");
	e.ctx.fmt = e.fmt;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] - func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":null,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_reasons(void)
{
	check_reasons(false);
	check_reasons(true);
}

static void check_protocols(bool with_cache)
{
	struct fmt_env e;
	struct skbd_drop *ev;

	env_init(&e, with_cache);
	ev = new_event();
	ev->protocol = 0x1234;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 0x1234\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":4660,\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	ev->protocol = 0x86dd;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv6\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv6\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* zero-padded to four digits, the widest value in full */
	ev->protocol = 0x0012;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 0x0012\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":18,\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	ev->protocol = 0xffff;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 0xffff\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":65535,\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_protocols(void)
{
	check_protocols(false);
	check_protocols(true);
}

static void check_locations(bool with_cache)
{
	struct fmt_env e;
	struct skbd_drop *ev;
	char loc[64];

	env_init(&e, with_cache);
	ev = new_event();
	/* module symbol: " [mod]" inside the JSON string */
	ev->location = 0xffffffffc0a01010ULL;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET nft_do_chain+0x10 [nf_tables] IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"nft_do_chain+0x10 [nf_tables]\",\"location_addr\":\"0xffffffffc0a01010\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* below the first symbol: the raw address, 16 hex digits */
	CU_ASSERT_EQUAL(skbd_ksyms__format(e.ks, 0x1000, loc, sizeof(loc)), 18);
	CU_ASSERT_STRING_EQUAL(loc, "0x0000000000001000");
	ev->location = 0x1000;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET 0x0000000000001000 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"0x0000000000001000\",\"location_addr\":\"0x1000\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* zero addresses */
	ev->location = 0;
	ev->skbaddr = 0;
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET 0x0000000000000000 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"0x0000000000000000\",\"location_addr\":\"0x0\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0x0\"}\n");
	free(ev);
	env_fini(&e);

	/* no symbol table at all */
	env_init(&e, with_cache);
	skbd_ksyms__free(e.ks);
	e.ks = NULL;
	ev = new_event();
	CU_ASSERT_EQUAL(skbd_ksyms__format(NULL, ev->location, loc, sizeof(loc)), 18);
	CU_ASSERT_STRING_EQUAL(loc, "0xffffffff81001234");
	expect_lines(&e, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET 0xffffffff81001234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"0xffffffff81001234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_locations(void)
{
	check_locations(false);
	check_locations(true);
}

static void check_comms(bool with_cache)
{
	struct fmt_env e;
	struct skbd_drop *ev;

	env_init(&e, with_cache);
	ev = new_event();
	/* quote, backslash, control byte, 0xff */
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, "a\"b\\c\001d\377e", 9);
	expect_lines(&e, ev, TEXT_HEAD "a\"b\\c?d?e[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"a\\\"b\\\\c\\u0001d\\u00ffe\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	if (tu_have_jq()) {
		char buf[1024];

		fmt_json(&e, ev, buf, sizeof(buf));
		CU_ASSERT_TRUE(jq_says(buf, ".comm|explode|map(tostring)|join(\",\")",
				       "97,34,98,92,99,1,100,255,101\n"));
	}

	/* tab, newline, DEL, and an escape at the very start and end */
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, "\tx\n\177\"", 5);
	expect_lines(&e, ev, TEXT_HEAD "?x??\"[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"\\u0009x\\u000a\\u007f\\\"\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");

	/* exactly 16 bytes, no NUL */
	memcpy(ev->comm, "abcdefghijklmnop", 16);
	expect_lines(&e, ev, TEXT_HEAD "abcdefghijklmnop[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"abcdefghijklmnop\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");

	/* 16 bytes that all need escaping */
	memset(ev->comm, '"', sizeof(ev->comm));
	expect_lines(&e, ev, TEXT_HEAD "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\","
			       "\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");

	/* empty comm */
	memset(ev->comm, 0, sizeof(ev->comm));
	expect_lines(&e, ev, TEXT_HEAD "[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_comm(void)
{
	check_comms(false);
	check_comms(true);
}

static void check_times(bool with_cache)
{
	struct fmt_env e;
	struct skbd_drop *ev;

	env_init(&e, with_cache);
	ev = new_event();
	/* microseconds are truncated, not rounded */
	e.ctx.mono_to_real_ns = 1700000000999999999LL - (long long)TS_NS;
	expect_lines(&e, ev, "22:13:20.999999 cpu 1 sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"2023-11-14T22:13:20.999999999Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* whole second, leading zeros kept */
	e.ctx.mono_to_real_ns = 1700000000000000007LL - (long long)TS_NS;
	expect_lines(&e, ev, "22:13:20.000000 cpu 1 sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"2023-11-14T22:13:20.000000007Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* a wall clock before the epoch is clamped to it */
	e.ctx.mono_to_real_ns = -(long long)TS_NS - 5;
	expect_lines(&e, ev, "00:00:00.000000 cpu 1 sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"1970-01-01T00:00:00.000000000Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* a leap day; big ids and cpu */
	e.ctx.mono_to_real_ns = 951782400000000000LL - (long long)TS_NS + 1000; /* 2000-02-29 */
	ev->pid = 4294967295U;
	ev->tid = 0;
	ev->cpu = 4095;
	expect_lines(&e, ev, "00:00:00.000001 cpu 4095 sender[4294967295/0] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"2000-02-29T00:00:00.000001000Z\",\"ts_ns\":5000000000,\"cpu\":4095,"
		     "\"pid\":4294967295,\"tid\":0,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"owner\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_time(void)
{
	check_times(false);
	check_times(true);
}

/* Every buffer size: a NUL-terminated prefix of the full line, length
 * min(full, size - 1), and nothing written past size. */
static void check_truncation(bool json)
{
	struct fmt_env e;
	struct skbd_drop *ev;
	char full[1024], buf[1024];
	size_t n_full;

	env_init(&e, false);
	ev = new_event();
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, "a\"b\\c\001d\377e", 9);
	n_full = json ? fmt_json(&e, ev, full, sizeof(full))
		      : fmt_text(&e, ev, full, sizeof(full));
	CU_ASSERT_EQUAL_FATAL(n_full, strlen(full));
	CU_ASSERT_FATAL(n_full > 60);

	/* size 0: nothing written, the full length returned */
	CU_ASSERT_EQUAL(json ? fmt_json(&e, ev, NULL, 0) : fmt_text(&e, ev, NULL, 0),
			n_full);

	for (size_t size = 1; size <= n_full + 2; size++) {
		size_t n, want = size - 1 < n_full ? size - 1 : n_full;

		memset(buf, 'Z', sizeof(buf));
		n = json ? fmt_json(&e, ev, buf, size) : fmt_text(&e, ev, buf, size);
		if (n != want || buf[want] != '\0' || memcmp(buf, full, want) || buf[size] != 'Z')
			fprintf(stderr, "\n%s size %zu: n %zu want %zu\n", json ? "json" : "text", size, n, want);
		CU_ASSERT_EQUAL(n, want);
		CU_ASSERT_EQUAL(buf[want], '\0');
		CU_ASSERT_EQUAL(memcmp(buf, full, want), 0);
		CU_ASSERT_EQUAL(buf[size], 'Z');
	}

	/* the brief's case: 10 bytes */
	memset(buf, 'Z', sizeof(buf));
	CU_ASSERT_EQUAL(json ? fmt_json(&e, ev, buf, 10) : fmt_text(&e, ev, buf, 10), 9);
	CU_ASSERT_STRING_EQUAL(buf, json ? "{\"time\":\"" : "22:13:20.");
	CU_ASSERT_EQUAL(buf[10], 'Z');
	free(ev);
	env_fini(&e);
}

static void test_format_truncation(void)
{
	check_truncation(false);
	check_truncation(true);
}

/* A cache shared by two contexts formats each the same as no cache. */
static void test_format_cache_switch(void)
{
	struct fmt_env e;
	struct skbd_drop *ev;
	char a[1024], b[1024];

	env_init(&e, true);
	ev = new_event();
	/* many distinct addresses: slot collisions must not mix up names */
	for (unsigned int i = 0; i < 519; i++) {
		struct fmt_env plain = e;

		plain.ctx.cache = NULL;
		ev->location = 0xffffffff81000000ULL + (__u64)i * 0x1111;
		ev->ts_ns = TS_NS + (__u64)i * 700000000ULL;
		ev->reason = i % 140;
		fmt_json(&e, ev, a, sizeof(a));
		fmt_json(&plain, ev, b, sizeof(b));
		if (strcmp(a, b))
			fprintf(stderr, "\ncached: %s\nplain:  %s\n", a, b);
		CU_ASSERT_STRING_EQUAL(a, b);
		fmt_text(&e, ev, a, sizeof(a));
		fmt_text(&plain, ev, b, sizeof(b));
		CU_ASSERT_STRING_EQUAL(a, b);
	}
	free(ev);
	env_fini(&e);
}

/* ---- skbd_pkt__ethertype_name ---------------------------------------------- */

static void test_ethertype(void)
{
	CU_ASSERT_STRING_EQUAL(skbd_pkt__ethertype_name(0x0800), "IPv4");
	CU_ASSERT_STRING_EQUAL(skbd_pkt__ethertype_name(0x86dd), "IPv6");
	CU_ASSERT_STRING_EQUAL(skbd_pkt__ethertype_name(0x0806), "ARP");
	CU_ASSERT_STRING_EQUAL(skbd_pkt__ethertype_name(0x8100), "802.1Q");
	CU_ASSERT_PTR_NULL(skbd_pkt__ethertype_name(0x1234));
	CU_ASSERT_PTR_NULL(skbd_pkt__ethertype_name(0x0000));
	CU_ASSERT_PTR_NULL(skbd_pkt__ethertype_name(0xffff));
	CU_ASSERT_PTR_NULL(skbd_pkt__ethertype_name(0x0008)); /* IPv4 in the wrong byte order */
}


/* The ident cache compares the location text: the same address with a new
 * symbol (kallsyms re-read after a module reload) shows the new text. */
static void test_format_ident_location_text(void)
{
	struct skbd_fmt_cache *cache = calloc(1, sizeof(*cache));
	struct skbd_fmt_ctx c = { .mono_to_real_ns = MONO_TO_REAL, .cache = cache };
	struct skbd_drop_names nm = { .location = "mod_a+0x10 [mod_a]" };
	struct skbd_drop *ev = new_event();
	char buf[2048];

	CU_ASSERT_PTR_NOT_NULL_FATAL(cache);
	cache->t.sec = -1;
	skbd_fmt__json(&c, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"location\":\"mod_a+0x10 [mod_a]\""));
	snprintf(nm.location, sizeof(nm.location), "mod_b+0x10 [mod_b]");
	skbd_fmt__json(&c, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"location\":\"mod_b+0x10 [mod_b]\""));
	CU_ASSERT_PTR_NULL(strstr(buf, "mod_a"));
	/* and by the address: another one with the same text (a name cut to
	 * fit) shows its own location_addr */
	ev->location += 0x10;
	skbd_fmt__json(&c, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"location_addr\":\"0xffffffff81001244\""));
	free(ev);
	free(cache);
}

/* ---- skbd_put_json_str ------------------------------------------------ */

static void expect_json(const char *in, size_t n, const char *want)
{
	char buf[256];
	struct skbd_sbuf b = { .buf = buf, .size = sizeof(buf) };
	size_t len;

	skbd_put_json_mem(&b, in, n);
	len = skbd_sbuf__finish(&b);
	if (strcmp(buf, want))
		fprintf(stderr, "\njson: '%s'\nwant: '%s'\n", buf, want);
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(len, strlen(want));
	CU_ASSERT_TRUE(jq_valid(buf));
}

#define JS(lit, want) expect_json(lit, sizeof(lit) - 1, want)

static void test_json_string(void)
{
	/* plain ASCII, quotes, backslash */
	JS("", "\"\"");
	JS("abc xyz/~", "\"abc xyz/~\"");
	JS("a\"b\\c", "\"a\\\"b\\\\c\"");
	/* control characters and DEL as \u00XX, no short forms */
	JS("\t\n\r\b\f\x01\x1f\x7f", "\"\\u0009\\u000a\\u000d\\u0008\\u000c\\u0001\\u001f\\u007f\"");
	/* a NUL inside the bytes */
	JS("a\0b", "\"a\\u0000b\"");
	/* valid UTF-8 of every length passes through unchanged */
	JS("\xc3\xa9", "\"\xc3\xa9\"");                 /* U+00E9 */
	JS("\xc2\x80\xdf\xbf", "\"\xc2\x80\xdf\xbf\""); /* U+0080, U+07FF */
	JS("\xe2\x82\xac", "\"\xe2\x82\xac\"");         /* U+20AC */
	JS("\xe0\xa0\x80\xef\xbf\xbf", "\"\xe0\xa0\x80\xef\xbf\xbf\""); /* U+0800, U+FFFF */
	JS("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""); /* U+1F600 */
	JS("\xf4\x8f\xbf\xbf", "\"\xf4\x8f\xbf\xbf\""); /* U+10FFFF */
	JS("x\xc3\xa9\"y", "\"x\xc3\xa9\\\"y\"");
	/* overlong forms: every byte escaped */
	JS("\xc0\xaf", "\"\\u00c0\\u00af\"");
	JS("\xc1\xbf", "\"\\u00c1\\u00bf\"");
	JS("\xe0\x80\xaf", "\"\\u00e0\\u0080\\u00af\"");
	JS("\xf0\x80\x80\xaf", "\"\\u00f0\\u0080\\u0080\\u00af\"");
	/* surrogates, past U+10FFFF, bytes that never start a sequence */
	JS("\xed\xa0\x80", "\"\\u00ed\\u00a0\\u0080\"");
	JS("\xf4\x90\x80\x80", "\"\\u00f4\\u0090\\u0080\\u0080\"");
	JS("\xf5\xfe\xff", "\"\\u00f5\\u00fe\\u00ff\"");
	/* stray continuation bytes */
	JS("a\x80" "b\xbf", "\"a\\u0080b\\u00bf\"");
	/* truncated sequences: cut by the end, or by an ASCII byte; the valid
	 * sequence after a bad byte still passes */
	JS("\xe2\x82", "\"\\u00e2\\u0082\"");
	JS("\xf0\x9f\x98", "\"\\u00f0\\u009f\\u0098\"");
	JS("\xc3" "a", "\"\\u00c3a\"");
	JS("\xe2\x82" "\xc3\xa9", "\"\\u00e2\\u0082\xc3\xa9\"");
	/* a sequence cut by the length given, not by a NUL */
	expect_json("\xc3\xa9", 1, "\"\\u00c3\"");
	/* the NUL-terminated form */
	{
		char buf[64];
		struct skbd_sbuf b = { .buf = buf, .size = sizeof(buf) };

		skbd_put_json_str(&b, "q\"\xc3\xa9\xff");
		skbd_sbuf__finish(&b);
		CU_ASSERT_STRING_EQUAL(buf, "\"q\\\"\xc3\xa9\\u00ff\"");
	}
}

static void test_utf8_len(void)
{
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"a", 1), 1);
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xc3\xa9", 2), 2);
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xc3\xa9", 1), 0);
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xe2\x82\xac", 3), 3);
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 4), 4);
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xf0\x9f\x98\x80", 3), 0);
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xed\x9f\xbf", 3), 3); /* U+D7FF */
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\xed\xa0\x80", 3), 0); /* U+D800 */
	CU_ASSERT_EQUAL(skbd_utf8_len((const unsigned char *)"\x80", 1), 0);
}

/* ---- the growing buffer ------------------------------------------------- */

static void test_sbuf_grow(void)
{
	struct skbd_sbuf b;
	size_t total = 0;

	skbd_sbuf__grow_init(&b);
	CU_ASSERT_EQUAL(skbd_sbuf__finish(&b), 0); /* nothing yet: no buffer to terminate */
	for (int i = 0; i < 3000; i++) {
		skbd_put_lit(&b, "row ");
		skbd_put_u64(&b, (unsigned long long)i);
		skbd_put_char(&b, '\n');
		total += 4 + (size_t)snprintf(NULL, 0, "%d", i) + 1;
	}
	CU_ASSERT_FALSE(b.oom);
	CU_ASSERT_EQUAL(skbd_sbuf__finish(&b), total);
	CU_ASSERT_EQUAL(strlen(b.buf), total);
	CU_ASSERT_EQUAL(memcmp(b.buf, "row 0\nrow 1\n", 12), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(b.buf, "\nrow 2999\n"));
	skbd_sbuf__release(&b);
	CU_ASSERT_PTR_NULL(b.buf);
	/* a bounded buffer does not grow */
	{
		char buf[4];
		struct skbd_sbuf s = { .buf = buf, .size = sizeof(buf) };

		CU_ASSERT_EQUAL(skbd_sbuf__reserve(&s, 3), 0);
		CU_ASSERT_EQUAL(skbd_sbuf__reserve(&s, 4), -ENOMEM);
		CU_ASSERT_FALSE(s.oom);
		skbd_put_lit(&s, "abcdef");
		CU_ASSERT_EQUAL(skbd_sbuf__finish(&s), 6);
		CU_ASSERT_STRING_EQUAL(buf, "abc");
	}
}

/* ---- wall time ---------------------------------------------------------- */

static void test_time_text(void)
{
	struct skbd_time_text t = { .sec = -1 };
	int y, m, d;

	CU_ASSERT_EQUAL(skbd_time_text__set(&t, MONO_TO_REAL, TS_NS), 123456789);
	CU_ASSERT_STRING_EQUAL(t.date, "2023-11-14T22:13:20");
	CU_ASSERT_STRING_EQUAL(t.hms, "22:13:20");
	/* the same second: kept as it is (a stale text would show it) */
	strcpy(t.hms, "kept");
	CU_ASSERT_EQUAL(skbd_time_text__set(&t, MONO_TO_REAL, TS_NS + 800000000), 923456789);
	CU_ASSERT_STRING_EQUAL(t.hms, "kept");
	CU_ASSERT_EQUAL(skbd_time_text__set(&t, MONO_TO_REAL, TS_NS + 900000000), 23456789);
	CU_ASSERT_STRING_EQUAL(t.hms, "22:13:21");
	/* before the epoch: the epoch */
	skbd_time_text__set(&t, -(long long)TS_NS * 2, TS_NS);
	CU_ASSERT_STRING_EQUAL(t.date, "1970-01-01T00:00:00");
	skbd_civil_from_days(0, &y, &m, &d);
	CU_ASSERT(y == 1970 && m == 1 && d == 1);
	skbd_civil_from_days(11016, &y, &m, &d);
	CU_ASSERT(y == 2000 && m == 2 && d == 29);
	skbd_civil_from_days(-1, &y, &m, &d);
	CU_ASSERT(y == 1969 && m == 12 && d == 31);
	/* stamps a bad record may carry: near 2^63 and past it, with either offset
	 * sign, clamp (no overflow: UBSan checks) */
	t.sec = -1;
	skbd_time_text__set(&t, MONO_TO_REAL, 0x7fffffffffffff00ULL);
	t.sec = -1;
	skbd_time_text__set(&t, MONO_TO_REAL, 0xffffffffffffffffULL);
	t.sec = -1;
	skbd_time_text__set(&t, -MONO_TO_REAL, 0xffffffffffffffffULL);
	t.sec = -1;
	skbd_time_text__set(&t, INT64_MIN, 0x7fffffffffffffffULL);
	CU_ASSERT_STRING_EQUAL(t.date, "1970-01-01T00:00:00");
}

/* ---- skbd_write_all and the sink ------------------------------------------ */

/* Everything readable on fd now, as a malloc'd string. */
static char *drain(int fd)
{
	size_t cap = 1 << 20, len = 0;
	char *buf = malloc(cap + 1);
	ssize_t n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	while (len < cap && (n = read(fd, buf + len, cap - len)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	return buf;
}

static void test_write_all(void)
{
	volatile sig_atomic_t stop = 0;
	int p[2];
	char *got;

	CU_ASSERT_EQUAL_FATAL(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CU_ASSERT_EQUAL(skbd_write_all(p[1], "hello\n", 6, &stop), 0);
	CU_ASSERT_EQUAL(skbd_write_all(p[1], "", 0, NULL), 0);
	got = drain(p[0]);
	CU_ASSERT_STRING_EQUAL(got, "hello\n");
	free(got);
	/* a full pipe that does not block: the error as -errno */
	{
		static char big[1 << 20];
		int err;

		memset(big, 'x', sizeof(big));
		err = skbd_write_all(p[1], big, sizeof(big), NULL);
		CU_ASSERT_EQUAL(err, -EAGAIN);
		/* stopped: a write cut short is not tried again */
		free(drain(p[0]));
		stop = 1;
		err = skbd_write_all(p[1], big, sizeof(big), &stop);
		CU_ASSERT_EQUAL(err, -EINTR);
		got = drain(p[0]);
		CU_ASSERT(strlen(got) > 0 && strlen(got) < sizeof(big));
		free(got);
		/* a write that completes is not an error, stopped or not */
		CU_ASSERT_EQUAL(skbd_write_all(p[1], "y", 1, &stop), 0);
		free(drain(p[0]));
		/* stopped, to a file (always ready): everything is written, in
		 * PIPE_BUF pieces (the last flush at a stop once kept 4 KiB) */
		{
			FILE *tf = tmpfile();
			size_t wr = 0;

			CU_ASSERT_PTR_NOT_NULL_FATAL(tf);
			CU_ASSERT_EQUAL(skbd_write_some(fileno(tf), big, sizeof(big), &stop, &wr), 0);
			CU_ASSERT_EQUAL(wr, sizeof(big));
			CU_ASSERT_EQUAL(lseek(fileno(tf), 0, SEEK_END), (off_t)sizeof(big));
			fclose(tf);
		}
		stop = 0;
	}
	close(p[0]);
	/* a closed reader: -EPIPE (SIGPIPE ignored for this) */
	{
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;

		sigaction(SIGPIPE, &ign, &old);
		CU_ASSERT_EQUAL(skbd_write_all(p[1], "x", 1, &stop), -EPIPE);
		sigaction(SIGPIPE, &old, NULL);
	}
	close(p[1]);
	CU_ASSERT_EQUAL(skbd_write_all(-1, "x", 1, NULL), -EBADF);
}

static void test_sink(void)
{
	struct skbd_fmt_ctx c = { .mono_to_real_ns = MONO_TO_REAL };
	struct skbd_out_opts opts = { .json = false };
	struct skbd_drop_names nm = { .location = "func_a+0x234" };
	struct skbd_drop *ev = new_event();
	char line[1024], *got;
	struct skbd_out *o = NULL;
	size_t n, total = 0;
	int p[2];

	CU_ASSERT_EQUAL_FATAL(pipe2(p, O_CLOEXEC), 0);
	CU_ASSERT_EQUAL_FATAL(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	CU_ASSERT_EQUAL(fcntl(p[1], F_SETPIPE_SZ, 1 << 20) >= SKBD_OUT_BUF, true);
	CU_ASSERT_EQUAL(skbd_out__new(-1, &c, &opts, &o), -EINVAL);
	CU_ASSERT_EQUAL_FATAL(skbd_out__new(p[1], &c, &opts, &o), 0);
	n = skbd_fmt__text(&c, ev, &nm, line, sizeof(line));
	/* buffered until a flush */
	CU_ASSERT_EQUAL(skbd_out__event(o, ev, &nm), 0);
	CU_ASSERT_EQUAL(skbd_out__event(o, ev, &nm), 0);
	got = drain(p[0]);
	CU_ASSERT_STRING_EQUAL(got, "");
	free(got);
	CU_ASSERT_EQUAL(skbd_out__flush(o), 0);
	got = drain(p[0]);
	CU_ASSERT_EQUAL(strlen(got), 2 * n);
	CU_ASSERT_EQUAL(strncmp(got, line, n), 0);
	free(got);
	/* a full buffer is written before the next line: never a cut line */
	for (int i = 0; i < 6000; i++) {
		CU_ASSERT_EQUAL(skbd_out__event(o, ev, &nm), 0);
		total += n;
	}
	got = drain(p[0]);
	if (!(strlen(got) > 0 && strlen(got) < total && strlen(got) % n == 0))
		fprintf(stderr, "\nsink: got %zu of %zu, line %zu\n", strlen(got), total, n);
	CU_ASSERT(strlen(got) > 0 && strlen(got) < total && strlen(got) % n == 0);
	total -= strlen(got);
	free(got);
	CU_ASSERT_EQUAL(skbd_out__flush(o), 0);
	got = drain(p[0]);
	CU_ASSERT_EQUAL(strlen(got), total);
	free(got);
	skbd_out__free(o);

	/* --no-output: formatted, never written; JSON */
	opts = (struct skbd_out_opts){ .json = true, .discard = true };
	CU_ASSERT_EQUAL_FATAL(skbd_out__new(p[1], &c, &opts, &o), 0);
	CU_ASSERT_EQUAL(skbd_out__event(o, ev, &nm), 0);
	CU_ASSERT_EQUAL(skbd_out__flush(o), 0);
	got = drain(p[0]);
	CU_ASSERT_STRING_EQUAL(got, "");
	free(got);
	skbd_out__free(o);

	/* the reader went away: -EPIPE, and it sticks */
	opts = (struct skbd_out_opts){ .json = true };
	CU_ASSERT_EQUAL_FATAL(skbd_out__new(p[1], &c, &opts, &o), 0);
	close(p[0]);
	{
		struct sigaction ign = { .sa_handler = SIG_IGN }, old;

		sigaction(SIGPIPE, &ign, &old);
		CU_ASSERT_EQUAL(skbd_out__event(o, ev, &nm), 0);
		CU_ASSERT_EQUAL(skbd_out__flush(o), -EPIPE);
		CU_ASSERT_EQUAL(skbd_out__event(o, ev, &nm), -EPIPE);
		CU_ASSERT_EQUAL(skbd_out__flush(o), -EPIPE);
		sigaction(SIGPIPE, &old, NULL);
	}
	CU_ASSERT_EQUAL(skbd_out__unwritten(o), 1);
	skbd_out__free(o);
	skbd_out__free(NULL);
	close(p[1]);
	free(ev);
}

/* A reader that stops reading (a full pipe, here one that does not block):
 * the events the failed flush did not write are counted, a line cut short
 * among them, and every event is either wholly in the pipe or counted. */
static void test_sink_unwritten(void)
{
	struct skbd_fmt_ctx c = { .mono_to_real_ns = MONO_TO_REAL };
	struct skbd_out_opts opts = { .json = true };
	struct skbd_drop_names nm = { .location = "func_a+0x234" };
	struct skbd_drop *ev = new_event();
	struct skbd_out *o = NULL;
	unsigned long long whole = 0, formatted = 0;
	char *got;
	int p[2], err = 0;

	CU_ASSERT_EQUAL_FATAL(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	CU_ASSERT_TRUE_FATAL(fcntl(p[1], F_SETPIPE_SZ, 4096) >= 4096);
	CU_ASSERT_EQUAL_FATAL(skbd_out__new(p[1], &c, &opts, &o), 0);
	CU_ASSERT_EQUAL(skbd_out__unwritten(o), 0);
	/* an event whose flush-before-formatting fails is not formatted */
	for (int i = 0; i < 200 && !err; i++)
		if (!(err = skbd_out__event(o, ev, &nm)))
			formatted++;
	if (!err)
		err = skbd_out__flush(o);
	CU_ASSERT_EQUAL(err, -EAGAIN);
	got = drain(p[0]);
	for (const char *q = got; (q = strchr(q, '\n')); q++)
		whole++;
	CU_ASSERT_TRUE(skbd_out__unwritten(o) > 0);
	CU_ASSERT_EQUAL(whole + skbd_out__unwritten(o), formatted);
	free(got);
	skbd_out__free(o);
	CU_ASSERT_EQUAL(skbd_out__unwritten(NULL), 0);
	close(p[0]);
	close(p[1]);
	free(ev);
}



/* The socket's owner: text " owner COMM[PID]" (uid without a process), the
 * numbers with --sock-state; JSON "owner" with the process, socket and its state */
static void test_format_owner(void)
{
	struct fmt_env e;
	struct skbd_drop *ev;
	struct skbd_drop_names nm;
	char buf[4096];

	env_init(&e, false);
	ev = new_event();
	ev->flags |= SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_OWNER;
	ev->len = 24;
	ev->netns = CTX_NETNS;
	ev->reason = 6;
	ev->sk_state = 7; /* UDP sockets sit in TCP_CLOSE */
	ev->sk_ino = 162965;
	ev->sk_uid = 1000;
	ev->sk_netns = CTX_NETNS;
	ev->sk_lport = 47123;
	ev->sk_src = SKBD_SK_SRC_RX_SK;
	ev->sk_proto = 17;
	ev->sk_rmem = 2304;
	ev->sk_rcvbuf = 2304;
	ev->sk_flags = SKBD_SK_UID | SKBD_SK_CGROUP | SKBD_SK_QUEUE;
	put_udp_packet(ev);
	names_of(&e, ev, &nm);
	nm.owner.known = true;
	nm.owner.pid = 777;
	snprintf(nm.owner.comm, sizeof(nm.owner.comm), "recv\033x");
	nm.owner.cgroup = "/system.slice/docker-abc.scope";
	snprintf(nm.owner.container, sizeof(nm.owner.container), "%s", "abc");

	skbd_fmt__text(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " len 24 netns 4026532000 owner recv?x[777]\n"));
	e.ctx.sock_state = true;
	skbd_fmt__text(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " owner recv?x[777] rcvq 2304/2304\n"));
	skbd_fmt__json(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf,
		",\"owner\":{\"pid\":777,\"comm\":\"recv\\u001bx\",\"uid\":1000,\"inode\":162965,"
		"\"cgroup\":\"/system.slice/docker-abc.scope\",\"container\":\"abc\",\"pod\":null,\"source\":\"rx_sk\","
		"\"listener_of_request\":false,\"netns\":4026532000,\"port\":47123,"
		"\"sock\":{\"rcvq_bytes\":2304,\"rcvbuf\":2304}},\"skbaddr\""));
	CU_ASSERT_TRUE(jq_valid(buf));

	/* a listener (request socket's) and a TCP socket's windows; no process known */
	nm.owner.known = false;
	nm.owner.cgroup = NULL;
	nm.owner.container[0] = '\0';
	ev->sk_src = SKBD_SK_SRC_SKB_SK;
	ev->sk_flags = SKBD_SK_UID | SKBD_SK_LISTEN | SKBD_SK_REQ;
	ev->sk_ack_backlog = 2;
	ev->sk_max_ack_backlog = 1;
	skbd_fmt__text(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " owner uid 1000 acceptq 2/1\n"));
	skbd_fmt__json(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, ",\"owner\":{\"pid\":null,\"comm\":null,\"uid\":1000,\"inode\":162965,"
					   "\"cgroup\":null,\"container\":null,\"pod\":null,\"source\":\"skb->sk\","
					   "\"listener_of_request\":true,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"sock\":{\"accept_queue\":2,\"backlog\":1}}"));
	ev->sk_flags = SKBD_SK_TCPWIN | SKBD_SK_WSCALE;
	ev->tcp_rcv_wnd = 65535;
	ev->tcp_snd_wnd = 1024;
	ev->tcp_wscale = 7 << 4 | 2;
	ev->sk_ino = 0; /* orphaned: no struct socket */
	skbd_fmt__text(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " netns 4026532000 rwnd 65535 swnd 1024 wscale 7/2\n"));
	skbd_fmt__json(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"uid\":null,\"inode\":null,"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"sock\":{\"rcv_wnd\":65535,\"snd_wnd\":1024,\"snd_wscale\":7,\"rcv_wscale\":2}}"));
	ev->sk_flags = SKBD_SK_TCPWIN; /* scaling off: the windows as they are, scales null */
	skbd_fmt__text(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, " rwnd 65535 swnd 1024 wscale off\n"));
	skbd_fmt__json(&e.ctx, ev, &nm, buf, sizeof(buf));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "\"snd_wscale\":null,\"rcv_wscale\":null}}"));
	CU_ASSERT_TRUE(jq_valid(buf));
	free(ev);
	env_fini(&e);
}

/* A record may carry any benign rule number below SKBD_DROP_BENIGN_RULES
 * (the fuzzer found one past the named rules read beyond the table): the
 * named ones are shown, the others are not, and nothing is read out of
 * bounds (an ASan error under make unit SANITIZE=address). */
static void test_format_benign_rule(void)
{
	struct fmt_env e;
	struct skbd_drop *ev;
	char buf[4096];

	env_init(&e, false);
	ev = new_event();
	ev->flags |= SKBD_DROP_HAS_CTX | SKBD_DROP_BENIGN;
	for (__u8 r = 0; r < SKBD_DROP_BENIGN_RULES + 2; r++) {
		const char *name = r < SKBD_DROP_BENIGN_RULES ? skbd_benign_rules[r].name : NULL;

		ev->benign_rule = r;
		fmt_text(&e, ev, buf, sizeof(buf));
		CU_ASSERT_EQUAL(strstr(buf, " benign ") != NULL, name != NULL);
		fmt_json(&e, ev, buf, sizeof(buf));
		CU_ASSERT_EQUAL(strstr(buf, ",\"benign\":\"") != NULL, name != NULL);
	}
	CU_ASSERT_STRING_EQUAL(skbd_benign_rules[0].name, "teardown");
	CU_ASSERT_PTR_NULL(skbd_benign_rules[SKBD_DROP_BENIGN_RULES - 1].name);
	free(ev);
	env_fini(&e);
}

CU_TestInfo skbd_tests_output[] = {
	{ "format the socket's owner", test_format_owner },
	{ "format a benign rule number past the named rules", test_format_benign_rule },
	{ "format packet context", test_format_context },
	{ "format known", test_format_known },
	{ "format known cached", test_format_known_cached },
	{ "format ident cache", test_format_ident_cache },
	{ "format reasons", test_format_reasons },
	{ "format protocols", test_format_protocols },
	{ "format locations", test_format_locations },
	{ "format comm", test_format_comm },
	{ "format time", test_format_time },
	{ "format truncation", test_format_truncation },
	{ "format cache", test_format_cache_switch },
	{ "ethertype", test_ethertype },
	{ "format ident cache location text", test_format_ident_location_text },
	{ "json string", test_json_string },
	{ "utf8 length", test_utf8_len },
	{ "growing buffer", test_sbuf_grow },
	{ "time text", test_time_text },
	{ "write all", test_write_all },
	{ "sink", test_sink },
	{ "sink: events a stalled reader never got", test_sink_unwritten },
	CU_TEST_INFO_NULL,
};
