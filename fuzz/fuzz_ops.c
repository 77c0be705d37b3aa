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
 */
#include "model/model_ops.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
