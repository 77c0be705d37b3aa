/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * fuzz_ops.c -- op sequences checked against the reference model
 * (STYLE Rule 14's fuzz_ops_vs_model).  The bytes are a program over three
 * spaces (tests/model/model_ops.c decodes and runs it); the engine and
 * tests/model's model execute it in lock step, and the first divergence in
 * a return code or in the observable state -- or a leak after teardown --
 * aborts with a description of the step, so libFuzzer keeps the input.
 *
 * Built by `make fuzz` (clang, -fsanitize=fuzzer,address,undefined) and,
 * with fuzz/replay.c, by gcc as a corpus replayer.
 *
 * Choices:  under libFuzzer (which calls LLVMFuzzerInitialize; replay.c
 *           does not) the whole state is compared after every
 *           FUZZ_FULL_EVERY-th step and at the end of each program, and
 *           only what a step touched after the others (model_ops.c,
 *           "Comparison"): comparing everything after every step held
 *           the harness to 300 programs a second.  A divergence found
 *           that way is run again with full comparisons to name its first
 *           step.  Replays compare in full after every step, and so does
 *           any run with MIPC_FUZZ_FULL_EVERY=1.
 */
#include "model/model_ops.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_FULL_EVERY 16

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	mops_set_full_every(FUZZ_FULL_EVERY);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char err[8192];

	if (mops_run(data, size, err, sizeof(err)) != 0) {
		fprintf(stderr, "fuzz_ops: %s", err);
		abort();
	}
	return 0;
}
