// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for monitor/monitor.c through the syscall seam: a fake bpf(2)
 * that keeps maps in memory, so the monitor's load, its map configuration
 * and its stats, summary and stack reads run without privileges. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <CUnit/CUnit.h>
#include <skbdrop/filter.h>
#include <skbdrop/monitor.h>
#include "../../bpf/skbdrop_abi.h"
#include "testutil.h"

#define FORMAT_618 SKBD_FIXTURES "/tracepoint-formats/kfree_skb-6.18.44.format"
#define NCPU 4
#define FAKE_MAPS 32
#define FAKE_ENTRIES 8192

/* ---- the fake bpf(2) ---- */

struct fake_map {
	int fd;
	__u32 type, key_size, value_size, max_entries;
	char name[16];
	size_t n;           /* entries in use */
	bool frozen;        /* BPF_MAP_FREEZE: user space writes refused */
	unsigned int progs_at_freeze; /* programs loaded when it was frozen */
	__u8 *keys, *vals;  /* [FAKE_ENTRIES] each */
};

struct fake {
	struct fake_map maps[FAKE_MAPS];
	size_t nr_maps;
	int prog_fds[8];
	size_t nr_progs;
	int fail_cmd;       /* this command fails with fail_err (when not 0: BPF_MAP_CREATE is 0) */
	int fail_err;
	__u64 misses;       /* bpf_prog_info.recursion_misses */
	unsigned int calls[40];
};

static size_t val_size(const struct fake_map *m)
{
	bool percpu = m->type == BPF_MAP_TYPE_PERCPU_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_HASH;

	return percpu ? ((m->value_size + 7) & ~7u) * NCPU : m->value_size;
}

/* the newest map with that fd: a closed probe map's number is reused */
static struct fake_map *fake_by_fd(struct fake *f, __u32 fd)
{
	for (size_t i = f->nr_maps; i-- > 0;)
		if (f->maps[i].fd == (int)fd)
			return &f->maps[i];
	return NULL;
}

static struct fake_map *fake_by_name(struct fake *f, const char *name)
{
	for (size_t i = 0; i < f->nr_maps; i++)
		if (!strcmp(f->maps[i].name, name))
			return &f->maps[i];
	return NULL;
}

static long fake_find(const struct fake_map *m, const void *key)
{
	for (size_t i = 0; i < m->n; i++)
		if (!memcmp(m->keys + i * m->key_size, key, m->key_size))
			return (long)i;
	return -1;
}

static bool is_array(const struct fake_map *m)
{
	return m->type == BPF_MAP_TYPE_ARRAY || m->type == BPF_MAP_TYPE_PERCPU_ARRAY;
}

static int fake_create(struct fake *f, const union bpf_attr *a)
{
	struct fake_map *m;

	if (f->nr_maps == FAKE_MAPS)
		return -ENOSPC;
	m = &f->maps[f->nr_maps];
	memset(m, 0, sizeof(*m));
	m->type = a->map_type;
	m->key_size = a->key_size;
	m->value_size = a->value_size;
	m->max_entries = a->max_entries;
	memcpy(m->name, a->map_name, sizeof(m->name) - 1);
	if (m->type != BPF_MAP_TYPE_RINGBUF && m->type != BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		m->keys = calloc(FAKE_ENTRIES, m->key_size);
		m->vals = calloc(FAKE_ENTRIES, val_size(m));
		if (!m->keys || !m->vals)
			return -ENOMEM;
	}
	if (is_array(m)) { /* every index exists, zeroed */
		for (__u32 i = 0; i < m->max_entries && i < FAKE_ENTRIES; i++)
			memcpy(m->keys + i * m->key_size, &i, sizeof(i));
		m->n = m->max_entries < FAKE_ENTRIES ? m->max_entries : FAKE_ENTRIES;
	}
	if (a->map_flags & BPF_F_MMAPABLE) { /* the values the reader maps: a memfd of their size */
		m->fd = memfd_create("fake-map", MFD_CLOEXEC);
		if (m->fd >= 0 && ftruncate(m->fd, (off_t)m->value_size * m->max_entries + 4096)) {
			close(m->fd);
			m->fd = -1;
		}
	} else {
		m->fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	}
	if (m->fd < 0)
		return -errno;
	f->nr_maps++;
	return m->fd;
}

static int fake_update(struct fake *f, const union bpf_attr *a)
{
	struct fake_map *m = fake_by_fd(f, a->map_fd);
	const void *key = (const void *)(unsigned long)a->key;
	long i;

	if (!m || !m->keys)
		return -EBADF;
	if (m->frozen)
		return -EPERM;
	i = fake_find(m, key);
	if (i < 0) {
		if (is_array(m))
			return -E2BIG;
		if (m->n == FAKE_ENTRIES || m->n == m->max_entries)
			return -E2BIG;
		i = (long)m->n++;
		memcpy(m->keys + (size_t)i * m->key_size, key, m->key_size);
	}
	memcpy(m->vals + (size_t)i * val_size(m), (const void *)(unsigned long)a->value, val_size(m));
	return 0;
}

