/* SPDX-License-Identifier: GPL-2.0-only */
/* Least privilege: once the programs are loaded and attached, the maps made,
 * the rings mapped and tracefs and kallsyms read, the process becomes an
 * unprivileged user (as tcpdump -Z does) keeping only the capabilities the
 * running part uses, with no_new_privs set. */
#ifndef SKBDROP_PRIV_H
#define SKBDROP_PRIV_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <linux/types.h>

struct skbd_user {
	uid_t uid;
	gid_t gid;
	char name[64];
};

/* Capability numbers the kernel headers of old distributions may lack. */
#define SKBD_CAP_PERFMON 38
#define SKBD_CAP_BPF     39

/* What a running skbdrop uses (mask of 1 << CAP_*):
 *  CAP_BPF          bpf(2) on its own maps (summary keys, stacks, the --owner
 *                   socket set, statistics): before 6.5 every bpf(2) command
 *                   needs it while unprivileged BPF is disabled
 *  CAP_SYS_ADMIN    setns(2) into other network namespaces (device names,
 *                   kernel counters, socket lookups before 6.11) and the
 *                   tracefs unmount at exit when skbdrop mounted it
 *  CAP_SYS_PTRACE   /proc/PID/fd links and /proc/PID/ns/net of other users'
 *                   processes (socket owners, namespaces)
 *  CAP_DAC_READ_SEARCH  the /proc/PID/fd directories themselves (mode 0500)
 *  CAP_SYSLOG       /proc/kallsyms shows addresses only to it: re-read when
 *                   a module loaded after start drops packets */
__u64 skbd_priv__keep_default(void);

/* Resolve SPEC (a user name, or a numeric uid) from passwd_path (NULL:
 * /etc/passwd). A numeric uid without an entry gets gid = uid; "nobody"
 * without an entry is 65534:65534 (the kernel's overflow ids). 0, or -ENOENT
 * / -EINVAL with one line in err. */
int skbd_priv__user(const char *spec, const char *passwd_path, struct skbd_user *u, char *err, size_t err_size);

/* Become u: supplementary groups = { u->gid }, real/effective/saved ids,
 * capabilities (effective and permitted) = keep & what the process has, the
 * bounding set cut to keep, no ambient ones, PR_SET_NO_NEW_PRIVS. Must run
 * while the process has one thread (capabilities are per thread): -EBUSY
 * otherwise. 0, or -errno with one line in err. Nothing changes when u is
 * root and keep is everything the process has. */
int skbd_priv__drop(const struct skbd_user *u, __u64 keep, char *err, size_t err_size);

/* Whether the process may become u: CAP_SETUID, CAP_SETGID and CAP_SETPCAP
 * effective (or u is who it is already). */
bool skbd_priv__can_change(const struct skbd_user *u);

/* "CAP_BPF,CAP_SYS_ADMIN,..." for a mask (the README and -v say which). */
int skbd_priv__caps_str(__u64 mask, char *buf, size_t size);

#endif
