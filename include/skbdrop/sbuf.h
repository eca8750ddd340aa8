/* SPDX-License-Identifier: GPL-2.0-only */
/* The one text buffer of output/: bounded (the per-event formatters write
 * at most size - 1 bytes into the caller's buf and count every byte asked
 * for, so a caller learns the length it would have needed, as snprintf) or
 * growing (the --summary writers: malloc'd, all or nothing). Appends only
 * copy; skbd_sbuf__finish writes the NUL. Numbers are written in place, two
 * digits per division. */
#ifndef SKBDROP_SBUF_H
#define SKBDROP_SBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct skbd_sbuf {
	char *buf;
	size_t size, len;  /* len counts every byte asked for, even past size */
	bool grow;         /* buf is malloc'd (or NULL) and grows on demand */
	bool oom;          /* grow: an allocation failed, the text is cut (sticky) */
};

/* An empty growing buffer; skbd_sbuf__release frees it. */
static inline void skbd_sbuf__grow_init(struct skbd_sbuf *b)
{
	*b = (struct skbd_sbuf){ .grow = true };
}

/* Free a growing buffer's memory (a bounded one's is the caller's). */
void skbd_sbuf__release(struct skbd_sbuf *b);

/* Growing buffer: room for more bytes and the NUL. 0, or -ENOMEM with
 * oom set (and kept: later appends are counted, not stored). A bounded
 * buffer: 0 when they fit, else -ENOMEM. (output/sbuf.c) */
int skbd_sbuf__reserve(struct skbd_sbuf *b, size_t more);

/* The appends' slow path, out of line so the fast one stays small: grow,
 * or store what fits of s (n bytes); len is the caller's. (output/sbuf.c) */
void skbd_sbuf__put_slow(struct skbd_sbuf *b, const char *s, size_t n);

/* NUL-terminate (cut to size - 1 when the text did not fit); returns the
 * length asked for (len), as snprintf. */
static inline size_t skbd_sbuf__finish(struct skbd_sbuf *b)
{
	if (b->size)
		b->buf[b->len < b->size ? b->len : b->size - 1] = '\0';
	return b->len;
}

static inline void skbd_put_mem(struct skbd_sbuf *b, const char *s, size_t n)
{
	if (b->len + n < b->size) /* the common case: it fits, with room for the NUL */
		memcpy(b->buf + b->len, s, n);
	else
		skbd_sbuf__put_slow(b, s, n);
	b->len += n;
}

static inline void skbd_put_char(struct skbd_sbuf *b, char ch)
{
	if (b->len + 1 < b->size) {
		b->buf[b->len++] = ch;
		return;
	}
	skbd_put_mem(b, &ch, 1);
}

static inline void skbd_put_str(struct skbd_sbuf *b, const char *s)
{
	skbd_put_mem(b, s, strlen(s));
}

/* a string literal: its length is known at compile time */
#define skbd_put_lit(b, s) skbd_put_mem((b), "" s, sizeof(s) - 1)

/* "00" "01" ... "99" */
static const char skbd_digit_pairs[201] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

#define SKBD_DECIMAL_MAX 20 /* digits of the largest unsigned 64-bit value */

/* Writes the digits of v at dst (room for SKBD_DECIMAL_MAX bytes); returns how many. */
static inline size_t skbd_decimal(char *dst, unsigned long long v)
{
	unsigned long long t = v;
	size_t n = 1;
	char *p;

	while (t >= 10) { /* count first, then fill from the end: no copy */
		t /= 10;
		n++;
	}
	p = dst + n;
	while (v >= 100) {
		unsigned int r = (unsigned int)(v % 100) * 2;

		v /= 100;
		*--p = skbd_digit_pairs[r + 1];
		*--p = skbd_digit_pairs[r];
	}
	if (v >= 10) {
		*--p = skbd_digit_pairs[v * 2 + 1];
		*--p = skbd_digit_pairs[v * 2];
	} else {
		*--p = (char)('0' + v);
	}
	return n;
}

static inline void skbd_put_u64(struct skbd_sbuf *b, unsigned long long v)
{
	char tmp[SKBD_DECIMAL_MAX];

	if (b->len + SKBD_DECIMAL_MAX < b->size) { /* in place */
		b->len += skbd_decimal(b->buf + b->len, v);
		return;
	}
	skbd_put_mem(b, tmp, skbd_decimal(tmp, v));
}

/* lowercase hex digits of v, without "0x" or leading zeros */
static inline void skbd_put_hex(struct skbd_sbuf *b, unsigned long long v)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[16];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	skbd_put_mem(b, tmp + i, sizeof(tmp) - i);
}

#endif
