// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for btf/btf.c: small BTF blobs built here (every kind the loader
 * walks), malformed headers, types and strings, truncations, corruptions, and
 * the running kernel's /sys/kernel/btf/vmlinux when it is readable; names
 * looked up through skbd_btf__find_names against the full index. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/bpfobj.h>
#include <skbdrop/btf.h>
#include <skbdrop/loader.h>
#include "testutil.h"

#define INFO(kind, vlen) (((__u32)(kind) << 24) | ((__u32)(vlen) & 0xffff))

/* ---- a byte builder: types as 32-bit words, strings as bytes ---- */
struct blob_builder {
	__u32 types[1024];
	size_t nr_words;
	char strs[1024];
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

/* Who keeps the bytes: new_owned frees them, new_mapped unmaps them (ASan
 * reports a leak otherwise), new_view reads them in place and leaves them to
 * the caller (a double free otherwise), and refuses them misaligned. */
static void test_data_ownership(void)
{
	struct skbd_btf *btf = NULL, *sentinel = (struct skbd_btf *)&btf;
	size_t size;
	void *blob = build_sample(&size, NULL), *copy, *map;
	char *odd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new_view(blob, size, &btf), 0);
	CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), NR_SAMPLE_TYPES);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "pt", BTF_KIND_STRUCT), ID_STRUCT);
	CU_ASSERT_PTR_EQUAL(skbd_btf__str(btf, 1), (const char *)blob + sizeof(struct btf_header) +
							 ((const struct btf_header *)blob)->str_off + 1);
	skbd_btf__free(btf);
	odd = malloc(size + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(odd);
	memcpy(odd + 1, blob, size);
	btf = sentinel;
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_btf__new_view(odd + 1, size, &btf), -EINVAL);
	tu_log_restore();
	CU_ASSERT_PTR_EQUAL(btf, sentinel);
	free(odd);
	copy = malloc(size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	memcpy(copy, blob, size);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new_owned(copy, size, &btf), 0);
	skbd_btf__free(btf);
	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CU_ASSERT_FATAL(map != MAP_FAILED);
	memcpy(map, blob, size);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new_mapped(map, size, &btf), 0);
	CU_ASSERT_EQUAL(skbd_btf__nr_types(btf), NR_SAMPLE_TYPES);
	skbd_btf__free(btf);
	free(blob); /* still the caller's after the view */
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
	return tu_rand(&rnd_state);
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
			struct skbd_btf_field f;
			int err;

			CU_ASSERT_PTR_NOT_NULL_FATAL(s);
			(void)strlen(s);
			(void)skbd_btf__skip_mods(btf, m[i].type);
			if (!s[0] || !skbd_btf__str(btf, t->name_off)[0])
				continue;
			/* by name: may find another struct of that name, or none */
			err = skbd_btf__field(btf, skbd_btf__str(btf, t->name_off), s, &f);
			CU_ASSERT(err == 0 || err == -ENOENT || err == -EINVAL || err == -ELOOP);
			if (!err && !f.is_bitfield)
				CU_ASSERT_EQUAL(f.bit_offset, f.offset * 8);
		}
		if (skbd_btf__str(btf, t->name_off)[0]) {
			int found = skbd_btf__find_by_name_kind(btf, skbd_btf__str(btf, t->name_off),
								BTF_INFO_KIND(t->info));

			/* the lowest id of that name and kind (indexed or scanned): this one or an earlier */
			CU_ASSERT(found > 0 && (__u32)found <= id);
			if (found > 0)
				CU_ASSERT_EQUAL(BTF_INFO_KIND(skbd_btf__type(btf, (__u32)found)->info),
						BTF_INFO_KIND(t->info));
		}
	}
}

static void *build_fields(size_t *size);