static int fake_lookup(struct fake *f, const union bpf_attr *a)
{
	struct fake_map *m = fake_by_fd(f, a->map_fd);
	long i;

	if (!m || !m->keys)
		return -EBADF;
	i = fake_find(m, (const void *)(unsigned long)a->key);
	if (i < 0)
		return -ENOENT;
	memcpy((void *)(unsigned long)a->value, m->vals + (size_t)i * val_size(m), val_size(m));
	return 0;
}

static int fake_delete(struct fake *f, const union bpf_attr *a)
{
	struct fake_map *m = fake_by_fd(f, a->map_fd);
	long i;

	if (!m || !m->keys || is_array(m))
		return -EBADF;
	i = fake_find(m, (const void *)(unsigned long)a->key);
	if (i < 0)
		return -ENOENT;
	m->n--; /* the last entry moves into the hole */
	memmove(m->keys + (size_t)i * m->key_size, m->keys + m->n * m->key_size, m->key_size);
	memmove(m->vals + (size_t)i * val_size(m), m->vals + m->n * val_size(m), val_size(m));
	return 0;
}

static int fake_next_key(struct fake *f, const union bpf_attr *a)
{
	struct fake_map *m = fake_by_fd(f, a->map_fd);
	long i = -1;

	if (!m || !m->keys)
		return -EBADF;
	if (a->key)
		i = fake_find(m, (const void *)(unsigned long)a->key);
	if ((size_t)(i + 1) >= m->n)
		return -ENOENT;
	memcpy((void *)(unsigned long)a->next_key, m->keys + (size_t)(i + 1) * m->key_size, m->key_size);
	return 0;
}

static int fake_bpf(void *ctx, int cmd, union bpf_attr *a, unsigned int size)
{
	struct fake *f = ctx;
	int fd;

	if (cmd >= 0 && cmd < 40)
		f->calls[cmd]++;
	if (f->fail_err && cmd == f->fail_cmd)
		return f->fail_err;
	switch (cmd) {
	case BPF_MAP_CREATE:
		return fake_create(f, a);
	case BPF_MAP_UPDATE_ELEM:
		return fake_update(f, a);
	case BPF_MAP_LOOKUP_ELEM:
		return fake_lookup(f, a);
	case BPF_MAP_GET_NEXT_KEY:
		return fake_next_key(f, a);
	case BPF_MAP_DELETE_ELEM:
		return fake_delete(f, a);
	case BPF_MAP_FREEZE: {
		struct fake_map *m = fake_by_fd(f, a->map_fd);

		if (!m)
			return -EBADF;
		m->frozen = true;
		m->progs_at_freeze = (unsigned int)f->nr_progs;
		return 0;
	}
	case BPF_PROG_LOAD:
		if (f->nr_progs == 8)
			return -ENOSPC;
		fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
		if (fd >= 0)
			f->prog_fds[f->nr_progs++] = fd;
		return fd < 0 ? -errno : fd;
	case BPF_OBJ_GET_INFO_BY_FD: {
		struct bpf_prog_info info;
		__u32 len = a->info.info_len < sizeof(info) ? a->info.info_len : (__u32)sizeof(info);

		memset(&info, 0, sizeof(info));
		info.recursion_misses = f->misses;
		memcpy((void *)(unsigned long)a->info.info, &info, len);
		return 0;
	}
	default:
		return -EINVAL;
	}
}

static void fake_free(struct fake *f)
{
	for (size_t i = 0; i < f->nr_maps; i++) {
		free(f->maps[i].keys);
		free(f->maps[i].vals);
	}
	free(f);
}

/* ---- fixtures ---- */

struct rig {
	struct fake *f;
	struct skbd_sys sys;
	char *format;
	size_t format_len;
	struct skbd_monitor *mon;
};

static struct rig *rig_open(bool btf)
{
	struct rig *r = calloc(1, sizeof(*r));
	struct skbd_monitor_opts o;
	char err[512];

	CU_ASSERT_FATAL(r != NULL);
	r->f = calloc(1, sizeof(*r->f));
	CU_ASSERT_FATAL(r->f != NULL);
	r->sys = (struct skbd_sys){ .bpf = fake_bpf, .ctx = r->f };
	r->format = tu_load_file(FORMAT_618, &r->format_len);
	CU_ASSERT_FATAL(r->format != NULL);
	memset(&o, 0, sizeof(o));
	o.sys = &r->sys;
	o.format_text = r->format;
	o.format_len = r->format_len;
	o.no_btf = !btf;
	o.nr_cpus = NCPU;
	tu_log_quiet();
	CU_ASSERT_FATAL(skbd_monitor__open(&o, &r->mon, err, sizeof(err)) == 0);
	return r;
}

static void rig_close(struct rig *r)
{
	skbd_monitor__close(r->mon);
	fake_free(r->f);
	free(r->format);
	free(r);
	tu_log_restore();
}

static struct skbd_monitor_config base_config(void)
{
	return (struct skbd_monitor_config){
		.snaplen = 128,
		.transport = SKBD_TRANSPORT_PERF,
		.wakeup = SKBD_WAKEUP_BYTES,
		.wakeup_arg = 65536,
		.pages = 16,
		.stack_ids = 64,
	};
}

