#!/usr/bin/env bash
# Artifact download throughput from a separate `gitfleet server` process over HTTPS on loopback: whole downloads,
# downloads resumed at the middle with HTTP Range (the halves are checked against the file's SHA-256), and several
# at once; server CPU per GiB served. The artifact (default 256 MiB, incompressible, stored) is written once into
# bench/work/downloads and uploaded once (the upload rate is printed then).
# Usage: bench/downloads.sh [SIZE_MIB=256] [RUNS=5] [PARALLEL=4]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
size="${1:-256}"; runs="${2:-5}"; parallel="${3:-4}"
work="$root/bench/work/downloads"; port=18644

bench_build
trap stop_server EXIT
start_server "$work/data" "$port"
machine_line
echo "downloads: ${size} MiB artifact, $runs runs, $parallel parallel"
dotnet "$bench_dll" load downloads --server "https://127.0.0.1:$port" --ca "$work/data/tls/server.crt" --token "$bench_token" \
  --work "$work" --size-mib "$size" --runs "$runs" --parallel "$parallel" --server-pid "$server_pid" | grep -v '^result'
