// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the kallsyms symbolizer: fixtures under tests/fixtures/kallsyms,
 * malformed text through fmemopen, and the running kernel's /proc/kallsyms. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <CUnit/CUnit.h>
#include <skbdrop/kallsyms.h>
#include "testutil.h"

#define KS_FIXTURE(name) SKBD_FIXTURES "/kallsyms/" name

/* Parse len bytes of text; returns the error and frees any table. */
static int parse_mem(const char *text, size_t len)
{
	struct skbd_ksyms *ks = (struct skbd_ksyms *)0x1;
	FILE *f;
	int err;

	if (len == 0)
		f = fopen("/dev/null", "r");
	else
		f = fmemopen((void *)text, len, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	err = skbd_ksyms__new(f, &ks);
	fclose(f);
	if (err == 0) {
		char buf[64];

		/* a table from a truncated file must still be usable */
		skbd_ksyms__lookup(ks, 0xffffffff81001234ULL, NULL, NULL);
		skbd_ksyms__format(ks, 0xffffffffc0a01010ULL, buf, sizeof(buf));
		skbd_ksyms__free(ks);
	} else {
		/* *out is written only on success */
		CU_ASSERT_PTR_EQUAL(ks, (struct skbd_ksyms *)0x1);
	}
	return err;
}

static void expect_sym(const struct skbd_ksyms *ks, __u64 addr, const char *name,
		       const char *module, __u64 want_off)
{
	struct skbd_ksym found, *sym = &found;
	__u64 off = ~0ULL;

	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__lookup(ks, addr, sym, &off), 0);
	CU_ASSERT_STRING_EQUAL(sym->name, name);
	if (module) {
		CU_ASSERT_PTR_NOT_NULL_FATAL(sym->module);
		CU_ASSERT_STRING_EQUAL(sym->module, module);
	} else {
		CU_ASSERT_PTR_NULL(sym->module);
	}
	CU_ASSERT_EQUAL(off, want_off);
	CU_ASSERT_EQUAL(addr - sym->addr, want_off);
}

static void expect_format(const struct skbd_ksyms *ks, __u64 addr, const char *want)
{
	char buf[256];
	int n;

	n = skbd_ksyms__format(ks, addr, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
}

static void test_basic_count(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	/* 16 lines: A, D, R, d, b dropped; T, t, W, w kept */
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 11);
	CU_ASSERT_FALSE(skbd_ksyms__restricted(ks));
	skbd_ksyms__free(ks);
}

static void test_lookup_exact(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	expect_sym(ks, 0xffffffff81001000ULL, "func_a", NULL, 0);
	expect_sym(ks, 0xffffffff81002000ULL, "func_b", NULL, 0);
	expect_sym(ks, 0xffffffffc0a01000ULL, "nft_do_chain", "nf_tables", 0);
	expect_format(ks, 0xffffffff81002000ULL, "func_b+0x0");
	skbd_ksyms__free(ks);
}

static void test_lookup_mid(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	expect_sym(ks, 0xffffffff81001234ULL, "func_a", NULL, 0x234);
	expect_format(ks, 0xffffffff81001234ULL, "func_a+0x234");
	expect_format(ks, 0xffffffff81002abcULL, "func_b+0xabc");
	skbd_ksyms__free(ks);
}

static void test_lookup_before_next(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	expect_sym(ks, 0xffffffff81001fffULL, "func_a", NULL, 0xfff);
	expect_sym(ks, 0xffffffff81000fffULL, "_stext", NULL, 0xfff);
	expect_sym(ks, 0xffffffffc0a00fffULL, "nft_register_chain_type", "nf_tables", 0xfff);
	skbd_ksyms__free(ks);
}

static void test_lookup_below_first(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));
	__u64 off = 0x1234;

	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffff80ffffffULL, NULL, &off), -ENOENT);
	CU_ASSERT_EQUAL(off, 0x1234); /* untouched on a miss */
	/* the 'A' symbol at 0 must not be kept */
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0, NULL, &off), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0x10, NULL, NULL), -ENOENT);
	expect_format(ks, 0xffffffff80ffffffULL, "0xffffffff80ffffff");
	expect_format(ks, 0x10, "0x0000000000000010");
	skbd_ksyms__free(ks);
}

static void test_lookup_past_last(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	/* without module ranges a module's last symbol covers 64 KiB */
	expect_sym(ks, 0xffffffffc0b00000ULL + 0xffff, "br_handle_frame", "bridge", 0xffff);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffffc0b00000ULL + 0x10000, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffffffffffffULL, NULL, NULL), -ENOENT);
	expect_format(ks, 0xffffffffc0b10000ULL, "0xffffffffc0b10000");
	/* and the last vmlinux symbol (no _etext here) 1 MiB */
	expect_sym(ks, 0xffffffff81005000ULL + 0xfffff, "weak_local", NULL, 0xfffff);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffff81005000ULL + 0x100000, NULL, NULL), -ENOENT);
	expect_format(ks, 0xffffffffffffffffULL, "0xffffffffffffffff");
	skbd_ksyms__free(ks);
}

static void test_module_format(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	expect_format(ks, 0xffffffffc0a01010ULL, "nft_do_chain+0x10 [nf_tables]");
	expect_format(ks, 0xffffffffc0a01000ULL, "nft_do_chain+0x0 [nf_tables]");
	expect_format(ks, 0xffffffffc0a00000ULL, "nft_register_chain_type+0x0 [nf_tables]");
	expect_format(ks, 0xffffffffc0b0abcdULL, "br_handle_frame+0xabcd [bridge]");
	skbd_ksyms__free(ks);
}

static void test_module_dedup(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));
	struct skbd_ksym a, b;

	/* consecutive symbols of one module share one copy of its name */
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__lookup(ks, 0xffffffffc0a00000ULL, &a, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__lookup(ks, 0xffffffffc0a01000ULL, &b, NULL), 0);
	CU_ASSERT_PTR_EQUAL(a.module, b.module);
	skbd_ksyms__free(ks);
}

