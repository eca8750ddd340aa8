// SPDX-License-Identifier: GPL-2.0-only
/* BPF ring buffer reader: consumer page mapped read-write, producer page and
 * the data area (mapped twice by the kernel) read-only, one epoll fd. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <linux/bpf.h>
#include <skbdrop/log.h>
#include <skbdrop/ringbuf.h>

#ifndef BPF_RINGBUF_BUSY_BIT
#define BPF_RINGBUF_BUSY_BIT (1U << 31)
#define BPF_RINGBUF_DISCARD_BIT (1U << 30)
#define BPF_RINGBUF_HDR_SZ 8
#endif

struct skbd_ringbuf {
	int map_fd; /* borrowed */
	int epoll_fd;
	void *consumer; /* one page: consumer_pos at offset 0 */
	void *producer; /* one page (producer_pos) + 2 * size of data */
	size_t page_size;
	size_t size;
	skbd_perfbuf_sample_fn sample_fn;
	void *ctx;
	struct skbd_perfbuf_stats stats;
};

/* Count around the user's callback so stats hold even when it stops. */
static int count_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	struct skbd_ringbuf *rb = ctx;

	rb->stats.samples++;
	return rb->sample_fn ? rb->sample_fn(rb->ctx, cpu, data, size) : 0;
}

int skbd_bpf_ring__consume(const void *data, __u64 mask, __u64 prod, __u64 *cons,
		       skbd_perfbuf_sample_fn sample_fn, void *ctx)
{
	const __u8 *base = data;
	int n = 0;

	/* the kernel never gets more than a ring ahead of us: a producer position
	 * that is, is no position to read up to (it would be ~2^37 empty records) */
	if (prod > *cons && prod - *cons > mask + 1)
		return -EBADMSG;
	while (*cons < prod) {
		const __u32 *hdr = (const void *)(base + (*cons & mask));
		__u32 len = __atomic_load_n(hdr, __ATOMIC_ACQUIRE);
		__u64 total;

		if (len & BPF_RINGBUF_BUSY_BIT)
			break; /* reserved, not yet committed */
		total = ((__u64)(len & ~BPF_RINGBUF_DISCARD_BIT) + BPF_RINGBUF_HDR_SZ + 7) & ~7ULL;
		if (total > mask + 1 || total > prod - *cons)
			return -EBADMSG;
		if (!(len & BPF_RINGBUF_DISCARD_BIT)) {
			n++;
			int ret = sample_fn ? sample_fn(ctx, -1, hdr + 2, len) : SKBD_CB_OK;

			if (ret != SKBD_CB_OK) {
				*cons += total;
				return ret < 0 ? -ECANCELED : -EINTR;
			}
		}
		*cons += total;
	}
	return n;
}

int skbd_ringbuf__open(int map_fd, size_t size, skbd_perfbuf_sample_fn sample_fn, void *ctx,
		      struct skbd_ringbuf **out)
{
	/* edge-triggered: a ring buffer fd is readable whenever data is pending,
	 * so level-triggered epoll would never sleep under load; we want the
	 * kernel's wakeups (the policy) and the timed drain, nothing else */
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET };
	struct skbd_ringbuf *rb;
	long page = sysconf(_SC_PAGESIZE);
	int err;

	if (page <= 0 || !size || (size & (size - 1)) || size % (size_t)page)
		return -EINVAL;
	rb = calloc(1, sizeof(*rb));
	if (!rb)
		return -ENOMEM;
	rb->map_fd = map_fd;
	rb->epoll_fd = -1;
	rb->consumer = MAP_FAILED;
	rb->producer = MAP_FAILED;
	rb->page_size = (size_t)page;
	rb->size = size;
	rb->sample_fn = sample_fn;
	rb->ctx = ctx;
	rb->consumer = mmap(NULL, rb->page_size, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);
	if (rb->consumer == MAP_FAILED) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "ringbuf: mmap consumer page: %s", strerror(-err));
		goto err_free;
	}
	rb->producer = mmap(NULL, rb->page_size + 2 * size, PROT_READ, MAP_SHARED, map_fd, (off_t)rb->page_size);
	if (rb->producer == MAP_FAILED) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "ringbuf: mmap data (%zu bytes): %s", size, strerror(-err));
		goto err_free;
	}
	rb->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	if (rb->epoll_fd < 0 || epoll_ctl(rb->epoll_fd, EPOLL_CTL_ADD, map_fd, &ev) < 0) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "ringbuf: epoll: %s", strerror(-err));
		goto err_free;
	}
	*out = rb;
	return 0;

err_free:
	skbd_ringbuf__close(rb);
	return err;
}

void skbd_ringbuf__close(struct skbd_ringbuf *rb)
{
	if (!rb)
		return;
	if (rb->epoll_fd >= 0)
		close(rb->epoll_fd);
	if (rb->producer != MAP_FAILED)
		munmap(rb->producer, rb->page_size + 2 * rb->size);
	if (rb->consumer != MAP_FAILED)
		munmap(rb->consumer, rb->page_size);
	free(rb);
}

int skbd_ringbuf__consume(struct skbd_ringbuf *rb)
{
	__u64 *cons_pos = rb->consumer;
	const __u64 *prod_pos = rb->producer;
	__u64 cons = __atomic_load_n(cons_pos, __ATOMIC_RELAXED);
	__u64 prod = __atomic_load_n(prod_pos, __ATOMIC_ACQUIRE);
	int n = skbd_bpf_ring__consume((const __u8 *)rb->producer + rb->page_size, rb->size - 1, prod, &cons,
				   count_sample, rb);

	if (n == -EBADMSG) {
		skbd_log(SKBD_LOG_WARN, "ringbuf: malformed record at %llu, skipping to %llu",
			 (unsigned long long)cons, (unsigned long long)prod);
		cons = prod;
	}
	/* release: the kernel may reuse the space once it sees the new position */
	__atomic_store_n(cons_pos, cons, __ATOMIC_RELEASE);
	return n == -EBADMSG ? 0 : n;
}

int skbd_ringbuf__poll(struct skbd_ringbuf *rb, int timeout_ms)
{
	struct epoll_event ev;
	int r;

	rb->stats.polls++;
	r = epoll_wait(rb->epoll_fd, &ev, 1, timeout_ms);
	if (r < 0)
		return -errno;
	if (r > 0)
		rb->stats.wakeups++;
	return skbd_ringbuf__consume(rb);
}

void skbd_ringbuf__stats(const struct skbd_ringbuf *rb, struct skbd_perfbuf_stats *st)
{
	*st = rb->stats;
}

int skbd_ringbuf__epoll_fd(const struct skbd_ringbuf *rb)
{
	return rb ? rb->epoll_fd : -EINVAL;
}
