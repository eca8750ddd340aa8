// SPDX-License-Identifier: GPL-2.0-only
/* bpf(2), perf_event_open(2), capget(2) and capset(2) wrappers: the only syscall()
 * sites. Each is sized to the attr fields it uses and returns an fd/0 or
 * -errno. Also tracepoint attach and the RLIMIT_MEMLOCK raise. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/capability.h>
#include <skbdrop/log.h>
#include <skbdrop/sys.h>

static int sys_bpf(const struct skbd_sys *sys, int cmd, union bpf_attr *attr, size_t size)
{
	long ret;

	if (sys && sys->bpf)
		return sys->bpf(sys->ctx, cmd, attr, (unsigned int)size);
	ret = syscall(__NR_bpf, cmd, attr, size);
	return ret < 0 ? -errno : (int)ret;
}

/* Size of attr up to and including the member, so older kernels that
 * reject unknown non-zero tails see only what we use. */
#define ATTR_SIZE(field) (offsetof(union bpf_attr, field) + sizeof(((union bpf_attr *)0)->field))

int skbd_bpf_map_create(const struct skbd_sys *sys, __u32 type, const char *name, __u32 key_size, __u32 value_size,
			__u32 max_entries, __u32 flags)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.map_type = type;
	attr.key_size = key_size;
	attr.value_size = value_size;
	attr.max_entries = max_entries;
	attr.map_flags = flags;
	if (name)
		strncpy(attr.map_name, name, sizeof(attr.map_name) - 1);
	fd = sys_bpf(sys, BPF_MAP_CREATE, &attr, ATTR_SIZE(map_name));
	if (fd == -EINVAL && name) {
		/* map names need 4.15; retry without one */
		memset(attr.map_name, 0, sizeof(attr.map_name));
		fd = sys_bpf(sys, BPF_MAP_CREATE, &attr, ATTR_SIZE(map_name));
	}
	return fd;
}

int skbd_bpf_map_update_elem(const struct skbd_sys *sys, int fd, const void *key, const void *value, __u64 flags)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (__u64)(unsigned long)key;
	attr.value = (__u64)(unsigned long)value;
	attr.flags = flags;
	return sys_bpf(sys, BPF_MAP_UPDATE_ELEM, &attr, ATTR_SIZE(flags));
}

int skbd_bpf_map_delete_elem(const struct skbd_sys *sys, int fd, const void *key)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (__u64)(unsigned long)key;
	return sys_bpf(sys, BPF_MAP_DELETE_ELEM, &attr, ATTR_SIZE(key));
}

int skbd_bpf_map_lookup_elem(const struct skbd_sys *sys, int fd, const void *key, void *value)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (__u64)(unsigned long)key;
	attr.value = (__u64)(unsigned long)value;
	return sys_bpf(sys, BPF_MAP_LOOKUP_ELEM, &attr, ATTR_SIZE(flags));
}

int skbd_bpf_map_freeze(const struct skbd_sys *sys, int fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = (__u32)fd;
	return sys_bpf(sys, BPF_MAP_FREEZE, &attr, ATTR_SIZE(map_fd));
}

int skbd_bpf_obj_get_info(const struct skbd_sys *sys, int fd, void *info, __u32 info_len)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.info.bpf_fd = (__u32)fd;
	attr.info.info_len = info_len;
	attr.info.info = (__u64)(unsigned long)info;
	return sys_bpf(sys, BPF_OBJ_GET_INFO_BY_FD, &attr, ATTR_SIZE(info));
}

int skbd_bpf_map_get_next_key(const struct skbd_sys *sys, int fd, const void *key, void *next_key)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.map_fd = fd;
	attr.key = (__u64)(unsigned long)key;
	attr.next_key = (__u64)(unsigned long)next_key;
	return sys_bpf(sys, BPF_MAP_GET_NEXT_KEY, &attr, ATTR_SIZE(next_key));
}

int skbd_bpf_prog_load_to(const struct skbd_sys *sys, __u32 type, __u32 expected_attach_type, __u32 attach_btf_id,
			  const char *name, const struct bpf_insn *insns, size_t insn_cnt, const char *license,
			  __u32 log_level, char *log_buf, size_t log_size)
{
	union bpf_attr attr;
	int fd;

	memset(&attr, 0, sizeof(attr));
	attr.prog_type = type;
	attr.insns = (__u64)(unsigned long)insns;
	attr.insn_cnt = (__u32)insn_cnt;
	attr.license = (__u64)(unsigned long)license;
	attr.expected_attach_type = expected_attach_type;
	attr.attach_btf_id = attach_btf_id;
	/* log_buf without log_level > 0 is EINVAL */
	if (log_level && log_buf && log_size) {
		attr.log_level = log_level;
		attr.log_buf = (__u64)(unsigned long)log_buf;
		attr.log_size = (__u32)log_size;
		log_buf[0] = '\0';
	}
	if (name)
		strncpy(attr.prog_name, name, sizeof(attr.prog_name) - 1);
	fd = sys_bpf(sys, BPF_PROG_LOAD, &attr, ATTR_SIZE(attach_btf_id));
	if (fd == -EINVAL && name) {
		memset(attr.prog_name, 0, sizeof(attr.prog_name));
		fd = sys_bpf(sys, BPF_PROG_LOAD, &attr, ATTR_SIZE(attach_btf_id));
	}
	return fd;
}

int skbd_bpf_prog_load(const struct skbd_sys *sys, __u32 type, const char *name, const struct bpf_insn *insns,
		       size_t insn_cnt, const char *license, __u32 log_level, char *log_buf, size_t log_size)
{
	return skbd_bpf_prog_load_to(sys, type, 0, 0, name, insns, insn_cnt, license, log_level, log_buf, log_size);
}