static const struct skbd_config *config_of(struct rig *r)
{
	struct fake_map *m = fake_by_name(r->f, SKBD_MAP_CONFIG);

	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_FATAL(m->value_size == sizeof(struct skbd_config));
	return (const struct skbd_config *)m->vals;
}

/* ---- tests ---- */

static void test_open_reads_format(void)
{
	struct rig *r = rig_open(false);

	CU_ASSERT_EQUAL(skbd_monitor__nr_cpus(r->mon), NCPU);
	CU_ASSERT_TRUE(skbd_monitor__has_reason(r->mon));
	CU_ASSERT_FALSE(skbd_monitor__has_btf(r->mon));
	CU_ASSERT_EQUAL(skbd_monitor__btf_error(r->mon), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(skbd_tpformat__reason_name(skbd_monitor__format(r->mon), 2));
	CU_ASSERT_EQUAL(r->f->calls[BPF_MAP_CREATE], 0); /* open touches no BPF */
	rig_close(r);
}

static void test_open_bad_format(void)
{
	struct skbd_monitor_opts o = { .format_text = "name: kfree_skb\nID: x\n", .format_len = 22, .no_btf = true,
				       .nr_cpus = 1 };
	struct skbd_monitor *mon = NULL;
	char err[256] = "";

	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_monitor__open(&o, &mon, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(mon);
	CU_ASSERT_STRING_EQUAL(err, "cannot parse the kfree_skb tracepoint format");
	tu_log_restore();
}

static void test_open_bad_btf_file(void)
{
	struct skbd_monitor_opts o = { .btf_path = FORMAT_618, .nr_cpus = 1 };
	struct skbd_monitor *mon = NULL;
	char err[512] = "", *fmt;
	size_t len;

	fmt = tu_load_file(FORMAT_618, &len);
	CU_ASSERT_FATAL(fmt != NULL);
	o.format_text = fmt;
	o.format_len = len;
	tu_log_quiet();
	CU_ASSERT_EQUAL(skbd_monitor__open(&o, &mon, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NULL(mon);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not valid BTF"));
	tu_log_restore();
	free(fmt);
}

static void test_load_writes_config(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	static struct skbd_reason_plan plan;
	const struct skbd_config *cfg;
	struct fake_map *reasons;

	memset(&plan, 0, sizeof(plan));
	plan.skip[0] = plan.skip[2] = true;
	plan.skip_other = true;
	c.pid = 4242;
	c.reasons = &plan;
	c.max_rate = 1000;
	c.stack = true;
	c.wakeup = SKBD_WAKEUP_EVENTS;
	c.wakeup_arg = 7;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	cfg = config_of(r);
	CU_ASSERT_EQUAL(cfg->filter_tgid, 4242);
	CU_ASSERT_EQUAL(cfg->reason_default, SKBD_VERDICT_SKIP);
	CU_ASSERT_EQUAL(cfg->flags, SKBD_CFG_STACK);
	CU_ASSERT_EQUAL(cfg->snaplen, 128);
	CU_ASSERT_EQUAL(cfg->max_rate, 1000);
	CU_ASSERT_EQUAL(cfg->rb_wakeup, SKBD_RB_WAKEUP_EVENTS);
	CU_ASSERT_EQUAL(cfg->rb_wakeup_arg, 7);
	CU_ASSERT_EQUAL(cfg->dev_mode, SKBD_DEV_ANY);
	reasons = fake_by_name(r->f, SKBD_MAP_REASONS);
	CU_ASSERT_FATAL(reasons != NULL);
	CU_ASSERT_EQUAL(((__u32 *)reasons->vals)[0], SKBD_VERDICT_SKIP);
	CU_ASSERT_EQUAL(((__u32 *)reasons->vals)[1], SKBD_VERDICT_REPORT);
	CU_ASSERT_EQUAL(((__u32 *)reasons->vals)[2], SKBD_VERDICT_SKIP);
	/* only the skipped slots were written, then the config once */
	CU_ASSERT_EQUAL(r->f->calls[BPF_MAP_UPDATE_ELEM], 3);
	/* the perf program and its batches' flush; the perf array and the batches sized to
	 * the CPUs, a batch's slot the header and the snap length; the stack map as asked */
	CU_ASSERT_EQUAL(r->f->calls[BPF_PROG_LOAD], 2);
	CU_ASSERT_EQUAL(fake_by_name(r->f, SKBD_MAP_EVENTS)->max_entries, NCPU);
	CU_ASSERT_EQUAL(fake_by_name(r->f, SKBD_MAP_BATCH)->max_entries, NCPU);
	CU_ASSERT_EQUAL(cfg->stride, SKBD_EVENT_HDR + 128);
	CU_ASSERT_EQUAL(skbd_monitor__stride(r->mon), SKBD_EVENT_HDR + 128);
	CU_ASSERT_EQUAL(fake_by_name(r->f, SKBD_MAP_STACKS)->max_entries, 64);
	CU_ASSERT_PTR_NULL(fake_by_name(r->f, SKBD_MAP_RINGBUF));
	CU_ASSERT_FALSE(skbd_monitor__direct_reads(r->mon));
	CU_ASSERT_EQUAL(skbd_monitor__load(r->mon, &c), -EBUSY);
	rig_close(r);
}

static void test_load_summary_and_devices(void)
{
	struct rig *r = rig_open(true); /* BTF: needed for devices; this host's, or skip below */
	struct skbd_monitor_config c = base_config();
	const struct skbd_dev_sel devs[2] = { { 111, 1 }, { 111, 7 } };
	const struct skbd_config *cfg;
	struct fake_map *dm;
	struct skbd_dev_key k = { 111, 7 };

	c.summary = true;
	c.by = SKBD_BY_REASON | SKBD_BY_DEV;
	c.netns = 111;
	c.devs = devs;
	c.nr_devs = 2;
	c.devs_except = true;
	if (!skbd_monitor__has_btf(r->mon)) {
		/* without BTF the device filter is refused, with a reason */
		CU_ASSERT_EQUAL(skbd_monitor__load(r->mon, &c), -EOPNOTSUPP);
		CU_ASSERT_PTR_NOT_NULL(strstr(skbd_monitor__errmsg(r->mon), "need the kernel's BTF"));
		rig_close(r);
		return;
	}
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	cfg = config_of(r);
	CU_ASSERT_EQUAL(cfg->flags, SKBD_CFG_SUMMARY | SKBD_CFG_AGGCACHE); /* the slots mapped */
	CU_ASSERT_EQUAL(cfg->snaplen, 0); /* counting reads no packet without a filter */
	CU_ASSERT_EQUAL(cfg->agg_fields, SKBD_AGG_REASON | SKBD_AGG_DEV);
	CU_ASSERT_EQUAL(cfg->filter_netns, 111);
	CU_ASSERT_EQUAL(cfg->dev_mode, SKBD_DEV_EXCEPT);
	dm = fake_by_name(r->f, SKBD_MAP_DEVICES);
	CU_ASSERT_FATAL(dm != NULL);
	CU_ASSERT_EQUAL(dm->n, 2);
	CU_ASSERT_TRUE(fake_find(dm, &k) >= 0);
	rig_close(r);
}

/* --owner: the flag, and the owners map follows the sets it is given */
static void test_owner_sockets(void)
{
	struct rig *r = rig_open(true);
	struct skbd_monitor_config c = base_config();
	const __u64 first[] = { 5, 3, 9 }, second[] = { 7, 3 };
	struct fake_map *m;
	__u64 k;

	c.owner_filter = true;
	CU_ASSERT_FATAL(skbd_monitor__has_btf(r->mon));
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_EQUAL(config_of(r)->flags, SKBD_CFG_OWNER);
	m = fake_by_name(r->f, SKBD_MAP_OWNERS);
	CU_ASSERT_FATAL(m != NULL);
	CU_ASSERT_EQUAL(m->n, 0);
	CU_ASSERT_EQUAL(skbd_monitor__owner_sockets(r->mon, first, 3), 0);
	CU_ASSERT_EQUAL(m->n, 3);
	CU_ASSERT_EQUAL(skbd_monitor__owner_sockets(r->mon, second, 2), 0);
	CU_ASSERT_EQUAL(m->n, 2);
	k = 7;
	CU_ASSERT_TRUE(fake_find(m, &k) >= 0);
	k = 3;
	CU_ASSERT_TRUE(fake_find(m, &k) >= 0);
	k = 5;
	CU_ASSERT_TRUE(fake_find(m, &k) < 0);
	CU_ASSERT_EQUAL(r->f->calls[BPF_MAP_DELETE_ELEM], 2);
	CU_ASSERT_EQUAL(skbd_monitor__owner_sockets(r->mon, second, 0), 0);
	CU_ASSERT_EQUAL(m->n, 0);
	CU_ASSERT_EQUAL(skbd_monitor__owner_sockets(r->mon, second, SKBD_DROP_OWNER_SOCKETS + 1), -E2BIG);
	/* a failed update is named */
	r->f->fail_cmd = BPF_MAP_UPDATE_ELEM;
	r->f->fail_err = -ENOMEM;
	CU_ASSERT_EQUAL(skbd_monitor__owner_sockets(r->mon, first, 3), -ENOMEM);
	CU_ASSERT_PTR_NOT_NULL(strstr(skbd_monitor__errmsg(r->mon), "owner's sockets"));
	rig_close(r);
}

static void test_load_without_btf_refuses_netns(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();

	c.netns = 5;
	CU_ASSERT_EQUAL(skbd_monitor__load(r->mon, &c), -EOPNOTSUPP);
	CU_ASSERT_STRING_EQUAL(skbd_monitor__errmsg(r->mon),
			       "a filter expression, --netns, --device, --owner and owner/container keys (--by, --metrics-labels) need the kernel's BTF (packet context): give one with --btf FILE");
	CU_ASSERT_EQUAL(r->f->calls[BPF_MAP_CREATE], 0);
	rig_close(r);
}

/* Load with bpf(2) command cmd failing with err: whether load returned err
 * and the one-line message contains want. */
static bool load_fails_with(int cmd, int err, const char *want)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	bool ok;

	r->f->fail_cmd = cmd;
	r->f->fail_err = err;
	ok = skbd_monitor__load(r->mon, &c) == err && strstr(skbd_monitor__errmsg(r->mon), want) &&
	     !strchr(skbd_monitor__errmsg(r->mon), '\n');
	if (!ok)
		fprintf(stderr, "\n  load with command %d failing (%d): '%s'\n", cmd, err, skbd_monitor__errmsg(r->mon));
	rig_close(r);
	return ok;
}

static void test_load_failures_named(void)
{
	struct skbd_monitor_config c = base_config();
	struct rig *r;

	CU_ASSERT_TRUE(load_fails_with(BPF_PROG_LOAD, -EPERM, "refused to load BPF (EPERM)"));
	CU_ASSERT_TRUE(load_fails_with(BPF_MAP_UPDATE_ELEM, -EFAULT, "configuring BPF maps: Bad address"));
	/* map creation: ENOMEM and EPERM name the map, the limit and the way out */
	CU_ASSERT_TRUE(load_fails_with(BPF_MAP_CREATE, -ENOMEM,
				       "Cannot allocate memory: the kernel, or this memory cgroup's limit, could not give it"));
	CU_ASSERT_TRUE(load_fails_with(BPF_MAP_CREATE, -ENOMEM, "creating BPF map '"));
	CU_ASSERT_TRUE(load_fails_with(BPF_MAP_CREATE, -EPERM,
				       "Operation not permitted: run as root with CAP_BPF, or CAP_SYS_ADMIN; before 5.11 the locked-memory limit (ulimit -l) also says this"));
	CU_ASSERT_TRUE(load_fails_with(BPF_MAP_CREATE, -EINVAL, "entries): Invalid argument"));

	r = rig_open(true);
	if (skbd_monitor__has_btf(r->mon)) { /* a filter needs BTF: this host's */
		struct skbd_filter *f = NULL;
		char ferr[256];

		CU_ASSERT_EQUAL_FATAL(skbd_filter__new("udp", &f, ferr, sizeof(ferr)), 0);
		c.filter = f;
		c.filter_expr = "udp";
		r->f->fail_cmd = BPF_PROG_LOAD;
		r->f->fail_err = -EINVAL;
		CU_ASSERT_EQUAL(skbd_monitor__load(r->mon, &c), -EINVAL);
		CU_ASSERT_STRING_EQUAL(skbd_monitor__errmsg(r->mon),
				       "loading the BPF program with filter 'udp' failed: Invalid argument");
		c.filter = NULL;
		c.filter_expr = NULL;
		skbd_filter__free(f);
	} else {
		CU_FAIL("no kernel BTF on this host: the filter case is not tested");
	}
	rig_close(r);

	r = rig_open(false);
	c.snaplen = SKBD_DROP_SNAPLEN_MAX + 1;
	CU_ASSERT_EQUAL(skbd_monitor__load(r->mon, &c), -EINVAL);
	rig_close(r);
}

static void test_ringbuf_program(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	struct fake_map *rb;

	c.transport = SKBD_TRANSPORT_RINGBUF;
	c.wakeup = SKBD_WAKEUP_NONE;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_EQUAL(config_of(r)->rb_wakeup, SKBD_RB_WAKEUP_NONE);
	rb = fake_by_name(r->f, SKBD_MAP_RINGBUF);
	CU_ASSERT_FATAL(rb != NULL);
	/* as much as NCPU per-CPU rings of 16 pages */
	CU_ASSERT_EQUAL(rb->max_entries, (__u32)(16 * sysconf(_SC_PAGESIZE) * NCPU));
	CU_ASSERT_PTR_NULL(fake_by_name(r->f, SKBD_MAP_EVENTS));
	rig_close(r);
}

/* Perf streaming gathers records per CPU: the batches, their flush program, the
 * slot size; --summary and the ring buffer make none. The default bytes wakeup
 * is a quarter of a ring. A sample holds size / stride records, at least one. */
static void test_batches(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	long page = sysconf(_SC_PAGESIZE);
	__u32 each = 0;

	c.snaplen = 61; /* slots stay 8-aligned */
	c.wakeup = SKBD_WAKEUP_BYTES;
	c.wakeup_arg = 0;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_EQUAL(config_of(r)->stride, SKBD_EVENT_HDR + 64);
	CU_ASSERT_EQUAL(fake_by_name(r->f, SKBD_MAP_BATCH)->max_entries, NCPU);
	CU_ASSERT_EQUAL(r->f->calls[BPF_PROG_LOAD], 2);
	CU_ASSERT_EQUAL(skbd_monitor__wakeup_arg(r->mon), (unsigned long long)(16 * page / 4));
	CU_ASSERT_EQUAL(skbd_monitor__batch(r->mon), 1); /* nothing gathered before attach */
	rig_close(r);

	r = rig_open(false);
	c = base_config();
	c.transport = SKBD_TRANSPORT_RINGBUF;
	c.wakeup = SKBD_WAKEUP_BYTES;
	c.wakeup_arg = 0;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_PTR_NULL(fake_by_name(r->f, SKBD_MAP_BATCH)); /* no program loaded uses it */
	CU_ASSERT_EQUAL(r->f->calls[BPF_PROG_LOAD], 1);
	CU_ASSERT_FATAL(fake_by_name(r->f, SKBD_MAP_RINGBUF) != NULL);
	CU_ASSERT_EQUAL(config_of(r)->rb_wakeup_arg, fake_by_name(r->f, SKBD_MAP_RINGBUF)->max_entries / 4);
	rig_close(r);

	r = rig_open(false);
	c = base_config();
	c.summary = true;
	c.by = SKBD_BY_REASON;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_FATAL(fake_by_name(r->f, SKBD_MAP_BATCH) != NULL); /* the tracepoint program's, unused */
	CU_ASSERT_EQUAL(fake_by_name(r->f, SKBD_MAP_BATCH)->max_entries, 1);
	CU_ASSERT_EQUAL(r->f->calls[BPF_PROG_LOAD], 1);
	rig_close(r);

	CU_ASSERT_EQUAL(skbd_monitor__sample_records(164, 288, &each), 1); /* one short record, padded */
	CU_ASSERT_EQUAL(each, 164);
	CU_ASSERT_EQUAL(skbd_monitor__sample_records(292, 288, &each), 1); /* one whole slot, padded */
	CU_ASSERT_EQUAL(each, 292);
	CU_ASSERT_EQUAL(skbd_monitor__sample_records(4612, 288, &each), 16);
	CU_ASSERT_EQUAL(each, 288);
	CU_ASSERT_EQUAL(skbd_monitor__sample_records(0, 288, &each), 1); /* (record_to_drop refuses it) */
	CU_ASSERT_EQUAL(each, 0);
	CU_ASSERT_EQUAL(skbd_monitor__sample_records(100, 0, &each), 1); /* no batches: the record as it is */
	CU_ASSERT_EQUAL(each, 100);
}

static void put_percpu(struct fake_map *m, __u32 key_index, const __u64 v[NCPU])
{
	memcpy(m->vals + key_index * val_size(m), v, NCPU * sizeof(__u64));
}

static void test_stats_sum_cpus(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	struct skbd_monitor_stats st;
	struct fake_map *m;
	const __u64 seen[NCPU] = { 1, 2, 3, 4 }, fail[NCPU] = { 0, 0, 0, 5 }, rl[NCPU] = { 7, 0, 0, 0 };

	CU_ASSERT_EQUAL(skbd_monitor__stats(r->mon, &st), -EINVAL); /* not loaded */
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	m = fake_by_name(r->f, SKBD_MAP_STATS);
	CU_ASSERT_FATAL(m != NULL);
	put_percpu(m, SKBD_STAT_SEEN, seen);
	put_percpu(m, SKBD_STAT_OUTPUT_FAIL, fail);
	put_percpu(m, SKBD_STAT_RATE_LIMITED, rl);
	r->f->misses = 9;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__stats(r->mon, &st), 0);
	CU_ASSERT_EQUAL(st.seen, 10);
	CU_ASSERT_EQUAL(st.output_fail, 5);
	CU_ASSERT_EQUAL(st.rate_limited, 7);
	CU_ASSERT_EQUAL(st.filtered, 0);
	CU_ASSERT_EQUAL(st.misses, 9);
	r->f->fail_cmd = BPF_MAP_LOOKUP_ELEM;
	r->f->fail_err = -EIO;
	CU_ASSERT_EQUAL(skbd_monitor__stats(r->mon, &st), -EIO);
	rig_close(r);
}

static void test_read_keys(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	const struct skbd_drop_key *keys;
	const __u64 *totals;
	struct fake_map *m;
	size_t n = 99;

	c.summary = true;
	c.by = SKBD_BY_REASON | SKBD_BY_LOCATION | SKBD_BY_DEV | SKBD_BY_NETNS | SKBD_BY_COMM;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__read_keys(r->mon, &keys, &totals, &n), 0);
	CU_ASSERT_EQUAL(n, 0);
	m = fake_by_name(r->f, SKBD_MAP_AGG);
	CU_ASSERT_FATAL(m != NULL);
	for (__u32 i = 0; i < 300; i++) { /* more than one growth of the snapshot */
		struct skbd_agg_key k = { .location = 0xffffffff81000000ULL + i, .reason = i % 7, .ifindex = 1,
					  .netns = 4026531840u };
		__u64 v[NCPU] = { i, 1, 0, 0 };

		memcpy(k.comm, "nc", 3);
		memcpy(m->keys + m->n * m->key_size, &k, sizeof(k));
		put_percpu(m, (__u32)m->n, v);
		m->n++;
	}
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__read_keys(r->mon, &keys, &totals, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 300);
	CU_ASSERT_EQUAL(keys[0].location, 0xffffffff81000000ULL);
	CU_ASSERT_EQUAL(totals[0], 1);
	CU_ASSERT_EQUAL(keys[299].reason, 299 % 7);
	CU_ASSERT_EQUAL(keys[299].netns, 4026531840u);
	CU_ASSERT_STRING_EQUAL(keys[299].comm, "nc");
	CU_ASSERT_EQUAL(totals[299], 300);
	rig_close(r);
}

/* The per-CPU slots in front of the agg map: a key in the map and in two
 * CPUs' slots is one row with the sum; a key only in a slot is a row; a free
 * slot (count 0) is none. Hundreds of slot keys: the index finds each. */
static void test_read_cached_keys(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	const struct skbd_drop_key *keys;
	const __u64 *totals;
	struct skbd_agg_slot *slots;
	struct skbd_agg_key k = { .reason = 2, .netns = 7 };
	__u64 v[NCPU] = { 5, 0, 1, 0 }, sum = 0;
	struct fake_map *m, *cm;
	size_t n = 0, size, found = 0;

	c.summary = true;
	c.by = SKBD_BY_REASON | SKBD_BY_NETNS;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	m = fake_by_name(r->f, SKBD_MAP_AGG);
	cm = fake_by_name(r->f, SKBD_MAP_AGGCACHE);
	CU_ASSERT_FATAL(m != NULL && cm != NULL);
	CU_ASSERT_EQUAL_FATAL(cm->max_entries, NCPU * SKBD_AGGCACHE_SLOTS);
	CU_ASSERT(config_of(r)->flags & SKBD_CFG_AGGCACHE);
	size = (size_t)cm->max_entries * sizeof(*slots);
	slots = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, cm->fd, 0);
	CU_ASSERT_FATAL(slots != MAP_FAILED);
	/* the key in the map (6 drops) and in the slots of CPUs 0 and 3 */
	memcpy(m->keys, &k, m->key_size);
	put_percpu(m, 0, v);
	m->n = 1;
	slots[17].key = k;
	slots[17].count = 10;
	slots[3 * SKBD_AGGCACHE_SLOTS + 200].key = k;
	slots[3 * SKBD_AGGCACHE_SLOTS + 200].count = 100;
	/* 600 keys only in slots of CPU 1 and 2, one drop each */
	for (__u32 i = 0; i < 600; i++) {
		struct skbd_agg_slot *s = &slots[SKBD_AGGCACHE_SLOTS + i];

		s->key = (struct skbd_agg_key){ .reason = 3, .netns = 1000 + i };
		s->count = 1;
	}
	slots[3 * SKBD_AGGCACHE_SLOTS + 255].key = (struct skbd_agg_key){ .reason = 9 }; /* count 0: free */
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__read_keys(r->mon, &keys, &totals, &n), 0);
	CU_ASSERT_EQUAL(n, 601);
	for (size_t i = 0; i < n; i++) {
		sum += totals[i];
		if (keys[i].reason == 2 && keys[i].netns == 7) {
			found++;
			CU_ASSERT_EQUAL(totals[i], 116);
		}
		CU_ASSERT(keys[i].reason != 9);
	}
	CU_ASSERT_EQUAL(found, 1);
	CU_ASSERT_EQUAL(sum, 716);
	/* read again: the same rows, not added twice */
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__read_keys(r->mon, &keys, &totals, &n), 0);
	CU_ASSERT_EQUAL(n, 601);
	munmap(slots, size);
	rig_close(r);
}

