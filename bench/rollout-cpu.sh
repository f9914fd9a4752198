#!/usr/bin/env bash
# The server's CPU under a rollout's per-second load, cheaply (issue 11: "the server under 0.5 of a core"): the
# 100,000-device scale run at 30 s polling makes ~3,333 check-ins/s; DEVICES at POLL seconds make the same rate with
# fewer devices (20,000 at 6 s). Same processes and fleet as bench/rollout.sh (real `gitfleet server` watching a
# fleet repository, `gitfleet simulate` with the same faults, waves 1%, 10%, 50%, 100%, soak 30 s). After
# registration it measures the server's CPU (user+sys from /proc/PID/stat) and its check-ins (gitfleet_checkins_total)
# over a steady IDLE_S seconds with nothing to deploy, then commits new images and measures the first WAVE_S seconds
# of the rollout (device requests from gitfleet_request_duration_seconds_count{api="device"}). Prints cores, CPU per
# check-in and per device-second for each window, and the bytes the server wrote to its files (write_bytes of
# /proc/PID/io: the write-ahead log and the database). BASELINE=<another build's gitfleet.dll> alternates that build with
# this tree's, ROUNDS times, on identical runs. PROFILE="idle wave" (either or both) records `perf record -F 499 -g` of this tree's
# server over that window (bench/work/rollout-cpu/*.perf.data). THIS_ENV / BASELINE_ENV ("NAME=VALUE ...") start that
# build's server with more environment (a runtime setting tried side by side: BASELINE=this tree's own DLL). WAVE_S=0
# stops after the idle window. Measuring: run it under the bench lock.
# Usage: [BASELINE=DLL] [ROUNDS=1] [PROFILE=] [THIS_ENV=] [BASELINE_ENV=] bench/rollout-cpu.sh [DEVICES=20000] [POLL=6] [IDLE_S=60] [WAVE_S=180]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-20000}"; poll="${2:-6}"; idle_s="${3:-60}"; wave_s="${4:-180}"
rounds="${ROUNDS:-1}"; profile="${PROFILE:-}"
types=(pi4-v3-arm64 pi3-arm64 iot-gate-imx8-arm64 var-som-mx8m-nano-arm64-v2 pi2-armhf)
out="$root/bench/work/rollout-cpu"
command -v mender-artifact >/dev/null || { echo "mender-artifact is missing (scripts/prerequisites.sh installs it)" >&2; exit 1; }
nice -n 19 "$root/gitfleet" version >/dev/null   # publishes the CLI (and server) when a source changed
this_dll="$server_dll"
machine_line

# The images are made once and shared by every run.
mkdir -p "$out/artifacts"
for t in "${types[@]}"; do
  [ -f "$out/artifacts/$t-2026-12.mender" ] && continue
  head -c 262144 /dev/urandom >"$out/artifacts/rootfs-$t.img"
  mender-artifact write rootfs-image -t "$t" -n "$t-2026-12" -f "$out/artifacts/rootfs-$t.img" -o "$out/artifacts/$t-2026-12.mender" >/dev/null 2>&1
done

