#!/usr/bin/env bash
# Server-side reconcile at scale (issue 4): a generated fleet (bench/Gitfleet.Bench FleetGenerator) where every
# device subscribes to production and runs what the base commit renders for it, in the server's SQLite store.
# Per size and run, on a fresh copy of that store, in-process (engine side, no HTTP):
#   no-op:  one rollout-engine decision with nothing changed (observed-state read, comparison, rollout, status);
#   change: a commit bumping every device type's OS image: the git watcher fetches, validates, reads the facts,
#           plans and submits the target (plan), then one engine decision schedules every device (schedule).
# Prints each run and the medians. Targets: no-op < 2 s, change < 20 s at 200,000 devices.
# Usage: bench/reconcile.sh ["10000 100000 200000"] [RUNS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sizes="${1:-10000 100000 200000}"; runs="${2:-3}"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
export DOTNET_gcServer=0
bench="$bench_dll"
dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null

for devices in $sizes; do
  work="$root/bench/work/reconcile-$devices"
  prepare_generated_fleet "$work" "$devices"

  echo "reconcile: $devices devices, $runs runs"
  dotnet "$bench" reconcile "$work" "$(git -C "$work/fleet" rev-parse main)" "$(git -C "$work/fleet" rev-parse change)" "$runs"
  rm -rf "$work/data"
done
