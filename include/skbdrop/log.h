/* SPDX-License-Identifier: GPL-2.0-only */
/* The library's one replaceable log hook. The library never writes to stdout. */
#ifndef SKBDROP_LOG_H
#define SKBDROP_LOG_H

enum skbd_log_level {
	SKBD_LOG_WARN = 0,
	SKBD_LOG_INFO = 1,
	SKBD_LOG_DEBUG = 2,
	SKBD_LOG_VERIFIER = 3, /* a line of a verifier log: the diagnosis itself, shown as is */
};

/* msg has no trailing newline. */
typedef void (*skbd_log_fn)(void *ctx, enum skbd_log_level level, const char *msg);

/* Replace the hook (fn gets ctx back); NULL restores the default (warnings
 * and verifier logs to stderr). The library's one setting, like
 * libbpf_set_print: set it once, before any other call. */
void skbd_set_log(skbd_log_fn fn, void *ctx);

/* Library-internal: format and pass to the hook. */
void skbd_log(enum skbd_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
