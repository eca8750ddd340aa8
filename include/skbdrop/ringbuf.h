/* SPDX-License-Identifier: GPL-2.0-only */
/* BPF ring buffer (BPF_MAP_TYPE_RINGBUF, 5.8+) reader: the alternative to the
 * per-CPU perf rings, one ring shared by all CPUs, behind the same epoll use. */
#ifndef SKBDROP_RINGBUF_H
#define SKBDROP_RINGBUF_H

#include <stddef.h>
#include <linux/types.h>
#include <skbdrop/perfbuf.h> /* skbd_perfbuf_sample_fn, skbd_perfbuf_stats */

/* Consume committed records of a ring data area (mask = size - 1; the area
 * is mapped twice in a row, so a record never wraps in memory). Stops at a
 * record the kernel is still writing (BUSY). Discarded records are skipped.
 * sample_fn gets cpu -1. Returns records delivered, -EINTR / -ECANCELED if
 * sample_fn returned SKBD_CB_STOP / SKBD_CB_ERROR (*cons past that record), -EBADMSG for a record that is longer than
 * the ring or runs past prod (*cons left at it). */
int skbd_bpf_ring__consume(const void *data, __u64 mask, __u64 prod, __u64 *cons,
		       skbd_perfbuf_sample_fn sample_fn, void *ctx);

struct skbd_ringbuf;

/* Map the ring of map_fd (size bytes, the map's max_entries) and its epoll.
 * Returns 0 and *out, or -errno. */
int skbd_ringbuf__open(int map_fd, size_t size, skbd_perfbuf_sample_fn sample_fn, void *ctx,
		      struct skbd_ringbuf **out);
void skbd_ringbuf__close(struct skbd_ringbuf *rb);
/* Wait up to timeout_ms for a kernel wakeup, then consume everything
 * committed. Returns records delivered, -EINTR, or -errno. */
int skbd_ringbuf__poll(struct skbd_ringbuf *rb, int timeout_ms);
int skbd_ringbuf__consume(struct skbd_ringbuf *rb);
/* The epoll fd the ring is watched by (readable when woken), for a
 * caller polling it with other fds. */
int skbd_ringbuf__epoll_fd(const struct skbd_ringbuf *rb);
/* wakeups, polls, samples; lost is always 0 here (the BPF side counts
 * failed reservations). */
void skbd_ringbuf__stats(const struct skbd_ringbuf *rb, struct skbd_perfbuf_stats *st);

#endif