static void corrupt_and_walk(void *blob, size_t size, int iters)
{
	size_t ok = 0, bad = 0;
	char *copy;

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	copy = malloc(size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	tu_log_quiet();
	for (int iter = 0; iter < iters; iter++) {
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

static void test_corruptions(void)
{
	size_t size;
	void *blob = build_sample(&size, NULL);

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	corrupt_and_walk(blob, size, 4000);
	blob = build_fields(&size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	corrupt_and_walk(blob, size, 3000);
}

/* ---- field resolution: a blob shaped like the kernel's structs ---- */

/* Type ids of the field blob. */
enum {
	F_INT = 1,
	F_U16,
	F_PTR,
	F_ANON_STRUCT, /* struct { int x; u16 deep; } */
	F_ANON_UNION,  /* union { struct {...}; int alt; } */
	F_ARR,         /* int[4] */
	F_CONST,       /* const int */
	F_TYPEDEF,     /* myint_t -> const int */
	F_AB,          /* struct ab { u16 b at 2; int c at 4; } */
	F_ENUM,        /* enum color */
	F_ARR3,        /* int[3] */
	F_ARR23,       /* int[2][3] */
	F_BF,          /* struct bf, kind_flag bitfields */
	F_NIB,         /* int encoded as 4 bits at bit 2 (bitfield without kind_flag) */
	F_OUTER,       /* struct outer */
	F_ONLYUNION,   /* union onlyunion { int v; } */
	F_AB_DUP,      /* a second, later struct ab */
	F_FWD,         /* struct fwdonly; */
	F_OUTER_T,     /* typedef struct outer outer_t */
	F_BAD,         /* struct bad { void v0; l1 lp; } */
	F_LOOP1,       /* typedef l1 -> l2 */
	F_LOOP2,       /* typedef l2 -> l1 */
	F_SELF,        /* struct self: eight anonymous members of itself, then "hit" */
	F_CHAIN,       /* struct chain: 18 anonymous structs nested, "mid" at level 10 */
};

#define CHAIN_LEN 18
#define CHAIN_MID 10

static void bb_member(struct blob_builder *b, __u32 name, __u32 type, __u32 offset)
{
	bb_word(b, name);
	bb_word(b, type);
	bb_word(b, offset);
}

static void *build_fields(size_t *size)
{
	struct blob_builder b;
	__u32 s_mid, s_leaf;

	bb_init(&b);
	bb_type(&b, bb_str(&b, "int"), BTF_KIND_INT, 0, 4); /* F_INT */
	bb_word(&b, (BTF_INT_SIGNED << 24) | 32);
	bb_type(&b, bb_str(&b, "u16"), BTF_KIND_INT, 0, 2); /* F_U16 */
	bb_word(&b, 16);
	bb_type(&b, 0, BTF_KIND_PTR, 0, F_INT); /* F_PTR */
	bb_type(&b, 0, BTF_KIND_STRUCT, 2, 8);  /* F_ANON_STRUCT */
	bb_member(&b, bb_str(&b, "x"), F_INT, 0);
	bb_member(&b, bb_str(&b, "deep"), F_U16, 32);
	bb_type(&b, 0, BTF_KIND_UNION, 2, 8); /* F_ANON_UNION */
	bb_member(&b, 0, F_ANON_STRUCT, 0);
	bb_member(&b, bb_str(&b, "alt"), F_INT, 0);
	bb_type(&b, 0, BTF_KIND_ARRAY, 0, 0); /* F_ARR */
	bb_word(&b, F_INT);
	bb_word(&b, F_INT);
	bb_word(&b, 4);
	bb_type(&b, 0, BTF_KIND_CONST, 0, F_INT);                      /* F_CONST */
	bb_type(&b, bb_str(&b, "myint_t"), BTF_KIND_TYPEDEF, 0, F_CONST); /* F_TYPEDEF */
	bb_type(&b, bb_str(&b, "ab"), BTF_KIND_STRUCT, 2, 8);          /* F_AB */
	bb_member(&b, bb_str(&b, "b"), F_U16, 16);
	bb_member(&b, bb_str(&b, "c"), F_INT, 32);
	bb_type(&b, bb_str(&b, "color"), BTF_KIND_ENUM, 1, 4); /* F_ENUM */
	bb_word(&b, bb_str(&b, "RED"));
	bb_word(&b, 0);
	bb_type(&b, 0, BTF_KIND_ARRAY, 0, 0); /* F_ARR3 */
	bb_word(&b, F_INT);
	bb_word(&b, F_INT);
	bb_word(&b, 3);
	bb_type(&b, 0, BTF_KIND_ARRAY, 0, 0); /* F_ARR23 */
	bb_word(&b, F_ARR3);
	bb_word(&b, F_INT);
	bb_word(&b, 2);
	/* F_BF: kind_flag set: offset = bitfield size << 24 | bit offset */
	bb_word(&b, bb_str(&b, "bf"));
	bb_word(&b, INFO(BTF_KIND_STRUCT, 4) | 1u << 31);
	bb_word(&b, 8);
	bb_member(&b, bb_str(&b, "flags"), F_INT, 3u << 24 | 0);
	bb_member(&b, bb_str(&b, "mode"), F_INT, 5u << 24 | 3);
	bb_member(&b, bb_str(&b, "whole"), F_U16, 16);
	bb_member(&b, bb_str(&b, "tail"), F_INT, 32);
	bb_type(&b, bb_str(&b, "nib"), BTF_KIND_INT, 0, 4); /* F_NIB: offset 2, 4 bits */
	bb_word(&b, 2u << 16 | 4);
	bb_type(&b, bb_str(&b, "outer"), BTF_KIND_STRUCT, 11, 112); /* F_OUTER */
	bb_member(&b, bb_str(&b, "first"), F_INT, 0);
	bb_member(&b, 0, F_ANON_UNION, 64);
	bb_member(&b, bb_str(&b, "p"), F_PTR, 128);
	bb_member(&b, bb_str(&b, "arr"), F_ARR, 192);
	bb_member(&b, bb_str(&b, "td"), F_TYPEDEF, 320);
	bb_member(&b, bb_str(&b, "a"), F_AB, 384);
	bb_member(&b, bb_str(&b, "col"), F_ENUM, 448);
	bb_member(&b, bb_str(&b, "arr2"), F_ARR23, 480);
	bb_member(&b, bb_str(&b, "odd"), F_INT, 676);
	bb_member(&b, 0, F_BF, 768);
	bb_member(&b, bb_str(&b, "nibble"), F_NIB, 832);
	bb_type(&b, bb_str(&b, "onlyunion"), BTF_KIND_UNION, 1, 4); /* F_ONLYUNION */
	bb_member(&b, bb_str(&b, "v"), F_INT, 0);
	bb_type(&b, bb_str(&b, "ab"), BTF_KIND_STRUCT, 0, 4);           /* F_AB_DUP */
	bb_type(&b, bb_str(&b, "fwdonly"), BTF_KIND_FWD, 0, 0);         /* F_FWD */
	bb_type(&b, bb_str(&b, "outer_t"), BTF_KIND_TYPEDEF, 0, F_OUTER); /* F_OUTER_T */
	bb_type(&b, bb_str(&b, "bad"), BTF_KIND_STRUCT, 2, 8);          /* F_BAD */
	bb_member(&b, bb_str(&b, "v0"), 0, 0);
	bb_member(&b, bb_str(&b, "lp"), F_LOOP1, 32);
	bb_type(&b, bb_str(&b, "l1"), BTF_KIND_TYPEDEF, 0, F_LOOP2); /* F_LOOP1 */
	bb_type(&b, bb_str(&b, "l2"), BTF_KIND_TYPEDEF, 0, F_LOOP1); /* F_LOOP2 */
	bb_type(&b, bb_str(&b, "self"), BTF_KIND_STRUCT, 9, 8);     /* F_SELF */
	for (int i = 0; i < 8; i++)
		bb_member(&b, 0, F_SELF, 0);
	bb_member(&b, bb_str(&b, "hit"), F_INT, 32);
	/* F_CHAIN + k holds one anonymous member (the next level) at bit 8 */
	s_mid = bb_str(&b, "mid");
	s_leaf = bb_str(&b, "leaf");
	for (__u32 k = 0; k < CHAIN_LEN; k++) {
		bool last = k == CHAIN_LEN - 1, mid = k == CHAIN_MID;

		bb_type(&b, k ? 0 : bb_str(&b, "chain"), BTF_KIND_STRUCT, 1 + mid, 64);
		if (last)
			bb_member(&b, s_leaf, F_INT, 0);
		else
			bb_member(&b, 0, F_CHAIN + k + 1, 8);
		if (mid)
			bb_member(&b, s_mid, F_INT, 32);
	}
	return bb_finish(&b, size);
}

static struct skbd_btf *parse_fields(void)
{
	struct skbd_btf *btf = NULL;
	size_t size;
	void *blob = build_fields(&size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	return btf;
}

/* Resolve and compare a non-bitfield: offset, size and type id. */
static void expect_field(const struct skbd_btf *btf, const char *st, const char *path, __u32 offset,
			 __u32 size, __u32 type_id)
{
	struct skbd_btf_field f = { 0 };
	int err = skbd_btf__field(btf, st, path, &f);

	if (err || f.offset != offset || f.size != size || f.type_id != type_id || f.is_bitfield)
		fprintf(stderr, "\nfield %s.%s: err %d offset %u size %u type %u bitfield %d\n", st, path,
			err, f.offset, f.size, f.type_id, f.is_bitfield);
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT_EQUAL(f.offset, offset);
	CU_ASSERT_EQUAL(f.size, size);
	CU_ASSERT_EQUAL(f.type_id, type_id);
	CU_ASSERT_FALSE(f.is_bitfield);
	CU_ASSERT_EQUAL(f.bit_offset, offset * 8);
	CU_ASSERT_EQUAL(f.bit_size, size * 8);
}

/* Expect an error; *out must stay untouched. */
static void expect_field_err(const struct skbd_btf *btf, const char *st, const char *path, int want)
{
	struct skbd_btf_field f;
	int err;

	memset(&f, 0x5a, sizeof(f));
	tu_log_quiet();
	err = skbd_btf__field(btf, st, path, &f);
	tu_log_restore();
	if (err != want)
		fprintf(stderr, "\nfield %s.%s: got %d, want %d\n", st ? st : "(null)",
			path ? path : "(null)", err, want);
	CU_ASSERT_EQUAL(err, want);
	CU_ASSERT_EQUAL(f.offset, 0x5a5a5a5au);
}

static void test_find_by_name_kind(void)
{
	struct skbd_btf *btf = parse_fields();
	int found;

	CU_ASSERT_PTR_NOT_NULL_FATAL(btf);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer", BTF_KIND_STRUCT), F_OUTER);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "ab", BTF_KIND_STRUCT), F_AB); /* lowest id */
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "onlyunion", BTF_KIND_UNION), F_ONLYUNION);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "myint_t", BTF_KIND_TYPEDEF), F_TYPEDEF);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer_t", BTF_KIND_TYPEDEF), F_OUTER_T);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "color", BTF_KIND_ENUM), F_ENUM);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "chain", BTF_KIND_STRUCT), F_CHAIN);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "l2", BTF_KIND_TYPEDEF), F_LOOP2);
	/* unindexed kinds are found by a scan */
	found = skbd_btf__find_by_name_kind(btf, "int", BTF_KIND_INT);
	CU_ASSERT_FATAL(found > 0);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(skbd_btf__type(btf, (__u32)found)->info), BTF_KIND_INT);
	CU_ASSERT_STRING_EQUAL(skbd_btf__str(btf, skbd_btf__type(btf, (__u32)found)->name_off), "int");
	found = skbd_btf__find_by_name_kind(btf, "fwdonly", BTF_KIND_FWD);
	CU_ASSERT_FATAL(found > 0);
	CU_ASSERT_EQUAL(BTF_INFO_KIND(skbd_btf__type(btf, (__u32)found)->info), BTF_KIND_FWD);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "int", BTF_KIND_FUNC), -ENOENT);
	/* wrong kind, unknown names on both ends of the sort order */
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "onlyunion", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer", BTF_KIND_UNION), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "fwdonly", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "a", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "abc", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "AAA", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "zzzz", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer", 99), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, NULL, BTF_KIND_STRUCT), -EINVAL);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(NULL, "outer", BTF_KIND_STRUCT), -EINVAL);
	/* the index is built once and reused */
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer", BTF_KIND_STRUCT), F_OUTER);
	skbd_btf__free(btf);
}

