# SPDX-License-Identifier: BSD-2-Clause
#
# mipc -- the one entry point: build, test, bench, fuzz, install.
# GNU make, one file, no configure step.  Targets:
#
#   all (default)  libmipc.a and libmipc.so (SONAME libmipc.so.0)
#   deps           check dependencies; install missing Debian packages as root
#   test           every test under ASan+UBSan, the multi-threaded ones under
#                  TSan, fuzz corpus replay, the examples of doc/examples/,
#                  and the four below:
#     test-release   conformance and model suites against the shipped libmipc.a
#     test-pcpu      both per-CPU paths: rseq off (glibc tunable), ARCH=generic
#     test-install   a staged install: pkg-config, -static, SANITIZE= libraries,
#                    the Mach overlay (mipc-mach.pc) and its programs
#     test-headers   each public and overlay header alone, as C11 and C++11
#     doc-check      the manual pages of doc/man/: groff -ww clean, every
#                    exported symbol named by one, synopses compile
#   test-aarch64   unit, conformance, model, stress suites built for aarch64
#                  and run under qemu-user (deps-aarch64 installs the toolchain)
#   cross          the aarch64 release library, compile only
#   bench          the benchmark table against peers (medians, ratios)
#   bench-ab       BASE=<commit>: this tree's libmipc against BASE's, in one
#                  process, interleaved (or instruction counts: AB_MODE=callgrind)
#   fuzz           each libFuzzer harness for FUZZ_SECONDS (default 60)
#   coverage       line and branch coverage of core/ from `make test`'s runs (gcov)
#   lint           clang-format, each core header alone, ordering labels and
#                  _locked asserts (.ci/lint-core.pl), arch #if, exported symbols,
#                  no reference outside the repository, doc-check
#   analyze        clang static analyzer over core/ (a CI step)
#   stress         longer torture runs (STRESS_SECONDS), never in CI
#   test-loop      rerun `test` until it fails, for rare races
#   install / uninstall / clean   (install SANITIZE=thread|address: see there)
#
# Build output goes to build/<compiler>[-<ARCH>]/<variant>/ (the -<ARCH>
# suffix only when ARCH= names another than the machine's) and
# build/aarch64/; build/ ignores itself.  Every object is compiled with
# -MMD -MP, so it depends on exactly the headers it includes (the .d files
# are included at the end of this file).

SHELL := /bin/bash
.DEFAULT_GOAL := all
.SUFFIXES:
.DELETE_ON_ERROR:

UNAME_M := $(shell uname -m)
NATIVE_ARCH := $(if $(filter x86_64 amd64,$(UNAME_M)),x86_64,$(if $(filter aarch64 arm64,$(UNAME_M)),aarch64,generic))
ARCH ?= $(NATIVE_ARCH)

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
MANDIR ?= $(PREFIX)/share/man

VERSION := 0.1.0
SOMAJOR := 0

FUZZ_SECONDS ?= 60
STRESS_SECONDS ?= 60
NPROC := $(shell nproc 2>/dev/null || echo 2)

B := build
CCNAME := $(notdir $(firstword $(CC)))
BV := $(B)/$(CCNAME)$(if $(filter-out $(NATIVE_ARCH),$(ARCH)),-$(ARCH))

