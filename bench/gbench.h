/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gbench.h -- the C face of Google Benchmark (the shim is gbench.cc).
 *
 * Owns:      the registration options (struct gb_opts), the loop and timer
 *            controls a C benchmark uses, the rows of the summary table
 *            (struct gb_row, registered by rows.c), and the registration
 *            function of each bench file (called by main.c).
 * Choices:   * gb_state is an opaque benchmark::State.  The shim is
 *              compiled separately, so every call below is a real call:
 *              GB_LOOP takes all its iterations in one KeepRunningBatch and
 *              then counts them in plain C, which keeps the per-iteration
 *              cost of the harness at an increment and a compare.
 *            * Times are reported in ns unless gb_opts says otherwise; the
 *              summary table always shows the time per iteration, median
 *              of the case's runs, and each ratio as the median over
 *              rounds of the ratio of runs side by side (--mipc_rounds;
 *              gbench.cc, "Paired rounds").  gb_register() records a case;
 *              gb_main() registers the runs in that order.
 *            * A case is named "<fast-path>/<implementation>", with the
 *              thread placement in parentheses when it matters (STYLE
 *              Rule 14): "pingpong/ck_ring_spsc (cross core)".
 *            * A row names cases by these names.  A name no case was
 *              registered under shows as "??" in the table and is named on
 *              stderr, so a typo cannot pass for a blank cell.
 */
#ifndef MIPC_BENCH_GBENCH_H
#define MIPC_BENCH_GBENCH_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gb_state gb_state; /* a benchmark::State */
typedef void (*gb_fn)(gb_state *st, void *arg);

enum gb_unit { GB_NS = 0, GB_US, GB_MS };

#define GB_MAX_ARGS 8

/* Registration options; all-zero (or a NULL pointer) is the default. */
struct gb_opts {
	int nargs;                 /* used entries of args[] */
	int64_t args[GB_MAX_ARGS]; /* one instance per value (->Arg) */
	int threads;               /* ->Threads(n); 0: one thread */
	bool real_time;            /* ->UseRealTime(): wall clock */
	enum gb_unit unit;         /* console/JSON unit; GB_NS default */
};

/* Register fn(st, arg) as benchmark `name`; opts may be NULL. */
void gb_register(
    const char *name, gb_fn fn, void *arg, const struct gb_opts *opts);

/*
 * The summary table: one row per scenario, mipc's time beside each peer's
 * (blank where a peer has no such case), a ratio, and targets.
 */
enum gb_peer {
	GB_PIPE,
	GB_SOCKETPAIR,
	GB_EVENTFD,
	GB_FUTEX,
	GB_CK_RING,
	GB_ZMQ,
	GB_NNG,
	GB_NPEERS
};

#define GB_MAX_TERMS   4
#define GB_MAX_TARGETS 3

/*
 * A target: mipc's time <= limit x the sum of the medians of terms[] (a
 * NULL-terminated list), or with `faster` mipc's time <= that sum / limit
 * ("at least limit times faster than `what`").  With no terms, mipc's
 * time <= limit ns.  A zero limit leaves the slot unused.
 */
struct gb_target {
	const char *what; /* names the terms in the target's text */
	const char *terms[GB_MAX_TERMS];
	double limit;
	bool faster;
};

struct gb_row {
	const char *id;                 /* key in latest.json: "rpc_spin" */
	const char *title;              /* first column: "RPC spinning" */
	const char *mipc;               /* mipc's case; NULL: not built yet */
	const char *why_not;            /* with mipc NULL: what it needs */
	const char *peer[GB_NPEERS];    /* a case per column, or NULL */
	const char *base_what;          /* ratio against: NULL, fastest peer */
	const char *base[GB_MAX_TERMS]; /* cases summed for base_what */
	struct gb_target target[GB_MAX_TARGETS];
	const char *meaning; /* one line under the row */
};

/* Append a row (copied), or a section heading, to the table. */
void gb_row(const struct gb_row *row);
void gb_section(const char *title);

/* A line printed under the table (copied): placement, build, ... */
void gb_note(const char *text);

/*
 * Parse the --benchmark_* flags and ours, run, print the summary table.
 * Ours: --mipc_log=FILE   Google Benchmark's console output (and its
 *                         context banner) to FILE instead of stdout;
 *       --mipc_verbose    ... and to stdout as well;
 *       --mipc_rounds=N   N paired rounds (--benchmark_repetitions=N is
 *                         read as the same; no random interleaving);
 *       --mipc_summary=FILE  the table's rows and every case as JSON;
 *       --mipc_plot=FILE  the rows as a tab-separated table for plot.gp;
 *       --mipc_gnuplot=SCRIPT  draw FILE with SCRIPT (plot.gp) as .svg and
 *                         .png beside it, when gnuplot is installed.
 */
int gb_main(int argc, char **argv);

/* Loop control: the timer runs from the first call to the last. */
bool gb_keep_running(gb_state *st);
uint64_t gb_max_iterations(gb_state *st);
bool gb_keep_running_batch(gb_state *st, uint64_t n);

/*
 * GB_LOOP(st, i) { body }
 *	Run body gb_max_iterations(st) times with uint64_t i counting from
 *	0, timed.  Two calls into the shim in all.  Leave the body early
 *	only after gb_skip_with_error() (a plain break would be timed as if
 *	every iteration had run).
 */
#define GB_LOOP(st, i)                               \
	for (uint64_t gb_n_ = gb_max_iterations(st); \
	     gb_keep_running_batch((st), gb_n_);)    \
		for (uint64_t i = 0; i < gb_n_; i++)

void gb_pause_timing(gb_state *st);
void gb_resume_timing(gb_state *st);
void gb_set_items_processed(gb_state *st, int64_t items);
void gb_counter(gb_state *st, const char *name, double value);
/*
 * Context switches of a case's timed loop (team_cs_end()'s fields) as
 * counters per 1000 operations: self_vcs/k, self_ivcs/k (the benchmark
 * thread's voluntary and involuntary switches), partner_vcs/k,
 * partner_ivcs/k (its partners').  In the log, beside each run.
 */
void gb_cs_counters(gb_state *st, long vol, long invol, long partner_vol,
    long partner_invol, uint64_t ops);
int64_t gb_range(gb_state *st, int i);
int gb_thread_index(gb_state *st);
int gb_threads(gb_state *st);
/* Mark the run failed; the loop then ends at once (or never starts). */
void gb_skip_with_error(gb_state *st, const char *msg);

/* The same, naming the call and the Mach code it returned. */
static inline void
gb_skip_code(gb_state *st, const char *what, unsigned int code)
{
	char why[128];

	snprintf(why, sizeof(why), "%s returned 0x%x", what, code);
	gb_skip_with_error(st, why);
}

/* Make the compiler assume p is read, and memory changed, here. */
static inline void
gb_do_not_optimize(const void *p)
{
	__asm__ volatile("" : : "r"(p) : "memory");
}

static inline void
gb_clobber_memory(void)
{
	__asm__ volatile("" : : : "memory");
}

/* Bench files: one registration function each, called by main.c. */
void bench_base_register(void);
void bench_rights_register(void);
void bench_msg_register(void);
void bench_peers_register(void);
void bench_notify_register(void);
void bench_mq_register(void);
void bench_rows_register(void); /* last: the table, in display order */

#ifdef __cplusplus
}
#endif

#endif /* MIPC_BENCH_GBENCH_H */
