#!/usr/bin/env bash
# What CI runs (through .ci/run): install the test tools, then the README's test command and
# the tests of what the `audit` feature changes, lints and docs in both feature states,
# formatting, the memcheck run and the benchmark's quick mode.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TERM_COLOR=never
step() { echo; echo "=== $* ($(date -u +%H:%M:%S))"; }

step install
bash ci/install.sh

step "cargo test (README's test command)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cargo test 2>&1 | tee "$log"

step "cargo test --features audit (what the feature changes: the contract both ways, the record's tests, sockcat --trace)"
# About a minute, the build included; the whole suite with the feature takes 2¼ minutes, and
# the other binaries (reliability, soundness, namespaces, peers) record nothing.
cargo test --release --features audit --lib --test syscalls --test api --test sockcat
cargo test --release --features audit --doc

step clippy
cargo clippy --all-targets -- -D warnings
cargo clippy --all-targets --features audit -- -D warnings

step fmt
cargo fmt --check

step doc
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps
# The private items too: the internal docs link to each other, and a broken link there is as wrong.
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --document-private-items
RUSTDOCFLAGS=-Dwarnings cargo doc --no-deps --document-private-items --features audit

step "runtime dependencies"
deps=$(cargo tree -e normal --prefix none --format '{p}' | awk '{print $1}' | sort -u | tr '\n' ' ')
[ "$deps" = "chapel-socket libc " ] || { echo "runtime dependencies are [$deps]; only libc is allowed"; exit 1; }
echo "$deps"

step "memcheck (valgrind)"
bash ci/valgrind.sh

step "benchmark, quick mode (every workload runs; no timing is judged)"
bash ci/bench-quick.sh

step summary
# The test count of the README's test command, as the closing line. Under CI=true a test
# whose program is missing fails instead of being ignored: any "ignored" is on purpose.
awk '/^test result:/ {p += $4; f += $6; i += $8} END {print "tests: " p " passed, " f " failed, " i " ignored"}' "$log"