static bool same_field(const struct skbd_btf_field *a, const struct skbd_btf_field *b)
{
	return a->offset == b->offset && a->size == b->size && a->is_bitfield == b->is_bitfield &&
	       a->bit_offset == b->bit_offset && a->bit_size == b->bit_size && a->type_id == b->type_id;
}

/* Every kind's answer for name: through find_names (prepared) as through
 * the full index and scans (ref), which never had find_names. The number of
 * kinds that differ. */
static unsigned int lookups_differ_funcs(const struct skbd_btf *prepared, const struct skbd_btf *ref, const char *name,
					 bool funcs_in_order)
{
	unsigned int bad = 0;

	for (__u32 kind = 0; kind <= 20; kind++) {
		int a = skbd_btf__find_by_name_kind(prepared, name, kind);
		int b = skbd_btf__find_by_name_kind(ref, name, kind);

		/* FUNCs out of name order: one of equal names, not always the lowest */
		if (!funcs_in_order && a != b && kind == BTF_KIND_FUNC && a > 0 && b > 0 &&
		    !strcmp(skbd_btf__str(prepared, skbd_btf__type(prepared, (__u32)a)->name_off), name) &&
		    BTF_INFO_KIND(skbd_btf__type(prepared, (__u32)a)->info) == BTF_KIND_FUNC)
			continue;
		if (a != b) {
			fprintf(stderr, "\nfind_names: '%s' kind %u: %d, the index says %d\n", name, kind, a, b);
			bad++;
		}
	}
	return bad;
}

static unsigned int lookups_differ(const struct skbd_btf *prepared, const struct skbd_btf *ref, const char *name)
{
	return lookups_differ_funcs(prepared, ref, name, true);
}