int skbd_bpf_raw_tp_open(const struct skbd_sys *sys, int prog_fd)
{
	union bpf_attr attr;

	memset(&attr, 0, sizeof(attr));
	attr.raw_tracepoint.prog_fd = (__u32)prog_fd;
	return sys_bpf(sys, BPF_RAW_TRACEPOINT_OPEN, &attr, ATTR_SIZE(raw_tracepoint));
}

int skbd_bpf_prog_test_run(const struct skbd_sys *sys, int prog_fd, const void *data, __u32 size, __u32 *retval)
{
	union bpf_attr attr;
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (__u32)prog_fd;
	attr.test.data_in = (__u64)(unsigned long)data;
	attr.test.data_size_in = size;
	attr.test.repeat = 1;
	ret = sys_bpf(sys, BPF_PROG_TEST_RUN, &attr, ATTR_SIZE(test.duration));
	if (ret == 0 && retval)
		*retval = attr.test.retval;
	return ret;
}

int skbd_bpf_prog_run_on_cpu(const struct skbd_sys *sys, int prog_fd, __u32 cpu, __u32 *retval)
{
	union bpf_attr attr;
	__u64 args[1] = { 0 }; /* a raw tracepoint's context: its arguments */
	int ret;

	memset(&attr, 0, sizeof(attr));
	attr.test.prog_fd = (__u32)prog_fd;
	attr.test.ctx_in = (__u64)(unsigned long)args;
	attr.test.ctx_size_in = sizeof(args);
	attr.test.flags = BPF_F_TEST_RUN_ON_CPU;
	attr.test.cpu = cpu;
	ret = sys_bpf(sys, BPF_PROG_TEST_RUN, &attr, ATTR_SIZE(test.cpu));
	if (ret == 0 && retval)
		*retval = attr.test.retval;
	return ret;
}

int skbd_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd,
			 unsigned long flags)
{
	long ret = syscall(__NR_perf_event_open, attr, pid, cpu, group_fd, flags | PERF_FLAG_FD_CLOEXEC);

	return ret < 0 ? -errno : (int)ret;
}

int skbd_tracepoint__open(__u32 tp_id)
{
	struct perf_event_attr attr;
	int fd = -ENODEV;

	memset(&attr, 0, sizeof(attr));
	attr.type = PERF_TYPE_TRACEPOINT;
	attr.size = sizeof(attr);
	attr.config = tp_id;
	attr.sample_period = 1;
	attr.wakeup_events = 1;
	attr.disabled = 1; /* until a program hangs off it */
	/* The program hangs off the tracepoint itself and runs on every CPU; one
	 * event suffices. CPU 0 may be offline: take the first that opens. */
	for (int cpu = 0; cpu < 4096 && fd == -ENODEV; cpu++)
		fd = skbd_perf_event_open(&attr, -1, cpu, -1, 0);
	return fd;
}

int skbd_tracepoint__set_prog(int fd, int prog_fd)
{
	int err;

	if (ioctl(fd, PERF_EVENT_IOC_SET_BPF, prog_fd) < 0) {
		err = -errno;
		/* EACCES here: the program reads past the tracepoint record */
		skbd_log(SKBD_LOG_WARN, "attach: PERF_EVENT_IOC_SET_BPF: %s", strerror(-err));
		return err;
	}
	if (ioctl(fd, PERF_EVENT_IOC_ENABLE, 0) < 0) {
		err = -errno;
		skbd_log(SKBD_LOG_WARN, "attach: PERF_EVENT_IOC_ENABLE: %s", strerror(-err));
		return err;
	}
	return 0;
}

int skbd_tracepoint__attach(int prog_fd, __u32 tp_id)
{
	int fd = skbd_tracepoint__open(tp_id), err;

	if (fd < 0) {
		skbd_log(SKBD_LOG_WARN, "attach: perf_event_open(tracepoint %u): %s", tp_id, strerror(-fd));
		return fd;
	}
	err = skbd_tracepoint__set_prog(fd, prog_fd);
	if (err) {
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

int skbd_check_caps(char *missing, size_t size)
{
	__u64 eff, perm;
	int admin, bpf, perfmon;

	if (skbd_capget(&eff, &perm))
		return 0; /* cannot tell: let the syscalls decide */
	admin = !!(eff & (1ULL << CAP_SYS_ADMIN));
	bpf = !!(eff & (1ULL << 39 /* CAP_BPF, 5.8+ */));
	perfmon = !!(eff & (1ULL << 38 /* CAP_PERFMON, 5.8+ */));
	if (admin || (bpf && perfmon))
		return 0;
	snprintf(missing, size, "%s%s%s", bpf ? "" : "CAP_BPF", !bpf && !perfmon ? " and " : "",
		 perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

/* Capability sets as 64-bit masks (version 3: two 32-bit words each). */
int skbd_capget(__u64 *effective, __u64 *permitted)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return -errno;
	*effective = d[0].effective | (__u64)d[1].effective << 32;
	*permitted = d[0].permitted | (__u64)d[1].permitted << 32;
	return 0;
}

int skbd_capset(__u64 effective, __u64 permitted, __u64 inheritable)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2] = {
		{ (__u32)effective, (__u32)permitted, (__u32)inheritable },
		{ (__u32)(effective >> 32), (__u32)(permitted >> 32), (__u32)(inheritable >> 32) },
	};

	if (syscall(SYS_capset, &h, d) < 0)
		return -errno;
	return 0;
}
