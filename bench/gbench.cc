/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * gbench.cc -- the thin C++ shim behind gbench.h: Google Benchmark (1.7)
 * driven from C, and the summary `make bench` prints.
 *
 * Owns:      the rows of the summary table, the display reporter that
 *            collects each case's median and range, the table printed at
 *            the end, the summary JSON and the plot's data file.
 * Choices:   * The display reporter is the stock ConsoleReporter, extended
 *              only to record runs.  With --mipc_log its output, context
 *              banner included (Debian builds libbenchmark without NDEBUG,
 *              so the banner says "Library was built as DEBUG": that is
 *              Google Benchmark, not mipc), goes to the log file; the
 *              terminal gets the table alone.  RunSpecifiedBenchmarks
 *              still builds the --benchmark_out file reporter itself, so
 *              the raw JSON is Google Benchmark's own.
 *            * Paired rounds (issue 15).  We, not Google Benchmark, order
 *              the runs: gb_register() only records a case; gb_main()
 *              registers --mipc_rounds=N rounds (BENCH_REPS; the flag
 *              --benchmark_repetitions is taken as its synonym, and
 *              Google Benchmark's random interleaving is not used), each
 *              running every case once as one repetition, row by row: a
 *              row's group (its mipc case, its baseline's cases, its
 *              targets' terms) side by side, mipc first in even rounds
 *              and last in odd ones, then the row's peers the round has
 *              not run yet, then the cases of no row (plan_rounds()).  A
 *              case in several groups runs once per group.
 *            * A case's time is the median of all its runs; its range,
 *              the fastest and slowest.  A ratio or target is taken per
 *              round, between the runs of the row's group in that round,
 *              and the table prints the median of those per-round ratios
 *              with their lowest and highest: load that comes and goes
 *              between rounds (other processes on a shared 2-CPU VM)
 *              moves both sides of a pair together instead of deciding
 *              the ratio, as it did with medians of unpaired runs.
 *            * Each round re-estimates its iteration count (a few short
 *              runs, about 10% of min_time in all), as separately
 *              registered runs do in Google Benchmark 1.7.
 *            * The table is a report, not a test: a missed target prints
 *              MISS and the exit status stays 0.
 *            * With stderr on a terminal, one progress line (elapsed time,
 *              runs, the case running) is rewritten in place and erased
 *              before the table, so the table is all that stays.
 */
#include "gbench.h"

#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <sstream>
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

const char *const peer_col[GB_NPEERS] = { "pipe", "socket", "eventfd", "futex",
	"ck_ring", "ZeroMQ", "nng" };
const char *const peer_long[GB_NPEERS] = { "pipe", "socketpair", "eventfd",
	"futex handoff", "ck_ring", "ZeroMQ inproc", "nng inproc" };

struct Target {
	std::string what;
	std::vector<std::string> terms;
	double limit;
	bool faster; // limit is a speed-up: mipc <= sum / limit
};

struct Row {
	bool section = false; // a heading: title only
	std::string id, title, mipc, why_not, meaning, base_what;
	std::string peer[GB_NPEERS];
	std::vector<std::string> base;
	std::vector<Target> targets;
};

struct Options {
	std::string log, summary, plot, gnuplot;
	std::string drawn; // the pictures gnuplot drew, or why none
	bool verbose = false;
	int rounds = 1;
	std::string argv_line;
};

std::vector<Row> &
rows()
{
	static std::vector<Row> r;
	return r;
}

std::vector<std::string> &
notes()
{
	static std::vector<std::string> n;
	return n;
}

std::set<std::string> &
registered()
{
	static std::set<std::string> s;
	return s;
}

// One case as bench files registered it (one per argument value).
struct Reg {
	std::string key;  // the name rows use: "lookup/x/threads:2"
	std::string name; // the name given to RegisterBenchmark
	gb_fn fn;
	void *arg;
	bool has_arg;
	int64_t argv;
	struct gb_opts o;
};

std::vector<Reg> &
regs()
{
	static std::vector<Reg> r;
	return r;
}

// One run of a case in the plan: round, and the row whose group it is.
struct Slot {
	size_t reg;
	int round;
	int row; // index in rows(), -1: a case of no row
};

std::vector<Slot> &
slots()
{
	static std::vector<Slot> v;
	return v;
}

// The slot running now (set by the case's first thread before its body).
long current_slot = -1;

/*
 * The machine's probe: a cross-core cache line's round trip (base.c).  It
 * runs beside every cross-core row's group in each round, so that each
 * per-round ratio has the host's state next to it (latest.json's
 * line_round_trip_ns).
 */
const char *const kProbe = "pingpong/atomic_spin (cross core)";

std::string
str(const char *s)
{
	return s != nullptr ? s : "";
}

// What we keep of one case (a family instance: name, args, threads).
struct Entry {
	bool real_time = false;
	bool have_median = false;
	double median_ns = 0;
	std::vector<double> runs_ns; // one per run (a round, or a group)
	std::string error;

	bool has_value() const
	{
		return error.empty() && (have_median || !runs_ns.empty());
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

	double lo() const
	{
		return runs_ns.empty()
		    ? value()
		    : *std::min_element(runs_ns.begin(), runs_ns.end());
	}

	double hi() const
	{
		return runs_ns.empty()
		    ? value()
		    : *std::max_element(runs_ns.begin(), runs_ns.end());
	}
};

// The name rows refer to: without the time type, min_time, repetitions.
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
	std::map<long, double> slot_ns; // slot -> its run's ns

	const Entry *find(const std::string &k) const
	{
		auto it = entries.find(k);
		return it == entries.end() ? nullptr : &it->second;
	}

	bool usable(const std::string &k) const
	{
		const Entry *e = find(k);
		return e != nullptr && e->has_value();
	}

	// Sum of the medians of ks, or NAN when one is missing.
	double sum(const std::vector<std::string> &ks) const
	{
		double s = 0;

		for (const std::string &k : ks) {
			if (!usable(k))
				return NAN;
			s += find(k)->value();
		}
		return ks.empty() ? NAN : s;
	}

	/*
	 * Case k's time in round `round`: its run in row `row`'s group when
	 * there is one, else its first run of that round; NAN when none.
	 */
	double in_round(const std::string &k, int round, int row) const
	{
		return in_round(k, round, row, false);
	}

	// The same, only from row `row`'s group with `exact`.
	double in_round(
	    const std::string &k, int round, int row, bool exact) const
	{
		double any = NAN;

		for (const auto &kv : slot_ns) {
			const Slot &sl = slots()[(size_t)kv.first];
			if (sl.round != round || regs()[sl.reg].key != k)
				continue;
			if (sl.row == row)
				return kv.second;
			if (std::isnan(any) && !exact)
				any = kv.second;
		}
		return any;
	}

	double sum_in_round(
	    const std::vector<std::string> &ks, int round, int row) const
	{
		double s = 0;

		for (const std::string &k : ks)
			s += in_round(k, round, row); // NAN when one is missing
		return ks.empty() ? NAN : s;
	}

	int rounds = 1;

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
			if (current_slot >= 0)
				slot_ns[current_slot] = ns;
		}
	}
};

