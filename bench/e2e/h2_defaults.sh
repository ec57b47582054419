#!/usr/bin/env bash
# What routemark's HTTP/2 defaults cost (issue 17): the default app against the same app
#   metrics-off  without the default metrics (`App::metrics(false)`),
#   no-h2-ping   without the keep-alive PING (`ServerConfig::http2_keep_alive_interval(None)`),
#   bare         without either,
# and bare hyper with and without the PING, axum; instructions per h2c request
# (instructions.py with E2E_H2=1, callgrind), then req/s and CPU per request (h2.py, ROUNDS
# interleaved rounds of DURATION seconds).
#
#   bash bench/e2e/h2_defaults.sh       # ROUNDS=5 DURATION=5 by default
#
# Each variant is a cargo feature of e2e-routemark (bench/e2e/routemark/Cargo.toml), built on
# its own and copied to $CARGO_TARGET_DIR/variants/. Needs valgrind and h2load.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd ../.. && pwd)/target/bench-e2e}"
variants=(metrics-off no-h2-ping bare)
out="$CARGO_TARGET_DIR/variants"
mkdir -p "$out"
extra=""
for variant in "${variants[@]}"; do
  cargo build --release --quiet -p e2e-routemark --features "$variant"
  cp "$CARGO_TARGET_DIR/release/e2e-routemark" "$out/e2e-routemark-$variant"
  extra="$extra${extra:+,}$variant=$out/e2e-routemark-$variant"
done
# The default app is built by instructions.py and h2.py (each app on its own).
E2E_H2=1 E2E_EXTRA="$extra" python3 instructions.py routemark "${variants[@]}" hyper hyper+keepalive axum
E2E_EXTRA="$extra" python3 h2.py "${ROUNDS:-5}" "${DURATION:-5}"
