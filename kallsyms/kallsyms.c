// SPDX-License-Identifier: GPL-2.0-only
/* /proc/kallsyms symbolizer: one pass over the text keeping only text symbols,
 * names interned into one arena, a sorted array and binary-search lookup; each
 * symbol's end fixed once from /proc/modules ranges and the kernel text range. */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/log.h>

/* Longest line accepted, without its newline; real lines are far shorter. */
#define KSYM_LINE_MAX 4096
/* Without a known range, the last vmlinux symbol covers at most this much:
 * past it the address is in no function we know of (vmalloc, a module). */
#define KSYM_LAST_SPAN 0x100000ULL
/* Without a module range (no /proc/modules, hidden addresses, pseudo-modules
 * such as [bpf] or [__builtin__ftrace]), a module's last symbol covers at most
 * this much: larger than any one function, smaller than a module. */
#define KSYM_MOD_SPAN 0x10000ULL
/* A file-backed table re-reads its files on a miss at most this often. */
#define KSYM_REREAD_NS 1000000000ULL
/* Room for a /proc/modules name (the kernel allows MODULE_NAME_LEN - 1 = 55 bytes). */
#define KSYM_MODNAME_MAX 64
#define NO_MODULE UINT32_MAX
/* Read size: at least two maximal lines, so a line always fits after compaction. */
#define KSYM_BLOCK (16 * 1024)

struct line_reader {
	FILE *f;
	size_t start;		/* first unread byte */
	size_t end;		/* end of valid bytes */
	size_t lineno;		/* of the line last returned (or failed) */
	bool eof;
	char buf[KSYM_BLOCK + 1];
};

/* A symbol while the table is built: 24 bytes (a kernel has about 120,000
 * text symbols); names are arena offsets. */
struct ksym_entry {
	__u64 addr;
	__u32 size;		/* what it covers: [addr, addr + size) */
	__u32 name_off;		/* into the arena */
	__u32 mod_off;		/* into the arena; NO_MODULE for vmlinux */
	__u32 order;		/* alias preference (rank, lower wins) << 30 | line order: the sort's tie-breaks */
};
#define KSYM_SEQ_MAX ((1u << 30) - 1)

/* A symbol of the finished table, sorted by address: 16 bytes. Whose it is
 * (vmlinux or which module) is kept per run of symbols (struct ksym_run). */
struct ksym_sym {
	__u64 addr;
	__u32 name_off;		/* into the arena */
	__u32 size;		/* what it covers: [addr, addr + size) */
};

/* Symbols [first, the next run's first) belong to one owner. */
struct ksym_run {
	__u32 first;
	__u32 mod_off;		/* into the arena; NO_MODULE for vmlinux */
};

/* What one read of the files produced; swapped whole on a re-read. While it
 * is built, ents holds the symbols; finish_table turns them into syms (in
 * the same memory) and runs. */
struct ksym_table {
	struct ksym_entry *ents;
	struct ksym_sym *syms;
	struct ksym_run *runs;
	size_t cnt;
	size_t cap;
	size_t nruns;
	char *arena;
	size_t arena_len;
	size_t arena_cap;
	bool restricted;
};

struct skbd_ksyms {
	struct ksym_table t;
	/* file-backed tables (skbd_ksyms__open) only; NULL otherwise */
	char *kallsyms_path;
	char *modules_path;
	__u64 read_ns;		/* when the files were last read or tried */
	skbd_ksyms_clock_fn clock;
	void *clock_ctx;
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

	r->lineno++;
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

static struct line_reader *new_reader(FILE *f)
{
	struct line_reader *r = calloc(1, sizeof(*r));

	if (r)
		r->f = f;
	return r;
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

static const char *ent_module(const struct ksym_table *t, const struct ksym_entry *e)
{
	return e->mod_off == NO_MODULE ? NULL : t->arena + e->mod_off;
}

static __u64 sym_end(const struct ksym_sym *e)
{
	return e->addr + e->size; /* sizes are capped so that this never wraps */
}

/* The module symbol i belongs to (NULL: vmlinux): its run, by binary search. */
static const char *sym_module(const struct ksym_table *t, size_t i)
{
	size_t lo = 0, hi = t->nruns;

	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->runs[mid].first <= i)
			lo = mid;
		else
			hi = mid;
	}
	return !t->nruns || t->runs[lo].mod_off == NO_MODULE ? NULL : t->arena + t->runs[lo].mod_off;
}

