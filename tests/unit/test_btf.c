// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for btf/btf.c: small BTF blobs built here (every kind the loader
 * walks), malformed headers, types and strings, truncations, corruptions, and
 * the running kernel's /sys/kernel/btf/vmlinux when it is readable. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/btf.h>
#include "testutil.h"

#define INFO(kind, vlen) (((__u32)(kind) << 24) | ((__u32)(vlen) & 0xffff))

/* ---- a byte builder: types as 32-bit words, strings as bytes ---- */
struct blob_builder {
	__u32 types[256];
	size_t nr_words;
	char strs[512];
	size_t str_len;
};

static void bb_init(struct blob_builder *b)
{
	memset(b, 0, sizeof(*b));
	b->str_len = 1; /* offset 0: the empty string */
}

static __u32 bb_str(struct blob_builder *b, const char *s)
{
	size_t n = strlen(s) + 1;
	__u32 off = (__u32)b->str_len;

	if (b->str_len + n > sizeof(b->strs))
		abort();
	memcpy(b->strs + b->str_len, s, n);
	b->str_len += n;
	return off;
}

static void bb_word(struct blob_builder *b, __u32 w)
{
	if (b->nr_words == sizeof(b->types) / sizeof(b->types[0]))
		abort();
	b->types[b->nr_words++] = w;
}

/* struct btf_type: name_off, info, size/type */
static void bb_type(struct blob_builder *b, __u32 name_off, __u32 kind, __u32 vlen, __u32 size_or_type)
{
	bb_word(b, name_off);
	bb_word(b, INFO(kind, vlen));
	bb_word(b, size_or_type);
}

/* Header, then the type section, then the string section (last, so that any
 * truncation cuts a declared section). The result has exactly *size bytes. */
static void *bb_finish(const struct blob_builder *b, size_t *size)
{
	struct btf_header h = {
		.magic = BTF_MAGIC,
		.version = BTF_VERSION,
		.hdr_len = sizeof(struct btf_header),
		.type_off = 0,
		.type_len = (__u32)(b->nr_words * 4),
		.str_off = (__u32)(b->nr_words * 4),
		.str_len = (__u32)b->str_len,
	};
	size_t n = sizeof(h) + b->nr_words * 4 + b->str_len;
	char *out = malloc(n);

	if (!out)
		return NULL;
	memcpy(out, &h, sizeof(h));
	memcpy(out + sizeof(h), b->types, b->nr_words * 4);
	memcpy(out + sizeof(h) + b->nr_words * 4, b->strs, b->str_len);
	*size = n;
	return out;
}

/* Type ids of the sample blob. */
enum {
	ID_INT = 1,
	ID_PTR,
	ID_STRUCT,
	ID_CONST,
	ID_TYPEDEF1,
	ID_TYPEDEF2,
	ID_ARRAY,
	ID_ENUM,
	ID_PROTO,
	ID_LOOP_A,
	ID_LOOP_B,
	ID_UNION,
	ID_FUNC,
	ID_VOLATILE,
	NR_SAMPLE_TYPES, /* including void */
};

/* Offsets of interesting words inside the sample blob (from its start). */
struct sample_layout {
	size_t int_name;      /* name_off of type 1 */
	size_t member_b_name; /* name_off of the struct's second member */
	size_t last_info;     /* info word of the last type */
};

