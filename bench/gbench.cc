/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gbench.cc -- the thin C++ shim behind gbench.h: Google Benchmark (1.7)
 * driven from C.
 *
 * Owns:      the ratio declarations, the display reporter that collects
 *            each case's median, and the summary table printed at the end.
 * Choices:   * The display reporter is the stock ConsoleReporter, extended
 *              only to record runs; RunSpecifiedBenchmarks(display) still
 *              builds the --benchmark_out file reporter itself, so the
 *              Makefile's JSON output is untouched.
 *            * A case's median is the library's "median" aggregate; with
 *              one repetition (no aggregates) we take the median of the
 *              iteration runs we saw, i.e. the single run.
 *            * The table is a report, not a test: a missed target prints
 *              MISS and the exit status stays 0.
 */
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <string>
#include <unistd.h>
#include <vector>

namespace
{

using Run = benchmark::BenchmarkReporter::Run;

benchmark::State *
S(gb_state *st)
{
	return reinterpret_cast<benchmark::State *>(st);
}

struct Ratio {
	std::string name;
	std::vector<std::string> baselines;
	double target;
};

std::vector<Ratio> &
ratios()
{
	static std::vector<Ratio> r;
	return r;
}

// What we keep of one case (a family instance: name, args, threads).
struct Entry {
	bool real_time = false;
	bool have_median = false;
	double median_ns = 0;
	std::vector<double> runs_ns; // iteration runs, the fallback
	int64_t repetitions = 1;
	std::string error;

	bool has_value() const
	{
		return have_median || !runs_ns.empty();
	}

	double value() const
	{
		if (have_median)
			return median_ns;
		std::vector<double> v = runs_ns;
		std::sort(v.begin(), v.end());
		size_t n = v.size();
		return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
	}
};

// The name ratios refer to: without the time type, min_time, repetitions.
std::string
key_of(const Run &r)
{
	const benchmark::BenchmarkName &n = r.run_name;
	std::string k = n.function_name;

	if (!n.args.empty())
		k += "/" + n.args;
	if (!n.threads.empty())
		k += "/" + n.threads;
	return k;
}

class TableReporter : public benchmark::ConsoleReporter
{
      public:
	explicit TableReporter(OutputOptions o) : ConsoleReporter(o)
	{
	}

	void ReportRuns(const std::vector<Run> &runs) override
	{
		ConsoleReporter::ReportRuns(runs);
		for (const Run &r : runs)
			record(r);
	}

	std::vector<std::string> order;
	std::map<std::string, Entry> entries;

      private:
	void record(const Run &r)
	{
		std::string k = key_of(r);
		auto it = entries.find(k);

		if (it == entries.end()) {
			order.push_back(k);
			it = entries.emplace(k, Entry()).first;
		}
		Entry &e = it->second;
		// Manual time is reported as real time too.
		e.real_time = !r.run_name.time_type.empty();
		e.repetitions = std::max<int64_t>(e.repetitions, r.repetitions);
		if (r.error_occurred) {
			e.error = r.error_message;
			return;
		}
		double t = e.real_time ? r.GetAdjustedRealTime()
		                       : r.GetAdjustedCPUTime();
		double ns =
		    t * 1e9 / benchmark::GetTimeUnitMultiplier(r.time_unit);
		if (r.run_type == Run::RT_Aggregate) {
			if (r.aggregate_name == "median") {
				e.median_ns = ns;
				e.have_median = true;
			}
		} else {
			e.runs_ns.push_back(ns);
		}
	}
};

void
print_table(const TableReporter &rep)
{
	size_t w = 9;
	int64_t reps = 1;

	for (const std::string &k : rep.order) {
		w = std::max(w, k.size());
		reps = std::max(reps, rep.entries.at(k).repetitions);
	}
	std::fflush(stdout);
	std::printf("\nmedians of %lld repetition%s, ns per iteration\n",
	    (long long)reps, reps == 1 ? "" : "s");
	std::printf("  %-*s %12s  %s\n", (int)w, "benchmark", "ns", "clock");
	for (const std::string &k : rep.order) {
		const Entry &e = rep.entries.at(k);

		if (!e.error.empty() || !e.has_value())
			std::printf("  %-*s %12s  skipped: %s\n", (int)w,
			    k.c_str(), "-", e.error.c_str());
		else
			std::printf("  %-*s %12.2f  %s\n", (int)w, k.c_str(),
			    e.value(), e.real_time ? "real" : "cpu");
	}

	if (ratios().empty())
		return;
	size_t fw = 6, bw = 11;
	std::vector<std::string> joined;
	for (const Ratio &r : ratios()) {
		std::string b;
		for (const std::string &s : r.baselines)
			b += (b.empty() ? "" : " + ") + s;
		joined.push_back(b);
		fw = std::max(fw, r.name.size());
		bw = std::max(bw, b.size());
	}
	std::printf("\nratios: figure / sum of baseline medians "
	            "(ok when ratio <= target)\n");
	std::printf("  %-*s  %-*s %8s %8s\n", (int)fw, "figure", (int)bw,
	    "baseline(s)", "ratio", "target");
	for (size_t i = 0; i < ratios().size(); i++) {
		const Ratio &r = ratios()[i];
		auto usable = [&](const std::string &k) {
			auto it = rep.entries.find(k);
			return it != rep.entries.end() &&
			    it->second.error.empty() && it->second.has_value();
		};
		bool ok = usable(r.name) && !r.baselines.empty();
		double sum = 0;
		for (const std::string &s : r.baselines) {
			ok = ok && usable(s);
			if (ok)
				sum += rep.entries.at(s).value();
		}
		std::printf("  %-*s  %-*s ", (int)fw, r.name.c_str(), (int)bw,
		    joined[i].c_str());
		if (!ok || sum <= 0) {
			std::printf("%8s %8.2f  n/a\n", "-", r.target);
			continue;
		}
		double ratio = rep.entries.at(r.name).value() / sum;
		std::printf("%8.3f %8.2f  %s\n", ratio, r.target,
		    ratio <= r.target ? "ok" : "MISS");
	}
}

} // namespace