/* Copy len bytes of s plus a NUL into the arena; *off gets their offset. */
static int intern_string(struct ksym_table *t, const char *s, size_t len, __u32 *off)
{
	if (t->arena_len + len + 1 >= NO_MODULE)
		return -ENOMEM; /* offsets are 32 bits (a real table needs about 3 MB) */
	if (len + 1 > t->arena_cap - t->arena_len) {
		size_t cap = t->arena_cap ? t->arena_cap : 64 * 1024;
		char *arena;

		while (len + 1 > cap - t->arena_len) {
			if (cap > SIZE_MAX / 2)
				return -ENOMEM;
			cap *= 2;
		}
		arena = realloc(t->arena, cap);
		if (!arena)
			return -ENOMEM;
		t->arena = arena;
		t->arena_cap = cap;
	}
	memcpy(t->arena + t->arena_len, s, len);
	t->arena[t->arena_len + len] = '\0';
	*off = (__u32)t->arena_len;
	t->arena_len += len + 1;
	return 0;
}

static int add_symbol(struct ksym_table *t, const struct ksym_line *l, int rank,
		      __u32 *last_mod_off)
{
	struct ksym_entry *e;
	int err;

	if (t->cnt == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 4096;
		struct ksym_entry *ents;

		if (cap > SIZE_MAX / sizeof(*ents) || t->cnt >= KSYM_SEQ_MAX)
			return -ENOMEM;
		ents = realloc(t->ents, cap * sizeof(*ents));
		if (!ents)
			return -ENOMEM;
		t->ents = ents;
		t->cap = cap;
	}
	e = &t->ents[t->cnt];
	memset(e, 0, sizeof(*e));
	e->addr = l->addr;
	e->order = (__u32)rank << 30 | (__u32)t->cnt;
	e->mod_off = NO_MODULE;
	err = intern_string(t, l->name, l->name_len, &e->name_off);
	if (err)
		return err;
	if (l->mod) {
		/* A module's symbols come in one run: share the previous
		 * copy of its name instead of storing it once per symbol. */
		if (*last_mod_off != NO_MODULE &&
		    !strncmp(t->arena + *last_mod_off, l->mod, l->mod_len) &&
		    t->arena[*last_mod_off + l->mod_len] == '\0') {
			e->mod_off = *last_mod_off;
		} else {
			err = intern_string(t, l->mod, l->mod_len, &e->mod_off);
			if (err)
				return err;
			*last_mod_off = e->mod_off;
		}
	}
	t->cnt++;
	return 0;
}

