#!/usr/bin/env bash
# Where a storm request's CPU goes, native code included (OpenSSL, SQLite, the GC, the kernel's TCP): `perf record`
# on the server process during a first-contact and a restart storm of prepared devices (bench/storm.sh prepares
# them), JIT-compiled code named through the runtime's perf map. Prints the top symbols and the shares per library.
# Profiling is measuring: run it under the bench lock. Usage: [SERVER=DLL] [SERVER_ENV=...] [REGISTERED=1] [SKIP=1]
# bench/storm-profile.sh [N=10000] [KEYS=ecdsa] [SECONDS=8]
# REGISTERED=1 profiles only the restart storm of the devices bench/storm.sh registered (KEYS-N/registered), from a
# copy of them; SKIP=15 starts recording 15 s after the storm began (a long storm's steady state, past the JIT's warm-up).
# Methods still running their ReadyToRun code (not yet re-compiled by the tiered JIT) show as their DLL, unnamed;
# the hot ones are re-compiled within the first seconds and named. Shares, not absolute times, are what this shows.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
n="${1:-10000}"; k="${2:-ecdsa}"; seconds="${3:-8}"
dir="$root/bench/work/storm/$k-$n"
out="$root/bench/work/storm-profile"
[ -f "$dir/prepared" ] || { echo "no prepared devices in $dir: run bench/storm.sh $n $k first" >&2; exit 1; }
if [ -n "${SERVER:-}" ]; then server_dll="$SERVER"; else bench_build; fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap stop_server EXIT
storms="first-contact restart"
mkdir -p "$out"; rm -rf "$dir/data"
if [ -n "${REGISTERED:-}" ]; then
  [ -d "$dir/registered" ] || { echo "no registered devices in $dir: run REGISTERED=direct bench/storm.sh $n $k first" >&2; exit 1; }
  cp -a "$dir/registered" "$dir/data"; storms=restart
else
  mkdir -p "$dir/data"; cp "$dir"/seed/gitfleet.db* "$dir/data/"
fi
machine_line
for storm in $storms; do
  [ "$storm" = restart ] && stop_server
  since=$(date +%s%3N)
  server_env=(DOTNET_PerfMapEnabled=1 ${SERVER_ENV:-}); start_server "$dir/data" "$port"
  dotnet "$bench_dll" load storm --server "https://127.0.0.1:$port" --ca "$dir/data/tls/server.crt" --requests "$dir/requests.txt" \
    --connections 64 --handshakes false --server-pid "$server_pid" --since-ms "$since" | grep -v '^result' >"$out/$storm.storm.txt" &
  storm_pid=$!
  profiled="${profiled:-} $server_pid"
  sleep "${SKIP:-1}"
  perf record -F 499 -g -p "$server_pid" -o "$out/$storm.perf.data" -- sleep "$seconds" 2>/dev/null
  wait "$storm_pid" || true
  echo "== $storm (load average $(cut -d' ' -f1 /proc/loadavg))"; cat "$out/$storm.storm.txt"
  # (head ends the pipe early: not a failure)
  perf report -i "$out/$storm.perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15 || true
  perf report -i "$out/$storm.perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -60 >"$out/$storm.symbols.txt" || true
  perf report -i "$out/$storm.perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -120 >"$out/$storm.inclusive.txt" || true
  # The samples' stacks with the jitted frames named (the perf map is removed below), for inclusive shares per frame.
  perf script -i "$out/$storm.perf.data" -F tid,ip,sym,dso 2>/dev/null >"$out/$storm.stacks.txt" || true
done
stop_server
for pid in $profiled; do rm -f "/tmp/perf-$pid.map" "/tmp/perfinfo-$pid.map"; done
echo "symbols: $out/*.symbols.txt (self), $out/*.inclusive.txt (with callees)"
