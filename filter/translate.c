// SPDX-License-Identifier: GPL-2.0-only
/* Classic BPF (libpcap's output) to one eBPF subprogram over a struct
 * skbd_event: pick the Ethernet or the raw program from the record's flags and
 * net_off, then turn each classic instruction into a short eBPF sequence whose
 * packet loads carry bounds checks the verifier can follow (5.10 and later). */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <skbdrop/filter.h>
#include "skbdrop_abi.h"

_Static_assert(sizeof(struct skbd_cbpf_insn) == 8, "cBPF instruction size");
_Static_assert(sizeof(struct skbd_event) == SKBD_EVENT_HDR + SKBD_SNAPLEN_MAX, "event size");
_Static_assert(offsetof(struct skbd_event, data) == SKBD_EVENT_HDR, "event data offset");
/* Every jump offset of a subprogram this long fits the 16-bit off field. */
_Static_assert(SKBD_FILTER_MAX_INSNS <= 32768, "jump offsets");

/* Registers. A and X hold zero-extended 32-bit values: every operation on
 * them is ALU32 or JMP32, so a constant like 0xffffffff is never
 * sign-extended. No helper is called, so r1-r5 keep their values. */
#define R_RET BPF_REG_0
#define R_BUFLEN BPF_REG_1 /* bytes the program may read: caplen - start */
#define R_CAPLEN BPF_REG_2 /* event caplen, <= SKBD_SNAPLEN_MAX */
#define R_WIRE BPF_REG_3   /* the program's wire length (BPF_LEN) */
#define R_T1 BPF_REG_4
#define R_T2 BPF_REG_5
#define R_EV BPF_REG_6     /* the event (PTR_TO_MAP_VALUE), then its packet bytes (r2 at entry) */
#define R_A BPF_REG_7
#define R_X BPF_REG_8
#define R_START BPF_REG_9  /* raw program: net_off, where its bytes start in the packet's */

#define SCRATCH_WORDS 16 /* BPF_MEMWORDS: M[0..15], 4 bytes each, below r10 (spliced: below the top) */
_Static_assert(SCRATCH_WORDS * 4 == SKBD_FILTER_STACK, "scratch size");
/* where the body's stack starts below r10: a subprogram's own frame, or the
 * part of its caller's a spliced body is given */
#define TOP(e) ((e)->spliced ? SKBD_FILTER_SPLICE_TOP : 0)
#define SCRATCH_OFF(e, k) ((__s16)(TOP(e) - SKBD_FILTER_STACK + 4 * (int)(k)))
/* spliced: r6-r9 of the program it is part of, kept below the scratch words */
#define SAVE_OFF(e, r) ((__s16)(TOP(e) - SKBD_FILTER_STACK - 8 * ((r) - BPF_REG_6 + 1)))
_Static_assert(-SKBD_FILTER_SPLICE_TOP + SKBD_FILTER_STACK + 4 * 8 <= 512, "the spliced body's stack");

/* Where the programs' "ret" instructions end up. */
enum ret_label { L_RET0, L_RET1, L_RETA, L_END, L_NR }; /* L_END: the spliced body's way out */

enum { P_ETHER, P_RAW, P_NR };
static const char *const prog_name[P_NR] = { "Ethernet", "raw" };

struct cprog {
	const struct skbd_cbpf_insn *insns; /* NULL: the program is missing */
	size_t n;
	bool *reach;  /* classic instruction i runs on some path */
	size_t *pos;  /* eBPF index of classic instruction i (first pass) */
	size_t start; /* eBPF index of the program's preamble */
};

/* Two passes over the same code: the first (buf NULL) only counts and
 * records where everything lands, the second writes the instructions with
 * jump offsets taken from the first. */
struct emitter {
	bool spliced; /* a body for a caller's frame (SKBD_FILTER_SPLICE_TOP), not a subprogram */
	bool scratch; /* a program uses M[] */
	struct bpf_insn *buf;
	size_t n;
	size_t label[L_NR];
	bool used[L_NR];
};

