// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for loader/elf.c: the embedded BPF object (sections, maps, field
 * relocation against the five fixture kernels, a real load as root) and
 * malformed objects made from it (truncations, corruptions, bad headers). */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/bpfobj.h>
#include <skbdrop/filter.h>
#include <skbdrop/loader.h>
#include <skbdrop/perfbuf.h>
#include <skbdrop/tpformat.h>
#include "skbdrop_abi.h"
#include "testutil.h"

#define FIXTURE_DIR SKBD_FIXTURES "/tracepoint-formats/"

/* ---- the embedded object ---- */
static size_t obj_size(void)
{
	return (size_t)(skbd_bpf_object_end - skbd_bpf_object);
}

/* A malloc'd copy of exactly the object's size (an overread is an ASan error). */
static unsigned char *obj_copy(void)
{
	unsigned char *c = malloc(obj_size());

	if (c)
		memcpy(c, skbd_bpf_object, obj_size());
	return c;
}

/* Open buf and close it again; the error (0 when it opened). *out is checked
 * to be written only on success. */
static int try_open(const void *buf, size_t size)
{
	static char mark;
	struct skbd_obj *sentinel = (struct skbd_obj *)(void *)&mark, *obj = sentinel;
	int err = skbd_obj__open_mem(buf, size, &obj);

	if (err) {
		CU_ASSERT_PTR_EQUAL(obj, sentinel);
	} else {
		CU_ASSERT_PTR_NOT_EQUAL(obj, sentinel);
		skbd_obj__close(obj);
	}
	return err;
}

/* ---- hand-parsed section headers of a (good) copy ---- */
static Elf64_Ehdr *ehdr(unsigned char *buf)
{
	return (Elf64_Ehdr *)(void *)buf;
}

static Elf64_Shdr *shdr(unsigned char *buf, size_t idx)
{
	return (Elf64_Shdr *)(void *)(buf + ehdr(buf)->e_shoff) + idx;
}

/* The section named name, and its index in *idx; NULL when absent. */
static Elf64_Shdr *find_section(unsigned char *buf, const char *name, size_t *idx)
{
	const Elf64_Ehdr *eh = ehdr(buf);
	const char *names;

	if (eh->e_shoff % 8 || eh->e_shoff + (size_t)eh->e_shnum * sizeof(Elf64_Shdr) > obj_size())
		return NULL;
	names = (const char *)buf + shdr(buf, eh->e_shstrndx)->sh_offset;
	for (size_t i = 1; i < eh->e_shnum; i++) {
		Elf64_Shdr *sh = shdr(buf, i);

		if (!strcmp(names + sh->sh_name, name)) {
			if (idx)
				*idx = i;
			return sh;
		}
	}
	return NULL;
}

static Elf64_Shdr *find_type(unsigned char *buf, __u32 type)
{
	for (size_t i = 1; i < ehdr(buf)->e_shnum; i++)
		if (shdr(buf, i)->sh_type == type)
			return shdr(buf, i);
	return NULL;
}

#define PROG_SEC "tracepoint/skb/kfree_skb"
#define PROG_REL_SEC ".rel" PROG_SEC
#define PROG_RB_SEC "tracepoint/skb/kfree_skb/ringbuf"
#define HOOK_SEC "fentry/tcp_conn_request"
#define HOOK_RB_SEC "fentry/tcp_conn_request/ringbuf"
#define QDISC_SEC "tracepoint/qdisc/qdisc_drop"
#define FLUSH_SEC "raw_tp/skbd_flush"

/* The symbol named name (in the copy), NULL when absent. */
static Elf64_Sym *find_symbol(unsigned char *buf, const char *name)
{
	Elf64_Shdr *st = find_type(buf, SHT_SYMTAB);
	const char *strs;

	if (!st)
		return NULL;
	strs = (const char *)buf + shdr(buf, st->sh_link)->sh_offset;
	for (size_t i = 0; i < st->sh_size / sizeof(Elf64_Sym); i++) {
		Elf64_Sym *s = (Elf64_Sym *)(void *)(buf + st->sh_offset) + i;

		if (!strcmp(strs + s->st_name, name))
			return s;
	}
	return NULL;
}

/* struct btf_ext_header, as far as the core_relo fields */
struct ext_hdr {
	__u16 magic;
	__u8 version, flags;
	__u32 hdr_len;
	__u32 func_info_off, func_info_len;
	__u32 line_info_off, line_info_len;
	__u32 core_relo_off, core_relo_len;
};

static struct ext_hdr *find_ext(unsigned char *buf)
{
	Elf64_Shdr *sh = find_section(buf, ".BTF.ext", NULL);

	return sh ? (struct ext_hdr *)(void *)(buf + sh->sh_offset) : NULL;
}

/* First byte of the core_relo subsection (its rec_size word). */
static unsigned char *core_relo(unsigned char *buf)
{
	struct ext_hdr *h = find_ext(buf);

	return (unsigned char *)h + h->hdr_len + h->core_relo_off;
}

/* ---- the good object ---- */

/* Before any relocation, program idx's instructions are its section's bytes,
 * copied (copy is scribbled over by the caller afterwards). */
static void check_insns_copied(const struct skbd_obj *obj, int idx, const void *sec, size_t sec_size)
{
	const struct bpf_insn *insns;
	size_t cnt = 0;

	insns = skbd_obj__prog_insns(obj, idx, &cnt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(insns);
	CU_ASSERT_EQUAL_FATAL(cnt * sizeof(struct bpf_insn), sec_size);
	CU_ASSERT(memcmp(insns, sec, sec_size) == 0);
}

/* A malloc'd copy of section name's bytes in buf, its size in *size. */
static unsigned char *section_bytes(unsigned char *buf, const char *name, size_t *size)
{
	Elf64_Shdr *sh = find_section(buf, name, NULL);
	unsigned char *b;

	if (!sh || !sh->sh_size)
		return NULL;
	b = malloc(sh->sh_size);
	if (b)
		memcpy(b, buf + sh->sh_offset, sh->sh_size);
	*size = sh->sh_size;
	return b;
}

static void test_good_object(void)
{
	static const char *const maps[] = { SKBD_MAP_EVENTS, SKBD_MAP_CONFIG, SKBD_MAP_REASONS,
					    SKBD_MAP_STATS, SKBD_MAP_RINGBUF };
	unsigned char *copy = obj_copy(), *sec_perf, *sec_rb;
	struct skbd_obj *obj = NULL;
	size_t cnt = 0, size_perf = 0, size_rb = 0;
	int perf, rb;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(copy, obj_size(), &obj), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(obj);

	/* six programs: the tracepoint's and the listen-overflow hook's, one per transport,
	 * qdisc_drop's (7.x) and the perf batches' flush, found by function name */
	CU_ASSERT_EQUAL(skbd_obj__prog_count(obj), 6);
	perf = skbd_obj__find_prog(obj, SKBD_PROG_PERF);
	rb = skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF);
	CU_ASSERT_FATAL(perf >= 0 && perf < 6);
	CU_ASSERT_FATAL(rb >= 0 && rb < 6);
	CU_ASSERT_NOT_EQUAL(perf, rb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(skbd_obj__prog_section(obj, perf));
	CU_ASSERT_PTR_NOT_NULL_FATAL(skbd_obj__prog_section(obj, rb));
	CU_ASSERT_STRING_EQUAL(skbd_obj__prog_section(obj, perf), PROG_SEC);
	CU_ASSERT_STRING_EQUAL(skbd_obj__prog_section(obj, rb), PROG_RB_SEC);
	CU_ASSERT_EQUAL(skbd_obj__find_prog(obj, "bogus"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__find_prog(obj, ""), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__find_prog(obj, "skbd_kfree"), -ENOENT);     /* a prefix */
	CU_ASSERT_EQUAL(skbd_obj__find_prog(obj, "skbd_kfree_skb2"), -ENOENT); /* longer */
	CU_ASSERT_EQUAL(skbd_obj__find_prog(obj, PROG_SEC), -ENOENT);          /* a section, not a name */
	CU_ASSERT_PTR_NULL(skbd_obj__prog_section(obj, 6));
	CU_ASSERT_PTR_NULL(skbd_obj__prog_section(obj, -1));
	CU_ASSERT_STRING_EQUAL(skbd_obj__license(obj), "GPL");
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, maps[i]), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, "nosuchmap"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, "event"), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, ""), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, 6), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, -1), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, 64), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, 4096 * 16), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, "bogus", 64), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, "events2", 64), -ENOENT);
	/* a key only shrinks to a prefix: never 0, never past what the program builds */
	CU_ASSERT_EQUAL(skbd_obj__set_key_size(obj, SKBD_MAP_EVENTS, 5), -EINVAL);
	CU_ASSERT_EQUAL(skbd_obj__set_key_size(obj, SKBD_MAP_EVENTS, 0), -EINVAL);
	CU_ASSERT_EQUAL(skbd_obj__set_key_size(obj, "bogus", 4), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_key_size(obj, SKBD_MAP_EVENTS, 4), 0);

	/* autoload: valid indexes only; before load it can go back and forth */
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 6, false), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, -1, true), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 1000, true), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, rb, false), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, rb, true), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, perf, false), 0);

	/* before any relocation the instructions are the sections' bytes, copied:
	 * scribble over our buffer first */
	sec_perf = section_bytes(copy, PROG_SEC, &size_perf);
	sec_rb = section_bytes(copy, PROG_RB_SEC, &size_rb);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sec_perf);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sec_rb);
	CU_ASSERT(size_perf != size_rb || memcmp(sec_perf, sec_rb, size_rb)); /* two different programs */
	memset(copy, 0xee, obj_size());
	check_insns_copied(obj, perf, sec_perf, size_perf);
	check_insns_copied(obj, rb, sec_rb, size_rb);
	CU_ASSERT_PTR_NULL(skbd_obj__prog_insns(obj, 6, &cnt));
	CU_ASSERT_PTR_NULL(skbd_obj__prog_insns(obj, -1, &cnt));

	free(sec_perf);
	free(sec_rb);
	free(copy);
	skbd_obj__close(obj);
	skbd_obj__close(NULL);
}

