// SPDX-License-Identifier: GPL-2.0-only
/* skbdrop: load the kfree_skb program, stream drops from the per-CPU perf
 * rings, print them, and report delivered/lost/per-reason counts at exit. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <stddef.h>
#include <skbdrop/bpfobj.h>
#include <skbdrop/btf.h>
#include <skbdrop/filter.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/loader.h>
#include <skbdrop/log.h>
#include <skbdrop/netdev.h>
#include <skbdrop/perfbuf.h>
#include <skbdrop/ringbuf.h>
#include <skbdrop/tpformat.h>
#include "cli.h"

_Static_assert(offsetof(struct skbd_event, data) == SKBD_EVENT_HDR, "event header is 96 bytes");
_Static_assert(sizeof(struct skbd_event) == SKBD_EVENT_HDR + SKBD_SNAPLEN_MAX, "no tail padding");
_Static_assert(sizeof(struct skbd_config) == 56, "config is 56 bytes");
_Static_assert(sizeof(struct skbd_map_def) == 20, "map def is 20 bytes");

/* The CLI's one stop flag, set from signal handlers. */
static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* Setup-phase library messages are kept and folded into the one error line;
 * once tracing, warnings print as they come. */
static char last_msg[1024];
static bool log_live;

static void cli_log(enum skbd_log_level level, const char *msg)
{
	if (level != SKBD_LOG_WARN)
		return;
	/* a verifier log is the diagnosis itself: always print it */
	if (log_live || !strncmp(msg, "elf: verifier log", 17) || !strncmp(msg, "  ", 2)) {
		fprintf(stderr, "skbdrop: %s\n", msg);
		return;
	}
	snprintf(last_msg, sizeof(last_msg), "%s", msg);
}

static void error_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void error_line(const char *fmt, ...)
{
	va_list ap;

	fputs("skbdrop: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	if (last_msg[0])
		fprintf(stderr, " (%s)", last_msg);
	fputc('\n', stderr);
	last_msg[0] = '\0';
}

/* Kernel stacks by id: the map never rewrites an id's stack (no
 * BPF_F_REUSE_STACKID: a different stack in a taken bucket fails with
 * -EEXIST), so each id is read from the map once. */
struct stack_cache {
	int fd;
	__u32 nr_ids;
	__u64 **ips;     /* [nr_ids], NULL: not read yet */
	__u8 *depth;     /* [nr_ids] */
	__u64 buf[SKBD_STACK_DEPTH];
};

struct run {
	const struct cli_opts *o;
	struct cli_fmt_ctx fc;
	struct cli_fmt_cache cache;
	struct cli_resolver res;
	struct skbd_netdev *nd;
	struct cli_cgroups *cg;
	struct stack_cache sc;
	bool batch_start;  /* apply link notifications before the next event */
	unsigned long long misses; /* the program's recursion misses, at exit */
	char *obuf;  /* formatted events not yet written to stdout */
	size_t olen, ocap;
	unsigned long long delivered;
	unsigned long long lost;
	unsigned long long by_reason[SKBD_REASON_SLOTS];
	unsigned long long by_reason_other;
	bool out_closed; /* EPIPE: reader went away */
	int write_err;
};

/* Write the formatted events to stdout, all of them (short writes resume).
 * Events bypass stdio: they are formatted in place in a buffer of
 * CLI_OUT_BUF bytes, written when it fills and after every poll, in few
 * large write(2)s (a pipe, a terminal or a page-cache file costs per call).
 * 0, or -1 with out_closed (EPIPE) or write_err set. */
static int out_flush(struct run *r)
{
	size_t off = 0;

	while (off < r->olen) {
		ssize_t w = write(STDOUT_FILENO, r->obuf + off, r->olen - off);

		if (w < 0 && errno == EINTR && !stop_signal)
			continue;
		/* stopped (SIGINT/SIGTERM) while the reader of stdout does not read:
		 * a write cut short by the signal is not tried again */
		if (w >= 0 && (size_t)w < r->olen - off && stop_signal) {
			w = -1;
			errno = EINTR;
		}
		if (w < 0) {
			if (errno == EPIPE)
				r->out_closed = true;
			else
				r->write_err = errno;
			r->olen = 0;
			return -1;
		}
		off += (size_t)w;
	}
	r->olen = 0;
	return 0;
}

static int on_sample(void *ctx, int cpu, const void *data, __u32 size)
{
	struct run *r = ctx;
	struct skbd_event ev;
	size_t n;

	if (size < SKBD_EVENT_HDR) /* raw size may include padding, never less */
		return 0;
	r->delivered++;
	if (r->o->count_only)
		goto counted;
	memcpy(&ev, data, SKBD_EVENT_HDR);
	if (ev.caplen > size - SKBD_EVENT_HDR || ev.caplen > SKBD_SNAPLEN_MAX)
		ev.caplen = 0; /* never trust a length the record does not carry */
	memcpy(ev.data, (const char *)data + SKBD_EVENT_HDR, ev.caplen);
	if (ev.reason < SKBD_REASON_SLOTS)
		r->by_reason[ev.reason]++;
	else
		r->by_reason_other++;
	if (r->batch_start && r->nd) {
		skbd_netdev__refresh(r->nd); /* a device deleted meanwhile is not named */
		r->batch_start = false;
	}
	/* room for the longest line: formatted in place */
	if (r->ocap - r->olen < CLI_LINE_MAX && out_flush(r))
		return 1;
	if (r->o->output == CLI_OUT_JSON)
		n = cli_format_json(&r->fc, &ev, r->obuf + r->olen, CLI_LINE_MAX);
	else
		n = cli_format_text(&r->fc, &ev, r->obuf + r->olen, CLI_LINE_MAX);
	if (!r->o->no_output) /* --no-output: formatted, then dropped */
		r->olen += n;
counted:
	if (r->o->count && r->delivered >= r->o->count)
		return 1;
	return 0;
}

static int res_dev_name(void *ctx, __u32 netns, __u32 ifindex, __u64 ts_ns, char name[16])
{
	struct run *r = ctx;

	return r->nd ? skbd_netdev__ifname_at(r->nd, netns, ifindex, ts_ns, name) : -ENOENT;
}

static const char *res_netns_name(void *ctx, __u32 netns)
{
	struct run *r = ctx;

	return r->nd ? skbd_netdev__netns_name(r->nd, netns) : NULL;
}

static const char *res_cgroup_path(void *ctx, __u64 id)
{
	struct run *r = ctx;

	return r->cg ? cli_cgroups__path(r->cg, id) : NULL;
}

static int res_stack(void *ctx, __s32 id, const __u64 **ips)
{
	struct stack_cache *sc = &((struct run *)ctx)->sc;
	__u32 key = (__u32)id, n = 0;
	int err;

	if (id < 0 || key >= sc->nr_ids || sc->fd < 0)
		return -ENOENT;
	if (!sc->ips[key]) {
		err = skbd_bpf_map_lookup_elem(sc->fd, &key, sc->buf);
		if (err)
			return err;
		while (n < SKBD_STACK_DEPTH && sc->buf[n])
			n++;
		sc->ips[key] = malloc(n ? n * sizeof(__u64) : 1);
		if (!sc->ips[key])
			return -ENOMEM;
		memcpy(sc->ips[key], sc->buf, n * sizeof(__u64));
		sc->depth[key] = (__u8)n;
	}
	*ips = sc->ips[key];
	return sc->depth[key];
}

static void stack_cache_free(struct stack_cache *sc)
{
	for (__u32 i = 0; sc->ips && i < sc->nr_ids; i++)
		free(sc->ips[i]);
	free(sc->ips);
	free(sc->depth);
	sc->ips = NULL;
	sc->depth = NULL;
}

static int on_lost(void *ctx, int cpu, __u64 lost)
{
	struct run *r = ctx;

	r->lost += lost;
	return 0;
}

/* One line naming what is missing, or 0 when we may load and attach. */
static int check_privileges(void)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	bool admin, bpf, perfmon;

	memset(d, 0, sizeof(d));
	if (syscall(SYS_capget, &h, d) < 0)
		return 0; /* cannot tell: let the syscalls decide */
#define HAS(cap) (!!(d[(cap) / 32].effective & (1u << ((cap) % 32))))
	admin = HAS(CAP_SYS_ADMIN);
	bpf = HAS(39 /* CAP_BPF, 5.8+ */);
	perfmon = HAS(38 /* CAP_PERFMON, 5.8+ */);
#undef HAS
	if (admin || (bpf && perfmon))
		return 0;
	error_line("missing %s%s%s (or CAP_SYS_ADMIN): run as root", bpf ? "" : "CAP_BPF",
		   !bpf && !perfmon ? " and " : "", perfmon ? "" : "CAP_PERFMON");
	return -EPERM;
}

