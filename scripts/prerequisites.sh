#!/usr/bin/env bash
# Installs what Gitfleet's demo and tests need on Debian 12, when it is missing. Idempotent and quiet
# when everything is present. Sourced or run by demo.sh and test.sh.
set -euo pipefail

# Debian packages: git for the fleet repository, the real Mender tools for end-to-end tests,
# ansible-core for the device playbook hook and the precedence tests, dpkg-dev to build the device .deb,
# tzdata for maintenance windows in IANA time zones, prometheus for promtool (alert rule tests), chromium for the
# dashboard's browser tests, postgresql (15) and haproxy for the PostgreSQL store and the cluster tests (the harness
# starts both itself); nginx (offloaded downloads with signed links), xdelta3 and e2fsprogs (delta updates of ext4
# images). bench/delta.sh needs mmdebstrap, zstd, casync and bsdiff as well; it says so when they are missing.
GITFLEET_APT_PACKAGES=(git prometheus chromium mender-client mender-artifact mender-cli ansible-core dpkg-dev fakeroot openssl ca-certificates curl python3 sqlite3 util-linux dbus tzdata postgresql haproxy nginx xdelta3 e2fsprogs)

missing=()
for package in "${GITFLEET_APT_PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing missing Debian packages: ${missing[*]}" >&2
  sudo_cmd=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "error: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
    sudo_cmd=(sudo)
  fi
  export DEBIAN_FRONTEND=noninteractive
  "${sudo_cmd[@]}" apt-get update -qq </dev/null
  "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
  # mender-client's, postgresql's and haproxy's packages start daemons on systemd machines; the demo and
  # tests run their own, on free ports.
  if command -v systemctl >/dev/null; then
    for service in mender-client postgresql haproxy; do
      if systemctl is-active --quiet "$service" 2>/dev/null; then
        "${sudo_cmd[@]}" systemctl disable --now "$service" >/dev/null 2>&1 || true
      fi
    done
  fi
fi

if ! command -v dotnet >/dev/null; then
  cat >&2 <<'MSG'
error: the .NET 10 SDK is missing. Install it from Microsoft's Debian repository:
  wget https://packages.microsoft.com/config/debian/12/packages-microsoft-prod.deb -O /tmp/ms.deb
  sudo dpkg -i /tmp/ms.deb && sudo apt-get update && sudo apt-get install -y dotnet-sdk-10.0
MSG
  exit 1
fi

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