/* ---- field relocation against the fixture layouts ---- */
struct tp_resolver {
	const struct skbd_tpformat *fmt;
	unsigned int calls;
	unsigned int kernel_calls; /* lookups of kernel structs (answered: absent) */
	bool asked_skbaddr, asked_location, asked_protocol, asked_reason, asked_rx_sk, asked_other;
	int fail;           /* nonzero: return this for every call */
	int override_size;  /* nonzero: report this size for "protocol" */
	__u32 override_off; /* nonzero: report this offset for "location" */
};

static int resolve_tp(void *ctx, const char *struct_name, const char *field, struct skbd_field_loc *out)
{
	struct tp_resolver *r = ctx;
	const struct skbd_tp_field *f;

	/* kernel structs (sk_buff___skbd, ...) and qdisc_drop's record (before 7.x):
	 * absent here, as without BTF */
	if ((strstr(struct_name, "___skbd") || !strcmp(struct_name, SKBD_TP_QDISC_STRUCT)) && !r->fail) {
		r->kernel_calls++;
		out->exists = false;
		return 0;
	}
	r->calls++;
	if (r->fail)
		return r->fail;
	if (strcmp(struct_name, SKBD_TP_STRUCT))
		return -ENOENT;
	if (!strcmp(field, "skbaddr"))
		r->asked_skbaddr = true;
	else if (!strcmp(field, "location"))
		r->asked_location = true;
	else if (!strcmp(field, "protocol"))
		r->asked_protocol = true;
	else if (!strcmp(field, "reason"))
		r->asked_reason = true;
	else if (!strcmp(field, "rx_sk"))
		r->asked_rx_sk = true;
	else
		r->asked_other = true;
	f = skbd_tpformat__field(r->fmt, field);
	out->exists = f != NULL;
	out->offset = f ? f->offset : 0;
	out->size = f ? f->size : 0;
	if (f && r->override_size && !strcmp(field, "protocol"))
		out->size = (__u32)r->override_size;
	if (f && r->override_off && !strcmp(field, "location"))
		out->offset = r->override_off;
	return 0;
}

/* after the 1024-byte placeholder_pad of struct skbd_tp_kfree_skb */
enum { PH_SKBADDR = 1024, PH_LOCATION = 1032, PH_RX_SK = 1040, PH_PROTOCOL = 1048, PH_REASON = 1052 };

/* The reference copy: record fields at their compiled placeholder offsets
 * (nothing changes), kernel structs absent exactly as in resolve_tp, so a
 * diff of the two copies shows only the record's relocations. */
static int resolve_placeholders(void *ctx, const char *struct_name, const char *field, struct skbd_field_loc *out)
{
	static const struct {
		const char *name;
		__u32 off, size;
	} ph[] = {
		{ "skbaddr", PH_SKBADDR, 8 }, { "location", PH_LOCATION, 8 }, { "rx_sk", PH_RX_SK, 8 },
		{ "protocol", PH_PROTOCOL, 2 }, { "reason", PH_REASON, 4 },
	};

	memset(out, 0, sizeof(*out));
	if (strcmp(struct_name, SKBD_TP_STRUCT))
		return 0;
	for (size_t i = 0; i < sizeof(ph) / sizeof(ph[0]); i++) {
		if (!strcmp(field, ph[i].name)) {
			out->exists = true;
			out->offset = ph[i].off;
			out->size = ph[i].size;
			return 0;
		}
	}
	return -ENOENT;
}

static struct skbd_tpformat *load_fixture(const char *file)
{
	char path[512];
	struct skbd_tpformat *fmt = NULL;
	size_t len;
	char *text;

	snprintf(path, sizeof(path), "%s%s", FIXTURE_DIR, file);
	text = tu_load_file(path, &len);
	if (!text)
		return NULL;
	skbd_tpformat__parse(text, len, &fmt);
	free(text);
	return fmt;
}

/* What clang laid out for struct skbd_tp_kfree_skb in bpf/skbdrop.bpf.c: the
 * placeholder offsets every access carries until it is resolved. */

struct layout_expect {
	const char *file;
	__u32 protocol, reason; /* offsets in the format; reason 0: absent */
	__u32 record_size;
	__u32 rx_sk;            /* 0: absent (before 6.11) */
};

static const struct layout_expect layouts[] = {
	{ "kfree_skb-5.10.223.format", 24, 0, 26, 0 },
	{ "kfree_skb-6.1.192.format", 24, 28, 32, 0 },
	{ "kfree_skb-6.12.95.format", 32, 36, 40, 24 },
	{ "kfree_skb-6.12.117.format", 32, 36, 40, 24 },
	{ "kfree_skb-6.18.44.format", 32, 36, 40, 24 },
};

#define NR_LAYOUTS (sizeof(layouts) / sizeof(layouts[0]))

static bool is_ldx(const struct bpf_insn *i)
{
	return BPF_CLASS(i->code) == BPF_LDX && BPF_MODE(i->code) == BPF_MEM;
}

static bool is_mov_k(const struct bpf_insn *i)
{
	return i->code == (BPF_ALU64 | BPF_MOV | BPF_K);
}

/* A load from memory other than the stack (r10) at (off, size). */
static size_t count_loads(const struct bpf_insn *insns, size_t cnt, __s16 off, __u8 size)
{
	size_t n = 0;

	for (size_t i = 0; i < cnt; i++)
		if (is_ldx(&insns[i]) && insns[i].src_reg != BPF_REG_10 && insns[i].off == off &&
		    BPF_SIZE(insns[i].code) == size)
			n++;
	return n;
}

/* Whether insn is a load at one of the placeholder (offset, size) pairs of
 * the record: a candidate for a field relocation site. */
static bool is_placeholder_load(const struct bpf_insn *i)
{
	return is_ldx(i) && i->src_reg != BPF_REG_10 &&
	       ((i->off == PH_SKBADDR && BPF_SIZE(i->code) == BPF_DW) ||
		(i->off == PH_LOCATION && BPF_SIZE(i->code) == BPF_DW) ||
		(i->off == PH_PROTOCOL && BPF_SIZE(i->code) == BPF_H) ||
		(i->off == PH_REASON && BPF_SIZE(i->code) == BPF_W) ||
		(i->off == PH_RX_SK && BPF_SIZE(i->code) == BPF_DW));
}

/* Loads at (off, size) in the resolved b that were placeholder loads in the
 * reference a: loads of the record, not of map values that happen to sit at
 * the same offset (the ring buffer program reads config.rb_wakeup_arg at 16). */
static size_t count_record_loads(const struct bpf_insn *a, const struct bpf_insn *b, size_t cnt, __s16 from,
				 __s16 off, __u8 size)
{
	size_t n = 0;

	for (size_t i = 0; i < cnt; i++)
		if (is_placeholder_load(&a[i]) && a[i].off == from && is_ldx(&b[i]) && b[i].off == off &&
		    BPF_SIZE(b[i].code) == size)
			n++;
	return n;
}

/* One instruction that resolution changed, from (ldx size, off) or mov imm. */
struct change {
	bool seen;
	__u8 from_size;
	__s16 from_off;
	__u8 to_size;
	__s16 to_off;
};

/* Diff one program's instructions before (a) and after (b) resolution for
 * layout e: exactly the changes that kernel needs, nothing else. */
