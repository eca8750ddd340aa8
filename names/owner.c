// SPDX-License-Identifier: GPL-2.0-only
/* Socket inode -> the process holding it, the way `ss -p` finds it: every
 * /proc/PID/fd entry that reads "socket:[N]". One scan of /proc fills a table
 * of every socket on the host; a lookup that misses scans again, at most once
 * a second, so a flood of drops on unknown sockets costs at most one scan a
 * second. An entry stays after its process let go of the socket: a drop on a
 * socket whose process exited names its last known owner. Also: the container
 * id in a cgroup path, and the sockets of one process (--owner). */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <skbdrop/names.h>
#include "names_int.h"

#define OWNERS_MIN_CAP 1024u
#define OWNERS_MAX 1048576u /* sockets remembered; past this, entries of gone sockets are dropped */

struct owner_ent {
	__u64 ino;    /* 0: free slot */
	__u32 pid;
	__u32 gen;    /* the scan that last saw it */
	char comm[16];
};

struct pid_ent {
	__u32 pid;    /* 0: free slot */
	char comm[16];
};

struct skbd_owners {
	char proc[64];
	struct owner_ent *tab; /* open addressing, at most half full */
	size_t cap, nr;
	struct pid_ent *pids;  /* pid -> comm of every process seen holding a socket */
	size_t pid_cap, nr_pids;
	__u32 gen;
	double last_scan;      /* monotonic seconds; < 0: never */
	struct skbd_owner_scan_stats stats;
};

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static size_t home(__u64 key, size_t cap)
{
	return (size_t)((key * 0x9e3779b97f4a7c15ULL) >> 20) & (cap - 1);
}

static struct owner_ent *find(const struct skbd_owners *o, __u64 ino)
{
	if (!o->cap)
		return NULL;
	for (size_t j = home(ino, o->cap); o->tab[j].ino; j = (j + 1) & (o->cap - 1))
		if (o->tab[j].ino == ino)
			return &o->tab[j];
	return NULL;
}

static int rehash(struct skbd_owners *o, size_t cap, bool keep_gone)
{
	struct owner_ent *tab = calloc(cap, sizeof(*tab));
	size_t nr = 0;

	if (!tab)
		return -ENOMEM;
	for (size_t i = 0; i < o->cap; i++) {
		const struct owner_ent *e = &o->tab[i];
		size_t j;

		if (!e->ino || (!keep_gone && e->gen != o->gen))
			continue;
		for (j = home(e->ino, cap); tab[j].ino; j = (j + 1) & (cap - 1))
			;
		tab[j] = *e;
		nr++;
	}
	free(o->tab);
	o->tab = tab;
	o->cap = cap;
	o->nr = nr;
	return 0;
}

static void put_pid(struct skbd_owners *o, __u32 pid, const char comm[16])
{
	size_t j;

	if ((o->nr_pids + 1) * 2 > o->pid_cap) {
		size_t cap = o->pid_cap ? o->pid_cap * 2 : 256;
		struct pid_ent *t;

		if (cap > 2 * OWNERS_MAX)
			return;
		t = calloc(cap, sizeof(*t));
		if (!t)
			return;
		for (size_t i = 0; i < o->pid_cap; i++) {
			if (!o->pids[i].pid)
				continue;
			for (j = home(o->pids[i].pid, cap); t[j].pid; j = (j + 1) & (cap - 1))
				;
			t[j] = o->pids[i];
		}
		free(o->pids);
		o->pids = t;
		o->pid_cap = cap;
	}
	for (j = home(pid, o->pid_cap); o->pids[j].pid && o->pids[j].pid != pid; j = (j + 1) & (o->pid_cap - 1))
		;
	if (!o->pids[j].pid)
		o->nr_pids++;
	o->pids[j].pid = pid;
	memcpy(o->pids[j].comm, comm, sizeof(o->pids[j].comm));
}

/* Record that pid holds socket ino (the first process a scan finds keeps it). */
static void put(struct skbd_owners *o, __u64 ino, __u32 pid, const char comm[16])
{
	struct owner_ent *e = find(o, ino);
	size_t j;

	if (e) {
		if (e->gen == o->gen)
			return; /* shared (fork, SCM_RIGHTS): the first found holds it */
	} else {
		if ((o->nr + 1) * 2 > o->cap) {
			size_t cap = o->cap ? o->cap * 2 : OWNERS_MIN_CAP;

			if (o->nr + 1 > OWNERS_MAX) {
				/* full: forget sockets this scan has not seen (yet) */
				if (rehash(o, o->cap, false) || o->nr + 1 > OWNERS_MAX)
					return;
			} else if (rehash(o, cap, true)) {
				return;
			}
		}
		for (j = home(ino, o->cap); o->tab[j].ino; j = (j + 1) & (o->cap - 1))
			;
		e = &o->tab[j];
		e->ino = ino;
		o->nr++;
	}
	e->pid = pid;
	e->gen = o->gen;
	memcpy(e->comm, comm, sizeof(e->comm));
}

