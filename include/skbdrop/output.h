/* SPDX-License-Identifier: GPL-2.0-only */
/* The output toolkit: one write loop, one JSON string writer, one wall-clock
 * formatter, the event formatters (text line, NDJSON) and the streaming sink
 * the CLI writes events through, the packet writers, and --summary (the
 * model of rows and its text / JSON / Prometheus writers). Formatters are
 * pure: they take drops and names the caller resolved before (names.h) and
 * never call back, block or write into a model. */
#ifndef SKBDROP_OUTPUT_H
#define SKBDROP_OUTPUT_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include <skbdrop/drop.h>
#include <skbdrop/counters.h>
#include <skbdrop/names.h>
#include <skbdrop/packet.h>
#include <skbdrop/sbuf.h>
#include <skbdrop/tpformat.h>

/* ---- writing ------------------------------------------------------------ */

/* Write all len bytes of buf to fd, resuming short writes. EINTR is retried
 * unless *stop is set (stop may be NULL: always retried); a write cut short
 * while *stop is set is not tried again. 0, or -errno: -EINTR (stopped),
 * -EPIPE (the reader went away), -EIO (write returned 0), ... */
int skbd_write_all(int fd, const void *buf, size_t len, const volatile sig_atomic_t *stop);
/* The same, telling in *written how many bytes went out (also on error). */
int skbd_write_some(int fd, const void *buf, size_t len, const volatile sig_atomic_t *stop, size_t *written);

/* ---- JSON strings ------------------------------------------------------- */

/* A JSON string value (with its quotes) of the n bytes at s / of the
 * NUL-terminated s. The one escaping rule of all our JSON:
 * - valid UTF-8 (RFC 3629: no overlongs, no surrogates, nothing past
 *   U+10FFFF) passes through unchanged, except:
 * - '"' and '\' as \" and \\;
 * - control characters (0x00-0x1f and 0x7f) as \u00XX (lowercase hex; no
 *   short forms: "\n" is \u000a);
 * - every byte that is not part of a valid UTF-8 sequence (stray
 *   continuation bytes, overlong, truncated or surrogate sequences, 0xf5-0xff)
 *   as \u00XX of that byte: valid JSON, and the raw byte can be told back
 *   (as U+0080..U+00FF, the same as Latin-1 text would read). */
void skbd_put_json_mem(struct skbd_sbuf *b, const char *s, size_t n);
void skbd_put_json_str(struct skbd_sbuf *b, const char *s);

/* Length of the valid UTF-8 sequence at s (at most n bytes available), 0 if
 * there is none (see above). */
size_t skbd_utf8_len(const unsigned char *s, size_t n);

/* ---- wall time ---------------------------------------------------------- */

/* UTC calendar date of a day count since 1970-01-01: our own arithmetic, as a
 * static glibc's gmtime_r opens /etc/localtime. */
void skbd_civil_from_days(long long days, int *y, int *m, int *d);

/* The text of one wall-clock second, kept while stamps fall in it. */
struct skbd_time_text {
	__s64 sec;     /* second since the epoch of date[]/hms[]; -1: none yet */
	char date[64]; /* "YYYY-MM-DDTHH:MM:SS" (room for any value) */
	char hms[40];  /* "HH:MM:SS" */
};

/* The wall time of the CLOCK_MONOTONIC stamp mono_ns (plus mono_to_real_ns;
 * before the epoch reads as the epoch): fills t unless it already holds that
 * second (set t->sec = -1 before the first call), returns the nanoseconds
 * within the second. */
long skbd_time_text__set(struct skbd_time_text *t, __s64 mono_to_real_ns, __u64 mono_ns);

/* ---- events ------------------------------------------------------------- */

/* Room for any formatted event: header, decoded layers and 64 stack frames. */
#define SKBD_LINE_MAX 16384
#define SKBD_OUT_BUF (256 * 1024) /* the sink's buffer: events formatted, not yet written */

/* Reason names by code and the JSON members that repeat in a burst, so a
 * streamed event costs no symbol search and no printf. Zero it, then set
 * t.sec = -1 (or let skbd_out__new own one). */
