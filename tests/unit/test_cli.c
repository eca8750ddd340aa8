// SPDX-License-Identifier: GPL-2.0-only
/* Unit tests for cli/options.c and cli/output.c: argument parsing, the reason
 * filter plan on real format files, and the exact text/NDJSON lines. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <skbdrop/packet.h>
#include "../../cli/cli.h"
#include "testutil.h"

#define FORMAT_DIR SKBD_FIXTURES "/tracepoint-formats/"
#define KSYMS_BASIC SKBD_FIXTURES "/kallsyms/basic.txt"
#define JQ "/usr/bin/jq"

/* ---- cli_parse_args ---------------------------------------------------- */

/* argv is NULL-terminated and starts with "skbdrop". */
static int parse(char **argv, struct cli_opts *o, char *err, size_t err_size)
{
	int argc = 0;

	while (argv[argc])
		argc++;
	err[0] = '\0';
	return cli_parse_args(argc, argv, o, err, err_size);
}

#define ARGV(...) ((char *[]){ "skbdrop", __VA_ARGS__, NULL })

static void test_parse_defaults(void)
{
	struct cli_opts o;
	char err[256];

	memset(&o, 0xa5, sizeof(o));
	CU_ASSERT_EQUAL_FATAL(parse((char *[]){ "skbdrop", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.output, CLI_OUT_TEXT);
	CU_ASSERT_EQUAL(o.duration, 0.0);
	CU_ASSERT_EQUAL(o.count, 0);
	CU_ASSERT_EQUAL(o.pid, 0);
	CU_ASSERT_PTR_NULL(o.reasons);
	CU_ASSERT_PTR_NULL(o.exclude_reasons);
	CU_ASSERT_EQUAL(o.pages, 0); /* sized from the CPU count at start */
	CU_ASSERT_EQUAL(o.transport, CLI_TRANSPORT_PERF);
	CU_ASSERT_EQUAL(o.wakeup, CLI_WAKEUP_BYTES);
	CU_ASSERT_EQUAL(o.wakeup_arg, 65536);
	CU_ASSERT_EQUAL(o.poll_ms, 100);
	CU_ASSERT_FALSE(o.list_reasons);
	CU_ASSERT_FALSE(o.count_only);
	CU_ASSERT_FALSE(o.no_output);
	CU_ASSERT_FALSE(o.help);
	CU_ASSERT_FALSE(o.version);
	CU_ASSERT_STRING_EQUAL(err, "");
}

/* Each option in its long and short spelling sets the same field. */
static void test_parse_long_and_short(void)
{
	struct cli_opts o;
	char err[256];
	int pass;

	for (pass = 0; pass < 2; pass++) {
		char **argv = pass ? ARGV("-o", "json", "-d", "2.5", "-c", "10", "-p", "42", "-r",
					  "NO_SOCKET,NETFILTER_DROP", "-h", "-V")
				   : ARGV("--output", "json", "--duration", "2.5", "--count", "10", "--pid",
					  "42", "--reason", "NO_SOCKET,NETFILTER_DROP", "--help", "--version");

		CU_ASSERT_EQUAL_FATAL(parse(argv, &o, err, sizeof(err)), 0);
		CU_ASSERT_EQUAL(o.output, CLI_OUT_JSON);
		CU_ASSERT_EQUAL(o.duration, 2.5);
		CU_ASSERT_EQUAL(o.count, 10);
		CU_ASSERT_EQUAL(o.pid, 42);
		CU_ASSERT_PTR_NOT_NULL_FATAL(o.reasons);
		CU_ASSERT_STRING_EQUAL(o.reasons, "NO_SOCKET,NETFILTER_DROP");
		CU_ASSERT_PTR_NULL(o.exclude_reasons);
		CU_ASSERT_TRUE(o.help);
		CU_ASSERT_TRUE(o.version);
		CU_ASSERT_EQUAL(o.pages, 0);
		CU_ASSERT_FALSE(o.list_reasons);
	}

	/* long-only options */
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--exclude-reason", "NO_SOCKET", "--pages", "64", "--list-reasons",
					 "--count-only"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.exclude_reasons, "NO_SOCKET");
	CU_ASSERT_PTR_NULL(o.reasons);
	CU_ASSERT_EQUAL(o.pages, 64);
	CU_ASSERT_TRUE(o.list_reasons);
	CU_ASSERT_TRUE(o.count_only);
	CU_ASSERT_FALSE(o.no_output);

	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--no-output"), &o, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(o.no_output);
	CU_ASSERT_FALSE(o.count_only);
	/* a second parse starts from the defaults again */
	CU_ASSERT_FALSE(o.list_reasons);
	CU_ASSERT_EQUAL(o.pages, 0);

	/* "=" and attached forms, clustered flags, text stays selectable */
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--output=json", "--count=7", "-p99", "--pages=1", "-hV"), &o, err,
				    sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.output, CLI_OUT_JSON);
	CU_ASSERT_EQUAL(o.count, 7);
	CU_ASSERT_EQUAL(o.pid, 99);
	CU_ASSERT_EQUAL(o.pages, 1);
	CU_ASSERT_TRUE(o.help);
	CU_ASSERT_TRUE(o.version);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-o", "json", "-o", "text"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.output, CLI_OUT_TEXT);
}

/* The limits that are still accepted. */
static void test_parse_limits(void)
{
	struct cli_opts o;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-c", "18446744073709551615"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.count, 18446744073709551615ULL);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-p", "2147483647"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.pid, 2147483647U);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--pages", "1048576"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.pages, 1048576U);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-d", "0.001"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.duration, 0.001);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-d", "1e9"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.duration, 1e9);
}

struct bad_case {
	const char *args[4];
	const char *needle; /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{ { "-o", "xml" }, "--output" },
	{ { "--output=xml" }, "--output" },
	{ { "-o", "JSON" }, "--output" },
	{ { "-c", "0" }, "--count" },
	{ { "-c", "-5" }, "--count" },
	{ { "-c", " -5" }, "--count" },
	{ { "-c", "+5" }, "--count" },
	{ { "-c", "99999999999999999999999" }, "--count" },
	{ { "-c", "12abc" }, "--count" },
	{ { "-c", "" }, "--count" },
	{ { "-d", "0" }, "--duration" },
	{ { "-d", "-1" }, "--duration" },
	{ { "-d", "abc" }, "--duration" },
	{ { "-d", "inf" }, "--duration" },
	{ { "-d", "nan" }, "--duration" },
	{ { "-d", "1e10" }, "--duration" },
	{ { "-d", "1s" }, "--duration" },
	{ { "-d", "" }, "--duration" },
	{ { "--pages", "3" }, "--pages" },
	{ { "--pages", "0" }, "--pages" },
	{ { "--pages", "2097152" }, "--pages" },
	{ { "--pages", "-512" }, "--pages" },
	{ { "-p", "0" }, "--pid" },
	{ { "-p", "abc" }, "--pid" },
	{ { "-p", "2147483648" }, "--pid" },
	{ { "-p", "-1" }, "--pid" },
	{ { "--bogus" }, "--bogus" },
	{ { "-x" }, "-x" },
	{ { "-c" }, "-c" },
	{ { "--count" }, "--count" },
	{ { "-V", "-o" }, "-o" },
	{ { "--count-only", "--no-output" }, "--count-only" },
	{ { "--no-output", "--count-only" }, "--no-output" },
};

