#!/usr/bin/env bash
# Sizes behind the README's footprint table: sockcat and the two minimal connect-and-send
# programs built with the `min` profile, beside the installed nc and socat.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --quiet --profile min --bin sockcat --example min_connect_chapel --example min_connect_std
ls -l target/min/sockcat target/min/examples/min_connect_chapel target/min/examples/min_connect_std
for tool in nc socat; do
  if command -v "$tool" >/dev/null; then ls -l "$(readlink -f "$(command -v "$tool")")"; fi
done
