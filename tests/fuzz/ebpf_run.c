// SPDX-License-Identifier: GPL-2.0-only
/* The eBPF interpreter of the cbpf fuzz target (see ebpf_run.h). Only the
 * forms the translator emits; anything else is refused, so that a new form
 * shows up as a finding rather than being run wrong. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "ebpf_run.h"

#define STACK_MAX 512

struct vm {
	__u64 r[11];
	bool set[11];
	__u8 stack[STACK_MAX];
	bool written[STACK_MAX];
	const __u8 *ctx;
	size_t ctx_size, stack_size;
};

/* The register holds a pointer into ctx (r1's value plus an offset) or the
 * stack (r10's): only such registers may be the base of an access. Base
 * addresses are the real ones, so pointer arithmetic is plain addition. */
static int access(struct vm *vm, __u64 addr, size_t size, bool store, __u8 **p)
{
	__u64 ctx = (uintptr_t)vm->ctx, top = (uintptr_t)(vm->stack + STACK_MAX);

	if (addr >= ctx && addr + size <= ctx + vm->ctx_size && addr + size > addr) {
		if (store)
			return -EINVAL; /* the event is read-only to the filter */
		*p = (__u8 *)(uintptr_t)addr;
		return 0;
	}
	if (addr >= top - vm->stack_size && addr + size <= top && addr + size > addr) {
		size_t off = (size_t)(addr - (top - STACK_MAX));

		for (size_t i = 0; i < size; i++) {
			if (store)
				vm->written[off + i] = true;
			else if (!vm->written[off + i])
				return -EINVAL;
		}
		*p = vm->stack + off;
		return 0;
	}
	return -EINVAL;
}

static size_t size_of(__u8 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_B:
		return 1;
	case BPF_H:
		return 2;
	case BPF_W:
		return 4;
	default:
		return 8;
	}
}

static int alu(struct vm *vm, const struct bpf_insn *in)
{
	bool is64 = BPF_CLASS(in->code) == BPF_ALU64;
	bool x = BPF_SRC(in->code) == BPF_X && BPF_OP(in->code) != BPF_END; /* END: the bit says TO_BE */
	__u64 src = x ? vm->r[in->src_reg] : (__u64)(__s64)in->imm;
	__u64 dst = vm->r[in->dst_reg], v;

	if (x && !vm->set[in->src_reg])
		return -EINVAL;
	if (BPF_OP(in->code) != BPF_MOV && !vm->set[in->dst_reg])
		return -EINVAL;
	if (!is64) {
		src = (__u32)src;
		dst = (__u32)dst;
	}
	switch (BPF_OP(in->code)) {
	case BPF_MOV: v = src; break;
	case BPF_ADD: v = dst + src; break;
	case BPF_SUB: v = dst - src; break;
	case BPF_MUL: v = dst * src; break;
	case BPF_DIV: v = src ? dst / src : 0; break;
	case BPF_MOD: v = src ? dst % src : dst; break;
	case BPF_AND: v = dst & src; break;
	case BPF_OR: v = dst | src; break;
	case BPF_XOR: v = dst ^ src; break;
	case BPF_LSH: v = dst << (src & (is64 ? 63 : 31)); break;
	case BPF_RSH: v = dst >> (src & (is64 ? 63 : 31)); break;
	case BPF_NEG: v = -dst; break;
	case BPF_END:
		/* to big-endian on a little-endian host: a swap, upper bits cleared */
		if (is64 || BPF_SRC(in->code) != BPF_TO_BE)
			return -EINVAL;
		if (in->imm == 16)
			v = __builtin_bswap16((__u16)dst);
		else if (in->imm == 32)
			v = __builtin_bswap32((__u32)dst);
		else if (in->imm == 64)
			v = __builtin_bswap64(vm->r[in->dst_reg]);
		else
			return -EINVAL;
		vm->r[in->dst_reg] = v;
		return 0;
	default:
		return -EINVAL;
	}
	vm->r[in->dst_reg] = is64 ? v : (__u32)v;
	vm->set[in->dst_reg] = true;
	return 0;
}

/* -1: not a jump it knows, else whether it is taken */
static int cond(const struct bpf_insn *in, __u64 a, __u64 b)
{
	if (BPF_CLASS(in->code) == BPF_JMP32) {
		a = (__u32)a;
		b = (__u32)b;
	}
	switch (BPF_OP(in->code)) {
	case BPF_JEQ: return a == b;
	case BPF_JNE: return a != b;
	case BPF_JGT: return a > b;
	case BPF_JGE: return a >= b;
	case BPF_JLT: return a < b;
	case BPF_JLE: return a <= b;
	case BPF_JSET: return (a & b) != 0;
	default: return -1;
	}
}