struct skbd_fmt_cache {
	struct skbd_time_text t;
	bool reasons_built;
	const char *reason[SKBD_DROP_REASON_SLOTS];
	/* JSON: the members from "cpu" to "protocol" of the last event, reused
	 * while what they show repeats: the location compared by its address
	 * and its text (a kallsyms re-read may give an address a new one) */
	struct {
		bool valid;
		__u32 cpu, pid, tid, reason;
		__u64 location_addr;
		__u16 protocol;
		char comm[16];
		char location[SKBD_NAME_LOC];
		unsigned short len;
		char text[640];
	} ident;
};

/* What the event formatters need besides the drop and its names. */
struct skbd_fmt_ctx {
	const struct skbd_tpformat *fmt; /* reason names; NULL: none */
	__s64 mono_to_real_ns;  /* add to a CLOCK_MONOTONIC stamp to get wall time */
	bool has_reason;        /* the kernel's record has a reason field */
	bool stacks;            /* --stack: print the stack (or why it is missing) */
	bool sock_state;        /* --sock-state: text lines show the owner socket's queue and window numbers */
	struct skbd_fmt_cache *cache; /* optional (NULL: compute every time) */
};

/* Format drop d, shown with names nm (resolved by the caller: location,
 * device, netns, cgroup, stack frames), as a text line (plus indented stack
 * lines with --stack) / an NDJSON object, with '\n' and a NUL. d->caplen must
 * not exceed the bytes the record carried. Return the length written
 * (truncated to size - 1 if buf is short, like snprintf's result clamped).
 * A JSON object that does not fit is written again without cgroup and stack,
 * marked "truncated": a line is never cut in the middle when it can fit. */
size_t skbd_fmt__text(const struct skbd_fmt_ctx *c, const struct skbd_drop *d, const struct skbd_drop_names *nm,
		      char *buf, size_t size);
size_t skbd_fmt__json(const struct skbd_fmt_ctx *c, const struct skbd_drop *d, const struct skbd_drop_names *nm,
		      char *buf, size_t size);

/* ---- the streaming sink --------------------------------------------------- */

/* Events are formatted in place into a buffer of SKBD_OUT_BUF bytes (room for
 * SKBD_LINE_MAX checked before each) and written to fd in large writes when
 * it fills and at every skbd_out__flush (call it after each poll batch). */
struct skbd_out_opts {
	bool json;                          /* NDJSON, else text lines */
	bool discard;                       /* --no-output: format, then drop */
	const volatile sig_atomic_t *stop;  /* for skbd_write_all; may be NULL */
};

struct skbd_out;

/* fd is borrowed (not closed by free). The sink copies *c and owns its own
 * cache (c->cache is ignored). 0 and *out, or -ENOMEM / -EINVAL. */
int skbd_out__new(int fd, const struct skbd_fmt_ctx *c, const struct skbd_out_opts *opts, struct skbd_out **out);
void skbd_out__free(struct skbd_out *o);

/* Format one drop (flushing first when less than SKBD_LINE_MAX is free).
 * 0, or the -errno of that flush. */
int skbd_out__event(struct skbd_out *o, const struct skbd_drop *d, const struct skbd_drop_names *nm);

/* Write everything buffered. 0, or -errno of skbd_write_all (-EPIPE: the
 * reader went away). An error sticks: the buffer is dropped and every later
 * call returns it without writing. */
int skbd_out__flush(struct skbd_out *o);
/* Lines formatted but not (wholly) written because a flush failed: a line
 * cut short counts as not written (an event is one line, plus one per stack
 * frame in text with stacks). */
unsigned long long skbd_out__unwritten(const struct skbd_out *o);

