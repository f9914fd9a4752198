# The real parts of a cluster on one machine, shared by ./demo.sh --replicas N and the bench scripts
# (bench/lib.sh sources this file): PostgreSQL 15 started as the test harness starts it, `gitfleet server` replicas
# on it, and Debian's HAProxy in front (as docs/operations.md sets it up). Every part runs in a directory of the
# caller's, on free ports of 127.0.0.1; the caller stops them (stop_cluster_parts) from its EXIT trap.
# shellcheck shell=bash

# start_postgres DIR: PostgreSQL 15 as the test harness runs it (initdb in DIR, a free port, durable settings, password
# authentication over TCP, a "gitfleet" database in byte order). Sets pgbin, pgport, pgpassword, pgdata; psql_ SQL runs
# a statement on that database; stop_postgres stops it.
pgbin=/usr/lib/postgresql/15/bin
cluster_parts_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
as_postgres() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
start_postgres() {
  local dir="$1"
  mkdir -p "$dir"
  pgdata="$dir/data"
  pgpassword="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
  echo "$pgpassword" >"$dir/pwfile"
  if [ "$(id -u)" = 0 ]; then chown -R postgres "$dir"; fi
  as_postgres "$pgbin/initdb" -D "$pgdata" -U gitfleet --pwfile "$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >/dev/null
  rm -f "$dir/pwfile"
  pgport=$(free_port)
  printf "listen_addresses = '127.0.0.1'\nunix_socket_directories = '%s'\nmax_connections = 400\nshared_buffers = 256MB\n" "$dir" \
    >>"$pgdata/postgresql.conf"
  as_postgres "$pgbin/pg_ctl" -D "$pgdata" -o "-p $pgport" -l "$dir/log" -w start >/dev/null
  PGPASSWORD="$pgpassword" psql -h 127.0.0.1 -p "$pgport" -U gitfleet -d postgres -q -c "CREATE DATABASE gitfleet"
}
# resume_postgres DIR PASSWORD: starts again a PostgreSQL that start_postgres DIR made earlier and a caller kept (its
# data and its gitfleet password), on a new free port; sets the same variables as start_postgres.
resume_postgres() {
  local dir="$1"
  pgdata="$dir/data"; pgpassword="$2"; pgport=$(free_port)
  as_postgres "$pgbin/pg_ctl" -D "$pgdata" -o "-p $pgport" -l "$dir/log" -w -t 300 start >/dev/null
}
psql_() { PGPASSWORD="$pgpassword" psql -h 127.0.0.1 -p "$pgport" -U gitfleet -d gitfleet -tAq -c "$1"; }
stop_postgres() { [ -n "${pgdata:-}" ] && as_postgres "$pgbin/pg_ctl" -D "$pgdata" stop -m fast >/dev/null 2>&1 || true; }

