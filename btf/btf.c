// SPDX-License-Identifier: GPL-2.0-only
/* BTF reader: validates a raw BTF blob once so every later lookup can index
 * the type table without further bounds checks. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <skbdrop/btf.h>
#include <skbdrop/log.h>

struct skbd_btf {
	void *data;
	size_t size;
	bool mapped; /* data is a mapping (munmap), else malloc'd */
	const char *strs;
	__u32 str_len;
	const struct btf_type **types; /* index = type id; [0] = NULL (void) */
	__u32 nr_types;
	/* name index, built by the first find_by_name_kind(): the ids of named
	 * struct, union, enum, enum64 and typedef types in an open-addressing
	 * table by the name's hash (0: empty), inserted in id order */
	__u32 *names;
	__u32 names_mask;
	bool names_built;
};

/* Bytes that follow struct btf_type for this kind; -1 for an unknown kind. */
static long type_tail(const struct btf_type *t)
{
	__u32 vlen = BTF_INFO_VLEN(t->info);

	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
		return sizeof(__u32);
	case BTF_KIND_PTR:
	case BTF_KIND_FWD:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_CONST:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_FUNC:
	case BTF_KIND_FLOAT:
	case BTF_KIND_TYPE_TAG:
		return 0;
	case BTF_KIND_ARRAY:
		return sizeof(struct btf_array);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		return (long)vlen * sizeof(struct btf_member);
	case BTF_KIND_ENUM:
		return (long)vlen * sizeof(struct btf_enum);
	case BTF_KIND_FUNC_PROTO:
		return (long)vlen * sizeof(struct btf_param);
	case BTF_KIND_VAR:
		return sizeof(struct btf_var);
	case BTF_KIND_DATASEC:
		return (long)vlen * sizeof(struct btf_var_secinfo);
	case BTF_KIND_DECL_TAG:
		return sizeof(struct btf_decl_tag);
	case 19: /* BTF_KIND_ENUM64, 6.0+: struct btf_enum64 is 12 bytes */
		return (long)vlen * 12;
	default:
		return -1;
	}
}

static int collect_types(struct skbd_btf *btf, const char *tdata, __u32 tlen)
{
	size_t cap = 1024, off = 0;

	btf->types = calloc(cap, sizeof(*btf->types));
	if (!btf->types)
		return -ENOMEM;
	btf->nr_types = 1;
	while (off < tlen) {
		const struct btf_type *t = (const void *)(tdata + off);
		long tail;

		if (tlen - off < sizeof(*t)) {
			skbd_log(SKBD_LOG_WARN, "btf: type %u: truncated header", btf->nr_types);
			return -EINVAL;
		}
		tail = type_tail(t);
		if (tail < 0) {
			skbd_log(SKBD_LOG_WARN, "btf: type %u: unknown kind %u", btf->nr_types,
				 BTF_INFO_KIND(t->info));
			return -EINVAL;
		}
		if ((size_t)tail > tlen - off - sizeof(*t)) {
			skbd_log(SKBD_LOG_WARN, "btf: type %u: truncated (needs %ld bytes)", btf->nr_types,
				 tail);
			return -EINVAL;
		}
		if (t->name_off >= btf->str_len) {
			skbd_log(SKBD_LOG_WARN, "btf: type %u: name offset %u outside strings", btf->nr_types,
				 t->name_off);
			return -EINVAL;
		}
		if (BTF_INFO_KIND(t->info) == BTF_KIND_STRUCT || BTF_INFO_KIND(t->info) == BTF_KIND_UNION) {
			const struct btf_member *m = (const void *)(t + 1);

			for (__u32 i = 0; i < BTF_INFO_VLEN(t->info); i++) {
				if (m[i].name_off >= btf->str_len) {
					skbd_log(SKBD_LOG_WARN, "btf: type %u: member %u name outside strings",
						 btf->nr_types, i);
					return -EINVAL;
				}
			}
		}
		if (btf->nr_types == cap) {
			const struct btf_type **n;

			if (cap > (1u << 24)) {
				skbd_log(SKBD_LOG_WARN, "btf: too many types");
				return -EINVAL;
			}
			n = realloc(btf->types, cap * 2 * sizeof(*n));
			if (!n)
				return -ENOMEM;
			btf->types = n;
			cap *= 2;
		}
		btf->types[btf->nr_types++] = t;
		off += sizeof(*t) + (size_t)tail;
	}
	return 0;
}

static void release(void *data, size_t size, bool mapped)
{
	if (mapped && data)
		munmap(data, size);
	else
		free(data);
}

