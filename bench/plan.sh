#!/usr/bin/env bash
# Planning at scale (issues 2 and 13): a generated fleet of DEVICES devices as a user with a real fleet has it
# (bench/Gitfleet.Bench/Fleet: dynamic groups over device type, ring and site; group_vars at two depths; HOST_VARS
# host_vars files, 50 of 3,000 directories; overlays on labels merged from groups and hosts; a kiosk template that
# differs per site and a gateway template that reads the device id) and facts as the server's facts endpoint writes
# them (every attribute the 3.4 client and the device package report, reported and configured configuration:
# about 2 KB per device). `gitfleet plan --branch production --json` runs as its own process (Release, ReadyToRun).
# Prints each run's wall time, peak RSS and phases (GITFLEET_TIMINGS), the medians against the targets, and checks
# that the plan finds exactly what the generator planted (OS updates, configuration changes, in flight, unmanaged).
# Targets: <= 3 s and <= 600 MiB at 200,000 devices; <= 15 s and <= 2.5 GiB at 1,000,000.
# With BASELINE=path/to/an/older/gitfleet.dll, every run also plans with that build (alternating, so both see the
# same machine), and the outputs must be identical. With CANDIDATE=path/to/a/gitfleet.dll, that build plans instead of
# this checkout's `./gitfleet` build (e.g. CANDIDATE=.gitfleet/release/gitfleet.dll of scripts/publish-release.sh).
# Usage: [BASELINE=DLL] [CANDIDATE=DLL] bench/plan.sh [DEVICES=200000] [HOST_VARS=3000] [RUNS=5]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
devices="${1:-200000}"; host_vars="${2:-3000}"; runs="${3:-5}"
work="$root/bench/work/plan-v2-$devices"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 INFLUXDB_HTTP_TOKEN=bench-token GITFLEET_TIMINGS=1

dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
"$root/gitfleet" version >/dev/null   # builds the CLI if needed
if [ ! -d "$work/fleet/.git" ] || [ ! -f "$work/fleet-expected.json" ]; then
  rm -rf "$work"; mkdir -p "$work/fleet"
  dotnet "$root/bench/Gitfleet.Bench/bin/Release/net10.0/Gitfleet.Bench.dll" generate-fleet "$work/fleet" "$devices" "$host_vars"
  git -C "$work/fleet" init -q -b main
  git -C "$work/fleet" add -A
  git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qm "Generated fleet"
  git -C "$work/fleet" branch canary; git -C "$work/fleet" branch production
fi

case "$devices" in
  200000) targets="<= 3 s, <= 600 MiB"; max_wall=3; max_rss=600 ;;
  1000000) targets="<= 15 s, <= 2560 MiB"; max_wall=15; max_rss=2560 ;;
  *) targets="none at this size"; max_wall=""; max_rss="" ;;
esac
echo "gitfleet plan --branch production: $devices devices, $(find "$work/fleet/host_vars" -mindepth 1 -maxdepth 1 | wc -l) host_vars ($(find "$work/fleet/host_vars" -mindepth 1 -maxdepth 1 -type d | wc -l) directories), facts $(( $(stat -L -c %s "$work/fleet-facts.json") / 1048576 )) MiB, $runs runs${BASELINE:+, each also with the baseline $BASELINE}"

# plan_once DLL NAME: one run; appends "wall rss" to $work/NAME.results and prints the run.
plan_once() {
  /usr/bin/time -f "time %e %M %U %S" -o "$work/time.txt" dotnet "$1" plan --repo "$work/fleet" --branch production \
    --facts "$work/fleet-facts.json" --json >"$work/$2.json" 2>"$work/timings.txt" || true   # plan exits 2: changes planned
  read -r _ wall rss user sys < <(tail -n 1 "$work/time.txt")
  echo "$wall $rss" >>"$work/$2.results"
  phases=$(awk '/^timing:/ {name=$2; for (f=3; f<=NF-9; f++) name=name " " $f; printf "%s%s %.2f s (CPU %.2f)", sep, name, $(NF-8)/1000, $(NF-5)/1000; sep="; "}' "$work/timings.txt")
  echo "  run $i, $2: $wall s wall, $(awk -v u="$user" -v s="$sys" 'BEGIN {print u+s}') s CPU, $(( rss / 1024 )) MiB peak RSS ($phases)"
}

# check NAME: the plan must find what the generator planted.
check() {
  local summary expected
  summary=$(jq -cS '.summary | del(.has_changes)' "$work/$1.json")
  expected=$(jq -cS . "$work/fleet-expected.json")
  if [ "$summary" = "$expected" ]; then
    echo "result ($1): as planted ($(jq -r '.summary | "\(.subscribed) subscribed, \(.os_updates) OS updates, \(.configuration_updates) configuration updates, \(.in_flight) in flight, \(.unmanaged) unmanaged"' "$work/$1.json"))"
  else
    echo "result ($1): WRONG: the plan says $summary, the generator planted $expected"
    return 1
  fi
}

# report NAME: medians of NAME's runs against the targets.
report() {
  median() { cut -d' ' -f"$1" "$work/$2.results" | sort -n | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}'; }
  local wall rss verdict=""
  wall=$(median 1 "$1"); rss=$(( $(median 2 "$1") / 1024 ))
  if [ -n "$max_wall" ]; then
    verdict=$(awk -v w="$wall" -v r="$rss" -v mw="$max_wall" -v mr="$max_rss" 'BEGIN {print (w <= mw && r <= mr) ? ", met" : ", NOT met"}')
  fi
  echo "median ($1): $wall s wall, $rss MiB peak RSS (targets: $targets$verdict)"
}

rm -f "$work"/*.results
for i in $(seq "$runs"); do
  if [ -n "${BASELINE:-}" ]; then plan_once "$BASELINE" baseline; fi
  plan_once "${CANDIDATE:-$root/.gitfleet/bin/gitfleet.dll}" plan
done
status=0
check plan || status=1
if [ -n "${BASELINE:-}" ]; then
  check baseline || status=1
  if cmp -s "$work/plan.json" "$work/baseline.json"; then echo "output: identical to the baseline's"; else echo "output: DIFFERS from the baseline's (diff $work/baseline.json $work/plan.json)"; status=1; fi
  report baseline
fi
report plan
exit $status
