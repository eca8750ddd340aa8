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
	CU_ASSERT_EQUAL(o.wakeup_arg, 0); /* a quarter of a ring: the monitor sizes it */
	CU_ASSERT_EQUAL(o.poll_ms, 100);
	CU_ASSERT_EQUAL(o.batch, 0); /* the monitor's default */
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
	/* -w, -C (tcpdump's units: millions of bytes, or k/m/g), -W */
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-w", "x.pcapng", "-C", "2", "-W", "10"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.write_file, "x.pcapng");
	CU_ASSERT_EQUAL(o.rotate_bytes, 2000000ULL);
	CU_ASSERT_EQUAL(o.rotate_files, 10U);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-w", "x", "-C", "8k"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.rotate_bytes, 8192ULL);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("-w", "x", "-C", "3G"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.rotate_bytes, 3ULL << 30);
	/* --metrics: labels default to the reason; with --summary they must be --by fields */
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--metrics", "127.0.0.1:9542"), &o, err, sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.metrics, "127.0.0.1:9542");
	CU_ASSERT_EQUAL(o.metrics_labels, SKBD_BY_REASON);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--metrics", ":9542", "--metrics-labels", "reason,dev,owner"), &o, err,
				    sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.metrics_labels, SKBD_BY_REASON | SKBD_BY_DEV | SKBD_BY_OWNER);
	CU_ASSERT_EQUAL(parse(ARGV("--summary", "--by", "reason,netns", "--metrics", ":0", "--metrics-labels", "netns,dev,location"),
			      &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--metrics-labels: location,dev not among the --by fields the kernel counts by");
	CU_ASSERT_EQUAL(parse(ARGV("--summary", "--metrics", ":0", "--metrics-labels", "netns,dev"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL_FATAL(parse(ARGV("--otlp", "http://127.0.0.1:4318", "--metrics-labels", "reason,netns"), &o, err,
				    sizeof(err)), 0);
	CU_ASSERT_STRING_EQUAL(o.otlp, "http://127.0.0.1:4318");
	CU_ASSERT_EQUAL(o.metrics_labels, SKBD_BY_REASON | SKBD_BY_NETNS);
}

struct bad_case {
	const char *args[4];
	const char *needle; /* must appear in the message */
};

static const struct bad_case bad_cases[] = {
	{ { "-C", "10" }, "-C" },
	{ { "-C", "0", "-w", "f" }, "-C" },
	{ { "-C", "2q", "-w", "f" }, "-C" },
	{ { "-W", "3", "-w", "f" }, "-W" },
	{ { "-w", "-", "-C", "1" }, "-C" },
	{ { "-w", "f", "--summary" }, "-w" },
	{ { "--otlp", "https://127.0.0.1:4318" }, "--otlp" },
	{ { "--otlp", "localhost:4318" }, "--otlp" },
	{ { "--metrics", "9100" }, "--metrics" },
	{ { "--metrics", ":99999" }, "--metrics" },
	{ { "--metrics", "name.example:80" }, "--metrics" },
	{ { "--metrics-labels", "reason" }, "--metrics-labels" },
	{ { "--metrics-labels", "pid", "--metrics", ":0" }, "unknown field 'pid'" },
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
	CU_ASSERT_EQUAL(parse(ARGV("--ignore", "nope"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--ignore: unknown rule 'nope'; rules: teardown, purge, neigh, tx-completion");
	CU_ASSERT_EQUAL(parse(ARGV("--ignore", ","), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--ignore: empty list");
	CU_ASSERT_EQUAL(parse(ARGV("--all"), &o, err, sizeof(err)), 0);
	CU_ASSERT_TRUE(o.all);
	CU_ASSERT_EQUAL(o.benign, SKBD_BENIGN_DEFAULT);
	CU_ASSERT_EQUAL(parse(ARGV("--ignore", "teardown"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.benign, SKBD_BENIGN_DEFAULT & ~1u);
	CU_ASSERT_EQUAL(parse(ARGV("--no-default-rules"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.benign, 0);
	CU_ASSERT_EQUAL(parse(ARGV("--owner", "0"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--owner: '0' is not a process id");
	CU_ASSERT_EQUAL(parse(ARGV("--owner", "12x"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--owner: '12x' is not a process id");
	CU_ASSERT_EQUAL(parse(ARGV("--summary", "--sock-state"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--sock-state shows socket numbers on event lines: it does not go with --summary");
	CU_ASSERT_EQUAL(parse(ARGV("--summary", "--by", "owner,pid"), &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err, "--by: unknown field 'pid'; fields: reason, location, dev (device), netns, comm, owner, container");
	/* and the good ones */
	CU_ASSERT_EQUAL(parse(ARGV("--owner", "4242", "--sock-state"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.owner, 4242);
	CU_ASSERT_TRUE(o.sock_state);
	CU_ASSERT_EQUAL(parse(ARGV("--summary", "--by", "owner,container", "--owner", "1"), &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.by, SKBD_BY_OWNER | SKBD_BY_CONTAINER);

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

/* Subsystem reasons (codes past the slots, named from BTF): their own verdicts */
static void test_plan_subsystem(void)
{
	struct skbd_tpformat *fmt = load_format("kfree_skb-6.18.44.format");
	struct skbd_reason_plan plan;
	struct skbd_reason *r;
	char *err = NULL;

	r = realloc(fmt->reasons, (fmt->nr_reasons + 2) * sizeof(*r));
	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	fmt->reasons = r;
	r[fmt->nr_reasons] = (struct skbd_reason){ 0x30001, "QDISC_DROP_GENERIC" };
	r[fmt->nr_reasons + 1] = (struct skbd_reason){ 0x30002, "QDISC_DROP_OVERLIMIT" };
	fmt->nr_reasons += 2;
	fill_plan(&plan);
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "NO_SOCKET,QDISC_DROP_OVERLIMIT", NULL, &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip[3], false);
	CU_ASSERT_EQUAL(plan.skip_other, true);
	CU_ASSERT_EQUAL(plan.nr_sub, 1);
	CU_ASSERT_EQUAL(plan.sub[0].code, 0x30002);
	CU_ASSERT_EQUAL(plan.sub[0].skip, false);
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, NULL, "QDISC_DROP_GENERIC,QDISC_DROP_GENERIC", &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.skip_other, false);
	CU_ASSERT_EQUAL(plan.nr_sub, 1);
	CU_ASSERT_EQUAL(plan.sub[0].code, 0x30001);
	CU_ASSERT_EQUAL(plan.sub[0].skip, true);
	/* named in both: excluded */
	CU_ASSERT_EQUAL_FATAL(cli_plan_reasons(fmt, "QDISC_DROP_GENERIC", "QDISC_DROP_GENERIC", &plan, &err), 0);
	CU_ASSERT_EQUAL(plan.nr_sub, 1);
	CU_ASSERT_EQUAL(plan.sub[0].skip, true);
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

static void test_usage(void)
{
	char buf[16384] = "";
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
	/* --batch: 1 to 16, only where records go through the perf rings */
	CU_ASSERT_EQUAL_FATAL(parse((char *[]){ "skbdrop", "--batch", "16", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.batch, 16);
	CU_ASSERT_EQUAL_FATAL(parse((char *[]){ "skbdrop", "--batch=1", "--transport", "perf", NULL }, &o, err, sizeof(err)), 0);
	CU_ASSERT_EQUAL(o.batch, 1);
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--batch", "0", NULL }, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "--batch: '0' is not between 1 and 16"));
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--batch", "17", NULL }, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--batch", "4x", NULL }, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--batch", "4", "--transport", "ringbuf", NULL }, &o, err, sizeof(err)),
			-EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not with --transport ringbuf"));
	CU_ASSERT_EQUAL(parse((char *[]){ "skbdrop", "--batch", "4", "--summary", "1", NULL }, &o, err, sizeof(err)), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "not with --summary"));
}

CU_TestInfo skbd_tests_cli[] = {
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
	{ "plan: subsystem reasons", test_plan_subsystem },
	{ "plan exclude", test_plan_exclude },
	{ "plan unknown name", test_plan_unknown },
	{ "plan without reasons", test_plan_no_reasons_kernel },
	{ "plan empty include", test_plan_empty_include },
	{ "usage", test_usage },
	CU_TEST_INFO_NULL,
};
