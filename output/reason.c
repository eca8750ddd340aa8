// SPDX-License-Identifier: GPL-2.0-only
/* Drop reasons as the writers show them: names from the tracepoint's format
 * (pure memory), cached by code for the per-event path. */
#include "internal.h"

const char *out_reason_name(const struct skbd_fmt_ctx *c, __u32 code)
{
	struct skbd_fmt_cache *fc = c->cache;

	if (code == SKBD_DROP_REASON_LISTEN_OVERFLOW) /* the hook's own, on every kernel (5.10 has no reasons) */
		return "TCP_LISTEN_OVERFLOW";
	if (!c->has_reason || !c->fmt)
		return NULL;
	if (!fc || code >= SKBD_DROP_REASON_SLOTS)
		return skbd_tpformat__reason_name(c->fmt, code);
	if (!fc->reasons_built) {
		for (__u32 i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
			fc->reason[i] = skbd_tpformat__reason_name(c->fmt, i);
		fc->reasons_built = true;
	}
	return fc->reason[code];
}

void out_put_reason_text(struct skbd_sbuf *b, const struct skbd_fmt_ctx *c, __u32 code)
{
	const char *name = out_reason_name(c, code);

	if (name) {
		skbd_put_str(b, name);
	} else if (c->has_reason) {
		skbd_put_lit(b, "reason#");
		skbd_put_u64(b, code);
	} else {
		skbd_put_char(b, '-');
	}
}

void out_put_reason_json(struct skbd_sbuf *b, const struct skbd_fmt_ctx *c, __u32 code)
{
	const char *name = out_reason_name(c, code);

	skbd_put_lit(b, "\"reason\":");
	if (name)
		skbd_put_json_str(b, name);
	else
		skbd_put_lit(b, "null");
	skbd_put_lit(b, ",\"reason_code\":");
	if (c->has_reason || code == SKBD_DROP_REASON_LISTEN_OVERFLOW)
		skbd_put_u64(b, code);
	else
		skbd_put_lit(b, "null");
}
