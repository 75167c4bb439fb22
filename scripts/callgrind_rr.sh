#!/usr/bin/env bash
# User-space instructions per op (default: one TCP 1-byte round trip, both ends) for each
# implementation, counted by callgrind: a measurement, not a test.
#
# Runs the compare bench's `--count IMPL WORKLOAD OPS` mode (one batch, nothing else) under
# `valgrind --tool=callgrind` at two op counts and prints
#     (instructions at OPS2 - instructions at OPS1) / (OPS2 - OPS1)
# so process start-up, thread start and socket set-up cancel out. What is left is everything
# user space does per op: both threads' calls into the implementation, the bench's own loop
# (the same for every implementation: a `Clock::tick`, which reads the clock once per op) and
# libc's syscall wrappers. The kernel is not counted.
#
# Usage: scripts/callgrind_rr.sh [WORKLOAD [OPS1 OPS2 [IMPL...]]]
#   defaults: tcp_rr_1 2000 12000 chapel-socket std::net socket2
#   any workload of the bench works, e.g. `unix_rr_1`, or `udp_batch_recv32 1280 6400` (the
#   op counts must be whole samples of the workload: 128 datagrams there).
# The callgrind output files are kept in $CALLGRIND_DIR (default: a new temp dir, printed), so
#   callgrind_annotate --inclusive=yes $CALLGRIND_DIR/chapel-socket-12000.out
# shows where the instructions go. The bench binary has symbols, no line info; with
# CALLGRIND_LINES=1 it is built with line tables (into target/callgrind-lines, so the normal
# build is untouched), and
#   callgrind_annotate --auto=yes $CALLGRIND_DIR/chapel-socket-12000.out
# attributes the instructions to lines of src/ (inlined code to the line it came from).
set -euo pipefail
cd "$(dirname "$0")/.."

workload=${1:-tcp_rr_1}
ops1=${2:-2000}
ops2=${3:-12000}
shift $(($# < 3 ? $# : 3))
impls=("$@")
[ ${#impls[@]} -gt 0 ] || impls=(chapel-socket std::net socket2)

command -v valgrind >/dev/null || { echo "callgrind_rr.sh: valgrind not found" >&2; exit 1; }

# The bench executable, from cargo's own answer.
if [ "${CALLGRIND_LINES:-0}" = 1 ]; then
  export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target/callgrind-lines} CARGO_PROFILE_BENCH_DEBUG=line-tables-only
fi
exe=$(cargo bench --bench compare --no-run --message-format=json 2>/dev/null |
  grep '"reason":"compiler-artifact"' | grep '"kind":\["bench"\]' |
  grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | tail -n 1)
[ -x "$exe" ] || { echo "callgrind_rr.sh: no bench executable" >&2; exit 1; }

dir=${CALLGRIND_DIR:-$(mktemp -d /tmp/callgrind-rr.XXXXXX)}
mkdir -p "$dir"

# Total instructions (Ir) of one run.
instructions() {
  local out="$dir/${1//:/}-$3.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$exe" --count "$1" "$2" "$3" 2>"$out.log" >/dev/null ||
    { echo "callgrind_rr.sh: $1 $2 $3 failed; see $out.log" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

echo "# $workload: user-space instructions per op (callgrind, ($ops2 ops - $ops1 ops) / $((ops2 - ops1)))"
echo "# $(valgrind --version), $exe"
printf '%-14s %14s %14s %10s\n' impl "Ir@$ops1" "Ir@$ops2" "Ir/op"
for imp in "${impls[@]}"; do
  a=$(instructions "$imp" "$workload" "$ops1")
  b=$(instructions "$imp" "$workload" "$ops2")
  printf '%-14s %14d %14d %10.1f\n' "$imp" "$a" "$b" "$(echo "($b - $a) / ($ops2 - $ops1)" | bc -l)"
done
echo "# callgrind output: $dir"
