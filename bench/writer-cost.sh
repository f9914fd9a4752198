#!/usr/bin/env bash
# The group-commit writer's cost per write as a rollout wave pays it (issue 15), in one process without HTTP
# (Gitfleet.Bench writer-cost): N devices with a pending deployment each report downloading, installing, rebooting,
# PUT the inventory of the new image and report success, CONCURRENCY devices at once, for SECONDS. Prints writes/s,
# CPU per write (user+sys of the process), read syscalls per write (SQLite page-cache misses) and RSS.
# Usage: [BASELINE=path/to/Gitfleet.Bench.dll] [ROUNDS=1] bench/writer-cost.sh [DEVICES=100000] [SECONDS=30] [CONCURRENCY=256]
# With BASELINE (a Gitfleet.Bench.dll built from an older tree, e.g. main: it carries that tree's store), every round
# runs both builds, alternating (baseline first in odd rounds), each on a fresh copy of the same prepared database.
# The prepared database is kept in bench/work/writer-cost/N (preparing measures nothing: it may run outside the bench lock).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-100000}"; seconds="${2:-30}"; concurrency="${3:-256}"
work="$root/bench/work/writer-cost/$devices"
dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
if [ ! -f "$work/prepared" ]; then
  rm -rf "$work"; mkdir -p "$work/seed"
  dotnet "$bench_dll" writer-cost-prepare "$work/seed/gitfleet.db" "$devices"
  touch "$work/prepared"
fi
machine_line
for round in $(seq "${ROUNDS:-1}"); do
  for build in $(build_order "$round"); do
    dll="$bench_dll"; [ "$build" = baseline ] && dll="$BASELINE"
    rm -rf "$work/run"; mkdir -p "$work/run"; cp "$work"/seed/gitfleet.db* "$work/run/"
    echo "== $build build, round $round (load average $(cut -d' ' -f1 /proc/loadavg))"
    dotnet "$dll" writer-cost "$work/run/gitfleet.db" "$seconds" "$concurrency"
  done
done
rm -rf "$work/run"