static void set_err(char *err, size_t err_size, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(char *err, size_t err_size, const char *fmt, ...)
{
	va_list ap;

	if (!err || !err_size)
		return;
	va_start(ap, fmt);
	vsnprintf(err, err_size, fmt, ap);
	va_end(ap);
}

static void put(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s16 off, __s32 imm)
{
	if (e->buf)
		e->buf[e->n] = (struct bpf_insn){
			.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm
		};
	e->n++;
}

/* A forward jump to the eBPF instruction at index to. */
static void put_jmp(struct emitter *e, __u8 code, __u8 dst, __u8 src, __s32 imm, size_t to)
{
	__s16 off = 0;

	if (e->buf)
		off = (__s16)((long)to - (long)e->n - 1);
	put(e, code, dst, src, off, imm);
}

static size_t to_label(struct emitter *e, enum ret_label l)
{
	e->used[l] = true;
	return e->label[l];
}

/* Return r0: a subprogram exits; a spliced body goes to its one exit. */
static void put_exit(struct emitter *e)
{
	if (e->spliced)
		put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, to_label(e, L_END));
	else
		put(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

/* Does a program read or write M[]? */
static bool uses_scratch(const struct cprog *p)
{
	for (size_t i = 0; p->insns && i < p->n; i++) {
		__u16 c = p->insns[i].code;

		if (c == (BPF_LD | BPF_MEM | BPF_W) || c == (BPF_LDX | BPF_MEM | BPF_W) || c == BPF_ST ||
		    c == BPF_STX)
			return true;
	}
	return false;
}

static unsigned int load_size(__u16 code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	default:
		return 1;
	}
}

/* A load no capture can satisfy (k past the largest data[]): bpf_filter()
 * returns 0 there, whatever the packet. Loads with k near 2^32 (libpcap's
 * "ancillary" offsets such as SKF_AD_OFF + SKF_AD_PKTTYPE) are among them. */
static bool always_out(const struct skbd_cbpf_insn *in)
{
	switch (in->code) {
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_MSH | BPF_B:
		return (__u64)in->k + load_size(in->code) > SKBD_SNAPLEN_MAX;
	default:
		return false;
	}
}

static bool is_cond_jump(__u16 code)
{
	if (BPF_CLASS(code) != BPF_JMP || (BPF_SRC(code) != BPF_K && BPF_SRC(code) != BPF_X))
		return false;
	switch (code & ~BPF_X) {
	case BPF_JMP | BPF_JEQ:
	case BPF_JMP | BPF_JGT:
	case BPF_JMP | BPF_JGE:
	case BPF_JMP | BPF_JSET:
		return true;
	default:
		return false;
	}
}

/* The opcodes bpf_filter() runs, with their operands checked. Returns 0 or
 * -EINVAL with the reason in err. */
static int check_insn(const struct cprog *p, size_t i, const char *name, char *err, size_t err_size)
{
	const struct skbd_cbpf_insn *in = &p->insns[i];
	size_t left = p->n - i - 1; /* instructions after this one */

	switch (in->code) {
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
		return 0;
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_MSH | BPF_B:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_ALU | BPF_NEG:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
		break;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		if (in->k >= SCRATCH_WORDS) {
			set_err(err, err_size, "%s program, instruction %zu: scratch word M[%u] out of range",
				name, i, in->k);
			return -EINVAL;
		}
		break;
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_K:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
		break;
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		/* bpf_filter() would trap; libpcap and the kernel refuse these */
		if (in->k == 0) {
			set_err(err, err_size, "%s program, instruction %zu: division by constant 0", name, i);
			return -EINVAL;
		}
		break;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		/* undefined in C, so bpf_filter()'s result depends on the CPU */
		if (in->k >= 32) {
			set_err(err, err_size, "%s program, instruction %zu: shift by %u", name, i, in->k);
			return -EINVAL;
		}
		break;
	case BPF_JMP | BPF_JA:
		/* libpcap 1.10 makes "ip6 protochain" a loop with a backward "ja" */
		if (in->k >= 0x80000000u) {
			set_err(err, err_size,
				"%s program, instruction %zu: backward jump (a loop, as in 'protochain') is not supported",
				name, i);
			return -EINVAL;
		}
		if (in->k >= left) {
			set_err(err, err_size, "%s program, instruction %zu: jump past the end", name, i);
			return -EINVAL;
		}
		return 0;
	default:
		if (!is_cond_jump(in->code)) {
			set_err(err, err_size, "%s program, instruction %zu: unsupported opcode 0x%02x", name, i,
				in->code);
			return -EINVAL;
		}
		if (in->jt >= left || in->jf >= left) {
			set_err(err, err_size, "%s program, instruction %zu: jump past the end", name, i);
			return -EINVAL;
		}
		return 0;
	}
	if (left == 0) {
		set_err(err, err_size, "%s program, instruction %zu: runs off the end", name, i);
		return -EINVAL;
	}
	return 0;
}

/* Check every instruction and find those that run on some path: the verifier
 * of 5.10 refuses unreachable instructions, so those are not translated. */
/* A scratch word read before every path to it stored one: bpf_filter()
 * would read whatever the memory held, and the kernel's classic checker
 * refuses such a program; so do we. Classic jumps go forward only: one pass
 * carries, for each instruction, the words stored on every path to it. */
static int check_scratch(const struct cprog *p, const char *name, char *err, size_t err_size)
{
	__u16 *stored = malloc(p->n * sizeof(*stored)), valid = 0;

	if (!stored)
		return -ENOMEM;
	for (size_t i = 0; i < p->n; i++)
		stored[i] = 0xffff;
	stored[0] = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct skbd_cbpf_insn *in = &p->insns[i];

		valid &= stored[i];
		if (!p->reach[i]) {
			valid = 0xffff;
			continue;
		}
		switch (in->code) {
		case BPF_ST:
		case BPF_STX:
			valid |= (__u16)(1u << in->k);
			break;
		case BPF_LD | BPF_MEM:
		case BPF_LDX | BPF_MEM:
			if (!(valid & (1u << in->k))) {
				set_err(err, err_size, "%s program: instruction %zu reads scratch word M[%u] before it is stored",
					name, i, in->k);
				free(stored);
				return -EINVAL;
			}
			break;
		default:
			break;
		}
		if (BPF_CLASS(in->code) == BPF_RET || always_out(in)) {
			valid = 0xffff; /* the next instruction is reached by jumps only */
		} else if (in->code == (BPF_JMP | BPF_JA)) {
			stored[i + 1 + in->k] &= valid;
			valid = 0xffff;
		} else if (BPF_CLASS(in->code) == BPF_JMP) {
			stored[i + 1 + in->jt] &= valid;
			stored[i + 1 + in->jf] &= valid;
			valid = 0xffff;
		}
	}
	free(stored);
	return 0;
}

