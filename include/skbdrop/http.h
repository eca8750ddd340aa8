/* SPDX-License-Identifier: GPL-2.0-only */
/* A small HTTP/1.1 server for --metrics: one listening socket and a few
 * connections behind one epoll fd, served without ever blocking the caller's
 * event loop. Each connection gets one response and is closed. Bounded in
 * every way a client could push: connections (the oldest is closed to make
 * room), bytes of a request head, time to send it, time to take the answer.
 * The caller renders the body; the server knows nothing about drops. */
#ifndef SKBDROP_HTTP_H
#define SKBDROP_HTTP_H

#include <stddef.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <skbdrop/sbuf.h>

#define SKBD_HTTP_HEAD_MAX 8192     /* request line and headers, bytes */
#define SKBD_HTTP_TARGET_MAX 1024   /* request target kept (longer: 414) */
#define SKBD_HTTP_CONNS_MAX 16      /* open at once; a new one closes the oldest */
#define SKBD_HTTP_REQUEST_MS 5000   /* from accept to a whole request head */
#define SKBD_HTTP_RESPONSE_MS 10000 /* from the request to the answer taken */
#define SKBD_HTTP_LINGER_MS 1000    /* after the answer: unread bytes drained, then close */

/* CLOCK_MONOTONIC in milliseconds: the server's and the client's deadlines. */
__u64 skbd_http__now_ms(void);

enum skbd_http_method { SKBD_HTTP_GET, SKBD_HTTP_HEAD, SKBD_HTTP_OTHER };

struct skbd_http_req {
	enum skbd_http_method method;
	char method_name[16];              /* as sent ("" when longer) */
	char path[SKBD_HTTP_TARGET_MAX];   /* the target's path, query cut off */
	int minor;                         /* HTTP/1.minor */
};

/* The request head at buf[0..len): its request line and header lines, each
 * ending in CRLF (or a bare LF), then an empty line. Returns the head's
 * length when it is whole (*req filled), 0 when more bytes are needed (and
 * none of them so far is wrong), or a negative HTTP status for the answer:
 * -400 (malformed), -414 (target longer than SKBD_HTTP_TARGET_MAX), -431 (head
 * longer than SKBD_HTTP_HEAD_MAX), -505 (not HTTP/1.x). Pure: fuzzed. */
int skbd_http__parse_request(const char *buf, size_t len, struct skbd_http_req *req);

/* "ADDR:PORT", "[IPV6]:PORT", "localhost:PORT" or ":PORT" (every address,
 * IPv4 and IPv6). Numeric only: no name lookups. 0, or -EINVAL with one line
 * in err. */
int skbd_http__parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t err_size);

/* Fill body for GET/HEAD of the served path; 0, or -errno (answered 500). */
typedef int (*skbd_http_render_fn)(void *ctx, struct skbd_sbuf *body);

struct skbd_http_opts {
	const char *path;         /* the one path served ("/metrics") */
	const char *content_type; /* of its body */
	skbd_http_render_fn render;
	void *ctx;
};

struct skbd_http_stats {
	__u64 accepted, served, errors; /* errors: answered 4xx/5xx */
	__u64 evicted, timed_out;       /* closed to make room / for taking too long */
};

struct skbd_http;

/* Listen on addr (as skbd_http__parse_addr takes it). 0, or -errno with one
 * line in err naming the address. */
int skbd_http__open(const char *addr, const struct skbd_http_opts *o, struct skbd_http **out, char *err,
		    size_t err_size);
void skbd_http__close(struct skbd_http *h);
/* An epoll fd, readable when the server has work: poll it with the caller's
 * other fds, then call skbd_http__serve. */
int skbd_http__fd(const struct skbd_http *h);
/* The port listened on (for ":0"). */
int skbd_http__port(const struct skbd_http *h);
/* Do what can be done now without waiting: accept, read, answer, close
 * connections past their time. Call it when the fd is readable and at least
 * every second. Returns 0 (a client's trouble is the client's) or -errno
 * when the server itself failed. */
int skbd_http__serve(struct skbd_http *h);
void skbd_http__stats(const struct skbd_http *h, struct skbd_http_stats *st);

/* ---- the client (--otlp) ------------------------------------------------- */
/* One POST at a time to one http:// server, non-blocking from connect to
 * the status line: the caller polls skbd_httpc__fd for skbd_httpc__events
 * and calls skbd_httpc__step. Only the status and Retry-After are read from
 * the answer (its body is drained and ignored). */

#define SKBD_HTTPC_TIMEOUT_MS 10000 /* connect, send and answer, in all */
#define SKBD_HTTPC_ANSWER_MAX 65536 /* bytes of an answer read before it counts as one */

/* "http://HOST:PORT[/PATH]" (HOST numeric, [IPV6] or localhost; PORT
 * default 80): the address and the path prefix (no trailing '/'). 0, or
 * -EINVAL with one line in err. */
int skbd_http__parse_url(const char *url, struct sockaddr_storage *ss, socklen_t *len, char *path, size_t path_size,
			 char *err, size_t err_size);

enum skbd_httpc_state {
	SKBD_HTTPC_IDLE,    /* no request (the last one's result is kept) */
	SKBD_HTTPC_BUSY,    /* connecting, sending or waiting for the answer */
	SKBD_HTTPC_DONE,    /* answered: status and retry_after set */
	SKBD_HTTPC_FAILED,  /* no answer: err set (refused, reset, timed out) */
};

struct skbd_httpc_result {
	int status;          /* the answer's status code */
	int retry_after;     /* seconds from Retry-After (delay-seconds form), -1: none */
	int err;             /* FAILED: -errno (-ETIMEDOUT for the timeout) */
};

struct skbd_httpc;

int skbd_httpc__new(const struct sockaddr_storage *ss, socklen_t len, const char *host_header, struct skbd_httpc **out);
void skbd_httpc__free(struct skbd_httpc *c);
/* Start POSTing body (copied) to path. -EBUSY while one is in flight. */
int skbd_httpc__post(struct skbd_httpc *c, const char *path, const char *content_type, const char *body, size_t len);
/* The socket to poll (-1 when idle) and the events it waits for. */
int skbd_httpc__fd(const struct skbd_httpc *c);
short skbd_httpc__events(const struct skbd_httpc *c);
/* Make what progress can be made now. Returns the state; DONE and FAILED
 * fill *r and return to IDLE on the next post. */
enum skbd_httpc_state skbd_httpc__step(struct skbd_httpc *c, struct skbd_httpc_result *r);

/* The status line and Retry-After of an answer's head (pure: tested). 0
 * with status set when the head is whole, -EAGAIN when more is needed,
 * -EPROTO when it is no HTTP answer. */
int skbd_http__parse_response(const char *buf, size_t len, int *status, int *retry_after);

#endif