static void *build_sample(size_t *size, struct sample_layout *lay)
{
	struct blob_builder b;
	__u32 s_int, s_pt, s_a, s_b, s_ptt, s_pt2, s_color, s_red, s_blue, s_x, s_y, s_la, s_lb, s_u, s_v,
		s_f;

	bb_init(&b);
	s_int = bb_str(&b, "int");
	s_pt = bb_str(&b, "pt");
	s_a = bb_str(&b, "a");
	s_b = bb_str(&b, "b");
	s_ptt = bb_str(&b, "pt_t");
	s_pt2 = bb_str(&b, "pt2_t");
	s_color = bb_str(&b, "color");
	s_red = bb_str(&b, "RED");
	s_blue = bb_str(&b, "BLUE");
	s_x = bb_str(&b, "x");
	s_y = bb_str(&b, "y");
	s_la = bb_str(&b, "loop_a");
	s_lb = bb_str(&b, "loop_b");
	s_u = bb_str(&b, "u");
	s_v = bb_str(&b, "v");
	s_f = bb_str(&b, "f");

	if (lay)
		lay->int_name = sizeof(struct btf_header) + b.nr_words * 4;
	bb_type(&b, s_int, BTF_KIND_INT, 0, 4);               /* 1: int */
	bb_word(&b, (BTF_INT_SIGNED << 24) | 32);
	bb_type(&b, 0, BTF_KIND_PTR, 0, ID_INT);              /* 2: int * */
	bb_type(&b, s_pt, BTF_KIND_STRUCT, 2, 16);            /* 3: struct pt { int a; int *b; } */
	bb_word(&b, s_a);
	bb_word(&b, ID_INT);
	bb_word(&b, 0);
	if (lay)
		lay->member_b_name = sizeof(struct btf_header) + b.nr_words * 4;
	bb_word(&b, s_b);
	bb_word(&b, ID_PTR);
	bb_word(&b, 64);
	bb_type(&b, 0, BTF_KIND_CONST, 0, ID_STRUCT);         /* 4: const struct pt */
	bb_type(&b, s_ptt, BTF_KIND_TYPEDEF, 0, ID_CONST);    /* 5: pt_t */
	bb_type(&b, s_pt2, BTF_KIND_TYPEDEF, 0, ID_TYPEDEF1); /* 6: pt2_t */
	bb_type(&b, 0, BTF_KIND_ARRAY, 0, 0);                 /* 7: int[4] */
	bb_word(&b, ID_INT);
	bb_word(&b, ID_INT);
	bb_word(&b, 4);
	bb_type(&b, s_color, BTF_KIND_ENUM, 2, 4);            /* 8: enum color */
	bb_word(&b, s_red);
	bb_word(&b, 0);
	bb_word(&b, s_blue);
	bb_word(&b, 1);
	bb_type(&b, 0, BTF_KIND_FUNC_PROTO, 2, ID_INT);       /* 9: int (int x, int *y) */
	bb_word(&b, s_x);
	bb_word(&b, ID_INT);
	bb_word(&b, s_y);
	bb_word(&b, ID_PTR);
	bb_type(&b, s_la, BTF_KIND_TYPEDEF, 0, ID_LOOP_B);    /* 10: loop_a -> loop_b */
	bb_type(&b, s_lb, BTF_KIND_TYPEDEF, 0, ID_LOOP_A);    /* 11: loop_b -> loop_a */
	bb_type(&b, s_u, BTF_KIND_UNION, 1, 4);               /* 12: union u { int v; } */
	bb_word(&b, s_v);
	bb_word(&b, ID_INT);
	bb_word(&b, 0);
	bb_type(&b, s_f, BTF_KIND_FUNC, 0, ID_PROTO);         /* 13: f */
	if (lay)
		lay->last_info = sizeof(struct btf_header) + b.nr_words * 4 + 4;
	bb_type(&b, 0, BTF_KIND_VOLATILE, 0, ID_TYPEDEF2);    /* 14: volatile pt2_t */
	return bb_finish(&b, size);
}

static void put_u32(void *blob, size_t off, __u32 v)
{
	memcpy((char *)blob + off, &v, 4);
}

static struct btf_header get_hdr(const void *blob)
{
	struct btf_header h;

	memcpy(&h, blob, sizeof(h));
	return h;
}

static void put_hdr(void *blob, const struct btf_header *h)
{
	memcpy(blob, h, sizeof(*h));
}

/* Parse an exact-size copy; frees the result; returns the error. */
static int try_parse(const void *blob, size_t size)
{
	static char mark;
	struct skbd_btf *btf = (struct skbd_btf *)(void *)&mark; /* sentinel */
	struct skbd_btf *sentinel = btf;
	void *copy = malloc(size ? size : 1);
	int err;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, blob, size);
	err = skbd_btf__new(copy, size, &btf);
	free(copy);
	if (!err) {
		CU_ASSERT_PTR_NOT_EQUAL(btf, sentinel);
		skbd_btf__free(btf);
	} else {
		CU_ASSERT_PTR_EQUAL(btf, sentinel); /* *out written only on success */
	}
	return err;
}

