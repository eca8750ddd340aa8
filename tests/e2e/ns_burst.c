// SPDX-License-Identifier: GPL-2.0-only
/* E2E helper: NS new network namespaces, one after the other, each with its
 * loopback up and COUNT UDP datagrams sent in it to 127.0.0.1:PORT, where
 * nothing listens (COUNT NO_SOCKET drops per namespace). Every namespace
 * stays alive (an fd holds it) until the end, so none shares an inode with
 * another: a --summary by netns then has NS keys of COUNT drops each.
 * Prints the namespaces' inodes, one per line.
 * Usage: ns_burst NS COUNT PORT */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

static int lo_up(void)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc;

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	strcpy(ifr.ifr_name, "lo");
	rc = ioctl(fd, SIOCGIFFLAGS, &ifr);
	if (!rc) {
		ifr.ifr_flags |= IFF_UP;
		rc = ioctl(fd, SIOCSIFFLAGS, &ifr);
	}
	close(fd);
	return rc;
}

int main(int argc, char **argv)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	long ns, count, port;

	if (argc != 4 || (ns = strtol(argv[1], NULL, 10)) <= 0 || ns > 4000 ||
	    (count = strtol(argv[2], NULL, 10)) <= 0 || count > 1000 ||
	    (port = strtol(argv[3], NULL, 10)) <= 0 || port > 65535) {
		fprintf(stderr, "usage: ns_burst NS(1-4000) COUNT(1-1000) PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	for (long i = 0; i < ns; i++) {
		struct stat st;
		int hold, fd;

		if (unshare(CLONE_NEWNET) || lo_up()) {
			fprintf(stderr, "ns_burst: namespace %ld: %s\n", i, strerror(errno));
			return 1;
		}
		hold = open("/proc/self/ns/net", O_RDONLY); /* kept open: the namespace lives on */
		if (hold < 0 || fstat(hold, &st)) {
			fprintf(stderr, "ns_burst: /proc/self/ns/net: %s\n", strerror(errno));
			return 1;
		}
		fd = socket(AF_INET, SOCK_DGRAM, 0);
		if (fd < 0) {
			fprintf(stderr, "ns_burst: socket: %s\n", strerror(errno));
			return 1;
		}
		for (long k = 0; k < count; k++) {
			if (sendto(fd, "x", 1, 0, (struct sockaddr *)&sa, sizeof(sa)) != 1) {
				fprintf(stderr, "ns_burst: sendto: %s\n", strerror(errno));
				return 1;
			}
		}
		close(fd);
		printf("%lu\n", (unsigned long)st.st_ino);
	}
	return 0;
}