/* The config is written and frozen before any program loads (the verifier
 * reads it); what changes later, the hook's location, has a map of its own. */
static void test_config_frozen(void)
{
	struct rig *r = rig_open(true); /* the kernel's BTF has tcp_conn_request: the hook loads */
	struct skbd_monitor_config c = base_config();
	struct fake_map *cm, *hm;
	__u64 loc = 0;
	__u32 zero = 0;

	c.snaplen = 64;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	cm = fake_by_name(r->f, SKBD_MAP_CONFIG);
	hm = fake_by_name(r->f, SKBD_MAP_HOOKLOC);
	CU_ASSERT_FATAL(cm != NULL);
	if (!skbd_monitor__has_btf(r->mon)) { /* a host without BTF: no hook, no map for it */
		CU_ASSERT_PTR_NULL(hm);
		CU_ASSERT(cm->frozen);
		rig_close(r);
		return;
	}
	CU_ASSERT_FATAL(hm != NULL);
	CU_ASSERT(cm->frozen);
	CU_ASSERT_EQUAL(cm->progs_at_freeze, 0);
	CU_ASSERT(r->f->nr_progs > 0);
	CU_ASSERT_EQUAL(config_of(r)->snaplen, 64);
	CU_ASSERT_EQUAL(skbd_monitor__set_hook_location(r->mon, 0xffffffff81234560ULL), 0);
	CU_ASSERT_EQUAL(skbd_bpf_map_lookup_elem(&r->sys, hm->fd, &zero, &loc), 0);
	CU_ASSERT_EQUAL(loc, 0xffffffff81234560ULL);
	rig_close(r);
}

