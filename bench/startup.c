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
#include <sys/wait.h>

#define MAX_BUILDS 8
#define MAX_ROUNDS 1000
#define READY "skbdrop: tracing"
#define READY_TIMEOUT_MS 5000

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

/* One run: ms until the ready line, or -1 (its stderr said something else, or it exited). */
static double one_run(char **argv)
{
	posix_spawn_file_actions_t fa;
	char buf[8192];
	size_t len = 0;
	double t0, ready = -1;
	int pfd[2], status;
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC))
		return -1;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], 2);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	t0 = now_ms();
	errno = posix_spawn(&pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	if (errno) {
		fprintf(stderr, "startup: %s: %s\n", argv[0], strerror(errno));
		close(pfd[0]);
		return -1;
	}
	alarm(READY_TIMEOUT_MS / 1000); /* a tool that never gets ready: read() ends with EINTR */
	for (;;) {
		ssize_t n = read(pfd[0], buf + len, sizeof(buf) - 1 - len);

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
	alarm(0);
	if (ready < 0 && len)
		fprintf(stderr, "startup: %s did not get ready: %.*s\n", argv[0], (int)(len > 200 ? 200 : len), buf);
	kill(pid, SIGINT);
	waitpid(pid, &status, 0);
	close(pfd[0]);
	return ready;
}

static void on_alarm(int sig)
{
	(void)sig;
}

int main(int argc, char **argv)
{
	static double ms[MAX_BUILDS][MAX_ROUNDS];
	const char *builds[MAX_BUILDS];
	char *defargs[] = { "-o", "json", NULL }, **args = defargs, *run[64];
	int rounds = 31, pause_ms = 150, nb = 0, nargs = 2, opt;
	struct sigaction sa = { .sa_handler = on_alarm };

	while ((opt = getopt(argc, argv, "n:p:")) != -1) {
		if (opt == 'n')
			rounds = atoi(optarg);
		else if (opt == 'p')
			pause_ms = atoi(optarg);
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
	if (!nb || rounds < 1 || rounds > MAX_ROUNDS || pause_ms < 0 || nargs > 60) {
		fprintf(stderr, "usage: startup [-n ROUNDS (1-%d)] [-p PAUSE_MS] BINARY... [-- ARGS...]\n", MAX_ROUNDS);
		return 2;
	}
	sigaction(SIGALRM, &sa, NULL); /* no SA_RESTART: the read returns */
	for (int r = 0; r < rounds; r++) {
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
		qsort(ms[b], (size_t)rounds, sizeof(double), cmp_double);
		printf("%s: %d runs, median %.2f ms, fastest %.2f, 90th percentile %.2f\n", builds[b], rounds,
		       ms[b][rounds / 2], ms[b][0], ms[b][(rounds * 9) / 10 < rounds ? (rounds * 9) / 10 : rounds - 1]);
	}
	return 0;
}