static void check_prog_layout(const struct layout_expect *e, const char *prog, const struct bpf_insn *a,
			      size_t na, const struct bpf_insn *b, size_t nb)
{
	size_t nr_changed = 0, want_changed;
	/* skbaddr, location, protocol, reason, rx_sk load moves (when the offset differs) */
	struct change want[5] = {
		{ false, BPF_DW, PH_SKBADDR, BPF_DW, 8 },
		{ false, BPF_DW, PH_LOCATION, BPF_DW, 16 },
		{ false, BPF_H, PH_PROTOCOL, BPF_H, (__s16)e->protocol },
		{ false, BPF_W, PH_REASON, BPF_W, (__s16)e->reason },
		{ false, BPF_DW, PH_RX_SK, BPF_DW, (__s16)e->rx_sk },
	};
	/* absent fields: the load becomes dst = 0, the exists check 0 */
	unsigned int reason_removed = 0, rx_sk_removed = 0, exists_cleared = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(a);
	CU_ASSERT_PTR_NOT_NULL_FATAL(b);
	CU_ASSERT_EQUAL_FATAL(na, nb);

	for (size_t i = 0; i < na; i++) {
		bool known = false;

		if (!memcmp(&a[i], &b[i], sizeof(a[i])))
			continue;
		nr_changed++;
		if (is_ldx(&a[i]) && is_ldx(&b[i]) && a[i].dst_reg == b[i].dst_reg &&
		    a[i].src_reg == b[i].src_reg && a[i].imm == b[i].imm) {
			for (size_t w = 0; w < 5; w++) {
				if (want[w].seen || BPF_SIZE(a[i].code) != want[w].from_size ||
				    a[i].off != want[w].from_off || BPF_SIZE(b[i].code) != want[w].to_size ||
				    b[i].off != want[w].to_off)
					continue;
				want[w].seen = known = true;
				break;
			}
		} else if (is_ldx(&a[i]) && ((BPF_SIZE(a[i].code) == BPF_W && a[i].off == PH_REASON) ||
					     (BPF_SIZE(a[i].code) == BPF_DW && a[i].off == PH_RX_SK)) &&
			   is_mov_k(&b[i]) && b[i].dst_reg == a[i].dst_reg && b[i].src_reg == 0 &&
			   b[i].off == 0 && b[i].imm == 0) {
			known = true; /* the load of an absent field: dst = 0 */
			if (a[i].off == PH_REASON)
				reason_removed++;
			else
				rx_sk_removed++;
		} else if (is_mov_k(&a[i]) && is_mov_k(&b[i]) && a[i].imm == 1 && b[i].imm == 0 &&
			   a[i].dst_reg == b[i].dst_reg) {
			exists_cleared++;
			known = true; /* a field-exists check */
		}
		if (!known)
			fprintf(stderr, "\n%s: %s: unexpected change at insn %zu: %02x/%d -> %02x/%d imm %d\n",
				e->file, prog, i, a[i].code, a[i].off, b[i].code, b[i].off, b[i].imm);
		CU_ASSERT(known);
	}

	/* which changes each kernel needs: skbaddr and location always move */
	want_changed = 2;
	CU_ASSERT(want[0].seen);
	CU_ASSERT(want[1].seen);
	if (e->protocol != PH_PROTOCOL) {
		want_changed++;
		CU_ASSERT(want[2].seen);
	}
	if (!e->reason) {
		want_changed += 2;
		CU_ASSERT_EQUAL(reason_removed, 1);
	} else {
		CU_ASSERT_EQUAL(reason_removed, 0);
		if (e->reason != PH_REASON) {
			want_changed++;
			CU_ASSERT(want[3].seen);
		}
	}
	if (!e->rx_sk) {
		want_changed += 2;
		CU_ASSERT_EQUAL(rx_sk_removed, 1);
	} else {
		CU_ASSERT_EQUAL(rx_sk_removed, 0);
		if (e->rx_sk != PH_RX_SK) {
			want_changed++;
			CU_ASSERT(want[4].seen);
		}
	}
	/* one exists check per absent field */
	CU_ASSERT_EQUAL(exists_cleared, (unsigned int)!e->reason + (unsigned int)!e->rx_sk);
	if (nr_changed != want_changed)
		fprintf(stderr, "\n%s: %s: %zu instructions changed, want %zu\n", e->file, prog, nr_changed,
			want_changed);
	CU_ASSERT_EQUAL(nr_changed, want_changed);

	/* the loads the kernel's record needs are there */
	CU_ASSERT_EQUAL(count_record_loads(a, b, nb, PH_SKBADDR, 8, BPF_DW), 1);
	CU_ASSERT_EQUAL(count_record_loads(a, b, nb, PH_LOCATION, 16, BPF_DW), 1);
	CU_ASSERT_EQUAL(count_record_loads(a, b, nb, PH_PROTOCOL, (__s16)e->protocol, BPF_H), 1);
	if (e->reason) {
		CU_ASSERT_EQUAL(count_record_loads(a, b, nb, PH_REASON, (__s16)e->reason, BPF_W), 1);
	} else {
		/* no load of the reason is left (it became dst = 0) */
		for (size_t i = 0; i < nb; i++)
			CU_ASSERT(!(is_placeholder_load(&a[i]) && a[i].off == PH_REASON && is_ldx(&b[i])));
	}
	/* the reference copy still carries the placeholders */
	CU_ASSERT_EQUAL(count_loads(a, na, PH_SKBADDR, BPF_DW) >= 1, true);
	CU_ASSERT_EQUAL(count_loads(a, na, PH_REASON, BPF_W), 1);
}

static void check_layout(const struct layout_expect *e)
{
	static const char *const progs[] = { SKBD_PROG_PERF, SKBD_PROG_RINGBUF };
	struct skbd_tpformat *fmt = load_fixture(e->file);
	struct tp_resolver res = { 0 };
	struct skbd_obj *ref = NULL, *obj = NULL;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
	CU_ASSERT_EQUAL(fmt->record_size, e->record_size);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &ref), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__prog_count(obj), 6);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__resolve_fields(ref, resolve_placeholders, NULL), 0);
	res.fmt = fmt;
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), 0);
	/* the programs read packet context from kernel structs too */
	CU_ASSERT(res.kernel_calls >= 7);
	/* exactly the five fields of the record, nothing else */
	CU_ASSERT(res.asked_skbaddr && res.asked_location && res.asked_protocol && res.asked_reason &&
		  res.asked_rx_sk);
	CU_ASSERT(!res.asked_other);
	/* each field asked for once, whichever programs read it and however
	 * often (reason and rx_sk: an exists check and a load, in both) */
	if (res.calls != 5)
		fprintf(stderr, "\n%s: %u field lookups, want 5\n", e->file, res.calls);
	CU_ASSERT_EQUAL(res.calls, 5);

	/* each program has its own relocated copy of the accesses */
	for (size_t p = 0; p < sizeof(progs) / sizeof(progs[0]); p++) {
		int ia = skbd_obj__find_prog(ref, progs[p]), ib = skbd_obj__find_prog(obj, progs[p]);
		const struct bpf_insn *a, *b;
		size_t na = 0, nb = 0;

		CU_ASSERT_FATAL(ia >= 0 && ib >= 0);
		a = skbd_obj__prog_insns(ref, ia, &na);
		b = skbd_obj__prog_insns(obj, ib, &nb);
		check_prog_layout(e, progs[p], a, na, b, nb);
	}

	/* once only */
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), -EALREADY);
	tu_log_restore();
	CU_ASSERT_EQUAL(res.calls, 5);

	skbd_obj__close(ref);
	skbd_obj__close(obj);
	skbd_tpformat__free(fmt);
}

static void test_layout_5_10(void)
{
	check_layout(&layouts[0]);
}

static void test_layout_6_1(void)
{
	check_layout(&layouts[1]);
}

static void test_layout_6_12_95(void)
{
	check_layout(&layouts[2]);
}

static void test_layout_6_12_117(void)
{
	check_layout(&layouts[3]);
}

static void test_layout_6_18(void)
{
	check_layout(&layouts[4]);
}