static int check_prog(struct cprog *p, const char *name, char *err, size_t err_size)
{
	int ret;

	if (p->n > SKBD_FILTER_MAX_CBPF) {
		set_err(err, err_size, "%s program: %zu instructions, at most %d are supported", name, p->n,
			SKBD_FILTER_MAX_CBPF);
		return -E2BIG;
	}
	for (size_t i = 0; i < p->n; i++) {
		ret = check_insn(p, i, name, err, err_size);
		if (ret)
			return ret;
	}
	if (BPF_CLASS(p->insns[p->n - 1].code) != BPF_RET) {
		set_err(err, err_size, "%s program: the last instruction is not a return", name);
		return -EINVAL;
	}
	p->reach[0] = true;
	for (size_t i = 0; i < p->n; i++) {
		const struct skbd_cbpf_insn *in = &p->insns[i];

		if (!p->reach[i] || BPF_CLASS(in->code) == BPF_RET || always_out(in))
			continue;
		if (in->code == (BPF_JMP | BPF_JA)) {
			p->reach[i + 1 + in->k] = true;
		} else if (BPF_CLASS(in->code) == BPF_JMP) {
			p->reach[i + 1 + in->jt] = true;
			p->reach[i + 1 + in->jf] = true;
		} else {
			p->reach[i + 1] = true;
		}
	}
	return check_scratch(p, name, err, err_size);
}