static int jump(struct vm *vm, const struct bpf_insn *in, size_t *pc, size_t cnt, bool *done)
{
	__u64 b;
	int taken;

	if (BPF_OP(in->code) == BPF_EXIT) {
		*done = true;
		return vm->set[0] ? 0 : -EINVAL;
	}
	if (BPF_OP(in->code) == BPF_JA) {
		taken = 1;
	} else {
		if (!vm->set[in->dst_reg] || (BPF_SRC(in->code) == BPF_X && !vm->set[in->src_reg]))
			return -EINVAL;
		b = BPF_SRC(in->code) == BPF_X ? vm->r[in->src_reg] :
		    BPF_CLASS(in->code) == BPF_JMP32 ? (__u32)in->imm : (__u64)(__s64)in->imm;
		taken = cond(in, vm->r[in->dst_reg], b);
		if (taken < 0)
			return -EINVAL;
	}
	if (taken) {
		/* forward only: the subprogram has no loops */
		if (in->off < 0 || *pc + 1 + (size_t)in->off >= cnt)
			return -EINVAL;
		*pc += (size_t)in->off;
	}
	return 0;
}

static int mem(struct vm *vm, const struct bpf_insn *in)
{
	size_t size = size_of(in->code);
	__u8 base = BPF_CLASS(in->code) == BPF_LDX ? in->src_reg : in->dst_reg;
	__u64 v = 0;
	__u8 *p;

	if (BPF_MODE(in->code) != BPF_MEM || !vm->set[base] || base == 0)
		return -EINVAL;
	if (access(vm, vm->r[base] + (__u64)(__s64)in->off, size, BPF_CLASS(in->code) != BPF_LDX, &p))
		return -EINVAL;
	switch (BPF_CLASS(in->code)) {
	case BPF_LDX:
		memcpy(&v, p, size); /* little-endian host */
		vm->r[in->dst_reg] = v;
		vm->set[in->dst_reg] = true;
		return 0;
	case BPF_STX:
		if (!vm->set[in->src_reg])
			return -EINVAL;
		v = vm->r[in->src_reg];
		break;
	default: /* BPF_ST */
		v = (__u64)(__s64)in->imm;
		break;
	}
	memcpy(p, &v, size);
	return 0;
}

int ebpf_run(const struct bpf_insn *prog, size_t cnt, const void *ctx, size_t ctx_size, size_t arg2_off,
	     size_t stack_size, const __u64 *keep, __u64 *ret)
{
	static struct vm vm; /* 1 KiB of flags: not on every run's stack */
	bool done = false;

	if (stack_size > STACK_MAX)
		return -EINVAL;
	memset(&vm, 0, sizeof(vm));
	vm.ctx = ctx;
	vm.ctx_size = ctx_size;
	vm.stack_size = stack_size;
	if (arg2_off > ctx_size)
		return -EINVAL;
	vm.r[1] = (uintptr_t)ctx;
	vm.r[2] = (uintptr_t)ctx + arg2_off;
	vm.r[10] = (uintptr_t)(vm.stack + STACK_MAX);
	vm.set[1] = vm.set[2] = vm.set[10] = true;
	for (int r = 0; keep && r < 4; r++) {
		vm.r[6 + r] = keep[r];
		vm.set[6 + r] = true;
	}
	for (size_t pc = 0; pc < cnt && !done; pc++) {
		const struct bpf_insn *in = &prog[pc];
		int err;

		if (in->dst_reg > 10 || in->src_reg > 10)
			return -EINVAL;
		switch (BPF_CLASS(in->code)) {
		case BPF_ALU:
		case BPF_ALU64:
			err = in->dst_reg == 10 ? -EINVAL : alu(&vm, in);
			break;
		case BPF_JMP:
		case BPF_JMP32:
			if (BPF_OP(in->code) == BPF_CALL)
				return -EINVAL;
			err = jump(&vm, in, &pc, cnt, &done);
			break;
		case BPF_LDX:
			err = in->dst_reg == 10 ? -EINVAL : mem(&vm, in);
			break;
		case BPF_ST:
		case BPF_STX:
			err = mem(&vm, in);
			break;
		default:
			err = -EINVAL;
			break;
		}
		if (err)
			return err;
	}
	if (!done)
		return -EINVAL; /* fell off the end */
	for (int r = 0; keep && r < 4; r++)
		if (vm.r[6 + r] != keep[r])
			return -EINVAL; /* the caller's register, not given back */
	*ret = vm.r[0];
	return 0;
}
