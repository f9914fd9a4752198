#!/usr/bin/env bash
# The restart storm (issue 11): N registered devices (real keys; auth requests signed in advance as mender-client
# 3.4 sends them) all "reconnect at once": signed auth request, inventory PUT with 17 attributes, v2 next, against
# a separate `gitfleet server` process. Two storms per run:
#   first contact - the devices are preauthorized (by an operator or git): every auth request accepts an auth set
#                   and every inventory is new (the write path: group commit);
#   restart       - the server is restarted (SIGTERM, then started again) and every device comes back: auth requests
#                   of accepted devices, inventories that did not change (timed from the server process's start).
# Prints per storm: the time until every device is authenticated and has reported its inventory, rate and latency
# of each kind of request, server CPU per request and RSS, and the CPU of the group-commit writer thread per device.
# Targets (issue 11): auth >= 5000/s with RSA-3072, ECDSA P-256 and Ed25519 alike; inventory PUTs >= 10000/s;
# p99 < 100 ms; 200,000 devices back online <= 60 s after a restart, 1,000,000 <= 5 minutes with RSS <= 1.5 GiB.
# Usage: [REGISTERED=1|direct] [BASELINE=DLL] [SERVER=DLL] [SERVER_ENV="NAME=VALUE ..."] [BENCH=DLL] [ROUNDS=1] bench/storm.sh [COUNTS="100000"] [KEYS="ecdsa ed25519 rsa"] [CONNECTIONS=64] [HANDSHAKES=false]
# With BASELINE=path/to/an/older/gitfleet.dll, every round runs both storms with that build too, alternating with this
# one (the baseline first in odd rounds, this build first in even ones) on fresh copies of the same prepared data, so
# both see the same machine. SERVER=DLL runs another build of this one (e.g. a plain `dotnet build` to compare with a
# plain baseline build) instead of the CLI that bench_build publishes; BENCH=DLL a Gitfleet.Bench.dll built already.
# SERVER_ENV sets runtime settings for this build's server only (e.g. BASELINE=<same dll> SERVER_ENV="DOTNET_TieredPGO=0"
# compares a setting side by side).
# Prepared devices are kept in bench/work/storm/KEYS-N (signing a million requests takes a while); each run starts
# from a copy of the prepared database.
# REGISTERED=1 (SQLite only) keeps the data of the first first-contact storm in bench/work/storm/KEYS-N/registered
# and, once it is there, skips first contact: each run copies the registered devices and times the restart storm
# only (at 200,000 devices and more, first contact takes minutes and is not what the restart target measures).
# PREPARE_ONLY=1 prepares (and with REGISTERED=direct registers) the devices and stops: run it outside the bench lock.
# REGISTERED=direct makes that registered data without a first-contact storm: `load storm-register` writes, through
# the store's own API, what the server writes for the storm's first contact (auth set accepted, the same inventory
# and digest, provides, a check-in), in minutes for a million devices instead of the better part of an hour; the
# restart storm after it then times exactly what a restart does, which the script checks: it prints the attributes
# the restart wrote (none: every inventory and provides the server saw was the one stored).
# STORES="sqlite postgres" runs every storm on each store in turn (issue 12: PostgreSQL within 2x of SQLite).
# PG_STATEMENTS=1 loads pg_stat_statements into that PostgreSQL and prints, after each storm on it, the WAL written and
# the statements that took the backends' time, per device (a profile: the extension's own cost makes it no timing run).
# PostgreSQL 15 is started here as the test harness starts it (durable settings, a temp dir), the same devices are
# preauthorized once into a seed database, and each run starts from a copy of it (CREATE DATABASE ... TEMPLATE).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
counts="${1:-100000}"; keys="${2:-ecdsa ed25519 rsa}"; connections="${3:-64}"; handshakes="${4:-false}"
work="$root/bench/work/storm"
# A free port, not a fixed one: other servers (tests, other benches) may run on this machine.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

if [ -n "${BENCH:-}" ]; then
  bench_dll="$BENCH"
elif [ -n "${SERVER:-}" ]; then
  dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
else
  bench_build