# Replicas: set replicas_dir (data dirs and logs go there), gitfleet_dll (the published CLI) and replica_ports (one
# free port a replica, e.g. from free_port) first. start_replica I [FLAGS...] starts replica-I (1-based) with the
# caller's environment (GITFLEET_STORE_PASSWORD, GITFLEET_ADMIN_TOKEN, ...) and `gitfleet server` FLAGS (the store,
# the fleet repository, the shared artifact directory); its pid goes to replica_pids[I-1]. Starting it again after a
# stop reuses its data dir and port, so HAProxy finds it again.
replica_pids=()
start_replica() {
  local i=$1; shift
  mkdir -p "$replicas_dir/replica-$i"
  dotnet "$gitfleet_dll" server --data "$replicas_dir/replica-$i" --urls "https://127.0.0.1:${replica_ports[$((i - 1))]}" \
    --replica-name "replica-$i" "$@" >>"$replicas_dir/replica-$i.log" 2>&1 &
  replica_pids[$((i - 1))]=$!
}
replica_cert() { echo "$replicas_dir/replica-1/tls/server.crt"; }
# replica_ready I: replica-I's /health/ready answer (JSON), empty while it is not ready.
replica_ready() { curl -sf --max-time 2 --cacert "$(replica_cert)" "https://127.0.0.1:${replica_ports[$(($1 - 1))]}/health/ready" 2>/dev/null || true; }
# wait_replicas_ready [SECONDS=60]: until every started replica says it is ready; fails when one ended or time ran out.
wait_replicas_ready() {
  local limit="${1:-60}" i start=$SECONDS
  for i in $(seq "${#replica_ports[@]}"); do
    until [ -f "$replicas_dir/replica-$i/tls/server.crt" ] && [ -n "$(replica_ready "$i")" ]; do
      if ! kill -0 "${replica_pids[$((i - 1))]}" 2>/dev/null || [ $((SECONDS - start)) -gt "$limit" ]; then
        echo "replica-$i is not ready; the end of $replicas_dir/replica-$i.log:" >&2
        tail -20 "$replicas_dir/replica-$i.log" >&2
        return 1
      fi
      sleep 0.2
    done
  done
}
# leader_index: the 0-based index of the replica whose /health/ready says it leads, empty when none does.
leader_index() {
  local i
  for i in $(seq "${#replica_ports[@]}"); do
    if [ "$(replica_ready "$i" | python3 -c 'import json,sys; print(json.load(sys.stdin).get("role",""))' 2>/dev/null)" = leader ]; then
      echo $((i - 1)); return
    fi
  done
  echo ""
}

# start_haproxy DIR [PORT]: Debian's HAProxy in front of the replicas (TCP: TLS passes through; round robin; health
# checks on /health/ready: examples/haproxy/gitfleet.cfg), on PORT or a free port; sets haproxy_port, haproxy_pid and haproxy_url.
haproxy_pid=""
start_haproxy() {
  local dir="$1" i maxconn
  haproxy_port="${2:-$(free_port)}"
  # HAProxy needs two file descriptors a connection and refuses to start when it cannot raise its limit that far:
  # at most half of this shell's limit (20,000 here, under the documented 20,000 connections' 40,020).
  maxconn=$(( $(ulimit -n) / 2 - 100 )); [ "$maxconn" -gt 20000 ] && maxconn=20000
  mkdir -p "$dir"
  {
    # The documented configuration (examples/haproxy/gitfleet.cfg), on this machine's port and replicas.
    sed -e '/^#/d' -e '/^ *server /d' -e "s/^\( *\)bind :443\$/\1bind 127.0.0.1:$haproxy_port/" \
      -e "s/^\( *\)maxconn 20000\$/\1maxconn $maxconn/" \
      "$cluster_parts_root/examples/haproxy/gitfleet.cfg"
    for i in $(seq "${#replica_ports[@]}"); do echo "    server replica-$i 127.0.0.1:${replica_ports[$((i - 1))]}"; done
  } >"$dir/haproxy.cfg"
  grep -q "bind 127.0.0.1:$haproxy_port\$" "$dir/haproxy.cfg" || { echo "examples/haproxy/gitfleet.cfg has no 'bind :443' line to replace" >&2; return 1; }
  haproxy -f "$dir/haproxy.cfg" -db >"$dir/haproxy.log" 2>&1 &
  haproxy_pid=$!
  haproxy_url="https://127.0.0.1:$haproxy_port"
  for _ in $(seq 50); do
    curl -s -o /dev/null --cacert "$(replica_cert)" "$haproxy_url/health/live" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "HAProxy did not start:" >&2; cat "$dir/haproxy.log" >&2
  return 1
}

# stop_cluster_parts: SIGTERM to every replica (a clean stop releases the lease) and HAProxy, then PostgreSQL.
stop_cluster_parts() {
  local p
  for p in "${replica_pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  [ -n "$haproxy_pid" ] && kill "$haproxy_pid" 2>/dev/null || true
  for p in "${replica_pids[@]}" $haproxy_pid; do
    for _ in $(seq 100); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$p" 2>/dev/null || true
  done
  stop_postgres
}
