// SPDX-License-Identifier: GPL-2.0-only
/* --otlp: URLs, the answer's status line and Retry-After, the log record and
 * metrics JSON (checked with jq), and the exporter against a scripted
 * server on 127.0.0.1: batching, the retry after 503 with Retry-After, no
 * retry after 400, a full queue counted. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <CUnit/CUnit.h>
#include <skbdrop/http.h>
#include <skbdrop/otlp.h>
#include "testutil.h"

static void test_url(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char path[64], err[256];
	static const char *const bad[] = { "127.0.0.1:4318", "https://127.0.0.1:4318", "http://", "http://:4318",
					   "http://collector.example:4318", "http://127.0.0.1:99999", "ftp://x" };

	CU_ASSERT_EQUAL(skbd_http__parse_url("http://127.0.0.1:4318", &ss, &len, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&ss)->sin_port), 4318);
	CU_ASSERT_STRING_EQUAL(path, "");
	CU_ASSERT_EQUAL(skbd_http__parse_url("http://localhost/otlp/", &ss, &len, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&ss)->sin_port), 80);
	CU_ASSERT_STRING_EQUAL(path, "/otlp");
	CU_ASSERT_EQUAL(skbd_http__parse_url("http://[::1]/", &ss, &len, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 80);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(skbd_http__parse_url(bad[i], &ss, &len, path, sizeof(path), err, sizeof(err)), -EINVAL);
		CU_ASSERT(!strncmp(err, "--otlp ", 7) && !strchr(err, '\n'));
	}
}

static void test_response(void)
{
	int st = 0, ra = 0;
	const char *ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";

	CU_ASSERT_EQUAL(skbd_http__parse_response(ok, strlen(ok), &st, &ra), 0);
	CU_ASSERT(st == 200 && ra == -1);
	CU_ASSERT_EQUAL(skbd_http__parse_response(ok, 20, &st, &ra), -EAGAIN);
	CU_ASSERT_EQUAL(skbd_http__parse_response("HTTP/1.1 503 Busy\r\nretry-after:  7\r\n\r\n", 38, &st, &ra), 0);
	CU_ASSERT(st == 503 && ra == 7);
	/* an HTTP-date is not seconds: the caller's own backoff */
	CU_ASSERT_EQUAL(skbd_http__parse_response("HTTP/1.0 429 x\nRetry-After: Wed, 21 Oct 2015 07:28:00 GMT\n\n", 59,
						  &st, &ra), 0);
	CU_ASSERT(st == 429 && ra == -1);
	CU_ASSERT_EQUAL(skbd_http__parse_response("SSH-2.0-OpenSSH\r\n", 17, &st, &ra), -EPROTO);
	CU_ASSERT_EQUAL(skbd_http__parse_response("HTTP/1.1 2x0 OK\r\n\r\n", 19, &st, &ra), -EPROTO);
	CU_ASSERT_EQUAL(skbd_http__parse_response("HTTP/2 200\r\n\r\n", 14, &st, &ra), -EPROTO);
}

static struct skbd_drop udp_drop(void)
{
	static const __u8 pkt[] = { 0x45, 0, 0, 31, 0, 1, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
				    0x9c, 0x40, 0x1d, 0x15, 0, 11, 0, 0, 'a', 'b', 'c' };
	struct skbd_drop d;

	memset(&d, 0, sizeof(d));
	d.ts_ns = 5;
	d.pid = 42;
	d.tid = 43;
	d.reason = 2;
	d.cpu = 1;
	d.protocol = 0x0800;
	d.flags = SKBD_DROP_HAS_REASON | SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_OWNER;
	memcpy(d.comm, "sender\0", 7);
	d.len = 31;
	d.ifindex = 7;
	d.netns = 4026532001u;
	d.caplen = sizeof(pkt);
	d.net_off = 0;
	d.pkt_len = sizeof(pkt);
	d.sk_flags = SKBD_SK_UID;
	d.sk_uid = 1000;
	memcpy(d.data, pkt, sizeof(pkt));
	return d;
}

