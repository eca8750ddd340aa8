// SPDX-License-Identifier: GPL-2.0-only
/* tracefs: find or mount it, read an event's `format` file, and parse that text
 * into field offsets/sizes and the drop-reason table of __print_symbolic(). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <skbdrop/log.h>
#include <skbdrop/fileio.h>
#include <skbdrop/tpformat.h>

#define TRACEFS_MAGIC	0x74726163
#define DEBUGFS_MAGIC	0x64626720
#define FORMAT_MAX	(1u << 20)	/* real format files are a few KiB */

/* A read-only view of part of the input; never NUL-terminated. */
struct span {
	const char *p;
	size_t n;
};

struct parse_state {
	struct skbd_tpformat *fmt;
	size_t fields_cap;
	size_t reasons_cap;
	int seen_name, seen_id, seen_format, seen_print;
	const char *why; /* what was wrong, for the one log line */
};

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || is_digit(c) || c == '_';
}

static int hex_value(char c)
{
	if (is_digit(c))
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static struct span trim_span(struct span s)
{
	while (s.n && is_blank(s.p[0])) {
		s.p++;
		s.n--;
	}
	while (s.n && is_blank(s.p[s.n - 1]))
		s.n--;
	return s;
}

/* If s starts with prefix, consume it and return 1. */
static int eat_prefix(struct span *s, const char *prefix)
{
	size_t n = strlen(prefix);

	if (s->n < n || memcmp(s->p, prefix, n))
		return 0;
	s->p += n;
	s->n -= n;
	return 1;
}

static void skip_blanks(struct span *s)
{
	while (s->n && is_blank(s->p[0])) {
		s->p++;
		s->n--;
	}
}

static int span_equals(struct span s, const char *str)
{
	return s.n == strlen(str) && !memcmp(s.p, str, s.n);
}

/* Consume a decimal (or, with hex set, 0x-hex) number that fits in 32 bits. */
static int eat_u32(struct span *s, int hex, __u32 *out)
{
	__u64 v = 0;
	size_t i = 0;

	if (hex && s->n >= 2 && s->p[0] == '0' && (s->p[1] == 'x' || s->p[1] == 'X')) {
		i = 2;
		if (i >= s->n || hex_value(s->p[i]) < 0)
			return -EINVAL;
		for (; i < s->n && hex_value(s->p[i]) >= 0; i++) {
			v = v * 16 + (__u64)hex_value(s->p[i]);
			if (v > UINT32_MAX)
				return -ERANGE;
		}
	} else {
		if (!s->n || !is_digit(s->p[0]))
			return -EINVAL;
		for (; i < s->n && is_digit(s->p[i]); i++) {
			v = v * 10 + (__u64)(s->p[i] - '0');
			if (v > UINT32_MAX)
				return -ERANGE;
		}
	}
	s->p += i;
	s->n -= i;
	*out = (__u32)v;
	return 0;
}

/* The whole (trimmed) span must be one decimal number. */
static int parse_dec_u32(struct span s, __u32 *out)
{
	s = trim_span(s);
	if (!s.n || !is_digit(s.p[0]))
		return -EINVAL;
	if (eat_u32(&s, 0, out))
		return -EINVAL;
	return s.n ? -EINVAL : 0;
}

/* Copy into a fixed buffer; fails when it does not fit or holds a NUL. */
static int copy_name(char *dst, size_t size, struct span s)
{
	if (!s.n || s.n >= size || memchr(s.p, '\0', s.n))
		return -EINVAL;
	memcpy(dst, s.p, s.n);
	dst[s.n] = '\0';
	return 0;
}

static int parse_name_line(struct parse_state *st, struct span rest)
{
	rest = trim_span(rest);
	if (st->seen_name) {
		st->why = "duplicate name:";
		return -EINVAL;
	}
	for (size_t i = 0; i < rest.n; i++) {
		if ((unsigned char)rest.p[i] <= ' ' || (unsigned char)rest.p[i] >= 0x7f) {
			st->why = "bad event name";
			return -EINVAL;
		}
	}
	if (copy_name(st->fmt->name, sizeof(st->fmt->name), rest)) {
		st->why = rest.n ? "event name too long" : "empty event name";
		return -EINVAL;
	}
	st->seen_name = 1;
	return 0;
}

static int parse_id_line(struct parse_state *st, struct span rest)
{
	if (st->seen_id) {
		st->why = "duplicate ID:";
		return -EINVAL;
	}
	if (parse_dec_u32(rest, &st->fmt->id)) {
		st->why = "bad ID";
		return -EINVAL;
	}
	st->seen_id = 1;
	return 0;
}

/* Split "TYPE NAME[N]" into the name (last identifier once trailing array
 * suffixes are dropped) and the type (everything else, e.g. "char[16]").
 * Works for "__data_loc char[] name" too, where the brackets sit in the type. */
static int split_decl(struct parse_state *st, struct span decl, struct skbd_tp_field *f)
{
	struct span type, name, suffix;
	size_t end, start, tlen;

	decl = trim_span(decl);
	end = decl.n;
	while (end && decl.p[end - 1] == ']') {
		size_t open = end - 1;

		while (open && decl.p[open - 1] != '[')
			open--;
		if (!open) {
			st->why = "unbalanced ] in field";
			return -EINVAL;
		}
		end = open - 1;
		while (end && is_blank(decl.p[end - 1]))
			end--;
	}
	start = end;
	while (start && is_ident_char(decl.p[start - 1]))
		start--;
	name = (struct span){ decl.p + start, end - start };
	if (!name.n || is_digit(name.p[0])) {
		st->why = "missing field name";
		return -EINVAL;
	}
	if (copy_name(f->name, sizeof(f->name), name)) {
		st->why = "field name too long";
		return -EINVAL;
	}
	type = trim_span((struct span){ decl.p, start });
	suffix = (struct span){ decl.p + end, decl.n - end };
	if (!type.n) {
		st->why = "missing field type";
		return -EINVAL;
	}
	for (size_t i = 0; i < decl.n; i++) {
		if ((unsigned char)decl.p[i] < ' ' && !is_blank(decl.p[i])) {
			st->why = "control character in field";
			return -EINVAL;
		}
	}
	tlen = type.n + suffix.n;
	if (tlen >= sizeof(f->type)) {
		st->why = "field type too long";
		return -EINVAL;
	}
	memcpy(f->type, type.p, type.n);
	memcpy(f->type + type.n, suffix.p, suffix.n);
	f->type[tlen] = '\0';
	return 0;
}

/* "field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;" (leading blanks gone).
 * Keys after the declaration may come in any order; unknown ones are skipped. */
static int parse_field_line(struct parse_state *st, struct span rest)
{
	struct skbd_tpformat *fmt = st->fmt;
	struct skbd_tp_field f;
	int have_off = 0, have_size = 0, have_signed = 0;
	const char *semi;
	__u32 sign;
	__u64 end;

	memset(&f, 0, sizeof(f));
	if (!st->seen_format) {
		st->why = "field before format:";
		return -EINVAL;
	}
	semi = memchr(rest.p, ';', rest.n);
	if (!semi) {
		st->why = "unterminated field declaration";
		return -EINVAL;
	}
	if (split_decl(st, (struct span){ rest.p, (size_t)(semi - rest.p) }, &f))
		return -EINVAL;
	rest.n -= (size_t)(semi - rest.p) + 1;
	rest.p = semi + 1;

	for (;;) {
		struct span key, val;
		const char *colon;

		skip_blanks(&rest);
		if (!rest.n)
			break;
		semi = memchr(rest.p, ';', rest.n);
		if (!semi) {
			st->why = "truncated field attributes";
			return -EINVAL;
		}
		colon = memchr(rest.p, ':', (size_t)(semi - rest.p));
		if (!colon) {
			st->why = "field attribute without ':'";
			return -EINVAL;
		}
		key = trim_span((struct span){ rest.p, (size_t)(colon - rest.p) });
		val = (struct span){ colon + 1, (size_t)(semi - colon - 1) };
		rest.n -= (size_t)(semi - rest.p) + 1;
		rest.p = semi + 1;

		if (span_equals(key, "offset")) {
			if (have_off++ || parse_dec_u32(val, &f.offset)) {
				st->why = "bad offset";
				return -EINVAL;
			}
		} else if (span_equals(key, "size")) {
			if (have_size++ || parse_dec_u32(val, &f.size)) {
				st->why = "bad size";
				return -EINVAL;
			}
		} else if (span_equals(key, "signed")) {
			if (have_signed++ || parse_dec_u32(val, &sign) || sign > 1) {
				st->why = "bad signed";
				return -EINVAL;
			}
			f.is_signed = (int)sign;
		}
	}
	if (!have_off || !have_size || !have_signed) {
		st->why = !have_off ? "missing offset" : !have_size ? "missing size" : "missing signed";
		return -EINVAL;
	}
	end = (__u64)f.offset + f.size;
	if (end > UINT32_MAX) {
		st->why = "offset + size overflows";
		return -EINVAL;
	}
	if (skbd_tpformat__field(fmt, f.name)) {
		st->why = "duplicate field name";
		return -EINVAL;
	}
	if (fmt->nr_fields == st->fields_cap) {
		size_t cap = st->fields_cap ? st->fields_cap * 2 : 16;
		struct skbd_tp_field *n = realloc(fmt->fields, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		fmt->fields = n;
		st->fields_cap = cap;
	}
	fmt->fields[fmt->nr_fields++] = f;
	if (end > fmt->record_size)
		fmt->record_size = (__u32)end;
	return 0;
}

static int add_reason(struct parse_state *st, __u32 code, struct span name)
{
	struct skbd_tpformat *fmt = st->fmt;
	struct skbd_reason *r;

	if (fmt->nr_reasons == st->reasons_cap) {
		size_t cap = st->reasons_cap ? st->reasons_cap * 2 : 64;

		r = realloc(fmt->reasons, cap * sizeof(*r));
		if (!r)
			return -ENOMEM;
		fmt->reasons = r;
		st->reasons_cap = cap;
	}
	r = &fmt->reasons[fmt->nr_reasons];
	memset(r, 0, sizeof(*r));
	r->code = code;
	if (copy_name(r->name, sizeof(r->name), name)) {
		st->why = name.n ? "reason name too long" : "empty reason name";
		return -EINVAL;
	}
	fmt->nr_reasons++;
	return 0;
}

/* s points just past "__print_symbolic(REC->reason": read
 * ", { N, "NAME" }, ... )" into the reason table. */
static int parse_symbolic_list(struct parse_state *st, struct span s)
{
	for (;;) {
		struct span name;
		const char *quote;
		__u32 code;
		int err;

		skip_blanks(&s);
		if (!s.n) {
			st->why = "unterminated __print_symbolic";
			return -EINVAL;
		}
		if (s.p[0] == ')')
			return 0;
		if (!eat_prefix(&s, ","))
			goto bad;
		skip_blanks(&s);
		if (!eat_prefix(&s, "{"))
			goto bad;
		skip_blanks(&s);
		err = eat_u32(&s, 1, &code);
		if (err) {
			st->why = err == -ERANGE ? "reason code out of range" : "bad reason code";
			return -EINVAL;
		}
		skip_blanks(&s);
		if (!eat_prefix(&s, ","))
			goto bad;
		skip_blanks(&s);
		if (!eat_prefix(&s, "\""))
			goto bad;
		quote = memchr(s.p, '"', s.n);
		if (!quote) {
			st->why = "unterminated reason string";
			return -EINVAL;
		}
		name = (struct span){ s.p, (size_t)(quote - s.p) };
		for (size_t i = 0; i < name.n; i++) {
			/* reason names are C identifiers: no escapes, no control bytes */
			if (name.p[i] == '\\' || (unsigned char)name.p[i] < ' ' ||
			    (unsigned char)name.p[i] >= 0x7f) {
				st->why = "bad character in reason name";
				return -EINVAL;
			}
		}
		s.n -= name.n + 1;
		s.p = quote + 1;
		skip_blanks(&s);
		if (!eat_prefix(&s, "}"))
			goto bad;
		err = add_reason(st, code, name);
		if (err)
			return err;
	}
bad:
	st->why = s.n ? "malformed __print_symbolic entry" : "unterminated __print_symbolic";
	return -EINVAL;
}

/* Find __print_symbolic(REC->reason, ...) outside string literals. Other
 * __print_symbolic/__print_flags calls (on other fields) are left alone. */
static int parse_print_line(struct parse_state *st, struct span s)
{
	static const char call[] = "__print_symbolic";
	int in_str = 0;

	if (st->seen_print) {
		st->why = "duplicate print fmt:";
		return -EINVAL;
	}
	st->seen_print = 1;
	for (size_t i = 0; i < s.n; i++) {
		struct span t;

		if (in_str) {
			if (s.p[i] == '\\')
				i++;
			else if (s.p[i] == '"')
				in_str = 0;
			continue;
		}
		if (s.p[i] == '"') {
			in_str = 1;
			continue;
		}
		if (i && is_ident_char(s.p[i - 1]))
			continue;
		t = (struct span){ s.p + i, s.n - i };
		if (!eat_prefix(&t, call) || (t.n && is_ident_char(t.p[0])))
			continue;
		skip_blanks(&t);
		if (!eat_prefix(&t, "("))
			continue;
		skip_blanks(&t);
		if (!eat_prefix(&t, "REC->reason") || (t.n && is_ident_char(t.p[0])))
			continue;
		return parse_symbolic_list(st, t);
	}
	/* Not an error: 5.10 has no reason field. An unterminated string in the
	 * format part only matters if the table would have been after it. */
	return 0;
}

static int parse_line(struct parse_state *st, struct span line)
{
	struct span s = line;

	skip_blanks(&s);
	if (eat_prefix(&s, "name:"))
		return parse_name_line(st, s);
	if (eat_prefix(&s, "ID:"))
		return parse_id_line(st, s);
	if (eat_prefix(&s, "format:")) {
		if (st->seen_format) {
			st->why = "duplicate format:";
			return -EINVAL;
		}
		st->seen_format = 1;
		return 0;
	}
	if (eat_prefix(&s, "field:"))
		return parse_field_line(st, s);
	if (eat_prefix(&s, "print fmt:"))
		return parse_print_line(st, s);
	return 0; /* unknown lines are tolerated */
}

int skbd_tpformat__parse(const char *text, size_t len, struct skbd_tpformat **out)
{
	struct parse_state st;
	size_t pos = 0;
	unsigned int lineno = 0;
	int err = 0;

	if (!out || (!text && len))
		return -EINVAL;
	memset(&st, 0, sizeof(st));
	st.fmt = calloc(1, sizeof(*st.fmt));
	if (!st.fmt) {
		skbd_log(SKBD_LOG_WARN, "tpformat: out of memory");
		return -ENOMEM;
	}
	while (pos < len) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl ? (size_t)(nl - (text + pos)) : len - pos;

		lineno++;
		err = parse_line(&st, (struct span){ text + pos, n });
		if (err == -ENOMEM) {
			skbd_log(SKBD_LOG_WARN, "tpformat: line %u: out of memory", lineno);
			goto err_free;
		}
		if (err) {
			skbd_log(SKBD_LOG_WARN, "tpformat: line %u: %s", lineno,
				 st.why ? st.why : "malformed");
			goto err_free;
		}
		pos += n + (nl ? 1 : 0);
	}
	err = -EINVAL;
	if (!st.seen_name) {
		skbd_log(SKBD_LOG_WARN, "tpformat: no name: line");
		goto err_free;
	}
	if (!st.seen_id) {
		skbd_log(SKBD_LOG_WARN, "tpformat: %s: no ID: line", st.fmt->name);
		goto err_free;
	}
	if (!st.seen_format) {
		skbd_log(SKBD_LOG_WARN, "tpformat: %s: no format: line", st.fmt->name);
		goto err_free;
	}
	if (!st.fmt->nr_fields) {
		skbd_log(SKBD_LOG_WARN, "tpformat: %s: no fields", st.fmt->name);
		goto err_free;
	}
	*out = st.fmt;
	return 0;

err_free:
	skbd_tpformat__free(st.fmt);
	return err;
}

void skbd_tpformat__free(struct skbd_tpformat *fmt)
{
	if (!fmt)
		return;
	free(fmt->fields);
	free(fmt->reasons);
	free(fmt);
}

const struct skbd_tp_field *skbd_tpformat__field(const struct skbd_tpformat *fmt, const char *name)
{
	if (!fmt || !name)
		return NULL;
	for (size_t i = 0; i < fmt->nr_fields; i++)
		if (!strcmp(fmt->fields[i].name, name))
			return &fmt->fields[i];
	return NULL;
}

const char *skbd_tpformat__reason_name(const struct skbd_tpformat *fmt, __u32 code)
{
	if (!fmt)
		return NULL;
	for (size_t i = 0; i < fmt->nr_reasons; i++)
		if (fmt->reasons[i].code == code)
			return fmt->reasons[i].name;
	return NULL;
}

long skbd_tpformat__reason_code(const struct skbd_tpformat *fmt, const char *name)
{
	if (!fmt || !name)
		return -ENOENT;
	for (size_t i = 0; i < fmt->nr_reasons; i++)
		if (!strcmp(fmt->reasons[i].name, name))
			return (long)fmt->reasons[i].code;
	return -ENOENT;
}

/* A usable tracing dir has events/. tracefs proper (4.1+) reports
 * TRACEFS_MAGIC; before 4.1 the same tree was a plain debugfs directory, so
 * events/ is what decides. statfs() also triggers the debugfs automount. */
static int check_tracing_dir(const char *dir)
{
	char events[512];
	struct statfs sfs;
	struct stat st;

	if (statfs(dir, &sfs))
		return 0;
	if ((size_t)snprintf(events, sizeof(events), "%s/events", dir) >= sizeof(events))
		return 0;
	if (stat(events, &st) || !S_ISDIR(st.st_mode))
		return 0;
	skbd_log(SKBD_LOG_DEBUG, "tpformat: %s is %s", dir,
		 sfs.f_type == TRACEFS_MAGIC ? "tracefs" :
		 sfs.f_type == DEBUGFS_MAGIC ? "debugfs" : "not tracefs, but has events/");
	return 1;
}

static int copy_path(char *path, size_t path_size, const char *dir)
{
	if (strlen(dir) >= path_size)
		return -ENAMETOOLONG;
	strcpy(path, dir);
	return 0;
}

int skbd_tracefs__find(char *path, size_t path_size, int *mounted)
{
	static const char *const dirs[] = { "/sys/kernel/tracing", "/sys/kernel/debug/tracing" };
	int err;

	if (!path || !path_size)
		return -EINVAL;
	if (mounted)
		*mounted = 0;
	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		if (check_tracing_dir(dirs[i])) {
			skbd_log(SKBD_LOG_DEBUG, "tpformat: tracefs at %s", dirs[i]);
			return copy_path(path, path_size, dirs[i]);
		}
	}
	if (strlen(dirs[0]) >= path_size)
		return -ENAMETOOLONG;
	if (mount("tracefs", dirs[0], "tracefs", 0, NULL)) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "tpformat: mount tracefs at %s: %s", dirs[0], strerror(-err));
		return err;
	}
	if (!check_tracing_dir(dirs[0])) {
		umount2(dirs[0], MNT_DETACH);
		skbd_log(SKBD_LOG_WARN, "tpformat: tracefs mounted at %s has no events/", dirs[0]);
		return -ENOENT;
	}
	skbd_log(SKBD_LOG_INFO, "tpformat: mounted tracefs at %s", dirs[0]);
	if (mounted)
		*mounted = 1;
	return copy_path(path, path_size, dirs[0]);
}

void skbd_tracefs__unmount(const char *path)
{
	if (path && umount2(path, MNT_DETACH))
		skbd_log(SKBD_LOG_WARN, "tpformat: unmount %s: %s", path, strerror(errno));
}

/* A path component from the caller must not walk out of events/. */
static int check_component(const char *s)
{
	return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

int skbd_tracefs__read_format(const char *tracefs, const char *category, const char *event,
			      char **text, size_t *len)
{
	char path[4096];
	int err;

	if (!tracefs || !check_component(category) || !check_component(event) || !text || !len)
		return -EINVAL;
	if ((size_t)snprintf(path, sizeof(path), "%s/events/%s/%s/format", tracefs, category,
			     event) >= sizeof(path))
		return -ENAMETOOLONG;
	err = skbd_read_file(path, FORMAT_MAX, text, len);
	if (err == -EFBIG)
		skbd_log(SKBD_LOG_WARN, "tpformat: %s: larger than %u bytes", path, FORMAT_MAX);
	else if (err) /* a missing event is the caller's call to report */
		skbd_log(err == -ENOENT ? SKBD_LOG_DEBUG : SKBD_LOG_WARN, "tpformat: read %s: %s", path,
			 strerror(-err));
	return err;
}
