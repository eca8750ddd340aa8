// SPDX-License-Identifier: GPL-2.0-only
/* Dropping privileges after setup: the user from /etc/passwd (parsed here,
 * not with getpwnam(): NSS modules cannot be loaded by a static binary),
 * then groups, ids, capabilities, the bounding set and no_new_privs, in the
 * order that keeps the wanted capabilities across the uid change. */
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <linux/capability.h>
#include <skbdrop/fileio.h>
#include <skbdrop/priv.h>
#include <skbdrop/sys.h>

#define PASSWD_MAX (16u << 20)

static int fail(char *err, size_t size, int ret, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int fail(char *err, size_t size, int ret, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, size, fmt, ap);
	va_end(ap);
	return ret;
}

__u64 skbd_priv__keep_default(void)
{
	return 1ULL << SKBD_CAP_BPF | 1ULL << CAP_SYS_ADMIN | 1ULL << CAP_SYS_PTRACE |
	       1ULL << CAP_DAC_READ_SEARCH | 1ULL << CAP_SYSLOG;
}

/* A decimal id below 2^32 - 1 (-1 is "no change" to setresuid). */
static bool parse_id(const char *s, size_t len, __u32 *out)
{
	unsigned long long v = 0;

	if (!len || len > 10)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned int)(s[i] - '0');
	}
	if (v >= 0xffffffffULL)
		return false;
	*out = (__u32)v;
	return true;
}

/* One passwd line "name:pw:uid:gid:...": true with u filled when its name
 * (or, by_uid, its uid) is spec's. */
static bool match_line(const char *line, size_t len, const char *spec, bool by_uid, __u32 uid, struct skbd_user *u)
{
	const char *f[4];
	size_t fl[4], n = 0, start = 0;
	__u32 id, gid;

	for (size_t i = 0; i <= len && n < 4; i++) {
		if (i == len || line[i] == ':') {
			f[n] = line + start;
			fl[n++] = i - start;
			start = i + 1;
		}
	}
	if (n < 4 || !fl[0] || fl[0] >= sizeof(u->name) || !parse_id(f[2], fl[2], &id) || !parse_id(f[3], fl[3], &gid))
		return false;
	if (by_uid ? id != uid : (strlen(spec) != fl[0] || memcmp(spec, f[0], fl[0])))
		return false;
	u->uid = id;
	u->gid = gid;
	memcpy(u->name, f[0], fl[0]);
	u->name[fl[0]] = '\0';
	return true;
}

int skbd_priv__user(const char *spec, const char *passwd_path, struct skbd_user *u, char *err, size_t err_size)
{
	const char *path = passwd_path ? passwd_path : "/etc/passwd";
	char *text = NULL;
	size_t len = 0;
	__u32 uid = 0;
	bool by_uid, found = false;
	int e;

	if (!spec || !spec[0] || strlen(spec) >= sizeof(u->name) || strchr(spec, ':') || strchr(spec, '\n'))
		return fail(err, err_size, -EINVAL, "-Z: not a user name (empty, longer than %zu bytes, or with ':' or a newline)",
			    sizeof(u->name) - 1);
	by_uid = parse_id(spec, strlen(spec), &uid);
	e = skbd_read_file(path, PASSWD_MAX, &text, &len);
	if (e && e != -ENOENT)
		return fail(err, err_size, e, "-Z %s: cannot read %s: %s", spec, path, strerror(-e));
	for (size_t i = 0; text && i < len && !found;) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t l = nl ? (size_t)(nl - (text + i)) : len - i;

		found = match_line(text + i, l, spec, by_uid, uid, u);
		i += l + 1;
	}
	free(text);
	if (found)
		return 0;
	if (by_uid) {
		*u = (struct skbd_user){ .uid = uid, .gid = uid };
		snprintf(u->name, sizeof(u->name), "%s", spec);
		return 0;
	}
	if (!strcmp(spec, "nobody")) {
		*u = (struct skbd_user){ .uid = 65534, .gid = 65534, .name = "nobody" };
		return 0;
	}
	return fail(err, err_size, -ENOENT, "-Z: no user '%s' in %s", spec, path);
}

bool skbd_priv__can_change(const struct skbd_user *u)
{
	const __u64 need = 1ULL << CAP_SETUID | 1ULL << CAP_SETGID | 1ULL << CAP_SETPCAP;
	__u64 eff, perm;

	if (getuid() == u->uid && geteuid() == u->uid && getgid() == u->gid)
		return true;
	return !skbd_capget(&eff, &perm) && (eff & need) == need;
}

/* 1 when the process runs one thread, 0 if more, -errno if it cannot tell. */
static int count_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *de;
	int n = 0;

	if (!d)
		return -errno;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			n++;
	closedir(d);
	return n == 1;
}

/* A thread just joined may still be listed for a moment: ask again, for
 * 50 ms at most. */
static int single_threaded(void)
{
	int r = count_threads();

	for (int i = 0; i < 10 && r == 0; i++) {
		usleep(5000);
		r = count_threads();
	}
	return r;
}

