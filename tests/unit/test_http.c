// SPDX-License-Identifier: GPL-2.0-only
/* The --metrics server: the request parser on exact inputs, the address
 * parser, and the server itself on 127.0.0.1 (no privileges needed):
 * answers, errors, HEAD, eviction of the oldest connection. */
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
#include "testutil.h"

static int parse(const char *s, struct skbd_http_req *r)
{
	return skbd_http__parse_request(s, strlen(s), r);
}

static void test_parse_ok(void)
{
	struct skbd_http_req r;
	const char *get = "GET /metrics HTTP/1.1\r\nHost: a\r\nAccept: */*\r\n\r\n";

	CU_ASSERT_EQUAL(parse(get, &r), (int)strlen(get));
	CU_ASSERT_EQUAL(r.method, SKBD_HTTP_GET);
	CU_ASSERT_STRING_EQUAL(r.path, "/metrics");
	CU_ASSERT_EQUAL(r.minor, 1);
	/* bytes after the head (a body, a pipelined request) are not the head's */
	{
		char two[256];

		snprintf(two, sizeof(two), "%sGET / HTTP/1.1\r\n\r\n", get);
		CU_ASSERT_EQUAL(parse(two, &r), (int)strlen(get));
	}
	CU_ASSERT_EQUAL(parse("HEAD /metrics?x=1#f HTTP/1.0\n\n", &r), 30);
	CU_ASSERT_EQUAL(r.method, SKBD_HTTP_HEAD);
	CU_ASSERT_STRING_EQUAL(r.path, "/metrics");
	CU_ASSERT_EQUAL(r.minor, 0);
	CU_ASSERT_EQUAL(parse("\r\nGET http://h:9/metrics HTTP/1.1\r\n\r\n", &r), 37);
	CU_ASSERT_STRING_EQUAL(r.path, "/metrics");
	CU_ASSERT(parse("OPTIONS * HTTP/1.1\r\n\r\n", &r) > 0);
	CU_ASSERT_EQUAL(r.method, SKBD_HTTP_OTHER);
	CU_ASSERT_STRING_EQUAL(r.method_name, "OPTIONS");
	CU_ASSERT_STRING_EQUAL(r.path, "*");
	CU_ASSERT(parse("GET http://h HTTP/1.1\r\n\r\n", &r) > 0);
	CU_ASSERT_STRING_EQUAL(r.path, "/");
	/* header values may hold any visible byte, tabs and obs-text */
	CU_ASSERT(parse("GET / HTTP/1.1\r\nX-A:\t\xc3\xa9 v \r\n\r\n", &r) > 0);
}

static void test_parse_partial(void)
{
	struct skbd_http_req r;
	const char *full = "GET /metrics HTTP/1.1\r\nHost: a\r\n\r\n";

	/* every prefix asks for more: never an error, never a premature head */
	for (size_t n = 0; n < strlen(full); n++)
		CU_ASSERT_EQUAL(skbd_http__parse_request(full, n, &r), 0);
	CU_ASSERT_EQUAL(skbd_http__parse_request(full, strlen(full), &r), (int)strlen(full));
}