/* dst = the size-byte big-endian word at byte rel (a constant for BPF_ABS,
 * X + k for BPF_IND) of the program's bytes, or return 0 when those are not
 * all captured. Exactly bpf_filter()'s test: rel + size <= buflen, computed
 * in 64 bits so X + k cannot wrap. The register compare against buflen is
 * for the semantics only; the verifier gets the constant compare of the
 * absolute index against SKBD_SNAPLEN_MAX - size, which bounds the access
 * to the map value whatever it learned from the first. */
static void emit_load(struct emitter *e, bool zero_start, __u8 dst, unsigned int size, __u32 k, bool ind)
{
	__u8 sz = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;

	if ((__u64)k + size > SKBD_SNAPLEN_MAX) {
		put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, to_label(e, L_RET0));
		return;
	}
	if (!ind) {
		put_jmp(e, BPF_JMP | BPF_JLT | BPF_K, R_BUFLEN, 0, (__s32)(k + size), to_label(e, L_RET0));
		if (zero_start) {
			put(e, BPF_LDX | BPF_MEM | sz, dst, R_EV, (__s16)k, 0);
			goto swap;
		}
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_T1, R_START, 0, 0);
		if (k)
			put(e, BPF_ALU64 | BPF_ADD | BPF_K, R_T1, 0, 0, (__s32)k);
	} else {
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_T1, R_X, 0, 0);
		if (k)
			put(e, BPF_ALU64 | BPF_ADD | BPF_K, R_T1, 0, 0, (__s32)k);
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_T2, R_T1, 0, 0);
		put(e, BPF_ALU64 | BPF_ADD | BPF_K, R_T2, 0, 0, (__s32)size);
		put_jmp(e, BPF_JMP | BPF_JGT | BPF_X, R_T2, R_BUFLEN, 0, to_label(e, L_RET0));
		if (!zero_start)
			put(e, BPF_ALU64 | BPF_ADD | BPF_X, R_T1, R_START, 0, 0);
	}
	put_jmp(e, BPF_JMP | BPF_JGT | BPF_K, R_T1, 0, (__s32)(SKBD_SNAPLEN_MAX - size), to_label(e, L_RET0));
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_T2, R_EV, 0, 0);
	put(e, BPF_ALU64 | BPF_ADD | BPF_X, R_T2, R_T1, 0, 0);
	put(e, BPF_LDX | BPF_MEM | sz, dst, R_T2, 0, 0);
swap:
	/* network to host order; the 32-bit swap also clears the upper half */
	if (size > 1)
		put(e, BPF_ALU | BPF_END | BPF_TO_BE, dst, 0, 0, (__s32)(size * 8));
}

/* "if (A op K/X) goto jt else goto jf" with as few jumps as the layout allows. */
static void emit_cond(struct emitter *e, const struct cprog *p, size_t i)
{
	const struct skbd_cbpf_insn *in = &p->insns[i];
	__u8 op = BPF_OP(in->code), inv = 0;
	__u8 src = BPF_SRC(in->code) == BPF_X ? R_X : 0;
	size_t t = p->pos[i + 1 + in->jt], f = p->pos[i + 1 + in->jf];

	if (in->jt == in->jf) {
		if (in->jt)
			put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, t);
		return;
	}
	if (in->jf == 0) {
		put_jmp(e, BPF_JMP32 | op | BPF_SRC(in->code), R_A, src, (__s32)in->k, t);
		return;
	}
	switch (op) {
	case BPF_JEQ:
		inv = BPF_JNE;
		break;
	case BPF_JGT:
		inv = BPF_JLE;
		break;
	case BPF_JGE:
		inv = BPF_JLT;
		break;
	default: /* BPF_JSET has no inverse */
		break;
	}
	if (in->jt == 0 && inv) {
		put_jmp(e, BPF_JMP32 | inv | BPF_SRC(in->code), R_A, src, (__s32)in->k, f);
		return;
	}
	put_jmp(e, BPF_JMP32 | op | BPF_SRC(in->code), R_A, src, (__s32)in->k, t);
	put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, f);
}

