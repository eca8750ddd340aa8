// SPDX-License-Identifier: GPL-2.0-only
/* The one JSON string writer of skbdrop (events, layers, --summary) and the
 * UTF-8 check it shares with the Prometheus writer. The rule is in output.h. */
#include <skbdrop/output.h>

/* RFC 3629 (table 3-7 of Unicode): the second byte's range depends on the
 * first, which rules out overlongs (c0/c1, e0 80..9f, f0 80..8f), surrogates
 * (ed a0..bf) and code points past U+10FFFF (f4 90.., f5..ff). */
size_t skbd_utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c0 = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c0 < 0x80)
		return 1;
	if (c0 >= 0xc2 && c0 <= 0xdf)
		len = 2;
	else if (c0 >= 0xe0 && c0 <= 0xef)
		len = 3;
	else if (c0 >= 0xf0 && c0 <= 0xf4)
		len = 4;
	else
		return 0;
	if (len > n)
		return 0;
	if (c0 == 0xe0)
		lo = 0xa0;
	else if (c0 == 0xed)
		hi = 0x9f;
	else if (c0 == 0xf0)
		lo = 0x90;
	else if (c0 == 0xf4)
		hi = 0x8f;
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void skbd_put_json_mem(struct skbd_sbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s, *end = p + n, *run = p;

	skbd_put_char(b, '"');
	while (p < end) {
		unsigned char ch = *p;
		size_t len;

		/* the common case: printable ASCII, copied in runs */
		if (ch >= 0x20 && ch < 0x7f && ch != '"' && ch != '\\') {
			p++;
			continue;
		}
		len = ch >= 0x80 ? skbd_utf8_len(p, (size_t)(end - p)) : 0;
		if (len) { /* valid UTF-8: unchanged */
			p += len;
			continue;
		}
		skbd_put_mem(b, (const char *)run, (size_t)(p - run));
		if (ch == '"' || ch == '\\') {
			char esc[2] = { '\\', (char)ch };

			skbd_put_mem(b, esc, sizeof(esc));
		} else { /* a control character, or a byte that is not UTF-8 */
			char esc[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };

			skbd_put_mem(b, esc, sizeof(esc));
		}
		run = ++p;
	}
	skbd_put_mem(b, (const char *)run, (size_t)(p - run));
	skbd_put_char(b, '"');
}

void skbd_put_json_str(struct skbd_sbuf *b, const char *s)
{
	skbd_put_json_mem(b, s, strlen(s));
}
