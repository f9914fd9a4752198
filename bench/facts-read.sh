#!/usr/bin/env bash
# The facts reader alone (issue 13): reads the plan bench's facts file (bench/plan.sh DEVICES generates it) as
# `gitfleet plan` does, streamed from disk, on ONE core (taskset -c 0, DOTNET_PROCESSOR_COUNT=1) and on every core,
# keeping everything and keeping what a plan keeps; prints MB of JSON per second of wall time and per CPU second.
# Target: >= 500 MB per CPU second on one core.
# With BASELINE=path/to/an/older/Gitfleet.Bench.dll, each configuration also runs with that build (alternating).
# PROJECTION=plan (default: what a plan keeps), all (everything) or both.
# Usage: [BASELINE=DLL] [PROJECTION=plan] bench/facts-read.sh [DEVICES=200000] [RUNS=3]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
devices="${1:-200000}"; runs="${2:-3}"; projection="${PROJECTION:-plan}"; [ "$projection" = both ] && projection=""
facts="$root/bench/work/plan-v2-$devices/fleet-facts.json"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
[ -f "$facts" ] || { echo "no $facts: run bench/plan.sh $devices first (it generates the fleet and its facts)" >&2; exit 2; }
dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
bench="$root/bench/Gitfleet.Bench/bin/Release/net10.0/Gitfleet.Bench.dll"
echo "facts reader: $facts ($(( $(stat -c %s "$facts") / 1048576 )) MiB), $runs runs each; $(uptime)"
for cores in 1 all; do
  for build in ${BASELINE:+baseline} this; do
    dll="$bench"; [ "$build" = baseline ] && dll="$BASELINE"
    echo "== $build build, $cores core(s)"
    if [ "$cores" = 1 ]; then
      DOTNET_PROCESSOR_COUNT=1 taskset -c 0 dotnet "$dll" parse-facts "$facts" "$runs" $projection
    else
      dotnet "$dll" parse-facts "$facts" "$runs" $projection
    fi
  done
done
echo "end: $(uptime)"