/* "socket:[12345]" -> 12345; 0 for anything else */
static __u64 socket_ino(const char *link, ssize_t len)
{
	__u64 v = 0;
	ssize_t i = 8;

	if (len < 10 || memcmp(link, "socket:[", 8) || link[len - 1] != ']')
		return 0;
	for (; i < len - 1; i++) {
		if (link[i] < '0' || link[i] > '9' || v > (~0ULL - 9) / 10)
			return 0;
		v = v * 10 + (__u64)(link[i] - '0');
	}
	return v;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void read_comm(int piddir, char comm[16])
{
	char buf[32];
	ssize_t n;
	int fd = openat(piddir, "comm", O_RDONLY | O_CLOEXEC);

	memset(comm, 0, 16);
	if (fd < 0)
		return;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return;
	if (buf[n - 1] == '\n')
		n--;
	memcpy(comm, buf, (size_t)n < 15 ? (size_t)n : 15); /* TASK_COMM_LEN - 1, as the kernel keeps it */
}

/* Each socket of the process at piddir: fn(ctx, ino). The number of fds read. */
static size_t each_socket(int piddir, void (*fn)(void *ctx, __u64 ino), void *ctx)
{
	int fdd = openat(piddir, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	struct dirent *de;
	size_t fds = 0;
	DIR *d;

	if (fdd < 0)
		return 0;
	d = fdopendir(fdd);
	if (!d) {
		close(fdd);
		return 0;
	}
	while ((de = readdir(d))) {
		char link[64];
		ssize_t n;
		__u64 ino;

		if (de->d_name[0] == '.')
			continue;
		fds++;
		n = readlinkat(dirfd(d), de->d_name, link, sizeof(link));
		if (n <= 0 || n >= (ssize_t)sizeof(link))
			continue;
		ino = socket_ino(link, n);
		if (ino)
			fn(ctx, ino);
	}
	closedir(d);
	return fds;
}

struct scan_ctx {
	struct skbd_owners *o;
	__u32 pid;
	int piddir;
	char comm[16];
	bool have_comm;
};

static void scan_one(void *ctx, __u64 ino)
{
	struct scan_ctx *s = ctx;

	if (!s->have_comm) {
		read_comm(s->piddir, s->comm);
		s->have_comm = true;
		put_pid(s->o, s->pid, s->comm);
	}
	put(s->o, ino, s->pid, s->comm);
}

static void scan(struct skbd_owners *o)
{
	double t0 = mono_now();
	struct dirent *de;
	DIR *d = opendir(o->proc);

	o->last_scan = t0;
	if (!d)
		return;
	o->gen++;
	o->stats.scans++;
	o->stats.last_fds = 0;
	o->stats.last_procs = 0;
	while ((de = readdir(d))) {
		struct scan_ctx s = { .o = o };
		unsigned long pid;

		if (!all_digits(de->d_name))
			continue;
		pid = strtoul(de->d_name, NULL, 10);
		if (!pid || pid > UINT32_MAX)
			continue;
		s.piddir = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (s.piddir < 0)
			continue; /* exited meanwhile */
		s.pid = (__u32)pid;
		o->stats.last_fds += each_socket(s.piddir, scan_one, &s);
		o->stats.last_procs++;
		close(s.piddir);
	}
	closedir(d);
	o->stats.last_seconds = mono_now() - t0;
}

int skbd_owners__new(const char *proc, struct skbd_owners **out)
{
	struct skbd_owners *o = calloc(1, sizeof(*o));

	if (!o)
		return -ENOMEM;
	snprintf(o->proc, sizeof(o->proc), "%s", proc ? proc : "/proc");
	o->last_scan = -1.0;
	*out = o;
	return 0;
}

void skbd_owners__free(struct skbd_owners *o)
{
	if (!o)
		return;
	free(o->tab);
	free(o->pids);
	free(o);
}

const struct skbd_owner_scan_stats *skbd_owners__stats(const struct skbd_owners *o)
{
	return &o->stats;
}

bool skbd_owners__lookup(struct skbd_owners *o, __u64 ino, __u32 *pid, char comm[16])
{
	const struct owner_ent *e = find(o, ino);

	if (!e && (o->last_scan < 0 || mono_now() - o->last_scan >= 1.0)) {
		scan(o);
		e = find(o, ino);
	}
	if (!e)
		return false;
	*pid = e->pid;
	memcpy(comm, e->comm, 16);
	return true;
}

bool skbd_owners__comm(const struct skbd_owners *o, __u32 pid, char comm[16])
{
	if (!o->pid_cap || !pid)
		return false;
	for (size_t j = home(pid, o->pid_cap); o->pids[j].pid; j = (j + 1) & (o->pid_cap - 1)) {
		if (o->pids[j].pid == pid) {
			memcpy(comm, o->pids[j].comm, 16);
			return true;
		}
	}
	return false;
}

int skbd_names__pid_sockets(const char *proc, __u32 pid, void (*fn)(void *ctx, __u64 ino), void *ctx)
{
	char path[96];
	int piddir;

	snprintf(path, sizeof(path), "%s/%u", proc ? proc : "/proc", pid);
	piddir = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (piddir < 0)
		return -errno;
	each_socket(piddir, fn, ctx);
	close(piddir);
	return 0;
}

/* ---- container ids ---- */

static bool is_hex_id(const char *s, size_t n)
{
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]) || isupper((unsigned char)s[i]))
			return false;
	return true;
}

