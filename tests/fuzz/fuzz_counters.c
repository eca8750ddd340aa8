// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: the /proc/net counter files. The first byte picks the
 * parser: snmp/netstat pairs, snmp6, softnet_stat. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <skbdrop/counters.h>
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct skbd_counter_snap snap = { 0 };
	struct fuzz_in in = { data, size };
	const char *text;
	char err[128];
	__u64 v;
	int ret;

	__u8 which = fuzz_u8(&in) % 3;
	text = (const char *)in.p;
	err[0] = 0;
	if (which == 0)
		ret = skbd_counters__parse_pairs(text, in.n, &snap, err, sizeof(err));
	else if (which == 1)
		ret = skbd_counters__parse_snmp6(text, in.n, &snap, err, sizeof(err));
	else
		ret = skbd_counters__parse_softnet(text, in.n, &snap, err, sizeof(err));
	if (ret && !err[0] && ret != -ENOMEM)
		fuzz_fail("an error without a message");
	for (size_t i = 0; i < snap.n; i++) {
		if (strnlen(snap.v[i].name, sizeof(snap.v[i].name)) == sizeof(snap.v[i].name))
			fuzz_fail("counter name not terminated");
		if (!skbd_counter__def(snap.v[i].name) || !skbd_counter_snap__get(&snap, snap.v[i].name, &v))
			fuzz_fail("a counter outside the list, or not found again");
	}
	skbd_counter_snap__free(&snap);
	return 0;
}
