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
	bool borrowed; /* data is the caller's: neither freed nor unmapped here */
	const char *strs;
	__u32 str_len;
	const char *tdata; /* the type section */
	__u32 *types;      /* index = type id: its offset in tdata; [0] unused (void) */
	__u32 nr_types;
	/* the ids of the named types but FUNCs, and of the FUNCs (ascending):
	 * 15,000 and 55,800 of 6.18's 125,800 types, listed by the parse */
	__u32 *named, *funcs;
	__u32 nr_named, nr_funcs;
	/* name index, built by the first find_by_name_kind(): the ids of named
	 * struct, union, enum, enum64 and typedef types in an open-addressing
	 * table by the name's hash (0: empty), inserted in id order */
	__u32 *names;
	__u32 names_mask;
	bool names_built;
	/* skbd_btf__find_names: the names asked for, what one pass found for
	 * them, and the enums whose name holds its enum_part (ascending ids) */
	struct found_name *found;
	size_t nr_found;
	__u32 *found_enums;
	size_t nr_found_enums;
	bool found_built, enums_listed;
};

#define NR_KINDS 20 /* 1..19: INT to ENUM64 (collect_types refuses the rest) */

/* A name given to skbd_btf__find_names ("___flavor" cut off): per kind, the
 * lowest id of that name (0: none). */
struct found_name {
	char *name;
	__u32 key; /* name_key() */
	__u32 ids[NR_KINDS];
	bool func_unsure; /* no FUNC found by bisection: one may still be there, out of order (until resolved) */
};

/* Type id (1 to nr_types - 1), unchecked. Offsets (4 bytes an id), not
 * pointers: the table of 6.18's 126,000 types is half a megabyte, half the
 * pages to fault in at start-up and to free again. */
static inline const struct btf_type *type_at(const struct skbd_btf *btf, __u32 id)
{
	return (const struct btf_type *)(btf->tdata + btf->types[id]);
}

/* Bytes that follow struct btf_type, by kind: a fixed part and a part per
 * vlen entry; -1: not a kind (0, or past ENUM64). Tables, not a switch: the
 * kinds of successive types vary too much for a jump to be predicted, and
 * the parse walks every type of the kernel's BTF (126,000 on 6.18). */
static const signed char tail_fixed[NR_KINDS] = {
	[0] = -1,
	[BTF_KIND_INT] = sizeof(__u32),
	[BTF_KIND_ARRAY] = sizeof(struct btf_array),
	[BTF_KIND_VAR] = sizeof(struct btf_var),
	[BTF_KIND_DECL_TAG] = sizeof(struct btf_decl_tag),
	/* PTR, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, FUNC, FLOAT, TYPE_TAG: none */
};
static const unsigned char tail_per_vlen[NR_KINDS] = {
	[BTF_KIND_STRUCT] = sizeof(struct btf_member),
	[BTF_KIND_UNION] = sizeof(struct btf_member),
	[BTF_KIND_ENUM] = sizeof(struct btf_enum),
	[BTF_KIND_FUNC_PROTO] = sizeof(struct btf_param),
	[BTF_KIND_DATASEC] = sizeof(struct btf_var_secinfo),
	[19] = 12, /* BTF_KIND_ENUM64, 6.0+: struct btf_enum64 */
};

static inline long type_tail(const struct btf_type *t)
{
	__u32 kind = BTF_INFO_KIND(t->info);

	if (kind >= NR_KINDS || tail_fixed[kind] < 0)
		return -1;
	return tail_fixed[kind] + (long)BTF_INFO_VLEN(t->info) * tail_per_vlen[kind];
}

