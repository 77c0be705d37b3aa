/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * engine_vs_model.c -- differential tests (DESIGN §8): programs of Mach
 * port operations over three spaces run on the engine and on the reference
 * model (tests/model/model.h) in lock step, through the same decoder and
 * step function as fuzz/fuzz_ops.c (tests/model/model_ops.c).  Every step
 * compares return codes, outputs and the observable state of every name;
 * every program ends with all spaces destroyed and no object left.
 *
 * Programs come from fixed seeds, so a failure reproduces: the message
 * names the seed and the diverging step, with the steps before it.  To
 * turn one into a fuzzer input, write mops_generate(seed, ...) to a file
 * and run build/fuzz/fuzz_ops on it (or a replay binary, see fuzz/).
 *
 * Named model_test.c in the plan; renamed because the Makefile links every
 * tests/model/model_*.c into all test binaries and fuzzers, and a suite
 * has a main().
 */
#include "check_mipc.h"
#include "model/model_ops.h"

#include <stdint.h>
#include <stdlib.h>

#define ERR_BYTES 8192

static char err[ERR_BYTES];
static uint8_t prog[MOPS_MAX_STEPS * MOPS_RECORD];

/* Structured programs (mops_generate), `steps` steps each. */
static void
run_generated(uint64_t first, unsigned count, unsigned steps)
{
	unsigned i;

	for (i = 0; i < count; i++) {
		size_t len =
		    mops_generate(first + i, prog, (size_t)steps * MOPS_RECORD);
		int rc = mops_run(prog, len, err, sizeof(err));

		MIPC_REQUIRE(rc == 0, "mops_generate seed %llu, %u steps:\n%s",
		    (unsigned long long)(first + i), steps, err);
	}
}

START_TEST(model_ops_generated_short_programs)
{
	run_generated(1, 300, 32);
}
END_TEST

START_TEST(model_ops_generated_long_programs)
{
	run_generated(100000, 100, MOPS_MAX_STEPS);
}
END_TEST

/* Unstructured bytes: what libFuzzer starts from. */
START_TEST(model_ops_random_bytes)
{
	uint64_t x = 0x2545F4914F6CDD1Dull;
	unsigned i;
	size_t k, len;

	for (i = 0; i < 200; i++) {
		len = 64 + (size_t)(x % (sizeof(prog) / 2));
		for (k = 0; k < len; k++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			prog[k] = (uint8_t)(x >> 24);
		}
		MIPC_REQUIRE(mops_run(prog, len, err, sizeof(err)) == 0,
		    "random program %u (%zu bytes):\n%s", i, len, err);
	}
}
END_TEST

/* The same program twice: the model and the engine stay deterministic
 * in everything compared (names differ between runs; outcomes must not). */
START_TEST(model_ops_rerun_is_stable)
{
	size_t len = mops_generate(7, prog, 64 * MOPS_RECORD);

	ck_assert_msg(mops_run(prog, len, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(mops_run(prog, len, err, sizeof(err)) == 0, "%s", err);
}
END_TEST

/* Degenerate inputs: empty, one byte, a record of zeros. */
START_TEST(model_ops_degenerate_inputs)
{
	static const uint8_t zeros[MOPS_RECORD * 3];

	ck_assert_msg(mops_run(NULL, 0, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(mops_run(zeros, 1, err, sizeof(err)) == 0, "%s", err);
	ck_assert_msg(
	    mops_run(zeros, sizeof(zeros), err, sizeof(err)) == 0, "%s", err);
}
END_TEST

static Suite *
engine_vs_model_suite(void)
{
	Suite *s = suite_create("engine_vs_model");
	TCase *tc = mipc_tcase("model_ops");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, model_ops_degenerate_inputs);
	tcase_add_test(tc, model_ops_rerun_is_stable);
	tcase_add_test(tc, model_ops_generated_short_programs);
	tcase_add_test(tc, model_ops_generated_long_programs);
	tcase_add_test(tc, model_ops_random_bytes);
	suite_add_tcase(s, tc);
	return s;
}

MIPC_TEST_MAIN(engine_vs_model_suite)