/* ---- -w: the dropped packets as pcapng ----------------------------------- */
/* One Section Header Block per file, one Interface Description Block per
 * (netns, ifindex, link type) seen in it, named after the device, and one
 * Enhanced Packet Block per drop: LINKTYPE_ETHERNET when the MAC header was
 * captured, else LINKTYPE_LINUX_SLL2 (its header carries the ifindex and
 * ethertype); the comment "reason=R location=L owner=O", the event's JSON in
 * a custom option, and the events lost since the previous packet as the drop
 * count. Host byte order, nanosecond stamps (if_tsresol 9). */
#define SKBD_PCAPNG_PEN 32473 /* the custom option's enterprise number: RFC 5612's, for documentation */

struct skbd_pcapng_opts {
	const char *path;                  /* "-": stdout */
	unsigned long long rotate_bytes;   /* -C: start a new file past this size (0: never) */
	unsigned int rotate_files;         /* -W: at most this many files, reused in turn (0: no limit) */
	const char *app;                   /* shb_userappl */
	unsigned int snaplen;              /* the capture's (interface blocks say it) */
	int uid, gid;                      /* owner of the files created (-Z's user, so rotation
					    * can reuse them after the change); -1: unchanged */
	const volatile sig_atomic_t *stop; /* for skbd_write_all; may be NULL */
};

struct skbd_pcapng;

/* Open the first file (created 0644, truncated) and write its section
 * header. The writer copies *c (and owns a cache). 0, or -errno of the open
 * (the CLI names the path), -ENOMEM, -EINVAL. */
int skbd_pcapng__new(const struct skbd_fmt_ctx *c, const struct skbd_pcapng_opts *o, struct skbd_pcapng **out);
/* Flush and close (a NULL is fine). 0, or the -errno of that flush. */
int skbd_pcapng__free(struct skbd_pcapng *p);
/* One drop: its interface block first when new in this file, then the
 * packet block; lost: events lost since the previous one. Buffered; rotates
 * before a block that would pass rotate_bytes. 0 or -errno (sticky). */
int skbd_pcapng__event(struct skbd_pcapng *p, const struct skbd_drop *d, const struct skbd_drop_names *nm, __u64 lost);
/* Write what is buffered. 0 or -errno (sticky). */
int skbd_pcapng__flush(struct skbd_pcapng *p);
/* The end of the capture: lost events after the last packet, then the
 * statistics block that ends every file (isb_ifdrop: events lost since the
 * capture began; isb_usrdeliv: packets written); flush after it. Without
 * it, skbd_pcapng__free writes the block. */
void skbd_pcapng__finish(struct skbd_pcapng *p, __u64 lost);
struct skbd_pcapng_stats {
	unsigned long long packets, lost, files;
};
void skbd_pcapng__stats(const struct skbd_pcapng *p, struct skbd_pcapng_stats *st);
/* The name of file number n of a capture (as tcpdump names them): path
 * itself without rotation; with -C path, path1, path2, ...; with -W too,
 * path0 .. path(N-1) with as many digits as N - 1 has. */
void skbd_pcapng__file_name(const struct skbd_pcapng_opts *o, unsigned long long n, char *buf, size_t size);

/* The blocks, appended to a growing buffer (exposed for the tests). */
void skbd_pcapng__put_shb(struct skbd_sbuf *b, const char *app);
void skbd_pcapng__put_idb(struct skbd_sbuf *b, __u16 linktype, __u32 snaplen, const char *name, const char *desc);
void skbd_pcapng__put_isb(struct skbd_sbuf *b, __u32 iface, __u64 ts, __u64 lost, __u64 delivered);
/* The packet bytes a drop is written with: linktype, bytes (an SLL2 header
 * built in hdr, then the captured bytes from the network header), original
 * length. Returns the linktype. */
__u16 skbd_pcapng__frame(const struct skbd_drop *d, __u8 hdr[20], const __u8 **data, __u32 *hdr_len, __u32 *caplen,
			 __u32 *origlen);
#define SKBD_LINKTYPE_ETHERNET 1
#define SKBD_LINKTYPE_LINUX_SLL2 276

/* ---- packets (the decoder is packet.h) -------------------------------- */

