// SPDX-License-Identifier: GPL-2.0-only
/* E2E drop generator: sends exactly N UDP datagrams to ADDR:PORT under a
 * chosen comm, so tests can find their own drops among the host's. With
 * ADDR written tcp:ADDR it makes N TCP connects instead (to a closed port:
 * each SYN is dropped, NO_SOCKET); icmp:ADDR sends N ICMP/ICMPv6 echo
 * requests (raw socket: root) with PORT as the echo id. PORT may be
 * SPORT:DPORT to send UDP from a fixed source port.
 * Usage: udp_sender COMM [tcp:|icmp:]ADDR [SPORT:]PORT N [FIFO]
 * With FIFO, it waits for a byte on FIFO before sending (lets a test learn
 * the pid first and start the tracer with -p). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <netinet/ip_icmp.h>
#include <netinet/icmp6.h>

int main(int argc, char **argv)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	long n, port, sport = 0, retries = 0;
	int fd, fam, tcp = 0, icmp = 0;
	char *colon;
	const char *addr;
	/* 16 bytes, none 0: a record's last bytes are checked (tests/e2e/pcapng.sh) */
	const char payload[16] = { 's', 'k', 'b', 'd', 'r', 'o', 'p', '-', 'e', '2', 'e', '-', 't', 'a', 'i', 'l' };

	if (argc < 5 || argc > 6) {
		fprintf(stderr, "usage: udp_sender COMM [tcp:|icmp:]ADDR [SPORT:]PORT N [FIFO]\n");
		return 2;
	}
	prctl(PR_SET_NAME, argv[1], 0, 0, 0);
	port = strtol(argv[3], &colon, 10);
	if (*colon == ':') {
		sport = port;
		port = strtol(colon + 1, NULL, 10);
	}
	n = strtol(argv[4], NULL, 10);
	addr = argv[2];
	if (!strncmp(addr, "tcp:", 4)) {
		tcp = 1;
		addr += 4;
	} else if (!strncmp(addr, "icmp:", 5)) {
		icmp = 1;
		addr += 5;
	}
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &((struct sockaddr_in *)&ss)->sin_addr) == 1) {
		fam = AF_INET;
		((struct sockaddr_in *)&ss)->sin_family = AF_INET;
		((struct sockaddr_in *)&ss)->sin_port = htons((unsigned short)port);
		sl = sizeof(struct sockaddr_in);
	} else if (inet_pton(AF_INET6, addr, &((struct sockaddr_in6 *)&ss)->sin6_addr) == 1) {
		fam = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_family = AF_INET6;
		((struct sockaddr_in6 *)&ss)->sin6_port = htons((unsigned short)port);
		sl = sizeof(struct sockaddr_in6);
	} else {
		fprintf(stderr, "udp_sender: bad address %s\n", argv[2]);
		return 2;
	}
	if (argc == 6) {
		char b;
		int ff = open(argv[5], O_RDONLY | O_CLOEXEC);

		if (ff < 0 || read(ff, &b, 1) != 1) {
			fprintf(stderr, "udp_sender: fifo %s: %s\n", argv[5], strerror(errno));
			return 1;
		}
		close(ff);
	}
	if (tcp) {
		for (long i = 0; i < n; i++) {
			fd = socket(fam, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (fd < 0) {
				perror("udp_sender: socket");
				return 1;
			}
			if (connect(fd, (struct sockaddr *)&ss, sl) == 0 || errno != ECONNREFUSED) {
				fprintf(stderr, "udp_sender: connect #%ld: expected ECONNREFUSED, got %s\n", i,
					strerror(errno));
				return 1;
			}
			close(fd);
		}
		return 0;
	}
	if (icmp) {
		struct icmphdr h4;
		struct icmp6_hdr h6;

		fd = socket(fam, SOCK_RAW | SOCK_CLOEXEC, fam == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6);
		if (fd < 0) {
			perror("udp_sender: raw socket");
			return 1;
		}
		((struct sockaddr_in *)&ss)->sin_port = 0; /* raw: the port field must be 0 (v4) */
		if (fam == AF_INET6)
			((struct sockaddr_in6 *)&ss)->sin6_port = 0;
		for (long i = 0; i < n; i++) {
			const void *msg;
			size_t len;

			memset(&h4, 0, sizeof(h4));
			memset(&h6, 0, sizeof(h6));
			if (fam == AF_INET) {
				unsigned int sum = 0;

				h4.type = ICMP_ECHO;
				h4.un.echo.id = htons((unsigned short)port);
				h4.un.echo.sequence = htons((unsigned short)i);
				for (size_t k = 0; k < sizeof(h4) / 2; k++)
					sum += ((unsigned short *)&h4)[k];
				sum = (sum & 0xffff) + (sum >> 16);
				sum += sum >> 16;
				h4.checksum = (unsigned short)~sum;
				msg = &h4;
				len = sizeof(h4);
			} else { /* the kernel fills in the ICMPv6 checksum */
				h6.icmp6_type = ICMP6_ECHO_REQUEST;
				h6.icmp6_id = htons((unsigned short)port);
				h6.icmp6_seq = htons((unsigned short)i);
				msg = &h6;
				len = sizeof(h6);
			}
			if (sendto(fd, msg, len, 0, (struct sockaddr *)&ss, sl) != (ssize_t)len) {
				fprintf(stderr, "udp_sender: icmp sendto #%ld: %s\n", i, strerror(errno));
				return 1;
			}
		}
		close(fd);
		return 0;
	}
	fd = socket(fam, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror("udp_sender: socket");
		return 1;
	}
	if (sport) {
		struct sockaddr_storage src;

		memset(&src, 0, sizeof(src));
		src.ss_family = (sa_family_t)fam;
		if (fam == AF_INET)
			((struct sockaddr_in *)&src)->sin_port = htons((unsigned short)sport);
		else
			((struct sockaddr_in6 *)&src)->sin6_port = htons((unsigned short)sport);
		if (bind(fd, (struct sockaddr *)&src, sl) < 0) {
			perror("udp_sender: bind");
			return 1;
		}
	}
	for (long i = 0; i < n; i++) {
		/* unconnected: ICMP port-unreachable never fails a later send */
		if (sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&ss, sl) != sizeof(payload)) {
			if (errno == EPERM) /* a netfilter drop on the way out: sent, and dropped */
				continue;
			if ((errno == EAGAIN || errno == ENOBUFS || errno == EINTR) && retries++ < 100000) {
				i--;
				continue;
			}
			fprintf(stderr, "udp_sender: sendto #%ld: %s\n", i, strerror(errno));
			return 1;
		}
		if (i % 64 == 63) { /* a moderate pace: the test checks attribution, not speed */
			struct timespec ts = { 0, 200000 };

			nanosleep(&ts, NULL);
		}
	}
	close(fd);
	return 0;
}