static int collect_types(struct skbd_btf *btf, const char *tdata, __u32 tlen)
{
	size_t off = 0;

	/* room for the most types tlen can hold (each at least a btf_type), +1
	 * for id 0, at once: no growth, and only the pages used get touched */
	size_t room = (tlen / sizeof(struct btf_type) + 1) * sizeof(__u32);

	btf->types = malloc(room);
	btf->named = malloc(room);
	btf->funcs = malloc(room);
	if (!btf->types || !btf->named || !btf->funcs)
		return -ENOMEM;
	btf->tdata = tdata;
	btf->types[0] = 0;
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
		if (btf->nr_types == (1u << 25)) {
			skbd_log(SKBD_LOG_WARN, "btf: too many types");
			return -EINVAL;
		}
		/* listed without a branch: the kinds follow no pattern to predict */
		btf->named[btf->nr_named] = btf->nr_types;
		btf->nr_named += t->name_off && BTF_INFO_KIND(t->info) != BTF_KIND_FUNC;
		btf->funcs[btf->nr_funcs] = btf->nr_types;
		btf->nr_funcs += BTF_INFO_KIND(t->info) == BTF_KIND_FUNC;
		btf->types[btf->nr_types++] = (__u32)off;
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

static int btf_new(const void *data, void *owned, bool mapped, bool borrowed, size_t size, struct skbd_btf **out)
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
	/* malloc'd or mapped memory: 4-byte alignment of every type is then
	 * guaranteed (a borrowed buffer's is checked by skbd_btf__new_view) */
	btf->data = owned ? owned : borrowed ? (void *)data : malloc(size);
	btf->mapped = owned && mapped;
	btf->borrowed = borrowed;
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
	return btf_new(data, NULL, false, false, size, out);
}

int skbd_btf__new_owned(void *data, size_t size, struct skbd_btf **out)
{
	return btf_new(data, data, false, false, size, out);
}

int skbd_btf__new_mapped(void *map, size_t size, struct skbd_btf **out)
{
	return btf_new(map, map, true, false, size, out);
}

int skbd_btf__new_view(const void *data, size_t size, struct skbd_btf **out)
{
	if ((uintptr_t)data & 3) { /* types are read in place */
		skbd_log(SKBD_LOG_WARN, "btf: data not 4-byte aligned");
		return -EINVAL;
	}
	return btf_new(data, NULL, false, true, size, out);
}

static void free_found(struct skbd_btf *btf)
{
	for (size_t i = 0; i < btf->nr_found; i++)
		free(btf->found[i].name);
	free(btf->found);
	free(btf->found_enums);
	btf->found = NULL;
	btf->found_enums = NULL;
	btf->nr_found = btf->nr_found_enums = 0;
	btf->found_built = btf->enums_listed = false;
}

