// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the ELF loader's parse of a BPF object (sections, maps,
 * programs, relocations, .BTF/.BTF.ext field relocations), then what is done
 * to an object before load: field relocations resolved with fixed answers,
 * a function body replaced, a map resized. Never skbd_obj__load (bpf(2)). */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <skbdrop/loader.h>
#include "skbdrop_abi.h"
#include "fuzz_util.h"

/* Fixed answers of every kind a resolver gives: the field at a small offset,
 * absent, a bitfield, or an unknown struct; picked by the name's length. */
static int resolve(void *ctx, const char *struct_name, const char *field, struct skbd_field_loc *out)
{
	size_t k = strlen(struct_name) + strlen(field);

	memset(out, 0, sizeof(*out));
	switch (k % 5) {
	case 0:
		return -ENOENT;
	case 1:
		return 0; /* absent */
	case 2:
		*out = (struct skbd_field_loc){ .exists = true, .offset = 16, .size = 2 };
		return 0;
	case 3:
		*out = (struct skbd_field_loc){ .exists = true, .offset = 4, .size = 4, .bitfield = true,
						.lshift = 40, .rshift = 61 };
		return 0;
	default:
		*out = (struct skbd_field_loc){ .exists = true, .offset = (__u32)k * 8, .size = 8 };
		return 0;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct bpf_insn ret0[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct skbd_obj *obj;
	size_t cnt, sum = 0;
	int n;

	if (skbd_obj__open_mem(data, size, &obj))
		return 0;
	n = skbd_obj__prog_count(obj);
	for (int i = 0; i < n; i++) {
		const struct bpf_insn *insns = skbd_obj__prog_insns(obj, i, &cnt);
		const char *sec = skbd_obj__prog_section(obj, i);

		sum += (insns && cnt ? insns[cnt - 1].code : 0) + (sec ? strlen(sec) : 0);
		skbd_obj__prog_fd(obj, i);
	}
	sum += strlen(skbd_obj__license(obj) ? skbd_obj__license(obj) : "");
	skbd_obj__find_prog(obj, "skbd_kfree_skb");
	skbd_obj__find_prog(obj, "");
	skbd_obj__map_fd(obj, SKBD_MAP_EVENTS);
	skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, 4);
	skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, 1u << 20);
	skbd_obj__set_inline(obj, SKBD_IN_DIRECT, ret0, 1, true);
	skbd_obj__set_func_spliced(obj, SKBD_FILTER_FUNC, ret0, 2, -416);
	skbd_obj__set_func(obj, SKBD_FILTER_FUNC, ret0, 2);
	skbd_obj__resolve_fields(obj, resolve, NULL);
	skbd_obj__resolve_fields(obj, resolve, NULL);
	for (int i = 0; i < n; i++)
		skbd_obj__prog_insns(obj, i, &cnt);
	skbd_obj__close(obj);
	if (sum == (size_t)-1)
		fuzz_fail("unreachable"); /* keeps the reads */
	return 0;
}
