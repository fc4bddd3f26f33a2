# SPDX-License-Identifier: GPL-2.0-or-later
# Mpps (FNAT, established) and new connections per second against the
# connections in the table; data files written by bench/run.sh.
#   gnuplot -e "outdir='build/bench'" bench/plot.gp
set terminal pngcairo size 900,540 font ",11"
set output outdir."/bench.png"
set title "dplbd on one worker core (per CPU second)"
set logscale x 10
set format x "10^{%L}"
set xlabel "connections in the table"
set ylabel "Mpps"
set y2label "million new connections per second"
set yrange [0:*]
set y2range [0:*]
set ytics nomirror
set y2tics
set key bottom left box opaque
set grid
plot outdir."/fnat.dat" using 1:2 with linespoints lw 2 pt 7 title "FNAT established, Mpps", \
     outdir."/cps.dat" using 1:2 axes x1y2 with linespoints lw 2 pt 5 title "new connections/s (rr, 100 dests)"