// ---------------------------------------------------------------------
// Text helpers

// Display width: UTF-8 code points (all ours are one column wide).
size_t
width(const std::string &s)
{
	size_t w = 0;

	for (unsigned char c : s)
		w += (c & 0xc0) != 0x80;
	return w;
}

std::string
pad(const std::string &s, size_t w, bool right)
{
	size_t n = width(s);
	std::string fill(n < w ? w - n : 0, ' ');
	return right ? fill + s : s + fill;
}

std::string
fmt(const char *f, double v)
{
	char b[64];

	std::snprintf(b, sizeof(b), f, v);
	return b;
}

// 3 significant digits with a unit: "56.7 ns", "1.36 µs", "50.7 µs".
std::string
fmt_time(double ns)
{
	static const char *const unit[] = { "ns", "µs", "ms", "s" };
	int u = 0;

	while (ns >= 999.5 && u < 3) {
		ns /= 1000;
		u++;
	}
	const char *f = ns < 9.995 ? "%.2f " : ns < 99.95 ? "%.1f " : "%.0f ";
	return fmt(f, ns) + unit[u];
}

// A limit or factor without trailing zeros: 3, 1.2, 1.5.
std::string
fmt_num(double v)
{
	return fmt("%.3g", v);
}

std::string
target_text(const Target &t)
{
	if (t.terms.empty()) {
		std::string s = fmt_time(t.limit);
		// "1.00 µs" reads better as "1 µs" in a bound.
		size_t dot = s.find(".00 ");
		if (dot != std::string::npos)
			s.erase(dot, 3);
		return "≤" + s;
	}
	if (t.faster)
		return "≥" + fmt_num(t.limit) + "× " + t.what;
	return "≤" + fmt_num(t.limit) + "× " + t.what;
}

std::string
json_str(const std::string &s)
{
	std::string o = "\"";

	for (unsigned char c : s) {
		if (c == '"' || c == '\\') {
			o += '\\';
			o += (char)c;
		} else if (c < 0x20) {
			char b[8];
			std::snprintf(b, sizeof(b), "\\u%04x", c);
			o += b;
		} else {
			o += (char)c;
		}
	}
	return o + "\"";
}

std::string
json_num(double v)
{
	if (std::isnan(v) || std::isinf(v))
		return "null";
	return fmt("%.6g", v);
}

// ---------------------------------------------------------------------
// The rows, evaluated

struct Cell {
	std::string text; // as printed
	std::string json; // as written to the summary
	double ns = NAN;  // NAN: no value
};

// A ratio taken round by round: its per-round values, median and range.
struct Paired {
	std::vector<double> v;  // one per round that measured every term
	std::vector<int> round; // v[i]'s round
	double med = NAN, lo = NAN, hi = NAN;
};