static void test_parse_errors(void)
{
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *bc = &bad_cases[i];
		char *argv[6] = { "skbdrop" };
		struct cli_opts o;
		char err[256];
		int rc, n = 1;

		for (int j = 0; j < 4 && bc->args[j]; j++)
			argv[n++] = (char *)bc->args[j];
		argv[n] = NULL;
		rc = parse(argv, &o, err, sizeof(err));
		if (rc != -EINVAL || !strstr(err, bc->needle))
			fprintf(stderr, "\ncase %zu (%s %s): rc %d, err '%s'\n", i, bc->args[0],
				bc->args[1] ? bc->args[1] : "", rc, err);
		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT(err[0] != '\0');
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		CU_ASSERT_PTR_NOT_NULL(strstr(err, bc->needle));
		/* the message quotes the bad value when there is one */
		if (bc->args[1] && bc->args[1][0] && bc->args[0][0] == '-' && bc->args[0][1] != 'V' &&
		    strncmp(bc->args[0], "--count-only", 12) && strncmp(bc->args[0], "--no-output", 11))
			CU_ASSERT_PTR_NOT_NULL(strstr(err, bc->args[1]));
	}
}

/* Messages are whole lines only; exact wording of the common ones. */
static void test_parse_error_text(void)
{
	struct cli_opts o;
	char err[256], small[12];

	CU_ASSERT_EQUAL(parse(ARGV("-o", "xml"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--output: 'xml' is not text or json");
	CU_ASSERT_EQUAL(parse(ARGV("-c"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "option '-c' needs an argument");
	CU_ASSERT_EQUAL(parse(ARGV("-x"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '-x'");
	CU_ASSERT_EQUAL(parse(ARGV("--bogus"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '--bogus'");
	CU_ASSERT_EQUAL(parse(ARGV("-i", "a", "--exclude-device", "b"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--device and --exclude-device exclude each other");
	CU_ASSERT_EQUAL(parse(ARGV("--max-rate", "0"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--max-rate: '0' is not a positive number of events per second");
	CU_ASSERT_EQUAL(parse(ARGV("-i", ",,"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--device: empty list");
	CU_ASSERT_EQUAL(parse(ARGV("--snaplen", "257"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--snaplen: '257' is not between 0 and 256");

	/* a short err buffer gets a terminated prefix */
	memset(small, 'Z', sizeof(small));
	CU_ASSERT_EQUAL(cli_parse_args(3, ARGV("-o", "xml"), &o, small, 8), -EINVAL);
	CU_ASSERT_STRING_EQUAL(small, "--outpu");
	CU_ASSERT_EQUAL(small[8], 'Z');
}

/* Trailing words are the filter expression, joined by spaces like tcpdump;
 * options may come after it too (GNU getopt permutes). */
static void test_parse_filter_words(void)
{
	struct cli_opts o;
	char err[256], *big;
	size_t n = 5000;

	CU_ASSERT_EQUAL(parse(ARGV("tcp", "port", "443"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.filter, "tcp port 443");
	CU_ASSERT_EQUAL(parse(ARGV("-o", "json", "udp and not port 53", "-s", "--snaplen", "64"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.filter, "udp and not port 53");
	CU_ASSERT(o.stack);
	CU_ASSERT_EQUAL(o.snaplen, 64);
	CU_ASSERT_EQUAL(parse(ARGV("-i", "eth0,eth1", "--netns", "blue", "--max-rate", "1000", "-v"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.filter, "");
	CU_ASSERT_STRING_EQUAL(o.devices, "eth0,eth1");
	CU_ASSERT_STRING_EQUAL(o.netns, "blue");
	CU_ASSERT_EQUAL(o.max_rate, 1000);
	CU_ASSERT(o.verbose);
	/* an expression longer than the buffer is refused, not cut */
	big = malloc(n + 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'a', n);
	big[n] = '\0';
	CU_ASSERT_EQUAL(parse(ARGV(big), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "filter expression longer than 4095 bytes");
	free(big);
}

/* getopt keeps hidden state between calls: an error in the middle of a
 * cluster ("-xV") must not leak into the next parse. */
static void test_parse_reentrant(void)
{
	struct cli_opts o;
	char err[256];

	CU_ASSERT_EQUAL(parse(ARGV("-xV"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "unknown option '-x'");
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_FALSE(o.version);
	CU_ASSERT_STRING_EQUAL(err, "");
	CU_ASSERT_EQUAL(parse(ARGV("-c", "3", "-hV"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.count, 3);
	CU_ASSERT_TRUE(o.help && o.version);
	/* positional arguments (the filter) are found wherever they are */
	CU_ASSERT_EQUAL(parse(ARGV("a1", "-V", "a2"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.filter, "a1 a2");
	CU_ASSERT_TRUE(o.version);
}

/* ---- cli_plan_reasons ------------------------------------------------- */

static struct skbd_tpformat *load_format(const char *file)
{
	char path[PATH_MAX];
	struct skbd_tpformat *fmt = NULL;
	struct stat st;
	char *text;
	FILE *f;
	int err;

	snprintf(path, sizeof(path), "%s%s", FORMAT_DIR, file);
	f = fopen(path, "re");
	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	CU_ASSERT_EQUAL_FATAL(fstat(fileno(f), &st), 0);
	text = malloc((size_t)st.st_size);
	CU_ASSERT_PTR_NOT_NULL_FATAL(text);
	CU_ASSERT_EQUAL_FATAL(fread(text, 1, (size_t)st.st_size, f), (size_t)st.st_size);
	fclose(f);
	err = skbd_tpformat__parse(text, (size_t)st.st_size, &fmt);
	free(text);
	CU_ASSERT_EQUAL_FATAL(err, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
	return fmt;
}

/* A 6.18-shaped record whose table also lists the two non-drop reasons. */
static const char synthetic_format[] =
	"name: kfree_skb\n"
	"ID: 4242\n"
	"format:\n"
	"\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
	"\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;\n"
	"\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;\n"
	"\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
	"\n"
	"\tfield:void * skbaddr;\toffset:8;\tsize:8;\tsigned:0;\n"
	"\tfield:void * location;\toffset:16;\tsize:8;\tsigned:0;\n"
	"\tfield:void * rx_sk;\toffset:24;\tsize:8;\tsigned:0;\n"
	"\tfield:unsigned short protocol;\toffset:32;\tsize:2;\tsigned:0;\n"
	"\tfield:enum skb_drop_reason reason;\toffset:36;\tsize:4;\tsigned:0;\n"
	"\n"
	"print fmt: \"skbaddr=%p rx_sk=%p protocol=%u location=%pS reason: %s\", REC->skbaddr, "
	"REC->rx_sk, REC->protocol, REC->location, __print_symbolic(REC->reason, "
	"{ 0, \"NOT_DROPPED_YET\" }, { 1, \"CONSUMED\" }, { 2, \"NOT_SPECIFIED\" }, "
	"{ 3, \"NO_SOCKET\" }, { 12, \"NETFILTER_DROP\" }, { 13, \"MAX\" })\n";

static struct skbd_tpformat *load_synthetic(void)
{
	struct skbd_tpformat *fmt = NULL;

	CU_ASSERT_EQUAL_FATAL(skbd_tpformat__parse(synthetic_format, sizeof(synthetic_format) - 1, &fmt), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(fmt);
	CU_ASSERT_EQUAL_FATAL(fmt->nr_reasons, 6);
	return fmt;
}

static size_t count_skips(const struct skbd_reason_plan *plan)
{
	size_t n = 0;

	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
		n += plan->skip[i];
	return n;
}

/* Every slot is REPORT or SKIP, and nr_skip_slots matches. */
static void check_plan_shape(const struct skbd_reason_plan *plan)
{
	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
		CU_ASSERT(plan->skip[i] == true || plan->skip[i] == false);
	CU_ASSERT_EQUAL(plan->nr_skip_slots, count_skips(plan));
}

static void fill_plan(struct skbd_reason_plan *plan)
{
	memset(plan, 0x5a, sizeof(*plan));
}

static void test_plan_default_6_18(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-6.18.44.format");
	struct skbd_reason_plan plan;
	char *err = (char *)1;

	fill_plan(&plan);
	CU_ASSERT_EQUAL(cli_plan_reasons(fmt, NULL, NULL, &plan, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	check_plan_shape(&plan);
	/* 6.18 has neither NOT_DROPPED_YET nor CONSUMED in its table */
	CU_ASSERT_EQUAL(plan.nr_skip_slots, 0);
	CU_ASSERT_EQUAL(plan.skip_other, false);
	CU_ASSERT_EQUAL(plan.skip[0], false);
	CU_ASSERT_EQUAL(plan.skip[3], false);
	CU_ASSERT_EQUAL(plan.skip[SKBD_DROP_REASON_SLOTS - 1], false);
	/* an empty list, or one of commas only, is a usage error for either option */
	for (int i = 0; i < 4; i++) {
		const char *lists[] = { "", ",", ",,", "," };
		int rc = i < 3 ? cli_plan_reasons(fmt, NULL, lists[i], &plan, &err)
			       : cli_plan_reasons(fmt, lists[i], NULL, &plan, &err);

		CU_ASSERT_EQUAL(rc, -EINVAL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, i < 3 ? "--exclude-reason: empty list" : "--reason: empty list"));
		free(err);
		err = NULL;
	}
	skbd_tpformat__free(fmt);
}

static void test_plan_default_5_10(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-5.10.223.format");
	struct skbd_reason_plan plan;
	char *err = NULL;

	CU_ASSERT_EQUAL_FATAL(fmt->nr_reasons, 0);
	fill_plan(&plan);
	CU_ASSERT_EQUAL(cli_plan_reasons(fmt, NULL, NULL, &plan, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	check_plan_shape(&plan);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, 0);
	CU_ASSERT_EQUAL(plan.skip_other, false);
	skbd_tpformat__free(fmt);
}

static void test_plan_not_drops(void)
{
	struct skbd_tpformat *fmt = load_synthetic();
	struct skbd_reason_plan plan;
	char *err = NULL;

	fill_plan(&plan);
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, NULL, NULL, &plan, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	check_plan_shape(&plan);
	CU_ASSERT_EQUAL(plan.skip[0], true);
	CU_ASSERT_EQUAL(plan.skip[1], true);
	CU_ASSERT_EQUAL(plan.skip[2], false);
	CU_ASSERT_EQUAL(plan.skip[3], false);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, 2);
	CU_ASSERT_EQUAL(plan.skip_other, false);

	/* exclude keeps the default skips and adds its own */
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, NULL, "NO_SOCKET", &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip[0], true);
	CU_ASSERT_EQUAL(plan.skip[1], true);
	CU_ASSERT_EQUAL(plan.skip[3], true);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, 3);

	/* named in -r: reported */
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "CONSUMED,NOT_DROPPED_YET", NULL, &plan, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	check_plan_shape(&plan);
	CU_ASSERT_EQUAL(plan.skip[0], false);
	CU_ASSERT_EQUAL(plan.skip[1], false);
	CU_ASSERT_EQUAL(plan.skip[2], true);
	CU_ASSERT_EQUAL(plan.skip[3], true);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, SKBD_DROP_REASON_SLOTS - 2);
	CU_ASSERT_EQUAL(plan.skip_other, true);

	/* only one of them named: the other stays skipped */
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "CONSUMED,NO_SOCKET", NULL, &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip[0], true);
	CU_ASSERT_EQUAL(plan.skip[1], false);
	CU_ASSERT_EQUAL(plan.skip[3], false);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, SKBD_DROP_REASON_SLOTS - 2);
	skbd_tpformat__free(fmt);
}

static void test_plan_include(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-6.18.44.format");
	struct skbd_reason_plan plan;
	char *err = NULL;

	fill_plan(&plan);
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "NO_SOCKET,NETFILTER_DROP", NULL, &plan, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	check_plan_shape(&plan);
	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++) {
		bool want = !(i == 3 || i == 12);

		if (plan.skip[i] != want)
			fprintf(stderr, "\nslot %zu: skip %d, want %d\n", i, plan.skip[i], want);
		CU_ASSERT_EQUAL(plan.skip[i], want);
	}
	CU_ASSERT_EQUAL(plan.skip_other, true);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, SKBD_DROP_REASON_SLOTS - 2);

	/* include and exclude: exclude wins for a name in both */
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "NO_SOCKET,NETFILTER_DROP", "NETFILTER_DROP", &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip[3], false);
	CU_ASSERT_EQUAL(plan.skip[12], true);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, SKBD_DROP_REASON_SLOTS - 1);

	/* a repeated name and an empty item between commas are harmless */
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "NO_SOCKET,,NO_SOCKET", NULL, &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip[3], false);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, SKBD_DROP_REASON_SLOTS - 1);
	skbd_tpformat__free(fmt);
}

static void test_plan_exclude(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-6.18.44.format");
	struct skbd_reason_plan plan;
	char *err = NULL;

	fill_plan(&plan);
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, NULL, "NO_SOCKET", &plan, &err), 0);
	CU_ASSERT_PTR_NULL(err);
	check_plan_shape(&plan);
	for (size_t i = 0; i < SKBD_DROP_REASON_SLOTS; i++)
		CU_ASSERT_EQUAL(plan.skip[i], i == 3);
	CU_ASSERT_EQUAL(plan.skip_other, false);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, 1);

	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, NULL, "NO_SOCKET,TCP_LISTEN_OVERFLOW,MAX", &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip[3], true);
	CU_ASSERT_EQUAL(plan.skip[40], true);
	CU_ASSERT_EQUAL(plan.skip[128], true);
	CU_ASSERT_EQUAL(plan.skip[12], false);
	CU_ASSERT_EQUAL(plan.nr_skip_slots, 3);
	skbd_tpformat__free(fmt);
}

static void check_unknown(const struct skbd_tpformat *fmt, const char *inc, const char *exc,
			  const char *name)
{
	struct skbd_reason_plan plan;
	char *err = NULL;

	CU_ASSERT_EQUAL(cli_plan_reasons(fmt, inc, exc, &plan, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, name));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NO_SOCKET"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "NETFILTER_DROP"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "RECURSION_LIMIT")); /* the last one listed */
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	free(err);
}

static void test_plan_unknown(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-6.18.44.format");

	check_unknown(fmt, "NO_SUCH_REASON", NULL, "NO_SUCH_REASON");
	check_unknown(fmt, "NO_SOCKET,BOGUS_TWO", NULL, "BOGUS_TWO");
	check_unknown(fmt, NULL, "no_socket", "no_socket"); /* case-sensitive */
	check_unknown(fmt, "NO_SOCKET", "NETFILTER_DROP,NOPE", "NOPE");
	check_unknown(fmt, "NO_SOCKET ", NULL, "NO_SOCKET "); /* no trimming */
	skbd_tpformat__free(fmt);
}

static void test_plan_no_reasons_kernel(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-5.10.223.format");
	const char *cases[][2] = {
		{ "NO_SOCKET", NULL }, { NULL, "NO_SOCKET" }, { "NO_SOCKET", "NETFILTER_DROP" }, { "", NULL },
	};
	struct skbd_reason_plan plan;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *err = NULL;

		CU_ASSERT_EQUAL(cli_plan_reasons(fmt, cases[i][0], cases[i][1], &plan, &err), -EINVAL);
		CU_ASSERT_PTR_NOT_NULL_FATAL(err);
		CU_ASSERT_PTR_NOT_NULL(strstr(err, "5.17"));
		CU_ASSERT_PTR_NULL(strchr(err, '\n'));
		free(err);
	}
	skbd_tpformat__free(fmt);
}

static void test_plan_empty_include(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-6.18.44.format");
	struct skbd_reason_plan plan;
	char *err = NULL;

	CU_ASSERT_EQUAL(cli_plan_reasons(fmt, "", NULL, &plan, &err), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL_FATAL(err);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--reason"));
	CU_ASSERT_PTR_NULL(strchr(err, '\n'));
	free(err);
	skbd_tpformat__free(fmt);
}

/* ---- cli_format_text / cli_format_json ----------------------------------- */

#define TS_NS 5000000000ULL
/* TS_NS + this = 1700000000.123456789 s = 2023-11-14T22:13:20.123456789Z */
#define MONO_TO_REAL (1700000000123456789LL - 5000000000LL)

/* The event lives in an exact-size heap block, so reading past comm[15]
 * is an ASan error. */
static struct skbd_event *new_event(void)
{
	struct skbd_event *ev = calloc(1, sizeof(*ev));

	CU_ASSERT_PTR_NOT_NULL_FATAL(ev);
	ev->ts_ns = TS_NS;
	ev->skbaddr = 0xffff888012345600ULL;
	ev->location = 0xffffffff81001234ULL; /* func_a+0x234 in basic.txt */
	ev->pid = 4242;
	ev->tid = 4243;
	ev->reason = 3;
	ev->cpu = 1;
	ev->protocol = 0x0800;
	ev->flags = SKBD_EV_HAS_REASON;
	memcpy(ev->comm, "sender", 7);
	return ev;
}

/* Run jq over one line; true when it parses as a JSON value. */
static bool jq_valid(const char *line)
{
	FILE *p;

	if (!tu_have_jq())
		return true;
	fflush(stdout);
	fflush(stderr);
	p = popen(JQ " -e . >/dev/null 2>&1", "w");
	if (!p)
		return false;
	fputs(line, p);
	return pclose(p) == 0;
}

/* Run jq -r with a filter on one line and compare its output. */
static bool jq_says(const char *line, const char *filter, const char *want)
{
	return tu_jq_says(line, "", filter, want);
}

/* One formatting context; with_cache adds a fresh cache. */
struct fmt_env {
	struct skbd_tpformat *fmt;
	struct skbd_ksyms *ks;
	struct cli_fmt_cache *cache;
	struct cli_fmt_ctx ctx;
};

static void env_init(struct fmt_env *e, bool with_cache)
{
	memset(e, 0, sizeof(*e));
	e->fmt = load_format("kfree_skb-6.18.44.format");
	e->ks = tu_load_ksyms(KSYMS_BASIC);
	if (with_cache) {
		e->cache = calloc(1, sizeof(*e->cache));
		CU_ASSERT_PTR_NOT_NULL_FATAL(e->cache);
		e->cache->t.sec = -1;
	}
	e->ctx = (struct cli_fmt_ctx){
		.fmt = e->fmt, .ks = e->ks, .mono_to_real_ns = MONO_TO_REAL, .has_reason = true,
		.cache = e->cache,
	};
}

static void env_fini(struct fmt_env *e)
{
	free(e->cache);
	skbd_ksyms__free(e->ks);
	skbd_tpformat__free(e->fmt);
}

/* The cached JSON members (cpu to protocol) follow every field they show:
 * a stream where one field at a time changes, formatted with and without
 * the cache, gives the same bytes, and each change shows. */
static void test_format_ident_cache(void)
{
	struct fmt_env cached, plain;
	struct skbd_event *ev = NULL;
	char a[2048], b[2048], prev[2048] = "";

	env_init(&cached, true);
	env_init(&plain, false);
	ev = new_event();
	for (int step = 0; step < 16; step++) {
		switch (step % 8) {
		case 0: ev->cpu ^= 1; break;
		case 1: ev->pid++; break;
		case 2: ev->tid++; break;
		case 3: ev->reason = ev->reason == 3 ? 12 : 3; break;
		case 4: ev->location = ev->location == 0xffffffff81001234ULL ? 0xffffffff81002000ULL :
									  0xffffffff81001234ULL; break;
		case 5: ev->protocol = ev->protocol == 0x0800 ? 0x86dd : 0x0800; break;
		case 6: ev->comm[0] = ev->comm[0] == 's' ? 'S' : 's'; break;
		case 7: /* a comm of 16 bytes without a NUL, and back */
			if (ev->comm[15])
				memcpy(ev->comm, "sender\0\0\0\0\0\0\0\0\0", 16);
			else
				memcpy(ev->comm, "abcdefghijklmnop", 16);
			break;
		}
		cli_format_json(&cached.ctx, ev, a, sizeof(a));
		cli_format_json(&plain.ctx, ev, b, sizeof(b));
		CU_ASSERT_STRING_EQUAL(a, b);
		CU_ASSERT_STRING_NOT_EQUAL(a, prev); /* the change shows */
		/* the same event again: from the cache, still the same bytes */
		cli_format_json(&cached.ctx, ev, a, sizeof(a));
		CU_ASSERT_STRING_EQUAL(a, b);
		snprintf(prev, sizeof(prev), "%s", a);
	}
	free(ev);
	env_fini(&cached);
	env_fini(&plain);
}

/* Format both ways and compare exactly; JSON also goes through jq. */
static void expect_lines(const struct cli_fmt_ctx *c, const struct skbd_event *ev, const char *text,
			 const char *json)
{
	char buf[1024];
	size_t n;

	memset(buf, 'Z', sizeof(buf));
	n = cli_format_text(c, ev, buf, sizeof(buf));
	if (strcmp(buf, text))
		fprintf(stderr, "\ntext: '%s'\nwant: '%s'\n", buf, text);
	CU_ASSERT_STRING_EQUAL(buf, text);
	CU_ASSERT_EQUAL(n, strlen(text));
	CU_ASSERT_EQUAL(buf[n + 1], 'Z');

	memset(buf, 'Z', sizeof(buf));
	n = cli_format_json(c, ev, buf, sizeof(buf));
	if (strcmp(buf, json))
		fprintf(stderr, "\njson: '%s'\nwant: '%s'\n", buf, json);
	CU_ASSERT_STRING_EQUAL(buf, json);
	CU_ASSERT_EQUAL(n, strlen(json));
	CU_ASSERT_EQUAL(buf[n + 1], 'Z');
	CU_ASSERT_PTR_NULL(memchr(buf, '\n', n - 1)); /* NDJSON: one line */
	CU_ASSERT_TRUE(jq_valid(buf));
}

#define JSON_HEAD "{\"time\":\"2023-11-14T22:13:20.123456789Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,\"tid\":4243"
#define TEXT_HEAD "22:13:20.123456 cpu 1 "

static void check_known(bool with_cache)
{
	struct fmt_env e;
	struct skbd_event *ev;

	env_init(&e, with_cache);
	ev = new_event();
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* the same event again: a warm cache gives the same bytes */
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	if (tu_have_jq()) {
		char buf[1024];

		cli_format_json(&e.ctx, ev, buf, sizeof(buf));
		CU_ASSERT_TRUE(jq_says(buf, ".reason_code", "3\n"));
		CU_ASSERT_TRUE(jq_says(buf, ".ts_ns", "5000000000\n"));
		CU_ASSERT_TRUE(jq_says(buf, "keys_unsorted|join(\",\")",
				       "time,ts_ns,cpu,pid,tid,comm,reason,reason_code,location,"
				       "location_addr,protocol,len,ifindex,dev,netns,netns_name,cgroup,layers,skbaddr\n"));
	}

	/* next second, another reason, another symbol: nothing stale */
	ev->ts_ns += 1000000000ULL + 1000;
	ev->reason = 12;
	ev->location = 0xffffffff81002000ULL;
	ev->cpu = 0;
	expect_lines(&e.ctx, ev, "22:13:21.123457 cpu 0 sender[4242/4243] NETFILTER_DROP func_b+0x0 IPv4\n",
		     "{\"time\":\"2023-11-14T22:13:21.123457789Z\",\"ts_ns\":6000001000,\"cpu\":0,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NETFILTER_DROP\",\"reason_code\":12,"
		     "\"location\":\"func_b+0x0\",\"location_addr\":\"0xffffffff81002000\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

/* A resolver with one device (veth1, ifindex 7) in one named netns (blue),
 * one cgroup and one stack; everything else is unknown or gone. */
#define CTX_NETNS 4026532000u
static const __u64 fake_ips[] = { 0xffffffff81001234ULL, 0xffffffff81002000ULL };

static int fake_dev(void *ctx, __u32 netns, __u32 ifindex, __u64 ts_ns, char name[16])
{
	(*(int *)ctx)++;
	if (netns == CTX_NETNS && ifindex == 7) {
		strcpy(name, "veth1");
		return 0;
	}
	return netns == CTX_NETNS ? -ENODEV : -ENOENT;
}

static const char *fake_netns(void *ctx, __u32 netns)
{
	return netns == CTX_NETNS ? "blue" : NULL;
}

static const char *fake_cgroup(void *ctx, __u64 id)
{
	return id == 77 ? "/system.slice/x.service" : NULL;
}

static int fake_stack(void *ctx, __s32 id, const __u64 **ips)
{
	if (id != 5)
		return -ENOENT;
	*ips = fake_ips;
	return 2;
}

/* Ethernet + IPv4 + UDP 10.0.0.1:40000 > 10.0.0.2:9 with 16 bytes of payload */
static void put_udp_packet(struct skbd_event *ev)
{
	static const __u8 pkt[] = {
		0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00, /* ether */
		0x45, 0, 0, 44, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, /* ipv4 */
		0x9c, 0x40, 0, 9, 0, 24, 0, 0, /* udp */
		's', 'k', 'b', 'd', 'r', 'o', 'p', '-', 'e', '2', 'e', 0, 0, 0, 0, 0,
	};

	memcpy(ev->data, pkt, sizeof(pkt));
	ev->caplen = sizeof(pkt);
	ev->net_off = 14;
	ev->trans_off = 34;
	ev->flags |= SKBD_EV_HAS_CTX | SKBD_EV_HAS_MAC;
}

/* the "layers" value the decoder gives for the event's packet */
static void layers_of(const struct skbd_event *ev, char *buf, size_t size)
{
	struct skbd_pkt_in in = { ev->data, ev->caplen, ev->net_off, !!(ev->flags & SKBD_EV_HAS_MAC), ev->protocol,
				  ev->sk_state };
	struct skbd_pkt p;

	skbd_pkt__decode(&in, &p);
	CU_ASSERT(skbd_pkt__format_json(&p, buf, size) < size);
}

/* packet context read from the kernel's structs (SKBD_EV_HAS_CTX) */
static void test_format_context(void)
{
	struct fmt_env e;
	struct skbd_event *ev;
	int lookups = 0;
	struct cli_resolver res = { &lookups, fake_dev, fake_netns, fake_cgroup, fake_stack };
	char layers[1024], json[4096];

	env_init(&e, true);
	e.ctx.res = &res;
	ev = new_event();
	ev->len = 24;
	ev->ifindex = 7;
	ev->netns = CTX_NETNS;
	ev->sk_state = SKBD_SK_NONE;
	ev->flags |= SKBD_EV_HAS_CGROUP;
	ev->cgroup_id = 77;
	put_udp_packet(ev);
	layers_of(ev, layers, sizeof(layers));
	CU_ASSERT_PTR_NOT_NULL(strstr(layers, "\"udp\":{\"sport\":40000,\"dport\":9,\"len\":24}"));
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":7,\"dev\":\"veth1\",\"netns\":%u,"
			   "\"netns_name\":\"blue\",\"cgroup\":\"/system.slice/x.service\",\"layers\":%s,"
			   "\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS, layers);
	expect_lines(&e.ctx, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 udp 10.0.0.1.40000 > 10.0.0.2.9 len 24 dev veth1 netns blue\n",
		     json);
	CU_ASSERT_EQUAL(lookups, 2);

	/* a device that is gone: its ifindex, never a name; an unnamed netns: its inode */
	ev->ifindex = 8;
	ev->netns = CTX_NETNS + 1;
	ev->cgroup_id = 78;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":8,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":%s,"
			   "\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1, layers);
	expect_lines(&e.ctx, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 udp 10.0.0.1.40000 > 10.0.0.2.9 len 24 ifindex 8 netns 4026532001\n",
		     json);

	/* no device: no dev/ifindex in text; nothing captured: the ethertype's name, layers {} */
	ev->ifindex = 0;
	ev->caplen = 0;
	ev->net_off = SKBD_OFF_NONE;
	ev->flags &= (__u16)~SKBD_EV_HAS_CGROUP;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":0,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":{},"
			   "\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1);
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4 len 24 netns 4026532001\n", json);

	/* --stack: frames under the line / a "stack" array; a failed stack says why */
	e.ctx.stacks = true;
	ev->flags |= SKBD_EV_HAS_STACK;
	ev->stack_id = 5;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":0,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":{},"
			   "\"stack\":[\"func_a+0x234\",\"func_b+0x0\"],\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1);
	expect_lines(&e.ctx, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4 len 24 netns 4026532001\n"
			       "    func_a+0x234\n    func_b+0x0\n",
		     json);
	ev->stack_id = -EEXIST;
	snprintf(json, sizeof(json),
		 JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			   "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			   "\"protocol\":\"IPv4\",\"len\":24,\"ifindex\":0,\"dev\":null,\"netns\":%u,"
			   "\"netns_name\":null,\"cgroup\":null,\"layers\":{},"
			   "\"stack\":null,\"stack_error\":\"stack map bucket taken by another stack (collision)\","
			   "\"skbaddr\":\"0xffff888012345600\"}\n",
		 CTX_NETNS + 1);
	expect_lines(&e.ctx, ev,
		     TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv4 len 24 netns 4026532001\n"
			       "    [stack map bucket taken by another stack (collision)]\n",
		     json);
	free(ev);
	env_fini(&e);
}

static void test_format_known(void)
{
	check_known(false);
}

static void test_format_known_cached(void)
{
	check_known(true);
}

static void check_reasons(bool with_cache)
{
	struct fmt_env e;
	struct skbd_event *ev;

	env_init(&e, with_cache);
	ev = new_event();
	/* a code the table does not name */
	ev->reason = 500;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] reason#500 func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":500,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* a subsystem code beyond the slots (6.4+: upper 16 bits) */
	ev->reason = 0x30001;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] reason#196609 func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":196609,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* the last named code */
	ev->reason = 128;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] MAX func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"MAX\",\"reason_code\":128,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);

	/* a kernel without reasons (5.10): "-" and nulls, whatever ev->reason says */
	env_init(&e, with_cache);
	skbd_tpformat__free(e.fmt);
	e.fmt = load_format("kfree_skb-5.10.223.format");
	e.ctx.fmt = e.fmt;
	e.ctx.has_reason = false;
	ev = new_event();
	ev->flags = 0;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] - func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":null,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* has_reason=false even with a table that names the code */
	skbd_tpformat__free(e.fmt);
	e.fmt = load_format("kfree_skb-6.18.44.format");
	e.ctx.fmt = e.fmt;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] - func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":null,\"reason_code\":null,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_reasons(void)
{
	check_reasons(false);
	check_reasons(true);
}

static void check_protocols(bool with_cache)
{
	struct fmt_env e;
	struct skbd_event *ev;

	env_init(&e, with_cache);
	ev = new_event();
	ev->protocol = 0x1234;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 0x1234\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":4660,\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	ev->protocol = 0x86dd;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 IPv6\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv6\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* zero-padded to four digits, the widest value in full */
	ev->protocol = 0x0012;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 0x0012\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":18,\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	ev->protocol = 0xffff;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET func_a+0x234 0xffff\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":65535,\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_protocols(void)
{
	check_protocols(false);
	check_protocols(true);
}

static void check_locations(bool with_cache)
{
	struct fmt_env e;
	struct skbd_event *ev;
	char loc[64];

	env_init(&e, with_cache);
	ev = new_event();
	/* module symbol: " [mod]" inside the JSON string */
	ev->location = 0xffffffffc0a01010ULL;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET nft_do_chain+0x10 [nf_tables] IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"nft_do_chain+0x10 [nf_tables]\",\"location_addr\":\"0xffffffffc0a01010\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* below the first symbol: the raw address, 16 hex digits */
	CU_ASSERT_EQUAL(skbd_ksyms__format(e.ks, 0x1000, loc, sizeof(loc)), 18);
	CU_ASSERT_STRING_EQUAL(loc, "0x0000000000001000");
	ev->location = 0x1000;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET 0x0000000000001000 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"0x0000000000001000\",\"location_addr\":\"0x1000\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* zero addresses */
	ev->location = 0;
	ev->skbaddr = 0;
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET 0x0000000000000000 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"0x0000000000000000\",\"location_addr\":\"0x0\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0x0\"}\n");
	free(ev);
	env_fini(&e);

	/* no symbol table at all */
	env_init(&e, with_cache);
	e.ctx.ks = NULL;
	ev = new_event();
	CU_ASSERT_EQUAL(skbd_ksyms__format(NULL, ev->location, loc, sizeof(loc)), 18);
	CU_ASSERT_STRING_EQUAL(loc, "0xffffffff81001234");
	expect_lines(&e.ctx, ev, TEXT_HEAD "sender[4242/4243] NO_SOCKET 0xffffffff81001234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"0xffffffff81001234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_locations(void)
{
	check_locations(false);
	check_locations(true);
}

static void check_comms(bool with_cache)
{
	struct fmt_env e;
	struct skbd_event *ev;

	env_init(&e, with_cache);
	ev = new_event();
	/* quote, backslash, control byte, 0xff */
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, "a\"b\\c\001d\377e", 9);
	expect_lines(&e.ctx, ev, TEXT_HEAD "a\"b\\c?d?e[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"a\\\"b\\\\c\\u0001d\\u00ffe\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	if (tu_have_jq()) {
		char buf[1024];

		cli_format_json(&e.ctx, ev, buf, sizeof(buf));
		CU_ASSERT_TRUE(jq_says(buf, ".comm|explode|map(tostring)|join(\",\")",
				       "97,34,98,92,99,1,100,255,101\n"));
	}

	/* tab, newline, DEL, and an escape at the very start and end */
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, "\tx\n\177\"", 5);
	expect_lines(&e.ctx, ev, TEXT_HEAD "?x??\"[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"\\u0009x\\u000a\\u007f\\\"\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");

	/* exactly 16 bytes, no NUL */
	memcpy(ev->comm, "abcdefghijklmnop", 16);
	expect_lines(&e.ctx, ev, TEXT_HEAD "abcdefghijklmnop[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"abcdefghijklmnop\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");

	/* 16 bytes that all need escaping */
	memset(ev->comm, '"', sizeof(ev->comm));
	expect_lines(&e.ctx, ev, TEXT_HEAD "\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"\"[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\\\"\","
			       "\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");

	/* empty comm */
	memset(ev->comm, 0, sizeof(ev->comm));
	expect_lines(&e.ctx, ev, TEXT_HEAD "[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     JSON_HEAD ",\"comm\":\"\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
			       "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
			       "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_comm(void)
{
	check_comms(false);
	check_comms(true);
}

static void check_times(bool with_cache)
{
	struct fmt_env e;
	struct skbd_event *ev;

	env_init(&e, with_cache);
	ev = new_event();
	/* microseconds are truncated, not rounded */
	e.ctx.mono_to_real_ns = 1700000000999999999LL - (long long)TS_NS;
	expect_lines(&e.ctx, ev, "22:13:20.999999 cpu 1 sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"2023-11-14T22:13:20.999999999Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* whole second, leading zeros kept */
	e.ctx.mono_to_real_ns = 1700000000000000007LL - (long long)TS_NS;
	expect_lines(&e.ctx, ev, "22:13:20.000000 cpu 1 sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"2023-11-14T22:13:20.000000007Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* a wall clock before the epoch is clamped to it */
	e.ctx.mono_to_real_ns = -(long long)TS_NS - 5;
	expect_lines(&e.ctx, ev, "00:00:00.000000 cpu 1 sender[4242/4243] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"1970-01-01T00:00:00.000000000Z\",\"ts_ns\":5000000000,\"cpu\":1,\"pid\":4242,"
		     "\"tid\":4243,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	/* a leap day; big ids and cpu */
	e.ctx.mono_to_real_ns = 951782400000000000LL - (long long)TS_NS + 1000; /* 2000-02-29 */
	ev->pid = 4294967295U;
	ev->tid = 0;
	ev->cpu = 4095;
	expect_lines(&e.ctx, ev, "00:00:00.000001 cpu 4095 sender[4294967295/0] NO_SOCKET func_a+0x234 IPv4\n",
		     "{\"time\":\"2000-02-29T00:00:00.000001000Z\",\"ts_ns\":5000000000,\"cpu\":4095,"
		     "\"pid\":4294967295,\"tid\":0,\"comm\":\"sender\",\"reason\":\"NO_SOCKET\",\"reason_code\":3,"
		     "\"location\":\"func_a+0x234\",\"location_addr\":\"0xffffffff81001234\","
		     "\"protocol\":\"IPv4\",\"len\":null,\"ifindex\":null,\"dev\":null,\"netns\":null,\"netns_name\":null,\"cgroup\":null,\"layers\":null,\"skbaddr\":\"0xffff888012345600\"}\n");
	free(ev);
	env_fini(&e);
}

static void test_format_time(void)
{
	check_times(false);
	check_times(true);
}

/* Every buffer size: a NUL-terminated prefix of the full line, length
 * min(full, size - 1), and nothing written past size. */
static void check_truncation(bool json)
{
	struct fmt_env e;
	struct skbd_event *ev;
	char full[1024], buf[1024];
	size_t n_full;

	env_init(&e, false);
	ev = new_event();
	memset(ev->comm, 0, sizeof(ev->comm));
	memcpy(ev->comm, "a\"b\\c\001d\377e", 9);
	n_full = json ? cli_format_json(&e.ctx, ev, full, sizeof(full))
		      : cli_format_text(&e.ctx, ev, full, sizeof(full));
	CU_ASSERT_EQUAL_FATAL(n_full, strlen(full));
	CU_ASSERT_FATAL(n_full > 60);

	/* size 0: nothing written, the full length returned */
	CU_ASSERT_EQUAL(json ? cli_format_json(&e.ctx, ev, NULL, 0) : cli_format_text(&e.ctx, ev, NULL, 0),
			n_full);

	for (size_t size = 1; size <= n_full + 2; size++) {
		size_t n, want = size - 1 < n_full ? size - 1 : n_full;

		memset(buf, 'Z', sizeof(buf));
		n = json ? cli_format_json(&e.ctx, ev, buf, size) : cli_format_text(&e.ctx, ev, buf, size);
		if (n != want || buf[want] != '\0' || memcmp(buf, full, want) || buf[size] != 'Z')
			fprintf(stderr, "\n%s size %zu: n %zu want %zu\n", json ? "json" : "text", size, n, want);
		CU_ASSERT_EQUAL(n, want);
		CU_ASSERT_EQUAL(buf[want], '\0');
		CU_ASSERT_EQUAL(memcmp(buf, full, want), 0);
		CU_ASSERT_EQUAL(buf[size], 'Z');
	}

	/* the brief's case: 10 bytes */
	memset(buf, 'Z', sizeof(buf));
	CU_ASSERT_EQUAL(json ? cli_format_json(&e.ctx, ev, buf, 10) : cli_format_text(&e.ctx, ev, buf, 10), 9);
	CU_ASSERT_STRING_EQUAL(buf, json ? "{\"time\":\"" : "22:13:20.");
	CU_ASSERT_EQUAL(buf[10], 'Z');
	free(ev);
	env_fini(&e);
}

static void test_format_truncation(void)
{
	check_truncation(false);
	check_truncation(true);
}

/* A cache shared by two contexts formats each the same as no cache. */
static void test_format_cache_switch(void)
{
	struct fmt_env e;
	struct skbd_event *ev;
	char a[1024], b[1024];

	env_init(&e, true);
	ev = new_event();
	/* many distinct addresses: slot collisions must not mix up names */
	for (unsigned int i = 0; i < 2 * CLI_LOC_CACHE + 7; i++) {
		struct cli_fmt_ctx plain = e.ctx;

		plain.cache = NULL;
		ev->location = 0xffffffff81000000ULL + (__u64)i * 0x1111;
		ev->ts_ns = TS_NS + (__u64)i * 700000000ULL;
		ev->reason = i % 140;
		cli_format_json(&e.ctx, ev, a, sizeof(a));
		cli_format_json(&plain, ev, b, sizeof(b));
		if (strcmp(a, b))
			fprintf(stderr, "\ncached: %s\nplain:  %s\n", a, b);
		CU_ASSERT_STRING_EQUAL(a, b);
		cli_format_text(&e.ctx, ev, a, sizeof(a));
		cli_format_text(&plain, ev, b, sizeof(b));
		CU_ASSERT_STRING_EQUAL(a, b);
	}
	free(ev);
	env_fini(&e);
}

/* ---- cli_ethertype_name ---------------------------------------------- */

static void test_ethertype(void)
{
	CU_ASSERT_STRING_EQUAL(cli_ethertype_name(0x0800), "IPv4");
	CU_ASSERT_STRING_EQUAL(cli_ethertype_name(0x86dd), "IPv6");
	CU_ASSERT_STRING_EQUAL(cli_ethertype_name(0x0806), "ARP");
	CU_ASSERT_STRING_EQUAL(cli_ethertype_name(0x8100), "802.1Q");
	CU_ASSERT_PTR_NULL(cli_ethertype_name(0x1234));
	CU_ASSERT_PTR_NULL(cli_ethertype_name(0x0000));
	CU_ASSERT_PTR_NULL(cli_ethertype_name(0xffff));
	CU_ASSERT_PTR_NULL(cli_ethertype_name(0x0008)); /* IPv4 in the wrong byte order */
}

static void test_usage(void)
{
	char buf[4096] = "";
	FILE *f = fmemopen(buf, sizeof(buf) - 1, "w");

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	cli_usage(f);
	fclose(f);
	CU_ASSERT_EQUAL(strncmp(buf, "Usage: skbdrop", 14), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "1 to 8 MiB each"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "--transport KIND"));
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const char *opt = bad_cases[i].needle;

		if (opt[0] == '-' && opt[1] == '-' && strcmp(opt, "--bogus"))
			CU_ASSERT_PTR_NOT_NULL(strstr(buf, opt));
	}
}

/* 64 MiB over the CPUs, 1..8 MiB each, a power of two in pages */
static void test_default_pages(void)
{
	CU_ASSERT_EQUAL(cli_default_pages(1, 4096), 2048);   /* capped at 8 MiB */
	CU_ASSERT_EQUAL(cli_default_pages(2, 4096), 2048);   /* 8 MiB each */
	CU_ASSERT_EQUAL(cli_default_pages(16, 4096), 1024);  /* 4 MiB */
	CU_ASSERT_EQUAL(cli_default_pages(24, 4096), 512);   /* 2.67 MiB -> 2 MiB */
	CU_ASSERT_EQUAL(cli_default_pages(64, 4096), 256);   /* 1 MiB */
	CU_ASSERT_EQUAL(cli_default_pages(256, 4096), 256);  /* floor 1 MiB */
	CU_ASSERT_EQUAL(cli_default_pages(2, 65536), 128);   /* 64 KiB pages */
	CU_ASSERT_EQUAL(cli_default_pages(0, 0), 2048);      /* nonsense in: sane out */
}

/* --transport, --wakeup, --poll-ms */
static void test_parse_transport(void)
{
	struct cli_opts o;
	char err[256];

	CU_ASSERT_EQUAL_FATAL(parse((char *[]){ "skbdrop", "--transport", "ringbuf", "--wakeup", "events:7",
						"--poll-ms", "25", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.transport, CLI_TRANSPORT_RINGBUF);
	CU_ASSERT_EQUAL(o.wakeup, CLI_WAKEUP_EVENTS);
	CU_ASSERT_EQUAL(o.wakeup_arg, 7);
	CU_ASSERT_EQUAL(o.poll_ms, 25);
	CU_ASSERT_EQUAL_FATAL(parse((char *[]){ "skbdrop", "--wakeup", "none", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.wakeup, CLI_WAKEUP_NONE);
	CU_ASSERT_EQUAL_FATAL(parse((char *[]){ "skbdrop", "--wakeup=bytes:4096", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.wakeup, CLI_WAKEUP_BYTES);
	CU_ASSERT_EQUAL(o.wakeup_arg, 4096);
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--wakeup", "bytes:1073741825", NULL }, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--wakeup"));
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--transport", "Perf", NULL }, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--transport"));
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--poll-ms", "60001", NULL }, &o, err, sizeof(err)), -EINVAL);
}

CU_TestInfo skbd_tests_cli[] = {
	{ "format packet context", test_format_context },
	{ "parse filter words", test_parse_filter_words },
	{ "default ring pages", test_default_pages },
	{ "parse transport and wakeup", test_parse_transport },
	{ "parse defaults", test_parse_defaults },
	{ "parse long and short", test_parse_long_and_short },
	{ "parse limits", test_parse_limits },
	{ "parse errors", test_parse_errors },
	{ "parse error text", test_parse_error_text },
	{ "parse reentrant", test_parse_reentrant },
	{ "plan default 6.18", test_plan_default_6_18 },
	{ "plan default 5.10", test_plan_default_5_10 },
	{ "plan not-drops", test_plan_not_drops },
	{ "plan include", test_plan_include },
	{ "plan exclude", test_plan_exclude },
	{ "plan unknown name", test_plan_unknown },
	{ "plan without reasons", test_plan_no_reasons_kernel },
	{ "plan empty include", test_plan_empty_include },
	{ "format known", test_format_known },
	{ "format known cached", test_format_known_cached },
	{ "format ident cache", test_format_ident_cache },
	{ "format reasons", test_format_reasons },
	{ "format protocols", test_format_protocols },
	{ "format locations", test_format_locations },
	{ "format comm", test_format_comm },
	{ "format time", test_format_time },
	{ "format truncation", test_format_truncation },
	{ "format cache", test_format_cache_switch },
	{ "ethertype", test_ethertype },
	{ "usage", test_usage },
	CU_TEST_INFO_NULL,
};
