/* SPDX-License-Identifier: GPL-2.0-only */
/* The hand-written BPF ELF loader (no libbpf): parse, relocate, load. The
 * syscall wrappers and tracepoint attach are in sys.h. */
#ifndef SKBDROP_LOADER_H
#define SKBDROP_LOADER_H

#include <stddef.h>
#include <stdbool.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <skbdrop/sys.h>

/* ---- ELF object ---- */
struct skbd_obj;

/* Where a field of a struct lives in the running kernel. */
struct skbd_field_loc {
	bool exists;
	__u32 offset;
	__u32 size;
	/* a bitfield: offset and size give the smallest aligned unit (1, 2, 4 or
	 * 8 bytes) holding it; loaded into a u64 (little-endian), shifted left by
	 * lshift then right by rshift it is the value. Loads of it are refused:
	 * only the field-info relocations apply (as libbpf's CO-RE does). */
	bool bitfield;
	__u32 lshift, rshift;
};

/* Resolve struct_name.field_name. Return 0 (out filled; exists=false for a
 * field the kernel lacks), -ENOENT for a struct the resolver does not know. */
typedef int (*skbd_field_resolve_fn)(void *ctx, const char *struct_name, const char *field_name,
				     struct skbd_field_loc *out);

/* Parse an ELF BPF object from memory (copied; buf may be freed after).
 * Collects maps ("maps" section of struct skbd_map_def), programs (executable
 * sections other than .text), license, map relocations and CO-RE field
 * relocations (.BTF/.BTF.ext). Unknown sections are skipped. Returns 0 and
 * *out, -EINVAL for a malformed object (message names section/offset), -ENOMEM. */
int skbd_obj__open_mem(const void *buf, size_t size, struct skbd_obj **out);
/* Destroys everything, closing map and program fds. Accepts NULL. */
void skbd_obj__close(struct skbd_obj *obj);

/* Rewrite every recorded field access with the resolver's answer: loads get the
 * kernel's offset (and size), loads of absent fields become "dst = 0", field-exists
 * checks become 0/1. The resolver is asked once per struct and field, its
 * answer applied to every access of that field. Must be called before load.
 * Returns 0 or -errno (message names the instruction and field; -ENOMEM). */
int skbd_obj__resolve_fields(struct skbd_obj *obj, skbd_field_resolve_fn fn, void *ctx);
/* The structs the field relocations name (as the object spells them, flavor
 * included: "sk_buff___skbd"), each once, in the order first met: up to max of
 * them in names (borrowed from obj). Returns how many it wrote: so that a
 * resolver can look them all up ahead of skbd_obj__resolve_fields. */
size_t skbd_obj__field_structs(const struct skbd_obj *obj, const char **names, size_t max);

/* Replace the body of the .text function name (a static noinline subprogram
 * the programs call) with insns, before load: entry r1.. as the function's
 * arguments, r0 the result. 0, -ENOENT (no such function), -EBUSY after load. */
int skbd_obj__set_func(struct skbd_obj *obj, const char *name, const struct bpf_insn *insns, size_t cnt);

/* A body to splice in place of each call of the .text function name: a
 * program whose own stack stays above r10 + stack_top (<= 0) gets, for each
 * call, a jump to a copy of insns appended to it, whose last instruction (its
 * only exit) becomes a jump back after the call: no call, no return. The
 * body must keep r6-r9 and use the stack only below r10 + stack_top. Other
 * programs, and one the copies would make too long for a jump across it,
 * call the function's body (skbd_obj__set_func). 0, -ENOENT, -EINVAL (no
 * exit last, stack_top out of range), -EBUSY. */
int skbd_obj__set_func_spliced(struct skbd_obj *obj, const char *name, const struct bpf_insn *insns, size_t cnt,
			       int stack_top);