static void test_find_names(void)
{
	static const char *const names[] = { "outer", "ab", "onlyunion", "myint_t", "color", "l2", "int",
					     "fwdonly", "nope", "outer___skbd", "ab", "", NULL, "outer_t", "bf" };
	static const char *const asked[] = { "outer", "ab", "onlyunion", "myint_t", "color", "l2", "int",
					     "fwdonly", "nope", "outer_t", "bf", "chain", "self", "a", "abc" };
	struct skbd_btf *btf = parse_fields(), *ref = parse_fields();
	struct skbd_btf_field f, g;
	const __u32 *ids = NULL;
	size_t n = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(btf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL(skbd_btf__found_enums(btf, &ids, &n), -ENOENT); /* not asked yet */
	CU_ASSERT_EQUAL(skbd_btf__find_names(btf, names, sizeof(names) / sizeof(names[0]), "olo"), 0);
	/* the same answers, for the names asked for (any kind) and for others (the index) */
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
		CU_ASSERT_EQUAL(lookups_differ(btf, ref, asked[i]), 0);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "ab", BTF_KIND_STRUCT), F_AB); /* the lowest id */
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer", BTF_KIND_STRUCT), F_OUTER);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "fwdonly", BTF_KIND_FWD), F_FWD);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "chain", BTF_KIND_STRUCT), F_CHAIN);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "nope", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "outer", 99), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "", BTF_KIND_STRUCT), -ENOENT);
	/* a flavored struct: its name was cut at "___" */
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "outer___skbd", "a.c", &f), 0);
	CU_ASSERT_EQUAL(skbd_btf__field(ref, "outer___skbd", "a.c", &g), 0);
	CU_ASSERT(same_field(&f, &g));
	/* the enums whose name holds "olo" */
	CU_ASSERT_EQUAL_FATAL(skbd_btf__found_enums(btf, &ids, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 1);
	CU_ASSERT_EQUAL(ids[0], F_ENUM);
	/* a second call replaces the first: no enum part, other names */
	CU_ASSERT_EQUAL(skbd_btf__find_names(btf, asked + 11, 2, NULL), 0);
	CU_ASSERT_EQUAL(skbd_btf__found_enums(btf, &ids, &n), -ENOENT);
	for (size_t i = 0; i < sizeof(asked) / sizeof(asked[0]); i++)
		CU_ASSERT_EQUAL(lookups_differ(btf, ref, asked[i]), 0);
	/* an enum part nothing holds: listed, none */
	CU_ASSERT_EQUAL(skbd_btf__find_names(btf, NULL, 0, "no enum has this"), 0);
	CU_ASSERT_EQUAL(skbd_btf__found_enums(btf, &ids, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	CU_ASSERT_EQUAL(skbd_btf__find_names(btf, NULL, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(skbd_btf__find_names(NULL, names, 1, NULL), -EINVAL);
	CU_ASSERT_EQUAL(skbd_btf__found_enums(NULL, &ids, &n), -ENOENT);
	skbd_btf__free(btf);
	skbd_btf__free(ref);
}

/* FUNCs found by bisection: in name order (as a kernel's BTF has them) the
 * lowest id of each name, as the index says; out of order, still a FUNC of
 * that name (a miss is scanned for) and -ENOENT for none. */
static struct skbd_btf *funcs_blob(const char *const *fnames, size_t n)
{
	struct blob_builder b;
	struct skbd_btf *btf = NULL;
	size_t size;
	void *blob;

	bb_init(&b);
	bb_type(&b, 0, BTF_KIND_FUNC_PROTO, 0, 0);                  /* 1 */
	bb_type(&b, bb_str(&b, "both"), BTF_KIND_STRUCT, 0, 4);     /* 2: a struct, and a FUNC below */
	for (size_t i = 0; i < n; i++)
		bb_type(&b, bb_str(&b, fnames[i]), BTF_KIND_FUNC, 0, 1); /* 3.. */
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	return btf;
}

/* FUNCs named fnames[0..n) (ids 3..): find_names, then each name's FUNC
 * id as expected (0: none) and every kind's answer as the index gives it. */
static void check_funcs(const char *const *fnames, size_t n, const char *const *names, const int *ids, size_t nr,
			bool in_order)
{
	struct skbd_btf *btf = funcs_blob(fnames, n), *ref = funcs_blob(fnames, n);

	CU_ASSERT_PTR_NOT_NULL_FATAL(btf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(ref);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__find_names(btf, names, nr, NULL), 0);
	for (size_t i = 0; i < nr; i++) {
		CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, names[i], BTF_KIND_FUNC), ids[i] ? ids[i] : -ENOENT);
		CU_ASSERT_EQUAL(lookups_differ_funcs(btf, ref, names[i], in_order), 0);
	}
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "both", BTF_KIND_STRUCT), 2);
	skbd_btf__free(btf);
	skbd_btf__free(ref);
}

static void test_find_names_funcs(void)
{
	static const char *const sorted[] = { "alpha", "beta", "beta", "both", "gamma" };
	static const char *const unsorted[] = { "zeta", "alpha", "mid", "alpha", "both", "beta" };
	static const char *const asked[] = { "alpha", "beta", "both", "gamma", "mid", "zeta", "absent", "a" };
	/* in order: the lowest id of equal names (beta: 4, not 5) */
	static const int in_order[] = { 3, 4, 6, 7, 0, 0, 0, 0 };
	/* out of order: zeta and mid are missed by bisection, then scanned for */
	static const int out_of_order[] = { 4, 8, 7, 0, 5, 3, 0, 0 };

	check_funcs(sorted, 5, asked, in_order, sizeof(asked) / sizeof(asked[0]), true);
	check_funcs(unsorted, 6, asked, out_of_order, sizeof(asked) / sizeof(asked[0]), false);
}

/* Every name of a BTF blob, asked for through find_names (names shorter than
 * the 4-byte key, and a last string with fewer than 4 bytes after it):
 * the same ids as the index. The number of names checked. */
static size_t all_names_same(const void *blob, size_t size)
{
	struct skbd_btf *btf = NULL, *ref = NULL;
	const char **names;
	size_t n = 0;

	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &ref), 0);
	names = calloc(skbd_btf__nr_types(ref), sizeof(*names));
	CU_ASSERT_PTR_NOT_NULL_FATAL(names);
	for (__u32 id = 1; id < skbd_btf__nr_types(ref); id++) {
		const char *name = skbd_btf__str(ref, skbd_btf__type(ref, id)->name_off);

		if (name[0] && !strstr(name, "___"))
			names[n++] = name;
	}
	CU_ASSERT_EQUAL_FATAL(skbd_btf__find_names(btf, names, n, "e"), 0);
	for (size_t i = 0; i < n; i++)
		CU_ASSERT_EQUAL(lookups_differ(btf, ref, names[i]), 0);
	free(names);
	skbd_btf__free(btf);
	skbd_btf__free(ref);
	return n;
}

