// SPDX-License-Identifier: GPL-2.0-only
/* The out-of-line part of include/skbdrop/sbuf.h: growth and the cut. */
#include <errno.h>
#include <stdlib.h>
#include <skbdrop/sbuf.h>

int skbd_sbuf__reserve(struct skbd_sbuf *b, size_t more)
{
	size_t cap;
	char *p;

	if (b->len + more < b->size)
		return 0;
	/* len past size: something was cut already, growing now would leave a hole */
	if (!b->grow || b->oom || b->len > b->size || more > (size_t)-1 / 4 - b->len)
		goto fail;
	cap = b->size ? b->size : 4096;
	while (cap <= b->len + more)
		cap *= 2;
	p = realloc(b->buf, cap);
	if (!p)
		goto fail;
	b->buf = p;
	b->size = cap;
	return 0;
fail:
	if (b->grow)
		b->oom = true;
	return -ENOMEM;
}

void skbd_sbuf__put_slow(struct skbd_sbuf *b, const char *s, size_t n)
{
	if (b->grow && !skbd_sbuf__reserve(b, n))
		memcpy(b->buf + b->len, s, n);
	else if (b->len + 1 < b->size)
		memcpy(b->buf + b->len, s, b->size - 1 - b->len);
}

void skbd_sbuf__release(struct skbd_sbuf *b)
{
	if (b->grow)
		free(b->buf);
	b->buf = NULL;
	b->size = b->len = 0;
}