static void test_resolve_errors(void)
{
	struct skbd_tpformat *fmt = load_fixture(layouts[4].file);
	struct tp_resolver res = { 0 };
	struct skbd_obj *obj = NULL;
	const struct bpf_insn *insns;
	size_t cnt = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
	res.fmt = fmt;

	/* the resolver does not know the struct */
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	res.fail = -ENOENT;
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), -ENOENT);
	tu_log_restore();
	CU_ASSERT(tu_log_seen_prefix("elf:"));
	CU_ASSERT(tu_log_seen(SKBD_TP_STRUCT) || tu_log_seen(SKBD_TP_QDISC_STRUCT));
	CU_ASSERT_EQUAL(res.calls, 1); /* stops at the first failure */
	skbd_obj__close(obj);

	/* another error code is passed through */
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	res.fail = -EIO;
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), -EIO);
	tu_log_restore();
	skbd_obj__close(obj);
	res.fail = 0;

	/* a size no load can have */
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	res.override_size = 3;
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), -EINVAL);
	tu_log_restore();
	CU_ASSERT(tu_log_seen_prefix("elf:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(tu_log_last(), "protocol"));
	skbd_obj__close(obj);

	/* an offset that does not fit the instruction's 16-bit field */
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	res.override_size = 0;
	res.override_off = 0x8000;
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), -EINVAL);
	tu_log_restore();
	skbd_obj__close(obj);

	/* the width of the load follows the kernel's field size: against the
	 * same layout with the real size, one 2-byte load at 32 became 4 bytes
	 * (other loads at 32, of map values, stay as they were) */
	{
		size_t w_real[5] = { 0 }, h_real[5] = { 0 };
		struct skbd_obj *real = NULL;

		CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &real), 0);
		res.override_off = 0;
		res.override_size = 0;
		CU_ASSERT_EQUAL(skbd_obj__resolve_fields(real, resolve_tp, &res), 0);
		for (int p = 0; p < skbd_obj__prog_count(real) && p < 5; p++) {
			insns = skbd_obj__prog_insns(real, p, &cnt);
			CU_ASSERT_PTR_NOT_NULL_FATAL(insns);
			w_real[p] = count_loads(insns, cnt, 32, BPF_W);
			h_real[p] = count_loads(insns, cnt, 32, BPF_H);
		}
		skbd_obj__close(real);
		CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
		res.override_size = 4;
		CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), 0);
		CU_ASSERT_EQUAL(skbd_obj__prog_count(obj), 6);
		for (int p = 0; p < skbd_obj__prog_count(obj) && p < 6; p++) {
			insns = skbd_obj__prog_insns(obj, p, &cnt);
			CU_ASSERT_PTR_NOT_NULL_FATAL(insns);
			if (strncmp(skbd_obj__prog_section(obj, p), "tracepoint/skb/", 15))
				continue; /* the hook reads no tracepoint record */
			CU_ASSERT_EQUAL(count_loads(insns, cnt, 32, BPF_W), w_real[p] + 1);
			CU_ASSERT_EQUAL(count_loads(insns, cnt, 32, BPF_H) + 1, h_real[p]);
		}
		skbd_obj__close(obj);
	}

	skbd_tpformat__free(fmt);
}

/* ---- loading (root only) ---- */
static bool can_load(void)
{
	if (geteuid() == 0)
		return true;
	tu_skip("not root: loading programs needs CAP_BPF");
	return false;
}

/* The ring buffer map's size: a power-of-two multiple of the page size. */
static __u32 rb_size(void)
{
	long page = sysconf(_SC_PAGESIZE);

	CU_ASSERT_FATAL(page > 0);
	return (__u32)page * 16;
}

/* Open and resolve against fmt; the object (a CUnit fatal failure if not). */
static struct skbd_obj *open_resolved(const struct skbd_tpformat *fmt)
{
	struct tp_resolver res = { .fmt = fmt };
	struct skbd_obj *obj = NULL;

	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	CU_ASSERT_EQUAL(skbd_obj__resolve_fields(obj, resolve_tp, &res), 0);
	/* the fentry hooks need a kernel function's BTF id, qdisc_drop's program its
	 * format (the monitor's part): only kfree_skb's two */
	for (int p = 0; p < skbd_obj__prog_count(obj); p++)
		if (strncmp(skbd_obj__prog_section(obj, p), "tracepoint/skb/", 15))
			CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, p, false), 0);
	return obj;
}

/* Open, resolve against fmt, size the perf array and the ring buffer, load
 * both tracepoint programs; the object or NULL. */
static struct skbd_obj *load_with(const struct skbd_tpformat *fmt)
{
	struct skbd_obj *obj;
	int cpus = skbd_cpus_possible(), err;

	CU_ASSERT_FATAL(cpus > 0);
	obj = open_resolved(fmt);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, (__u32)cpus), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, rb_size()), 0);
	err = skbd_obj__load(obj);
	if (err)
		fprintf(stderr, "\nload: %s\n", strerror(-err));
	CU_ASSERT_EQUAL(err, 0);
	if (err) {
		skbd_obj__close(obj);
		return NULL;
	}
	return obj;
}

/* The running kernel's tracepoint format (root; mounts tracefs if needed). */
static struct skbd_tpformat *running_format(void)
{
	const char *dir = "/sys/kernel/tracing";
	struct skbd_tpformat *fmt = NULL;
	bool mounted = false;
	struct stat st;
	char *text = NULL;
	size_t len = 0;
	int err;

	if (stat("/sys/kernel/tracing/events", &st)) {
		CU_ASSERT_EQUAL_FATAL(mount("tracefs", dir, "tracefs", 0, NULL), 0);
		mounted = true;
	}
	err = skbd_tracefs__read_format(dir, "skb", "kfree_skb", &text, &len);
	if (mounted)
		umount2(dir, MNT_DETACH);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_EQUAL(skbd_tpformat__parse(text, len, &fmt), 0);
	free(text);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
	return fmt;
}

static void test_load_running_kernel(void)
{
	static const char *const maps[] = { SKBD_MAP_EVENTS, SKBD_MAP_CONFIG, SKBD_MAP_REASONS,
					    SKBD_MAP_STATS, SKBD_MAP_RINGBUF };
	struct skbd_tpformat *fmt;
	struct skbd_obj *obj;

	if (!can_load())
		return;
	fmt = running_format();
	obj = load_with(fmt);
	if (obj) {
		CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)) >= 0);
		CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)) >= 0);
		CU_ASSERT_NOT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)), skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)));
		for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
			CU_ASSERT(skbd_obj__map_fd(obj, maps[i]) >= 0);
		CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, "bogus"), -ENOENT);
		/* loaded objects are final */
		CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, 1), -EBUSY);
		CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, 4096), -EBUSY);
		CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 0, false), -EBUSY);
		CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 1, true), -EBUSY);
		CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 6, true), -ENOENT);
		CU_ASSERT_EQUAL(skbd_obj__load(obj), -EALREADY);
		skbd_obj__close(obj);
	}
	skbd_tpformat__free(fmt);
}

/* skbd_tracepoint__attach in two steps: the event opened (disabled) before
 * any program, a bad program refused with the event left open, then the
 * loaded program hung off it. */
static void test_tracepoint_two_steps(void)
{
	struct skbd_tpformat *fmt;
	struct skbd_obj *obj;
	int fd;

	if (!can_load())
		return;
	fmt = running_format();
	fd = skbd_tracepoint__open(fmt->id);
	CU_ASSERT_FATAL(fd >= 0);
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_tracepoint__set_prog(fd, -1), -EBADF);
	tu_log_restore();
	obj = load_with(fmt);
	if (obj) {
		CU_ASSERT_EQUAL(skbd_tracepoint__set_prog(fd, skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF))), 0);
		skbd_obj__close(obj);
	}
	CU_ASSERT_EQUAL(close(fd), 0);
	CU_ASSERT(skbd_tracepoint__open(0xfffffff0u) < 0); /* no such tracepoint */
	skbd_tpformat__free(fmt);
}

/* Only one transport's program autoloaded: its maps are created, the other
 * one's map is not (it keeps its 0 entries, which the kernel would refuse:
 * creating it would fail the load), and the other program is not loaded. */
static void load_one(const char *keep, const char *drop, const char *unused_map,
		     const char *const *used_maps, size_t nr_used)
{
	struct skbd_tpformat *fmt = running_format();
	struct skbd_obj *obj = open_resolved(fmt);
	int k = skbd_obj__find_prog(obj, keep), d = skbd_obj__find_prog(obj, drop), cpus = skbd_cpus_possible(),
	    err;

	CU_ASSERT_FATAL(k >= 0 && d >= 0 && cpus > 0);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, d, false), 0);
	if (!strcmp(keep, SKBD_PROG_PERF)) {
		CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, (__u32)cpus), 0);
	} else {
		CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, rb_size()), 0);
	}
	err = skbd_obj__load(obj);
	if (err)
		fprintf(stderr, "\nload %s only: %s\n", keep, strerror(-err));
	CU_ASSERT_EQUAL(err, 0);
	CU_ASSERT(skbd_obj__prog_fd(obj, k) >= 0);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, d), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, unused_map), -EBADF);
	for (size_t i = 0; i < nr_used; i++)
		CU_ASSERT(skbd_obj__map_fd(obj, used_maps[i]) >= 0);
	/* the loaded program is final; indexes are still checked */
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, k, false), -EBUSY);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, k, true), -EBUSY);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 6, true), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, -1, true), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__load(obj), -EALREADY);
	skbd_obj__close(obj);
	skbd_tpformat__free(fmt);
}