struct tp_layout {
	const struct skbd_tpformat *fmt;
	const struct skbd_btf *btf; /* NULL: kernel structs are absent */
};

/* The tracepoint struct is laid out from the format file; kernel structs
 * (sk_buff___skbd, ...) from the kernel's BTF, or marked absent without it. */
static int resolve_field(void *ctx, const char *struct_name, const char *field, struct skbd_field_loc *out)
{
	const struct tp_layout *l = ctx;
	const struct skbd_tp_field *f;
	struct skbd_btf_field bf;
	int err;

	memset(out, 0, sizeof(*out));
	if (!strcmp(struct_name, SKBD_TP_STRUCT)) {
		f = skbd_tpformat__field(l->fmt, field);
		out->exists = f != NULL;
		out->offset = f ? f->offset : 0;
		out->size = f ? f->size : 0;
		return 0;
	}
	if (!strstr(struct_name, "___skbd"))
		return -ENOENT; /* not one of ours: a bug, not a kernel difference */
	if (!l->btf)
		return 0;
	err = skbd_btf__field(l->btf, struct_name, field, &bf);
	if (err == -ENOENT)
		return 0; /* this kernel lacks it: the program skips it */
	if (err || bf.is_bitfield)
		return err ? err : -EINVAL;
	out->exists = true;
	out->offset = bf.offset;
	out->size = bf.size;
	return 0;
}

/* Read a whole file (kernel BTF: a few MiB) into memory: sized from fstat
 * when the file tells its size (sysfs does for vmlinux), grown otherwise. */
static int read_file(const char *path, void **data, size_t *len)
{
	FILE *f = fopen(path, "re");
	size_t cap = 1 << 20, n = 0;
	struct stat st;
	char *buf = NULL;
	int err = 0;

	if (!f)
		return -errno;
	if (fstat(fileno(f), &st) == 0 && st.st_size > 0 && st.st_size < (256 << 20))
		cap = (size_t)st.st_size + 1; /* +1: the read that sees EOF */
	buf = malloc(cap);
	if (!buf) {
		err = -ENOMEM;
		goto out;
	}
	for (;;) {
		size_t r = fread(buf + n, 1, cap - n, f);
		char *nb;

		n += r;
		if (n < cap)
			break;
		if (cap >= (256u << 20)) {
			err = -EFBIG;
			goto out;
		}
		nb = realloc(buf, cap * 2);
		if (!nb) {
			err = -ENOMEM;
			goto out;
		}
		buf = nb;
		cap *= 2;
	}
	if (ferror(f))
		err = -EIO;
out:
	fclose(f);
	if (err) {
		free(buf);
		return err;
	}
	*data = buf;
	*len = n;
	return 0;
}

/* Parse a BTF file through mmap (sysfs allows it for vmlinux on newer
 * kernels: one call instead of ~1,400 4 KiB reads). -ENODEV when the file
 * cannot be mapped, so the caller reads it instead. */
static int map_btf(const char *path, struct skbd_btf **out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err;
	struct stat st;
	void *m;

	*out = NULL;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0 || st.st_size <= 0) {
		close(fd);
		return -ENODEV;
	}
	m = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -ENODEV;
	err = skbd_btf__new(m, (size_t)st.st_size, out); /* copies: the mapping goes now */
	munmap(m, (size_t)st.st_size);
	return err;
}

