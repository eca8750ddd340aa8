// SPDX-License-Identifier: GPL-2.0-only
/* The HTTP request head (RFC 9112 section 3 and 5, strictly enough to
 * refuse what a real client never sends) and the --metrics address. Pure
 * functions: the fuzz target calls them directly. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <skbdrop/http.h>

#define METHOD_MAX 32 /* a longer "method" is not one */

/* tchar (RFC 9110 5.6.2) */
static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c);
}

/* a byte of a header value: HTAB, SP, VCHAR, obs-text */
static bool is_field_byte(unsigned char c)
{
	return c == '\t' || (c >= 0x20 && c != 0x7f);
}

/* The line at buf[off..len) up to its LF: its length without CR/LF in *n,
 * where the next line starts in *next. false: no LF yet. */
static bool next_line(const char *buf, size_t len, size_t off, size_t *n, size_t *next)
{
	const char *lf = memchr(buf + off, '\n', len - off);

	if (!lf)
		return false;
	*next = (size_t)(lf - buf) + 1;
	*n = (size_t)(lf - (buf + off));
	if (*n && buf[off + *n - 1] == '\r')
		(*n)--;
	return true;
}

/* The target's path: origin-form "/p?q", absolute-form "http://host/p?q",
 * or "*". 0 or -400. */
static int target_path(const char *t, size_t n, struct skbd_http_req *req)
{
	size_t start = 0, end;

	if (n == 1 && t[0] == '*') {
		memcpy(req->path, "*", 2);
		return 0;
	}
	if (n >= 7 && (!strncasecmp(t, "http://", 7) || (n >= 8 && !strncasecmp(t, "https://", 8)))) {
		const char *slash;

		start = t[4] == ':' ? 7 : 8;
		slash = memchr(t + start, '/', n - start);
		if (!slash) { /* "http://host": the path is "/" */
			memcpy(req->path, "/", 2);
			return 0;
		}
		start = (size_t)(slash - t);
	}
	if (t[start] != '/')
		return -400;
	for (end = start; end < n && t[end] != '?' && t[end] != '#'; end++)
		;
	memcpy(req->path, t + start, end - start); /* n < SKBD_HTTP_TARGET_MAX */
	req->path[end - start] = '\0';
	return 0;
}

/* "METHOD SP target SP HTTP/1.x": -status when wrong. A line still being
 * received (whole false) is checked as far as it goes, so a huge target is
 * refused before it ends. */
static int request_line(const char *l, size_t n, bool whole, struct skbd_http_req *req)
{
	size_t i = 0, t0, tn;

	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i > METHOD_MAX || (i < n && (i == 0 || l[i] != ' ')))
		return -400;
	if (i == n)
		return whole ? -400 : 0;
	if (i < sizeof(req->method_name)) {
		memcpy(req->method_name, l, i);
		req->method_name[i] = '\0';
	} else {
		req->method_name[0] = '\0';
	}
	req->method = i == 3 && !memcmp(l, "GET", 3) ? SKBD_HTTP_GET : i == 4 && !memcmp(l, "HEAD", 4) ? SKBD_HTTP_HEAD :
									SKBD_HTTP_OTHER;
	t0 = ++i;
	while (i < n && l[i] > ' ' && l[i] < 0x7f)
		i++;
	tn = i - t0;
	if (tn >= SKBD_HTTP_TARGET_MAX)
		return -414;
	if (i == n)
		return whole ? -400 : 0;
	if (l[i] != ' ' || tn == 0)
		return -400;
	i++;
	if (!whole)
		return 0;
	/* HTTP-version = "HTTP/" DIGIT "." DIGIT */
	if (n - i != 8 || memcmp(l + i, "HTTP/", 5) || l[i + 5] < '0' || l[i + 5] > '9' || l[i + 6] != '.' ||
	    l[i + 7] < '0' || l[i + 7] > '9')
		return -400;
	if (l[i + 5] != '1')
		return -505;
	req->minor = l[i + 7] - '0';
	return target_path(l + t0, tn, req);
}