fi
this_dll="${SERVER:-$server_dll}"
rounds="${ROUNDS:-1}"; stores="${STORES:-sqlite}"
pgwork=""
cleanup() { stop_server; stop_postgres; if [ -n "$pgwork" ]; then rm -rf "$pgwork"; fi; }
trap cleanup EXIT
for store in $stores; do
  case "$store" in
    sqlite) ;;
    postgres)
      if [ -z "$pgwork" ]; then
        [ -x "$pgbin/initdb" ] || { echo "$pgbin/initdb is missing (scripts/prerequisites.sh installs postgresql)" >&2; exit 1; }
        pgwork="$(mktemp -d /tmp/gitfleet-storm-pg-XXXXXX)"; chmod 755 "$pgwork"
        start_postgres "$pgwork/pg"; export GITFLEET_STORE_PASSWORD="$pgpassword"
        if [ -n "${PG_STATEMENTS:-}" ]; then
          # Where the PostgreSQL backends' time goes: pg_stat_statements (it costs a little itself: profile, do not time).
          printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\npg_stat_statements.track_planning = on\ntrack_io_timing = on\n" >>"$pgdata/postgresql.conf"
          as_postgres "$pgbin/pg_ctl" -D "$pgdata" -w restart >/dev/null
          psql_ "CREATE EXTENSION pg_stat_statements"
        fi
      fi ;;
    *) echo "STORES holds sqlite and/or postgres, not '$store'" >&2; exit 1 ;;
  esac
  case "$store:${REGISTERED:-}" in
    postgres:?*) echo "REGISTERED works with the SQLite store only" >&2; exit 1 ;;
  esac
done
machine_line
echo "storm: $connections connections, new TLS connection per device: $handshakes"
for n in $counts; do
  for k in $keys; do
    dir="$work/$k-$n"
    if [ ! -f "$dir/prepared" ]; then
      rm -rf "$dir"; mkdir -p "$dir/seed"
      dotnet "$bench_dll" load storm-prepare --devices "$n" --keys "$k" --requests "$dir/requests.txt" --database "$dir/seed/gitfleet.db" --prefix "storm-$k"
      touch "$dir/prepared"
    fi
    if [ -n "$pgwork" ]; then
      psql_ "CREATE DATABASE seed_${k}_$n"
      dotnet "$bench_dll" load storm-preauthorize --requests "$dir/requests.txt" --store "postgres://gitfleet@127.0.0.1:$pgport/seed_${k}_$n"
    fi
    if [ "${REGISTERED:-}" = direct ] && [ ! -d "$dir/registered" ]; then
      rm -rf "$dir/registered.tmp"; mkdir -p "$dir/registered.tmp"; cp "$dir"/seed/gitfleet.db* "$dir/registered.tmp/"
      dotnet "$bench_dll" load storm-register --requests "$dir/requests.txt" --database "$dir/registered.tmp/gitfleet.db"
      touch "$dir/registered.tmp/.registered-directly"; mv "$dir/registered.tmp" "$dir/registered"
    fi
    if [ -n "${PREPARE_ONLY:-}" ]; then echo "== $n devices, $k keys: prepared${REGISTERED:+ and registered} in $dir"; continue; fi
    builds=(this); [ -n "${BASELINE:-}" ] && builds=(baseline this)
    for round in $(seq "$rounds"); do
      order=("${builds[@]}"); if [ $(( round % 2 )) = 0 ] && [ "${#builds[@]}" = 2 ]; then order=(this baseline); fi
      for build in "${order[@]}"; do
        if [ "$build" = baseline ]; then server_dll="$BASELINE"; server_env=(); else server_dll="$this_dll"; read -r -a server_env <<<"${SERVER_ENV:-}"; fi
        for store in $stores; do
          if [ "$store" = postgres ]; then
            data="$dir/data-pg"; server_args=(--store "postgres://gitfleet@127.0.0.1:$pgport/storm")
            psql_ "DROP DATABASE IF EXISTS storm WITH (FORCE)"; psql_ "CREATE DATABASE storm TEMPLATE seed_${k}_$n"
            rm -rf "$data"; mkdir -p "$data"
          else
            data="$dir/data"; server_args=()
            rm -rf "$data"; mkdir -p "$data"; cp "$dir"/seed/gitfleet.db* "$data/"
          fi
          for storm in "first contact" "restart"; do
            if [ "$storm" = "first contact" ] && [ -n "${REGISTERED:-}" ] && [ -d "$dir/registered" ]; then
              rm -rf "$data"; cp -a "$dir/registered" "$data"
              how="by an earlier run's first-contact storm"; [ -f "$dir/registered/.registered-directly" ] && how="through the store (load storm-register)"
              echo "== $n devices, $k keys, first contact skipped: the devices registered $how ($dir/registered)"
              continue
            fi
            if [ "$storm" = restart ]; then
              stop_server
              if [ -n "${REGISTERED:-}" ] && [ ! -d "$dir/registered" ]; then
                rm -rf "$dir/registered.tmp"; cp -a "$data" "$dir/registered.tmp"; mv "$dir/registered.tmp" "$dir/registered"
              fi
            fi
            if [ "$store" = postgres ] && [ -n "${PG_STATEMENTS:-}" ]; then psql_ "SELECT pg_stat_statements_reset(), pg_stat_reset_shared('wal')" >/dev/null; fi
            since=$(date +%s%3N)
            start_server "$data" "$port"
            ready=$(( $(date +%s%3N) - since ))
            echo "== $n devices, $k keys, $storm, store $store${BASELINE:+, $build build (round $round)} (server ready after $ready ms, load average $(cut -d' ' -f1 /proc/loadavg))"
            dotnet "$bench_dll" load storm --server "https://127.0.0.1:$port" --ca "$data/tls/server.crt" --requests "$dir/requests.txt" \
              --connections "$connections" --handshakes "$handshakes" --server-pid "$server_pid" --since-ms "$since" | grep -v '^result' || true
            if [ "$storm" = restart ] && [ -f "$data/.registered-directly" ]; then
              # The check that the direct registration left what a first-contact storm leaves: a restart writes no
              # attribute (an inventory or provides the server found different would be rewritten, newer).
              python3 - "$dir/registered/gitfleet.db" "$data/gitfleet.db" <<'PY'