static void test_non_text_ignored(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	/* D some_data at +0x1800 sits inside func_a */
	expect_sym(ks, 0xffffffff81001800ULL, "func_a", NULL, 0x800);
	expect_sym(ks, 0xffffffff81001900ULL, "func_a", NULL, 0x900);
	/* R at +0x3800 and b at +0x4000 sit inside weak_fn_impl */
	expect_sym(ks, 0xffffffff81003800ULL, "weak_fn_impl", NULL, 0x800);
	expect_sym(ks, 0xffffffff81004100ULL, "weak_fn_impl", NULL, 0x1100);
	/* d nft_chain_data inside nft_do_chain */
	expect_format(ks, 0xffffffffc0a02010ULL, "nft_do_chain+0x1010 [nf_tables]");
	skbd_ksyms__free(ks);
}

static void test_unsorted_sorted(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));
	static const struct { __u64 addr; const char *name; int owner; } order[] = {
		{ 0xffffffff81000000ULL, "_stext", 0 },
		{ 0xffffffff81001000ULL, "func_a", 0 },
		{ 0xffffffff81002000ULL, "func_b", 0 },
		{ 0xffffffff81003000ULL, "weak_fn_impl", 0 },
		{ 0xffffffff81005000ULL, "weak_local", 0 },
		{ 0xffffffffc0a00000ULL, "nft_register_chain_type", 1 },
		{ 0xffffffffc0a01000ULL, "nft_do_chain", 1 },
		{ 0xffffffffc0b00000ULL, "br_handle_frame", 2 },
	};

	/* the file lists these out of order; each start and the byte before
	 * the next start of the same owner must land on the right symbol */
	for (size_t i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		struct skbd_ksym found, *sym = &found;

		CU_ASSERT_EQUAL_FATAL(skbd_ksyms__lookup(ks, order[i].addr, sym, NULL), 0);
		CU_ASSERT_STRING_EQUAL(sym->name, order[i].name);
		CU_ASSERT_EQUAL(sym->addr, order[i].addr);
		if (i + 1 < sizeof(order) / sizeof(order[0]) && order[i + 1].owner == order[i].owner) {
			CU_ASSERT_EQUAL_FATAL(skbd_ksyms__lookup(ks, order[i + 1].addr - 1, sym, NULL), 0);
			CU_ASSERT_STRING_EQUAL(sym->name, order[i].name);
		}
	}
	skbd_ksyms__free(ks);
}

static void test_alias_preference(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));

	/* t local_alias, T _stext, T _text share a start: first global wins */
	expect_sym(ks, 0xffffffff81000000ULL, "_stext", NULL, 0);
	expect_sym(ks, 0xffffffff81000010ULL, "_stext", NULL, 0x10);
	/* W weak_fn is listed before T weak_fn_impl: T wins */
	expect_sym(ks, 0xffffffff81003000ULL, "weak_fn_impl", NULL, 0);
	/* a lone 'w' symbol is kept */
	expect_sym(ks, 0xffffffff81005000ULL, "weak_local", NULL, 0);
	skbd_ksyms__free(ks);
}

static void test_restricted(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("restricted.txt"));

	CU_ASSERT_TRUE(skbd_ksyms__restricted(ks));
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 4);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0x10, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffff81001000ULL, NULL, NULL), -ENOENT);
	expect_format(ks, 0, "0x0000000000000000");
	expect_format(ks, 0xffffffff81001234ULL, "0xffffffff81001234");
	skbd_ksyms__free(ks);
}

static void test_empty(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("empty.txt"));

	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 0);
	CU_ASSERT_FALSE(skbd_ksyms__restricted(ks));
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffff81000000ULL, NULL, NULL), -ENOENT);
	expect_format(ks, 0xffffffff81000000ULL, "0xffffffff81000000");
	skbd_ksyms__free(ks);

	/* only data symbols: nothing kept, but addresses were real */
	ks = tu_load_ksyms(KS_FIXTURE("notext.txt"));
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 0);
	CU_ASSERT_FALSE(skbd_ksyms__restricted(ks));
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffff81001000ULL, NULL, NULL), -ENOENT);
	skbd_ksyms__free(ks);
}

static void test_null_handle(void)
{
	struct skbd_ksyms *ks = NULL;
	char buf[32];

	expect_format(NULL, 0xffffffff81000000ULL, "0xffffffff81000000");
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(NULL, 0xffffffff81000000ULL, NULL, NULL), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__count(NULL), 0);
	CU_ASSERT_FALSE(skbd_ksyms__restricted(NULL));
	CU_ASSERT_EQUAL(skbd_ksyms__new(NULL, &ks), -EINVAL);
	CU_ASSERT_PTR_NULL(ks);
	skbd_ksyms__free(NULL);
	CU_ASSERT_EQUAL(skbd_ksyms__format(NULL, 1, buf, sizeof(buf)), 18);
}

static void test_format_truncation(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));
	const char *want = "nft_do_chain+0x10 [nf_tables]";
	char buf[8];
	int n;

	memset(buf, 'x', sizeof(buf));
	n = skbd_ksyms__format(ks, 0xffffffffc0a01010ULL, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, "nft_do_");
	n = skbd_ksyms__format(ks, 0xffffffffc0a01010ULL, NULL, 0);
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	n = skbd_ksyms__format(ks, 0x1, buf, sizeof(buf));
	CU_ASSERT_EQUAL(n, 18);
	CU_ASSERT_STRING_EQUAL(buf, "0x00000");
	skbd_ksyms__free(ks);
}