static void test_find_names_all(void)
{
	static const char *const fixtures[] = { SKBD_FIXTURES "/../fuzz/corpus/btf/seed-kernel-shapes.BTF",
						SKBD_FIXTURES "/../fuzz/corpus/btf/seed-skbdrop.bpf.o.BTF" };
	size_t size;
	void *blob;

	blob = build_fields(&size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT(all_names_same(blob, size) > 10);
	free(blob);
	for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++) {
		blob = tu_load_file(fixtures[i], &size);
		CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
		CU_ASSERT(all_names_same(blob, size) > 10);
		free(blob);
	}
}

/* Empty BTF and BTF with only anonymous or unindexed types: an empty index. */
static void test_find_in_empty(void)
{
	struct blob_builder b;
	struct skbd_btf *btf = NULL;
	size_t size;
	void *blob;

	bb_init(&b);
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "x", BTF_KIND_STRUCT), -ENOENT);
	expect_field_err(btf, "x", "y", -ENOENT);
	skbd_btf__free(btf);

	bb_init(&b);
	bb_type(&b, 0, BTF_KIND_STRUCT, 0, 0);
	bb_type(&b, bb_str(&b, "i"), BTF_KIND_INT, 0, 4);
	bb_word(&b, 32);
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	/* find_names: the last string, "i", has 2 bytes after its offset */
	CU_ASSERT_EQUAL(all_names_same(blob, size), 1);
	free(blob);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "i", BTF_KIND_STRUCT), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__find_by_name_kind(btf, "i", BTF_KIND_INT), 2); /* id 1 is the anonymous struct */
	skbd_btf__free(btf);
}

static void test_field_lookup(void)
{
	struct skbd_btf *btf = parse_fields();

	CU_ASSERT_PTR_NOT_NULL_FATAL(btf);
	expect_field(btf, "outer", "first", 0, 4, F_INT);
	/* through the anonymous union, then the anonymous struct inside it */
	expect_field(btf, "outer", "x", 8, 4, F_INT);
	expect_field(btf, "outer", "deep", 12, 2, F_U16);
	expect_field(btf, "outer", "alt", 8, 4, F_INT);
	expect_field(btf, "outer", "p", 16, 8, F_PTR);
	expect_field(btf, "outer", "arr", 24, 16, F_ARR);
	expect_field(btf, "outer", "td", 40, 4, F_INT); /* typedef and const skipped */
	expect_field(btf, "outer", "a", 48, 8, F_AB);
	expect_field(btf, "outer", "a.b", 50, 2, F_U16);
	expect_field(btf, "outer", "a.c", 52, 4, F_INT);
	expect_field(btf, "outer", "col", 56, 4, F_ENUM);
	expect_field(btf, "outer", "arr2", 60, 24, F_ARR23); /* int[2][3] */
	expect_field(btf, "outer", "whole", 98, 2, F_U16);   /* kind_flag struct, bitfield size 0 */
	expect_field(btf, "outer", "tail", 100, 4, F_INT);
	expect_field(btf, "ab", "c", 4, 4, F_INT);
	expect_field(btf, "bf", "tail", 4, 4, F_INT);
	expect_field(btf, "onlyunion", "v", 0, 4, F_INT); /* a union is found when no struct is */
	/* the anonymous chain: 10 levels at one byte each */
	expect_field(btf, "chain", "mid", 10 + 4, 4, F_INT);
	/* ___flavor suffixes */
	expect_field(btf, "outer___v2", "x", 8, 4, F_INT);
	expect_field(btf, "outer___", "a.c", 52, 4, F_INT);
	expect_field(btf, "ab___skbd___x", "b", 2, 2, F_U16);
	skbd_btf__free(btf);
}

static void test_field_bitfields(void)
{
	struct skbd_btf *btf = parse_fields();
	struct skbd_btf_field f;

	CU_ASSERT_PTR_NOT_NULL_FATAL(btf);
	memset(&f, 0, sizeof(f));
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "outer", "flags", &f), 0);
	CU_ASSERT(f.is_bitfield);
	CU_ASSERT_EQUAL(f.bit_offset, 768);
	CU_ASSERT_EQUAL(f.bit_size, 3);
	CU_ASSERT_EQUAL(f.offset, 96);
	CU_ASSERT_EQUAL(f.size, 4);
	CU_ASSERT_EQUAL(f.type_id, F_INT);

	CU_ASSERT_EQUAL(skbd_btf__field(btf, "outer", "mode", &f), 0);
	CU_ASSERT(f.is_bitfield);
	CU_ASSERT_EQUAL(f.bit_offset, 771);
	CU_ASSERT_EQUAL(f.bit_size, 5);
	CU_ASSERT_EQUAL(f.offset, 96);

	CU_ASSERT_EQUAL(skbd_btf__field(btf, "bf", "mode", &f), 0);
	CU_ASSERT(f.is_bitfield);
	CU_ASSERT_EQUAL(f.bit_offset, 3);
	CU_ASSERT_EQUAL(f.bit_size, 5);
	CU_ASSERT_EQUAL(f.offset, 0);

	/* no kind_flag: the int's own encoding says 4 bits at bit 2 */
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "outer", "nibble", &f), 0);
	CU_ASSERT(f.is_bitfield);
	CU_ASSERT_EQUAL(f.bit_offset, 834);
	CU_ASSERT_EQUAL(f.bit_size, 4);
	CU_ASSERT_EQUAL(f.offset, 104);
	CU_ASSERT_EQUAL(f.size, 4);
	CU_ASSERT_EQUAL(f.type_id, F_NIB);
	skbd_btf__free(btf);
}

