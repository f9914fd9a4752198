#!/usr/bin/env bash
# Delta updates on a realistic image pair (issue 14): builds Debian 12 root filesystems with mmdebstrap from Debian's
# mirror (bench/delta/build-images.sh: the point release, the releases one and two months before today's, today's,
# and today's without its kernel update), each a 1 GiB ext4 image and a gitfleet-ab Mender artifact; compares delta
# methods on the monthly update (bench/delta/methods.sh: size against the full compressed artifact, time and memory
# to generate and to apply, byte-identical result); then a simulated rollout of DEVICES devices spread over three base
# images through the real server, with downloads offloaded to nginx (bench/delta/rollout.sh: bytes over the air
# against full images, server CPU per update). Work files stay in bench/work/delta (the images: about 10 GB).
# Usage: bench/delta.sh [DEVICES=10000] [--quick]   (--quick: xdelta3 and casync only, 1,000 devices)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
devices=10000; quick=0
for arg in "$@"; do case "$arg" in --quick) quick=1; devices=1000 ;; *) devices="$arg" ;; esac; done
work="$root/bench/work/delta"
for tool in mmdebstrap xdelta3 zstd casync bsdiff nginx mender-artifact mkfs.ext4; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: apt-get install mmdebstrap xdelta3 zstd casync bsdiff nginx mender-artifact e2fsprogs" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "bench/delta.sh builds root filesystems with mmdebstrap --mode=root: run it as root" >&2; exit 1; }
bench_build
machine_line

echo "== images"
"$root/bench/delta/build-images.sh" "$work" 2>&1 | grep -v '^debconf\|^W: \|^I: '
images="$work/images"
for name in point m2 m1 target target-userland; do
  printf '  %-16s ext4 %s bytes, artifact %s bytes\n' "$name" "$(stat -c %s "$images/$name.ext4")" "$(stat -c %s "$images/$name.mender")"
done
echo "  upgrades from point to target (date of the new version's changelog entry, source package):"
awk -F'\t' '{print "    " strftime("%Y-%m-%d", $1) "  " $2}' "$work/rootfs/upgrades.tsv" | sort -u

if [ "$quick" = 1 ]; then
  monthly=(xdelta3-9-256m casync-64k); kernel=(xdelta3-9-256m)
else
  monthly=(xdelta3-9-1g xdelta3-9-512m xdelta3-6-512m xdelta3-9-256m xdelta3-6-256m zstd-9 casync-64k casync-16k bsdiff-128m)
  kernel=(xdelta3-9-1g xdelta3-9-256m zstd-9 casync-64k)
fi
echo "== methods: the monthly security release (m1 -> target-userland)"
"$root/bench/delta/methods.sh" "$images/m1.ext4" "$images/target-userland.ext4" "$images/target-userland.mender" "$work/methods/monthly" "${monthly[@]}"
echo "== methods: the monthly release with a kernel ABI update (m1 -> target)"
"$root/bench/delta/methods.sh" "$images/m1.ext4" "$images/target.ext4" "$images/target.mender" "$work/methods/kernel" "${kernel[@]}"

echo "== fleet: $devices devices on three base images (60% m1, 30% m2, 10% point) -> target-userland"
"$root/bench/delta/rollout.sh" "$work" target-userland "$devices" m1:6 m2:3 point:1
echo "== fleet: the same with the kernel update (-> target)"
"$root/bench/delta/rollout.sh" "$work" target "$devices" m1:6 m2:3 point:1
