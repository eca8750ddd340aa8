// SPDX-License-Identifier: GPL-2.0-only
/* The floor of a program on skb:kfree_skb: loads a program that returns 0 at once (two instructions) with
 * the tool's own loader calls, attaches it to the tracepoint as skbdrop attaches its own, prints
 * `emptyprog: attached, program id N` and stays attached until stdin reaches its end or SIGINT/SIGTERM.
 * With kernel.bpf_stats_enabled=1 its run time is what any program on that tracepoint costs at the least:
 * the bench divides skbdrop's ns per run by it (bench/prog-cost.sh).
 * Usage: emptyprog    (tracefs found, or mounted, as skbdrop does) */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "skbdrop/sys.h"
#include "skbdrop/tpformat.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(int argc, char **argv)
{
	const struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	struct skbd_tpformat *fmt = NULL;
	struct bpf_prog_info info;
	struct sigaction sa;
	char tracefs[256], *text = NULL;
	size_t len = 0;
	__u32 tp_id;
	int prog, link, err, mounted = 0;

	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "usage: emptyprog\n");
		return 2;
	}
	err = skbd_tracefs__find(tracefs, sizeof(tracefs), &mounted);
	if (!err)
		err = skbd_tracefs__read_format(tracefs, "skb", "kfree_skb", &text, &len);
	if (!err)
		err = skbd_tpformat__parse(text, len, &fmt);
	free(text);
	if (err) {
		fprintf(stderr, "emptyprog: the skb:kfree_skb tracepoint: %s\n", strerror(-err));
		return 1;
	}
	tp_id = fmt->id;
	skbd_tpformat__free(fmt);
	skbd_raise_memlock();
	prog = skbd_bpf_prog_load(NULL, BPF_PROG_TYPE_TRACEPOINT, "skbd_empty", insns, 2, "GPL", 0, NULL, 0);
	if (prog < 0) {
		fprintf(stderr, "emptyprog: loading the program: %s\n", strerror(-prog));
		return 1;
	}
	link = skbd_tracepoint__attach(prog, tp_id);
	if (link < 0) {
		fprintf(stderr, "emptyprog: attaching to skb:kfree_skb: %s\n", strerror(-link));
		return 1;
	}
	memset(&info, 0, sizeof(info));
	err = skbd_bpf_obj_get_info(NULL, prog, &info, sizeof(info));
	if (err) {
		fprintf(stderr, "emptyprog: program info: %s\n", strerror(-err));
		return 1;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("emptyprog: attached, program id %u\n", info.id);
	fflush(stdout);
	while (!stop) {
		struct pollfd p = { .fd = 0, .events = POLLIN };
		char buf[256];

		if (poll(&p, 1, 1000) > 0 && read(0, buf, sizeof(buf)) <= 0)
			break;
	}
	close(link);
	close(prog);
	if (mounted)
		skbd_tracefs__unmount(tracefs);
	return 0;
}
