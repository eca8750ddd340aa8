/* SPDX-License-Identifier: GPL-2.0-only */
/* Helpers shared by the unit tests: a log hook that swallows the library's
 * messages and remembers the warnings, and loaders for fixture files. */
#ifndef SKBD_TESTUTIL_H
#define SKBD_TESTUTIL_H

#include <linux/types.h>
#include <stdbool.h>
#include <stddef.h>

struct skbd_ksyms;

/* Install a hook that swallows every message and records the warnings;
 * forget the warnings recorded so far (calling it again just resets). */
void tu_log_quiet(void);
/* Restore the library's default hook; what was recorded stays readable. */
void tu_log_restore(void);
/* Warnings since the last tu_log_quiet(). */
unsigned int tu_log_count(void);
/* The last of them ("" if none), cut at 1023 bytes. */
const char *tu_log_last(void);
/* Whether any of them contains substr / starts with prefix. */
bool tu_log_seen(const char *substr);
bool tu_log_seen_prefix(const char *prefix);

/* Read a whole file into a malloc'd buffer of exactly its size, with no NUL
 * after the end so an overread is an ASan error. NULL if the file cannot be
 * read or is empty; *len is written only on success. The caller frees. */
char *tu_load_file(const char *path, size_t *len);

/* Load a kallsyms table from a fixture file; a CUnit fatal failure if that
 * does not work. The caller frees with skbd_ksyms__free(). */
struct skbd_ksyms *tu_load_ksyms(const char *path);

/* A test that cannot run here (not root, no jq): says so by name and why;
 * the runner reports every skip and, with CI=true, fails the run on any.
 * The test then returns: a skip is never counted as a pass. */
void tu_skip(const char *why);
/* How many skips, and one line naming them ("" when none). */
unsigned int tu_skips(const char **list);

/* jq, for checking JSON the formatters write: whether /usr/bin/jq exists. */
bool tu_have_jq(void);
/* Run `jq -r FLAGS 'FILTER'` over input; true when jq succeeds and prints
 * exactly want (NULL: any output). Without jq, true after a tu_skip (jq is a
 * dependency of make check: its absence is reported, never passed over). */
bool tu_jq_says(const char *input, const char *flags, const char *filter, const char *want);

/* Run a shell command (printf-style, up to 511 bytes): 0 when it exits 0,
 * else -1. For the root tests that build namespaces and devices. */
int tu_run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* xorshift32: a repeatable pseudo-random sequence for corruption tests;
 * each suite keeps its own state (seed), so its sequence never changes. */
__u32 tu_rand(__u32 *state);

#endif
