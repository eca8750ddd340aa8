// SPDX-License-Identifier: GPL-2.0-only
/* -Z: the user from a passwd file, the capability names, and (as root, in a
 * child) the drop itself: ids, capabilities, bounding set, no_new_privs. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <CUnit/CUnit.h>
#include <skbdrop/priv.h>
#include <skbdrop/sys.h>
#include "testutil.h"

#define PASSWD SKBD_FIXTURES "/passwd/basic"

static int user(const char *spec, const char *path, struct skbd_user *u)
{
	char err[256] = "";
	int e;

	memset(u, 0xa5, sizeof(*u));
	e = skbd_priv__user(spec, path, u, err, sizeof(err));
	CU_ASSERT(!e || (err[0] && !strchr(err, '\n')));
	return e;
}

static void test_user_by_name(void)
{
	struct skbd_user u;

	CU_ASSERT_EQUAL_FATAL(user("svc", PASSWD, &u), 0);
	CU_ASSERT_EQUAL(u.uid, 990);
	CU_ASSERT_EQUAL(u.gid, 985);
	CU_ASSERT_STRING_EQUAL(u.name, "svc");
	CU_ASSERT_EQUAL_FATAL(user("root", PASSWD, &u), 0);
	CU_ASSERT_EQUAL(u.uid, 0);
	CU_ASSERT_EQUAL(u.gid, 0);
	/* a prefix of a name is not the name */
	CU_ASSERT_EQUAL(user("sv", PASSWD, &u), -ENOENT);
	CU_ASSERT_EQUAL(user("svcdu", PASSWD, &u), -ENOENT);
	/* the last line has no newline */
	CU_ASSERT_EQUAL_FATAL(user("last", SKBD_FIXTURES "/passwd/nonl", &u), 0);
	CU_ASSERT_EQUAL(u.uid, 4242);
	CU_ASSERT_EQUAL(u.gid, 4343);
}

static void test_user_by_uid(void)
{
	struct skbd_user u;

	/* the first entry with that uid names it */
	CU_ASSERT_EQUAL_FATAL(user("990", PASSWD, &u), 0);
	CU_ASSERT_STRING_EQUAL(u.name, "svc");
	CU_ASSERT_EQUAL(u.gid, 985);
	/* no entry: the number for both ids */
	CU_ASSERT_EQUAL_FATAL(user("31337", PASSWD, &u), 0);
	CU_ASSERT_EQUAL(u.uid, 31337);
	CU_ASSERT_EQUAL(u.gid, 31337);
	CU_ASSERT_STRING_EQUAL(u.name, "31337");
	/* -1 means "unchanged" to setresuid: never a user */
	CU_ASSERT_EQUAL(user("4294967295", PASSWD, &u), -ENOENT);
	CU_ASSERT_EQUAL(user("99999999999", PASSWD, &u), -ENOENT);
}

static void test_user_malformed(void)
{
	struct skbd_user u;

	/* lines with a bad uid, no gid, no name or a name too long are skipped */
	CU_ASSERT_EQUAL(user("baduid", PASSWD, &u), -ENOENT);
	CU_ASSERT_EQUAL(user("bigid", PASSWD, &u), -ENOENT);
	CU_ASSERT_EQUAL(user("nogid", PASSWD, &u), -ENOENT);
	CU_ASSERT_EQUAL(user("broken", PASSWD, &u), -ENOENT);
	CU_ASSERT_EQUAL(user("78", PASSWD, &u), 0); /* the nameless line is not the uid's entry */
	CU_ASSERT_STRING_EQUAL(u.name, "78");
	/* what cannot be a name at all */
	CU_ASSERT_EQUAL(user("", PASSWD, &u), -EINVAL);
	CU_ASSERT_EQUAL(user("a:b", PASSWD, &u), -EINVAL);
	CU_ASSERT_EQUAL(user("a\nroot", PASSWD, &u), -EINVAL);
	CU_ASSERT_EQUAL(user("waytoolongnamewaytoolongnamewaytoolongnamewaytoolongnamewaytoolongname", PASSWD, &u),
			-EINVAL);
}