static void test_field_errors(void)
{
	struct skbd_btf *btf = parse_fields();

	CU_ASSERT_PTR_NOT_NULL_FATAL(btf);
	expect_field_err(btf, "nostruct", "x", -ENOENT);
	expect_field_err(btf, "outer", "nope", -ENOENT);
	expect_field_err(btf, "outer", "a.nope", -ENOENT);
	expect_field_err(btf, "outer", "b", -ENOENT);        /* a.b only through a */
	expect_field_err(btf, "outer", "first.x", -ENOENT);  /* into an int */
	expect_field_err(btf, "outer", "p.x", -ENOENT);      /* pointers are not followed */
	expect_field_err(btf, "outer", "fir", -ENOENT);      /* prefixes do not match */
	expect_field_err(btf, "outer", "firstt", -ENOENT);
	expect_field_err(btf, "___outer", "x", -ENOENT);     /* a leading ___ is no flavor */
	expect_field_err(btf, "outerr___v2", "x", -ENOENT);
	expect_field_err(btf, "fwdonly", "x", -ENOENT);
	expect_field_err(btf, "outer_t", "x", -ENOENT);      /* struct names, not typedefs */
	expect_field_err(btf, "myint_t", "x", -ENOENT);
	expect_field_err(btf, "chain", "leaf", -ENOENT);     /* 17 anonymous levels down: too deep */
	expect_field_err(btf, "outer", "odd", -EINVAL);      /* bit 676 */
	expect_field_err(btf, "outer", "flags.x", -EINVAL);  /* through a bitfield */
	expect_field_err(btf, "outer", "", -EINVAL);
	expect_field_err(btf, "outer", ".", -EINVAL);
	expect_field_err(btf, "outer", "a.", -EINVAL);
	expect_field_err(btf, "outer", ".a", -EINVAL);
	expect_field_err(btf, "outer", "a..b", -EINVAL);
	expect_field_err(btf, "outer", NULL, -EINVAL);
	expect_field_err(btf, NULL, "x", -EINVAL);
	expect_field_err(NULL, "outer", "x", -EINVAL);
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "outer", "x", NULL), -EINVAL);
	/* members without a size: void, a typedef loop */
	expect_field_err(btf, "bad", "v0", -EINVAL);
	expect_field_err(btf, "bad", "lp", -EINVAL);
	expect_field_err(btf, "bad", "lp.x", -ENOENT);
	/* eight anonymous members of itself: 8^16 paths, cut by the step bound */
	expect_field_err(btf, "self", "nope", -ELOOP);
	skbd_btf__free(btf);
}

/* Malicious shapes built on purpose: must end, and end with an error. */
static void test_field_hostile(void)
{
	struct blob_builder b;
	struct skbd_btf *btf = NULL;
	struct skbd_btf_field f;
	size_t size;
	void *blob;

	/* 1: struct s { anonymous: typedef t; }, 2: typedef t -> s; 3: array of itself */
	bb_init(&b);
	bb_type(&b, bb_str(&b, "s"), BTF_KIND_STRUCT, 2, 8);
	bb_member(&b, 0, 2, 0);
	bb_member(&b, bb_str(&b, "arr"), 3, 0);
	bb_type(&b, bb_str(&b, "t"), BTF_KIND_TYPEDEF, 0, 1);
	bb_type(&b, 0, BTF_KIND_ARRAY, 0, 0);
	bb_word(&b, 3);
	bb_word(&b, 3);
	bb_word(&b, 0xffffffffu);
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	/* the anonymous member recurses into s 16 times, then "arr" is found */
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "s", "arr", &f), -EINVAL); /* array of itself: no size */
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "s", "none", &f), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "s", "arr.x", &f), -ENOENT);
	tu_log_restore();
	skbd_btf__free(btf);

	/* array sizes that overflow 32 bits */
	bb_init(&b);
	bb_type(&b, bb_str(&b, "int"), BTF_KIND_INT, 0, 4);
	bb_word(&b, 32);
	bb_type(&b, 0, BTF_KIND_ARRAY, 0, 0); /* 2: int[0x40000001] */
	bb_word(&b, 1);
	bb_word(&b, 1);
	bb_word(&b, 0x40000001u);
	bb_type(&b, bb_str(&b, "big"), BTF_KIND_STRUCT, 2, 8); /* 3 */
	bb_member(&b, bb_str(&b, "huge"), 2, 0);
	bb_member(&b, bb_str(&b, "far"), 1, 0xfffffff8u);
	blob = bb_finish(&b, &size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(blob);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(blob, size, &btf), 0);
	free(blob);
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "big", "huge", &f), -EINVAL);
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "big", "far", &f), 0);
	CU_ASSERT_EQUAL(f.offset, 0x1ffffffful);
	tu_log_restore();
	skbd_btf__free(btf);
}

