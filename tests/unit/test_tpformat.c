// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for loader/tpformat.c: the kfree_skb format files of five kernels,
 * synthetic declarations, malformed and truncated input, and a fake tracefs tree. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/tpformat.h>
#include "testutil.h"

#define FIXTURE_DIR SKBD_FIXTURES "/tracepoint-formats/"

/* Parse a string from an exact-size heap copy (no terminating NUL). */
static int parse_exact(const char *text, size_t len, struct skbd_tpformat **out)
{
	char *copy = malloc(len ? len : 1);
	int err;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, text, len);
	err = skbd_tpformat__parse(copy, len, out);
	free(copy);
	return err;
}

struct reason_pair {
	const char *name;
	__u32 code;
};

struct fixture_expect {
	const char *file;
	__u32 id;
	__u32 record_size;
	size_t nr_fields;
	long off_skbaddr, off_location, off_protocol, off_reason, off_rx_sk; /* -1: absent */
	size_t nr_reasons;
	struct reason_pair first, last;
	struct reason_pair known[4];
};

static const struct fixture_expect fixtures[] = {
	{ "kfree_skb-5.10.223.format", 1332, 26, 7, 8, 16, 24, -1, -1, 0,
	  { NULL, 0 }, { NULL, 0 }, { { NULL, 0 } } },
	{ "kfree_skb-6.1.192.format", 1373, 32, 8, 8, 16, 24, 28, -1, 66,
	  { "NOT_SPECIFIED", 1 }, { "MAX", 66 },
	  { { "NOT_SPECIFIED", 1 }, { "NO_SOCKET", 2 }, { "NETFILTER_DROP", 7 }, { NULL, 0 } } },
	{ "kfree_skb-6.12.95.format", 1519, 40, 9, 8, 16, 32, 36, 24, 97,
	  { "NOT_SPECIFIED", 2 }, { "MAX", 98 },
	  { { "NOT_SPECIFIED", 2 }, { "NO_SOCKET", 3 }, { "NETFILTER_DROP", 8 }, { NULL, 0 } } },
	{ "kfree_skb-6.12.117.format", 1519, 40, 9, 8, 16, 32, 36, 24, 103,
	  { "NOT_SPECIFIED", 2 }, { "MAX", 104 },
	  { { "NOT_SPECIFIED", 2 }, { "NO_SOCKET", 3 }, { "NETFILTER_DROP", 11 }, { NULL, 0 } } },
	{ "kfree_skb-6.18.44.format", 2310, 40, 9, 8, 16, 32, 36, 24, 127,
	  { "NOT_SPECIFIED", 2 }, { "MAX", 128 },
	  { { "NOT_SPECIFIED", 2 }, { "NO_SOCKET", 3 }, { "NETFILTER_DROP", 12 },
	    { "TCP_LISTEN_OVERFLOW", 40 } } },
};