static void test_sample_types(void)
{
	const struct btf_member *m;
	const struct btf_array *arr;
	const struct btf_param *par;
	const struct btf_enum *en;
	const struct btf_type *t;
	struct skbd_btf *btf = NULL;
	size_t size;
	void *blob = build_sample(&size, NULL);
	__u32 n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	memset(blob, 0xa5, size); /* the data was copied */
	free(blob);

	CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), NR_SAMPLE_TYPES);
	CU_ASSERT_PTR_NULL(skbd_btf__type(btf, 0));
	CU_ASSERT_PTR_NULL(skbd_btf__type(btf, NR_SAMPLE_TYPES));
	CU_ASSERT_PTR_NULL(skbd_btf__type(btf, 0xffffffffu));

	t = skbd_btf__type(btf, ID_INT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_INT);
	CU_ASSERT_EQUAL(t->size, 4);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, t->name_off), "int");
	CU_ASSERT_EQUAL(BTF_INT_BITS(*(const __u32 *)(t + 1)), 32);
	CU_ASSERT_EQUAL(BTF_INT_ENCODING(*(const __u32 *)(t + 1)), BTF_INT_SIGNED);
	CU_ASSERT_PTR_NULL(skbd_btf__members(t, &n));

	t = skbd_btf__type(btf, ID_PTR);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_PTR);
	CU_ASSERT_EQUAL(t->type, ID_INT);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, t->name_off), "");

	t = skbd_btf__type(btf, ID_STRUCT);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_STRUCT);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, t->name_off), "pt");
	CU_ASSERT_EQUAL(t->size, 16);
	n = 0;
	m = skbd_btf__members(t, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL_FATAL(n, 2);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, m[0].name_off), "a");
	CU_ASSERT_EQUAL(m[0].type, ID_INT);
	CU_ASSERT_EQUAL(m[0].offset, 0);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, m[1].name_off), "b");
	CU_ASSERT_EQUAL(m[1].type, ID_PTR);
	CU_ASSERT_EQUAL(m[1].offset, 64);

	t = skbd_btf__type(btf, ID_CONST);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_CONST);
	CU_ASSERT_PTR_NULL(skbd_btf__members(t, &n));
	t = skbd_btf__type(btf, ID_TYPEDEF2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_TYPEDEF);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, t->name_off), "pt2_t");
	CU_ASSERT_PTR_NULL(skbd_btf__members(t, &n)); /* members() does not skip modifiers */

	t = skbd_btf__type(btf, ID_ARRAY);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_ARRAY);
	arr = (const struct btf_array *)(t + 1);
	CU_ASSERT_EQUAL(arr->type, ID_INT);
	CU_ASSERT_EQUAL(arr->nelems, 4);
	CU_ASSERT_PTR_NULL(skbd_btf__members(t, &n));

	t = skbd_btf__type(btf, ID_ENUM);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_ENUM);
	CU_ASSERT_EQUAL(BTF_INFO_VLEN(t->info), 2);
	en = (const struct btf_enum *)(t + 1);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, en[1].name_off), "BLUE");
	CU_ASSERT_EQUAL(en[1].val, 1);
	CU_ASSERT_PTR_NULL(skbd_btf__members(t, &n));

	t = skbd_btf__type(btf, ID_PROTO);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_FUNC_PROTO);
	CU_ASSERT_EQUAL(BTF_INFO_VLEN(t->info), 2);
	CU_ASSERT_EQUAL(t->type, ID_INT);
	par = (const struct btf_param *)(t + 1);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, par[0].name_off), "x");
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, par[1].name_off), "y");
	CU_ASSERT_EQUAL(par[1].type, ID_PTR);

	t = skbd_btf__type(btf, ID_UNION);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	n = 0;
	m = skbd_btf__members(t, &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, m[0].name_off), "v");

	/* the type after the union is found at the right place: the union's tail was skipped */
	t = skbd_btf__type(btf, ID_FUNC);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_FUNC);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, t->name_off), "f");
	CU_ASSERT_EQUAL(t->type, ID_PROTO);
	t = skbd_btf__type(btf, ID_VOLATILE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(t->info), BTF_KIND_VOLATILE);

	/* strings: offset 0 is "", the last byte is in range, one past is not */
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, 0), "");
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, 1), "int");
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, 2), "nt"); /* any offset inside a string */
	CU_ASSERT_PTR_NULL(skbd_btf__str(btf, 100000));
	CU_ASSERT_PTR_NULL(skbd_btf__str(btf, 0xffffffffu));

	skbd_btf__free(btf);
	skbd_btf__free(NULL);
}

