/* SPDX-License-Identifier: GPL-2.0-only */
/* Decimal formatting for the per-event formatters (packet/decode.c,
 * cli/output.c): digits written in place, two per division, no NUL. */
#ifndef SKBDROP_DECIMAL_H
#define SKBDROP_DECIMAL_H

#include <stddef.h>

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

#endif
