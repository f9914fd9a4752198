#!/usr/bin/env bash
# Scale run (issue 6): N simulated devices take an OS update through a production rollout to completion.
# Real processes: `gitfleet server` watching a fleet repository (one dynamic group puts every device on
# production; gitfleet.yml sets waves, a failure threshold, retries, soak, an offline timeout and completeAt: 99%), and
# `gitfleet simulate` with N devices (0.5% install failures, about 1% of the devices offline for 2 to 8 minutes at any time). Artifacts are made
# with the real mender-artifact. Prints the time to register, the rollout's progress every 15 s, the time from
# the commit to completion per wave, the bulk (every wave at completeAt) against its physical bound (issue 15), and
# the server's and simulator's CPU and RSS.
# Usage: bench/rollout.sh [DEVICES=100000] [POLL_SECONDS=30]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-100000}"; poll="${2:-30}"
port=$((20000 + RANDOM % 20000))
work="$root/bench/work/rollout-$devices"
url="https://127.0.0.1:$port"
types=(pi4-v3-arm64 pi3-arm64 iot-gate-imx8-arm64 var-som-mx8m-nano-arm64-v2 pi2-armhf)
command -v mender-artifact >/dev/null || { echo "mender-artifact is missing (scripts/prerequisites.sh installs it)" >&2; exit 1; }
bench_build
machine_line

# The fleet: every simulated device (any of the five types) subscribes to production through a dynamic group.
rm -rf "$work"; mkdir -p "$work/artifacts"
rollout_fleet "$work/fleet" "${types[@]}"

for t in "${types[@]}"; do
  head -c 262144 /dev/urandom >"$work/artifacts/rootfs-$t.img"
  mender-artifact write rootfs-image -t "$t" -n "$t-2026-12" -f "$work/artifacts/rootfs-$t.img" -o "$work/artifacts/$t-2026-12.mender" >/dev/null 2>&1
done

data="$work/data"; mkdir -p "$data"
GITFLEET_ADMIN_TOKEN="$bench_token" GITFLEET_ADMIN_PASSWORD="bench-password" \
  dotnet "$root/.gitfleet/bin/gitfleet.dll" server --data "$data" --urls "$url" \
  --fleet-repo "$work/fleet" --fleet-branches production --fleet-poll-interval 5s >"$data/server.log" 2>&1 &
