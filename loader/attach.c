// SPDX-License-Identifier: GPL-2.0-only
/* Tracepoint attach through a perf event (works on 5.10, where perf-event
 * BPF links do not exist) and the RLIMIT_MEMLOCK raise for pre-5.11 kernels. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <skbdrop/loader.h>
#include <skbdrop/log.h>

int skbd_tp_attach(int prog_fd, __u32 tp_id)
{
	struct perf_event_attr attr;
	int fd = -ENODEV, err;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = tp_id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	/* The program hangs off the tracepoint itself and runs on every CPU; one
	 * event suffices. CPU 0 may be offline: take the first that opens. */
	for (int cpu = 0; cpu < 4096 && fd == -ENODEV; cpu++)
		fd = skbd_perf_event_open(&attr, -1, cpu, -1, 0);
	if (fd < 0) {
		skbd_log(SKBD_LOG_WARN, "attach: perf_event_open(tracepoint %u): %s", tp_id, strerror(-fd));
		return fd;
	}
	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0) {
		err = -errno;
		/* EACCES here: the program reads past the tracepoint record */
		skbd_log(SKBD_LOG_WARN, "attach: PERF_EVENT_IOC_SET_BPF: %s", strerror(-err));
		close(fd);
		return err;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "attach: PERF_EVENT_IOC_ENABLE: %s", strerror(-err));
		close(fd);
		return err;
	}
	return fd;
}

int skbd_raise_memlock(void)
{
	struct rlimit r = { RLIM_INFINITY, RLIM_INFINITY };

	if (setrlimit(RLIMIT_MEMLOCK, &r) < 0)
		return -errno;
	return 0;
}
