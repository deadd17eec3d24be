#!/bin/sh
# Instructions per verification, counted by valgrind (stable on a loaded machine, unlike time):
# the difference between two runs of bench/micro.mjs that differ only by the number of measured
# verifications. Usage: bench/instructions.sh [sqlite|postgres] [extra]
set -e
engine=${1:-sqlite}
extra=${2:-400}
count() {
  MICRO_WARM=300 MICRO_NOOP_WARM=200 MICRO_NOOP=0 valgrind --tool=callgrind --callgrind-out-file=/dev/null \
    node --max-semi-space-size=16 "$(dirname "$0")/micro.mjs" "$engine" "$1" 2>&1 | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'
}
a=$(count 100)
b=$(count $((100 + extra)))
echo "$engine: $(( (b - a) / extra )) instructions per verification (runs: $a, $b)"
