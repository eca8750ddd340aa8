/* SPDX-License-Identifier: GPL-2.0-only */
/* /proc/kallsyms: read once, sorted, binary-search lookup, module symbols. */
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
 * (message names the line), -ENOMEM. An empty input is valid (0 symbols). */
int skbd_ksyms__new(FILE *f, struct skbd_ksyms **out);
void skbd_ksyms__free(struct skbd_ksyms *ks);

/* True when every address read was 0 (kptr_restrict hides them). */
bool skbd_ksyms__restricted(const struct skbd_ksyms *ks);
size_t skbd_ksyms__count(const struct skbd_ksyms *ks);

/* The symbol containing addr (greatest start <= addr), *offset = addr - start.
 * NULL when restricted, empty, addr below the first symbol, or more than
 * 1 MiB past the last one. */
const struct skbd_ksym *skbd_ksyms__lookup(const struct skbd_ksyms *ks, __u64 addr, __u64 *offset);

/* Write "func+0xoff", "func+0xoff [module]", or "0x<hex>" when unresolved.
 * Returns snprintf-style length. ks may be NULL. */
int skbd_ksyms__format(const struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size);

#endif
