// SPDX-License-Identifier: GPL-2.0-only
/* The --metrics server: non-blocking sockets behind one epoll fd, one
 * request per connection, every connection bounded in bytes and time. A
 * client can make us do work (render and send one body), never make us wait. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <skbdrop/http.h>

#define ACCEPTS_PER_SERVE 64 /* a flood of connections waits for the next round */
#define EVENTS_PER_SERVE 32
#define DRAIN_BYTES (4 << 20) /* read and discarded after the answer, at most */

enum conn_state { CONN_FREE, CONN_READ, CONN_WRITE, CONN_DRAIN };

struct conn {
	enum conn_state state;
	int fd;
	__u64 seq;           /* order of accept: the oldest is closed to make room */
	__u64 deadline_ms;   /* of the current state */
	char *req;           /* SKBD_HTTP_HEAD_MAX bytes while reading */
	size_t req_len;
	struct skbd_sbuf out; /* the answer: head and body */
	size_t sent;
	size_t drained;
};

struct skbd_http {
	int listen_fd;
	int epoll_fd;
	int port;
	struct skbd_http_opts o;
	struct conn conns[SKBD_HTTP_CONNS_MAX];
	__u64 seq;
	struct skbd_http_stats st;
};

static void conn_close(struct skbd_http *h, struct conn *c)
{
	if (c->state == CONN_FREE)
		return;
	close(c->fd); /* also leaves the epoll set */
	free(c->req);
	skbd_sbuf__release(&c->out);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static const char *status_text(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 408: return "Request Timeout";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}

static void put_num(struct skbd_sbuf *b, size_t v)
{
	char n[24];

	snprintf(n, sizeof(n), "%zu", v);
	skbd_put_str(b, n);
}

/* The answer into c->out: status line, headers, body (none for HEAD). */
static void respond(struct skbd_http *h, struct conn *c, int status, const struct skbd_sbuf *body, bool head_only)
{
	char line[64];
	const char *type = status == 200 ? h->o.content_type : "text/plain; charset=utf-8";
	char msg[96];
	size_t blen;

	if (status != 200) {
		snprintf(msg, sizeof(msg), "%d %s\n", status, status_text(status));
		h->st.errors++;
	}
	blen = status == 200 ? body->len : strlen(msg);
	skbd_sbuf__release(&c->out);
	skbd_sbuf__grow_init(&c->out);
	snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\n", status, status_text(status));
	skbd_put_str(&c->out, line);
	skbd_put_str(&c->out, "Content-Type: ");
	skbd_put_str(&c->out, type);
	skbd_put_str(&c->out, "\r\nContent-Length: ");
	put_num(&c->out, blen);
	if (status == 405)
		skbd_put_str(&c->out, "\r\nAllow: GET, HEAD");
	skbd_put_str(&c->out, "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n");
	if (!head_only)
		skbd_put_mem(&c->out, status == 200 ? body->buf : msg, blen);
	if (c->out.oom) { /* no memory for the answer: close without one */
		conn_close(h, c);
		return;
	}
	free(c->req);
	c->req = NULL;
	c->sent = 0;
	c->state = CONN_WRITE;
	c->deadline_ms = skbd_http__now_ms() + SKBD_HTTP_RESPONSE_MS;
	if (status == 200)
		h->st.served++;
}

/* A whole request head (or a wrong one): answer it. */
static void handle(struct skbd_http *h, struct conn *c, int parsed, const struct skbd_http_req *req)
{
	struct skbd_sbuf body;
	bool head_only = parsed > 0 && req->method == SKBD_HTTP_HEAD;
	int status;

	skbd_sbuf__grow_init(&body);
	if (parsed < 0)
		status = -parsed;
	else if (strcmp(req->path, h->o.path))
		status = 404;
	else if (req->method == SKBD_HTTP_OTHER)
		status = 405;
	else
		status = h->o.render(h->o.ctx, &body) || body.oom ? 500 : 200;
	respond(h, c, status, &body, head_only);
	skbd_sbuf__release(&body);
}

static void epoll_set(struct skbd_http *h, struct conn *c, __u32 events, int op)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(h->epoll_fd, op, c->fd, &ev))
		conn_close(h, c); /* cannot watch it: drop it */
}

static void do_read(struct skbd_http *h, struct conn *c)
{
	struct skbd_http_req req;
	ssize_t n;
	int parsed;

	n = recv(c->fd, c->req + c->req_len, SKBD_HTTP_HEAD_MAX - c->req_len, 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) { /* gone, or closed before a whole request */
		conn_close(h, c);
		return;
	}
	c->req_len += (size_t)n;
	parsed = skbd_http__parse_request(c->req, c->req_len, &req);
	if (parsed == 0)
		return;
	handle(h, c, parsed, &req);
	if (c->state == CONN_WRITE)
		epoll_set(h, c, EPOLLOUT, EPOLL_CTL_MOD);
}

static void do_write(struct skbd_http *h, struct conn *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.buf + c->sent, c->out.len - c->sent, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0) {
			conn_close(h, c);
			return;
		}
		c->sent += (size_t)n;
	}
	/* all sent: say so, then read what the client still sends until it
	 * closes (closing with unread bytes would reset the connection, and
	 * the client could lose the answer) */
	skbd_sbuf__release(&c->out);
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_DRAIN;
	c->deadline_ms = skbd_http__now_ms() + SKBD_HTTP_LINGER_MS;
	epoll_set(h, c, EPOLLIN, EPOLL_CTL_MOD);
}

