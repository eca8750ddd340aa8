// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a BPF ring buffer's data area (mapped twice in a row, as
 * the kernel maps it) and its producer/consumer positions, read as the
 * reader does; each record becomes a drop formatted as the CLI streams it.
 * Input: see fuzz_ring_input (the position is the consumer's, the lead what
 * the producer's adds). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/ringbuf.h>
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_rec_ctx rc = { 0 };
	__u64 cons, lead, ring = fuzz_ring_input(&in, &rc, &cons, &lead), prod, c0;
	__u8 *area;
	int ret;

	cons &= ~7ull; /* the kernel's positions are 8-aligned */
	prod = cons + lead;
	area = calloc(2, ring);
	if (!area)
		abort();
	memcpy(area, in.p, in.n < ring ? in.n : ring);
	memcpy(area + ring, area, ring);
	c0 = cons;
	ret = skbd_bpf_ring__consume(area, ring - 1, prod, &cons, fuzz_on_record, &rc);
	if (cons - c0 > (prod > c0 ? prod - c0 : 0))
		fuzz_fail("consumer past producer");
	if (ret == -EINTR)
		skbd_bpf_ring__consume(area, ring - 1, prod, &cons, fuzz_on_record, &rc);
	free(area);
	return 0;
}
