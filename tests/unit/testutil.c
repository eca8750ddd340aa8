// SPDX-License-Identifier: GPL-2.0-only
/* Helpers shared by the unit tests: the quiet log hook and the fixture
 * loaders declared in testutil.h. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/log.h>
#include "testutil.h"

static unsigned int nr_warns;
static char last_warn[1024];
/* Every warning since tu_log_quiet(), each with its NUL, so tu_log_seen()
 * looks at all of them, not only the last. Kept (and reused) between tests. */
static char *all_warns;
static size_t all_len, all_cap;

static void keep_warn(const char *msg)
{
	size_t n = strlen(msg) + 1;

	if (all_len + n > all_cap) {
		size_t cap = all_cap ? all_cap : 4096;
		char *p;

		while (cap < all_len + n)
			cap *= 2;
		p = realloc(all_warns, cap);
		if (!p)
			return; /* a lost message can only make a test fail */
		all_warns = p;
		all_cap = cap;
	}
	memcpy(all_warns + all_len, msg, n);
	all_len += n;
}

static void swallow_log(void *ctx, enum skbd_log_level level, const char *msg)
{
	if (level != SKBD_LOG_WARN && level != SKBD_LOG_VERIFIER)
		return;
	nr_warns++;
	snprintf(last_warn, sizeof(last_warn), "%s", msg);
	keep_warn(msg);
}

void tu_log_quiet(void)
{
	nr_warns = 0;
	last_warn[0] = '\0';
	all_len = 0;
	skbd_set_log(swallow_log, NULL);
}

void tu_log_restore(void)
{
	skbd_set_log(NULL, NULL);
}

unsigned int tu_log_count(void)
{
	return nr_warns;
}

const char *tu_log_last(void)
{
	return last_warn;
}

bool tu_log_seen(const char *substr)
{
	for (size_t off = 0; off < all_len; off += strlen(all_warns + off) + 1)
		if (strstr(all_warns + off, substr))
			return true;
	return false;
}

bool tu_log_seen_prefix(const char *prefix)
{
	for (size_t off = 0; off < all_len; off += strlen(all_warns + off) + 1)
		if (!strncmp(all_warns + off, prefix, strlen(prefix)))
			return true;
	return false;
}

char *tu_load_file(const char *path, size_t *len)
{
	struct stat st;
	char *buf;
	FILE *f;

	f = fopen(path, "re");
	if (!f)
		return NULL;
	if (fstat(fileno(f), &st) || st.st_size <= 0) {
		fclose(f);
		return NULL;
	}
	buf = malloc((size_t)st.st_size);
	if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	if (buf)
		*len = (size_t)st.st_size;
	return buf;
}

struct skbd_ksyms *tu_load_ksyms(const char *path)
{
	struct skbd_ksyms *ks = NULL;
	FILE *f = fopen(path, "re");
	int err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	err = skbd_ksyms__new(f, &ks);
	fclose(f);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	return ks;
}

int tu_run(const char *fmt, ...)
{
	char cmd[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd) == 0 ? 0 : -1;
}

__u32 tu_rand(__u32 *state)
{
	*state ^= *state << 13;
	*state ^= *state >> 17;
	*state ^= *state << 5;
	return *state;
}

#define TU_JQ "/usr/bin/jq"

static char skip_list[4096];
static unsigned int nr_skips;

void tu_skip(const char *why)
{
	CU_pTest t = CU_get_current_test();
	size_t len = strlen(skip_list);

	nr_skips++;
	snprintf(skip_list + len, sizeof(skip_list) - len, "%s%s (%s)", len ? "; " : "",
		 t && t->pName ? t->pName : "?", why);
	fprintf(stderr, "\n  SKIP %s: %s\n", t && t->pName ? t->pName : "?", why);
}

unsigned int tu_skips(const char **list)
{
	*list = skip_list;
	return nr_skips;
}

bool tu_have_jq(void)
{
	if (access(TU_JQ, X_OK) == 0)
		return true;
	tu_skip("no " TU_JQ " to check the JSON with");
	return false;
}

bool tu_jq_says(const char *input, const char *flags, const char *filter, const char *want)
{
	char cmd[512], path[] = "/tmp/skbd_test_jq_XXXXXX", *out;
	size_t n = 0;
	FILE *p;
	int fd;
	bool ok;

	if (!tu_have_jq())
		return true;
	fd = mkstemp(path);
	if (fd < 0)
		return false;
	close(fd);
	snprintf(cmd, sizeof(cmd), TU_JQ " -r %s '%s' >%s 2>&1", flags, filter, path);
	fflush(stdout);
	fflush(stderr);
	p = popen(cmd, "w");
	if (!p) {
		unlink(path);
		return false;
	}
	fputs(input, p);
	ok = pclose(p) == 0;
	out = tu_load_file(path, &n); /* NULL for empty output */
	unlink(path);
	if (ok && want) {
		ok = out ? strlen(want) == n && !memcmp(out, want, n) : !want[0];
		if (!ok)
			fprintf(stderr, "\njq '%s': '%.*s', want '%s'\n", filter, out ? (int)n : 6, out ? out : "(none)",
				want);
	}
	free(out);
	return ok;
}
