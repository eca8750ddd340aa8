// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for the names layer: symbol text through a kallsyms fixture and
 * its cache, stacks through a fake stack map, what is left out when an
 * option or a flag is off, cgroup paths of this host, and (root) the
 * namespace helpers and device names in a namespace made for the test. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <net/if.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <CUnit/CUnit.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/names.h>
#include <skbdrop/netns.h>
#include "testutil.h"

#define KS_BASIC SKBD_FIXTURES "/kallsyms/basic.txt"
#define FUNC_A 0xffffffff81001000ULL
#define FUNC_B 0xffffffff81002000ULL
#define NFT_DO_CHAIN 0xffffffffc0a01000ULL

/* one reporting of skips for every suite (testutil.c) */
static void skip(const char *test, const char *why)
{
	char msg[160];

	snprintf(msg, sizeof(msg), "%s: %s", test, why);
	tu_skip(msg);
}

static struct skbd_names *open_names(const struct skbd_names_opts *o)
{
	struct skbd_names *n = NULL;

	CU_ASSERT_EQUAL_FATAL(skbd_names__new(o, &n), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(n);
	return n;
}

static struct skbd_names *open_symbols(void)
{
	struct skbd_names_opts o = { .symbols = true, .kallsyms_path = KS_BASIC };

	return open_names(&o);
}

static __u32 self_netns(void)
{
	struct stat st;

	CU_ASSERT_EQUAL_FATAL(stat("/proc/self/ns/net", &st), 0);
	return (__u32)st.st_ino;
}

/* ---- symbols ---- */

static void test_symbol_fixture(void)
{
	struct skbd_drop d = { .location = FUNC_A + 0x10 };
	struct skbd_drop_names dn;
	struct skbd_names *n;
	char buf[SKBD_NAME_LOC];

	tu_log_quiet();
	n = open_symbols();
	CU_ASSERT_EQUAL(tu_log_count(), 0);
	tu_log_restore();
	skbd_names__symbol(n, FUNC_A + 0x10, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "func_a+0x10");
	skbd_names__symbol(n, NFT_DO_CHAIN + 0x24, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "nft_do_chain+0x24 [nf_tables]");
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.location, "func_a+0x10");
	/* a short buffer is cut, NUL-terminated */
	skbd_names__symbol(n, FUNC_A + 0x10, buf, 5);
	CU_ASSERT_STRING_EQUAL(buf, "func");
	skbd_names__free(n);
}

/* The same text twice, and right after other addresses took the slots:
 * many addresses share slots of the cache. */
static void test_symbol_cache(void)
{
	struct skbd_ksyms *ks = tu_load_ksyms(KS_BASIC);
	struct skbd_names *n = open_symbols();
	char a[SKBD_NAME_LOC], b[SKBD_NAME_LOC], want[SKBD_NAME_LOC];

	skbd_names__symbol(n, FUNC_B + 8, a, sizeof(a));
	skbd_names__symbol(n, FUNC_B + 8, b, sizeof(b));
	CU_ASSERT_STRING_EQUAL(a, "func_b+0x8");
	CU_ASSERT_STRING_EQUAL(a, b);
	for (int round = 0; round < 2; round++) {
		for (__u64 addr = FUNC_A; addr < FUNC_A + 0x3000; addr += 3) {
			skbd_ksyms__format(ks, addr, want, sizeof(want));
			skbd_names__symbol(n, addr, a, sizeof(a));
			if (strcmp(a, want)) {
				CU_FAIL("symbol text differs from kallsyms");
				break;
			}
		}
	}
	skbd_names__symbol(n, FUNC_B + 8, a, sizeof(a));
	CU_ASSERT_STRING_EQUAL(a, "func_b+0x8");
	skbd_names__free(n);
	skbd_ksyms__free(ks);
}