static void do_drain(struct skbd_http *h, struct conn *c)
{
	char buf[16384];

	for (int k = 0; k < 4; k++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n > 0)
			c->drained += (size_t)n;
		if (n <= 0 || c->drained > DRAIN_BYTES) {
			conn_close(h, c);
			return;
		}
	}
}

static struct conn *free_slot(struct skbd_http *h)
{
	struct conn *oldest = NULL;

	for (int i = 0; i < SKBD_HTTP_CONNS_MAX; i++) {
		if (h->conns[i].state == CONN_FREE)
			return &h->conns[i];
		if (!oldest || h->conns[i].seq < oldest->seq)
			oldest = &h->conns[i];
	}
	h->st.evicted++;
	conn_close(h, oldest);
	return oldest;
}

static int do_accept(struct skbd_http *h)
{
	for (int k = 0; k < ACCEPTS_PER_SERVE; k++) {
		int fd = accept4(h->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			if (errno == EAGAIN || errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
				return 0;
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)
				return 0; /* the next round tries again */
			return -errno;
		}
		c = free_slot(h);
		c->req = malloc(SKBD_HTTP_HEAD_MAX);
		if (!c->req) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = CONN_READ;
		c->seq = ++h->seq;
		c->deadline_ms = skbd_http__now_ms() + SKBD_HTTP_REQUEST_MS;
		h->st.accepted++;
		epoll_set(h, c, EPOLLIN, EPOLL_CTL_ADD);
	}
	return 0;
}

static void expire(struct skbd_http *h)
{
	__u64 now = skbd_http__now_ms();

	for (int i = 0; i < SKBD_HTTP_CONNS_MAX; i++) {
		struct conn *c = &h->conns[i];

		if (c->state == CONN_FREE || now < c->deadline_ms)
			continue;
		if (c->state == CONN_READ) {
			/* too slow to ask: say so (a send that does not fit is not waited for) */
			struct skbd_http_req req = { 0 };

			h->st.timed_out++;
			handle(h, c, -408, &req);
			if (c->state == CONN_WRITE) {
				do_write(h, c);
				if (c->state == CONN_WRITE) {
					conn_close(h, c);
					continue;
				}
			}
			continue;
		}
		if (c->state == CONN_WRITE)
			h->st.timed_out++;
		conn_close(h, c);
	}
}

int skbd_http__serve(struct skbd_http *h)
{
	struct epoll_event ev[EVENTS_PER_SERVE];
	int n, err = 0;

	if (!h)
		return -EINVAL;
	n = epoll_wait(h->epoll_fd, ev, EVENTS_PER_SERVE, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (int i = 0; i < n; i++) {
		struct conn *c = ev[i].data.ptr;

		if (!c) {
			err = do_accept(h);
			if (err)
				break;
			continue;
		}
		if (c->state == CONN_FREE || c->fd < 0)
			continue; /* closed earlier in this round */
		if (c->state == CONN_READ)
			do_read(h, c);
		else if (c->state == CONN_WRITE)
			do_write(h, c);
		else
			do_drain(h, c);
	}
	expire(h);
	return err;
}

int skbd_http__open(const char *addr, const struct skbd_http_opts *o, struct skbd_http **out, char *err,
		    size_t err_size)
{
	struct sockaddr_storage ss;
	socklen_t len;
	struct skbd_http *h;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	int one = 1, zero = 0, e;

	e = skbd_http__parse_addr(addr, &ss, &len, err, err_size);
	if (e)
		return e;
	h = calloc(1, sizeof(*h));
	if (!h) {
		snprintf(err, err_size, "--metrics %s: out of memory", addr);
		return -ENOMEM;
	}
	h->o = *o;
	for (int i = 0; i < SKBD_HTTP_CONNS_MAX; i++)
		h->conns[i].fd = -1;
	h->epoll_fd = -1;
	h->listen_fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (h->listen_fd < 0)
		goto fail;
	setsockopt(h->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss.ss_family == AF_INET6) /* ":PORT" and "[::]:PORT" take IPv4 too */
		setsockopt(h->listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(h->listen_fd, (struct sockaddr *)&ss, len) || listen(h->listen_fd, 128))
		goto fail;
	h->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (h->epoll_fd < 0 || epoll_ctl(h->epoll_fd, EPOLL_CTL_ADD, h->listen_fd, &ev))
		goto fail;
	{
		struct sockaddr_storage bound;
		socklen_t bl = sizeof(bound);

		if (getsockname(h->listen_fd, (struct sockaddr *)&bound, &bl) == 0)
			h->port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port :
								      ((struct sockaddr_in *)&bound)->sin_port);
	}
	*out = h;
	return 0;
fail:
	e = -errno;
	snprintf(err, err_size, "--metrics %s: %s", addr, strerror(errno));
	skbd_http__close(h);
	return e;
}

void skbd_http__close(struct skbd_http *h)
{
	if (!h)
		return;
	for (int i = 0; i < SKBD_HTTP_CONNS_MAX; i++)
		conn_close(h, &h->conns[i]);
	if (h->epoll_fd >= 0)
		close(h->epoll_fd);
	if (h->listen_fd >= 0)
		close(h->listen_fd);
	free(h);
}

int skbd_http__fd(const struct skbd_http *h)
{
	return h ? h->epoll_fd : -EINVAL;
}

int skbd_http__port(const struct skbd_http *h)
{
	return h ? h->port : -EINVAL;
}

void skbd_http__stats(const struct skbd_http *h, struct skbd_http_stats *st)
{
	if (h && st)
		*st = h->st;
}