extern "C" {

void
gb_register(const char *name, gb_fn fn, void *arg, const struct gb_opts *opts)
{
	static const benchmark::TimeUnit units[] = {
		benchmark::kNanosecond,
		benchmark::kMicrosecond,
		benchmark::kMillisecond,
	};
	struct gb_opts o = {};

	if (opts != nullptr)
		o = *opts;
	benchmark::internal::Benchmark *b =
	    benchmark::RegisterBenchmark(name, [fn, arg](benchmark::State &st) {
		    fn(reinterpret_cast<gb_state *>(&st), arg);
	    });
	for (int i = 0; i < o.nargs && i < GB_MAX_ARGS; i++)
		b->Arg(o.args[i]);
	if (o.threads > 0)
		b->Threads(o.threads);
	if (o.real_time)
		b->UseRealTime();
	b->Unit(o.unit >= GB_NS && o.unit <= GB_MS ? units[o.unit]
	                                           : benchmark::kNanosecond);
}

void
gb_ratio(const char *name, const char *const *baselines, double target)
{
	Ratio r{ name, {}, target };

	for (; baselines != nullptr && *baselines != nullptr; baselines++)
		r.baselines.emplace_back(*baselines);
	ratios().push_back(r);
}

int
gb_main(int argc, char **argv)
{
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;

	TableReporter rep(isatty(STDOUT_FILENO)
	        ? benchmark::ConsoleReporter::OO_ColorTabular
	        : benchmark::ConsoleReporter::OO_Tabular);
	benchmark::RunSpecifiedBenchmarks(&rep);
	benchmark::Shutdown();
	print_table(rep);
	std::fflush(stdout);
	return 0;
}

bool
gb_keep_running(gb_state *st)
{
	return S(st)->KeepRunning();
}

uint64_t
gb_max_iterations(gb_state *st)
{
	return (uint64_t)S(st)->max_iterations;
}

bool
gb_keep_running_batch(gb_state *st, uint64_t n)
{
	return S(st)->KeepRunningBatch((benchmark::IterationCount)n);
}

void
gb_pause_timing(gb_state *st)
{
	S(st)->PauseTiming();
}

void
gb_resume_timing(gb_state *st)
{
	S(st)->ResumeTiming();
}

void
gb_set_items_processed(gb_state *st, int64_t items)
{
	S(st)->SetItemsProcessed(items);
}

void
gb_counter(gb_state *st, const char *name, double value)
{
	S(st)->counters[name] = benchmark::Counter(value);
}

int64_t
gb_range(gb_state *st, int i)
{
	return S(st)->range((std::size_t)i);
}

int
gb_thread_index(gb_state *st)
{
	return S(st)->thread_index();
}

int
gb_threads(gb_state *st)
{
	return S(st)->threads();
}

void
gb_skip_with_error(gb_state *st, const char *msg)
{
	S(st)->SkipWithError(msg);
}

} // extern "C"