/* tcpdump-style one-line summary without a trailing newline, e.g.
 * "udp 10.0.0.1.40000 > 10.0.0.2.9", "tcp 2001:db8::1.443 > 2001:db8::2.5 [S.]"
 * (see output/packet.c for every form). Returns the snprintf-style length;
 * the text is cut (and NUL-terminated) to size - 1. */
size_t skbd_pkt__format_text(const struct skbd_pkt *p, char *buf, size_t size);

/* The JSON value of "layers": an object with one member per decoded layer,
 * e.g. {"ipv4":{...},"udp":{...}}; {} when nothing was captured. Same length
 * convention as above. */
size_t skbd_pkt__format_json(const struct skbd_pkt *p, char *buf, size_t size);

/* Upper bounds of the two formatters' lengths for any packet: a buffer this
 * big never cuts (tests/unit/test_packet.c checks them on a worst case). */
#define SKBD_PKT_TEXT_MAX 192
#define SKBD_PKT_JSON_MAX 1024

/* ---- --summary: the model --------------------------------------------- */
/* Drop counts per key of the kernel's aggregation: totals and rates per
 * interval. Pure memory: no names, no I/O. */

#define SKBD_SUMMARY_BY_DEFAULT (SKBD_BY_REASON | SKBD_BY_LOCATION | SKBD_BY_DEV | SKBD_BY_NETNS)

struct skbd_summary;

/* --by list ("reason,location,dev,netns,comm"; "device" = "dev") -> the
 * SKBD_BY_* mask. -EINVAL with a one-line message listing the valid names
 * on an unknown or empty name or an empty list; *mask written on success. */
int skbd_summary__parse_by(const char *list, __u32 *mask, char *err, size_t err_size);
/* The mask's field names, comma-separated ("reason,dev"), cut to size. */
void skbd_summary__by_names(__u32 mask, char *buf, size_t size);

/* by: the SKBD_BY_* columns (-EINVAL for other bits). start: when counting
 * began (CLOCK_MONOTONIC seconds): the first snapshot's rates are over
 * now - start. -ENOMEM. */
int skbd_summary__new(__u32 by, double start, struct skbd_summary **out);
void skbd_summary__free(struct skbd_summary *s);

/* One snapshot at now (monotonic seconds): n keys with their totals since
 * start (summed over CPUs) and the total counted in no key ("other"). Fields
 * that by does not select are ignored (but the netns stays with dev: a device
 * is named within its netns), so are comm bytes after a NUL. Rows are kept
 * for the whole run: a key missing from a snapshot keeps its total (rate 0).
 * Rate = (total - previous total) / (now - previous now); a total below the
 * previous one counts as a restart (all of it new). 0, or -ENOMEM with
 * nothing changed. */
int skbd_summary__update(struct skbd_summary *s, const struct skbd_drop_key *keys, const __u64 *totals, size_t n,
			 __u64 other_total, double now);
__u32 skbd_summary__by(const struct skbd_summary *s);
size_t skbd_summary__nr_rows(const struct skbd_summary *s);  /* the other row not included */
__u64 skbd_summary__counted(const struct skbd_summary *s);   /* all totals, other included */
double skbd_summary__rate(const struct skbd_summary *s);     /* drops/s over the last interval */
double skbd_summary__interval(const struct skbd_summary *s); /* seconds of the last interval */
double skbd_summary__now(const struct skbd_summary *s);      /* monotonic seconds of the last update */

/* One row as the writers show it. */
struct skbd_summary_row {
	const struct skbd_drop_key *key; /* normalized (unselected fields 0); NULL: the "other" row */
	size_t id;      /* the row's number, stable for the run (0, 1, ...: order of first
			 * appearance), so a caller can keep a row's names; SIZE_MAX for "other" */
	__u64 total;    /* at the last snapshot */
	__u64 delta;    /* since the snapshot before */
	double rate;    /* delta over the last interval */
};

/* Every row plus the other row (when it counted anything), by rate, then
 * total (both descending), then key; the other row after keys that tie with
 * it. *rows is malloc'd (the caller frees it); its keys point into s and are
 * valid until the next update or free. 0, or -ENOMEM. */
