// SPDX-License-Identifier: GPL-2.0-only
/* cgroup v2 id -> path. bpf_get_current_cgroup_id() returns the kernfs id of
 * the task's cgroup on the unified hierarchy, which on 64-bit kernels is the
 * inode number of its directory; so one walk of the cgroup2 mount maps ids
 * to paths. A miss walks again (a fresh table), at most once a second. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <unistd.h>
#include <skbdrop/log.h>
#include "names_int.h"

#define CGROUP2_MAGIC 0x63677270
#define CG_MAX_DEPTH 32
#define CG_MAX_ENTRIES 65536

struct cg_entry {
	__u64 id;
	char *path;
};

struct skbd_cgroups {
	char root[64];         /* the cgroup2 mount; "" when there is none */
	struct cg_entry *tab;  /* open addressing, cap a power of two */
	size_t cap, nr;
	double last_walk;
};

static double mono_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static size_t slot_of(__u64 id, size_t cap)
{
	return (size_t)((id * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static int grow(struct skbd_cgroups *cg)
{
	size_t ncap = cg->cap ? cg->cap * 2 : 256;
	struct cg_entry *nt = calloc(ncap, sizeof(*nt));

	if (!nt)
		return -ENOMEM;
	for (size_t i = 0; i < cg->cap; i++) {
		size_t j;

		if (!cg->tab[i].path)
			continue;
		for (j = slot_of(cg->tab[i].id, ncap); nt[j].path; j = (j + 1) & (ncap - 1))
			;
		nt[j] = cg->tab[i];
	}
	free(cg->tab);
	cg->tab = nt;
	cg->cap = ncap;
	return 0;
}

static void put_entry(struct skbd_cgroups *cg, __u64 id, const char *path)
{
	size_t j;

	if (cg->nr >= CG_MAX_ENTRIES || ((cg->nr + 1) * 2 > cg->cap && grow(cg)))
		return;
	for (j = slot_of(id, cg->cap); cg->tab[j].path; j = (j + 1) & (cg->cap - 1)) {
		if (cg->tab[j].id == id) {
			if (strcmp(cg->tab[j].path, path)) { /* renamed/reused: take the new path */
				char *p = strdup(path);

				if (p) {
					free(cg->tab[j].path);
					cg->tab[j].path = p;
				}
			}
			return;
		}
	}
	cg->tab[j].path = strdup(path);
	if (cg->tab[j].path) {
		cg->tab[j].id = id;
		cg->nr++;
	}
}

/* Depth-first walk below dirfd, whose path relative to the root is rel. */
static void walk(struct skbd_cgroups *cg, int dirfd, char *rel, size_t rel_len, size_t rel_cap, int depth)
{
	DIR *d = fdopendir(dirfd);
	struct dirent *de;

	if (!d) {
		close(dirfd);
		return;
	}
	while ((de = readdir(d))) {
		struct stat st;
		size_t n = strlen(de->d_name);
		int fd;

		if (de->d_type != DT_DIR || de->d_name[0] == '.' || rel_len + 1 + n + 1 > rel_cap)
			continue;
		fd = openat(dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) < 0) {
			close(fd);
			continue;
		}
		rel[rel_len] = '/';
		memcpy(rel + rel_len + 1, de->d_name, n + 1);
		put_entry(cg, (__u64)st.st_ino, rel);
		if (depth + 1 < CG_MAX_DEPTH && cg->nr < CG_MAX_ENTRIES)
			walk(cg, fd, rel, rel_len + 1 + n, rel_cap, depth + 1);
		else
			close(fd);
		rel[rel_len] = '\0';
	}
	closedir(d);
}

static void free_table(struct skbd_cgroups *cg)
{
	for (size_t i = 0; i < cg->cap; i++)
		free(cg->tab[i].path);
	free(cg->tab);
	cg->tab = NULL;
	cg->cap = cg->nr = 0;
}

/* A fresh table each walk: removed cgroups are forgotten, renamed ones get
 * their new path, and the table never fills up with the dead. */
static void walk_all(struct skbd_cgroups *cg)
{
	char rel[4096] = "";
	struct stat st;
	int fd;

	free_table(cg);
	cg->last_walk = mono_now();
	if (!cg->root[0])
		return;
	fd = open(cg->root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (fstat(fd, &st) == 0)
		put_entry(cg, (__u64)st.st_ino, "/");
	walk(cg, fd, rel, 0, sizeof(rel), 0);
}

int skbd_cgroups__new(struct skbd_cgroups **out)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct skbd_cgroups *cg = calloc(1, sizeof(*cg));
	struct statfs sfs;

	if (!cg)
		return -ENOMEM;
	for (size_t i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		if (statfs(mounts[i], &sfs) == 0 && sfs.f_type == CGROUP2_MAGIC) {
			snprintf(cg->root, sizeof(cg->root), "%s", mounts[i]);
			break;
		}
	}
	if (!cg->root[0])
		skbd_log(SKBD_LOG_WARN, "warning: cgroup paths unavailable: no cgroup2 mount at /sys/fs/cgroup or /sys/fs/cgroup/unified");
	cg->last_walk = -1e9;
	*out = cg;
	return 0;
}

void skbd_cgroups__free(struct skbd_cgroups *cg)
{
	if (!cg)
		return;
	free_table(cg);
	free(cg);
}

const char *skbd_cgroups__path(struct skbd_cgroups *cg, __u64 id)
{
	for (int pass = 0; pass < 2; pass++) {
		if (cg->cap) {
			for (size_t j = slot_of(id, cg->cap); cg->tab[j].path; j = (j + 1) & (cg->cap - 1))
				if (cg->tab[j].id == id)
					return cg->tab[j].path;
		}
		if (pass || !cg->root[0] || mono_now() - cg->last_walk < 1.0)
			return NULL;
		walk_all(cg);
	}
	return NULL;
}
