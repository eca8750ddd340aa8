// SPDX-License-Identifier: GPL-2.0-only
/* E2E socket owner: holds a socket under a chosen comm until its stdin
 * closes, so tests can check that drops name it as their socket's owner.
 * Usage: sockhold COMM udp ADDR PORT        bind with SO_RCVBUF 1, never read;
 *                                          at stdin EOF: "drained N" (datagrams queued)
 *        sockhold COMM tcp ADDR PORT BACKLOG listen, never accept
 *        sockhold COMM connect ADDR PORT N  N non-blocking connects at once, held open,
 *                                          their final ACKs delayed (TCP_DEFER_ACCEPT)
 * SOCKHOLD_DELAY_MS in the environment delays the socket; SOCKHOLD_NO_DRAIN
 * leaves a udp socket's queue unread at the end (the close frees it).
 * Prints "PID INODE" (the socket's inode as /proc/PID/fd shows it; 0 for
 * connect) on stdout when ready. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int addr_of(const char *addr, long port, struct sockaddr_storage *ss, socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		((struct sockaddr_in *)ss)->sin_family = AF_INET;
		((struct sockaddr_in *)ss)->sin_port = htons((unsigned short)port);
		*sl = sizeof(struct sockaddr_in);
		return AF_INET;
	}
	if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		((struct sockaddr_in6 *)ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)ss)->sin6_port = htons((unsigned short)port);
		*sl = sizeof(struct sockaddr_in6);
		return AF_INET6;
	}
	fprintf(stderr, "sockhold: bad address %s\n", addr);
	exit(2);
}

static void wait_eof(void)
{
	char buf[64];

	while (read(STDIN_FILENO, buf, sizeof(buf)) > 0)
		;
}

static unsigned long inode_of(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? 0 : (unsigned long)st.st_ino;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int fam, fd, one = 1;

	if (argc < 5) {
		fprintf(stderr, "usage: sockhold COMM udp|tcp|connect ADDR PORT [BACKLOG|N]\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	if (getenv("SOCKHOLD_DELAY_MS")) /* the socket comes later than the process (--owner tests) */
		usleep((useconds_t)atoi(getenv("SOCKHOLD_DELAY_MS")) * 1000);
	fam = addr_of(argv[3], strtol(argv[4], NULL, 10), &ss, &sl);
	if (!strcmp(argv[2], "udp")) {
		long drained = 0;
		char b[2048];

		fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&ss, sl)) {
			perror("sockhold: udp");
			return 1;
		}
		printf("%d %lu\n", getpid(), inode_of(fd));
		fflush(stdout);
		wait_eof();
		if (getenv("SOCKHOLD_NO_DRAIN")) /* leave the queue for the close to free */
			return 0;
		while (recv(fd, b, sizeof(b), MSG_DONTWAIT) >= 0)
			drained++;
		printf("drained %ld\n", drained);
		return 0;
	}
	if (!strcmp(argv[2], "tcp") && argc == 6) {
		fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    bind(fd, (struct sockaddr *)&ss, sl) || listen(fd, atoi(argv[5]))) {
			perror("sockhold: tcp");
			return 1;
		}
		printf("%d %lu\n", getpid(), inode_of(fd));
		fflush(stdout);
		wait_eof();
		return 0;
	}
	if (!strcmp(argv[2], "connect") && argc == 6) {
		long n = strtol(argv[5], NULL, 10);

		for (long i = 0; i < n; i++) {
			fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				perror("sockhold: socket");
				return 1;
			}
			/* a client with TCP_DEFER_ACCEPT delays the handshake's final ACK (the
			 * delayed-ACK timer): every SYN is in before the first ACK, so a
			 * listener's accept queue fills between them */
			if (!getenv("SOCKHOLD_NO_DEFER") &&
			    setsockopt(fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &one, sizeof(one))) {
				perror("sockhold: TCP_DEFER_ACCEPT");
				return 1;
			}
			if (connect(fd, (struct sockaddr *)&ss, sl) && errno != EINPROGRESS) {
				perror("sockhold: connect");
				return 1;
			}
		}
		printf("%d 0\n", getpid());
		fflush(stdout);
		wait_eof();
		return 0;
	}
	fprintf(stderr, "sockhold: unknown mode %s\n", argv[2]);
	return 2;
}
