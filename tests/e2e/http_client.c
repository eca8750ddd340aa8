// SPDX-License-Identifier: GPL-2.0-only
/* E2E HTTP client for the --metrics server's robustness tests. Every mode
 * prints one line and exits 0 when it could run (what the server answered
 * is for the test to judge), 1 when it could not.
 *   http_client get HOST PORT PATH         the status code, then the body on the following lines
 *   http_client raw HOST PORT TEXT         sends TEXT ("\r\n" escapes allowed), prints the status code
 *   http_client bytewise HOST PORT MS      GET /metrics one byte every MS ms: status and body length
 *   http_client bigline HOST PORT BYTES    a request line of BYTES bytes: the status code
 *   http_client idle HOST PORT SEC         connect, send nothing: "closed after S s" or "open after SEC s"
 *   http_client flood HOST PORT N          N connections at once (then each sends GET): "N connected, A answered 200"
 * Bounded: every wait ends within 15 s. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static int dial(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(port)) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	if (fd < 0 || inet_pton(AF_INET, host, &a.sin_addr) != 1 || connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Read the whole answer (until the server closes, 15 s at most) into a
 * malloc'd buffer. */
static char *read_all(int fd, size_t *len)
{
	size_t cap = 65536, n = 0;
	char *buf = malloc(cap + 1);
	double end = now() + 15;

	while (buf && now() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (poll(&p, 1, 1000) <= 0)
			continue;
		if (n == cap) {
			char *nb = realloc(buf, 2 * cap + 1);

			if (!nb)
				break;
			buf = nb;
			cap *= 2;
		}
		r = read(fd, buf + n, cap - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (buf)
		buf[n] = '\0';
	*len = n;
	return buf;
}

static int status_of(const char *resp)
{
	int st = 0;

	return sscanf(resp, "HTTP/1.%*d %d", &st) == 1 ? st : 0;
}

static const char *body_of(const char *resp)
{
	const char *b = strstr(resp, "\r\n\r\n");

	return b ? b + 4 : "";
}

static void unescape(char *s)
{
	char *w = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] == 'r') {
			*w++ = '\r';
			s++;
		} else if (s[0] == '\\' && s[1] == 'n') {
			*w++ = '\n';
			s++;
		} else {
			*w++ = *s;
		}
	}
	*w = '\0';
}

static void send_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);

		if (w <= 0)
			return; /* the server closed early: the answer tells */
		p += w;
		n -= (size_t)w;
	}
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	size_t len;
	char *resp;
	int fd;

	if (argc < 5) {
		fprintf(stderr, "usage: http_client get|raw|bytewise|bigline|idle|flood HOST PORT ARG\n");
		return 1;
	}
	if (!strcmp(mode, "flood")) {
		long n = atol(argv[4]), connected = 0, answered = 0;
		struct rlimit rl;
		int *fds = calloc((size_t)n, sizeof(int));

		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		for (long i = 0; fds && i < n; i++) {
			fds[i] = dial(argv[2], argv[3]);
			connected += fds[i] >= 0;
		}
		for (long i = 0; fds && i < n; i++)
			if (fds[i] >= 0)
				send_all(fds[i], "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", 34);
		for (long i = 0; fds && i < n; i++) {
			if (fds[i] < 0)
				continue;
			/* a connection closed to make room answers nothing: fine */
			resp = read_all(fds[i], &len);
			answered += resp && status_of(resp) == 200;
			free(resp);
			close(fds[i]);
		}
		printf("%ld connected, %ld answered 200\n", connected, answered);
		free(fds);
		return 0;
	}
	fd = dial(argv[2], argv[3]);
	if (fd < 0) {
		printf("connect failed: %s\n", strerror(errno));
		return 1;
	}
	if (!strcmp(mode, "idle")) {
		double t0 = now(), limit = atof(argv[4]);
		struct pollfd p = { .fd = fd, .events = POLLIN };

		while (now() - t0 < limit) {
			char b[256];

			if (poll(&p, 1, 100) > 0 && read(fd, b, sizeof(b)) <= 0) {
				printf("closed after %.0f s\n", now() - t0);
				return 0;
			}
		}
		printf("open after %.0f s\n", limit);
		return 0;
	}
	if (!strcmp(mode, "get")) {
		char req[512];

		snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", argv[4], argv[2]);
		send_all(fd, req, strlen(req));
	} else if (!strcmp(mode, "raw")) {
		unescape(argv[4]);
		send_all(fd, argv[4], strlen(argv[4]));
	} else if (!strcmp(mode, "bytewise")) {
		const char *req = "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: bytewise\r\n\r\n";
		struct timespec ts = { 0, atol(argv[4]) * 1000000L };

		for (const char *p = req; *p; p++) {
			send_all(fd, p, 1);
			nanosleep(&ts, NULL);
		}
	} else if (!strcmp(mode, "bigline")) {
		size_t n = (size_t)atol(argv[4]);
		char *line = malloc(n + 32);

		if (!line)
			return 1;
		memcpy(line, "GET /", 5);
		memset(line + 5, 'a', n);
		memcpy(line + 5 + n, " HTTP/1.1\r\n\r\n", 13);
		send_all(fd, line, n + 18);
		free(line);
	} else {
		fprintf(stderr, "http_client: unknown mode %s\n", mode);
		return 1;
	}
	resp = read_all(fd, &len);
	if (!resp)
		return 1;
	if (!strcmp(mode, "bytewise"))
		printf("%d %zu\n", status_of(resp), strlen(body_of(resp)));
	else if (!strcmp(mode, "get"))
		printf("%d\n%s", status_of(resp), body_of(resp));
	else
		printf("%d\n", status_of(resp));
	free(resp);
	close(fd);
	return 0;
}