static void test_load_perf_only(void)
{
	static const char *const used[] = { SKBD_MAP_EVENTS, SKBD_MAP_CONFIG, SKBD_MAP_REASONS, SKBD_MAP_STATS };

	if (!can_load())
		return;
	load_one(SKBD_PROG_PERF, SKBD_PROG_RINGBUF, SKBD_MAP_RINGBUF, used, sizeof(used) / sizeof(used[0]));
}

static void test_load_ringbuf_only(void)
{
	static const char *const used[] = { SKBD_MAP_RINGBUF, SKBD_MAP_CONFIG, SKBD_MAP_REASONS, SKBD_MAP_STATS };

	if (!can_load())
		return;
	load_one(SKBD_PROG_RINGBUF, SKBD_PROG_PERF, SKBD_MAP_EVENTS, used, sizeof(used) / sizeof(used[0]));
}

/* Both programs, the ring buffer left at 0 entries: the map is refused and
 * skbd_obj__failed_map names it (the CLI turns that into "needs Linux 5.8"). */
static void test_load_ringbuf_unsized(void)
{
	struct skbd_tpformat *fmt;
	struct skbd_obj *obj;
	int cpus = skbd_cpus_possible();

	if (!can_load())
		return;
	CU_ASSERT_FATAL(cpus > 0);
	fmt = running_format();
	obj = open_resolved(fmt);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, (__u32)cpus), 0);
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__load(obj), -EINVAL);
	tu_log_restore();
	{
		__u32 entries = 1;
		const char *map = skbd_obj__failed_map(obj, &entries);

		CU_ASSERT_PTR_NOT_NULL_FATAL(map);
		CU_ASSERT_STRING_EQUAL(map, SKBD_MAP_RINGBUF);
		CU_ASSERT_EQUAL(entries, 0);
	}
	CU_ASSERT_EQUAL(skbd_obj__map_fd(obj, SKBD_MAP_RINGBUF), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)), -EBADF);
	skbd_obj__close(obj);
	skbd_tpformat__free(fmt);
}

/* The verifier accepts every fixture's layout on this kernel: ctx offsets are
 * checked against PERF_MAX_TRACE_SIZE at load, the record size only at attach. */
static void test_load_fixture_layouts(void)
{
	if (!can_load())
		return;
	for (size_t i = 0; i < NR_LAYOUTS; i++) {
		struct skbd_tpformat *fmt = load_fixture(layouts[i].file);
		struct skbd_obj *obj;

		CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
		obj = load_with(fmt);
		if (!obj)
			fprintf(stderr, "\nload with %s failed\n", layouts[i].file);
		CU_ASSERT_PTR_NOT_NULL(obj);
		if (obj) {
			CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)) >= 0);
			CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)) >= 0);
		}
		skbd_obj__close(obj);
		skbd_tpformat__free(fmt);
	}
}

/* Size the per-CPU maps and load, the loader's warnings kept quiet. */
static int load_sized(struct skbd_obj *obj, int cpus)
{
	int err;

	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, (__u32)cpus), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, rb_size()), 0);
	tu_log_quiet();
	err = skbd_obj__load(obj);
	tu_log_restore();
	return err;
}

/* A spliced body: refused when malformed; a filter's, spliced into the
 * programs in place of its calls, loads. */
static void test_load_spliced_filter(void)
{
	const struct bpf_insn no_exit[] = { { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 } };
	struct skbd_tpformat *fmt;
	struct skbd_filter *f = NULL;
	const struct bpf_insn *body, *sub;
	size_t n = 0, nsub = 0;
	struct skbd_obj *obj;
	int cpus = skbd_cpus_possible();

	if (!can_load())
		return;
	CU_ASSERT_FATAL(cpus > 0);
	CU_ASSERT_EQUAL_FATAL(skbd_filter__new("udp port 53 or tcp[13] & 2 != 0", &f, NULL, 0), 0);
	body = skbd_filter__insns_spliced(f, &n);
	sub = skbd_filter__insns(f, &nsub);
	CU_ASSERT(n > nsub); /* the saves and restores of r6-r9 */
	CU_ASSERT_EQUAL(body[n - 1].code, BPF_JMP | BPF_EXIT);
	fmt = running_format();
	obj = open_resolved(fmt);
	CU_ASSERT_EQUAL(skbd_obj__set_func_spliced(obj, "no_such_func", body, n, SKBD_FILTER_SPLICE_TOP), -ENOENT);
	CU_ASSERT_EQUAL(skbd_obj__set_func_spliced(obj, SKBD_FILTER_FUNC, no_exit, 1, SKBD_FILTER_SPLICE_TOP), -EINVAL);
	CU_ASSERT_EQUAL(skbd_obj__set_func_spliced(obj, SKBD_FILTER_FUNC, body, n, 8), -EINVAL);
	CU_ASSERT_EQUAL(skbd_obj__set_func_spliced(obj, SKBD_FILTER_FUNC, body, n, -520), -EINVAL);
	CU_ASSERT_EQUAL(skbd_obj__set_func(obj, SKBD_FILTER_FUNC, sub, nsub), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_func_spliced(obj, SKBD_FILTER_FUNC, body, n, SKBD_FILTER_SPLICE_TOP), 0);
	CU_ASSERT_EQUAL(load_sized(obj, cpus), 0);
	CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)) >= 0);
	CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)) >= 0);
	/* every program that filters (perf, ring buffer; the fentry ones are left unloaded here)
	 * keeps its own stack above the body's: two calls each, the direct and the probe read way */
	CU_ASSERT(skbd_obj__func_spliced(obj, SKBD_FILTER_FUNC) >= 4);
	CU_ASSERT_EQUAL(skbd_obj__func_spliced(obj, "no_such_func"), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_func_spliced(obj, SKBD_FILTER_FUNC, body, n, SKBD_FILTER_SPLICE_TOP), -EBUSY);
	skbd_obj__close(obj);
	skbd_filter__free(f);
	skbd_tpformat__free(fmt);
}

/* The placeholder calls: a slot's instructions replace them at load (an
 * optional one the kernel refuses gives way to "r0 = 0", and the program
 * loads); bad slots and sizes are refused before. */
static void test_load_inline_slots(void)
{
	const struct bpf_insn one = { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1 };
	const struct bpf_insn bogus_cast[] = { /* a kfunc id no kernel has */
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 1 },
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = 0x7fffffff },
	};
	struct skbd_tpformat *fmt;
	int cpus = skbd_cpus_possible();

	if (!can_load())
		return;
	CU_ASSERT_FATAL(cpus > 0);
	fmt = running_format();
	for (int pass = 0; pass < 2; pass++) {
		struct skbd_obj *obj = open_resolved(fmt);

		CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_INLINE_MAX, &one, 1, true), -EINVAL);
		CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_IN_DIRECT, &one, 0, true), -EINVAL);
		CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_IN_DIRECT, bogus_cast, 3, true), -EINVAL);
		CU_ASSERT(!skbd_obj__inline_used(obj, SKBD_IN_DIRECT));
		CU_ASSERT(!skbd_obj__inline_used(obj, SKBD_INLINE_MAX));
		/* pass 0: the direct reads with a cast no kernel has: refused, then loaded without;
		 * pass 1: the same switch with "r0 = 0": a slot as good as unset */
		if (pass == 0) {
			CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_IN_DIRECT, &one, 1, true), 0);
			for (__u32 k = SKBD_IN_CAST_SKB; k <= SKBD_IN_CAST_TASK; k++)
				CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, k, bogus_cast, 2, true), 0);
		} else {
			const struct bpf_insn zero = { .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0 };

			CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_IN_DIRECT, &zero, 1, false), 0);
		}
		CU_ASSERT(skbd_obj__inline_used(obj, SKBD_IN_DIRECT));
		CU_ASSERT_EQUAL(load_sized(obj, cpus), 0);
		CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)) >= 0);
		CU_ASSERT_EQUAL(skbd_obj__inline_used(obj, SKBD_IN_DIRECT), pass == 1);
		CU_ASSERT(!skbd_obj__inline_used(obj, SKBD_IN_CAST_SKB));
		CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_IN_DIRECT, &one, 1, true), -EBUSY);
		skbd_obj__close(obj);
	}
	/* two instructions where the program passes no "r2 = imm": refused before the kernel sees it */
	{
		struct skbd_obj *obj = open_resolved(fmt);

		CU_ASSERT_EQUAL(skbd_obj__set_inline(obj, SKBD_IN_DIRECT, bogus_cast, 2, false), 0);
		CU_ASSERT_EQUAL(load_sized(obj, cpus), -EINVAL);
		skbd_obj__close(obj);
	}
	skbd_tpformat__free(fmt);
}

/* A function body: refused before load when there is no such function or
 * no body, the one loaded when given, fixed after load; a body the kernel
 * refuses fails the load (no fallback: only placeholders are optional). */
