# Shared by the bench scripts: build once, start and stop a separate `gitfleet server` process, medians.
# shellcheck shell=bash
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bench_token="bench-admin-token-$(id -u)-0123456789abcdef"
bench_dll="$root/bench/Gitfleet.Bench/bin/Release/net10.0/Gitfleet.Bench.dll"
server_pid=""
server_dll="$root/.gitfleet/bin/gitfleet.dll"   # bench/dashboard.sh points it at an earlier build for a side-by-side run
server_env=()   # extra environment (NAME=VALUE) for the next start_server only: a runtime setting tried side by side

bench_build() {
  "$root/gitfleet" version >/dev/null   # publishes the CLI (Release, ReadyToRun) when a source changed
  dotnet build "$root/bench/Gitfleet.Bench" -c Release -nologo -v quiet -clp:ErrorsOnly >/dev/null
}

# start_server DATA_DIR PORT [taskset CPU list]: the server as its own process, as in production; server_args holds
# more flags (e.g. --store postgres://..., with GITFLEET_STORE_PASSWORD exported).
server_args=()
start_server() {
  local data="$1" port="$2" cpus="${3:-}"
  mkdir -p "$data"
  local launcher=()
  [ -n "$cpus" ] && launcher=(taskset -c "$cpus")
  env "${server_env[@]}" GITFLEET_ADMIN_TOKEN="$bench_token" GITFLEET_ADMIN_PASSWORD="bench-password" GITFLEET_DEVICE_TOKEN_LIFETIME=30d \
    "${launcher[@]}" dotnet "$server_dll" server --data "$data" --urls "https://127.0.0.1:$port" "${server_args[@]}" >"$data/server.log" 2>&1 &
  server_pid=$!
  for _ in $(seq 300); do   # up to a minute: a server with a million devices loads its views before it listens
    if curl -s -o /dev/null --cacert "$data/tls/server.crt" "https://127.0.0.1:$port/api/management/v1/gitfleet/info" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "the server did not start; see $data/server.log" >&2
  return 1
}

stop_server() {
  if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
    kill -TERM "$server_pid"
    wait "$server_pid" 2>/dev/null || true
  fi
  server_pid=""
}

# median_of FIELD < lines of "result k=v ...": the median of that field.
median_of() {
  grep -o " $1=[0-9.]*" | cut -d= -f2 | sort -n | awk '{v[NR]=$1} END {if (NR) print v[int((NR+1)/2)]; else print "n/a"}'
}

# build_order ROUND: the builds a round runs, in order: "this" alone, or with BASELINE= both, the baseline first in odd
# rounds and this build first in even ones (so neither always runs on the machine the other warmed).
build_order() {
  if [ -z "${BASELINE:-}" ]; then echo this; elif [ $(( $1 % 2 )) = 1 ]; then echo baseline this; else echo this baseline; fi
}

machine_line() {
  echo "machine: $(nproc) cores, $(free -m | awk '/^Mem:/ {print $2}') MiB memory, load average $(cut -d' ' -f1-3 /proc/loadavg)"
}

