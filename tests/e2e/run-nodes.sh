#!/bin/bash
# run-nodes.sh — two kontor nodes behind HAProxy on one PostgreSQL, with
# real browsers (issue 15, "More than one node"; nodes.test.mjs says what is
# checked).  Everything runs inside a network namespace of its own: the
# nodes, HAProxy (deploy/haproxy.cfg.example's routing, with this test's
# addresses) and Chromium.
#
#   run-nodes.sh KONTOR_BINARY WEB_ROOT [SCREENSHOT_DIR]
#
# Needs what run-e2e.sh needs, and haproxy; skips (77) without them.
set -u

here=$(cd "$(dirname "$0")" && pwd)
skip () { echo "SKIP: $*"; exit 77; }
fail () { echo "FAIL: $*" >&2; exit 1; }

[ $# -ge 2 ] || { echo "usage: $0 KONTOR_BINARY WEB_ROOT [SCREENSHOT_DIR]" >&2; exit 2; }
kontor=$(realpath -e "$1") || fail "no kontor binary at $1"
web_root=$(realpath -e "$2") || fail "no web root at $2"
shots=${3:-${KONTOR_E2E_SCREENSHOTS:-$PWD/e2e-screenshots}}/nodes

[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
[ -n "${KONTOR_TEST_CONNINFO:-}" ] || skip "KONTOR_TEST_CONNINFO is not set"
[ -x /usr/bin/chromium ] || skip "no /usr/bin/chromium"
[ -d "$here/node_modules/playwright-core" ] || skip "no playwright-core (cd tests/e2e && npm ci)"
command -v haproxy >/dev/null || skip "no haproxy (apt-get install haproxy)"
command -v psql >/dev/null || skip "no psql"

ns=kontor-nodes-$$
db=kontor_nodes_$$
pids=()
mkdir -p "$shots"
rm -f "$shots"/*.png "$shots"/*.log
work=$(mktemp -d /tmp/kontor-nodes.XXXXXX)

conn="$KONTOR_TEST_CONNINFO dbname=$db"
cleanup () {
  for p in "${pids[@]}"; do kill -INT "$p" 2>/dev/null; done
  sleep 1
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  left=$(ip netns pids "$ns" 2>/dev/null)
  [ -n "$left" ] && kill -KILL $left 2>/dev/null
  ip netns del "$ns" 2>/dev/null
  psql "$KONTOR_TEST_CONNINFO" -qAtX -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

psql "$KONTOR_TEST_CONNINFO" -qAtX -v ON_ERROR_STOP=1 -c "CREATE DATABASE $db" >/dev/null \
  || fail "cannot create database $db"
KONTOR_DATABASE=$conn "$kontor" migrate || fail "kontor migrate failed"
demo=$(KONTOR_DATABASE=$conn "$kontor" demo --json --starts-in=300) || fail "kontor demo failed"

ip netns add "$ns" || fail "ip netns add $ns"
in_ns () { ip netns exec "$ns" "$@"; }
in_ns ip link set lo up
in_ns sysctl -qw net.ipv6.conf.default.disable_ipv6=1
in_ns ip link add nd0 type veth peer name nd1
in_ns ip addr add 10.233.0.1/24 dev nd0
in_ns ip addr add 10.233.0.2/24 dev nd1
in_ns ip link set nd0 up
in_ns ip link set nd1 up
in_ns sysctl -qw net.ipv4.ip_local_port_range="50000 60999"

# ---- two nodes ------------------------------------------------------------
start_node () {  # start_node NAME PORT ICE_MIN
  ip netns exec "$ns" env KONTOR_DATABASE="$conn" KONTOR_NODE_NAME="$1" KONTOR_LEASE=4 \
    KONTOR_LISTEN_ADDRESS=10.233.0.1 KONTOR_PORT="$2" KONTOR_WEB_ROOT="$web_root" \
    KONTOR_PUBLIC_URL=http://localhost:8080 KONTOR_TRUSTED_PROXIES=127.0.0.1 \
    KONTOR_ICE_ADDRESS=10.233.0.1 KONTOR_ICE_PORT_MIN="$3" KONTOR_ICE_PORT_MAX=$(($3 + 99)) \
    "$kontor" >"$shots/$1.log" 2>&1 &
  pids+=($!)
  eval "pid_$1=$!"
}
start_node kontor1 8081 41000
start_node kontor2 8082 41200

# ---- HAProxy: the example's routing, this test's addresses -----------------
sed -e 's|^    log /dev/log local0|    log stderr format raw local0 info|' \
    -e 's|^    bind :80$|    bind 127.0.0.1:8080|' \
    -e 's|maxconn 20000|maxconn 2000|' \
    -e 's|^    server kontor1 .*|    server kontor1 10.233.0.1:8081 check inter 500ms fall 2 rise 1|' \
    -e 's|^    server kontor2 .*|    server kontor2 10.233.0.1:8082 check inter 500ms fall 2 rise 1|' \
    "$here/../../deploy/haproxy.cfg.example" >"$work/haproxy.cfg"
haproxy -c -q -f "$work/haproxy.cfg" || fail "the HAProxy configuration does not check"
ip netns exec "$ns" haproxy -db -f "$work/haproxy.cfg" >"$shots/haproxy.log" 2>&1 &
pids+=($!)

for _ in $(seq 150); do
  ok=1
  for port in 8081 8082; do in_ns curl -sf -o /dev/null "http://10.233.0.1:$port/readyz" || ok=; done
  in_ns curl -sf -o /dev/null "http://localhost:8080/readyz" || ok=
  [ -n "$ok" ] && break
  sleep 0.2
done
[ -n "$ok" ] || { tail -n 20 "$shots"/*.log >&2; fail "the nodes or HAProxy did not come up"; }

cd "$here" || fail "cd $here"
in_ns env KONTOR_E2E_BASE_URL=http://localhost:8080 KONTOR_E2E_DEMO="$demo" \
  KONTOR_E2E_SCREENSHOTS="$shots" KONTOR_E2E_NODE1_PID="$pid_kontor1" \
  KONTOR_E2E_DATABASE="$conn" \
  node --test --test-reporter=spec ./nodes.test.mjs
status=$?
[ $status -eq 0 ] || { for f in "$shots"/kontor*.log "$shots"/haproxy.log; do echo "--- $f"; tail -n 25 "$f"; done; }
exit $status