/* The kernel's BTF: --btf FILE (an error if unusable) or the running
 * kernel's (a warning if missing: the tool still runs). */
/* Direct reads of kernel memory (skbd_btf_skb/skbd_btf_sock in the BPF
 * program): where the running kernel has the bpf_rdonly_cast kfunc (6.2+),
 * the cast functions get a body that calls it, and each field the program
 * reads is one guarded load instead of a bpf_probe_read_kernel call. Only with
 * the kernel's own BTF (not --btf): the kfunc and type ids are the running
 * kernel's. If the kernel refuses the program, the loader falls back to the
 * probe reads. SKBDROP_PROBE_READ=1 forces those (tests, comparisons). */
static void offer_direct_reads(struct skbd_obj *obj, const struct skbd_btf *btf)
{
	static const struct {
		const char *func, *type;
	} casts[] = { { SKBD_BTF_SKB_FUNC, "sk_buff" }, { SKBD_BTF_SOCK_FUNC, "sock" } };
	const char *env = getenv("SKBDROP_PROBE_READ");
	int kfunc;

	if (!btf || (env && env[0] && strcmp(env, "0")))
		return;
	int type[2];

	kfunc = skbd_btf__find_by_name_kind(btf, "bpf_rdonly_cast", BTF_KIND_FUNC);
	if (kfunc <= 0)
		return;
	for (size_t i = 0; i < 2; i++) { /* both casts or neither: never half of the fields one way */
		type[i] = skbd_btf__find_by_name_kind(btf, casts[i].type, BTF_KIND_STRUCT);
		if (type[i] <= 0)
			return;
	}
	for (size_t i = 0; i < 2; i++) {
		/* r1: the address; r2: the type; r0: the same address as a BTF pointer */
		const struct bpf_insn body[] = {
			{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = type[i] },
			{ .code = BPF_JMP | BPF_CALL, .src_reg = BPF_PSEUDO_KFUNC_CALL, .imm = kfunc },
			{ .code = BPF_JMP | BPF_EXIT },
		};

		/* only ENOMEM can fail here; the skb cast alone would still read every
		 * field, the socket's state through skb->sk instead of rx_sk */
		if (skbd_obj__set_func_optional(obj, casts[i].func, body, sizeof(body) / sizeof(body[0])))
			break;
	}
}

static int load_kernel_btf(const char *path, struct skbd_btf **out)
{
	const char *p = path ? path : "/sys/kernel/btf/vmlinux";
	void *data = NULL;
	size_t len = 0;
	int err = map_btf(p, out);

	if (err == -ENODEV) { /* no mmap: read it (sysfs hands out 4 KiB per read) */
		err = read_file(p, &data, &len);
		if (!err)
			err = skbd_btf__new_owned(data, len, out); /* no copy of a few MiB */
	}
	if (!err)
		return 0;
	if (path) {
		error_line("--btf %s: %s", path, err == -EINVAL ? "not valid BTF" : strerror(-err));
		return err;
	}
	fprintf(stderr, "skbdrop: warning: no kernel BTF (%s: %s): packet length, device, netns and headers are not reported; give one with --btf FILE\n",
		p, err == -EINVAL ? "not valid BTF" : strerror(-err));
	last_msg[0] = '\0';
	return 0;
}

static int load_format(struct skbd_tpformat **fmt)
{
	char dir[PATH_MAX], *text = NULL;
	int mounted = 0, err;
	size_t len;

	err = skbd_tracefs__find(dir, sizeof(dir), &mounted);
	if (err) {
		error_line("tracefs is not mounted and could not be mounted at /sys/kernel/tracing: %s", strerror(-err));
		return err;
	}
	err = skbd_tracefs__read_format(dir, "skb", "kfree_skb", &text, &len);
	if (mounted)
		skbd_tracefs__unmount(dir); /* read once; leave the host as it was */
	if (err == -ENOENT) {
		error_line("this kernel has no skb:kfree_skb tracepoint (%s/events/skb/kfree_skb)", dir);
		return err;
	}
	if (err) {
		error_line("reading %s/events/skb/kfree_skb/format: %s", dir, strerror(-err));
		return err;
	}
	err = skbd_tpformat__parse(text, len, fmt);
	free(text);
	if (err) {
		error_line("cannot parse the kfree_skb tracepoint format");
		return err;
	}
	return 0;
}

static void list_reasons(const struct skbd_tpformat *fmt, enum cli_output output)
{
	if (output == CLI_OUT_JSON) {
		printf("[");
		for (size_t i = 0; i < fmt->nr_reasons; i++)
			printf("%s{\"code\":%u,\"name\":\"%s\"}", i ? "," : "", fmt->reasons[i].code,
			       fmt->reasons[i].name);
		printf("]\n");
		return;
	}
	if (!fmt->nr_reasons) {
		printf("# this kernel's kfree_skb tracepoint has no drop reasons (added in 5.17)\n");
		return;
	}
	for (size_t i = 0; i < fmt->nr_reasons; i++)
		printf("%u\t%s\n", fmt->reasons[i].code, fmt->reasons[i].name);
}

/* What the device and namespace options resolved to. */
struct place_filter {
	__u32 netns;           /* --netns inode, 0: any */
	char netns_path[PATH_MAX];
	__u32 dev_mode;        /* enum skbd_dev_mode */
	struct skbd_dev_key devs[SKBD_DEVICES_MAX];
	size_t nr_devs;
};

/* --netns and -i/--exclude-device names -> inode and (netns, ifindex) keys.
 * 0, or 1 after printing one error line. */