static void test_stack_reads(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	struct fake_map *m;
	__u64 ips[SKBD_DROP_STACK_DEPTH], frames[SKBD_STACK_DEPTH] = { 0xa1, 0xa2, 0xa3 };
	__u32 id = 5;

	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_EQUAL(skbd_monitor__stack(r->mon, 5, ips, 64), -ENOENT); /* no --stack */
	rig_close(r);

	r = rig_open(false);
	c.stack = true;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	m = fake_by_name(r->f, SKBD_MAP_STACKS);
	CU_ASSERT_FATAL(m != NULL && m->value_size == sizeof(frames));
	memcpy(m->keys, &id, sizeof(id));
	memcpy(m->vals, frames, sizeof(frames));
	m->n = 1;
	CU_ASSERT_EQUAL(skbd_monitor__stack(r->mon, 5, ips, 64), 3); /* up to the first 0 */
	CU_ASSERT_EQUAL(ips[2], 0xa3);
	CU_ASSERT_EQUAL(skbd_monitor__stack(r->mon, 5, ips, 2), 2);
	CU_ASSERT_EQUAL(skbd_monitor__stack(r->mon, 6, ips, 64), -ENOENT);
	CU_ASSERT_EQUAL(skbd_monitor__stack(r->mon, -EEXIST, ips, 64), -ENOENT);
	CU_ASSERT_EQUAL(skbd_monitor__stack(r->mon, 64, ips, 64), -ENOENT); /* beyond the map */
	rig_close(r);
}