static void test_skip_mods(void)
{
	struct skbd_btf *btf = NULL;
	size_t size;
	void *blob = build_sample(&size, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);

	/* volatile -> typedef -> typedef -> const -> struct */
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_VOLATILE), ID_STRUCT);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_TYPEDEF2), ID_STRUCT);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_TYPEDEF1), ID_STRUCT);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_CONST), ID_STRUCT);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_STRUCT), ID_STRUCT);
	/* non-modifiers are returned as they are: a pointer is not followed */
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_INT), ID_INT);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_PTR), ID_PTR);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_ARRAY), ID_ARRAY);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_FUNC), ID_FUNC);
	/* a loop, void and bad ids */
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_LOOP_A), 0);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_LOOP_B), 0);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, 0), 0);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, NR_SAMPLE_TYPES), 0);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, 0x7fffffffu), 0);
	skbd_btf__free(btf);
}

/* A typedef pointing at a type id that does not exist: skip_mods gives 0. */
static void test_dangling_and_empty(void)
{
	struct blob_builder b;
	struct skbd_btf *btf = NULL;
	size_t size;
	void *blob;

	bb_init(&b);
	bb_type(&b, bb_str(&b, "dangling"), BTF_KIND_TYPEDEF, 0, 77);
	bb_type(&b, 0, BTF_KIND_STRUCT, 0, 0); /* anonymous empty struct */
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), 3);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, 1), 0);
	{
		__u32 n = 99;
		const struct btf_member *m = skbd_btf__members(skbd_btf__type(btf, 2), &n);

		CU_ASSERT_PTR_NOT_NULL(m);
		CU_ASSERT_EQUAL(n, 0);
	}
	CU_ASSERT_PTR_NULL(skbd_btf__members(NULL, &(__u32){ 0 }));
	skbd_btf__free(btf);

	/* no types at all, only the empty string */
	bb_init(&b);
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), 1);
	CU_ASSERT_PTR_NULL(skbd_btf__type(btf, 1));
	skbd_btf__free(btf);
}

/* Every other kind the reader must step over: FWD, RESTRICT, FLOAT, TYPE_TAG,
 * VAR, DATASEC, DECL_TAG, ENUM64 (19). The struct after them must be found intact. */
