# SPDX-License-Identifier: GPL-2.0-only
# One non-recursive Makefile; everything is built under build/.
#   make            build/skbdrop (static, BPF object embedded)
#   make ARCH=arm64 build/arm64/skbdrop, cross-built for aarch64 (also: make arm64), same BPF object
#   make run        install dependencies, build, start the monitor
#   make check      install dependencies, build, run every test
#   make unit SANITIZE=address,undefined   unit tests under sanitizers
#   make bench      bench harness: skbdrop modes/transports/wakeups vs bpftrace and perf (bench/run.sh)
#   make install    PREFIX=/usr/local DESTDIR=: sbin/skbdrop and share/man/man8/skbdrop.8
#   make kmatrix    boot the static binaries on Debian kernels 5.10-7.x under QEMU, x86-64 and arm64 (tests/kmatrix/run.sh)
#   make fuzz FUZZ_SECONDS=N   every libFuzzer target for N s (tests/fuzz/README.md); fuzz-smoke: 2 s each

CC      ?= gcc
CLANG   ?= clang
STRIP   ?= strip
BUILD   ?= build
VERSION := $(shell git describe --always --dirty 2>/dev/null || echo 0.1)

WARN    := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wmissing-prototypes -Wno-unused-parameter
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Ibpf -DSKBD_VERSION='"$(VERSION)"'

ifdef SANITIZE
BUILD   := build/sanitize
SANFLAGS := -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

# The BPF object is built once, in $(BUILD), whatever the target: clang -target bpf does not depend on it
BPF_OBJ := $(BUILD)/skbdrop.bpf.o

# ARCH=arm64: Debian's aarch64 cross toolchain and :arm64 libraries (scripts/install-deps.sh arm64),
# everything else under $(BUILD)/arm64. The host's own ARCH values (a kernel tree's x86) build natively.
ifneq ($(filter arm64 aarch64,$(ARCH)),)
CROSS   := aarch64-linux-gnu-
CC      := $(CROSS)gcc
STRIP   := $(CROSS)strip
AR      := $(CROSS)ar
override BUILD := $(BUILD)/arm64
else ifneq ($(filter-out x86 x86_64 amd64,$(ARCH)),)
$(error ARCH=$(ARCH): only arm64 (aarch64) is cross-built; leave ARCH unset for the host)
endif

