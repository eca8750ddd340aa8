// SPDX-License-Identifier: GPL-2.0-only
/* Drop generator: sends exactly COUNT UDP datagrams to ADDR:PORT as fast as
 * sendmmsg allows (batches of 256), stopping early after MAX_SEC seconds.
 * Run it where the datagrams are dropped (closed port, nft drop rule).
 * Usage: dropgen COUNT ADDR PORT [MAX_SEC]   prints "sent N in S s (R/s)" */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#define BATCH 256

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char payload[16] = "skbdrop-bench";
	long long count, sent = 0;
	double max_sec = 30, t0, t;
	int fd;

	if (argc < 4 || argc > 5) {
		fprintf(stderr, "usage: dropgen COUNT ADDR PORT [MAX_SEC]\n");
		return 2;
	}
	count = atoll(argv[1]);
	sin.sin_port = htons((unsigned short)atoi(argv[3]));
	if (count <= 0 || inet_pton(AF_INET, argv[2], &sin.sin_addr) != 1) {
		fprintf(stderr, "dropgen: bad COUNT or ADDR\n");
		return 2;
	}
	if (argc == 5)
		max_sec = atof(argv[4]);
	prctl(PR_SET_NAME, "dropgen", 0, 0, 0);
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("dropgen: socket");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ payload, sizeof(payload) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	t = t0;
	while (sent < count && t - t0 < max_sec) {
		int n = (int)(count - sent < BATCH ? count - sent : BATCH);
		int r = sendmmsg(fd, msgs, (unsigned int)n, 0);

		if (r < 0) {
			if (errno == EPERM || errno == ECONNREFUSED || errno == ENOBUFS || errno == EAGAIN)
				continue; /* nft drop on output reports EPERM; the datagram still counts below? no */
			perror("dropgen: sendmmsg");
			return 1;
		}
		sent += r;
		if ((sent & 0xffff) < BATCH)
			t = now();
	}
	t = now();
	printf("sent %lld in %.3f s (%.0f/s)\n", sent, t - t0, sent / (t - t0));
	return 0;
}
