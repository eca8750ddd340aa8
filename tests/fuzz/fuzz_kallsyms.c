// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: /proc/kallsyms text, and /proc/modules text after the
 * first NUL byte when there is one; then lookups, formatting and ranges. */
#include <stdint.h>
#include <string.h>
#include <skbdrop/kallsyms.h>
#include "fuzz_util.h"

struct walk {
	const struct skbd_ksyms *ks;
	unsigned int n;
};

/* The ranges each() hands out agree with what lookup() answers. */
static void on_sym(void *ctx, const char *name, __u64 start, __u64 end)
{
	struct walk *w = ctx;
	struct skbd_ksym found, *s = &found;
	char buf[256];
	__u64 off;

	if (w->n++ >= 16) /* enough per input: keep the executions fast */
		return;
	if (end <= start)
		fuzz_fail("an empty range");
	/* Several symbols at one address (aliases; or modules that overlap each
	 * other or vmlinux, as no kernel lays them out): lookup answers with one
	 * of them, or with none when that one covers nothing. Whatever it
	 * answers must add up; the symbol it answers with at its start must
	 * cover its whole range. */
	if (skbd_ksyms__lookup(w->ks, start, s, &off))
		s = NULL;
	if (s && s->addr + off != start)
		fuzz_fail("lookup's symbol and offset do not add up");
	if (s && s->name == name) {
		if (skbd_ksyms__lookup(w->ks, end - 1, s, &off) || s->addr + off != end - 1)
			fuzz_fail("a symbol's last byte does not look up");
	}
	skbd_ksyms__format(w->ks, end, buf, sizeof(buf));
	skbd_ksyms__format(w->ks, start + (end - start) / 2, buf, sizeof(buf));
	skbd_ksyms__format(w->ks, start, buf, 8);
	skbd_ksyms__range(w->ks, name, &start, &end);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const __u64 addrs[] = { 0, 1, 0xffffffff81000000ull, 0xffffffffc0000000ull, ~0ull };
	const uint8_t *nul = memchr(data, 0, size);
	size_t klen = nul ? (size_t)(nul - data) : size;
	FILE *kf = fuzz_stream(data, klen), *mf = nul ? fuzz_stream(nul + 1, size - klen - 1) : NULL;
	struct skbd_ksyms *ks;
	struct walk w;
	__u64 start, end, off;
	char buf[256];
	int err;

	err = skbd_ksyms__new_with_modules(kf, mf, &ks);
	fclose(kf);
	if (mf)
		fclose(mf);
	if (err)
		return 0;
	w = (struct walk){ .ks = ks };
	skbd_ksyms__restricted(ks);
	skbd_ksyms__count(ks);
	skbd_ksyms__each(ks, "*e", on_sym, &w);
	skbd_ksyms__each(ks, "kfree_skb", on_sym, &w);
	for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
		skbd_ksyms__lookup(ks, addrs[i], NULL, &off);
		skbd_ksyms__format(ks, addrs[i], buf, sizeof(buf));
	}
	skbd_ksyms__range(ks, "_stext", &start, &end);
	skbd_ksyms__free(ks);
	return 0;
}