int skbd_summary__sorted(const struct skbd_summary *s, struct skbd_summary_row **rows, size_t *n);

/* ---- --summary: the writers -------------------------------------------- */

/* Numbers the caller knows, for the header / top-level fields. */
/* One namespace's kernel drop counters that moved since the start. */
struct skbd_counters_view {
	__u32 netns;
	char netns_name[SKBD_NAME_NETNS]; /* "": none */
	struct skbd_counter_delta *d;     /* n of them */
	size_t n;
};

/* The views as text lines, each starting with prefix ("" or "skbdrop: "):
 * "kernel counters (netns NAME|INODE): A 1, B 2" for each namespace with
 * counters that moved, then one line naming those whose drops cannot all be
 * events here, with why. Nothing when nothing moved. -ENOMEM. */
int skbd_counters__format_text(const struct skbd_counters_view *v, size_t n, const char *prefix,
			       struct skbd_sbuf *out);

struct skbd_otlp_stats;
struct skbd_summary_head {
	const char *kernel_release; /* NULL: unknown */
	double elapsed;             /* seconds since start */
	unsigned long long counted, lost, filtered, rate_limited;
	const struct skbd_counters_view *counters; /* the kernel's counters (a block under the table,
						    * "counters" in JSON, a Prometheus family) */
	size_t nr_counters;
	unsigned long long benign;  /* benign frees set apart (not in the rows without --all) */
	/* the Prometheus writer's more (all zero for the --prom-file of old) */
	__u32 labels;               /* the SKBD_BY_* fields made labels, of those the rows have (0: all) */
	bool streaming;             /* events are streamed: delivered and lost (ring full) are counted */
	unsigned long long delivered, missed; /* missed: drops the kernel ran no program for */
	const __u64 *benign_rules;  /* SKBD_DROP_BENIGN_RULES counts by rule, NULL: none */
	const char *version;        /* skbdrop_build_info labels (NULL: not written) */
	const char *transport;
	const struct skbd_otlp_stats *otlp; /* --otlp's records by outcome (otlp.h); NULL: none */
};

/* What a writer shows: all the rows from skbd_summary__sorted (the text
 * writer cuts them itself) and names[i] for rows[i] (resolved by the caller
 * with skbd_names__key; unused for the other row). */
struct skbd_summary_view {
	const struct skbd_summary_row *rows;
	const struct skbd_key_names *names;
	size_t n;
	const struct skbd_summary_head *head;
};

/* Lines of the text table that are not rows: two header lines, a blank one
 * and the column titles (plus "\033[H\033[2J" for a terminal). */
#define SKBD_SUMMARY_HEAD_LINES 4

/* The writers append to out, a growing buffer (skbd_sbuf__grow_init): the
 * caller writes it in one piece (skbd_write_all), so a reader never sees half
 * a table. 0, or -ENOMEM (out holds a cut text: do not write it). c gives
 * reason names and the wall clock (stacks unused; a cache, if any, only
 * caches reason names). */

/* Text table: header block, column titles, one line per row. max_rows (0:
 * all) limits the row lines; when rows are left out, the last of them is
 * "... N more rows". tty: start with home + clear, else end with a blank line. */
int skbd_summary__format_text(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *v, bool tty, unsigned int max_rows,
			      struct skbd_sbuf *out);
/* One JSON object on one line, rows holding only the --by fields. */
int skbd_summary__format_json(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *v, struct skbd_sbuf *out);
/* Prometheus text exposition format (rows whose labels read the same are
 * summed into one series). */
int skbd_summary__format_prom(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			      const struct skbd_summary_view *v, struct skbd_sbuf *out);
/* The Prometheus text, replacing path atomically (path.tmp.PID in the same
 * directory, fsync, rename). 0 or -errno; a failure leaves no temporary file. */
int skbd_summary__write_prom(const struct skbd_summary *s, const struct skbd_fmt_ctx *c,
			     const struct skbd_summary_view *v, const char *path);

#endif
