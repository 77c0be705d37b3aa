/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * main.c -- the benchmark binary: register every bench file's cases, then
 * hand over to Google Benchmark (gbench.cc), which runs them and prints
 * the table of medians and ratios.
 */
#include "gbench.h"

int
main(int argc, char **argv)
{
	bench_base_register();
	bench_rights_register();
	bench_msg_register();
	bench_peers_register();
	bench_notify_register();
	return gb_main(argc, argv);
}