#define NR_FIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static void check_offset(const struct skbd_tpformat *fmt, const char *field, long want,
			 const char *file)
{
	const struct skbd_tp_field *f = skbd_tpformat__field(fmt, field);

	if (want < 0) {
		CU_ASSERT_PTR_NULL(f);
		return;
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	if (f->offset != (__u32)want)
		fprintf(stderr, "\n%s: %s at %u, want %ld\n", file, field, f->offset, want);
	CU_ASSERT_EQUAL(f->offset, (__u32)want);
}

static void check_fixture(const struct fixture_expect *e)
{
	char path[PATH_MAX];
	struct skbd_tpformat *fmt = NULL;
	const struct skbd_tp_field *f;
	size_t len;
	char *text;
	int err;

	snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, e->file);
	text = tu_load_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	err = skbd_tpformat__parse(text, len, &fmt);
	free(text);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);

	CU_ASSERT_STRING_EQUAL(fmt->name, "kfree_skb");
	CU_ASSERT_EQUAL(fmt->id, e->id);
	CU_ASSERT_EQUAL(fmt->record_size, e->record_size);
	CU_ASSERT_EQUAL(fmt->nr_fields, e->nr_fields);
	check_offset(fmt, "skbaddr", e->off_skbaddr, e->file);
	check_offset(fmt, "location", e->off_location, e->file);
	check_offset(fmt, "protocol", e->off_protocol, e->file);
	check_offset(fmt, "reason", e->off_reason, e->file);
	check_offset(fmt, "rx_sk", e->off_rx_sk, e->file);

	/* common fields come first, in file order */
	CU_ASSERT_STRING_EQUAL(fmt->fields[0].name, "common_type");
	CU_ASSERT_STRING_EQUAL(fmt->fields[0].type, "unsigned short");
	CU_ASSERT_EQUAL(fmt->fields[0].size, 2);
	f = skbd_tpformat__field(fmt, "common_pid");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->type, "int");
	CU_ASSERT_EQUAL(f->is_signed, 1);
	CU_ASSERT_EQUAL(f->offset, 4);
	f = skbd_tpformat__field(fmt, "skbaddr");
	CU_ASSERT_STRING_EQUAL(f->type, "void *");
	CU_ASSERT_EQUAL(f->size, 8);
	CU_ASSERT_EQUAL(f->is_signed, 0);
	f = skbd_tpformat__field(fmt, "protocol");
	CU_ASSERT_STRING_EQUAL(f->type, "unsigned short");
	CU_ASSERT_EQUAL(f->size, 2);
	f = skbd_tpformat__field(fmt, "reason");
	if (f) {
		CU_ASSERT_STRING_EQUAL(f->type, "enum skb_drop_reason");
		CU_ASSERT_EQUAL(f->size, 4);
	}
	CU_ASSERT_PTR_NULL(skbd_tpformat__field(fmt, "skbadd"));
	CU_ASSERT_PTR_NULL(skbd_tpformat__field(fmt, ""));

	CU_ASSERT_EQUAL(fmt->nr_reasons, e->nr_reasons);
	if (e->nr_reasons && fmt->nr_reasons == e->nr_reasons) {
		CU_ASSERT_STRING_EQUAL(fmt->reasons[0].name, e->first.name);
		CU_ASSERT_EQUAL(fmt->reasons[0].code, e->first.code);
		CU_ASSERT_STRING_EQUAL(fmt->reasons[e->nr_reasons - 1].name, e->last.name);
		CU_ASSERT_EQUAL(fmt->reasons[e->nr_reasons - 1].code, e->last.code);
	}
	for (size_t i = 0; i < 4 && e->known[i].name; i++) {
		const char *name = skbd_tpformat__reason_name(fmt, e->known[i].code);

		CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, e->known[i].name),
				(long)e->known[i].code);
		CU_ASSERT_PTR_NOT_NULL_FATAL(name);
		CU_ASSERT_STRING_EQUAL(name, e->known[i].name);
	}
	/* every entry round-trips, and the codes are consecutive in these kernels */
	for (size_t i = 0; i < fmt->nr_reasons; i++) {
		const struct skbd_reason *r = &fmt->reasons[i];

		CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, r->name), (long)r->code);
		CU_ASSERT_PTR_EQUAL(skbd_tpformat__reason_name(fmt, r->code), r->name);
		CU_ASSERT_EQUAL(r->code, e->first.code + i);
	}
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "NO_SUCH_REASON"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "no_socket"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "NO_SOCKET_"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, ""), -ENOENT);
	CU_ASSERT_PTR_NULL(skbd_tpformat__reason_name(fmt, 0));
	CU_ASSERT_PTR_NULL(skbd_tpformat__reason_name(fmt, 100000));
	skbd_tpformat__free(fmt);
}

static void test_fixture_5_10(void)
{
	check_fixture(&fixtures[0]);
}

static void test_fixture_6_1(void)
{
	check_fixture(&fixtures[1]);
}

static void test_fixture_6_12_95(void)
{
	check_fixture(&fixtures[2]);
}

static void test_fixture_6_12_117(void)
{
	check_fixture(&fixtures[3]);
}

static void test_fixture_6_18(void)
{
	check_fixture(&fixtures[4]);
}

/* Declarations the kfree_skb files do not have, hex codes, and the
 * __print_symbolic calls that must not be taken for the reason table. */
