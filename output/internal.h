/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers the writers in output/ share (event lines and --summary rows show
 * a reason the same way). Not part of the public API. */
#ifndef SKBDROP_OUTPUT_INTERNAL_H
#define SKBDROP_OUTPUT_INTERNAL_H

#include <skbdrop/output.h>

/* The kernel's name of reason code, through c->cache when there is one;
 * NULL when the kernel has no reasons or does not name this code. */
const char *out_reason_name(const struct skbd_fmt_ctx *c, __u32 code);

/* A reason in text: its name, else "reason#CODE", else "-" (a kernel
 * without reasons). */
void out_put_reason_text(struct skbd_sbuf *b, const struct skbd_fmt_ctx *c, __u32 code);

/* "reason":NAME|null,"reason_code":CODE|null */
void out_put_reason_json(struct skbd_sbuf *b, const struct skbd_fmt_ctx *c, __u32 code);

/* OTLP JSON pieces (otlp.c), for the summary's metrics writer */
struct skbd_otlp_opts;
void out_otlp_u64_str(struct skbd_sbuf *b, __u64 v);
void out_otlp_attr_str(struct skbd_sbuf *b, bool *first, const char *key, const char *v);
void out_otlp_attr_int(struct skbd_sbuf *b, bool *first, const char *key, __u64 v);
/* {"resource":{...}, and {"scope":{...}, (each ends with a comma) */
void out_otlp_put_resource(struct skbd_sbuf *b, const struct skbd_otlp_opts *o);
void out_otlp_put_scope(struct skbd_sbuf *b, const struct skbd_otlp_opts *o);

#endif