static void test_malformed_fixtures(void)
{
	static const struct { const char *path; const char *msg; } cases[] = {
		{ KS_FIXTURE("bad_address.txt"), "kallsyms: line 3: bad address" },
		{ KS_FIXTURE("bad_module.txt"), "kallsyms: line 2: unterminated module name" },
		{ KS_FIXTURE("long_address.txt"),
		  "kallsyms: line 2: address longer than 16 hex digits" },
		{ KS_FIXTURE("short_line.txt"), "kallsyms: line 2: missing name" },
	};

	tu_log_quiet();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct skbd_ksyms *ks = NULL;
		FILE *f = fopen(cases[i].path, "r");

		CU_ASSERT_PTR_NOT_NULL_FATAL(f);
		tu_log_quiet();
		CU_ASSERT_EQUAL(skbd_ksyms__new(f, &ks), -EINVAL);
		fclose(f);
		CU_ASSERT_PTR_NULL(ks);
		CU_ASSERT_EQUAL(tu_log_count(), 1);
		CU_ASSERT_STRING_EQUAL(tu_log_last(), cases[i].msg);
	}
	tu_log_restore();
}

#define MAL(s) { s, sizeof(s) - 1 }

static void test_malformed_table(void)
{
	static const struct { const char *text; size_t len; } cases[] = {
		MAL("ffffffff81000000 T\n"),			/* two fields */
		MAL("ffffffff81000000\n"),			/* one field */
		MAL("ffffffff81000000 \n"),
		MAL("zzzzzzzz81000000 T foo\n"),		/* not hex */
		MAL("ffffffff8100000g T foo\n"),
		MAL("0xffffffff81000000 T foo\n"),
		MAL("-1 T foo\n"),
		MAL(" ffffffff81000000 T foo\n"),		/* leading blank */
		MAL("1ffffffff81000000 T foo\n"),		/* 17 digits */
		MAL("00000000000000000 T foo\n"),
		MAL("ffffffff81000000 T \t[nf_tables]\n"),	/* empty name */
		MAL("ffffffff81000000 T foo\t[nf_tables\n"),	/* unterminated */
		MAL("ffffffff81000000 T foo\t[nf_tables"),
		MAL("ffffffff81000000 T foo\t[\n"),
		MAL("ffffffff81000000 T foo\t[]\n"),		/* empty module */
		MAL("ffffffff81000000 T foo bar\n"),		/* fourth field */
		MAL("ffffffff81000000 T foo\t[nf_tables] x\n"),
		MAL("ffffffff81000000 TT foo\n"),		/* type too long */
		MAL("\n"),					/* empty line */
		MAL("ffffffff81000000 T foo\n\n"),
		MAL("ffffffff81000000 T f\0o\n"),		/* NUL byte */
		MAL("ffffffff81000000 T foo\nffffffff8100zz00 t bar\n"),
	};

	tu_log_quiet();
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		tu_log_quiet();
		CU_ASSERT_EQUAL(parse_mem(cases[i].text, cases[i].len), -EINVAL);
		CU_ASSERT_EQUAL(tu_log_count(), 1);
		CU_ASSERT_NSTRING_EQUAL(tu_log_last(), "kallsyms: line ", 15);
		if (tu_log_count() != 1)
			fprintf(stderr, "\nmalformed case %zu not rejected once\n", i);
	}
	tu_log_restore();
}

static void test_long_lines(void)
{
	const size_t prefix = strlen("ffffffff81000000 T ");
	char *text = malloc(8192);
	struct skbd_ksyms *ks = NULL;
	FILE *f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	/* exactly 4096 bytes before the newline: accepted */
	memcpy(text, "ffffffff81000000 T ", prefix);
	memset(text + prefix, 'a', 4096 - prefix);
	text[4096] = '\n';
	f = fmemopen(text, 4097, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(skbd_ksyms__new(f, &ks), 0);
	fclose(f);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 1);
	skbd_ksyms__free(ks);

	/* 4097 bytes, then a line far past the limit: rejected */
	tu_log_quiet();
	text[4096] = 'a';
	text[4097] = '\n';
	CU_ASSERT_EQUAL(parse_mem(text, 4098), -EINVAL);
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	CU_ASSERT_STRING_EQUAL(tu_log_last(), "kallsyms: line 1: longer than 4096 bytes");
	memset(text + prefix, 'b', 8192 - prefix);
	tu_log_quiet();
	CU_ASSERT_EQUAL(parse_mem(text, 8192), -EINVAL);
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	tu_log_restore();
	free(text);
}

static void test_max_lines_many(void)
{
	const size_t nlines = 40, width = 4097; /* 4096 bytes + newline */
	char *text = malloc(nlines * width);
	struct skbd_ksyms *ks = NULL;
	struct skbd_ksym found, *sym = &found;
	FILE *f;

	/* maximal lines straddle every internal read boundary */
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	for (size_t i = 0; i < nlines; i++) {
		char *line = text + i * width;
		int n = snprintf(line, width, "ffffffff81%06zx T f%02zu_", i * 0x100, i);

		memset(line + n, 'x', 4096 - (size_t)n);
		line[4096] = '\n';
	}
	f = fmemopen(text, nlines * width, "r");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new(f, &ks), 0);
	fclose(f);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), nlines);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__lookup(ks, 0xffffffff81001f10ULL, sym, NULL), 0);
	CU_ASSERT_NSTRING_EQUAL(sym->name, "f31_xxx", 7);
	CU_ASSERT_EQUAL(strlen(sym->name), 4096 - strlen("ffffffff81001f00 T "));
	skbd_ksyms__free(ks);
	free(text);
}

static void test_truncated_prefixes(void)
{
	FILE *f = fopen(KS_FIXTURE("basic.txt"), "r");
	char text[4096];
	size_t len;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	len = fread(text, 1, sizeof(text), f);
	fclose(f);
	CU_ASSERT_FATAL(len > 0 && len < sizeof(text));

	tu_log_quiet();
	for (size_t n = 0; n <= len; n++) {
		int err = parse_mem(text, n);

		CU_ASSERT(err == 0 || err == -EINVAL);
	}
	tu_log_restore();
	/* the whole file and the empty prefix parse */
	CU_ASSERT_EQUAL(parse_mem(text, len), 0);
	CU_ASSERT_EQUAL(parse_mem(text, 0), 0);
}