/* The container id of one path component, or NULL: "docker-ID.scope",
 * "cri-containerd-ID.scope", "crio-ID.scope", "libpod-ID.scope",
 * "containerd-ID.scope" (systemd driver), or the bare ID (cgroupfs driver:
 * /docker/ID, /kubepods/burstable/podUID/ID). Runtime helpers beside a
 * container ("crio-conmon-ID.scope", "libpod-conmon-ID.scope") are not it. */
static const char *component_id(const char *c, size_t n, size_t *id_len)
{
	static const char *const prefixes[] = { "docker-", "cri-containerd-", "crio-", "libpod-", "containerd-" };
	const char *end = c + n;

	if (n > 6 && !memcmp(end - 6, ".scope", 6))
		end -= 6;
	for (size_t i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t pl = strlen(prefixes[i]);

		if ((size_t)(end - c) > pl && !memcmp(c, prefixes[i], pl) && is_hex_id(c + pl, (size_t)(end - c) - pl)) {
			*id_len = 64;
			return c + pl;
		}
	}
	if (end == c + n && is_hex_id(c, n)) {
		*id_len = 64;
		return c;
	}
	return NULL;
}

/* A Kubernetes pod slice: "kubepods-burstable-pod<UID>.slice" (systemd, the
 * UID's '-' written '_') or "pod<UID>" (cgroupfs): the UID with '-'. */
static bool component_pod(const char *c, size_t n, char out[SKBD_NAME_POD])
{
	const char *p = NULL;
	char uid[SKBD_NAME_POD];
	size_t len, i;

	if (n > 6 && !memcmp(c + n - 6, ".slice", 6)) {
		for (size_t k = 0; k + 4 <= n - 6; k++)
			if (!memcmp(c + k, "-pod", 4))
				p = c + k + 4;
		if (!p || strncmp(c, "kubepods", 8))
			return false;
		len = (size_t)(c + n - 6 - p);
	} else if (n > 3 && !memcmp(c, "pod", 3)) {
		p = c + 3;
		len = n - 3;
	} else {
		return false;
	}
	if (len != 36)
		return false;
	for (i = 0; i < len; i++) {
		char ch = p[i] == '_' ? '-' : p[i];

		if (!(isxdigit((unsigned char)ch) || ch == '-'))
			return false;
		uid[i] = ch;
	}
	uid[i] = '\0';
	memcpy(out, uid, len + 1);
	return true;
}

void skbd_names__container(const char *path, char id[SKBD_NAME_CONTAINER], char pod[SKBD_NAME_POD])
{
	const char *c = path;

	id[0] = '\0';
	pod[0] = '\0';
	if (!path)
		return;
	while (*c) {
		size_t n = strcspn(c, "/"), len = 0;
		const char *hit;

		if (n) {
			hit = component_id(c, n, &len);
			if (hit) {
				memcpy(id, hit, len); /* the innermost one wins (nested runtimes) */
				id[len] = '\0';
			} else {
				component_pod(c, n, pod);
			}
		}
		c += n;
		while (*c == '/')
			c++;
	}
}