static void test_decl_shapes(void)
{
	static const char text[] =
		"name: synth\r\n"
		"ID: 0042\n"
		"format:\n"
		"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
		"\tfield:char comm[16];\toffset:8;\tsize:16;\tsigned:1;\n"
		"\tfield:__data_loc char[] dev_name;\toffset:24;\tsize:4;\tsigned:0;\n"
		"\tfield:int grid[2][3];\toffset:28;\tsize:24;\tsigned:1;\n"
		"\tfield:unsigned long long  big_one ;\tsize:8;\toffset:56;\tsigned:0;\tfuture:x;\n"
		"\tfield:u32 reason;\toffset:64;\tsize:4;\tsigned:0;\r\n"
		"some line a newer kernel might add\n"
		"\n"
		"print fmt: \"x=%s __print_symbolic(REC->reason, { 1, \\\"FAKE\\\" }) %s %s\", "
		"__print_symbolic(REC->reasonx, { 9, \"NOPE\" }), "
		"__print_symbolic(REC->grid, { 9, \"NOPE\" }), "
		"__print_symbolic ( REC->reason ,{0x10,\"HEX\"},{ 0X1f , \"HEX_UPPER\" } , { 7, \"SEVEN\" } )";
	struct skbd_tpformat *fmt = NULL;
	const struct skbd_tp_field *f;

	CU_ASSERT_EQUAL_FATAL(parse_exact(text, sizeof(text) - 1, &fmt), 0);
	CU_ASSERT_STRING_EQUAL(fmt->name, "synth");
	CU_ASSERT_EQUAL(fmt->id, 42);
	CU_ASSERT_EQUAL(fmt->nr_fields, 6);
	CU_ASSERT_EQUAL(fmt->record_size, 68);

	f = skbd_tpformat__field(fmt, "comm");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->type, "char[16]");
	CU_ASSERT_EQUAL(f->offset, 8);
	CU_ASSERT_EQUAL(f->size, 16);
	CU_ASSERT_EQUAL(f->is_signed, 1);
	f = skbd_tpformat__field(fmt, "dev_name");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->type, "__data_loc char[]");
	CU_ASSERT_EQUAL(f->offset, 24);
	f = skbd_tpformat__field(fmt, "grid");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->type, "int[2][3]");
	f = skbd_tpformat__field(fmt, "big_one");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_STRING_EQUAL(f->type, "unsigned long long");
	CU_ASSERT_EQUAL(f->offset, 56);
	CU_ASSERT_EQUAL(f->size, 8);
	CU_ASSERT_PTR_NULL(skbd_tpformat__field(fmt, "char"));

	CU_ASSERT_EQUAL_FATAL(fmt->nr_reasons, 3);
	CU_ASSERT_EQUAL(fmt->reasons[0].code, 16);
	CU_ASSERT_STRING_EQUAL(fmt->reasons[0].name, "HEX");
	CU_ASSERT_EQUAL(fmt->reasons[1].code, 31);
	CU_ASSERT_STRING_EQUAL(fmt->reasons[1].name, "HEX_UPPER");
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "SEVEN"), 7);
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "FAKE"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "NOPE"), -ENOENT);
	skbd_tpformat__free(fmt);
}

/* Minimal valid text, no trailing newline, empty symbolic list, max u32. */
static void test_minimal_and_limits(void)
{
	static const char text[] =
		"name: m\nID: 4294967295\nformat:\n"
		"\tfield:char c;\toffset:4294967294;\tsize:1;\tsigned:0;\n"
		"print fmt: \"%d\", __print_symbolic(REC->reason)";
	static const char tail[] =
		"name: m\nID: 1\nformat:\n\tfield:char c;\toffset:0;\tsize:1;\tsigned:0;";
	struct skbd_tpformat *fmt = NULL;

	CU_ASSERT_EQUAL_FATAL(parse_exact(text, sizeof(text) - 1, &fmt), 0);
	CU_ASSERT_EQUAL(fmt->id, 4294967295u);
	CU_ASSERT_EQUAL(fmt->record_size, 4294967295u);
	CU_ASSERT_EQUAL(fmt->nr_reasons, 0);
	skbd_tpformat__free(fmt);

	fmt = NULL;
	CU_ASSERT_EQUAL_FATAL(parse_exact(tail, sizeof(tail) - 1, &fmt), 0);
	CU_ASSERT_EQUAL(fmt->record_size, 1);
	CU_ASSERT_EQUAL(fmt->nr_fields, 1);
	skbd_tpformat__free(fmt);

	/* NULL-safe accessors and destructor */
	skbd_tpformat__free(NULL);
	CU_ASSERT_PTR_NULL(skbd_tpformat__field(NULL, "x"));
	CU_ASSERT_PTR_NULL(skbd_tpformat__reason_name(NULL, 1));
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(NULL, "x"), -ENOENT);
}