static void emit_insn(struct emitter *e, const struct cprog *p, size_t i, bool zero_start)
{
	const struct skbd_cbpf_insn *in = &p->insns[i];
	__u8 op = BPF_OP(in->code);

	switch (BPF_CLASS(in->code)) {
	case BPF_RET:
		if (BPF_RVAL(in->code) == BPF_A)
			put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, to_label(e, L_RETA));
		else
			put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, to_label(e, in->k ? L_RET1 : L_RET0));
		return;
	case BPF_LD:
	case BPF_LDX: {
		__u8 dst = BPF_CLASS(in->code) == BPF_LD ? R_A : R_X;

		switch (BPF_MODE(in->code)) {
		case BPF_ABS:
		case BPF_IND:
			emit_load(e, zero_start, dst, load_size(in->code), in->k, BPF_MODE(in->code) == BPF_IND);
			return;
		case BPF_MSH: /* X = 4 * (P[k] & 0xf): an IPv4 header length */
			emit_load(e, zero_start, dst, 1, in->k, false);
			if (!always_out(in)) {
				put(e, BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, 0xf);
				put(e, BPF_ALU | BPF_LSH | BPF_K, dst, 0, 0, 2);
			}
			return;
		case BPF_IMM:
			put(e, BPF_ALU | BPF_MOV | BPF_K, dst, 0, 0, (__s32)in->k);
			return;
		case BPF_LEN:
			put(e, BPF_ALU | BPF_MOV | BPF_X, dst, R_WIRE, 0, 0);
			return;
		default: /* BPF_MEM */
			put(e, BPF_LDX | BPF_MEM | BPF_W, dst, BPF_REG_10, SCRATCH_OFF(e, in->k), 0);
			return;
		}
	}
	case BPF_ST:
	case BPF_STX:
		put(e, BPF_STX | BPF_MEM | BPF_W, BPF_REG_10, BPF_CLASS(in->code) == BPF_ST ? R_A : R_X,
		    SCRATCH_OFF(e, in->k), 0);
		return;
	case BPF_MISC:
		if (BPF_MISCOP(in->code) == BPF_TAX)
			put(e, BPF_ALU | BPF_MOV | BPF_X, R_X, R_A, 0, 0);
		else
			put(e, BPF_ALU | BPF_MOV | BPF_X, R_A, R_X, 0, 0);
		return;
	case BPF_ALU:
		if (op == BPF_NEG) {
			put(e, BPF_ALU | BPF_NEG, R_A, 0, 0, 0);
		} else if (BPF_SRC(in->code) == BPF_K) {
			put(e, BPF_ALU | op | BPF_K, R_A, 0, 0, (__s32)in->k);
		} else if (op == BPF_DIV || op == BPF_MOD) {
			/* bpf_filter() returns 0; eBPF would go on with A = 0 (or A) */
			put_jmp(e, BPF_JMP32 | BPF_JEQ | BPF_K, R_X, 0, 0, to_label(e, L_RET0));
			put(e, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
		} else if (op == BPF_LSH || op == BPF_RSH) {
			/* bpf_filter() gives 0 for X >= 32; eBPF masks the count to 5 bits */
			put(e, BPF_JMP32 | BPF_JGT | BPF_K, R_X, 0, 2, 31);
			put(e, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
			put(e, BPF_JMP | BPF_JA, 0, 0, 1, 0);
			put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
		} else {
			put(e, BPF_ALU | op | BPF_X, R_A, R_X, 0, 0);
		}
		return;
	default: /* BPF_JMP */
		if (op == BPF_JA) {
			if (in->k)
				put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, p->pos[i + 1 + in->k]);
			return;
		}
		emit_cond(e, p, i);
		return;
	}
}

/* The program's preamble, then its reachable instructions. */
static void emit_prog(struct emitter *e, struct cprog *p, bool zero_start)
{
	p->start = e->n;
	if (zero_start) {
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_BUFLEN, R_CAPLEN, 0, 0);
	} else {
		/* a network header within the capture; the constant compare is
		 * what tells the verifier so */
		put_jmp(e, BPF_JMP | BPF_JGE | BPF_X, R_START, R_CAPLEN, 0, to_label(e, L_RET0));
		put_jmp(e, BPF_JMP | BPF_JGT | BPF_K, R_START, 0, SKBD_SNAPLEN_MAX - 1, to_label(e, L_RET0));
		put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_BUFLEN, R_CAPLEN, 0, 0);
		put(e, BPF_ALU64 | BPF_SUB | BPF_X, R_BUFLEN, R_START, 0, 0);
		put(e, BPF_ALU64 | BPF_SUB | BPF_X, R_WIRE, R_START, 0, 0);
	}
	for (size_t i = 0; i < p->n; i++) {
		if (!p->reach[i])
			continue;
		p->pos[i] = e->n;
		emit_insn(e, p, i, zero_start);
	}
}