static void test_other_kinds(void)
{
	struct blob_builder b;
	struct skbd_btf *btf = NULL;
	const struct btf_member *m;
	__u32 s_s, s_m, n = 0;
	size_t size;
	void *blob;

	bb_init(&b);
	s_s = bb_str(&b, "after");
	s_m = bb_str(&b, "field");
	bb_type(&b, bb_str(&b, "i"), BTF_KIND_INT, 0, 4); /* 1 */
	bb_word(&b, 32);
	bb_type(&b, bb_str(&b, "fw"), BTF_KIND_FWD, 0, 0);      /* 2 */
	bb_type(&b, 0, BTF_KIND_RESTRICT, 0, 1);                /* 3 */
	bb_type(&b, bb_str(&b, "double"), BTF_KIND_FLOAT, 0, 8); /* 4 */
	bb_type(&b, bb_str(&b, "tag"), BTF_KIND_TYPE_TAG, 0, 3); /* 5: tag -> restrict -> int */
	bb_type(&b, bb_str(&b, "var"), BTF_KIND_VAR, 0, 1);     /* 6 */
	bb_word(&b, 1);
	bb_type(&b, bb_str(&b, ".data"), BTF_KIND_DATASEC, 2, 8); /* 7 */
	for (int i = 0; i < 2; i++) {
		bb_word(&b, 6);
		bb_word(&b, (__u32)i * 4);
		bb_word(&b, 4);
	}
	bb_type(&b, bb_str(&b, "dtag"), BTF_KIND_DECL_TAG, 0, 6); /* 8 */
	bb_word(&b, (__u32)-1);
	bb_type(&b, bb_str(&b, "e64"), 19, 2, 8); /* 9: ENUM64, 12 bytes per value */
	for (int i = 0; i < 2; i++) {
		bb_word(&b, s_m);
		bb_word(&b, (__u32)i);
		bb_word(&b, 0x80000000u);
	}
	bb_type(&b, s_s, BTF_KIND_STRUCT, 1, 4); /* 10 */
	bb_word(&b, s_m);
	bb_word(&b, 5);
	bb_word(&b, 0);
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), 11);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, 5), 1);
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, 2), 2);
	m = skbd_btf__members(skbd_btf__type(btf, 10), &n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(m);
	CU_ASSERT_EQUAL(n, 1);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, skbd_btf__type(btf, 10)->name_off), "after");
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, m[0].name_off), "field");
	CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, m[0].type), 1);
	skbd_btf__free(btf);
}

/* Apply one change to a fresh sample blob and expect -EINVAL and a "btf:" warning. */
static void expect_bad(const char *what, void (*mutate)(void *blob, size_t *size,
							const struct sample_layout *lay))
{
	struct sample_layout lay;
	size_t size;
	void *blob = build_sample(&size, &lay);
	int err;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	mutate(blob, &size, &lay);
	tu_log_quiet();
	err = try_parse(blob, size);
	tu_log_restore();
	if (err != -EINVAL)
		fprintf(stderr, "\nbtf malformed case '%s': got %d\n", what, err);
	CU_ASSERT_EQUAL(err, -EINVAL);
	CU_ASSERT(tu_log_count() > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_log_last(), "btf:"));
	free(blob);
}

static void mut_magic(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.magic = 0x9feb; /* byte-swapped: a big-endian blob */
	put_hdr(blob, &h);
}

static void mut_version(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.version = 2;
	put_hdr(blob, &h);
}

static void mut_hdr_small(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.hdr_len = 16;
	put_hdr(blob, &h);
}

static void mut_hdr_big(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.hdr_len = (__u32)*size + 1;
	put_hdr(blob, &h);
}

static void mut_hdr_huge(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.hdr_len = 0xffffffffu;
	put_hdr(blob, &h);
}

static void mut_type_outside(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.type_len = (__u32)(*size - h.hdr_len) + 4; /* ends 4 bytes past the data */
	put_hdr(blob, &h);
}

static void mut_type_off_wrap(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.type_off = 0xfffffff0u; /* type_off + type_len wraps in 32 bits */
	put_hdr(blob, &h);
}

static void mut_type_off_unaligned(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.type_off = 2;
	h.type_len -= 4;
	put_hdr(blob, &h);
}

static void mut_str_outside(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.str_len += 1;
	put_hdr(blob, &h);
}

static void mut_str_len_zero(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.str_len = 0;
	put_hdr(blob, &h);
}

static void mut_str_no_nul(void *blob, size_t *size, const struct sample_layout *lay)
{
	((char *)blob)[*size - 1] = 'z';
}

static void mut_str_first_not_nul(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	((char *)blob)[h.hdr_len + h.str_off] = 'z';
}

static void mut_name_outside(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	put_u32(blob, lay->int_name, h.str_len); /* one past the last byte */
}

static void mut_member_name_outside(void *blob, size_t *size, const struct sample_layout *lay)
{
	put_u32(blob, lay->member_b_name, 0x7fffffffu);
}

static void mut_truncated_tail(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	/* the last type becomes a struct with one member, whose 12 bytes are missing */
	put_u32(blob, lay->last_info, INFO(BTF_KIND_STRUCT, 1));
	put_hdr(blob, &h);
}