/* sk_buff, net_device and sock fields of the running kernel. */
static void test_vmlinux_fields(void)
{
	static const struct {
		const char *st, *path;
		__u32 size; /* 0: not checked */
	} want[] = {
		{ "sk_buff", "len", 4 },
		{ "sk_buff", "dev", 8 },
		{ "sk_buff", "head", 8 },
		{ "sk_buff", "data", 8 },
		{ "sk_buff", "sk", 8 },
		{ "sk_buff", "network_header", 2 },
		{ "sk_buff", "mac_header", 2 },
		{ "sk_buff", "transport_header", 2 },
		{ "net_device", "ifindex", 4 },
		{ "sock", "__sk_common.skc_family", 2 },
		{ "sock_common", "skc_family", 2 },
	};
	struct skbd_btf_field f[sizeof(want) / sizeof(want[0])], g;
	struct skbd_btf *btf = NULL;
	size_t len = 0, n = sizeof(want) / sizeof(want[0]);
	void *data = tu_load_file("/sys/kernel/btf/vmlinux", &len);

	if (!data)
		return; /* no BTF on this kernel, or not readable */
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(data, len, &btf), 0);
	free(data);
	for (size_t i = 0; i < n; i++) {
		int id = skbd_btf__find_by_name_kind(btf, want[i].st, BTF_KIND_STRUCT);
		int err = skbd_btf__field(btf, want[i].st, want[i].path, &f[i]);

		if (err || f[i].size != want[i].size)
			fprintf(stderr, "\nvmlinux %s.%s: err %d size %u\n", want[i].st, want[i].path, err,
				f[i].size);
		CU_ASSERT_FATAL(id > 0);
		CU_ASSERT_EQUAL_FATAL(err, 0);
		CU_ASSERT_EQUAL(f[i].size, want[i].size);
		CU_ASSERT_FALSE(f[i].is_bitfield);
		CU_ASSERT(f[i].offset + f[i].size <= skbd_btf__type(btf, (__u32)id)->size);
	}
	/* the sk_buff fields do not overlap one another */
	for (size_t i = 0; i < 8; i++)
		for (size_t j = i + 1; j < 8; j++)
			CU_ASSERT(f[i].offset + f[i].size <= f[j].offset ||
				  f[j].offset + f[j].size <= f[i].offset);
	CU_ASSERT_EQUAL(f[9].offset, f[10].offset); /* __sk_common is sock's first member */
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "sk_buff___skbd", "len", &g), 0);
	CU_ASSERT_EQUAL(g.offset, f[0].offset);
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "sk_buff", "no_such_field_here", &g), -ENOENT);
	CU_ASSERT_EQUAL(skbd_btf__field(btf, "no_such_struct_here", "len", &g), -ENOENT);
	/* the index against every type: each named struct/union/enum/typedef is
	 * found by its name and kind, at its own id or an earlier duplicate */
	{
		unsigned int bad = 0, checked = 0;

		for (__u32 id = 1; id < skbd_btf__nr_types(btf); id++) {
			const struct btf_type *t = skbd_btf__type(btf, id);
			const char *name = skbd_btf__str(btf, t->name_off);
			__u32 kind = BTF_INFO_KIND(t->info);
			int found;

			if (!name[0] || (kind != BTF_KIND_STRUCT && kind != BTF_KIND_UNION &&
					 kind != BTF_KIND_ENUM && kind != BTF_KIND_TYPEDEF))
				continue;
			found = skbd_btf__find_by_name_kind(btf, name, kind);
			checked++;
			bad += found <= 0 || (__u32)found > id ||
			       BTF_INFO_KIND(skbd_btf__type(btf, (__u32)found)->info) != kind ||
			       strcmp(skbd_btf__str(btf, skbd_btf__type(btf, (__u32)found)->name_off), name);
		}
		CU_ASSERT(checked > 1000);
		CU_ASSERT_EQUAL(bad, 0);
	}
	skbd_btf__free(btf);
}

/* The monitor's lookups on the running kernel's BTF: its names, the structs
 * of the embedded object's relocations and every field they read, and names
 * of every kind taken across the whole BTF; the same answers through
 * find_names as through the full index, and the drop-reason enums listed as a
 * scan of every type finds them. */
struct fields_pair {
	const struct skbd_btf *btf, *ref;
	unsigned int checked, bad;
};

static int compare_field(void *ctx, const char *struct_name, const char *field, struct skbd_field_loc *out)
{
	struct fields_pair *fp = ctx;
	struct skbd_btf_field a, b;
	int ea, eb;

	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(out, 0, sizeof(*out));
	ea = skbd_btf__field(fp->btf, struct_name, field, &a);
	eb = skbd_btf__field(fp->ref, struct_name, field, &b);
	fp->checked++;
	if (ea != eb || !same_field(&a, &b)) {
		fprintf(stderr, "\nfind_names: %s.%s: %d offset %u, the index %d offset %u\n", struct_name, field, ea,
			a.offset, eb, b.offset);
		fp->bad++;
	}
	return 0;
}

static void test_vmlinux_find_names(void)
{
	const char *names[256] = { "skb_drop_reason", "skb_drop_reason_subsys", "bpf_rdonly_cast", "tcp_conn_request",
				   "sk_buff", "sock", "request_sock", "tcp_sock", "socket_alloc", "task_struct" };
	struct skbd_btf *btf = NULL, *ref = NULL;
	struct fields_pair fp = { 0 };
	struct skbd_obj *obj = NULL;
	size_t len = 0, n = 10, nr_structs, nr_enums = 0, listed = 0;
	void *data = tu_load_file("/sys/kernel/btf/vmlinux", &len);
	const __u32 *enums = NULL;
	__u32 step;

	if (!data)
		return; /* no BTF on this kernel, or not readable */
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(data, len, &btf), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(data, len, &ref), 0);
	free(data);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, (size_t)(skbd_bpf_object_end - skbd_bpf_object), &obj), 0);
	nr_structs = skbd_obj__field_structs(obj, names + n, 64);
	CU_ASSERT(nr_structs > 5);
	n += nr_structs;
	/* and about 150 more names, of every kind, from across the BTF */
	step = skbd_btf__nr_types(ref) / 150 + 1;
	for (__u32 id = 1; id < skbd_btf__nr_types(ref) && n < sizeof(names) / sizeof(names[0]); id += step) {
		const char *name = skbd_btf__str(ref, skbd_btf__type(ref, id)->name_off);

		if (name[0] && !strstr(name, "___"))
			names[n++] = name;
	}
	CU_ASSERT_EQUAL_FATAL(skbd_btf__find_names(btf, names, n, "drop_reason"), 0);
	for (size_t i = 0; i < n; i++) {
		char base[128];

		snprintf(base, sizeof(base), "%s", names[i]);
		if (strstr(base, "___"))
			*strstr(base, "___") = '\0';
		CU_ASSERT_EQUAL(lookups_differ(btf, ref, base), 0);
	}
	CU_ASSERT(skbd_btf__find_by_name_kind(btf, "sk_buff", BTF_KIND_STRUCT) > 0);
	CU_ASSERT(skbd_btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC) > 0 ||
		  skbd_btf__find_by_name_kind(ref, "bpf_rdonly_cast", BTF_KIND_FUNC) == -ENOENT);
	/* every field the object reads */
	fp.btf = btf;
	fp.ref = ref;
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, compare_field, &fp), 0);
	CU_ASSERT(fp.checked > 20);
	CU_ASSERT_EQUAL(fp.bad, 0);
	/* the enums named *drop_reason*, as a scan of every type */
	CU_ASSERT_EQUAL_FATAL(skbd_btf__found_enums(btf, &enums, &nr_enums), 0);
	for (__u32 id = 1; id < skbd_btf__nr_types(ref); id++) {
		const struct btf_type *t = skbd_btf__type(ref, id);
		__u32 kind = BTF_INFO_KIND(t->info);

		if ((kind == BTF_KIND_ENUM || kind == 19) && strstr(skbd_btf__str(ref, t->name_off), "drop_reason")) {
			CU_ASSERT_FATAL(listed < nr_enums);
			CU_ASSERT_EQUAL(enums[listed], id);
			listed++;
		}
	}
	CU_ASSERT_EQUAL(listed, nr_enums);
	CU_ASSERT(nr_enums > 0 || skbd_btf__find_by_name_kind(ref, "skb_drop_reason", BTF_KIND_ENUM) == -ENOENT);
	skbd_obj__close(obj);
	skbd_btf__free(btf);
	skbd_btf__free(ref);
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


