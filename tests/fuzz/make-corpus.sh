#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Remake the seeds of the fuzz corpus (make fuzz-seeds); see tests/fuzz/README.md.
#   tests/fuzz/make-corpus.sh CORPUS WORKDIR BPF_CC BPF_OBJECT
# WORKDIR holds gen_seeds; BPF_CC: clang and the Makefile's BPF_CFLAGS.
set -eu
corpus=$1 work=$2 bpf_cc=$3 bpfobj=$4
fx=$(cd "$(dirname "$0")/../fixtures" && pwd)
src=$(cd "$(dirname "$0")" && pwd)

for t in btf tpformat kallsyms counters netlink perfring ringbuf packet cbpf elf summary; do
	mkdir -p "$corpus/$t"
	find "$corpus/$t" -name 'seed-*' -delete
	find "$corpus/$t" -name 'gen-*' -delete
done

cp "$fx"/tracepoint-formats/* "$corpus/tpformat/"
for f in "$corpus"/tpformat/*.format; do mv "$f" "$corpus/tpformat/seed-$(basename "$f")"; done

# kallsyms text, then /proc/modules text after a NUL byte
for k in "$fx"/kallsyms/*.txt; do
	case $k in */modules*) continue ;; esac
	cp "$k" "$corpus/kallsyms/seed-$(basename "$k")"
done
for m in modules modules_bad modules_hidden; do
	{ cat "$fx/kallsyms/basic.txt"; printf '\0'; cat "$fx/kallsyms/$m.txt"; } >"$corpus/kallsyms/seed-basic+$m"
	{ cat "$fx/kallsyms/text_range.txt"; printf '\0'; cat "$fx/kallsyms/$m.txt"; } >"$corpus/kallsyms/seed-text_range+$m"
done

# the first byte picks the parser (fuzz_counters.c); one kernel of each file is plenty
for v in 5.10 6.18 7.2; do
	{ printf '\0'; cat "$fx/counters/snmp-$v"; } >"$corpus/counters/seed-snmp-$v"
	{ printf '\0'; cat "$fx/counters/netstat-$v"; } >"$corpus/counters/seed-netstat-$v"
	{ printf '\1'; cat "$fx/counters/snmp6-$v"; } >"$corpus/counters/seed-snmp6-$v"
	{ printf '\2'; cat "$fx/counters/softnet_stat-$v"; } >"$corpus/counters/seed-softnet_stat-$v"
done

# the first byte picks the reader (fuzz_netlink.c)
for f in "$fx"/netlink/newlink-*.bin; do
	{ printf '\0'; cat "$f"; } >"$corpus/netlink/seed-stats-$(basename "$f")"
	{ printf '\2'; cat "$f"; } >"$corpus/netlink/seed-netdev-$(basename "$f")"
done
{ printf '\2'; cat "$fx"/netlink/newlink-*.bin; } >"$corpus/netlink/seed-netdev-both"
{ printf '\1'; cat "$fx/netlink/newqdisc-tbf-6.18.bin"; } >"$corpus/netlink/seed-qdisc-tbf"

cp "$bpfobj" "$corpus/elf/seed-skbdrop.bpf"
llvm-objcopy --dump-section .BTF="$corpus/btf/seed-skbdrop.bpf.o.BTF" "$bpfobj" "$work/discard.o"
# shellcheck disable=SC2086
$bpf_cc -c "$src/btf_seed.bpf.c" -o "$work/btf_seed.o"
llvm-objcopy --dump-section .BTF="$corpus/btf/seed-kernel-shapes.BTF" "$work/btf_seed.o" "$work/discard.o"
# shellcheck disable=SC2086
$bpf_cc -c "$src/elf_seed.bpf.c" -o "$work/elf_seed.o"
llvm-strip -g "$work/elf_seed.o" -o "$corpus/elf/seed-small.bpf"

"$work/gen_seeds" "$corpus"
du -sh "$corpus"
