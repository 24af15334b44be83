#!/bin/sh
# run-bench.sh — the media relay benchmark (not a meson test).  As root:
#   tests/bench/media/run-bench.sh BUILD_DIR [N …]
# Builds the load client, then inside a private network namespace runs N
# 1:1 meetings (default 1 2 5) of ~1.4 Mbit/s VP8 + Opus each way through
# kontor's relay (pinned to CPU 0; the load client to CPU 1), after a
# direct peer-to-peer baseline for the delay the relay adds, and through
# Janus' videocall plugin when Debian's `janus` is installed, configured in
# a temporary folder (janus-run.sh) with the same load.
# Then one meeting of each with LOSS % (default 5) of incoming UDP dropped
# in the namespace (nft, so on every leg), for how much of the loss NACK/RTX
# and keyframe requests recover; LOSS=0 skips it.
# Prints `name: value unit` lines.  WARMUP and WINDOW (seconds) tune it.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-bench.sh BUILD_DIR [N …]}
shift
counts=${*:-1 2 5}
warmup=${WARMUP:-10}
window=${WINDOW:-30}
relay="$build/tests/media/kontor-stdio-relay"
[ -x "$relay" ] || { echo "build $relay first (ninja -C $build tests/media/kontor-stdio-relay)"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu11 -O2 -o "$tmp/load" "$here/load-client.c" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-webrtc-1.0 \
      gstreamer-sdp-1.0 gstreamer-app-1.0 gio-unix-2.0 jansson)

run() { "$here/../../media/run-in-netns.sh" taskset -c 1 "$tmp/load" \
          --warmup "$warmup" --window "$window" "$@"; }

echo "== baseline: peers connected directly, no relay"
run --direct --meetings 1 | tee "$tmp/direct"
base_med=$(sed -n 's/^direct delay median: \([0-9.]*\).*/\1/p' "$tmp/direct")
base_p99=$(sed -n 's/^direct delay p99: \([0-9.]*\).*/\1/p' "$tmp/direct")
for n in $counts; do
  echo "== kontor, $n meeting(s)"
  run --relay "$relay" --meetings "$n" | tee "$tmp/k$n" || true
  med=$(sed -n 's/^kontor delay median: \([0-9.]*\).*/\1/p' "$tmp/k$n")
  p99=$(sed -n 's/^kontor delay p99: \([0-9.]*\).*/\1/p' "$tmp/k$n")
  [ -n "$med" ] && awk -v a="$med" -v b="$base_med" -v c="$p99" -v d="$base_p99" \
    'BEGIN { printf "kontor added delay median: %.2f ms\nkontor added delay p99: %.2f ms\n", a-b, c-d }'
  command -v janus >/dev/null || { echo "janus: not installed, no comparison"; continue; }
  echo "== janus videocall, $n meeting(s)"
  mkdir -p "$tmp/janus$n"
  "$here/../../media/run-in-netns.sh" "$here/janus-run.sh" "$tmp/janus$n" \
    "$tmp/load" "$n" "$warmup" "$window" | tee "$tmp/j$n" || true
  get() { sed -n "s/^$1: \([0-9.]*\).*/\1/p" "$2"; }
  jmed=$(get "janus delay median" "$tmp/j$n"); jp99=$(get "janus delay p99" "$tmp/j$n")
  [ -n "$jmed" ] && awk -v a="$jmed" -v b="$base_med" -v c="$jp99" -v d="$base_p99" \
    'BEGIN { printf "janus added delay median: %.2f ms\njanus added delay p99: %.2f ms\n", a-b, c-d }'
  kc=$(get "kontor cpu per meeting-minute" "$tmp/k$n"); jc=$(get "janus cpu per meeting-minute" "$tmp/j$n")
  km=$(get "kontor rss per meeting" "$tmp/k$n"); jm=$(get "janus rss per meeting" "$tmp/j$n")
  kr=$(get "kontor rss" "$tmp/k$n"); jr=$(get "janus rss" "$tmp/j$n")
  [ -n "$kc" ] && [ -n "$jc" ] && awk -v kc="$kc" -v jc="$jc" -v km="$km" -v jm="$jm" \
    -v kr="$kr" -v jr="$jr" -v kd="$p99" -v jd="$jp99" -v b="$base_p99" -v n="$n" 'BEGIN {
      printf "ratio kontor/janus cpu per meeting (%d): %.2f\n", n, kc / jc
      printf "ratio kontor/janus rss (%d): %.2f\n", n, kr / jr
      if (jm > 0.05) printf "ratio kontor/janus rss per meeting (%d): %.2f\n", n, km / jm
      if (jd - b > 0.05) printf "ratio kontor/janus added delay p99 (%d): %.2f\n", n, (kd - b) / (jd - b) }'
done

loss=${LOSS:-5}
[ "$loss" -gt 0 ] 2>/dev/null || exit 0
echo "== kontor, 1 meeting, $loss % of incoming UDP dropped on every leg"
KONTOR_MEDIA_LOSS=$loss run --relay "$relay" --meetings 1 > "$tmp/kl" || true
sed -n "s/^kontor frame loss: /kontor frame loss at $loss % packet loss: /p" "$tmp/kl"
if command -v janus >/dev/null; then
  echo "== janus videocall, 1 meeting, $loss % of incoming UDP dropped on every leg"
  mkdir -p "$tmp/janusl"
  KONTOR_MEDIA_LOSS=$loss "$here/../../media/run-in-netns.sh" "$here/janus-run.sh" \
    "$tmp/janusl" "$tmp/load" 1 "$warmup" "$window" > "$tmp/jl" || true
  sed -n "s/^janus frame loss: /janus frame loss at $loss % packet loss: /p" "$tmp/jl"
fi
