#!/usr/bin/env bash
# The simulator's own cost (bench/Gitfleet.Bench load simulate, the library in-process): N simulated devices (the
# identities registered by checkins.sh, registered here if missing) start against a separate server process, then
# poll every POLL seconds. Prints the start rate, the steady check-in rate and latency, CPU per check-in of
# simulator and server, and the simulator's memory per device.
# Usage: bench/simulator.sh [DEVICES=20000] [POLL=2] [DURATION=30]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-20000}"; poll="${2:-2}"; duration="${3:-30}"
work="$root/bench/work/checkins"; port=18645

bench_build
trap stop_server EXIT
start_server "$work/data" "$port"
machine_line
dotnet "$bench_dll" load register --server "https://127.0.0.1:$port" --ca "$work/data/tls/server.crt" --token "$bench_token" \
  --devices "$devices" --tokens "$work/tokens.txt" --prefix bench --concurrency 32 | grep -v '^result'
dotnet "$bench_dll" load simulate --server "https://127.0.0.1:$port" --ca "$work/data/tls/server.crt" --devices "$devices" --prefix bench \
  --poll "$poll" --ramp 10 --duration "$duration" --server-pid "$server_pid" | grep -v '^result'
