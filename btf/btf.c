// SPDX-License-Identifier: GPL-2.0-only
/* BTF reader: validates a raw BTF blob once so every later lookup can index
 * the type table without further bounds checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/btf.h>
#include <skbdrop/log.h>

struct skbd_btf {
	void *data;
	size_t size;
	const char *strs;
	__u32 str_len;
	const struct btf_type **types; /* index = type id; [0] = NULL (void) */
	__u32 nr_types;
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

int skbd_btf__new(const void *data, size_t size, struct skbd_btf **out)
{
	const struct btf_header *h;
	struct skbd_btf *btf;
	int err;

	if (!data || size < sizeof(*h)) {
		skbd_log(SKBD_LOG_WARN, "btf: %zu bytes is too short for a header", size);
		return -EINVAL;
	}
	btf = calloc(1, sizeof(*btf));
	if (!btf)
		return -ENOMEM;
	/* copy into malloc'd memory: 4-byte alignment of every type is then guaranteed */
	btf->data = malloc(size);
	if (!btf->data) {
		err = -ENOMEM;
		goto err_free;
	}
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

void skbd_btf__free(struct skbd_btf *btf)
{
	if (!btf)
		return;
	free(btf->types);
	free(btf->data);
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
