#!/usr/bin/env bash
# The cost of each layer of routemark's stack on the 203-route app, measured together in one
# run (issue 17, deliverable 4): the default app (metrics on) against the same app
#   metrics-off  without the default metrics (`App::metrics(false)`),
#   layer        with one pass-through global tower layer,
#   otel         exporting its spans over OTLP/HTTP to bench/e2e/otlp_sink.py,
#   guarded      every route with `breaker, concurrency = 1024`,
# and bare hyper; user-space instructions per request (instructions.py, callgrind), then
# req/s and CPU per request (run.py, ROUNDS interleaved rounds of DURATION seconds, with
# axum and actix-web too).
#
#   bash bench/e2e/layers.sh            # ROUNDS=5 DURATION=5 by default
#
# Each variant is a cargo feature of e2e-routemark (bench/e2e/routemark/Cargo.toml), built
# and copied to $CARGO_TARGET_DIR/variants/. Needs valgrind and wrk.
set -euo pipefail
cd "$(dirname "$0")"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$(cd ../.. && pwd)/target/bench-e2e}"
variants=(metrics-off layer otel guarded)
out="$CARGO_TARGET_DIR/variants"
mkdir -p "$out"
extra=""
for variant in "${variants[@]}"; do
  cargo build --release --quiet -p e2e-routemark --features "$variant"
  cp "$CARGO_TARGET_DIR/release/e2e-routemark" "$out/e2e-routemark-$variant"
  extra="$extra${extra:+,}$variant=$out/e2e-routemark-$variant"
done
# The default app is built last, by instructions.py and run.py (each app on its own, as
# these variants are: one build of the whole workspace would give them actix-web's features).

python3 otlp_sink.py 4318 &
sink=$!
trap 'kill $sink' EXIT
export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 OTEL_SERVICE_NAME=e2e-routemark

E2E_EXTRA="$extra" python3 instructions.py routemark "${variants[@]}" hyper
E2E_EXTRA="$extra" python3 run.py "${ROUNDS:-5}" "${DURATION:-5}"
