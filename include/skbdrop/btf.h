/* SPDX-License-Identifier: GPL-2.0-only */
/* A small BTF reader (no libbpf): validated type table, strings, and the
 * lookups the loader needs to resolve field relocations. Serves both an
 * object's .BTF and, later, /sys/kernel/btf/vmlinux. */
#ifndef SKBDROP_BTF_H
#define SKBDROP_BTF_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <linux/btf.h>

struct skbd_btf;

/* Parse and validate raw BTF (header, every type's tail, string offsets).
 * The data is copied. Returns 0 and *out, -EINVAL for malformed BTF (message
 * names the type id or header field), -ENOMEM. */
int skbd_btf__new(const void *data, size_t size, struct skbd_btf **out);
/* The same, taking ownership of data (malloc'd) instead of copying it: it is
 * freed by skbd_btf__free, or right away when this fails. Saves a copy of
 * the kernel's multi-MiB BTF at startup. */
int skbd_btf__new_owned(void *data, size_t size, struct skbd_btf **out);
/* The same, taking ownership of a read-only mapping of size bytes (munmap'd
 * by skbd_btf__free, or right away when this fails). For the kernel's own
 * BTF, which sysfs maps from kernel memory (6.16+): no copy, no RSS. */
int skbd_btf__new_mapped(void *map, size_t size, struct skbd_btf **out);
/* The same, reading data in place and never freeing it: the caller keeps it
 * (4-byte aligned, else -EINVAL) until skbd_btf__free, and releases it after.
 * For a mapping of the kernel's BTF whose munmap can wait past start-up. */
int skbd_btf__new_view(const void *data, size_t size, struct skbd_btf **out);
void skbd_btf__free(struct skbd_btf *btf);

/* Number of type ids, including id 0 (void). */
__u32 skbd_btf__nr_types(const struct skbd_btf *btf);
/* NULL for id 0 or out of range. */
const struct btf_type *skbd_btf__type(const struct skbd_btf *btf, __u32 id);
/* NULL when off is outside the string section. */
const char *skbd_btf__str(const struct skbd_btf *btf, __u32 off);
/* Skip typedef/const/volatile/restrict/type_tag; returns the resulting id
 * (0 for void or on a loop/bad id). */
__u32 skbd_btf__skip_mods(const struct skbd_btf *btf, __u32 id);
/* Members of a struct/union type (count in *n), NULL for other kinds. */
const struct btf_member *skbd_btf__members(const struct btf_type *t, __u32 *n);

/* Id of the type named name of kind kind, the lowest id when several match.
 * -ENOENT when there is none, -ENOMEM. Other kinds than BTF_KIND_STRUCT,
 * _UNION, _ENUM, _TYPEDEF and 19 = ENUM64 (e.g. FUNC) are found by a scan of
 * all types (O(n) per lookup). For the indexed kinds, the first call builds a
 * name index (a hash table of the names: a few probes per lookup) owned by btf and
 * freed by skbd_btf__free(); btf is logically const but that first call writes
 * the index, so do not make it from two threads at once. */
int skbd_btf__find_by_name_kind(const struct skbd_btf *btf, const char *name, __u32 kind);

/* Look up names known up front (the kernel structs a BPF program reads, a
 * kfunc, the drop-reason enums: a few dozen) in one pass over the types,
 * instead of the index of every name that skbd_btf__find_by_name_kind builds
 * on its first call. Afterwards skbd_btf__find_by_name_kind answers for these
 * names, of any kind, from what the pass found (the same ids: the lowest of
 * each kind; a FUNC, found by bisection, is the first of its name in name
 * order, which a kernel's BTF keeps: the lowest id there too); another name
 * still builds the full index. A "___flavor" suffix
 * of a name is cut off, as skbd_btf__field does. With enum_part (NULL: none)
 * the same pass lists the ENUM and ENUM64 types whose name contains it (see
 * skbd_btf__found_enums). A second call replaces the first's names. Like the
 * index, not to be called while another thread looks names up. 0, -EINVAL
 * (NULL btf, or NULL names with nr > 0), -ENOMEM (lookups then work as
 * without this call). */
int skbd_btf__find_names(struct skbd_btf *btf, const char *const *names, size_t nr, const char *enum_part);
/* The enums skbd_btf__find_names listed for its enum_part: 0, *ids (owned by
 * btf, ascending; NULL when *n is 0) and *n; -ENOENT when it was given none. */
int skbd_btf__found_enums(const struct skbd_btf *btf, const __u32 **ids, size_t *n);

/* Where a field sits inside a struct or union. */
struct skbd_btf_field {
	__u32 offset;     /* bytes from the start of the outer struct; bitfields: bit_offset / 8 */
	__u32 size;       /* bytes of the member's type (a bitfield's storage type) */
	bool is_bitfield;
	__u32 bit_offset; /* bits from the start of the outer struct */
	__u32 bit_size;   /* bits (size * 8 for a non-bitfield) */
	__u32 type_id;    /* the member's type, modifiers and typedefs skipped */
};

/* Locate path (member names joined by '.', e.g. "__sk_common.skc_family") in
 * the struct (or union) named struct_name. A "___flavor" suffix of struct_name
 * is ignored ("sk_buff___skbd" finds "sk_buff"). Members of anonymous
 * structs/unions are found by name as in C, their offsets added (at most 16
 * levels deep). Sizes: pointers are 8 bytes, arrays nelems * element size.
 * Returns 0 and *out; -ENOENT for a missing struct or member, or a path
 * through a non-struct member; -EINVAL for an empty path or component, a path
 * through a bitfield, a non-bitfield not on a byte boundary, or a member whose
 * size is unknown (void, function, loop of typedefs); -ELOOP when malformed
 * BTF makes the search too long; -ENOMEM. *out is written only on success. */
int skbd_btf__field(const struct skbd_btf *btf, const char *struct_name, const char *path,
		    struct skbd_btf_field *out);

/* Every enumerator of the enums of split BTF (a module's /sys/kernel/btf/NAME,
 * whose type ids and strings continue base's): fn(ctx, enum name, enumerator
 * name, value). Names are looked up in base or in the module's own strings.
 * 0, -EINVAL for malformed data (no callback after the first bad type), -ENOMEM. */
typedef void (*skbd_btf_enum_fn)(void *ctx, const char *enum_name, const char *name, __u64 value);
int skbd_btf__split_enums(const struct skbd_btf *base, const void *data, size_t size, skbd_btf_enum_fn fn, void *ctx);

#endif
