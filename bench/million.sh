#!/usr/bin/env bash
# Issue 12's scale target: 1,000,000 registered devices across 2 replicas on this machine, PostgreSQL on the same
# machine; each replica's RSS <= 1 GiB, check-ins at a 5-minute poll answered with p99 < 50 ms.
# Parts (scripts/cluster-parts.sh, as bench/cluster.sh and ./demo.sh --replicas run them): PostgreSQL 15 (durable
# settings), REPLICAS `gitfleet server` processes on it (no fleet repository: check-ins only), and Debian's HAProxy in
# front (TCP, round robin, health checks), which is what an operator runs; the generator talks to HAProxy only.
# The load: bench/Gitfleet.Bench `load checkins --rate`, an open-loop generator: DEVICES/POLL_SECONDS check-ins per
# second (POST v2 next with nothing to do, as mender-client 3.4 sends it), each device in turn, over CONNECTIONS
# keep-alive TLS connections; a request's latency counts from the time it was due, so queueing counts. Prints the
# achieved rate, latency percentiles, errors, each replica's RSS (and peak, VmHWM) and CPU, PostgreSQL's CPU (all
# its processes), HAProxy's and the generator's CPU, the load average, and the targets beside the figures.
#
# The shortcut (preparation): registering a million devices through the API (preauthorize + signed auth request)
# runs at a few hundred a second, about an hour. Instead `load million-prepare` writes them straight into the store
# by binary COPY, after the store's own migrations made the schema: per device the rows an accepted device has after
# its auth request, first inventory PUT and first check-in (devices row 'accepted', the identity attribute, an ECDSA
# P-256 key as the accepted auth set, an inventory of 18 attributes as mender-client 3.4 and gitfleet-device report
# them, the rootfs-image.version it provides, a last check-in), indexes built after the COPY.
# Device tokens are minted with the cluster's token signing key, which the replicas share through the store
# (cluster_secrets 'token-signing-key': the prepare step creates it, the replicas read it as they would a key an
# earlier replica created), so they are exactly the tokens an auth request would get; the real auth request of a
# million devices is bench/storm.sh's subject, not this one's. The prepared PostgreSQL data dir, its password and the
# tokens are kept in bench/work/million/DEVICES (git-ignored); later runs reuse them (the check-ins they made stay).
# Usage: bench/million.sh [DEVICES=1000000] [REPLICAS=2] [DURATION=120]
#   POLL_SECONDS=300 CONNECTIONS=128 WARMUP=30; PREPARE_ONLY=1 prepares (no measurement: run it outside the bench lock);
#   SERVER_DLL=PATH runs another build's gitfleet.dll as the replicas (side by side with main's, on the same data);
#   GCDUMP=DIR writes each replica's managed heap by type after the run (dotnet-gcdump, ~/.dotnet/tools).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices="${1:-1000000}"; replicas="${2:-2}"; duration="${3:-120}"
poll="${POLL_SECONDS:-300}"; connections="${CONNECTIONS:-128}"; warmup="${WARMUP:-30}"
rate=$(python3 -c "print(round($devices / $poll, 1))")
for tool in "$pgbin/initdb" /usr/sbin/haproxy /usr/bin/psql; do
  [ -x "$tool" ] || { echo "$tool is missing (scripts/prerequisites.sh installs postgresql, haproxy)" >&2; exit 1; }
done
bench_build
kept="$root/bench/work/million/$devices"
run="$(mktemp -d /tmp/gitfleet-million-XXXXXX)"; chmod 755 "$run"
cleanup() { stop_cluster_parts; rm -rf "$run"; }
trap cleanup EXIT
machine_line

if [ ! -f "$kept/prepared" ]; then
  rm -rf "$kept"; mkdir -p "$kept"; chmod 755 "$root/bench/work" "$root/bench/work/million" "$kept"
  start_postgres "$kept/pg"
  (umask 077; echo "$pgpassword" >"$kept/pgpassword")
  start=$SECONDS
  GITFLEET_STORE_PASSWORD="$pgpassword" dotnet "$bench_dll" load million-prepare --store "postgres://gitfleet@127.0.0.1:$pgport/gitfleet" \
    --devices "$devices" --tokens "$kept/tokens.txt"
  echo "prepared $devices devices in $((SECONDS - start)) s; database $(psql_ "SELECT pg_size_pretty(pg_database_size('gitfleet'))"), kept in $kept"
  touch "$kept/prepared"
else
  resume_postgres "$kept/pg" "$(cat "$kept/pgpassword")"
  echo "PostgreSQL with the $devices devices prepared earlier ($kept); database $(psql_ "SELECT pg_size_pretty(pg_database_size('gitfleet'))")"
