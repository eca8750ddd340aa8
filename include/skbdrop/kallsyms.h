/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/kallsyms symbolizer: sorted text symbols, each bounded by the range of
 * what contains it (a module from /proc/modules, the kernel's text), and a
 * file-backed table that re-reads both files when an address misses. */
#ifndef SKBDROP_KALLSYMS_H
#define SKBDROP_KALLSYMS_H

#include <stdio.h>
#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>

struct skbd_ksyms;

struct skbd_ksym {
	__u64 addr;
	const char *name;
	const char *module; /* NULL for vmlinux symbols */
};

/* Parse kallsyms text ("ADDR TYPE NAME [MODULE]" lines) from f. Only text
 * symbols (t/T/w/W) are kept. Returns 0 and *out, -EINVAL on malformed text
 * (message names the line), -ENOMEM. An empty input is valid (0 symbols).
 * Same as skbd_ksyms__new_with_modules(f, NULL, out). */
int skbd_ksyms__new(FILE *f, struct skbd_ksyms **out);

/* Like skbd_ksyms__new, with /proc/modules text ("NAME SIZE REFS DEPS STATE
 * 0xADDR [TAINT]" lines) in modules (may be NULL) giving each module's range.
 * The modules text never makes the call fail: a malformed line is skipped
 * (that module falls back to the rules below) and one warning names the
 * first bad line and how many were skipped; a read error drops all ranges. */
int skbd_ksyms__new_with_modules(FILE *kallsyms, FILE *modules, struct skbd_ksyms **out);

/* Read kallsyms_path and modules_path (NULL: /proc/kallsyms, /proc/modules)
 * into a table that skbd_ksyms__symbolize can re-read. No fd stays open: free
 * it with skbd_ksyms__free. Returns 0 and *out, or -errno of opening
 * kallsyms_path, or the errors of skbd_ksyms__new_with_modules. A missing or
 * unreadable modules file is no error (no ranges from it). */
int skbd_ksyms__open(const char *kallsyms_path, const char *modules_path, struct skbd_ksyms **out);

void skbd_ksyms__free(struct skbd_ksyms *ks);

/* True when every address read was 0 (kptr_restrict hides them). */
bool skbd_ksyms__restricted(const struct skbd_ksyms *ks);
size_t skbd_ksyms__count(const struct skbd_ksyms *ks);

/* The symbol containing addr (greatest start <= addr), *offset = addr - start.
 * A symbol covers up to the next symbol's start and no further than:
 *  - a module symbol: its module's end (base + size from the modules text,
 *    cut at the next module's base); without that range (no modules text,
 *    addresses hidden, a pseudo-module such as [bpf]) the next symbol of the
 *    same module, and at most 64 KiB past the module's last symbol;
 *  - a vmlinux symbol: the end of the kernel text range holding it
 *    ([_stext, _etext), [_sinittext, _einittext)) when those symbols exist
 *    (then a vmlinux symbol outside them covers nothing: end markers, freed
 *    .exit.text, 7.x data symbols typed 't'/'T'); otherwise the next
 *    vmlinux symbol, and at most 1 MiB past the last one.
 * 0 and *sym (may be NULL), or -ENOENT when restricted, empty, or addr is
 * outside every range (below the first symbol, past a module's end, between
 * modules, beyond _etext); *sym and *offset are then untouched. sym's names
 * stay valid until the table is freed or re-read. */
int skbd_ksyms__lookup(const struct skbd_ksyms *ks, __u64 addr, struct skbd_ksym *sym, __u64 *offset);

/* Write "func+0xoff", "func+0xoff [module]", or "0x<hex>" when unresolved.
 * Returns snprintf-style length. ks may be NULL. Never re-reads. */
int skbd_ksyms__format(const struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size);

/* The text a vmlinux function covers, [start, end): 0, or -ENOENT (no such
 * symbol, addresses hidden). */
int skbd_ksyms__range(const struct skbd_ksyms *ks, const char *name, __u64 *start, __u64 *end);
/* fn(ctx, name, start, end) for each text symbol pattern names: a vmlinux
 * function by its exact name, or "*SUFFIX": every function, in vmlinux or a
 * module, whose name ends so. 0, or -ENOENT when none matched. */
int skbd_ksyms__each(const struct skbd_ksyms *ks, const char *pattern,
		     void (*fn)(void *ctx, const char *name, __u64 start, __u64 end), void *ctx);

/* skbd_ksyms__format for a table from skbd_ksyms__open: when addr is outside
 * every known range and the files were last read (or tried) more than 1 s ago,
 * re-read both files first (a module loaded since), then look up again. A
 * failed re-read keeps the old table (one warning). Re-reading invalidates
 * skbd_ksym pointers from earlier lookups. Tables from skbd_ksyms__new* and
 * restricted tables are never re-read. Returns snprintf-style length;
 * *may_change (may be NULL) is set true when the text is the "0x<hex>"
 * fallback of a re-readable table, which a later call may resolve: cache
 * such answers briefly or not at all. A symbol answer is false: it changes
 * only if its module is unloaded, which is not detected. ks may be NULL. */
int skbd_ksyms__symbolize(struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size, bool *may_change);

/* Monotonic clock in nanoseconds, for the re-read rate limit. */
typedef __u64 (*skbd_ksyms_clock_fn)(void *ctx);

/* Replace the clock (NULL: CLOCK_MONOTONIC), for tests. The table counts as
 * read at the new clock's present moment. */
void skbd_ksyms__set_clock(struct skbd_ksyms *ks, skbd_ksyms_clock_fn now_ns, void *ctx);

#endif
