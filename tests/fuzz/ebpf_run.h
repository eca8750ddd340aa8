/* SPDX-License-Identifier: GPL-2.0-only */
/* A small eBPF interpreter for the filter subprogram (the instructions the
 * cBPF translator emits): the cbpf fuzz target runs translations with it,
 * as the kernel would, without bpf(2). */
#ifndef SKBD_EBPF_RUN_H
#define SKBD_EBPF_RUN_H

#include <stddef.h>
#include <linux/bpf.h>

/* Run prog (cnt instructions) with r1 = ctx (ctx_size bytes), r2 = ctx +
 * arg2_off (a second pointer into it), and a stack of stack_size bytes below
 * r10; keep (or NULL): r6-r9 set to these four values, which they must hold
 * again at the exit (a body spliced into its caller). As the verifier would
 * allow it: 0 and *ret
 * (r0), or -EINVAL for what the verifier would refuse (an unknown or
 * unsupported instruction, an access outside ctx and the stack, a backward
 * jump, a jump or a fall off the end, a read of an unwritten register or
 * stack byte, r6-r9 not kept): the fuzz target calls that a translator bug. */
int ebpf_run(const struct bpf_insn *prog, size_t cnt, const void *ctx, size_t ctx_size, size_t arg2_off,
	     size_t stack_size, const __u64 *keep, __u64 *ret);

#endif
