#!/usr/bin/env bash
# The dashboard at scale (issue 16): a server process holding DEVICES devices (the generated fleet of
# bench/reconcile.sh, converged on its base commit), with a rollout in progress (production moved to a commit that
# changes every device's OS image; no device checks in, so the rollout stays in progress). Then, through HTTPS:
#   pages: every dashboard page RUNS times one at a time: the server's own time (Server-Timing) and the client's, p50/p95;
#   live view: the server's CPU with no stages page open against STREAMS open event streams, over SECONDS each.
# Targets: every page p95 < 300 ms server-side at 200,000 devices; < 1% of a core per open browser.
# Usage: bench/dashboard.sh [DEVICES=200000] [RUNS=50] [STREAMS=50] [SECONDS=60]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
devices="${1:-200000}"; runs="${2:-50}"; streams="${3:-50}"; seconds="${4:-60}"
bench_build
work="$root/bench/work/reconcile-$devices"
prepare_generated_fleet "$work" "$devices"
base="$(git -C "$work/fleet" rev-parse main)"; change="$(git -C "$work/fleet" rev-parse change)"
echo "dashboard: $devices devices; $(machine_line)"
started=$(date +%s)
dotnet "$bench_dll" dashboard-base "$work" "$base"

data="$work/dashboard-data"
rm -rf "$data"; mkdir -p "$data"
cp "$work/base.db" "$data/gitfleet.db"
git -C "$work/fleet" branch -f production "$change"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap stop_server EXIT
GITFLEET_FLEET_REPO="$work/fleet" GITFLEET_FLEET_BRANCHES=production INFLUXDB_HTTP_TOKEN=bench-token start_server "$data" "$port"
echo "server pid $server_pid on port $port; waiting for the production rollout to be scheduled"
for _ in $(seq 600); do
  status=$(curl -s --cacert "$data/tls/server.crt" -H "Authorization: Bearer $bench_token" "https://127.0.0.1:$port/api/management/v1/gitfleet/branches/production" || true)
  if echo "$status" | grep -q '"phase":"progressing"' && echo "$status" | grep -q "\"sha\":\"$change\""; then
    break
  fi
  sleep 1
done
echo "$status" | grep -o '"devices":{[^}]*}' || { echo "the rollout did not start; see $data/server.log" >&2; exit 1; }
echo "ready after $(( $(date +%s) - started )) s; server RSS $(( $(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status") / 1024 )) MiB"
dotnet "$bench_dll" dashboard "https://127.0.0.1:$port" "$data/tls/server.crt" bench-password "$server_pid" "$runs" "$streams" "$seconds"
echo "server RSS after $(( $(awk '/VmRSS/ {print $2}' "/proc/$server_pid/status") / 1024 )) MiB; $(machine_line)"
