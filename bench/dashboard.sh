#!/usr/bin/env bash
# The dashboard at scale (issue 16): a server process holding DEVICES devices (the generated fleet of
# bench/reconcile.sh, converged on its base commit), with a rollout in progress (production moved to a commit that
# changes every device's OS image; no device checks in, so the rollout stays in progress). Then, through HTTPS:
#   pages: every dashboard page RUNS times one at a time: the server's own time (Server-Timing) and the client's, p50/p95;
#   live view: the server's CPU with no stages page open against STREAMS open event streams, over SECONDS each.
# Targets: every page p95 < 300 ms server-side at 200,000 devices; < 1% of a core per open browser.
# Side by side: BEFORE_DLL=/path/to/an/earlier/gitfleet.dll measures that build's pages first, on a fresh copy of the
# same store, then this checkout's (the device list's deep page is page=2000 there, after=ID here: keyset paging).
# Usage: [BEFORE_DLL=...] bench/dashboard.sh [DEVICES=200000] [RUNS=50] [STREAMS=50] [SECONDS=60]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
devices="${1:-200000}"; runs="${2:-50}"; streams="${3:-50}"; seconds="${4:-60}"
bench_build
work="$root/bench/work/reconcile-v2-$devices"
prepare_generated_fleet "$work" "$devices"
base="$(git -C "$work/fleet" rev-parse main)"; change="$(git -C "$work/fleet" rev-parse change)"
echo "dashboard: $devices devices; $(machine_line)"
started=$(date +%s)
dotnet "$bench_dll" dashboard-base "$work" "$base"

git -C "$work/fleet" branch -f production "$change"
trap stop_server EXIT

# measure LABEL DLL DEEP STREAMS: a server of that build on a fresh copy of the base store, its rollout scheduled, then the pages.
measure() {
  local label="$1" deep="$3" streams_now="$4"
  server_dll="$2"
  data="$work/dashboard-data"
  rm -rf "$data"; mkdir -p "$data"
  cp "$work/base.db" "$data/gitfleet.db"
  local port status=""
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # A loaded shared machine can take more than the default 2 minutes to plan 200,000 devices: not what is measured here.
  GITFLEET_FLEET_REVISION_TIMEOUT=30m GITFLEET_FLEET_REPO="$work/fleet" GITFLEET_FLEET_BRANCHES=production INFLUXDB_HTTP_TOKEN=bench-token start_server "$data" "$port"
  echo "== $label: server pid $server_pid on port $port; waiting for the production rollout to be scheduled"
  for _ in $(seq 600); do
    status=$(curl -s --cacert "$data/tls/server.crt" -H "Authorization: Bearer $bench_token" "https://127.0.0.1:$port/api/management/v1/gitfleet/branches/production" || true)
    if echo "$status" | grep -q '"phase":"progressing"' && echo "$status" | grep -q "\"sha\":\"$change\""; then
      break
    fi
    sleep 1
  done
  echo "$status" | grep -o '"devices":{[^}]*}' || { echo "the rollout did not start; see $data/server.log" >&2; exit 1; }
  echo "ready after $(( $(date +%s) - started )) s; server RSS $(( $(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status") / 1024 )) MiB"
  if [ "$deep" = keyset ]; then
    # The id half-way through production's members (read once from the store, outside the measurement).
    deep="after=$(python3 -c 'import sqlite3, sys; print(sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True).execute("SELECT device_id FROM branch_members WHERE branch = ? ORDER BY device_id LIMIT 1 OFFSET ?", ("production", int(sys.argv[2]) // 2)).fetchone()[0])' "$data/gitfleet.db" "$devices")"
  fi
  dotnet "$bench_dll" dashboard "https://127.0.0.1:$port" "$data/tls/server.crt" bench-password "$server_pid" "$runs" "$streams_now" "$seconds" "$deep"
  echo "server RSS after $(( $(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status") / 1024 )) MiB; $(machine_line)"
  stop_server
  started=$(date +%s)
}

if [ -n "${BEFORE_DLL:-}" ]; then
  measure "before ($BEFORE_DLL)" "$BEFORE_DLL" "page=2000" 0
fi
measure "this checkout" "$root/.gitfleet/bin/gitfleet.dll" keyset "$streams"