double
median_of(std::vector<double> v)
{
	size_t n = v.size();

	if (n == 0)
		return NAN;
	std::sort(v.begin(), v.end());
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/*
 * num / the sum of den in each round (den's sum / num with `speedup`),
 * from the runs of row `row`'s group where it ran them.
 */
Paired
paired(const TableReporter &rep, int row, const std::string &num,
    const std::vector<std::string> &den, bool speedup)
{
	Paired p;

	for (int r = 0; r < rep.rounds; r++) {
		double a = rep.in_round(num, r, row);
		double b = rep.sum_in_round(den, r, row);
		if (!(a > 0) || !(b > 0)) // NAN: a term missing this round
			continue;
		p.v.push_back(speedup ? b / a : a / b);
		p.round.push_back(r);
	}
	if (p.v.empty())
		return p;
	p.med = median_of(p.v);
	p.lo = *std::min_element(p.v.begin(), p.v.end());
	p.hi = *std::max_element(p.v.begin(), p.v.end());
	return p;
}

struct Eval {
	Cell mipc;
	Cell peer[GB_NPEERS];
	double ratio = NAN;   // median of the per-round ratios
	Paired pairs;         // the per-round ratios
	std::string against;  // the ratio's denominator's label
	double base_ns = NAN; // sum of the baseline cases' medians
	std::vector<std::string> base_cases;
	std::vector<std::string> target_cells; // "≤3× parts ok"
	std::vector<int> target_ok;            // 1, 0, -1 n/a
	std::vector<double> target_value;      // ratio, speed-up or ns
	std::vector<Paired> target_pairs;      // per round, when terms
};

struct Footnotes {
	std::vector<std::string> text;

	std::string add(const std::string &s)
	{
		auto it = std::find(text.begin(), text.end(), s);
		size_t i = it - text.begin();
		if (it == text.end())
			text.push_back(s);
		return "[" + std::to_string(i + 1) + "]";
	}
};

Cell
cell_of(const TableReporter &rep, const std::string &name, Footnotes &fn,
    const std::string &who)
{
	Cell c;

	if (name.empty())
		return c;
	if (registered().count(name) == 0) {
		c.text = "??";
		c.json = "{\"case\": " + json_str(name) +
		    ", \"error\": \"no case has this name\"}";
		return c;
	}
	const Entry *e = rep.find(name);
	if (e == nullptr) {
		c.text = "-";
		c.json = "{\"case\": " + json_str(name) +
		    ", \"error\": \"not run (filtered out)\"}";
		return c;
	}
	if (!e->error.empty()) {
		c.text = "skip" + fn.add(who + ": " + e->error);
		c.json = "{\"case\": " + json_str(name) +
		    ", \"error\": " + json_str(e->error) + "}";
		return c;
	}
	c.ns = e->value();
	c.text = fmt_time(c.ns);
	c.json = "{\"case\": " + json_str(name) +
	    ", \"ns\": " + json_num(c.ns) +
	    ", \"min_ns\": " + json_num(e->lo()) +
	    ", \"max_ns\": " + json_num(e->hi()) + "}";
	return c;
}

Eval
evaluate(const TableReporter &rep, int ri, Footnotes &fn)
{
	const Row &r = rows()[(size_t)ri];
	Eval v;

	if (r.mipc.empty()) {
		v.mipc.text = "not built";
		v.mipc.json = "{\"case\": null, \"status\": " +
		    json_str("not built yet: " + r.why_not) + "}";
	} else {
		v.mipc = cell_of(rep, r.mipc, fn, r.title + " / mipc");
	}
	for (int p = 0; p < GB_NPEERS; p++)
		v.peer[p] =
		    cell_of(rep, r.peer[p], fn, r.title + " / " + peer_long[p]);

	if (!r.base.empty()) {
		v.against = r.base_what;
		v.base_cases = r.base;
		v.base_ns = rep.sum(r.base);
	} else {
		int best = -1;
		for (int p = 0; p < GB_NPEERS; p++)
			if (!std::isnan(v.peer[p].ns) &&
			    (best < 0 || v.peer[p].ns < v.peer[best].ns))
				best = p;
		if (best >= 0) {
			v.against = peer_col[best];
			v.base_cases = { r.peer[best] };
			v.base_ns = v.peer[best].ns;
		}
	}
	if (!std::isnan(v.mipc.ns) && !v.base_cases.empty()) {
		v.pairs = paired(rep, ri, r.mipc, v.base_cases, false);
		v.ratio = v.pairs.med;
	}

	for (const Target &t : r.targets) {
		double x = NAN;
		int ok = -1;
		Paired tp;

		if (t.terms.empty()) {
			if (!std::isnan(v.mipc.ns)) {
				x = v.mipc.ns;
				ok = x <= t.limit;
			}
		} else if (!std::isnan(v.mipc.ns)) {
			// ratio, or with `faster` the speed-up, per round
			tp = paired(rep, ri, r.mipc, t.terms, t.faster);
			x = tp.med;
			if (!std::isnan(x))
				ok = t.faster ? x >= t.limit : x <= t.limit;
		}
		v.target_cells.push_back(target_text(t));
		v.target_ok.push_back(ok);
		v.target_value.push_back(x);
		v.target_pairs.push_back(tp);
	}
	return v;
}

// ---------------------------------------------------------------------
// The table

struct Style {
	bool color;
	std::string dim() const
	{
		return color ? "\033[2m" : "";
	}
	std::string bold() const
	{
		return color ? "\033[1m" : "";
	}
	std::string green() const
	{
		return color ? "\033[32m" : "";
	}
	std::string red() const
	{
		return color ? "\033[1;31m" : "";
	}
	std::string off() const
	{
		return color ? "\033[0m" : "";
	}
};

std::string
verdict(int ok, const Style &s)
{
	if (ok < 0)
		return "n/a";
	return ok ? s.green() + "ok" + s.off() : s.red() + "MISS" + s.off();
}

// "[1.71–2.05]": a paired ratio's lowest and highest round.
std::string
range_text(const Paired &p)
{
	if (p.v.size() < 2)
		return "";
	return "[" + fmt("%.2f", p.lo) + "–" + fmt("%.2f", p.hi) + "]";
}

/*
 * When the probe (kProbe) beside a row's group took more than twice as
 * long in some rounds as in others (the host moved the vCPUs, or load
 * preempted the probe's threads): the row's per-round ratios split by the
 * probe's state (cut at the geometric mean of its extremes), else "".
 */
std::string
host_states(const TableReporter &rep, int ri, const Paired &p)
{
	std::vector<double> probe;
	double lo = INFINITY, hi = 0;
	std::string out;

	for (int rd : p.round) {
		double x = rep.in_round(kProbe, rd, ri, true);
		probe.push_back(x);
		if (x > 0) {
			lo = std::min(lo, x);
			hi = std::max(hi, x);
		}
	}
	if (!(hi > 2 * lo))
		return "";
	double cut = std::sqrt(lo * hi);
	for (int near = 1; near >= 0; near--) {
		Paired q;
		std::vector<double> ps;
		for (size_t i = 0; i < p.v.size(); i++)
			if (probe[i] > 0 && (probe[i] < cut) == (near == 1)) {
				q.v.push_back(p.v[i]);
				ps.push_back(probe[i]);
			}
		if (q.v.empty())
			continue;
		q.lo = *std::min_element(q.v.begin(), q.v.end());
		q.hi = *std::max_element(q.v.begin(), q.v.end());
		out += (out.empty() ? "" : "; ") + std::string("line ") +
		    fmt_time(median_of(ps)) + ": " +
		    fmt("%.2f×", median_of(q.v)) +
		    (q.v.size() > 1 ? " " + range_text(q) : "") + " in " +
		    std::to_string(q.v.size()) +
		    (q.v.size() > 1 ? " rounds" : " round");
	}
	return "the cross-core line round trip beside this row changed "
	       "(host placement or load); ratio by it: " +
	    out;
}

// "1.88× ring [1.71–2.05]"
std::string
ratio_text(const Eval &v)
{
	if (std::isnan(v.ratio))
		return "";
	std::string rg = range_text(v.pairs);
	return fmt("%.2f× ", v.ratio) + v.against +
	    (rg.empty() ? "" : " " + rg);
}

void
print_table(
    std::ostream &out, const TableReporter &rep, const Options &o, bool color)
{
	const Style s{ color };
	Footnotes fn;
	std::vector<Eval> ev;
	size_t tw = 8, cw = 9, rw = 5;

	for (size_t i = 0; i < rows().size(); i++) {
		const Row &r = rows()[i];
		ev.push_back(r.section ? Eval() : evaluate(rep, (int)i, fn));
		if (r.section)
			continue;
		tw = std::max(tw, width(r.title));
		rw = std::max(rw, width(ratio_text(ev.back())));
	}

	out << "\n"
	    << s.bold() << "mipc against its peers" << s.off() << ": "
	    << rep.rounds << " round" << (rep.rounds == 1 ? "" : "s")
	    << " in one process, each running every case once, a row's mipc "
	       "case\nnext to its baseline (order alternating); times: median "
	       "of a case's runs; ratio: median\nof the per-round ratios "
	       "[lowest–highest]; time per operation\n\n";

	std::string head =
	    pad("scenario", tw, false) + " " + pad("mipc", cw, true);
	for (int p = 0; p < GB_NPEERS; p++)
		head += pad(peer_col[p], cw, true);
	head += "  " + pad("ratio", rw, false) + "  target";
	out << s.bold() << head << s.off() << "\n";
	std::string rule;
	for (size_t i = 0; i < width(head); i++)
		rule += "─";
	out << rule << "\n";

	for (size_t i = 0; i < rows().size(); i++) {
		const Row &r = rows()[i];
		const Eval &v = ev[i];

		if (r.section) {
			out << rule << "\n"
			    << s.bold() << r.title << s.off() << "\n";
			continue;
		}
		std::string line = pad(r.title, tw, false) + " " + s.bold() +
		    pad(v.mipc.text, cw, true) + s.off();
		for (int p = 0; p < GB_NPEERS; p++)
			line += pad(v.peer[p].text, cw, true);
		line += "  " + pad(ratio_text(v), rw, false) + "  ";
		for (size_t t = 0; t < v.target_cells.size(); t++) {
			line += (t ? ", " : "") + v.target_cells[t] + " " +
			    verdict(v.target_ok[t], s);
			// A target on other terms than the ratio's: its value.
			const Paired &tp = v.target_pairs[t];
			if (!std::isnan(tp.med) &&
			    r.targets[t].terms != v.base_cases)
				line += " (" + fmt("%.2f×", tp.med) + " " +
				    range_text(tp) + ")";
		}
		while (!line.empty() && line.back() == ' ')
			line.pop_back();
		out << line << "\n";
		out << s.dim() << "    " << r.meaning << s.off() << "\n";
		std::string hs = host_states(rep, (int)i, v.pairs);
		if (!hs.empty())
			out << s.dim() << "    " << hs << s.off() << "\n";
		if (r.mipc.empty())
			out << s.dim() << "    mipc: not built yet, "
			    << r.why_not << s.off() << "\n";
	}
	out << rule << "\n";

	out << "ratio = mipc / the row's baseline (named after the ratio), "
	       "else / its fastest peer, taken\n  in each round from the "
	       "runs side by side; [lo–hi]: its lowest and highest round.\n"
	       "target: ≤k× X: mipc takes at most k times X; ≥k× X: mipc is "
	       "at least k times faster than X\n  (judged on the median of "
	       "the per-round ratios; in parentheses when not the ratio's).\n"
	       "blank: that peer has no such case; -: not run (filtered out); "
	       "skip[n]: the case skipped itself:\n";
	for (size_t i = 0; i < fn.text.size(); i++)
		out << "  [" << i + 1 << "] " << fn.text[i] << "\n";
	for (const std::string &n : notes())
		out << n << "\n";
	// The machine's state: a cross-core line's round trip, per round.
	const Entry *probe = rep.find(kProbe);
	if (probe != nullptr && probe->has_value() && !probe->runs_ns.empty())
		out << "cross-core cache-line round trip "
		       "(pingpong/atomic_spin) "
		       "this run: "
		    << fmt_time(probe->value()) << " [" << fmt_time(probe->lo())
		    << "–" << fmt_time(probe->hi())
		    << "]; it moves with\n  the VM's vCPU placement on the "
		       "host and with preemption, and every cross-core row "
		       "with it.\n";
	out << "socket = AF_UNIX socketpair (SOCK_SEQPACKET); eventfd carries "
	       "8 B; ZeroMQ and nng: inproc transport.\n";
	if (!o.log.empty())
		out << "Google Benchmark's own lines: " << o.log
		    << " (BENCH_VERBOSE=1 shows them); its \"Library was "
		       "built as DEBUG\"\n  banner is about Debian's "
		       "libbenchmark package, not mipc (built -O2).\n";
	if (!o.summary.empty())
		out << "summary (rows, ratios, ranges): " << o.summary << "\n";
	if (!o.drawn.empty())
		out << "plot: " << o.drawn << "\n";
	out << std::flush;
}

// ---------------------------------------------------------------------
// The summary JSON and the plot data

std::string
now_iso()
{
	char b[64];
	std::time_t t = std::time(nullptr);
	std::tm tm;

	gmtime_r(&t, &tm);
	std::strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return b;
}

void
write_summary(
    const std::string &path, const TableReporter &rep, const Options &o)
{
	std::ofstream f(path);
	Footnotes fn;
	char host[256] = "";

	gethostname(host, sizeof(host) - 1);
	f << "{\n  \"schema\": \"mipc-bench-summary/2\",\n"
	  << "  \"date\": " << json_str(now_iso()) << ",\n"
	  << "  \"host\": " << json_str(host) << ",\n"
	  << "  \"cpus_online\": " << sysconf(_SC_NPROCESSORS_ONLN) << ",\n"
	  << "  \"rounds\": " << rep.rounds << ",\n"
	  << "  \"statistic\": \"ns: median of the case's runs (one or "
	     "more per round); min_ns/max_ns: its fastest and slowest run; "
	     "ratio and target values: median over rounds of the ratio of "
	     "the runs side by side in that round, min/max/per_round: their "
	     "range and list\",\n"
	  << "  \"targets\": \"kind ratio_max: value = mipc / sum of "
	     "against <= limit; speedup_min: value = sum of against / mipc >= "
	     "limit; ns_max: value = mipc's ns <= limit\",\n"
	  << "  \"command\": " << json_str(o.argv_line) << ",\n"
	  << "  \"benchmark_library\": \"Google Benchmark, Debian's "
	     "libbenchmark (built without NDEBUG, hence its DEBUG banner); "
	     "mipc is built -O2\",\n"
	  << "  \"notes\": [";
	for (size_t i = 0; i < notes().size(); i++)
		f << (i ? ", " : "") << json_str(notes()[i]);
	f << "],\n  \"columns\": [\"mipc\"";
	for (int p = 0; p < GB_NPEERS; p++)
		f << ", " << json_str(peer_long[p]);
	f << "],\n  \"rows\": [";

	auto pairs_json = [](const Paired &p) {
		std::string j = ", \"min\": " + json_num(p.lo) +
		    ", \"max\": " + json_num(p.hi) + ", \"per_round\": [";
		for (size_t i = 0; i < p.v.size(); i++)
			j += (i ? ", " : "") + json_num(p.v[i]);
		return j + "]";
	};
	std::string section;
	bool first = true;
	for (size_t ri = 0; ri < rows().size(); ri++) {
		const Row &r = rows()[ri];
		if (r.section) {
			section = r.title;
			continue;
		}
		Eval v = evaluate(rep, (int)ri, fn);
		f << (first ? "" : ",") << "\n    {\"id\": " << json_str(r.id)
		  << ", \"title\": " << json_str(r.title);
		if (!section.empty())
			f << ", \"section\": " << json_str(section);
		f << ",\n     \"meaning\": " << json_str(r.meaning)
		  << ",\n     \"mipc\": "
		  << (v.mipc.json.empty() ? "null" : v.mipc.json)
		  << ",\n     \"peers\": {";
		bool pf = true;
		for (int p = 0; p < GB_NPEERS; p++) {
			if (v.peer[p].json.empty())
				continue;
			f << (pf ? "" : ", ") << "\n       "
			  << json_str(peer_long[p]) << ": " << v.peer[p].json;
			pf = false;
		}
		f << "},\n     \"ratio\": {\"value\": " << json_num(v.ratio)
		  << pairs_json(v.pairs) << ", \"line_round_trip_ns\": [";
		for (int rd = 0; rd < rep.rounds; rd++)
			f << (rd ? ", " : "")
			  << json_num(rep.in_round(kProbe, rd, (int)ri, true));
		f << "], \"against\": " << json_str(v.against)
		  << ", \"baseline_ns\": " << json_num(v.base_ns)
		  << ", \"baseline_cases\": [";
		for (size_t i = 0; i < v.base_cases.size(); i++)
			f << (i ? ", " : "") << json_str(v.base_cases[i]);
		f << "]},\n     \"targets\": [";
		for (size_t t = 0; t < r.targets.size(); t++) {
			const Target &tg = r.targets[t];
			f << (t ? ", " : "") << "\n       {\"text\": "
			  << json_str(v.target_cells[t]) << ", \"kind\": "
			  << (tg.terms.empty()   ? "\"ns_max\""
			             : tg.faster ? "\"speedup_min\""
			                         : "\"ratio_max\"")
			  << ", \"limit\": " << json_num(tg.limit)
			  << ", \"against\": [";
			for (size_t i = 0; i < tg.terms.size(); i++)
				f << (i ? ", " : "") << json_str(tg.terms[i]);
			f << "], \"value\": " << json_num(v.target_value[t])
			  << (tg.terms.empty() ? ""
			                       : pairs_json(v.target_pairs[t]))
			  << ", \"ok\": "
			  << (v.target_ok[t] < 0      ? "null"
			             : v.target_ok[t] ? "true"
			                              : "false")
			  << "}";
		}
		f << "]}";
		first = false;
	}
	f << "\n  ],\n  \"cases\": [";
	for (size_t i = 0; i < rep.order.size(); i++) {
		const std::string &k = rep.order[i];
		const Entry &e = rep.entries.at(k);
		f << (i ? "," : "") << "\n    {\"name\": " << json_str(k)
		  << ", \"clock\": " << (e.real_time ? "\"real\"" : "\"cpu\"");
		if (e.has_value()) {
			f << ", \"median_ns\": " << json_num(e.value())
			  << ", \"min_ns\": " << json_num(e.lo())
			  << ", \"max_ns\": " << json_num(e.hi())
			  << ", \"runs_ns\": [";
			for (size_t j = 0; j < e.runs_ns.size(); j++)
				f << (j ? ", " : "") << json_num(e.runs_ns[j]);
			f << "]";
		} else {
			f << ", \"error\": " << json_str(e.error);
		}
		f << "}";
	}
	f << "\n  ]\n}\n";
}

// Tab-separated: row, mipc, each peer, baseline; "NaN" where blank.
// Returns the number of rows written.
int
write_plot(const std::string &path, const TableReporter &rep)
{
	int n = 0;
	std::ofstream f(path);
	Footnotes fn;
	auto num = [](double v) {
		return std::isnan(v) ? std::string("NaN") : fmt("%.6g", v);
	};

	f << "row\tmipc";
	for (int p = 0; p < GB_NPEERS; p++)
		f << "\t" << peer_long[p];
	f << "\tbaseline\n";
	for (size_t ri = 0; ri < rows().size(); ri++) {
		const Row &r = rows()[ri];
		if (r.section)
			continue;
		Eval v = evaluate(rep, (int)ri, fn);
		bool any = false;
		for (int p = 0; p < GB_NPEERS; p++)
			any = any || !std::isnan(v.peer[p].ns);
		if (!any)
			continue; // the plot is mipc against its peers
		std::string label = r.title;
		if (r.mipc.empty())
			label += " (no mipc yet)";
		f << label << "\t" << num(v.mipc.ns);
		for (int p = 0; p < GB_NPEERS; p++)
			f << "\t" << num(v.peer[p].ns);
		// The row's own baseline when it is not one of its peers.
		bool own = !r.base.empty();
		for (int p = 0; own && p < GB_NPEERS; p++)
			own = !(r.base.size() == 1 && r.base[0] == r.peer[p]);
		f << "\t" << num(own ? v.base_ns : NAN) << "\n";
		n++;
	}
	return n;
}

/*
 * Draw the plot data with gnuplot and `script`, as SVG and PNG beside the
 * data file; gnuplot's own output goes to the log.  Returns what to say.
 */
std::string
draw_plot(const Options &o, int rows)
{
	std::string stem = o.plot, said;

	if (stem.size() > 4 && stem.compare(stem.size() - 4, 4, ".dat") == 0)
		stem.resize(stem.size() - 4);
	for (const std::string &p : { o.plot, o.gnuplot, o.log, stem })
		if (p.find('\'') != std::string::npos)
			return "not drawn (a path holds a quote)";
	if (std::system("command -v gnuplot >/dev/null 2>&1") != 0)
		return "not drawn: gnuplot is not installed (make deps-bench "
		       "installs it)";
	for (const char *term : { "svg", "png" }) {
		std::string out = stem + "." + term;
		std::string cmd = "gnuplot -e \"data='" + o.plot + "'; out='" +
		    out + "'; term='" + term +
		    "'; rows=" + std::to_string(rows) + "\" '" + o.gnuplot +
		    "'" +
		    (o.log.empty() ? std::string(" >/dev/null")
		                   : " >>'" + o.log + "'") +
		    " 2>&1";
		if (std::system(cmd.c_str()) != 0)
			return "gnuplot failed (its messages: " +
			    (o.log.empty() ? std::string("none kept") : o.log) +
			    ")";
		said += (said.empty() ? "" : ", ") + out;
	}
	return said;
}

// ---------------------------------------------------------------------
// Output streams and progress

// Writes to two stream buffers (the log and, verbose, stdout).
class TeeBuf : public std::streambuf
{
      public:
	TeeBuf(std::streambuf *a, std::streambuf *b) : a_(a), b_(b)
	{
	}

      protected:
	int overflow(int c) override
	{
		if (c == EOF)
			return 0;
		int r1 = a_->sputc((char)c), r2 = b_ ? b_->sputc((char)c) : c;
		return r1 == EOF || r2 == EOF ? EOF : c;
	}
	std::streamsize xsputn(const char *s, std::streamsize n) override
	{
		std::streamsize r = a_->sputn(s, n);
		if (b_ != nullptr)
			b_->sputn(s, n);
		return r;
	}
	int sync() override
	{
		int r = a_->pubsync();
		if (b_ != nullptr)
			b_->pubsync();
		return r;
	}

      private:
	std::streambuf *a_, *b_;
};

struct Progress {
	bool on = false;
	long runs = 0;
	std::chrono::steady_clock::time_point start, last;

	void tick(const char *name)
	{
		if (!on)
			return;
		runs++;
		auto now = std::chrono::steady_clock::now();
		if (runs > 1 && now - last < std::chrono::milliseconds(200))
			return;
		last = now;
		long secs =
		    (long)std::chrono::duration_cast<std::chrono::seconds>(
		        now - start)
		        .count();
		std::fprintf(stderr,
		    "\r\033[Kmake bench: %ld:%02ld, run %ld: %.60s", secs / 60,
		    secs % 60, runs, name);
		std::fflush(stderr);
	}

	void clear()
	{
		if (on)
			std::fprintf(stderr, "\r\033[K");
		std::fflush(stderr);
	}
};

Progress &
progress()
{
	static Progress p;
	return p;
}

// Take our --mipc_* flags out of argv.
Options
parse_ours(int *argc, char **argv)
{
	Options o;
	int j = 1;

	for (int i = 0; i < *argc; i++)
		o.argv_line += (i ? " " : "") + std::string(argv[i]);
	for (int i = 1; i < *argc; i++) {
		std::string a = argv[i];
		auto val = [&](const char *flag, std::string *out) {
			std::string f = std::string("--") + flag + "=";
			if (a.compare(0, f.size(), f) != 0)
				return false;
			*out = a.substr(f.size());
			return true;
		};
		if (val("mipc_log", &o.log) ||
		    val("mipc_summary", &o.summary) ||
		    val("mipc_plot", &o.plot) ||
		    val("mipc_gnuplot", &o.gnuplot))
			continue;
		if (a == "--mipc_verbose") {
			o.verbose = true;
			continue;
		}
		// Rounds replace Google Benchmark's repetitions (both names).
		std::string n;
		if (val("mipc_rounds", &n) ||
		    val("benchmark_repetitions", &n)) {
			o.rounds = std::max(1, std::atoi(n.c_str()));
			continue;
		}
		// Our own order (plan_rounds) replaces its shuffle.
		if (a.compare(
		        0, 38, "--benchmark_enable_random_interleaving") == 0)
			continue;
		argv[j++] = argv[i];
	}
	*argc = j;
	argv[j] = nullptr;
	return o;
}

// Register slot `id`'s run with Google Benchmark (one repetition).
void
register_slot(long id)
{
	static const benchmark::TimeUnit units[] = {
		benchmark::kNanosecond,
		benchmark::kMicrosecond,
		benchmark::kMillisecond,
	};
	const Reg &g = regs()[slots()[(size_t)id].reg];
	gb_fn fn = g.fn;
	void *arg = g.arg;
	std::string key = g.key;

	benchmark::internal::Benchmark *b = benchmark::RegisterBenchmark(
	    g.name.c_str(), [fn, arg, key, id](benchmark::State &st) {
		    if (st.thread_index() == 0) {
			    current_slot = id; // read after the run
			    progress().tick(key.c_str());
		    }
		    fn(reinterpret_cast<gb_state *>(&st), arg);
	    });
	if (g.has_arg)
		b->Arg(g.argv);
	if (g.o.threads > 0)
		b->Threads(g.o.threads);
	if (g.o.real_time)
		b->UseRealTime();
	b->Unit(g.o.unit >= GB_NS && g.o.unit <= GB_MS
	        ? units[g.o.unit]
	        : benchmark::kNanosecond);
}

/*
 * The run order: `rounds` rounds, each running every case at least once.
 * In a round, row by row: the row's group (its mipc case, its baseline's
 * cases and its targets' terms), mipc first in even rounds and last in
 * odd ones, then those of its peers the round has not run yet; then the
 * cases no row names.  A case in several rows' groups runs once per
 * group (alloc_free/jemalloc: three times a round), so that every ratio
 * is taken between runs side by side.
 */
void
plan_rounds(int rounds)
{
	std::map<std::string, size_t> idx;

	for (size_t i = 0; i < regs().size(); i++)
		idx.emplace(regs()[i].key, i);
	for (int rd = 0; rd < rounds; rd++) {
		std::vector<bool> ran(regs().size(), false);
		auto add = [&](const std::string &k, int row, bool again) {
			auto it = idx.find(k);
			if (it == idx.end() || (ran[it->second] && !again))
				return;
			ran[it->second] = true;
			slots().push_back(Slot{ it->second, rd, row });
		};
		for (size_t ri = 0; ri < rows().size(); ri++) {
			const Row &r = rows()[ri];
			if (r.section)
				continue;
			std::vector<std::string> group;
			auto join = [&](const std::string &k) {
				if (!k.empty() &&
				    std::find(group.begin(), group.end(), k) ==
				        group.end())
					group.push_back(k);
			};
			join(r.mipc);
			for (const std::string &k : r.base)
				join(k);
			for (const Target &t : r.targets)
				for (const std::string &k : t.terms)
					join(k);
			if (rd % 2)
				std::reverse(group.begin(), group.end());
			// A cross-core group: the line probe beside it.
			if (std::any_of(group.begin(), group.end(),
			        [](const std::string &k) {
				        return k.find("cross core)") !=
				            std::string::npos;
			        }))
				group.push_back(kProbe);
			for (const std::string &k : group)
				add(k, (int)ri, true);
			for (int p = 0; p < GB_NPEERS; p++)
				add(r.peer[p], (int)ri, false);
		}
		for (const Reg &g : regs())
			add(g.key, -1, false);
	}
	for (size_t i = 0; i < slots().size(); i++)
		register_slot((long)i);
}

} // namespace

