// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the --metrics server's request head parser, fed the
 * bytes as one read and again split at a point the first byte picks (the
 * server parses after every read: a prefix must never be an error that the
 * whole would not be, nor a head of another length); the address and
 * --otlp URL parsers on the input's first line; and the client's parser of a
 * collector's answer (status line, Retry-After) on the same bytes. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/http.h>
#include "fuzz_util.h"

static void check_req(int r, size_t len, const struct skbd_http_req *req)
{
	if (r > 0) {
		if ((size_t)r > len || (size_t)r > SKBD_HTTP_HEAD_MAX)
			fuzz_fail("a head longer than the input or the limit");
		if (req->path[0] != '/' && strcmp(req->path, "*"))
			fuzz_fail("a path that is not one");
		if (strlen(req->path) >= sizeof(req->path) || req->minor < 0 || req->minor > 9)
			fuzz_fail("a request out of its bounds");
	} else if (r < 0 && r != -400 && r != -414 && r != -431 && r != -505) {
		fuzz_fail("a status the server does not answer");
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skbd_http_req req, part;
	const char *p;
	size_t n, cut;
	int whole, r;

	if (!size)
		return 0;
	cut = data[0];
	p = (const char *)data + 1;
	n = size - 1;
	if (n > SKBD_HTTP_HEAD_MAX) /* the server never holds more */
		n = SKBD_HTTP_HEAD_MAX;
	whole = skbd_http__parse_request(p, n, &req);
	check_req(whole, n, &req);
	/* any prefix: more needed, or the same verdict as the whole */
	cut = cut * n / 255;
	r = skbd_http__parse_request(p, cut, &part);
	check_req(r, cut, &part);
	if (r > 0 && r != whole)
		fuzz_fail("a prefix's head differs from the whole's");
	if (r < 0 && r != whole && !(r == -431 && whole == -431))
		fuzz_fail("a prefix refused that the whole is not");
	{
		char addr[80];
		const char *lf = memchr(p, '\n', n);
		size_t an = lf ? (size_t)(lf - p) : n;
		struct sockaddr_storage ss;
		socklen_t sl;
		char err[128];

		if (an >= sizeof(addr))
			an = sizeof(addr) - 1;
		memcpy(addr, p, an);
		addr[an] = '\0';
		if (skbd_http__parse_addr(addr, &ss, &sl, err, sizeof(err)) == 0 && sl > sizeof(ss))
			fuzz_fail("an address longer than its storage");
		{
			char path[64];

			if (skbd_http__parse_url(addr, &ss, &sl, path, sizeof(path), err, sizeof(err)) == 0 &&
			    (strlen(path) >= sizeof(path) || (path[0] && path[0] != '/')))
				fuzz_fail("a URL path out of its bounds");
		}
	}
	{
		/* the same bytes as a collector's answer (--otlp) */
		int status = -1, retry_after = -2;

		r = skbd_http__parse_response(p, n, &status, &retry_after);
		if (r == 0 && (status < 100 || status > 599 || retry_after < -1))
			fuzz_fail("an answer's status or Retry-After out of range");
		if (r != 0 && r != -EAGAIN && r != -EPROTO)
			fuzz_fail("an answer's verdict the client does not expect");
	}
	return 0;
}
