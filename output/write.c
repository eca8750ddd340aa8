// SPDX-License-Identifier: GPL-2.0-only
/* The one write loop: events, --summary tables and the Prometheus file all
 * leave through it. */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <unistd.h>
#include <skbdrop/output.h>

int skbd_write_all(int fd, const void *buf, size_t len, const volatile sig_atomic_t *stop)
{
	return skbd_write_some(fd, buf, len, stop, NULL);
}

int skbd_write_some(int fd, const void *buf, size_t len, const volatile sig_atomic_t *stop, size_t *written)
{
	const char *p = buf;

	if (written)
		*written = 0;
	while (len) {
		size_t chunk = len;
		ssize_t n;

		/* stopped: the signal that said so may have come before this
		 * write, so it would not end a blocking one. Wait for room (a
		 * quarter second at most: SIGINT ends a run within a second, however
		 * many flushes follow) and write no more than poll promises */
		if (stop && *stop) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };
			int r;

			/* (a signal during poll is not the reader's answer: ask again) */
			while ((r = poll(&pfd, 1, 250)) < 0 && errno == EINTR)
				;
			if (r <= 0 || !(pfd.revents & (POLLOUT | POLLERR | POLLHUP)))
				return -EINTR;
			if (chunk > PIPE_BUF)
				chunk = PIPE_BUF;
		}
		n = write(fd, p, chunk);

		if (n < 0) {
			if (errno == EINTR && !(stop && *stop))
				continue;
			return -errno;
		}
		if (n == 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
		if (written)
			*written += (size_t)n;
		/* (a write cut short by the stop signal goes on through the poll
		 * above: a reader that reads gets the rest, one that does not
		 * ends it within a second) */
	}
	return 0;
}
