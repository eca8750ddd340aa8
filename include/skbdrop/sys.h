/* SPDX-License-Identifier: GPL-2.0-only */
/* bpf(2) and perf_event_open(2) wrappers, sized to the attr fields each
 * uses; loader/sys.c holds the only syscall() sites. Each returns an fd, 0 or
 * -errno. The bpf(2) ones take a struct skbd_sys: NULL is the real kernel;
 * tests pass a table of their own (a fake bpf(2)) to drive the loader and
 * the monitor without privileges. */
#ifndef SKBDROP_SYS_H
#define SKBDROP_SYS_H

#include <stddef.h>
#include <linux/types.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>

/* What callbacks return (as libmnl's): go on, stop after this one, or stop
 * with an error. */
enum skbd_cb_ret {
	SKBD_CB_ERROR = -1,
	SKBD_CB_OK = 0,
	SKBD_CB_STOP = 1,
};

struct skbd_sys {
	/* bpf(cmd, attr, size): >= 0 or -errno. Fds it returns must be real
	 * (closable) fds: a fake can hand out dups of /dev/null. */
	int (*bpf)(void *ctx, int cmd, union bpf_attr *attr, unsigned int size);
	void *ctx;
};

int skbd_bpf_map_create(const struct skbd_sys *sys, __u32 type, const char *name, __u32 key_size,
			__u32 value_size, __u32 max_entries, __u32 flags);
int skbd_bpf_map_update_elem(const struct skbd_sys *sys, int fd, const void *key, const void *value, __u64 flags);
int skbd_bpf_map_lookup_elem(const struct skbd_sys *sys, int fd, const void *key, void *value);
/* -ENOENT when key is not there. */
int skbd_bpf_map_delete_elem(const struct skbd_sys *sys, int fd, const void *key);
/* No more writes from user space (5.2+): a map the programs may only read
 * (BPF_F_RDONLY_PROG), frozen before they load, holds values the verifier
 * knows, and the branches they decide are checked one way only. */
int skbd_bpf_map_freeze(const struct skbd_sys *sys, int fd);
/* key NULL: the first key. -ENOENT after the last. */
int skbd_bpf_map_get_next_key(const struct skbd_sys *sys, int fd, const void *key, void *next_key);
/* BPF_OBJ_GET_INFO_BY_FD: fills info (e.g. struct bpf_prog_info; an older
 * kernel fills a prefix and leaves the rest as it was). */
int skbd_bpf_obj_get_info(const struct skbd_sys *sys, int fd, void *info, __u32 info_len);
int skbd_bpf_prog_load(const struct skbd_sys *sys, __u32 type, const char *name, const struct bpf_insn *insns,
		       size_t insn_cnt, const char *license, __u32 log_level, char *log_buf, size_t log_size);
/* The same for a program attached by BTF id (BPF_PROG_TYPE_TRACING: fentry). */
int skbd_bpf_prog_load_to(const struct skbd_sys *sys, __u32 type, __u32 expected_attach_type, __u32 attach_btf_id,
			  const char *name, const struct bpf_insn *insns, size_t insn_cnt, const char *license,
			  __u32 log_level, char *log_buf, size_t log_size);
/* Attach a tracing program where it was loaded to go (BPF_RAW_TRACEPOINT_OPEN
 * without a name): the link's fd, or -errno (no BPF trampolines: -ENOTSUPP et al.). */
int skbd_bpf_raw_tp_open(const struct skbd_sys *sys, int prog_fd);
/* Run the program once on size bytes of data (BPF_PROG_TEST_RUN; XDP wants
 * at least 14); its return value in *retval. */
int skbd_bpf_prog_test_run(const struct skbd_sys *sys, int prog_fd, const void *data, __u32 size, __u32 *retval);
/* Run a raw tracepoint program once on one CPU (BPF_PROG_TEST_RUN with
 * BPF_F_TEST_RUN_ON_CPU, 5.10+: another CPU's in an interrupt there, the
 * caller's own in process context); its return value in *retval. */
int skbd_bpf_prog_run_on_cpu(const struct skbd_sys *sys, int prog_fd, __u32 cpu, __u32 *retval);

/* Always the real kernel (close-on-exec fd). */
int skbd_perf_event_open(struct perf_event_attr *attr, int pid, int cpu, int group_fd, unsigned long flags);

/* perf_event_open(PERF_TYPE_TRACEPOINT, tp_id) on the first CPU that opens,
 * for all processes, then PERF_EVENT_IOC_SET_BPF and PERF_EVENT_IOC_ENABLE.
 * Works on 5.10 (no BPF links). Returns the perf fd (closing it detaches) or
 * -errno. */
int skbd_tracepoint__attach(int prog_fd, __u32 tp_id);
/* skbd_tracepoint__attach in two steps. The first, the kernel's costly part
 * (it registers the tracepoint's perf probe, a code patch: about 0.3 ms),
 * can run before the program is loaded: the event is opened disabled, and
 * does nothing until the second hangs the program off it and enables it.
 * open: the perf fd or -errno (not logged). set_prog: 0 or -errno (logged;
 * fd stays the caller's). */
int skbd_tracepoint__open(__u32 tp_id);
int skbd_tracepoint__set_prog(int fd, int prog_fd);

/* Raise RLIMIT_MEMLOCK to infinity (BPF memory is charged to it before 5.11). */
int skbd_raise_memlock(void);

/* 0 when the effective capabilities allow loading and attaching
 * (CAP_SYS_ADMIN, or CAP_BPF and CAP_PERFMON) or cannot be read; else
 * -EPERM with what is missing in missing ("CAP_BPF and CAP_PERFMON"). */
int skbd_check_caps(char *missing, size_t size);

/* The calling thread's capability sets as masks of 1 << CAP_*; capset sets
 * all three. 0 or -errno. */
int skbd_capget(__u64 *effective, __u64 *permitted);
int skbd_capset(__u64 effective, __u64 permitted, __u64 inheritable);

#endif