/* Benign rules: their reasons get the rule's verdict unless filtered or named
 * in --reason; their functions go to the locations map; --all is a flag */
static void test_benign_rules(void)
{
	struct rig *r = rig_open(false);
	struct skbd_monitor_config c = base_config();
	static struct skbd_reason_plan plan;
	const struct skbd_benign_loc locs[2] = { { 0xffffffff81000000ULL, 0xffffffff81000100ULL, 0 },
						 { 0xffffffff81000200ULL, 0xffffffff81000300ULL, 1 } };
	const struct skbd_benign_locs *bl;
	struct fake_map *m;
	__u32 *v;

	c.benign = SKBD_BENIGN_DEFAULT;
	c.all = true;
	memset(&plan, 0, sizeof(plan));
	plan.skip[47] = true; /* --exclude-reason TCP_CLOSE: filtered, not benign */
	c.reasons = &plan;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	CU_ASSERT_EQUAL(config_of(r)->flags, SKBD_CFG_ALL);
	m = fake_by_name(r->f, SKBD_MAP_REASONS);
	CU_ASSERT_FATAL(m != NULL);
	v = (__u32 *)m->vals;
	CU_ASSERT_EQUAL(v[4], SKBD_VERDICT_BENIGN + 0);   /* SOCKET_CLOSE on 6.18 */
	CU_ASSERT_EQUAL(v[104], SKBD_VERDICT_BENIGN + 0); /* QUEUE_PURGE */
	CU_ASSERT_EQUAL(v[47], SKBD_VERDICT_SKIP);
	CU_ASSERT_EQUAL(v[3], SKBD_VERDICT_REPORT);
	CU_ASSERT_EQUAL(skbd_monitor__benign_functions(r->mon, locs, 2), 0);
	m = fake_by_name(r->f, SKBD_MAP_BENIGN_LOCS);
	CU_ASSERT_FATAL(m != NULL);
	bl = (const struct skbd_benign_locs *)m->vals;
	CU_ASSERT_EQUAL(bl->n, 2);
	CU_ASSERT_EQUAL(bl->start[1], 0xffffffff81000200ULL);
	CU_ASSERT_EQUAL(bl->rule[1], 1);
	rig_close(r);

	/* named in --reason: reported, not set apart; no rules: nothing benign */
	r = rig_open(false);
	c = base_config();
	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
		plan.skip[i] = i != 4;
	plan.skip_other = true;
	plan.nr_sub = 0;
	c.reasons = &plan;
	c.benign = SKBD_BENIGN_DEFAULT;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	v = (__u32 *)fake_by_name(r->f, SKBD_MAP_REASONS)->vals;
	CU_ASSERT_EQUAL(v[4], SKBD_VERDICT_REPORT);
	rig_close(r);
	r = rig_open(false);
	c = base_config();
	c.benign = 0;
	CU_ASSERT_EQUAL_FATAL(skbd_monitor__load(r->mon, &c), 0);
	v = (__u32 *)fake_by_name(r->f, SKBD_MAP_REASONS)->vals;
	CU_ASSERT_EQUAL(v[4], SKBD_VERDICT_REPORT);
	rig_close(r);
}

CU_TestInfo skbd_tests_monitor[] = {
	{ "open reads the format, no BPF", test_open_reads_format },
	{ "open: malformed format text", test_open_bad_format },
	{ "open: --btf file that is not BTF", test_open_bad_btf_file },
	{ "load writes config, reasons, sizes", test_load_writes_config },
	{ "load: summary keys and devices", test_load_summary_and_devices },
	{ "load: netns filter needs BTF", test_load_without_btf_refuses_netns },
	{ "load: failures named", test_load_failures_named },
	{ "load: ring buffer program and size", test_ringbuf_program },
	{ "load: perf batches, their flush, the wakeup", test_batches },
	{ "stats summed over CPUs", test_stats_sum_cpus },
	{ "summary keys read", test_read_keys },
	{ "summary keys in the per-CPU slots", test_read_cached_keys },
	{ "config frozen before the programs load", test_config_frozen },
	{ "stacks read", test_stack_reads },
	{ "owner sockets set", test_owner_sockets },
	{ "benign rules", test_benign_rules },
	CU_TEST_INFO_NULL,
};
