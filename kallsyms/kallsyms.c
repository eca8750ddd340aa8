// SPDX-License-Identifier: GPL-2.0-only
/* /proc/kallsyms symbolizer: one pass over the text keeping only text symbols,
 * names interned into one arena, a sorted array and binary-search lookup. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/log.h>

/* Longest line accepted, without its newline; real lines are far shorter. */
#define KSYM_LINE_MAX 4096
/* The last symbol covers at most this much: past it the address is in no
 * function we know of (end of module text, vmalloc, a BPF JIT image). */
#define KSYM_LAST_SPAN 0x100000ULL
#define NO_MODULE SIZE_MAX
/* Read size: at least two maximal lines, so a line always fits after compaction. */
#define KSYM_BLOCK (16 * 1024)

struct line_reader {
	FILE *f;
	size_t start;		/* first unread byte */
	size_t end;		/* end of valid bytes */
	bool eof;
	char buf[KSYM_BLOCK + 1];
};

struct ksym_entry {
	struct skbd_ksym sym;	/* what lookup hands out */
	size_t name_off;	/* arena offsets until the arena stops moving */
	size_t mod_off;		/* NO_MODULE for vmlinux */
	__u32 seq;		/* line order, for a stable sort */
	__u8 rank;		/* alias preference, lower wins */
};

struct skbd_ksyms {
	struct ksym_entry *ents;
	size_t cnt;
	size_t cap;
	char *arena;
	size_t arena_len;
	size_t arena_cap;
	bool restricted;
};

/* One parsed line; the strings point into the line buffer. */
struct ksym_line {
	__u64 addr;
	char type;
	const char *name;
	size_t name_len;
	const char *mod;	/* NULL for vmlinux */
	size_t mod_len;
};

