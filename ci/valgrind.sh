#!/usr/bin/env bash
# Memcheck run: the library's unit tests (which cover the sys layer, where all the unsafe code
# lives), the soundness test binary, and the modules of the other binaries that exercise the
# control-message and timeout code, each under
# `valgrind --error-exitcode=1 --leak-check=no`. Any invalid read or write, use of
# uninitialised memory or bad free fails the run. ci/valgrind.supp holds the reports that
# are valgrind's own misreadings (each entry says why; none at present).
#
# Self-contained: installs valgrind when it is missing, builds the test binaries with
# `cargo test --no-run --message-format=json` and takes their paths from cargo's answer.
# CARGO_TARGET_DIR is honoured. Usage: bash ci/valgrind.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v valgrind >/dev/null; then
  echo "ci/valgrind.sh: installing valgrind"
  sudo=""
  [ "$(id -u)" = 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq valgrind >/dev/null
fi

# Runs under memcheck: a cargo target name ("lib" is the unit-test binary), and after a colon
# the filter that picks one module of it (`unix::` runs the tests of tests/api/unix.rs).
runs=(lib soundness reliability:timeouts:: api:unix:: api:udp_msg::)
targets=()
for run in "${runs[@]}"; do
  t=${run%%:*}
  [[ " ${targets[*]} " == *" $t "* ]] || targets+=("$t")
done

build_args=(--no-run --message-format=json)
for t in "${targets[@]}"; do
  if [ "$t" = lib ]; then build_args+=(--lib); else build_args+=(--test "$t"); fi
done
json=$(cargo test "${build_args[@]}")

# The executable cargo built for target `$1` (of kind lib for the unit tests, test otherwise).
executable() {
  local kind=test
  [ "$1" = lib ] && kind=lib
  printf '%s\n' "$json" |
    grep '"reason":"compiler-artifact"' |
    grep "\"kind\":\[\"$kind\"\]" |
    grep "\"name\":\"$([ "$1" = lib ] && echo chapel_socket || echo "$1")\"" |
    grep -o '"executable":"[^"]*"' | cut -d'"' -f4 | sed -n 1p
}

# Fewer property-test cases: memcheck runs each case many times slower.
export PROPTEST_CASES=${PROPTEST_CASES:-128}
status=0
for run in "${runs[@]}"; do
  t=${run%%:*}
  filter=()
  [ "$run" = "$t" ] || filter=("${run#*:}")
  exe=$(executable "$t")
  [ -n "$exe" ] || { echo "ci/valgrind.sh: no test binary found for $t"; exit 1; }
  echo "=== memcheck: $run ($exe)"
  start=$(date +%s)
  # --fair-sched=yes: valgrind runs one thread at a time, and by default a thread busy in a
  # long computation (a test formatting a 1 MiB path) can hold it for seconds while another
  # test's wait has long ended, past the timing tests' generous bounds; fair scheduling
  # hands the CPU round in turn.
  if valgrind --quiet --fair-sched=yes --error-exitcode=1 --leak-check=no --suppressions=ci/valgrind.supp "$exe" --test-threads=2 -q "${filter[@]}"; then
    echo "=== memcheck: $run clean in $(($(date +%s) - start)) s"
  else
    echo "=== memcheck: $run FAILED"
    status=1
  fi
done
exit $status