static int btf_new(const void *data, void *owned, bool mapped, size_t size, struct skbd_btf **out)
{
	const struct btf_header *h;
	struct skbd_btf *btf;
	int err;

	if (!data || size < sizeof(*h)) {
		skbd_log(SKBD_LOG_WARN, "btf: %zu bytes is too short for a header", size);
		release(owned, size, mapped);
		return -EINVAL;
	}
	btf = calloc(1, sizeof(*btf));
	if (!btf) {
		release(owned, size, mapped);
		return -ENOMEM;
	}
	/* malloc'd or mapped memory: 4-byte alignment of every type is then guaranteed */
	btf->data = owned ? owned : malloc(size);
	btf->mapped = owned && mapped;
	owned = NULL; /* btf->data now (or never) holds it: freed with btf */
	if (!btf->data) {
		err = -ENOMEM;
		goto err_free;
	}
	if (btf->data != data)
		memcpy(btf->data, data, size);
	btf->size = size;
	h = btf->data;
	err = -EINVAL;
	if (h->magic != BTF_MAGIC) {
		skbd_log(SKBD_LOG_WARN, "btf: bad magic 0x%04x", h->magic);
		goto err_free;
	}
	if (h->version != BTF_VERSION) {
		skbd_log(SKBD_LOG_WARN, "btf: unsupported version %u", h->version);
		goto err_free;
	}
	if (h->hdr_len < sizeof(*h) || h->hdr_len > size) {
		skbd_log(SKBD_LOG_WARN, "btf: bad header length %u", h->hdr_len);
		goto err_free;
	}
	if ((__u64)h->type_off + h->type_len > size - h->hdr_len ||
	    (__u64)h->str_off + h->str_len > size - h->hdr_len || (h->type_off & 3) ||
	    (h->hdr_len & 3)) { /* types are read in place: keep them 4-byte aligned */
		skbd_log(SKBD_LOG_WARN, "btf: type or string section outside the data");
		goto err_free;
	}
	btf->strs = (const char *)btf->data + h->hdr_len + h->str_off;
	btf->str_len = h->str_len;
	if (!btf->str_len || btf->strs[0] != '\0' || btf->strs[btf->str_len - 1] != '\0') {
		skbd_log(SKBD_LOG_WARN, "btf: string section is not NUL-delimited");
		goto err_free;
	}
	err = collect_types(btf, (const char *)btf->data + h->hdr_len + h->type_off, h->type_len);
	if (err)
		goto err_free;
	*out = btf;
	return 0;

err_free:
	skbd_btf__free(btf);
	return err;
}

int skbd_btf__new(const void *data, size_t size, struct skbd_btf **out)
{
	return btf_new(data, NULL, false, size, out);
}

int skbd_btf__new_owned(void *data, size_t size, struct skbd_btf **out)
{
	return btf_new(data, data, false, size, out);
}

int skbd_btf__new_mapped(void *map, size_t size, struct skbd_btf **out)
{
	return btf_new(map, map, true, size, out);
}

void skbd_btf__free(struct skbd_btf *btf)
{
	if (!btf)
		return;
	free(btf->names);
	free(btf->types);
	release(btf->data, btf->size, btf->mapped);
	free(btf);
}

__u32 skbd_btf__nr_types(const struct skbd_btf *btf)
{
	return btf->nr_types;
}

const struct btf_type *skbd_btf__type(const struct skbd_btf *btf, __u32 id)
{
	if (id == 0 || id >= btf->nr_types)
		return NULL;
	return btf->types[id];
}

const char *skbd_btf__str(const struct skbd_btf *btf, __u32 off)
{
	return off < btf->str_len ? btf->strs + off : NULL;
}

__u32 skbd_btf__skip_mods(const struct skbd_btf *btf, __u32 id)
{
	/* bounded: a malicious loop of typedefs must not hang us */
	for (int depth = 0; depth < 64; depth++) {
		const struct btf_type *t = skbd_btf__type(btf, id);

		if (!t)
			return 0;
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_TYPE_TAG:
			id = t->type;
			break;
		default:
			return id;
		}
	}
	return 0;
}

const struct btf_member *skbd_btf__members(const struct btf_type *t, __u32 *n)
{
	if (!t || (BTF_INFO_KIND(t->info) != BTF_KIND_STRUCT && BTF_INFO_KIND(t->info) != BTF_KIND_UNION))
		return NULL;
	*n = BTF_INFO_VLEN(t->info);
	return (const struct btf_member *)(t + 1);
}