static void test_user_nobody_fallback(void)
{
	struct skbd_user u;

	/* no passwd file, or nobody not in it: the kernel's overflow ids */
	CU_ASSERT_EQUAL_FATAL(user("nobody", SKBD_FIXTURES "/passwd/does-not-exist", &u), 0);
	CU_ASSERT_EQUAL(u.uid, 65534);
	CU_ASSERT_EQUAL(u.gid, 65534);
	CU_ASSERT_STRING_EQUAL(u.name, "nobody");
	CU_ASSERT_EQUAL_FATAL(user("nobody", PASSWD, &u), 0);
	CU_ASSERT_EQUAL(u.uid, 65534);
	CU_ASSERT_EQUAL(user("daemon2", SKBD_FIXTURES "/passwd/does-not-exist", &u), -ENOENT);
	/* a directory is not a passwd file */
	CU_ASSERT_EQUAL(user("svc", SKBD_FIXTURES "/passwd", &u), -EISDIR);
}

static void test_caps_str(void)
{
	char buf[256];

	CU_ASSERT_TRUE(skbd_priv__caps_str(skbd_priv__keep_default(), buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "CAP_DAC_READ_SEARCH,CAP_SYS_PTRACE,CAP_SYS_ADMIN,CAP_SYSLOG,CAP_BPF");
	CU_ASSERT_EQUAL(skbd_priv__caps_str(0, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "");
	CU_ASSERT_TRUE(skbd_priv__caps_str(1ULL << CAP_NET_ADMIN | 1ULL << 63, buf, sizeof(buf)) > 0);
	CU_ASSERT_STRING_EQUAL(buf, "cap12,cap63");
	CU_ASSERT_EQUAL(skbd_priv__caps_str(skbd_priv__keep_default(), buf, 10), -ENOSPC);
}

/* In a child, so the test runner keeps root: drop, then report what a
 * process then can and cannot do through the exit status (0: all as
 * expected, else the number of the first check that failed). */
static int child_drop(void)
{
	struct skbd_user u = { .uid = 65534, .gid = 65534, .name = "nobody" };
	__u64 keep = skbd_priv__keep_default(), eff, perm;
	char err[256];
	uid_t r, e, s;

	if (skbd_priv__drop(&u, keep, err, sizeof(err)))
		return 1;
	if (getresuid(&r, &e, &s) || r != 65534 || e != 65534 || s != 65534)
		return 2;
	if (skbd_capget(&eff, &perm) || eff != keep || perm != keep)
		return 3;
	if (prctl(PR_CAPBSET_READ, CAP_NET_ADMIN, 0, 0, 0) != 0 || prctl(PR_CAPBSET_READ, CAP_SYS_ADMIN, 0, 0, 0) != 1)
		return 4;
	if (prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) != 1)
		return 5;
	if (setresuid(0, 0, 0) == 0 || getgid() != 65534 || getegid() != 65534)
		return 6; /* CAP_SETUID went with the rest */
	if (access("/etc/shadow", R_OK) == 0)
		return 7; /* no CAP_DAC_OVERRIDE */
	if (getgroups(0, NULL) != 1)
		return 8;
	return 0;
}

static void *idle(void *arg)
{
	pause();
	return arg;
}

static int child_threads(void)
{
	struct skbd_user u = { .uid = 65534, .gid = 65534, .name = "nobody" };
	char err[256] = "";
	pthread_t th;

	if (pthread_create(&th, NULL, idle, NULL))
		return 1;
	if (skbd_priv__drop(&u, skbd_priv__keep_default(), err, sizeof(err)) != -EBUSY || !strstr(err, "thread"))
		return 2;
	return getuid() == 0 ? 0 : 3; /* nothing changed */
}

static int in_child(int (*fn)(void))
{
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(fn());
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st))
		return -1;
	return WEXITSTATUS(st);
}

static void test_drop_as_root(void)
{
	if (geteuid() != 0) {
		tu_skip("not root: cannot change user");
		return;
	}
	CU_ASSERT_EQUAL(in_child(child_drop), 0);
	CU_ASSERT_EQUAL(in_child(child_threads), 0);
}

CU_TestInfo skbd_tests_priv[] = {
	{ "user by name", test_user_by_name },
	{ "user by uid", test_user_by_uid },
	{ "malformed passwd lines", test_user_malformed },
	{ "nobody without an entry", test_user_nobody_fallback },
	{ "capability names", test_caps_str },
	{ "drop (root, in a child)", test_drop_as_root },
	CU_TEST_INFO_NULL,
};
