// SPDX-License-Identifier: GPL-2.0-only
/* libFuzzer target: a tracefs event `format` file, then the lookups of its
 * fields and reason table. */
#include <stdint.h>
#include <string.h>
#include <skbdrop/tpformat.h>
#include "fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = { "skbaddr", "location", "protocol", "reason", "rx_sk", "common_type",
					     "" };
	struct skbd_tpformat *fmt;

	if (skbd_tpformat__parse((const char *)data, size, &fmt))
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		skbd_tpformat__field(fmt, names[i]);
	for (size_t i = 0; i < fmt->nr_fields; i++) {
		const struct skbd_tp_field *f = &fmt->fields[i];

		/* names and types are NUL-terminated strings; record_size covers every field */
		if (strnlen(f->name, sizeof(f->name)) == sizeof(f->name) ||
		    strnlen(f->type, sizeof(f->type)) == sizeof(f->type))
			fuzz_fail("field name or type not terminated");
		if ((__u64)f->offset + f->size > fmt->record_size)
			fuzz_fail("a field past record_size");
		if (skbd_tpformat__field(fmt, f->name) == NULL)
			fuzz_fail("a parsed field is not found");
	}
	for (size_t i = 0; i < fmt->nr_reasons; i++) {
		const struct skbd_reason *r = &fmt->reasons[i];

		if (strnlen(r->name, sizeof(r->name)) == sizeof(r->name))
			fuzz_fail("reason name not terminated");
		if (!skbd_tpformat__reason_name(fmt, r->code))
			fuzz_fail("a parsed reason code has no name");
		skbd_tpformat__reason_code(fmt, r->name);
	}
	skbd_tpformat__reason_code(fmt, "NO_SOCKET");
	skbd_tpformat__reason_name(fmt, 0);
	skbd_tpformat__free(fmt);
	return 0;
}
