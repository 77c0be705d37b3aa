# SPDX-License-Identifier: BSD-2-Clause
#
# plot.gp -- `make bench`'s picture: per row of the summary table, mipc
# against each peer measured in the same run, time per operation on a log
# scale.  One line per scenario, fastest to the left; mipc is the big red
# diamond (drawn last, a little transparent, so a peer under it shows),
# each peer its own marker, the row's own baseline (parts, jemalloc, ...
# when it is not one of its peers) an open black circle.
#
# Usage (gbench.cc runs it):
#   gnuplot -e "data='latest.dat'; out='latest.svg'; term='svg'; rows=13" \
#	plot.gp
# data: tab-separated, a header line, then: row, mipc, 7 peers, baseline
# (ns, NaN where blank), as gbench.cc's write_plot() writes it.

if (!exists("term")) term = "svg"
set datafile separator "\t"
set datafile missing "NaN"
if (!exists("rows")) {
	stats data using (1) nooutput
	rows = STATS_records - 1 # less the header line
}
height = 190 + 46 * rows

if (term eq "png") {
	set terminal pngcairo size 1200, height font "sans,11" background rgb "white"
} else {
	set terminal svg size 1200, height dynamic font "sans,12" background rgb "white"
}
set output out
set termoption noenhanced   # names hold underscores
set key autotitle columnheader # every plot skips the header line

set title "mipc against its peers: median time per operation (log scale; left is faster)"
set logscale x 10
set xrange [1:1e7]
set xlabel "time per operation, median of the repetitions"
set xtics ("1 ns" 1, "10 ns" 10, "100 ns" 100, "1 µs" 1e3, "10 µs" 1e4, \
	"100 µs" 1e5, "1 ms" 1e6, "10 ms" 1e7)
set mxtics 10
set yrange [rows - 0.5 : -0.5]
set ytics scale 0
set grid xtics mxtics lc rgb "#dddddd" lw 1, lc rgb "#f0f0f0" lw 1
set grid ytics lc rgb "#cccccc" lw 1 dt 3
set key bmargin center horizontal maxcols 5 Left reverse samplen 1 width -1 spacing 1.3
set border 3
set lmargin 36

# Peers: pipe, socketpair, eventfd, futex, ck_ring, ZeroMQ, nng.
array pt[7] = [5, 9, 11, 13, 7, 15, 4]
array lc[7] = ["#1f77b4", "#17becf", "#9467bd", "#8c564b", "#2ca02c", "#ff7f0e", "#e377c2"]

plot for [i = 1:7] data using (column(i + 2)):0 with points \
	pt pt[i] ps 1.6 lc rgb lc[i] title columnheader(i + 2), \
	data using 10:0 with points pt 6 ps 2.2 lw 2 lc rgb "black" \
	title "row's own baseline", \
	data using 2:0:ytic(1) with points pt 13 ps 3 lc rgb "#30d62728" \
	title "mipc"