#define HDR "name: kfree_skb\nID: 7\nformat:\n"
#define FLD "\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
#define PF  "print fmt: \"r=%s\", __print_symbolic(REC->reason, "
#define NULDECL "\tfield:int\0p;\toffset:8;\tsize:4;\tsigned:0;\n"
#define LONG70 "abcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghijabcdefghij"

struct bad_case {
	const char *what;
	const char *text;
	size_t len;        /* 0: strlen(text) */
	const char *where; /* substring the warning must contain */
};

static const struct bad_case bad_cases[] = {
	{ "empty", "", 0, "no name" },
	{ "garbage", "\x01\xff\xfe garbage \x7f\n%s%n\n", 0, "no name" },
	{ "binary with NUL", "name: x\0ID: 1\n", 14, "line 1" },
	{ "no ID", "name: kfree_skb\nformat:\n" FLD, 0, "no ID" },
	{ "ID not a number", "name: a\nID: abc\nformat:\n" FLD, 0, "line 2: bad ID" },
	{ "ID too big", "name: a\nID: 4294967296\nformat:\n" FLD, 0, "line 2: bad ID" },
	{ "ID huge", "name: a\nID: 123456789012345678901234567890\n", 0, "line 2" },
	{ "ID negative", "name: a\nID: -1\n", 0, "line 2" },
	{ "ID twice", "name: a\nID: 1\nID: 2\n", 0, "line 3: duplicate ID" },
	{ "empty name", "name:\nID: 1\n", 0, "line 1" },
	{ "name too long", "name: " LONG70 "\nID: 1\n", 0, "line 1: event name too long" },
	{ "no format line", "name: a\nID: 1\n" FLD, 0, "line 3: field before format" },
	{ "no fields", HDR PF "{ 1, \"A\" })\n", 0, "no fields" },
	{ "format twice", HDR "format:\n", 0, "line 4" },
	{ "missing offset", HDR "\tfield:void * skbaddr;\tsize:8;\tsigned:0;\n", 0,
	  "line 4: missing offset" },
	{ "missing size", HDR "\tfield:void * skbaddr;\toffset:8;\tsigned:0;\n", 0,
	  "line 4: missing size" },
	{ "missing signed", HDR "\tfield:void * skbaddr;\toffset:8;\tsize:8;\n", 0, "line 4" },
	{ "empty offset", HDR "\tfield:void * skbaddr;\toffset:;\tsize:8;\tsigned:0;\n", 0,
	  "line 4: bad offset" },
	{ "offset not a number", HDR "\tfield:void * p;\toffset:8x;\tsize:8;\tsigned:0;\n", 0,
	  "line 4: bad offset" },
	{ "offset negative", HDR "\tfield:void * p;\toffset:-8;\tsize:8;\tsigned:0;\n", 0,
	  "line 4: bad offset" },
	{ "offset hex", HDR "\tfield:void * p;\toffset:0x8;\tsize:8;\tsigned:0;\n", 0,
	  "line 4: bad offset" },
	{ "offset > u32", HDR "\tfield:void * p;\toffset:4294967296;\tsize:8;\tsigned:0;\n", 0,
	  "line 4: bad offset" },
	{ "size huge", HDR "\tfield:void * p;\toffset:8;\tsize:99999999999999999999999;\tsigned:0;\n",
	  0, "line 4: bad size" },
	{ "offset+size overflow",
	  HDR "\tfield:void * p;\toffset:4294967295;\tsize:2;\tsigned:0;\n", 0,
	  "line 4: offset + size overflows" },
	{ "signed 2", HDR "\tfield:int p;\toffset:8;\tsize:4;\tsigned:2;\n", 0, "line 4: bad signed" },
	{ "offset twice", HDR "\tfield:int p;\toffset:8;\toffset:8;\tsize:4;\tsigned:0;\n", 0,
	  "line 4: bad offset" },
	{ "truncated attrs", HDR "\tfield:int p;\toffset:8;\tsize:4;\tsigned:0\n", 0, "line 4" },
	{ "truncated decl", HDR "\tfield:int p\n", 0, "line 4" },
	{ "no type", HDR "\tfield:p;\toffset:8;\tsize:4;\tsigned:0;\n", 0, "line 4" },
	{ "no name", HDR "\tfield:int [4];\toffset:8;\tsize:4;\tsigned:0;\n", 0, "line 4" },
	{ "unbalanced ]", HDR "\tfield:int p];\toffset:8;\tsize:4;\tsigned:0;\n", 0, "line 4" },
	{ "NUL in decl", HDR NULDECL, sizeof(HDR NULDECL) - 1, "line 4" },
	{ "field name too long", HDR "\tfield:int " LONG70 ";\toffset:8;\tsize:4;\tsigned:0;\n", 0,
	  "line 4: field name too long" },
	{ "field type too long",
	  HDR "\tfield:struct " LONG70 LONG70 " *p;\toffset:8;\tsize:4;\tsigned:0;\n", 0,
	  "line 4: field type too long" },
	{ "duplicate field", HDR FLD FLD, 0, "line 5: duplicate field name" },
	{ "unterminated reason string", HDR FLD PF "{ 2, \"NOT_SPECIFIED }, { 3, \"X\" })\n",
	  0, "line 5" },
	{ "unterminated reason string at end", HDR FLD PF "{ 2, \"NOT_SPEC", 0,
	  "line 5: unterminated reason string" },
	{ "unterminated list", HDR FLD PF "{ 2, \"A\" }, { 3, \"B\" }\n", 0,
	  "line 5: unterminated __print_symbolic" },
	{ "missing comma", HDR FLD PF "{ 2 \"A\" })\n", 0, "line 5: malformed" },
	{ "missing brace", HDR FLD PF "{ 2, \"A\" )\n", 0, "line 5: malformed" },
	{ "reason code > u32", HDR FLD PF "{ 0x100000000, \"A\" })\n", 0,
	  "line 5: reason code out of range" },
	{ "reason code decimal > u32", HDR FLD PF "{ 4294967296, \"A\" })\n", 0,
	  "line 5: reason code out of range" },
	{ "reason code negative", HDR FLD PF "{ -1, \"A\" })\n", 0, "line 5: bad reason code" },
	{ "reason code bare 0x", HDR FLD PF "{ 0x, \"A\" })\n", 0, "line 5: bad reason code" },
	{ "reason name too long", HDR FLD PF "{ 1, \"" LONG70 "\" })\n", 0,
	  "line 5: reason name too long" },
	{ "reason name empty", HDR FLD PF "{ 1, \"\" })\n", 0, "line 5" },
	{ "reason name escape", HDR FLD PF "{ 1, \"A\\\"B\" })\n", 0, "line 5" },
	{ "print fmt twice", HDR FLD "print fmt: \"\"\nprint fmt: \"\"\n", 0, "line 6" },
};

