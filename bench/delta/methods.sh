#!/usr/bin/env bash
# Measures delta methods on one pair of images: size against the full compressed artifact, time and peak memory to
# generate (server side) and to apply (device side, source window 64 MiB where the tool has one), and whether the
# rebuilt image is byte-identical to the target. Prints one "result" line per method and a table.
#
# Usage: bench/delta/methods.sh BASE.ext4 TARGET.ext4 FULL_ARTIFACT.mender WORK_DIR [METHODS...]
#   methods: xdelta3-9-1g xdelta3-9-512m xdelta3-6-512m xdelta3-9-256m xdelta3-6-256m zstd-19 zstd-9 bsdiff-128m casync-64k casync-16k
set -euo pipefail
base="$1"; target="$2"; full="$3"; work="$4"; shift 4
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(xdelta3-9-1g xdelta3-9-512m xdelta3-6-512m xdelta3-9-256m zstd-19 zstd-9 bsdiff-128m casync-64k casync-16k)
mkdir -p "$work"
full_size=$(stat -c %s "$full")
target_sum=$(sha256sum "$target" | cut -d' ' -f1)

# timed FILE COMMAND...: runs COMMAND under GNU time, appends "wall user sys maxrss_kib" to FILE.
timed() {
  local out="$1"; shift
  /usr/bin/time -f "%e %U %S %M" -o "$out" "$@" >/dev/null 2>"$out.stderr" || { echo "failed: $* ($(tail -2 "$out.stderr"))" >&2; return 1; }
}

report() {
  local method="$1" bytes="$2" enc="$3" dec="$4" rebuilt="$5" reference="$6" note="${7:-}"
  read -r ew eu es em <"$enc"; read -r dw du ds dm <"$dec"
  local ok=no
  [ "$(sha256sum "$rebuilt" | cut -d' ' -f1)" = "$(sha256sum "$reference" | cut -d' ' -f1)" ] && ok=yes
  awk -v m="$method" -v b="$bytes" -v f="$full_size" -v ew="$ew" -v eu="$eu" -v es="$es" -v em="$em" -v dw="$dw" -v du="$du" -v ds="$ds" -v dm="$dm" -v ok="$ok" -v note="$note" \
    'BEGIN { printf "result method=%s bytes=%d pct_of_full=%.2f enc_wall=%.1f enc_cpu=%.1f enc_rss_mib=%d dec_wall=%.1f dec_cpu=%.1f dec_rss_mib=%d identical=%s%s\n",
             m, b, 100*b/f, ew, eu+es, em/1024, dw, du+ds, dm/1024, ok, (note == "" ? "" : " note=" note) }'
  rm -f "$rebuilt"
}

xdelta() {
  local name="$1" level="$2" window="$3"
  local out="$work/$name.vcdiff"
  timed "$work/$name.enc" nice xdelta3 -e "-$level" -S djw -f -B "$window" -s "$base" "$target" "$out"
  timed "$work/$name.dec" nice xdelta3 -d -f -B 67108864 -s "$base" "$out" "$work/$name.rebuilt"
  report "$name" "$(stat -c %s "$out")" "$work/$name.enc" "$work/$name.dec" "$work/$name.rebuilt" "$target"
}

zstd_patch() {
  local name="$1" level="$2"
  local out="$work/$name.zst"
  timed "$work/$name.enc" nice zstd -q "-$level" --ultra --long=30 -T2 -f --patch-from="$base" "$target" -o "$out"
  timed "$work/$name.dec" nice zstd -q -d --long=30 --memory=2048MB -f --patch-from="$base" "$out" -o "$work/$name.rebuilt"
  report "$name" "$(stat -c %s "$out")" "$work/$name.enc" "$work/$name.dec" "$work/$name.rebuilt" "$target"
}

# bsdiff needs about 17 times the image in memory: measured on the first 128 MiB of both images, and said so.
bsdiff_prefix() {
  local name="$1"
  head -c $((128 << 20)) "$base" >"$work/base-128m"; head -c $((128 << 20)) "$target" >"$work/target-128m"
  timed "$work/$name.enc" nice bsdiff "$work/base-128m" "$work/target-128m" "$work/$name.bsdiff"
  timed "$work/$name.dec" nice bspatch "$work/base-128m" "$work/$name.rebuilt" "$work/$name.bsdiff"
  local prefix_full=$((full_size * 128 / 1024))
  full_size_saved=$full_size; full_size=$prefix_full
  report "$name" "$(stat -c %s "$work/$name.bsdiff")" "$work/$name.enc" "$work/$name.dec" "$work/$name.rebuilt" "$work/target-128m" \
    "first_128MiB_only_pct_is_against_an_eighth_of_the_artifact"
  full_size=$full_size_saved
  rm -f "$work/base-128m" "$work/target-128m"
}

# casync-style chunking: both images chunked once into one store (no per-pair work); a device fetches the target's
# chunks its running image lacks. Bytes = the compressed chunks of the target that the base does not have.
casync_chunks() {
  local name="$1" size="$2"
  local base_store="$work/$name.base.castr" store="$work/$name.castr"
  rm -rf "$base_store" "$store"
  nice casync make --compression=zstd --chunk-size="$size" --store="$base_store" "$work/$name.base.caibx" "$base" >/dev/null
  timed "$work/$name.enc" nice casync make --compression=zstd --chunk-size="$size" --store="$store" "$work/$name.target.caibx" "$target"
  # The chunks of the target the base lacks (chunk files are named by their digest), plus the index itself.
  local bytes missing
  comm -13 <(cd "$base_store" && find . -name '*.cacnk' | sort) <(cd "$store" && find . -name '*.cacnk' | sort) >"$work/$name.missing"
  missing=$(wc -l <"$work/$name.missing")
  bytes=$( (cd "$store" && xargs -r stat -c %s) <"$work/$name.missing" | awk '{s+=$1} END {print s+0}')
  bytes=$((bytes + $(stat -c %s "$work/$name.target.caibx")))
  timed "$work/$name.dec" nice casync extract --store="$store" --seed="$base" "$work/$name.target.caibx" "$work/$name.rebuilt"
  report "$name" "$bytes" "$work/$name.enc" "$work/$name.dec" "$work/$name.rebuilt" "$target" "per_image_chunking_no_pair_work,${missing}_chunks_fetched"
  rm -rf "$store" "$base_store"
}

for method in "${methods[@]}"; do
  case "$method" in
    xdelta3-9-1g) xdelta "$method" 9 1073741824 ;;
    xdelta3-9-512m) xdelta "$method" 9 536870912 ;;
    xdelta3-6-512m) xdelta "$method" 6 536870912 ;;
    xdelta3-9-256m) xdelta "$method" 9 268435456 ;;
    xdelta3-6-256m) xdelta "$method" 6 268435456 ;;
    zstd-19) zstd_patch "$method" 19 ;;
    zstd-9) zstd_patch "$method" 9 ;;
    bsdiff-128m) bsdiff_prefix "$method" ;;
    casync-64k) casync_chunks "$method" 16384:65536:262144 ;;
    casync-16k) casync_chunks "$method" 4096:16384:65536 ;;
    *) echo "unknown method $method" >&2; exit 2 ;;
  esac
done