/* Find name's address in kallsyms text; 0 when absent. */
static __u64 find_address(FILE *f, const char *name)
{
	char line[512], sym[256], type;
	unsigned long long addr;

	rewind(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%llx %c %255s", &addr, &type, sym) == 3 &&
		    (type == 'T' || type == 't') && !strcmp(sym, name))
			return addr;
	}
	return 0;
}

static void test_proc_kallsyms(void)
{
	static const char *const names[] = { "__udp4_lib_rcv", "udp_rcv" };
	struct skbd_ksyms *ks = NULL;
	unsigned int checked = 0;
	FILE *f;

	f = fopen("/proc/kallsyms", "r");
	if (!f) {
		fprintf(stderr, "\n  /proc/kallsyms unreadable, skipped\n");
		return;
	}
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new(f, &ks), 0);
	CU_ASSERT(skbd_ksyms__count(ks) > 1000);
	if (skbd_ksyms__restricted(ks)) {
		fprintf(stderr, "\n  /proc/kallsyms restricted, skipped\n");
		goto out;
	}
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		__u64 addr = find_address(f, names[i]);
		char want[128], buf[128];

		if (!addr)
			continue;
		snprintf(want, sizeof(want), "%s+0x0", names[i]);
		skbd_ksyms__format(ks, addr, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, want);
		snprintf(want, sizeof(want), "%s+0x10", names[i]);
		skbd_ksyms__format(ks, addr + 0x10, buf, sizeof(buf));
		CU_ASSERT_STRING_EQUAL(buf, want);
		checked++;
	}
	if (!checked)
		fprintf(stderr, "\n  no udp receive symbol in /proc/kallsyms, skipped\n");
out:
	fclose(f);
	skbd_ksyms__free(ks);
}

/* __pfx_/__cfi_ padding symbols are not kept: the function before covers
 * the padding, and counting, each and range see only real functions. */
static void test_padding_skipped(void)
{
	static const char text[] = "ffffffff81000000 T _stext\n"
				   "ffffffff81000ff0 t __pfx_func_a\n"
				   "ffffffff81001000 T func_a\n"
				   "ffffffff81001ff0 t __cfi_func_b\n"
				   "ffffffff81002000 T func_b\n"
				   "ffffffff81002ff0 T __pfx_\n" /* nothing after the prefix: a name like any */
				   "ffffffff81003000 T _etext\n";
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	struct skbd_ksyms *ks = NULL;
	__u64 start = 0, end = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new(f, &ks), 0);
	fclose(f);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 5);
	expect_format(ks, 0xffffffff81000ff8ULL, "_stext+0xff8");
	expect_format(ks, 0xffffffff81001ff4ULL, "func_a+0xff4");
	expect_format(ks, 0xffffffff81002010ULL, "func_b+0x10");
	expect_format(ks, 0xffffffff81002ff0ULL, "__pfx_+0x0");
	CU_ASSERT_EQUAL(skbd_ksyms__range(ks, "func_a", &start, &end), 0);
	CU_ASSERT_EQUAL(start, 0xffffffff81001000ULL);
	CU_ASSERT_EQUAL(end, 0xffffffff81002000ULL);
	CU_ASSERT_EQUAL(skbd_ksyms__range(ks, "__pfx_func_a", &start, &end), -ENOENT);
	skbd_ksyms__free(ks);
}

/* ---- ranges: /proc/modules and the kernel text -------------------- */

/* basic.txt with the given modules fixture (NULL: none) */
static struct skbd_ksyms *load_with_modules(const char *kallsyms, const char *modules)
{
	struct skbd_ksyms *ks = NULL;
	FILE *kf = fopen(kallsyms, "re"), *mf = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(kf);
	if (modules) {
		mf = fopen(modules, "re");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mf);
	}
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new_with_modules(kf, mf, &ks), 0);
	fclose(kf);
	if (mf)
		fclose(mf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ks);
	return ks;
}

/* kallsyms and modules text from memory */
static struct skbd_ksyms *load_mem(const char *kallsyms, const char *modules)
{
	struct skbd_ksyms *ks = NULL;
	FILE *kf = fmemopen((void *)kallsyms, strlen(kallsyms), "r"), *mf = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(kf);
	if (modules && *modules) {
		mf = fmemopen((void *)modules, strlen(modules), "r");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mf);
	}
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new_with_modules(kf, mf, &ks), 0);
	fclose(kf);
	if (mf)
		fclose(mf);
	return ks;
}

static void test_module_range_end(void)
{
	struct skbd_ksyms *ks = load_with_modules(KS_FIXTURE("basic.txt"), KS_FIXTURE("modules.txt"));

	/* nf_tables: 65536 bytes from 0xffffffffc0a00000 */
	expect_format(ks, 0xffffffffc0a0ffffULL, "nft_do_chain+0xefff [nf_tables]");
	expect_format(ks, 0xffffffffc0a10000ULL, "0xffffffffc0a10000");
	/* bridge: 311296 (0x4c000) bytes: far more than the 64 KiB fallback */
	expect_format(ks, 0xffffffffc0b4bfffULL, "br_handle_frame+0x4bfff [bridge]");
	expect_format(ks, 0xffffffffc0b4c000ULL, "0xffffffffc0b4c000");
	/* vmlinux is unchanged by module ranges */
	expect_format(ks, 0xffffffff81001234ULL, "func_a+0x234");
	skbd_ksyms__free(ks);

	/* the same addresses without module ranges: the fallback bound */
	ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));
	expect_format(ks, 0xffffffffc0a10000ULL, "nft_do_chain+0xf000 [nf_tables]");
	expect_format(ks, 0xffffffffc0b4bfffULL, "0xffffffffc0b4bfff");
	skbd_ksyms__free(ks);
}