static int resolve_places(const struct cli_opts *o, struct place_filter *pf)
{
	const char *list = o->devices ? o->devices : o->exclude_devices;
	char msg[512], *copy, *save = NULL, *name;
	__u32 self = 0;
	struct stat st;

	memset(pf, 0, sizeof(*pf));
	if (stat("/proc/self/ns/net", &st) == 0)
		self = (__u32)st.st_ino;
	if (o->netns && cli_netns_parse(o->netns, &pf->netns, pf->netns_path, sizeof(pf->netns_path), msg, sizeof(msg))) {
		error_line("%s", msg);
		return 1;
	}
	if (!list)
		return 0;
	pf->dev_mode = o->devices ? SKBD_DEV_ONLY : SKBD_DEV_EXCEPT;
	if (pf->netns && pf->netns != self && !pf->netns_path[0]) {
		error_line("--netns %s: no path to this namespace to look up device names in", o->netns);
		return 1;
	}
	copy = strdup(list);
	if (!copy) {
		error_line("out of memory");
		return 1;
	}
	for (name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
		__u32 ifx = 0;
		int err = cli_ifindex_in(pf->netns && pf->netns != self ? pf->netns_path : NULL, name, &ifx);

		if (err) {
			error_line("%s %s: %s%s%s", o->devices ? "--device" : "--exclude-device", name,
				   err == -ENODEV ? "no such device" : strerror(-err),
				   pf->netns ? " in netns " : "", pf->netns ? o->netns : "");
			free(copy);
			return 1;
		}
		if (pf->nr_devs == SKBD_DEVICES_MAX) {
			error_line("more than %d devices", SKBD_DEVICES_MAX);
			free(copy);
			return 1;
		}
		pf->devs[pf->nr_devs++] = (struct skbd_dev_key){ .netns = pf->netns ? pf->netns : self, .ifindex = ifx };
	}
	free(copy);
	return 0;
}

static int configure_maps(struct skbd_obj *obj, const struct cli_opts *o, const struct cli_reason_plan *plan,
			  const struct place_filter *pf, bool has_filter)
{
	struct skbd_config cfg = {
		.filter_tgid = o->pid,
		.reason_default = plan->other,
		.flags = (o->stack ? SKBD_CFG_STACK : 0) | (has_filter ? SKBD_CFG_FILTER : 0) |
			 (o->summary ? SKBD_CFG_SUMMARY : 0),
		/* counting needs packet bytes only for the filter */
		.snaplen = o->summary && !has_filter ? 0 : o->snaplen,
		.filter_netns = pf->netns,
		.dev_mode = pf->dev_mode,
		.max_rate = o->max_rate,
		.agg_fields = o->summary ? o->by : 0,
	};
	int dfd = skbd_obj__map_fd(obj, SKBD_MAP_DEVICES);
	__u32 one = 1;
	int cfd = skbd_obj__map_fd(obj, SKBD_MAP_CONFIG), rfd = skbd_obj__map_fd(obj, SKBD_MAP_REASONS);
	__u32 zero = 0;
	int err;

	/* the ring buffer program applies the wakeup policy itself */
	switch (o->wakeup) {
	case CLI_WAKEUP_BYTES:
		cfg.rb_wakeup = SKBD_RB_WAKEUP_BYTES;
		break;
	case CLI_WAKEUP_EVENTS:
		cfg.rb_wakeup = SKBD_RB_WAKEUP_EVENTS;
		break;
	case CLI_WAKEUP_NONE:
		cfg.rb_wakeup = SKBD_RB_WAKEUP_NONE;
		break;
	}
	cfg.rb_wakeup_arg = o->wakeup_arg;

	if (cfd < 0 || rfd < 0)
		return cfd < 0 ? cfd : rfd;
	for (size_t i = 0; i < pf->nr_devs; i++) {
		err = dfd < 0 ? dfd : skbd_bpf_map_update_elem(dfd, &pf->devs[i], &one, BPF_ANY);
		if (err)
			return err;
	}
	/* untouched slots already mean "report": write only the others */
	for (__u32 code = 0; code < SKBD_REASON_SLOTS; code++) {
		if (plan->verdicts[code] == SKBD_VERDICT_REPORT)
			continue;
		err = skbd_bpf_map_update_elem(rfd, &code, &plan->verdicts[code], BPF_ANY);
		if (err)
			return err;
	}
	return skbd_bpf_map_update_elem(cfd, &zero, &cfg, BPF_ANY);
}

static __s64 mono_to_real(void)
{
	struct timespec m1, r, m2;

	clock_gettime(CLOCK_MONOTONIC, &m1);
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m2);
	return (__s64)r.tv_sec * 1000000000 + r.tv_nsec -
	       (((__s64)m1.tv_sec * 1000000000 + m1.tv_nsec) + ((__s64)m2.tv_sec * 1000000000 + m2.tv_nsec)) / 2;
}

