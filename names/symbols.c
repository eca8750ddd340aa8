// SPDX-License-Identifier: GPL-2.0-only
/* Kernel text address -> "func+0xoff [mod]": the kallsyms table behind a
 * cache of texts hashed by address, so a repeated location (a burst of drops
 * from one place, the frames of a stack) costs no symbol search and no
 * printf. The only user of kallsyms.h in names/. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <skbdrop/kallsyms.h>
#include <skbdrop/log.h>
#include <skbdrop/names.h>
#include "names_int.h"

#define SYMS_CACHE 256

struct sym_slot {
	__u64 addr;
	bool valid;
	char text[SKBD_NAME_LOC];
};

struct skbd_syms {
	struct skbd_ksyms *ks; /* NULL: every address raw */
	char scratch[SKBD_NAME_LOC];
	struct sym_slot slot[SYMS_CACHE];
};

/* The table of the two files (re-read on a miss: a module loaded after
 * start), or NULL after a warning (the text the CLI always printed, minus
 * its "skbdrop: " prefix). */
static struct skbd_ksyms *ksyms_open(const char *path, const char *modules)
{
	struct skbd_ksyms *ks = NULL;

	if (skbd_ksyms__open(path, modules, &ks)) {
		skbd_log(SKBD_LOG_WARN, "warning: cannot read /proc/kallsyms: locations are raw addresses");
		return NULL;
	}
	if (skbd_ksyms__restricted(ks))
		skbd_log(SKBD_LOG_WARN, "warning: /proc/kallsyms addresses are hidden (kptr_restrict): locations are raw addresses");
	return ks;
}

/* The text of addr; false when it may change (an unknown address may be in
 * a module not read yet): such an answer is not cached. */
static bool ksyms_text(struct skbd_ksyms *ks, __u64 addr, char *buf, size_t size)
{
	bool may_change = false;

	if (!ks) {
		skbd_ksyms__format(NULL, addr, buf, size);
		return true;
	}
	skbd_ksyms__symbolize(ks, addr, buf, size, &may_change);
	return !may_change;
}

int skbd_syms__new(const char *path, const char *modules, bool load, struct skbd_syms **out)
{
	struct skbd_syms *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	if (load)
		s->ks = ksyms_open(path, modules);
	*out = s;
	return 0;
}

void skbd_syms__free(struct skbd_syms *s)
{
	if (!s)
		return;
	skbd_ksyms__free(s->ks);
	free(s);
}

const char *skbd_syms__text(struct skbd_syms *s, __u64 addr)
{
	struct sym_slot *e = &s->slot[(addr ^ (addr >> 7) ^ (addr >> 17)) % SYMS_CACHE];

	if (!e->valid || e->addr != addr) {
		e->valid = ksyms_text(s->ks, addr, e->text, sizeof(e->text));
		e->addr = addr;
	}
	return e->text;
}

int skbd_syms__range(const struct skbd_syms *s, const char *name, __u64 *start, __u64 *end)
{
	return s->ks ? skbd_ksyms__range(s->ks, name, start, end) : -ENOENT;
}

int skbd_syms__each(const struct skbd_syms *s, const char *pattern,
		    void (*fn)(void *ctx, const char *name, __u64 start, __u64 end), void *ctx)
{
	return s->ks ? skbd_ksyms__each(s->ks, pattern, fn, ctx) : -ENOENT;
}
