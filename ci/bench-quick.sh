#!/usr/bin/env bash
# Checks that every benchmark workload runs for every implementation (a few ops each, seconds
# in all): the quick mode of benches/compare. Its numbers mean nothing; see BENCHMARKS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --bench compare -- --quick