static int compare_entries(const void *a, const void *b)
{
	const struct ksym_entry *x = a, *y = b;

	if (x->addr != y->addr)
		return x->addr < y->addr ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

/* ---- ranges: /proc/modules and the kernel's text ---------------------- */

/* [start, end) of a module (its name) or of a piece of kernel text. */
struct ksym_range {
	__u64 start;
	__u64 end;
	char name[KSYM_MODNAME_MAX];
};

/* The kernel's marker symbols, of every type: arm64 types _etext 'D'. */
static const char *const text_marks[] = { "_stext", "_text", "_etext", "_sinittext", "_einittext" };
#define KSYM_NMARKS (sizeof(text_marks) / sizeof(text_marks[0]))

struct ksym_ranges {
	struct ksym_range *mods;	/* sorted by start, ends cut at the next start */
	size_t nmods;
	__u64 marks[KSYM_NMARKS];	/* addresses of text_marks, as read (0: missing) */
	struct ksym_range text[2];	/* [_stext, _etext), [_sinittext, _einittext) */
	size_t ntext;
};

static __u64 add_capped(__u64 a, __u64 b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

/* Next blank-separated token of *p: its start and length (0 at the end). */
static const char *next_token(const char **p, size_t *len)
{
	const char *s = *p, *e;

	while (is_blank(*s))
		s++;
	for (e = s; *e && !is_blank(*e); e++)
		;
	*p = e;
	*len = (size_t)(e - s);
	return s;
}

/* Parse "NAME SIZE REFS DEPS STATE 0xADDR [TAINT]" (kernel/module/procfs.c;
 * REFS is "-" without CONFIG_MODULE_UNLOAD). Returns 1 with *m filled, 0 for
 * a well-formed line without a usable range (address hidden: 0), -EINVAL
 * with *why. Text after the address (taint flags) is not checked. */
static int parse_module_line(const char *s, struct ksym_range *m, const char **why)
{
	const char *tok, *p = s;
	__u64 size = 0, addr = 0;
	size_t len, i;
	int v;

	tok = next_token(&p, &len);
	if (len == 0) {
		*why = "empty line";
		return -EINVAL;
	}
	if (len >= sizeof(m->name)) {
		*why = "module name too long";
		return -EINVAL;
	}
	memcpy(m->name, tok, len);
	m->name[len] = '\0';

	tok = next_token(&p, &len);
	if (len == 0 || len > 19) {
		*why = len ? "bad size" : "missing size";
		return -EINVAL;
	}
	for (i = 0; i < len; i++) {
		if (tok[i] < '0' || tok[i] > '9') {
			*why = "bad size";
			return -EINVAL;
		}
		size = size * 10 + (__u64)(tok[i] - '0');
	}
	/* refcount, dependencies, state: not needed */
	for (i = 0; i < 3; i++) {
		next_token(&p, &len);
		if (len == 0) {
			*why = "missing fields";
			return -EINVAL;
		}
	}
	tok = next_token(&p, &len);
	if (len == 0) {
		*why = "missing address";
		return -EINVAL;
	}
	if (len < 3 || len > 18 || tok[0] != '0' || tok[1] != 'x') {
		*why = "bad address";
		return -EINVAL;
	}
	for (i = 2; i < len; i++) {
		v = hex_value(tok[i]);
		if (v < 0) {
			*why = "bad address";
			return -EINVAL;
		}
		addr = addr << 4 | (__u64)v;
	}
	if (addr == 0 || size == 0)
		return 0;
	m->start = addr;
	m->end = add_capped(addr, size);
	return 1;
}

static int compare_ranges(const void *a, const void *b)
{
	const struct ksym_range *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return 0;
}

/* Read the module ranges from f into r. Never fails the table: malformed
 * lines are skipped with one warning; a read error (or a line too long to be
 * /proc/modules) drops every range, with a warning. */
static void read_modules(FILE *f, struct ksym_ranges *r)
{
	size_t lineno, bad = 0, first_bad = 0, cap = 0, i;
	const char *why, *first_why = NULL;
	struct line_reader *lr;
	struct ksym_range m;
	char *line;
	int err;

	lr = new_reader(f);
	if (!lr) {
		skbd_log(SKBD_LOG_WARN, "kallsyms: modules: out of memory, module ranges unknown");
		return;
	}
	while ((err = read_line(lr, &line)) != 0) {
		lineno = lr->lineno;
		if (err < 0) {
			skbd_log(SKBD_LOG_WARN, "kallsyms: modules line %zu: %s, module ranges unknown",
				 lineno, err == -EIO ? "read error" : "not a /proc/modules line");
			goto drop_all;
		}
		err = parse_module_line(line, &m, &why);
		if (err < 0) {
			if (!bad++) {
				first_bad = lineno;
				first_why = why;
			}
			continue;
		}
		if (err == 0)
			continue;
		if (r->nmods == cap) {
			struct ksym_range *mods;

			cap = cap ? cap * 2 : 64;
			mods = realloc(r->mods, cap * sizeof(*mods));
			if (!mods) {
				skbd_log(SKBD_LOG_WARN, "kallsyms: modules: out of memory, module ranges unknown");
				goto drop_all;
			}
			r->mods = mods;
		}
		r->mods[r->nmods++] = m;
	}
	if (bad)
		skbd_log(SKBD_LOG_WARN, "kallsyms: modules line %zu: %s (%zu malformed lines skipped)",
			 first_bad, first_why, bad);
	free(lr);
	if (r->nmods)
		qsort(r->mods, r->nmods, sizeof(*r->mods), compare_ranges);
	/* Since 6.4 SIZE counts every region of the module (text, data,
	 * rodata) while ADDR is its text: the range may run into the next
	 * module, so it ends where that one starts. */
	for (i = 0; i + 1 < r->nmods; i++) {
		if (r->mods[i].end > r->mods[i + 1].start)
			r->mods[i].end = r->mods[i + 1].start;
	}
	return;

drop_all:
	free(lr);
	free(r->mods);
	r->mods = NULL;
	r->nmods = 0;
}

/* Note a vmlinux marker symbol of l (any type: the table keeps text symbols
 * only, and arm64's _etext is 'D'); the first of each name counts. */
static void note_mark(const struct ksym_line *l, struct ksym_ranges *r)
{
	if (l->mod || l->name_len < 2 || l->name[0] != '_')
		return;
	for (size_t k = 0; k < KSYM_NMARKS; k++) {
		if (!r->marks[k] && strlen(text_marks[k]) == l->name_len &&
		    !memcmp(l->name, text_marks[k], l->name_len))
			r->marks[k] = l->addr;
	}
}

/* The kernel's text ranges from its marker symbols, where both ends exist.
 * _text is _stext's alias on x86 (on arm64 it starts the image header,
 * before _stext); it stands in when _stext is missing. */
static void find_text_ranges(struct ksym_ranges *r)
{
	__u64 at[KSYM_NMARKS];

	memcpy(at, r->marks, sizeof(at));
	if (!at[0])
		at[0] = at[1];
	r->ntext = 0;
	if (at[0] && at[2] > at[0]) {
		r->text[r->ntext].start = at[0];
		r->text[r->ntext++].end = at[2];
	}
	if (at[3] && at[4] > at[3]) {
		r->text[r->ntext].start = at[3];
		r->text[r->ntext++].end = at[4];
	}
}

static const struct ksym_range *find_module_range(const struct ksym_ranges *r, const char *name)
{
	for (size_t i = 0; i < r->nmods; i++) {
		if (!strcmp(r->mods[i].name, name))
			return &r->mods[i];
	}
	return NULL;
}

static bool same_owner(const struct ksym_table *t, const struct ksym_entry *a, const struct ksym_entry *b)
{
	if (a->mod_off == NO_MODULE || b->mod_off == NO_MODULE)
		return a->mod_off == b->mod_off;
	return a->mod_off == b->mod_off || !strcmp(ent_module(t, a), ent_module(t, b));
}

/* The end of what entry i covers; next is the first entry past its start
 * (cnt when none). The rules are those of skbd_ksyms__lookup's comment. */
static __u64 entry_end(const struct ksym_table *t, size_t i, size_t next,
		       const struct ksym_range *mod, const struct ksym_ranges *r)
{
	const struct ksym_entry *s = &t->ents[i];
	__u64 limit = next < t->cnt ? t->ents[next].addr : UINT64_MAX;
	bool last_of_owner = next == t->cnt || !same_owner(t, s, &t->ents[next]);
	size_t k;

	if (s->mod_off != NO_MODULE) {
		if (mod && s->addr >= mod->start && s->addr < mod->end)
			return limit < mod->end ? limit : mod->end;
		if (!last_of_owner)
			return limit;
		return limit < add_capped(s->addr, KSYM_MOD_SPAN) ? limit : add_capped(s->addr, KSYM_MOD_SPAN);
	}
	if (r->ntext) {
		for (k = 0; k < r->ntext; k++) {
			if (s->addr >= r->text[k].start && s->addr < r->text[k].end)
				return limit < r->text[k].end ? limit : r->text[k].end;
		}
		/* Nothing runs there: the end markers (_etext), .exit.text in
		 * the init area freed after boot, and on 7.x data symbols,
		 * which its kallsyms types 't'/'T' (checked in the kmatrix). */
		return s->addr;
	}
	if (!last_of_owner)
		return limit;
	return limit < add_capped(s->addr, KSYM_LAST_SPAN) ? limit : add_capped(s->addr, KSYM_LAST_SPAN);
}

static void sift_down(struct ksym_entry *a, size_t root, size_t n)
{
	for (;;) {
		size_t child = 2 * root + 1;
		struct ksym_entry tmp;

		if (child >= n)
			return;
		if (child + 1 < n && compare_entries(&a[child], &a[child + 1]) < 0)
			child++;
		if (compare_entries(&a[root], &a[child]) >= 0)
			return;
		tmp = a[root];
		a[root] = a[child];
		a[child] = tmp;
		root = child;
	}
}

/* Heapsort, in place: qsort may allocate a copy of the whole array (3 MB
 * for a kernel's), which would be the table's peak memory. Ties cannot
 * occur (order is unique), so stability does not matter. */
static void sort_entries(struct ksym_entry *a, size_t n)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(a, i, n);
	for (size_t end = n; end > 1; end--) {
		struct ksym_entry tmp = a[0];

		a[0] = a[end - 1];
		a[end - 1] = tmp;
		sift_down(a, 0, end - 1);
	}
}

/* Runs of symbols of one owner, built as the symbols are compacted. */
static int add_run(struct ksym_table *t, __u32 first, __u32 mod_off, size_t *cap)
{
	if (t->nruns && t->runs[t->nruns - 1].mod_off == mod_off)
		return 0;
	if (t->nruns == *cap) {
		size_t n = *cap ? *cap * 2 : 64;
		struct ksym_run *runs = realloc(t->runs, n * sizeof(*runs));

		if (!runs)
			return -ENOMEM;
		t->runs = runs;
		*cap = n;
	}
	t->runs[t->nruns].first = first;
	t->runs[t->nruns++].mod_off = mod_off;
	return 0;
}

/* Sort, fix every entry's extent, turn the entries into the compact
 * symbols and runs (in place), and give back what the growing arrays
 * reserved beyond their use. -ENOMEM. */
static int finish_table(struct ksym_table *t, struct ksym_ranges *r)
{
	const struct ksym_range *mod = NULL;
	struct ksym_entry *ents;
	__u32 mod_off = NO_MODULE;
	size_t i, next = 0, runs_cap = 0;

	sort_entries(t->ents, t->cnt);
	find_text_ranges(r);
	for (i = 0; i < t->cnt; i++) {
		struct ksym_entry *s = &t->ents[i];
		__u64 end;

		while (next < t->cnt && t->ents[next].addr <= s->addr)
			next++;
		/* one module's symbols are adjacent: look its range up once */
		if (s->mod_off != NO_MODULE && s->mod_off != mod_off) {
			mod_off = s->mod_off;
			mod = find_module_range(r, ent_module(t, s));
		}
		end = entry_end(t, i, next, s->mod_off != NO_MODULE ? mod : NULL, r);
		/* no function is 4 GiB long: a larger extent (only made-up
		 * addresses have one) is cut, and addr + size never wraps */
		if (end - s->addr > UINT32_MAX)
			end = s->addr + UINT32_MAX;
		s->size = (__u32)(end - s->addr);
		if (s->addr > UINT64_MAX - s->size)
			s->size = (__u32)(UINT64_MAX - s->addr);
	}
	/* sym i (16 bytes at 16 i) never reaches an entry not yet read (24 bytes at 24 i) */
	ents = t->ents;
	t->syms = (struct ksym_sym *)(void *)ents;
	t->ents = NULL; /* one buffer, freed once whatever happens below */
	for (i = 0; i < t->cnt; i++) {
		struct ksym_entry e = ents[i];

		if (add_run(t, (__u32)i, e.mod_off, &runs_cap))
			return -ENOMEM;
		t->syms[i].addr = e.addr;
		t->syms[i].name_off = e.name_off;
		t->syms[i].size = e.size;
	}
	if (t->cnt) {
		struct ksym_sym *e = realloc(t->syms, t->cnt * sizeof(*e));

		if (e)
			t->syms = e;
	}
	if (t->arena_len && t->arena_len < t->arena_cap) {
		char *a = realloc(t->arena, t->arena_len);

		if (a) {
			t->arena = a;
			t->arena_cap = t->arena_len;
		}
	}
	return 0;
}

static void free_table(struct ksym_table *t)
{
	free(t->ents);
	free(t->syms);
	free(t->runs);
	free(t->arena);
	memset(t, 0, sizeof(*t));
}

/* The padding before a function (x86, 6.2+): __pfx_NAME covers the 16
 * bytes of NOPs or call-depth thunk in front of NAME, __cfi_NAME the
 * control-flow-integrity check there. No packet is freed in them, so they
 * are not kept: about half of a kernel's text symbols (58,000 of 122,000 on
 * 6.18), 2.5 MB of the table. The function before covers those bytes then. */
static bool is_padding(const struct ksym_line *l)
{
	return l->name_len > 6 && (!memcmp(l->name, "__pfx_", 6) || !memcmp(l->name, "__cfi_", 6));
}

/* Fill t from kallsyms text and, when modules is not NULL, its ranges. */
static int read_table(FILE *f, FILE *modules, struct ksym_table *t)
{
	size_t lineno;
	__u32 last_mod_off = NO_MODULE;
	struct ksym_ranges ranges = { 0 };
	bool seen_any = false, all_zero = true;
	struct line_reader *r;
	struct ksym_line l;
	const char *why;
	char *line;
	int err, rank;

	memset(t, 0, sizeof(*t));
	r = new_reader(f);
	if (!r)
		return -ENOMEM;
	while ((err = read_line(r, &line)) != 0) {
		lineno = r->lineno;
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
		note_mark(&l, &ranges);
		rank = rank_type(l.type);
		if (rank < 0 || is_padding(&l))
			continue;
		err = add_symbol(t, &l, rank, &last_mod_off);
		if (err) {
			skbd_log(SKBD_LOG_WARN, "kallsyms: line %zu: out of memory", lineno);
			goto err_free;
		}
	}
	free(r);
	t->restricted = seen_any && all_zero;
	if (modules && !t->restricted)
		read_modules(modules, &ranges);
	err = finish_table(t, &ranges);
	free(ranges.mods);
	if (err) {
		skbd_log(SKBD_LOG_WARN, "kallsyms: out of memory");
		free_table(t);
		return err;
	}
	return 0;

err_free:
	free(r);
	free_table(t);
	return err;
}

int skbd_ksyms__new_with_modules(FILE *kallsyms, FILE *modules, struct skbd_ksyms **out)
{
	struct skbd_ksyms *ks;
	int err;

	if (!kallsyms || !out)
		return -EINVAL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	err = read_table(kallsyms, modules, &ks->t);
	if (err) {
		skbd_ksyms__free(ks);
		return err;
	}
	*out = ks;
	return 0;
}

int skbd_ksyms__new(FILE *f, struct skbd_ksyms **out)
{
	return skbd_ksyms__new_with_modules(f, NULL, out);
}

static __u64 monotonic_ns(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

/* Read the table's files into t. A modules file that cannot be opened gives
 * no ranges (CONFIG_MODULES=n has no /proc/modules). */
static int read_files(const struct skbd_ksyms *ks, struct ksym_table *t)
{
	FILE *kf, *mf;
	int err;

	kf = fopen(ks->kallsyms_path, "re");
	if (!kf)
		return -errno;
	mf = fopen(ks->modules_path, "re");
	err = read_table(kf, mf, t);
	if (mf)
		fclose(mf);
	fclose(kf);
	return err;
}

int skbd_ksyms__open(const char *kallsyms_path, const char *modules_path, struct skbd_ksyms **out)
{
	struct skbd_ksyms *ks;
	int err;

	if (!out)
		return -EINVAL;
	ks = calloc(1, sizeof(*ks));
	if (!ks)
		return -ENOMEM;
	ks->clock = monotonic_ns;
	ks->kallsyms_path = strdup(kallsyms_path ? kallsyms_path : "/proc/kallsyms");
	ks->modules_path = strdup(modules_path ? modules_path : "/proc/modules");
	if (!ks->kallsyms_path || !ks->modules_path) {
		err = -ENOMEM;
		goto err_free;
	}
	err = read_files(ks, &ks->t);
	if (err)
		goto err_free;
	ks->read_ns = ks->clock(ks->clock_ctx);
	*out = ks;
	return 0;

err_free:
	skbd_ksyms__free(ks);
	return err;
}

void skbd_ksyms__free(struct skbd_ksyms *ks)
{
	if (!ks)
		return;
	free_table(&ks->t);
	free(ks->kallsyms_path);
	free(ks->modules_path);
	free(ks);
}

void skbd_ksyms__set_clock(struct skbd_ksyms *ks, skbd_ksyms_clock_fn now_ns, void *ctx)
{
	if (!ks)
		return;
	ks->clock = now_ns ? now_ns : monotonic_ns;
	ks->clock_ctx = now_ns ? ctx : NULL;
	ks->read_ns = ks->clock(ks->clock_ctx);
}

bool skbd_ksyms__restricted(const struct skbd_ksyms *ks)
{
	return ks && ks->t.restricted;
}

size_t skbd_ksyms__count(const struct skbd_ksyms *ks)
{
	return ks ? ks->t.cnt : 0;
}

/* Index of the first entry whose start is > addr (0..cnt). */
static size_t find_upper(const struct ksym_table *t, __u64 addr)
{
	size_t lo = 0, hi = t->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr <= addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* Index of the first entry whose start is >= addr. */
static size_t find_lower(const struct ksym_table *t, __u64 addr)
{
	size_t lo = 0, hi = t->cnt;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->syms[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int skbd_ksyms__lookup(const struct skbd_ksyms *ks, __u64 addr, struct skbd_ksym *sym, __u64 *offset)
{
	const struct ksym_sym *e;
	size_t i;

	if (!ks || ks->t.restricted || !ks->t.cnt)
		return -ENOENT;
	i = find_upper(&ks->t, addr);
	if (i == 0)
		return -ENOENT;
	/* Aliases share a start: the sort put the preferred one first. */
	i = find_lower(&ks->t, ks->t.syms[i - 1].addr);
	e = &ks->t.syms[i];
	if (addr >= sym_end(e))
		return -ENOENT;
	if (offset)
		*offset = addr - e->addr;
	if (sym) {
		sym->addr = e->addr;
		sym->name = ks->t.arena + e->name_off;
		sym->module = sym_module(&ks->t, i);
	}
	return 0;
}

int skbd_ksyms__each(const struct skbd_ksyms *ks, const char *pattern,
		     void (*fn)(void *ctx, const char *name, __u64 start, __u64 end), void *ctx)
{
	size_t plen = strlen(pattern), found = 0;
	bool suffix = plen > 1 && pattern[0] == '*';

	if (!ks || ks->t.restricted)
		return -ENOENT;
	for (size_t i = 0; i < ks->t.cnt; i++) {
		const struct ksym_sym *e = &ks->t.syms[i];
		const char *name = ks->t.arena + e->name_off;
		size_t n = strlen(name);

		if (!e->size)
			continue;
		if (suffix ? n >= plen - 1 && !strcmp(name + n - (plen - 1), pattern + 1) :
			     !strcmp(name, pattern) && !sym_module(&ks->t, i)) {
			fn(ctx, name, e->addr, sym_end(e));
			found++;
		}
	}
	return found ? 0 : -ENOENT;
}

int skbd_ksyms__range(const struct skbd_ksyms *ks, const char *name, __u64 *start, __u64 *end)
{
	if (!ks || ks->t.restricted)
		return -ENOENT;
	for (size_t i = 0; i < ks->t.cnt; i++) {
		const struct ksym_sym *e = &ks->t.syms[i];

		if (e->size && !strcmp(ks->t.arena + e->name_off, name) && !sym_module(&ks->t, i)) {
			*start = e->addr;
			*end = sym_end(e);
			return 0;
		}
	}
	return -ENOENT;
}

static int format_symbol(const struct skbd_ksym *sym, __u64 addr, __u64 off, char *buf, size_t size)
{
	if (!sym)
		return snprintf(buf, size, "0x%016" PRIx64, (uint64_t)addr);
	if (sym->module)
		return snprintf(buf, size, "%s+0x%" PRIx64 " [%s]", sym->name,
				(uint64_t)off, sym->module);
	return snprintf(buf, size, "%s+0x%" PRIx64, sym->name, (uint64_t)off);
}

int skbd_ksyms__format(const struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size)
{
	struct skbd_ksym sym;
	__u64 off = 0;

	int err = skbd_ksyms__lookup(ks, addr, &sym, &off); /* before off is read */

	return format_symbol(err ? NULL : &sym, addr, off, buf, size);
}

/* Re-read the files when the last read is more than KSYM_REREAD_NS old.
 * The old table stays when the new read fails. */
static void maybe_reread(struct skbd_ksyms *ks)
{
	struct ksym_table t;
	__u64 now;
	int err;

	now = ks->clock(ks->clock_ctx);
	if (now - ks->read_ns <= KSYM_REREAD_NS)
		return;
	ks->read_ns = now;
	err = read_files(ks, &t);
	if (err) {
		skbd_log(SKBD_LOG_WARN, "kallsyms: re-reading %s: %s, keeping the old symbols",
			 ks->kallsyms_path, strerror(-err));
		return;
	}
	free_table(&ks->t);
	ks->t = t;
	skbd_log(SKBD_LOG_DEBUG, "kallsyms: re-read %s: %zu symbols", ks->kallsyms_path, t.cnt);
}

int skbd_ksyms__symbolize(struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size, bool *may_change)
{
	struct skbd_ksym sym;
	bool live = ks && ks->kallsyms_path && !ks->t.restricted;
	__u64 off = 0;
	int err;

	err = skbd_ksyms__lookup(ks, addr, &sym, &off);
	if (err && live) {
		maybe_reread(ks);
		err = skbd_ksyms__lookup(ks, addr, &sym, &off);
	}
	if (may_change)
		*may_change = err && live && !ks->t.restricted;
	return format_symbol(err ? NULL : &sym, addr, off, buf, size);
}