static bool is_indexed_kind(__u32 kind)
{
	return kind == BTF_KIND_STRUCT || kind == BTF_KIND_UNION || kind == BTF_KIND_ENUM ||
	       kind == BTF_KIND_TYPEDEF || kind == 19 /* ENUM64 */;
}

static __u32 name_hash(const char *s)
{
	__u32 h = 2166136261u; /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* vmlinux has 100k+ types and the loader asks for a few dozen structs: one
 * pass here makes every lookup a few probes instead of a linear scan (a
 * sorted index took 4 ms of the start-up to sort, this 1 ms to fill). Ids go
 * in ascending, so along one name's probe sequence the lowest id comes first. */
static int build_name_index(struct skbd_btf *btf)
{
	__u32 n = 0, size = 2;

	for (__u32 id = 1; id < btf->nr_types; id++) {
		const struct btf_type *t = btf->types[id];

		n += btf->strs[t->name_off] && is_indexed_kind(BTF_INFO_KIND(t->info));
	}
	while (size < 2 * n) /* at most half full (n < 2^24: checked at parse time) */
		size <<= 1;
	btf->names = calloc(size, sizeof(*btf->names));
	if (!btf->names)
		return -ENOMEM;
	btf->names_mask = size - 1;
	for (__u32 id = 1; id < btf->nr_types; id++) {
		const struct btf_type *t = btf->types[id];
		__u32 i;

		if (!btf->strs[t->name_off] || !is_indexed_kind(BTF_INFO_KIND(t->info)))
			continue;
		for (i = name_hash(btf->strs + t->name_off) & btf->names_mask; btf->names[i];
		     i = (i + 1) & btf->names_mask)
			;
		btf->names[i] = id;
	}
	btf->names_built = true;
	return 0;
}

int skbd_btf__find_by_name_kind(const struct skbd_btf *cbtf, const char *name, __u32 kind)
{
	/* the handle is only ever created by skbd_btf__new() as writable memory:
	 * casting const away to fill the lazy index is defined behaviour */
	struct skbd_btf *btf = (struct skbd_btf *)cbtf;
	int err;

	if (!btf || !name)
		return -EINVAL;
	if (!name[0])
		return -ENOENT;
	if (!is_indexed_kind(kind)) { /* FUNC and the rest: one pass, no index */
		for (__u32 id = 1; id < btf->nr_types; id++) {
			const struct btf_type *t = btf->types[id];

			if (BTF_INFO_KIND(t->info) == kind && !strcmp(btf->strs + t->name_off, name))
				return (int)id;
		}
		return -ENOENT;
	}
	if (!btf->names_built) {
		err = build_name_index(btf);
		if (err)
			return err;
	}
	for (__u32 i = name_hash(name) & btf->names_mask; btf->names[i]; i = (i + 1) & btf->names_mask) {
		const struct btf_type *t = btf->types[btf->names[i]];

		if (BTF_INFO_KIND(t->info) == kind && !strcmp(btf->strs + t->name_off, name))
			return (int)btf->names[i];
	}
	return -ENOENT;
}

#define FIELD_MAX_DEPTH 16	   /* anonymous members inside anonymous members */
/* members visited per lookup: a real kernel's deepest path (through
 * sk_buff's and sock's anonymous unions) visits fewer than 128; 2^20 let
 * bad BTF take a second per lookup under the sanitizers (fuzz timeout) */
#define FIELD_MAX_STEPS (1u << 16)

struct member_search {
	const struct skbd_btf *btf;
	__u32 steps_left; /* an anonymous member repeated k times nests k^16 ways in bad BTF */
};

struct member_hit {
	__u32 type;    /* as in the member, modifiers not skipped */
	__u64 bits;    /* from the outer struct */
	__u32 bitsize; /* 0: not a bitfield */
};

/* Find the member called name[0..len) in struct/union id, looking through
 * unnamed struct/union members. 0, -ENOENT or -ELOOP. */
static int find_member(struct member_search *ms, __u32 id, const char *name, size_t len, int depth,
		       __u64 base, struct member_hit *hit)
{
	const struct btf_type *t = skbd_btf__type(ms->btf, id);
	const struct btf_member *m;
	bool kflag;
	__u32 n = 0;

	m = skbd_btf__members(t, &n);
	if (!m)
		return -ENOENT;
	kflag = BTF_INFO_KFLAG(t->info);
	for (__u32 i = 0; i < n; i++) {
		/* member names were checked against the string section at parse time */
		const char *mname = ms->btf->strs + m[i].name_off;
		__u32 bits = kflag ? BTF_MEMBER_BIT_OFFSET(m[i].offset) : m[i].offset;
		__u32 bitsize = kflag ? BTF_MEMBER_BITFIELD_SIZE(m[i].offset) : 0;
		int err;

		if (!ms->steps_left)
			return -ELOOP;
		ms->steps_left--;
		if (mname[0]) {
			if (strncmp(mname, name, len) || mname[len])
				continue;
			hit->type = m[i].type;
			hit->bits = base + bits;
			hit->bitsize = bitsize;
			return 0;
		}
		if (depth >= FIELD_MAX_DEPTH)
			continue;
		err = find_member(ms, skbd_btf__skip_mods(ms->btf, m[i].type), name, len, depth + 1,
				  base + bits, hit);
		if (err != -ENOENT)
			return err;
	}
	return -ENOENT;
}

/* Bytes of a member's type; 0 and *size, or -EINVAL. */
static int type_size(const struct skbd_btf *btf, __u32 id, int depth, __u32 *size)
{
	const struct btf_type *t = skbd_btf__type(btf, skbd_btf__skip_mods(btf, id));
	const struct btf_array *arr;
	__u32 elem;
	int err;

	if (!t)
		return -EINVAL;
	switch (BTF_INFO_KIND(t->info)) {
	case BTF_KIND_INT:
	case BTF_KIND_ENUM:
	case 19: /* ENUM64 */
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_FLOAT:
		*size = t->size;
		return 0;
	case BTF_KIND_PTR:
		*size = 8; /* the kernels we load into are 64-bit */
		return 0;
	case BTF_KIND_ARRAY:
		if (depth >= FIELD_MAX_DEPTH)
			return -EINVAL;
		arr = (const struct btf_array *)(t + 1);
		err = type_size(btf, arr->type, depth + 1, &elem);
		if (err)
			return err;
		if (elem && arr->nelems > UINT32_MAX / elem)
			return -EINVAL;
		*size = elem * arr->nelems;
		return 0;
	default:
		return -EINVAL;
	}
}

/* The struct (or union) a relocation names: "name___flavor" means "name". */
static int find_struct(const struct skbd_btf *btf, const char *struct_name)
{
	const char *flavor = strstr(struct_name, "___");
	char *base = NULL;
	int id;

	if (flavor && flavor != struct_name) {
		base = strndup(struct_name, (size_t)(flavor - struct_name));
		if (!base)
			return -ENOMEM;
		struct_name = base;
	}
	id = skbd_btf__find_by_name_kind(btf, struct_name, BTF_KIND_STRUCT);
	if (id == -ENOENT)
		id = skbd_btf__find_by_name_kind(btf, struct_name, BTF_KIND_UNION);
	free(base);
	return id;
}

int skbd_btf__field(const struct skbd_btf *btf, const char *struct_name, const char *path,
		    struct skbd_btf_field *out)
{
	struct member_search ms = { .btf = btf, .steps_left = FIELD_MAX_STEPS };
	struct member_hit hit = { 0 };
	struct skbd_btf_field f = { 0 };
	const struct btf_type *t;
	const char *p = path;
	__u64 bits = 0;
	__u32 cur, size = 0;
	int id, err;

	if (!btf || !struct_name || !path || !out || !path[0])
		return -EINVAL;
	id = find_struct(btf, struct_name);
	if (id < 0)
		return id;
	cur = (__u32)id;
	for (;;) {
		size_t len = strcspn(p, ".");

		if (!len)
			goto bad_path;
		err = find_member(&ms, cur, p, len, 0, bits, &hit);
		if (err == -ELOOP)
			skbd_log(SKBD_LOG_WARN, "btf: struct %s: field %s: search too long (looping BTF?)",
				 struct_name, path);
		if (err)
			return err;
		bits = hit.bits;
		p += len;
		if (!*p)
			break;
		if (!*++p)
			goto bad_path; /* trailing '.' */
		if (hit.bitsize)
			goto bad_path;
		/* go on only into a struct or union */
		cur = skbd_btf__skip_mods(btf, hit.type);
		if (!skbd_btf__members(skbd_btf__type(btf, cur), &(__u32){ 0 }))
			return -ENOENT;
	}

	f.type_id = skbd_btf__skip_mods(btf, hit.type);
	t = skbd_btf__type(btf, f.type_id);
	if (!t || type_size(btf, f.type_id, 0, &size)) {
		skbd_log(SKBD_LOG_WARN, "btf: struct %s: field %s: type %u has no size", struct_name, path,
			 hit.type);
		return -EINVAL;
	}
	/* Without kind_flag a bitfield is an int whose encoding is narrower than
	 * its size (older pahole output); with it the member carries the width. */
	if (!hit.bitsize && BTF_INFO_KIND(t->info) == BTF_KIND_INT) {
		__u32 enc = *(const __u32 *)(t + 1);

		if (BTF_INT_OFFSET(enc) || BTF_INT_BITS(enc) != (__u64)t->size * 8) {
			bits += BTF_INT_OFFSET(enc);
			hit.bitsize = BTF_INT_BITS(enc);
		}
	}
	if (bits > UINT32_MAX || (!hit.bitsize && size > UINT32_MAX / 8)) {
		skbd_log(SKBD_LOG_WARN, "btf: struct %s: field %s: offset or size out of range", struct_name,
			 path);
		return -EINVAL;
	}
	if (!hit.bitsize && bits % 8) {
		skbd_log(SKBD_LOG_WARN, "btf: struct %s: field %s: bit offset %llu is not byte-aligned",
			 struct_name, path, (unsigned long long)bits);
		return -EINVAL;
	}
	f.offset = (__u32)(bits / 8);
	f.size = size;
	f.is_bitfield = hit.bitsize != 0;
	f.bit_offset = (__u32)bits;
	f.bit_size = hit.bitsize ? hit.bitsize : size * 8;
	*out = f;
	return 0;

bad_path:
	skbd_log(SKBD_LOG_WARN, "btf: struct %s: bad field path '%s'", struct_name, path);
	return -EINVAL;
}

/* A string of split BTF: below the base's string section's end, the base's;
 * else the module's own, after it. NULL when outside both (or unterminated:
 * both sections end in a NUL, checked before). */
static const char *split_str(const struct skbd_btf *base, const char *strs, __u32 str_len, __u32 off)
{
	if (off < base->str_len)
		return base->strs + off;
	off -= base->str_len;
	return off < str_len ? strs + off : NULL;
}

int skbd_btf__split_enums(const struct skbd_btf *base, const void *data, size_t size, skbd_btf_enum_fn fn, void *ctx)
{
	const struct btf_header *h = data;
	const char *types, *strs;
	__u32 off = 0;
	__u32 *copy = NULL;

	if (!base || !data || size < sizeof(*h))
		return -EINVAL;
	/* aligned, and ours for the walk */
	copy = malloc(size);
	if (!copy)
		return -ENOMEM;
	memcpy(copy, data, size);
	h = (const struct btf_header *)copy;
	if (h->magic != BTF_MAGIC || h->version != BTF_VERSION || h->hdr_len < sizeof(*h) || h->hdr_len > size ||
	    (__u64)h->type_off + h->type_len > size - h->hdr_len || (__u64)h->str_off + h->str_len > size - h->hdr_len ||
	    (h->type_off & 3) || (h->hdr_len & 3) || !h->str_len) {
		free(copy);
		return -EINVAL;
	}
	types = (const char *)copy + h->hdr_len + h->type_off;
	strs = (const char *)copy + h->hdr_len + h->str_off;
	if (strs[h->str_len - 1] != '\0') {
		free(copy);
		return -EINVAL;
	}
	while (off < h->type_len) {
		const struct btf_type *t = (const void *)(types + off);
		__u32 kind, vlen;
		const char *tname;
		long tail;

		if (h->type_len - off < sizeof(*t) || (tail = type_tail(t)) < 0 ||
		    (size_t)tail > h->type_len - off - sizeof(*t)) {
			free(copy);
			return -EINVAL;
		}
		kind = BTF_INFO_KIND(t->info);
		vlen = BTF_INFO_VLEN(t->info);
		tname = split_str(base, strs, h->str_len, t->name_off);
		if ((kind == BTF_KIND_ENUM || kind == 19) && tname) {
			for (__u32 k = 0; k < vlen; k++) {
				const __u32 *e = (const __u32 *)(t + 1) + (kind == BTF_KIND_ENUM ? 2 : 3) * k;
				__u64 v = kind == BTF_KIND_ENUM ? (__u64)e[1] : (__u64)e[2] << 32 | e[1];
				const char *name = split_str(base, strs, h->str_len, e[0]);

				if (name)
					fn(ctx, tname, name, v);
			}
		}
		off += (__u32)sizeof(*t) + (__u32)tail;
	}
	free(copy);
	return 0;
}
