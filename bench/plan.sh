#!/usr/bin/env bash
# Planning at scale (issue 2): a generated fleet of DEVICES devices (dynamic membership by type, site and stage,
# HOST_VARS host_vars files, overlays), planned for the production branch from a facts file.
# Prints wall time and peak RSS of `gitfleet plan`, median of RUNS runs. Targets: < 5 s, < 1 GiB at 200,000.
# Usage: bench/plan.sh [DEVICES=200000] [HOST_VARS=3000] [RUNS=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
devices="${1:-200000}"; host_vars="${2:-3000}"; runs="${3:-5}"
work="$root/bench/work/plan-$devices"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 INFLUXDB_HTTP_TOKEN=bench-token

dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
"$root/gitfleet" version >/dev/null   # builds the CLI if needed
if [ ! -d "$work/fleet/.git" ]; then
  rm -rf "$work"; mkdir -p "$work/fleet"
  dotnet "$root/bench/Gitfleet.Bench/bin/Release/net10.0/Gitfleet.Bench.dll" generate-fleet "$work/fleet" "$devices" "$host_vars"
  git -C "$work/fleet" init -q -b main
  git -C "$work/fleet" add -A
  git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qm "Generated fleet"
  git -C "$work/fleet" branch canary; git -C "$work/fleet" branch production
fi

echo "gitfleet plan --branch production: $devices devices, $host_vars host_vars files, $runs runs"
results=()
for i in $(seq "$runs"); do
  line=$(/usr/bin/time -f "%e %M" dotnet "$root/.gitfleet/bin/gitfleet.dll" plan --repo "$work/fleet" --branch production \
         --facts "$work/fleet-facts.json" --json 2>&1 >/dev/null | tail -n 1 || true)   # plan exits 2: changes planned
  results+=("$line")
  echo "  run $i: ${line% *} s wall, $(( ${line#* } / 1024 )) MiB peak RSS"
done
printf '%s\n' "${results[@]}" | sort -n | awk -v n="$runs" '{w[NR]=$1; r[NR]=$2} END {m=int((n+1)/2); printf "median: %.2f s wall, %d MiB peak RSS (targets: < 5 s, < 1024 MiB)\n", w[m], r[m]/1024}'
