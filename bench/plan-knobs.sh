#!/usr/bin/env bash
# Runtime knobs for a one-shot `gitfleet plan` (issue 13): plans the fleet of `bench/plan.sh` (which must have generated
# it: bench/work/plan-v2-DEVICES) once per configuration per round, alternating, so every configuration sees the same
# machine, and prints each run's wall time, CPU (user + sys, git children included), peak RSS and the medians.
# A configuration is NAME=ENV, ENV being space-separated VAR=VALUE pairs (empty for none) and optionally DLL=path to
# plan with another build (default: this checkout's .gitfleet/bin/gitfleet.dll). Every output must be identical to
# the first configuration's.
# Usage: bench/plan-knobs.sh DEVICES RUNS 'default=' 'nopgo=DOTNET_TieredPGO=0' 'main=DLL=/x/gitfleet.dll' ...
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
devices="$1"; runs="$2"; shift 2
work="$root/bench/work/plan-v2-$devices"
[ -f "$work/fleet-facts.json" ] || { echo "no fleet in $work: run bench/plan.sh $devices first" >&2; exit 1; }
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 INFLUXDB_HTTP_TOKEN=bench-token
"$root/gitfleet" version >/dev/null   # builds the CLI if needed
out="$work/knobs"; rm -rf "$out"; mkdir -p "$out"
echo "gitfleet plan --branch production --json: $devices devices, $runs rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
  for config in "$@"; do
    name="${config%%=*}"; settings="${config#*=}"; dll="$root/.gitfleet/bin/gitfleet.dll"; vars=()
    for kv in $settings; do
      case "$kv" in DLL=*) dll="${kv#DLL=}" ;; *) vars+=("$kv") ;; esac
    done
    env "${vars[@]}" /usr/bin/time -f "%e %M %U %S" -o "$out/time.txt" dotnet "$dll" plan --repo "$work/fleet" \
      --branch production --facts "$work/fleet-facts.json" --json >"$out/$name.json" 2>"$out/$name.err" || true   # exit 2: changes planned
    read -r wall rss user sys < <(tail -n 1 "$out/time.txt")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN {printf "%.2f", u+s}')
    echo "$wall $cpu $(( rss / 1024 ))" >>"$out/$name.results"
    echo "  round $i, $name: $wall s wall, $cpu s CPU, $(( rss / 1024 )) MiB"
  done
done
first="${1%%=*}"; status=0
for config in "$@"; do
  name="${config%%=*}"
  med() { cut -d' ' -f"$1" "$out/$name.results" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
  same="identical"; cmp -s "$out/$first.json" "$out/$name.json" || { same="DIFFERS from $first's"; status=1; }
  echo "median $name: $(med 1) s wall, $(med 2) s CPU, $(med 3) MiB (output $same)"
done
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
