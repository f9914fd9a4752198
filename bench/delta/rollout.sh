#!/usr/bin/env bash
# A simulated rollout of DEVICES devices spread over several base images to one target, with real processes: a
# `gitfleet server` whose downloads are offloaded to Debian's nginx (signed links), and `gitfleet simulate` devices
# that all carry the gitfleet-delta module. The artifacts are the real Debian images of build-images.sh. The deltas are
# prepared before the deployment (once per base, as an operator or the first devices would cause), then one
# deployment goes to every device. Prints each delta's size and generation time, the bytes nginx served (deltas and
# full images) against what full images would have cost, and the server's CPU per device update.
#
# Usage: bench/delta/rollout.sh WORK_DIR TARGET DEVICES BASE[:WEIGHT]...   (e.g. target-userland 10000 m1:6 m2:3 point:1)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
work="$1"; target="$2"; devices="$3"; shift 3
bases=("$@")
images="$work/images"
run="$work/rollout-$target-$devices"
port=$((20000 + RANDOM % 20000)); nginx_port=$((port + 1))
url="https://127.0.0.1:$port"
secret="bench-download-secret-$(id -u)-0123456789"
type=bench-x86
rm -rf "$run"; mkdir -p "$run"

cleanup() {
  if [ -n "${sim_pid:-}" ] && kill -TERM "$sim_pid" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.5; done
  fi
  stop_server; stop_nginx
}
trap cleanup EXIT
start_nginx "$run/data/artifacts" "$secret" "$nginx_port" "$run/nginx"
GITFLEET_DOWNLOAD_BASE_URL="http://127.0.0.1:$nginx_port/gitfleet" GITFLEET_DOWNLOAD_SECRET="$secret" start_server "$run/data" "$port"
cert="$run/data/tls/server.crt"
api() { curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" "$@"; }

# The images: the target and every base, uploaded once (parsed and verified while streamed).
spread=""
for entry in "${bases[@]}"; do
  name="${entry%%:*}"; weight="${entry#*:}"; [ "$weight" = "$entry" ] && weight=1
  for _ in $(seq "$weight"); do spread="${spread:+$spread,}$name"; done
done
for name in $(printf '%s\n' "$target" "${bases[@]%%:*}" | sort -u); do
  api -F "size=$(stat -c %s "$images/$name.mender")" -F "artifact=@$images/$name.mender" "$url/api/management/v1/deployments/artifacts" >/dev/null
done
full=$(stat -c %s "$images/$target.mender")

echo "deltas to $target (prepared before the rollout, generated one after another by the server with xdelta3):"
for name in $(printf '%s\n' "${bases[@]%%:*}" | sort -u); do
  api -X POST -H 'Content-Type: application/json' -d "{\"from\":\"$name\",\"to\":\"$target\",\"device_type\":\"$type\"}" "$url/api/management/v1/gitfleet/deltas" >/dev/null
done
server_cpu0=$(cpu_seconds "$server_pid")
for _ in $(seq 3600); do
  states=$(api "$url/api/management/v1/gitfleet/deltas" | python3 -c "import json,sys; print(' '.join(d['state'] for d in json.load(sys.stdin)))")
  [[ "$states" != *generating* ]] && break
  sleep 1
done
api "$url/api/management/v1/gitfleet/deltas" | python3 -c "
import json, sys
for d in sorted(json.load(sys.stdin), key=lambda d: d['from']):
    size = d.get('size')
    print(f\"  {d['from']:>16} -> {d['to']}: {d['state']}, {size or 0:,} bytes = {d.get('percent_of_full') or 0:.2f}% of the full artifact ({d['full_size']:,} bytes), generated in {(d.get('generation_ms') or 0)/1000:.1f} s\" + (f\" ({d['error']})\" if d.get('error') else ''))
"
echo "  server CPU for all generations (unpacking the images included): $(python3 -c "print(round($(cpu_seconds "$server_pid") - $server_cpu0, 1))") s (xdelta3 runs as its own process: see bench/delta/methods.sh for its CPU and memory)"

echo "simulating $devices devices with the gitfleet-delta module over ${bases[*]} ..."
GITFLEET_TOKEN="$bench_token" dotnet "$root/.gitfleet/bin/gitfleet.dll" simulate --server "$url" --ca-cert "$cert" \
  --devices "$devices" --device-types "$type" --initial-image "$type=$spread" --delta-support 1 \
  --poll-interval 20 --retry-interval 20 --inventory-interval 1h --install-time 5 --reboot-time 5 \
  --preauthorize-with-token env:GITFLEET_TOKEN --identity-prefix "delta-$target-$devices" --summary-interval 60 >"$run/simulate.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1800); do
  accepted=$(api "$url/api/management/v1/gitfleet/facts" | python3 -c "
import json, sys
d = json.load(sys.stdin)['devices']
print(sum(1 for x in d if x.get('status') == 'accepted' and 'gitfleet_delta_formats' in x.get('attributes', {}) and 'rootfs-image.version' in x.get('attributes', {})))")
  [ "$accepted" -ge "$devices" ] && break
  sleep 2
done
echo "  $accepted devices registered and reporting their image and delta support"

# The idle cost first (the devices poll every 20 s with nothing to do), to tell it apart from the update's.
idle0=$(cpu_seconds "$server_pid"); sleep 30; idle_per_s=$(python3 -c "print(($(cpu_seconds "$server_pid") - $idle0) / 30)")
sleep 2; cp "$run/nginx/access.log" "$run/nginx/access.log.before"
server_cpu0=$(cpu_seconds "$server_pid"); t0=$SECONDS
deployment=$(api -X POST -H 'Content-Type: application/json' -d "{\"name\":\"$target\",\"artifact_name\":\"$target\",\"all_devices\":true}" \
  -D - -o /dev/null "$url/api/management/v1/deployments/deployments" | awk -F/ 'tolower($0) ~ /^location:/ {print $NF}' | tr -d '\r')
while true; do
  stats=$(api "$url/api/management/v1/deployments/deployments/$deployment/statistics")
  done_count=$(python3 -c "import json,sys; s=json.loads(sys.argv[1]); print(sum(s.get(k,0) for k in ('success','failure','already-installed','noartifact','aborted')))" "$stats")
  [ "$done_count" -ge "$accepted" ] && break
  if [ $((SECONDS - t0)) -gt 3600 ]; then echo "the rollout did not finish in an hour: $stats" >&2; break; fi
  sleep 5
done
elapsed=$((SECONDS - t0)); server_cpu=$(python3 -c "print(round($(cpu_seconds "$server_pid") - $server_cpu0, 2))")
sleep 2   # nginx flushes its access log every second
echo "rollout of $target to $accepted devices: done in $elapsed s: $(python3 -c "import json,sys; print(', '.join(f'{k} {v}' for k,v in json.loads(sys.argv[1]).items() if v))" "$stats")"
python3 - "$run/nginx/access.log" "$run/nginx/access.log.before" "$full" "$accepted" "$server_cpu" "$idle_per_s" "$elapsed" <<'PY'
import sys
log, before, full, devices, cpu = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
idle = float(sys.argv[6]) * int(sys.argv[7])
skip = sum(1 for _ in open(before))
deltas = fulls = other = 0
counts = {"delta": 0, "full": 0}
for i, line in enumerate(open(log)):
    if i < skip:
        continue
    path, status, size = line.split()
    size = int(size)
    if path.startswith("/gitfleet/deltas/"):
        deltas += size; counts["delta"] += status in ("200", "206")
    elif path.startswith("/gitfleet/"):
        fulls += size; counts["full"] += status in ("200", "206")
    else:
        other += size
total = deltas + fulls
print(f"bytes over the air (nginx): {total:,} = deltas {deltas:,} ({counts['delta']} downloads) + full images {fulls:,} ({counts['full']} downloads)")
print(f"  per device {total / devices / 1e6:.2f} MB; full images for every device: {full * devices:,} bytes ({full / 1e6:.1f} MB each)")
print(f"  total over the air = {100 * total / (full * devices):.2f}% of full-image downloads")
update = max(cpu - idle, 0)
print(f"result bytes_total={total} bytes_full={full * devices} pct_of_full={100 * total / (full * devices):.3f} server_cpu_ms_per_device={1000 * cpu / devices:.2f} server_cpu_ms_per_update={1000 * update / devices:.2f}")
print(f"server CPU during the rollout: {cpu:.1f} s = {1000 * cpu / devices:.2f} ms per device; of it idle polling (measured before) {idle:.1f} s, so {1000 * update / devices:.2f} ms per device update (offer with signed link, status reports, inventory, re-authentication after the reboot; no download bytes)")
PY
