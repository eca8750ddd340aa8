// SPDX-License-Identifier: GPL-2.0-only
/* --netns and --device arguments: a namespace by name, inode or path, and
 * device names looked up inside it (by a helper thread that setns()es, so
 * the main thread never changes namespace). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/nsfs.h>
#include <unistd.h>
#include "cli.h"

/* the inode of a network namespace file: an nsfs file (same fs as ours)
 * whose namespace is a network one (not /proc/PID/ns/mnt, say) */
static int ns_inode(const char *path, __u32 *ino)
{
	struct stat st, self;
	int fd, type;

	if (stat(path, &st) < 0)
		return -errno;
	if (stat("/proc/self/ns/net", &self) == 0 && st.st_dev != self.st_dev)
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

/* a path to the namespace with inode ino: /run/netns, then /proc/PID/ns/net */
static int find_ns_path(__u32 ino, char *path, size_t size)
{
	static const char *const dirs[] = { "/run/netns", "/proc" };
	char p[PATH_MAX];
	__u32 got;

	for (size_t d = 0; d < sizeof(dirs) / sizeof(dirs[0]); d++) {
		DIR *dir = opendir(dirs[d]);
		struct dirent *de;

		if (!dir)
			continue;
		while ((de = readdir(dir))) {
			if (de->d_name[0] == '.' || (d == 1 && (de->d_name[0] < '0' || de->d_name[0] > '9')))
				continue;
			snprintf(p, sizeof(p), d == 1 ? "%s/%s/ns/net" : "%s/%s", dirs[d], de->d_name);
			if (ns_inode(p, &got) == 0 && got == ino) {
				snprintf(path, size, "%s", p);
				closedir(dir);
				return 0;
			}
		}
		closedir(dir);
	}
	return -ENOENT;
}

int cli_netns_parse(const char *spec, __u32 *ino, char *path, size_t size, char *err, size_t err_size)
{
	char *end;
	unsigned long long v;
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
			*ino = (__u32)v;
			if (find_ns_path(*ino, path, size)) {
				snprintf(err, err_size, "--netns %s: no network namespace with this inode (none under /run/netns or /proc/*/ns/net)",
					 spec);
				return -ENOENT;
			}
			return 0;
		}
	}
	if (strchr(spec, '/'))
		snprintf(path, size, "%s", spec);
	else if (strlen(spec) < NAME_MAX)
		snprintf(path, size, "/run/netns/%s", spec);
	rc = path[0] ? ns_inode(path, ino) : -ENAMETOOLONG;
	if (rc) {
		snprintf(err, err_size, "--netns %s: %s", spec,
			 rc == -EINVAL ? "not a network namespace" : strerror(-rc));
		path[0] = '\0';
	}
	return rc;
}

struct ifx_job {
	const char *nspath;
	const char *name;
	unsigned int ifindex;
	int err;
};

static void *ifx_thread(void *arg)
{
	struct ifx_job *j = arg;
	int fd;

	if (j->nspath && j->nspath[0]) {
		fd = open(j->nspath, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || setns(fd, CLONE_NEWNET) < 0) {
			j->err = -errno;
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		close(fd);
	}
	j->ifindex = if_nametoindex(j->name);
	j->err = j->ifindex ? 0 : (errno ? -errno : -ENODEV);
	return NULL;
}

int cli_ifindex_in(const char *nspath, const char *name, __u32 *ifindex)
{
	struct ifx_job j = { nspath, name, 0, 0 };
	pthread_t t;
	int rc;

	if (strlen(name) >= IF_NAMESIZE)
		return -ENAMETOOLONG;
	rc = pthread_create(&t, NULL, ifx_thread, &j);
	if (rc)
		return -rc;
	pthread_join(t, NULL);
	if (!j.err)
		*ifindex = j.ifindex;
	return j.err;
}