/* After load: how many calls of name were spliced (over every load tried). */
size_t skbd_obj__func_spliced(const struct skbd_obj *obj, const char *name);
/* Placeholder calls: a program's call of helper number SKBD_INLINE_CALL + k
 * (k < SKBD_INLINE_MAX, skbdrop_abi.h) is rewritten when it is loaded. Slot k
 * given one instruction: the call becomes it. Given two: the second replaces
 * the call, the first the instruction before it, which must be "r2 = imm" (a
 * constant argument the replacement sets, a BTF type id say). A slot never
 * set, or an optional one once the kernel refused the program (which is then
 * loaded again without the optional slots: for features a kernel may lack,
 * such as a kfunc), becomes "r0 = 0".
 * 0, -EINVAL, -EBUSY after load. skbd_obj__inline_used: is slot k set (after
 * skbd_obj__load: was it loaded)? */
int skbd_obj__set_inline(struct skbd_obj *obj, __u32 k, const struct bpf_insn *insns, size_t cnt, bool optional);
bool skbd_obj__inline_used(const struct skbd_obj *obj, __u32 k);
/* The bpf(2) the object loads through (NULL, the default: the real one). */
void skbd_obj__set_sys(struct skbd_obj *obj, const struct skbd_sys *sys);
/* Override a map's max_entries before load (e.g. the perf array's CPU count). */
int skbd_obj__set_max_entries(struct skbd_obj *obj, const char *map, __u32 max_entries);
/* Shorten a map's key before load to a prefix of the key the program builds
 * (it hashes and compares only those bytes); never longer than declared. */
int skbd_obj__set_key_size(struct skbd_obj *obj, const char *map, __u32 key_size);
/* Create the maps the programs to load use, patch map references
 * (BPF_PSEUDO_MAP_FD), load those programs (see skbd_obj__set_autoload).
 * A rejected program is loaded again with a verifier log, which is logged.
 * Returns 0 or -errno. */
int skbd_obj__load(struct skbd_obj *obj);
/* skbd_obj__load in two steps, for maps whose contents the programs' load
 * must see (a frozen read-only map, whose values the verifier knows): create
 * the maps, write them, then load the programs. -EALREADY when repeated. */
int skbd_obj__create_maps(struct skbd_obj *obj);
int skbd_obj__load_progs(struct skbd_obj *obj);
/* After a failed load: the map whose creation failed it (its max_entries in
 * *max_entries if not NULL), or NULL when the maps were not the cause. */
const char *skbd_obj__failed_map(const struct skbd_obj *obj, __u32 *max_entries);

/* Index of the program whose function is named name, or -ENOENT. */
int skbd_obj__find_prog(const struct skbd_obj *obj, const char *name);
/* Load program idx or not (default: all). Maps only unloaded programs use
 * are not created either. Before load; -ENOENT, -EBUSY after load. */
int skbd_obj__set_autoload(struct skbd_obj *obj, int idx, bool autoload);
/* A program whose load may fail (a hook the kernel may not support): then it
 * stays unloaded (its fd -EBADF) and the object loads without it. */
int skbd_obj__set_optional(struct skbd_obj *obj, int idx, bool optional);
/* Why an optional program did not load (-errno), 0 when it did or was not tried. */
int skbd_obj__prog_load_error(const struct skbd_obj *obj, int idx);
/* A tracing program's target: the kernel BTF id of the function (fentry/). */
int skbd_obj__set_attach_btf_id(struct skbd_obj *obj, int idx, __u32 btf_id);

int skbd_obj__map_fd(const struct skbd_obj *obj, const char *name);   /* fd, -EBADF if not created, -ENOENT */
int skbd_obj__prog_count(const struct skbd_obj *obj);
const char *skbd_obj__prog_section(const struct skbd_obj *obj, int idx); /* NULL if out of range */
int skbd_obj__prog_fd(const struct skbd_obj *obj, int idx);           /* fd, -ENOENT, or -EBADF before load */
/* Instructions of program idx (after relocation); for tests. */
const struct bpf_insn *skbd_obj__prog_insns(const struct skbd_obj *obj, int idx, size_t *cnt);
const char *skbd_obj__license(const struct skbd_obj *obj);

#endif