static void test_module_gaps(void)
{
	struct skbd_ksyms *ks = load_with_modules(KS_FIXTURE("basic.txt"), KS_FIXTURE("modules.txt"));

	/* between nf_tables' end and bridge's start */
	expect_format(ks, 0xffffffffc0a80000ULL, "0xffffffffc0a80000");
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffffc0affff0ULL, NULL, NULL), -ENOENT);
	/* inside veth, which has no symbols in the table (loaded later) */
	expect_format(ks, 0xffffffffc0c00010ULL, "0xffffffffc0c00010");
	/* between the last vmlinux symbol's 1 MiB and the first module */
	expect_format(ks, 0xffffffffa0000000ULL, "0xffffffffa0000000");
	skbd_ksyms__free(ks);
}

static void test_module_overlap(void)
{
	/* 6.4+: SIZE counts data and rodata too, ADDR is the text: a range
	 * running into the next module ends at its start */
	static const char syms[] = "ffffffff81000000 T _stext\n"
				   "ffffffffc0a00000 t a_fn\t[mod_a]\n"
				   "ffffffffc0a04000 t b_fn\t[mod_b]\n";
	static const char mods[] = "mod_b 8192 0 - Live 0xffffffffc0a04000\n"
				   "mod_a 1048576 0 - Live 0xffffffffc0a00000\n";
	struct skbd_ksyms *ks = load_mem(syms, mods);

	expect_format(ks, 0xffffffffc0a03fffULL, "a_fn+0x3fff [mod_a]");
	expect_format(ks, 0xffffffffc0a05fffULL, "b_fn+0x1fff [mod_b]");
	expect_format(ks, 0xffffffffc0a06000ULL, "0xffffffffc0a06000");
	skbd_ksyms__free(ks);
}

static void test_modules_hidden(void)
{
	/* addresses hidden (not root): the same as no modules text */
	struct skbd_ksyms *ks = load_with_modules(KS_FIXTURE("basic.txt"), KS_FIXTURE("modules_hidden.txt"));

	expect_format(ks, 0xffffffffc0a10000ULL, "nft_do_chain+0xf000 [nf_tables]");
	expect_format(ks, 0xffffffffc0b0ffffULL, "br_handle_frame+0xffff [bridge]");
	expect_format(ks, 0xffffffffc0b10000ULL, "0xffffffffc0b10000");
	skbd_ksyms__free(ks);

	/* an empty modules file: no ranges either */
	ks = load_with_modules(KS_FIXTURE("basic.txt"), KS_FIXTURE("empty.txt"));
	expect_format(ks, 0xffffffffc0a10000ULL, "nft_do_chain+0xf000 [nf_tables]");
	skbd_ksyms__free(ks);
}

static void test_pseudo_module(void)
{
	/* [bpf] and [__builtin__ftrace] have no /proc/modules line: the next
	 * symbol of the same module, 64 KiB past the last */
	static const char syms[] = "ffffffff81000000 T _stext\n"
				   "ffffffffc0a00000 t nft_do_chain\t[nf_tables]\n"
				   "ffffffffc0e00000 t bpf_prog_1_a\t[bpf]\n"
				   "ffffffffc0e20000 t bpf_prog_2_b\t[bpf]\n";
	static const char mods[] = "nf_tables 65536 0 - Live 0xffffffffc0a00000\n";
	struct skbd_ksyms *ks = load_mem(syms, mods);

	expect_format(ks, 0xffffffffc0e1ffffULL, "bpf_prog_1_a+0x1ffff [bpf]");
	expect_format(ks, 0xffffffffc0e2ffffULL, "bpf_prog_2_b+0xffff [bpf]");
	expect_format(ks, 0xffffffffc0e30000ULL, "0xffffffffc0e30000");
	expect_format(ks, 0xffffffffc0a10000ULL, "0xffffffffc0a10000");
	skbd_ksyms__free(ks);
}

static void test_vmlinux_text_end(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("text_range.txt"));

	/* [_stext, _etext) */
	expect_format(ks, 0xffffffff81000010ULL, "_stext+0x10");
	expect_format(ks, 0xffffffff81002fffULL, "last_fn+0xfff");
	expect_format(ks, 0xffffffff81003000ULL, "0xffffffff81003000");
	expect_format(ks, 0xffffffff81003010ULL, "0xffffffff81003010");
	expect_format(ks, 0xffffffff81f00000ULL, "0xffffffff81f00000");
	/* [_sinittext, _einittext) */
	expect_format(ks, 0xffffffff82000010ULL, "_sinittext+0x10");
	expect_format(ks, 0xffffffff82000fffULL, "init_fn+0xeff");
	expect_format(ks, 0xffffffff82001000ULL, "0xffffffff82001000");
	/* a vmlinux symbol outside both covers nothing */
	CU_ASSERT_EQUAL(skbd_ksyms__lookup(ks, 0xffffffff82100000ULL, NULL, NULL), -ENOENT);
	/* modules keep their own rule */
	expect_format(ks, 0xffffffffc0a0fff0ULL, "mod_fn+0xfff0 [nf_tables]");
	expect_format(ks, 0xffffffffc0a10000ULL, "0xffffffffc0a10000");
	skbd_ksyms__free(ks);
}

static void test_vmlinux_text_end_arm64(void)
{
	/* arm64 (6.1 to 7.2, /proc/kallsyms in the kernel matrix): _etext and
	 * _end are 'D', _text and __pi__text start the image header before
	 * _stext. The text range still ends at _etext. */
	static const char syms[] = "ffff9aab15400000 T _text\n"
				   "ffff9aab15400000 t __pi__text\n"
				   "ffff9aab15410000 T _stext\n"
				   "ffff9aab16051000 T __udp4_lib_rcv\n"
				   "ffff9aab16052810 T udp_rcv\n"
				   "ffff9aab161ff000 t last_fn\n"
				   "ffff9aab16200000 D _etext\n"
				   "ffff9aab16200000 D __start_rodata\n"
				   "ffff9aab16ca0000 T _sinittext\n"
				   "ffff9aab16ca0100 t init_fn\n"
				   "ffff9aab16d18cac T _einittext\n"
				   "ffff9aab17270000 B _end\n";
	struct skbd_ksyms *ks = load_mem(syms, NULL);

	expect_format(ks, 0xffff9aab160519c8ULL, "__udp4_lib_rcv+0x9c8");
	expect_format(ks, 0xffff9aab161fffffULL, "last_fn+0xfff");
	expect_format(ks, 0xffff9aab16200000ULL, "0xffff9aab16200000");
	expect_format(ks, 0xffff9aab16ca0110ULL, "init_fn+0x10");
	/* the image header: nothing runs there */
	expect_format(ks, 0xffff9aab15400010ULL, "0xffff9aab15400010");
	skbd_ksyms__free(ks);
}