static void mut_truncated_header(void *blob, size_t *size, const struct sample_layout *lay)
{
	struct btf_header h = get_hdr(blob);

	h.type_len -= 4; /* the last type's 12-byte header is cut to 8 */
	put_hdr(blob, &h);
}

static void mut_kind_31(void *blob, size_t *size, const struct sample_layout *lay)
{
	put_u32(blob, lay->last_info, INFO(31, 0));
}

static void mut_kind_unkn(void *blob, size_t *size, const struct sample_layout *lay)
{
	put_u32(blob, lay->last_info, INFO(BTF_KIND_UNKN, 0));
}

static void mut_vlen_huge(void *blob, size_t *size, const struct sample_layout *lay)
{
	put_u32(blob, lay->last_info, INFO(BTF_KIND_STRUCT, 0xffff));
}

static void mut_short(void *blob, size_t *size, const struct sample_layout *lay)
{
	*size = sizeof(struct btf_header) - 1;
}

static void test_malformed(void)
{
	expect_bad("bad magic", mut_magic);
	expect_bad("bad version", mut_version);
	expect_bad("hdr_len too small", mut_hdr_small);
	expect_bad("hdr_len too big", mut_hdr_big);
	expect_bad("hdr_len huge", mut_hdr_huge);
	expect_bad("type section outside", mut_type_outside);
	expect_bad("type_off wraps", mut_type_off_wrap);
	expect_bad("type_off unaligned", mut_type_off_unaligned);
	expect_bad("string section outside", mut_str_outside);
	expect_bad("empty string section", mut_str_len_zero);
	expect_bad("strings not NUL-terminated", mut_str_no_nul);
	expect_bad("strings do not start with NUL", mut_str_first_not_nul);
	expect_bad("name_off outside strings", mut_name_outside);
	expect_bad("member name outside strings", mut_member_name_outside);
	expect_bad("truncated type tail", mut_truncated_tail);
	expect_bad("truncated type header", mut_truncated_header);
	expect_bad("unknown kind 31", mut_kind_31);
	expect_bad("kind 0", mut_kind_unkn);
	expect_bad("huge vlen", mut_vlen_huge);
	expect_bad("shorter than a header", mut_short);

	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_btf__new(NULL, 100, &(struct skbd_btf *){ NULL }), -EINVAL);
	CU_ASSERT_EQUAL(skbd_btf__new("", 0, &(struct skbd_btf *){ NULL }), -EINVAL);
	tu_log_restore();
}

/* A header longer than struct btf_header is allowed (a newer writer), but one
 * whose length is not a multiple of 4 would leave every type misaligned. */
static void test_hdr_len_variants(void)
{
	struct btf_header h;
	size_t size;
	void *blob = build_sample(&size, NULL), *big;
	struct skbd_btf *btf = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	h = get_hdr(blob);
	/* hdr_len 28: four more header bytes, the sections follow */
	big = calloc(1, size + 4);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	h.hdr_len = 28;
	put_hdr(big, &h);
	memcpy((char *)big + 28, (char *)blob + 24, size - 24);
	CU_ASSERT_EQUAL(skbd_btf__new(big, size + 4, &btf), 0);
	if (btf) {
		CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), NR_SAMPLE_TYPES);
		CU_ASSERT_EQUAL(skbd_btf__skip_mods(btf, ID_VOLATILE), ID_STRUCT);
		skbd_btf__free(btf);
	}

	/* hdr_len 26: types at an odd address */
	h.hdr_len = 26;
	put_hdr(big, &h);
	memmove((char *)big + 26, (char *)big + 28, size - 24);
	tu_log_quiet();
	CU_ASSERT_EQUAL(try_parse(big, size + 2), -EINVAL);
	tu_log_restore();
	free(big);
	free(blob);
}

