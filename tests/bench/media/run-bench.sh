#!/bin/sh
# run-bench.sh — the media relay benchmark (not a meson test).  As root:
#   tests/bench/media/run-bench.sh BUILD_DIR [N …]
# Builds the load client, then inside a private network namespace runs N
# 1:1 meetings (default 1 5 20) of ~1.4 Mbit/s VP8 + Opus each way through
# kontor's relay (pinned to CPU 0; the load client to LOAD_CPUS, default 1),
# after a direct peer-to-peer baseline for the delay the relay adds, and through
# Janus' videocall plugin when Debian's `janus` is installed, configured in
# a temporary folder (janus-run.sh) with the same load.
# Then one meeting of each with LOSS % (default 5) of incoming UDP dropped
# in the namespace (nft, so on every leg), for how much of the loss NACK/RTX
# and keyframe requests recover; LOSS=0 skips it.
# Each N runs ROUNDS times (default 3), kontor and Janus in turns; medians
# over the rounds and their ratios close each N.
# Prints `name: value unit` lines.  WARMUP and WINDOW (seconds) tune it.
#
# Besides the relay's CPU, memory and threads, every run prints the load
# client's own CPU and `load client saturated: yes|no`.  The client is the
# limit on N: two full webrtcbins per meeting, about 0.02 s/s per
# participant, so one core holds about 20 meetings, less when other work
# shares it.  A run where it was saturated measured the client, not the
# relay; the medians say in how many rounds that happened.  For more
# meetings give it more cores (LOAD_CPUS=1-3; never 0, the relay's).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:?usage: run-bench.sh BUILD_DIR [N …]}
shift
counts=${*:-1 5 20}
load_cpus=${LOAD_CPUS:-1}
case ",$load_cpus," in
  *,0,* | *,0-*) echo "LOAD_CPUS must leave CPU 0 to the relay"; exit 2 ;;
esac
export LOAD_CPUS=$load_cpus # janus-run.sh pins the client with it too
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

run() { "$here/../../media/run-in-netns.sh" taskset -c "$load_cpus" "$tmp/load" \
          --warmup "$warmup" --window "$window" "$@"; }