static void test_modules_malformed(void)
{
	struct skbd_ksyms *ks;

	/* bad lines are skipped with one warning; good lines give ranges */
	tu_log_quiet();
	ks = load_with_modules(KS_FIXTURE("basic.txt"), KS_FIXTURE("modules_bad.txt"));
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	CU_ASSERT_STRING_EQUAL(tu_log_last(), "kallsyms: modules line 2: bad size (4 malformed lines skipped)");
	tu_log_restore();
	expect_format(ks, 0xffffffffc0b4bfffULL, "br_handle_frame+0x4bfff [bridge]");
	/* nf_tables' line was bad: the fallback */
	expect_format(ks, 0xffffffffc0a10000ULL, "nft_do_chain+0xf000 [nf_tables]");
	skbd_ksyms__free(ks);
}

static void test_modules_malformed_table(void)
{
	static const char syms[] = "ffffffff81000000 T _stext\n"
				   "ffffffffc0a00000 t nft_do_chain\t[nf_tables]\n";
	static const char *const cases[] = {
		"nf_tables\n",
		"nf_tables 65536\n",
		"nf_tables 65536 0 - Live\n",
		"nf_tables -1 0 - Live 0xffffffffc0a00000\n",
		"nf_tables 99999999999999999999 0 - Live 0xffffffffc0a00000\n",
		"nf_tables 65536 0 - Live ffffffffc0a00000\n",
		"nf_tables 65536 0 - Live 0x\n",
		"nf_tables 65536 0 - Live 0x1ffffffffc0a00000\n",
		"nf_tables 65536 0 - Live 0xffffffffc0a0000g\n",
		"a_module_name_longer_than_the_kernel_allows_which_is_55_bytes_xyz 1 0 - Live 0x1\n",
		" \n",
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct skbd_ksyms *ks;

		tu_log_quiet();
		ks = load_mem(syms, cases[i]);
		CU_ASSERT_EQUAL(tu_log_count(), 1);
		CU_ASSERT_NSTRING_EQUAL(tu_log_last(), "kallsyms: modules line 1: ", 26);
		tu_log_restore();
		/* no range: the fallback */
		expect_format(ks, 0xffffffffc0a0ffffULL, "nft_do_chain+0xffff [nf_tables]");
		skbd_ksyms__free(ks);
	}
}

static void test_modules_long_line(void)
{
	static const char syms[] = "ffffffffc0a00000 t nft_do_chain\t[nf_tables]\n";
	char *mods = malloc(8192);
	struct skbd_ksyms *ks;
	int n;

	/* a line longer than any /proc/modules line: every range dropped */
	CU_ASSERT_PTR_NOT_NULL_FATAL(mods);
	n = snprintf(mods, 8192, "nf_tables 4096 0 - Live 0xffffffffc0a00000\n");
	memset(mods + n, 'x', 8192 - (size_t)n - 2);
	mods[8190] = '\n';
	mods[8191] = '\0';
	tu_log_quiet();
	ks = load_mem(syms, mods);
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	CU_ASSERT_STRING_EQUAL(tu_log_last(),
			       "kallsyms: modules line 2: not a /proc/modules line, module ranges unknown");
	tu_log_restore();
	expect_format(ks, 0xffffffffc0a0ffffULL, "nft_do_chain+0xffff [nf_tables]");
	skbd_ksyms__free(ks);
	free(mods);
}

static void test_modules_truncated(void)
{
	char *syms, *mods;
	size_t slen, mlen;

	syms = tu_load_file(KS_FIXTURE("basic.txt"), &slen);
	mods = tu_load_file(KS_FIXTURE("modules_bad.txt"), &mlen);
	CU_ASSERT_PTR_NOT_NULL_FATAL(syms);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mods);
	/* every prefix of the modules text: a table, never a failure */
	for (size_t n = 0; n <= mlen; n++) {
		struct skbd_ksyms *ks = NULL;
		FILE *kf = fmemopen(syms, slen, "r");
		FILE *mf = n ? fmemopen(mods, n, "r") : NULL;

		CU_ASSERT_PTR_NOT_NULL_FATAL(kf);
		tu_log_quiet();
		CU_ASSERT_EQUAL(skbd_ksyms__new_with_modules(kf, mf, &ks), 0);
		tu_log_restore();
		fclose(kf);
		if (mf)
			fclose(mf);
		CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 11);
		skbd_ksyms__lookup(ks, 0xffffffffc0b4bfffULL, NULL, NULL);
		skbd_ksyms__free(ks);
	}
	free(syms);
	free(mods);
}

/* ---- file-backed tables: re-read on a miss ------------------------- */

struct fake_clock {
	__u64 now;
};

static __u64 fake_now(void *ctx)
{
	return ((struct fake_clock *)ctx)->now;
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "we");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL(fputs(text, f) >= 0, 1);
	CU_ASSERT_EQUAL(fclose(f), 0);
}

static void expect_symbolize(struct skbd_ksyms *ks, __u64 addr, const char *want, bool want_change)
{
	bool may_change = !want_change;
	char buf[128];
	int n;

	n = skbd_ksyms__symbolize(ks, addr, buf, sizeof(buf), &may_change);
	CU_ASSERT_EQUAL(n, (int)strlen(want));
	CU_ASSERT_STRING_EQUAL(buf, want);
	CU_ASSERT_EQUAL(may_change, want_change);
}