static void test_log_json(void)
{
	struct skbd_fmt_ctx c = { .mono_to_real_ns = 1700000000000000000ll, .has_reason = true };
	struct skbd_otlp_opts o = { .version = "v\"1", .host_name = "h1", .kernel_release = "6.18.44" };
	struct skbd_drop d = udp_drop();
	struct skbd_drop_names nm;
	struct skbd_sbuf b;
	char *z;

	memset(&nm, 0, sizeof(nm));
	strcpy(nm.location, "func_a+0x10");
	strcpy(nm.dev, "veth1");
	strcpy(nm.netns, "blue");
	nm.owner.known = true;
	nm.owner.pid = 77;
	strcpy(nm.owner.comm, "srv");
	skbd_sbuf__grow_init(&b);
	skbd_otlp__put_logs_head(&b, &o);
	skbd_otlp__put_log(&b, &c, &d, &nm);
	skbd_otlp__put_logs_tail(&b);
	z = strndup(b.buf, b.len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	CU_ASSERT(tu_jq_says(z, "-c", "[.resourceLogs[0].resource.attributes[] | {(.key): .value.stringValue}] | add",
			     "{\"service.name\":\"skbdrop\",\"service.version\":\"v\\\"1\",\"host.name\":\"h1\",\"os.type\":\"linux\",\"os.version\":\"6.18.44\"}\n"));
	CU_ASSERT(tu_jq_says(z, "-c", ".resourceLogs[0].scopeLogs[0].scope", "{\"name\":\"skbdrop\",\"version\":\"v\\\"1\"}\n"));
	CU_ASSERT(tu_jq_says(z, "-c",
			     ".resourceLogs[0].scopeLogs[0].logRecords[0] | [.timeUnixNano, .severityNumber, .severityText, .body.stringValue]",
			     "[\"1700000000000000005\",13,\"WARN\",\"reason#2 func_a+0x10 udp 10.0.0.1.40000 > 10.0.0.2.7445\"]\n"));
	CU_ASSERT(tu_jq_says(z, "-c",
			     "[.resourceLogs[0].scopeLogs[0].logRecords[0].attributes[] | {(.key): (.value.stringValue // .value.intValue)}] | add",
			     "{\"skbdrop.reason_code\":\"2\",\"skbdrop.location\":\"func_a+0x10\",\"network.type\":\"ipv4\","
			     "\"source.address\":\"10.0.0.1\",\"destination.address\":\"10.0.0.2\",\"network.transport\":\"udp\","
			     "\"source.port\":\"40000\",\"destination.port\":\"7445\",\"skbdrop.packet\":\"udp 10.0.0.1.40000 > 10.0.0.2.7445\","
			     "\"skbdrop.len\":\"31\",\"skbdrop.ifindex\":\"7\",\"network.interface.name\":\"veth1\","
			     "\"skbdrop.netns\":\"4026532001\",\"skbdrop.netns_name\":\"blue\",\"process.pid\":\"77\","
			     "\"process.executable.name\":\"srv\",\"process.user.id\":\"1000\",\"skbdrop.context.pid\":\"42\","
			     "\"skbdrop.context.tid\":\"43\",\"skbdrop.context.comm\":\"sender\",\"skbdrop.cpu\":\"1\"}\n"));
	free(z);
	skbd_sbuf__release(&b);
}

/* ---- the exporter against a scripted server ---- */

struct fake {
	int lfd;
	int port;
};

static void fake_open(struct fake *f)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t l = sizeof(a);

	f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(f->lfd >= 0 && bind(f->lfd, (struct sockaddr *)&a, sizeof(a)) == 0 && listen(f->lfd, 8) == 0);
	getsockname(f->lfd, (struct sockaddr *)&a, &l);
	f->port = ntohs(a.sin_port);
}

/* Step the exporter until one request arrives; answer it with ans. Returns
 * the request's records ("logRecords" objects counted by "timeUnixNano"),
 * -1 when none came within 3 s; *path set. */