fi
[ "${PREPARE_ONLY:-0}" = 1 ] && exit 0
echo "accepted devices in the store: $(psql_ "SELECT COUNT(*) FROM devices WHERE status = 'accepted'")"

replicas_dir="$run"; gitfleet_dll="${SERVER_DLL:-$root/.gitfleet/bin/gitfleet.dll}"; replica_ports=()
for i in $(seq "$replicas"); do replica_ports+=("$(free_port)"); done
start=$SECONDS
for i in $(seq "$replicas"); do
  GITFLEET_STORE_PASSWORD="$pgpassword" GITFLEET_ADMIN_TOKEN="$bench_token" GITFLEET_ADMIN_PASSWORD=bench-password \
    start_replica "$i" --store "postgres://gitfleet@127.0.0.1:$pgport/gitfleet" --artifacts-dir "$run/shared"
done
wait_replicas_ready 900
echo "$replicas replicas ready in $((SECONDS - start)) s (each loads the fleet into memory; server $gitfleet_dll)"
for i in $(seq "$replicas"); do echo "  replica-$i after start: RSS $(rss_mib "${replica_pids[$((i - 1))]}") MiB, CPU $(cpu_s "${replica_pids[$((i - 1))]}") s"; done
start_haproxy "$run"
postmaster=$(head -1 "$pgdata/postmaster.pid")
watch="postgres=$postmaster+,haproxy=$haproxy_pid"
for i in $(seq "$replicas"); do watch+=",replica$i=${replica_pids[$((i - 1))]}"; done

echo "load: $rate check-ins/s (a $poll s poll of $devices devices), open loop over $connections TLS connections through HAProxy; ${warmup} s warm-up, ${duration} s measured; load average $(cut -d' ' -f1-3 /proc/loadavg)"
set +e
out=$(dotnet "$bench_dll" load checkins --server "$haproxy_url" --ca "$(replica_cert)" --tokens "$kept/tokens.txt" --devices "$devices" \
  --connections "$connections" --warmup "$warmup" --duration "$duration" --rate "$rate" --watch "$watch")
status=$?
set -e
echo "$out" | grep -v '^result'
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)"
result=$(echo "$out" | grep '^result' || true)
value() { grep -o " $1=[0-9.]*" <<<"$result" | cut -d= -f2; }
echo "per process over the measured window (CPU in cores; RSS and peak in MiB):"
for name in $(seq -f "replica%g" "$replicas") postgres haproxy; do
  echo "  $name: CPU $(value "${name}_cpu"), RSS $(value "${name}_rss_mib") (peak $(value "${name}_peak_mib"))"
done
echo "  generator: CPU $(value generator_cpu); whole machine $(value machine_cpu) of $(nproc) cores"
for i in $(seq "$replicas"); do
  gc=$(curl -sf --max-time 5 --cacert "$(replica_cert)" "https://127.0.0.1:${replica_ports[$((i - 1))]}/metrics" | grep -E '^(dotnet_total_memory_bytes|process_working_set_bytes|process_private_memory_bytes|dotnet_collection_count_total|gitfleet_devices\{status="accepted"\})' | tr '\n' ' ' || true)
  role=$(replica_ready "$i" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("role",""))' 2>/dev/null || true)
  [ -n "$gc" ] && echo "  replica-$i (${role:-role unknown}) /metrics: $gc"
done
if [ -n "${GCDUMP:-}" ]; then
  # GCDUMP=DIR: each replica's managed heap by type after the run (dotnet-gcdump; it forces a full collection first,
  # so this comes after every figure above): the bytes each structure holds per device.
  gcdump="$(command -v dotnet-gcdump || echo "$HOME/.dotnet/tools/dotnet-gcdump")"
  mkdir -p "$GCDUMP"
  for i in $(seq "$replicas"); do
    role=$(replica_ready "$i" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("role",""))' 2>/dev/null || true)
    file="$GCDUMP/replica-$i-${role:-unknown}.gcdump"
    "$gcdump" collect -p "${replica_pids[$((i - 1))]}" -o "$file" >/dev/null && "$gcdump" report "$file" | head -40 >"$file.txt"
    echo "  replica-$i (${role:-role unknown}) heap by type after a full collection: $file.txt"
  done
fi
verdict() { python3 -c "import sys; print('met' if $1 else 'MISSED')"; }
worst_peak=0; for i in $(seq "$replicas"); do p=$(value "replica${i}_peak_mib"); [ "${p:-0}" -gt "$worst_peak" ] && worst_peak=$p; done
echo "targets (issue 12): RSS <= 1024 MiB per replica: largest peak $worst_peak MiB, $(verdict "$worst_peak <= 1024"); p99 < 50 ms: $(value p99) ms, $(verdict "$(value p99) < 50"); rate $(value rate)/s of $rate/s asked; errors $(value errors)"
exit "$status"