/* The whole subprogram: entry and dispatch, the raw program, the Ethernet
 * program, the return blocks that are used. */
static void emit_all(struct emitter *e, struct cprog *progs)
{
	struct cprog *ether = &progs[P_ETHER], *raw = &progs[P_RAW];
	static const __u16 eth_net_off[] = { 14, 18, 22 }; /* Ethernet, + one or two VLAN tags */
	size_t to_ether;

	if (e->spliced) /* the caller's r6-r9, given back at L_END */
		for (__u8 r = BPF_REG_6; r <= BPF_REG_9; r++)
			put(e, BPF_STX | BPF_MEM | BPF_DW, BPF_REG_10, r, SAVE_OFF(e, r), 0);
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_EV, BPF_REG_1, 0, 0);
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_X, BPF_REG_2, 0, 0); /* the bytes, until the header is read */
	/* bpf_filter()'s M[] starts undefined; the verifier wants it written */
	for (int off = 8; e->scratch && off <= SKBD_FILTER_STACK; off += 8)
		put(e, BPF_ST | BPF_MEM | BPF_DW, BPF_REG_10, 0, (__s16)(TOP(e) - off), 0);
	put(e, BPF_ALU | BPF_MOV | BPF_K, R_A, 0, 0, 0);
	put(e, BPF_LDX | BPF_MEM | BPF_H, R_CAPLEN, R_EV, offsetof(struct skbd_event, caplen), 0);
	put_jmp(e, BPF_JMP | BPF_JGT | BPF_K, R_CAPLEN, 0, SKBD_SNAPLEN_MAX, to_label(e, L_RET0));
	/* wire length: pkt_len, or caplen when that is unknown (0) or smaller */
	put(e, BPF_LDX | BPF_MEM | BPF_W, R_WIRE, R_EV, offsetof(struct skbd_event, pkt_len), 0);
	put(e, BPF_JMP | BPF_JGE | BPF_X, R_WIRE, R_CAPLEN, 1, 0);
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_WIRE, R_CAPLEN, 0, 0);
	put(e, BPF_LDX | BPF_MEM | BPF_H, R_START, R_EV, offsetof(struct skbd_event, net_off), 0);
	put(e, BPF_LDX | BPF_MEM | BPF_H, R_T1, R_EV, offsetof(struct skbd_event, flags), 0);
	/* from here on the programs read only the bytes */
	put(e, BPF_ALU64 | BPF_MOV | BPF_X, R_EV, R_X, 0, 0);
	put(e, BPF_ALU | BPF_MOV | BPF_K, R_X, 0, 0, 0);
	put(e, BPF_JMP | BPF_JSET | BPF_K, R_T1, 0, 1, SKBD_EV_HAS_MAC);
	put(e, BPF_JMP | BPF_JA, 0, 0, (__s16)(sizeof(eth_net_off) / sizeof(eth_net_off[0])), 0);
	to_ether = ether->insns ? ether->start : to_label(e, L_RET0);
	for (size_t i = 0; i < sizeof(eth_net_off) / sizeof(eth_net_off[0]); i++)
		put_jmp(e, BPF_JMP | BPF_JEQ | BPF_K, R_START, 0, eth_net_off[i], to_ether);
	if (raw->insns)
		emit_prog(e, raw, false);
	else
		put_jmp(e, BPF_JMP | BPF_JA, 0, 0, 0, to_label(e, L_RET0));
	if (ether->insns)
		emit_prog(e, ether, true);

	if (e->used[L_RET0]) {
		e->label[L_RET0] = e->n;
		put(e, BPF_ALU | BPF_MOV | BPF_K, R_RET, 0, 0, 0);
		put_exit(e);
	}
	if (e->used[L_RET1]) {
		e->label[L_RET1] = e->n;
		put(e, BPF_ALU | BPF_MOV | BPF_K, R_RET, 0, 0, 1);
		put_exit(e);
	}
	if (e->used[L_RETA]) {
		e->label[L_RETA] = e->n;
		put(e, BPF_ALU | BPF_MOV | BPF_K, R_RET, 0, 0, 1);
		put(e, BPF_JMP32 | BPF_JNE | BPF_K, R_A, 0, 1, 0);
		put(e, BPF_ALU | BPF_MOV | BPF_K, R_RET, 0, 0, 0);
		put_exit(e);
	}
	if (e->spliced) { /* the only exit, last: the program it joins jumps back from here */
		e->label[L_END] = e->n;
		for (__u8 r = BPF_REG_6; r <= BPF_REG_9; r++)
			put(e, BPF_LDX | BPF_MEM | BPF_DW, r, BPF_REG_10, SAVE_OFF(e, r), 0);
		put(e, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
	}
}

