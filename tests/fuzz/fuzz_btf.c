// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: raw BTF (the kernel's /sys/kernel/btf/vmlinux, a user's
 * --btf file, an object's .BTF), then the lookups the monitor makes on it
 * (through the full index, and again after skbd_btf__find_names: the same
 * answers; a FUNC, bisected, may be another of the same name where they are
 * out of order), and the same bytes read as a module's split BTF. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/btf.h>
#include "fuzz_util.h"

/* A base for split BTF: one int type named "int" (id 1). */
static const struct {
	struct btf_header h;
	__u32 types[4];
	char strs[5];
} __attribute__((packed)) mini_base = {
	.h = { .magic = BTF_MAGIC, .version = BTF_VERSION, .hdr_len = sizeof(struct btf_header),
	       .type_off = 0, .type_len = 16, .str_off = 16, .str_len = 5 },
	/* name_off, info (kind << 24), size, then the int encoding (flags << 24 | bits) */
	.types = { 1, BTF_KIND_INT << 24, 4, BTF_INT_SIGNED << 24 | 32 },
	.strs = "\0int",
};

/* Parsed once, never freed. */
static const struct skbd_btf *get_base(void)
{
	static struct skbd_btf *base;

	if (!base && skbd_btf__new(&mini_base, sizeof(mini_base), &base))
		fuzz_fail("the built-in base BTF does not parse");
	return base;
}

/* Fields the BPF program's relocations and the monitor ask for (flavors,
 * anonymous members, nested paths, bitfields); a few made-up ones too. */
static const char *const fields[][2] = {
	{ "sk_buff___skbd", "len" },
	{ "sk_buff___skbd", "dev" },
	{ "sk_buff___skbd", "sk" },
	{ "sk_buff___skbd", "head" },
	{ "sk_buff___skbd", "data" },
	{ "sk_buff___skbd", "protocol" },
	{ "sk_buff___skbd", "network_header" },
	{ "sk_buff___skbd", "mac_header" },
	{ "sk_buff___skbd", "transport_header" },
	{ "sk_buff___skbd", "pkt_type" },
	{ "net_device___skbd", "ifindex" },
	{ "net_device___skbd", "nd_net.net" },
	{ "sock___skbd", "__sk_common.skc_family" },
	{ "sock___skbd", "__sk_common.skc_net.net" },
	{ "sock___skbd", "__sk_common.skc_num" },
	{ "sock___skbd", "__sk_common.skc_state" },
	{ "sock___skbd", "sk_rcvbuf" },
	{ "sock___skbd", "sk_protocol" },
	{ "sock___skbd", "sk_uid.val" },
	{ "tcp_sock___skbd", "rcv_wnd" },
	{ "net___skbd", "ns.inum" },
	{ "a", "b.c.d.e" },
	{ "a", "" },
	{ "a", "b..c" },
};

static void on_enum(void *ctx, const char *enum_name, const char *name, __u64 value)
{
	/* the names must be readable strings */
	*(size_t *)ctx += strlen(enum_name) + strlen(name);
}

/* Walk every type as the monitor's reason and subsystem scans do. */
static void walk(const struct skbd_btf *btf)
{
	__u32 n = skbd_btf__nr_types(btf);
	size_t sum = 0;

	for (__u32 id = 0; id < n; id++) {
		const struct btf_type *t = skbd_btf__type(btf, id);
		const struct btf_member *m;
		const char *name;
		__u32 vlen;

		if (!t)
			continue;
		name = skbd_btf__str(btf, t->name_off);
		sum += name ? strlen(name) : 0;
		skbd_btf__skip_mods(btf, id);
		m = skbd_btf__members(t, &vlen);
		for (__u32 i = 0; m && i < vlen; i++) {
			name = skbd_btf__str(btf, m[i].name_off);
			sum += name ? strlen(name) : 0;
		}
		if (BTF_INFO_KIND(t->info) == BTF_KIND_ENUM) {
			const struct btf_enum *e = (const struct btf_enum *)(t + 1);

			for (__u32 i = 0; i < BTF_INFO_VLEN(t->info); i++) {
				name = skbd_btf__str(btf, e[i].name_off);
				sum += name ? strlen(name) : 0;
			}
		}
	}
	if (sum == (size_t)-1)
		abort(); /* keeps the reads */
}

