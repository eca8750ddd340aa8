// SPDX-License-Identifier: GPL-2.0-only
/* Drop generator for the bench: makes an exact number of kernel drops with a known reason at full
 * speed, from one pinned CPU, bounded in time. Run it inside a network namespace the harness made.
 * Usage: dropgen [-C CPU] [-t MAX_SEC] [-k KIND] COUNT ADDR PORT     (see usage() for KIND) */
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#define BATCH 256
/* re-read the clock every this many batches: cheap, and bounds a slow run to MAX_SEC + a few ms */
#define CLOCK_EVERY 16

enum bench_kind { KIND_SEND, KIND_NOPORT, KIND_RCVBUF };

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: dropgen [-C CPU] [-t MAX_SEC] [-k KIND] COUNT ADDR PORT\n"
		"  KIND send    connected UDP to ADDR:PORT; the harness drops it (nft: NETFILTER_DROP)\n"
		"       noport  unconnected UDP to a closed port (NO_SOCKET; ICMP errors ignored)\n"
		"       rcvbuf  binds ADDR:PORT with the smallest SO_RCVBUF and never reads it\n"
		"               (SOCKET_RCVBUFF; the few datagrams that fit are not counted as drops)\n"
		"  prints: dropgen: kind K cpu C sent N drops D in S s (R drops/s)\n");
}

/* Bind the never-read receiver for KIND_RCVBUF. Returns the fd or a negative errno. */
static int open_sink(const struct sockaddr_in *sin)
{
	int one = 1, fd, err;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* the kernel raises this to its minimum (SOCK_MIN_RCVBUF): a couple of datagrams fit */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) < 0 ||
	    bind(fd, (const struct sockaddr *)sin, sizeof(*sin)) < 0) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

/* Datagrams still queued on the sink: they were delivered, not dropped. */
static long long drain_sink(int fd)
{
	char buf[64];
	long long n = 0;

	/* bounded: the queue holds at most a few datagrams */
	for (int i = 0; i < 1000000; i++) {
		if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) < 0)
			break;
		n++;
	}
	return n;
}

int main(int argc, char **argv)
{
	static struct mmsghdr msgs[BATCH];
	static struct iovec iov[BATCH];
	static const char *kind_names[] = { "send", "noport", "rcvbuf" };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	char payload[16] = "skbdrop-bench";
	enum bench_kind kind = KIND_SEND;
	long long count, sent = 0, queued = 0;
	double max_sec = 30, t0, t;
	int cpu = -1, fd, sink = -1, opt, batches = 0;

	while ((opt = getopt(argc, argv, "C:t:k:h")) != -1) {
		switch (opt) {
		case 'C':
			cpu = atoi(optarg);
			break;
		case 't':
			max_sec = atof(optarg);
			break;
		case 'k':
			if (!strcmp(optarg, "send"))
				kind = KIND_SEND;
			else if (!strcmp(optarg, "noport"))
				kind = KIND_NOPORT;
			else if (!strcmp(optarg, "rcvbuf"))
				kind = KIND_RCVBUF;
			else {
				usage();
				return 2;
			}
			break;
		default:
			usage();
			return 2;
		}
	}
	if (argc - optind != 3) {
		usage();
		return 2;
	}
	count = atoll(argv[optind]);
	sin.sin_port = htons((unsigned short)atoi(argv[optind + 2]));
	if (count <= 0 || max_sec <= 0 || inet_pton(AF_INET, argv[optind + 1], &sin.sin_addr) != 1) {
		fprintf(stderr, "dropgen: bad COUNT, MAX_SEC or ADDR\n");
		return 2;
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set) < 0) {
			perror("dropgen: sched_setaffinity");
			return 1;
		}
	}
	prctl(PR_SET_NAME, "dropgen", 0, 0, 0);
	if (kind == KIND_RCVBUF) {
		sink = open_sink(&sin);
		if (sink < 0) {
			fprintf(stderr, "dropgen: sink %s:%d: %s\n", argv[optind + 1],
				ntohs(sin.sin_port), strerror(-sink));
			return 1;
		}
	}
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("dropgen: socket");
		return 1;
	}
	/* A connected socket skips the route lookup per datagram. For a closed port it would also
	 * collect the ICMP errors (ECONNREFUSED on the next send), so noport stays unconnected. */
	if (kind != KIND_NOPORT && connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
		perror("dropgen: connect");
		return 1;
	}
	for (int i = 0; i < BATCH; i++) {
		iov[i] = (struct iovec){ payload, sizeof(payload) };
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		if (kind == KIND_NOPORT) {
			msgs[i].msg_hdr.msg_name = &sin;
			msgs[i].msg_hdr.msg_namelen = sizeof(sin);
		}
	}
	t0 = now();
	t = t0;
	while (sent < count && t - t0 < max_sec) {
		int n = (int)(count - sent < BATCH ? count - sent : BATCH);
		/* every datagram sendmmsg reports as sent reaches the drop point; one it fails on was
		 * never built, so counting the return value is exact */
		int r = sendmmsg(fd, msgs, (unsigned int)n, 0);

		if (r < 0) {
			if (errno != EINTR && errno != ENOBUFS && errno != EAGAIN &&
			    errno != ECONNREFUSED) {
				perror("dropgen: sendmmsg");
				return 1;
			}
		} else {
			sent += r;
		}
		if (++batches % CLOCK_EVERY == 0)
			t = now();
	}
	t = now();
	if (sink >= 0) {
		queued = drain_sink(sink);
		close(sink);
	}
	close(fd);
	printf("dropgen: kind %s cpu %d sent %lld drops %lld in %.3f s (%.0f drops/s)\n",
	       kind_names[kind], sched_getcpu(), sent, sent - queued, t - t0,
	       (double)(sent - queued) / (t - t0));
	return sent < count ? 3 : 0;
}
