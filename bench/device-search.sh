#!/usr/bin/env bash
# The device list's store queries at scale (issue 16), without a server: the searches bench/dashboard.sh asks the
# device list for (and a few rarer ones), each followed by the page's branch and rollout-row reads, as Devices.razor
# does, timed in one process on a generated store (DEVICES devices, every one in production's rollout).
# Side by side: BEFORE_SRC=/path/to/another/checkout builds the same tool against that checkout's storage, generates
# the store with it (its schema), and times it first on a copy; then this checkout on another copy (its migrations run
# when it opens the copy, timed apart). Usage: [BEFORE_SRC=...] bench/device-search.sh [DEVICES=200000] [RUNS=50]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=bench/lib.sh
source "$root/bench/lib.sh"
devices="${1:-200000}"; runs="${2:-50}"
tool() { echo "$1/bench/Gitfleet.SearchBench/bin/Release/net10.0/Gitfleet.SearchBench.dll"; }
build() {
  [ -d "$1/bench/Gitfleet.SearchBench" ] || cp -r "$root/bench/Gitfleet.SearchBench" "$1/bench/"
  dotnet build "$1/bench/Gitfleet.SearchBench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
}
work="$root/bench/work/device-search-$devices"
mkdir -p "$work"
generator="$root"
if [ -n "${BEFORE_SRC:-}" ]; then generator="$BEFORE_SRC"; build "$BEFORE_SRC"; fi
build "$root"
if [ ! -f "$work/base.db" ]; then
  dotnet "$(tool "$generator")" generate "$work/base.db.tmp" "$devices"
  mv "$work/base.db.tmp" "$work/base.db"
fi
echo "device search: $devices devices; $(machine_line)"
if [ -n "${BEFORE_SRC:-}" ]; then
  echo "== before ($BEFORE_SRC)"
  rm -f "$work/before.db"*; cp "$work/base.db" "$work/before.db"
  dotnet "$(tool "$BEFORE_SRC")" search "$work/before.db" "$runs"
  echo "$(machine_line)"
fi
echo "== this checkout"
rm -f "$work/after.db"*; cp "$work/base.db" "$work/after.db"
dotnet "$(tool "$root")" search "$work/after.db" "$runs"
echo "$(machine_line)"
