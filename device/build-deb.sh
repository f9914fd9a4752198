#!/usr/bin/env bash
# Builds gitfleet-device_<version>_all.deb with dpkg-deb (no debhelper needed).
# Usage: device/build-deb.sh [--version VERSION] [--output-dir DIR]   (prints the .deb's path)
set -euo pipefail
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
version="$(sed -n 's/^VERSION = "\(.*\)"$/\1/p' "$source_dir/lib/gitfleet_device/__init__.py")"
output_dir="$source_dir/build"
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version="${2:?--version needs a value}"; shift 2 ;;
    --output-dir) output_dir="${2:?--output-dir needs a directory}"; shift 2 ;;
    *) echo "build-deb.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
command -v dpkg-deb >/dev/null || { echo "build-deb.sh: dpkg-deb is missing (apt-get install dpkg-dev)" >&2; exit 1; }

staging="$(mktemp -d)"
trap 'rm -rf "$staging"' EXIT
"$source_dir/install.sh" "$staging/root" >/dev/null
sed -i "s/^VERSION = .*/VERSION = \"$version\"/" "$staging/root/usr/lib/python3/dist-packages/gitfleet_device/__init__.py"

mkdir -p "$staging/root/DEBIAN"
cat > "$staging/root/DEBIAN/control" <<CONTROL
Package: gitfleet-device
Version: $version
Architecture: all
Maintainer: Gitfleet contributors <gitfleet@example.invalid>
Installed-Size: $(du -sk --exclude=DEBIAN "$staging/root" | cut -f1)
Depends: mender-client, python3 (>= 3.10), curl, dbus
Recommends: git, ansible-core, xdelta3
Suggests: mender-artifact
Section: admin
Priority: optional
Description: Gitfleet device parts for the Mender client
 The mender-configure update module (configuration artifacts with the
 expected_os_image interlock and rollback), a hook that applies an Ansible
 playbook from git or from a Debian package, inventory scripts that report
 the running OS image and the applied configuration, and the gitfleet-ab
 update module for A/B OS updates with health checks and rollback, and the
 gitfleet-delta update module that rebuilds the next image from the running
 one plus a binary delta (with xdelta3), checked before it switches.
CONTROL
cat > "$staging/root/DEBIAN/postinst" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = configure ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload >/dev/null 2>&1 || true
  systemctl enable gitfleet-apply-device-config.service >/dev/null 2>&1 || true
fi
SCRIPT
cat > "$staging/root/DEBIAN/prerm" <<'SCRIPT'
#!/bin/sh
set -e
if [ "$1" = remove ] && [ -d /run/systemd/system ]; then
  systemctl disable gitfleet-apply-device-config.service >/dev/null 2>&1 || true
fi
SCRIPT
chmod 755 "$staging/root/DEBIAN/postinst" "$staging/root/DEBIAN/prerm"

mkdir -p "$output_dir"
deb="$output_dir/gitfleet-device_${version}_all.deb"
dpkg-deb --root-owner-group -Zxz --build "$staging/root" "$deb" >/dev/null
echo "$deb"
