/* SPDX-License-Identifier: GPL-2.0-only */
/* What the libFuzzer targets share: a silent log hook, a reader that takes
 * knobs off the front of the input, FILE streams over bytes, and the CLI's
 * formatting of one drop (text line and NDJSON) with fixed names. */
#ifndef SKBD_FUZZ_UTIL_H
#define SKBD_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>

#include <skbdrop/drop.h>

struct skbd_tpformat;

/* The input, consumed from the front. Reads past its end give zeros. */
struct fuzz_in {
	const uint8_t *p;
	size_t n;
};

__u8 fuzz_u8(struct fuzz_in *in);
__u32 fuzz_u32(struct fuzz_in *in);
__u64 fuzz_u64(struct fuzz_in *in);

/* Every target's libFuzzer initializer is fuzz_util.c's: it silences the
 * library's warnings, which name the bad line of every malformed input (a
 * campaign would print millions). */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A read-only stream of the n bytes at p (n may be 0); abort()s when the
 * stream cannot be made, which is no finding. fclose() it. */
FILE *fuzz_stream(const void *p, size_t n);

/* Die with a message: an oracle failed (libFuzzer records the input). */
void fuzz_fail(const char *what) __attribute__((noreturn));

/* A kfree_skb format with a few reason names (parsed once; never freed). */
const struct skbd_tpformat *fuzz_reasons(void);

/* Format d as the CLI streams it: text and JSON, through a fresh cache and
 * without one, names and context options picked by knobs (and
 * mono_to_real_ns). Checks the formatters' length contract. */
void fuzz_format_drop(const struct skbd_drop *d, __u32 knobs, __s64 mono_to_real_ns);

/* A ring's sample callback (ctx: a struct fuzz_rec_ctx, zeroed per input):
 * the monitor's record conversion, then fuzz_format_drop (the first four). */
struct fuzz_rec_ctx {
	struct skbd_drop d; /* the monitor keeps one for all records: bytes past caplen stay */
	__u32 knobs;
	__s64 mono_to_real_ns;
	unsigned int samples, stop_at; /* stop_at != 0: SKBD_CB_STOP at that sample */
	__u32 stride; /* perf samples: a batch's slot size, split as the monitor does (0: one record) */
};
int fuzz_on_record(void *ctx, int cpu, const void *data, __u32 size);

/* The front of the ring targets' input: knobs (4 bytes), mono_to_real_ns
 * (8), the reader's position (8), how far the writer is ahead (4); the rest
 * is the ring's bytes. Returns the ring's size: the greatest power of two
 * the rest fills, 8 to 1 MiB. *lead is mostly what a ring can hold,
 * sometimes more (a corrupt counter). */
__u64 fuzz_ring_input(struct fuzz_in *in, struct fuzz_rec_ctx *rc, __u64 *pos, __u64 *lead);

#endif
