#!/usr/bin/env bash
# User-space instructions per op of the C baseline (benches/c/baseline.c), a variant of it
# or several, counted by callgrind as scripts/callgrind_rr.sh counts the Rust implementations:
#     (instructions at OPS2 - instructions at OPS1) / (OPS2 - OPS1)
# so start-up and set-up cancel out; both threads, the baseline's own loop included, the
# kernel not counted. A measurement, not a test. The samples are not printed
# (CHAPEL_BASELINE_QUIET: a printf of a double per sample would count as the op's), as the
# Rust implementations' `--count` mode prints nothing.
#
# Usage: scripts/callgrind_c.sh [WORKLOAD [OPS1 OPS2 [VARIANT...]]]
#   defaults: tcp_rr_1 2000 12000, the floor only; a VARIANT of "-" is the floor, e.g.
#   scripts/callgrind_c.sh udp_batch_recv32 1280 6400 - kernel kernel,work=100
# The baseline is compiled as the bench compiles it (cc -O2 -pthread, $CC to change).
set -euo pipefail
cd "$(dirname "$0")/.."

workload=${1:-tcp_rr_1}
ops1=${2:-2000}
ops2=${3:-12000}
shift $(($# < 3 ? $# : 3))
variants=("$@")
[ ${#variants[@]} -gt 0 ] || variants=(-)

command -v valgrind >/dev/null || { echo "callgrind_c.sh: valgrind not found" >&2; exit 1; }
dir=${CALLGRIND_DIR:-$(mktemp -d /tmp/callgrind-c.XXXXXX)}
mkdir -p "$dir"
"${CC:-cc}" -O2 -pthread -o "$dir/baseline" benches/c/baseline.c

instructions() {
  local name=${1//[,=]/_}
  [ "$1" != - ] || name=floor
  local out="$dir/$name-$2.out" args=("$workload" "$2")
  [ "$1" = - ] || args+=("$1")
  CHAPEL_BASELINE_QUIET=1 valgrind --tool=callgrind --callgrind-out-file="$out" "$dir/baseline" "${args[@]}" 2>"$out.log" >/dev/null ||
    { echo "callgrind_c.sh: $workload $2 $1 failed; see $out.log" >&2; exit 1; }
  awk '/^(summary|totals):/ { print $2; exit }' "$out"
}

echo "# $workload, C baseline: user-space instructions per op (callgrind, ($ops2 ops - $ops1 ops) / $((ops2 - ops1)))"
printf '%-28s %14s %14s %10s\n' variant "Ir@$ops1" "Ir@$ops2" "Ir/op"
for v in "${variants[@]}"; do
  a=$(instructions "$v" "$ops1")
  b=$(instructions "$v" "$ops2")
  printf '%-28s %14d %14d %10.1f\n' "$v" "$a" "$b" "$(echo "($b - $a) / ($ops2 - $ops1)" | bc -l)"
done
echo "# callgrind output: $dir"