/* "name: value": 0 or -400 */
static int header_line(const char *l, size_t n)
{
	size_t i = 0;

	while (i < n && is_tchar((unsigned char)l[i]))
		i++;
	if (i == 0 || i == n || l[i] != ':') /* also: obs-fold (a line starting with SP/HTAB) */
		return -400;
	for (i++; i < n; i++)
		if (!is_field_byte((unsigned char)l[i]))
			return -400;
	return 0;
}

int skbd_http__parse_request(const char *buf, size_t len, struct skbd_http_req *req)
{
	size_t off = 0, n, next;
	int err;

	memset(req, 0, sizeof(*req));
	/* a server SHOULD ignore at least one empty line before the request line */
	for (int k = 0; k < 2 && off < len && (buf[off] == '\r' || buf[off] == '\n'); k++) {
		if (buf[off] == '\r' && off + 1 < len && buf[off + 1] == '\n')
			off += 2;
		else if (buf[off] == '\n')
			off++;
		else
			break;
	}
	if (!next_line(buf, len, off, &n, &next)) {
		/* the line so far, at most as much as a head may hold */
		n = len - off;
		if (n && buf[len - 1] == '\r')
			n--;
		err = request_line(buf + off, n, false, req);
		if (err)
			return err;
		return len >= SKBD_HTTP_HEAD_MAX ? -431 : 0;
	}
	if (memchr(buf + off, '\0', n))
		return -400;
	err = request_line(buf + off, n, true, req);
	if (err)
		return err;
	off = next;
	for (;;) {
		if (!next_line(buf, len, off, &n, &next))
			return len >= SKBD_HTTP_HEAD_MAX ? -431 : 0;
		if (next > SKBD_HTTP_HEAD_MAX)
			return -431;
		if (n == 0)
			return (int)next;
		err = header_line(buf + off, n);
		if (err)
			return err;
		off = next;
	}
}

static int addr_err(char *err, size_t err_size, const char *s, const char *why)
{
	snprintf(err, err_size, "--metrics %s: %s", s, why);
	return -EINVAL;
}

int skbd_http__parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, char *err, size_t err_size)
{
	const char *colon = strrchr(s, ':');
	char host[64], *end;
	size_t hn;
	long port;

	memset(ss, 0, sizeof(*ss));
	if (!colon)
		return addr_err(err, err_size, s, "expected ADDR:PORT, [IPV6]:PORT or :PORT");
	errno = 0;
	port = strtol(colon + 1, &end, 10);
	if (!colon[1] || *end || errno || port < 0 || port > 65535 || colon[1] == '-' || colon[1] == '+' ||
	    colon[1] == ' ')
		return addr_err(err, err_size, s, "the port must be a number from 0 to 65535");
	hn = (size_t)(colon - s);
	if (hn >= sizeof(host))
		return addr_err(err, err_size, s, "address too long");
	memcpy(host, s, hn);
	host[hn] = '\0';
	if (host[0] == '[') {
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		if (hn < 2 || host[hn - 1] != ']')
			return addr_err(err, err_size, s, "an IPv6 address goes in brackets: [::1]:PORT");
		host[hn - 1] = '\0';
		if (inet_pton(AF_INET6, host + 1, &a6->sin6_addr) != 1)
			return addr_err(err, err_size, s, "not an IPv6 address");
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((__u16)port);
		*len = sizeof(*a6);
		return 0;
	}
	if (!host[0]) { /* every address: IPv6 socket, IPv4 mapped */
		struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;

		a6->sin6_family = AF_INET6;
		a6->sin6_addr = in6addr_any;
		a6->sin6_port = htons((__u16)port);
		*len = sizeof(*a6);
		return 0;
	}
	{
		struct sockaddr_in *a4 = (struct sockaddr_in *)ss;

		if (!strcmp(host, "localhost"))
			strcpy(host, "127.0.0.1");
		if (strchr(host, ':'))
			return addr_err(err, err_size, s, "an IPv6 address goes in brackets: [::1]:PORT");
		if (inet_pton(AF_INET, host, &a4->sin_addr) != 1)
			return addr_err(err, err_size, s, "not a numeric IPv4 address (names are not looked up)");
		a4->sin_family = AF_INET;
		a4->sin_port = htons((__u16)port);
		*len = sizeof(*a4);
	}
	return 0;
}
