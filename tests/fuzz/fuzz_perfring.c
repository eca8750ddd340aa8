// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a perf ring's data area and its head/tail counters, read
 * as the per-CPU reader does; each sample becomes a drop (the monitor's
 * conversion) formatted as the CLI streams it, text and JSON. Input: see
 * fuzz_ring_input (the position is the tail, the lead what head adds). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/perfbuf.h>
#include "fuzz_util.h"
#include "skbdrop_abi.h"

static int on_lost(void *ctx, int cpu, __u64 lost)
{
	return SKBD_CB_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fuzz_in in = { data, size };
	struct fuzz_rec_ctx rc = { 0 };
	__u64 tail, lead, ring = fuzz_ring_input(&in, &rc, &tail, &lead), head = tail + lead, t0;
	void *area, *scratch;
	size_t scratch_size;
	int ret;

	/* the area the kernel maps, exactly: a read past it is a finding */
	area = calloc(1, ring);
	/* as perfbuf.c sizes it; one knob makes it smaller than a record */
	scratch_size = (rc.knobs & 0x8000) ? 64 : ring < 65536 ? ring : 65536;
	/* batches: a slot of the header and a snap length of 0..248 bytes (8-aligned), or none */
	rc.stride = (rc.knobs & (1u << 27)) ? SKBD_EVENT_HDR + ((rc.knobs >> 28) & 0xf) * 16 : 0;
	scratch = malloc(scratch_size);
	if (!area || !scratch)
		abort();
	memcpy(area, in.p, in.n < ring ? in.n : ring);
	t0 = tail;
	ret = skbd_perf_ring__consume(area, ring, head, &tail, scratch, scratch_size, 3, fuzz_on_record, on_lost,
				      &rc);
	if (ret >= 0 && tail != head)
		fuzz_fail("consumed all, tail not at head");
	if (tail - t0 > head - t0)
		fuzz_fail("tail past head");
	/* the per-CPU reader's next round starts where this one stopped */
	if (ret == -EINTR)
		skbd_perf_ring__consume(area, ring, head, &tail, scratch, scratch_size, 3, fuzz_on_record, on_lost,
					&rc);
	free(scratch);
	free(area);
	return 0;
}