static void test_symbol_unknown(void)
{
	struct skbd_names_opts off = { 0 };
	struct skbd_names *n = open_symbols();
	char buf[SKBD_NAME_LOC];

	skbd_names__symbol(n, 0x10, buf, sizeof(buf)); /* below the first symbol */
	CU_ASSERT_STRING_EQUAL(buf, "0x0000000000000010");
	skbd_names__symbol(n, 0xffffffffd0000000ULL, buf, sizeof(buf)); /* far past the last */
	CU_ASSERT_STRING_EQUAL(buf, "0xffffffffd0000000");
	skbd_names__free(n);
	/* symbols off: every address raw, nothing read */
	n = open_names(&off);
	skbd_names__symbol(n, FUNC_A + 0x10, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0xffffffff81001010");
	skbd_names__free(n);
}

/* The CLI's warnings, in its words (its hook adds "skbdrop: ") */
static void test_symbol_warnings(void)
{
	struct skbd_names_opts o = { .symbols = true, .kallsyms_path = SKBD_FIXTURES "/kallsyms/no-such-file" };
	struct skbd_names *n;
	char buf[SKBD_NAME_LOC];

	tu_log_quiet();
	n = open_names(&o);
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	CU_ASSERT_STRING_EQUAL(tu_log_last(), "warning: cannot read /proc/kallsyms: locations are raw addresses");
	skbd_names__symbol(n, FUNC_A, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0xffffffff81001000");
	skbd_names__free(n);

	tu_log_quiet();
	o.kallsyms_path = SKBD_FIXTURES "/kallsyms/bad_address.txt";
	n = open_names(&o); /* kallsyms names the bad line too */
	CU_ASSERT(tu_log_seen("warning: cannot read /proc/kallsyms: locations are raw addresses"));
	skbd_names__free(n);

	tu_log_quiet();
	o.kallsyms_path = SKBD_FIXTURES "/kallsyms/restricted.txt";
	n = open_names(&o);
	CU_ASSERT_EQUAL(tu_log_count(), 1);
	CU_ASSERT_STRING_EQUAL(tu_log_last(),
			       "warning: /proc/kallsyms addresses are hidden (kptr_restrict): locations are raw addresses");
	skbd_names__symbol(n, FUNC_A, buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "0xffffffff81001000");
	skbd_names__free(n);
	tu_log_restore();
}

/* ---- stacks ---- */

/* A fake stack map: id 1 has three frames then a 0, id 2 all 64 frames,
 * id 5 fails with -EIO, other ids below 5000 one frame each. */
struct fake_map {
	unsigned int calls[5000];
	unsigned int total;
};

static int fake_stack_read(void *ctx, __s32 id, __u64 *ips, size_t max)
{
	struct fake_map *m = ctx;

	CU_ASSERT_FATAL(id >= 0 && id < 5000);
	CU_ASSERT_EQUAL(max, SKBD_DROP_STACK_DEPTH);
	m->calls[id]++;
	m->total++;
	switch (id) {
	case 1:
		ips[0] = FUNC_A + 1;
		ips[1] = FUNC_B + 2;
		ips[2] = NFT_DO_CHAIN + 3;
		ips[3] = 0;
		ips[4] = FUNC_A; /* after the end: not a frame */
		return 5;
	case 2:
		for (size_t i = 0; i < max; i++)
			ips[i] = FUNC_A + i;
		return (int)max;
	case 5:
		return -EIO;
	default:
		ips[0] = FUNC_B + (__u64)id;
		return 1;
	}
}

static struct skbd_names *open_stacks(struct fake_map *m)
{
	struct skbd_names_opts o = { .symbols = true, .kallsyms_path = KS_BASIC, .stack_read = fake_stack_read,
				     .stack_ctx = m };

	return open_names(&o);
}

static void drop_stack(struct skbd_names *n, __s32 id, struct skbd_drop_names *dn)
{
	struct skbd_drop d = { .location = FUNC_A, .flags = SKBD_DROP_HAS_STACK, .stack_id = id };

	skbd_names__drop(n, &d, dn);
}

static void test_stack_frames(void)
{
	struct fake_map *m = calloc(1, sizeof(*m));
	struct skbd_names *n = open_stacks(m);
	struct skbd_drop_names dn;

	for (int round = 0; round < 3; round++) {
		drop_stack(n, 1, &dn);
		CU_ASSERT_EQUAL_FATAL(dn.nr_frames, 3);
		CU_ASSERT_STRING_EQUAL(dn.frames[0], "func_a+0x1");
		CU_ASSERT_STRING_EQUAL(dn.frames[1], "func_b+0x2");
		CU_ASSERT_STRING_EQUAL(dn.frames[2], "nft_do_chain+0x3 [nf_tables]");
		CU_ASSERT_STRING_EQUAL(dn.location, "func_a+0x0");
	}
	CU_ASSERT_EQUAL(m->calls[1], 1); /* read once: an id's stack never changes */
	drop_stack(n, 2, &dn);
	CU_ASSERT_EQUAL_FATAL(dn.nr_frames, SKBD_DROP_STACK_DEPTH);
	CU_ASSERT_STRING_EQUAL(dn.frames[63], "func_a+0x3f");
	drop_stack(n, 2, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, SKBD_DROP_STACK_DEPTH);
	CU_ASSERT_EQUAL(m->calls[2], 1);
	skbd_names__free(n);
	free(m);
}

static void test_stack_errors(void)
{
	struct fake_map *m = calloc(1, sizeof(*m));
	struct skbd_names *n = open_stacks(m);
	struct skbd_names_opts none = { 0 };
	struct skbd_drop d = { .flags = 0, .stack_id = 1 };
	struct skbd_drop_names dn;

	/* the kernel's own error: no read */
	drop_stack(n, -EEXIST, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, -EEXIST);
	drop_stack(n, -EFAULT, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, -EFAULT);
	CU_ASSERT_EQUAL(m->total, 0);
	/* a failed read is the error, and is not remembered */
	drop_stack(n, 5, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, -EIO);
	drop_stack(n, 5, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, -EIO);
	CU_ASSERT_EQUAL(m->calls[5], 2);
	/* without SKBD_DROP_HAS_STACK the id means nothing */
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, 0);
	CU_ASSERT_EQUAL(m->calls[1], 0);
	skbd_names__free(n);
	/* no stack map */
	n = open_names(&none);
	drop_stack(n, 1, &dn);
	CU_ASSERT_EQUAL(dn.nr_frames, -ENOENT);
	skbd_names__free(n);
	free(m);
}

/* Thousands of ids: the cache grows and still reads each id once. */
static void test_stack_many(void)
{
	struct fake_map *m = calloc(1, sizeof(*m));
	struct skbd_names *n = open_stacks(m);
	struct skbd_drop_names dn;
	char want[SKBD_NAME_LOC];
	unsigned int bad = 0;

	for (int round = 0; round < 2; round++) {
		for (__s32 id = 10; id < 5000; id++) {
			drop_stack(n, id, &dn);
			skbd_names__symbol(n, FUNC_B + (__u64)id, want, sizeof(want));
			if (dn.nr_frames != 1 || strcmp(dn.frames[0], want) || m->calls[id] != 1)
				bad++;
		}
	}
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(m->total, 4990);
	skbd_names__free(n);
	free(m);
}

/* ---- devices, namespaces, cgroups ---- */

static void test_off_and_flags(void)
{
	struct skbd_names_opts off = { .symbols = true, .kallsyms_path = KS_BASIC };
	struct skbd_names_opts on = { .devices = true, .cgroups = true };
	struct skbd_drop d = { .location = FUNC_A, .ifindex = 1, .netns = self_netns(),
			       .flags = SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_CGROUP, .cgroup_id = 1 };
	struct skbd_drop_key k = { .location = FUNC_B, .ifindex = 1, .netns = d.netns };
	struct skbd_key_names kn;
	struct skbd_drop_names dn;
	struct skbd_names *n = open_names(&off);

	memset(&dn, 0x55, sizeof(dn));
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.location, "func_a+0x0");
	CU_ASSERT_STRING_EQUAL(dn.dev, "");
	CU_ASSERT_STRING_EQUAL(dn.netns, "");
	CU_ASSERT_PTR_NULL(dn.cgroup);
	CU_ASSERT_EQUAL(dn.nr_frames, 0);
	memset(&kn, 0x55, sizeof(kn));
	skbd_names__key(n, &k, &kn);
	CU_ASSERT_STRING_EQUAL(kn.location, "func_b+0x0");
	CU_ASSERT_STRING_EQUAL(kn.dev, "");
	CU_ASSERT_STRING_EQUAL(kn.netns, "");
	skbd_names__refresh(n); /* nothing to refresh */
	skbd_names__free(n);

	/* on, but the drop does not carry what they need */
	tu_log_quiet();
	n = open_names(&on);
	tu_log_restore();
	d.flags = SKBD_DROP_HAS_CTX; /* no cgroup id read */
	d.ifindex = 0;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.location, "0xffffffff81001000");
	CU_ASSERT_STRING_EQUAL(dn.dev, "");
	CU_ASSERT_PTR_NULL(dn.cgroup);
	d.ifindex = 1;
	d.netns = 0; /* a device is named only within a known namespace */
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.dev, "");
	CU_ASSERT_STRING_EQUAL(dn.netns, "");
	skbd_names__free(n);
	skbd_names__free(NULL);
	CU_ASSERT_EQUAL(skbd_names__new(NULL, &n), -EINVAL);
}

