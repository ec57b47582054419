#!/usr/bin/env bash
# Soak test: a release build of the `todos` example under a steady wrk load, resident memory
# sampled every 10 s. See README.md.
#
#   bench/soak/soak.sh [DURATION]      # DURATION in seconds, or with s/m/h; default 10m
#
# Environment: SOAK_ADDR (default 127.0.0.1:38917), SOAK_CONNECTIONS (default 16),
# SOAK_THREADS (default 1), SOAK_OUT (default target/soak/<timestamp>).
# Needs curl and wrk (`apt-get install -y wrk`).
set -euo pipefail
cd "$(dirname "$0")/../.."

duration_arg="${1:-10m}"
case "$duration_arg" in
  *h) seconds=$(( ${duration_arg%h} * 3600 )) ;;
  *m) seconds=$(( ${duration_arg%m} * 60 )) ;;
  *s) seconds=${duration_arg%s} ;;
  *) seconds=$duration_arg ;;
esac
addr="${SOAK_ADDR:-127.0.0.1:38917}"
connections="${SOAK_CONNECTIONS:-16}"
threads="${SOAK_THREADS:-1}"
out="${SOAK_OUT:-target/soak/$(date +%Y%m%d-%H%M%S)}"
mkdir -p "$out"
base="http://$addr"

for tool in curl wrk; do
  command -v "$tool" >/dev/null || { echo "soak: $tool not found (apt-get install -y $tool)" >&2; exit 2; }
done
if curl -s -o /dev/null --max-time 1 "$base/"; then
  echo "soak: something already listens on $addr; set SOAK_ADDR" >&2
  exit 2
fi

echo "== building the todos example (release)"
cargo build --release -p routemark-examples --bin todos
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
bin="$target_dir/release/todos"

echo "== starting $bin on $addr"
RUST_LOG="${RUST_LOG:-warn}" ROUTEMARK_ADDR="$addr" "$bin" >"$out/server.log" 2>&1 &
pid=$!
sampler=""
cleanup() {
  [ -n "$sampler" ] && kill "$sampler" 2>/dev/null || true
  kill "$pid" 2>/dev/null || true
}
trap cleanup EXIT

for _ in $(seq 1 100); do
  curl -s -o /dev/null --max-time 1 "$base/todos" && break
  kill -0 "$pid" 2>/dev/null || { echo "soak: the server exited; see $out/server.log" >&2; exit 1; }
  sleep 0.1
done

echo "== seeding"
for title in "buy milk" "write the soak test" "read HARDENING.md" "fuzz the router" "ship it"; do
  curl -sf -o /dev/null -X POST -H 'content-type: application/json' \
    --data "{\"title\":\"$title\"}" "$base/todos"
done
curl -sf -o /dev/null -X PATCH -H 'content-type: application/json' \
  --data '{"done":true}' "$base/todos/2"
curl -sf "$base/todos" >"$out/seeded.json"
echo "seeded: $(cat "$out/seeded.json")"

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status"; }
csv="$out/rss.csv"
echo "elapsed_s,rss_kib" >"$csv"
start=$(date +%s)
(
  while kill -0 "$pid" 2>/dev/null; do
    echo "$(( $(date +%s) - start )),$(rss_kib)" >>"$csv"
    sleep 10
  done
) &
sampler=$!

echo "== wrk: ${seconds}s, $threads thread(s), $connections connections"
wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 5s --latency \
  -s bench/soak/soak.lua "$base" | tee "$out/wrk.txt"

kill "$sampler" 2>/dev/null || true
wait "$sampler" 2>/dev/null || true
sampler=""
echo "$(( $(date +%s) - start )),$(rss_kib)" >>"$csv"

echo "== stopping the server (SIGTERM)"
kill -TERM "$pid"
status=0
wait "$pid" || status=$?
trap - EXIT

summary=$(grep '^SOAK ' "$out/wrk.txt")
field() { sed -n "s/.* $1=\([0-9]*\).*/\1/p" <<<" ${summary#SOAK }"; }
requests=$(field requests)
errors_socket=$(( $(field connect) + $(field read) + $(field write) + $(field timeout) ))
errors_status=$(field status)
samples=$(tail -n +2 "$csv")
first=$(head -n1 <<<"$samples")
last=$(tail -n1 <<<"$samples")
middle=$(awk -F, -v m=$(( seconds / 2 )) '{ d = $1 - m; if (d < 0) d = -d; if (best == "" || d < best) { best = d; line = $0 } } END { print line }' <<<"$samples")
kib() { echo "${1#*,} KiB (t=${1%%,*}s)"; }

echo
echo "== soak summary (${seconds}s, $connections connections; files in $out)"
echo "requests:        $requests ($(( requests / (seconds > 0 ? seconds : 1) ))/s)"
echo "non-2xx/3xx:     $errors_status"
echo "socket errors:   $errors_socket (connect/read/write/timeout)"
echo "RSS start:       $(kib "$first")"
echo "RSS middle:      $(kib "$middle")"
echo "RSS end:         $(kib "$last")"
echo "RSS max sampled: $(cut -d, -f2 <<<"$samples" | sort -n | tail -n1) KiB"
echo "server exit:     $status"
if [ "$errors_status" -ne 0 ] || [ "$errors_socket" -ne 0 ] || [ "$status" -ne 0 ]; then
  exit 1
fi