static void free_cprog(struct cprog *p)
{
	free(p->reach);
	free(p->pos);
}

static int translate(const struct skbd_cbpf_insn *ether, size_t n_ether, const struct skbd_cbpf_insn *raw,
		     size_t n_raw, bool spliced, struct bpf_insn **out, size_t *cnt, char *err, size_t err_size)
{
	struct cprog progs[P_NR] = { { .insns = ether, .n = n_ether }, { .insns = raw, .n = n_raw } };
	struct emitter e;
	size_t total;
	int ret;

	if (!out || !cnt)
		return -EINVAL;
	for (int i = 0; i < P_NR; i++) {
		struct cprog *p = &progs[i];

		if (!p->insns != !p->n) {
			set_err(err, err_size, "%s program: instructions and count disagree", prog_name[i]);
			ret = -EINVAL;
			goto free_progs;
		}
		if (!p->insns)
			continue;
		if (p->n <= SKBD_FILTER_MAX_CBPF) {
			p->reach = calloc(p->n, sizeof(*p->reach));
			p->pos = calloc(p->n, sizeof(*p->pos));
			if (!p->reach || !p->pos) {
				ret = -ENOMEM;
				goto free_progs;
			}
		}
		ret = check_prog(p, prog_name[i], err, err_size);
		if (ret)
			goto free_progs;
	}

	memset(&e, 0, sizeof(e));
	e.spliced = spliced;
	e.scratch = uses_scratch(&progs[P_ETHER]) || uses_scratch(&progs[P_RAW]);
	emit_all(&e, progs);
	total = e.n;
	if (total > SKBD_FILTER_MAX_INSNS) {
		set_err(err, err_size, "the eBPF translation has %zu instructions, at most %d are supported",
			total, SKBD_FILTER_MAX_INSNS);
		ret = -E2BIG;
		goto free_progs;
	}
	e.buf = calloc(total, sizeof(*e.buf));
	if (!e.buf) {
		ret = -ENOMEM;
		goto free_progs;
	}
	e.n = 0;
	emit_all(&e, progs);
	if (e.n != total) { /* both passes run the same code: cannot happen */
		free(e.buf);
		ret = -EFAULT;
		goto free_progs;
	}
	*out = e.buf;
	*cnt = total;
	ret = 0;
free_progs:
	for (int i = 0; i < P_NR; i++)
		free_cprog(&progs[i]);
	return ret;
}

int skbd_filter__translate(const struct skbd_cbpf_insn *ether, size_t n_ether,
			   const struct skbd_cbpf_insn *raw, size_t n_raw,
			   struct bpf_insn **out, size_t *cnt, char *err, size_t err_size)
{
	return translate(ether, n_ether, raw, n_raw, false, out, cnt, err, err_size);
}

int skbd_filter__translate_spliced(const struct skbd_cbpf_insn *ether, size_t n_ether,
				   const struct skbd_cbpf_insn *raw, size_t n_raw,
				   struct bpf_insn **out, size_t *cnt, char *err, size_t err_size)
{
	return translate(ether, n_ether, raw, n_raw, true, out, cnt, err, err_size);
}