static double now_sec(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void read_stats(struct skbd_obj *obj, int nr_cpus, __u64 totals[SKBD_STAT_MAX])
{
	int fd = skbd_obj__map_fd(obj, SKBD_MAP_STATS);
	__u64 *vals = calloc((size_t)nr_cpus, sizeof(__u64));

	memset(totals, 0, sizeof(__u64) * SKBD_STAT_MAX);
	if (fd < 0 || !vals) {
		free(vals);
		return;
	}
	for (__u32 k = 0; k < SKBD_STAT_MAX; k++) {
		if (skbd_bpf_map_lookup_elem(fd, &k, vals))
			continue;
		for (int c = 0; c < nr_cpus; c++)
			totals[k] += vals[c];
	}
	free(vals);
}

/* Drops the kernel did not run the program for (another BPF program was
 * running on that CPU: bpf_prog_active), counted by the kernel since 5.12. */
static unsigned long long prog_misses(struct skbd_obj *obj)
{
	struct bpf_prog_info info;
	int fd = -1;

	for (int i = 0; i < skbd_obj__prog_count(obj) && fd < 0; i++)
		fd = skbd_obj__prog_fd(obj, i);
	memset(&info, 0, sizeof(info));
	if (fd < 0 || skbd_bpf_obj_get_info(fd, &info, sizeof(info)))
		return 0;
	return info.recursion_misses;
}

/* -v: one line of running totals */
static void print_status(const struct run *r, struct skbd_obj *obj, int nr_cpus)
{
	__u64 st[SKBD_STAT_MAX];
	unsigned long long fails;

	read_stats(obj, nr_cpus, st);
	fails = st[SKBD_STAT_OUTPUT_FAIL];
	fprintf(stderr, "skbdrop: status: %llu delivered, %llu lost, %llu filtered, %llu rate-limited\n",
		r->delivered, r->lost > fails ? r->lost : fails, (unsigned long long)st[SKBD_STAT_FILTERED],
		(unsigned long long)st[SKBD_STAT_RATE_LIMITED]);
}

static void wakeup_text(const struct cli_opts *o, char *buf, size_t size)
{
	if (o->wakeup == CLI_WAKEUP_NONE)
		snprintf(buf, size, "none");
	else
		snprintf(buf, size, "%s:%llu", o->wakeup == CLI_WAKEUP_BYTES ? "bytes" : "events", o->wakeup_arg);
}

static void print_summary(const struct run *r, const struct skbd_tpformat *fmt, const __u64 st[SKBD_STAT_MAX],
			  const struct skbd_perfbuf_stats *ts)
{
	unsigned long long fails = st[SKBD_STAT_OUTPUT_FAIL];
	const char *sep = "";
	char wk[48];

	if (r->o->transport == CLI_TRANSPORT_RINGBUF)
		fprintf(stderr, "skbdrop: %llu events delivered, %llu lost (ring buffer full: %llu failed outputs), %llu filtered in kernel, %llu rate-limited\n",
			r->delivered, fails, fails, (unsigned long long)st[SKBD_STAT_FILTERED],
			(unsigned long long)st[SKBD_STAT_RATE_LIMITED]);
	else
		fprintf(stderr, "skbdrop: %llu events delivered, %llu lost (perf ring full: %llu records lost, %llu kernel output failures), %llu filtered in kernel, %llu rate-limited\n",
			r->delivered, r->lost > fails ? r->lost : fails, r->lost, fails,
			(unsigned long long)st[SKBD_STAT_FILTERED], (unsigned long long)st[SKBD_STAT_RATE_LIMITED]);
	if (r->o->stack)
		fprintf(stderr, "skbdrop: %llu stacks could not be recorded (stack map full or bucket collision)\n",
			(unsigned long long)st[SKBD_STAT_STACK_FAIL]);
	if (r->misses)
		fprintf(stderr, "skbdrop: %llu drops missed: the kernel did not run the program for them (another BPF program was running on that CPU)\n",
			r->misses);
	wakeup_text(r->o, wk, sizeof(wk));
	fprintf(stderr, "skbdrop: transport %s, wakeup %s, %llu wakeups, %llu polls\n",
		r->o->transport == CLI_TRANSPORT_RINGBUF ? "ringbuf" : "perf", wk,
		(unsigned long long)ts->wakeups, (unsigned long long)ts->polls);
	if (r->o->count_only) {
		fprintf(stderr, "skbdrop: per-reason counts not collected with --count-only\n");
		return;
	}
	if (!r->delivered)
		return;
	fprintf(stderr, "skbdrop: by reason:");
	for (__u32 code = 0; code < SKBD_REASON_SLOTS; code++) {
		const char *name;

		if (!r->by_reason[code])
			continue;
		name = r->fc.has_reason ? skbd_tpformat__reason_name(fmt, code) : "(no reason field)";
		if (name)
			fprintf(stderr, "%s %s %llu", sep, name, r->by_reason[code]);
		else
			fprintf(stderr, "%s reason#%u %llu", sep, code, r->by_reason[code]);
		sep = ",";
	}
	if (r->by_reason_other)
		fprintf(stderr, "%s other %llu", sep, r->by_reason_other);
	fputc('\n', stderr);
}

/* One snapshot of the agg map: keys and their totals summed over CPUs. */
struct agg_snap {
	struct skbd_agg_key *keys;
	__u64 *totals;
	size_t n, cap;
	__u64 *percpu; /* one lookup's values */
};

static int read_agg(int fd, int nr_cpus, struct agg_snap *sn)
{
	struct skbd_agg_key key, next;
	const void *prev = NULL;
	int err;

	sn->n = 0;
	while ((err = skbd_bpf_map_get_next_key(fd, prev, &next)) == 0) {
		__u64 sum = 0;

		if (sn->n == sn->cap) {
			size_t ncap = sn->cap ? sn->cap * 2 : 256;
			struct skbd_agg_key *nk = realloc(sn->keys, ncap * sizeof(*nk));
			__u64 *nt;

			if (!nk)
				return -ENOMEM;
			sn->keys = nk;
			nt = realloc(sn->totals, ncap * sizeof(*nt));
			if (!nt)
				return -ENOMEM;
			sn->totals = nt;
			sn->cap = ncap;
		}
		key = next;
		prev = &key;
		if (skbd_bpf_map_lookup_elem(fd, &key, sn->percpu))
			continue; /* gone meanwhile: entries are never deleted, so not expected */
		for (int c = 0; c < nr_cpus; c++)
			sum += sn->percpu[c];
		sn->keys[sn->n] = key;
		sn->totals[sn->n++] = sum;
	}
	return err == -ENOENT ? 0 : err;
}

/* Rows that fit the terminal, 0 (all) when stdout is not one. */
static unsigned int tty_rows(bool tty)
{
	struct winsize ws;

	if (!tty || ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) || ws.ws_row < CLI_SUMMARY_HEAD_LINES + 3)
		return 0;
	return ws.ws_row - CLI_SUMMARY_HEAD_LINES - 1;
}

/* --summary: every interval, read the counts and print them (and the
 * Prometheus file); at the end, the final table. Returns the exit status. */