static void test_malformed_table(void)
{
	tu_log_quiet();
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		size_t len = c->len ? c->len : strlen(c->text);
		struct skbd_tpformat *fmt = NULL;
		int err;

		tu_log_quiet();
		err = parse_exact(c->text, len, &fmt);
		if (err != -EINVAL || tu_log_count() != 1 || !strstr(tu_log_last(), c->where) ||
		    strncmp(tu_log_last(), "tpformat: ", 10))
			fprintf(stderr, "\nbad case '%s': err %d, %u warnings, last '%s'\n", c->what,
				err, tu_log_count(), tu_log_last());
		CU_ASSERT_EQUAL(err, -EINVAL);
		CU_ASSERT_PTR_NULL(fmt);
		CU_ASSERT_EQUAL(tu_log_count(), 1);
		CU_ASSERT_PTR_NOT_NULL(strstr(tu_log_last(), c->where));
		CU_ASSERT_EQUAL(strncmp(tu_log_last(), "tpformat: ", 10), 0);
		if (!err)
			skbd_tpformat__free(fmt);
	}
	CU_ASSERT_EQUAL(skbd_tpformat__parse(NULL, 0, &(struct skbd_tpformat *){ NULL }), -EINVAL);
	tu_log_restore();
}

/* Every prefix of every fixture (and every single-byte corruption of the
 * 6.18 one) parses or fails with -EINVAL: never a crash, never an overread. */