static int serve_one(struct skbd_otlp *x, struct fake *f, const char *ans, char *path, size_t path_size)
{
	static char req[1 << 20];
	size_t n = 0;
	int cfd = -1, recs = 0;

	for (int i = 0; i < 300 && cfd < 0; i++) {
		struct pollfd p = { .fd = f->lfd, .events = POLLIN };

		skbd_otlp__step(x);
		if (poll(&p, 1, 10) > 0)
			cfd = accept4(f->lfd, NULL, NULL, SOCK_CLOEXEC);
	}
	if (cfd < 0)
		return -1;
	for (int i = 0; i < 300; i++) {
		struct pollfd p = { .fd = cfd, .events = POLLIN };
		char *body;
		ssize_t r;

		skbd_otlp__step(x);
		if (poll(&p, 1, 10) <= 0)
			continue;
		r = read(cfd, req + n, sizeof(req) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
		req[n] = '\0';
		body = strstr(req, "\r\n\r\n");
		if (body && strstr(req, "Content-Length: ") &&
		    (size_t)(req + n - body - 4) >= (size_t)atol(strstr(req, "Content-Length: ") + 16))
			break;
	}
	sscanf(req, "POST %63s", path);
	(void)path_size;
	for (const char *p = req; (p = strstr(p, "\"timeUnixNano\"")); p++)
		recs++;
	CU_ASSERT(strstr(req, "\r\nContent-Type: application/json\r\n") != NULL);
	write(cfd, ans, strlen(ans));
	close(cfd);
	for (int i = 0; i < 20; i++) { /* let the exporter read the answer */
		skbd_otlp__step(x);
		usleep(2000);
	}
	return recs;
}

static void test_exporter(void)
{
	struct skbd_fmt_ctx c = { .has_reason = true };
	struct skbd_otlp_opts o = { .version = "t", .batch_ms = 50 };
	struct skbd_drop d = udp_drop();
	struct skbd_drop_names nm;
	struct skbd_otlp_stats st;
	struct skbd_otlp *x = NULL;
	struct fake f;
	char url[64], err[256], path[64];

	memset(&nm, 0, sizeof(nm));
	strcpy(nm.location, "x");
	fake_open(&f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/p", f.port);
	o.url = url;
	CU_ASSERT_EQUAL_FATAL(skbd_otlp__new(&c, &o, &x, err, sizeof(err)), 0);
	/* 600 records: a full batch of 512 at once, the other 88 when they age */
	for (int i = 0; i < 600; i++)
		CU_ASSERT_EQUAL(skbd_otlp__event(x, &d, &nm), 0);
	CU_ASSERT_EQUAL(serve_one(x, &f, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", path, sizeof(path)), 512);
	CU_ASSERT_STRING_EQUAL(path, "/p/v1/logs");
	usleep(60000);
	/* 503 with Retry-After: 0 → the same batch again at once; then 400: final */
	CU_ASSERT_EQUAL(serve_one(x, &f, "HTTP/1.1 503 Busy\r\nRetry-After: 0\r\n\r\n", path, sizeof(path)), 88);
	CU_ASSERT_EQUAL(serve_one(x, &f, "HTTP/1.1 400 Bad\r\n\r\n", path, sizeof(path)), 88);
	skbd_otlp__stats(x, &st);
	CU_ASSERT_EQUAL(st.records, 600);
	CU_ASSERT_EQUAL(st.sent, 512);
	CU_ASSERT_EQUAL(st.rejected, 88);
	CU_ASSERT_EQUAL(st.retries, 1);
	CU_ASSERT_EQUAL(st.requests, 3);
	CU_ASSERT_EQUAL(st.last_status, 400);
	/* nothing more is sent: no retry after 400 */
	CU_ASSERT_EQUAL(serve_one(x, &f, "HTTP/1.1 200 OK\r\n\r\n", path, sizeof(path)), -1);
	/* metrics: sent when no logs wait */
	skbd_otlp__metrics(x, "{\"resourceMetrics\":[]}", 22);
	CU_ASSERT_EQUAL(serve_one(x, &f, "HTTP/1.1 200 OK\r\n\r\n", path, sizeof(path)), 0);
	CU_ASSERT_STRING_EQUAL(path, "/p/v1/metrics");
	skbd_otlp__stats(x, &st);
	CU_ASSERT_EQUAL(st.metrics_sent, 1);
	/* the queue's bound: more sealed batches than it holds are counted as dropped */
	close(f.lfd); /* no collector: requests fail and are retried later */
	for (int i = 0; i < (SKBD_OTLP_QUEUE + 3) * SKBD_OTLP_BATCH_RECORDS; i++)
		skbd_otlp__event(x, &d, &nm);
	skbd_otlp__step(x);
	skbd_otlp__stats(x, &st);
	CU_ASSERT_EQUAL(st.dropped, 3 * SKBD_OTLP_BATCH_RECORDS); /* SKBD_OTLP_QUEUE batches wait */
	/* at exit: bounded, what is left counted as failed */
	skbd_otlp__drain(x, 200);
	skbd_otlp__stats(x, &st);
	CU_ASSERT_EQUAL(st.sent + st.rejected + st.dropped + st.failed, st.records);
	skbd_otlp__free(x);
	/* a bad URL: one line */
	o.url = "https://x";
	CU_ASSERT_EQUAL(skbd_otlp__new(&c, &o, &x, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "https is not supported"));
}

CU_TestInfo skbd_tests_otlp[] = {
	{ "URLs", test_url },
	{ "answers: status, Retry-After", test_response },
	{ "a log record's JSON", test_log_json },
	{ "exporter: batches, retries, queue bound", test_exporter },
	CU_TEST_INFO_NULL,
};
