// SPDX-License-Identifier: GPL-2.0-only
/* The streaming sink: events bypass stdio. They are formatted in place in a
 * buffer of SKBD_OUT_BUF bytes and written when it fills and after every
 * poll batch, in few large write(2)s (a pipe, a terminal or a page-cache
 * file costs per call). */
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <skbdrop/output.h>

struct skbd_out {
	int fd;
	struct skbd_out_opts opts;
	struct skbd_fmt_ctx ctx;
	struct skbd_fmt_cache cache;
	int err;     /* sticky: the first write error */
	size_t len;  /* formatted, not yet written */
	unsigned long long unwritten; /* lines the failed flush did not write */
	char buf[SKBD_OUT_BUF];
};

_Static_assert(SKBD_OUT_BUF >= 2 * SKBD_LINE_MAX, "the sink holds several lines");

int skbd_out__new(int fd, const struct skbd_fmt_ctx *c, const struct skbd_out_opts *opts, struct skbd_out **out)
{
	struct skbd_out *o;

	if (fd < 0 || !c)
		return -EINVAL;
	o = calloc(1, sizeof(*o));
	if (!o)
		return -ENOMEM;
	o->fd = fd;
	if (opts)
		o->opts = *opts;
	o->ctx = *c;
	o->ctx.cache = &o->cache;
	o->cache.t.sec = -1;
	*out = o;
	return 0;
}

void skbd_out__free(struct skbd_out *o)
{
	free(o);
}

int skbd_out__flush(struct skbd_out *o)
{
	size_t written;
	int err;

	if (o->err)
		return o->err;
	err = skbd_write_some(o->fd, o->buf, o->len, o->opts.stop, &written);
	if (err) {
		/* the lines left in the buffer, a cut one included */
		for (size_t i = written; i < o->len; i++)
			o->unwritten += o->buf[i] == '\n';
		o->err = err;
	}
	o->len = 0;
	return err;
}

unsigned long long skbd_out__unwritten(const struct skbd_out *o)
{
	return o ? o->unwritten : 0;
}

int skbd_out__event(struct skbd_out *o, const struct skbd_drop *d, const struct skbd_drop_names *nm)
{
	size_t n;
	int err;

	if (o->err)
		return o->err;
	/* room for the longest line: formatted in place */
	if (sizeof(o->buf) - o->len < SKBD_LINE_MAX && (err = skbd_out__flush(o)))
		return err;
	if (o->opts.json)
		n = skbd_fmt__json(&o->ctx, d, nm, o->buf + o->len, SKBD_LINE_MAX);
	else
		n = skbd_fmt__text(&o->ctx, d, nm, o->buf + o->len, SKBD_LINE_MAX);
	if (!o->opts.discard) /* --no-output: formatted, then dropped */
		o->len += n;
	return 0;
}