server_pid=$!
sim_pid=""
# --offline-rate is per check-in: about 1% of the devices offline at any time means rate = 1% x poll / 5 minutes.
offline_rate=$(python3 -c "print(round(0.01 * $poll / 300, 6))")
# SIGTERM, not SIGINT: a background job of a non-interactive shell ignores SIGINT.
cleanup() {
  if [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null; then
    for _ in $(seq 60); do kill -0 "$sim_pid" 2>/dev/null || break; sleep 0.5; done
    kill -KILL "$sim_pid" 2>/dev/null || true
  fi
  stop_server
}
trap cleanup EXIT
for _ in $(seq 150); do
  curl -s -o /dev/null --cacert "$data/tls/server.crt" "$url/api/management/v1/gitfleet/info" 2>/dev/null && break
  sleep 0.2
done
cert="$data/tls/server.crt"
for t in "${types[@]}"; do
  curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" -F "size=$(stat -c %s "$work/artifacts/$t-2026-12.mender")" \
    -F "artifact=@$work/artifacts/$t-2026-12.mender" "$url/api/management/v1/deployments/artifacts" >/dev/null
done

status_json() { curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" "$url/api/management/v1/gitfleet/branches/production"; }

GITFLEET_TOKEN="$bench_token" dotnet "$root/.gitfleet/bin/gitfleet.dll" simulate --server "$url" --ca-cert "$cert" \
  --devices "$devices" --poll-interval "$poll" --retry-interval "$poll" --inventory-interval 1h --install-time 10 --reboot-time 20 \
  --failure-rate 0.005 --offline-rate "$offline_rate" --offline-for 2m-8m --preauthorize-with-token env:GITFLEET_TOKEN \
  --identity-prefix "rollout$devices" --summary-interval 60 >"$work/simulate.log" 2>&1 &
sim_pid=$!

start=$SECONDS
echo "registering $devices simulated devices (preauthorized by the simulator with the management token) ..."
while true; do
  total=$(status_json | field devices.total || echo 0)
  converged=$(status_json | field devices.converged || echo 0)
  [ "${total:-0}" -ge $((devices * 99 / 100)) ] && [ "${converged:-0}" -ge $((devices * 97 / 100)) ] && break
  if [ $((SECONDS - start)) -gt 3600 ]; then echo "registration did not finish in an hour (total $total)" >&2; exit 1; fi
  sleep 10
done
registered=$((SECONDS - start))
echo "registered and converged on the factory images: $total devices in $registered s ($((total / (registered > 0 ? registered : 1)))/s); server RSS $(rss_mib "$server_pid") MiB, simulator RSS $(rss_mib "$sim_pid") MiB"

# The physical bound of the bulk (issue 15): per wave one poll interval (the device sees its deployment at its next
# check-in) + install + reboot + soak, plus one more poll + install + reboot per extra round of maxConcurrent devices.
install_s=10; reboot_s=20; soak_s=30; max_concurrent=25000
bound=$(python3 -c "
import math
n, poll = $devices, $poll
cumulative = [math.ceil(n * p / 100) for p in (1, 10, 50)] + [n]
sizes = [cumulative[0]] + [b - a for a, b in zip(cumulative, cumulative[1:])]
per_round = poll + $install_s + $reboot_s
print(sum(per_round + $soak_s + (math.ceil(s / $max_concurrent) - 1) * per_round for s in sizes))")

sed -i 's/-factory$/-2026-12/' "$work/fleet/group_vars/all.yml"
git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qam "OS images 2026-12 for every device type"
sha=$(git -C "$work/fleet" rev-parse HEAD)
server_cpu0=$(cpu_s "$server_pid"); sim_cpu0=$(cpu_s "$sim_pid")
t0=$SECONDS; peak_server=0; peak_sim=0; last_wave=""; online_done=""; bulk_done=""; last_print=-15
echo "commit ${sha:0:12}: new images for $devices devices; waves 1%, 10%, 50%, 100%; soak 30 s; poll every $poll s"
while true; do
  json=$(status_json || echo '{}')
  applied=$(field applied_commit.sha <<<"$json"); phase=$(field rollout.phase <<<"$json"); wave=$(field rollout.wave <<<"$json"); waves=$(field rollout.waves <<<"$json")
  conv=$(field devices.converged <<<"$json"); prog=$(field devices.in_progress <<<"$json"); pend=$(field devices.pending <<<"$json")
  failed=$(field devices.failed <<<"$json"); offline=$(field devices.offline <<<"$json")
  rs=$(rss_mib "$server_pid"); rm_=$(rss_mib "$sim_pid")
  [ "$rs" -gt "$peak_server" ] && peak_server=$rs; [ "$rm_" -gt "$peak_sim" ] && peak_sim=$rm_
  now=$((SECONDS - t0))
  if [ "$applied" = "$sha" ] && [ "$wave" != "$last_wave" ]; then
    echo "  $now s: wave $wave of ${waves:-?} started"; last_wave=$wave
  fi
  if [ $((now - last_print)) -ge 15 ]; then
    echo "  $now s: ${phase:-?} wave ${wave:-?}: converged $conv, in progress $prog, pending $pend, failed $failed, offline $offline; RSS server $rs MiB, simulator $rm_ MiB"
    last_print=$now
  fi
  # The last wave reached completeAt: the bulk is done, the stragglers are followed in the background.
  if [ -z "$bulk_done" ] && [ "$applied" = "$sha" ] && [ -n "$(field rollout.bulk_completed_at <<<"$json")" ]; then
    bulk_done=$now
    echo "  $now s: bulk done (every wave at completeAt 99%); $(field rollout.stragglers <<<"$json") stragglers followed"
  fi
  # Every device that is online has converged or failed for good: what an operator waits for.
  if [ -z "$online_done" ] && [ "$applied" = "$sha" ] && [ "$wave" = "$waves" ] && [ "${prog:-1}" = 0 ] && [ "${pend:-1}" = 0 ]; then
    online_done=$now
    echo "  $now s: every online device converged or failed; $offline offline devices follow when they return"
  fi
  if [ "$applied" = "$sha" ] && { [ "$phase" = "completed" ] || [ "$phase" = "paused" ]; } && [ "${prog:-1}" = 0 ] && [ "${pend:-1}" = 0 ]; then break; fi
  if [ -n "$online_done" ] && [ $((now - online_done)) -gt 600 ]; then echo "  stopped waiting for the offline devices 10 minutes later"; break; fi
  if [ "$now" -gt 3600 ]; then echo "the rollout did not complete in an hour" >&2; break; fi
  sleep 5
done
elapsed=$((SECONDS - t0))
echo "bulk (stragglers aside): ${bulk_done:-n/a} s against a physical bound of $bound s (poll $poll s + install $install_s s + reboot $reboot_s s + soak $soak_s s per wave, rounds of $max_concurrent): $(python3 -c "print(round(${bulk_done:-0}/$bound,2))")x the bound (target: 3x)"
echo "rollout: every online device done after ${online_done:-n/a} s (= $(python3 -c "print(round(${online_done:-0}/$poll,1))") poll intervals); $phase after $elapsed s: converged $conv, failed $failed (after 1 retry), offline $offline of $devices"
echo "CPU during the rollout: server $(python3 -c "print(round($(cpu_s "$server_pid")-$server_cpu0,1))") s, simulator $(python3 -c "print(round($(cpu_s "$sim_pid")-$sim_cpu0,1))") s; peak RSS server $peak_server MiB, simulator $peak_sim MiB"
echo "the rollout's duration is set by the poll interval, the install and reboot times and the soak times (a device sees its deployment at its next check-in); the server's share: see the CPU figures"