static int run_summary(const struct cli_opts *o, struct skbd_obj *obj, int nr_cpus, struct run *r,
		       const char *release)
{
	struct agg_snap sn = { 0 };
	struct cli_summary *sum = NULL;
	struct cli_summary_head h = { .kernel_release = release };
	double start = now_sec(), next = start + o->summary, deadline = o->duration > 0 ? start + o->duration : 0;
	bool tty = isatty(STDOUT_FILENO), last = false;
	int fd = skbd_obj__map_fd(obj, SKBD_MAP_AGG), err, ret = 1;
	__u64 st[SKBD_STAT_MAX];

	sn.percpu = calloc((size_t)nr_cpus, sizeof(__u64));
	if (fd < 0 || !sn.percpu || cli_summary__new(o->by, start, &sum)) {
		error_line("setting up the summary: %s", fd < 0 ? strerror(-fd) : "out of memory");
		goto out;
	}
	/* the file exists from the start (and a bad path is an error now, not
	 * after the first interval) */
	if (o->prom_file && (err = cli_summary__write_prom(sum, &r->fc, &h, o->prom_file))) {
		error_line("--prom-file %s: %s", o->prom_file, strerror(-err));
		goto out;
	}
	while (!last) {
		double now = now_sec(), until = deadline && deadline < next ? deadline : next;

		if (stop_signal || (deadline && now >= deadline)) {
			last = true;
		} else if (now < until) {
			/* at most a second at a time: link notifications are read meanwhile,
			 * so our netlink sockets never keep a deleted namespace alive */
			double nap = until - now < 1.0 ? until - now : 1.0;
			struct timespec ts = { (time_t)nap, (long)((nap - (double)(time_t)nap) * 1e9) };

			nanosleep(&ts, NULL); /* a signal ends it early */
			if (r->nd)
				skbd_netdev__refresh(r->nd);
			continue;
		}
		next += o->summary;
		if (next < now)
			next = now + o->summary;
		if (r->nd)
			skbd_netdev__refresh(r->nd);
		err = read_agg(fd, nr_cpus, &sn);
		if (err) {
			error_line("reading the summary counts: %s", strerror(-err));
			goto out;
		}
		read_stats(obj, nr_cpus, st);
		now = now_sec();
		if (cli_summary__update(sum, sn.keys, sn.totals, sn.n, st[SKBD_STAT_AGG_OTHER], now)) {
			error_line("out of memory");
			goto out;
		}
		h.elapsed = now - start;
		h.lost = prog_misses(obj); /* drops the program never saw */
		h.counted = cli_summary__counted(sum);
		h.filtered = st[SKBD_STAT_FILTERED];
		if (o->prom_file && (err = cli_summary__write_prom(sum, &r->fc, &h, o->prom_file))) {
			error_line("--prom-file %s: %s", o->prom_file, strerror(-err));
			goto out;
		}
		err = o->output == CLI_OUT_JSON ? cli_summary__write_json(sum, &r->fc, &h, stdout)
						: cli_summary__write_text(sum, &r->fc, &h, tty && !last, tty_rows(tty && !last),
									  stdout);
		if (err == -EPIPE) { /* `| head`: the reader has what it wanted */
			ret = 0;
			goto out;
		}
		if (err) {
			error_line("writing output: %s", strerror(-err));
			goto out;
		}
	}
	fprintf(stderr, "skbdrop: %llu drops counted in the kernel (%llu beyond the %d-key table, in the other row), %llu filtered in kernel, %llu missed\n",
		(unsigned long long)h.counted, (unsigned long long)st[SKBD_STAT_AGG_OTHER], SKBD_AGG_MAX,
		(unsigned long long)h.filtered, h.lost);
	ret = 0;
out:
	cli_summary__free(sum);
	free(sn.keys);
	free(sn.totals);
	free(sn.percpu);
	return ret;
}

/* The two transports behind one face; exactly one of pb/rb is set. */
struct transport {
	struct skbd_perfbuf *pb;
	struct skbd_ringbuf *rb;
};

static int transport_poll(struct transport *t, int timeout_ms)
{
	return t->rb ? skbd_ringbuf__poll(t->rb, timeout_ms) : skbd_perfbuf__poll(t->pb, timeout_ms);
}

static int transport_consume(struct transport *t)
{
	return t->rb ? skbd_ringbuf__consume(t->rb) : skbd_perfbuf__consume(t->pb);
}

static void transport_stats(const struct transport *t, struct skbd_perfbuf_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (t->rb)
		skbd_ringbuf__stats(t->rb, st);
	else if (t->pb)
		skbd_perfbuf__stats(t->pb, st);
}

static void transport_free(struct transport *t)
{
	skbd_ringbuf__free(t->rb);
	skbd_perfbuf__free(t->pb);
	t->rb = NULL;
	t->pb = NULL;
}

/* Open the chosen transport's reader over the loaded maps. */
static int open_transport(struct skbd_obj *obj, const struct cli_opts *o, size_t ring_bytes, size_t rb_size,
			  struct run *r, struct transport *t)
{
	struct skbd_perfbuf_opts pbo = { .pages = o->pages };

	if (o->transport == CLI_TRANSPORT_RINGBUF)
		return skbd_ringbuf__new(skbd_obj__map_fd(obj, SKBD_MAP_RINGBUF), rb_size, on_sample, r, &t->rb);
	switch (o->wakeup) {
	case CLI_WAKEUP_BYTES:
		pbo.watermark_bytes = (size_t)o->wakeup_arg;
		break;
	case CLI_WAKEUP_EVENTS:
		pbo.wakeup_events = (__u32)o->wakeup_arg;
		break;
	case CLI_WAKEUP_NONE:
		/* perf cannot switch wakeups off: a watermark at half the ring is a
		 * safety net that fires only when the timed poll falls behind */
		pbo.watermark_bytes = ring_bytes / 2;
		break;
	}
	return skbd_perfbuf__new(skbd_obj__map_fd(obj, SKBD_MAP_EVENTS), &pbo, on_sample, on_lost, r, &t->pb);
}