static void test_truncations(void)
{
	tu_log_quiet();
	for (size_t k = 0; k < NR_FIXTURES; k++) {
		char path[PATH_MAX];
		size_t len, nr_ok = 0, nr_bad = 0;
		char *text;

		snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, fixtures[k].file);
		text = tu_load_file(path, &len);
		CU_ASSERT_PTR_NOT_NULL_FATAL(text);
		for (size_t n = 0; n <= len; n++) {
			struct skbd_tpformat *fmt = NULL;
			unsigned int before = tu_log_count();
			int err = parse_exact(text, n, &fmt);

			CU_ASSERT(err == 0 || err == -EINVAL);
			if (!err) {
				nr_ok++;
				CU_ASSERT(fmt->nr_fields >= 1);
				CU_ASSERT(fmt->nr_reasons <= fixtures[k].nr_reasons);
				CU_ASSERT(fmt->record_size <= fixtures[k].record_size);
				skbd_tpformat__free(fmt);
			} else {
				nr_bad++;
				CU_ASSERT_EQUAL(tu_log_count(), before + 1);
			}
		}
		/* the whole file parses, and cuts in the header or the table fail */
		CU_ASSERT(nr_ok >= 1);
		CU_ASSERT(nr_bad >= 1);
		if (fixtures[k].nr_reasons) {
			/* one byte short of the closing ')' */
			struct skbd_tpformat *fmt = NULL;

			CU_ASSERT_EQUAL(parse_exact(text, len - 2, &fmt), -EINVAL);
			CU_ASSERT_PTR_NULL(fmt);
		}
		free(text);
	}
	tu_log_restore();
}

