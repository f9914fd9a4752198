#!/usr/bin/env bash
# Builds the realistic image pair (and two older bases) for bench/delta.sh, as root, with mmdebstrap from Debian's
# mirror: Debian 12 root filesystems with the packages of a Gitfleet device (systemd, openssh, python3, ansible-core,
# mender-client, a kernel), each turned into a 1 GiB ext4 image (fixed UUID, hash seed and timestamps, so a rebuild
# gives the same bytes) and a gitfleet-ab Mender artifact (gzip, as mender-artifact writes by default).
#
#   point   bookworm as the point release ships it (no security or stable updates)
#   target  point + bookworm-updates + bookworm-security: what a build today gets (the new monthly release)
#   m1, m2  the releases one and two months before target: the upgrades target brings over point, minus those
#           whose newest changelog entry is younger than 30 (m1) or 60 (m2) days before the newest upgrade
#
# Usage: bench/delta/build-images.sh WORK_DIR     (idempotent: an image that exists is kept)
set -euo pipefail
work="$1"; mkdir -p "$work/debs" "$work/images"
image_size="${IMAGE_SIZE:-1G}"
packages="systemd-sysv,udev,dbus,kmod,openssh-server,python3,python3-yaml,python3-requests,curl,ca-certificates,iproute2,iputils-ping,ifupdown,isc-dhcp-client,chrony,less,vim-tiny,sudo,git,ansible-core,mender-client,e2fsprogs,procps,nftables,wpasupplicant,logrotate,cron,linux-image-amd64,zstd,xdelta3"
mirror="http://deb.debian.org/debian"
security="http://deb.debian.org/debian-security"
export SOURCE_DATE_EPOCH=1767225600   # 2026-01-01: equal timestamps in every build

# mmdebstrap_into DIR SOURCES... [-- EXTRA ARGS]: a root filesystem in DIR, .debs cached in $work/debs.
mmdebstrap_into() {
  local dir="$1"; shift
  local sources=() extra=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do sources+=("$1"); shift; done
  [ $# -gt 0 ] && { shift; extra=("$@"); }
  rm -rf "$dir"
  mmdebstrap --quiet --mode=root --variant=minbase --include="$packages" \
    --aptopt='Acquire::Retries "3"' \
    --skip=download/empty \
    "${extra[@]}" \
    --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
    --setup-hook="sync-in $work/debs /var/cache/apt/archives/" \
    --customize-hook="sync-out /var/cache/apt/archives $work/debs" \
    --customize-hook='rm -f "$1"/var/cache/apt/archives/*.deb' \
    --customize-hook='chroot "$1" dpkg-query -W -f "\${Package} \${Version} \${source:Package}\n" > "$1"/../'"$(basename "$dir")"'.packages' \
    bookworm "$dir" "${sources[@]}"
}

# ext4_image DIR IMAGE: a fixed-size ext4 image of DIR with fixed identifiers and times.
ext4_image() {
  local dir="$1" image="$2"
  rm -f "$image"
  E2FSPROGS_FAKE_TIME=$SOURCE_DATE_EPOCH mkfs.ext4 -q -F -L rootfs -b 4096 -I 256 \
    -U 6c0ab1f3-5d9e-4c1a-9a47-0e3d6a1b2c3d -E hash_seed=0b6f0d1e-2a3b-4c5d-8e9f-a0b1c2d3e4f5,root_owner=0:0 \
    -d "$dir" "$image" "$image_size"
}

artifact() {
  local name="$1" image="$2" out="$3"
  rm -f "$out"
  mender-artifact write module-image -T gitfleet-ab -n "$name" -t bench-x86 -f "$image" \
    --provides "rootfs-image.version:$name" --clears-provides "rootfs-image.*" -o "$out" >/dev/null
}

build() {
  local name="$1"; shift
  local dir="$work/rootfs/$name"
  if [ -f "$work/images/$name.ext4" ] && [ -f "$work/images/$name.mender" ]; then
    echo "$name: kept $(du -h --apparent-size "$work/images/$name.ext4" | cut -f1) image" >&2
    return
  fi
  mkdir -p "$work/rootfs"
  echo "$name: mmdebstrap ($*)" >&2
  mmdebstrap_into "$dir" "$@"
  echo "$name: $(du -sh "$dir" | cut -f1) root filesystem, $(wc -l <"$work/rootfs/$name.packages") packages" >&2
  ext4_image "$dir" "$work/images/$name.ext4"
  artifact "$name" "$work/images/$name.ext4" "$work/images/$name.mender"
  rm -rf "$dir"
}

build point "deb $mirror bookworm main"
build target "deb $mirror bookworm main" "deb $mirror bookworm-updates main" "deb $security bookworm-security main"

# The upgrades target brings, by source package, with the date of the target version's newest changelog entry
# (read from the cached .debs): what lets the older releases below be rebuilt as they were.
upgrades="$work/rootfs/upgrades.tsv"
if [ ! -s "$upgrades" ]; then
  python3 "$(dirname "$0")/upgrade-dates.py" "$work/rootfs/point.packages" "$work/rootfs/target.packages" "$work/debs" >"$upgrades"
fi
echo "target upgrades $(wc -l <"$upgrades") packages over point ($(cut -f2 "$upgrades" | sort -u | wc -l) source packages)" >&2

# A release between point and target: point, then target's upgrades except those of the HELD source packages
# (every binary of a source moves together), installed from bookworm-updates and bookworm-security as a month's
# `apt-get upgrade` would. HELD is a list of source package names.
build_holding() {
  local name="$1" description="$2"; shift 2
  local held=" $* " upgrade=()
  while IFS=$'\t' read -r _ source package _ new; do
    if [[ "$held" != *" $source "* ]]; then upgrade+=("$package=$new"); fi
  done <"$upgrades"
  echo "$name: $description: ${#upgrade[@]} of $(wc -l <"$upgrades") upgrades" >&2
  build "$name" "deb $mirror bookworm main" -- \
    --customize-hook="echo 'deb $mirror bookworm-updates main' >> \"\$1\"/etc/apt/sources.list" \
    --customize-hook="echo 'deb $security bookworm-security main' >> \"\$1\"/etc/apt/sources.list" \
    --customize-hook='chroot "$1" apt-get update -qq' \
    --customize-hook="chroot \"\$1\" env DEBIAN_FRONTEND=noninteractive apt-get install -qq -y --no-install-recommends ${upgrade[*]} >/dev/null" \
    --customize-hook='chroot "$1" apt-get clean' \
    --customize-hook='rm -rf "$1"/var/lib/apt/lists/*'
}

# Sources upgraded later than DAYS before target's newest upgrade.
newer_than() {
  local newest cutoff
  newest=$(tail -1 "$upgrades" | cut -f1)
  cutoff=$((newest - $1 * 86400))
  awk -F'\t' -v c="$cutoff" '$1 > c {print $2}' "$upgrades" | sort -u | tr '\n' ' '
}

kernel_sources="linux-signed-amd64"
# shellcheck disable=SC2046
build_holding m1 "the release a month before target" $(newer_than 30)
# shellcheck disable=SC2046
build_holding m2 "the release two months before target" $(newer_than 60)
build_holding target-userland "target without its kernel update (the kernel stays at point's ABI)" $kernel_sources
ls -l "$work/images" >&2
