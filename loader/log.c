// SPDX-License-Identifier: GPL-2.0-only
/* The library's log hook: every module reports through skbd_log(). */
#include <stdarg.h>
#include <stdio.h>
#include <skbdrop/log.h>

static void default_log(void *ctx, enum skbd_log_level level, const char *msg)
{
	if (level == SKBD_LOG_WARN || level == SKBD_LOG_VERIFIER)
		fprintf(stderr, "skbdrop: %s\n", msg);
}

/* The one replaceable hook (set by the CLI or tests before use). */
static skbd_log_fn log_hook = default_log;
static void *log_ctx;

void skbd_set_log(skbd_log_fn fn, void *ctx)
{
	log_hook = fn ? fn : default_log;
	log_ctx = fn ? ctx : NULL;
}

void skbd_log(enum skbd_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_hook(log_ctx, level, msg);
}