static void test_corruptions(void)
{
	static const char junk[] = { '\0', '\n', ';', ':', '"', '{', '}', ')', '[', ']', 'x', '9',
				     '\xff' };
	char path[PATH_MAX];
	size_t len;
	char *text, *copy;

	snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, fixtures[4].file);
	text = tu_load_file(path, &len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	copy = malloc(len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	tu_log_quiet();
	/* the header and field lines, byte by byte, and a stride through the table */
	for (size_t pos = 0; pos < len; pos += pos < 1024 ? 1 : 7) {
		for (size_t j = 0; j < sizeof(junk); j++) {
			struct skbd_tpformat *fmt = NULL;
			int err;

			memcpy(copy, text, len);
			copy[pos] = junk[j];
			err = skbd_tpformat__parse(copy, len, &fmt);
			CU_ASSERT(err == 0 || err == -EINVAL);
			if (!err)
				skbd_tpformat__free(fmt);
		}
	}
	tu_log_restore();
	free(copy);
	free(text);
}

/* A fake tracefs tree under a temporary directory. */
static int write_file(const char *path, const char *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, data, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static void test_read_format(void)
{
	char root[] = "/tmp/skbd-tpformat-XXXXXX";
	char path[PATH_MAX], fixture[PATH_MAX];
	struct skbd_tpformat *fmt = NULL;
	char *want, *text = NULL, *big;
	size_t want_len, len = 0, big_len;
	int err;

	snprintf(fixture, sizeof(fixture), "%s%s", FIXTURE_DIR, fixtures[1].file);
	want = tu_load_file(fixture, &want_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));

	snprintf(path, sizeof(path), "%s/events", root);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/events/skb", root);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/events/skb/kfree_skb", root);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/events/skb/kfree_skb/format", root);
	CU_ASSERT_EQUAL(write_file(path, want, want_len), 0);

	/* larger than one read buffer: the file is read in a loop */
	big_len = want_len + 20000;
	big = malloc(big_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memcpy(big, want, want_len);
	memset(big + want_len, '\n', big_len - want_len);
	snprintf(path, sizeof(path), "%s/events/skb/big", root);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/events/skb/big/format", root);
	CU_ASSERT_EQUAL(write_file(path, big, big_len), 0);

	/* an endless pseudo-file hits the 1 MiB cap */
	snprintf(path, sizeof(path), "%s/events/skb/endless", root);
	CU_ASSERT_EQUAL(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/events/skb/endless/format", root);
	CU_ASSERT_EQUAL(symlink("/dev/zero", path), 0);

	err = skbd_tracefs__read_format(root, "skb", "kfree_skb", &text, &len);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_EQUAL(len, want_len);
	CU_ASSERT_EQUAL(text[len], '\0');
	CU_ASSERT_EQUAL(memcmp(text, want, want_len), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_tpformat__parse(text, len, &fmt), 0);
	CU_ASSERT_EQUAL(fmt->id, 1373);
	CU_ASSERT_EQUAL(skbd_tpformat__reason_code(fmt, "NETFILTER_DROP"), 7);
	skbd_tpformat__free(fmt);
	free(text);

	text = NULL;
	err = skbd_tracefs__read_format(root, "skb", "big", &text, &len);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(len, big_len);
	if (!err) {
		CU_ASSERT_EQUAL(memcmp(text, big, big_len), 0);
		CU_ASSERT_EQUAL(text[len], '\0');
		free(text);
	}

	tu_log_quiet();
	text = NULL;
	CU_ASSERT_EQUAL(skbd_tracefs__read_format(root, "skb", "endless", &text, &len), -EFBIG);
	CU_ASSERT_PTR_NULL(text);
	CU_ASSERT_EQUAL(skbd_tracefs__read_format(root, "skb", "no_such_event", &text, &len),
			-ENOENT);
	CU_ASSERT_EQUAL(skbd_tracefs__read_format(root, "nocat", "kfree_skb", &text, &len),
			-ENOENT);
	CU_ASSERT_EQUAL(skbd_tracefs__read_format("/nonexistent-tracefs", "skb", "kfree_skb",
						  &text, &len), -ENOENT);
	CU_ASSERT_EQUAL(skbd_tracefs__read_format(root, "skb", "../skb/kfree_skb", &text, &len),
			-EINVAL);
	CU_ASSERT_EQUAL(skbd_tracefs__read_format(root, "..", "kfree_skb", &text, &len), -EINVAL);
	CU_ASSERT_EQUAL(skbd_tracefs__read_format(root, "", "kfree_skb", &text, &len), -EINVAL);
	CU_ASSERT_PTR_NULL(text);
	tu_log_restore();

	snprintf(path, sizeof(path), "%s/events/skb/endless/format", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events/skb/endless", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/events/skb/big/format", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events/skb/big", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/events/skb/kfree_skb/format", root);
	unlink(path);
	snprintf(path, sizeof(path), "%s/events/skb/kfree_skb", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/events/skb", root);
	rmdir(path);
	snprintf(path, sizeof(path), "%s/events", root);
	rmdir(path);
	CU_ASSERT_EQUAL(rmdir(root), 0);
	free(big);
	free(want);
}

/* Only when tracefs is already visible: a unit test must not mount it. */
static void test_tracefs_find(void)
{
	char path[256];
	struct stat st;
	int mounted = -1, err;

	if (stat("/sys/kernel/tracing/events", &st) &&
	    stat("/sys/kernel/debug/tracing/events", &st))
		return;
	err = skbd_tracefs__find(path, sizeof(path), &mounted);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_EQUAL(mounted, 0);
	CU_ASSERT(!strcmp(path, "/sys/kernel/tracing") || !strcmp(path, "/sys/kernel/debug/tracing"));
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_tracefs__find(path, 4, &mounted), -ENAMETOOLONG);
	tu_log_restore();
}

CU_TestInfo skbd_tests_tpformat[] = {
	{ "fixture 5.10", test_fixture_5_10 },
	{ "fixture 6.1", test_fixture_6_1 },
	{ "fixture 6.12.95", test_fixture_6_12_95 },
	{ "fixture 6.12.117", test_fixture_6_12_117 },
	{ "fixture 6.18", test_fixture_6_18 },
	{ "declaration shapes", test_decl_shapes },
	{ "minimal text and limits", test_minimal_and_limits },
	{ "malformed table", test_malformed_table },
	{ "truncations", test_truncations },
	{ "corruptions", test_corruptions },
	{ "read_format", test_read_format },
	{ "tracefs find", test_tracefs_find },
	CU_TEST_INFO_NULL,
};
