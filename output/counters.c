// SPDX-License-Identifier: GPL-2.0-only
/* The kernel's drop counters as text lines (the exit summary and the block
 * under the --summary table). */
#include <errno.h>
#include <string.h>
#include "internal.h"

static void put_netns(struct skbd_sbuf *b, const struct skbd_counters_view *v)
{
	if (v->netns_name[0])
		skbd_put_str(b, v->netns_name);
	else
		skbd_put_u64(b, v->netns);
}

int skbd_counters__format_text(const struct skbd_counters_view *v, size_t n, const char *prefix,
			       struct skbd_sbuf *b)
{
	bool untraced = false, first = true;

	for (size_t i = 0; i < n; i++) {
		if (!v[i].n)
			continue;
		skbd_put_str(b, prefix);
		skbd_put_str(b, "kernel counters (netns ");
		put_netns(b, &v[i]);
		skbd_put_str(b, "):");
		for (size_t k = 0; k < v[i].n; k++) {
			skbd_put_str(b, k ? ", " : " ");
			skbd_put_str(b, v[i].d[k].name);
			skbd_put_char(b, ' ');
			skbd_put_u64(b, v[i].d[k].delta);
			if (v[i].d[k].def && v[i].d[k].def->traced != SKBD_TRACED_YES)
				untraced = true;
		}
		skbd_put_char(b, '\n');
	}
	if (!untraced)
		return b->oom ? -ENOMEM : 0;
	skbd_put_str(b, prefix);
	skbd_put_str(b, "not all of these are traced as events here:");
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < v[i].n; k++) {
			const struct skbd_counter_def *d = v[i].d[k].def;
			bool dup = false;

			if (!d || d->traced == SKBD_TRACED_YES)
				continue;
			/* each counter once, however many namespaces or devices moved it */
			for (size_t j = 0; j <= i && !dup; j++)
				for (size_t m = 0; m < (j == i ? k : v[j].n) && !dup; m++)
					dup = v[j].d[m].def == d;
			if (dup)
				continue;
			skbd_put_str(b, first ? " " : "; ");
			first = false;
			skbd_put_str(b, d->name);
			skbd_put_str(b, d->traced == SKBD_TRACED_NO ? " (none: " : " (some: ");
			skbd_put_str(b, d->note ? d->note : "see the README");
			skbd_put_char(b, ')');
		}
	}
	skbd_put_char(b, '\n');
	return b->oom ? -ENOMEM : 0;
}
