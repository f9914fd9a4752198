#!/usr/bin/env bash
# The README's first command: installs what is missing, then runs Gitfleet's demo on its embedded defaults.
# ./demo.sh --replicas N (2 to 9) runs the same demo on a cluster instead of one server on SQLite: PostgreSQL 15
# (started here as the test harness starts it), N `gitfleet server` replicas on it and HAProxy in front, the devices
# and the operator going through HAProxy (docs/operations.md); it shows which replica leads and stops every part at
# the end (also on Ctrl-C or an error). There, --port P is HAProxy's port (the one address devices and operators use).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
replicas=""; dir=".gitfleet/demo"; port=""; args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) [ $# -ge 2 ] || { echo "--replicas needs a number" >&2; exit 2; }; replicas="$2"; shift 2 ;;
    --replicas=*) replicas="${1#*=}"; shift ;;
    --dir) [ $# -ge 2 ] || { echo "--dir needs a directory" >&2; exit 2; }; dir="$2"; args+=("$1" "$2"); shift 2 ;;
    --dir=*) dir="${1#*=}"; args+=("$1"); shift ;;
    --port) [ $# -ge 2 ] || { echo "--port needs a number" >&2; exit 2; }; port="$2"; shift 2 ;;
    --port=*) port="${1#*=}"; shift ;;
    *) args+=("$1"); shift ;;
  esac
done
"$root/scripts/prerequisites.sh"
if [ -z "$replicas" ]; then
  exec "$root/gitfleet" demo ${port:+--port "$port"} "${args[@]}"
fi
if ! [[ "$replicas" =~ ^[0-9]+$ ]] || [ "$replicas" -lt 2 ] || [ "$replicas" -gt 9 ]; then
  echo "--replicas must be a number from 2 to 9 (without it the demo runs one server on SQLite)" >&2
  exit 2
fi
if [ -n "$port" ] && { ! [[ "$port" =~ ^[0-9]+$ ]] || [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; }; then
  echo "--port must be between 1 and 65535 (HAProxy's port; without it a free one)" >&2
  exit 2
fi

"$root/gitfleet" version >/dev/null   # builds the CLI when a source changed
# shellcheck source=scripts/cluster-parts.sh
source "$root/scripts/cluster-parts.sh"
work="$(mktemp -d /tmp/gitfleet-demo-replicas-XXXXXX)"
chmod 755 "$work"   # PostgreSQL runs as its own user
cleanup() {
  echo "Stopping the replicas, HAProxy and PostgreSQL..."
  stop_cluster_parts
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# The fleet repository first: the replicas watch it from their start.
"$root/gitfleet" demo --fleet-only --dir "$dir"
fleet="$(realpath "$dir")/fleet"
start_postgres "$work/pg"
token="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
password="$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"
replicas_dir="$work"; gitfleet_dll="$root/.gitfleet/bin/gitfleet.dll"; replica_ports=()
for _ in $(seq "$replicas"); do replica_ports+=("$(free_port)"); done
mkdir -p "$work/artifacts"
# The sample's templates read two secrets: sample values unless the environment has them (as the one-server demo).
export INFLUXDB_HTTP_TOKEN="${INFLUXDB_HTTP_TOKEN:-sample-influxdb-token}" GITHUB_RUNNER_TOKEN="${GITHUB_RUNNER_TOKEN:-sample-runner-token}"
for i in $(seq "$replicas"); do   # together, on the empty database: they race the migrations
  GITFLEET_STORE_PASSWORD="$pgpassword" GITFLEET_ADMIN_TOKEN="$token" GITFLEET_ADMIN_PASSWORD="$password" \
  GITFLEET_RECONCILE_INTERVAL=1s GITFLEET_CHECKIN_FLUSH_INTERVAL=1s \
    start_replica "$i" --store "postgres://gitfleet@127.0.0.1:$pgport/gitfleet" --artifacts-dir "$work/artifacts" \
    --fleet-repo "$fleet" --fleet-branches main,canary,production --fleet-poll-interval 1s
done
wait_replicas_ready 180
start_haproxy "$work/haproxy" "$port"

show_roles() {
  local leader i; leader="$(leader_index)"
  for i in $(seq "$replicas"); do
    printf '  replica-%s  https://127.0.0.1:%s  %s\n' "$i" "${replica_ports[$((i - 1))]}" \
      "$([ "$leader" = $((i - 1)) ] && echo "leader: runs the git watcher and the rollout engine" || echo "follower")"
  done
}
echo "PostgreSQL 15 on 127.0.0.1:$pgport (data in $work/pg); HAProxy on $haproxy_url in front of $replicas replicas (logs in $work):"
show_roles
status=0
GITFLEET_TOKEN="$token" GITFLEET_ADMIN_PASSWORD="$password" \
  "$root/gitfleet" demo "${args[@]}" --server "$haproxy_url" --ca-cert "$(replica_cert)" || status=$?
echo "The replicas at the end:"
show_roles
exit "$status"