import sqlite3, sys
since = sqlite3.connect(f"file:{sys.argv[1]}?immutable=1", uri=True).execute("SELECT max(updated_ms) FROM attributes").fetchone()[0]
rows = sqlite3.connect(f"file:{sys.argv[2]}?mode=ro", uri=True).execute(
    "SELECT scope, count(*) FROM attributes WHERE updated_ms > ? GROUP BY scope", (since,)).fetchall()
print("attributes the restart wrote over the directly registered devices: " + (", ".join(f"{n} {scope}" for scope, n in rows) or "none"))
PY
            fi
            if [ "$store" = postgres ] && [ -n "${PG_STATEMENTS:-}" ]; then
              echo "PostgreSQL during this storm, per device: WAL $(psql_ "SELECT round(wal_bytes / $n) || ' bytes, ' || round(wal_records::numeric / $n, 1) || ' records, ' || round(wal_fpi::numeric / $n, 2) || ' full pages' FROM pg_stat_wal"); statements by execution time (ms per device, calls per device, ms per call, planning ms per device, rows per call):"
              psql_ "SELECT round((s.total_exec_time / $n)::numeric, 3) || ' | ' || round(s.calls::numeric / $n, 2) || ' | ' || round(s.mean_exec_time::numeric, 3) || ' | ' || round((s.total_plan_time / $n)::numeric, 3) || ' | ' || round(s.rows::numeric / greatest(s.calls, 1), 1) || ' | ' || left(regexp_replace(s.query, '\s+', ' ', 'g'), 150) FROM pg_stat_statements s JOIN pg_database d ON d.oid = s.dbid WHERE d.datname = 'storm' ORDER BY s.total_exec_time DESC LIMIT 14"
            fi
          done
          stop_server
        done
      done
    done
    stop_server
  done
done
if [ -n "$pgwork" ]; then echo "issue 12: PostgreSQL within 2x of SQLite"; fi
echo "targets: auth >= 5000/s (every key type), inventory PUTs >= 10000/s, p99 < 100 ms; 200,000 devices <= 60 s after a restart; 1,000,000 <= 300 s, RSS <= 1536 MiB"
