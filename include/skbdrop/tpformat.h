/* SPDX-License-Identifier: GPL-2.0-only */
/* tracefs: locating (or mounting) it, and parsing an event's `format` file:
 * field offsets/sizes and the reason table from __print_symbolic. */
#ifndef SKBDROP_TPFORMAT_H
#define SKBDROP_TPFORMAT_H

#include <stddef.h>
#include <linux/types.h>

struct skbd_tp_field {
	char name[64];
	char type[96];  /* e.g. "void *", "enum skb_drop_reason" */
	__u32 offset;
	__u32 size;
	int is_signed;
};

struct skbd_reason {
	__u32 code;
	char name[64]; /* as the kernel spells it, e.g. "NO_SOCKET" */
};

struct skbd_tpformat {
	char name[64];
	__u32 id;
	struct skbd_tp_field *fields; /* in file order, common_* included */
	size_t nr_fields;
	struct skbd_reason *reasons;  /* from __print_symbolic(REC->reason, ...), file order */
	size_t nr_reasons;
	__u32 record_size;            /* max(offset + size) over all fields */
};

/* Parse format text (need not be NUL-terminated). Returns 0 and *out, or
 * -EINVAL on malformed text (a message names the line), -ENOMEM. */
int skbd_tpformat__parse(const char *text, size_t len, struct skbd_tpformat **out);
void skbd_tpformat__free(struct skbd_tpformat *fmt);

/* NULL when absent. */
const struct skbd_tp_field *skbd_tpformat__field(const struct skbd_tpformat *fmt, const char *name);
/* NULL when the code has no name. */
const char *skbd_tpformat__reason_name(const struct skbd_tpformat *fmt, __u32 code);
/* >= 0: the code; -ENOENT when the name is unknown. Exact, case-sensitive. */
long skbd_tpformat__reason_code(const struct skbd_tpformat *fmt, const char *name);

/* Find tracefs: /sys/kernel/tracing, then /sys/kernel/debug/tracing; if neither
 * is mounted, mount tracefs at /sys/kernel/tracing and set *mounted = 1.
 * path receives the directory. Returns 0 or negative errno. */
int skbd_tracefs__find(char *path, size_t path_size, int *mounted);
/* Undo a mount made by skbd_tracefs__find (lazy unmount). */
void skbd_tracefs__unmount(const char *path);
/* Read <tracefs>/events/<category>/<event>/format into a malloc'd NUL-terminated
 * buffer. Returns 0, -ENOENT when the event does not exist, other -errno. */
int skbd_tracefs__read_format(const char *tracefs, const char *category, const char *event,
			      char **text, size_t *len);

#endif
