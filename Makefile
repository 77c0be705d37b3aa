# SPDX-License-Identifier: BSD-2-Clause
#
# mipc -- the one entry point: build, test, bench, fuzz, install.
# GNU make, one file, no configure step.  Targets:
#
#   all (default)  libmipc.a and libmipc.so (SONAME libmipc.so.0)
#   deps           check dependencies; install missing Debian packages as root
#   test           every test under ASan+UBSan, the multi-threaded ones under TSan,
#                  and the examples of doc/examples/
#   bench          the benchmark table against peers (medians, ratios)
#   bench-ab       BASE=<commit>: this tree's libmipc against BASE's, in one
#                  process, interleaved (or instruction counts: AB_MODE=callgrind)
#   fuzz           each libFuzzer harness for FUZZ_SECONDS (default 60)
#   coverage       line and branch coverage of core/ from `make test`'s runs (gcov)
#   lint           clang-format, each core header alone, ordering labels and
#                  _locked asserts (.ci/lint-core.pl), arch #if, exported symbols
#   cross          compile-only build for aarch64 (aarch64-linux-gnu-gcc)
#   stress         longer torture runs (STRESS_SECONDS), never in CI
#   test-loop      rerun `test` until it fails, for rare races
#   install / uninstall / clean
#
# Build output goes to build/<compiler>/<variant>/; build/ ignores itself.

SHELL := /bin/bash
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

UNAME_M := $(shell uname -m)
ARCH ?= $(if $(filter x86_64 amd64,$(UNAME_M)),x86_64,$(if $(filter aarch64 arm64,$(UNAME_M)),aarch64,generic))

ifeq ($(origin CC),default)
CC := gcc
endif
ifeq ($(origin CXX),default)
CXX := $(if $(findstring clang,$(CC)),clang++,g++)
endif

PREFIX ?= /usr/local
LIBDIR ?= $(PREFIX)/lib
INCLUDEDIR ?= $(PREFIX)/include
PKGCONFIGDIR ?= $(LIBDIR)/pkgconfig

VERSION := 0.1.0
SOMAJOR := 0

FUZZ_SECONDS ?= 60
STRESS_SECONDS ?= 60
NPROC := $(shell nproc 2>/dev/null || echo 2)

B := build
CCNAME := $(notdir $(firstword $(CC)))
BV := $(B)/$(CCNAME)

# Public headers installed, an explicit list (as XNU's EXPORT_MI_LIST).
PUBLIC_HEADERS := $(addprefix include/mipc/,mipc.h types.h port.h message.h notify.h sync.h mach.h)