sim_pid=""
stop_simulator() {
  if [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$sim_pid" 2>/dev/null || true
  fi
  sim_pid=""
}
cleanup() { stop_simulator; stop_server; }
trap cleanup EXIT

# metric NAME_AND_LABELS: a counter's value on the server's /metrics (0 when absent).
metric() {
  curl -s --cacert "$cert" "$url/metrics" | awk -v m="$1" 'index($0, m" ") == 1 { v = $2 } END { printf "%.0f", v + 0 }'
}
checkins() { echo $(( $(metric 'gitfleet_checkins_total{outcome="nothing"}') + $(metric 'gitfleet_checkins_total{outcome="offered"}') )); }
device_requests() { metric 'gitfleet_request_duration_seconds_count{api="device"}'; }
written() { awk '/^write_bytes/ {print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }   # bytes the process wrote to files (WAL, database)
store_writes() { metric 'gitfleet_store_write_duration_seconds_count{store="sqlite"}'; }

# window LABEL SECONDS: the server's CPU, check-ins and device requests over SECONDS; one "result" line.
window() {
  local label="$1" seconds="$2" c0 k0 r0 w0 b0 t0 c1 k1 r1 w1 b1 t1 perf_pid=""
  c0=$(cpu_s "$server_pid"); k0=$(checkins); r0=$(device_requests); w0=$(store_writes); b0=$(written "$server_pid"); t0=$(date +%s.%N)
  if [[ " $profile " == *" $label "* ]] && [ "$build" = this ]; then
    nice -n 19 perf record -F 499 -g -p "$server_pid" -o "$out/$label.perf.data" -- sleep "$seconds" 2>/dev/null &
    perf_pid=$!
  fi
  sleep "$seconds"
  [ -n "$perf_pid" ] && wait "$perf_pid"
  c1=$(cpu_s "$server_pid"); k1=$(checkins); r1=$(device_requests); w1=$(store_writes); b1=$(written "$server_pid"); t1=$(date +%s.%N)
  python3 - "$build" "$label" "$c0" "$c1" "$k0" "$k1" "$r0" "$r1" "$w0" "$w1" "$b0" "$b1" "$t0" "$t1" "$devices" "$(cut -d' ' -f1 /proc/loadavg)" <<'PY'
import sys
build, label, c0, c1, k0, k1, r0, r1, w0, w1, b0, b1, t0, t1, n, load = sys.argv[1:]
cpu, k, r, w, wall = float(c1) - float(c0), int(k1) - int(k0), int(r1) - int(r0), int(w1) - int(w0), float(t1) - float(t0)
print(f"result build={build} window={label} wall_s={wall:.1f} cpu_s={cpu:.1f} cores={cpu / wall:.3f} "
      f"checkins_per_s={k / wall:.0f} device_requests_per_s={r / wall:.0f} store_writes_per_s={w / wall:.0f} "
      f"disk_write_mib_per_s={(int(b1) - int(b0)) / wall / 1048576:.2f} "
      f"us_per_checkin={1e6 * cpu / max(k, 1):.0f} us_per_device_request={1e6 * cpu / max(r, 1):.0f} "
      f"us_per_device_second={1e6 * cpu / (int(n) * wall):.2f} load={load}")
PY
}

# one_run BUILD DLL: a fresh fleet, server and simulator; registration, the idle window, the commit, the wave window.
one_run() {
  build="$1"; server_dll="$2"
  local work="$out/$build" port
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  url="https://127.0.0.1:$port"
  rm -rf "$work"
  rollout_fleet "$work/fleet" "${types[@]}"
  server_args=(--fleet-repo "$work/fleet" --fleet-branches production --fleet-poll-interval 5s)
  server_env=(GITFLEET_BENCH_BUILD="$build")
  # Profiled: JIT-compiled code named through the perf map, in plain memory (W^X off) where perf finds it.
  [ -n "$profile" ] && [ "$build" = this ] && server_env+=(DOTNET_PerfMapEnabled=1 DOTNET_EnableWriteXorExecute=0)
  if [ "$build" = this ]; then server_env+=(${THIS_ENV:-}); else server_env+=(${BASELINE_ENV:-}); fi
  start_server "$work/data" "$port"
  cert="$work/data/tls/server.crt"
  for t in "${types[@]}"; do
    curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" -F "size=$(stat -c %s "$out/artifacts/$t-2026-12.mender")" \
      -F "artifact=@$out/artifacts/$t-2026-12.mender" "$url/api/management/v1/deployments/artifacts" >/dev/null
  done
  local offline_rate
  offline_rate=$(python3 -c "print(round(0.01 * $poll / 300, 6))")
  GITFLEET_TOKEN="$bench_token" dotnet "$this_dll" simulate --server "$url" --ca-cert "$cert" \
    --devices "$devices" --poll-interval "$poll" --retry-interval "$poll" --inventory-interval 1h --install-time 10 --reboot-time 20 \
    --failure-rate 0.005 --offline-rate "$offline_rate" --offline-for 2m-8m --preauthorize-with-token env:GITFLEET_TOKEN \
    --identity-prefix "rcpu$devices" --summary-interval 30 >"$work/simulate.log" 2>&1 &
  sim_pid=$!
  local start=$SECONDS total=0 converged=0 json
  while true; do
    json=$(curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" "$url/api/management/v1/gitfleet/branches/production" || echo '{}')
    total=$(field devices.total <<<"$json"); converged=$(field devices.converged <<<"$json")
    [ "${total:-0}" -ge $((devices * 99 / 100)) ] && [ "${converged:-0}" -ge $((devices * 97 / 100)) ] && break
    if [ $((SECONDS - start)) -gt 900 ]; then echo "registration did not finish in 15 minutes (total $total)" >&2; exit 1; fi
    sleep 5
  done
  echo "== $build ($server_dll): $total devices registered and converged in $((SECONDS - start)) s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
  sleep 15   # the last registrations' inventory and first check-ins settle
  window idle "$idle_s"
  if [ "$wave_s" -gt 0 ]; then
  sed -i 's/-factory$/-2026-12/' "$work/fleet/group_vars/all.yml"
  git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qam "OS images 2026-12 for every device type"
  window wave "$wave_s"
  json=$(curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" "$url/api/management/v1/gitfleet/branches/production" || echo '{}')
  fi
  echo "   at the end: wave $(field rollout.wave <<<"$json") of $(field rollout.waves <<<"$json"), converged $(field devices.converged <<<"$json"), in progress $(field devices.in_progress <<<"$json"), failed $(field devices.failed <<<"$json"); server RSS $(rss_mib "$server_pid") MiB"
  grep -o 'check-ins [0-9]*/s.*' "$work/simulate.log" | tail -1 | sed 's/^/   simulator (last summary): /' || true
  [ -n "$profile" ] && [ "$build" = this ] && profiled="${profiled:-} $server_pid"
  stop_simulator; stop_server
}

for _ in $(seq "$rounds"); do
  if [ -n "${BASELINE:-}" ]; then one_run baseline "$BASELINE"; fi
  one_run this "$this_dll"
done
if [ -n "$profile" ]; then
  for label in $profile; do
    echo "== profile of the $label window, by library"
    nice -n 19 perf report -i "$out/$label.perf.data" --no-children --sort dso --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -15 || true
    nice -n 19 perf report -i "$out/$label.perf.data" --no-children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -80 >"$out/$label.symbols.txt" || true
    nice -n 19 perf report -i "$out/$label.perf.data" --children --sort sym --stdio -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | head -150 >"$out/$label.inclusive.txt" || true
    echo "symbols: $out/$label.symbols.txt (self), $out/$label.inclusive.txt (with callees)"
  done
  [ -n "${KEEP_MAPS:-}" ] || for pid in ${profiled:-}; do rm -f "/tmp/perf-$pid.map" "/tmp/perfinfo-$pid.map"; done
fi
