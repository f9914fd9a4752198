#!/usr/bin/env bash
# Runs every benchmark on this machine and writes bench/results/<date>.md: the machine (cores, memory, load average
# at the start), the commit, and each script's output (runs and medians). The machine is shared and noisy: compare
# medians and ratios, not single runs.
# Usage: bench/run.sh [--quick]   (--quick: fewer devices, runs and bytes; for checking that everything works)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
quick=0; [ "${1:-}" = "--quick" ] && quick=1
mkdir -p "$root/bench/results"
out="$root/bench/results/$(date -u +%Y-%m-%d).md"
[ "$quick" = 1 ] && out="$root/bench/results/$(date -u +%Y-%m-%d)-quick.md"

{
  echo "# Benchmarks $(date -u +'%Y-%m-%d %H:%M UTC')"
  echo
  echo "- commit: $(git -C "$root" rev-parse --short HEAD)$(git -C "$root" diff --quiet HEAD -- src bench || echo ' (with uncommitted changes)')"
  echo "- machine: $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)), $(free -m | awk '/^Mem:/ {print $2}') MiB memory"
  echo "- load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared with other work)"
  echo "- .NET SDK $(dotnet --version)"
  echo
} >"$out"

section() {
  local title="$1"; shift
  echo "running: $title" >&2
  {
    echo "## $title"
    echo
    echo '```'
    echo "\$ $*"
  } >>"$out"
  local started=$SECONDS
  if "$@" >>"$out" 2>&1; then status=ok; else status="failed (exit $?)"; fi
  {
    echo '```'
    echo
    echo "$status, $((SECONDS - started)) s; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo
  } >>"$out"
}

if [ "$quick" = 1 ]; then
  section "Device check-ins" "$root/bench/checkins.sh" "2000" 1 5
  section "Restart storm" "$root/bench/storm.sh" 2000 "ecdsa ed25519"
  section "Artifact downloads" "$root/bench/downloads.sh" 32 2 2
  section "Simulated devices" "$root/bench/simulator.sh" 2000 1 10
  section "Planning" "$root/bench/plan.sh" 20000 300 1
  section "Reconcile" "$root/bench/reconcile.sh" "10000" 1
  section "Rollout (scale run)" "$root/bench/rollout.sh" 2000 5
  section "Download cost (server-served against offloaded to nginx)" "$root/bench/download-cost.sh" 20 32
  section "Delta updates (Debian images, method comparison, fleet rollout)" "$root/bench/delta.sh" --quick
else
  section "Device check-ins (server and generator share both cores)" "$root/bench/checkins.sh" "10000 100000" 3 20
  section "Device check-ins (server pinned to CPU 0, generator to CPU 1)" env LAYOUT=split "$root/bench/checkins.sh" "100000" 3 20
  section "Restart storm (first contact of preauthorized devices, then all back after a server restart)" "$root/bench/storm.sh" "100000" "ecdsa ed25519 rsa"
  section "Artifact downloads" "$root/bench/downloads.sh" 256 5 4
  section "Simulated devices (the simulator's own cost, 20,000 devices polling every 2 s)" "$root/bench/simulator.sh" 20000 2 30
  section "Planning (gitfleet plan, 200,000 devices)" "$root/bench/plan.sh"
  section "Reconcile (server side, 10,000 / 100,000 / 200,000 devices)" "$root/bench/reconcile.sh" "10000 100000 200000" 3
  section "Rollout (scale run: 100,000 simulated devices, production waves)" "$root/bench/rollout.sh" 100000 30
  section "Download cost (100 updates of a 256 MiB image: served by the server, then offloaded to nginx)" "$root/bench/download-cost.sh" 100 256
  section "Delta updates (Debian images, method comparison, 10,000-device rollout over three bases)" "$root/bench/delta.sh" 10000
fi
echo "wrote $out" >&2