CORE_SRC := $(sort $(wildcard core/*.c))
CORE_HDR := $(wildcard core/*.h) $(wildcard include/mipc/*.h) \
	$(wildcard arch/*.h) $(wildcard arch/*/*.h)

# Dependencies, looked up when a recipe runs (after `deps` installed them).
PC = $(shell pkg-config --$(1) $(2) 2>/dev/null)
DEP_CFLAGS = $(call PC,cflags,ck jemalloc)
DEP_LIBS = $(call PC,libs,ck jemalloc) -pthread
CHECK_CFLAGS = $(call PC,cflags,check)
CHECK_LIBS = $(call PC,libs,check)
BENCH_LIBS = $(call PC,libs,benchmark) -lbenchmark_main

WARN := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
CSTD := -std=c11 -D_GNU_SOURCE
INC := -Iinclude -Icore -Iarch -Iarch/$(ARCH)

REL_CFLAGS = $(CSTD) -O2 -g -fPIC -fvisibility=hidden $(WARN) $(INC) $(DEP_CFLAGS) $(CFLAGS)
SAN_COMMON = $(CSTD) -O1 -g -fno-omit-frame-pointer $(WARN) $(INC) $(DEP_CFLAGS) \
	-DMIPC_TEST=1 -DMIPC_BACKEND_LIBC=1 $(CFLAGS)
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS := -fsanitize=thread
ASAN_CFLAGS = $(SAN_COMMON) $(ASAN_FLAGS)
TSAN_CFLAGS = $(SAN_COMMON) $(TSAN_FLAGS)

# ---------------------------------------------------------------------------
# Library

REL_OBJ := $(patsubst %.c,$(BV)/rel/%.o,$(CORE_SRC))
LIB_A := $(BV)/rel/libmipc.a
LIB_SO := $(BV)/rel/libmipc.so.$(VERSION)

.PHONY: all lib
all lib: $(LIB_A) $(LIB_SO)
	@echo "built $(LIB_A) $(LIB_SO) ($(CC), ARCH=$(ARCH))"

$(B)/.gitignore:
	@mkdir -p $(B) && echo '*' > $@

$(BV)/rel/%.o: %.c $(CORE_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(REL_CFLAGS) -c $< -o $@

$(LIB_A): $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(REL_OBJ)
	$(CC) -shared -Wl,-soname,libmipc.so.$(SOMAJOR) -Wl,-z,defs -o $@ $^ $(DEP_LIBS) $(LDFLAGS)
	ln -sf libmipc.so.$(VERSION) $(BV)/rel/libmipc.so.$(SOMAJOR)
	ln -sf libmipc.so.$(SOMAJOR) $(BV)/rel/libmipc.so

# ---------------------------------------------------------------------------
# Dependencies

# pkg-config module : Debian package
DEP_PC := ck:libck-dev jemalloc:libjemalloc-dev check:check benchmark:libbenchmark-dev
FUZZ_RT = $(shell clang -print-file-name=libclang_rt.fuzzer-$(UNAME_M).a 2>/dev/null)

.PHONY: deps deps-cross
deps:
	@missing=""; \
	command -v pkg-config >/dev/null || missing="$$missing pkg-config"; \
	command -v $(CC) >/dev/null || missing="$$missing $(if $(findstring clang,$(CC)),clang,gcc)"; \
	command -v $(CXX) >/dev/null || missing="$$missing $(if $(findstring clang,$(CXX)),clang,g++)"; \
	command -v g++ >/dev/null || missing="$$missing g++"; \
	for d in $(DEP_PC); do \
		pkg-config --exists "$${d%%:*}" 2>/dev/null || missing="$$missing $${d#*:}"; \
	done; \
	command -v clang >/dev/null || missing="$$missing clang"; \
	f=$$(clang -print-file-name=libclang_rt.fuzzer-$(UNAME_M).a 2>/dev/null); \
	[ -f "$$f" ] || missing="$$missing libclang-rt-dev"; \
	command -v clang-format >/dev/null || missing="$$missing clang-format"; \
	$(if $(DEPS_EXTRA),for p in $(DEPS_EXTRA); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done;) \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { echo "deps: apt-get install$$missing failed" >&2; exit 1; }; \
	else \
		echo "deps: missing:$$missing" >&2; \
		echo "deps: install them with: sudo apt-get install -y$$missing" >&2; \
		exit 1; \
	fi

deps-cross:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="gcc-aarch64-linux-gnu libc6-dev-arm64-cross"

# ---------------------------------------------------------------------------
# Tests: Check suites, one binary per file.
#   tests/unit, tests/conformance, tests/model: ASan+UBSan
#   tests/stress: ASan+UBSan and TSan

TEST_DIRS := unit conformance model stress
TEST_SRC := $(sort $(foreach d,$(TEST_DIRS),$(wildcard tests/$(d)/*.c)))
TEST_HDR := $(wildcard tests/*.h) $(wildcard tests/*/*.h)
MT_TEST_SRC := $(sort $(wildcard tests/stress/*.c))
# tests/model/*.c that are the model itself, not suites: model_*.c
MODEL_LIB_SRC := $(sort $(wildcard tests/model/model_*.c))
SUITE_SRC := $(filter-out $(MODEL_LIB_SRC),$(TEST_SRC))

test_bin = $(patsubst tests/%.c,$(BV)/$(1)/tests/%,$(2))
ASAN_TESTS := $(call test_bin,asan,$(SUITE_SRC))
TSAN_TESTS := $(call test_bin,tsan,$(MT_TEST_SRC))

ASAN_OBJ := $(patsubst %.c,$(BV)/asan/%.o,$(CORE_SRC))
TSAN_OBJ := $(patsubst %.c,$(BV)/tsan/%.o,$(CORE_SRC))
ASAN_MODEL_OBJ := $(patsubst %.c,$(BV)/asan/%.o,$(MODEL_LIB_SRC))

$(BV)/asan/%.o: %.c $(CORE_HDR) $(TEST_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests $(CHECK_CFLAGS) -c $< -o $@

$(BV)/tsan/%.o: %.c $(CORE_HDR) $(TEST_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(TSAN_CFLAGS) -Itests $(CHECK_CFLAGS) -c $< -o $@

$(BV)/asan/libmipc_test.a: $(ASAN_OBJ) $(ASAN_MODEL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BV)/tsan/libmipc_test.a: $(TSAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BV)/asan/tests/%: $(BV)/asan/tests/%.o $(BV)/asan/libmipc_test.a
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(call PC,libs,ck) -pthread -lm

$(BV)/tsan/tests/%: $(BV)/tsan/tests/%.o $(BV)/tsan/libmipc_test.a
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(call PC,libs,ck) -pthread -lm

.PRECIOUS: $(BV)/asan/tests/%.o $(BV)/tsan/tests/%.o

export CK_DEFAULT_TIMEOUT ?= 120
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# run_suites(variant, binaries): run each, keep its log, fail at the end.
define run_suites
	@mkdir -p $(BV)/$(1)/logs; fail=0; \
	for t in $(2); do \
		name=$${t#$(BV)/$(1)/tests/}; log=$(BV)/$(1)/logs/$${name//\//_}.log; \
		echo "== [$(1)] $$name"; \
		if ! env $(SAN_ENV) $$t > $$log 2>&1; then \
			fail=1; echo "FAILED: [$(1)] $$name (log: $$log)"; tail -n 40 $$log; \
		fi; \
		grep -E '^[0-9]+%: Checks:' $$log | sed "s|^|   [$(1)] $$name: |"; \
	done; \
	echo "$$fail" > $(BV)/$(1)/logs/.status
endef

# Corpus replay: each libFuzzer harness (fuzz/fuzz_*.c) linked with gcc,
# ASan+UBSan and fuzz/replay.c's main() instead of libFuzzer, then fed every
# file of fuzz/corpus/<harness>/ and, as regression inputs, of
# fuzz/findings/<harness>/.  A harness aborts on any finding.
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(patsubst fuzz/%.c,$(BV)/asan/fuzz/%,$(FUZZ_SRC))

$(BV)/asan/fuzz/%: fuzz/%.c fuzz/replay.c $(wildcard fuzz/*.h) $(BV)/asan/libmipc_test.a $(TEST_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(ASAN_CFLAGS) -Itests -o $@ fuzz/$*.c fuzz/replay.c \
		$(BV)/asan/libmipc_test.a $(call PC,libs,ck) -pthread -lm

# Examples (doc/examples/*.c): public headers only, linked with the
# ASan+UBSan library and run; each checks what it prints and exits nonzero
# when something is wrong.
EXAMPLE_SRC := $(sort $(wildcard doc/examples/*.c))
EXAMPLES := $(patsubst doc/examples/%.c,$(BV)/asan/examples/%,$(EXAMPLE_SRC))

$(BV)/asan/examples/%: doc/examples/%.c $(BV)/asan/libmipc_test.a | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O1 -g $(WARN) -Iinclude $(ASAN_FLAGS) -o $@ $< \
		$(BV)/asan/libmipc_test.a $(call PC,libs,ck) -pthread -lm

.PHONY: test test-build test-asan test-tsan test-replay test-summary test-headers test-examples
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) test-build
	@$(MAKE) --no-print-directory test-headers test-asan test-tsan test-replay test-examples test-summary

# Each public header compiles on its own, as C11 and as C++11 (urcu's
# test_build): nothing it needs is left to the includer.
test-headers:
	@pass=0; fail=0; for h in $(PUBLIC_HEADERS); do \
		for lang in c c++; do \
			if [ $$lang = c ]; then cc="$(CC) -std=c11"; else cc="$(CXX) -std=c++11"; fi; \
			if echo "#include <mipc/$$(basename $$h)>" | $$cc -x $$lang -fsyntax-only \
				-Wall -Wextra -Werror -pedantic -Iinclude - ; then pass=$$((pass+1)); \
			else fail=$$((fail+1)); echo "header $$h does not compile alone as $$lang"; fi; \
		done; \
	done; echo "== headers: $$pass passed, $$fail failed"; [ $$fail = 0 ]

test-build: $(ASAN_TESTS) $(TSAN_TESTS) $(FUZZ_REPLAY) $(EXAMPLES)

test-examples: $(EXAMPLES)
	@mkdir -p $(BV)/asan/examples/logs; fail=0; \
	for e in $(EXAMPLES); do \
		log=$(BV)/asan/examples/logs/$$(basename $$e).log; \
		echo "== example $$(basename $$e)"; \
		if ! env $(SAN_ENV) timeout 300 $$e > $$log 2>&1; then \
			fail=1; echo "FAILED: example $$(basename $$e) (log: $$log)"; tail -n 40 $$log; \
		fi; \
	done; \
	echo "$$fail" > $(BV)/asan/examples/logs/.status

test-replay: $(FUZZ_REPLAY)
	@mkdir -p $(BV)/asan/replay; fail=0; \
	for f in $(FUZZ_REPLAY); do \
		h=$$(basename $$f); log=$(BV)/asan/replay/$$h.log; \
		[ -d fuzz/corpus/$$h ] || { echo "== replay $$h: no fuzz/corpus/$$h"; continue; }; \
		dirs="fuzz/corpus/$$h"; [ -d fuzz/findings/$$h ] && dirs="$$dirs fuzz/findings/$$h"; \
		echo "== replay $$h: $$(find $$dirs -type f | wc -l) inputs ($$dirs)"; \
		if ! env $(SAN_ENV) $$f $$dirs > $$log 2>&1; then \
			fail=1; echo "FAILED: replay $$h (log: $$log)"; tail -n 40 $$log; \
		fi; \
	done; \
	echo "$$fail" > $(BV)/asan/replay/.status

test-asan: $(ASAN_TESTS)
	$(call run_suites,asan,$(ASAN_TESTS))

test-tsan: $(TSAN_TESTS)
	$(call run_suites,tsan,$(TSAN_TESTS))

test-summary: test-headers test-asan test-tsan test-replay test-examples
	@echo; echo "== Summary (Check, per suite)"; \
	for v in asan tsan; do \
		for l in $(BV)/$$v/logs/*.log; do \
			[ -f "$$l" ] || continue; \
			s=$$(grep -E '^[0-9]+%: Checks:' "$$l" | tail -n 1); \
			printf '  %-5s %-40s %s\n' "$$v" "$$(basename $$l .log)" "$${s:-NO SUMMARY (crashed?)}"; \
		done; \
	done; \
	for l in $(BV)/asan/replay/*.log; do \
		[ -f "$$l" ] || continue; \
		printf '  %-5s %-40s %s\n' replay "$$(basename $$l .log)" "$$(tail -n 1 $$l)"; \
	done; \
	for l in $(BV)/asan/examples/logs/*.log; do \
		[ -f "$$l" ] || continue; \
		printf '  %-5s %-40s %s\n' example "$$(basename $$l .log)" "$$(tail -n 1 $$l)"; \
	done; \
	st=$$(cat $(BV)/asan/logs/.status $(BV)/tsan/logs/.status $(BV)/asan/replay/.status \
		$(BV)/asan/examples/logs/.status 2>/dev/null | sort -u | tail -n 1); \
	if [ "$$st" != 0 ]; then echo "make test: FAILED"; exit 1; fi; \
	echo "make test: all suites passed"

.PHONY: test-loop
test-loop:
	@n=0; while $(MAKE) --no-print-directory test; do n=$$((n+1)); echo "== test-loop: pass $$n"; done

.PHONY: stress
stress: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(TSAN_TESTS)
	@MIPC_STRESS_SECONDS=$(STRESS_SECONDS) $(MAKE) --no-print-directory test-tsan

# ---------------------------------------------------------------------------
# Benchmarks: C benchmarks over a thin C++ shim around Google Benchmark,
# mipc beside its peers (pipes, sockets, eventfd, futex, ck_ring, ZeroMQ,
# nng) in one process, every case's repetitions interleaved at random.
# The terminal gets one summary table (bench/rows.c); the rest goes to
# $(BENCH_OUT): latest.log (Google Benchmark's lines; BENCH_VERBOSE=1 also
# prints them), latest.json (the table's rows, ratios and ranges),
# latest.raw.json (Google Benchmark's JSON), latest.svg/.png (drawn with
# bench/plot.gp when gnuplot is installed).  Run outputs are not committed (bench/results/.gitignore).
# After the table, bench/inversion.c (issue 13's priority inversion, about
# 4 x BENCH_INVERSION_SECONDS, 0 skips it) prints its block and adds it to
# latest.log and latest.json.
# The peers' packages are the bench's alone: deps-bench, not deps.

# bench/ab.c is bench-ab's driver (below), a program of its own.
BENCH_SRC := $(filter-out bench/ab.c,$(sort $(wildcard bench/*.c)))
BENCH_OBJ := $(patsubst %.c,$(BV)/bench/%.o,$(BENCH_SRC)) $(BV)/bench/bench/gbench.o
BENCH_BIN := $(BV)/bench/mipc_bench
BENCH_REPS ?= 5
BENCH_FILTER ?= .
BENCH_MIN_TIME ?= 0.2
BENCH_VERBOSE ?= 0
BENCH_INVERSION_SECONDS ?= 2
# BENCH_ISOLATE=1 (root): run the benchmark binaries in a session of their
# own whose autogroup has nice -20, so that other sessions' load on a
# shared machine (each has its own autogroup, weighted alike) barely
# reaches their CPUs.  It takes those CPUs from the others meanwhile, and
# Ctrl-C no longer reaches the run (no controlling terminal).
BENCH_ISOLATE ?= 0
BENCH_RUN = $(if $(filter 1,$(BENCH_ISOLATE)),setsid --wait sh -c \
	'echo -20 > /proc/self/autogroup && exec "$$0" "$$@"')
BENCH_OUT ?= bench/results
BENCH_DEPS := libzmq3-dev libnng-dev gnuplot-nox
BENCH_PEER_LIBS = $(call PC,libs,libzmq) -lnng
# rpc_epoll/mipc is built once a public header declares mipc_port_get_fd.
BENCH_PORT_FD_RE := mipc_port_get_fd[[:space:]]*[(]
BENCH_DEFS := $(if $(shell grep -Eqs '$(BENCH_PORT_FD_RE)' include/mipc/*.h \
	&& echo y),-DMIPC_HAVE_PORT_FD=1)

$(BV)/bench/%.o: %.c bench/gbench.h $(CORE_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O2 -g $(WARN) $(INC) -Ibench $(DEP_CFLAGS) $(BENCH_DEFS) -c $< -o $@

$(BV)/bench/bench/gbench.o: bench/gbench.cc bench/gbench.h | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Werror -Ibench $(call PC,cflags,benchmark) -c $< -o $@

$(BENCH_BIN): $(BENCH_OBJ) $(LIB_A)
	$(CXX) -o $@ $^ $(call PC,libs,benchmark) $(BENCH_PEER_LIBS) $(DEP_LIBS) -lrt

.PHONY: bench bench-build deps-bench
deps-bench:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="$(BENCH_DEPS)"

bench: deps-bench
	@$(MAKE) --no-print-directory -q bench-build || \
		$(MAKE) --no-print-directory -j$(NPROC) bench-build
	@mkdir -p $(BENCH_OUT)
	@$(BENCH_RUN) $(BENCH_BIN) --benchmark_repetitions=$(BENCH_REPS) \
		--benchmark_enable_random_interleaving=true \
		--benchmark_min_time=$(BENCH_MIN_TIME) \
		--benchmark_filter='$(BENCH_FILTER)' \
		--benchmark_out=$(BENCH_OUT)/latest.raw.json --benchmark_out_format=json \
		--mipc_log=$(BENCH_OUT)/latest.log --mipc_summary=$(BENCH_OUT)/latest.json \
		--mipc_plot=$(BENCH_OUT)/latest.dat --mipc_gnuplot=bench/plot.gp \
		--mipc_inversion_seconds=$(BENCH_INVERSION_SECONDS) \
		$(if $(filter 1,$(BENCH_VERBOSE)),--mipc_verbose)

bench-build: $(BENCH_BIN)

# A/B: is this tree slower than BASE?  `make bench-ab BASE=<commit or tag>`
# builds BASE's release libmipc.so in a temporary git worktree under
# build/ab/ (removed after; the library is kept as
# build/ab/lib-<commit>-<cc>.so for the next run), copies this tree's
# beside it, and runs bench/ab.c's driver, which dlopens both into one
# process and interleaves chunks of each case between them, reversing the
# order each round (PERF.md 1).  CASES=comma,list (send_recv_64 rpc_spin
# rpc_block port_alloc_destroy stream_1to1; default all); AB_ROUNDS,
# AB_CHUNK_MS; AB_LIMIT is the gate on the paired ratio B/A (1.03: "no
# more than 3% slower"); BENCH_ISOLATE=1 as for bench (the A/A noise,
# BASE=HEAD, is then about +-4% here).  AB_MODE=callgrind counts
# instructions per operation instead, under valgrind (deterministic).
# Results:
# $(AB_DIR)/latest.json (timing), $(AB_DIR)/callgrind.out (counts).
# The driver links jemalloc itself: a dlopen'ed libjemalloc could not get
# its initial-exec TLS ("cannot allocate memory in static TLS block").
AB_DIR := $(B)/ab
AB_BIN := $(BV)/ab/mipc_ab
AB_ROUNDS ?= 21
AB_CHUNK_MS ?= 50
AB_LIMIT ?= 1.03
AB_MODE ?= time
CASES ?= all

$(AB_BIN): bench/ab.c bench/team.c bench/team.h $(wildcard include/mipc/*.h) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O2 -g -fno-ipa-icf $(WARN) -Iinclude -Ibench $(call PC,cflags,ck) \
		-o $@ bench/ab.c bench/team.c -Wl,--no-as-needed $(DEP_LIBS) -Wl,--as-needed -ldl

.PHONY: bench-ab
bench-ab: $(AB_BIN) $(LIB_SO)
	@test -n '$(BASE)' || { echo "bench-ab: name the baseline: make bench-ab BASE=<commit or tag>" >&2; exit 2; }
	@sha=$$(git rev-parse --verify --quiet '$(BASE)^{commit}') || \
		{ echo "bench-ab: $(BASE) is not a commit" >&2; exit 2; }; \
	a=$(AB_DIR)/lib-$$sha-$(CCNAME).so; b=$(AB_DIR)/lib-work-$(CCNAME).so; \
	if [ ! -f $$a ]; then \
		wt=$(AB_DIR)/src-$$sha; \
		rm -rf $$wt; git worktree prune; \
		echo "bench-ab: building $(BASE) ($${sha:0:12}) in $$wt"; \
		git worktree add --detach --quiet $$wt $$sha || exit 1; \
		trap 'git worktree remove --force '$$wt EXIT; \
		$(MAKE) --no-print-directory -C $$wt -j$(NPROC) CC='$(CC)' all > $(AB_DIR)/build-$$sha.log 2>&1 || \
			{ echo "bench-ab: building $(BASE) failed: $(AB_DIR)/build-$$sha.log" >&2; exit 1; }; \
		so=$$(ls $$wt/$(BV)/rel/libmipc.so.*.*.* | head -n 1); \
		cp $$so $$a.tmp && mv $$a.tmp $$a; \
	fi; \
	cp $(LIB_SO) $$b; \
	alabel="$(BASE) ($$(git log -1 --format='%h %<(50,trunc)%s' $$sha | sed 's/ *$$//'))"; \
	blabel="this tree ($$(git log -1 --format=%h HEAD)$$(git diff --quiet HEAD -- core include arch || echo ', with uncommitted changes'))"; \
	set -- --a=$$a --b=$$b "--a-label=$$alabel" "--b-label=$$blabel" --cases='$(CASES)'; \
	if [ '$(AB_MODE)' = callgrind ]; then \
		command -v valgrind >/dev/null || $(MAKE) --no-print-directory deps DEPS_EXTRA=valgrind || exit 1; \
		echo "bench-ab: counting under valgrind (a minute or two)"; \
		valgrind --tool=callgrind --callgrind-out-file=$(AB_DIR)/callgrind.out \
			--collect-atstart=no --toggle-collect='counted_*' \
			$(AB_BIN) "$$@" --callgrind > $(AB_DIR)/callgrind.log 2>&1 || \
			{ echo "bench-ab: the callgrind run failed: $(AB_DIR)/callgrind.log" >&2; exit 1; }; \
		$(AB_BIN) "$$@" --callgrind-report=$(AB_DIR)/callgrind.out; \
	else \
		$(BENCH_RUN) $(AB_BIN) "$$@" --rounds=$(AB_ROUNDS) --chunk-ms=$(AB_CHUNK_MS) \
			--limit=$(AB_LIMIT) --json=$(AB_DIR)/latest.json; \
	fi

# ---------------------------------------------------------------------------
# Coverage (gcov): the ASan suites and the corpus replayers rebuilt with
# --coverage and no sanitizer, run as `make test` runs them (each Check
# test in a forked child, which flushes its counters at exit; gcov merges
# them), then gcov over core/.

COV_CFLAGS = $(CSTD) -O0 -g $(WARN) $(INC) $(DEP_CFLAGS) -DMIPC_TEST=1 \
	-DMIPC_BACKEND_LIBC=1 --coverage $(CFLAGS)
COV_OBJ := $(patsubst %.c,$(BV)/cov/%.o,$(CORE_SRC))
COV_MODEL_OBJ := $(patsubst %.c,$(BV)/cov/%.o,$(MODEL_LIB_SRC))
COV_TESTS := $(call test_bin,cov,$(SUITE_SRC))

$(BV)/cov/%.o: %.c $(CORE_HDR) $(TEST_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(COV_CFLAGS) -Itests $(CHECK_CFLAGS) -c $< -o $@

$(BV)/cov/libmipc_test.a: $(COV_OBJ) $(COV_MODEL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BV)/cov/tests/%: $(BV)/cov/tests/%.o $(BV)/cov/libmipc_test.a
	$(CC) --coverage -o $@ $^ $(CHECK_LIBS) $(call PC,libs,ck) -pthread -lm

.PRECIOUS: $(BV)/cov/tests/%.o

COV_REPLAY := $(patsubst fuzz/%.c,$(BV)/cov/fuzz/%,$(FUZZ_SRC))

$(BV)/cov/fuzz/%: fuzz/%.c fuzz/replay.c $(wildcard fuzz/*.h) $(BV)/cov/libmipc_test.a $(TEST_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(COV_CFLAGS) -Itests -o $@ fuzz/$*.c fuzz/replay.c \
		$(BV)/cov/libmipc_test.a $(call PC,libs,ck) -pthread -lm

.PHONY: coverage coverage-build
coverage-build: $(COV_TESTS) $(COV_REPLAY)

coverage: deps
	@$(MAKE) --no-print-directory -j$(NPROC) coverage-build
	@find $(BV)/cov -name '*.gcda' -delete
	@for t in $(COV_TESTS); do \
		CK_VERBOSITY=silent $$t >/dev/null 2>&1 || echo "coverage: $$t failed"; \
	done
	@for f in $(COV_REPLAY); do h=$$(basename $$f); \
		[ -d fuzz/corpus/$$h ] && { $$f fuzz/corpus/$$h >/dev/null 2>&1 || echo "coverage: replay $$h failed"; }; \
	done; true
	@cd $(BV)/cov/core && gcov -b -n -o . $(addprefix $(CURDIR)/,$(CORE_SRC)) 2>/dev/null | awk ' \
		function pct(s) { sub(/.*:/, "", s); sub(/%/, "", s); return s + 0 } \
		/^File / { f = ($$2 ~ /core\/[a-z_]+\.c/) ? $$2 : ""; gsub(/\047/, "", f); sub(/.*\/core\//, "core/", f) } \
		/^Lines executed:/ && f != "" { lp = pct($$2); L += lp * $$4 / 100; LN += $$4 } \
		/^Taken at least once:/ && f != "" { bp = pct($$4); B += bp * $$6 / 100; BN += $$6; \
			printf "  %-18s lines %6.1f%%   branches %6.1f%%\n", f, lp, bp; f = "" } \
		END { if (LN) printf "  %-18s lines %6.1f%%   branches %6.1f%%\n", "core/ total", 100 * L / LN, 100 * B / BN }'

# ---------------------------------------------------------------------------
# Fuzzing (libFuzzer, clang, ASan+UBSan)

FUZZ_BIN := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_CFLAGS = $(CSTD) -O1 -g -fno-omit-frame-pointer $(WARN) $(INC) -Itests \
	$(call PC,cflags,ck) -DMIPC_TEST=1 -DMIPC_BACKEND_LIBC=1 \
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all

$(B)/fuzz/%: fuzz/%.c $(wildcard fuzz/*.h) $(CORE_SRC) $(MODEL_LIB_SRC) $(CORE_HDR) $(TEST_HDR) | $(B)/.gitignore
	@mkdir -p $(dir $@)
	clang $(FUZZ_CFLAGS) -o $@ $< $(CORE_SRC) $(MODEL_LIB_SRC) $(call PC,libs,ck) -pthread

.PHONY: fuzz
fuzz: deps
	@$(MAKE) --no-print-directory -j$(NPROC) $(FUZZ_BIN)
	@set -e; for f in $(FUZZ_BIN); do \
		h=$$(basename $$f); mkdir -p fuzz/corpus/$$h $(B)/fuzz/new/$$h; \
		echo "== fuzz $$h for $(FUZZ_SECONDS)s"; \
		dict=""; [ -f fuzz/$$h.dict ] && dict="-dict=fuzz/$$h.dict"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -timeout=60 -print_final_stats=1 $$dict \
			-artifact_prefix=$(B)/fuzz/ $(B)/fuzz/new/$$h fuzz/corpus/$$h; \
	done

# ---------------------------------------------------------------------------
# Lint

LINT_SRC = $(shell git ls-files 'core/*.[ch]' 'arch/*.[ch]' 'include/*.h' 'bench/*.[ch]' \
	'bench/*.cc' 'fuzz/*.[ch]' 'tests/*.[ch]' 2>/dev/null)
EXPORT_OK = '^(mipc_|mach_)'

.PHONY: lint
lint: $(LIB_SO)
	@echo "== clang-format"; clang-format --style=file --dry-run --Werror $(LINT_SRC)
	@echo "== each core header compiles alone"
	@for h in core/*.h; do \
		echo "#include \"$$(basename $$h)\"" | $(CC) $(CSTD) -x c -fsyntax-only $(WARN) \
			$(INC) $(DEP_CFLAGS) - || { echo "lint: $$h is not self-contained"; exit 1; }; \
	done
	@echo "== core contracts: ordering labels and partners, _locked asserts (.ci/lint-core.pl)"
	@perl .ci/lint-core.pl --self-test && perl .ci/lint-core.pl core/*.c core/*.h
	@echo "== no architecture #if outside arch/"
	@bad=$$(grep -nE '^\s*#\s*(if|ifdef|ifndef|elif).*(__x86_64__|__aarch64__|__i386__|__arm__|_M_X64)' \
		$$(git ls-files 'core/*' 'include/*' 'bench/*' 'fuzz/*' 'tests/*') || true); \
	if [ -n "$$bad" ]; then echo "$$bad"; exit 1; fi
	@echo "== exported symbols"
	@allowed=$$(sed -n 's/^[^#]*[[:space:]*]\([a-z_][a-z0-9_]*\)(.*/\1/p' include/mipc/mach.h 2>/dev/null | sort -u); \
	bad=$$(nm -D --defined-only $(LIB_SO) | awk '{print $$3}' | grep -vE $(EXPORT_OK) | \
		grep -vxF -f <(printf '%s\n' $$allowed _init _fini) || true); \
	if [ -n "$$bad" ]; then echo "exported but not API:"; echo "$$bad"; exit 1; fi; \
	echo "   $$(nm -D --defined-only $(LIB_SO) | wc -l) exported symbols, all API"

# ---------------------------------------------------------------------------
# Cross build: compile-only for aarch64, so ARM64 code cannot rot.

CROSS_CC ?= aarch64-linux-gnu-gcc
CROSS_SYSINC := $(B)/cross/sysinc

.PHONY: cross
cross: deps-cross | $(B)/.gitignore
	@mkdir -p $(CROSS_SYSINC)/jemalloc
	@# CK and jemalloc headers are architecture-neutral apart from their
	@# configuration; expose just them to the cross compiler.
	@ln -sf /usr/include/ck_*.h $(CROSS_SYSINC)/ && ln -sfn /usr/include/gcc $(CROSS_SYSINC)/gcc
	@ln -sf /usr/include/jemalloc/jemalloc.h $(CROSS_SYSINC)/jemalloc/
	@set -e; for f in $(CORE_SRC); do \
		echo "  CROSS $$f"; \
		$(CROSS_CC) $(CSTD) -O2 -fPIC $(WARN) -Iinclude -Icore -Iarch -Iarch/aarch64 \
			-isystem $(CROSS_SYSINC) -c $$f -o $(B)/cross/$$(basename $$f .c).o; \
	done
	@echo "cross: core/ compiles for aarch64 with $(CROSS_CC)"

# ---------------------------------------------------------------------------
# Install

.PHONY: install uninstall clean
install: $(LIB_A) $(LIB_SO)
	install -d $(DESTDIR)$(INCLUDEDIR)/mipc $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/mipc/
	install -m 644 $(LIB_A) $(DESTDIR)$(LIBDIR)/libmipc.a
	install -m 755 $(LIB_SO) $(DESTDIR)$(LIBDIR)/libmipc.so.$(VERSION)
	ln -sf libmipc.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libmipc.so.$(SOMAJOR)
	ln -sf libmipc.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libmipc.so
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(LIBDIR)' 'includedir=$(INCLUDEDIR)' '' \
		'Name: mipc' 'Description: Mach port IPC in user space' 'Version: $(VERSION)' \
		'Requires.private: ck jemalloc' 'Libs: -L$${libdir} -lmipc' \
		'Libs.private: -pthread' 'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(PKGCONFIGDIR)/mipc.pc

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/mipc/,$(notdir $(PUBLIC_HEADERS)))
	-rmdir $(DESTDIR)$(INCLUDEDIR)/mipc 2>/dev/null
	rm -f $(DESTDIR)$(LIBDIR)/libmipc.a $(DESTDIR)$(LIBDIR)/libmipc.so \
		$(DESTDIR)$(LIBDIR)/libmipc.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libmipc.so.$(VERSION) \
		$(DESTDIR)$(PKGCONFIGDIR)/mipc.pc

clean:
	rm -rf $(B)