extern "C" {

void
gb_register(const char *name, gb_fn fn, void *arg, const struct gb_opts *opts)
{
	struct gb_opts o = {};
	std::string thr;

	if (opts != nullptr)
		o = *opts;
	if (o.threads > 0)
		thr = "/threads:" + std::to_string(o.threads);
	// Kept until gb_main, which registers the runs in its order.
	for (int i = 0; i < std::max(o.nargs, 1) && i < GB_MAX_ARGS; i++) {
		Reg g{ name, name, fn, arg, o.nargs > 0, o.args[i], o };
		if (g.has_arg)
			g.key += "/" + std::to_string(g.argv);
		g.key += thr;
		registered().insert(g.key);
		regs().push_back(g);
	}
}

void
gb_row(const struct gb_row *row)
{
	Row r;

	r.id = str(row->id);
	r.title = str(row->title);
	r.mipc = str(row->mipc);
	r.why_not = str(row->why_not);
	r.meaning = str(row->meaning);
	r.base_what = str(row->base_what);
	for (int p = 0; p < GB_NPEERS; p++)
		r.peer[p] = str(row->peer[p]);
	for (int i = 0; i < GB_MAX_TERMS && row->base[i] != nullptr; i++)
		r.base.emplace_back(row->base[i]);
	for (int t = 0; t < GB_MAX_TARGETS; t++) {
		const struct gb_target *g = &row->target[t];
		Target x{ str(g->what), {}, g->limit, g->faster };

		if (g->limit <= 0)
			continue;
		for (int i = 0; i < GB_MAX_TERMS && g->terms[i] != nullptr; i++)
			x.terms.emplace_back(g->terms[i]);
		r.targets.push_back(x);
	}
	rows().push_back(r);
}

void
gb_section(const char *title)
{
	Row r;

	r.section = true;
	r.title = str(title);
	rows().push_back(r);
}

void
gb_note(const char *text)
{
	notes().emplace_back(str(text));
}

int
gb_main(int argc, char **argv)
{
	Options o = parse_ours(&argc, argv);
	std::ofstream log;
	std::unique_ptr<TeeBuf> tee;
	std::unique_ptr<std::ostream> raw;

	plan_rounds(o.rounds);
	benchmark::Initialize(&argc, argv);
	if (benchmark::ReportUnrecognizedArguments(argc, argv))
		return 1;

	bool tty = isatty(STDOUT_FILENO);
	TableReporter rep(tty && (o.log.empty() || o.verbose)
	        ? benchmark::ConsoleReporter::OO_ColorTabular
	        : benchmark::ConsoleReporter::OO_Tabular);
	if (!o.log.empty()) {
		// Append mode: gnuplot appends its messages at the end too.
		{
			std::ofstream truncate(o.log);
		}
		log.open(o.log, std::ios::app);
		if (!log) {
			std::fprintf(
			    stderr, "cannot write %s\n", o.log.c_str());
			return 1;
		}
		tee.reset(new TeeBuf(
		    log.rdbuf(), o.verbose ? std::cout.rdbuf() : nullptr));
		raw.reset(new std::ostream(tee.get()));
		rep.SetOutputStream(raw.get());
		rep.SetErrorStream(raw.get());
		progress().on = !o.verbose && isatty(STDERR_FILENO);
	}
	progress().start = std::chrono::steady_clock::now();

	rep.rounds = o.rounds;
	benchmark::RunSpecifiedBenchmarks(&rep);
	benchmark::Shutdown();
	progress().clear();

	for (const Row &r : rows()) {
		std::vector<std::string> names(r.peer, r.peer + GB_NPEERS);
		names.push_back(r.mipc);
		names.insert(names.end(), r.base.begin(), r.base.end());
		for (const Target &t : r.targets)
			names.insert(
			    names.end(), t.terms.begin(), t.terms.end());
		for (const std::string &n : names)
			if (!n.empty() && registered().count(n) == 0)
				std::cerr << "bench: row \"" << r.title
				          << "\" names no case \"" << n
				          << "\"\n";
	}
	if (!o.summary.empty())
		write_summary(o.summary, rep, o);
	int plotted = o.plot.empty() ? 0 : write_plot(o.plot, rep);
	if (raw)
		raw->flush(); // gnuplot appends to the log
	log.flush();
	if (plotted > 0 && !o.gnuplot.empty())
		o.drawn = draw_plot(o, plotted);
	if (raw)
		print_table(*raw, rep, o, false);
	if (!o.verbose || o.log.empty())
		print_table(std::cout, rep, o, tty);
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

void
gb_cs_counters(gb_state *st, long vol, long invol, long partner_vol,
    long partner_invol, uint64_t ops)
{
	double k = ops > 0 ? 1000.0 / (double)ops : 0;

	S(st)->counters["self_vcs/k"] = benchmark::Counter((double)vol * k);
	S(st)->counters["self_ivcs/k"] = benchmark::Counter((double)invol * k);
	S(st)->counters["partner_vcs/k"] =
	    benchmark::Counter((double)partner_vol * k);
	S(st)->counters["partner_ivcs/k"] =
	    benchmark::Counter((double)partner_invol * k);
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