echo "== baseline: peers connected directly, no relay"
run --direct --meetings 1 | tee "$tmp/direct"
base_med=$(sed -n 's/^direct delay median: \([0-9.]*\).*/\1/p' "$tmp/direct")
base_p99=$(sed -n 's/^direct delay p99: \([0-9.]*\).*/\1/p' "$tmp/direct")
# One figure of one server over N's rounds, a line per round:
#   figures kontor 2 "cpu per meeting-minute"
figures() { sed -n "s/^$1 $3: \([0-9.]*\).*/\1/p" "$tmp/out-$1-$2".*; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Each N runs ROUNDS times, kontor and Janus taking turns, so that both see
# the same spells of a busy host; the figures printed after a round's own
# are medians over the rounds.
rounds=${ROUNDS:-3}
for n in $counts; do
  r=1
  while [ $r -le "$rounds" ]; do
    echo "== kontor, $n meeting(s), round $r of $rounds"
    # The same one address Janus is held to (ice_enforce_list in janus-run.sh).
    # G_SLICE as deploy/kontor.service.in runs kontor.
    G_SLICE=always-malloc KONTOR_ICE_ADDRESS=10.97.0.1 run --relay "$relay" --meetings "$n" | tee "$tmp/out-kontor-$n.$r" || true
    if command -v janus >/dev/null; then
      echo "== janus videocall, $n meeting(s), round $r of $rounds"
      mkdir -p "$tmp/janus$n"
      "$here/../../media/run-in-netns.sh" "$here/janus-run.sh" "$tmp/janus$n" \
        "$tmp/load" "$n" "$warmup" "$window" | tee "$tmp/out-janus-$n.$r" || true
    fi
    r=$((r + 1))
  done
  echo "== $n meeting(s): medians over $rounds rounds"
  for who in kontor janus; do
    [ "$who" = janus ] && ! command -v janus >/dev/null && continue
    for metric in "cpu per meeting-minute:s" "rss:MB" "rss per meeting:MB" \
                  "threads idle:" "threads:" "threads per meeting:" \
                  "cpus busy (all processes):%" "threads waiting for a cpu:" \
                  "delay median:ms" "delay p99:ms" "first frame median:ms" \
                  "frame loss:%" "load client cpu:s/s" "load client cpus busy (all processes):%" \
                  "load client threads waiting for a cpu:" "load client send lateness p99:ms"; do
      m=$(figures "$who" "$n" "${metric%:*}" | median)
      [ -n "$m" ] && echo "$who ${metric%:*} ($n, median): $m ${metric#*:}" | sed 's/ $//'
    done
    # How often the client, not the relay, was the limit (load-client.c).
    for what in saturated "sent late"; do
      c=$(cat "$tmp/out-$who-$n".* | grep -c "^$who load client $what: yes" || true)
      echo "$who load client $what ($n): $c of $(grep -l "^$who load client $what:" "$tmp/out-$who-$n".* | wc -l) rounds"
    done
    if cat "$tmp/out-$who-$n".* | grep -q "^$who load client \(saturated\|sent late\): yes"; then
      echo "$who ($n): the load client did not keep up in some rounds (saturated, or its cores shared): their delays and losses are partly the client's, not the relay's"
    fi
    med=$(figures "$who" "$n" "delay median" | median)
    p99=$(figures "$who" "$n" "delay p99" | median)
    [ -n "$med" ] && awk -v a="$med" -v b="$base_med" -v c="$p99" -v d="$base_p99" -v w="$who" -v n="$n" \
      'BEGIN { printf "%s added delay median (%d): %.2f ms\n%s added delay p99 (%d): %.2f ms\n", w, n, a-b, w, n, c-d }'
  done
  command -v janus >/dev/null || { echo "janus: not installed, no comparison"; continue; }
  # Ratios of the medians, and the CPU ratio of each round on its own.
  for metric in "cpu per meeting-minute" "rss" "rss per meeting" "threads" "threads per meeting" \
                "delay p99"; do
    k=$(figures kontor "$n" "$metric" | median)
    j=$(figures janus "$n" "$metric" | median)
    [ -n "$k" ] && [ -n "$j" ] && awk -v k="$k" -v j="$j" -v b="$base_p99" -v m="$metric" -v n="$n" 'BEGIN {
      if (m == "delay p99") { k -= b; j -= b; m = "added delay p99" }
      if (k < 0) k = 0
      if (j > 0.05) printf "ratio kontor/janus %s (%d): %.2f\n", m, n, k / j }'
  done
  kc=$(figures kontor "$n" "cpu per meeting-minute" | tr '\n' ' ')
  jc=$(figures janus "$n" "cpu per meeting-minute" | tr '\n' ' ')
  awk -v k="$kc" -v j="$jc" -v n="$n" 'BEGIN { c = split(k, a, " "); split(j, b, " ")
    printf "ratio kontor/janus cpu per meeting, each round (%d):", n
    for (i = 1; i <= c; i++) if (b[i] > 0) printf " %.2f", a[i] / b[i]
    printf "\n" }'
done

loss=${LOSS:-5}
[ "$loss" -gt 0 ] 2>/dev/null || exit 0
echo "== kontor, 1 meeting, $loss % of incoming UDP dropped on every leg"
G_SLICE=always-malloc KONTOR_ICE_ADDRESS=10.97.0.1 KONTOR_MEDIA_LOSS=$loss run --relay "$relay" --meetings 1 > "$tmp/kl" || true
sed -n -e "s/^kontor frame loss: /kontor frame loss at $loss % packet loss: /p" \
  -e "s/^kontor load client \\(saturated\\|sent late\\): /kontor load client \\1 at $loss % packet loss: /p" "$tmp/kl"
if command -v janus >/dev/null; then
  echo "== janus videocall, 1 meeting, $loss % of incoming UDP dropped on every leg"
  mkdir -p "$tmp/janusl"
  KONTOR_MEDIA_LOSS=$loss "$here/../../media/run-in-netns.sh" "$here/janus-run.sh" \
    "$tmp/janusl" "$tmp/load" 1 "$warmup" "$window" > "$tmp/jl" || true
  sed -n -e "s/^janus frame loss: /janus frame loss at $loss % packet loss: /p" \
    -e "s/^janus load client \\(saturated\\|sent late\\): /janus load client \\1 at $loss % packet loss: /p" "$tmp/jl"
fi
