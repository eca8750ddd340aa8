// SPDX-License-Identifier: GPL-2.0-only
/* Network namespace files, shared by netdev/ (a socket per namespace) and the
 * --netns / --device arguments: one search for a namespace by inode, one
 * helper thread that setns()es, one parser. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>
#include <unistd.h>
#include <skbdrop/netns.h>

#define PROC_SCAN_MAX 65536u /* /proc entries examined to find a way into a namespace */

/* st_dev of namespace files (nsfs), from our own; 0 when unknown */
static dev_t nsfs_dev(void)
{
	struct stat self;

	return stat("/proc/self/ns/net", &self) == 0 ? self.st_dev : 0;
}

static bool is_ns_file(const struct stat *st, dev_t dev, __u32 ino)
{
	return (!ino || st->st_ino == ino) && (!dev || st->st_dev == dev);
}

int skbd_netns__inode(const char *path, __u32 *ino)
{
	struct stat st;
	int fd, type;

	if (stat(path, &st) < 0)
		return -errno;
	if (!is_ns_file(&st, nsfs_dev(), 0) || !st.st_ino || st.st_ino > UINT32_MAX)
		return -EINVAL; /* not an nsfs file */
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	type = ioctl(fd, NS_GET_NSTYPE);
	close(fd);
	if (type >= 0 && type != CLONE_NEWNET)
		return -EINVAL; /* (before 4.11 the ioctl does not exist: trust the fs) */
	*ino = (__u32)st.st_ino;
	return 0;
}

/* Inode numbers of nsfs are unique over every namespace type, so a match of
 * device and inode is the namespace itself: no need to open each file. */
int skbd_netns__find(__u32 ino, char *path, size_t size)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	dev_t dev = nsfs_dev();

	for (size_t k = 0; ino && size && k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		bool proc = k == 1;
		unsigned int n = 0;
		struct dirent *de;
		DIR *d = opendir(dirs[k]);

		if (!d)
			continue;
		while ((de = readdir(d)) && n++ < PROC_SCAN_MAX) {
			struct stat st;
			int len;

			if (proc ? (de->d_name[0] < '1' || de->d_name[0] > '9') : de->d_name[0] == '.')
				continue;
			len = snprintf(path, size, proc ? "/proc/%s/ns/net" : "/run/netns/%s", de->d_name);
			if (len < 0 || (size_t)len >= size)
				continue;
			if (stat(path, &st) == 0 && is_ns_file(&st, dev, ino)) {
				closedir(d);
				return 0;
			}
		}
		closedir(d);
	}
	if (size)
		path[0] = '\0';
	return -ENOENT;
}

int skbd_netns__list(__u32 *inos, size_t max)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	dev_t dev = nsfs_dev();
	size_t n = 0;

	for (size_t k = 0; k < sizeof(dirs) / sizeof(dirs[0]); k++) {
		bool proc = k == 1;
		unsigned int seen = 0;
		struct dirent *de;
		DIR *d = opendir(dirs[k]);

		if (!d)
			continue;
		while (n < max && (de = readdir(d)) && seen++ < PROC_SCAN_MAX) {
			char path[PATH_MAX];
			struct stat st;
			size_t i;
			int len;

			if (proc ? (de->d_name[0] < '1' || de->d_name[0] > '9') : de->d_name[0] == '.')
				continue;
			len = snprintf(path, sizeof(path), proc ? "/proc/%s/ns/net" : "/run/netns/%s", de->d_name);
			if (len < 0 || (size_t)len >= sizeof(path) || stat(path, &st) || !is_ns_file(&st, dev, 0) ||
			    !st.st_ino || st.st_ino > UINT32_MAX)
				continue;
			for (i = 0; i < n && inos[i] != (__u32)st.st_ino; i++)
				;
			if (i == n)
				inos[n++] = (__u32)st.st_ino;
		}
		closedir(d);
	}
	return (int)n;
}

struct ns_job {
	int nsfd;
	skbd_netns_fn fn;
	void *arg;
	int ret;
};

/* The helper thread enters the namespace and ends there: only it changes
 * namespace, never the caller's thread. */
static void *run_job(void *p)
{
	struct ns_job *job = p;

	if (setns(job->nsfd, CLONE_NEWNET)) {
		job->ret = -errno;
		return NULL;
	}
	job->ret = job->fn(job->arg);
	return NULL;
}

int skbd_netns__run(const char *path, __u32 ino, skbd_netns_fn fn, void *arg)
{
	struct ns_job job = { .nsfd = -1, .fn = fn, .arg = arg };
	pthread_t th;
	struct stat st;
	int err;

	if (!path || !path[0])
		return fn(arg);
	job.nsfd = open(path, O_RDONLY | O_CLOEXEC);
	if (job.nsfd < 0)
		return -errno;
	if (ino && (fstat(job.nsfd, &st) || !is_ns_file(&st, nsfs_dev(), ino))) {
		err = -ESTALE;
		goto close_fd;
	}
	err = pthread_create(&th, NULL, run_job, &job);
	if (err) {
		err = -err;
		goto close_fd;
	}
	pthread_join(th, NULL);
	err = job.ret;
close_fd:
	close(job.nsfd);
	return err;
}

int skbd_netns__parse(const char *spec, __u32 *ino, char *path, size_t size, char *err, size_t err_size)
{
	unsigned long long v;
	__u32 got = 0;
	char *end;
	int rc;

	path[0] = '\0';
	if (spec[0] >= '0' && spec[0] <= '9' && !strchr(spec, '/')) {
		char named[PATH_MAX];

		/* a namespace named "123" under /run/netns wins over inode 123 */
		snprintf(named, sizeof(named), "/run/netns/%s", spec);
		bool named_exists = access(named, F_OK) == 0;

		errno = 0;
		v = strtoull(spec, &end, 10);
		if (!named_exists && !errno && !*end && v && v <= 0xffffffffULL) {
			if (skbd_netns__find((__u32)v, path, size)) {
				snprintf(err, err_size, "--netns %s: no network namespace with this inode (none under /run/netns or /proc/*/ns/net)",
					 spec);
				return -ENOENT;
			}
			*ino = (__u32)v;
			return 0;
		}
	}
	if (strchr(spec, '/'))
		snprintf(path, size, "%s", spec);
	else if (strlen(spec) < NAME_MAX)
		snprintf(path, size, "/run/netns/%s", spec);
	rc = path[0] ? skbd_netns__inode(path, &got) : -ENAMETOOLONG;
	if (rc) {
		snprintf(err, err_size, "--netns %s: %s", spec,
			 rc == -EINVAL ? "not a network namespace" : strerror(-rc));
		path[0] = '\0';
		return rc;
	}
	*ino = got;
	return 0;
}

struct ifindex_job {
	const char *name;
	unsigned int ifindex;
};

static int lookup_ifindex(void *arg)
{
	struct ifindex_job *j = arg;

	errno = 0;
	j->ifindex = if_nametoindex(j->name);
	return j->ifindex ? 0 : (errno ? -errno : -ENODEV);
}

int skbd_netns__ifindex(const char *nspath, const char *name, __u32 *ifindex)
{
	struct ifindex_job j = { .name = name };
	int err;

	if (strlen(name) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	err = skbd_netns__run(nspath, 0, lookup_ifindex, &j);
	if (!err)
		*ifindex = j.ifindex;
	return err;
}
