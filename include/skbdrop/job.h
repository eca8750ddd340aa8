/* SPDX-License-Identifier: GPL-2.0-only */
/* Start-up work done meanwhile: a job runs on a thread of its own, or on
 * the caller's when the caller needs its result before that thread began. */
#ifndef SKBDROP_JOB_H
#define SKBDROP_JOB_H

#include <pthread.h>
#include <sched.h>
#include <stdbool.h>

typedef void (*skbd_job_fn)(void *arg);

/* Caller-owned (a job is waited for before its caller returns); zero it
 * before skbd_job__start. */
struct skbd_job {
	pthread_t thread;
	skbd_job_fn fn;
	void *arg;
	int claimed;     /* set (atomically) by whoever runs fn */
	bool has_thread; /* a thread was made: it is joined */
	bool pending;    /* started and not finished yet */
	bool narrowed;   /* its thread was placed off the caller's CPU: cpus is restored */
	cpu_set_t cpus;  /* the caller's CPUs */
};

/* Run fn(arg) on a new thread that starts on another
 * of the caller's CPUs than the current one, or here when no thread can be
 * made. */
void skbd_job__start(struct skbd_job *job, skbd_job_fn fn, void *arg);

/* Return once fn has run: here and now if its thread has not begun it (a
 * new thread's first instruction can come milliseconds late on a busy or
 * half-asleep VM), else when that thread is done. Then again: no-op. */
void skbd_job__finish(struct skbd_job *job);

#endif