static bool is_blank(char c)
{
	return c == ' ' || c == '\t';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Read one line; *line points into r->buf, NUL-terminated, newline dropped.
 * Returns 1 for a line, 0 at end of input, -E2BIG for a line longer than
 * KSYM_LINE_MAX, -EINVAL for a NUL byte, -EIO. Block reads and memchr keep
 * the 120k lines of /proc/kallsyms cheap; memory stays bounded. */
static int read_line(struct line_reader *r, char **line)
{
	char *start, *nl;
	size_t len, n;

	for (;;) {
		start = r->buf + r->start;
		nl = memchr(start, '\n', r->end - r->start);
		if (nl || (r->eof && r->end > r->start)) {
			len = nl ? (size_t)(nl - start) : r->end - r->start;
			if (len > KSYM_LINE_MAX)
				return -E2BIG;
			if (memchr(start, '\0', len))
				return -EINVAL;
			start[len] = '\0';	/* buf has a spare byte for the last line */
			r->start += len + (nl ? 1 : 0);
			*line = start;
			return 1;
		}
		if (r->eof)
			return 0;
		if (r->end - r->start > KSYM_LINE_MAX)
			return -E2BIG;
		memmove(r->buf, start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
		n = fread(r->buf + r->end, 1, KSYM_BLOCK - r->end, r->f);
		if (n == 0) {
			if (ferror(r->f))
				return -EIO;
			r->eof = true;
		}
		r->end += n;
	}
}

/* Split "ADDR TYPE NAME [MODULE]" into l. On error *why says what is wrong. */
static int parse_line(const char *s, struct ksym_line *l, const char **why)
{
	const char *p = s, *q;
	__u64 addr = 0;
	int digits = 0, v;

	memset(l, 0, sizeof(*l));
	if (*p == '\0') {
		*why = "empty line";
		return -EINVAL;
	}
	for (; !is_blank(*p) && *p; p++, digits++) {
		v = hex_value(*p);
		if (v < 0) {
			*why = "bad address";
			return -EINVAL;
		}
		if (digits == 16) {
			*why = "address longer than 16 hex digits";
			return -EINVAL;
		}
		addr = addr << 4 | (__u64)v;
	}
	if (digits == 0) {
		*why = "bad address";
		return -EINVAL;
	}
	l->addr = addr;

	while (is_blank(*p))
		p++;
	if (*p == '\0') {
		*why = "missing type";
		return -EINVAL;
	}
	l->type = *p++;
	if (*p && !is_blank(*p)) {
		*why = "type is not one character";
		return -EINVAL;
	}

	while (is_blank(*p))
		p++;
	if (*p == '\0') {
		*why = "missing name";
		return -EINVAL;
	}
	if (*p == '[') {
		/* "ADDR t \t[mod]": the name field is the module */
		*why = "empty name";
		return -EINVAL;
	}
	for (q = p; *q && !is_blank(*q); q++)
		;
	l->name = p;
	l->name_len = (size_t)(q - p);

	for (p = q; is_blank(*p); p++)
		;
	if (*p == '\0')
		return 0;
	if (*p != '[') {
		*why = "unexpected text after name";
		return -EINVAL;
	}
	q = strchr(++p, ']');
	if (!q) {
		*why = "unterminated module name";
		return -EINVAL;
	}
	if (q == p) {
		*why = "empty module name";
		return -EINVAL;
	}
	l->mod = p;
	l->mod_len = (size_t)(q - p);
	for (p = q + 1; is_blank(*p); p++)
		;
	if (*p != '\0') {
		*why = "unexpected text after module";
		return -EINVAL;
	}
	return 0;
}

/* Aliases at one address (_stext/_text, a static and its global wrapper):
 * a global strong symbol names it best, then weak, then local. */
static int rank_type(char type)
{
	switch (type) {
	case 'T': return 0;
	case 'W': return 1;
	case 't': return 2;
	case 'w': return 3;
	default:  return -1;
	}
}

/* Copy len bytes of s plus a NUL into the arena; *off gets their offset. */
static int intern_string(struct skbd_ksyms *ks, const char *s, size_t len, size_t *off)
{
	if (len + 1 > ks->arena_cap - ks->arena_len) {
		size_t cap = ks->arena_cap ? ks->arena_cap : 64 * 1024;
		char *arena;

		while (len + 1 > cap - ks->arena_len) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		arena = realloc(ks->arena, cap);
		if (!arena)
			return -ENOMEM;
		ks->arena = arena;
		ks->arena_cap = cap;
	}
	memcpy(ks->arena + ks->arena_len, s, len);
	ks->arena[ks->arena_len + len] = '\0';
	*off = ks->arena_len;
	ks->arena_len += len + 1;
	return 0;
}

static int add_symbol(struct skbd_ksyms *ks, const struct ksym_line *l, int rank,
		      size_t *last_mod_off)
{
	struct ksym_entry *e;
	int err;

	if (ks->cnt == ks->cap) {
		size_t cap = ks->cap ? ks->cap * 2 : 4096;
		struct ksym_entry *ents;

		if (cap > SIZE_MAX / sizeof(*ents) || cap > UINT32_MAX)
			return -ENOMEM;
		ents = realloc(ks->ents, cap * sizeof(*ents));
		if (!ents)
			return -ENOMEM;
		ks->ents = ents;
		ks->cap = cap;
	}
	e = &ks->ents[ks->cnt];
	memset(e, 0, sizeof(*e));
	e->sym.addr = l->addr;
	e->seq = (__u32)ks->cnt;
	e->rank = (__u8)rank;
	e->mod_off = NO_MODULE;
	err = intern_string(ks, l->name, l->name_len, &e->name_off);
	if (err)
		return err;
	if (l->mod) {
		/* A module's symbols come in one run: share the previous
		 * copy of its name instead of storing it once per symbol. */
		if (*last_mod_off != NO_MODULE &&
		    !strncmp(ks->arena + *last_mod_off, l->mod, l->mod_len) &&
		    ks->arena[*last_mod_off + l->mod_len] == '\0') {
			e->mod_off = *last_mod_off;
		} else {
			err = intern_string(ks, l->mod, l->mod_len, &e->mod_off);
			if (err)
				return err;
			*last_mod_off = e->mod_off;
		}
	}
	ks->cnt++;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	const struct ksym_entry *x = a, *y = b;

	if (x->sym.addr != y->sym.addr)
		return x->sym.addr < y->sym.addr ? -1 : 1;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Sort, then turn arena offsets into pointers now that the arena is final. */
static void finish_table(struct skbd_ksyms *ks)
{
	size_t i;

	if (ks->cnt)
		qsort(ks->ents, ks->cnt, sizeof(*ks->ents), compare_entries);
	for (i = 0; i < ks->cnt; i++) {
		struct ksym_entry *e = &ks->ents[i];

		e->sym.name = ks->arena + e->name_off;
		e->sym.module = e->mod_off == NO_MODULE ? NULL : ks->arena + e->mod_off;
	}
}

int skbd_ksyms__new(FILE *f, struct skbd_ksyms **out)
{
	size_t lineno = 0, last_mod_off = NO_MODULE;
	struct line_reader *r;
	bool seen_any = false, all_zero = true;
	struct skbd_ksyms *ks;
	struct ksym_line l;
	const char *why;
	char *line;
	int err, rank;

	if (!f || !out)
		return -EINVAL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	r = calloc(1, sizeof(*r));
	if (!r) {
		err = -ENOMEM;
		goto err_free;
	}
	r->f = f;

	for (;;) {
		err = read_line(r, &line);
		if (err == 0)
			break;
		lineno++;
		if (err < 0) {
			if (err == -E2BIG) {
				skbd_log(SKBD_LOG_WARN, "kallsyms: line %zu: longer than %d bytes",
					 lineno, KSYM_LINE_MAX);
				err = -EINVAL;
			} else if (err == -EINVAL) {
				skbd_log(SKBD_LOG_WARN, "kallsyms: line %zu: NUL byte", lineno);
			} else {
				skbd_log(SKBD_LOG_WARN, "kallsyms: line %zu: read error", lineno);
			}
			goto err_free;
		}
		err = parse_line(line, &l, &why);
		if (err) {
			skbd_log(SKBD_LOG_WARN, "kallsyms: line %zu: %s", lineno, why);
			goto err_free;
		}
		/* With kptr_restrict (or without CAP_SYSLOG) every address
		 * reads as 0, whatever the symbol type. */
		seen_any = true;
		if (l.addr)
			all_zero = false;
		rank = rank_type(l.type);
		if (rank < 0)
			continue;
		err = add_symbol(ks, &l, rank, &last_mod_off);
		if (err) {
			skbd_log(SKBD_LOG_WARN, "kallsyms: line %zu: out of memory", lineno);
			goto err_free;
		}
	}
	free(r);
	ks->restricted = seen_any && all_zero;
	finish_table(ks);
	*out = ks;
	return 0;

err_free:
	free(r);
	skbd_ksyms__free(ks);
	return err;
}

void skbd_ksyms__free(struct skbd_ksyms *ks)
{
	if (!ks)
		return;
	free(ks->ents);
	free(ks->arena);
	free(ks);
}

bool skbd_ksyms__restricted(const struct skbd_ksyms *ks)
{
	return ks && ks->restricted;
}

size_t skbd_ksyms__count(const struct skbd_ksyms *ks)
{
	return ks ? ks->cnt : 0;
}

/* Index of the first entry whose start is > addr (0..cnt). */
static size_t find_upper(const struct skbd_ksyms *ks, __u64 addr)
{
	size_t lo = 0, hi = ks->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->ents[mid].sym.addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first entry whose start is >= addr. */
static size_t find_lower(const struct skbd_ksyms *ks, __u64 addr)
{
	size_t lo = 0, hi = ks->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ks->ents[mid].sym.addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

const struct skbd_ksym *skbd_ksyms__lookup(const struct skbd_ksyms *ks, __u64 addr, __u64 *offset)
{
	const struct skbd_ksym *last, *sym;
	size_t i;

	if (!ks || ks->restricted || !ks->cnt)
		return NULL;
	last = &ks->ents[ks->cnt - 1].sym;
	if (addr >= last->addr && addr - last->addr > KSYM_LAST_SPAN)
		return NULL;
	i = find_upper(ks, addr);
	if (i == 0)
		return NULL;
	/* Aliases share a start: the sort put the preferred one first. */
	sym = &ks->ents[find_lower(ks, ks->ents[i - 1].sym.addr)].sym;
	if (offset)
		*offset = addr - sym->addr;
	return sym;
}

int skbd_ksyms__format(const struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size)
{
	const struct skbd_ksym *sym;
	__u64 off = 0;

	sym = skbd_ksyms__lookup(ks, addr, &off);
	if (!sym)
		return snprintf(buf, size, "0x%016" PRIx64, (uint64_t)addr);
	if (sym->module)
		return snprintf(buf, size, "%s+0x%" PRIx64 " [%s]", sym->name,
				(uint64_t)off, sym->module);
	return snprintf(buf, size, "%s+0x%" PRIx64, sym->name, (uint64_t)off);
}