static unsigned int last_cap(void)
{
	char *t = NULL;
	size_t len;
	unsigned int v = 40; /* CAP_CHECKPOINT_RESTORE, 5.9+ */

	if (!skbd_read_file("/proc/sys/kernel/cap_last_cap", 16, &t, &len))
		v = (unsigned int)strtoul(t, NULL, 10);
	free(t);
	return v < 63 ? v : 63;
}

int skbd_priv__drop(const struct skbd_user *u, __u64 keep, char *err, size_t err_size)
{
	__u64 eff, perm, eff2, perm2;
	uid_t ru, eu, su;
	gid_t rg, eg, sg, g1;
	int e;

	e = single_threaded();
	if (e <= 0)
		return fail(err, err_size, e ? e : -EBUSY, "-Z %s: %s", u->name,
			    e ? "cannot count the process's threads" : "more than one thread runs (capabilities are per thread)");
	e = skbd_capget(&eff, &perm);
	if (e)
		return fail(err, err_size, e, "-Z %s: capget: %s", u->name, strerror(-e));
	keep &= perm;
	/* the bounding set first: dropping from it needs CAP_SETPCAP, which
	 * goes with the uid change */
	for (unsigned int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0 && cap > last_cap())
			break; /* past the kernel's last capability */
		if (keep & (1ULL << cap) || in != 1)
			continue;
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
			return fail(err, err_size, -errno, "-Z %s: dropping capability %u from the bounding set: %s",
				    u->name, cap, strerror(errno));
	}
	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return fail(err, err_size, -errno, "-Z %s: PR_SET_KEEPCAPS: %s", u->name, strerror(errno));
	if (setgroups(1, &u->gid) < 0)
		return fail(err, err_size, -errno, "-Z %s: setgroups: %s", u->name, strerror(errno));
	if (setresgid(u->gid, u->gid, u->gid) < 0)
		return fail(err, err_size, -errno, "-Z %s: cannot change to group %u: %s", u->name, u->gid, strerror(errno));
	if (setresuid(u->uid, u->uid, u->uid) < 0)
		return fail(err, err_size, -errno, "-Z %s: cannot change to user %u: %s", u->name, u->uid, strerror(errno));
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	e = skbd_capset(keep, keep, 0);
	if (e)
		return fail(err, err_size, e, "-Z %s: capset: %s", u->name, strerror(-e));
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
		return fail(err, err_size, -errno, "-Z %s: clearing ambient capabilities: %s", u->name, strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return fail(err, err_size, -errno, "-Z %s: PR_SET_NO_NEW_PRIVS: %s", u->name, strerror(errno));
	/* trust, then verify: a kernel that ignored part of this is an error */
	if (getresuid(&ru, &eu, &su) < 0 || ru != u->uid || eu != u->uid || su != u->uid)
		return fail(err, err_size, -EPERM, "-Z %s: the user ids did not change", u->name);
	if (getresgid(&rg, &eg, &sg) < 0 || rg != u->gid || eg != u->gid || sg != u->gid ||
	    getgroups(1, &g1) != 1 || g1 != u->gid)
		return fail(err, err_size, -EPERM, "-Z %s: the group ids did not change", u->name);
	e = skbd_capget(&eff2, &perm2);
	if (e || eff2 != keep || perm2 != keep)
		return fail(err, err_size, e ? e : -EPERM, "-Z %s: the capabilities are not the ones asked for", u->name);
	for (unsigned int cap = 0; cap < 64; cap++) {
		int in = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);

		if (in < 0)
			break;
		if (in != !!(keep & (1ULL << cap)))
			return fail(err, err_size, -EPERM, "-Z %s: the bounding set is not the one asked for", u->name);
	}
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return fail(err, err_size, -EPERM, "-Z %s: no_new_privs did not stick", u->name);
	return 0;
}

static const char *const cap_names[] = {
	[CAP_DAC_READ_SEARCH] = "CAP_DAC_READ_SEARCH",
	[CAP_SYS_PTRACE] = "CAP_SYS_PTRACE",
	[CAP_SYS_ADMIN] = "CAP_SYS_ADMIN",
	[CAP_SYSLOG] = "CAP_SYSLOG",
	[SKBD_CAP_PERFMON] = "CAP_PERFMON",
	[SKBD_CAP_BPF] = "CAP_BPF",
};

int skbd_priv__caps_str(__u64 mask, char *buf, size_t size)
{
	size_t n = 0;
	int w;

	if (size)
		buf[0] = '\0';
	for (unsigned int cap = 0; cap < 64; cap++) {
		if (!(mask & (1ULL << cap)))
			continue;
		if (cap < sizeof(cap_names) / sizeof(cap_names[0]) && cap_names[cap])
			w = snprintf(buf + n, size - n, "%s%s", n ? "," : "", cap_names[cap]);
		else
			w = snprintf(buf + n, size - n, "%scap%u", n ? "," : "", cap);
		if (w < 0 || (size_t)w >= size - n)
			return -ENOSPC;
		n += (size_t)w;
	}
	return (int)n;
}
