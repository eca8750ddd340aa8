// SPDX-License-Identifier: GPL-2.0-only
/* The cost of finding a socket's owner: holds N sockets itself (besides
 * whatever the host has open), then looks up an inode no process holds, so
 * the names layer scans every /proc/PID/fd once per lookup (1.1 s apart: the
 * scan is rate-limited to one a second), REPS times; then a hit, timed alone.
 * Prints one line per scan and the median.
 * Usage: ownerscan [N] [REPS]   (default 10000 sockets, 5 scans) */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <skbdrop/names.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000, reps = argc > 2 ? strtol(argv[2], NULL, 10) : 5;
	struct rlimit rl = { (rlim_t)n + 64, (rlim_t)n + 64 };
	struct skbd_names_opts o = { .owners = true };
	struct skbd_drop d = { .flags = SKBD_DROP_HAS_OWNER };
	const struct skbd_owner_scan_stats *st;
	struct skbd_drop_names nm;
	struct skbd_names *names;
	double *t, t0, hit;
	struct stat sb;
	int fd = -1;

	if (n < 1 || reps < 1 || reps > 100 || setrlimit(RLIMIT_NOFILE, &rl)) {
		fprintf(stderr, "ownerscan: N >= 1, 1 <= REPS <= 100, and RLIMIT_NOFILE for N (%s)\n", strerror(errno));
		return 1;
	}
	for (long i = 0; i < n; i++) {
		fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			perror("ownerscan: socket");
			return 1;
		}
	}
	t = calloc((size_t)reps, sizeof(*t));
	if (!t || skbd_names__new(&o, &names))
		return 1;
	st = skbd_names__owner_stats(names);
	for (long r = 0; r < reps; r++) {
		if (r)
			usleep(1100 * 1000);
		d.sk_ino = 1; /* no socket has inode 1: a miss, so a scan */
		t0 = now();
		skbd_names__drop(names, &d, &nm);
		t[r] = now() - t0;
		printf("scan %ld: %zu processes, %zu fds, %.1f ms\n", r + 1, st->last_procs, st->last_fds, t[r] * 1e3);
	}
	fstat(fd, &sb);
	d.sk_ino = sb.st_ino;
	t0 = now();
	skbd_names__drop(names, &d, &nm);
	hit = now() - t0;
	qsort(t, (size_t)reps, sizeof(*t), cmp_d);
	printf("ownerscan: %ld own sockets, %zu fds on the host: median scan %.1f ms, a hit %.1f us (%s)\n", n,
	       st->last_fds, t[reps / 2] * 1e3, hit * 1e6, nm.owner.known ? "found" : "NOT FOUND");
	skbd_names__free(names);
	free(t);
	return nm.owner.known ? 0 : 1;
}
