// SPDX-License-Identifier: GPL-2.0-only
/* The --otlp client: one non-blocking POST at a time. It never waits: a
 * collector that is slow, down or silent costs the event loop a poll slot
 * and, after SKBD_HTTPC_TIMEOUT_MS, a failed request. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <skbdrop/http.h>

struct skbd_httpc {
	struct sockaddr_storage ss;
	socklen_t len;
	char host[80];           /* the Host header */
	enum skbd_httpc_state state;
	int fd;
	bool connected;
	__u64 deadline_ms;
	char *req;               /* head and body */
	size_t req_len, sent;
	char ans[SKBD_HTTPC_ANSWER_MAX];
	size_t ans_len;
	struct skbd_httpc_result res;
};

__u64 skbd_http__now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (__u64)t.tv_sec * 1000 + (__u64)t.tv_nsec / 1000000;
}

int skbd_http__parse_url(const char *url, struct sockaddr_storage *ss, socklen_t *len, char *path, size_t path_size,
			 char *err, size_t err_size)
{
	const char *hp, *slash;
	char hostport[96];
	size_t n;

	if (!strncmp(url, "https://", 8)) {
		snprintf(err, err_size, "--otlp %s: https is not supported (send to a local collector over http)", url);
		return -EINVAL;
	}
	if (strncmp(url, "http://", 7)) {
		snprintf(err, err_size, "--otlp %s: expected http://HOST:PORT[/PATH]", url);
		return -EINVAL;
	}
	hp = url + 7;
	slash = strchr(hp, '/');
	n = slash ? (size_t)(slash - hp) : strlen(hp);
	if (!n || n + 4 >= sizeof(hostport)) {
		snprintf(err, err_size, "--otlp %s: expected http://HOST:PORT[/PATH]", url);
		return -EINVAL;
	}
	memcpy(hostport, hp, n);
	hostport[n] = '\0';
	if (hostport[0] == ':') {
		snprintf(err, err_size, "--otlp %s: no host", url);
		return -EINVAL;
	}
	{
		/* no port: 80 (an IPv6 address's colons are inside its brackets) */
		const char *after = hostport[0] == '[' ? strchr(hostport, ']') : hostport;

		if (after && !strchr(after, ':'))
			strcat(hostport, ":80");
	}
	if (skbd_http__parse_addr(hostport, ss, len, err, err_size)) {
		char why[256];
		const char *w = strstr(err, ": ");

		snprintf(why, sizeof(why), "%s", w ? w + 2 : err);
		snprintf(err, err_size, "--otlp %s: %s", url, why);
		return -EINVAL;
	}
	n = slash ? strlen(slash) : 0;
	while (n && slash[n - 1] == '/')
		n--; /* "http://h:1/" and "http://h:1" are the same */
	if (n >= path_size) {
		snprintf(err, err_size, "--otlp %s: path too long", url);
		return -EINVAL;
	}
	if (n)
		memcpy(path, slash, n);
	path[n] = '\0';
	return 0;
}

int skbd_http__parse_response(const char *buf, size_t len, int *status, int *retry_after)
{
	const char *end = NULL, *p, *line;

	for (size_t i = 0; i + 1 < len; i++) {
		if (buf[i] == '\n' && buf[i + 1] == '\n') {
			end = buf + i + 1;
			break;
		}
		if (i + 3 < len && !memcmp(buf + i, "\r\n\r\n", 4)) {
			end = buf + i + 2;
			break;
		}
	}
	if (len >= 5 && memcmp(buf, "HTTP/", 5))
		return -EPROTO;
	if (!end)
		return len >= SKBD_HTTPC_ANSWER_MAX ? -EPROTO : -EAGAIN;
	/* "HTTP/1.x SSS ..." */
	if (end - buf < 12 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ' || buf[9] < '1' || buf[9] > '5' ||
	    buf[10] < '0' || buf[10] > '9' || buf[11] < '0' || buf[11] > '9')
		return -EPROTO;
	*status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	*retry_after = -1;
	for (line = memchr(buf, '\n', (size_t)(end - buf)); line && line + 1 < end;
	     line = memchr(line + 1, '\n', (size_t)(end - line - 1))) {
		p = line + 1;
		if ((size_t)(end - p) > 12 && !strncasecmp(p, "Retry-After:", 12)) {
			long v = 0;
			int digits = 0;

			for (p += 12; p < end && (*p == ' ' || *p == '\t'); p++)
				;
			for (; p < end && *p >= '0' && *p <= '9' && digits < 9; p++, digits++)
				v = v * 10 + (*p - '0');
			/* delay-seconds only (an HTTP-date: the caller's own backoff) */
			if (digits && p < end && (*p == '\r' || *p == '\n' || *p == ' '))
				*retry_after = (int)v;
		}
	}
	return 0;
}