# filter/pcap_stubs.c goes into the static binary only (see the file)
LIB_SRCS  := $(sort $(wildcard loader/*.c btf/*.c http/*.c kallsyms/*.c packet/*.c netdev/*.c monitor/*.c names/*.c output/*.c counters/*.c priv/*.c) \
		$(filter-out filter/pcap_stubs.c,$(wildcard filter/*.c)))
CLI_SRCS  := $(sort $(wildcard cli/*.c))
UNIT_SRCS := $(sort $(wildcard tests/unit/*.c))
BENCH_TOOLS := $(patsubst bench/%.c,$(BUILD)/bench/%,$(wildcard bench/*.c))
E2E_HELPERS := $(patsubst tests/e2e/%.c,$(BUILD)/e2e/%,$(wildcard tests/e2e/*.c))

LIB_OBJS  := $(LIB_SRCS:%.c=$(BUILD)/obj/%.o)
STATIC_OBJS := $(BUILD)/obj/filter/pcap_stubs.o
CLI_OBJS  := $(CLI_SRCS:%.c=$(BUILD)/obj/%.o)
UNIT_OBJS := $(UNIT_SRCS:%.c=$(BUILD)/obj/%.o)

# clang -target bpf searches no system dir: take clang's own list, less the host's multiarch dir
# (/usr/include/x86_64-linux-gnu): the <asm/...> headers linux/bpf.h needs are bpf/include/asm's, which take
# asm-generic's definitions, so the object is the same bytes whatever the host (checked against aarch64's), and
# any other <asm/...> header fails to compile rather than bring in one architecture's
BPF_SYS_INC := $(shell $(CLANG) -v -E - </dev/null 2>&1 | sed -n '/<...> search starts here:/,/End of search list./p' | grep '^ ' | grep -v -- '-linux-gnu' | sed 's/^ */-idirafter /')
BPF_CFLAGS := -O2 -g -target bpf -Wall -Werror -Ibpf -Ibpf/include $(BPF_SYS_INC)

# bookworm's libmnl-dev has no libmnl.a: scripts/build-libmnl.sh makes one (download cached under build/libmnl,
# build/libmnl-arm64 for the cross build)
LIBMNL_A    := build/libmnl$(if $(CROSS),-arm64)/libmnl.a
STATIC_LIBS := $(LIBMNL_A) -lpcap -Wl,--start-group -lelf -lz -lzstd -Wl,--end-group
DYN_LIBS    := -lelf -lmnl -lpcap

PREFIX  ?= /usr/local
DESTDIR ?=

.PHONY: all arm64 run check unit e2e bench deps clean size kmatrix fuzz fuzz-smoke fuzz-build fuzz-seeds install uninstall
ifdef CROSS
# the cross toolchain and libraries are installed first, as `make check` does with the host's
all:
	@scripts/install-deps.sh arm64
	$(MAKE) $(BUILD)/skbdrop
else
all: $(BUILD)/skbdrop
endif

arm64:
	$(MAKE) ARCH=arm64

$(BUILD)/obj/%.o: %.c $(wildcard include/skbdrop/*.h bpf/*.h loader/*.h btf/*.h cli/*.h filter/*.h monitor/*.h names/*.h output/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -DSKBD_FIXTURES='"$(CURDIR)/tests/fixtures"' -c $< -o $@

# --version tells the commit the binary was built from: main.o (the only user
# of SKBD_VERSION) is rebuilt whenever `git describe` changes
VERSION_STAMP := $(BUILD)/version.stamp
$(shell mkdir -p $(BUILD) && [ "$$(cat $(VERSION_STAMP) 2>/dev/null)" = '$(VERSION)' ] || echo '$(VERSION)' > $(VERSION_STAMP))
$(BUILD)/obj/cli/main.o: $(VERSION_STAMP)
$(VERSION_STAMP): # after `make clean` in the same run
	@mkdir -p $(@D)
	echo '$(VERSION)' > $@

$(BPF_OBJ): bpf/skbdrop.bpf.c bpf/skbdrop_abi.h $(wildcard bpf/include/asm/*.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(BPF_CFLAGS) -c $< -o $@.tmp
	# keep .BTF/.BTF.ext (field relocations), drop DWARF
	llvm-strip -g $@.tmp -o $@
	@rm -f $@.tmp

$(BUILD)/obj/bpf_embed.o: bpf/embed.S $(BPF_OBJ)
	@mkdir -p $(dir $@)
	$(CC) -c -DSKBD_BPF_OBJ='"$(BPF_OBJ)"' $< -o $@

$(BUILD)/skbdrop: $(CLI_OBJS) $(LIB_OBJS) $(STATIC_OBJS) $(BUILD)/obj/bpf_embed.o
	$(CC) -static $(CFLAGS) -o $@.full $^ $(STATIC_LIBS)
	$(STRIP) -o $@ $@.full

$(BUILD)/skbdrop: | $(LIBMNL_A)
$(LIBMNL_A): scripts/build-libmnl.sh
	CC="$(CC)" AR="$(AR)" scripts/build-libmnl.sh $(dir $@)

# the CLI's pure parts (options, output) are unit-tested too
$(BUILD)/unit_tests: $(UNIT_OBJS) $(LIB_OBJS) $(filter-out %/main.o,$(CLI_OBJS)) $(BUILD)/obj/bpf_embed.o
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ -lcunit $(DYN_LIBS)

$(BUILD)/e2e/%: tests/e2e/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

$(BUILD)/bench/%: bench/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $<

# the formatters' cost alone: links output/ and the libraries it uses
$(BUILD)/bench/fmtcost: bench/fmtcost.c $(LIB_OBJS) $(BUILD)/obj/bpf_embed.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(DYN_LIBS)

# a return-0 program on skb:kfree_skb: the floor the program's cost is measured against
$(BUILD)/bench/emptyprog: bench/emptyprog.c $(LIB_OBJS) $(BUILD)/obj/bpf_embed.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(DYN_LIBS)

# the owner lookup's /proc scan with N sockets open
$(BUILD)/bench/ownerscan: bench/ownerscan.c $(LIB_OBJS) $(BUILD)/obj/bpf_embed.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SANFLAGS) -o $@ $^ $(DYN_LIBS)

bench: deps
	$(MAKE) all $(BENCH_TOOLS)
	bench/run.sh $(BUILD)

deps:
	@scripts/install-deps.sh

# the binary and its man page (contrib/ has a systemd unit and a DaemonSet)
install: $(BUILD)/skbdrop
	install -D -m 755 $(BUILD)/skbdrop $(DESTDIR)$(PREFIX)/sbin/skbdrop
	install -D -m 644 doc/skbdrop.8 $(DESTDIR)$(PREFIX)/share/man/man8/skbdrop.8

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/sbin/skbdrop $(DESTDIR)$(PREFIX)/share/man/man8/skbdrop.8

unit: $(BUILD)/unit_tests
	$(BUILD)/unit_tests

# an arm64 binary made earlier is brought up to date first: e2e compares it with the host's
e2e: $(BUILD)/skbdrop $(E2E_HELPERS) $(BENCH_TOOLS)
	$(if $(wildcard $(BUILD)/arm64/skbdrop),$(MAKE) arm64)
	tests/e2e/run.sh $(BUILD)

# in CI the aarch64 binary too (cross toolchain and :arm64 libraries installed on the way): e2e runs it under qemu
check: deps
	$(MAKE) all
	if [ "$$CI" = true ]; then $(MAKE) arm64; fi
	$(MAKE) unit
	$(MAKE) unit SANITIZE=address,undefined
	$(MAKE) fuzz-smoke
	$(MAKE) e2e
	if [ "$$CI" = true ]; then $(MAKE) kmatrix; fi

# amd64 and arm64 kernels unless KMATRIX_ARCHES says otherwise (tests/kmatrix/run.sh); arm64's binary is
# make ARCH=arm64's $(BUILD)/arm64/skbdrop
kmatrix: deps
	$(MAKE) all
	case " $${KMATRIX_ARCHES:-amd64 arm64} " in *" arm64 "*) $(MAKE) ARCH=arm64 ;; esac
	tests/kmatrix/run.sh $(BUILD)

# ---- libFuzzer targets (tests/fuzz/): clang, the library built apart with
# the fuzzer's coverage and the sanitizers, in an archive so that a target
# links only the objects it uses
FUZZ_DIR     := build/fuzz
FUZZ_SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS  := -O1 -g -std=gnu11 $(WARN) -D_GNU_SOURCE -Iinclude -Ibpf -Itests/unit -DSKBD_VERSION='"fuzz"'
FUZZ_TARGETS := $(patsubst tests/fuzz/fuzz_%.c,%,$(filter-out tests/fuzz/fuzz_util.c,$(wildcard tests/fuzz/fuzz_*.c)))
FUZZ_BINS    := $(FUZZ_TARGETS:%=$(FUZZ_DIR)/fuzz_%)
FUZZ_LIB     := $(FUZZ_DIR)/libskbdrop.a
FUZZ_HELPERS := $(FUZZ_DIR)/obj/tests/fuzz/fuzz_util.o $(FUZZ_DIR)/obj/tests/fuzz/ebpf_run.o \
		$(FUZZ_DIR)/obj/tests/unit/filter_ref.o
FUZZ_SECONDS ?= 60

$(FUZZ_DIR)/obj/%.o: %.c $(wildcard include/skbdrop/*.h bpf/*.h loader/*.h btf/*.h filter/*.h monitor/*.h names/*.h output/*.h tests/fuzz/*.h tests/unit/filter_ref.h)
	@mkdir -p $(dir $@)
	$(CLANG) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link $(FUZZ_SAN) -c $< -o $@

$(FUZZ_LIB): $(LIB_SRCS:%.c=$(FUZZ_DIR)/obj/%.o) $(BUILD)/obj/bpf_embed.o
	rm -f $@
	ar rcs $@ $^

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/tests/fuzz/fuzz_%.o $(FUZZ_HELPERS) $(FUZZ_LIB)
	$(CLANG) -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(DYN_LIBS)

fuzz-build: $(FUZZ_BINS)

fuzz: deps
	$(MAKE) fuzz-build
	tests/fuzz/run.sh $(FUZZ_DIR) $(FUZZ_SECONDS) $(FUZZ_TARGETS)

fuzz-smoke:
	$(MAKE) fuzz-build
	tests/fuzz/run.sh $(FUZZ_DIR) 2 $(FUZZ_TARGETS)

# Remake the seeds of tests/fuzz/corpus (committed: run this only to change
# them): the fixtures, the BPF object and its .BTF, a kernel-like BTF, and
# the binary seeds gen_seeds writes. Regression inputs (crash-*) stay.
$(BUILD)/fuzz-gen/gen_seeds: tests/fuzz/gen_seeds.c $(LIB_OBJS) $(BUILD)/obj/bpf_embed.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $^ $(DYN_LIBS)

fuzz-seeds: $(BUILD)/fuzz-gen/gen_seeds $(BPF_OBJ)
	tests/fuzz/make-corpus.sh tests/fuzz/corpus $(BUILD)/fuzz-gen "$(CLANG) $(BPF_CFLAGS)" $(BPF_OBJ)

run: deps
	$(MAKE) all
	$(BUILD)/skbdrop $(ARGS)

size: $(BUILD)/skbdrop
	@file $<; ls -l $<

clean:
	rm -rf build