static void test_parse_errors(void)
{
	struct skbd_http_req r;
	static const struct {
		const char *in;
		int want;
	} cases[] = {
		{ " GET / HTTP/1.1\r\n\r\n", -400 },
		{ "GET  / HTTP/1.1\r\n\r\n", -400 },
		{ "GET / HTTP/1.1 \r\n\r\n", -400 },
		{ "GET /\r\n\r\n", -400 },                    /* HTTP/0.9 */
		{ "GET / HTTP/1.x\r\n\r\n", -400 },
		{ "GET / HTTP/2.0\r\n\r\n", -505 },
		{ "GET / HTTP/0.9\r\n\r\n", -505 },
		{ "GET metrics HTTP/1.1\r\n\r\n", -400 },      /* not a path */
		{ "G\x01T / HTTP/1.1\r\n\r\n", -400 },
		{ "GET /\x7f HTTP/1.1\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nno colon\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\n: v\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nA : v\r\n\r\n", -400 },    /* space before the colon */
		{ "GET / HTTP/1.1\r\nA: v\r\n folded\r\n\r\n", -400 },
		{ "GET / HTTP/1.1\r\nA: \x01\r\n\r\n", -400 },
		{ "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA / HTTP/1.1\r\n\r\n", -400 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int got = parse(cases[i].in, &r);

		if (got != cases[i].want)
			fprintf(stderr, "\ncase %zu: got %d, want %d\n", i, got, cases[i].want);
		CU_ASSERT_EQUAL(got, cases[i].want);
	}
	/* an embedded NUL in the request line */
	CU_ASSERT_EQUAL(skbd_http__parse_request("GET /\0 HTTP/1.1\r\n\r\n", 20, &r), -400);
}

static void test_parse_limits(void)
{
	struct skbd_http_req r;
	size_t n = 2 * SKBD_HTTP_HEAD_MAX;
	char *b = malloc(n + 64);

	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	/* a long target is refused as soon as it is too long, before its line ends */
	memcpy(b, "GET /", 5);
	memset(b + 5, 'a', SKBD_HTTP_TARGET_MAX);
	CU_ASSERT_EQUAL(skbd_http__parse_request(b, 5 + SKBD_HTTP_TARGET_MAX - 2, &r), 0);
	CU_ASSERT_EQUAL(skbd_http__parse_request(b, 5 + SKBD_HTTP_TARGET_MAX, &r), -414);
	/* the longest target kept */
	memset(b + 5, 'a', SKBD_HTTP_TARGET_MAX - 2);
	memcpy(b + 5 + SKBD_HTTP_TARGET_MAX - 2, " HTTP/1.1\r\n\r\n", 13);
	CU_ASSERT(skbd_http__parse_request(b, 5 + SKBD_HTTP_TARGET_MAX - 2 + 13, &r) > 0);
	CU_ASSERT_EQUAL(strlen(r.path), SKBD_HTTP_TARGET_MAX - 1);
	/* headers past the head's limit */
	strcpy(b, "GET / HTTP/1.1\r\n");
	for (size_t len = strlen(b); len + 8 < n; len += 8)
		memcpy(b + len, "A: 1234\n", 8);
	CU_ASSERT_EQUAL(skbd_http__parse_request(b, SKBD_HTTP_HEAD_MAX, &r), -431);
	CU_ASSERT_EQUAL(skbd_http__parse_request(b, SKBD_HTTP_HEAD_MAX - 100, &r), 0);
	/* one header line with no end */
	memset(b + 16, 'x', n - 16);
	b[17] = ':';
	CU_ASSERT_EQUAL(skbd_http__parse_request(b, SKBD_HTTP_HEAD_MAX, &r), -431);
	free(b);
}

static void test_addr(void)
{
	struct sockaddr_storage ss;
	socklen_t len;
	char err[256];
	static const char *const bad[] = { "9100", ":", ":65536", ":-1", ":+80", ": 80", "1.2.3:80", "[::1:80",
					   "::1:80", "[zz]:80", "host.example:80", "1.2.3.4:80x", "" };

	CU_ASSERT_EQUAL(skbd_http__parse_addr("127.0.0.1:9542", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9542);
	CU_ASSERT_EQUAL(len, sizeof(struct sockaddr_in));
	CU_ASSERT_EQUAL(skbd_http__parse_addr("localhost:1", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(((struct sockaddr_in *)&ss)->sin_addr.s_addr, htonl(INADDR_LOOPBACK));
	CU_ASSERT_EQUAL(skbd_http__parse_addr("[::1]:0", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(skbd_http__parse_addr(":9100", &ss, &len, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ss.ss_family, AF_INET6);
	CU_ASSERT_EQUAL(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9100);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		CU_ASSERT_EQUAL(skbd_http__parse_addr(bad[i], &ss, &len, err, sizeof(err)), -EINVAL);
		CU_ASSERT(!strncmp(err, "--metrics ", 10) && !strchr(err, '\n'));
	}
}

/* ---- the server ---- */

static int renders;

static int render(void *ctx, struct skbd_sbuf *body)
{
	renders++;
	skbd_put_str(body, ctx);
	return 0;
}

static int client(const struct skbd_http *h)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((__u16)skbd_http__port(h)),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0);
	return fd;
}

/* Serve until the client's answer is whole (the server closes), 2 s at most. */
static size_t exchange(struct skbd_http *h, int fd, const char *req, char *resp, size_t size)
{
	size_t n = 0;

	if (req)
		CU_ASSERT_EQUAL(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
	for (int round = 0; round < 200; round++) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		CU_ASSERT_EQUAL(skbd_http__serve(h), 0);
		if (poll(&p, 1, 10) <= 0)
			continue;
		r = read(fd, resp + n, size - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	resp[n] = '\0';
	close(fd);
	return n;
}

static void test_server(void)
{
	struct skbd_http_opts o = { .path = "/metrics", .content_type = "text/plain; version=0.0.4", .render = render,
				    .ctx = "a 1\n" };
	struct skbd_http_stats st;
	struct skbd_http *h = NULL;
	char resp[4096], err[256];
	int fds[SKBD_HTTP_CONNS_MAX + 1];

	CU_ASSERT_EQUAL_FATAL(skbd_http__open("127.0.0.1:0", &o, &h, err, sizeof(err)), 0);
	CU_ASSERT(skbd_http__port(h) > 0);
	CU_ASSERT(skbd_http__fd(h) >= 0);
	renders = 0;
	exchange(h, client(h), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", resp, sizeof(resp));
	CU_ASSERT_STRING_EQUAL(resp, "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: 4\r\n"
				     "Cache-Control: no-store\r\nConnection: close\r\n\r\na 1\n");
	exchange(h, client(h), "HEAD /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	CU_ASSERT(strstr(resp, "Content-Length: 4\r\n") && !strstr(resp, "a 1"));
	CU_ASSERT_EQUAL(renders, 2);
	exchange(h, client(h), "GET /other HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	CU_ASSERT(!strncmp(resp, "HTTP/1.1 404 Not Found\r\n", 24));
	exchange(h, client(h), "DELETE /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	CU_ASSERT(!strncmp(resp, "HTTP/1.1 405 ", 13) && strstr(resp, "\r\nAllow: GET, HEAD\r\n"));
	exchange(h, client(h), "GET /metrics HTTP/3.0\r\n\r\n", resp, sizeof(resp));
	CU_ASSERT(!strncmp(resp, "HTTP/1.1 505 ", 13));
	CU_ASSERT_EQUAL(renders, 2);
	/* one more connection than the server keeps: the oldest is closed */
	for (int i = 0; i <= SKBD_HTTP_CONNS_MAX; i++) {
		fds[i] = client(h);
		for (int k = 0; k < 20; k++) { /* until accepted */
			skbd_http__stats(h, &st);
			if (st.accepted == 6 + (__u64)i)
				break;
			skbd_http__serve(h);
			usleep(1000);
		}
	}
	skbd_http__stats(h, &st);
	CU_ASSERT_EQUAL(st.accepted, 5 + SKBD_HTTP_CONNS_MAX + 1);
	CU_ASSERT_EQUAL(st.evicted, 1);
	CU_ASSERT_EQUAL(exchange(h, fds[0], NULL, resp, sizeof(resp)), 0); /* closed, unanswered */
	exchange(h, fds[SKBD_HTTP_CONNS_MAX], "GET /metrics HTTP/1.1\r\n\r\n", resp, sizeof(resp));
	CU_ASSERT(!strncmp(resp, "HTTP/1.1 200 OK", 15));
	for (int i = 1; i < SKBD_HTTP_CONNS_MAX; i++)
		close(fds[i]);
	skbd_http__stats(h, &st);
	CU_ASSERT_EQUAL(st.served, 3);
	CU_ASSERT_EQUAL(st.errors, 3);
	skbd_http__close(h);
	/* a port taken: -EADDRINUSE, one line naming the address */
	{
		struct skbd_http *a = NULL, *b = NULL;
		char addr[32];

		CU_ASSERT_EQUAL_FATAL(skbd_http__open("127.0.0.1:0", &o, &a, err, sizeof(err)), 0);
		snprintf(addr, sizeof(addr), "127.0.0.1:%d", skbd_http__port(a));
		CU_ASSERT_EQUAL(skbd_http__open(addr, &o, &b, err, sizeof(err)), -EADDRINUSE);
		CU_ASSERT(strstr(err, addr) && strstr(err, "Address already in use"));
		skbd_http__close(a);
	}
	skbd_http__close(NULL);
}

CU_TestInfo skbd_tests_http[] = {
	{ "request heads", test_parse_ok },
	{ "every prefix needs more", test_parse_partial },
	{ "malformed requests", test_parse_errors },
	{ "limits: 414, 431", test_parse_limits },
	{ "addresses", test_addr },
	{ "server: answers, errors, eviction", test_server },
	CU_TEST_INFO_NULL,
};