/* Our own namespace's loopback, now and at a time; a key row the same way */
static void test_key_and_loopback(void)
{
	struct skbd_names_opts o = { .symbols = true, .kallsyms_path = KS_BASIC, .devices = true };
	struct skbd_drop d = { .location = FUNC_A, .ifindex = 1, .netns = self_netns(), .ts_ns = 1,
			       .flags = SKBD_DROP_HAS_CTX };
	struct skbd_drop_key k = { .location = FUNC_B + 4, .ifindex = 1, .netns = d.netns };
	struct skbd_key_names kn;
	struct skbd_drop_names dn;
	struct skbd_names *n = open_names(&o);

	skbd_names__refresh(n);
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.dev, "lo");
	skbd_names__key(n, &k, &kn);
	CU_ASSERT_STRING_EQUAL(kn.location, "func_b+0x4");
	CU_ASSERT_STRING_EQUAL(kn.dev, "lo");
	/* no such device: the ifindex is printed instead */
	k.ifindex = 0x7ffffff0;
	skbd_names__key(n, &k, &kn);
	CU_ASSERT_STRING_EQUAL(kn.dev, "");
	skbd_names__refresh(n);
	skbd_names__free(n);
}

/* The cgroup2 root is "/", our own cgroup its path from /proc/self/cgroup */
static void test_cgroup_paths(void)
{
	static const char *const mounts[] = { "/sys/fs/cgroup", "/sys/fs/cgroup/unified" };
	struct skbd_names_opts o = { .cgroups = true };
	struct skbd_drop d = { .flags = SKBD_DROP_HAS_CGROUP };
	struct skbd_drop_names dn;
	const char *root = NULL;
	char line[4096], dir[8192];
	struct skbd_names *n;
	struct statfs sfs;
	struct stat st;
	FILE *f;

	for (size_t i = 0; i < 2 && !root; i++)
		if (statfs(mounts[i], &sfs) == 0 && sfs.f_type == 0x63677270)
			root = mounts[i];
	tu_log_quiet();
	n = open_names(&o);
	if (!root) {
		CU_ASSERT(tu_log_seen("warning: cgroup paths unavailable"));
		tu_log_restore();
		skbd_names__free(n);
		skip("cgroup paths", "no cgroup2 mount");
		return;
	}
	CU_ASSERT_EQUAL(tu_log_count(), 0);
	tu_log_restore();
	CU_ASSERT_EQUAL_FATAL(stat(root, &st), 0);
	d.cgroup_id = st.st_ino;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dn.cgroup);
	CU_ASSERT_STRING_EQUAL(dn.cgroup, "/");
	f = fopen("/proc/self/cgroup", "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, "0::", 3))
			continue;
		line[strcspn(line, "\n")] = '\0';
		snprintf(dir, sizeof(dir), "%s%s", root, line + 3);
		if (stat(dir, &st) == 0) {
			d.cgroup_id = st.st_ino;
			skbd_names__drop(n, &d, &dn);
			CU_ASSERT_PTR_NOT_NULL(dn.cgroup);
			if (dn.cgroup)
				CU_ASSERT_STRING_EQUAL(dn.cgroup, line + 3);
		}
	}
	fclose(f);
	d.cgroup_id = 0xfffffffffffffffULL; /* no such cgroup */
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_PTR_NULL(dn.cgroup);
	skbd_names__free(n);
}

