#!/usr/bin/env bash
# What a device update costs the Gitfleet server, with the artifact served by the server itself (TLS, from the data
# dir) and with downloads offloaded to Debian's nginx through signed links (download_base_url), side by side in one
# run: DEVICES simulated devices take a SIZE_MIB OS image (incompressible, stored) in each setup. The server's CPU is
# read from /proc before and after the rollout, minus the idle polling measured just before; nginx's CPU is shown
# too (the bytes still cost someone, just not the Gitfleet server).
# A third run offloads SCALE_DEVICES updates of a small image (the server never touches the bytes, so the size does not
# matter to it): per-update figures without the warm-up of a short run (first calls, timers) spread over few devices.
# Usage: bench/download-cost.sh [DEVICES=100] [SIZE_MIB=256] [SCALE_DEVICES=1000]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-100}"; size="${2:-256}"; scale_devices="${3:-1000}"
work="$root/bench/work/download-cost"
secret="bench-download-secret-$(id -u)-0123456789"
command -v nginx >/dev/null || { echo "nginx is missing (apt-get install nginx)" >&2; exit 1; }
command -v mender-artifact >/dev/null || { echo "mender-artifact is missing (scripts/prerequisites.sh installs it)" >&2; exit 1; }
bench_build
machine_line
mkdir -p "$work"
# image MIB: an incompressible rootfs-image artifact of that size (stored), made once.
image() {
  local mib="$1" path="$work/image-${1}m.mender"
  if [ ! -f "$path" ]; then
    head -c $((mib << 20)) /dev/urandom >"$work/rootfs.img"
    mender-artifact write rootfs-image -t bench-x86 -n "image-${mib}m" -f "$work/rootfs.img" --compression none -o "$path" >/dev/null 2>&1
    rm -f "$work/rootfs.img"
  fi
  echo "$path"
}

sim_pid=""
cleanup() {
  if [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null; then wait "$sim_pid" 2>/dev/null || true; fi
  sim_pid=""; stop_server; stop_nginx
}
trap cleanup EXIT

# one_setup NAME OFFLOAD(yes|no) DEVICES ARTIFACT: prints a "result" line.
one_setup() {
  local name="$1" offload="$2" devices="$3" artifact="$4"
  local artifact_name; artifact_name=$(basename "$artifact" .mender)
  local port=$((20000 + RANDOM % 20000)); local nginx_port=$((port + 1)); local run="$work/$name"
  rm -rf "$run"; mkdir -p "$run"
  if [ "$offload" = yes ]; then
    start_nginx "$run/data/artifacts" "$secret" "$nginx_port" "$run/nginx"
    GITFLEET_DOWNLOAD_BASE_URL="http://127.0.0.1:$nginx_port/gitfleet" GITFLEET_DOWNLOAD_SECRET="$secret" start_server "$run/data" "$port"
  else
    start_server "$run/data" "$port"
  fi
  local url="https://127.0.0.1:$port" cert="$run/data/tls/server.crt"
  api() { curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" "$@"; }
  api -F "size=$(stat -c %s "$artifact")" -F "artifact=@$artifact" "$url/api/management/v1/deployments/artifacts" >/dev/null
  GITFLEET_TOKEN="$bench_token" dotnet "$root/.gitfleet/bin/gitfleet.dll" simulate --server "$url" --ca-cert "$cert" \
    --devices "$devices" --device-types bench-x86 --poll-interval 10 --retry-interval 10 --inventory-interval 1h --install-time 2 --reboot-time 2 \
    --preauthorize-with-token env:GITFLEET_TOKEN --identity-prefix "cost-$name" --summary-interval 0 >"$run/simulate.log" 2>&1 &
  sim_pid=$!
  for _ in $(seq 600); do
    local n
    n=$(api "$url/api/management/v2/devauth/devices/count?status=accepted" | python3 -c "import json,sys; print(json.load(sys.stdin)['count'])")
    [ "$n" -ge "$devices" ] && break
    sleep 1
  done
  sleep 20   # every device sent its inventory and checked in once
  local idle0; idle0=$(cpu_seconds "$server_pid"); sleep 20
  local idle; idle=$(python3 -c "print(($(cpu_seconds "$server_pid") - $idle0) / 20)")
  local cpu0 nginx0 t0=$SECONDS
  cpu0=$(cpu_seconds "$server_pid"); nginx0=0
  [ -n "$nginx_pid" ] && nginx0=$(pgrep -P "$nginx_pid" | while read -r p; do cpu_seconds "$p"; done | awk '{s+=$1} END {print s+0}')
  local deployment
  deployment=$(api -X POST -H 'Content-Type: application/json' -d "{\"name\":\"cost\",\"artifact_name\":\"$artifact_name\",\"all_devices\":true}" \
    -D - -o /dev/null "$url/api/management/v1/deployments/deployments" | awk -F/ 'tolower($0) ~ /^location:/ {print $NF}' | tr -d '\r')
  local stats done_count
  while true; do
    stats=$(api "$url/api/management/v1/deployments/deployments/$deployment/statistics")
    done_count=$(python3 -c "import json,sys; s=json.loads(sys.argv[1]); print(sum(s.get(k,0) for k in ('success','failure','already-installed','noartifact','aborted')))" "$stats")
    [ "$done_count" -ge "$devices" ] && break
    [ $((SECONDS - t0)) -gt 1800 ] && { echo "$name: not done in 30 minutes: $stats" >&2; break; }
    sleep 2
  done
  local elapsed=$((SECONDS - t0)) cpu nginx_cpu=0
  cpu=$(python3 -c "print($(cpu_seconds "$server_pid") - $cpu0)")
  [ -n "$nginx_pid" ] && nginx_cpu=$(python3 -c "print($(pgrep -P "$nginx_pid" | while read -r p; do cpu_seconds "$p"; done | awk '{s+=$1} END {print s+0}') - $nginx0)")
  python3 - "$name" "$devices" "$cpu" "$idle" "$elapsed" "$nginx_cpu" "$stats" "$(stat -c %s "$artifact")" <<'PY'
import json, sys
name, devices, cpu, idle, elapsed, nginx, stats = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), json.loads(sys.argv[7])
size = int(sys.argv[8])
update = max(cpu - idle * elapsed, 0)
print(f"{name}: {devices} updates of a {size / 2**20:.0f} MiB artifact in {elapsed} s ({', '.join(f'{k} {v}' for k, v in stats.items() if v)}); server CPU {cpu:.1f} s, of it idle polling {idle * elapsed:.1f} s"
      + (f"; nginx workers {nginx:.1f} s" if nginx else ""))
print(f"result setup={name} devices={devices} artifact_mib={size / 2**20:.0f} server_cpu_ms_per_update={1000 * update / devices:.2f} nginx_cpu_ms_per_update={1000 * nginx / devices:.2f}")
PY
  cleanup
}

big=$(image "$size"); small=$(image 8)
echo "$devices devices per setup with a $size MiB artifact, then $scale_devices with an 8 MiB one"
one_setup served-by-server no "$devices" "$big"
one_setup offloaded-to-nginx yes "$devices" "$big"
one_setup offloaded-to-nginx-at-scale yes "$scale_devices" "$small"