static void test_truncations(void)
{
	size_t size, fails = 0;
	void *blob = build_sample(&size, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL(try_parse(blob, size), 0);
	tu_log_quiet();
	for (size_t n = 0; n < size; n++) {
		int err = try_parse(blob, n);

		if (err != -EINVAL)
			fprintf(stderr, "\nbtf prefix of %zu/%zu bytes: %d\n", n, size, err);
		fails += err == -EINVAL;
	}
	tu_log_restore();
	CU_ASSERT_EQUAL(fails, size);
	free(blob);
}

static __u32 rnd_state = 0x2545f491u;

static __u32 rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 17;
	rnd_state ^= rnd_state << 5;
	return rnd_state;
}

/* Walk everything a parsed blob offers: accepted BTF must be safe to use. */
static void walk_all(const struct skbd_btf *btf)
{
	__u32 nr = skbd_btf__nr_types(btf);

	for (__u32 id = 1; id < nr; id++) {
		const struct btf_type *t = skbd_btf__type(btf, id);
		const struct btf_member *m;
		__u32 n = 0;

		CU_ASSERT_PTR_NOT_NULL_FATAL(t);
		CU_ASSERT_PTR_NOT_NULL(skbd_btf__str(btf, t->name_off));
		(void)skbd_btf__skip_mods(btf, id);
		m = skbd_btf__members(t, &n);
		for (__u32 i = 0; m && i < n; i++) {
			const char *s = skbd_btf__str(btf, m[i].name_off);

			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			(void)strlen(s);
			(void)skbd_btf__skip_mods(btf, m[i].type);
		}
	}
}

static void test_corruptions(void)
{
	size_t size, ok = 0, bad = 0;
	void *blob = build_sample(&size, NULL);
	char *copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	copy = malloc(size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	tu_log_quiet();
	for (int iter = 0; iter < 4000; iter++) {
		struct skbd_btf *btf = NULL;
		int flips = 1 + (int)(rnd() % 3), err;

		memcpy(copy, blob, size);
		for (int f = 0; f < flips; f++)
			copy[rnd() % size] = (char)rnd();
		err = skbd_btf__new(copy, size, &btf);
		CU_ASSERT(err == 0 || err == -EINVAL);
		if (!err) {
			walk_all(btf);
			skbd_btf__free(btf);
			ok++;
		} else {
			bad++;
		}
	}
	tu_log_restore();
	/* both outcomes happen: the validation is neither absent nor all-rejecting */
	CU_ASSERT(ok > 0);
	CU_ASSERT(bad > 0);
	free(copy);
	free(blob);
}

static void test_vmlinux(void)
{
	struct skbd_btf *btf = NULL;
	size_t len = 0;
	void *data = tu_load_file("/sys/kernel/btf/vmlinux", &len);
	bool found = false, has_len = false;

	if (!data)
		return; /* no BTF on this kernel, or not readable */
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(data, len, &btf), 0);
	free(data);
	CU_ASSERT(skbd_btf__nr_types(btf) > 10000);
	for (__u32 id = 1; id < skbd_btf__nr_types(btf) && !found; id++) {
		const struct btf_type *t = skbd_btf__type(btf, id);
		const struct btf_member *m;
		__u32 n = 0;

		if (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT ||
		    strcmp(skbd_btf__str(btf, t->name_off), "sk_buff"))
			continue;
		found = true;
		m = skbd_btf__members(t, &n);
		CU_ASSERT_PTR_NOT_NULL_FATAL(m);
		for (__u32 i = 0; i < n; i++)
			has_len |= !strcmp(skbd_btf__str(btf, m[i].name_off), "len");
	}
	CU_ASSERT(found);
	CU_ASSERT(has_len);
	skbd_btf__free(btf);
}

CU_TestInfo skbd_tests_btf[] = {
	{ "sample types", test_sample_types },
	{ "skip_mods", test_skip_mods },
	{ "dangling and empty", test_dangling_and_empty },
	{ "other kinds", test_other_kinds },
	{ "malformed", test_malformed },
	{ "hdr_len variants", test_hdr_len_variants },
	{ "truncations", test_truncations },
	{ "corruptions", test_corruptions },
	{ "vmlinux", test_vmlinux },
	CU_TEST_INFO_NULL,
};