static void test_load_func_body(void)
{
	const struct bpf_insn refused[] = { /* a kfunc id no kernel has */
		{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = 0x7fffffff },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	const struct bpf_insn accepted[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct skbd_tpformat *fmt;
	int cpus = skbd_cpus_possible();

	if (!can_load())
		return;
	CU_ASSERT_FATAL(cpus > 0);
	fmt = running_format();
	for (int pass = 0; pass < 2; pass++) {
		struct skbd_obj *obj = open_resolved(fmt);

		CU_ASSERT_EQUAL(skbd_obj__set_func(obj, "no_such_func", accepted, 2), -ENOENT);
		CU_ASSERT_EQUAL(skbd_obj__set_func(obj, SKBD_FILTER_FUNC, accepted, 0), -EINVAL);
		CU_ASSERT_EQUAL(skbd_obj__set_func(obj, SKBD_FILTER_FUNC, pass ? accepted : refused, 2), 0);
		if (pass) {
			CU_ASSERT_EQUAL(load_sized(obj, cpus), 0);
			CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)) >= 0);
			CU_ASSERT(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)) >= 0);
			CU_ASSERT_EQUAL(skbd_obj__set_func(obj, SKBD_FILTER_FUNC, accepted, 2), -EBUSY);
		} else {
			CU_ASSERT(load_sized(obj, cpus) < 0);
		}
		skbd_obj__close(obj);
	}
	skbd_tpformat__free(fmt);
}

static void test_load_unresolved(void)
{
	struct skbd_obj *obj = NULL;
	int cpus = skbd_cpus_possible();

	if (!can_load())
		return;
	CU_ASSERT_FATAL(cpus > 0);
	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, (__u32)cpus), 0);
	CU_ASSERT_EQUAL(skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, rb_size()), 0);
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_obj__load(obj), -EINVAL);
	tu_log_restore();
	CU_ASSERT(tu_log_seen("resolve them before load"));
	/* the maps were created, the programs were refused before bpf(2) */
	CU_ASSERT(skbd_obj__map_fd(obj, SKBD_MAP_STATS) >= 0);
	CU_ASSERT(skbd_obj__map_fd(obj, SKBD_MAP_RINGBUF) >= 0);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)), -EBADF);
	CU_ASSERT_EQUAL(skbd_obj__prog_fd(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF)), -EBADF);
	skbd_obj__close(obj);
}

/* ---- malformed objects ---- */

/* Expect a patched copy to be rejected with a message from the module. */
static void expect_reject(const char *what, const void *buf, size_t size, const char *substr)
{
	bool need_elf = !substr || strncmp(substr, "btf:", 4); /* BTF errors come from btf.c */
	bool saw_elf_prefix, saw_substr;
	int err;

	tu_log_quiet();
	err = try_open(buf, size);
	tu_log_restore();
	saw_elf_prefix = !need_elf || tu_log_seen_prefix("elf:");
	saw_substr = tu_log_seen(substr ? substr : "elf:");
	if (err >= 0 || !saw_elf_prefix || !saw_substr)
		fprintf(stderr, "\nmalformed '%s': err %d, last message '%s'\n", what, err,
			tu_log_last());
	CU_ASSERT(err < 0);
	CU_ASSERT(saw_elf_prefix);
	CU_ASSERT(saw_substr);
}

static void test_bad_headers(void)
{
	static const unsigned char ten[10] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
	unsigned char *copy, junk[4096];
	Elf32_Ehdr e32;

	/* NULL, empty, too short */
	expect_reject("NULL", NULL, 0, NULL);
	expect_reject("NULL with a size", NULL, 4096, NULL);
	expect_reject("empty", junk, 0, NULL);
	expect_reject("10 bytes", ten, sizeof(ten), "too short");

	/* not ELF at all */
	memset(junk, 'A', sizeof(junk));
	expect_reject("not ELF", junk, sizeof(junk), "not an ELF");

	/* a 32-bit ELF header of a BPF object */
	memset(junk, 0, sizeof(junk));
	memset(&e32, 0, sizeof(e32));
	memcpy(e32.e_ident, ELFMAG, SELFMAG);
	e32.e_ident[EI_CLASS] = ELFCLASS32;
	e32.e_ident[EI_DATA] = ELFDATA2LSB;
	e32.e_ident[EI_VERSION] = EV_CURRENT;
	e32.e_type = ET_REL;
	e32.e_machine = 247;
	e32.e_version = EV_CURRENT;
	e32.e_ehsize = sizeof(e32);
	e32.e_shentsize = sizeof(Elf32_Shdr);
	memcpy(junk, &e32, sizeof(e32));
	expect_reject("32-bit header", junk, sizeof(junk), NULL);

	copy = obj_copy();
	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	CU_ASSERT_EQUAL(try_open(copy, obj_size()), 0); /* the unpatched copy is fine */

	ehdr(copy)->e_machine = EM_X86_64;
	expect_reject("x86-64 machine", copy, obj_size(), "machine 62");
	memcpy(copy, skbd_bpf_object, obj_size());
	ehdr(copy)->e_type = ET_EXEC;
	expect_reject("executable", copy, obj_size(), "relocatable");
	memcpy(copy, skbd_bpf_object, obj_size());
	copy[EI_CLASS] = ELFCLASS32;
	expect_reject("class 32 on a 64-bit object", copy, obj_size(), NULL);
	memcpy(copy, skbd_bpf_object, obj_size());
	copy[EI_DATA] = ELFDATA2MSB;
	expect_reject("big-endian", copy, obj_size(), NULL);

	/* section header table past the end, and straddling it */
	memcpy(copy, skbd_bpf_object, obj_size());
	ehdr(copy)->e_shoff = obj_size() + 64;
	expect_reject("e_shoff past the end", copy, obj_size(), NULL);
	memcpy(copy, skbd_bpf_object, obj_size());
	ehdr(copy)->e_shoff = obj_size() - 64;
	expect_reject("e_shoff straddling the end", copy, obj_size(), NULL);
	memcpy(copy, skbd_bpf_object, obj_size());
	ehdr(copy)->e_shoff = ~0ull - 8;
	expect_reject("e_shoff wraps", copy, obj_size(), NULL);
	memcpy(copy, skbd_bpf_object, obj_size());
	ehdr(copy)->e_shstrndx = 200;
	expect_reject("e_shstrndx out of range", copy, obj_size(), NULL);
	free(copy);
}