/* A module's split BTF: its enums' names from its own strings and from the
 * base's; broken data rejected, never read past */
struct enum_seen {
	char names[8][64];
	__u64 vals[8];
	int n;
};

static void on_enum(void *ctx, const char *enum_name, const char *name, __u64 v)
{
	struct enum_seen *e = ctx;

	if (e->n < 8 && strcmp(enum_name, "ovs_drop_reason") == 0) {
		snprintf(e->names[e->n], sizeof(e->names[0]), "%s", name);
		e->vals[e->n++] = v;
	}
}

static void test_split_enums(void)
{
	struct blob_builder base, mod;
	struct skbd_btf *btf = NULL;
	struct enum_seen seen = { .n = 0 };
	size_t bsize, msize;
	void *bdata, *mdata;
	__u32 shared, own_enum, own_name, base_strs;

	bb_init(&base);
	shared = bb_str(&base, "OVS_DROP_LAST_ACTION");
	bb_type(&base, bb_str(&base, "int"), BTF_KIND_INT, 0, 4);
	bb_word(&base, 32);
	bdata = bb_finish(&base, &bsize);
	CU_ASSERT_PTR_NOT_NULL_FATAL(bdata);
	CU_ASSERT_EQUAL_FATAL(skbd_btf__new(bdata, bsize, &btf), 0);
	base_strs = (__u32)base.str_len;

	/* the module: strings start at offset 0 of its own section, seen at base_strs + off */
	bb_init(&mod);
	own_enum = base_strs + bb_str(&mod, "ovs_drop_reason");
	own_name = base_strs + bb_str(&mod, "OVS_DROP_ACTION_ERROR");
	bb_type(&mod, own_enum, BTF_KIND_ENUM, 2, 4);
	bb_word(&mod, shared);       /* a name from the base's strings */
	bb_word(&mod, (2u << 16) | 1);
	bb_word(&mod, own_name);     /* one of its own */
	bb_word(&mod, (2u << 16) | 2);
	bb_type(&mod, 0, 19 /* ENUM64 */, 1, 8);
	bb_word(&mod, own_name);
	bb_word(&mod, 5);
	bb_word(&mod, 0);
	mdata = bb_finish(&mod, &msize);
	CU_ASSERT_PTR_NOT_NULL_FATAL(mdata);
	CU_ASSERT_EQUAL(skbd_btf__split_enums(btf, mdata, msize, on_enum, &seen), 0);
	CU_ASSERT_EQUAL_FATAL(seen.n, 2);
	CU_ASSERT_STRING_EQUAL(seen.names[0], "OVS_DROP_LAST_ACTION");
	CU_ASSERT_EQUAL(seen.vals[0], 0x20001);
	CU_ASSERT_STRING_EQUAL(seen.names[1], "OVS_DROP_ACTION_ERROR");
	CU_ASSERT_EQUAL(seen.vals[1], 0x20002);

	/* every prefix: rejected or complete, never a read past the bytes (ASan) */
	for (size_t n = 0; n < msize; n++) {
		void *cut = malloc(n ? n : 1);

		CU_ASSERT_PTR_NOT_NULL_FATAL(cut);
		memcpy(cut, mdata, n);
		CU_ASSERT_EQUAL(skbd_btf__split_enums(btf, cut, n, on_enum, &seen), -EINVAL);
		free(cut);
	}
	/* a name offset past both string sections: no name, no callback */
	seen.n = 0;
	((__u32 *)((char *)mdata + sizeof(struct btf_header)))[3] = base_strs + 5000;
	CU_ASSERT_EQUAL(skbd_btf__split_enums(btf, mdata, msize, on_enum, &seen), 0);
	CU_ASSERT_EQUAL(seen.n, 1);
	CU_ASSERT_EQUAL(skbd_btf__split_enums(NULL, mdata, msize, on_enum, &seen), -EINVAL);
	free(mdata);
	free(bdata);
	skbd_btf__free(btf);
}

CU_TestInfo skbd_tests_btf[] = {
	{ "split BTF enums (a module's)", test_split_enums },
	{ "sample types", test_sample_types },
	{ "skip_mods", test_skip_mods },
	{ "data ownership: owned, mapped, view", test_data_ownership },
	{ "dangling and empty", test_dangling_and_empty },
	{ "other kinds", test_other_kinds },
	{ "malformed", test_malformed },
	{ "hdr_len variants", test_hdr_len_variants },
	{ "truncations", test_truncations },
	{ "corruptions", test_corruptions },
	{ "vmlinux", test_vmlinux },
	{ "find by name and kind", test_find_by_name_kind },
	{ "find in empty BTF", test_find_in_empty },
	{ "field lookup", test_field_lookup },
	{ "field bitfields", test_field_bitfields },
	{ "field errors", test_field_errors },
	{ "field hostile BTF", test_field_hostile },
	{ "vmlinux fields", test_vmlinux_fields },
	{ "find names", test_find_names },
	{ "find names: every name of a BTF", test_find_names_all },
	{ "find names: FUNCs bisected, in order or not", test_find_names_funcs },
	{ "find names: vmlinux, the monitor's lookups", test_vmlinux_find_names },
	CU_TEST_INFO_NULL,
};
