#!/usr/bin/env bash
# Installs Gitfleet's device parts without a .deb (same layout as build-deb.sh produces).
# Usage: device/install.sh [DESTDIR]   (DESTDIR defaults to /; a staging root for image builders)
# Needs: mender-client, python3, curl, dbus; git and ansible-core for playbooks.
set -euo pipefail
source_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dest="${1:-/}"

install -d "$dest/usr/share/mender/modules/v3" "$dest/usr/share/mender/inventory" \
  "$dest/usr/lib/mender-configure/apply-device-config.d" "$dest/usr/lib/python3/dist-packages/gitfleet_device" \
  "$dest/usr/bin" "$dest/lib/systemd/system" "$dest/etc/gitfleet-ab/health-check.d" \
  "$dest/usr/share/gitfleet-playbooks" "$dest/usr/share/doc/gitfleet-device"
install -d -m 700 "$dest/var/lib/mender-configure"
install -m 755 "$source_dir/modules/mender-configure" "$source_dir/modules/gitfleet-ab" "$source_dir/modules/gitfleet-delta" "$dest/usr/share/mender/modules/v3/"
install -m 755 "$source_dir"/inventory/mender-inventory-* "$dest/usr/share/mender/inventory/"
install -m 755 "$source_dir"/hooks/* "$dest/usr/lib/mender-configure/apply-device-config.d/"
install -m 644 "$source_dir"/lib/gitfleet_device/*.py "$dest/usr/lib/python3/dist-packages/gitfleet_device/"
install -m 755 "$source_dir/tools/gitfleet-make-os-artifact" "$dest/usr/bin/"
install -m 644 "$source_dir/systemd/gitfleet-apply-device-config.service" "$dest/lib/systemd/system/"
install -m 644 "$source_dir/README.md" "$dest/usr/share/doc/gitfleet-device/README.md"

if [ "$dest" = / ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable gitfleet-apply-device-config.service >/dev/null 2>&1 || true
fi
echo "Gitfleet device parts installed under $dest"