int skbd_httpc__new(const struct sockaddr_storage *ss, socklen_t len, const char *host_header, struct skbd_httpc **out)
{
	struct skbd_httpc *c = calloc(1, sizeof(*c));

	if (!c)
		return -ENOMEM;
	c->ss = *ss;
	c->len = len;
	snprintf(c->host, sizeof(c->host), "%s", host_header);
	c->fd = -1;
	*out = c;
	return 0;
}

static void reset(struct skbd_httpc *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->req);
	c->req = NULL;
	c->connected = false;
	c->ans_len = 0;
}

void skbd_httpc__free(struct skbd_httpc *c)
{
	if (!c)
		return;
	reset(c);
	free(c);
}

static void fail(struct skbd_httpc *c, int err)
{
	reset(c);
	c->res = (struct skbd_httpc_result){ .status = 0, .retry_after = -1, .err = err };
	c->state = SKBD_HTTPC_FAILED;
}

int skbd_httpc__post(struct skbd_httpc *c, const char *path, const char *content_type, const char *body, size_t len)
{
	char head[512];
	int n, err;

	if (c->state == SKBD_HTTPC_BUSY)
		return -EBUSY;
	reset(c);
	n = snprintf(head, sizeof(head),
		     "POST %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: skbdrop\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		     "Connection: close\r\n\r\n",
		     path, c->host, content_type, len);
	if (n < 0 || (size_t)n >= sizeof(head))
		return -ENAMETOOLONG;
	c->req = malloc((size_t)n + len);
	if (!c->req)
		return -ENOMEM;
	memcpy(c->req, head, (size_t)n);
	memcpy(c->req + n, body, len);
	c->req_len = (size_t)n + len;
	c->sent = 0;
	c->deadline_ms = skbd_http__now_ms() + SKBD_HTTPC_TIMEOUT_MS;
	c->state = SKBD_HTTPC_BUSY;
	c->fd = socket(c->ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		err = -errno;
		fail(c, err);
		return 0; /* the caller learns it from step, like any failure */
	}
	if (connect(c->fd, (struct sockaddr *)&c->ss, c->len) == 0)
		c->connected = true;
	else if (errno != EINPROGRESS)
		fail(c, -errno);
	return 0;
}

int skbd_httpc__fd(const struct skbd_httpc *c)
{
	return c && c->state == SKBD_HTTPC_BUSY ? c->fd : -1;
}

short skbd_httpc__events(const struct skbd_httpc *c)
{
	if (!c || c->state != SKBD_HTTPC_BUSY)
		return 0;
	return !c->connected || c->sent < c->req_len ? POLLOUT : POLLIN;
}

enum skbd_httpc_state skbd_httpc__step(struct skbd_httpc *c, struct skbd_httpc_result *r)
{
	if (c->state == SKBD_HTTPC_BUSY && skbd_http__now_ms() >= c->deadline_ms)
		fail(c, -ETIMEDOUT);
	if (c->state == SKBD_HTTPC_BUSY && !c->connected) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		if (poll(&p, 1, 0) > 0) {
			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) || soerr)
				fail(c, soerr ? -soerr : -errno);
			else
				c->connected = true;
		}
	}
	while (c->state == SKBD_HTTPC_BUSY && c->connected && c->sent < c->req_len) {
		ssize_t n = send(c->fd, c->req + c->sent, c->req_len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n <= 0) {
			fail(c, n < 0 ? -errno : -EIO);
			break;
		}
		c->sent += (size_t)n;
	}
	while (c->state == SKBD_HTTPC_BUSY && c->connected && c->sent == c->req_len) {
		ssize_t n = recv(c->fd, c->ans + c->ans_len, sizeof(c->ans) - c->ans_len, MSG_DONTWAIT);
		int st, ra, e;

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			break;
		if (n < 0) {
			fail(c, -errno);
			break;
		}
		c->ans_len += (size_t)n;
		e = skbd_http__parse_response(c->ans, c->ans_len, &st, &ra);
		if (e == 0) {
			/* the status is all we need: the rest of the answer is not waited for */
			reset(c);
			c->res = (struct skbd_httpc_result){ .status = st, .retry_after = ra, .err = 0 };
			c->state = SKBD_HTTPC_DONE;
		} else if (e != -EAGAIN || n == 0) {
			fail(c, n == 0 ? -ECONNRESET : -EPROTO);
		}
	}
	if (r && (c->state == SKBD_HTTPC_DONE || c->state == SKBD_HTTPC_FAILED))
		*r = c->res;
	return c->state;
}
