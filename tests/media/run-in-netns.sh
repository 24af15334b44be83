#!/bin/sh
# run-in-netns.sh — runs one media test inside a private network namespace
# (lo up, a veth pair with 10.x addresses), so that ICE gathers only there.
# Skips (77) when not root.  The namespace is always deleted on exit.
set -u
[ "$(id -u)" = 0 ] || { echo "not root: skipping"; exit 77; }
command -v ip >/dev/null || { echo "no iproute2: skipping"; exit 77; }

ns="kontor-media-$$"
cleanup() { ip netns del "$ns" 2>/dev/null; }
trap cleanup EXIT INT TERM
ip netns add "$ns" || exit 77
ip -n "$ns" link set lo up
ip -n "$ns" link add km0 type veth peer name km1
ip -n "$ns" addr add 10.97.0.1/24 dev km0
ip -n "$ns" addr add 10.97.0.2/24 dev km1
ip -n "$ns" link set km0 up
ip -n "$ns" link set km1 up

export KONTOR_MEDIA_NETNS="$ns"
# Optional: drop this share of incoming UDP inside the namespace.
if [ -n "${KONTOR_MEDIA_LOSS:-}" ]; then
  ip netns exec "$ns" nft -f - <<NFT || exit 1
table inet kmloss {
  chain input {
    type filter hook input priority 0;
    meta l4proto udp numgen random mod 100 < ${KONTOR_MEDIA_LOSS} drop
  }
}
NFT
fi
ip netns exec "$ns" "$@"