static void test_bad_sections(void)
{
	unsigned char *copy = obj_copy();
	Elf64_Shdr *sh, *rel;
	Elf64_Rel *r;
	Elf64_Sym *sym;
	size_t idx;
	__u32 v;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);

	/* symbol table entries of the wrong size */
	sh = find_type(copy, SHT_SYMTAB);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	sh->sh_entsize = 16;
	expect_reject("symtab sh_entsize", copy, obj_size(), "bad sh_entsize");

	/* no symbol table */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_type(copy, SHT_SYMTAB)->sh_type = SHT_PROGBITS;
	expect_reject("no symtab", copy, obj_size(), "no symbol table");

	/* a program section whose size is not whole instructions */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_section(copy, PROG_SEC, NULL)->sh_size -= 3;
	expect_reject("program size", copy, obj_size(), "multiple of 8");

	/* a program section whose data lies past the end of the file */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_section(copy, PROG_SEC, NULL)->sh_offset = obj_size() - 8;
	expect_reject("program data past the end", copy, obj_size(), NULL);

	/* one program section no longer executable: the other program alone,
	 * the skipped one's map and field relocations ignored */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_section(copy, PROG_RB_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	{
		struct skbd_obj *obj = NULL;

		CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(copy, obj_size(), &obj), 0);
		CU_ASSERT_EQUAL(skbd_obj__prog_count(obj), 5); /* the perf one, the two hooks, qdisc_drop's, the flush */
		CU_ASSERT(skbd_obj__find_prog(obj, SKBD_PROG_PERF) >= 0);
		CU_ASSERT_EQUAL(skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF), -ENOENT);
		CU_ASSERT_STRING_EQUAL(skbd_obj__prog_section(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF)), PROG_SEC);
		CU_ASSERT_EQUAL(skbd_obj__set_autoload(obj, 5, true), -ENOENT);
		skbd_obj__close(obj);
	}

	/* no program at all: no section is executable */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_section(copy, PROG_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	find_section(copy, PROG_RB_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	find_section(copy, HOOK_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	find_section(copy, HOOK_RB_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	find_section(copy, QDISC_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	find_section(copy, FLUSH_SEC, NULL)->sh_flags &= ~(Elf64_Xword)SHF_EXECINSTR;
	expect_reject("no program", copy, obj_size(), "no program sections");

	/* license without its NUL, and no license */
	memcpy(copy, skbd_bpf_object, obj_size());
	sh = find_section(copy, "license", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	copy[sh->sh_offset + sh->sh_size - 1] = 'X';
	expect_reject("license without NUL", copy, obj_size(), "license");
	memcpy(copy, skbd_bpf_object, obj_size());
	sh = find_section(copy, "license", NULL);
	sh->sh_name = find_section(copy, ".BTF.ext", NULL)->sh_name + 1; /* "BTF.ext" */
	expect_reject("no license", copy, obj_size(), "no license");

	/* a map definition partly outside "maps" */
	memcpy(copy, skbd_bpf_object, obj_size());
	sym = find_symbol(copy, "stats");
	CU_ASSERT_PTR_NOT_NULL_FATAL(sym);
	sym->st_value = find_section(copy, "maps", NULL)->sh_size - 4;
	expect_reject("map outside maps", copy, obj_size(), "outside 'maps'");
	memcpy(copy, skbd_bpf_object, obj_size());
	find_symbol(copy, "config")->st_value += 2;
	expect_reject("misaligned map", copy, obj_size(), "outside 'maps'");

	/* relocations: entry size, odd offset, past the section, not an ld_imm64,
	 * huge symbol index, a symbol outside "maps", no map at the address */
	memcpy(copy, skbd_bpf_object, obj_size());
	rel = find_section(copy, PROG_REL_SEC, NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rel);
	rel->sh_entsize = 24;
	expect_reject("rel sh_entsize", copy, obj_size(), "sh_entsize");

	memcpy(copy, skbd_bpf_object, obj_size());
	r = (Elf64_Rel *)(void *)(copy + rel->sh_offset);
	r[0].r_offset |= 1;
	expect_reject("odd r_offset", copy, obj_size(), "ld_imm64");
	memcpy(copy, skbd_bpf_object, obj_size());
	r[1].r_offset = 0x100000;
	expect_reject("r_offset past the section", copy, obj_size(), "ld_imm64");
	memcpy(copy, skbd_bpf_object, obj_size());
	r[1].r_offset = find_section(copy, PROG_SEC, NULL)->sh_size - 8; /* last insn: no second half */
	expect_reject("r_offset on the last insn", copy, obj_size(), "ld_imm64");
	memcpy(copy, skbd_bpf_object, obj_size());
	r[2].r_offset = 0; /* r6 = r1 */
	expect_reject("r_offset on a mov", copy, obj_size(), "ld_imm64");
	memcpy(copy, skbd_bpf_object, obj_size());
	r[0].r_info = ELF64_R_INFO(0xffffffu, ELF64_R_TYPE(r[0].r_info));
	expect_reject("huge symbol index", copy, obj_size(), "bad symbol");
	memcpy(copy, skbd_bpf_object, obj_size());
	r[0].r_info = ELF64_R_INFO(0, ELF64_R_TYPE(r[0].r_info)); /* the null symbol */
	expect_reject("symbol 0", copy, obj_size(), "not 'maps'");
	memcpy(copy, skbd_bpf_object, obj_size());
	v = 4; /* the ld_imm64's addend: 4 bytes into a map definition */
	memcpy(copy + find_section(copy, PROG_SEC, NULL)->sh_offset + r[0].r_offset + 4, &v, 4);
	expect_reject("no map at the address", copy, obj_size(), "no map at offset");

	/* the relocation table's data past the end of the file */
	memcpy(copy, skbd_bpf_object, obj_size());
	rel->sh_offset = obj_size() - 16;
	expect_reject("rel data past the end", copy, obj_size(), NULL);

	/* a second relocation section for the same program (.rel.BTF made a copy
	 * of the program's): must not overrun the first one's table */
	memcpy(copy, skbd_bpf_object, obj_size());
	sh = find_section(copy, ".rel.BTF", NULL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(sh);
	find_section(copy, PROG_SEC, &idx);
	sh->sh_offset = rel->sh_offset;
	sh->sh_size = rel->sh_size;
	sh->sh_info = (Elf64_Word)idx;
	expect_reject("second rel section", copy, obj_size(), "second relocation section");

	/* a bad name offset for a section */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_section(copy, "maps", NULL)->sh_name = 0x7fffffff;
	expect_reject("section name offset", copy, obj_size(), "bad header or name");

	free(copy);
}

static void test_bad_btf_ext(void)
{
	unsigned char *copy = obj_copy(), *cr;
	struct ext_hdr *h;
	Elf64_Shdr *sh;
	__u32 v, num;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	h = find_ext(copy);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	CU_ASSERT_EQUAL_FATAL(h->magic, 0xeb9f);
	CU_ASSERT_FATAL(h->hdr_len >= 32 && h->core_relo_len > 0);

	h->hdr_len = 0xffff;
	expect_reject("BTF.ext hdr_len", copy, obj_size(), ".BTF.ext");
	memcpy(copy, skbd_bpf_object, obj_size());
	h->magic = 0x9feb;
	expect_reject("BTF.ext magic", copy, obj_size(), ".BTF.ext");
	memcpy(copy, skbd_bpf_object, obj_size());
	h->core_relo_len = 0x7ffffff0u;
	expect_reject("core_relo_len huge", copy, obj_size(), "outside the section");
	memcpy(copy, skbd_bpf_object, obj_size());
	h->core_relo_off = 0xfffffff0u;
	expect_reject("core_relo_off wraps", copy, obj_size(), "outside the section");
	memcpy(copy, skbd_bpf_object, obj_size());
	h->core_relo_len = 3;
	expect_reject("core_relo_len 3", copy, obj_size(), "outside the section");
	memcpy(copy, skbd_bpf_object, obj_size());
	h->core_relo_len -= 4; /* the last record loses its last word */
	expect_reject("core_relo cut", copy, obj_size(), "truncated");

	/* record size, count, instruction offset, access string, type */
	memcpy(copy, skbd_bpf_object, obj_size());
	cr = core_relo(copy);
	v = 8;
	memcpy(cr, &v, 4);
	expect_reject("rec_size 8", copy, obj_size(), "record size");
	memcpy(copy, skbd_bpf_object, obj_size());
	num = 0x10000000;
	memcpy(cr + 8, &num, 4);
	expect_reject("huge count", copy, obj_size(), "truncated");
	memcpy(copy, skbd_bpf_object, obj_size());
	memcpy(&v, cr + 12, 4);
	v += 3;
	memcpy(cr + 12, &v, 4);
	expect_reject("odd insn_off", copy, obj_size(), "bad instruction offset");
	memcpy(copy, skbd_bpf_object, obj_size());
	v = 0x100000;
	memcpy(cr + 12, &v, 4);
	expect_reject("insn_off past the program", copy, obj_size(), "bad instruction offset");
	memcpy(copy, skbd_bpf_object, obj_size());
	v = 0x7fffffff;
	memcpy(cr + 12 + 8, &v, 4);
	expect_reject("access string offset", copy, obj_size(), "access string");
	memcpy(copy, skbd_bpf_object, obj_size());
	v = 1; /* type 1 of the object: not the tracepoint struct */
	memcpy(cr + 12 + 4, &v, 4);
	expect_reject("type not a struct", copy, obj_size(), NULL);
	memcpy(copy, skbd_bpf_object, obj_size());
	v = 0xffffff;
	memcpy(cr + 12 + 4, &v, 4);
	expect_reject("type id out of range", copy, obj_size(), NULL);

	/* .BTF.ext without .BTF, and a broken .BTF */
	memcpy(copy, skbd_bpf_object, obj_size());
	sh = find_section(copy, ".BTF", NULL);
	sh->sh_name = find_section(copy, ".BTF.ext", NULL)->sh_name + 1;
	expect_reject(".BTF.ext without .BTF", copy, obj_size(), "without .BTF");
	memcpy(copy, skbd_bpf_object, obj_size());
	sh = find_section(copy, ".BTF", NULL);
	copy[sh->sh_offset] ^= 0xff;
	expect_reject(".BTF magic", copy, obj_size(), "btf:");

	/* .BTF.ext data at an odd address: nothing may read it as an aligned u16 */
	memcpy(copy, skbd_bpf_object, obj_size());
	find_section(copy, ".BTF.ext", NULL)->sh_offset += 1;
	expect_reject("odd .BTF.ext address", copy, obj_size(), "bad header");

	/* a header with no core_relo fields: nothing to rewrite, still an object */
	memcpy(copy, skbd_bpf_object, obj_size());
	h->hdr_len = 24;
	tu_log_quiet();
	CU_ASSERT_EQUAL(try_open(copy, obj_size()), 0);
	tu_log_restore();

	free(copy);
}

/* A string of the object's .BTF (the section names of .BTF.ext), NULL if out of range. */
static const char *btf_str(unsigned char *buf, __u32 off)
{
	Elf64_Shdr *sh = find_section(buf, ".BTF", NULL);
	__u32 hdr_len, str_off, str_len;
	const unsigned char *btf;

	if (!sh || sh->sh_size < 24)
		return NULL;
	btf = buf + sh->sh_offset;
	memcpy(&hdr_len, btf + 4, 4);
	memcpy(&str_off, btf + 16, 4);
	memcpy(&str_len, btf + 20, 4);
	if ((__u64)hdr_len + str_off + str_len > sh->sh_size || off >= str_len)
		return NULL;
	return (const char *)btf + hdr_len + str_off + off;
}

/* Field relocations come in one group per program section; two groups for
 * the same section must not write past the first group's table. */
static void test_duplicate_relo_group(void)
{
	unsigned char *copy = obj_copy(), *cr, *buf;
	struct ext_hdr *h;
	__u32 rec_size, sec_off, num, two = 2, sec_off2, num2;
	const char *s1, *s2;

	CU_ASSERT_PTR_NOT_NULL_FATAL(copy);
	h = find_ext(copy);
	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	cr = core_relo(copy);
	memcpy(&rec_size, cr, 4);
	memcpy(&sec_off, cr + 4, 4);
	memcpy(&num, cr + 8, 4);
	CU_ASSERT_EQUAL_FATAL(rec_size, 16);
	CU_ASSERT_FATAL(num >= 4);
	CU_ASSERT_FATAL(h->core_relo_len >= 4 + 8 + num * rec_size + 8);
	/* the second group: another program's (the two hooks' follow) */
	memcpy(&sec_off2, cr + 12 + num * rec_size, 4);
	memcpy(&num2, cr + 12 + num * rec_size + 4, 4);
	CU_ASSERT_FATAL(h->core_relo_len >= 4 + 8 + num * rec_size + 8 + num2 * rec_size);
	s1 = btf_str(copy, sec_off);
	s2 = btf_str(copy, sec_off2);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(s2);
	CU_ASSERT(strcmp(s1, s2) != 0);
	if (!strcmp(s1, PROG_SEC) || !strcmp(s1, PROG_RB_SEC))
		CU_ASSERT(!strcmp(s2, PROG_SEC) || !strcmp(s2, PROG_RB_SEC) || !strncmp(s2, "fentry/", 7));

	/* the second group relabelled as the first one's section */
	memcpy(cr + 12 + num * rec_size, &sec_off, 4);
	expect_reject("second group, same section", copy, obj_size(), "second field relocation group");

	/* the first group split in two: [rec_size][sec, 2][r0 r1][sec, 2][r2 r3] */
	memcpy(copy, skbd_bpf_object, obj_size());
	buf = malloc(h->core_relo_len);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, cr, h->core_relo_len);
	memcpy(cr + 8, &two, 4);
	memcpy(cr + 12 + 2 * 16, &sec_off, 4);
	memcpy(cr + 12 + 2 * 16 + 4, &two, 4);
	memcpy(cr + 12 + 2 * 16 + 8, buf + 12 + 2 * 16, 2 * 16);
	h->core_relo_len = 4 + 2 * (8 + 2 * 16);
	free(buf);
	expect_reject("second relocation group", copy, obj_size(), "second field relocation group");
	free(copy);
}

/* Every prefix of the object is rejected, never a crash. */
static void test_truncations(void)
{
	size_t size = obj_size(), tried = 0, rejected = 0;
	unsigned char *buf;

	tu_log_quiet();
	for (size_t n = 0; n < size; n += n < 200 ? 1 : 16) {
		buf = malloc(n ? n : 1);
		CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
		memcpy(buf, skbd_bpf_object, n);
		tried++;
		rejected += try_open(buf, n) < 0;
		free(buf);
	}
	buf = malloc(size - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	memcpy(buf, skbd_bpf_object, size - 1);
	tried++;
	rejected += try_open(buf, size - 1) < 0;
	free(buf);
	tu_log_restore();
	CU_ASSERT_EQUAL(rejected, tried);
	CU_ASSERT(tu_log_seen_prefix("elf:"));
}

static __u32 rnd_state = 0x9e3779b9u;

static __u32 rnd(void)
{
	return tu_rand(&rnd_state);
}

/* Use an object that opened despite the damage: every accessor and the
 * resolution must cope with what it holds. */
static void exercise(struct skbd_obj *obj, const struct skbd_tpformat *fmt)
{
	struct tp_resolver res = { .fmt = fmt };
	int n = skbd_obj__prog_count(obj);

	CU_ASSERT(n >= 1);
	for (int i = 0; i < n; i++) {
		size_t cnt = 0;

		CU_ASSERT_PTR_NOT_NULL(skbd_obj__prog_section(obj, i));
		CU_ASSERT_PTR_NOT_NULL(skbd_obj__prog_insns(obj, i, &cnt));
		CU_ASSERT(cnt > 0);
	}
	(void)skbd_obj__license(obj);
	(void)skbd_obj__map_fd(obj, SKBD_MAP_EVENTS);
	(void)skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, 2);
	(void)skbd_obj__resolve_fields(obj, resolve_tp, &res);
}

static void test_corruptions(void)
{
	struct skbd_tpformat *fmt = load_fixture(layouts[4].file);
	size_t size = obj_size(), opened = 0, rejected = 0;
	unsigned char *buf = malloc(size);

	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
	CU_ASSERT_PTR_NOT_NULL_FATAL(buf);
	tu_log_quiet();
	for (int iter = 0; iter < 3000; iter++) {
		struct skbd_obj *obj = NULL;
		size_t pos;
		int err;

		memcpy(buf, skbd_bpf_object, size);
		/* half the time aim at the headers: the ELF header and the section table */
		if (iter % 2)
			pos = rnd() % size;
		else if (iter % 4 == 0)
			pos = rnd() % sizeof(Elf64_Ehdr);
		else
			pos = ehdr(buf)->e_shoff + rnd() % (size - ehdr(buf)->e_shoff);
		buf[pos] ^= (unsigned char)(1 + rnd() % 255);
		err = skbd_obj__open_mem(buf, size, &obj);
		CU_ASSERT(err == 0 || err == -EINVAL || err == -ENOMEM);
		if (!err) {
			exercise(obj, fmt);
			skbd_obj__close(obj);
			opened++;
		} else {
			rejected++;
		}
	}
	tu_log_restore();
	CU_ASSERT(opened > 0);
	CU_ASSERT(rejected > 0);
	free(buf);
	skbd_tpformat__free(fmt);
}

/* The structs the relocations name: each once, as spelled, at most max. */
static void test_field_structs(void)
{
	const char *names[64], *two[2];
	struct skbd_obj *obj = NULL;
	size_t n;

	CU_ASSERT_EQUAL_FATAL(skbd_obj__open_mem(skbd_bpf_object, obj_size(), &obj), 0);
	n = skbd_obj__field_structs(obj, names, 64);
	CU_ASSERT(n > 5 && n < 64);
	for (size_t i = 0; i < n; i++) {
		/* kernel structs, and the tracepoint records laid out from their format */
		CU_ASSERT(strstr(names[i], "___skbd") || !strncmp(names[i], "skbd_tp_", 8));
		for (size_t j = 0; j < i; j++)
			CU_ASSERT(strcmp(names[i], names[j]) != 0);
	}
	CU_ASSERT_EQUAL(skbd_obj__field_structs(obj, two, 2), 2);
	CU_ASSERT_STRING_EQUAL(two[0], names[0]);
	CU_ASSERT_STRING_EQUAL(two[1], names[1]);
	CU_ASSERT_EQUAL(skbd_obj__field_structs(obj, two, 0), 0);
	skbd_obj__close(obj);
}

CU_TestInfo skbd_tests_elf[] = {
	{ "field relocation structs", test_field_structs },
	{ "good object", test_good_object },
	{ "layout 5.10", test_layout_5_10 },
	{ "layout 6.1", test_layout_6_1 },
	{ "layout 6.12.95", test_layout_6_12_95 },
	{ "layout 6.12.117", test_layout_6_12_117 },
	{ "layout 6.18", test_layout_6_18 },
	{ "resolve errors", test_resolve_errors },
	{ "load running kernel (root)", test_load_running_kernel },
	{ "tracepoint attach in two steps (root)", test_tracepoint_two_steps },
	{ "load fixture layouts (root)", test_load_fixture_layouts },
	{ "load unresolved (root)", test_load_unresolved },
	{ "load with a function body given (root)", test_load_func_body },
	{ "load with placeholder calls rewritten (root)", test_load_inline_slots },
	{ "load with the filter spliced in place of its calls (root)", test_load_spliced_filter },
	{ "load perf program only (root)", test_load_perf_only },
	{ "load ringbuf program only (root)", test_load_ringbuf_only },
	{ "load with an unsized ring buffer (root)", test_load_ringbuf_unsized },
	{ "bad headers", test_bad_headers },
	{ "bad sections", test_bad_sections },
	{ "bad .BTF.ext", test_bad_btf_ext },
	{ "duplicate relocation group", test_duplicate_relo_group },
	{ "truncations", test_truncations },
	{ "corruptions", test_corruptions },
	CU_TEST_INFO_NULL,
};
