/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * check_mipc.h -- what every Check suite of mipc shares: the leak-checking
 * teardown and main().
 *
 * Each test runs in a forked child (Check's default); the checked teardown
 * runs in that child after the test body, waits for every deferred free
 * (mipc_quiesce) and asserts that every live-object counter is back to
 * zero, so a test that leaks a right, a port, a message or a byte fails;
 * that only the threads' own turnstiles are alive (one per live thread:
 * a leaked push or send turnstile fails); and that the test's thread is
 * pushed by nothing.
 *
 * Tags (Check's tcase_set_tags) say what a test case needs beyond the
 * public API; main() excludes a tag where the run cannot give it:
 *   "hooks"    the test build's hooks (failure injection, core/ internals):
 *              `make test-release` runs the suites against the shipped
 *              libmipc.a with CK_EXCLUDE_TAGS=hooks.  A suite that uses a
 *              core symbol outside the API must tag it (the Makefile checks).
 *   "pcpu"     per-CPU sections (registered rseq, or ARCH=generic's lock):
 *              excluded when the runner sets MIPC_TEST_NO_PCPU=1, i.e. runs
 *              without rseq (qemu-user has none; GLIBC_TUNABLES=
 *              glibc.pthread.rseq=0 forces it off on x86-64).
 *   "no_pcpu"  asserts the fallback without per-CPU sections: run only
 *              with MIPC_TEST_NO_PCPU=1.
 *   "seccomp"  installs a seccomp filter, which qemu-user refuses:
 *              `make test-aarch64` runs with CK_EXCLUDE_TAGS=seccomp.
 *   "reexec"   runs its own binary again (/proc/self/exe), which under
 *              qemu-user is qemu: excluded by `make test-aarch64` too.
 *   "timing"   needs another thread's work done within a bound that
 *              qemu-user's emulation overruns: excluded there too.
 *   "mtfork"   forks while other threads run, which qemu-user cannot do
 *              (its TCG asserts in the child): excluded there too.
 * CK_EXCLUDE_TAGS from the environment is honoured as well.
 */
#ifndef MIPC_TESTS_CHECK_MIPC_H
#define MIPC_TESTS_CHECK_MIPC_H

#include <check.h>
#include <mipc/mipc.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

/* Extra quiescence work a suite registers (e.g. destroying spaces). */
static void (*mipc_check_before_leaks)(void);

static inline void
mipc_check_no_leaks(void)
{
	struct mipc_stats s;
	struct mipc_thread_priority pri = { 0, 0, 0, 0, 0 };

	if (mipc_check_before_leaks != NULL)
		mipc_check_before_leaks();
	/* Rights the test left in mach_task_self() are released here. */
	mipc_default_space_reset();
	mipc_quiesce();
	mipc_get_stats(&s);
	ck_assert_msg(s.spaces == 0, "leak: %llu spaces live",
	    (unsigned long long)s.spaces);
	ck_assert_msg(
	    s.ports == 0, "leak: %llu ports live", (unsigned long long)s.ports);
	ck_assert_msg(s.psets == 0, "leak: %llu port sets live",
	    (unsigned long long)s.psets);
	ck_assert_msg(s.messages == 0, "leak: %llu messages live",
	    (unsigned long long)s.messages);
	ck_assert_msg(s.ool_bytes == 0, "leak: %llu OOL bytes live",
	    (unsigned long long)s.ool_bytes);
	ck_assert_msg(s.tables == 0, "leak: %llu tables live",
	    (unsigned long long)s.tables);
	ck_assert_msg(s.epoch_pending == 0, "%llu frees still pending",
	    (unsigned long long)s.epoch_pending);
	/*
	 * No push outlives its reason (issue 13): only the threads' own
	 * turnstiles are left, and this thread is pushed by nothing.
	 */
	ck_assert_msg(s.turnstiles == s.threads,
	    "leak: %llu turnstiles for %llu threads",
	    (unsigned long long)s.turnstiles, (unsigned long long)s.threads);
	ck_assert_msg(mipc_thread_get_priority(mipc_thread_self(), &pri) ==
	            KERN_SUCCESS &&
	        pri.effective == pri.base && pri.promotion == 0,
	    "this thread is still pushed: effective %u, base %u, promotion %u",
	    pri.effective, pri.base, pri.promotion);
}

/*
 * Check's ck_assert* records a checkpoint through a pipe on success: one
 * system call per assertion.  Inside loops use this instead.
 */
#define MIPC_REQUIRE(cond, ...)                    \
	do {                                       \
		if (!(cond))                       \
			ck_abort_msg(__VA_ARGS__); \
	} while (0)

/* A test case whose every test is followed by the leak check. */
static inline TCase *
mipc_tcase(const char *name)
{
	TCase *tc = tcase_create(name);

	tcase_add_checked_fixture(tc, NULL, mipc_check_no_leaks);
	return tc;
}

/* Does the runner say this process has no per-CPU sections (see above)? */
static inline int
mipc_test_no_pcpu(void)
{
	const char *v = getenv("MIPC_TEST_NO_PCPU");

	return v != NULL && v[0] == '1';
}

static inline int
mipc_test_run(Suite *suite)
{
	SRunner *sr = srunner_create(suite);
	const char *env = getenv("CK_EXCLUDE_TAGS");
	char exclude[256];
	int nf;

	snprintf(exclude, sizeof(exclude), "%s %s", env != NULL ? env : "",
	    mipc_test_no_pcpu() ? "pcpu" : "no_pcpu");
	srunner_run_tagged(sr, NULL, NULL, NULL, exclude, CK_NORMAL);
	nf = srunner_ntests_failed(sr);
	srunner_free(sr);
	return nf == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#define MIPC_TEST_MAIN(suite_fn)                  \
	int main(void)                            \
	{                                         \
		return mipc_test_run(suite_fn()); \
	}

#endif /* MIPC_TESTS_CHECK_MIPC_H */
