// SPDX-License-Identifier: GPL-2.0-only
/* Start-up jobs: each runs exactly once, on its thread or on the caller's,
 * with the caller's CPUs once running, and finish is idempotent. */
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <CUnit/CUnit.h>
#include <skbdrop/job.h>
#include "testutil.h"

struct probe {
	int runs;
	pid_t tid;
	cpu_set_t cpus;
	bool cpus_ok;
};

static void probe_run(void *arg)
{
	struct probe *p = arg;

	__atomic_add_fetch(&p->runs, 1, __ATOMIC_SEQ_CST);
	p->tid = (pid_t)syscall(SYS_gettid);
	p->cpus_ok = !sched_getaffinity(0, sizeof(p->cpus), &p->cpus);
}

static void test_once(void)
{
	enum { N = 64 };
	static struct skbd_job jobs[N];
	static struct probe probes[N];
	pid_t me = (pid_t)syscall(SYS_gettid);
	cpu_set_t mine;
	int here = 0;

	memset(jobs, 0, sizeof(jobs));
	memset(probes, 0, sizeof(probes));
	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(mine), &mine), 0);
	/* finished at once: the caller and the thread race to claim each */
	for (int i = 0; i < N; i++)
		skbd_job__start(&jobs[i], probe_run, &probes[i]);
	for (int i = 0; i < N; i++) {
		skbd_job__finish(&jobs[i]);
		skbd_job__finish(&jobs[i]); /* again: nothing */
		CU_ASSERT_EQUAL(probes[i].runs, 1);
		CU_ASSERT_FALSE(jobs[i].pending);
		CU_ASSERT_TRUE(probes[i].cpus_ok);
		/* on its thread, after its placement, it may use every CPU its caller may */
		CU_ASSERT_TRUE(CPU_EQUAL(&probes[i].cpus, &mine));
		here += probes[i].tid == me;
	}
	printf(" (%d of %d run by the caller)", here, N);
}

/* A caller allowed one CPU only: the thread is not narrowed (there is no
 * other CPU) and still runs the job. */
static void test_one_cpu(void)
{
	struct skbd_job job = { 0 };
	struct probe p = { 0 };
	cpu_set_t mine, one;
	int cpu = sched_getcpu();

	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(mine), &mine), 0);
	CU_ASSERT_TRUE_FATAL(cpu >= 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	CU_ASSERT_EQUAL_FATAL(sched_setaffinity(0, sizeof(one), &one), 0);
	skbd_job__start(&job, probe_run, &p);
	CU_ASSERT_FALSE(job.narrowed);
	skbd_job__finish(&job);
	sched_setaffinity(0, sizeof(mine), &mine);
	CU_ASSERT_EQUAL(p.runs, 1);
	CU_ASSERT_TRUE(CPU_EQUAL(&p.cpus, &one));
}

/* Two CPUs or more: the thread is placed off the caller's CPU, then given
 * back the caller's set. */
static void test_narrowed(void)
{
	struct skbd_job job = { 0 };
	struct probe p = { 0 };
	cpu_set_t mine;

	CU_ASSERT_EQUAL_FATAL(sched_getaffinity(0, sizeof(mine), &mine), 0);
	if (CPU_COUNT(&mine) < 2) {
		tu_skip("one CPU: no other to place a job on");
		return;
	}
	skbd_job__start(&job, probe_run, &p);
	CU_ASSERT_TRUE(job.narrowed);
	skbd_job__finish(&job);
	CU_ASSERT_EQUAL(p.runs, 1);
	CU_ASSERT_TRUE(CPU_EQUAL(&p.cpus, &mine));
}

CU_TestInfo skbd_tests_job[] = {
	{ "each job runs once, finish twice", test_once },
	{ "one CPU allowed: not narrowed", test_one_cpu },
	{ "placed off the caller's CPU", test_narrowed },
	CU_TEST_INFO_NULL,
};
