// SPDX-License-Identifier: GPL-2.0-only
/* CUnit runner: one suite per module. Each test_<module>.c defines the
 * NULL-terminated array skbd_tests_<module>, linked explicitly: a test file
 * left out of the link fails the build instead of vanishing. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <CUnit/Basic.h>
#include "testutil.h"

#define SUITE(n) extern CU_TestInfo skbd_tests_##n[];
SUITE(tpformat)
SUITE(kallsyms)
SUITE(perfring)
SUITE(ringbuf)
SUITE(elf)
SUITE(btf)
SUITE(cli)
SUITE(packet)
SUITE(netdev)
SUITE(summary)
SUITE(filter)
SUITE(monitor)
SUITE(names)
SUITE(output)
SUITE(counters)
SUITE(priv)
SUITE(http)
SUITE(pcapng)
SUITE(otlp)
SUITE(job)
#undef SUITE

int main(int argc, char **argv)
{
	struct { const char *name; CU_TestInfo *tests; } all[] = {
		{ "tpformat", skbd_tests_tpformat }, { "kallsyms", skbd_tests_kallsyms },
		{ "perfring", skbd_tests_perfring }, { "elf", skbd_tests_elf },
		{ "btf", skbd_tests_btf },           { "cli", skbd_tests_cli },
		{ "ringbuf", skbd_tests_ringbuf },  { "packet", skbd_tests_packet },
		{ "netdev", skbd_tests_netdev },     { "summary", skbd_tests_summary },
		{ "filter", skbd_tests_filter },     { "monitor", skbd_tests_monitor },
		{ "names", skbd_tests_names },
		{ "output", skbd_tests_output },     { "counters", skbd_tests_counters },
		{ "priv", skbd_tests_priv },         { "http", skbd_tests_http },
		{ "pcapng", skbd_tests_pcapng },     { "otlp", skbd_tests_otlp },
		{ "job", skbd_tests_job },
	};
	CU_SuiteInfo suites[sizeof(all) / sizeof(all[0]) + 1];
	unsigned int n = 0, failures;

	memset(suites, 0, sizeof(suites));
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (argc > 1 && strcmp(argv[1], all[i].name))
			continue;
		suites[n++] = (CU_SuiteInfo){ .pName = all[i].name, .pTests = all[i].tests };
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	if (CU_register_suites(suites) != CUE_SUCCESS) {
		fprintf(stderr, "unit: %s\n", CU_get_error_msg());
		CU_cleanup_registry();
		return 1;
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
	if (CU_get_number_of_suites_failed())
		failures++;
	CU_cleanup_registry();
	{
		const char *list;
		unsigned int skips = tu_skips(&list);
		const char *ci = getenv("CI");

		if (skips) {
			printf("unit: %u skipped: %s\n", skips, list);
			if (ci && !strcmp(ci, "true")) {
				printf("unit: CI=true: a skipped test fails the run\n");
				failures++;
			}
		} else {
			printf("unit: 0 skipped\n");
		}
	}
	return failures ? 1 : 0;
}