# Public headers installed, an explicit list (as XNU's EXPORT_MI_LIST).
PUBLIC_HEADERS := $(addprefix include/mipc/,mipc.h types.h port.h message.h notify.h sync.h mach.h)
# The Mach overlay: <mach/mach.h>, <servers/bootstrap.h> ... each mapping
# onto the headers above, for Mach programs built unchanged (installed
# under $(INCLUDEDIR)/mipc/mach-overlay, found through mipc-mach.pc).
OVERLAY_DIRS := mach mach_debug servers
OVERLAY_HEADERS := $(sort $(foreach d,$(OVERLAY_DIRS),$(wildcard include/mach-overlay/$(d)/*.h)))

# Manual pages (troff, man(7) macros): a page per call or group of calls,
# named after one of the names its NAME line lists; mipc(7) the overview.
MAN3_PAGES := $(sort $(wildcard doc/man/man3/*.3))
MAN7_PAGES := $(sort $(wildcard doc/man/man7/*.7))
# The names a page's NAME line lists (shell, page in $$p): install makes
# each a one-line .so page, so that `man mach_msg_destroy` finds mipc_msg.3.
MAN_NAMES = awk '/^\.SH/ { n = ($$2 == "NAME"); next } n && !/^\./' $$p | \
	sed 's/\\-.*//' | tr ',' ' '

CORE_SRC := $(sort $(wildcard core/*.c))

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
DEPFLAGS := -MMD -MP

REL_CFLAGS = $(CSTD) -O2 -g -fPIC -fvisibility=hidden $(WARN) $(INC) $(DEP_CFLAGS) $(CFLAGS)
SAN_COMMON = $(CSTD) -O1 -g -fno-omit-frame-pointer $(WARN) $(INC) $(DEP_CFLAGS) \
	-DMIPC_TEST=1 -DMIPC_BACKEND_LIBC=1 $(CFLAGS)
ASAN_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all
TSAN_FLAGS := -fsanitize=thread
ASAN_CFLAGS = $(SAN_COMMON) $(ASAN_FLAGS)
TSAN_CFLAGS = $(SAN_COMMON) $(TSAN_FLAGS)

$(B)/.gitignore:
	@mkdir -p $(B) && echo '*' > $@

# obj_rules(dir, compile command): each object under dir/ from the source
# of the same path, with its .d.  An object also depends on its .d, made by
# an empty rule: an object without one (deleted, or built before this
# Makefile wrote them) is rebuilt, since nothing else would tell when its
# headers change (see the end of this file); the touch keeps the object
# newer than the .d, which clang writes after it.  Objects under
# dir/tests/ and dir/fuzz/ get their own patterns, because the rules that
# link binaries there (dir/tests/%, dir/fuzz/%) would match the objects
# too, and make prefers the pattern with the shorter stem.
define obj_rules
$(1)/%.o: %.c $(1)/%.d | $(B)/.gitignore
	@mkdir -p $$(@D)
	$(2) $$(DEPFLAGS) -c $$< -o $$@
	@touch $$@
$(1)/tests/%.o: tests/%.c $(1)/tests/%.d | $(B)/.gitignore
	@mkdir -p $$(@D)
	$(2) $$(DEPFLAGS) -c $$< -o $$@
	@touch $$@
$(1)/fuzz/%.o: fuzz/%.c $(1)/fuzz/%.d | $(B)/.gitignore
	@mkdir -p $$(@D)
	$(2) $$(DEPFLAGS) -c $$< -o $$@
	@touch $$@
$(1)/%.d: ;
.PRECIOUS: $(1)/tests/%.o $(1)/fuzz/%.o $(1)/%.d
endef

# ---------------------------------------------------------------------------
# Library

REL_OBJ := $(patsubst %.c,$(BV)/rel/%.o,$(CORE_SRC))
LIB_A := $(BV)/rel/libmipc.a
LIB_SO := $(BV)/rel/libmipc.so.$(VERSION)

.PHONY: all lib
all lib: $(LIB_A) $(LIB_SO)
	@echo "built $(LIB_A) $(LIB_SO) ($(CC), ARCH=$(ARCH))"

$(eval $(call obj_rules,$(BV)/rel,$$(CC) $$(REL_CFLAGS)))

$(LIB_A): $(REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(LIB_SO): $(REL_OBJ)
	$(CC) -shared -Wl,-soname,libmipc.so.$(SOMAJOR) -Wl,-z,defs -o $@ $^ $(DEP_LIBS) $(LDFLAGS)
	ln -sf libmipc.so.$(VERSION) $(BV)/rel/libmipc.so.$(SOMAJOR)
	ln -sf libmipc.so.$(SOMAJOR) $(BV)/rel/libmipc.so

# Instrumented libraries for users' sanitizer builds (make install
# SANITIZE=thread|address): the release build (hooks off, -fvisibility=
# hidden) at -O1 with the sanitizer, named libmipc-tsan / libmipc-asan so
# that they install beside libmipc.  They allocate with malloc
# (MIPC_BACKEND_LIBC=1), which the sanitizer intercepts; under TSan the
# library's happens-before annotations (core/base.h MIPC_TSAN) are
# compiled in, so a user's TSan build sees no false report from inside it.
SAN_thread := tsan
SAN_address := asan
SANLIB_FLAGS_tsan := -fsanitize=thread
SANLIB_FLAGS_asan := -fsanitize=address
SANLIB_CFLAGS = $(CSTD) -O1 -g -fno-omit-frame-pointer -fPIC -fvisibility=hidden \
	$(WARN) $(INC) $(DEP_CFLAGS) -DMIPC_BACKEND_LIBC=1 $(CFLAGS)

# sanlib_rules(tsan|asan)
define sanlib_rules
$(eval $(call obj_rules,$(BV)/rel-$(1),$$(CC) $$(SANLIB_CFLAGS) $$(SANLIB_FLAGS_$(1))))
$(BV)/rel-$(1)/libmipc-$(1).a: $(patsubst %.c,$(BV)/rel-$(1)/%.o,$(CORE_SRC))
	@rm -f $$@
	ar rcs $$@ $$^
$(BV)/rel-$(1)/libmipc-$(1).so.$(VERSION): $(patsubst %.c,$(BV)/rel-$(1)/%.o,$(CORE_SRC))
	$$(CC) $$(SANLIB_FLAGS_$(1)) -shared -Wl,-soname,libmipc-$(1).so.$(SOMAJOR) \
		-o $$@ $$^ $$(DEP_LIBS) $$(LDFLAGS)
	ln -sf libmipc-$(1).so.$(VERSION) $(BV)/rel-$(1)/libmipc-$(1).so.$(SOMAJOR)
	ln -sf libmipc-$(1).so.$(SOMAJOR) $(BV)/rel-$(1)/libmipc-$(1).so
endef
$(eval $(call sanlib_rules,tsan))
$(eval $(call sanlib_rules,asan))
SANLIBS := $(foreach s,tsan asan,$(BV)/rel-$(s)/libmipc-$(s).a $(BV)/rel-$(s)/libmipc-$(s).so.$(VERSION))

# ---------------------------------------------------------------------------
# Dependencies

# pkg-config module : Debian package
DEP_PC := ck:libck-dev jemalloc:libjemalloc-dev check:check benchmark:libbenchmark-dev
FUZZ_RT = $(shell clang -print-file-name=libclang_rt.fuzzer-$(UNAME_M).a 2>/dev/null)
# Waits for another apt or dpkg on the machine instead of failing.
APT_GET := apt-get -o DPkg::Lock::Timeout=600

.PHONY: deps deps-aarch64 deps-cross
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
	command -v groff >/dev/null || missing="$$missing groff-base"; \
	$(if $(DEPS_EXTRA),for p in $(DEPS_EXTRA); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done;) \
	missing=$$(echo $$missing | tr ' ' '\n' | sort -u | tr '\n' ' '); \
	if [ -z "$${missing// /}" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "deps: installing$$missing"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { echo "deps: apt-get install$$missing failed" >&2; exit 1; }; \
	else \
		echo "deps: missing:$$missing" >&2; \
		echo "deps: install them with: sudo apt-get install -y$$missing" >&2; \
		exit 1; \
	fi

# The aarch64 toolchain, run-time and libraries (Debian multiarch):
#  * installed: the cross compiler and its libc (libc6-dev-arm64-cross),
#    qemu-user, and the arm64 packages that install beside their amd64
#    twins (Multi-Arch: same): libc6:arm64 (the run-time loader and libc
#    the binaries run with), libstdc++6:arm64 (libjemalloc.so.2 needs it)
#    and check:arm64;
#  * unpacked into $(A64_SYSROOT), not installed: libck0, libck-dev,
#    libjemalloc2 and libjemalloc-dev for arm64, which Debian 12 does not
#    mark Multi-Arch: same, so that installing them would remove the amd64
#    ones every other target builds with.
# `dpkg --add-architecture arm64` first (root); idempotent.
A64_APT := gcc-aarch64-linux-gnu libc6-dev-arm64-cross qemu-user libc6:arm64 libstdc++6:arm64 \
	check:arm64
A64_DEBS := libck0 libck-dev libjemalloc2 libjemalloc-dev

deps-aarch64: | $(B)/.gitignore
	@missing=""; \
	for p in $(A64_APT); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
			echo "deps-aarch64: missing:$$missing" >&2; \
			echo "deps-aarch64: as root: dpkg --add-architecture arm64 && apt-get update && apt-get install$$missing" >&2; \
			exit 1; \
		fi; \
		export DEBIAN_FRONTEND=noninteractive; \
		dpkg --print-foreign-architectures | grep -qx arm64 || dpkg --add-architecture arm64; \
		echo "deps-aarch64: installing$$missing"; \
		$(APT_GET) update -qq && $(APT_GET) install -y -qq --no-install-recommends $$missing >/dev/null \
			|| { echo "deps-aarch64: apt-get install$$missing failed" >&2; exit 1; }; \
	fi; \
	[ -f $(A64_SYSROOT)/.complete ] && exit 0; \
	rm -rf $(A64)/debs $(A64_SYSROOT); mkdir -p $(A64)/debs $(A64_SYSROOT); \
	get() { (cd $(A64)/debs && $(APT_GET) download -q -o APT::Sandbox::User=root \
		$(addsuffix :arm64,$(A64_DEBS)) >/dev/null); }; \
	if ! get; then \
		[ "$$(id -u)" = 0 ] || { echo "deps-aarch64: apt-get download failed" >&2; exit 1; }; \
		$(APT_GET) update -qq && get || { echo "deps-aarch64: apt-get download failed" >&2; exit 1; }; \
	fi; \
	for d in $(A64)/debs/*.deb; do dpkg-deb -x $$d $(A64_SYSROOT) || exit 1; done; \
	touch $(A64_SYSROOT)/.complete; \
	echo "deps-aarch64: arm64 ck and jemalloc unpacked into $(A64_SYSROOT)"

deps-cross: deps-aarch64

# ---------------------------------------------------------------------------
# Tests: Check suites, one binary per file.
#   tests/unit, tests/conformance, tests/model: ASan+UBSan
#   tests/stress: ASan+UBSan and TSan
# Test cases are tagged by what they need beyond the public API ("hooks",
# "pcpu", "no_pcpu"); tests/check_mipc.h says which run excludes which.

TEST_DIRS := unit conformance model stress
TEST_SRC := $(sort $(foreach d,$(TEST_DIRS),$(wildcard tests/$(d)/*.c)))
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

$(eval $(call obj_rules,$(BV)/asan,$$(CC) $$(ASAN_CFLAGS) -Itests $$(CHECK_CFLAGS)))
$(eval $(call obj_rules,$(BV)/tsan,$$(CC) $$(TSAN_CFLAGS) -Itests $$(CHECK_CFLAGS)))

$(BV)/asan/libmipc_test.a: $(ASAN_OBJ) $(ASAN_MODEL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BV)/tsan/libmipc_test.a: $(TSAN_OBJ)
	@rm -f $@
	ar rcs $@ $^

# The conformance suites about rights, references, names, sets, attributes
# and notifications run twice: as written (mipc_port_*, a space handle) and
# through the Mach spellings, mach_port_*(mach_task_self(), ...), wherever
# a call's space is the current one (tests/conformance/mach_spelling.h):
# tests/conformance/<suite>.c built with CONF_MACH_SPELLING as <suite>-mach.
MACH_SPELL_SUITES := a_allocation b_refs c_destroy d_type_names \
	e_insert_right f_extract_right g_port_sets h_attributes \
	notify_p_kinds_a notify_p_kinds_b notify_p_requests q_construct_guards \
	msg_u_seqno msg_u_peek
MACH_SPELL_TESTS := $(patsubst %,$(BV)/asan/tests/conformance/%-mach,$(MACH_SPELL_SUITES))
ASAN_TESTS += $(MACH_SPELL_TESTS)

$(BV)/asan/tests/conformance/%-mach.o: tests/conformance/%.c | $(B)/.gitignore
	@mkdir -p $(@D)
	$(CC) $(ASAN_CFLAGS) -Itests $(CHECK_CFLAGS) -DCONF_MACH_SPELLING=1 $(DEPFLAGS) -c $< -o $@

$(BV)/asan/tests/%: $(BV)/asan/tests/%.o $(BV)/asan/libmipc_test.a
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(call PC,libs,ck) -pthread -lm

$(BV)/tsan/tests/%: $(BV)/tsan/tests/%.o $(BV)/tsan/libmipc_test.a
	$(CC) $(TSAN_FLAGS) -o $@ $^ $(CHECK_LIBS) $(call PC,libs,ck) -pthread -lm

export CK_DEFAULT_TIMEOUT ?= 120
SAN_ENV := ASAN_OPTIONS=detect_leaks=1:halt_on_error=1:abort_on_error=0 \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1

# run_suites(label, build dir, log dir, binaries[, command prefix]): run
# each binary of <build dir>/tests/ (under the prefix: environment,
# emulator), keep its log, record pass/fail in <log dir>/.status.
define run_suites
	@mkdir -p $(3); rm -f $(3)/*.log; fail=0; \
	for t in $(4); do \
		name=$${t#$(2)/tests/}; log=$(3)/$${name//\//_}.log; \
		echo "== [$(1)] $$name"; \
		if ! env $(SAN_ENV) $(5) $$t > $$log 2>&1; then \
			fail=1; echo "FAILED: [$(1)] $$name (log: $$log)"; tail -n 40 $$log; \
		fi; \
		grep -E '^[0-9]+%: Checks:' $$log | sed "s|^|   [$(1)] $$name: |"; \
	done; \
	echo "$$fail" > $(3)/.status
endef

# summarize(label log-dir ...): the Check line of every log and the checks
# run per label; sets the shell variable st to 1 if any listed run failed
# or did not run.
define summarize
echo; echo "== Summary (Check, per suite)"; st=0; totals=""; \
	set -- $(1); while [ $$# -ge 2 ]; do \
		v=$$1; d=$$2; shift 2; n=0; \
		[ "$$(cat $$d/.status 2>/dev/null)" = 0 ] || st=1; \
		for l in $$d/*.log; do \
			[ -f "$$l" ] || continue; \
			s=$$(grep -E '^[0-9]+%: Checks:' "$$l" | tail -n 1); \
			printf '  %-8s %-38s %s\n' "$$v" "$$(basename $$l .log)" "$${s:-NO SUMMARY (crashed?)}"; \
			c=$$(echo "$$s" | sed -n 's/.*Checks: \([0-9]*\).*/\1/p'); n=$$((n + $${c:-0})); \
		done; \
		totals="$$totals $$v $$n;"; \
	done; \
	echo "== Checks run per label:$$totals"
endef

# Corpus replay: each libFuzzer harness (fuzz/fuzz_*.c) linked with gcc,
# ASan+UBSan and fuzz/replay.c's main() instead of libFuzzer, then fed every
# file of fuzz/corpus/<harness>/ and, as regression inputs, of
# fuzz/findings/<harness>/.  A harness aborts on any finding.
FUZZ_SRC := $(sort $(wildcard fuzz/fuzz_*.c))
FUZZ_REPLAY := $(patsubst fuzz/%.c,$(BV)/asan/fuzz/%,$(FUZZ_SRC))

$(BV)/asan/fuzz/%: $(BV)/asan/fuzz/%.o $(BV)/asan/fuzz/replay.o $(BV)/asan/libmipc_test.a
	$(CC) $(ASAN_FLAGS) -o $@ $^ $(call PC,libs,ck) -pthread -lm

# Examples (doc/examples/*.c): public headers only, linked with the
# ASan+UBSan library and run; each checks what it prints and exits nonzero
# when something is wrong.  Compiled and linked in one step, the .d beside
# the binary (an explicit target below, as the objects' are at the end).
EXAMPLE_SRC := $(sort $(wildcard doc/examples/*.c))
EXAMPLES := $(patsubst doc/examples/%.c,$(BV)/asan/examples/%,$(EXAMPLE_SRC))

$(BV)/asan/examples/%: doc/examples/%.c $(BV)/asan/examples/%.d $(BV)/asan/libmipc_test.a \
		| $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O1 -g $(WARN) -Iinclude $(ASAN_FLAGS) $(DEPFLAGS) -o $@ $< \
		$(BV)/asan/libmipc_test.a $(call PC,libs,ck) -pthread -lm
	@touch $@
$(addsuffix .d,$(EXAMPLES)): ;

# Mach programs (doc/examples/mach/*.c): written for macOS's <mach/mach.h>,
# built as on macOS but for the build line, which adds the overlay (the
# in-tree equivalent of `pkg-config --cflags mipc-mach`).  Run with the
# examples.  (This rule's stem is shorter than the one above, so make
# prefers it for examples/mach/.)
MACH_EXAMPLE_SRC := $(sort $(wildcard doc/examples/mach/*.c))
MACH_EXAMPLES := $(patsubst doc/examples/mach/%.c,$(BV)/asan/examples/mach/%,$(MACH_EXAMPLE_SRC))

$(BV)/asan/examples/mach/%: doc/examples/mach/%.c $(BV)/asan/examples/mach/%.d \
		$(BV)/asan/libmipc_test.a | $(B)/.gitignore
	@mkdir -p $(dir $@)
	$(CC) $(CSTD) -O1 -g $(WARN) -Iinclude/mach-overlay -Iinclude $(ASAN_FLAGS) $(DEPFLAGS) \
		-o $@ $< $(BV)/asan/libmipc_test.a $(call PC,libs,ck) -pthread -lm
	@touch $@
$(addsuffix .d,$(MACH_EXAMPLES)): ;
EXAMPLES += $(MACH_EXAMPLES)

.PHONY: test test-build test-asan test-tsan test-replay test-summary test-headers test-examples
test: deps
	@$(MAKE) --no-print-directory -j$(NPROC) test-build
	@$(MAKE) --no-print-directory DEFER_STATUS=1 doc-check test-headers test-asan test-tsan \
		test-replay test-examples test-release test-pcpu test-install test-summary

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
	done; \
	for h in $(OVERLAY_HEADERS); do \
		for lang in c c++; do \
			if [ $$lang = c ]; then cc="$(CC) -std=c11"; else cc="$(CXX) -std=c++11"; fi; \
			if echo "#include <$${h#include/mach-overlay/}>" | $$cc -x $$lang -fsyntax-only \
				-Wall -Wextra -Werror -pedantic -Iinclude/mach-overlay -Iinclude - ; then \
				pass=$$((pass+1)); \
			else fail=$$((fail+1)); echo "overlay header $$h does not compile alone as $$lang"; fi; \
		done; \
	done; echo "== headers: $$pass passed, $$fail failed"; [ $$fail = 0 ]

# The manual pages (.ci/doc-check says what it checks).  Also in lint.
.PHONY: doc-check
doc-check: $(LIB_SO)
	@echo "== doc-check: doc/man renders (groff -ww), names every export, synopses compile"
	@.ci/doc-check $(LIB_SO) $(CC)

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
	$(call run_suites,asan,$(BV)/asan,$(BV)/asan/logs,$(ASAN_TESTS))

test-tsan: $(TSAN_TESTS)
	$(call run_suites,tsan,$(BV)/tsan,$(BV)/tsan/logs,$(TSAN_TESTS))

# The runs `make test` makes, as label and log directory.
TEST_RUNS = asan $(BV)/asan/logs tsan $(BV)/tsan/logs release $(RELT)/logs \
	$(PCPU_RUNS)

test-summary: test-headers test-asan test-tsan test-replay test-examples test-release \
		test-pcpu test-install
	@$(call summarize,$(TEST_RUNS)); \
	for l in $(BV)/asan/replay/*.log; do \
		[ -f "$$l" ] || continue; \
		printf '  %-8s %-38s %s\n' replay "$$(basename $$l .log)" "$$(tail -n 1 $$l)"; \
	done; \
	[ "$$(cat $(BV)/asan/replay/.status 2>/dev/null)" = 0 ] || st=1; \
	for l in $(BV)/asan/examples/logs/*.log; do \
		[ -f "$$l" ] || continue; \
		printf '  %-8s %-38s %s\n' example "$$(basename $$l .log)" "$$(tail -n 1 $$l)"; \
	done; \
	[ -z "$(EXAMPLES)" ] || [ "$$(cat $(BV)/asan/examples/logs/.status 2>/dev/null)" = 0 ] || st=1; \
	printf '  %-8s %-38s %s\n' install install "$$(grep '^== install:' $(BV)/install/install.log 2>/dev/null | tail -n 1)"; \
	[ "$$(cat $(BV)/install/.status 2>/dev/null)" = 0 ] || st=1; \
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
# The shipped configuration under test (REVIEW.md 4, "what is never tested")
#
# The conformance suites and the model differential test use the public
# API.  Here they link the release libmipc.a exactly as `make all` ships it
# (-O2, jemalloc's mallocx/sdallocx, test hooks compiled out) and run with
# CK_EXCLUDE_TAGS=hooks: the cases tagged "hooks" need failure injection or
# core/ internals (tests/check_mipc.h).  The test code is compiled without
# MIPC_TEST, so any core/ header it includes agrees with the library, and
# at -O0: it is not what is under test, and -O0 builds it 4x faster.
# Before linking, a suite whose object uses a symbol that libmipc.a defines
# but libmipc.so does not export must tag a case "hooks", and the model must
# use none: the check that keeps the exclusion mechanical.

RELT := $(BV)/relt
RELT_SRC := $(sort $(wildcard tests/conformance/*.c)) \
	$(filter-out $(MODEL_LIB_SRC),$(sort $(wildcard tests/model/*.c)))
RELT_TESTS := $(patsubst tests/%.c,$(RELT)/tests/%,$(RELT_SRC))
RELT_MODEL_OBJ := $(patsubst %.c,$(RELT)/%.o,$(MODEL_LIB_SRC))
RELT_CFLAGS = $(CSTD) -O0 -g $(WARN) $(INC) -Itests $(DEP_CFLAGS) $(CHECK_CFLAGS) $(CFLAGS)

$(eval $(call obj_rules,$(RELT),$$(CC) $$(RELT_CFLAGS)))

# internal_syms(objects): the symbols they use that libmipc.a defines and
# libmipc.so does not export, one per line.
internal_syms = LC_ALL=C comm -12 <(nm -u $(1) | awk '{print $$NF}' | LC_ALL=C sort -u) \
	<(LC_ALL=C comm -23 \
		<(nm --defined-only $(LIB_A) | awk 'NF == 3 {print $$3}' | LC_ALL=C sort -u) \
		<(nm -D --defined-only $(LIB_SO) | awk '{print $$3}' | LC_ALL=C sort -u))

$(RELT)/libmodel.a: $(RELT_MODEL_OBJ) $(LIB_A) $(LIB_SO)
	@bad=$$($(call internal_syms,$(RELT_MODEL_OBJ))); \
	if [ -n "$$bad" ]; then echo "test-release: the model uses core internals:" $$bad; exit 1; fi
	@rm -f $@
	ar rcs $@ $(RELT_MODEL_OBJ)

$(RELT)/tests/%: $(RELT)/tests/%.o $(RELT)/libmodel.a $(LIB_A) $(LIB_SO)
	@bad=$$($(call internal_syms,$<)); \
	if [ -n "$$bad" ] && ! grep -q 'tcase_set_tags(.*"hooks")' tests/$*.c; then \
		echo "test-release: tests/$*.c uses core internals ("$$bad") but tags no case \"hooks\""; \
		exit 1; \
	fi
	$(CC) -o $@ $< $(RELT)/libmodel.a $(LIB_A) $(CHECK_LIBS) $(DEP_LIBS) -lm

# make test runs the parts with DEFER_STATUS=1 and fails once, in
# test-summary; alone, each run fails by itself.
check_status = $(if $(DEFER_STATUS),,@$(call summarize,$(1)); \
	if [ "$$st" != 0 ]; then echo "make $@: FAILED"; exit 1; fi)

.PHONY: test-release
test-release: $(RELT_TESTS)
	$(call run_suites,release,$(RELT),$(RELT)/logs,$(RELT_TESTS),CK_EXCLUDE_TAGS=hooks)
	$(call check_status,release $(RELT)/logs)

# ---------------------------------------------------------------------------
# Both per-CPU paths on this machine (arch/, core/cache.c):
#  * rseq: every other run (glibc registers it; tests/unit/arch.c fails if
#    it did not, on an architecture that has it);
#  * no rseq, core/cache.c's depot fallback, which valgrind, kernels before
#    4.18, GLIBC_TUNABLES=glibc.pthread.rseq=0 and qemu-user give: the unit
#    suites (ASan) and the stress suites (TSan) again, with that tunable and
#    MIPC_TEST_NO_PCPU=1, so that the "pcpu" cases give way to "no_pcpu"
#    ones, which assert that the fallback is what runs;
#  * arch/generic's per-CPU lock (ARCH=generic, built in
#    build/<cc>-generic/ by a sub-make): the unit suites (ASan) and the
#    stress suites (TSan).
# The stress suites here are PCPU_STRESS, the ones that drive the object
# caches across threads and CPUs (objects, messages, epochs,
# notifications, and arch_pcpu_threads for the lock); rights_threads
# (11 s under TSan, a third of this target) and turnstile_threads take the
# same cache paths less hard and run in test-tsan.
# Only where ARCH has rseq (x86_64, aarch64); under ARCH=generic the normal
# runs are the lock path already.

UNIT_SRC := $(sort $(wildcard tests/unit/*.c))
GEN_BV := $(B)/$(CCNAME)-generic
NOPCPU_ENV := GLIBC_TUNABLES=glibc.pthread.rseq=0 MIPC_TEST_NO_PCPU=1
PCPU_STRESS := $(addprefix tests/stress/,arch_pcpu_threads.c cache_threads.c epoch_threads.c \
	msg_threads.c notify_threads.c)
ifneq ($(filter x86_64 aarch64,$(ARCH)),)
NOPCPU_ASAN := $(call test_bin,asan,$(UNIT_SRC))
NOPCPU_TSAN := $(call test_bin,tsan,$(PCPU_STRESS))
GEN_ASAN := $(patsubst tests/%.c,$(GEN_BV)/asan/tests/%,$(UNIT_SRC))
GEN_TSAN := $(patsubst tests/%.c,$(GEN_BV)/tsan/tests/%,$(PCPU_STRESS))
GENERIC_TESTS := $(GEN_ASAN) $(GEN_TSAN)
PCPU_RUNS := no-rseq $(BV)/asan/logs-no-rseq no-rseq $(BV)/tsan/logs-no-rseq \
	generic $(GEN_BV)/asan/logs generic $(GEN_BV)/tsan/logs
endif

.PHONY: test-pcpu test-pcpu-build
test-pcpu-build:
	$(if $(GENERIC_TESTS),@$(MAKE) --no-print-directory ARCH=generic $(GENERIC_TESTS))

test-pcpu: $(NOPCPU_ASAN) $(NOPCPU_TSAN) test-pcpu-build
ifneq ($(GENERIC_TESTS),)
	$(call run_suites,no-rseq,$(BV)/asan,$(BV)/asan/logs-no-rseq,$(NOPCPU_ASAN),$(NOPCPU_ENV))
	$(call run_suites,no-rseq,$(BV)/tsan,$(BV)/tsan/logs-no-rseq,$(NOPCPU_TSAN),$(NOPCPU_ENV))
	$(call run_suites,generic,$(GEN_BV)/asan,$(GEN_BV)/asan/logs,$(GEN_ASAN))
	$(call run_suites,generic,$(GEN_BV)/tsan,$(GEN_BV)/tsan/logs,$(GEN_TSAN))
	$(call check_status,$(PCPU_RUNS))
else
	@echo "test-pcpu: ARCH=$(ARCH) has no rseq: its one per-CPU path runs in test-asan and test-tsan"
endif

# Everything `make test` runs, built first with -j (its prerequisites are
# expanded where this rule is read, so it comes after their definitions).
test-build: $(ASAN_TESTS) $(TSAN_TESTS) $(FUZZ_REPLAY) $(EXAMPLES) $(RELT_TESTS) \
		$(LIB_A) $(LIB_SO) $(SANLIBS) $(if $(GENERIC_TESTS),test-pcpu-build)

# ---------------------------------------------------------------------------
# Benchmarks: C benchmarks over a thin C++ shim around Google Benchmark,
# mipc beside its peers (pipes, sockets, eventfd, futex, ck_ring, ZeroMQ,
# nng) in one process, in BENCH_REPS rounds that run each row's mipc case
# beside its baseline; a ratio is the median of the per-round ratios,
# printed with its range (bench/gbench.cc, "Paired rounds").
# BENCH_FILTER is Google Benchmark's regex on the case names (which end in
# /real_time for the cross-thread cases): while iterating on one row,
# e.g. BENCH_FILTER='stream_1to1/(mipc|ck_ring_copy64) ' BENCH_INVERSION_SECONDS=0.
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
# reaches their CPUs.  It takes those CPUs from the others meanwhile.
# make bench's default as root: without it the cross-core rows measure
# the other sessions' load (issue 15; bench/main.c says how much); the
# binary does it itself (--mipc_isolate) and passes Ctrl-C on.  bench-ab
# keeps the old default, 0, and its setsid wrapper (no Ctrl-C there).
BENCH_ISOLATE ?= 0
BENCH_ISOLATE_BENCH ?= $(if $(filter command line environment,$(origin BENCH_ISOLATE)),$(BENCH_ISOLATE),$(if $(filter 0,$(shell id -u)),1,0))
BENCH_RUN = $(if $(filter 1,$(BENCH_ISOLATE)),setsid --wait sh -c \
	'echo -20 > /proc/self/autogroup && exec "$$0" "$$@"')
BENCH_OUT ?= bench/results
BENCH_DEPS := libzmq3-dev libnng-dev gnuplot-nox
BENCH_PEER_LIBS = $(call PC,libs,libzmq) -lnng
# rpc_epoll/mipc is built once a public header declares mipc_port_get_fd.
BENCH_PORT_FD_RE := mipc_port_get_fd[[:space:]]*[(]
BENCH_DEFS := $(if $(shell grep -Eqs '$(BENCH_PORT_FD_RE)' include/mipc/*.h \
	&& echo y),-DMIPC_HAVE_PORT_FD=1)

$(eval $(call obj_rules,$(BV)/bench,$$(CC) $$(CSTD) -O2 -g $$(WARN) $$(INC) -Ibench $$(DEP_CFLAGS) $$(BENCH_DEFS)))

$(BV)/bench/bench/gbench.o: bench/gbench.cc $(BV)/bench/bench/gbench.d | $(B)/.gitignore
	@mkdir -p $(@D)
	$(CXX) -std=c++17 -O2 -g -Wall -Wextra -Werror -Ibench $(call PC,cflags,benchmark) \
		$(DEPFLAGS) -c $< -o $@
	@touch $@

$(BENCH_BIN): $(BENCH_OBJ) $(LIB_A)
	$(CXX) -o $@ $^ $(call PC,libs,benchmark) $(BENCH_PEER_LIBS) $(DEP_LIBS) -lrt

.PHONY: bench bench-build deps-bench
deps-bench:
	@$(MAKE) --no-print-directory deps DEPS_EXTRA="$(BENCH_DEPS)"

bench: deps-bench
	@$(MAKE) --no-print-directory -q bench-build || \
		$(MAKE) --no-print-directory -j$(NPROC) bench-build
	@mkdir -p $(BENCH_OUT)
	@$(BENCH_BIN) --mipc_rounds=$(BENCH_REPS) \
		$(if $(filter 1,$(BENCH_ISOLATE_BENCH)),--mipc_isolate) \
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
# rpc_block rpc_block_1cpu rpc_server port_alloc_destroy malloc_free stream_1to1
# stream_2to1 get_refs; default all; rpc_server has no callgrind phases: its
# loop is inside mach_msg_server); AB_ROUNDS,
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

$(eval $(call obj_rules,$(BV)/ab,$$(CC) $$(CSTD) -O2 -g -fno-ipa-icf $$(WARN) -Iinclude -Ibench \
	$$(call PC,cflags,ck)))

$(AB_BIN): $(BV)/ab/bench/ab.o $(BV)/ab/bench/team.o
	$(CC) -o $@ $^ -Wl,--no-as-needed $(DEP_LIBS) -Wl,--as-needed -ldl

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

$(eval $(call obj_rules,$(BV)/cov,$$(CC) $$(COV_CFLAGS) -Itests $$(CHECK_CFLAGS)))

$(BV)/cov/libmipc_test.a: $(COV_OBJ) $(COV_MODEL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BV)/cov/tests/%: $(BV)/cov/tests/%.o $(BV)/cov/libmipc_test.a
	$(CC) --coverage -o $@ $^ $(CHECK_LIBS) $(call PC,libs,ck) -pthread -lm

COV_REPLAY := $(patsubst fuzz/%.c,$(BV)/cov/fuzz/%,$(FUZZ_SRC))

$(BV)/cov/fuzz/%: $(BV)/cov/fuzz/%.o $(BV)/cov/fuzz/replay.o $(BV)/cov/libmipc_test.a
	$(CC) --coverage -o $@ $^ $(call PC,libs,ck) -pthread -lm

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
# Fuzzing (libFuzzer, clang, ASan+UBSan).  Every object is compiled with
# -fsanitize=fuzzer-no-link (libFuzzer's way for code linked into a
# harness) in build/fuzzobj/; each harness links them with -fsanitize=fuzzer.

FUZZ_BIN := $(patsubst fuzz/%.c,$(B)/fuzz/%,$(FUZZ_SRC))
FUZZ_OBJ := $(B)/fuzzobj
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_CFLAGS = $(CSTD) -O1 -g -fno-omit-frame-pointer $(WARN) $(INC) -Itests \
	$(call PC,cflags,ck) -DMIPC_TEST=1 -DMIPC_BACKEND_LIBC=1 \
	-fsanitize=fuzzer-no-link $(FUZZ_SAN)

$(eval $(call obj_rules,$(FUZZ_OBJ),clang $$(FUZZ_CFLAGS)))

$(FUZZ_OBJ)/libmipc_fuzz.a: $(patsubst %.c,$(FUZZ_OBJ)/%.o,$(CORE_SRC) $(MODEL_LIB_SRC))
	@rm -f $@
	ar rcs $@ $^

$(B)/fuzz/%: $(FUZZ_OBJ)/fuzz/%.o $(FUZZ_OBJ)/libmipc_fuzz.a
	@mkdir -p $(@D)
	clang -fsanitize=fuzzer $(FUZZ_SAN) -o $@ $^ $(call PC,libs,ck) -pthread

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
	@echo "== no reference outside the repository (include, core, arch cite doc/)"
	@bad=$$(grep -rnE '\.\./shared|shared/[A-Z]+\.md|MACH\.md|DESIGN\.md' include core arch || true); \
	if [ -n "$$bad" ]; then echo "$$bad"; echo "lint: cite doc/man (man 3 <call>, mipc(7)) instead"; exit 1; fi
	@$(MAKE) --no-print-directory doc-check

# ---------------------------------------------------------------------------
# aarch64: the suites executed under qemu-user; the release library
#
# `make test-aarch64` cross-compiles core/ at -O2 with the test hooks on
# (-DMIPC_TEST=1, as the sanitizer builds) and the jemalloc backend (no
# -DMIPC_BACKEND_LIBC: that exists so that ASan sees every allocation, and
# nothing here is sanitized), so the suites also run the allocation path
# that ships, on the architecture.  The model is -O2 too (it does most of
# the work at run time); the other test code -O0 (not under test, and 4x
# faster to build).  Every unit, conformance, model and stress suite runs,
# the stress suites at their base iteration counts: the whole set takes
# about 90 s under qemu-user here, so no reduced count is needed.
#
# What qemu-user cannot show:
#  * Memory ordering.  It runs the weakly ordered guest on this strongly
#    ordered x86-64 host: guest loads and stores become host ones, so a
#    missing ARM64 fence (a ck_pr_fence_*, a publishing CAS without a
#    release) can still pass.  Only the aarch64 compiler's own reordering
#    is exercised; real ARM64 hardware is needed for the rest.
#  * rseq.  qemu-user 7.2 answers the rseq system call with ENOSYS, so
#    glibc registers none (__rseq_size = 0) and core/cache.c runs its depot
#    fallback (the runs set MIPC_TEST_NO_PCPU=1: the "pcpu" test cases give
#    way to "no_pcpu" ones).  The aarch64 rseq sequences run only on
#    tests/unit/arch.c's private area: logic and descriptor, never
#    preempted or aborted.
#  * process_vm_readv: not implemented either (ENOSYS), and core/ reads
#    memory it does not own with it (vm.c, bootstrap.c); the binaries link
#    tests/qemu_user.c, which answers the call through a pipe on ENOSYS
#    only (so vm.c's own fallback for refused calls does not run here).
#  * seccomp: qemu-user refuses PR_SET_SECCOMP, so the cases that install a
#    filter (tag "seccomp") are excluded here; they run on x86-64.
#  * /proc/self/exe is qemu itself: cases that run their own binary again
#    (tag "reexec": the MIPC_DEBUG=leaks report) run on x86-64 only.
#  * emulation is slow: cases whose race needs another thread's work
#    within a time bound (tag "timing") run on x86-64 only.
#  * fork with other threads running aborts qemu-user itself (TCG's
#    cpu == current_cpu assertion): tag "mtfork", x86-64 only.
# The binaries run as `qemu-aarch64 -L / <binary>`, with no binfmt_misc:
# loader and libc both come from libc6:arm64 (multiarch), one build.  Not
# with -L /usr/aarch64-linux-gnu: that loader (libc6-arm64-cross) then
# loads the multiarch libc.so.6 of another build, and fork() (each Check
# test) hangs in the child.

A64 := $(B)/aarch64
A64_CC ?= aarch64-linux-gnu-gcc
A64_SYSROOT := $(A64)/sysroot
A64_LIBDIR := $(A64_SYSROOT)/usr/lib/aarch64-linux-gnu
QEMU_AARCH64 ?= qemu-aarch64 -L /
A64_INC := -Iinclude -Icore -Iarch -Iarch/aarch64 -isystem $(A64_SYSROOT)/usr/include
A64_CORE_CFLAGS = $(CSTD) -O2 -g $(WARN) $(A64_INC) -Itests -DMIPC_TEST=1 -pthread
A64_TEST_CFLAGS = $(CSTD) -O0 -g $(WARN) $(A64_INC) -Itests -DMIPC_TEST=1 -pthread
A64_REL_CFLAGS = $(CSTD) -O2 -g -fPIC -fvisibility=hidden $(WARN) $(A64_INC)
A64_LIBS = -L$(A64_LIBDIR) -Wl,-rpath,$(abspath $(A64_LIBDIR)) -lck -ljemalloc -pthread
A64_CHECK_LIBS = -lcheck_pic -lsubunit -lrt -lm

A64_CORE_OBJ := $(patsubst %.c,$(A64)/test/%.o,$(CORE_SRC) $(MODEL_LIB_SRC))
A64_TESTS := $(patsubst tests/%.c,$(A64)/test/tests/%,$(SUITE_SRC))
A64_REL_OBJ := $(patsubst %.c,$(A64)/rel/%.o,$(CORE_SRC))
A64_LIB_A := $(A64)/rel/libmipc.a
A64_LIB_SO := $(A64)/rel/libmipc.so.$(VERSION)

$(A64)/test/core/%.o: core/%.c $(A64)/test/core/%.d | $(B)/.gitignore
	@mkdir -p $(@D)
	$(A64_CC) $(A64_CORE_CFLAGS) $(DEPFLAGS) -c $< -o $@
	@touch $@

$(A64)/test/tests/model/model_%.o: tests/model/model_%.c $(A64)/test/tests/model/model_%.d | $(B)/.gitignore
	@mkdir -p $(@D)
	$(A64_CC) $(A64_CORE_CFLAGS) $(DEPFLAGS) -c $< -o $@
	@touch $@

$(A64)/test/tests/%.o: tests/%.c $(A64)/test/tests/%.d | $(B)/.gitignore
	@mkdir -p $(@D)
	$(A64_CC) $(A64_TEST_CFLAGS) $(DEPFLAGS) -c $< -o $@
	@touch $@

$(A64)/rel/core/%.o: core/%.c $(A64)/rel/core/%.d | $(B)/.gitignore
	@mkdir -p $(@D)
	$(A64_CC) $(A64_REL_CFLAGS) $(DEPFLAGS) -c $< -o $@
	@touch $@

$(A64)/%.d: ;
.PRECIOUS: $(A64)/test/tests/%.o $(A64)/%.d

$(A64)/test/libmipc_test.a: $(A64_CORE_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(A64)/test/tests/%: $(A64)/test/tests/%.o $(A64)/test/tests/qemu_user.o $(A64)/test/libmipc_test.a
	$(A64_CC) -Wl,--wrap=process_vm_readv -o $@ $^ $(A64_LIBS) $(A64_CHECK_LIBS)

$(A64_LIB_A): $(A64_REL_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(A64_LIB_SO): $(A64_REL_OBJ)
	$(A64_CC) -shared -Wl,-soname,libmipc.so.$(SOMAJOR) -Wl,-z,defs -o $@ $^ $(A64_LIBS)

.PHONY: cross test-aarch64
cross: deps-aarch64
	@$(MAKE) --no-print-directory -j$(NPROC) $(A64_LIB_A) $(A64_LIB_SO)
	@echo "cross: $(A64_LIB_A) $(A64_LIB_SO) built with $(A64_CC)"

test-aarch64: deps-aarch64
	@$(MAKE) --no-print-directory -j$(NPROC) $(A64_TESTS) $(A64_LIB_A) $(A64_LIB_SO)
	$(call run_suites,aarch64,$(A64)/test,$(A64)/test/logs,$(A64_TESTS),\
		MIPC_TEST_NO_PCPU=1 CK_EXCLUDE_TAGS="seccomp reexec timing mtfork" $(QEMU_AARCH64))
	@$(call summarize,aarch64 $(A64)/test/logs); \
	if [ "$$st" != 0 ]; then echo "make test-aarch64: FAILED"; exit 1; fi; \
	echo "make test-aarch64: all suites passed under qemu-user"

# ---------------------------------------------------------------------------
# Static analysis: clang's analyzer (clang --analyze, the engine behind
# scan-build; its default checkers: core, unix, deadcode, nullability,
# security) over core/, as the test build sees it (hooks on, so that
# ipc_require's panics are known dead ends), one file per job, about a
# minute of CPU.  A warning fails the target; the full path of each is in
# build/analyze/<file>.log.  A step of .ci/run.  Where the analyzer cannot
# see an invariant (a port in transit has a destination, a receive right's
# entry has its object), the code states it with ipc_require, so that the
# analyzer and a reader both see it; the one line written for the analyzer
# alone reads a cleanup variable (core/msg.c).  Not used: the alpha checkers (they flag the
# header-then-body layout of struct ipc_kmsg as out-of-bounds copies) and
# -Wthread-safety (it needs capability annotations on ipc_lock_t first).

ANALYZE_CFLAGS = $(CSTD) $(INC) $(DEP_CFLAGS) -DMIPC_TEST=1 \
	--analyze -Xclang -analyzer-output=text

.PHONY: analyze
analyze: deps
	@mkdir -p $(B)/analyze; rm -f $(B)/analyze/*.log; \
	printf '%s\n' $(CORE_SRC) | xargs -P $(NPROC) -I{} sh -c \
		'clang $(ANALYZE_CFLAGS) -o /dev/null {} > $(B)/analyze/$$(basename {} .c).log 2>&1'; \
	n=0; for l in $(B)/analyze/*.log; do \
		w=$$(grep -c 'warning:' $$l); n=$$((n + w)); \
		[ $$w = 0 ] || { echo "== $$l: $$w"; grep 'warning:' $$l; }; \
	done; \
	echo "analyze: $$n warnings in $(words $(CORE_SRC)) files of core/"; \
	[ $$n = 0 ]

# ---------------------------------------------------------------------------
# Install
#
# The release install adds the Mach overlay under
# <includedir>/mipc/mach-overlay and mipc-mach.pc (Requires: mipc; Cflags:
# the overlay), as libbsd installs libbsd-overlay.pc: a Mach program builds
# with `cc prog.c $(pkg-config --cflags --libs mipc-mach)`.
#
# mipc.pc has no Requires: no type of ck or jemalloc appears in the public
# headers, and ck's .pc would add its own -D__x86_64__ to every user's
# cflags.  A static link's libraries are listed in Libs.private instead:
# ck, jemalloc, and what jemalloc's libjemalloc.a needs (-lm; -lpthread and
# -ldl for glibc before 2.34), found by `make test-install`'s static link.
# A static link makes jemalloc the program's malloc.
#
# SANITIZE=thread|address installs libmipc-tsan / libmipc-asan and
# mipc-tsan.pc / mipc-asan.pc instead (see the instrumented libraries
# above), beside a release install: a user's TSan build links
# `pkg-config --libs mipc-tsan` and compiles with -fsanitize=thread.

SANITIZE ?=
ifneq ($(SANITIZE),)
INST_SAN := $(or $(SAN_$(SANITIZE)),$(error SANITIZE=$(SANITIZE): use thread or address))
endif
INST_NAME := mipc$(if $(INST_SAN),-$(INST_SAN))
INST_DIR := $(BV)/rel$(if $(INST_SAN),-$(INST_SAN))
INST_A := $(INST_DIR)/lib$(INST_NAME).a
INST_SO := $(INST_DIR)/lib$(INST_NAME).so.$(VERSION)
comma := ,
INST_DESC := Mach port IPC in user space$(if $(INST_SAN),$(comma) built with -fsanitize=$(SANITIZE)$(comma) for $(SANITIZE) sanitizer builds)
# LIBDIR and INCLUDEDIR relative to ${prefix} where they lie under it, so
# that `pkg-config --define-variable=prefix=...` relocates the file.
pc_rel = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

.PHONY: install uninstall clean test-install
install: $(INST_A) $(INST_SO)
	install -d $(DESTDIR)$(INCLUDEDIR)/mipc $(DESTDIR)$(LIBDIR) $(DESTDIR)$(PKGCONFIGDIR)
	install -m 644 $(PUBLIC_HEADERS) $(DESTDIR)$(INCLUDEDIR)/mipc/
	install -m 644 $(INST_A) $(DESTDIR)$(LIBDIR)/lib$(INST_NAME).a
	install -m 755 $(INST_SO) $(DESTDIR)$(LIBDIR)/lib$(INST_NAME).so.$(VERSION)
	ln -sf lib$(INST_NAME).so.$(VERSION) $(DESTDIR)$(LIBDIR)/lib$(INST_NAME).so.$(SOMAJOR)
	ln -sf lib$(INST_NAME).so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/lib$(INST_NAME).so
	install -d $(DESTDIR)$(MANDIR)/man3 $(DESTDIR)$(MANDIR)/man7
	install -m 644 $(MAN3_PAGES) $(DESTDIR)$(MANDIR)/man3/
	install -m 644 $(MAN7_PAGES) $(DESTDIR)$(MANDIR)/man7/
	@for p in $(MAN3_PAGES); do b=$$(basename $$p .3); \
		for n in $$($(MAN_NAMES)); do \
			[ "$$n" = "$$b" ] || echo ".so man3/$$b.3" > $(DESTDIR)$(MANDIR)/man3/$$n.3; \
		done; \
	done
	printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$(call pc_rel,$(LIBDIR))' \
		'includedir=$(call pc_rel,$(INCLUDEDIR))' '' \
		'Name: $(INST_NAME)' 'Description: $(INST_DESC)' 'Version: $(VERSION)' \
		'Libs: -L$${libdir} -l$(INST_NAME)' \
		'Libs.private: $(strip $(call PC,libs-only-L,ck jemalloc) -lck -ljemalloc -lm -lpthread -ldl)' \
		'Cflags: -I$${includedir}' \
		> $(DESTDIR)$(PKGCONFIGDIR)/$(INST_NAME).pc
ifeq ($(INST_SAN),)
	install -d $(addprefix $(DESTDIR)$(INCLUDEDIR)/mipc/mach-overlay/,$(OVERLAY_DIRS))
	install -m 644 $(filter include/mach-overlay/mach/%,$(OVERLAY_HEADERS)) \
		$(DESTDIR)$(INCLUDEDIR)/mipc/mach-overlay/mach/
	install -m 644 $(filter include/mach-overlay/mach_debug/%,$(OVERLAY_HEADERS)) \
		$(DESTDIR)$(INCLUDEDIR)/mipc/mach-overlay/mach_debug/
	install -m 644 $(filter include/mach-overlay/servers/%,$(OVERLAY_HEADERS)) \
		$(DESTDIR)$(INCLUDEDIR)/mipc/mach-overlay/servers/
	printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$(call pc_rel,$(INCLUDEDIR))' '' \
		'Name: mipc-mach' \
		'Description: Mach headers (<mach/mach.h> ...) over mipc: Mach programs build unchanged' \
		'Version: $(VERSION)' 'Requires: mipc' \
		'Cflags: -I$${includedir}/mipc/mach-overlay' \
		> $(DESTDIR)$(PKGCONFIGDIR)/mipc-mach.pc
endif

uninstall:
	rm -f $(addprefix $(DESTDIR)$(INCLUDEDIR)/mipc/,$(notdir $(PUBLIC_HEADERS)))
	rm -f $(patsubst include/%,$(DESTDIR)$(INCLUDEDIR)/mipc/%,$(OVERLAY_HEADERS)) \
		$(DESTDIR)$(PKGCONFIGDIR)/mipc-mach.pc
	-for d in $(OVERLAY_DIRS); do rmdir $(DESTDIR)$(INCLUDEDIR)/mipc/mach-overlay/$$d; done 2>/dev/null
	-rmdir $(DESTDIR)$(INCLUDEDIR)/mipc/mach-overlay 2>/dev/null
	-rmdir $(DESTDIR)$(INCLUDEDIR)/mipc 2>/dev/null
	for n in mipc mipc-tsan mipc-asan; do \
		rm -f $(DESTDIR)$(LIBDIR)/lib$$n.a $(DESTDIR)$(LIBDIR)/lib$$n.so \
			$(DESTDIR)$(LIBDIR)/lib$$n.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/lib$$n.so.$(VERSION) \
			$(DESTDIR)$(PKGCONFIGDIR)/$$n.pc; \
	done
	for p in $(MAN3_PAGES); do \
		rm -f $$(for n in $$($(MAN_NAMES)); do echo $(DESTDIR)$(MANDIR)/man3/$$n.3; done); \
	done
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man7/,$(notdir $(MAN7_PAGES)))

# test-install: what a user of the installed library gets, from installs
# staged in a temporary DESTDIR (release, SANITIZE=thread, SANITIZE=address),
# checked with tests/install/user.c (threads making calls through mipc):
#  * `pkg-config --cflags mipc` is -I<includedir> and nothing else;
#  * `pkg-config --cflags mipc-mach` adds the Mach overlay before it, and
#    the Mach programs of doc/examples/mach build with it and run;
#  * `pkg-config --static --libs mipc` links it with -static, it runs, and
#    jemalloc is its malloc (glibc's __libc_malloc is not linked);
#  * `pkg-config --libs mipc` links it against libmipc.so.0 and it runs;
#  * with -fsanitize=thread against mipc-tsan, and -fsanitize=address
#    against mipc-asan, it runs without a sanitizer report;
#  * every exported symbol has a page in share/man/man3 (`man` finds it).
TI_RUN_ENV := TSAN_OPTIONS=halt_on_error=1:exitcode=66 \
	ASAN_OPTIONS=detect_leaks=1:halt_on_error=1

test-install: $(LIB_A) $(LIB_SO) $(SANLIBS)
	@mkdir -p $(BV)/install; rm -f $(BV)/install/.status; log=$(BV)/install/install.log; : > $$log; \
	stage=$$(mktemp -d); trap 'rm -rf "$$stage"' EXIT; pass=0; fail=0; \
	ok() { echo "   ok: $$1"; pass=$$((pass + 1)); }; \
	bad() { echo "   FAILED: $$1"; fail=$$((fail + 1)); }; \
	echo "== install: staged in $$stage"; \
	for s in "" thread address; do \
		$(MAKE) --no-print-directory install SANITIZE=$$s DESTDIR=$$stage PREFIX=/usr/local \
			>> $$log 2>&1 || bad "make install SANITIZE=$$s"; \
	done; \
	lib=$$stage/usr/local/lib; inc=$$stage/usr/local/include; \
	pc() { PKG_CONFIG_PATH=$$lib/pkgconfig pkg-config --define-variable=prefix=$$stage/usr/local "$$@"; }; \
	cf=$$(echo $$(pc --cflags mipc)); \
	[ "$$cf" = "-I$$inc" ] && ok "pkg-config --cflags mipc: $$cf" \
		|| bad "pkg-config --cflags mipc: '$$cf', want '-I$$inc'"; \
	cc="$(CC) $(CSTD) -O1 -g -Wall -Werror -o"; src=tests/install/user.c; \
	if $$cc $$stage/static -static $$src $$(pc --static --cflags --libs mipc) >> $$log 2>&1 \
		&& $$stage/static >> $$log 2>&1; then \
		ok "-static with pkg-config --static --libs mipc: $$(pc --static --libs mipc)"; \
		nm $$stage/static | grep -qw malloc_stats_print && ! nm $$stage/static | grep -qw __libc_malloc \
			&& ok "a static link makes jemalloc the program's malloc" \
			|| bad "a static link kept glibc's malloc"; \
	else bad "-static with pkg-config --static --libs mipc (log: $$log)"; fi; \
	if $$cc $$stage/shared $$src $$(pc --cflags --libs mipc) -Wl,-rpath,$$lib >> $$log 2>&1 \
		&& readelf -d $$stage/shared | grep -q 'NEEDED.*libmipc\.so\.$(SOMAJOR)' \
		&& $$stage/shared >> $$log 2>&1; then ok "shared, against libmipc.so.$(SOMAJOR)"; \
	else bad "shared link (log: $$log)"; fi; \
	man=$$stage/usr/local/share/man; miss=""; \
	for f in $$(nm -D --defined-only $(LIB_SO) | awk '$$3 !~ /^_(init|fini)$$/ { print $$3 }'); do \
		[ -f $$man/man3/$$f.3 ] || miss="$$miss $$f"; \
	done; \
	if [ -n "$$miss" ]; then bad "man pages: no man3 page for$$miss"; \
	elif command -v man >/dev/null && ! MANPATH=$$man man --warnings mach_msg_destroy 2>&1 >/dev/null | grep -q .; then \
		ok "man pages: one per exported symbol in share/man/man3 (man mach_msg_destroy renders mipc_msg.3)"; \
	elif command -v man >/dev/null; then bad "man pages: man mach_msg_destroy does not render cleanly"; \
	else ok "man pages: one per exported symbol in share/man/man3 (no man(1) here to render them)"; fi; \
	cf=$$(echo $$(pc --cflags mipc-mach)); \
	[ "$$cf" = "-I$$inc/mipc/mach-overlay -I$$inc" ] && ok "pkg-config --cflags mipc-mach: $$cf" \
		|| bad "pkg-config --cflags mipc-mach: '$$cf', want '-I$$inc/mipc/mach-overlay -I$$inc'"; \
	for m in $(MACH_EXAMPLE_SRC); do \
		b=$$stage/$$(basename $$m .c); \
		if $$cc $$b $$m $$(pc --cflags --libs mipc-mach) -pthread -Wl,-rpath,$$lib >> $$log 2>&1 \
			&& $$b >> $$log 2>&1; then ok "Mach program $$(basename $$m) with pkg-config mipc-mach"; \
		else bad "Mach program $$m with pkg-config mipc-mach (log: $$log)"; fi; \
	done; \
	for s in thread:tsan address:asan; do \
		out=$$stage/$${s#*:}.out; \
		if $$cc $$stage/$${s#*:} -fsanitize=$${s%:*} $$src $$(pc --cflags --libs mipc-$${s#*:}) \
			-Wl,-rpath,$$lib >> $$log 2>&1 \
			&& env $(TI_RUN_ENV) $$stage/$${s#*:} > $$out 2>&1 \
			&& ! grep -q 'Sanitizer' $$out; then \
			ok "-fsanitize=$${s%:*} against mipc-$${s#*:}: $$(tail -n 1 $$out)"; \
		else cat $$out >> $$log 2>/dev/null; bad "-fsanitize=$${s%:*} against mipc-$${s#*:} (log: $$log)"; fi; \
	done; \
	echo "== install: $$pass passed, $$fail failed" | tee -a $$log; \
	echo $$([ $$fail = 0 ] && echo 0 || echo 1) > $(BV)/install/.status; \
	[ $$fail = 0 ] || { tail -n 30 $$log; $(if $(DEFER_STATUS),true,false); }

clean:
	rm -rf $(B)

# ---------------------------------------------------------------------------
# Header dependencies: the .d files every compile above wrote (-MMD -MP).
# Each object depends on its .d (obj_rules); naming the .d of every object
# already built as an explicit target keeps make from treating a missing
# one as an intermediate file it may skip, so an object without its .d is
# rebuilt rather than trusted.
# (Not under $(AB_DIR): bench-ab's worktree of another commit, with its
# own build/.)
FIND_BUILT = $(shell find $(B) -path $(AB_DIR) -prune -o -name '*.$(1)' -print 2>/dev/null)
-include $(call FIND_BUILT,d)
$(patsubst %.o,%.d,$(call FIND_BUILT,o)): ;