int main(int argc, char **argv)
{
	struct cli_opts o;
	struct skbd_tpformat *fmt = NULL;
	struct skbd_obj *obj = NULL;
	struct transport tr = { NULL, NULL };
	struct skbd_perfbuf_stats tstats;
	struct skbd_ksyms *ks = NULL;
	struct skbd_btf *btf = NULL;
	struct cli_reason_plan *plan = NULL;
	struct run *r = NULL;
	struct tp_layout layout;
	long page_size = sysconf(_SC_PAGESIZE);
	size_t ring_bytes = 0, rb_size = 0;
	int prog;
	struct utsname uts;
	struct sigaction sa;
	__u64 stats[SKBD_STAT_MAX];
	char err_buf[256], *plan_err = NULL;
	int err, ret = 1, perf_fd = -1, nr_cpus;
	double deadline = 0, next_status = 0;
	struct skbd_filter *filt = NULL;
	struct place_filter *pf = NULL;

	skbd_set_log(cli_log);
	if (cli_parse_args(argc, argv, &o, err_buf, sizeof(err_buf))) {
		fprintf(stderr, "skbdrop: %s (see skbdrop --help)\n", err_buf);
		return 2;
	}
	if (o.help) {
		cli_usage(stdout);
		return 0;
	}
	if (o.version) {
		printf("skbdrop %s\n", SKBD_VERSION);
		return 0;
	}
	/* a closed stdout must surface as EPIPE, not kill us mid-summary */
	signal(SIGPIPE, SIG_IGN);
	if (o.filter[0]) { /* a bad expression is a usage error, found before anything else */
		char msg[512];

		if (skbd_filter__new(o.filter, &filt, msg, sizeof(msg))) {
			fprintf(stderr, "skbdrop: filter '%s': %s\n", o.filter, msg);
			return 2;
		}
	}

	/* before tracefs, which is root-only too: name the missing capability */
	if (check_privileges())
		goto out;
	if (load_format(&fmt))
		goto out;
	if (o.list_reasons) {
		list_reasons(fmt, o.output);
		ret = fflush(stdout) ? 1 : 0;
		goto out;
	}
	plan = calloc(1, sizeof(*plan));
	r = calloc(1, sizeof(*r));
	pf = calloc(1, sizeof(*pf));
	if (!plan || !r || !pf) {
		error_line("out of memory");
		goto out;
	}

	err = cli_plan_reasons(fmt, o.reasons, o.exclude_reasons, plan, &plan_err);
	if (err) {
		fprintf(stderr, "skbdrop: %s (see skbdrop --help)\n", plan_err ? plan_err : "bad reason list");
		free(plan_err);
		ret = 2;
		goto out;
	}
	if (resolve_places(&o, pf)) /* after the usage checks: a bad option is reported first */
		goto out;
	if (o.summary) /* no records: the ring buffer would be memory for nothing */
		o.transport = CLI_TRANSPORT_PERF;
	skbd_raise_memlock();

	err = skbd_obj__open_mem(skbd_bpf_object, (size_t)(skbd_bpf_object_end - skbd_bpf_object), &obj);
	if (err) {
		error_line("embedded BPF object is malformed");
		goto out;
	}
	if (load_kernel_btf(o.btf_path, &btf))
		goto out;
	if (!btf && (filt || pf->netns || pf->dev_mode != SKBD_DEV_ANY)) {
		error_line("a filter expression, --netns and --device need the kernel's BTF (packet context): give one with --btf FILE");
		goto out;
	}
	if (filt) {
		size_t n = 0;
		const struct bpf_insn *fi = skbd_filter__insns(filt, &n);

		err = skbd_obj__set_func(obj, SKBD_FILTER_FUNC, fi, n);
		if (err) {
			error_line("embedded BPF object has no filter function: %s", strerror(-err));
			goto out;
		}
	}
	if (!o.btf_path)
		offer_direct_reads(obj, btf);
	layout.fmt = fmt;
	layout.btf = btf;
	if (skbd_obj__resolve_fields(obj, resolve_field, &layout)) {
		error_line("cannot lay out the BPF program for this kernel's kfree_skb record");
		goto out;
	}
	nr_cpus = skbd_cpus_possible();
	if (nr_cpus <= 0) {
		error_line("cannot read /sys/devices/system/cpu/possible: %s", strerror(nr_cpus ? -nr_cpus : EINVAL));
		goto out;
	}
	skbd_obj__set_max_entries(obj, SKBD_MAP_EVENTS, (__u32)nr_cpus);
	if (o.stack)
		skbd_obj__set_max_entries(obj, SKBD_MAP_STACKS, CLI_STACK_IDS);
	if (!o.pages)
		o.pages = cli_default_pages(nr_cpus, page_size);
	ring_bytes = (size_t)o.pages * (size_t)page_size; /* per CPU, perf transport */
	/* one ring for all CPUs: as much memory as the per-CPU rings would take */
	rb_size = ring_bytes;
	for (int c = 1; c < nr_cpus && rb_size < (1u << 30); c <<= 1)
		rb_size <<= 1;
	skbd_obj__set_max_entries(obj, SKBD_MAP_RINGBUF, (__u32)rb_size);
	prog = skbd_obj__find_prog(obj, o.transport == CLI_TRANSPORT_RINGBUF ? SKBD_PROG_RINGBUF : SKBD_PROG_PERF);
	if (prog < 0) {
		error_line("embedded BPF object lacks its programs");
		goto out;
	}
	skbd_obj__set_autoload(obj, skbd_obj__find_prog(obj, SKBD_PROG_PERF), o.transport == CLI_TRANSPORT_PERF);
	skbd_obj__set_autoload(obj, skbd_obj__find_prog(obj, SKBD_PROG_RINGBUF), o.transport == CLI_TRANSPORT_RINGBUF);
	if (o.transport == CLI_TRANSPORT_RINGBUF) {
		/* ask the kernel, not an error message: before 5.8 the map type is unknown */
		int probe = skbd_bpf_map_create(BPF_MAP_TYPE_RINGBUF, NULL, 0, 0, (__u32)page_size, 0);

		if (probe == -EINVAL) {
			error_line("the ringbuf transport needs Linux 5.8 or newer (BPF_MAP_TYPE_RINGBUF): use --transport perf");
			goto out;
		}
		if (probe >= 0)
			close(probe);
	}
	err = skbd_obj__load(obj);
	if (err) {
		if (err == -EPERM)
			error_line("the kernel refused to load BPF (EPERM): run as root with CAP_BPF and CAP_PERFMON, or CAP_SYS_ADMIN");
		else if (filt)
			error_line("loading the BPF program with filter '%s' failed: %s", o.filter, strerror(-err));
		else
			error_line("loading the BPF program failed: %s", strerror(-err));
		goto out;
	}
	err = configure_maps(obj, &o, plan, pf, filt != NULL);
	if (err) {
		error_line("configuring BPF maps: %s", strerror(-err));
		goto out;
	}

	r->o = &o;
	r->ocap = CLI_OUT_BUF;
	r->obuf = malloc(r->ocap);
	if (!r->obuf) {
		error_line("out of memory");
		goto out;
	}
	r->fc.fmt = fmt;
	r->fc.has_reason = skbd_tpformat__field(fmt, "reason") != NULL;
	r->fc.mono_to_real_ns = mono_to_real();
	r->fc.cache = &r->cache;
	r->cache.t.sec = -1;
	r->fc.stacks = o.stack;
	r->res = (struct cli_resolver){ .ctx = r, .dev_name = res_dev_name, .netns_name = res_netns_name,
					.cgroup_path = res_cgroup_path, .stack = res_stack };
	r->fc.res = &r->res;
	r->sc.fd = -1;
	if (o.stack) {
		r->sc.fd = skbd_obj__map_fd(obj, SKBD_MAP_STACKS);
		r->sc.nr_ids = CLI_STACK_IDS;
		r->sc.ips = calloc(CLI_STACK_IDS, sizeof(*r->sc.ips));
		r->sc.depth = calloc(CLI_STACK_IDS, 1);
		if (!r->sc.ips || !r->sc.depth) {
			error_line("out of memory");
			goto out;
		}
	}
	if (!o.count_only) {
		err = skbd_netdev__new(&r->nd);
		if (err) {
			fprintf(stderr, "skbdrop: warning: device names unavailable: %s\n", strerror(-err));
			r->nd = NULL;
		}
		if (cli_cgroups__new(&r->cg))
			r->cg = NULL;
	}
	/* stdio carries only the --summary tables, flushed per table (events
	 * bypass it: out_flush); fully buffered even on a terminal */
	setvbuf(stdout, NULL, _IOFBF, 0);
	err = o.summary ? 0 : open_transport(obj, &o, ring_bytes, rb_size, r, &tr);
	if (err) {
		if (o.transport == CLI_TRANSPORT_RINGBUF)
			error_line("setting up the ring buffer (%zu bytes): %s", rb_size, strerror(-err));
		else
			error_line("setting up per-CPU perf rings (%u pages each): %s", o.pages, strerror(-err));
		goto out;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	perf_fd = skbd_tp_attach(skbd_obj__prog_fd(obj, prog), fmt->id);
	if (perf_fd < 0) {
		error_line("attaching to skb:kfree_skb: %s", strerror(-perf_fd));
		goto out;
	}
	uname(&uts);
	fprintf(stderr, "skbdrop: tracing skb:kfree_skb on %d CPUs, kernel %s%s\n", nr_cpus, uts.release,
		r->fc.has_reason ? "" : " (no drop reasons before 5.17)");
	if (o.verbose && btf)
		fprintf(stderr, "skbdrop: kernel fields read with %s\n",
			skbd_obj__func_optional_used(obj, SKBD_BTF_SKB_FUNC) ? "bpf_rdonly_cast loads" :
										 "bpf_probe_read_kernel");
	log_live = true;

	/* symbols after attach: startup time is exec until tracing */
	if (skbd_ksyms__open(NULL, NULL, &ks)) {
		fprintf(stderr, "skbdrop: warning: cannot read /proc/kallsyms: locations are raw addresses\n");
		ks = NULL;
	} else if (skbd_ksyms__restricted(ks)) {
		fprintf(stderr, "skbdrop: warning: /proc/kallsyms addresses are hidden (kptr_restrict): locations are raw addresses\n");
	}
	r->fc.ks = ks;

	if (o.summary) {
		ret = run_summary(&o, obj, nr_cpus, r, uts.release);
		goto out;
	}
	if (o.duration > 0)
		deadline = now_sec() + o.duration;
	next_status = now_sec() + 1;
	while (!stop_signal) {
		int timeout = (int)o.poll_ms;

		if (deadline) {
			double left = deadline - now_sec();

			if (left <= 0)
				break;
			if (left * 1000 < timeout)
				timeout = (int)(left * 1000) + 1;
		}
		if (o.verbose && now_sec() >= next_status) {
			print_status(r, obj, nr_cpus);
			next_status += 1;
		}
		r->batch_start = true;
		err = transport_poll(&tr, timeout);
		if (r->batch_start && r->nd) /* no event this round: notifications still apply,
						so a deleted namespace is not kept alive by our socket */
			skbd_netdev__refresh(r->nd);
		if (r->out_closed || r->write_err || (o.count && r->delivered >= o.count))
			break;
		if (err < 0 && err != -EINTR) {
			out_flush(r); /* what was read before the error */
			error_line("polling perf rings: %s", strerror(-err));
			goto out;
		}
		if (out_flush(r))
			break;
	}
	/* detach first, then take what is still in the rings */
	close(perf_fd);
	perf_fd = -1;
	r->batch_start = true;
	if (!r->out_closed && !r->write_err && !(o.count && r->delivered >= o.count))
		transport_consume(&tr);
	if (!r->out_closed && !r->write_err)
		out_flush(r);
	if (r->out_closed) { /* `skbdrop | head`: the reader has what it wanted */
		ret = 0;
		goto out;
	}
	if (r->write_err) {
		error_line("writing output: %s", strerror(r->write_err));
		goto out;
	}
	read_stats(obj, nr_cpus, stats);
	r->misses = prog_misses(obj);
	transport_stats(&tr, &tstats);
	print_summary(r, fmt, stats, &tstats);
	ret = 0;
out:
	if (perf_fd >= 0)
		close(perf_fd);
	transport_free(&tr);
	skbd_obj__close(obj);
	skbd_ksyms__free(ks);
	skbd_tpformat__free(fmt);
	skbd_btf__free(btf);
	free(plan);
	free(pf);
	skbd_filter__free(filt);
	if (r) {
		free(r->obuf);
		skbd_netdev__free(r->nd);
		cli_cgroups__free(r->cg);
		stack_cache_free(&r->sc);
	}
	free(r);
	return ret;
}