#define KS_BEFORE "ffffffff81000000 T _stext\n" \
		  "ffffffff81001000 T func_a\n" \
		  "ffffffff81002000 T _etext\n" \
		  "ffffffffc0a00000 t nft_do_chain\t[nf_tables]\n"
#define MOD_BEFORE "nf_tables 65536 0 - Live 0xffffffffc0a00000\n"

static void test_reread_on_miss(void)
{
	char dir[] = "/tmp/skbd-ksyms-XXXXXX", kpath[64], mpath[64];
	struct fake_clock clk = { .now = 1000 };
	struct skbd_ksyms *ks = NULL;
	const __u64 late = 0xffffffffc0c00010ULL; /* in a module loaded later */

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(kpath, sizeof(kpath), "%s/kallsyms", dir);
	snprintf(mpath, sizeof(mpath), "%s/modules", dir);
	write_file(kpath, KS_BEFORE);
	write_file(mpath, MOD_BEFORE);

	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__open(kpath, mpath, &ks), 0);
	skbd_ksyms__set_clock(ks, fake_now, &clk);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 4);
	expect_symbolize(ks, 0xffffffff81001010ULL, "func_a+0x10", false);
	expect_symbolize(ks, 0xffffffffc0a00010ULL, "nft_do_chain+0x10 [nf_tables]", false);
	expect_symbolize(ks, late, "0xffffffffc0c00010", true);

	/* the module is loaded */
	write_file(kpath, KS_BEFORE "ffffffffc0c00000 t br_handle_frame\t[bridge]\n");
	write_file(mpath, MOD_BEFORE "bridge 311296 0 - Live 0xffffffffc0c00000\n");
	clk.now += 500000000ULL;	/* 0.5 s: within the rate limit */
	expect_symbolize(ks, late, "0xffffffffc0c00010", true);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 4);
	clk.now += 500000000ULL;	/* exactly 1 s: not more than 1 s */
	expect_symbolize(ks, late, "0xffffffffc0c00010", true);
	clk.now += 1;
	expect_symbolize(ks, late, "br_handle_frame+0x10 [bridge]", false);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 5);
	/* format and lookup see the new table; they never re-read */
	expect_format(ks, 0xffffffffc0c4bfffULL, "br_handle_frame+0x4bfff [bridge]");
	expect_format(ks, 0xffffffffc0c4c000ULL, "0xffffffffc0c4c000");

	/* a hit never re-reads, however old the table */
	write_file(kpath, KS_BEFORE);
	clk.now += 5000000000ULL;
	expect_symbolize(ks, late, "br_handle_frame+0x10 [bridge]", false);
	/* a miss does; the module is gone */
	expect_symbolize(ks, 0xffffffff81003000ULL, "0xffffffff81003000", true);
	expect_symbolize(ks, late, "0xffffffffc0c00010", true);

	/* a failed re-read keeps the old table, with one warning */
	CU_ASSERT_EQUAL(unlink(kpath), 0);
	clk.now += 2000000000ULL;
	tu_log_quiet();
	expect_symbolize(ks, late, "0xffffffffc0c00010", true);
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	CU_ASSERT_NSTRING_EQUAL(tu_log_last(), "kallsyms: re-reading ", 21);
	expect_symbolize(ks, late, "0xffffffffc0c00010", true); /* rate-limited: no second warning */
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	tu_log_restore();
	expect_symbolize(ks, 0xffffffff81001010ULL, "func_a+0x10", false);
	CU_ASSERT_EQUAL(skbd_ksyms__count(ks), 4);

	skbd_ksyms__free(ks);
	unlink(mpath);
	rmdir(dir);
}

static void test_reread_without_modules(void)
{
	char dir[] = "/tmp/skbd-ksyms-XXXXXX", kpath[64], mpath[64];
	struct fake_clock clk = { .now = 0 };
	struct skbd_ksyms *ks = (struct skbd_ksyms *)0x1;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(kpath, sizeof(kpath), "%s/kallsyms", dir);
	snprintf(mpath, sizeof(mpath), "%s/modules", dir);

	/* no kallsyms: the open fails, *out untouched */
	CU_ASSERT_EQUAL(skbd_ksyms__open(kpath, mpath, &ks), -ENOENT);
	CU_ASSERT_PTR_EQUAL(ks, (struct skbd_ksyms *)0x1);
	/* no modules file: no ranges, no error */
	write_file(kpath, KS_BEFORE);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__open(kpath, mpath, &ks), 0);
	skbd_ksyms__set_clock(ks, fake_now, &clk);
	expect_symbolize(ks, 0xffffffffc0a0ffffULL, "nft_do_chain+0xffff [nf_tables]", false);
	expect_symbolize(ks, 0xffffffffc0a10000ULL, "0xffffffffc0a10000", true);
	write_file(kpath, KS_BEFORE "ffffffffc0a10000 t late_fn\t[late]\n");
	clk.now = 1000000001ULL;
	expect_symbolize(ks, 0xffffffffc0a10000ULL, "late_fn+0x0 [late]", false);
	skbd_ksyms__free(ks);
	unlink(kpath);
	rmdir(dir);
}

static void test_symbolize_memory_table(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_FIXTURE("basic.txt"));
	bool may_change = true;
	char buf[64];

	/* a table from FILE text cannot be re-read: a hex answer is final */
	expect_symbolize(ks, 0xffffffffc0c00010ULL, "0xffffffffc0c00010", false);
	expect_symbolize(ks, 0xffffffffc0a01010ULL, "nft_do_chain+0x10 [nf_tables]", false);
	skbd_ksyms__free(ks);
	ks = tu_load_ksyms(KS_FIXTURE("restricted.txt"));
	expect_symbolize(ks, 0xffffffff81001000ULL, "0xffffffff81001000", false);
	skbd_ksyms__free(ks);
	CU_ASSERT_EQUAL(skbd_ksyms__symbolize(NULL, 1, buf, sizeof(buf), &may_change), 18);
	CU_ASSERT_FALSE(may_change);
	CU_ASSERT_EQUAL(skbd_ksyms__symbolize(NULL, 1, NULL, 0, NULL), 18);
	skbd_ksyms__set_clock(NULL, NULL, NULL);
}