/* ---- namespace helpers ---- */

static void test_netns_parse_errors(void)
{
	char path[256], err[512];
	__u32 ino = 0;

	CU_ASSERT_EQUAL(skbd_netns__parse("/proc/self/ns/mnt", &ino, path, sizeof(path), err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--netns /proc/self/ns/mnt: not a network namespace");
	CU_ASSERT_STRING_EQUAL(path, "");
	CU_ASSERT_EQUAL(skbd_netns__parse("/etc/hostname", &ino, path, sizeof(path), err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(skbd_netns__parse("skbd-no-such-ns", &ino, path, sizeof(path), err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "--netns skbd-no-such-ns: No such file or directory");
	CU_ASSERT_EQUAL(skbd_netns__parse("4294967295", &ino, path, sizeof(path), err, sizeof(err)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err, "--netns 4294967295: no network namespace with this inode (none under /run/netns or /proc/*/ns/net)");
	CU_ASSERT_EQUAL(ino, 0);
	CU_ASSERT_EQUAL(skbd_netns__inode("/proc/self/ns/uts", &ino), -EINVAL);
	CU_ASSERT_EQUAL(skbd_netns__inode("/nonexistent", &ino), -ENOENT);
	CU_ASSERT_EQUAL(ino, 0);
}

/* Our own namespace: by path, by inode (found under /proc), its loopback */
static void test_netns_self(void)
{
	__u32 self = self_netns(), ino = 0, ifx = 0;
	char path[256], err[512], spec[32];

	CU_ASSERT_EQUAL(skbd_netns__inode("/proc/self/ns/net", &ino), 0);
	CU_ASSERT_EQUAL(ino, self);
	CU_ASSERT_EQUAL(skbd_netns__parse("/proc/self/ns/net", &ino, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ino, self);
	CU_ASSERT_STRING_EQUAL(path, "/proc/self/ns/net");
	snprintf(spec, sizeof(spec), "%u", self);
	ino = 0;
	CU_ASSERT_EQUAL(skbd_netns__parse(spec, &ino, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ino, self);
	ino = 0;
	CU_ASSERT_EQUAL(skbd_netns__inode(path, &ino), 0); /* /run/netns/x or /proc/PID/ns/net */
	CU_ASSERT_EQUAL(ino, self);
	CU_ASSERT_EQUAL(skbd_netns__find(self, path, sizeof(path)), 0);
	CU_ASSERT_EQUAL(skbd_netns__find(0xffffffffu, path, sizeof(path)), -ENOENT);
	CU_ASSERT_STRING_EQUAL(path, "");
	CU_ASSERT_EQUAL(skbd_netns__ifindex(NULL, "lo", &ifx), 0);
	CU_ASSERT_EQUAL(ifx, 1);
	if (geteuid() == 0) { /* setns() wants CAP_SYS_ADMIN, even into our own */
		ifx = 0;
		CU_ASSERT_EQUAL(skbd_netns__ifindex("/proc/self/ns/net", "lo", &ifx), 0); /* the helper thread */
		CU_ASSERT_EQUAL(ifx, 1);
	} else {
		skip("netns self: helper thread", "not root");
	}
	CU_ASSERT_EQUAL(skbd_netns__ifindex("", "skbd-nodev0", &ifx), -ENODEV);
	CU_ASSERT_EQUAL(skbd_netns__ifindex(NULL, "a-name-too-long-for-a-device", &ifx), -ENAMETOOLONG);
	CU_ASSERT_EQUAL(skbd_netns__ifindex("/nonexistent", "lo", &ifx), -ENOENT);
	CU_ASSERT_EQUAL(ifx, 1);
}

static int in_ns_ifindex(void *arg)
{
	unsigned int *ifx = arg;

	*ifx = if_nametoindex("skbdut0");
	return *ifx ? 0 : -ENODEV;
}

/* A namespace of our own (root): --netns by name, inode and path, devices
 * looked up in it, a drop there named, the run helper's inode check. */
static void test_netns_named(void)
{
	struct skbd_names_opts o = { .devices = true };
	char name[64], named[128], path[256], err[512], spec[32];
	__u32 ino = 0, ifx = 0, self = self_netns();
	unsigned int in_ifx = 0;
	struct skbd_drop_names dn;
	struct skbd_drop d = { .flags = SKBD_DROP_HAS_CTX };
	struct skbd_names *n;
	struct stat st;

	if (geteuid() != 0) {
		skip("named netns", "not root");
		return;
	}
	snprintf(name, sizeof(name), "skbdut-names-%d", (int)getpid());
	snprintf(named, sizeof(named), "/run/netns/%s", name);
	if (tu_run("ip netns add %s", name)) {
		skip("named netns", "ip netns add failed");
		return;
	}
	if (tu_run("ip -n %s link add skbdut0 type bridge", name)) {
		CU_FAIL("ip link add skbdut0 in the test netns");
		goto del_ns;
	}
	CU_ASSERT_EQUAL_FATAL(stat(named, &st), 0);

	CU_ASSERT_EQUAL(skbd_netns__parse(name, &ino, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ino, (__u32)st.st_ino);
	CU_ASSERT_STRING_EQUAL(path, named);
	snprintf(spec, sizeof(spec), "%u", (__u32)st.st_ino);
	ino = 0;
	CU_ASSERT_EQUAL(skbd_netns__parse(spec, &ino, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ino, (__u32)st.st_ino);
	CU_ASSERT_STRING_EQUAL(path, named); /* /run/netns before /proc */
	ino = 0;
	CU_ASSERT_EQUAL(skbd_netns__parse(named, &ino, path, sizeof(path), err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(ino, (__u32)st.st_ino);

	CU_ASSERT_EQUAL(skbd_netns__ifindex(named, "skbdut0", &ifx), 0);
	CU_ASSERT(ifx > 0);
	CU_ASSERT_EQUAL(skbd_netns__ifindex(NULL, "skbdut0", &ino), -ENODEV); /* not in ours */
	CU_ASSERT_EQUAL(skbd_netns__ifindex(named, "skbd-nodev0", &ino), -ENODEV);
	CU_ASSERT_EQUAL(skbd_netns__run(named, (__u32)st.st_ino, in_ns_ifindex, &in_ifx), 0);
	CU_ASSERT_EQUAL(in_ifx, ifx);
	CU_ASSERT_EQUAL(skbd_netns__run(named, self, in_ns_ifindex, &in_ifx), -ESTALE);
	/* the caller's thread stayed in its namespace */
	CU_ASSERT_EQUAL(self_netns(), self);

	n = open_names(&o);
	d.netns = (__u32)st.st_ino;
	d.ifindex = ifx;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.dev, "skbdut0");
	CU_ASSERT_STRING_EQUAL(dn.netns, name);
	d.ifindex = ifx + 100; /* no such device there */
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_STRING_EQUAL(dn.dev, "");
	CU_ASSERT_STRING_EQUAL(dn.netns, name);
	skbd_names__free(n);
del_ns:
	CU_ASSERT_EQUAL(tu_run("ip netns del %s", name), 0);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	CU_ASSERT_FATAL(f != NULL);
	fputs(text, f);
	CU_ASSERT_EQUAL(fclose(f), 0);
}

/* A module loaded after start: its address reads as hex (not cached), and as
 * its symbol once the table was re-read (at most once a second). */
static void test_symbol_late_module(void)
{
	char dir[] = "/tmp/skbd-names-XXXXXX", ks[64], mods[64];
	struct skbd_names_opts o = { .symbols = true };
	const __u64 addr = 0xffffffffc0b00010ULL;
	struct skbd_names *n;
	char text[SKBD_NAME_LOC];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(ks, sizeof(ks), "%s/kallsyms", dir);
	snprintf(mods, sizeof(mods), "%s/modules", dir);
	write_text(ks, "ffffffff81000000 T _stext\nffffffff81001000 T func_a\nffffffff81100000 T _etext\n");
	write_text(mods, "");
	o.kallsyms_path = ks;
	o.modules_path = mods;
	tu_log_quiet();
	n = open_names(&o);
	skbd_names__symbol(n, addr, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "0xffffffffc0b00010");
	write_text(ks, "ffffffff81000000 T _stext\nffffffff81001000 T func_a\nffffffff81100000 T _etext\n"
		       "ffffffffc0b00000 t br_handle_frame\t[bridge]\n");
	write_text(mods, "bridge 311296 0 - Live 0xffffffffc0b00000\n");
	usleep(1100 * 1000); /* past the re-read limit */
	skbd_names__symbol(n, addr, text, sizeof(text));
	CU_ASSERT_STRING_EQUAL(text, "br_handle_frame+0x10 [bridge]");
	skbd_names__free(n);
	tu_log_restore();
	unlink(ks);
	unlink(mods);
	rmdir(dir);
}


/* ---- socket owners ---- */

static void test_container_ids(void)
{
	static const char id[] = "3f4c0e9b2a1d8c7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e";
	static const char pod[] = "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d";
	static const struct {
		const char *path, *id, *pod;
	} cases[] = {
		{ "/system.slice/docker-%s.scope", id, "" },
		{ "/docker/%s", id, "" },
		{ "/system.slice/containerd-%s.scope", id, "" },
		{ "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/cri-containerd-%s.scope",
		  id, pod },
		{ "/kubepods/besteffort/pod0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d/%s", id, pod },
		{ "/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice/crio-%s.scope", id, pod },
		{ "/kubepods.slice/kubepods-pod0a1b2c3d_4e5f_6a7b_8c9d_0e1f2a3b4c5d.slice", "", pod },
		{ "/machine.slice/libpod-%s.scope/container", id, "" },
		{ "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-%s.scope", id, "" },
		/* not a container: helpers, short or upper-case ids, plain services */
		{ "/machine.slice/libpod-conmon-%s.scope", "", "" },
		{ "/system.slice/crio-conmon-%s.scope", "", "" },
		{ "/system.slice/docker-3f4c0e9b.scope", "", "" },
		{ "/system.slice/docker-3F4C0E9B2A1D8C7E6F5A4B3C2D1E0F9A8B7C6D5E4F3A2B1C0D9E8F7A6B5C4D3E.scope", "", "" },
		{ "/system.slice/ssh.service", "", "" },
		{ "/", "", "" },
		{ "", "", "" },
		{ "/kubepods.slice/x-pod0a1b.slice", "", "" },
	};
	char path[512], got[SKBD_NAME_CONTAINER], gpod[SKBD_NAME_POD];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *at = strstr(cases[i].path, "%s");

		if (at)
			snprintf(path, sizeof(path), "%.*s%s%s", (int)(at - cases[i].path), cases[i].path, id, at + 2);
		else
			snprintf(path, sizeof(path), "%s", cases[i].path);
		memset(got, 'x', sizeof(got));
		memset(gpod, 'x', sizeof(gpod));
		skbd_names__container(path, got, gpod);
		CU_ASSERT_STRING_EQUAL(got, cases[i].id);
		CU_ASSERT_STRING_EQUAL(gpod, cases[i].pod);
		if (strcmp(got, cases[i].id) || strcmp(gpod, cases[i].pod))
			fprintf(stderr, "\ncontainer of %s: '%s' pod '%s'\n", path, got, gpod);
	}
	skbd_names__container(NULL, got, gpod);
	CU_ASSERT_STRING_EQUAL(got, "");
}

/* A fake /proc: PID/comm and PID/fd/N links that read "socket:[INO]" (or not) */
static void fake_proc(const char *root, unsigned int pid, const char *comm, const char *const *links, size_t n)
{
	char p[512], q[560];

	snprintf(p, sizeof(p), "%s/%u", root, pid);
	mkdir(p, 0755);
	snprintf(q, sizeof(q), "%s/comm", p);
	write_text(q, comm);
	snprintf(q, sizeof(q), "%s/fd", p);
	mkdir(q, 0755);
	for (size_t i = 0; i < n; i++) {
		snprintf(q, sizeof(q), "%s/fd/%zu", p, i);
		unlink(q);
		CU_ASSERT_EQUAL(symlink(links[i], q), 0);
	}
}

static void rm_tree(const char *root)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	CU_ASSERT_EQUAL(system(cmd), 0);
}

static void test_owner_lookup(void)
{
	char root[] = "/tmp/skbd-proc-XXXXXX";
	static const char *const a[] = { "socket:[1001]", "/dev/null", "pipe:[77]", "socket:[1002]", "socket:[x]",
					 "socket:[]", "socket:[99999999999999999999999]" };
	static const char *const b[] = { "socket:[1002]", "socket:[2001]" }; /* 1002 shared: the first found keeps it */
	struct skbd_names_opts o = { .owners = true };
	struct skbd_drop d = { .flags = SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_OWNER, .sk_ino = 1001, .sk_uid = 7,
			       .sk_flags = SKBD_SK_UID };
	const struct skbd_owner_scan_stats *st;
	struct skbd_drop_names dn;
	struct skbd_names *n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	fake_proc(root, 100, "nginx\n", a, sizeof(a) / sizeof(a[0]));
	fake_proc(root, 200, "worker-with-a-long-name\n", b, 2);
	mkdir(strcat(strcpy((char[600]){ 0 }, root), "/self"), 0755); /* not a pid */
	o.proc_path = root;
	tu_log_quiet();
	n = open_names(&o);
	tu_log_restore();
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_TRUE(dn.owner.known);
	CU_ASSERT_EQUAL(dn.owner.pid, 100);
	CU_ASSERT_STRING_EQUAL(dn.owner.comm, "nginx");
	st = skbd_names__owner_stats(n);
	CU_ASSERT_PTR_NOT_NULL_FATAL(st);
	CU_ASSERT_EQUAL(st->scans, 1);
	CU_ASSERT_EQUAL(st->last_procs, 2);
	CU_ASSERT_EQUAL(st->last_fds, 9);
	d.sk_ino = 1002;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_EQUAL(dn.owner.pid, 100);
	d.sk_ino = 2001;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_EQUAL(dn.owner.pid, 200);
	CU_ASSERT_STRING_EQUAL(dn.owner.comm, "worker-with-a-l"); /* comm is 15 bytes plus NUL in the kernel */
	CU_ASSERT_EQUAL(st->scans, 1); /* hits: no scan */

	/* a miss scans again, at most once a second */
	d.sk_ino = 3001;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_FALSE(dn.owner.known);
	CU_ASSERT_EQUAL(st->scans, 1);
	{
		static const char *const c[] = { "socket:[3001]" };

		fake_proc(root, 300, "late", c, 1);
	}
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_FALSE(dn.owner.known); /* within the second */
	usleep(1050 * 1000);
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_TRUE(dn.owner.known);
	CU_ASSERT_EQUAL(dn.owner.pid, 300);
	CU_ASSERT_EQUAL(st->scans, 2);

	/* the process exits: its sockets keep their last known owner */
	rm_tree(root);
	usleep(1050 * 1000);
	d.sk_ino = 4242; /* a miss: scans an empty /proc */
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_FALSE(dn.owner.known);
	d.sk_ino = 1001;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_TRUE(dn.owner.known);
	CU_ASSERT_EQUAL(dn.owner.pid, 100);

	/* --by owner: rows of one process share a key; the first answer sticks */
	CU_ASSERT_EQUAL(skbd_names__owner_key(n, 1001), 1ULL << 63 | 100);
	CU_ASSERT_EQUAL(skbd_names__owner_key(n, 1002), 1ULL << 63 | 100);
	CU_ASSERT_EQUAL(skbd_names__owner_key(n, 5555), 5555);
	CU_ASSERT_EQUAL(skbd_names__owner_key(n, 0), 0);
	{
		struct skbd_drop_key k = { .sk_ino = 1ULL << 63 | 100 };
		struct skbd_key_names kn;

		skbd_names__key(n, &k, &kn);
		CU_ASSERT_EQUAL(kn.owner_pid, 100);
		CU_ASSERT_STRING_EQUAL(kn.owner_comm, "nginx");
		CU_ASSERT_EQUAL(kn.owner_ino, 0);
		k.sk_ino = 5555;
		skbd_names__key(n, &k, &kn);
		CU_ASSERT_EQUAL(kn.owner_pid, 0);
		CU_ASSERT_EQUAL(kn.owner_ino, 5555);
	}
	/* no owner in the drop: nothing named */
	d.flags = SKBD_DROP_HAS_CTX;
	skbd_names__drop(n, &d, &dn);
	CU_ASSERT_FALSE(dn.owner.known);
	CU_ASSERT_PTR_NULL(dn.owner.cgroup);
	skbd_names__free(n);
}

static void count_ino(void *ctx, __u64 ino)
{
	__u64 *sum = ctx;

	*sum += ino;
}

static void test_pid_sockets(void)
{
	char root[] = "/tmp/skbd-proc-XXXXXX";
	static const char *const a[] = { "socket:[10]", "anon_inode:[eventfd]", "socket:[32]" };
	__u64 sum = 0;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(root));
	fake_proc(root, 42, "x", a, 3);
	CU_ASSERT_EQUAL(skbd_names__pid_sockets(root, 42, count_ino, &sum), 0);
	CU_ASSERT_EQUAL(sum, 42);
	CU_ASSERT_EQUAL(skbd_names__pid_sockets(root, 43, count_ino, &sum), -ENOENT);
	rm_tree(root);
	/* the real one: our own sockets */
	sum = 0;
	CU_ASSERT_EQUAL(skbd_names__pid_sockets(NULL, (unsigned int)getpid(), count_ino, &sum), 0);
}


/* A drop whose packet went to one of our sockets: sock_diag finds it by the
 * packet's addresses (kernels before 6.11) */
static void put_ipv4_l4(struct skbd_drop *d, __u8 proto, __u16 sport, __u16 dport)
{
	__u8 *p = d->data;

	memset(p, 0, 60);
	p[0] = 0x45;
	p[3] = 40;
	p[8] = 64;
	p[9] = proto;
	p[12] = 127; p[15] = 1; /* 127.0.0.1 > 127.0.0.1 */
	p[16] = 127; p[19] = 1;
	p[20] = (__u8)(sport >> 8); p[21] = (__u8)sport;
	p[22] = (__u8)(dport >> 8); p[23] = (__u8)dport;
	if (proto == 17) {
		p[25] = 8;
	} else {
		p[32] = 0x50; /* data offset 5 */
		p[33] = 0x10; /* ACK */
	}
	d->caplen = 40;
	d->net_off = 0;
	d->protocol = 0x0800;
	d->flags = SKBD_DROP_HAS_CTX | SKBD_DROP_HAS_REASON;
	d->netns = self_netns();
}

static int bound_socket(int type, __u16 *port, unsigned long *ino)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct stat st;
	int fd = socket(AF_INET, type | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL_FATAL(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	if (type == SOCK_STREAM)
		CU_ASSERT_EQUAL_FATAL(listen(fd, 3), 0);
	CU_ASSERT_EQUAL_FATAL(getsockname(fd, (struct sockaddr *)&a, &al), 0);
	CU_ASSERT_EQUAL_FATAL(fstat(fd, &st), 0);
	*port = ntohs(a.sin_port);
	*ino = (unsigned long)st.st_ino;
	return fd;
}

static void test_owner_by_address(void)
{
	struct skbd_names_opts o = { .owners = true, .owner_lookup = true, .owner_lookup_skip_reason = 3 };
	struct skbd_drop *d = calloc(1, sizeof(*d));
	const struct skbd_drop *c;
	struct skbd_drop_names dn;
	unsigned long uino, tino;
	__u16 uport, tport;
	int u, t;
	struct skbd_names *n;

	CU_ASSERT_PTR_NOT_NULL_FATAL(d);
	u = bound_socket(SOCK_DGRAM, &uport, &uino);
	t = bound_socket(SOCK_STREAM, &tport, &tino);
	tu_log_quiet();
	n = open_names(&o);
	tu_log_restore();

	put_ipv4_l4(d, 17, 40000, uport);
	d->reason = 6;
	c = skbd_names__complete(n, d);
	CU_ASSERT_PTR_NOT_EQUAL(c, d);
	CU_ASSERT_TRUE(c->flags & SKBD_DROP_HAS_OWNER);
	CU_ASSERT_EQUAL(c->sk_src, SKBD_SK_SRC_LOOKUP);
	CU_ASSERT_EQUAL(c->sk_ino, uino);
	CU_ASSERT_EQUAL(c->sk_uid, getuid());
	CU_ASSERT_EQUAL(c->sk_lport, uport);
	CU_ASSERT_EQUAL(c->sk_proto, 17);
	CU_ASSERT_TRUE(c->sk_flags & SKBD_SK_QUEUE);
	CU_ASSERT_TRUE(c->sk_rcvbuf > 0);
	CU_ASSERT_EQUAL(c->caplen, d->caplen);
	skbd_names__drop(n, c, &dn);
	CU_ASSERT_TRUE(dn.owner.known);
	CU_ASSERT_EQUAL(dn.owner.pid, (__u32)getpid());

	/* a drop without a namespace (before 6.11 UDP reuses skb->dev): every
	 * namespace is asked; ours is the only one with this socket */
	put_ipv4_l4(d, 17, 40002, uport);
	d->reason = 6;
	d->netns = 0;
	c = skbd_names__complete(n, d);
	CU_ASSERT_EQUAL(c->sk_ino, uino);
	CU_ASSERT_EQUAL(c->sk_netns, self_netns());

		/* TCP: the listener, with its accept queue and backlog */
	put_ipv4_l4(d, 6, 40001, tport);
	c = skbd_names__complete(n, d);
	CU_ASSERT_EQUAL(c->sk_ino, tino);
	CU_ASSERT_TRUE(c->sk_flags & SKBD_SK_LISTEN);
	CU_ASSERT_EQUAL(c->sk_max_ack_backlog, 3);

	/* nothing there: no owner; NO_SOCKET, a drop with one, or no packet: not looked up */
	put_ipv4_l4(d, 17, 40000, 9);
	CU_ASSERT_PTR_EQUAL(skbd_names__complete(n, d), d);
	put_ipv4_l4(d, 17, 40000, uport);
	d->reason = 3;
	CU_ASSERT_PTR_EQUAL(skbd_names__complete(n, d), d);
	d->reason = 6;
	d->flags |= SKBD_DROP_HAS_OWNER;
	CU_ASSERT_PTR_EQUAL(skbd_names__complete(n, d), d);
	d->flags &= (__u16)~SKBD_DROP_HAS_OWNER;
	d->caplen = 0;
	CU_ASSERT_PTR_EQUAL(skbd_names__complete(n, d), d);
	skbd_names__free(n);
	close(u);
	close(t);
	free(d);
}

CU_TestInfo skbd_tests_names[] = {
	{ "symbol of a module loaded after start", test_symbol_late_module },
	{ "symbol from a kallsyms fixture", test_symbol_fixture },
	{ "symbol cache", test_symbol_cache },
	{ "unknown address", test_symbol_unknown },
	{ "kallsyms warnings", test_symbol_warnings },
	{ "stack frames read once", test_stack_frames },
	{ "stack errors", test_stack_errors },
	{ "many stack ids", test_stack_many },
	{ "options off, flags absent", test_off_and_flags },
	{ "key and loopback", test_key_and_loopback },
	{ "cgroup paths", test_cgroup_paths },
	{ "netns parse errors", test_netns_parse_errors },
	{ "netns self", test_netns_self },
	{ "named netns (root)", test_netns_named },
	{ "container ids from cgroup paths", test_container_ids },
	{ "socket owners from /proc", test_owner_lookup },
	{ "a process's sockets", test_pid_sockets },
	{ "owner found by the packet's addresses", test_owner_by_address },
	CU_TEST_INFO_NULL,
};
