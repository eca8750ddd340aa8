/* SPDX-License-Identifier: GPL-2.0-only */
/* A small BTF reader (no libbpf): validated type table, strings, and the
 * lookups the loader needs to resolve field relocations. Serves both an
 * object's .BTF and, later, /sys/kernel/btf/vmlinux. */
#ifndef SKBDROP_BTF_H
#define SKBDROP_BTF_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/btf.h>

struct skbd_btf;

/* Parse and validate raw BTF (header, every type's tail, string offsets).
 * The data is copied. Returns 0 and *out, -EINVAL for malformed BTF (message
 * names the type id or header field), -ENOMEM. */
int skbd_btf__new(const void *data, size_t size, struct skbd_btf **out);
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

#endif