# field FIELD < JSON: a value of a JSON document by dotted path (devices.total), empty when absent.
field() { python3 -c "import json,sys; d=json.load(sys.stdin); v=d
for k in sys.argv[1].split('.'):
    v = (v or {}).get(k)
print('' if v is None else v)" "$1"; }

# rss_mib PID, cpu_s PID: a process's resident memory (MiB) and CPU time (user + system, seconds).
rss_mib() { awk '/VmRSS/ {printf "%d", $2/1024}' "/proc/$1/status" 2>/dev/null || echo 0; }
cpu_s() { awk '{printf "%.1f", ($14+$15)/100}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# start_nginx ARTIFACTS_DIR SECRET PORT WORK_DIR: Debian's nginx serving the artifact directory with the documented
# configuration (examples/nginx/gitfleet-downloads.conf; path, secret and port replaced). Its access log has one line
# per request: "URI STATUS BODY_BYTES".
nginx_pid=""
start_nginx() {
  local artifacts="$1" secret="$2" port="$3" dir="$4"
  mkdir -p "$dir"
  sed -e "s#/var/lib/gitfleet/artifacts/#${artifacts%/}/#" -e "s#CHANGE-ME-download-secret#$secret#" -e "s#listen 8080;#listen 127.0.0.1:$port;#" \
    "$root/examples/nginx/gitfleet-downloads.conf" >"$dir/site.conf"
  cat >"$dir/nginx.conf" <<CONF
daemon off;
$([ "$(id -u)" = 0 ] && echo "user root;")
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/error.log warn;
events { worker_connections 4096; }
http {
    log_format bytes '\$request_uri \$status \$body_bytes_sent';
    access_log $dir/access.log bytes buffer=64k flush=1s;
    client_body_temp_path $dir/client-body;
    proxy_temp_path $dir/proxy;
    fastcgi_temp_path $dir/fastcgi;
    uwsgi_temp_path $dir/uwsgi;
    scgi_temp_path $dir/scgi;
    include $dir/site.conf;
}
CONF
  : >"$dir/access.log"
  nginx -p "$dir" -c "$dir/nginx.conf" &
  nginx_pid=$!
  for _ in $(seq 50); do
    curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0
    sleep 0.1
  done
  echo "nginx did not start; see $dir/error.log" >&2
  return 1
}

stop_nginx() {
  if [ -n "$nginx_pid" ] && kill -0 "$nginx_pid" 2>/dev/null; then
    kill -TERM "$nginx_pid"
    wait "$nginx_pid" 2>/dev/null || true
  fi
  nginx_pid=""
}

# cpu_seconds PID: user + system CPU seconds of a process so far.
cpu_seconds() { awk '{printf "%.2f", ($14+$15)/100}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# prepare_generated_fleet WORK DEVICES: a generated fleet repository (main = base commit, branch "change" = new OS
# images for every device type) and its facts, made once and kept (bench/reconcile.sh and bench/dashboard.sh).
prepare_generated_fleet() {
  local work="$1" devices="$2"
  if [ ! -d "$work/fleet/.git" ]; then
    rm -rf "$work"; mkdir -p "$work/fleet"
    local host_vars=$(( devices / 10 < 3000 ? devices / 10 : 3000 ))
    dotnet "$bench_dll" generate-fleet "$work/fleet" "$devices" "$host_vars" >/dev/null
    git -C "$work/fleet" init -q -b main
    git -C "$work/fleet" add -A
    git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qm "Generated fleet"
    git -C "$work/fleet" branch production
    git -C "$work/fleet" checkout -q -b change
    sed -i 's/2026-02-01-/2026-03-01-/' "$work/fleet/group_vars/all.yml"
    git -C "$work/fleet" -c user.name=bench -c user.email=bench@localhost commit -qam "New OS images for every device type"
    git -C "$work/fleet" checkout -q main
  fi
}

# PostgreSQL as the test harness runs it (start_postgres, psql_, stop_postgres, free_port), replicas and HAProxy:
# shared with ./demo.sh --replicas N.
# shellcheck source=scripts/cluster-parts.sh
source "$root/scripts/cluster-parts.sh"

# rollout_fleet DIR TYPE...: the scale run's fleet repository (bench/rollout.sh, bench/rollout-cpu.sh), committed on
# branch production: every device of the given types subscribes to production through a dynamic group, on its
# TYPE-factory image; waves 1%, 10%, 50%, 100% of at most 25,000 devices at once, soak 30 s, completeAt 99%.
rollout_fleet() {
  local dir="$1"; shift
  local types=("$@")
  mkdir -p "$dir/group_vars"
  cat >"$dir/inventory.yml" <<EOF
all:
  children:
    field:
      selector:
        matchExpressions:
          - {key: device_type, operator: In, values: [$(IFS=,; echo "${types[*]}" | sed 's/,/, /g')]}
      vars:
        subscribed_branch: production
EOF
  {
    echo "os_image:"
    for t in "${types[@]}"; do printf '  - device_type: %s\n    image_name: %s-factory\n' "$t" "$t"; done
  } >"$dir/group_vars/all.yml"
  cat >"$dir/gitfleet.yml" <<EOF
branches:
  production:
    rollout:
      waves: [1%, 10%, 50%, 100%]
      maxConcurrent: 25000
      failureThreshold: 2%
      retries: 1
      soak: 30s
      offlineTimeout: 3m
      completeAt: 99%
EOF
  git -C "$dir" init -q -b production
  git -C "$dir" add -A
  git -C "$dir" -c user.name=bench -c user.email=bench@localhost commit -qm "Fleet on factory images"
}
