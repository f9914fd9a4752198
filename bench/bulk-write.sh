#!/usr/bin/env bash
# Bulk writes on PostgreSQL (issue 12): a wave's rows (device deployments, rollout rows, configured maps) and branch
# membership, ROWS rows per run, through binary COPY and through one prepared statement per row, alternating in one
# process on one database (PostgreSQL 15 started here, durable settings). Prints each run and the medians.
# Usage: flock /work/locks/bench.lock bench/bulk-write.sh [ROWS=200000] [RUNS=3]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
rows="${1:-200000}"; runs="${2:-3}"
[ -x "$pgbin/initdb" ] || { echo "$pgbin/initdb is missing (scripts/prerequisites.sh installs postgresql)" >&2; exit 1; }
dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null   # the bench alone: no CLI publish
machine_line
work="$(mktemp -d /tmp/gitfleet-bulk-XXXXXX)"
chmod 755 "$work"
cleanup() { stop_postgres; rm -rf "$work"; }
trap cleanup EXIT
start_postgres "$work/pg"
GITFLEET_STORE_PASSWORD="$pgpassword" dotnet "$bench_dll" bulk-write "postgres://gitfleet@127.0.0.1:$pgport/gitfleet" "$rows" "$runs"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