void skbd_btf__free(struct skbd_btf *btf)
{
	if (!btf)
		return;
	free_found(btf);
	free(btf->names);
	free(btf->types);
	free(btf->named);
	free(btf->funcs);
	if (!btf->borrowed)
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
	return type_at(btf, id);
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

	for (__u32 k = 0; k < btf->nr_named; k++) {
		const struct btf_type *t = type_at(btf, btf->named[k]);

		n += btf->strs[t->name_off] && is_indexed_kind(BTF_INFO_KIND(t->info));
	}
	while (size < 2 * n) /* at most half full (n < 2^25: checked at parse time) */
		size <<= 1;
	btf->names = calloc(size, sizeof(*btf->names));
	if (!btf->names)
		return -ENOMEM;
	btf->names_mask = size - 1;
	for (__u32 k = 0; k < btf->nr_named; k++) {
		__u32 id = btf->named[k], i;
		const struct btf_type *t = type_at(btf, id);

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

/* Up to the first 4 bytes of a name (before its NUL), as one number: the
 * first filter of find_names' pass, which reads no further into most names. */
static __u32 name_key(const char *s)
{
	__u32 k = 0;

	for (int i = 0; i < 4 && s[i]; i++)
		k |= (__u32)(unsigned char)s[i] << (8 * i);
	return k;
}

/* The same for a name in the string section, read as one 4-byte load where
 * 4 bytes remain (no branch per byte: most of the pass's time goes here). */
static __u32 name_key_at(const struct skbd_btf *btf, __u32 off)
{
	__u32 v, zero;

	if (btf->str_len - off < 4)
		return name_key(btf->strs + off);
	memcpy(&v, btf->strs + off, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v); /* byte i at bits 8i, as name_key() puts it */
#endif
	/* the lowest byte flagged here is the first NUL: keep the bytes before it */
	zero = (v - 0x01010101u) & ~v & 0x80808080u;
	if (zero)
		v &= ((zero & -zero) >> 7) - 1;
	return v;
}

#define KEY_BITS 16
static __u32 key_slot(__u32 key)
{
	return (key * 2654435761u) >> (32 - KEY_BITS);
}

/* The wanted names' keys (name_key) as bits of a 2^KEY_BITS bitmap: a key
 * whose bit is clear is no wanted name's. */
static void filter_add(__u64 *filter, __u32 key)
{
	__u32 slot = key_slot(key);

	filter[slot / 64] |= 1ull << (slot % 64);
}

static bool filter_has(const __u64 *filter, __u32 key)
{
	__u32 slot = key_slot(key);

	return key && (filter[slot / 64] & (1ull << (slot % 64)));
}

/* The wanted name NAME, whose name_key is KEY (each is listed once). */
static struct found_name *lookup_found_key(const struct skbd_btf *btf, __u32 key, const char *name)
{
	for (size_t i = 0; i < btf->nr_found; i++)
		if (btf->found[i].key == key && !strcmp(btf->found[i].name, name))
			return &btf->found[i];
	return NULL;
}

static struct found_name *lookup_found(const struct skbd_btf *btf, const char *name)
{
	return lookup_found_key(btf, name_key(name), name);
}

/* The name without a "___flavor" suffix (as find_struct reads it), malloc'd. */
static char *base_name(const char *name)
{
	const char *flavor = strstr(name, "___");

	return flavor && flavor != name ? strndup(name, (size_t)(flavor - name)) : strdup(name);
}

static int add_found(struct skbd_btf *btf, const char *name, __u64 *filter)
{
	char *base = base_name(name);
	struct found_name *f;

	if (!base)
		return -ENOMEM;
	if (!base[0] || lookup_found(btf, base)) { /* "" is never found; a name once */
		free(base);
		return 0;
	}
	f = &btf->found[btf->nr_found++];
	f->name = base;
	f->key = name_key(base);
	filter_add(filter, f->key);
	return 0;
}

static int add_found_enum(struct skbd_btf *btf, __u32 id, size_t *cap)
{
	if (btf->nr_found_enums == *cap) {
		__u32 *v = realloc(btf->found_enums, (*cap ? *cap * 2 : 16) * sizeof(*v));

		if (!v)
			return -ENOMEM;
		btf->found_enums = v;
		*cap = *cap ? *cap * 2 : 16;
	}
	btf->found_enums[btf->nr_found_enums++] = id;
	return 0;
}

/* FUNCs: pahole 1.29+ writes a kernel's sorted by name (6.18's 55,800 of its
 * 70,700 named types), so the pass keeps their ids without reading a name
 * and a wanted name is then bisected for, the hit checked by an exact
 * compare: the first of equal names, the lowest id where they are sorted
 * (elsewhere, one of them). A miss is marked unsure: older pahole wrote them
 * out of order, where bisection can miss a FUNC that is there; the first
 * lookup of such a name as a FUNC settles every unsure name in one pass over
 * the FUNCs' names (resolve_unsure_funcs), the cost the pass had before. */
static void bisect_func(struct skbd_btf *btf, struct found_name *f)
{
	size_t lo = 0, hi = btf->nr_funcs;

	while (lo < hi) { /* the first FUNC whose name is not below f's */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(btf->strs + type_at(btf, btf->funcs[mid])->name_off, f->name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < btf->nr_funcs && !strcmp(btf->strs + type_at(btf, btf->funcs[lo])->name_off, f->name))
		f->ids[BTF_KIND_FUNC] = btf->funcs[lo]; /* the first of equal names: the lowest id */
	else
		f->func_unsure = true;
}

/* The names bisection missed among the FUNCs, settled by one pass over
 * their names (once, on the first lookup of such a name as a FUNC: on BTF
 * whose FUNCs are out of order, or for a name no FUNC has): the lowest id of
 * each, or none. */
static int resolve_unsure_funcs(struct skbd_btf *btf)
{
	__u64 *filter = calloc((1u << KEY_BITS) / 64, sizeof(*filter));

	if (!filter)
		return -ENOMEM;
	for (size_t i = 0; i < btf->nr_found; i++)
		if (btf->found[i].func_unsure)
			filter_add(filter, btf->found[i].key);
	for (__u32 n = 0; n < btf->nr_funcs; n++) {
		const struct btf_type *t = type_at(btf, btf->funcs[n]);
		__u32 key = name_key_at(btf, t->name_off);
		struct found_name *f;

		if (!filter_has(filter, key))
			continue;
		f = lookup_found_key(btf, key, btf->strs + t->name_off);
		if (f && f->func_unsure && !f->ids[BTF_KIND_FUNC])
			f->ids[BTF_KIND_FUNC] = btf->funcs[n];
	}
	for (size_t i = 0; i < btf->nr_found; i++)
		btf->found[i].func_unsure = false;
	free(filter);
	return 0;
}

/* One pass over the named types but FUNCs (ids ascending: the first hit of
 * a kind is its lowest id), then the FUNCs bisected. A name's first 4 bytes,
 * looked up in a bitmap of the wanted names' ones, rule out nearly every type
 * before any string compare: 6.18's 125,800 types in about 0.1 ms (0.55 ms
 * when the pass went over every type and read the FUNCs' names too), where
 * hashing every name for the full index takes over one. */
int skbd_btf__find_names(struct skbd_btf *btf, const char *const *names, size_t nr, const char *enum_part)
{
	__u64 *filter;
	size_t enum_cap = 0;
	int err = 0;

	if (!btf || (!names && nr))
		return -EINVAL;
	free_found(btf);
	filter = calloc((1u << KEY_BITS) / 64, sizeof(*filter));
	btf->found = calloc(nr ? nr : 1, sizeof(*btf->found));
	if (!filter || !btf->found) {
		err = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr && !err; i++)
		err = names[i] ? add_found(btf, names[i], filter) : 0;
	for (__u32 n = 0; n < btf->nr_named && !err; n++) {
		__u32 id = btf->named[n];
		const struct btf_type *t = type_at(btf, id);
		__u32 kind = BTF_INFO_KIND(t->info), key;
		const char *s = btf->strs + t->name_off;
		struct found_name *f;

		if (enum_part && (kind == BTF_KIND_ENUM || kind == 19 /* ENUM64 */) && strstr(s, enum_part))
			err = add_found_enum(btf, id, &enum_cap);
		key = name_key_at(btf, t->name_off);
		if (!filter_has(filter, key))
			continue;
		f = lookup_found_key(btf, key, s);
		if (f && !f->ids[kind])
			f->ids[kind] = id;
	}
	for (size_t i = 0; i < btf->nr_found && !err; i++)
		bisect_func(btf, &btf->found[i]);
out:
	free(filter);
	if (err) {
		free_found(btf);
		return err;
	}
	btf->found_built = true;
	btf->enums_listed = enum_part != NULL;
	return 0;
}

int skbd_btf__found_enums(const struct skbd_btf *btf, const __u32 **ids, size_t *n)
{
	if (!btf || !btf->enums_listed)
		return -ENOENT;
	*ids = btf->found_enums;
	*n = btf->nr_found_enums;
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
	if (btf->found_built) {
		const struct found_name *f = lookup_found(btf, name);

		if (f && kind == BTF_KIND_FUNC && f->func_unsure && resolve_unsure_funcs(btf))
			return -ENOMEM;
		if (f)
			return kind < NR_KINDS && f->ids[kind] ? (int)f->ids[kind] : -ENOENT;
	}
	if (!is_indexed_kind(kind)) { /* FUNC and the rest: one pass, no index */
		for (__u32 id = 1; id < btf->nr_types; id++) {
			const struct btf_type *t = type_at(btf, id);

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
		const struct btf_type *t = type_at(btf, btf->names[i]);

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
