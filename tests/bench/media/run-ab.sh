#!/bin/sh
# run-ab.sh — two configurations of kontor's relay against each other, on
# the load of run-bench.sh (not a meson test).  As root:
#   tests/bench/media/run-ab.sh BUILD_DIR N "ENV A" "ENV B"
# e.g. run-ab.sh build 5 "KONTOR_MEDIA_SRTPENC=1 KONTOR_MEDIA_SRTPDEC=1" ""
# runs N meetings ROUNDS times (default 4) with A's environment, then B's,
# in turns, so that both see the same spells of a busy host, and prints
# each round's CPU per meeting-minute, resident memory and threads per
# meeting, then the medians and B/A.  WARMUP and WINDOW as in run-bench.sh.
# RELAY_A, RELAY_B: another relay binary for that side (two commits, say:
# a worktree's BUILD/tests/media/kontor-stdio-relay), the build's by default.
set -u
here=$(cd "$(dirname "$0")" && pwd -P)
build=$(cd "$1" && pwd -P)
n=$2
env_a=$3
env_b=$4
rounds=${ROUNDS:-4}
warmup=${WARMUP:-10}
window=${WINDOW:-30}
load_cpus=${LOAD_CPUS:-1}
relay="$build/tests/media/kontor-stdio-relay"
[ -x "$relay" ] || { echo "build $relay first"; exit 2; }
[ "$(id -u)" = 0 ] || { echo "needs root (network namespace)"; exit 77; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cc -std=gnu11 -O2 -o "$tmp/load" "$here/load-client.c" \
  $(pkg-config --cflags --libs gstreamer-1.0 gstreamer-webrtc-1.0 \
      gstreamer-sdp-1.0 gstreamer-app-1.0 gio-unix-2.0 jansson)

relay_a=${RELAY_A:-$relay}
relay_b=${RELAY_B:-$relay}
for r in "$relay_a" "$relay_b"; do [ -x "$r" ] || { echo "no relay $r"; exit 2; }; done

# One round of one side: its environment ($1) for the relay ($2) only.
side() {
  env G_SLICE=always-malloc $1 KONTOR_ICE_ADDRESS=10.97.0.1 "$here/../../media/run-in-netns.sh" \
    taskset -c "$load_cpus" "$tmp/load" --warmup "$warmup" --window "$window" \
    --relay "$2" --meetings "$n"
}
# figure FILES METRIC: FILES a round's output (a.1) or a side's (a.*).
figure() { sed -n "s/^kontor $2: \([0-9.]*\).*/\1/p" $tmp/$1; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

r=1
while [ $r -le "$rounds" ]; do
  for s in a b; do
    if [ $s = a ]; then e=$env_a rel=$relay_a; else e=$env_b rel=$relay_b; fi
    side "$e" "$rel" > "$tmp/$s.$r" 2>&1 || true
    printf "round %d %s (%s): cpu %s s/meeting-min, rss %s MB/meeting, threads %s/meeting, client saturated %s\n" \
      $r $s "${e:-default}" "$(figure "$s.$r" "cpu per meeting-minute")" \
      "$(figure "$s.$r" "rss per meeting")" "$(figure "$s.$r" "threads per meeting")" \
      "$(sed -n 's/^kontor load client saturated: //p' "$tmp/$s.$r")"
  done
  r=$((r + 1))
done
for m in "cpu per meeting-minute" "rss per meeting" "threads per meeting"; do
  a=$(figure "a.*" "$m" | median)
  b=$(figure "b.*" "$m" | median)
  echo "$m (N=$n): A ${a:-?}, B ${b:-?}" | tr -s ' '
  [ -n "$a" ] && [ -n "$b" ] && awk -v a="$a" -v b="$b" -v m="$m" \
    'BEGIN { if (a > 0) printf "B/A %s: %.2f\n", m, b / a }'
done