/* Type id is a FUNC called name. */
static int same_func_name(const struct skbd_btf *btf, __u32 id, const char *name)
{
	const struct btf_type *t = skbd_btf__type(btf, id);
	const char *s = t ? skbd_btf__str(btf, t->name_off) : NULL;

	return t && BTF_INFO_KIND(t->info) == BTF_KIND_FUNC && s && !strcmp(s, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct {
		const char *name;
		__u32 kind;
	} finds[] = { { "skb_drop_reason", BTF_KIND_ENUM }, { "skb_drop_reason_subsys", BTF_KIND_ENUM },
		      { "sk_buff", BTF_KIND_STRUCT },	     { "sock", BTF_KIND_STRUCT },
		      { "bpf_rdonly_cast", BTF_KIND_FUNC },  { "int", BTF_KIND_INT },
		      { "u32", BTF_KIND_TYPEDEF },	     { "", BTF_KIND_STRUCT } };
	struct skbd_btf_field f;
	struct skbd_btf *btf, *named;
	size_t sum = 0;

	if (!skbd_btf__new(data, size, &btf)) {
		int found[sizeof(finds) / sizeof(finds[0])], ferr[sizeof(fields) / sizeof(fields[0])];
		struct skbd_btf_field fs[sizeof(fields) / sizeof(fields[0])];

		for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++)
			found[i] = skbd_btf__find_by_name_kind(btf, finds[i].name, finds[i].kind);
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			memset(&fs[i], 0, sizeof(fs[i]));
			ferr[i] = skbd_btf__field(btf, fields[i][0], fields[i][1], &fs[i]);
		}
		walk(btf);
		skbd_btf__split_enums(btf, data, size, on_enum, &sum);
		/* the same lookups after one pass for just these names: the same answers */
		if (!skbd_btf__new(data, size, &named)) {
			const char *names[sizeof(finds) / sizeof(finds[0]) + sizeof(fields) / sizeof(fields[0])];
			size_t n = 0, nr_enums = 0;
			const __u32 *enums = NULL;

			for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++)
				names[n++] = finds[i].name;
			for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
				names[n++] = fields[i][0];
			if (!skbd_btf__find_names(named, names, n, "drop_reason")) {
				for (size_t i = 0; i < sizeof(finds) / sizeof(finds[0]); i++) {
					int id = skbd_btf__find_by_name_kind(named, finds[i].name, finds[i].kind);

					/* FUNCs are bisected: with equal names out of order, one of them */
					if (id != found[i] && !(finds[i].kind == BTF_KIND_FUNC && id > 0 && found[i] > 0 &&
								same_func_name(named, (__u32)id, finds[i].name)))
						fuzz_fail("find_names: another id than the index's");
				}
				for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
					memset(&f, 0, sizeof(f));
					if (skbd_btf__field(named, fields[i][0], fields[i][1], &f) != ferr[i] ||
					    f.offset != fs[i].offset || f.size != fs[i].size ||
					    f.is_bitfield != fs[i].is_bitfield || f.bit_offset != fs[i].bit_offset ||
					    f.bit_size != fs[i].bit_size || f.type_id != fs[i].type_id)
						fuzz_fail("find_names: another field than the index's");
				}
				if (skbd_btf__found_enums(named, &enums, &nr_enums))
					fuzz_fail("find_names: no enum list");
				for (size_t i = 0; i < nr_enums; i++)
					sum += skbd_btf__type(named, enums[i]) ? 1 : 0;
			}
			skbd_btf__free(named);
		}
		skbd_btf__free(btf);
	}
	/* a module's BTF: never parsed alone, read on top of a base */
	skbd_btf__split_enums(get_base(), data, size, on_enum, &sum);
	return 0;
}