static void test_proc_open(void)
{
	struct skbd_ksyms *ks = NULL;
	char buf[128];

	if (skbd_ksyms__open(NULL, NULL, &ks)) {
		fprintf(stderr, "\n  /proc/kallsyms unreadable, skipped\n");
		return;
	}
	CU_ASSERT(skbd_ksyms__count(ks) > 1000);
	/* far below any kernel text: a miss, resolved by no re-read */
	skbd_ksyms__symbolize(ks, 0x1000, buf, sizeof(buf), NULL);
	CU_ASSERT_STRING_EQUAL(buf, "0x0000000000001000");
	skbd_ksyms__free(ks);
}


/* Functions by name (vmlinux) or by suffix (anywhere): the benign rules' */
struct each_seen {
	int n;
	char names[4][64];
	__u64 start[4], end[4];
};

static void on_each(void *ctx, const char *name, __u64 start, __u64 end)
{
	struct each_seen *e = ctx;

	if (e->n < 4) {
		snprintf(e->names[e->n], sizeof(e->names[0]), "%s", name);
		e->start[e->n] = start;
		e->end[e->n++] = end;
	}
}

static void test_each_pattern(void)
{
	static const char text[] = "ffffffff81000000 T _stext\n"
				   "ffffffff81001000 T e1000_clean_tx_irq\n"
				   "ffffffff81002000 T neigh_invalidate\n"
				   "ffffffff81003000 T _etext\n"
				   "ffffffffc0a00000 t igb_clean_tx_irq\t[igb]\n"
				   "ffffffffc0a00400 t igb_poll\t[igb]\n";
	struct each_seen seen = { 0 };
	struct skbd_ksyms *ks = NULL;
	FILE *f = fmemopen((void *)text, sizeof(text) - 1, "r");
	__u64 s = 0, e = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(skbd_ksyms__new(f, &ks), 0);
	fclose(f);
	CU_ASSERT_EQUAL(skbd_ksyms__each(ks, "*_clean_tx_irq", on_each, &seen), 0);
	CU_ASSERT_EQUAL_FATAL(seen.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.names[0], "e1000_clean_tx_irq");
	CU_ASSERT_EQUAL(seen.start[0], 0xffffffff81001000ULL);
	CU_ASSERT_EQUAL(seen.end[0], 0xffffffff81002000ULL);
	CU_ASSERT_STRING_EQUAL(seen.names[1], "igb_clean_tx_irq");
	CU_ASSERT_EQUAL(seen.end[1], 0xffffffffc0a00400ULL);
	seen.n = 0;
	CU_ASSERT_EQUAL(skbd_ksyms__each(ks, "neigh_invalidate", on_each, &seen), 0);
	CU_ASSERT_EQUAL(seen.n, 1);
	seen.n = 0;
	CU_ASSERT_EQUAL(skbd_ksyms__each(ks, "igb_poll", on_each, &seen), -ENOENT); /* exact names: vmlinux only */
	CU_ASSERT_EQUAL(skbd_ksyms__each(ks, "*nothing_ends_so", on_each, &seen), -ENOENT);
	CU_ASSERT_EQUAL(skbd_ksyms__each(ks, "*", on_each, &seen), -ENOENT); /* a bare '*' is no pattern */
	CU_ASSERT_EQUAL(seen.n, 0);
	CU_ASSERT_EQUAL(skbd_ksyms__range(ks, "neigh_invalidate", &s, &e), 0);
	CU_ASSERT_EQUAL(e - s, 0x1000);
	skbd_ksyms__free(ks);
}

CU_TestInfo skbd_tests_kallsyms[] = {
	{ "functions by name or suffix", test_each_pattern },
	{ "basic count", test_basic_count },
	{ "lookup exact start", test_lookup_exact },
	{ "lookup mid-function", test_lookup_mid },
	{ "lookup just before next", test_lookup_before_next },
	{ "lookup below first", test_lookup_below_first },
	{ "lookup far past last", test_lookup_past_last },
	{ "module format", test_module_format },
	{ "module name shared", test_module_dedup },
	{ "non-text symbols ignored", test_non_text_ignored },
	{ "unsorted input sorted", test_unsorted_sorted },
	{ "alias preference", test_alias_preference },
	{ "restricted", test_restricted },
	{ "empty and data-only input", test_empty },
	{ "NULL handle", test_null_handle },
	{ "format truncation", test_format_truncation },
	{ "malformed fixtures", test_malformed_fixtures },
	{ "malformed table", test_malformed_table },
	{ "long lines", test_long_lines },
	{ "many maximal lines", test_max_lines_many },
	{ "truncated prefixes", test_truncated_prefixes },
	{ "real /proc/kallsyms", test_proc_kallsyms },
	{ "padding symbols not kept", test_padding_skipped },
	{ "module range ends lookup", test_module_range_end },
	{ "gaps between modules", test_module_gaps },
	{ "module ranges overlapping (6.4+)", test_module_overlap },
	{ "module addresses hidden", test_modules_hidden },
	{ "pseudo-modules without a range", test_pseudo_module },
	{ "vmlinux text ranges", test_vmlinux_text_end },
	{ "vmlinux text ranges, arm64's 'D' _etext", test_vmlinux_text_end_arm64 },
	{ "malformed /proc/modules fixture", test_modules_malformed },
	{ "malformed /proc/modules lines", test_modules_malformed_table },
	{ "/proc/modules line too long", test_modules_long_line },
	{ "/proc/modules truncated", test_modules_truncated },
	{ "re-read on a miss, rate-limited", test_reread_on_miss },
	{ "re-read without a modules file", test_reread_without_modules },
	{ "symbolize a memory table", test_symbolize_memory_table },
	{ "real /proc/kallsyms, file-backed", test_proc_open },
	CU_TEST_INFO_NULL,
};
