#!/usr/bin/env bash
# Device check-ins (POST v2 next, nothing to do) against a separate `gitfleet server` process, with N registered
# devices, by a closed-loop load generator on keep-alive TLS connections (bench/Gitfleet.Bench load checkins).
# Issue 3's target with 100,000 devices: >= 10,000 check-ins/s sustained, p99 < 50 ms, server RSS < 500 MB.
# Prints each run, then medians; then one run of inventory PUTs (a device call that writes) for comparison. Devices are registered once (preauthorize + signed auth request, rates printed)
# into bench/work/checkins; later runs reuse them.
# Usage: bench/checkins.sh [COUNTS="10000 100000"] [RUNS=3] [DURATION=20] [CONNECTIONS=64]
# STORES="sqlite postgres" runs the same on each store in turn (PostgreSQL 15 started here, in a temp dir, as the
# test harness starts it; its devices are registered anew), for a side-by-side comparison. Default: sqlite.
# SERVER_ENV="NAME=VALUE ..." starts the server with that environment (a runtime setting tried side by side).
# LAYOUT=shared (default: server and generator on both cores) | split (server on CPU 0, generator on CPU 1).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
counts="${1:-10000 100000}"; runs="${2:-3}"; duration="${3:-20}"; connections="${4:-64}"; layout="${LAYOUT:-shared}"
stores="${STORES:-sqlite}"; port=18643
server_cpus=""; generator=()
if [ "$layout" = split ]; then server_cpus=0; generator=(taskset -c 1); fi

bench_build
cleanup() { stop_server; stop_postgres; [ -n "${pgwork:-}" ] && rm -rf "$pgwork"; }
trap cleanup EXIT
machine_line
for store in $stores; do
work="$root/bench/work/checkins"; server_args=()
if [ "$store" = postgres ]; then
  # PostgreSQL 15 as the test harness starts it (durable settings), fresh on every run: the devices are registered again.
  [ -x "$pgbin/initdb" ] || { echo "$pgbin/initdb is missing (scripts/prerequisites.sh installs postgresql)" >&2; exit 1; }
  pgwork="$(mktemp -d /tmp/gitfleet-checkins-pg-XXXXXX)"; chmod 755 "$pgwork"
  start_postgres "$pgwork/pg"
  work="$pgwork"; export GITFLEET_STORE_PASSWORD="$pgpassword"
  server_args=(--store "postgres://gitfleet@127.0.0.1:$pgport/gitfleet")
elif [ "$store" != sqlite ]; then
  echo "STORES holds sqlite and/or postgres, not '$store'" >&2; exit 1
fi
read -r -a server_env <<<"${SERVER_ENV:-}"   # a runtime setting tried side by side (e.g. DOTNET_GCgen0size=0x4000000)
start_server "$work/data" "$port" "$server_cpus"
echo "store $store: check-ins: layout $layout, $connections connections, $runs runs of ${duration} s (after 8 s warm-up) per device count"
for n in $counts; do
  dotnet "$bench_dll" load register --server "https://127.0.0.1:$port" --ca "$work/data/tls/server.crt" --token "$bench_token" \
    --devices "$n" --tokens "$work/tokens.txt" --prefix bench --concurrency 32 | grep -v '^result'
  results=""
  for i in $(seq "$runs"); do
    out=$("${generator[@]}" dotnet "$bench_dll" load checkins --server "https://127.0.0.1:$port" --ca "$work/data/tls/server.crt" \
      --tokens "$work/tokens.txt" --devices "$n" --connections "$connections" --warmup 8 --duration "$duration" --server-pid "$server_pid")
    echo "  run $i: $(echo "$out" | head -n 1)"
    results+="$(echo "$out" | grep '^result')"$'\n'
  done
  printf '%s: median at %s devices: %s check-ins/s, p50 %s ms, p90 %s ms, p99 %s ms; CPU server %s / generator %s / machine %s cores; server RSS %s MiB (peak %s), %s µs server CPU per check-in\n' \
    "$store" "$n" "$(median_of rate <<<"$results")" "$(median_of p50 <<<"$results")" "$(median_of p90 <<<"$results")" "$(median_of p99 <<<"$results")" \
    "$(median_of server_cpu <<<"$results")" "$(median_of generator_cpu <<<"$results")" "$(median_of machine_cpu <<<"$results")" \
    "$(median_of rss_mib <<<"$results")" "$(median_of peak_mib <<<"$results")" "$(median_of server_us_per_request <<<"$results")"
  # For comparison, a device call that writes: the inventory PUT (17 attributes replaced in one transaction).
  out=$("${generator[@]}" dotnet "$bench_dll" load checkins --kind inventory --server "https://127.0.0.1:$port" --ca "$work/data/tls/server.crt" \
    --tokens "$work/tokens.txt" --devices "$n" --connections "$connections" --warmup 3 --duration 10 --server-pid "$server_pid")
  echo "  writes: $(echo "$out" | head -n 1)"
done
stop_server
done
echo "targets (issue 3, 100,000 devices): >= 10000 check-ins/s, p99 < 50 ms, RSS < 500 MiB; issue 12: PostgreSQL within 2x of SQLite"
