#!/usr/bin/env bash
# The cluster on one machine (issue 12): PostgreSQL 15 started here (initdb/pg_ctl in a temp dir, a free port),
# three `gitfleet server` replicas on it (shared artifact directory, one leader), HAProxy in front (TCP, health
# checks on /health/ready), and N simulated devices going through HAProxy into a production rollout. In the middle
# of the rollout the leader is killed with SIGKILL; prints the time until another replica leads, how long the
# rollout stood still, the time to completion, devices deployed twice (none expected, checked in the database), and
# a device rejected through one replica counted as rejected by the others, and each process's CPU and RSS. Stops and removes everything at the end (also on Ctrl-C; KEEP=1 keeps the files).
# Usage: bench/cluster.sh [DEVICES=3000] [POLL_SECONDS=5]
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-3000}"; poll="${2:-5}"
for tool in "$pgbin/initdb" /usr/sbin/haproxy /usr/bin/mender-artifact /usr/bin/psql; do
  [ -x "$tool" ] || { echo "$tool is missing (scripts/prerequisites.sh installs postgresql, haproxy, mender-artifact)" >&2; exit 1; }
done
bench_build
machine_line
work="$(mktemp -d /tmp/gitfleet-cluster-XXXXXX)"
[ -d "$work" ] || { echo "no work directory" >&2; exit 1; }
chmod 755 "$work"
sim_pid=""
cleanup() {
  [ -n "$sim_pid" ] && kill -TERM "$sim_pid" 2>/dev/null || true
  stop_cluster_parts
  if [ "${KEEP:-0}" = 1 ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

# PostgreSQL, as the test harness runs it, with durable settings (fsync on) and password authentication over TCP.
start_postgres "$work/pg"
password="$pgpassword"

# The fleet: every simulated device subscribes to production; waves, a failure threshold, a short soak.
type=raspberrypi4
mkdir -p "$work/fleet/group_vars" "$work/artifacts" "$work/shared"
printf 'all:\n  children:\n    field:\n      selector:\n        matchExpressions:\n          - {key: device_type, operator: In, values: [%s]}\n      vars:\n        subscribed_branch: production\n' "$type" \
  >"$work/fleet/inventory.yml"
printf 'os_image:\n  - device_type: %s\n    image_name: release-1\n' "$type" >"$work/fleet/group_vars/all.yml"
printf 'branches:\n  production:\n    rollout:\n      waves: [10%%, 50%%, 100%%]\n      failureThreshold: 5%%\n      soak: 10s\n' >"$work/fleet/gitfleet.yml"
git -C "$work/fleet" init -q -b production
git -C "$work/fleet" add -A
git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qm "Fleet on release-1"
head -c 65536 /dev/urandom >"$work/artifacts/rootfs.img"
mender-artifact write rootfs-image -t "$type" -n release-2 -f "$work/artifacts/rootfs.img" -o "$work/artifacts/release-2.mender" >/dev/null 2>&1

# Three replicas, started together on the empty database (they race the migrations).
replicas_dir="$work"; gitfleet_dll="$root/.gitfleet/bin/gitfleet.dll"
replica_ports=("$(free_port)" "$(free_port)" "$(free_port)")
for i in 1 2 3; do
  GITFLEET_STORE_PASSWORD="$password" GITFLEET_ADMIN_TOKEN="$bench_token" GITFLEET_ADMIN_PASSWORD=bench-password GITFLEET_RECONCILE_INTERVAL=5s \
    start_replica "$i" --store "postgres://gitfleet@127.0.0.1:$pgport/gitfleet" --artifacts-dir "$work/shared" \
    --fleet-repo "$work/fleet" --fleet-branches production --fleet-poll-interval 5s
done
wait_replicas_ready 120
cert="$(replica_cert)"
ports=("${replica_ports[@]}")
echo "PostgreSQL 15 on port $pgport; replicas on ${ports[*]}; migrations applied: $(psql_ "SELECT COUNT(*) FROM schema_migrations")"

start_haproxy "$work"
url="$haproxy_url"
curl -sf --cacert "$cert" -H "Authorization: Bearer $bench_token" -F "size=$(stat -c %s "$work/artifacts/release-2.mender")" \
  -F "artifact=@$work/artifacts/release-2.mender" "$url/api/management/v1/deployments/artifacts" >/dev/null

status_json() { curl -sf --max-time 10 --cacert "$cert" -H "Authorization: Bearer $bench_token" "$url/api/management/v1/gitfleet/branches/production"; }

GITFLEET_TOKEN="$bench_token" dotnet "$root/.gitfleet/bin/gitfleet.dll" simulate --server "$url" --ca-cert "$cert" --devices "$devices" \
  --device-types "$type" --initial-image "$type=release-1" --poll-interval "$poll" --retry-interval "$poll" --inventory-interval 1h \
  --install-time 5 --reboot-time 5 --preauthorize-with-token env:GITFLEET_TOKEN --identity-prefix cluster --summary-interval 0 >"$work/simulate.log" 2>&1 &
sim_pid=$!
start=$SECONDS
while true; do
  json=$(status_json || echo '{}')
  if [ "$(field devices.total <<<"$json")" = "$devices" ] && [ "$(field devices.converged <<<"$json")" = "$devices" ]; then break; fi
  if [ $((SECONDS - start)) -gt 1800 ]; then echo "registration did not finish in 30 minutes" >&2; exit 1; fi
  sleep 2
done
echo "registered through HAProxy and converged on release-1: $devices devices in $((SECONDS - start)) s"

sed -i 's/release-1/release-2/' "$work/fleet/group_vars/all.yml"
git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qam "OS image release-2"
sha=$(git -C "$work/fleet" rev-parse HEAD)
t0=$SECONDS; killed=""; last_conv=-1; last_change=$t0; stall=0; failover=""; before=0; phase=""
echo "commit ${sha:0:12}: release-2 for $devices devices; waves 10%, 50%, 100%; poll every $poll s"
while true; do
  json=$(status_json || echo '{}')
  applied=$(field applied_commit.sha <<<"$json"); conv=$(field devices.converged <<<"$json"); phase=$(field rollout.phase <<<"$json")
  now=$SECONDS
  if [ "$applied" = "$sha" ] && [ -n "$conv" ]; then
    if [ "$conv" != "$last_conv" ]; then
      if [ -n "$killed" ] && [ $((now - last_change)) -gt "$stall" ]; then stall=$((now - last_change)); fi
      last_conv=$conv; last_change=$now
    fi
    if [ -z "$killed" ] && [ "$conv" -ge $((devices / 4)) ]; then
      li=$(leader_index)
      if [ -n "$li" ]; then
        before=$(psql_ "SELECT COUNT(*) FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id WHERE d.trace_commit = '$sha' AND dd.status = 'success'")
        kill -KILL "${replica_pids[$li]}"; killed=$(date +%s.%N); last_change=$now
        echo "  $((now - t0)) s: $conv converged; killed the leader replica-$((li + 1)) (SIGKILL) at $(date -u -d "@$killed" +%FT%T.%3NZ) with $before successes acknowledged"
        while true; do
          nl=$(leader_index)
          if [ -n "$nl" ] && [ "$nl" != "$li" ]; then break; fi
          sleep 0.2
        done
        failover=$(python3 -c "import time; print(round(time.time() - $killed, 1))")
        echo "  replica-$((nl + 1)) leads after $failover s"
      fi
    fi
    if [ "$conv" = "$devices" ]; then break; fi
  fi
  if [ $((now - t0)) -gt 1800 ]; then echo "the rollout did not complete in 30 minutes" >&2; break; fi
  sleep 1
done
elapsed=$((SECONDS - t0))
twice=$(psql_ "SELECT COUNT(*) FROM (SELECT dd.device_id FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id WHERE d.trace_commit = '$sha' GROUP BY dd.device_id HAVING COUNT(*) > 1) t")
after=$(psql_ "SELECT COUNT(*) FROM device_deployments dd JOIN deployments d ON d.id = dd.deployment_id WHERE d.trace_commit = '$sha' AND dd.status = 'success'")
echo "rollout completed in $elapsed s (phase ${phase:-?}); leader failover ${failover:-n/a} s; the rollout stood still at most $stall s after the kill"
echo "devices deployed twice: $twice; successes: $after of $devices ($before acknowledged before the kill)"
# A device rejected through one replica: how long until the two others' memory views (what refuses its next
# request) count it as rejected, read from their /metrics; timed from the rejection's answer.
read -r dev aset <<<"$(psql_ "SELECT d.id || ' ' || a.id FROM devices d JOIN auth_sets a ON a.device_id = d.id WHERE d.status = 'accepted' ORDER BY d.id LIMIT 1")"
alive=(); for i in 0 1 2; do kill -0 "${replica_pids[$i]}" 2>/dev/null && alive+=("$i"); done
rejected_on() { curl -sf --max-time 2 --cacert "$cert" "https://127.0.0.1:${ports[$1]}/metrics" | grep -q '^gitfleet_devices{status="rejected"} 1'; }
if [ "${#alive[@]}" -ge 2 ] && [ -n "$dev" ]; then
  t_answer=$(date +%s.%N)
  curl -sf -X PUT --cacert "$cert" -H "Authorization: Bearer $bench_token" -H "Content-Type: application/json" -d '{"status":"rejected"}' \
    "https://127.0.0.1:${ports[${alive[0]}]}/api/management/v2/devauth/devices/$dev/auth/$aset/status" >/dev/null
  t_answered=$(date +%s.%N)
  for i in "${alive[@]:1}"; do
    until rejected_on "$i"; do
      if python3 -c "import sys,time; sys.exit(0 if time.time() - $t_answered > 30 else 1)"; then echo "replica-$((i + 1)) never counted the rejection" >&2; break; fi
      sleep 0.01
    done
  done
  t_seen=$(date +%s.%N)
  echo "a device rejected through replica-$((${alive[0]} + 1)) (answered in $(python3 -c "print(round(($t_answered - $t_answer) * 1000))") ms) is rejected in the others' memory $(python3 -c "print(round(($t_seen - $t_answered) * 1000))") ms after the answer (target 1 s)"
fi
# What the replicas logged about leadership and decisions (timestamps in UTC), to read a failover or a stall.
echo "leadership and decisions as the replicas logged them:"
for i in 1 2 3; do
  grep -E "leads the git watcher|no longer leads|lease could not|scheduled [0-9]+ devices|run stopped|decision failed" "$work/replica-$i.log" | sed "s/^/  replica-$i /" || true
done | sort -k2 | tail -40
for i in 0 1 2; do
  p=${replica_pids[$i]}
  if kill -0 "$p" 2>/dev/null; then echo "replica-$((i + 1)): CPU $(cpu_s "$p") s, RSS $(rss_mib "$p") MiB"; fi
done
pg_cpu=0
for p in $(pgrep -f "^/usr/lib/postgresql/15/bin/postgres -D $work/pg/data" || true) $(pgrep -P "$(pgrep -f "^/usr/lib/postgresql/15/bin/postgres -D $work/pg/data" | head -1)" 2>/dev/null || true); do
  pg_cpu=$(python3 -c "print(round($pg_cpu + $(cpu_s "$p"), 1))")
done
echo "PostgreSQL: CPU $pg_cpu s; simulator: CPU $(cpu_s "$sim_pid") s, RSS $(rss_mib "$sim_pid") MiB; HAProxy: CPU $(cpu_s "$haproxy_pid") s"
