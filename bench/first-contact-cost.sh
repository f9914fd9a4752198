#!/usr/bin/env bash
# The store's share of a first-contact storm (issue 11), in one process without HTTP, TLS or signatures
# (Gitfleet.Bench first-contact-cost): every preauthorized device of bench/storm.sh's prepared database (run that
# first) looks up its identity and key, has its auth set accepted, is read back and writes its 17 new inventory
# attributes, CONCURRENCY devices at once. Prints devices/s and CPU per device (user+sys of the process; the group-commit
# writer thread's own beside it).
# Usage: [BASELINE=path/to/Gitfleet.Bench.dll] [ROUNDS=1] bench/first-contact-cost.sh [DEVICES=10000] [KEYS=ecdsa] [CONCURRENCY=64]
# With BASELINE (a Gitfleet.Bench.dll built from an older tree with this bench in it: it carries that tree's store),
# every round runs both builds, alternating (baseline first in odd rounds), each on a fresh copy of the same database.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-10000}"; keys="${2:-ecdsa}"; concurrency="${3:-64}"
dir="$root/bench/work/storm/$keys-$devices"
[ -f "$dir/prepared" ] || { echo "no prepared devices in $dir: run bench/storm.sh $devices $keys first" >&2; exit 1; }
dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
machine_line
for round in $(seq "${ROUNDS:-1}"); do
  for build in $(build_order "$round"); do
    dll="$bench_dll"; [ "$build" = baseline ] && dll="$BASELINE"
    run="$root/bench/work/first-contact-cost"
    rm -rf "$run"; mkdir -p "$run"; cp "$dir"/seed/gitfleet.db* "$run/"
    echo "== $build build, round $round (load average $(cut -d' ' -f1 /proc/loadavg))"
    dotnet "$dll" first-contact-cost "$dir/requests.txt" "$run/gitfleet.db" "$concurrency"
  done
done
