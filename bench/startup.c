// SPDX-License-Identifier: GPL-2.0-only
/* Start-up time: from just before posix_spawn(3) until the 'skbdrop: tracing' line is read from the
 * tool's stderr, for one or more builds taking turns (round r runs every build once, in order), so a
 * noisy VM's slow minutes fall on all of them alike. Each run then gets SIGINT and is waited for.
 * Usage: startup [-n ROUNDS] [-p PAUSE_MS] BINARY... [-- ARGS...]   (ARGS default: -o json) */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <poll.h>
#include <sys/wait.h>

#define MAX_BUILDS 8
#define MAX_ROUNDS 1000
#define READY "skbdrop: tracing"
#define READY_TIMEOUT_MS 5000 /* a run not ready by then fails the whole measurement */

extern char **environ;

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* One run: ms until the ready line, or -1 (it exited, or said something else for READY_TIMEOUT_MS). */
static double one_run(char **argv)
{
	posix_spawn_file_actions_t fa;
	char buf[8192];
	size_t len = 0;
	double t0, ready = -1;
	int pfd[2], status, rc;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now_ms();
	rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (rc) {
		fprintf(stderr, "startup: %s: %s\n", argv[0], strerror(rc));
		close(pfd[0]);
		return -1;
	}
	for (;;) {
		struct pollfd p = { .fd = pfd[0], .events = POLLIN };
		int left = (int)(t0 + READY_TIMEOUT_MS - now_ms());
		ssize_t n;

		if (left <= 0 || poll(&p, 1, left) <= 0)
			break; /* (EINTR: no handler here, so a signal ends us anyway) */
		n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		if (strstr(buf, READY)) {
			ready = now_ms() - t0;
			break;
		}
		if (len > sizeof(buf) / 2) { /* keep the tail: the line may straddle two reads */
			memmove(buf, buf + len - 64, 64);
			len = 64;
		}
	}
	if (ready < 0)
		fprintf(stderr, "startup: %s did not get ready: %.*s\n", argv[0], (int)(len > 200 ? 200 : len), buf);
	close(pfd[0]); /* (a child still writing gets EPIPE rather than a full pipe) */
	kill(pid, SIGINT);
	for (int i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++) /* 5 s, then SIGKILL */
		usleep(10000);
	if (waitpid(pid, &status, WNOHANG) == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	return ready;
}

/* A whole number in [min, max], else -1. */
static long number(const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	return errno || end == s || *end || v < min || v > max ? -1 : v;
}

int main(int argc, char **argv)
{
	static double ms[MAX_BUILDS][MAX_ROUNDS];
	const char *builds[MAX_BUILDS];
	char *defargs[] = { "-o", "json", NULL }, **args = defargs, *run[64];
	long rounds = 31, pause_ms = 150;
	int nb = 0, nargs = 2, opt;

	/* "+": stop at the first binary, so that "-- ARGS" stays after it */
	while ((opt = getopt(argc, argv, "+n:p:")) != -1) {
		if (opt == 'n')
			rounds = number(optarg, 1, MAX_ROUNDS);
		else if (opt == 'p')
			pause_ms = number(optarg, 0, 60000);
		else
			return 2;
	}
	for (; optind < argc && strcmp(argv[optind], "--"); optind++) {
		if (nb == MAX_BUILDS) {
			fprintf(stderr, "startup: at most %d binaries\n", MAX_BUILDS);
			return 2;
		}
		builds[nb++] = argv[optind];
	}
	if (optind < argc) { /* "--" ARGS */
		args = argv + optind + 1;
		nargs = argc - optind - 1;
	}
	if (!nb || rounds < 1 || pause_ms < 0 || nargs > 60) {
		fprintf(stderr, "usage: startup [-n ROUNDS (1-%d)] [-p PAUSE_MS (0-60000)] BINARY... [-- ARGS...]\n",
			MAX_ROUNDS);
		return 2;
	}
	for (long r = 0; r < rounds; r++) {
		for (int b = 0; b < nb; b++) {
			run[0] = (char *)builds[b];
			memcpy(run + 1, args, (size_t)nargs * sizeof(*run));
			run[nargs + 1] = NULL;
			ms[b][r] = one_run(run);
			if (ms[b][r] < 0)
				return 1;
			usleep((useconds_t)pause_ms * 1000);
		}
	}
	for (int b = 0; b < nb; b++) {
		const double *v = ms[b];

		qsort(ms[b], (size_t)rounds, sizeof(double), cmp_double);
		/* the median of an even count: the mean of the two middle runs */
		printf("%s: %ld runs, median %.2f ms, fastest %.2f, 90th percentile %.2f\n", builds[b], rounds,
		       rounds % 2 ? v[rounds / 2] : (v[rounds / 2 - 1] + v[rounds / 2]) / 2, v[0],
		       v[(rounds * 9) / 10 < rounds ? (rounds * 9) / 10 : rounds - 1]);
	}
	return 0;
}
