// SPDX-License-Identifier: GPL-2.0-only
/* Start-up jobs: each runs exactly once, on its thread or on the caller's,
 * with the caller's CPUs once running, and finish is idempotent. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <CUnit/CUnit.h>
#include <skbdrop/job.h>
#include "testutil.h"

struct probe {
	int runs;
	pid_t tid;
	cpu_set_t cpus;
	bool cpus_ok;
	int nice;
};

static void probe_run(void *arg)
{
	struct probe *p = arg;

	__atomic_add_fetch(&p->runs, 1, __ATOMIC_SEQ_CST);
	p->tid = (pid_t)syscall(SYS_gettid);
	p->cpus_ok = !sched_getaffinity(0, sizeof(p->cpus), &p->cpus);
	errno = 0;
	p->nice = getpriority(PRIO_PROCESS, (id_t)p->tid);
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
 * back the caller's set; its nice is its own. */
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
	int before = getpriority(PRIO_PROCESS, 0);

	job.nice = 19;
	skbd_job__start(&job, probe_run, &p);
	CU_ASSERT_TRUE(job.narrowed);
	/* run before the caller waits (which would give its nice back) */
	for (int i = 0; i < 1000 && !__atomic_load_n(&p.runs, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	skbd_job__finish(&job);
	CU_ASSERT_EQUAL(p.runs, 1);
	CU_ASSERT_TRUE(CPU_EQUAL(&p.cpus, &mine));
	/* its thread ran at nice 19; had the caller run it, at the caller's own */
	CU_ASSERT_EQUAL(p.nice, p.tid == (pid_t)syscall(SYS_gettid) ? before : 19);
	CU_ASSERT_EQUAL(getpriority(PRIO_PROCESS, 0), before);
}

/* A job at nice 19 still running when its caller waits for it: back at the
 * caller's nice (as root: raising a priority takes CAP_SYS_NICE), so a busy
 * host cannot hold the start-up on it. */
struct slow {
	struct skbd_job *job;
	int began, nice_before, nice_after;
};

static void slow_run(void *arg)
{
	struct slow *s = arg;
	id_t tid = (id_t)syscall(SYS_gettid);

	s->nice_before = getpriority(PRIO_PROCESS, tid);
	__atomic_store_n(&s->began, 1, __ATOMIC_SEQ_CST);
	for (int i = 0; i < 2000 && getpriority(PRIO_PROCESS, tid) != s->job->base_nice; i++)
		usleep(1000); /* until the caller waits (at most 2 s) */
	s->nice_after = getpriority(PRIO_PROCESS, tid);
}

static void test_hurry(void)
{
	struct skbd_job job = { .nice = 19 };
	struct slow s = { .job = &job };
	int before = getpriority(PRIO_PROCESS, 0);

	skbd_job__start(&job, slow_run, &s);
	for (int i = 0; i < 1000 && !__atomic_load_n(&s.began, __ATOMIC_SEQ_CST); i++)
		usleep(1000);
	CU_ASSERT_TRUE_FATAL(__atomic_load_n(&s.began, __ATOMIC_SEQ_CST));
	if (!job.has_thread) { /* (no thread could be made: run here, at the caller's nice) */
		CU_ASSERT_EQUAL(s.nice_before, before);
		return;
	}
	CU_ASSERT_EQUAL(s.nice_before, before + 19 > 19 ? 19 : before + 19);
	skbd_job__finish(&job);
	CU_ASSERT_EQUAL(s.nice_after, geteuid() == 0 ? before : s.nice_before);
	CU_ASSERT_EQUAL(getpriority(PRIO_PROCESS, 0), before);
}

CU_TestInfo skbd_tests_job[] = {
	{ "each job runs once, finish twice", test_once },
	{ "one CPU allowed: not narrowed", test_one_cpu },
	{ "placed off the caller's CPU, at its own nice", test_narrowed },
	{ "a job waited for gets its caller's nice back", test_hurry },
	CU_TEST_INFO_NULL,
};
